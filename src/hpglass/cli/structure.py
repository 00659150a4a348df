"""`hpglass structure`: trajectories → g_ab(r), X-ray S(q)/F(r)/g(r), coordination, angles, ALTBC, rings, order.

Every frame is analysed independently (fanned out with :func:`hpglass.parallel.map_frames`) and the results are
averaged over all selected frames of all files, with standard errors over frames:

1. pass 1 (per frame): partial g_ab(r) (bins dr/5, rebinned to dr for output), the X-ray S(q) from the fine
   histogram and its F(r), g(r) by the diffraction chain's transform, the density;
2. cutoffs: those given with --cutoff; the others by --cutoff-rule (default "auto": the first minimum of the
   frame-averaged g_ab(r) where it is a plausible bond length, else 1.2 × the sum of the covalent radii; a first
   minimum beyond a plausible bond is a warning — :mod:`hpglass.structure.coordination`);
3. pass 2 (per frame, one neighbour list reaching the largest bond cutoff and the ALTBC range, shared by all):
   coordination, bond angles, ALTBC, rings, Steinhardt q4/q6 and the PTM bcc fraction. These come from
   ``hpglass.structure.{angles,altbc,rings,order}``; a module that is missing gives null with a note.
"""

from __future__ import annotations

import importlib
import platform
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from ..errors import HpglassError, InputError
from .common import dumps, echo_json, err_console, handle_errors, status

#: the files written into --out
OUTPUT_NAMES = ("gr_partial.dat", "sq.dat", "fr.dat", "coordination.dat", "adf.dat", "altbc.dat", "rings.dat",
                "result.json")
RING_CRITERIA = ("primitive", "king", "guttman", "none")


@dataclass(frozen=True)
class Settings:
    """Parameters of one run (plain data: shipped to the worker processes)."""

    r_max: float
    dr: float
    q_min: float
    q_max: float
    dq: float
    window: str
    lorch: bool
    cutoffs: tuple[tuple[str, float], ...] = ()
    rings: str = "primitive"
    max_ring: int = 10
    angle_bins: int = 180
    altbc_r_max: float = 4.0
    fine: int = 5  # pair histogram bins per output bin (S(q) is computed from the fine one)


# -- per-frame work (module level: pickled by reference into worker processes) ---------------------------------------
def frame_pass1(atoms, settings: Settings) -> dict:
    """Pair distribution (output bins), X-ray S(q)/F(r)/g(r) and density of one frame."""
    from ..structure.frames import frame_density
    from ..structure.pair import pair_distribution
    from ..structure.xray_sq import xray_structure_factor

    fine = pair_distribution(atoms, settings.r_max, settings.dr / settings.fine)
    sq = xray_structure_factor(fine, q_min=settings.q_min, q_max=settings.q_max, dq=settings.dq,
                               window=settings.window, lorch=settings.lorch)
    return {"pair": fine.rebin(settings.fine), "sq": sq, "density": frame_density(atoms),
            "label": f"{atoms.info.get('source', '?')}: {atoms.info.get('frame_label', '?')}"}


def _optional(module: str, name: str):
    """A function from a sibling structure module, or (None, why) when it is not there."""
    try:
        mod = importlib.import_module(f"hpglass.structure.{module}")
        return getattr(mod, name), None
    except (ImportError, AttributeError) as exc:
        return None, f"hpglass.structure.{module}.{name} is not available: {exc}"


def _section(results: dict, notes: dict, key: str, func) -> None:
    """Run one optional analysis; a missing dependency or an error in its input gives null with a note."""
    try:
        results[key] = func()
    except (HpglassError, ImportError) as exc:
        results[key] = None
        notes[key] = str(exc)


