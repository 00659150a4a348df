"""Run a whole study: every stream's pieces (fanned out, cached), the per-run aggregates, the phase diagram, the
claims table, and the outputs (tables, figures, report.html).

Flow of :func:`run_study`:

1. plan — one task per independent piece (a pattern, an R(T) file, a ρ(P) table, a trajectory, the crystal
   references), each with its cache key (:func:`hpglass.study.cache.piece_key`: input bytes + the settings it
   uses);
2. compute the pieces not in ``OUT/.cache`` with :func:`hpglass.parallel.map_frames` (local processes by default, a
   dask.distributed scheduler when an address is given);
3. aggregate per run (crystallization onset, q1/r1 piecewise trends, glass EOS and its density crossover with the
   crystal EOS — cached under a key made of its pieces' keys and settings) and across runs (Tc(P), the phase
   diagram's regions and boundaries);
4. evaluate the claims of the reference study (:mod:`hpglass.report.claims`);
5. write tables, figures and report.html atomically (``hpglass.study.tables``, ``hpglass.report``).

Phase-diagram regions (see :func:`phase_diagram`): LDA below the first structural break (the q1 breakpoint; else the
r1 breakpoint; else the first σ(P) break; every candidate is kept with the boundary), HDA between it and the onset of
crystallization (the bracket between the last amorphous and first crystalline pattern; else an upturn of Tc(P);
else the second σ(P) break), bcc above. Each boundary keeps its 1σ error and the measurement it comes from.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import HpglassError, InputError
from .cache import Cache, piece_key
from .results import (
    Boundary,
    DiffractionRunResult,
    PatternPoint,
    PhaseDiagram,
    Region,
    SimulationPoint,
    SimulationRunResult,
    StudyResult,
    TcPoint,
    TransportRunResult,
)
from .schema import DiffractionRun, Study, load_study

__all__ = ["phase_diagram", "plan_pieces", "run_study", "software_versions"]


def software_versions() -> dict:
    from importlib import metadata

    from .. import __version__

    out = {"hpglass": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "scipy", "matplotlib", "pydantic", "ase", "matscipy", "xraylib", "peritheos", "dask",
                "distributed"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


# -- pressures ---------------------------------------------------------------------------------------------------------
def resolve_pressures(run: DiffractionRun, field: str, source: str) -> list[tuple[float, float | None, str]]:
    """(P, σP, how) per file of a diffraction run: given, from ruby R1 wavelengths, or from gold d-spacings."""
    out = []
    if run.pressures_GPa is not None:
        errs = run.pressure_errs_GPa or [None] * len(run.pressures_GPa)
        return [(float(p), e, "given") for p, e in zip(run.pressures_GPa, errs, strict=True)]
    if run.ruby_R1_nm is not None:
        from ..pressure import ruby_pressure

        for j, lam in enumerate(run.ruby_R1_nm):
            try:
                r = ruby_pressure(lam, scale=run.ruby_scale, temperature_K=run.ruby_temperature_K)
            except InputError as exc:
                raise InputError(exc.message, source=source, field=f"{field}.ruby_R1_nm[{j}]") from None
            out.append((r.pressure_GPa, r.pressure_err_GPa, f"ruby R1 {lam:g} nm, {run.ruby_scale}"))
        return out
    from ..pressure import gold_pressure

    for j, d in enumerate(run.gold_d_A or []):
        try:
            g = gold_pressure(d_A=d, hkl=run.gold_hkl, scale=run.gold_scale)
        except InputError as exc:
            raise InputError(exc.message, source=source, field=f"{field}.gold_d_A[{j}]") from None
        out.append((g.pressure_GPa, g.pressure_err_GPa, f"Au({run.gold_hkl}) d = {d:g} Å, {run.gold_scale}"))
    return out


# -- plan ------------------------------------------------------------------------------------------------------------
def _scatter_settings(study: Study) -> dict:
    a = study.analysis
    cfg = {"refine_density": a.refine_density, "refine_bkg": a.refine_bkg, "normalization": a.normalization,
           "r_max": a.r_max_A, "lorch": a.lorch, "iterations": a.iterations}
    if a.density_g_cm3 is not None:
        cfg["density"] = a.density_g_cm3
    if a.q_min_A is not None:
        cfg["q_min"] = a.q_min_A
    if a.q_max_A is not None:
        cfg["q_max"] = a.q_max_A
    return cfg


def _image_inputs(run: DiffractionRun, file: Path, background: Path | None) -> tuple[dict, dict | None]:
    """The integration inputs of one pattern task: ``({role: path or None}, settings)``, settings None when neither
    the file nor its background is a 2D image. The settings name the roles of the extra input files, so that the
    cache key (file bytes in order + settings) cannot mistake a mask for a transfer image."""
    from ..io.images import is_image_file

    if not any(p is not None and is_image_file(p) for p in (file, background)):
        return {}, None
    paths = {"poni": run.poni, "mask": run.mask, "transfer_original": run.transfer_original,
             "transfer_response": run.transfer_response}
    settings = {"frame": run.frame, "npt": 3000, "polarization": 0.99,
                "inputs": [role for role, p in paths.items() if p is not None]}
    return {role: None if p is None else str(p) for role, p in paths.items()}, settings


def plan_pieces(study: Study, out: Path) -> list[dict]:
    """Every independent piece of the study as a task dict with its ``key`` and ``kind``."""
    src = str(study.source or "<study>")
    a = study.analysis
    tasks: list[dict] = []
    all_p: list[float] = []
    for i, run in enumerate(study.diffraction):
        field = f"diffraction[{i}]"
        pressures = resolve_pressures(run, field, src)
        cfg = _scatter_settings(study)
        backgrounds = run.background_files
        for j, (f, (p, pe, how)) in enumerate(zip(run.files, pressures, strict=True)):
            bkg = backgrounds[j]
            settings = {"config": cfg | run.geometry(j), "composition": study.sample.composition,
                        "wavelength_A": run.wavelength_A}
            files = [f] + ([bkg] if bkg else [])
            image_files, image = _image_inputs(run, f, bkg)
            if image is not None:  # the calibration, mask and transfer images are inputs too: their bytes and roles
                settings["image"] = image
                files += [v for v in image_files.values() if v is not None]
            tasks.append({"kind": "pattern", "key": piece_key("pattern", files, settings), "owner": (i, j),
                          "file": str(f), "background": None if bkg is None else str(bkg),
                          "image_files": image_files, "field": f"{field}.files[{j}]", "pressure": (p, pe, how),
                          **settings})
            all_p.append(p)
    for i, run in enumerate(study.transport):
        for j, c in enumerate(run.curves):
            settings = {"channel": c.channel, "fields_T": c.fields_T, "hc2_criterion_pct": a.hc2_criterion_pct,
                        "hc2_slope_model": a.hc2_slope_model}
            tasks.append({"kind": "curve", "key": piece_key("curve", [c.file], settings), "owner": (i, j),
                          "file": str(c.file), "field": f"transport[{i}].curves[{j}].file", **settings})
            all_p.append(c.pressure_GPa)
        if run.resistivity_table is not None:
            settings = {"sigma_segments": a.sigma_segments, "ci_level": a.ci_level}
            tasks.append({"kind": "sigma", "key": piece_key("sigma", [run.resistivity_table], settings),
                          "owner": (i, None), "file": str(run.resistivity_table),
                          "field": f"transport[{i}].resistivity_table", **settings})
    for i, run in enumerate(study.simulation):
        settings = {"select": run.select, "cutoffs_A": dict(run.cutoffs_A), "rings": run.rings,
                    "max_ring": run.max_ring, "q_max_A": a.simulation_q_max_A}
        items = [(f"{fr.pressure_GPa:g} GPa", fr.pressure_GPa, fr.file, f"simulation[{i}].frames[{j}].file")
                 for j, fr in enumerate(run.frames)]
        items += [(label, None, f, f"simulation[{i}].references.{label}") for label, f in run.references.items()]
        for j, (label, p, f, field) in enumerate(items):
            safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in label)
            target = out / "simulation" / run.name / safe
            tasks.append({"kind": "trajectory", "key": piece_key("trajectory", [f], settings), "owner": (i, j),
                          "label": label, "pressure_GPa": p, "reference": p is None, "file": str(f), "field": field,
                          "out": str(target), **settings})
    crystal = study.sample.crystal
    if crystal is not None and crystal.eos is not None and all_p and (crystal.bcc or crystal.pnma_coordinates
                                                                      or crystal.pnma_structures):
        from ..composition import Composition

        comp = Composition.parse(study.sample.composition)
        settings = {"eos": crystal.eos.model_dump(), "pressures_GPa": sorted(set(all_p) | {0.0}),
                    "bcc": crystal.bcc, "occupancy": dict(comp.fractions), "sigma_A": crystal.reference_sigma_A,
                    "pnma_coordinates": crystal.pnma_coordinates, "pnma_source": crystal.pnma_source,
                    "pnma_structures": [{"pressure_GPa": x.pressure_GPa, "file": str(x.file)}
                                        for x in crystal.pnma_structures]}
        files = [x.file for x in crystal.pnma_structures]
        tasks.append({"kind": "reference", "key": piece_key("reference", files, settings), "owner": (0, None),
                      "field": "sample.crystal", **settings})
    return tasks


# -- aggregates --------------------------------------------------------------------------------------------------------
def _crystal_eos(study: Study):
    c = study.sample.crystal
    if c is None or c.eos is None:
        return None
    from ..eos.fit import eos_from_params

    e = c.eos
    return eos_from_params(e.form, rho0=e.rho0_g_cm3, K0=e.K0_GPa, K0p=e.K0p,
                           label=f"{e.label} ({e.status})")


def _measured_pattern(point: PatternPoint, wavelength_A: float):
    """The 1D pattern a piece worked on (an integrated image included); read again from its file for pieces cached
    before they kept it."""
    from ..io import read_pattern
    from ..scattering.pattern import Pattern

    d = point.data.get("pattern")
    if d is None:
        return read_pattern(point.file, wavelength=wavelength_A)
    return Pattern(x=d["x"], y=d["y"], unit=d["unit"], wavelength=d["wavelength"], source=point.file)


def _diffraction_run(study: Study, i: int, run: DiffractionRun, tasks: list[dict], data: list[dict]) -> \
        DiffractionRunResult:
    """Crystallization, q1/r1 trends, glass EOS and density crossover of one diffraction run."""
    from ..series.crystallization import find_crystallization
    from ..series.records import Series

    a = study.analysis
    notes: dict[str, str] = {}
    pts = [PatternPoint(run=run.name, direction=run.direction, pressure_GPa=t["pressure"][0],
                        pressure_err_GPa=t["pressure"][1], pressure_source=t["pressure"][2], file=t["file"], data=d)
           for t, d in zip(tasks, data, strict=True)]
    image_notes = dict.fromkeys(n for p in pts for n in p.data.get("notes", []))  # the image frame, transfer, …
    if image_notes:
        notes["images"] = " | ".join(image_notes)
    cryst = None
    try:
        pats = [_measured_pattern(p, run.wavelength_A) for p in pts]
        c = find_crystallization([p.pressure_GPa for p in pts], pats, run.direction,
                                 min_peaks=a.crystallization_min_peaks)
        cryst = c.to_dict()
        flags = dict(zip(c.pressures_GPa, c.crystalline, strict=True))
        pts = [replace(p, crystalline=bool(flags.get(p.pressure_GPa, False))) for p in pts]
    except HpglassError as exc:
        notes["crystallization"] = str(exc)
    amorphous = [p for p in pts if not p.crystalline and p.data.get("scatter")]
    failed = [p for p in pts if p.data.get("error")]
    if failed:
        notes["failed_patterns"] = "; ".join(f"{p.file}: {p.data['error']}" for p in failed)
    fits: dict[str, Any] = {"q1": None, "r1": None}
    glass = crossover = None
    crystal = _crystal_eos(study)
    try:
        series = Series.from_scatter_results(
            [(p.run, p.direction, (p.pressure_GPa, p.pressure_err_GPa) if p.pressure_err_GPa else p.pressure_GPa,
              p.scatter) for p in amorphous], source=f"diffraction[{i}] ({run.name})")
    except HpglassError as exc:
        notes["series"] = str(exc)
        series = None
    if series is not None and len(series):
        for name, seg in (("q1", a.q1_segments), ("r1", a.r1_segments)):
            try:
                fits[name] = series.trend(name, n_segments=seg, ci_level=a.ci_level)
            except HpglassError as exc:
                notes[f"{name}_trend"] = str(exc)
        try:
            from ..eos.fit import fit_density

            pg, rho, rho_err = series.scalar("density")
            pe = series.pressure_errors("density")
            pe = None if pe is None or not np.all(np.isfinite(pe)) else pe
            glass = fit_density(pg, rho, pe, rho_err, composition=study.sample.composition,
                                form=a.glass_eos_form, label=f"glass ({run.name}, refined densities)")
        except (HpglassError, ValueError, RuntimeError) as exc:
            notes["glass_eos"] = str(exc)
        if glass is not None and crystal is not None:
            from ..eos.crossover import density_crossover

            try:
                hi = max(p.pressure_GPa for p in pts)
                crossover = density_crossover(glass, crystal, (0.0, max(hi, 1.0)))
            except HpglassError as exc:
                notes["crossover"] = str(exc)
    return DiffractionRunResult(name=run.name, direction=run.direction, provenance=run.provenance.label,
                                wavelength_A=run.wavelength_A, points=tuple(pts), crystallization=cryst,
                                q1_fit=fits["q1"], r1_fit=fits["r1"], glass_eos=glass, crystal_eos=crystal,
                                crossover=crossover, notes=notes)


def _ci_err(fit, j: int) -> float | None:
    """1σ of breakpoint ``j`` consistent with its profile interval (:meth:`PiecewiseFit.breakpoint_sigma`): a
    boundary read from a breakpoint carries the same uncertainty as the breakpoint's claim does."""
    try:
        e = float(fit.breakpoint_sigma(j))
    except (IndexError, TypeError, ValueError):
        return None
    return e if np.isfinite(e) else None


