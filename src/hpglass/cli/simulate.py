"""`hpglass simulate`: the melt–quench–compress protocol with an ML potential, and crystal references.

Three ways to call it:

* a new run — ``hpglass simulate --composition Sb2Se3 --atoms 80 --pressures 0,5,10,20 [--decompress] --out DIR``:
  writes ``DIR/run.json`` (``{"config": ProtocolConfig.to_dict(), "metadata": potential_info(...)}``, atomically)
  and runs :func:`hpglass.simulate.run_protocol` with a progress bar (stage, step, estimated time left) on
  stderr. Every :class:`~hpglass.simulate.ProtocolConfig` parameter has an option with the same default.
* a resumed run — ``hpglass simulate --resume DIR``: takes configuration, potential, device and torch threads
  from ``DIR/run.json`` (``--device`` / ``--threads`` override the last two) and continues from the last
  checkpoint; no other option is needed, and protocol options are refused (they live in run.json).
* the LAMMPS engine — ``hpglass simulate --engine lammps --potential DIR [--mpi N] …``: the same stages, files,
  progress bar and ``--resume`` with LAMMPS's own integrators and restart files, in a child process (under
  ``mpiexec -n N`` with ``--mpi N``) for a potential directory (:mod:`hpglass.potential.lammps_potential`); see
  :mod:`hpglass.simulate.lammps_engine`. run.json's metadata then says ``"engine": "lammps"``, and ``--resume``
  takes ``--mpi`` (not ``--device`` / ``--threads``).
* crystal references — ``hpglass simulate --crystal pnma|bcc --pressures … --out DIR``: 0 K full-cell
  relaxations along the ladder (:func:`hpglass.simulate.crystals.relax_ladder`): Pnma from the lowest pressure
  upwards, bcc from the highest downwards (its start, ``--bcc-density``, is a high-pressure density). Pressures
  already relaxed in DIR are skipped. With ``--engine lammps --potential DIR`` the forces and stress come from
  that LAMMPS potential (through ``lammpslib``; the optimiser stays ASE's): the crystal references of a glass run
  with the same potential.

Potentials come from :data:`POTENTIALS` (name → :class:`Potential`): ``sevenn`` (SevenNet-0, the default) and
``chgnet`` (with a warning about its pressure response). Tests add cheap ASE calculators to that registry.

Threads: hpglass's package import already loads numpy, so the OMP/OPENBLAS thread variables cannot take effect
for this process when set here; the command sets them for child processes and caps the loaded BLAS/OpenMP pools
with threadpoolctl (:func:`hpglass.parallel.limit_threads`). Set ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` in
the shell to be sure. torch's intra-op threads are ``--threads`` (default 1).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..simulate.protocol import ProtocolConfig, plan_stages
from .common import echo_json, err_console, handle_errors

RUN_JSON = "run.json"
DEFAULT_OUT = Path("simulate-out")
_D = ProtocolConfig()


# -- the potential registry ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Potential:
    """What the CLI needs to know about one potential.

    factory(device, threads) → zero-argument calculator factory (loads nothing yet).
    info(device, threads) → JSON-ready metadata recorded in run.json and every stage file.
    check(device) raises an :class:`HpglassError` when the potential cannot run here (missing package, no GPU).
    warning: a caveat printed on stderr when the potential is picked.
    """

    name: str
    factory: Callable[[str, int], Callable[[], Any]]
    info: Callable[[str, int], dict[str, Any]]
    check: Callable[[str], None] | None = None
    warning: str | None = None


def _ml_potential(name: str) -> Potential:
    from ..simulate import calculators as calc

    spec = calc.POTENTIALS[name]

    def check(device: str) -> None:
        for package in ("torch", spec["package"]):
            if importlib.util.find_spec(package) is None:
                raise calc._missing(package, name)
        if device not in ("cpu", "cuda"):
            raise InputError(f"must be 'cpu' or 'cuda', got {device!r}", field="--device")
        if device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise InputError(f"cuda asked for, but torch {torch.__version__} sees no CUDA GPU here; use "
                                 "--device cpu", field="--device")

    return Potential(name=name,
                     factory=lambda device, threads: calc.calculator_factory(name, device, threads),
                     info=lambda device, threads: calc.potential_info(name, device, threads),
                     check=check, warning=calc.potential_warning(name))


def _teacher_potential(name: str, elements: tuple[str, ...]) -> Potential:
    """A distillation teacher (SevenNet-0 + D3, :mod:`hpglass.potential.teacher`) as an ASE-engine potential: the
    teacher's own glass or crystal references, made by the same protocol as a student's. ``elements`` become the
    D3 term's LAMMPS atom types."""
    from ..potential.lammps_potential import open_lammps
    from ..potential.teacher import TEACHERS, make_teacher, teacher_info, teacher_ml

    ml = _ml_potential(teacher_ml(name))

    def check(device: str) -> None:
        ml.check(device)
        if TEACHERS[name][1] is not None:  # D3 runs in LAMMPS: fail here, in one line, not at the first step
            open_lammps().close()

    def info(device: str, threads: int) -> dict[str, Any]:
        return ml.info(device, threads) | teacher_info(name) | {"potential": name}

    return Potential(name=name,
                     factory=lambda device, threads: functools.partial(make_teacher, name, elements, int(threads),
                                                                       device),
                     info=info, check=check, warning=ml.warning)


