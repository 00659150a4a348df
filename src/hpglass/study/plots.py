"""Figures of a study run: maps a :class:`~hpglass.study.results.StudyResult` onto the report's figure functions
(:mod:`hpglass.report.figures`, the paper's Figs. 1–5) and saves each as PNG + SVG.

This module only translates results into the figure functions' inputs; the drawing is theirs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .results import StudyResult

__all__ = ["FIGURES", "figure_inputs", "simulated_densities", "write_figures"]

#: file stem → what the figure shows
FIGURES = {
    "fig1_transport": "Fig. 1 — (a) room-temperature transport vs P with the piecewise log₁₀σ(P) fit (slopes with "
                      "their 1σ errors in the key), (b) R(T) near Tc, a representative subset offset, pressure as the "
                      "colour bar, (c) μ0Hc2(T) with the WHH and Ginzburg–Landau fits",
    "fig2_diffraction": "Fig. 2 — (a) S(q) and (b) g(r) of each pattern, offset by pressure; in (b) g(r) is drawn "
                        "as 0 (grey) below the reduction's r_cutoff, where no pair of atoms is closer and the "
                        "Eggert/Kaplow correction holds g at 0 within the noise (the residual wiggles there, amplified "
                        "towards r = 0 by the 1/r of g = 1 + F/(4πρr), are not structure); above r_cutoff the curve is "
                        "the one the reduction wrote, and a dip just below the first peak is the termination ripple "
                        "of the transform at q_max. (c) principal-peak position q1 vs P with the piecewise fit, its "
                        "1σ band and the breakpoint with its confidence interval (FSDP position on the right axis). "
                        "(d) first g(r) peak r1 of the glass vs P with its fit, against the crystal references' r1(P) "
                        "by the same definition (first maximum of the Z-weighted total g(r), pairs broadened by "
                        "sample.crystal.reference_sigma_A): Pnma from the crystal structure relaxed at each pressure "
                        "(where the study gives them) and bcc at the crystal-EOS density",
    "fig3_simulation": "Fig. 3 — simulated glass: total and partial g(r), bond-angle distributions by centre species "
                       "(offset by pressure), mean coordination per pair and ring statistics vs P (frame averages)",
    "fig4_eos_phase_diagram": "Fig. 4 — (a) glass density vs P: densities refined from the diffraction patterns "
                              "(filled, 1σ), the simulated glass's own densities (open diamonds: mass / cell volume "
                              "of its frames, mean ± standard deviation over the frames at each pressure), the glass "
                              "EOS fitted to the refined densities with its 1σ band, the crystal EOS, and their "
                              "density crossover with its 1σ band; (b) Tc–P phase diagram with the LDA / HDA / bcc "
                              "regions (hatched: ±1σ of each boundary)",
    "fig5_distortion_elf": "Fig. 5 — Peierls-like distortion (ALTBC maps) at the lowest and highest pressure; ELF "
                           "histograms by species of the LDA and HDA frames and slices through them",
}


def _fig1(result: StudyResult):
    from ..report import figures as F

    rooms, rts, hc2 = [], [], {}
    for run in result.transport:
        s = run.sigma
        if s is not None:
            rooms.append(F.RoomTemperatureSeries(run=run.name, pressure_GPa=np.asarray(s["pressure_GPa"]),
                                                 values=np.asarray(s["values"]), kind=s["kind"],
                                                 direction=s["directions"] or run.direction,
                                                 regimes=s.get("regimes_obj")))
        for c in run.curves:
            rts.append(F.RtNearTc(pressure_GPa=c.pressure_GPa, curve=(c.data["T_K"], c.data["R_ohm"]),
                                  tc=c.data.get("tc_obj"), run=run.name, direction=run.direction))
            if c.data.get("hc2_obj") is not None:
                label = c.pressure_GPa if run.direction == "compression" else \
                    f"{c.pressure_GPa:g} GPa decompression"
                hc2[label] = c.data["hc2_obj"]
    return F.fig1_transport(rooms or None, rts or None, hc2 or None)


#: (curve, from its own structures) → legend label of a crystal reference's r1 curve in Fig. 2d
_CRYSTAL_LABELS = {("bcc", False): "bcc crystal at the crystal-EOS density",
                   ("Pnma", True): "Pnma crystal, relaxed at each P",
                   ("Pnma", False): "Pnma crystal, scaled along the crystal EOS"}


def _fig2(result: StudyResult):
    from ..report import figures as F

    run = next((r for r in result.diffraction if r.direction == "compression"), None) or \
        (result.diffraction[0] if result.diffraction else None)
    patterns, fsdp = {}, None
    crystal = []
    if run is not None:
        for p in run.points:
            d = p.data
            if d.get("sq") is not None:
                patterns[p.pressure_GPa] = F.PatternCurves(q_A=d["q"], sq=d["sq"], r_A=d["r"], gr=d["gr"],
                                                           r_cutoff_A=p.scatter.get("r_cutoff_A"))
        fp = [(p.pressure_GPa, (p.scatter.get("fsdp") or {}).get("position_A-1")) for p in run.points]
        fp = [x for x in fp if x[1] is not None]
        if len(fp) >= 2:
            fsdp = F.TrendPoints(np.array([x[0] for x in fp]), np.array([x[1] for x in fp]), label="FSDP")
    own = (result.references or {}).get("pressures_by_curve") or {}
    for name, pr in result.crystal_r1_curves().items():
        label = _CRYSTAL_LABELS.get((name, name in own), name)
        crystal.append(F.CrystalR1Curve(label, pr, np.asarray(result.references["curves"][name], dtype=float)))
    return F.fig2_diffraction(patterns or None, None if run is None else run.q1_fit,
                              None if run is None else run.r1_fit, crystal or None, fsdp=fsdp)


def structure_at_pressure(point):
    """A simulated point (:class:`~hpglass.study.results.SimulationPoint`) as the figure input."""
    from ..report import figures as F

    a = point.arrays
    kw: dict = {}
    g = a.get("gr") or {}
    if "r_A" in g:
        kw["r_A"] = g["r_A"]
        kw["g_total"] = g.get("g_total")
        kw["g_partials"] = {k[2:]: v for k, v in g.items() if k.startswith("g_") and k != "g_total"
                            and not k.endswith("_sem")}
    adf = a.get("adf") or {}
    if "angle_deg" in adf:
        kw["angle_deg"] = adf["angle_deg"]
        dens = {"all": adf.get("density_per_deg")}
        dens.update({k[8:]: v for k, v in adf.items() if k.startswith("density_") and k != "density_per_deg"
                     and not k.endswith("_sem")})
        kw["angle_density"] = {k: v for k, v in dens.items() if v is not None}
    coord = point.summary.get("coordination") or {}
    if coord.get("by_pair"):
        kw["coordination"] = {k: float(v) for k, v in coord["by_pair"].items() if v is not None}
        kw["coordination_err"] = {k: float(v) for k, v in (coord.get("by_pair_sem") or {}).items() if v is not None}
    rings = (point.summary.get("rings") or {}).get("per_atom") or {}
    if rings:
        kw["rings"] = {int(k): float(v) for k, v in rings.items()}
    p = point.pressure_GPa if point.pressure_GPa is not None else float("nan")
    return F.StructureAtPressure(pressure_GPa=p, label=point.label, **kw)


def _sim_points_for_trends(result: StudyResult) -> list:
    """The simulation points the structure-vs-pressure figures draw: the compression runs' (the way up is the
    trend the figures show; a decompression run appears in Fig. 4's densities, drawn as its own series), or every
    run's when there is no compression run."""
    runs = [r for r in result.simulation if r.direction == "compression"] or list(result.simulation)
    return [p for r in runs for p in r.points]