def phase_diagram(study: Study, diffraction: tuple[DiffractionRunResult, ...],
                  transport: tuple[TransportRunResult, ...]) -> PhaseDiagram:
    """Tc(P) of all transport runs and the LDA / HDA / bcc regions with their boundaries (module docstring)."""
    crit = study.analysis.tc_criterion
    tc_points = []
    for run in transport:
        for c in run.curves:
            tc_points.append({"run": run.name, "direction": run.direction, "pressure_GPa": c.pressure_GPa,
                              "superconducting": c.superconducting, "tc_K": c.tc_K(crit),
                              "tc_onset_K": c.tc_K("onset"), "transitions_K": c.transitions_K,
                              "semiconducting": c.data.get("semiconducting"), "provenance": run.provenance,
                              "criterion": crit})
    all_p = [p.pressure_GPa for r in diffraction for p in r.points] + [t["pressure_GPa"] for t in tc_points]
    for run in transport:
        if run.sigma is not None:
            all_p += list(np.asarray(run.sigma["pressure_GPa"], dtype=float))
    p_lo, p_hi = (min([0.0, *all_p]), max(all_p)) if all_p else (0.0, 1.0)

    # LDA → HDA
    first: list[dict] = []
    for r in diffraction:
        if r.direction != "compression":
            continue
        for name, fit in (("q1", r.q1_fit), ("r1", r.r1_fit)):
            if fit is not None and fit.n_segments >= 2:
                first.append({"quantity": f"{name} breakpoint", "run": r.name, "pressure_GPa": fit.breakpoints[0],
                              "err_GPa": _ci_err(fit, 0), "ci_GPa": list(fit.breakpoint_ci[0]),
                              "stream": "diffraction", "provenance": r.provenance})
    sig_breaks = []
    for run in transport:
        reg = (run.sigma or {}).get("regimes")
        if not reg:
            continue
        d = reg["directions"].get("compression") or next(iter(reg["directions"].values()))
        for j, b in enumerate(d["breakpoints_GPa"]):
            sig_breaks.append({"quantity": f"σ(P) breakpoint {j + 1}", "run": run.name, "pressure_GPa": b,
                               "err_GPa": d["breakpoint_errs_GPa"][j],
                               "ci_GPa": d["breakpoint_ci_GPa"][j],
                               "stream": "transport", "provenance": run.provenance, "index": j})
    sig_first = [s for s in sig_breaks if s["index"] == 0]
    q1b = [c for c in first if c["quantity"].startswith("q1")]
    r1b = [c for c in first if c["quantity"].startswith("r1")]
    b1 = _pick("LDA/HDA", q1b or r1b, sig_first, "the q1 breakpoint (principal-peak shift, the paper's Fig. 2c); "
               "else the r1 breakpoint; else the first σ(P) break", others=first + sig_first)

    # HDA → bcc
    second: list[dict] = []
    for r in diffraction:
        if r.direction == "compression" and r.onset_GPa is not None:
            lo, hi = r.crystallization["bracket_GPa"]
            lo = hi if lo is None else lo
            second.append({"quantity": "crystallization onset (Bragg peaks)", "run": r.name,
                           "pressure_GPa": 0.5 * (lo + hi), "err_GPa": 0.5 * (hi - lo), "ci_GPa": [lo, hi],
                           "stream": "diffraction", "provenance": r.provenance,
                           "note": f"between the last amorphous ({lo:g} GPa) and first crystalline ({hi:g} GPa) "
                                   "pattern"})
    upturn = _tc_upturn(tc_points)
    if upturn is not None:
        second.append(upturn)
    sig_second = [s for s in sig_breaks if s["index"] == 1]
    b2 = _pick("HDA/bcc", second, sig_second, "crystallization onset; else an upturn of Tc(P); else the second "
                                              "σ(P) break")
    boundaries = tuple(b for b in (b1, b2) if b is not None)
    regions = _regions(p_lo, p_hi, b1, b2)
    cross = next((r.crossover for r in diffraction if r.crossover is not None and r.crossover.pressure_GPa
                  is not None), None)
    return PhaseDiagram(tc_points=tuple(tc_points), boundaries=boundaries, regions=regions,
                        crossover_GPa=None if cross is None else cross.pressure_GPa,
                        crossover_err_GPa=None if cross is None else cross.err_GPa, tc_upturn=upturn,
                        p_range_GPa=(float(p_lo), float(p_hi)))