def frame_pass2(atoms, settings: Settings) -> dict:
    """Bond-based analyses of one frame from one shared neighbour list."""
    from ..structure.coordination import bond_mask, coordination
    from ..structure.neighbors import NeighbourList

    cutoffs = dict(settings.cutoffs)
    reach = max(max(cutoffs.values()), settings.altbc_r_max)
    nl = NeighbourList.build(atoms, reach)
    bonds = nl.select(bond_mask(atoms, nl, cutoffs), cutoff=max(cutoffs.values()))
    out: dict = {"coordination": coordination(atoms, cutoffs, nl=nl)}
    notes: dict = {}

    angles_f, why = _optional("angles", "bond_angle_distribution")
    if angles_f is None:
        out["angles"], notes["angles"] = None, why
    else:
        _section(out, notes, "angles", lambda: angles_f(atoms, bonds, bins=settings.angle_bins))

    altbc_f, why = _optional("altbc", "altbc")
    if altbc_f is None:
        out["altbc"], notes["altbc"] = None, why
    else:
        _section(out, notes, "altbc", lambda: altbc_f(atoms, nl.within(settings.altbc_r_max), settings.altbc_r_max,
                                                      angle_min=155))

    if settings.rings == "none":
        out["rings"], notes["rings"] = None, "not asked for (--rings none)"
    else:
        rings_f, why = _optional("rings", "ring_statistics")
        if rings_f is None:
            out["rings"], notes["rings"] = None, why
        else:
            _section(out, notes, "rings", lambda: rings_f(atoms, bonds, settings.rings, settings.max_ring))

    stein_f, why = _optional("order", "steinhardt")
    if stein_f is None:
        out["steinhardt"], notes["steinhardt"] = None, why
    else:
        _section(out, notes, "steinhardt", lambda: stein_f(atoms, bonds, l=(4, 6)))

    types_f, why = _optional("order", "structure_types")
    if types_f is None:
        out["structure_types"], notes["structure_types"] = None, why
    else:
        _section(out, notes, "structure_types", lambda: types_f(atoms))
    out["notes"] = notes
    return out


# -- averaging -----------------------------------------------------------------------------------------------------
def _avg(values):
    from ..structure.frames import FrameAverage

    return FrameAverage.of(values)


def _scalar(values) -> tuple[float | None, float | None]:
    vals = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not vals:
        return None, None
    fa = _avg(vals)
    return fa.mean, fa.sem


def _steinhardt_value(res, l: int):
    if res is None:
        return None
    for key in (f"q{l}_mean", f"q{l}"):
        try:
            v = res[key]
        except (KeyError, TypeError):
            continue
        arr = np.asarray(v, dtype=float)
        return float(np.nanmean(arr)) if arr.size else None
    return None


def _get(obj, key: str):
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(key)
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError):
        return getattr(obj, key, None)


def _to_dict(obj, **kwargs):
    if obj is None:
        return None
    try:
        return obj.to_dict(**kwargs)
    except TypeError:
        return obj.to_dict()


# -- the command ---------------------------------------------------------------------------------------------------
def _read_all(traj: list[Path], frames: str, fmt: str | None, species: str | None) -> list:
    from ..io.trajectory import read_frames

    spec = None if species is None else [s.strip() for s in species.split(",") if s.strip()]
    out = []
    from ..structure.neighbors import check_frame

    for path in traj:
        got = read_frames(path, frames, format=fmt, species=spec)
        for k, atoms in enumerate(got):
            # refuse a corrupt frame (NaN positions, a cell in the wrong unit) before any analysis allocates for it
            check_frame(atoms, source=atoms.info.get("source") or f"{path} frame {k}")
        out.extend(got)
    first = out[0]
    ref = _counts(first)
    for atoms in out[1:]:
        c = _counts(atoms)
        if set(c) != set(ref) or any(abs(c[s] / len(atoms) - ref[s] / len(first)) > 1e-9 for s in c):
            raise InputError(f"frames differ in composition ({_fmt_counts(ref)} and {_fmt_counts(c)}); analyse them "
                             "separately", source=atoms.info.get("source"))
    return out


def _counts(atoms) -> dict[str, int]:
    symbols, counts = np.unique(atoms.get_chemical_symbols(), return_counts=True)
    return {str(s): int(n) for s, n in zip(symbols, counts)}


def _fmt_counts(c: dict) -> str:
    return "".join(f"{s}{n}" for s, n in c.items())