#: potential name → :class:`Potential`; ``--potential`` picks one (tests register cheap ASE calculators here)
POTENTIALS: dict[str, Potential] = {name: _ml_potential(name) for name in ("sevenn", "chgnet")}


def _potential(name: str, elements: tuple[str, ...] = ("Sb", "Se")) -> Potential:
    from ..potential.teacher import TEACHERS

    if name in POTENTIALS:
        return POTENTIALS[name]
    if name in TEACHERS and name not in POTENTIALS:
        return _teacher_potential(name, elements)
    if (Path(name) / "potential.json").is_file():
        return _lammps_ase_potential(Path(name))
    names = list(POTENTIALS) + [t for t in TEACHERS if t not in POTENTIALS]
    raise InputError(f"unknown potential {name!r}; choose one of {', '.join(names)}, or a potential directory "
                     "(with potential.json)", field="--potential")


# -- option plumbing -------------------------------------------------------------------------------------------------
#: ProtocolConfig field → (parameter name of :func:`simulate`, command-line flag)
CONFIG_OPTIONS: dict[str, tuple[str, str]] = {
    "composition": ("composition", "--composition"),
    "n_atoms": ("atoms", "--atoms"),
    "initial_density_g_cm3": ("initial_density", "--initial-density"),
    "min_distance_A": ("min_distance", "--min-distance"),
    "seed": ("seed", "--seed"),
    "timestep_fs": ("timestep_fs", "--timestep-fs"),
    "melt_temperature_K": ("melt_temperature", "--melt-temperature"),
    "melt_steps": ("melt_steps", "--melt-steps"),
    "quench_rate_K_per_ps": ("quench_rate", "--quench-rate"),
    "temperature_K": ("temperature", "--temperature"),
    "equilibration_steps": ("equilibration_steps", "--equilibration-steps"),
    "pressures_GPa": ("pressures", "--pressures"),
    "pressure_equilibration_steps": ("pressure_equilibration_steps", "--pressure-equilibration-steps"),
    "steps_per_pressure": ("steps_per_pressure", "--steps-per-pressure"),
    "sample_every": ("sample_every", "--sample-every"),
    "checkpoint_every": ("checkpoint_every", "--checkpoint-every"),
    "friction_per_fs": ("friction", "--friction"),
    "thermostat_time_fs": ("thermostat_time_fs", "--thermostat-time-fs"),
    "barostat_time_fs": ("barostat_time_fs", "--barostat-time-fs"),
    "compressibility_per_GPa": ("compressibility", "--compressibility"),
    "decompress": ("decompress", "--decompress"),
    "barostat": ("barostat", "--barostat"),
    "initial_structure": ("initial_structure", "--initial-structure"),
}
#: the fields of this hpglass's ProtocolConfig (tests check that each has an option above)
_CONFIG_FIELDS = {f.name for f in fields(ProtocolConfig)}

#: options of the melt–quench run only (config, plus the potential, which on --resume comes from run.json)
_MD_ONLY = {param for param, _ in CONFIG_OPTIONS.values()} - {"seed", "pressures"}
#: options of --crystal only
_CRYSTAL_ONLY = {"fmax": "--fmax", "max_steps": "--max-steps", "optimizer": "--optimizer",
                 "bcc_density": "--bcc-density"}
_FLAGS = {param: flag for param, flag in CONFIG_OPTIONS.values()} | _CRYSTAL_ONLY | {
    "potential": "--potential", "out": "--out", "device": "--device", "threads": "--threads",
    "engine": "--engine", "mpi": "--mpi"}