def _pick(name: str, primary: list[dict], fallback: list[dict], rule: str,
          others: list[dict] | None = None) -> Boundary | None:
    """The first candidate of ``primary`` (else of ``fallback``) with the smallest error; all candidates kept."""
    cands = primary or fallback
    if not cands:
        return None
    best = min(cands, key=lambda c: (c["err_GPa"] is None, c["err_GPa"] or 0.0))
    others = tuple(others if others is not None else primary + fallback)
    return Boundary(name=name, pressure_GPa=float(best["pressure_GPa"]),
                    err_GPa=None if best["err_GPa"] is None else float(best["err_GPa"]),
                    source=f"{best['quantity']} ({best['stream']} run {best['run']})", candidates=others,
                    note=f"rule: {rule}")


def _tc_upturn(tc_points: list[dict]) -> dict | None:
    """Breakpoint of a two-segment fit of Tc(P) on compression (≥ 6 superconducting points), kept when the slope
    increases (an upturn)."""
    from ..series.piecewise import fit_piecewise

    sc = sorted((t for t in tc_points if t["direction"] == "compression" and t["tc_K"] is not None),
                key=lambda t: t["pressure_GPa"])
    if len(sc) < 6:
        return None
    try:
        fit = fit_piecewise(np.array([t["pressure_GPa"] for t in sc]), np.array([t["tc_K"] for t in sc]), 2)
    except HpglassError:
        return None
    if fit.slopes[1] <= fit.slopes[0]:
        return None
    return {"quantity": "Tc(P) upturn", "run": ", ".join(sorted({t["run"] for t in sc})),
            "pressure_GPa": fit.breakpoints[0], "err_GPa": _ci_err(fit, 0), "ci_GPa": list(fit.breakpoint_ci[0]),
            "stream": "transport", "provenance": sc[0]["provenance"], "slopes_K_per_GPa": list(fit.slopes)}