@handle_errors
def structure(
    traj: Annotated[list[Path], typer.Argument(help="trajectory or structure files (VASP, extxyz, LAMMPS, CIF …)")],
    frames: Annotated[str, typer.Option(help="frames of each file, 'start:stop:step' or one index")] = "::",
    cutoff: Annotated[list[str] | None, typer.Option(
        help="bond cutoff of a species pair, 'A-B=R' in Å (repeat); missing pairs: see --cutoff-rule")] = None,
    cutoff_rule: Annotated[str, typer.Option(
        help="cutoffs not given: auto (first minimum of g_ab where it is a plausible bond, else 1.2 × the sum of "
             "covalent radii) | covalent | minimum")] = "auto",
    rings: Annotated[str, typer.Option(help="ring criterion: primitive | king | guttman | none")] = "primitive",
    max_ring: Annotated[int, typer.Option(help="largest ring searched (atoms)")] = 10,
    qmin: Annotated[float, typer.Option(help="lowest q of S(q), Å⁻¹ (set the experiment's for F(r) overlays)")] = 0.0,
    qmax: Annotated[float, typer.Option(help="highest q of S(q), Å⁻¹ (the experiment's)")] = 12.0,
    dq: Annotated[float, typer.Option(help="q step, Å⁻¹")] = 0.01,
    r_max: Annotated[float | None, typer.Option(
        help="range of g(r) and of the S(q) window, Å (default and limit: half the smallest cell height)")] = None,
    dr: Annotated[float, typer.Option(help="g(r) bin width, Å")] = 0.01,
    window: Annotated[str, typer.Option("--r-window", help=(
        "window on g(r) before its transform to S(q) (r space): lorch | cosine | none; not the same as --lorch, "
        "which windows S(q) in q for F(r) as hpglass scatter does"))] = "lorch",
    lorch: Annotated[bool, typer.Option("--lorch", help="Lorch window in q for F(r) (as hpglass scatter)")] = False,
    altbc_rmax: Annotated[float, typer.Option(help="neighbour range of the ALTBC map, Å")] = 4.0,
    format: Annotated[str | None, typer.Option("--format", help="ASE format name, when the file name does not "
                                                                   "tell it")] = None,
    species: Annotated[str | None, typer.Option(help="elements of LAMMPS types 1, 2, …, e.g. 'Sb,Se'")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default: the CPUs available)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="dask scheduler address, tcp://host:port")] = None,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("structure-out"),
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="treat warnings as errors (exit 2)")] = False,
) -> None:
    """Structure of simulated frames: partial g(r), X-ray S(q), coordination, angles, ALTBC, rings, q4/q6, bcc."""
    from ..parallel import map_frames
    from ..structure.pair import half_min_height
    from ..structure.xray_sq import WINDOWS

    if rings not in RING_CRITERIA:
        raise InputError(f"unknown ring criterion {rings!r}; use one of {', '.join(RING_CRITERIA)}", field="--rings")
    if max_ring < 3:
        raise InputError(f"--max-ring must be at least 3, got {max_ring}", field="--max-ring")
    if window not in WINDOWS:
        raise InputError(f"unknown window {window!r}; use one of {', '.join(WINDOWS)}", field="--r-window")
    if not (0 <= qmin < qmax and dq > 0 and dr > 0 and altbc_rmax > 0):
        raise InputError("need 0 ≤ qmin < qmax and positive --dq, --dr, --altbc-rmax", field="--qmax")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}", field="--workers")
    for path in traj:
        if path.resolve() in {(out / n).resolve() for n in OUTPUT_NAMES}:
            raise InputError(f"--out {out} would overwrite this input; choose another --out folder", source=path)

    from ..structure.coordination import CUTOFF_RULES, parse_cutoffs, resolve_cutoffs
    from ..structure.pair import average_pair_distributions

    if cutoff_rule not in CUTOFF_RULES:
        raise InputError(f"unknown cutoff rule {cutoff_rule!r}; use one of {', '.join(CUTOFF_RULES)}",
                         field="--cutoff-rule")

    given = parse_cutoffs(cutoff or [])
    with status("reading frames …", json_out):
        atoms_list = _read_all(traj, frames, format, species)
    species_list = tuple(sorted(_counts(atoms_list[0])))
    for key in given:
        from ..structure.pair import parse_pair

        parse_pair(key, species_list, field_name="--cutoff")
    limit = min(half_min_height(a.cell) for a in atoms_list)
    if r_max is None:
        r_max_used = limit
    elif not 0 < r_max <= limit * (1 + 1e-9):
        raise InputError(f"--r-max {r_max:g} Å must be positive and at most half the smallest cell height "
                         f"({limit:.4g} Å)", field="--r-max")
    else:
        r_max_used = r_max
    settings = Settings(r_max=r_max_used, dr=dr, q_min=qmin, q_max=qmax, dq=dq, window=window, lorch=lorch,
                        rings=rings, max_ring=max_ring, altbc_r_max=altbc_rmax)

    with status(f"pair functions and S(q) of {len(atoms_list)} frame(s) …", json_out):
        p1 = map_frames(partial(frame_pass1, settings=settings), atoms_list, workers=workers, scheduler=scheduler)
    g_avg = average_pair_distributions([p["pair"] for p in p1])  # one r grid: every frame binned to r_max_used

    # cutoffs: given ones, the rest by the rule from the frame-averaged g_ab
    chosen = resolve_cutoffs(species_list, given, g_avg.pair, rule=cutoff_rule)
    cutoffs, sources = chosen.cutoffs, chosen.source
    if strict and chosen.warnings:
        raise InputError(f"{len(chosen.warnings)} warning(s) with --strict: " + "; ".join(chosen.warnings),
                         field="--cutoff")
    settings = Settings(**(asdict(settings) | {"cutoffs": tuple(sorted(cutoffs.items()))}))

    with status("coordination, angles, ALTBC, rings, order …", json_out):
        p2 = map_frames(partial(frame_pass2, settings=settings), atoms_list, workers=workers, scheduler=scheduler)
    summary = _summarise(atoms_list, p1, p2, settings, cutoffs, sources)
    summary["coordination"]["warnings"] = list(chosen.warnings)
    summary["coordination"]["first_minima_A"] = dict(chosen.first_minima)
    summary["parameters"]["cutoff_rule"] = cutoff_rule
    summary["warnings"] = list(chosen.warnings)
    files = _write(out, summary, p1, p2, g_avg)
    summary["files"] = files
    summary.update(files)
    files["json_file"] = str(out / "result.json")
    summary["json_file"] = files["json_file"]
    from ..io import atomic_write_text

    atomic_write_text(out / "result.json", dumps(summary) + "\n")
    for w in summary["warnings"]:
        err_console.print(f"warning: {w}", markup=False)
    if json_out:
        echo_json(summary)
        return
    _print_summary(summary)


