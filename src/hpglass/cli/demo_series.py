"""The demo's pressure series: patterns at a ladder of pressures → q1(P), r1(P) with breakpoints, glass density vs
P against the crystal EOS, the density crossover and the crystallization onset (bundled SYNTHETIC data)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..demo_data import DEMO_SERIES, demo_folder
from ..eos.crossover import density_crossover
from ..eos.fit import eos_from_params, fit_density
from ..io import read_pattern, write_table
from ..precision import fmt_value, fmt_with
from ..scattering import make_config, process
from ..series.crystallization import find_crystallization
from ..series.records import Series


def _manifest(folder: Path) -> list[dict]:
    with open(folder / DEMO_SERIES["manifest"], newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def run_series(out: Path) -> dict:
    s = DEMO_SERIES
    folder = demo_folder() / "series"
    rows = _manifest(folder)
    bkg = read_pattern(folder / s["background_file"])
    pressures = [float(r["pressure_GPa"]) for r in rows]
    patterns = [read_pattern(folder / r["file"]) for r in rows]

    cryst = find_crystallization(pressures, patterns, "compression")
    onset = cryst.onset_GPa
    entries, per_pattern = [], []
    for r, p, pat in zip(rows, pressures, patterns, strict=True):
        res = process(pat, bkg, make_config(composition="Sb2Se3", wavelength=pat.wavelength, refine_density=True,
                                            refine_bkg=True))
        d = res.to_dict()
        amorphous = onset is None or p < onset
        if amorphous:  # the glass's trends and EOS use amorphous patterns only
            entries.append(("demo", "compression", p, res))
        per_pattern.append({"pressure_GPa": p, "amorphous": amorphous, "density_g_cm3": res.density_g_cm3,
                            "density_err_g_cm3": res.density_err_g_cm3, "true_density_g_cm3":
                                float(r["true_density_g_cm3"]), "bkg_scale": res.bkg_scale, "true_bkg_scale":
                                float(r["true_bkg_scale"]), "q1_A-1": d["q1_A-1"], "q1_err_A-1": d["q1_err_A-1"],
                            "true_q1_A-1": float(r["true_q1_A-1"]), "r1_A": d["r1_A"], "cn": d["cn"]})
    series = Series.from_scatter_results(entries, source="demo series")
    q1_fit = series.trend("q1", n_segments=2)
    r1_fit = series.trend("r1")
    p_g, rho_g, rho_err = series.scalar("density")
    glass = fit_density(p_g, rho_g, None, rho_err, composition="Sb2Se3", form="bm3", label="glass (refined)")
    c = s["crystal_eos"]
    crystal = eos_from_params("bm3", rho0=c["rho0_g_cm3"], K0=c["K0_GPa"], K0p=c["K0p"],
                              label="crystal (model EOS, assumed parameters)")
    cross = density_crossover(glass, crystal, (0.0, max(pressures)))

    tdir = out / "series"
    tdir.mkdir(parents=True, exist_ok=True)
    keys = list(per_pattern[0])
    write_table(tdir / "series.dat", {k: np.array([np.nan if v[k] is None else float(v[k]) for v in per_pattern])
                                      for k in keys}, ["demo pressure series (SYNTHETIC data), per pattern"])
    fig = _figure(per_pattern, q1_fit, r1_fit, glass, crystal, cross, onset, tdir / "series.png")
    q1d = q1_fit.to_dict()
    return {
        "label": s["label"],
        "truth": {"q1_break_GPa": s["q1_break_GPa"], "q1_slopes_A-1_per_GPa": list(s["q1_slopes_A-1_per_GPa"]),
                  "crossover_GPa": s["glass_eos"]["crossover_GPa"], "crystallization_onset_GPa": s["bragg_from_GPa"],
                  "crystal_eos": dict(c), "note": "crystal EOS parameters are assumed model values, not literature"},
        "measured": {
            "q1_trend": q1d, "r1_trend": r1_fit.to_dict(), "glass_eos": glass.to_dict(),
            "crossover_GPa": cross.pressure_GPa, "crossover_err_GPa": cross.err_GPa,
            "crystallization_onset_GPa": onset, "crystallization_note": cryst.note,
            "max_density_error_pct": max(100 * abs(v["density_g_cm3"] / v["true_density_g_cm3"] - 1)
                                         for v in per_pattern),
            "per_pattern": per_pattern,
        },
        "files": {"figure": str(fig), "table": str(tdir / "series.dat")},
    }


def _figure(pp, q1_fit, r1_fit, glass, crystal, cross, onset, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .demo import _save

    p = np.array([v["pressure_GPa"] for v in pp])
    am = np.array([v["amorphous"] for v in pp])
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    q1 = np.array([np.nan if v["q1_A-1"] is None else v["q1_A-1"] for v in pp])
    ax[0].plot(p[am], q1[am], "o", ms=4, label="q1 (amorphous)")
    ax[0].plot(p[~am], q1[~am], "x", color="0.5", label="crystallized")
    xx = np.linspace(p.min(), p[am].max(), 200)
    ax[0].plot(xx, q1_fit.predict(xx), "C3", lw=1, label="two-regime fit")
    for b in q1_fit.breakpoints:
        ax[0].axvline(b, color="0.6", ls="--", lw=0.8)
    ax[0].set(xlabel="P (GPa)", ylabel="q1 (Å⁻¹)", title="principal peak of S(q)")
    ax[0].legend(fontsize=7)
    r1 = np.array([np.nan if v["r1_A"] is None else v["r1_A"] for v in pp])
    ax[1].plot(p[am], r1[am], "s", ms=4, color="C2")
    ax[1].plot(xx, r1_fit.predict(xx), "C3", lw=1)
    ax[1].set(xlabel="P (GPa)", ylabel="r1 (Å)", title="first g(r) peak")
    rho = np.array([v["density_g_cm3"] for v in pp])
    err = np.array([v["density_err_g_cm3"] for v in pp])
    ax[2].errorbar(p[am], rho[am], err[am], fmt="o", ms=3, label="glass (refined)")
    pg = np.linspace(0, p.max(), 200)
    ax[2].plot(pg, glass.density(pg)[0], "C0", lw=1, label="glass BM3 fit")
    ax[2].plot(pg, crystal.density(pg)[0], "k--", lw=1, label="crystal (model EOS)")
    if cross.pressure_GPa is not None:
        ax[2].axvline(cross.pressure_GPa, color="C3", lw=0.8, label=f"crossover {fmt_with(cross.pressure_GPa, cross.err_GPa, 'GPa')}")
    if onset is not None:
        ax[2].axvspan(onset, p.max(), color="0.9", label=f"Bragg peaks from {fmt_value(onset, 'GPa')}")
    ax[2].set(xlabel="P (GPa)", ylabel="ρ (g/cm³)", title="density vs pressure")
    ax[2].legend(fontsize=7)
    return _save(fig, path, "hpglass demo — SYNTHETIC pressure series (known slopes, densities, crossover)")
