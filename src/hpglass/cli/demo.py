"""`hpglass demo`: everything hpglass can do so far, on bundled example data (labelled synthetic)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer

from ..precision import fmt_value, fmt_with
from .common import dumps, echo_json, err_console, handle_errors, status

if TYPE_CHECKING:
    from ..scattering.pipeline import ScatterResult

# The demo's data, the diffraction chain and the report are imported inside the functions that use them: this
# module is imported by every `hpglass` start-up (main.py registers the command), and demo_data pulls in
# scattering → scipy.signal (≈ 1 s); see issue 14 (`transport sigma` on 70 000 rows in < 5 s, most of it start-up).


def run_diffraction(out: Path) -> dict:
    from ..demo_data import DEMO_XRD, demo_folder, demo_truth_sq
    from ..io import read_pattern
    from ..scattering.config import make_config
    from ..scattering.pipeline import process
    from .scatter import write_outputs

    p = DEMO_XRD
    folder = demo_folder()
    sample = read_pattern(folder / p["sample_file"])
    bkg = read_pattern(folder / p["background_file"])
    cfg = make_config(composition=p["composition"], wavelength=sample.wavelength, refine_density=True,
                      refine_bkg=True)
    result = process(sample, bkg, cfg)
    paths = write_outputs(result, out / "diffraction")
    paths["figure"] = str(_figure(result, out / "diffraction" / "diffraction.png"))
    truth = {"density_g_cm3": p["density_g_cm3"], "bkg_scale": p["bkg_scale"]}
    sq_true = demo_truth_sq(result.q)
    return {
        "label": "SYNTHETIC pattern (Percus–Yevick S(q) through the xray model, DAC background, noise) — "
                 "not measured data",
        "truth": truth,
        "measured": result.to_dict(),
        "recovery": {
            "density_rel_err_pct": 100 * (result.density_g_cm3 / truth["density_g_cm3"] - 1),
            "bkg_scale_rel_err_pct": 100 * (result.bkg_scale / truth["bkg_scale"] - 1),
            "sq_rms_vs_truth": float(np.sqrt(np.mean((result.sq - sq_true) ** 2))),
        },
        "files": paths,
    }


def _save(fig, path: Path, title: str) -> Path:
    """Title, layout, atomic PNG write, close."""
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path


def _figure(result: ScatterResult, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..demo_data import demo_truth_sq

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    ax[0].plot(result.q, demo_truth_sq(result.q), color="0.6", lw=3, label="true S(q) (Percus–Yevick)")
    ax[0].plot(result.q, result.sq, color="C0", lw=1, label="hpglass")
    ax[0].set(xlabel="q (Å⁻¹)", ylabel="S(q)", title="structure factor (Faber–Ziman)")
    ax[0].legend(fontsize=8)
    ax[1].plot(result.r, result.fr, color="C1")
    ax[1].plot(result.r, -4 * np.pi * result.number_density * result.r, "k--", lw=0.8, label="−4πρr")
    ax[1].set(xlabel="r (Å)", ylabel="F(r) (Å⁻²)", title="F(r) = 4πρr[g(r) − 1]", xlim=(0, result.r[-1]))
    ax[1].legend(fontsize=8)
    ax[2].plot(result.r, result.gr, color="C2")
    ax[2].axhline(1, color="0.7", lw=0.8)
    ax[2].set(xlabel="r (Å)", ylabel="g(r)", title=f"g(r); ρ = {fmt_with(result.density_g_cm3, result.density_err_g_cm3, 'g/cm³')}",
              xlim=(0, result.r[-1]))
    return _save(fig, path, "hpglass demo — SYNTHETIC a-Sb2Se3-like pattern (known answer), λ = 0.2952 Å")


def run_transport(out: Path) -> dict:
    """Tc of the two-transition curve, Hc2 from R(T) at seven fields, σ(P) regimes — on bundled SYNTHETIC files."""
    from ..demo_data import DEMO_TRANSPORT, demo_folder
    from ..io import read_qd, read_rt_table, write_table
    from ..transport import conductivity_regimes, find_tc, fit_hc2, hc2_points_from_rt, split_sweeps
    from ..transport.synthetic import gl_hc2

    p = DEMO_TRANSPORT
    folder = demo_folder()
    (out / "transport").mkdir(parents=True, exist_ok=True)
    double = find_tc(read_qd(folder / p["double_file"]).curve())
    sweeps = split_sweeps(read_qd(folder / p["hc2_file"]).curve())
    zero_field = find_tc(sweeps[0])
    hc2 = fit_hc2(hc2_points_from_rt(sweeps, criterion=50.0), slope_model="quadratic")
    table = read_rt_table(folder / p["sigma_file"], x="P")
    sig = conductivity_regimes(table.pressure_GPa, table.values, kind="resistivity")
    pts = hc2.points
    write_table(out / "transport" / "hc2_points.dat", {"T_K": pts.T_K, "mu0Hc2_T": pts.H_T,
                                                      "T_err_K": pts.T_err_K, "H_err_T": pts.H_err_T},
                ["Hc2(T) points, 50 % criterion; SYNTHETIC demo data"])
    fig = _transport_figure(sweeps, hc2, table, sig, out / "transport" / "transport.png")
    tc_true = p["tc_K"]
    return {
        "label": DEMO_TRANSPORT["label"],
        "truth": {"tc_50_K": tc_true, "two_transitions_K": list(p["two_transitions_K"]),
                  "hc2_gl_0_T": p["hc2_0_T"], "sigma_breaks_GPa": list(p["sigma_p"]["breaks_GPa"]),
                  "initial_slope_T_per_K": -p["hc2_0_T"] / tc_true,
                  "hc2_law": "GL: Hc2(T) = Hc2(0)(1 − t²)/(1 + t²)"},
        "measured": {"zero_field": zero_field.to_dict(), "two_transitions": double.to_dict(), "hc2": hc2.to_dict(),
                     "sigma": sig.to_dict()},
        "recovery": {
            "tc_50_err_K": zero_field.tc_50_K - tc_true,
            "hc2_gl_rel_err_pct": 100 * (hc2.hc2_gl_T / p["hc2_0_T"] - 1),
            "transitions_found_K": [t.t_mid_K for t in double.transitions],
            "gl_law_rms_T": float(np.sqrt(np.mean((pts.H_T - gl_hc2(pts.T_K / tc_true,
                                                                            p["hc2_0_T"])) ** 2))),
        },
        "files": {"figure": str(fig), "hc2_points": str(out / "transport" / "hc2_points.dat")},
    }


def _transport_figure(sweeps, hc2, table, sig, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    for s in sweeps:
        ax[0].plot(s.temperature_K, s.resistance_ohm, lw=1, label=f"{s.mean_field_T:g} T")
    ax[0].set(xlabel="T (K)", ylabel="R (Ω)", title="R(T) at fixed μ0H")
    ax[0].legend(fontsize=7, ncol=2)
    hc2.plot(ax=ax[1])
    ax[1].set(title="μ0Hc2(T): WHH and GL")
    p = table.pressure_GPa
    ax[2].semilogy(p, 1.0 / table.values, "o", ms=3, label="σ (synthetic)")
    d = sig["compression"] if "compression" in sig.directions else sig[sig.directions[0]]
    for b in d.fit.breakpoints:
        ax[2].axvline(b, color="0.6", ls="--", lw=0.8)
    pp = np.linspace(p.min(), p.max(), 300)
    ax[2].semilogy(pp, 10 ** d.fit.predict(pp), "C3", lw=1, label="piecewise fit")
    ax[2].set(xlabel="P (GPa)", ylabel="σ (S/cm)", title="room-T conductivity: regimes")
    ax[2].legend(fontsize=8)
    return _save(fig, path, "hpglass demo — SYNTHETIC transport curves (known Tc, Hc2, breakpoints)")


@handle_errors
def demo(
    out: Annotated[Path, typer.Option(help="output folder")] = Path("demo-out"),
    workers: Annotated[int, typer.Option(help="worker processes of the study run (1: fastest for the small "
                                              "bundled study on 2 cores)")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Run the bundled a-Sb2Se3 study (report.html, figures, tables, claims vs the paper) and the known-answer
    checks of each stream on its SYNTHETIC data (checks/)."""
    from ..errors import InputError
    from ..io import atomic_write_text
    from ..report.claims import claim_counts
    from ..study import bundled_study, load_study, run_study

    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", source=out)
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}", field="--workers")
    out.mkdir(parents=True, exist_ok=True)
    with status("demo: the bundled study (diffraction, transport, simulation → report) …", json_out):
        result = run_study(load_study(bundled_study()), out, workers=workers)
    claims = [c.to_dict() for c in result.claims]
    summary = {"study": {
        "study_file": str(bundled_study()), "report": result.files.get("report"),
        "summary": result.files.get("summary"), "figures": result.files.get("figures"),
        "tables": result.files.get("tables"), "timings_s": result.timings_s,
        "claims": claim_counts(claims),
        "claims_table": claims,
        "phase_boundaries": [b.to_dict() for b in result.phase_diagram.boundaries],
    }}
    checks = out / "checks"
    checks.mkdir(exist_ok=True)
    with status("demo: known-answer check of the diffraction chain …", json_out):
        summary["diffraction"] = run_diffraction(checks)
    with status("demo: known-answer check of transport …", json_out):
        summary["transport"] = run_transport(checks)
    with status("demo: known-answer check of a pressure series …", json_out):
        from .demo_series import run_series

        summary["series"] = run_series(checks)
    summary["summary_file"] = str(atomic_write_text(out / "demo.json", dumps(summary) + "\n"))
    if json_out:
        echo_json(summary)
        return
    for line in summary_lines(summary, out):
        err_console.print(line)