def _summarise(atoms_list, p1, p2, settings: Settings, cutoffs, sources) -> dict:
    from .. import __version__
    from ..composition import Composition
    from ..structure.coordination import average_coordination
    from ..structure.frames import average_records

    dens = [p["density"] for p in p1]
    d_mean, d_sem = _scalar([d.g_cm3 for d in dens])
    n_mean, n_sem = _scalar([d.number_density for d in dens])
    notes: dict = {}
    for res in p2:
        for k, v in res["notes"].items():
            notes.setdefault(k, v)

    def avg_dicts(name, **kw):
        dicts = [_to_dict(res[name], **kw) for res in p2]
        if any(d is None for d in dicts):
            return None, None
        return average_records(dicts)

    angles, angles_sem = avg_dicts("angles", arrays=False)  # the histograms go to adf.dat
    altbc, altbc_sem = avg_dicts("altbc", include_map=False)
    rings, rings_sem = avg_dicts("rings")
    f60 = _scalar([_get(res["angles"], "fraction_near_60") for res in p2]) if angles is not None else (None, None)
    q4 = _scalar([_steinhardt_value(res["steinhardt"], 4) for res in p2])
    q6 = _scalar([_steinhardt_value(res["steinhardt"], 6) for res in p2])
    bcc = _scalar([_get(res["structure_types"], "bcc_fraction") for res in p2])
    comp = Composition.parse(_counts(atoms_list[0]))
    sq_metrics = _sq_metrics(p1)
    return {
        "n_frames": len(atoms_list),
        "frames": [p["label"] for p in p1],
        "composition": comp.to_dict(),
        "n_atoms": len(atoms_list[0]),
        "density_g_cm3": d_mean, "density_g_cm3_sem": d_sem,
        "number_density_A-3": n_mean, "number_density_A-3_sem": n_sem,
        "coordination": average_coordination([res["coordination"] for res in p2]) | {"cutoff_source": dict(sources)},
        "rings": rings, "rings_sem": rings_sem,
        "angle_fraction_near_60": f60[0], "angle_fraction_near_60_sem": f60[1],
        "angles": angles, "angles_sem": angles_sem,
        "altbc": altbc, "altbc_sem": altbc_sem,
        "q4": q4[0], "q4_sem": q4[1], "q6": q6[0], "q6_sem": q6[1],
        "bcc_fraction": bcc[0], "bcc_fraction_sem": bcc[1],
        **sq_metrics,
        "notes": notes,
        "parameters": asdict(settings) | {"cutoffs": dict(cutoffs), "cutoff_source": dict(sources)},
        "sem_convention": "standard error of the mean over frames, s/sqrt(n) (ddof=1); null for one frame",
        "versions": {"hpglass": __version__, "numpy": np.__version__, "python": platform.python_version()},
    }


