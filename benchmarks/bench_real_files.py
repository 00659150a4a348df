"""hpglass vs glassure, side by side, on the real measured files of ../shared/data/xrd/glassure.

    python benchmarks/bench_real_files.py                  # full run (median of 3 after a warm-up; ≲ 2 min, 1 core)
    python benchmarks/bench_real_files.py --quick          # 1 timed call after the warm-up
    python benchmarks/bench_real_files.py --update-readme  # also rewrite the bench:real block of benchmarks/README.md
    python benchmarks/bench_real_files.py --json [PATH]    # also write every number as JSON (stdout when no PATH)

For each file (Mg2SiO4_ambient also at q_max 12, 16 and 20 Å⁻¹ besides the automatic default):

- **hpglass**: ``process(sample, bkg, make_config(composition, wavelength, refine_density=True,
  refine_bkg=bkg is not None))`` with its defaults for everything else (automatic q range and r_cutoff, no start
  density), or with ``q_max`` given for the q_max cases;
- **glassure**: ``optimize_density(method="fr")`` (its ``lsq`` default) on the SAME q range and r_cutoff as hpglass
  chose (read from the hpglass result), from a fixed start density and hpglass's start background scale, with its
  default background window ×(0.9, 1.1) and a wide one (0.1, 3), then ``calculate_pdf`` at its result.

Reported per file and tool: density (± error where given), background scale, rms of g(r) over 0.5 Å … r_cutoff
(each tool's own g(r), no Lorch window), ⟨S(q)⟩ − 1 over the top 10 % of the q range, refinements per call,
wall time per call and per refinement. A failing call shows its one-line error; the run goes on.

Only hpglass's public entry points are used (``hpglass.io.read_pattern``, ``process``, ``make_config``) and the
result is read with ``getattr``/``.get``, so keys the pipeline adds later (quality block, refinement counts,
warnings) are picked up when present and ignored when absent.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

README = Path(__file__).with_name("README.md")
BEGIN, END = "<!-- bench:real:begin -->", "<!-- bench:real:end -->"
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SUBDIR = Path("xrd") / "glassure"

LOW_R_FROM = 0.5  # Å: low-r rms of g(r) over LOW_R_FROM … r_cutoff
TAIL_FRACTION = 0.10  # ⟨S(q)⟩ − 1 over the top 10 % of the q range used
GL_DENSITY_BOUNDS = (0.0, 100.0)  # g/cm³: glassure's fixed density bounds in optimize_density
BKG_WINDOWS = (("×(0.9, 1.1)", (0.9, 1.1)), ("(0.1, 3)", (0.1, 3.0)))  # glassure: relative to the start scale

# ---- physics references ---------------------------------------------------------------------------------------
REF_AR = "1.75–1.79 [1]"
REF_MG_AMB = "≈ 2.9–3.0; 2.7–3.25 [2]"
REF_MG_DAC = "> ambient (≥ 2.9) [3]"
REF_SIO2 = "2.20 if silica [4]"
REFERENCES = """\
[1] Argon at 0.9–1.0 GPa, 300 K: 1.75–1.79 g/cm³ from the reference equation of state of Tegeler, Span & Wagner,
    J. Phys. Chem. Ref. Data 28, 779 (1999).
[2] Mg2SiO4 glass at ambient pressure: expected ≈ 2.9–3.0 g/cm³; no measured value was verified for this
    benchmark, so the plausible range 2.7–3.25 g/cm³ of the issue is the test (its top is crystalline forsterite,
    3.22 g/cm³; the glass is made by containerless quenching, Tangeman et al., Geophys. Res. Lett. 28, 2517 (2001);
    structure: Kohara et al., Science 303, 1649 (2004)).
[3] Mg2SiO4 glass in a diamond anvil cell: the file numbers are indices, not pressures (../shared/data/README.md),
    so only "denser than the ambient glass" can be checked.