def _fig3(result: StudyResult):
    from ..report import figures as F

    pts = [structure_at_pressure(p) for p in _sim_points_for_trends(result)]
    return F.fig3_simulation(pts or None)


def _fig4(result: StudyResult):
    from ..report import figures as F

    dens, glass, crystal, cross = [], None, [], None
    for run in result.diffraction:
        am = [p for p in run.points if not p.crystalline and p.value("density_g_cm3") is not None]
        if am:
            err = np.array([np.nan if p.value("density_err_g_cm3") is None else p.value("density_err_g_cm3")
                            for p in am])
            dens.append(F.TrendPoints(np.array([p.pressure_GPa for p in am]),
                                      np.array([p.value("density_g_cm3") for p in am]),
                                      None if np.all(np.isnan(err)) else err,
                                      label=f"glass, refined from diffraction ({run.name})",
                                      direction=run.direction))
        if glass is None and run.glass_eos is not None:
            glass = run.glass_eos
        if not crystal and run.crystal_eos is not None:
            crystal = [run.crystal_eos]
        if cross is None and run.crossover is not None:
            cross = run.crossover
    pd = result.phase_diagram
    tcs = []
    for t in pd.tc_points:
        if t["tc_K"] is None:
            continue
        tcs.append(F.TcPoint(run=t["run"], direction=t["direction"], pressure_GPa=t["pressure_GPa"],
                             tc_K=t["tc_K"]))
        extra = sorted(x for x in t["transitions_K"] if x is not None)
        if len(extra) > 1:
            # the curve's Tc (a criterion on the whole curve) stands for the transition nearest to it; every
            # other step is drawn as its own point (with two equal steps the 50 % level sits between them)
            nearest = min(extra, key=lambda x: abs(x - t["tc_K"]))
            tcs += [F.TcPoint(run=t["run"], direction=t["direction"], pressure_GPa=t["pressure_GPa"], tc_K=x,
                              label="second transition") for x in extra if x != nearest]
    src = {b.name: b.source for b in pd.boundaries}
    regions = [F.Region(name=r.name, p_lo_GPa=r.lo_GPa, p_lo_err_GPa=r.lo_err_GPa, p_hi_GPa=r.hi_GPa,
                        p_hi_err_GPa=r.hi_err_GPa, source="; ".join(src.values())) for r in pd.regions]
    return F.fig4_eos_phase_diagram(dens or None, glass, crystal or None, cross, tcs or None, regions or None,
                                    p_max_GPa=pd.p_range_GPa[1] * 1.05 if pd.p_range_GPa[1] > 0 else None,
                                    simulated_density=simulated_densities(result) or None)