def _given(ctx: typer.Context, param: str) -> bool:
    from typer._click.core import ParameterSource

    return ctx.get_parameter_source(param) not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP)


def _refuse(ctx: typer.Context, params, why: str) -> None:
    for param in sorted(params):
        if _given(ctx, param):
            raise InputError(why, field=_FLAGS[param])


def parse_pressures(text: str) -> tuple[float, ...]:
    """'0,5,10' → (0.0, 5.0, 10.0); an :class:`InputError` naming --pressures for anything else."""
    values = []
    for token in str(text).replace(";", ",").split(","):
        token = token.strip()
        if not token:
            raise InputError(f"empty entry in {text!r}; give comma-separated numbers in GPa, e.g. 0,5,10",
                             field="--pressures")
        try:
            v = float(token)
        except ValueError:
            raise InputError(f"{token!r} is not a number; give comma-separated pressures in GPa, e.g. 0,5,10",
                             field="--pressures") from None
        if not math.isfinite(v):
            raise InputError(f"{token!r} is not a finite pressure", field="--pressures")
        values.append(v)
    return tuple(values)


def _config_error(exc: InputError) -> InputError:
    """The same error with the config field replaced by its command-line flag."""
    if exc.field in CONFIG_OPTIONS:
        return InputError(exc.message, source=exc.source, line=exc.line, field=CONFIG_OPTIONS[exc.field][1])
    return exc


def _limit_threads() -> None:
    from ..parallel import limit_threads

    limit_threads(1)


def _warn(pot: Potential) -> None:
    """The potential's caveat on stderr (also with --json, whose summary carries it too)."""
    if pot.warning:
        err_console.print(f"hpglass: warning: {pot.warning}", markup=False)