[4] glass_rod_SS/WOS: glassure's own tests treat the rod as SiO2 (tests/gui_tests/test_model.py,
    test_use_transfer_function: composition {'Si': 1.0, 'O': 2.0}, q 0–14; tests/gui_tests/test_transfer.py: O 2,
    Si 1, q 1.5–10; both load the rod itself as background with scale 0). Its real composition is not stated; if
    it is vitreous silica, 2.20 g/cm³ (Brückner, J. Non-Cryst. Solids 5, 123 (1970))."""

FE81S19_SKIP = (
    "skipped: Fe81S19.chi has no header and glassure's tests never state its unit or wavelength (they read x as it "
    "is, as q in Å⁻¹: tests/test_optimization.py, composition {'Fe': 0.81, 'S': 0.19}, density 7.9 g/cm³, bkg "
    "scale 0.97, r_cutoff 1.6 Å, no wavelength). Read as q in Å⁻¹ (3–25), the first peak of the background-"
    "subtracted pattern would sit at x ≈ 10.9, far from the ≈ 2.9–3.1 Å⁻¹ of a liquid Fe alloy; x is more likely 2θ "
    "in degrees at an unknown wavelength (≈ 0.4 Å would put the peak at ≈ 3 Å⁻¹). With the unit and wavelength "
    "unknown, no physical density can be derived.")


@dataclass(frozen=True)
class Case:
    label: str
    sample: str  # relative to <data>/xrd/glassure
    bkg: str | None
    composition: str
    wavelength: float  # Å (../shared/data/README.md; read_pattern checks it against the header)
    gl_start: float  # glassure's start density, g/cm³ (hpglass starts from none: its own coarse ρ scan)
    fallback_r_cutoff: float  # Å, for glassure only when hpglass failed (glassure's tests: Ar 2.28, oxides 1.4)
    reference: str
    q_max: float | None = None  # None: hpglass's automatic q range
    skip: str | None = None


def cases() -> list[Case]:
    mg = dict(composition="Mg2SiO4", gl_start=2.5, fallback_r_cutoff=1.4)
    out = [
        Case("Argon_1GPa", "Argon_1GPa.chi", "Argon_1GPa_bkg.chi", "Ar", 0.37, 1.5, 2.28, REF_AR),
        Case("Mg2SiO4_ambient", "Mg2SiO4_ambient.xy", "Mg2SiO4_ambient_bkg.xy", wavelength=0.1908,
             reference=REF_MG_AMB, **mg),
    ]
    out += [Case(f"Mg2SiO4_ambient, q_max {qm:g}", "Mg2SiO4_ambient.xy", "Mg2SiO4_ambient_bkg.xy", wavelength=0.1908,
                 reference=REF_MG_AMB, q_max=qm, **mg) for qm in (12.0, 16.0, 20.0)]
    out += [
        Case("Mg2SiO4_091", "Mg2SiO4_091.xy", None, wavelength=0.31, reference=REF_MG_DAC, **mg),
        Case("history_2014/Mg2SiO4_085", "history_2014/Mg2SiO4_085.xy", None, wavelength=0.31, reference=REF_MG_DAC,
             **mg),
        Case("history_2014/Mg2SiO4_120", "history_2014/Mg2SiO4_120.xy", "history_2014/Mg2SiO4_120_bkg.xy",
             wavelength=0.31, reference=REF_MG_DAC, **mg),
        Case("history_2014/Mg2SiO4_175", "history_2014/Mg2SiO4_175.xy", None, wavelength=0.31, reference=REF_MG_DAC,
             **mg),
        Case("history_2014/Mg2SiO4_177", "history_2014/Mg2SiO4_177.xy", None, wavelength=0.31, reference=REF_MG_DAC,
             **mg),
        Case("glass_rod_SS (as SiO2)", "glass_rod_SS.xy", None, "SiO2", 0.2064, 2.5, 1.4, REF_SIO2),
        Case("glass_rod_WOS (as SiO2)", "glass_rod_WOS.xy", None, "SiO2", 0.2064, 2.5, 1.4, REF_SIO2),
        Case("Fe81S19", "Fe81S19.chi", "Fe81S19_bkg.chi", "Fe0.81S0.19", float("nan"), 7.9, 1.6, "—",
             skip=FE81S19_SKIP),
    ]
    return out


# ---- small helpers --------------------------------------------------------------------------------------------
def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"[:300]


def timed(fn, repeats: int):
    """(median s, result) after one warm-up call; an exception anywhere → (None, the exception)."""
    try:
        out = fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a table cell
        return None, exc
    return statistics.median(times), out


def finite(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def low_r_rms(r, gr, r_cutoff: float) -> float | None:
    r, gr = np.asarray(r, float), np.asarray(gr, float)
    m = (r >= LOW_R_FROM) & (r <= r_cutoff)
    return float(np.sqrt(np.mean(gr[m] ** 2))) if m.any() else None


def tail_mean(q, sq, q_lo: float, q_hi: float) -> float | None:
    q, sq = np.asarray(q, float), np.asarray(sq, float)
    m = (q >= q_hi - TAIL_FRACTION * (q_hi - q_lo)) & (q <= q_hi)
    return float(np.mean(sq[m]) - 1.0) if m.any() else None


def collect_warnings(d: dict) -> list[str]:
    """Warnings from a hpglass result dict, wherever the pipeline puts them (quality block or top level)."""
    out: list[str] = []

    def add(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            out.append(str(v.get("message") or v.get("text") or v))
        elif isinstance(v, list | tuple):
            for w in v:
                add(w)

    q = d.get("quality")
    if isinstance(q, dict):
        add(q.get("warnings"))
        for check in q.get("checks") or []:  # failed checks carry their message
            if isinstance(check, dict) and check.get("ok") is False and check.get("message"):
                add(check["message"])
    elif isinstance(q, list):
        add(q)
    add(d.get("warnings"))
    seen, uniq = set(), []
    for w in out:
        if w not in seen:
            seen.add(w)
            uniq.append(w)
    return uniq


def n_refinements(d: dict) -> tuple[int, str]:
    dr = d.get("density_refinement")
    n = dr.get("n_refinements") if isinstance(dr, dict) else None
    if n is None:
        n = d.get("n_refinements")
    try:
        return max(int(n), 1), "reported"
    except (TypeError, ValueError):
        return 1, "not reported (counted as 1)"


# ---- the two tools --------------------------------------------------------------------------------------------
def run_hpglass(case: Case, sample, bkg, repeats: int) -> dict:
    kw = dict(composition=case.composition, wavelength=case.wavelength, refine_density=True,
              refine_bkg=bkg is not None)
    if case.q_max is not None:
        kw["q_max"] = case.q_max
    row: dict = {"tool": "hpglass", "settings": "defaults" if case.q_max is None else f"q_max={case.q_max:g}"}
    try:
        from hpglass.scattering.config import make_config
        from hpglass.scattering.pipeline import process

        cfg = make_config(**kw)
    except Exception as exc:  # noqa: BLE001
        row["error"] = one_line(exc)
        return row
    med, res = timed(lambda: process(sample, bkg, cfg), repeats)
    if med is None:
        row["error"] = one_line(res)
        return row
    try:
        d = res.to_dict()
    except Exception as exc:  # noqa: BLE001
        d = {"to_dict_error": one_line(exc)}
    n, n_src = n_refinements(d)
    q = np.asarray(res.q, float)
    r_cut = finite(getattr(res, "r_cutoff", None))
    config = getattr(res, "config", None)
    row.update({
        "time_s": med, "n_refinements": n, "n_refinements_source": n_src, "time_per_refinement_s": med / n,
        "q_min": float(q[0]), "q_max": float(q[-1]), "n_points": int(q.size), "r_cutoff": r_cut,
        "r_cutoff_rule": (getattr(res, "metrics", None) or {}).get("r_cutoff_rule", d.get("r_cutoff_rule")),
        "density": finite(getattr(res, "density_g_cm3", None)),
        "density_err": finite(getattr(res, "density_err_g_cm3", None)),
        "bkg_scale": finite(getattr(res, "bkg_scale", None)) if bkg is not None else None,
        "bkg_scale_err": finite(getattr(res, "bkg_scale_err", None)) if bkg is not None else None,
        "bkg_start": finite(getattr(config, "bkg_scale", 1.0)),
        "lorch": bool(getattr(config, "lorch", False)),
        "low_r_rms": low_r_rms(res.r, res.gr, r_cut) if r_cut else None,
        "tail": tail_mean(q, res.sq, float(q[0]), float(q[-1])),
        "warnings": collect_warnings(d),
        "quality": d.get("quality"),
        "density_refinement": d.get("density_refinement"),
        "_config": config,
    })
    dr = d.get("density_refinement")
    if isinstance(dr, dict) and dr.get("at_bound"):
        row["density_at_bound"] = True
    return row


def glassure_configs(case: Case, sample_q, bkg_q, q_lo: float, q_hi: float, r_cut: float, density: float,
                     bkg_scale: float, hp_config):
    from glassure.calc import create_calculate_pdf_configs
    from glassure.configuration import ExtrapolationConfig, IntNormalization, OptimizeConfig
    from glassure.methods import ExtrapolationMethod
    from glassure.pattern import Pattern as GPattern
    from glassure.utility import calculate_s0

    data = GPattern(sample_q.x, sample_q.y)
    bkg = None if bkg_q is None else GPattern(bkg_q.x, bkg_q.y)
    dc, cc = create_calculate_pdf_configs(data, case.composition, density, bkg, bkg_scale if bkg is not None else 1.0)
    t = cc.transform
    x = sample_q.x
    i0, i1 = int(np.searchsorted(x, q_lo)), int(np.searchsorted(x, q_hi))
    h0 = float(x[min(i0 + 1, x.size - 1)] - x[max(i0, 0)]) or 1e-6
    h1 = float(x[min(i1, x.size - 1)] - x[max(i1 - 1, 0)]) or 1e-6
    t.q_min, t.q_max = q_lo - h0 / 2, q_hi + h1 / 2  # glassure's limit() is exclusive: half a step outside
    t.normalization = IntNormalization()  # Krogh-Moe integral normalization, as hpglass's default
    ext = str(getattr(hp_config, "extrapolation", "linear") or "linear").upper()
    method = getattr(ExtrapolationMethod, ext, ExtrapolationMethod.LINEAR)
    s0 = getattr(hp_config, "s0", None)
    if s0 is None:
        try:
            s0 = float(calculate_s0(case.composition, "xraylib"))
        except Exception:  # noqa: BLE001 - glassure then uses its own theoretical value
            s0 = None
    t.extrapolation = ExtrapolationConfig(method=method, s0=s0)
    t.kn_correction = bool(getattr(hp_config, "kn_correction", True))
    t.wavelength = case.wavelength
    t.scattering_factor_source = "xraylib"
    t.use_modification_fcn = False
    t.r_min = 0.0
    t.r_max = float(getattr(hp_config, "r_max", 10.0) or 10.0)
    t.r_step = float(getattr(hp_config, "r_step", 0.01) or 0.01)
    cc.optimize = OptimizeConfig(r_cutoff=r_cut, iterations=int(getattr(hp_config, "iterations", 5) or 5))
    return dc, cc


def run_glassure(case: Case, sample_q, bkg_q, hp: dict, window: tuple[str, tuple[float, float]],
                 repeats: int) -> dict:
    from glassure.calc import calculate_pdf
    from glassure.optimization import optimize_density

    label, limits = window
    row: dict = {"tool": "glassure", "settings": f"bkg {label}" if bkg_q is not None else "no bkg"}
    if "error" in hp:  # hpglass failed: its q range/r_cutoff are unknown, use the data range and a fallback
        q_lo, q_hi, r_cut = float(sample_q.x[0]), float(sample_q.x[-1]), case.fallback_r_cutoff
        if case.q_max is not None:
            q_hi = min(q_hi, case.q_max)
        row["fallback"] = f"hpglass failed: data q range and r_cutoff {r_cut} Å (glassure's tests)"
        hp_config, bkg_start = None, 1.0
    else:
        q_lo, q_hi, r_cut = hp["q_min"], hp["q_max"], hp["r_cutoff"]
        hp_config, bkg_start = hp.get("_config"), hp.get("bkg_start") or 1.0
    start = case.gl_start

    def call():
        dc, cc = glassure_configs(case, sample_q, bkg_q, q_lo, q_hi, r_cut, start, bkg_start, hp_config)
        dens, dens_err, scale, scale_err = optimize_density(dc, cc, method="fr", vary_bkg_scaling=bkg_q is not None,
                                                            bkg_limits=limits)
        dc, cc = glassure_configs(case, sample_q, bkg_q, q_lo, q_hi, r_cut, dens, scale, hp_config)
        return dens, dens_err, scale, scale_err, calculate_pdf(dc, cc)

    med, out = timed(call, repeats)
    row.update({"q_min": q_lo, "q_max": q_hi, "r_cutoff": r_cut, "start_density": start, "bkg_start": bkg_start,
                "bkg_limits": [bkg_start * limits[0], bkg_start * limits[1]] if bkg_q is not None else None})
    if med is None:
        row["error"] = one_line(out)
        return row
    dens, dens_err, scale, scale_err, res = out
    row.update({
        "time_s": med, "n_refinements": 1, "n_refinements_source": "one optimize_density call",
        "time_per_refinement_s": med, "density": finite(dens), "density_err": finite(dens_err),
        "bkg_scale": finite(scale) if bkg_q is not None else None,
        "bkg_scale_err": finite(scale_err) if bkg_q is not None else None,
        "low_r_rms": low_r_rms(res.gr.x, res.gr.y, r_cut) if res.gr is not None else None,
        "tail": tail_mean(res.sq.x, res.sq.y, q_lo, q_hi) if res.sq is not None else None,
    })
    if row["density"] is not None and not GL_DENSITY_BOUNDS[0] + 1e-6 < row["density"] < GL_DENSITY_BOUNDS[1] - 1e-6:
        row["density_at_bound"] = True
    if bkg_q is not None and row["bkg_scale"] is not None:
        lo, hi = row["bkg_limits"]
        row["bkg_at_edge"] = bool(min(abs(row["bkg_scale"] - lo), abs(row["bkg_scale"] - hi)) < 1e-3 * hi)
    return row


# ---- one case -------------------------------------------------------------------------------------------------
def run_case(case: Case, data_dir: Path, repeats: int) -> dict:
    out: dict = {"case": case.label, "file": case.sample, "bkg_file": case.bkg, "composition": case.composition,
                 "wavelength_A": None if math.isnan(case.wavelength) else case.wavelength,
                 "reference": case.reference, "rows": []}
    if case.skip:
        out["skipped"] = case.skip
        return out
    base = data_dir / SUBDIR
    try:
        from hpglass.io import read_pattern
    except Exception as exc:  # noqa: BLE001 - a pipeline being edited must not stop the run
        out["skipped"] = f"could not import hpglass: {one_line(exc)}"
        return out
    try:
        sample = read_pattern(base / case.sample, wavelength=case.wavelength)
        bkg = read_pattern(base / case.bkg, wavelength=case.wavelength) if case.bkg else None
        dropped = (getattr(sample, "meta", None) or {}).get("dropped_rows")
        if dropped:
            out["note"] = f"read_pattern dropped {dropped} non-finite rows"
        sample_q = sample.to_q(case.wavelength)  # glassure gets q in Å⁻¹ (Argon's file is in nm⁻¹)
        bkg_q = bkg.to_q(case.wavelength) if bkg is not None else None
    except Exception as exc:  # noqa: BLE001
        out["skipped"] = f"could not read: {one_line(exc)}"
        return out
    hp = run_hpglass(case, sample, bkg, repeats)
    out["rows"].append(hp)
    for window in (BKG_WINDOWS if bkg is not None else BKG_WINDOWS[:1]):
        out["rows"].append(run_glassure(case, sample_q, bkg_q, hp, window, repeats))
    return out


# ---- report ---------------------------------------------------------------------------------------------------
def fmt(v, spec=".3f", none="—"):
    if v is None:
        return none
    if abs(v) >= 1e3:  # a diverged g(r) or error: keep the cell short
        return format(v, "+.1e" if spec.startswith("+") else ".1e")
    return format(v, spec)


def fmt_pm(v, err, spec=".3f"):
    if v is None:
        return "—"
    return f"{fmt(v, spec)} ± {fmt(err, spec)}" if err is not None else fmt(v, spec)


def esc(text: str) -> str:
    return text.replace("|", "\\|")


def render_table(results: list[dict]) -> tuple[str, list[str]]:
    lines = [
        "| file | q range (Å⁻¹) | r_cutoff (Å) | tool | ρ (g/cm³) | reference ρ | bkg scale | rms g(r), 0.5 Å–r_cutoff "
        "| ⟨S⟩ − 1, top 10 % of q | refinements | time / call | time / refinement |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for c in results:
        if c.get("skipped"):
            lines.append(f"| {esc(c['case'])} | — | — | both | {esc(c['skipped'].split(':')[0])} (note "
                         f"{len(notes) + 1}) | {c['reference']} | — | — | — | — | — | — |")
            notes.append(f"{c['case']}: {c['skipped']}")
            continue
        if c.get("note"):
            notes.append(f"{c['case']}: {c['note']}")
        for row in c["rows"]:
            tool = row["tool"] + (f" ({row['settings']})" if row.get("settings") else "")
            qr = (f"{row['q_min']:.2f}–{row['q_max']:.2f}" if row.get("q_min") is not None and row.get("q_max")
                  is not None else "—")
            rc = fmt(row.get("r_cutoff"), ".3f")
            if row.get("fallback"):
                notes.append(f"{c['case']}, {tool}: {row['fallback']}")
            if "error" in row:
                notes.append(f"{c['case']}, {tool}: {row['error']}")
                lines.append(f"| {esc(c['case'])} | {qr} | {rc} | {esc(tool)} | **failed** (note {len(notes)}) | "
                             f"{c['reference']} | — | — | — | — | — | — |")
                continue
            dens = fmt_pm(row.get("density"), row.get("density_err"))
            if row.get("density_at_bound"):
                dens += " (at its bound)"
            bkg = fmt_pm(row.get("bkg_scale"), row.get("bkg_scale_err"))
            if row.get("bkg_at_edge"):
                bkg += " (window edge)"
            refs = f"{row['n_refinements']}" + ("" if row["n_refinements_source"] != "not reported (counted as 1)"
                                                else " (not reported)")
            warn = row.get("warnings") or []
            mark = ""
            if warn:
                notes.append(f"{c['case']}, hpglass warnings: " + " / ".join(warn))
                mark = f" ⚠ note {len(notes)}"
            lines.append(
                f"| {esc(c['case'])} | {qr} | {rc} | {esc(tool)}{mark} | {dens} | "
                f"{c['reference']} | {bkg} | {fmt(row.get('low_r_rms'), '.3f')} | {fmt(row.get('tail'), '+.3f')} | "
                f"{refs} | {1e3 * row['time_s']:.0f} ms | {1e3 * row['time_per_refinement_s']:.0f} ms |")
    return "\n".join(lines), notes


from common import machine, replace_block  # noqa: E402  (benchmarks/common.py)


def versions() -> str:
    import glassure

    try:
        import hpglass

        hp_version = hpglass.__version__
    except Exception as exc:  # noqa: BLE001
        hp_version = f"(import failed: {one_line(exc)})"
    backend = getattr(glassure, "get_backend", lambda: "?")()
    return f"hpglass {hp_version}, glassure {glassure.__version__} (backend {backend}), numpy {np.__version__}"


def settings_text() -> str:
    return f"""\
