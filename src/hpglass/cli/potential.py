"""`hpglass potential dataset|fit|validate`: distil a universal ML potential into a fast LAMMPS potential (SNAP).

1. ``dataset``: candidates (strained/rattled crystals, random packings, frames of trajectories, short MD with a
   previous student), each source thinned by farthest-point sampling, labelled by the teacher (SevenNet-0 ± D3);
   resumable: labelled configurations are saved one by one.
2. ``fit``: SNAP by weighted ridge regression on LAMMPS's ``compute snap`` descriptors; a stratified held-out
   split is validated per pressure bin; writes a potential directory (``potential.json`` + coefficient files).
3. ``validate``: the potential against any labelled data set (acceptance measures in
   :mod:`hpglass.potential.validate`).
4. ``compare-md``: the structure of the same MD stage run with the teacher and with the student
   (:mod:`hpglass.potential.md_compare`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from .common import echo_json, err_console, handle_errors

app = typer.Typer(help="Distil a universal ML potential (teacher) into a fast LAMMPS SNAP potential.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


class _Progress:
    """'<what> k/n, about t s left' on stderr, at most every 2 s (nothing with --json --quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.last = 0.0

    def __call__(self, what: str, done: int, total: int, left: float | None) -> None:
        now = time.monotonic()
        if self.quiet or (now - self.last < 2 and done < total):
            return
        self.last = now
        tail = f", about {left:.0f} s left" if left is not None else ""
        err_console.print(f"{what} {done}/{total}{tail}", markup=False)


def _split_rows(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="student vs teacher (RMSE)")
    for col in ("pressure bin (GPa)", "configs", "E (meV/atom)", "F (eV/Å)", "P (GPa)", "P glass (GPa)"):
        t.add_column(col)
    for r in rows:
        g = r.get("glass_pressure_GPa")
        t.add_row(r["pressure_bin_GPa"], str(r["n_configs"]), f"{r['energy_meV_atom']:.1f}",
                  f"{r['force_eV_A']:.3f}", f"{r['pressure_GPa']:.2f}", "—" if g is None else f"{g:.2f}")
    Console().print(t)


def _verdict(report: dict) -> None:
    if report["passed"]:
        err_console.print("verdict: passed (force RMSE ≤ 0.15 eV/Å per bin, glass pressure RMSE ≤ 1 GPa)",
                          markup=False)
    for f in report["failures"]:
        err_console.print(f"warning: {f}", markup=False)


def _ints(text: str, n: int, flag: str) -> list[int]:
    """'12,8,6' → [12, 8, 6]: ``n`` comma-separated integers ≥ 1, else an InputError naming ``flag``."""
    try:
        values = [int(t) for t in text.split(",")]
    except ValueError:
        values = []
    if len(values) != n or min(values) < 1:
        raise InputError(f"expected {n} comma-separated integers ≥ 1, got {text!r}", field=flag)
    return values


@app.command("dataset")
@handle_errors
def dataset(
    out: Annotated[Path, typer.Option("--out", help="folder for labelled/ and <name>.extxyz")],
    name: Annotated[str, typer.Option(help="data set name (file <name>.extxyz)")] = "dataset",
    teacher: Annotated[str, typer.Option(help="sevenn | sevenn-d3zero | sevenn-d3bj | …")] = "sevenn-d3zero",
    crystals: Annotated[int, typer.Option(help="crystal candidates (Pnma/bcc, compressed, strained, rattled)")] = 0,
    keep_crystals: Annotated[int, typer.Option(help="crystal configurations kept (farthest-point)")] = 0,
    packings: Annotated[int, typer.Option(help="random-packing candidates (Sb 0.36/0.40/0.44, 4.6–8.6 g/cm³)")] = 0,
    keep_packings: Annotated[int, typer.Option(help="random packings kept")] = 0,
    frames: Annotated[list[Path] | None, typer.Option("--frames", help="trajectory file (repeatable)")] = None,
    keep_frames: Annotated[int, typer.Option(help="frames kept")] = 0,
    student: Annotated[Path | None, typer.Option(help="potential directory of a previous student for MD")] = None,
    md_runs: Annotated[int, typer.Option(help="student MD runs (64 atoms, 3000 steps each)")] = 0,
    keep_md: Annotated[int, typer.Option(help="student MD frames kept")] = 0,
    md_temperatures: Annotated[str, typer.Option(help="range of the student MD temperatures, K (low,high)")
                               ] = "300,1600",
    teacher_md: Annotated[list[Path] | None, typer.Option(
        "--teacher-md", help="start structure of a short NPT run with the teacher itself (its last frame; "
                             "repeatable)")] = None,
    teacher_md_pressures: Annotated[str, typer.Option(help="pressures of each teacher MD run, GPa (in turn)")] = "0",
    teacher_md_steps: Annotated[int, typer.Option(help="teacher MD production steps per pressure (2 fs; 100 more "
                                                       "to equilibrate)")] = 1000,
    teacher_md_temperature: Annotated[float, typer.Option(help="teacher MD temperature, K")] = 300.0,
    keep_teacher_md: Annotated[int, typer.Option(help="teacher MD frames kept")] = 0,
    seed: Annotated[int, typer.Option(help="seed of every random choice")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Generate, select and label training configurations (resumable: rerun the same command)."""
    from ..potential import dataset as ds
    from ..potential.workflow import build_dataset, md_candidates

    for opt, v in (("--crystals", crystals), ("--packings", packings), ("--md-runs", md_runs),
                   ("--keep-crystals", keep_crystals), ("--keep-packings", keep_packings),
                   ("--keep-frames", keep_frames), ("--keep-md", keep_md), ("--keep-teacher-md", keep_teacher_md),
                   ("--teacher-md-steps", teacher_md_steps)):
        if v < 0 or v > 100000:
            raise InputError(f"must be between 0 and 100000, got {v}", field=opt)
    if md_runs and student is None:
        raise InputError("student MD needs --student DIR", field="--md-runs")
    sources = {}
    if crystals:
        sources["crystal"] = (ds.crystal_candidates(crystals, seed=seed + 1), keep_crystals or crystals)
    if packings:
        sources["packing"] = (ds.packing_candidates(packings, seed=seed + 2), keep_packings or packings)
    if frames:
        cands = ds.frame_candidates(frames)
        sources["frames"] = (cands, keep_frames or len(cands))
    if md_runs:
        try:
            t_lo, t_hi = (float(t) for t in md_temperatures.split(","))
        except ValueError:
            raise InputError(f"expected two temperatures 'low,high' in K, got {md_temperatures!r}",
                             field="--md-temperatures") from None
        cands = md_candidates(student, md_runs, seed=seed + 3, temperatures_K=(t_lo, t_hi))
        sources["md"] = (cands, keep_md or len(cands))
    if teacher_md:
        from ..potential.workflow import teacher_md_candidates
        from .simulate import parse_pressures

        for path in teacher_md:
            if not path.is_file():
                raise InputError("no such file", source=path, field="--teacher-md")
        if not 0 < teacher_md_temperature <= 5000:
            raise InputError(f"must be in (0, 5000] K, got {teacher_md_temperature:g}", field="--teacher-md-temperature")
        if teacher_md_steps < 1:
            raise InputError(f"must be ≥ 1, got {teacher_md_steps}", field="--teacher-md-steps")
        try:
            md_pressures = parse_pressures(teacher_md_pressures)
        except InputError as exc:
            raise InputError(exc.message, field="--teacher-md-pressures") from None
        cands = teacher_md_candidates(teacher, teacher_md, out / "teacher-md",
                                      pressures_GPa=md_pressures, steps=teacher_md_steps,
                                      temperature_K=teacher_md_temperature, seed=seed + 4,
                                      progress=_Progress(json_out))
        sources["teacher_md"] = (cands, keep_teacher_md or len(cands))
    if not sources:
        raise InputError("no candidates: give --crystals, --packings, --frames, --teacher-md or --student with --md-runs",
                         field="dataset")
    meta = build_dataset(out, name=name, teacher=teacher, sources=sources, seed=seed,
                         progress=_Progress(json_out))
    if json_out:
        echo_json(meta)
        return
    err_console.print(f"{meta['n_configurations']} configurations ({meta['n_atoms']} atoms) labelled by "
                      f"{teacher}: {out / (name + '.extxyz')}; rejected {meta['n_rejected']}", markup=False)


@app.command("fit")
@handle_errors
def fit(
    data: Annotated[list[Path], typer.Argument(help="labelled data sets (extxyz from `potential dataset`)")],
    out: Annotated[Path, typer.Option("--out", help="potential directory to write")],
    model: Annotated[str, typer.Option(help="snap (bispectrum, pair_style snap) | pod (proper orthogonal "
                                            "descriptors, pair_style pod)")] = "snap",
    pod_rcut: Annotated[float, typer.Option(help="POD cutoff (Å)")] = 5.5,
    pod_radial: Annotated[str, typer.Option(
        help="POD radial functions of the 2-, 3- and 4-body descriptors (e.g. 12,8,6: twice the cost of the default, "
             "closer to the teacher; data/distil/README.md)")] = "8,6,4",
    pod_angular: Annotated[str, typer.Option(help="POD angular degree of the 3- and 4-body descriptors")] = "5,3",
    pod_products: Annotated[bool, typer.Option(
        "--pod-products/--pod-linear",
        help="POD with the products of the 3- and 4-body descriptors (5-, 6-, 7-body terms)")] = True,
    twojmax: Annotated[int, typer.Option(help="bispectrum band limit 2J (6: 30, 8: 55 descriptors)")] = 6,
    rcutfac: Annotated[float, typer.Option(help="cutoff = rcutfac × (R_i + R_j), R = 0.5 (Å)")] = 5.0,
    quadratic: Annotated[bool, typer.Option(
        "--quadratic/--linear",
        help="quadratic SNAP (default; held-out force error 0.22 vs 0.32 eV/Å linear on the Sb–Se data, 1.5× the "
             "cost)")] = True,
    dispersion: Annotated[str, typer.Option(help="D3 overlaid exactly (zero | bj, as the teacher's) or none: the "
                                                 "SNAP learns it (as accurate, 6× faster; see snap.py)")] = "none",
    test_fraction: Annotated[float, typer.Option(help="held-out fraction per source")] = 0.15,
    w_energy: Annotated[float, typer.Option(help="weight of energy per atom (1/eV)")] = 100.0,
    w_force: Annotated[float, typer.Option(help="weight of force components (Å/eV)")] = 10.0,
    w_stress: Annotated[float, typer.Option(help="weight of stress components (1/GPa)")] = 5.0,
    alpha: Annotated[float, typer.Option(help="ridge regularisation")] = 1e-6,
    max_force: Annotated[float | None, typer.Option(help="leave out configurations with a teacher force component "
                                                        "above this (eV/Å)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the train/test split")] = 0,
    weights: Annotated[str | None, typer.Option(
        help="comma-separated weight per data set, in the order given (a configuration of weight k counts as k "
             "copies in the fit; e.g. 1,1,1,1,8 to stress the study's own glass frames)")] = None,
    train_only: Annotated[list[Path] | None, typer.Option(
        "--train-only", help="a data set (one of DATA) used whole for training, none of it held out; repeatable")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Fit a SNAP or POD potential to labelled data and validate it on a held-out split."""
    from ..errors import InputError
    from ..potential.pod import PodSpec
    from ..potential.snap import SnapSpec
    from ..potential.workflow import fit_potential

    if model == "pod":
        products = {"nrbf33": 4, "p33": 3, "nrbf34": 3, "p34": 2, "nrbf44": 2, "p44": 1} if pod_products else {}
        radial = _ints(pod_radial, 3, "--pod-radial")
        angular = _ints(pod_angular, 2, "--pod-angular")
        try:
            spec = PodSpec(rcut=pod_rcut, nrbf2=radial[0], nrbf3=radial[1], nrbf4=radial[2], p3=angular[0],
                           p4=angular[1], **products)
        except InputError as exc:
            raise InputError(exc.message, field="--pod-radial" if "radial" in exc.message else "--pod-rcut") from None
    elif model == "snap":
        disp = None if dispersion == "none" else dispersion
        spec = SnapSpec(twojmax=twojmax, rcutfac=rcutfac, quadratic=quadratic, dispersion=disp)
    else:
        raise InputError(f"--model must be snap or pod, got {model!r}", field="model")
    data_weights = None
    if weights is not None:
        try:
            data_weights = [float(w) for w in weights.split(",")]
        except ValueError:
            raise InputError(f"--weights must be comma-separated numbers, got {weights!r}", field="weights") from None
    res = fit_potential(data, out, spec=spec, test_fraction=test_fraction, seed=seed, w_energy=w_energy,
                        w_force=w_force, w_stress=w_stress, alpha=alpha, max_force_eV_A=max_force,
                        data_weights=data_weights, progress=_Progress(json_out),
                        train_only=_train_only_flags(data, train_only))
    if res["test"]:
        _verdict(res["test"])
    if json_out:
        echo_json(res)
        return
    tr = res["train_rmse"]
    err_console.print(f"train ({res['n_train']}): E {tr['energy_meV_atom']:.1f} meV/atom, F {tr['force_eV_A']:.3f} "
                      f"eV/Å, P {tr['pressure_GPa']:.2f} GPa; potential: {out}", markup=False)
    if res["test"]:
        _split_rows(res["test"]["bins"])


def _train_only_flags(data: list[Path], train_only: list[Path] | None) -> list[bool] | None:
    from ..errors import InputError

    if not train_only:
        return None
    resolved = [p.resolve() for p in data]
    for t in train_only:
        if t.resolve() not in resolved:
            raise InputError(f"--train-only {t}: not one of the data sets given", field="train_only")
    chosen = {t.resolve() for t in train_only}
    return [p in chosen for p in resolved]


@app.command("validate")
@handle_errors
def validate(
    potential: Annotated[Path, typer.Argument(help="potential directory")],
    data: Annotated[list[Path], typer.Argument(help="labelled data sets")],
    json_out: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Errors of a potential against teacher labels, per pressure bin, with the verdict."""
    from ..potential.workflow import validate_potential

    report = validate_potential(potential, data)
    _verdict(report)
    if json_out:
        echo_json(report)
        return
    _split_rows(report["bins"])


@app.command("compare-md")
@handle_errors
def compare_md(
    runs: Annotated[list[Path], typer.Argument(help="REFERENCE CANDIDATE [REFERENCE CANDIDATE …]: for each pressure, "
                                                    "the production frames of the same stage run with each potential")],
    cutoff: Annotated[list[str] | None, typer.Option(help="bond cutoff A-B=R (Å), repeatable; pairs not given: "
                                                          "first minimum of the reference's g_ab(r)")] = None,
    labels: Annotated[str, typer.Option(help="names of the reference and the candidate")] = "teacher,student",
    ring_max: Annotated[int, typer.Option(help="largest primitive ring searched")] = 10,
    out: Annotated[Path | None, typer.Option(help="folder for md_compare.json (with the curves) and one g(r) "
                                                  "figure per pressure")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """A student's MD structure against its teacher's (same protocol, cell and seed): density, g(r) and partials,
    coordination, bond angles, rings, each with the reference's sampling noise; verdict on density (≤ 2 %) and
    g(r) R (≤ 5 %) per pressure (:mod:`hpglass.potential.md_compare`)."""
    from ..io.trajectory import read_frames
    from ..potential.md_compare import compare_md as compare
    from ..structure.neighbors import check_frame

    if len(runs) % 2:
        raise InputError(f"expects REFERENCE CANDIDATE pairs, got {len(runs)} file(s)", field="runs")
    names = tuple(s.strip() for s in labels.split(","))
    if len(names) != 2 or not all(names):
        raise InputError(f"expected two comma-separated names, got {labels!r}", field="--labels")
    if ring_max < 3:
        raise InputError(f"must be at least 3, got {ring_max}", field="--ring-max")

    def frames_of(path: Path) -> list:
        got = read_frames(path, "::")
        for k, atoms in enumerate(got):
            check_frame(atoms, source=f"{path} frame {k}")
        return got

    results = []
    for ref_path, cand_path in zip(runs[::2], runs[1::2], strict=True):
        ref, cand = frames_of(ref_path), frames_of(cand_path)
        try:
            results.append(compare(ref, cand, cutoffs=cutoff or None, ring_max=ring_max, labels=names))
        except InputError as exc:  # name the pair of files the frames came from
            raise InputError(exc.message, source=cand_path if exc.field == names[1] else ref_path,
                             field=exc.field) from None
    warnings = [w for r in results for w in r.warnings]
    doc = {"pairs": [{"reference_file": str(a), "candidate_file": str(b)} | r.to_dict()
                     for a, b, r in zip(runs[::2], runs[1::2], results, strict=True)],
           "passed": all(r.passed for r in results), "warnings": warnings}
    if out is not None:
        _write_md_compare(out, runs, results)
        doc["out"] = str(out)
    for w in warnings:
        err_console.print(f"warning: {w}", markup=False)
    if json_out:
        echo_json(doc)
        return
    _md_table(results)


def _write_md_compare(out: Path, runs: list[Path], results: list) -> None:
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io.atomic import atomic_write_bytes, atomic_write_text

    out.mkdir(parents=True, exist_ok=True)
    doc = {"pairs": [{"reference_file": str(a), "candidate_file": str(b)} | r.to_dict(arrays=True)
                     for a, b, r in zip(runs[::2], runs[1::2], results, strict=True)]}
    atomic_write_text(out / "md_compare.json", json.dumps(doc, indent=1) + "\n")
    import io

    for k, r in enumerate(results):
        fig, ax = plt.subplots(figsize=(6, 4))
        r.plot(ax=ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
        plt.close(fig)
        name = f"md_compare_P_{r.pressure_GPa:g}GPa.png" if r.pressure_GPa is not None else f"md_compare_{k}.png"
        atomic_write_bytes(out / name, buf.getvalue())


def _md_row(m) -> tuple[str, ...]:
    """One measure as table cells, each number to the precision its sampling noise allows (at least 2 digits)."""
    def value(x: float | None) -> str:
        return "—" if x is None else f"{x:.3f}"

    def diff(x: float, signed: bool) -> str:
        if m.unit == "fraction":
            return f"{100 * x:{'+' if signed else ''}.1f} %"
        return f"{x:{'+' if signed else ''}.3f}"

    signed = m.kind == "difference"
    verdict = ("pass" if m.passed else "FAIL") if m.passed is not None else (
        "beyond sampling" if m.beyond_sampling else "")
    name = f"{m.name} ({m.value_unit})" if m.value_unit and m.value_unit != "neighbours" else m.name
    return name, value(m.reference), value(m.candidate), diff(m.difference, signed), diff(m.noise, False), verdict


def _md_table(results: list) -> None:
    from rich.console import Console
    from rich.table import Table

    for r in results:
        p = "?" if r.pressure_GPa is None else f"{r.pressure_GPa:g}"
        t = Table(title=f"{r.labels[1]} vs {r.labels[0]} at {p} GPa ({r.n_atoms} atoms, {r.n_frames[0]} / "
                        f"{r.n_frames[1]} frames; cutoffs "
                        + ", ".join(f"{k} {v:.2f} Å" for k, v in r.cutoffs_A.items()) + ")")
        for col in ("measure", r.labels[0], r.labels[1], "Δ or R", "sampling", "verdict"):
            t.add_column(col, overflow="fold")
        for m in r.measures:
            t.add_row(*_md_row(m))
        Console().print(t)
        err_console.print(f"verdict at {p} GPa: {'passed' if r.passed else 'failed'} (density ≤ 2 %, g(r) R ≤ 5 %)",
                          markup=False)