# -- progress --------------------------------------------------------------------------------------------------------
class _Progress:
    """The ``progress(stage, step, n_steps)`` callback: a rich bar for the whole run and one for the stage."""

    def __init__(self, stage_steps: list[tuple[str, int]], done_before: dict[str, int], quiet: bool):
        self.stage_steps = stage_steps
        self.offsets: dict[str, int] = {}
        total = 0
        for name, n in stage_steps:
            self.offsets[name] = total
            total += n
        self.total = total
        self.index = {name: i for i, (name, _) in enumerate(stage_steps)}
        self.stage: str | None = None
        self.step = 0
        self._last = -math.inf
        self.bar = None
        if quiet:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"),
                            TimeRemainingColumn(), console=err_console, transient=False, refresh_per_second=2)
        start = sum(done_before.values())
        self.run_task = self.bar.add_task("all stages", total=max(total, 1), completed=start)
        self.stage_task = self.bar.add_task("", total=1, completed=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None and self.stage is not None:
            self.bar.stop()
        return False

    def __call__(self, stage: str, step: int, n_steps: int) -> None:
        if self.bar is not None and self.stage is None:  # started at the first step: errors before it stay one line
            self.bar.start()
        if stage != self.stage:
            self._last = -math.inf
            self.stage = stage
            if self.bar is not None:
                label = f"{self.index[stage] + 1}/{len(self.stage_steps)} {stage}"
                self.bar.reset(self.stage_task, total=max(n_steps, 1), completed=step - 1, description=label)
        self.step = step
        if self.bar is None:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and step < n_steps:  # the bar redraws twice a second: skip most updates
            return
        self._last = now
        self.bar.update(self.stage_task, completed=step)
        self.bar.update(self.run_task, completed=self.offsets[stage] + step)


# -- the command -----------------------------------------------------------------------------------------------------
@handle_errors
def simulate(
    ctx: typer.Context,
    composition: Annotated[str, typer.Option(help="chemical formula of the glass")] = _D.composition,
    atoms: Annotated[int, typer.Option("--atoms", help="atoms in the cubic cell")] = _D.n_atoms,
    pressures: Annotated[str, typer.Option(
        help="pressure ladder, GPa, comma-separated (strictly increasing for a run; any order for --crystal)")]
        = ",".join(f"{p:g}" for p in _D.pressures_GPa),
    decompress: Annotated[bool, typer.Option("--decompress", help="after the top pressure, step back down")]
        = _D.decompress,
    potential: Annotated[str, typer.Option(help="sevenn (SevenNet-0, default) | chgnet (faster; soft above "
                                                "~50 GPa) | sevenn-d3zero (the distillation teacher, + D3) | a "
                                                "LAMMPS potential directory (its forces on the ASE engine; "
                                                "required with --engine lammps)")] = "sevenn",
    engine: Annotated[str, typer.Option(help="ase (any ASE calculator, default) | lammps (LAMMPS's own MD with "
                                             "the potential directory given as --potential)")] = "ase",
    mpi: Annotated[int, typer.Option(help="--engine lammps: MPI ranks (mpiexec -n N)")] = 1,
    device: Annotated[str, typer.Option(help="cpu | cuda")] = "cpu",
    threads: Annotated[int, typer.Option(help="torch threads of the potential")] = 1,
    seed: Annotated[int, typer.Option(help="seed of packing, velocities and noise (and of bcc occupancies)")]
        = _D.seed,
    out: Annotated[Path | None, typer.Option(help=f"output folder (default {DEFAULT_OUT})")] = None,
    resume: Annotated[Path | None, typer.Option(help="continue the run in this folder (reads its run.json)")]
        = None,
    crystal: Annotated[str | None, typer.Option(help="relax a crystal along --pressures instead: pnma | bcc")]
        = None,
    initial_density: Annotated[float, typer.Option(help="density of the random start, g/cm³")]
        = _D.initial_density_g_cm3,
    min_distance: Annotated[float, typer.Option(help="minimum distance in the random start, Å")] = _D.min_distance_A,
    timestep_fs: Annotated[float, typer.Option(help="MD time step, fs")] = _D.timestep_fs,
    melt_temperature: Annotated[float, typer.Option(help="melt temperature, K")] = _D.melt_temperature_K,
    melt_steps: Annotated[int, typer.Option(help="NVT steps of the melt")] = _D.melt_steps,
    quench_rate: Annotated[float, typer.Option(help="cooling rate, K/ps")] = _D.quench_rate_K_per_ps,
    temperature: Annotated[float, typer.Option(help="temperature after the quench and of the ladder, K")]
        = _D.temperature_K,
    equilibration_steps: Annotated[int, typer.Option(help="NVT steps after the quench")] = _D.equilibration_steps,
    pressure_equilibration_steps: Annotated[int, typer.Option(help="NPT steps at each pressure before sampling")]
        = _D.pressure_equilibration_steps,
    steps_per_pressure: Annotated[int, typer.Option(help="NPT production steps at each pressure")]
        = _D.steps_per_pressure,
    sample_every: Annotated[int, typer.Option(help="steps between sampled frames and log points")]
        = _D.sample_every,
    checkpoint_every: Annotated[int, typer.Option(help="steps between checkpoints")] = _D.checkpoint_every,
    friction: Annotated[float, typer.Option(help="Langevin friction, 1/fs")] = _D.friction_per_fs,
    thermostat_time_fs: Annotated[float, typer.Option(help="Berendsen thermostat time (NPT), fs")]
        = _D.thermostat_time_fs,
    barostat_time_fs: Annotated[float, typer.Option(help="Berendsen barostat time, fs")] = _D.barostat_time_fs,
    compressibility: Annotated[float, typer.Option(help="barostat compressibility, 1/GPa (sets its speed)")]
        = _D.compressibility_per_GPa,
    barostat: Annotated[str, typer.Option(help="isotropic | full (cell lengths independently)")] = _D.barostat,
    initial_structure: Annotated[Path | None, typer.Option(
        help="start from this structure (extxyz, POSCAR, …; its last frame) instead of a melt–quench: skips melt "
             "and quench")] = None,
    fmax: Annotated[float, typer.Option(help="--crystal: force/stress convergence, eV/Å")] = 0.01,
    max_steps: Annotated[int, typer.Option(help="--crystal: optimiser steps per pressure")] = 500,
    optimizer: Annotated[str, typer.Option(help="--crystal: fire | bfgs")] = "fire",
    bcc_density: Annotated[float, typer.Option(help="--crystal bcc: density of the start, g/cm³")] = 7.5,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object (no progress bar)")] = False,
) -> None:
    """Melt–quench–compress a glass with an ML potential (checkpointed; --resume DIR), or relax a crystal."""
    _limit_threads()
    if int(threads) < 1:
        raise InputError(f"must be at least 1, got {threads}", field="--threads")
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}", field="--engine")
    if int(mpi) < 1:
        raise InputError(f"must be at least 1, got {mpi}", field="--mpi")
    if engine == "lammps":
        _refuse(ctx, {"device", "threads"}, "applies to the ASE engine; --engine lammps runs on CPU cores "
                                            "(use --mpi N)")
        if resume is None and not _given(ctx, "potential"):
            raise InputError("--engine lammps needs --potential DIR (a folder with potential.json)",
                             field="--potential")
    elif resume is None:
        _refuse(ctx, {"mpi"}, "applies to --engine lammps")
    if crystal is not None:
        _refuse(ctx, _MD_ONLY, "is an option of the melt–quench run, not of --crystal")
        if resume is not None:
            raise InputError("--crystal runs resume by themselves: run the same command again", field="--resume")
        pot = (_lammps_crystal_potential(Path(potential)) if engine == "lammps"
               else _potential(potential, _crystal_elements(crystal, bcc_density, seed)))
        _run_crystal(crystal, parse_pressures(pressures), pot, device, threads, seed, out or DEFAULT_OUT,
                     fmax, max_steps, optimizer, bcc_density, json_out)
        return
    _refuse(ctx, _CRYSTAL_ONLY, "applies to --crystal relaxations only")
    if resume is not None:
        _refuse(ctx, _MD_ONLY | {"seed", "pressures", "potential", "out", "engine"},
                f"--resume takes the configuration from {resume / RUN_JSON}; drop this option")
        _resume(resume, device if _given(ctx, "device") else None, threads if _given(ctx, "threads") else None,
                json_out, mpi=int(mpi) if _given(ctx, "mpi") else None)
        return

    from ..composition import Composition

    Composition.parse(composition, source="--composition")
    if initial_structure is not None and not initial_structure.is_file():
        raise InputError("no such file", source=initial_structure, field="--initial-structure")
    values = {field: ctx.params[param] for field, (param, _) in CONFIG_OPTIONS.items() if field in _CONFIG_FIELDS}
    values["pressures_GPa"] = parse_pressures(pressures)
    if values.get("initial_structure") is not None:  # absolute: a resume may start from another directory
        values["initial_structure"] = str(Path(values["initial_structure"]).resolve())
    try:
        config = ProtocolConfig(**values)
    except InputError as exc:
        raise _config_error(exc) from None
    out = out or DEFAULT_OUT
    if (out / "checkpoint.json").is_file():
        raise InputError(f"holds a checkpoint of an earlier run: continue it with 'hpglass simulate --resume {out}', "
                         "or choose another --out", source=out)
    if engine == "lammps":
        _new_lammps_run(config, Path(potential), int(mpi), out, json_out)
        return
    pot = _potential(potential, Composition.parse(composition).elements)
    if pot.check is not None:
        pot.check(device)
    metadata = pot.info(device, int(threads))
    out.mkdir(parents=True, exist_ok=True)
    from ..io.atomic import atomic_write_text

    atomic_write_text(out / RUN_JSON, json.dumps({"config": config.to_dict(), "metadata": metadata}, indent=1) + "\n")
    _warn(pot)
    _run(config, pot, device, int(threads), metadata, out, resume=False, json_out=json_out)