- **hpglass**: `process(sample, bkg, make_config(composition=…, wavelength=…, refine_density=True,
  refine_bkg=bkg is not None))`, everything else at its defaults: the q range and r_cutoff are chosen by hpglass
  (no q_min/q_max/r_cutoff given; for the "q_max" rows only `q_max` is given), no start density (its own coarse
  ρ scan), background scale started at its default. Refinements per call are read from
  `result.to_dict()["density_refinement"]["n_refinements"]` when hpglass reports it, else counted as 1.
- **glassure** (`optimize_density(data, config, method="fr")`, its `lsq` = TRF default, then `calculate_pdf` at the
  result, both timed): the q range and r_cutoff hpglass chose (its `result.q[0]`, `result.q[-1]` and
  `result.r_cutoff`; glassure's `limit` is exclusive, so its q limits are set half a step outside), Krogh-Moe
  integral normalization (`IntNormalization()`, its default attenuation), S(q) extended linearly to q = 0 from
  s0 = 1 − ⟨f²⟩/⟨f⟩² (`calculate_s0(…, "xraylib")`), xraylib form factors, Klein–Nishina correction, the same
  r grid and Eggert/Kaplow iterations as hpglass, no Lorch window; start density 1.5 g/cm³ (argon) or 2.5 g/cm³
  (oxides), background scale started where hpglass started it (1.0) and varied within glassure's default window
  ×(0.9, 1.1) and, in a second row, within (0.1, 3); no background varied for files without one. If hpglass
  fails on a file, glassure gets the data's whole q range and the r_cutoff of glassure's own tests (Ar 2.28 Å,
  oxides 1.4 Å) instead.
- **Columns**: ρ ± the error each tool gives (hpglass: statistical ⊕ systematic; glassure: the lsq standard
  error); rms of g(r) over {LOW_R_FROM} Å … r_cutoff from each tool's own g(r) without Lorch window (g = 0 there
  for a correct ρ and S(q)); ⟨S(q)⟩ − 1 over the top {100 * TAIL_FRACTION:.0f} % of the q range used (0 for a
  correct normalization); wall time per call = median after one warm-up call, one thread
  (OMP/OPENBLAS/MKL/NUMEXPR/RAYON_NUM_THREADS=1 before numpy is imported; glassure's single-pattern API runs its
  native engine on one thread); time per refinement = time per call / refinements.