def _regions(p_lo: float, p_hi: float, b1: Boundary | None, b2: Boundary | None) -> tuple[Region, ...]:
    out = []
    x1 = None if b1 is None else b1.pressure_GPa
    x2 = None if b2 is None else b2.pressure_GPa
    if x1 is not None and x2 is not None and x2 <= x1:
        x1 = None  # crystallization before any amorphous break: no HDA range can be drawn
    if x1 is not None:
        out.append(Region("LDA", p_lo, x1, None, b1.err_GPa))
        out.append(Region("HDA", x1, x2 if x2 is not None else p_hi, b1.err_GPa,
                          None if x2 is None else b2.err_GPa))
    elif x2 is not None:
        out.append(Region("amorphous", p_lo, x2, None, b2.err_GPa))
    if x2 is not None:
        out.append(Region("bcc", x2, max(p_hi, x2), b2.err_GPa, None))
    return tuple(out)


def _elf_grids(run, cache: Cache) -> dict[float, dict]:
    """pressure → the analysis of the run's ELF grid there (:func:`hpglass.study.elf_grids.analyse_elf_grid`;
    cached by the grid's bytes and the run's bond cutoffs)."""
    from .elf_grids import analyse_elf_grid

    out = {}
    for e in run.elf:
        key = piece_key("elf-grid", [e.file], {"cutoffs_A": dict(run.cutoffs_A), "pressure_GPa": e.pressure_GPa})
        hit, value = cache.get("elf-grid", key)
        if not hit:
            value = analyse_elf_grid(e.file, dict(run.cutoffs_A), e.pressure_GPa)
            cache.put("elf-grid", key, value)
        out[e.pressure_GPa] = value
    return out