def _short(exc: BaseException, limit: int = 160) -> str:
    """An exception's message on one short line (a JSON error can quote a whole line of the file)."""
    msg = " ".join(str(exc).split())
    return msg if len(msg) <= limit else msg[:limit - 1] + "…"


def _resume(folder: Path, device: str | None, threads: int | None, json_out: bool, mpi: int | None = None) -> None:
    path = folder / RUN_JSON
    if not path.is_file():
        raise InputError(f"no {RUN_JSON} here: not the folder of an 'hpglass simulate' run", source=folder)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        cfg = doc["config"]
        metadata = dict(doc["metadata"])
    except UnicodeDecodeError as exc:
        raise InputError(f"is not a run record (not UTF-8 text: byte {exc.object[exc.start]:#04x} at offset "
                         f"{exc.start})", source=path) from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, RecursionError) as exc:
        # ValueError: besides JSONDecodeError (its subclass), an integer literal over sys.get_int_max_str_digits()
        # (4300) digits; dict() of a list of non-pairs. RecursionError: arrays nested thousands deep
        raise InputError(f"is not a run record ({type(exc).__name__}: {_short(exc)})", source=path) from None
    try:
        config = ProtocolConfig.from_dict(cfg)
    except InputError as exc:
        raise InputError(exc.message, source=path, field=exc.field) from None
    except (TypeError, ValueError, OverflowError) as exc:  # a wrong type, "abc" or 1e400 for an integer
        raise InputError(f"bad configuration ({_short(exc)})", source=path) from None
    if metadata.get("engine") == "lammps":
        if device is not None or threads is not None:
            raise InputError("applies to the ASE engine; this run uses LAMMPS (use --mpi N)",
                             field="--device" if device is not None else "--threads")
        _resume_lammps(config, metadata, folder, mpi, json_out, path)
        return
    if mpi is not None:
        raise InputError("applies to --engine lammps runs; this one uses the ASE engine", field="--mpi")
    from ..composition import Composition

    pot = _potential(str(metadata.get("potential")), Composition.parse(config.composition).elements)
    if "potential_json_sha256" in metadata:  # a LAMMPS potential directory run by the ASE engine
        now = pot.info("cpu", 1).get("potential_json_sha256")
        if now != metadata["potential_json_sha256"]:
            raise InputError(f"the potential in {metadata.get('potential')} changed since the run started (its "
                             "potential.json hash differs); restore it, or start a new run", source=path,
                             field="potential")
    dev = device if device is not None else str(metadata.get("device", "cpu"))
    try:
        nthreads = threads if threads is not None else int(metadata.get("torch_threads", 1))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"bad torch_threads in the run record ({_short(exc)})", source=path,
                         field="metadata.torch_threads") from None
    if int(nthreads) < 1:
        raise InputError(f"must be at least 1, got {nthreads}", field="--threads")
    if pot.check is not None:
        pot.check(dev)
    if dev != metadata.get("device") or nthreads != metadata.get("torch_threads"):
        metadata = pot.info(dev, int(nthreads))  # the stage files record what this part really ran on
    _warn(pot)
    _run(config, pot, dev, int(nthreads), metadata, folder, resume=True, json_out=json_out)