def simulated_densities(result: StudyResult) -> list:
    """Each simulation run's own glass densities (mass / cell volume of its frames: mean ± standard deviation over
    the frames at each pressure, :attr:`~hpglass.study.results.SimulationPoint.density_std_g_cm3`) as Fig. 4a
    points; crystal references (no pressure) are left out."""
    from ..report import figures as F

    out = []
    for run in result.simulation:
        pts = [p for p in run.points if p.pressure_GPa is not None and p.summary.get("density_g_cm3") is not None]
        if not pts:
            continue
        err = np.array([np.nan if p.density_std_g_cm3 is None else p.density_std_g_cm3 for p in pts])
        out.append(F.TrendPoints(np.array([p.pressure_GPa for p in pts], dtype=float),
                                 np.array([p.summary["density_g_cm3"] for p in pts], dtype=float),
                                 None if np.all(np.isnan(err)) else err,
                                 label=f"simulated glass, {run.name}: mean ± s.d. over frames",
                                 direction=run.direction))
    return out


def _altbc(point):
    from ..report import figures as F

    m = (point.arrays or {}).get("altbc_map")
    if m is None:
        path = Path(point.summary.get("files", {}).get("altbc_file") or "")
        if not path.is_file():
            return None
        data = np.loadtxt(path, ndmin=2)
        n = round(np.sqrt(data.shape[0]))
        if n * n != data.shape[0]:
            return None
        r = data[:, 0].reshape(n, n)[:, 0]
        m = (r, data[:, 2].reshape(n, n))
    return F.AltbcMap(r_A=m[0], density=m[1], label=point.label, pressure_GPa=point.pressure_GPa,
                      density_g_cm3=point.summary.get("density_g_cm3"))


def _fig5(result: StudyResult):
    from ..report import figures as F

    pts = sorted(_sim_points_for_trends(result), key=lambda p: p.pressure_GPa)
    low = _altbc(pts[0]) if pts else None
    high = _altbc(pts[-1]) if len(pts) > 1 else None
    elf = [p for p in pts if (p.arrays or {}).get("elf")]  # ELF grids of the run ([[simulation]] elf)
    hists = [F.ElfHistogram(np.asarray(p.arrays["elf"]["edges"]), dict(p.arrays["elf"]["by_species"]),
                            f"{p.pressure_GPa:g} GPa") for p in elf]
    slices = [F.ElfSlice(np.asarray(p.arrays["elf"]["slice"]["values"], dtype=float).T,
                         tuple(p.arrays["elf"]["slice"]["extent_A"]),
                         f"{p.pressure_GPa:g} GPa, c = ½") for p in elf]
    return F.fig5_distortion_elf(low, high, hists[0] if hists else None,
                                 hists[-1] if len(hists) > 1 else None, slices or None)


_MAKERS = {"fig1_transport": _fig1, "fig2_diffraction": _fig2, "fig3_simulation": _fig3,
           "fig4_eos_phase_diagram": _fig4, "fig5_distortion_elf": _fig5}


def figure_inputs() -> dict:
    """stem → the function that draws it from a StudyResult."""
    return dict(_MAKERS)


def write_figures(result: StudyResult, folder: Path) -> dict[str, list[str]]:
    """Draw Figs. 1–5 and save each as PNG + SVG in ``folder``; returns stem → [png, svg]."""
    from ..report.figures import save_figure

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for stem, make in _MAKERS.items():
        fig = make(result)
        out[stem] = [str(p) for p in save_figure(fig, folder / stem)]
    return out