def _sq_metrics(p1) -> dict:
    """Principal S(q) peak and first g_X(r) peak of the frame-averaged X-ray functions (null with a note on failure)."""
    from ..scattering import peaks

    q = p1[0]["sq"].q
    sq = np.mean([p["sq"].sq for p in p1], axis=0)
    r = p1[0]["sq"].r
    gr = np.mean([p["sq"].gr for p in p1], axis=0)
    out: dict = {}
    try:
        pf = peaks.principal_peak(q, sq)
        # the maximum of S(q), as the diffraction chain reports q1 (not the pseudo-Voigt centre, which a sloping
        # local background pulls off the maximum)
        pk = peaks.peak_maximum(q, sq, pf.position, pf.fwhm)
        out["q1_A-1"], out["q1_err_A-1"] = pk.position, pk.position_err
    except (HpglassError, ValueError, RuntimeError) as exc:
        out["q1_A-1"] = out["q1_err_A-1"] = None
        out["q1_note"] = str(exc)
    try:
        p = peaks.first_peak_r(r, gr)
        out["r1_X_A"] = p.position
    except (HpglassError, ValueError, RuntimeError) as exc:
        out["r1_X_A"] = None
        out["r1_X_note"] = str(exc)
    return out


def _write(out: Path, summary: dict, p1, p2, g_avg) -> dict[str, str]:
    from ..io import write_table
    from ..structure.frames import FrameAverage

    out.mkdir(parents=True, exist_ok=True)
    head = [(f"hpglass structure; {summary['n_frames']} frame(s); composition {summary['composition']['formula']}; "
             f"density {summary['density_g_cm3']:.5g} g/cm3"), "mean over frames; *_sem = standard error of the mean"]
    files: dict[str, str] = {}
    files["gr_partial_file"] = str(write_table(out / "gr_partial.dat", g_avg.columns(), head + [
        "g_ab = n_ab / (N_a rho_b V_shell), exact shell volumes; g_total = sum c_a c_b g_ab"]))

    sqs = [p["sq"] for p in p1]
    s_avg = FrameAverage.of([s.sq for s in sqs])
    cols = {"q_A-1": sqs[0].q, "S_X(q)": s_avg.mean, "S_X(q)_sem": s_avg.sem}
    for k in sqs[0].partials:
        cols[f"S_{k[0]}-{k[1]}"] = FrameAverage.of([s.partials[k] for s in sqs]).mean
    for k, w in sqs[0].weights.items():
        cols[f"w_{k[0]}-{k[1]}"] = w
    params = sqs[0].parameters
    note = (f"Faber-Ziman X-ray S(q) from g_ab(r): window {params['window']} in r to r_max {params['r_max_A']:.4f} A, "
            f"finite-size reference {params['finite_size']}; w_ab = weights of the partials (xraylib form factors)")
    files["sq_file"] = str(write_table(out / "sq.dat", cols, [*head, note]))
    f_avg = FrameAverage.of([s.fr for s in sqs])
    gx_avg = FrameAverage.of([s.gr for s in sqs])
    note = (f"F(r) = (2/pi) int q [S_X(q)-1] M(q) sin(qr) dq over q = 0 ({params['extrapolation']} extension from "
            f"s0 = {params['s0']:.5g}) ... {sqs[0].q[-1]:g} A^-1, Lorch in q: {params['lorch_in_q']} "
            "(the transform of hpglass scatter)")
    files["fr_file"] = str(write_table(out / "fr.dat", {"r_A": sqs[0].r, "F_X(r)_A-2": f_avg.mean,
                                                        "F_X(r)_sem": f_avg.sem, "g_X(r)": gx_avg.mean,
                                                        "g_X(r)_sem": gx_avg.sem}, [*head, note]))

    coord = summary["coordination"]
    n_max = max(len(v) for v in coord["distribution"].values())
    cols = {"CN": np.arange(n_max)}
    for a, dist in coord["distribution"].items():
        cols[f"fraction_{a}"] = [dist.get(str(n), 0.0) for n in range(n_max)]
        cols[f"fraction_{a}_sem"] = [coord["distribution_sem"][a].get(str(n), np.nan) for n in range(n_max)]
    files["coordination_file"] = str(write_table(out / "coordination.dat", cols, head + [
        f"fraction of centre atoms with total coordination CN; cutoffs {coord['cutoffs_A']}"]))

    angles = [res["angles"] for res in p2]
    if all(a is not None for a in angles) and hasattr(angles[0], "edges"):
        dens = FrameAverage.of([a.density for a in angles])
        cols = {"angle_deg": 0.5 * (angles[0].edges[:-1] + angles[0].edges[1:]), "density_per_deg": dens.mean,
                "density_per_deg_sem": dens.sem}
        for k in angles[0].partials:
            cols[f"density_{k}"] = FrameAverage.of([a.partial_density(k) for a in angles]).mean
        note = "bond-angle distribution (bonds by the cutoffs), per centre species"
        files["adf_file"] = str(write_table(out / "adf.dat", cols, [*head, note]))
    else:
        files["adf_file"] = None
    maps = [res["altbc"] for res in p2]
    if all(m is not None for m in maps) and hasattr(maps[0], "density"):
        dmap = np.mean([m.density for m in maps], axis=0)
        rc = maps[0].r
        r1, r2 = np.meshgrid(rc, rc, indexing="ij")
        files["altbc_file"] = str(write_table(out / "altbc.dat", {"r1_A": r1.ravel(), "r2_A": r2.ravel(),
                                                                  "density_per_A2": dmap.ravel()}, head + [
            "ALTBC map, triplets per atom per A^2, rows r1-major (reshape to a square)"]))
    else:
        files["altbc_file"] = None
    ring_res = [res["rings"] for res in p2]
    if all(x is not None for x in ring_res) and hasattr(ring_res[0], "sizes"):
        per_atom = FrameAverage.of([x.per_atom for x in ring_res])
        counts = FrameAverage.of([x.counts for x in ring_res])
        files["rings_file"] = str(write_table(out / "rings.dat", {
            "size": ring_res[0].sizes, "rings_per_cell": counts.mean, "rings_per_cell_sem": counts.sem,
            "rings_per_atom": per_atom.mean, "rings_per_atom_sem": per_atom.sem}, head + [
            f"ring statistics, criterion {ring_res[0].criterion}"]))
    else:
        files["rings_file"] = None
    return files