def _done_steps(config: ProtocolConfig, out: Path) -> dict[str, int]:
    from ..simulate.checkpoint import read_checkpoint

    ckpt = read_checkpoint(out)
    if ckpt is None:
        return {}
    steps = {s.name: s.n_steps for s in plan_stages(config)}
    done = {name: steps.get(name, 0) for name in ckpt.completed}
    if ckpt.stage not in done:
        done[ckpt.stage] = ckpt.step
    return done


def _run(config: ProtocolConfig, pot: Potential, device: str, threads: int, metadata: dict, out: Path,
         resume: bool, json_out: bool) -> None:
    from ..simulate.protocol import run_protocol

    def runner(bar):
        return run_protocol(config, pot.factory(device, threads), out, resume=resume, progress=bar,
                            metadata=metadata)

    _run_with(runner, config, metadata, out, resume, json_out, pot.warning)


def _run_with(runner: Callable[[Callable[[str, int, int], None]], Any], config: ProtocolConfig, metadata: dict,
              out: Path, resume: bool, json_out: bool, warning: str | None) -> None:
    """``runner(progress)`` under the progress bar; then the summary (JSON or a table). Both engines end here."""
    from .. import __version__

    stages = [(s.name, s.n_steps) for s in plan_stages(config)]
    bar = _Progress(stages, _done_steps(config, out) if resume else {}, quiet=json_out)
    try:
        with bar:
            result = runner(bar)
    except KeyboardInterrupt:
        where = f" in stage {bar.stage} at step {bar.step}" if bar.stage else ""
        err_console.print(f"hpglass: interrupted{where}; continue with: hpglass simulate --resume {out}",
                          markup=False)
        raise typer.Exit(130) from None
    summary = {
        "out_dir": str(out), "run_json": str(out / RUN_JSON), "potential": metadata.get("potential"),
        "warning": warning, "metadata": metadata, "config": config.to_dict(), "stages": result.stages,
        "files": {k: [str(p) for p in v] for k, v in result.files.items()},
        "mean_density_g_cm3": result.mean_density_g_cm3,
        "resumed_from": None if result.resumed_from is None else {"stage": result.resumed_from[0],
                                                                  "step": result.resumed_from[1]},
        "hpglass_version": __version__,
    }
    if json_out:
        echo_json(summary)
        return
    _print_run(summary)


