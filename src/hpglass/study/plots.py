"""Figures of a study run: maps a :class:`~hpglass.study.results.StudyResult` onto the report's figure functions
(:mod:`hpglass.report.figures`, the paper's Figs. 1–5) and saves each as PNG + SVG.

This module only translates results into the figure functions' inputs; the drawing is theirs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .results import StudyResult

__all__ = ["FIGURES", "figure_inputs", "write_figures"]

#: file stem → what the figure shows
FIGURES = {
    "fig1_transport": "Fig. 1 — room-temperature transport vs P, R(T) near Tc, μ0Hc2(T)",
    "fig2_diffraction": "Fig. 2 — S(q), g(r), q1(P) with its regimes, r1(P) against the crystal references",
    "fig3_simulation": "Fig. 3 — simulated g(r), bond angles, coordination, rings",
    "fig4_eos_phase_diagram": "Fig. 4 — glass density and EOS with the density crossover; Tc–P phase diagram",
    "fig5_distortion_elf": "Fig. 5 — Peierls-like distortion (ALTBC) at low and high density; ELF",
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
                patterns[p.pressure_GPa] = F.PatternCurves(q_A=d["q"], sq=d["sq"], r_A=d["r"], gr=d["gr"])
        fp = [(p.pressure_GPa, (p.scatter.get("fsdp") or {}).get("position_A-1")) for p in run.points]
        fp = [x for x in fp if x[1] is not None]
        if len(fp) >= 2:
            fsdp = F.TrendPoints(np.array([x[0] for x in fp]), np.array([x[1] for x in fp]), label="FSDP")
    if result.references:
        pr = np.asarray(result.references["pressure_GPa"], dtype=float)
        for name, r1 in result.references["curves"].items():
            crystal.append(F.CrystalR1Curve(name, pr, np.asarray(r1, dtype=float)))
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


def _fig3(result: StudyResult):
    from ..report import figures as F

    pts = [structure_at_pressure(p) for r in result.simulation for p in r.points]
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
                                      None if np.all(np.isnan(err)) else err, label=f"glass ({run.name})",
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
                                    p_max_GPa=pd.p_range_GPa[1] * 1.05 if pd.p_range_GPa[1] > 0 else None)


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

    pts = sorted((p for r in result.simulation for p in r.points), key=lambda p: p.pressure_GPa)
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