def _print_summary(s: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..precision import fmt

    t = Table(title=f"hpglass structure ({s['n_frames']} frame(s))", show_header=False)
    t.add_row("density", fmt(s["density_g_cm3"], s["density_g_cm3_sem"], "g/cm³"))
    c = s["coordination"]
    t.add_row("coordination", ", ".join(f"{a}: {v:.3g}" for a, v in c["by_species"].items()))
    tags = {"given": "given", "first minimum of g_ab(r)": "g(r) minimum"}
    t.add_row("cutoffs", ", ".join(f"{k} {v:.3g} Å ({tags.get(c['cutoff_source'].get(k), 'covalent radii')})"
                                   for k, v in c["cutoffs_A"].items()))
    t.add_row("q1 (X-ray S(q))", fmt(s.get("q1_A-1"), None, "Å⁻¹"))
    t.add_row("angles near 60°", fmt(s["angle_fraction_near_60"], s["angle_fraction_near_60_sem"]))
    t.add_row("q4 / q6", f"{fmt(s['q4'])} / {fmt(s['q6'])}")
    t.add_row("bcc fraction", fmt(s["bcc_fraction"], s["bcc_fraction_sem"]))
    for k, v in s["files"].items():
        if v:
            t.add_row(k, v)
    for k, v in s["notes"].items():
        t.add_row(f"note: {k}", v)
    Console().print(t)