def _print_run(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    if summary["resumed_from"]:
        rf = summary["resumed_from"]
        console.print(f"resumed from stage {rf['stage']}, step {rf['step']}")
    table = Table(title=f"{summary['config']['composition']}, {summary['config']['n_atoms']} atoms, "
                        f"{summary['potential']}: mean density over production")
    table.add_column("stage")
    table.add_column("ρ (g/cm³)", justify="right")
    for stage, rho in summary["mean_density_g_cm3"].items():
        table.add_row(stage, f"{rho:.4f}")
    console.print(table)
    console.print(f"stage files (.json, .extxyz) in {summary['out_dir']}; run record {summary['run_json']}")


# -- the LAMMPS engine -----------------------------------------------------------------------------------------------
#: values of --engine
ENGINES = ("ase", "lammps")


def _new_lammps_run(config: ProtocolConfig, potential_dir: Path, mpi: int, out: Path, json_out: bool) -> None:
    from ..io.atomic import atomic_write_text
    from ..simulate.lammps_engine import check_species, worker_command

    metadata = _lammps_metadata(potential_dir, mpi)
    worker_command(out, mpi)  # no mpiexec for --mpi N: one line now, before run.json
    try:
        check_species(config, potential_dir)
    except InputError as exc:
        raise InputError(exc.message, field="--composition") from None
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / RUN_JSON, json.dumps({"config": config.to_dict(), "metadata": metadata}, indent=1) + "\n")
    _run_lammps(config, metadata, out, mpi, resume=False, json_out=json_out)


def _lammps_metadata(potential_dir: Path, mpi: int) -> dict[str, Any]:
    from ..simulate.lammps_engine import lammps_metadata

    try:
        return lammps_metadata(potential_dir, mpi)
    except InputError as exc:  # the potential module names its own fields; on the command line it is --potential
        raise InputError(exc.message, source=exc.source, line=exc.line, field="--potential") from None


def _resume_lammps(config: ProtocolConfig, metadata: dict[str, Any], folder: Path, mpi: int | None, json_out: bool,
                   run_json: Path) -> None:
    ranks = int(mpi) if mpi is not None else int(metadata.get("mpi_ranks", 1))
    current = _lammps_metadata(Path(str(metadata.get("potential"))), ranks)
    if current["potential_json_sha256"] != metadata.get("potential_json_sha256"):
        raise InputError(f"the potential in {current['potential']} changed since the run started (its potential.json "
                         "hash differs); restore it, or start a new run", source=run_json, field="potential")
    if ranks != metadata.get("mpi_ranks"):
        metadata = current  # the stage files record what this part really ran on
    _run_lammps(config, metadata, folder, ranks, resume=True, json_out=json_out)


def _run_lammps(config: ProtocolConfig, metadata: dict[str, Any], out: Path, mpi: int, resume: bool,
                json_out: bool) -> None:
    from ..simulate.lammps_engine import run_lammps_protocol

    def runner(bar):
        return run_lammps_protocol(config, metadata["potential"], out, resume=resume, progress=bar,
                                   metadata=metadata, mpi=mpi)

    _run_with(runner, config, metadata, out, resume, json_out, None)


# -- crystals --------------------------------------------------------------------------------------------------------
def _crystal_elements(name: str, bcc_density: float, seed: int) -> tuple[str, ...]:
    from ..simulate.crystals import CRYSTALS, crystal

    if name not in CRYSTALS:
        raise InputError(f"unknown crystal {name!r}; choose one of {', '.join(CRYSTALS)}", field="--crystal")
    if not (math.isfinite(bcc_density) and bcc_density > 0):
        raise InputError(f"must be positive, got {bcc_density}", field="--bcc-density")
    return tuple(dict.fromkeys(crystal(name, bcc_density_g_cm3=bcc_density, seed=seed).get_chemical_symbols()))


def _lammps_crystal_potential(directory: Path) -> Potential:
    """A LAMMPS potential directory as the calculator of the crystal relaxations (ASE's optimiser and cell filter,
    LAMMPS's forces and stress through ``lammpslib``): the crystal references of a glass run with that potential."""
    return _lammps_ase_potential(directory, "ASE optimiser, LAMMPS forces (lammpslib)")


def _lammps_ase_potential(directory: Path, engine: str = "ASE integrators, LAMMPS forces (lammpslib)") -> Potential:
    """A LAMMPS potential directory as an ASE-engine calculator: the protocol's ASE integrators and barostat with the
    potential's forces, so that a student runs exactly as its teacher does (``--potential DIR`` without
    ``--engine lammps``)."""
    from ..potential.lammps_potential import load_potential

    meta = _lammps_metadata(directory, 1)
    pot = load_potential(directory)
    return Potential(name=str(pot.directory), factory=lambda device, threads: pot.calculator,
                     info=lambda device, threads: meta | {"potential": str(pot.directory), "engine": engine})