def _pct(value: float, truth: float, err: float | None) -> str:
    """Relative deviation from the truth in %, with the error scaled alike."""
    return fmt_with(100 * (value / truth - 1), None if err is None else 100 * err / abs(truth), "%")


def summary_lines(summary: dict, out: Path) -> list[str]:
    """The terminal summary of a demo run (rich markup), every number by the one display rule of
    :mod:`hpglass.precision`: with its error where the result carries one (``fmt``), else ``fmt_value``."""
    from ..report.claims import headline

    lines = []
    st = summary["study"]
    lines.append(f"[bold]hpglass demo[/bold] — the bundled study ({Path(st['study_file']).name}; SYNTHETIC and "
                 "simulated inputs, labelled in the report)")
    lines.append(f"  claims of the paper: {headline(st['claims'])}")
    for b in st["phase_boundaries"]:
        lines.append(f"  {b['name']}: {fmt_with(b['pressure_GPa'], b.get('err_GPa'), 'GPa')} from {b['source']}")
    lines.append(f"  report: {st['report']}")
    d = summary["diffraction"]
    m, tr = d["measured"], d["truth"]
    lines.append(f"[bold]known-answer check: diffraction[/bold] — {d['label']}")
    lines.append(f"  density     {fmt_with(m['density_g_cm3'], m.get('density_err_g_cm3'), 'g/cm³')} "
                 f"(true {fmt_value(tr['density_g_cm3'])}; "
                 f"{_pct(m['density_g_cm3'], tr['density_g_cm3'], m.get('density_err_g_cm3'))})")
    lines.append(f"  bkg scale   {fmt_with(m['bkg_scale'], m.get('bkg_scale_err'))} (true {fmt_value(tr['bkg_scale'])}; "
                 f"{_pct(m['bkg_scale'], tr['bkg_scale'], m.get('bkg_scale_err'))})")
    cn = fmt_with(m.get("cn"), m.get("cn_err"))
    lines.append(f"  q1 = {fmt_with(m.get('q1_A-1'), m.get('q1_err_A-1'), 'Å⁻¹')}, "
                 f"r1 = {fmt_with(m.get('r1_A'), m.get('r1_err_A'), 'Å')}, "
                 f"CN = {cn}{'' if m.get('cn_err') else ' (no error estimated)'}")
    lines.append(f"  written: {out}/demo.json, {d['files']['figure']}, tables in {out}/checks/diffraction/")
    t = summary["transport"]
    tm, tt = t["measured"], t["truth"]
    lines.append(f"[bold]transport[/bold] — {t['label']}")
    z = tm["zero_field"]
    found = ", ".join(fmt_with(x["t_mid_K"], x.get("t_mid_err_K")) for x in tm["two_transitions"]["transitions"])
    lines.append(f"  Tc(50 %, 0 T) {fmt_with(z['tc_50_K'], z.get('tc_50_err_K'), 'K')} "
                 f"(true {fmt_value(tt['tc_50_K'])}); two transitions at {found} K "
                 f"(true {', '.join(fmt_value(x) for x in tt['two_transitions_K'])})")
    h = tm["hc2"]
    lines.append(f"  μ0Hc2(0): GL {fmt_with(h['hc2_gl_T'], h.get('hc2_gl_err_T'), 'T')} "
                 f"(true {fmt_value(tt['hc2_gl_0_T'])}), WHH −0.693·Tc·slope "
                 f"{fmt_with(h['hc2_whh_T'], h.get('hc2_whh_err_T'), 'T')}; Pauli {fmt_value(h['pauli_limit_T'], 'T')}")
    first = next(iter(tm["sigma"]["directions"].values()))
    errs = first.get("breakpoint_errs_GPa") or [None] * len(first["breakpoints_GPa"])
    lines.append(f"  σ(P) breakpoints {', '.join(fmt_with(b, e) for b, e in zip(first['breakpoints_GPa'], errs))} "
                 f"GPa (true {', '.join(fmt_value(x) for x in tt['sigma_breaks_GPa'])})")
    lines.append(f"  written: {t['files']['figure']}, {t['files']['hc2_points']}")
    s = summary["series"]
    sm, sx = s["measured"], s["truth"]
    q1 = sm["q1_trend"]
    lines.append(f"[bold]pressure series[/bold] — {s['label']}")
    lines.append(f"  q1 break {fmt_with(q1['breakpoints'][0], q1['breakpoint_sigmas'][0], 'GPa')} "
                 f"(true {fmt_value(sx['q1_break_GPa'])}); slopes {fmt_with(q1['slopes'][0], q1['slope_errs'][0])}, "
                 f"{fmt_with(q1['slopes'][1], q1['slope_errs'][1])} Å⁻¹/GPa "
                 f"(true {', '.join(fmt_value(x) for x in sx['q1_slopes_A-1_per_GPa'])})")
    cross = sm["crossover_GPa"]
    onset = sm["crystallization_onset_GPa"]
    lines.append("  glass–crystal density crossover "
                 + (fmt_with(cross, sm.get("crossover_err_GPa"), "GPa") if cross is not None else "none")
                 + f" (true {fmt_value(sx['crossover_GPa'])}); crystallization onset "
                 + (fmt_value(onset, "GPa") if onset is not None else "none")
                 + f" (true {fmt_value(sx['crystallization_onset_GPa'])}); density errors ≤ "
                 f"{fmt_value(sm['max_density_error_pct'], '%')}")
    lines.append(f"  written: {s['files']['figure']}, {s['files']['table']}")
    return lines
