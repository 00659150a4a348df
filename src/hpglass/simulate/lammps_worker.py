"""The LAMMPS side of :mod:`hpglass.simulate.lammps_engine`: every MPI rank runs this module.

Started as ``[mpiexec -n N] python -m hpglass.simulate.lammps_worker OUT_DIR`` by
:func:`~hpglass.simulate.lammps_engine.run_lammps_protocol` (or by a user's own launcher on a cluster, with the
output folder on a file system all ranks see). It reads ``OUT_DIR/lammps_job.json`` (configuration, potential
directory, metadata), continues from ``OUT_DIR/checkpoint.json`` when there is one, and runs every remaining
stage in LAMMPS. Rank 0 alone writes files and talks to the parent, one JSON object a line on stdout:
``{"progress": [stage, step, n_steps]}`` after every chunk, ``{"error": message, "kind": "input" | "lammps"}``
before a non-zero exit. What the stages do, and why the run is split into checkpoint segments that each start
from a LAMMPS restart file, is in :mod:`hpglass.simulate.lammps_engine`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import HpglassError, InputError
from ..potential.lammps_potential import sha256_file
from .checkpoint import Checkpoint, compare_configs, read_checkpoint, write_checkpoint
from .protocol import ProtocolConfig, StagePlan, _frame_text, _read_start, _split_frames, plan_stages

JOB_JSON = "lammps_job.json"
JOB_FORMAT = "hpglass-lammps-job/1"
ENGINE = "lammps"
_START_DATA = ".lammps_start.data"
_RESTART_TMP = ".checkpoint.restart.tmp"
_AMU_A3_TO_G_CM3 = 1.66053906660  # amu/Å³ → g/cm³, as in hpglass.simulate.protocol
_BAR_PER_GPA = 1.0e4


def segment_seed(seed: int, stage_index: int, segment: int) -> int:
    """Seed of ``fix langevin`` in one checkpoint segment, from (seed, stage index, segment index) through
    :class:`numpy.random.SeedSequence`; in 1 … 9·10⁸ (the range of LAMMPS's Marsaglia generator). An uninterrupted
    and a resumed run use the same seed in the same segment, so their random forces are the same."""
    state = np.random.SeedSequence([int(seed) % (1 << 64), int(stage_index), int(segment)]).generate_state(1)
    return int(state[0] % 900_000_000) + 1


def chunk_ends(start: int, end: int, stage: StagePlan, sample_every: int) -> list[int]:
    """Steps in (start, end] where the worker stops LAMMPS: log points (multiples of ``sample_every``), frame
    points of an NPT stage (``sample_after + k·sample_every``, k ≥ 1) and ``end``. A fixed function of the
    configuration, so chunking is the same in every run."""
    ends = set(range((start // sample_every + 1) * sample_every, end + 1, sample_every))
    if stage.kind == "npt":
        a = stage.sample_after
        k0 = max(1, -(-(start + 1 - a) // sample_every))
        ends |= set(range(a + k0 * sample_every, end + 1, sample_every))
    ends.add(end)
    return sorted(e for e in ends if start < e <= end)


def _restart_name(stage: str, step: int) -> str:
    return f"checkpoint-{stage}-{step}.restart"


class Worker:
    """One rank's view of the run. LAMMPS commands and gathers run on every rank; files only on rank 0."""

    def __init__(self, lmp, job: dict[str, Any], out: Path):
        from ..potential.lammps_potential import load_potential

        self.lmp = lmp
        self.out = out
        self.rank = int(lmp.extract_setting("world_rank"))
        self.size = int(lmp.extract_setting("world_size"))
        self.config = ProtocolConfig.from_dict(job["config"])
        self.cfg_dict = self.config.to_dict()
        self.metadata = dict(job.get("metadata") or {})
        self.pot = load_potential(job["potential"])
        self.stages = plan_stages(self.config)
        self.parent_pid = int(os.environ.get("HPGLASS_PARENT_PID", "0") or 0)
        self.masses = None  # per atom, amu, in atom-ID order
        self.symbols = None
        self.engine_info = {
            "name": ENGINE, "lammps_version": int(lmp.version()), "mpi_ranks": self.size,
            "pair_style": self.pot.pair_style.split()[0],
            "nvt": "fix langevin + fix nve", "npt": "fix npt (Nose-Hoover chains, MTK barostat) "
                   + ("iso" if self.config.barostat == "isotropic" else "aniso"),
        }

    # -- LAMMPS state ------------------------------------------------------------------------------------------------
    def cmd(self, line: str) -> None:
        self.lmp.command(line)

    def _common(self) -> None:
        """What a restart file does not hold: the potential, the thermo output the worker reads back."""
        for i, element in enumerate(self.pot.elements, start=1):
            self.cmd(f"mass {i} {self.pot.masses_amu[element]!r}")
        for line in self.pot.commands():
            self.cmd(line)
        self.cmd(f"timestep {self.config.timestep_fs / 1000.0!r}")
        self.cmd("thermo_style custom step ke press vol")
        self.cmd("thermo 0")  # first and last step of every run: the values are read after each chunk

    def build(self, atoms) -> None:
        """A fresh LAMMPS system from ASE ``atoms`` (positions, velocities, cell) through a data file."""
        if self.rank == 0:
            from ase.io import write

            write(_START_DATA, atoms, format="lammps-data", specorder=list(self.pot.elements), masses=True,
                  velocities=True, units="metal", atom_style="atomic")
        for line in ("units metal", "atom_style atomic", "boundary p p p", "atom_modify map array",
                     f"read_data {_START_DATA}"):
            self.cmd(line)
        self._common()

    def load(self, restart: str) -> None:
        """The state of a restart file, as in a fresh process: what a resumed run does, every run does."""
        self.cmd("clear")
        self.cmd(f"read_restart {restart}")
        self._common()

    def _species(self) -> None:
        if self.symbols is None:
            types = np.asarray(self.lmp.gather_atoms("type", 0, 1), dtype=int)
            self.symbols = [self.pot.elements[t - 1] for t in types]
            self.masses = np.array([self.pot.masses_amu[s] for s in self.symbols])

    def atoms(self):
        """The current state as ase.Atoms in atom-ID order (unwrapped positions, momenta); collective."""
        from ase import Atoms, units

        self._species()
        n = len(self.symbols)
        x = np.asarray(self.lmp.gather_atoms("x", 1, 3), dtype=float).reshape(n, 3)
        v = np.asarray(self.lmp.gather_atoms("v", 1, 3), dtype=float).reshape(n, 3)
        image = np.asarray(self.lmp.gather_atoms("image", 0, 3), dtype=int).reshape(n, 3)
        cell, lo = self.cell()
        atoms = Atoms(symbols=self.symbols, positions=x - lo + image @ cell, cell=cell, pbc=True)
        # metal velocities are Å/ps, ASE's Å per ASE time unit; 1 ps = 1000·units.fs ASE time units
        atoms.set_momenta(self.masses[:, None] * v / (1000.0 * units.fs))
        return atoms

    def cell(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi, xy, yz, xz, _, _ = self.lmp.extract_box()
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        lx, ly, lz = hi - lo
        return np.array([[lx, 0.0, 0.0], [xy, ly, 0.0], [xz, yz, lz]]), lo

    def density(self, volume: float) -> float:
        self._species()
        return float(self.masses.sum() / volume * _AMU_A3_TO_G_CM3)

    def define_stage(self, stage: StagePlan, index: int, segment: int) -> None:
        c = self.config
        if stage.kind == "npt":
            t = stage.temperature_K
            p = stage.pressure_GPa * _BAR_PER_GPA
            couple = "iso" if c.barostat == "isotropic" else "aniso"
            # one fix ID per stage: a segment's read_restart gives it back its thermostat/barostat variables
            self.cmd(f"fix npt{index} all npt temp {t!r} {t!r} {c.thermostat_time_fs / 1000.0!r} "
                     f"{couple} {p!r} {p!r} {c.barostat_time_fs / 1000.0!r}")
        else:
            t0 = stage.start_temperature_K if stage.start_temperature_K is not None else stage.temperature_K
            damp_ps = 1.0 / c.friction_per_fs / 1000.0
            self.cmd(f"fix lgv{index} all langevin {t0!r} {stage.temperature_K!r} {damp_ps!r} "
                     f"{segment_seed(c.seed, index, segment)}")
            self.cmd(f"fix nve{index} all nve")

    def write_restart(self, stage: str, step: int) -> str:
        """Restart file of the current state, under a name unique to (stage, step); collective."""
        name = _restart_name(stage, step)
        self.cmd(f"write_restart {_RESTART_TMP}")
        if self.rank == 0:
            with open(_RESTART_TMP, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(_RESTART_TMP, name)
        return name

    # -- protocol ----------------------------------------------------------------------------------------------------
    def emit(self, obj: dict[str, Any]) -> None:
        if self.rank == 0:
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

    def _parent_alive(self) -> None:
        if self.parent_pid and self.rank == 0:
            try:
                os.kill(self.parent_pid, 0)
            except ProcessLookupError:  # the command that started us is gone: stop (the last checkpoint stays)
                sys.exit(137)
            except PermissionError:
                pass

    def checkpoint(self, stage: str, step: int, completed: list[str], frames: list[str],
                   series: dict[str, list[float]]) -> str:
        name = self.write_restart(stage, step)
        atoms = self.atoms()
        if self.rank == 0:
            from ..io.atomic import atomic_write_text

            if frames:
                atomic_write_text(Path(f".{stage}.partial.extxyz"), "".join(frames))
            write_checkpoint(Path("."), Checkpoint(
                stage=stage, step=step, completed=list(completed), n_frames=len(frames), rng_state={},
                config=self.cfg_dict, state={"engine": ENGINE, "restart": name, "restart_sha256": sha256_file(Path(name))},
                extra={"series": series}), atoms)
            for old in Path(".").glob("checkpoint-*.restart"):
                if old.name != name:
                    old.unlink(missing_ok=True)
        return name

    def start(self) -> tuple[str, Checkpoint]:
        """A fresh run: the packing (or the initial structure) and velocities exactly as the ASE engine draws them
        from ``seed``, then a checkpoint at step 0 of the first stage."""
        from ase.md import velocitydistribution as vd

        c = self.config
        rng = np.random.default_rng(c.seed)
        if c.initial_structure:
            atoms = _read_start(c.initial_structure)
            t_start = c.temperature_K
        else:
            from ..structure.random_cell import random_packing

            atoms = random_packing(c.composition, c.n_atoms, c.initial_density_g_cm3, min_distance=c.min_distance_A,
                                   seed=int(rng.integers(2**31)))
            t_start = c.melt_temperature_K
        for symbol in sorted(set(atoms.get_chemical_symbols())):
            self.pot.type_of(symbol)
        vd.thermalize_momenta(atoms, t_start, rng=rng)
        vd.Stationary(atoms)
        self.build(atoms)
        name = self.checkpoint(self.stages[0].name, 0, [], [], {})
        if self.rank == 0:
            Path(_START_DATA).unlink(missing_ok=True)
        return name, Checkpoint(stage=self.stages[0].name, step=0, completed=[], n_frames=0, rng_state={},
                                config=self.cfg_dict, state={"engine": ENGINE, "restart": name})

    def resume(self, ckpt: Checkpoint) -> str:
        on_disk = {**ProtocolConfig().to_dict(), **ckpt.config}
        diff = compare_configs(on_disk, self.cfg_dict)
        if diff is not None:
            raise InputError(f"the checkpoint's configuration differs in '{diff}' (on disk {ckpt.config.get(diff)!r}"
                             f", given {self.cfg_dict.get(diff)!r})", source=self.out / "checkpoint.json", field=diff)
        if ckpt.state.get("engine") != ENGINE:
            raise InputError("was written by the ASE engine, not by the LAMMPS engine",
                             source=self.out / "checkpoint.json")
        name = str(ckpt.state.get("restart"))
        path = Path(name)
        if not path.is_file():
            raise InputError("the checkpoint's restart file is missing", source=self.out / name)
        if ckpt.state.get("restart_sha256") not in (None, sha256_file(path)):
            raise InputError("the restart file's SHA-256 differs from the one in checkpoint.json",
                             source=self.out / name)
        return name

    def run(self) -> None:
        c = self.config
        if self.rank == 0:  # a killed run's half-written files (this worker is the folder's only writer now)
            from ..io.atomic import remove_stale_temps

            remove_stale_temps(Path("."))
            Path(_RESTART_TMP).unlink(missing_ok=True)
        ckpt = read_checkpoint(Path("."))
        restart, ckpt = (self.resume(ckpt), ckpt) if ckpt is not None else self.start()
        completed = list(ckpt.completed)
        for index, stage in enumerate(self.stages):
            if stage.name in completed:
                continue
            npt = stage.kind == "npt"
            series: dict[str, list[float]] = {"step": [], "time_ps": [], "temperature_K": [], "density_g_cm3": []}
            if npt:
                series["pressure_GPa"] = []
            frames: list[str] = []
            step = 0
            if ckpt.stage == stage.name:
                step = ckpt.step
                if ckpt.extra.get("series"):
                    series = {k: list(v) for k, v in ckpt.extra["series"].items()}
                if ckpt.n_frames and self.rank == 0:  # frames live on rank 0 only
                    partial = Path(f".{stage.name}.partial.extxyz")
                    text = partial.read_text(encoding="utf-8")
                    frames = _split_frames(text, int(text.split("\n", 1)[0]))[:ckpt.n_frames]
                    if len(frames) != ckpt.n_frames:
                        raise InputError(f"holds {len(frames)} frames, the checkpoint expects {ckpt.n_frames}",
                                         source=self.out / partial)
            # every segment starts from the restart file of the checkpoint before it, in a fresh run as in a
            # resumed one: the same neighbour lists, atom order and fix state, hence the same trajectory
            self.load(restart)
            if step == 0:
                self.cmd("reset_timestep 0")  # LAMMPS's step = the step within the stage
            first = True
            while step < stage.n_steps:
                if not first:
                    self.load(restart)
                first = False
                segment = step // c.checkpoint_every
                end = min(stage.n_steps, (segment + 1) * c.checkpoint_every)
                self.define_stage(stage, index, segment)
                pre = "yes"
                for stop in chunk_ends(step, end, stage, c.sample_every):
                    self.cmd(f"run {stop - step} start 0 stop {stage.n_steps} pre {pre} post no")
                    pre = "no"
                    step = stop
                    self._sample(stage, step, series, frames)
                    self.emit({"progress": [stage.name, step, stage.n_steps]})
                    self._parent_alive()
                if step < stage.n_steps:
                    restart = self.checkpoint(stage.name, step, completed, frames, series)
            self._finish_stage(stage, series, frames)
            completed.append(stage.name)
            restart = self.checkpoint(stage.name, stage.n_steps, completed, [], {})
            if self.rank == 0:
                Path(f".{stage.name}.partial.extxyz").unlink(missing_ok=True)
            ckpt = Checkpoint(stage=stage.name, step=stage.n_steps, completed=list(completed), n_frames=0,
                              rng_state={}, config=self.cfg_dict, state={})

    def _sample(self, stage: StagePlan, done: int, series: dict[str, list[float]], frames: list[str]) -> None:
        from ase import units

        c = self.config
        if done % c.sample_every == 0:
            thermo = self.lmp.last_thermo()
            self._species()
            series["step"].append(done)
            series["time_ps"].append(done * c.timestep_fs / 1000.0)
            # 2 E_kin / (3 N k_B), as ase.Atoms.get_temperature: the ASE engine's definition
            series["temperature_K"].append(float(2.0 * thermo["KinEng"] / (3 * len(self.symbols) * units.kB)))
            series["density_g_cm3"].append(self.density(float(thermo["Volume"])))
            if stage.kind == "npt":
                series["pressure_GPa"].append(float(thermo["Press"]) / _BAR_PER_GPA)
        if stage.kind == "npt" and done > stage.sample_after and (done - stage.sample_after) % c.sample_every == 0:
            atoms = self.atoms()
            if self.rank == 0:
                frames.append(_frame_text(atoms, {"stage": stage.name, "step": done,
                                                  "pressure_GPa": stage.pressure_GPa,
                                                  "temperature_K": stage.temperature_K}))

    def _finish_stage(self, stage: StagePlan, series: dict[str, list[float]], frames: list[str]) -> None:
        from .. import __version__
        from ..io.atomic import atomic_write_text

        npt = stage.kind == "npt"
        cell, _ = self.cell()
        self._species()
        if self.rank != 0:
            return
        if npt:
            atomic_write_text(Path(f"{stage.name}.extxyz"), "".join(frames))
        record = {"stage": stage.name, "kind": stage.kind, "pressure_GPa": stage.pressure_GPa,
                  "temperature_K": stage.temperature_K, "start_temperature_K": stage.start_temperature_K,
                  "n_steps": stage.n_steps, "sampling_starts_after_step": stage.sample_after if npt else None,
                  "n_frames": len(frames), "final_density_g_cm3": self.density(float(abs(np.linalg.det(cell)))),
                  "series": series, "calculator": f"LAMMPS {self.engine_info['pair_style']}",
                  "metadata": self.metadata, "config": self.cfg_dict, "hpglass_version": __version__,
                  "engine": self.engine_info}
        atomic_write_text(Path(f"{stage.name}.json"), json.dumps(record, indent=1) + "\n")


def _die_with_parent() -> None:
    """Linux: ask for SIGTERM when the process that started this one dies (a SIGKILLed command line)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _lammps_error(exc: BaseException) -> str | None:
    text = str(exc).strip()
    if type(exc).__name__ == "MPIAbortException" or text.startswith("ERROR"):
        return text.splitlines()[0] if text else type(exc).__name__
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: python -m hpglass.simulate.lammps_worker OUT_DIR\n")
        return 2
    out = Path(argv[0]).resolve()
    if os.environ.get("HPGLASS_PARENT_PID"):
        _die_with_parent()
    from ..potential.lammps_potential import open_lammps

    lmp = None
    rank = 0
    try:
        job_path = out / JOB_JSON
        try:
            job = json.loads(job_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read the job file ({exc})", source=job_path) from None
        if not isinstance(job, dict) or job.get("format") != JOB_FORMAT:
            raise InputError(f"is not a {JOB_FORMAT} job file", source=job_path)
        lmp = open_lammps()
        rank = int(lmp.extract_setting("world_rank"))
        os.chdir(out)  # bare file names in LAMMPS commands: no quoting, no '*' or '%' from the folder's path
        Worker(lmp, job, out).run()
    except HpglassError as exc:
        if rank == 0:
            print(json.dumps({"error": str(exc), "kind": "input"}), flush=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # LAMMPS raises plain Exception("ERROR: …"); anything else is a bug: traceback
        message = _lammps_error(exc)
        if message is None:
            raise
        if rank == 0:
            print(json.dumps({"error": f"LAMMPS stopped: {message}", "kind": "lammps"}), flush=True)
        return 3
    finally:
        if lmp is not None:
            lmp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