def _run_crystal(name: str, pressures: tuple[float, ...], pot: Potential, device: str, threads: int, seed: int,
                 out: Path, fmax: float, max_steps: int, optimizer: str, bcc_density: float, json_out: bool) -> None:
    from .. import __version__
    from ..simulate.crystals import CRYSTALS, OPTIMIZERS, crystal, relax_ladder

    if name not in CRYSTALS:
        raise InputError(f"unknown crystal {name!r}; choose one of {', '.join(CRYSTALS)}", field="--crystal")
    if optimizer.lower() not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}",
                         field="--optimizer")
    if not (math.isfinite(fmax) and fmax > 0):
        raise InputError(f"must be positive, got {fmax}", field="--fmax")
    if max_steps < 1:
        raise InputError(f"must be at least 1, got {max_steps}", field="--max-steps")
    if len(set(pressures)) != len(pressures):
        raise InputError(f"pressures repeat: {list(pressures)}", field="--pressures")
    if not (math.isfinite(bcc_density) and bcc_density > 0):
        raise InputError(f"must be positive, got {bcc_density}", field="--bcc-density")
    # Pnma up from its ambient cell; bcc down from its high-pressure start
    ladder = sorted(pressures, reverse=(name == "bcc"))
    if pot.check is not None:
        pot.check(device)
    metadata = pot.info(device, int(threads)) | {"crystal": name, "ladder_order_GPa": ladder}
    if name == "bcc":
        metadata |= {"bcc_start_density_g_cm3": bcc_density, "bcc_seed": seed}
    start = crystal(name, bcc_density_g_cm3=bcc_density, seed=seed)
    _warn(pot)

    bar = None
    if not json_out:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                       TimeElapsedColumn(), console=err_console, refresh_per_second=2)
    state: dict[str, Any] = {"p": None, "task": None, "step": 0}

    def finish_task() -> None:  # a relaxation that converged early: show its bar full, at its own step count
        if state["task"] is not None:
            bar.update(state["task"], total=max(state["step"], 1), completed=max(state["step"], 1))

    def progress(p: float, step: int, n: int) -> None:
        if bar is None:
            return
        if p != state["p"]:
            if state["p"] is None:  # started at the first step: errors before it stay one line
                bar.start()
            finish_task()
            state["p"] = p
            state["task"] = bar.add_task(f"{name} at {p:g} GPa", total=n)
        state["step"] = step
        bar.update(state["task"], completed=step)

    try:
        result = relax_ladder(start, ladder, pot.factory(device, int(threads)), out, name=name, fmax=fmax,
                              steps=max_steps, optimizer=optimizer.lower(), metadata=metadata, progress=progress)
    except KeyboardInterrupt:
        err_console.print("hpglass: interrupted; finished pressures are kept: run the same command again to go on",
                          markup=False)
        raise typer.Exit(130) from None
    finally:
        if bar is not None and state["p"] is not None:
            finish_task()
            bar.stop()
    summary = result.to_dict() | {"potential": metadata.get("potential"), "warning": pot.warning,
                                  "metadata": metadata, "hpglass_version": __version__}
    not_converged = [r.pressure_GPa for r in result.results if not r.converged]
    summary["not_converged_GPa"] = not_converged
    if json_out:
        echo_json(summary)
        return
    if not_converged:
        err_console.print(f"hpglass: warning: not converged within {max_steps} steps at "
                          f"{', '.join(f'{p:g}' for p in not_converged)} GPa", markup=False)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{name} Sb2Se3, {summary['potential']}, 0 K relaxed (fmax {fmax:g} eV/Å)")
    for col in ("P (GPa)", "ρ (g/cm³)", "V/atom (Å³)", "H/atom (eV)", "steps", "converged"):
        table.add_column(col, justify="right")
    for r in sorted(result.results, key=lambda r: r.pressure_GPa):
        table.add_row(f"{r.pressure_GPa:g}", f"{r.density_g_cm3:.4f}", f"{r.volume_per_atom_A3:.3f}",
                      f"{r.enthalpy_per_atom_eV:.4f}", str(r.n_steps), "yes" if r.converged else "NO")
    console = Console(highlight=False, soft_wrap=True)
    console.print(table)
    if result.skipped:
        console.print(f"{len(result.skipped)} of {len(result.results)} pressures read back from an earlier run "
                      f"({', '.join(f'{p:g}' for p in result.skipped)} GPa)")
    console.print(f"structures {name}_P_<p>GPa.extxyz and tables {result.table_json}, {result.table_csv}")


__all__ = ["CONFIG_OPTIONS", "POTENTIALS", "Potential", "parse_pressures", "simulate"]
