"""A self-contained HTML report of a study run: one file, no external resources, no scripts.

Figures are embedded as base64 PNG (``<img src="data:image/png;base64,…">``); the page also holds the provenance of
every data stream (measured, or SYNTHETIC/simulated with the model that made it), the claims table (the reference
study's numbers against this run's, with the agreement rule of each row), the phase-diagram boundaries, the
settings used and the software versions.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..precision import VALUE_DIGITS, fmt_value, fmt_with

__all__ = ["chromium_path", "render_report", "screenshot", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1250px;color:#222;
line-height:1.4}
h1{font-size:1.6em;margin-bottom:0.2em}h2{border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:1.6em}
table{border-collapse:collapse;margin:8px 0;font-size:0.88em}th,td{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.yes{background:#e3f4e3}.no{background:#fbe1e1}.ns{background:#f4f4f4;color:#666}
.synthetic{background:#fff4d6;border:1px solid #e0b84c;padding:6px 10px;margin:6px 0}
.measured{background:#e8f1fb;border:1px solid #8ab0dc;padding:6px 10px;margin:6px 0}
figure{margin:14px 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:0.9em;color:#444}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:0.8em}code{font-size:0.92em}
.small{font-size:0.85em;color:#555}
.warn{color:#8a4b00}
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _num(v, err=None, unit: str = "") -> str:
    """A number for a table cell by the one display rule: with a usable 1σ ``err`` two significant digits of it and
    the value to the same decimal (:func:`hpglass.precision.fmt`), without one the stated rule of
    :func:`hpglass.precision.fmt_value` (four significant digits); escaped."""
    return _e(fmt_with(v, err, unit))


def _list(values, errs=None) -> str:
    errs = list(errs or [])
    return ", ".join(_num(v, errs[i] if i < len(errs) else None) for i, v in enumerate(values) if v is not None)


def _table(headers: Sequence[str], rows: Sequence[Sequence], row_class: Sequence[str] | None = None) -> str:
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in headers), "</tr></thead><tbody>"]
    for i, r in enumerate(rows):
        cls = f' class="{row_class[i]}"' if row_class and row_class[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _img(png: Path, alt: str) -> str:
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _provenance_block(kind: str, name: str, label: str) -> str:
    cls = "measured" if label == "measured" else "synthetic"
    return f'<div class="{cls}"><b>{_e(kind)} run “{_e(name)}”</b>: {_e(label)}</div>'


def render_report(summary: Mapping, figures: Mapping[str, Sequence[str]], captions: Mapping[str, str]) -> str:
    """The report's HTML text from the run's JSON summary (:meth:`StudyResult.to_dict`) and its figure files
    (stem → [png, svg])."""
    s = summary
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>hpglass study report — {_e(s['name'])}</title><style>{_CSS}</style></head><body>",
             f"<h1>hpglass study report — {_e(s['name'])}</h1>",
             (f"<p class='small'>study file <code>{_e(s['source'])}</code>; composition {_e(s['composition'])}; "
             f"hpglass {_e(s['versions'].get('hpglass'))}</p>")]

    # provenance
    parts.append("<h2>Data and their provenance</h2>")
    for kind in ("diffraction", "transport", "simulation"):
        for run in s.get(kind, []):
            parts.append(_provenance_block(kind, run["name"], run["provenance"]))
    if not any(s.get(k) for k in ("diffraction", "transport", "simulation")):
        parts.append("<p>No data streams.</p>")

    # claims
    claims = s.get("claims", [])
    from .claims import AGREE, DISAGREE, claim_counts, headline

    parts.append("<h2>Claims of the reference study against this run</h2>")
    parts.append("<p><b>" + _e(headline(claim_counts(claims))) + ".</b></p>")
    parts.append("<p class='small'>Zhang et al., Phys. Rev. Lett. 127, 127002 (2021). Rule per row; σ is the measured "
                 "1σ error, added in quadrature to the paper's tolerance. <i>agree</i>: consistent and the ±2σ "
                 "interval is narrower than the effect the claim is about; <i>uninformative</i>: consistent only "
                 "because the interval is wider than that; <i>by construction</i>: the data were made from the "
                 "reference study's own numbers, so agreement is built in and never counted. The <i>data</i> column "
                 "names the provenance of the stream the number comes from.</p>")
    rows, cls = [], []
    for c in claims:
        rows.append([_e(c["id"]), _e(c["quantity"]), _e(c["paper"]), _e(c["measured"]), f"<b>{_e(c['agree'])}</b>",
                     _e(c["rule"]), _e(c.get("data") or ""), _e(c.get("note") or "")])
        cls.append({AGREE: "yes", DISAGREE: "no"}.get(c["agree"], "ns"))
    parts.append(_table(["id", "quantity", "paper", "this run", "verdict", "rule", "data", "note"], rows, cls))

    # phase diagram
    pd = s["phase_diagram"]
    parts.append("<h2>Phase diagram: regimes and boundaries</h2>")
    rows = [[_e(b["name"]), _num(b["pressure_GPa"], b["err_GPa"]), _e(b["source"]), _e(b["note"])]
            for b in pd["boundaries"]]
    if pd.get("crossover_GPa") is not None:
        rows.append(["density crossover", _num(pd["crossover_GPa"], pd["crossover_err_GPa"]),
                     "glass EOS vs crystal EOS", ""])
    parts.append(_table(["boundary", "P ± 1σ (GPa)", "from", "rule"], rows) if rows else
                 "<p>No boundary could be estimated from this data.</p>")
    rows = [[_e(r["name"]), _num(r["lo_GPa"], r.get("lo_err_GPa")), _num(r["hi_GPa"], r.get("hi_err_GPa"))]
            for r in pd["regions"]]
    if rows:
        parts.append(_table(["region", "from (GPa)", "to (GPa)"], rows))

    # figures
    parts.append("<h2>Figures</h2>")
    for stem, files in figures.items():
        png = next((f for f in files if str(f).endswith(".png")), None)
        if png is None:
            continue
        parts.append(f"<figure id='{_e(stem)}'>{_img(Path(png), captions.get(stem, stem))}"
                     f"<figcaption>{_e(captions.get(stem, stem))} — files: "
                     + ", ".join(f"<code>{_e(Path(f).name)}</code>" for f in files) + "</figcaption></figure>")

    # per-stream numbers
    parts.append("<h2>Results by run</h2>")
    for run in s.get("diffraction", []):
        q1 = run.get("q1_trend") or {}
        cr = run.get("crossover") or {}
        cz = run.get("crystallization") or {}
        parts.append(f"<h3>diffraction “{_e(run['name'])}” ({_e(run['direction'])})</h3>")
        q1_sig = q1.get("breakpoint_sigmas", q1.get("breakpoint_errs"))  # the σ consistent with the interval
        parts.append(f"<p>{len(run['points'])} patterns, λ = {_num(run['wavelength_A'])} Å. q1 breakpoints: "
                     f"{_list(q1.get('breakpoints', []), q1_sig) or '—'} GPa; slopes "
                     f"{_list(q1.get('slopes', []), q1.get('slope_errs')) or '—'} Å⁻¹/GPa (1σ). Crystallization: "
                     f"{_num(cz.get('transition_GPa'))} GPa. Density crossover: "
                     f"{_num(cr.get('pressure_GPa'), cr.get('err_GPa'))} GPa.</p>")
        if run.get("notes"):
            parts.append("<p class='small'>notes: " + _e("; ".join(f"{k}: {v}" for k, v in run["notes"].items()))
                         + "</p>")
        flagged = [(p, w) for p in run["points"] for w in (p.get("warnings") or "").split(" | ") if w]
        if flagged:
            parts.append("<p class='warn'><b>Quality warnings</b> (failed checks of the reduction):</p><ul>"
                         + "".join(f"<li class='warn'>{_num(p['pressure_GPa'])} GPa, "
                                   f"<code>{_e(Path(p['file']).name)}</code>: {_e(w)}</li>" for p, w in flagged)
                         + "</ul>")
    for run in s.get("transport", []):
        parts.append(f"<h3>transport “{_e(run['name'])}” ({_e(run['direction'])})</h3>")
        def ex(c):
            return " (extrapolated)" if c.get("hc2_extrapolated") else ""

        rows = [[_num(c["pressure_GPa"]), _e(c["superconducting"]), _num(c["tc_50_K"], c.get("tc_50_err_K")),
                 _list(c["transitions_K"], c.get("transitions_err_K")),
                 _num(c["hc2_whh_T"], c.get("hc2_whh_err_T")) + ex(c) * (c["hc2_whh_T"] is not None),
                 _num(c["hc2_gl_T"], c.get("hc2_gl_err_T")) + ex(c) * (c["hc2_gl_T"] is not None),
                 _e(Path(c["file"]).name)]
                for c in run["curves"]]
        if rows:
            parts.append(_table(["P (GPa)", "superconducting", "Tc 50 % (K)", "transitions (K)",
                                 "μ0Hc2(0) WHH (T)", "μ0Hc2(0) GL (T)", "file"], rows))
    for run in s.get("simulation", []):
        parts.append(f"<h3>simulation “{_e(run['name'])}” ({_e(run['direction'])})</h3>")
        pts = run["points"] + run["references"]
        rows = [[_e(p["label"]), _e(p.get("n_frames")), _num(p["density_g_cm3"], p.get("density_sem_g_cm3")),
                 _e(fmt_value(p.get("density_std_g_cm3"), digits=2)),  # a spread: two digits, like an error
                 _num(p["coordination_mean"], p.get("coordination_mean_sem")),
                 _num(p["angle_fraction_near_60"], p.get("angle_fraction_near_60_sem")),
                 _num(p["altbc_mean_ratio"], p.get("altbc_mean_ratio_sem")),
                 _num(p["bcc_fraction"], p.get("bcc_fraction_sem")), _e(Path(p["file"]).name)] for p in pts]
        parts.append(_table(["pressure / reference", "frames", "ρ (g/cm³)", "s.d. of ρ over frames (g/cm³)", "CN",
                             "angles near 60°", "ALTBC long/short", "bcc fraction", "file"], rows))
        parts.append("<p class='small'>Frame averages ± their standard error over the frames (s/√n); a number "
                     "without an error is shown to " + str(VALUE_DIGITS) + " significant digits (one frame, or an "
                     "error of zero).</p>")
        elf = [p for p in run["points"] if p.get("elf_mean") is not None]
        if elf:
            parts.append("<p>ELF of one frame per pressure (dimensionless; tables/elf.csv defines every column):</p>")
            parts.append(_table(
                ["pressure", "mean ELF (cell)", "mean ELF at bond midpoints", "volume with ELF in "
                 + "–".join(f"{x:g}" for x in (elf[0].get("elf_near_half_window") or [])), "volume with ELF > 0.7",
                 "bonds", "grid"],
                [[_e(p["label"]), _num(p["elf_mean"]),
                  _num(p.get("elf_bond_midpoint_mean"), p.get("elf_bond_midpoint_sem")),
                  _num(p.get("elf_fraction_near_half")), _num(p.get("elf_fraction_above_0.7")),
                  _e(p.get("elf_n_bonds")), _e("×".join(str(x) for x in p.get("elf_grid_shape") or []))]
                 for p in elf]))

    # settings, versions, cache
    parts.append("<h2>Settings used</h2><pre>" + _e(json.dumps(s["settings"], indent=2, ensure_ascii=False))
                 + "</pre>")
    parts.append("<h2>Software</h2>" + _table(["package", "version"],
                                               [[_e(k), _e(v)] for k, v in s["versions"].items()]))
    cache = s.get("cache", {})
    parts.append("<h2>Run</h2>" + _table(["piece", "computed", "from cache"],
                                         [[_e(k), _e(v["computed"]), _e(v["cached"])] for k, v in cache.items()]))
    t = s.get("timings_s", {})
    parts.append("<p class='small'>timings: " + _e(", ".join(f"{k} {v:.1f} s" for k, v in t.items())) + "</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(path: str | Path, summary: Mapping, figures: Mapping[str, Sequence[str]],
                 captions: Mapping[str, str]) -> Path:
    """Render and write ``report.html`` atomically."""
    from ..io import atomic_write_text

    return atomic_write_text(path, render_report(summary, figures, captions))


def chromium_path() -> str | None:
    """The headless-capable Chromium/Chrome on PATH, or None."""
    import shutil

    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)


def screenshot(report: str | Path, png: str | Path, size: tuple[int, int] = (1400, 4000),
               timeout_s: float = 120.0) -> Path | None:
    """A PNG screenshot of ``report`` rendered by headless Chromium, written atomically; None without Chromium."""
    import subprocess

    from ..io import atomic_path

    exe = chromium_path()
    if exe is None:
        return None
    png = Path(png)
    with atomic_path(png) as tmp:
        subprocess.run([exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--hide-scrollbars", f"--window-size={size[0]},{size[1]}", f"--screenshot={tmp}",
                        Path(report).resolve().as_uri()], capture_output=True, timeout=timeout_s, check=False)
    return png