- **Files** (../shared/data/xrd/glassure, see ../shared/data/README.md): units and wavelengths from the headers,
  checked against the README (Argon: q in nm⁻¹, λ 0.37 Å; Mg2SiO4_ambient λ 0.1908 Å; Mg2SiO4 in the DAC
  λ 0.31 Å, _175/_177 end in NaN rows that `read_pattern` drops; glass rod λ 0.2064 Å)."""


def update_readme(block: str) -> None:
    replace_block(README, BEGIN, END, block)


def to_jsonable(results: list[dict]) -> list[dict]:
    out = []
    for c in results:
        c = dict(c)
        c["rows"] = [{k: v for k, v in row.items() if not k.startswith("_")} for row in c.get("rows", [])]
        out.append(c)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1 timed call after the warm-up instead of 3")
    p.add_argument("--update-readme", action="store_true", help="rewrite the bench:real block of benchmarks/README.md")
    p.add_argument("--json", nargs="?", const="-", metavar="PATH", help="also write the results as JSON (- = stdout)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the shared data folder (default {DEFAULT_DATA})")
    p.add_argument("--only", default=None, help="run only the cases whose label contains this text")
    args = p.parse_args(argv)

    if not (args.data / SUBDIR).is_dir():
        print(f"SKIP: {args.data / SUBDIR} is absent (the real files live in ../shared/data); nothing to compare.")
        return 0
    try:
        import glassure  # noqa: F401
        from glassure.optimization import optimize_density  # noqa: F401
    except ImportError as exc:
        print(f"SKIP: glassure is not installed ({exc}): pip install -e '.[peer]' (or `make bench`).")
        return 0

    repeats = 1 if args.quick else 3
    t0 = time.perf_counter()
    results = []
    for case in cases():
        if args.only and args.only not in case.label:
            continue
        tc = time.perf_counter()
        results.append(run_case(case, args.data, repeats))
        print(f"  {case.label}: {time.perf_counter() - tc:.1f} s", file=sys.stderr, flush=True)
    wall = time.perf_counter() - t0

    table, notes = render_table(results)
    head = (f"Run {datetime.date.today().isoformat()} on {machine()}; {versions()}; one thread per tool; "
            f"{'--quick (1 timed call after a warm-up)' if args.quick else 'median of 3 after a warm-up'}; "
            f"{wall:.0f} s in all.")
    block = "\n".join([
        "### Settings", "", settings_text(), "", "### Results", "", head, "", table, "",
        "Notes:", "", *[f"{i}. {esc(n)}" for i, n in enumerate(notes, 1)], "", "References:", "", "```",
        REFERENCES, "```"])
    print(block)
    if args.json:
        payload = {"date": datetime.date.today().isoformat(), "machine": machine(), "versions": versions(),
                   "repeats": repeats, "wall_s": wall, "results": to_jsonable(results)}
        text = json.dumps(payload, indent=2, default=str, ensure_ascii=False)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
            print(f"\nwrote {args.json}")
    if args.update_readme:
        update_readme(block)
        print(f"\nwrote {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