# -- the run -----------------------------------------------------------------------------------------------------------
def run_study(study: Study | str | Path, out: str | Path, *, scheduler: str | Any | None = None,
              workers: int | None = None, use_cache: bool = True, write: bool = True, screenshot: bool = False,
              progress: Callable[[str], None] | None = None) -> StudyResult:
    """Run every stream of ``study`` (a :class:`Study` or a study TOML path) and write the outputs into ``out``.

    Temporary files a killed run left in ``out`` (hpglass's own ``.<name>.<12 hex>.tmp<suffix>`` names only,
    :func:`hpglass.io.atomic.remove_stale_temps`) are removed first.

    workers : local worker processes (default: ``[analysis] workers``, else the CPUs available).
    scheduler : a dask.distributed address (``tcp://host:8786``) or Client; the pieces go there instead.
    use_cache : reuse pieces from ``out/.cache`` whose key (input bytes + settings) has not changed.
    write : write tables, figures and report.html (False: only compute; the cache is still filled).
    screenshot : also save ``out/report.png`` as headless Chromium renders report.html (skipped without Chromium).
    progress : called with a short message before each stage.
    """
    from ..io.atomic import remove_stale_temps
    from ..parallel import map_frames
    from .pieces import run_piece

    t_start = time.perf_counter()
    say = progress or (lambda msg: None)
    if not isinstance(study, Study):
        study = load_study(study)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)  # of a killed run (``hpglass run`` counts them first, in its note line)
    cache = Cache(out / ".cache", enabled=use_cache)
    timings: dict[str, float] = {}

    t = time.perf_counter()
    tasks = plan_pieces(study, out)
    results: dict[str, Any] = {}
    todo = []
    for task in tasks:
        hit, value = cache.get(task["kind"], task["key"])
        if hit:
            results[task["key"]] = value
        else:
            todo.append(task)
    say(f"{len(tasks)} pieces, {len(todo)} to compute")
    n_workers = workers if workers is not None else study.analysis.workers
    t_pieces = time.perf_counter()

    def tick(done: int, total: int) -> None:
        left = (time.perf_counter() - t_pieces) / done * (total - done)
        say(f"pieces {done}/{total} computed ({len(tasks) - total} cached), about {left:.0f} s left")

    computed = map_frames(run_piece, todo, workers=n_workers, scheduler=scheduler, on_done=tick) if todo else []
    for task, value in zip(todo, computed, strict=True):
        cache.put(task["kind"], task["key"], value)
        results[task["key"]] = value
    timings["pieces"] = time.perf_counter() - t

    t = time.perf_counter()
    say("aggregating runs")
    diffraction = []
    for i, run in enumerate(study.diffraction):
        rt = [x for x in tasks if x["kind"] == "pattern" and x["owner"][0] == i]
        key = piece_key("diffraction-run", [], {
            "pressures": [x["pressure"][:2] for x in rt], "analysis": study.analysis.model_dump(exclude={"workers"}),
            "crystal": None if study.sample.crystal is None else study.sample.crystal.model_dump(),
            "direction": run.direction, "name": run.name, "provenance": run.provenance.label},
            parents=[x["key"] for x in rt])
        hit, agg = cache.get("diffraction-run", key)
        if not hit:
            agg = _diffraction_run(study, i, run, rt, [results[x["key"]] for x in rt])
            cache.put("diffraction-run", key, agg)
        diffraction.append(agg)
    transport = []
    for i, run in enumerate(study.transport):
        curves = tuple(TcPoint(run=run.name, direction=run.direction, pressure_GPa=c.pressure_GPa, file=str(c.file),
                               data=results[x["key"]])
                       for c, x in zip(run.curves, [x for x in tasks if x["kind"] == "curve" and x["owner"][0] == i],
                                       strict=True))
        sig = next((results[x["key"]] for x in tasks if x["kind"] == "sigma" and x["owner"][0] == i), None)
        transport.append(TransportRunResult(name=run.name, direction=run.direction,
                                            provenance=run.provenance.label, curves=curves, sigma=sig))
    simulation = []
    for i, run in enumerate(study.simulation):
        pts, refs = [], []
        elf = _elf_grids(run, cache)
        for x in (x for x in tasks if x["kind"] == "trajectory" and x["owner"][0] == i):
            d = results[x["key"]]
            e = None if x["reference"] else elf.get(x["pressure_GPa"])
            sp = SimulationPoint(run=run.name, pressure_GPa=x["pressure_GPa"], label=x["label"], file=x["file"],
                                 summary=d["summary"] if e is None else d["summary"] | {"elf": e["summary"]},
                                 arrays=d["arrays"] if e is None else d["arrays"] | {"elf": e["arrays"]})
            (refs if x["reference"] else pts).append(sp)
        pts.sort(key=lambda s: s.pressure_GPa)
        simulation.append(SimulationRunResult(name=run.name, direction=run.direction,
                                              provenance=run.provenance.label, points=tuple(pts),
                                              references=tuple(refs)))
    references = next((results[x["key"]] for x in tasks if x["kind"] == "reference"), None)
    pd = phase_diagram(study, tuple(diffraction), tuple(transport))
    timings["aggregates"] = time.perf_counter() - t

    crystal = study.sample.crystal
    result = StudyResult(
        name=study.study.name, source=str(study.source), composition=study.sample.composition,
        settings={"analysis": study.analysis.model_dump(),
                  "sample": study.sample.model_dump(mode="json"),
                  "scheduler": None if scheduler is None else str(scheduler),
                  "workers": n_workers},
        diffraction=tuple(diffraction), transport=tuple(transport), simulation=tuple(simulation),
        references=references, phase_diagram=pd,
        crystal_density_g_cm3=None if crystal is None else (crystal.density_g_cm3 or (
            crystal.eos.rho0_g_cm3 if crystal.eos else None)),
        versions=software_versions(), cache=cache.stats(), timings_s=timings)
    from ..report.claims import evaluate_claims

    result = replace(result, claims=tuple(evaluate_claims(result)))
    if write:
        from .outputs import write_outputs

        say("writing tables, figures and report.html")
        t = time.perf_counter()
        files = write_outputs(result, study, out)
        if screenshot:
            from ..report.html import screenshot as shoot

            shot = shoot(out / "report.html", out / "report.png")
            if shot is not None:
                files["screenshot"] = str(shot)
        timings["outputs"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t_start
        result = replace(result, files=files, timings_s=timings)
        from .tables import write_summary

        write_summary(result, out)
    else:
        timings["total"] = time.perf_counter() - t_start
        result = replace(result, timings_s=timings)
    return result
