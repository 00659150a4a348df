"""Melt–quench–compress protocol with any ASE calculator, checkpointed and resumable.

Stages, in order (each one continues from the atoms the previous one left):

``melt``
    NVT Langevin at ``melt_temperature_K`` for ``melt_steps``, from a random packing
    (:func:`hpglass.structure.random_cell.random_packing`) with Maxwell–Boltzmann velocities at that temperature.
``quench``
    Langevin whose target temperature falls linearly, step by step, from ``melt_temperature_K`` to
    ``temperature_K`` at ``quench_rate_K_per_ps`` (number of steps = ΔT / rate / timestep, at least 1).
``equilibrate``
    NVT Langevin at ``temperature_K`` for ``equilibration_steps``.
``P_<p>GPa`` for each pressure of ``pressures_GPa`` (strictly increasing)
    Berendsen NPT (isotropic or full cell, see ``barostat``) at ``temperature_K`` and ``p`` GPa:
    ``pressure_equilibration_steps`` steps, then ``steps_per_pressure`` production steps, during which a frame is
    sampled every ``sample_every`` steps (so ``steps_per_pressure // sample_every`` frames per pressure).
``P_<p>GPa_decompress`` (only with ``decompress=True``)
    The same for the pressures below the highest one, in decreasing order, continuing from the top of the ladder.

Outputs in ``out_dir``: ``<stage>.json`` for every stage (targets, parameters, time series of temperature,
density and — in NPT stages — pressure, logged every ``sample_every`` steps; hpglass version; calculator class),
``<stage>.extxyz`` with the sampled frames for every pressure stage, and ``checkpoint.json`` /
``checkpoint.traj`` (see :mod:`hpglass.simulate.checkpoint`). Every file is written atomically, a stage's files
once, when the stage ends; frames of an unfinished stage live in a hidden ``.<stage>.partial.extxyz``.

Determinism: one :class:`numpy.random.Generator` seeded with ``seed`` drives the packing, the initial velocities
and all Langevin noise; its state is checkpointed, and the atomic state is checkpointed exactly, so a resumed run
produces byte-identical stage files to an uninterrupted one (for a calculator that is itself deterministic).

Threads: the protocol is meant to run with one BLAS thread (many runs side by side are faster than one
multithreaded run for cells of a few hundred atoms). A library cannot set ``OMP_NUM_THREADS`` /
``OPENBLAS_NUM_THREADS`` after numpy is imported, so set them to 1 in the environment before starting Python;
when :mod:`threadpoolctl` happens to be installed, :func:`run_protocol` additionally limits BLAS/OpenMP pools to
one thread for the duration of the run. Calculators with their own threading (torch) are not touched.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text, remove_stale_temps
from .checkpoint import Checkpoint, atoms_from_state, atoms_to_state, compare_configs, read_checkpoint, write_checkpoint

__all__ = ["ProtocolConfig", "ProtocolResult", "StagePlan", "collect_outputs", "plan_stages", "run_protocol"]

#: amu/Å³ → g/cm³
_AMU_A3_TO_G_CM3 = 1.66053906660


@dataclass(frozen=True)
class ProtocolConfig:
    """Parameters of the melt–quench–compress protocol. Units are in the field names; defaults are production-like
    values for an Sb2Se3 glass (≈10⁵ MD steps), far too long for tests — tests shrink them.

    composition: chemical formula parsed by :class:`hpglass.Composition` (default ``"Sb2Se3"``).
    n_atoms: atoms in the cubic periodic cell (default 250).
    initial_density_g_cm3: density of the random starting packing, g/cm³ (default 5.4).
    min_distance_A: minimum interatomic distance of the packing, Å (default 2.3).
    seed: seed of the single random generator (packing, velocities, Langevin noise) (default 0).
    timestep_fs: MD time step, fs (default 2.0).
    melt_temperature_K: melt temperature, K (default 1200).
    melt_steps: NVT steps at the melt temperature (default 10000).
    quench_rate_K_per_ps: cooling rate from melt to ``temperature_K``, K/ps (default 10).
    temperature_K: temperature of equilibration and of the pressure ladder, K (default 300).
    equilibration_steps: NVT steps at ``temperature_K`` after the quench (default 5000).
    pressures_GPa: the pressure ladder, GPa, strictly increasing (default 0, 2, 5, 10, 15, 20).
    pressure_equilibration_steps: NPT steps at each pressure before sampling starts (default 2500).
    steps_per_pressure: NPT production steps at each pressure (default 5000).
    sample_every: steps between sampled frames (and between time-series log points) (default 100).
    checkpoint_every: steps between mid-stage checkpoints; a checkpoint is also written after each stage
        (default 1000).
    friction_per_fs: Langevin friction, 1/fs (default 0.01).
    thermostat_time_fs: Berendsen thermostat time constant in NPT stages, fs (default 100).
    barostat_time_fs: Berendsen barostat time constant, fs (default 1000).
    compressibility_per_GPa: compressibility assumed by the Berendsen barostat, 1/GPa; only sets how fast the
        volume relaxes, not where it ends (default 0.02, i.e. a bulk modulus of 50 GPa).
    decompress: after the top pressure, also step back down the ladder (default False).
    barostat: ``"isotropic"`` (the cell keeps its shape, :class:`ase.md.nptberendsen.NPTBerendsen`) or ``"full"``
        (the three cell lengths relax independently,
        :class:`ase.md.nptberendsen.Inhomogeneous_NPTBerendsen`) (default ``"isotropic"``: right for a glass,
        whose stress is isotropic on average; ``"full"`` lets a crystallizing cell relax its shape).
    initial_structure: path of a structure file (extxyz, traj, POSCAR … anything :func:`ase.io.read` reads; the
        last frame) to start from instead of a melt–quench: the ``melt`` and ``quench`` stages are skipped, the
        velocities are drawn at ``temperature_K``, and the run goes ``equilibrate`` → pressure ladder. Use it to
        branch several ladders off one quenched glass (each in its own process), or to put a crystal through the
        same NPT ladder. ``composition``, ``n_atoms`` and ``initial_density_g_cm3`` are then not used. (default
        None)
    """

    composition: str = "Sb2Se3"
    n_atoms: int = 250
    initial_density_g_cm3: float = 5.4
    min_distance_A: float = 2.3
    seed: int = 0
    timestep_fs: float = 2.0
    melt_temperature_K: float = 1200.0
    melt_steps: int = 10000
    quench_rate_K_per_ps: float = 10.0
    temperature_K: float = 300.0
    equilibration_steps: int = 5000
    pressures_GPa: tuple[float, ...] = (0.0, 2.0, 5.0, 10.0, 15.0, 20.0)
    pressure_equilibration_steps: int = 2500
    steps_per_pressure: int = 5000
    sample_every: int = 100
    checkpoint_every: int = 1000
    friction_per_fs: float = 0.01
    thermostat_time_fs: float = 100.0
    barostat_time_fs: float = 1000.0
    compressibility_per_GPa: float = 0.02
    decompress: bool = False
    barostat: str = "isotropic"
    initial_structure: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pressures_GPa", tuple(float(p) for p in self.pressures_GPa))
        for name in ("n_atoms", "sample_every", "checkpoint_every", "steps_per_pressure"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"must be a positive integer, got {getattr(self, name)!r}", field=name)
        for name in ("melt_steps", "equilibration_steps", "pressure_equilibration_steps"):
            if int(getattr(self, name)) < 0:
                raise InputError(f"must be a non-negative integer, got {getattr(self, name)!r}", field=name)
        for name in ("initial_density_g_cm3", "min_distance_A", "timestep_fs", "melt_temperature_K",
                     "quench_rate_K_per_ps", "temperature_K", "friction_per_fs", "thermostat_time_fs",
                     "barostat_time_fs", "compressibility_per_GPa"):
            if not float(getattr(self, name)) > 0:
                raise InputError(f"must be positive, got {getattr(self, name)!r}", field=name)
        if self.melt_temperature_K < self.temperature_K:
            raise InputError("must not be below temperature_K", field="melt_temperature_K")
        p = self.pressures_GPa
        if not p:
            raise InputError("needs at least one pressure", field="pressures_GPa")
        if any(b <= a for a, b in itertools.pairwise(p)):
            raise InputError(f"must be strictly increasing, got {list(p)}", field="pressures_GPa")
        if self.barostat not in ("isotropic", "full"):
            raise InputError(f"must be 'isotropic' or 'full', got {self.barostat!r}", field="barostat")
        if self.steps_per_pressure < self.sample_every:
            raise InputError("steps_per_pressure is smaller than sample_every: no frame would be sampled",
                             field="sample_every")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (pressures as a list)."""
        d = asdict(self)
        d["pressures_GPa"] = list(self.pressures_GPa)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProtocolConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an :class:`InputError` naming the key."""
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise InputError("unknown protocol parameter", field=key)
        return cls(**data)

    @property
    def quench_steps(self) -> int:
        """Steps of the linear quench: (melt T − T) / rate / timestep, at least 1."""
        dt_ps = self.timestep_fs / 1000.0
        return max(1, round((self.melt_temperature_K - self.temperature_K) / self.quench_rate_K_per_ps / dt_ps))

    @property
    def frames_per_pressure(self) -> int:
        return self.steps_per_pressure // self.sample_every


@dataclass(frozen=True)
class StagePlan:
    """One stage: ``kind`` is melt | quench | equilibrate | npt; ``n_steps`` includes any NPT pre-equilibration."""

    name: str
    kind: str
    n_steps: int
    temperature_K: float
    start_temperature_K: float | None = None
    pressure_GPa: float | None = None
    sample_after: int = 0


def _pressure_name(p: float) -> str:
    return f"P_{p:g}GPa"


def plan_stages(config: ProtocolConfig) -> list[StagePlan]:
    """The ordered stages of ``config``."""
    c = config
    stages = [] if c.initial_structure else [
        StagePlan("melt", "melt", c.melt_steps, c.melt_temperature_K),
        StagePlan("quench", "quench", c.quench_steps, c.temperature_K, start_temperature_K=c.melt_temperature_K),
    ]
    stages.append(StagePlan("equilibrate", "equilibrate", c.equilibration_steps, c.temperature_K))
    n = c.pressure_equilibration_steps + c.steps_per_pressure
    for p in c.pressures_GPa:
        stages.append(StagePlan(_pressure_name(p), "npt", n, c.temperature_K, pressure_GPa=p,
                                sample_after=c.pressure_equilibration_steps))
    if c.decompress:
        for p in reversed(c.pressures_GPa[:-1]):
            stages.append(StagePlan(_pressure_name(p) + "_decompress", "npt", n, c.temperature_K, pressure_GPa=p,
                                    sample_after=c.pressure_equilibration_steps))
    return stages


@dataclass
class ProtocolResult:
    """What :func:`run_protocol` did.

    stages: every stage name, in order (all completed when the call returns).
    files: stage name → files written for it (``.json``, plus ``.extxyz`` for pressure stages).
    mean_density_g_cm3: pressure-stage name → mean density over its production steps (from the log points).
    resumed_from: (stage, step) the run continued from, or None for a fresh run.
    stale_temps_removed: temporary files of atomic writes that a killed run left behind, removed on resume.
    """

    out_dir: Path
    stages: list[str]
    files: dict[str, list[Path]] = field(default_factory=dict)
    mean_density_g_cm3: dict[str, float] = field(default_factory=dict)
    resumed_from: tuple[str, int] | None = None
    stale_temps_removed: int = 0


def density_g_cm3(atoms) -> float:
    """Mass density of ``atoms`` in g/cm³."""
    return float(atoms.get_masses().sum() / atoms.get_volume() * _AMU_A3_TO_G_CM3)


def _frame_text(atoms, info: dict[str, Any]) -> str:
    from ase.io import write

    snap = atoms.copy()
    snap.calc = None
    snap.info.update(info)
    buf = io.StringIO()
    write(buf, snap, format="extxyz")
    return buf.getvalue()


def _split_frames(text: str, n_atoms: int) -> list[str]:
    lines = text.splitlines(keepends=True)
    k = n_atoms + 2
    return ["".join(lines[i:i + k]) for i in range(0, len(lines) - k + 1, k)]


def _make_dynamics(stage: StagePlan, atoms, config: ProtocolConfig, rng):
    from ase import units

    dt = config.timestep_fs * units.fs
    if stage.kind == "npt":
        from ase.md.nptberendsen import Inhomogeneous_NPTBerendsen, NPTBerendsen

        cls = NPTBerendsen if config.barostat == "isotropic" else Inhomogeneous_NPTBerendsen
        return cls(atoms, dt, temperature_K=stage.temperature_K,
                            pressure_au=stage.pressure_GPa * units.GPa,
                            taut=config.thermostat_time_fs * units.fs, taup=config.barostat_time_fs * units.fs,
                            compressibility_au=config.compressibility_per_GPa / units.GPa)
    from ase.md.langevin import Langevin

    t0 = stage.start_temperature_K if stage.start_temperature_K is not None else stage.temperature_K
    return Langevin(atoms, dt, temperature_K=t0, friction=config.friction_per_fs / units.fs, fixcm=False, rng=rng)


def _read_start(path: str):
    from ase.io import read

    p = Path(path)
    if not p.is_file():
        raise InputError("initial structure not found", source=p, field="initial_structure")
    try:
        atoms = read(p, index=-1)
    except Exception as exc:  # noqa: BLE001 — ase raises many exception types for unreadable files
        raise InputError(f"cannot read the initial structure: {exc}", source=p, field="initial_structure") from None
    if not all(atoms.pbc) or atoms.get_volume() <= 0:
        raise InputError("the initial structure must be periodic in three directions", source=p,
                         field="initial_structure")
    atoms.calc = None
    atoms.set_constraint()
    return atoms


def _blas_one_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


#: (message regex, category, module regex) of library warnings known to be harmless, silenced around calculator calls
KNOWN_HARMLESS_WARNINGS = [
    # CHGNet ≥ 0.3 (chgnet/model/model.py, BatchedGraph.from_graphs) builds its per-structure volume tensor with
    # torch.tensor(list of volumes that carry requires_grad); torch warns on every energy/force call. The volume is
    # only the divisor of the stress (σ = (1/V) ∂E/∂ε, the gradient is taken with respect to the strain ε), so
    # dropping its gradient changes nothing: no number hpglass reports depends on it.
    (r"Converting a tensor with requires_grad=True to a scalar", UserWarning, r"chgnet(\.|$)"),
]


@contextlib.contextmanager
def known_harmless_warnings():
    """Silence :data:`KNOWN_HARMLESS_WARNINGS` (and only those) while the calculator runs (issue 14: warnings
    never leak onto the terminal; a known-harmless one is no news for the user)."""
    with warnings.catch_warnings():
        for message, category, module in KNOWN_HARMLESS_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)
        yield


def run_protocol(config: ProtocolConfig, calculator_factory: Callable[[], Any], out_dir: str | Path,
                 resume: bool = False,
                 progress: Callable[[str, int, int], None] | None = None,
                 metadata: dict[str, Any] | None = None) -> ProtocolResult:
    """Run (or continue) the protocol of ``config`` in ``out_dir``; see the module docstring for stages and files.

    calculator_factory: called once per call (and only then) to get the ASE calculator.
    resume: continue from ``out_dir/checkpoint.json`` (at most ``checkpoint_every`` steps are redone; completed
        stages are not touched). Without a checkpoint on disk the run starts fresh. The configuration on disk
        must equal ``config``, else :class:`InputError` naming the first differing field.
        With ``resume=False`` an ``out_dir`` that already holds a checkpoint is refused.
    progress: ``progress(stage, step, n_steps)`` after every MD step (an exception from it stops the run; the last
        checkpoint stays valid).
    metadata: JSON-ready facts about the run that are not protocol parameters (potential, its version, device);
        copied into every stage record under ``"metadata"``. Not compared on resume.
    """
    from ase.md import velocitydistribution as vd

    from .. import __version__

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # a SIGKILL during an atomic write leaves its hidden ``.<name>.<hex>.tmp.<suffix>``; this run is now the
    # folder's only writer (the LAMMPS worker does the same)
    stale = remove_stale_temps(out_dir) if resume else 0
    cfg_dict = config.to_dict()
    stages = plan_stages(config)
    ckpt = read_checkpoint(out_dir)
    if ckpt is not None and not resume:
        raise InputError("already holds a checkpoint: pass resume=True to continue it, or use another directory",
                         source=out_dir)
    rng = np.random.default_rng(config.seed)
    resumed_from = None
    if ckpt is not None:
        # a parameter added to hpglass after the run started is absent on disk: it ran with the default
        on_disk = {**ProtocolConfig().to_dict(), **ckpt.config}
        diff = compare_configs(on_disk, cfg_dict)
        if diff is not None:
            raise InputError(f"the checkpoint's configuration differs in '{diff}' (on disk "
                             f"{ckpt.config.get(diff)!r}, given {cfg_dict.get(diff)!r}); resume with the same "
                             "configuration or use another directory", source=out_dir / "checkpoint.json",
                             field=diff)
        atoms = atoms_from_state(ckpt.state)
        rng.bit_generator.state = ckpt.rng_state
        completed = list(ckpt.completed)
        resumed_from = (ckpt.stage, ckpt.step)
    else:
        if config.initial_structure:
            atoms = _read_start(config.initial_structure)
            t_start = config.temperature_K
        else:
            from ..structure.random_cell import random_packing

            atoms = random_packing(config.composition, config.n_atoms, config.initial_density_g_cm3,
                                   min_distance=config.min_distance_A, seed=int(rng.integers(2**31)))
            t_start = config.melt_temperature_K
        if hasattr(vd, "thermalize_momenta"):  # ASE ≥ 3.29; MaxwellBoltzmannDistribution is deprecated there
            vd.thermalize_momenta(atoms, t_start, rng=rng)
        else:  # pragma: no cover - older ASE
            vd.MaxwellBoltzmannDistribution(atoms, temperature_K=t_start, rng=rng)
        vd.Stationary(atoms)
        completed = []
    atoms.calc = calculator_factory()
    calc_name = type(atoms.calc).__name__

    result = ProtocolResult(out_dir=out_dir, stages=[s.name for s in stages], resumed_from=resumed_from,
                            stale_temps_removed=stale)

    def checkpoint(stage: str, step: int, frames: list[str], series: dict[str, list[float]]) -> None:
        if frames:
            atomic_write_text(out_dir / f".{stage}.partial.extxyz", "".join(frames))
        write_checkpoint(out_dir, Checkpoint(stage=stage, step=step, completed=list(completed),
                                             n_frames=len(frames), rng_state=rng.bit_generator.state,
                                             config=cfg_dict, state=atoms_to_state(atoms),
                                             extra={"series": series}), atoms)

    with _blas_one_thread(), known_harmless_warnings():
        for stage in stages:
            if stage.name in completed:
                continue
            npt = stage.kind == "npt"
            series: dict[str, list[float]] = {"step": [], "time_ps": [], "temperature_K": [], "density_g_cm3": []}
            if npt:
                series["pressure_GPa"] = []
            frames: list[str] = []
            start = 0
            if ckpt is not None and ckpt.stage == stage.name:
                start = ckpt.step
                series = {k: list(v) for k, v in ckpt.extra.get("series", series).items()}
                partial = out_dir / f".{stage.name}.partial.extxyz"
                if ckpt.n_frames:
                    frames = _split_frames(partial.read_text(encoding="utf-8"), len(atoms))[:ckpt.n_frames]
                    if len(frames) != ckpt.n_frames:
                        raise InputError(f"holds {len(frames)} frames, the checkpoint expects {ckpt.n_frames}",
                                         source=partial)
            dyn = _make_dynamics(stage, atoms, config, rng)
            for k in range(start, stage.n_steps):
                if stage.kind == "quench":
                    t = stage.start_temperature_K + (stage.temperature_K - stage.start_temperature_K) * (
                        (k + 1) / stage.n_steps)
                    dyn.set_temperature(temperature_K=t)
                dyn.step()
                done = k + 1
                if done % config.sample_every == 0:
                    series["step"].append(done)
                    series["time_ps"].append(done * config.timestep_fs / 1000.0)
                    series["temperature_K"].append(float(atoms.get_temperature()))
                    series["density_g_cm3"].append(density_g_cm3(atoms))
                    if npt:
                        from ase import units

                        stress = atoms.get_stress(voigt=True, include_ideal_gas=True)
                        series["pressure_GPa"].append(float(-stress[:3].mean() / units.GPa))
                if npt and done > stage.sample_after and (done - stage.sample_after) % config.sample_every == 0:
                    frames.append(_frame_text(atoms, {"stage": stage.name, "step": done,
                                                      "pressure_GPa": stage.pressure_GPa,
                                                      "temperature_K": stage.temperature_K}))
                if done % config.checkpoint_every == 0 and done < stage.n_steps:
                    checkpoint(stage.name, done, frames, series)
                if progress is not None:
                    progress(stage.name, done, stage.n_steps)
            # stage finished: its files, then the checkpoint that marks it completed
            files = []
            if npt:
                files.append(atomic_write_text(out_dir / f"{stage.name}.extxyz", "".join(frames)))
            record = {"stage": stage.name, "kind": stage.kind, "pressure_GPa": stage.pressure_GPa,
                      "temperature_K": stage.temperature_K, "start_temperature_K": stage.start_temperature_K,
                      "n_steps": stage.n_steps, "sampling_starts_after_step": stage.sample_after if npt else None,
                      "n_frames": len(frames), "final_density_g_cm3": density_g_cm3(atoms),
                      "series": series, "calculator": calc_name, "metadata": metadata or {}, "config": cfg_dict,
                      "hpglass_version": __version__}
            files.append(atomic_write_text(out_dir / f"{stage.name}.json", json.dumps(record, indent=1) + "\n"))
            completed.append(stage.name)
            checkpoint(stage.name, stage.n_steps, [], {})
            (out_dir / f".{stage.name}.partial.extxyz").unlink(missing_ok=True)
            ckpt = None

    return collect_outputs(stages, out_dir, result)


def collect_outputs(stages: list[StagePlan], out_dir: Path, result: ProtocolResult) -> ProtocolResult:
    """Fill ``result`` with every stage's files and each NPT stage's mean production density (any engine)."""
    for stage in stages:
        files = [out_dir / f"{stage.name}.json"]
        if stage.kind == "npt":
            files.insert(0, out_dir / f"{stage.name}.extxyz")
            rec = json.loads(files[1].read_text(encoding="utf-8"))
            s = rec["series"]
            prod = [d for st, d in zip(s["step"], s["density_g_cm3"]) if st > stage.sample_after]
            result.mean_density_g_cm3[stage.name] = float(np.mean(prod)) if prod else rec["final_density_g_cm3"]
        result.files[stage.name] = files
    return result
