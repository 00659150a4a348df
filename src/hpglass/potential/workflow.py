"""The three steps of distillation as functions the CLI (``hpglass potential dataset|fit|validate``) wraps."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text
from . import dataset as ds
from .lammps_potential import lammps_rows, load_potential
from .pod import PodSpec, pod_design_matrix, write_pod_potential
from .snap import SnapSpec, data_hash, design_matrix, fit_snap, label_arrays, write_snap_potential
from .validate import split_configurations, validation_report

__all__ = ["build_dataset", "fit_potential", "md_candidates", "teacher_md_candidates", "validate_potential"]

Progress = Callable[[str, int, int, float | None], None]


def md_candidates(student_dir: str | Path, runs: int, seed: int, n_atoms: int = 64, steps: int = 3000,
                  sample_every: int = 100, temperatures_K: tuple[float, float] = (300.0, 1600.0)) -> list:
    """Frames of ``runs`` short student MD runs over compositions (Sb 0.36/0.40/0.44), temperatures (uniform in
    ``temperatures_K``, each run starting from a 1200 K melt or hotter) and pressures (0–70 GPa, NPT; one run in four
    NVT at a random density): see :mod:`hpglass.potential.explore`."""
    lo, hi = (float(t) for t in temperatures_K)
    if not 0 < lo <= hi <= 5000:
        raise InputError(f"MD temperatures must satisfy 0 < low ≤ high ≤ 5000 K, got {lo:g}, {hi:g}",
                         field="md_temperatures")
    from .explore import explore

    pot = load_potential(student_dir)
    rng = np.random.default_rng(seed)
    out = []
    for k in range(runs):
        start = ds.packing_candidates(1, seed=int(rng.integers(1 << 30)), n_atoms=n_atoms,
                                      density_range=(5.0, 7.5))[0]
        temperature = float(rng.uniform(lo, hi))
        pressure = None if k % 4 == 3 else float(rng.uniform(0, 70))
        frames = explore(pot, start, temperature_K=temperature, pressure_GPa=pressure, steps=steps,
                         sample_every=sample_every, seed=int(rng.integers(1 << 30)),
                         start_temperature_K=max(temperature, 1200.0))
        for i, a in enumerate(frames):
            out.append(ds._tag(a, "md", run=k, frame=i, md_temperature_K=temperature,
                               md_pressure_GPa=pressure, student=str(student_dir)))
    return out


def teacher_md_candidates(teacher: str, starts: Sequence[str | Path], folder: str | Path, *,
                          pressures_GPa: Sequence[float], steps: int = 1000, equilibration_steps: int = 100,
                          sample_every: int = 25, temperature_K: float = 300.0, seed: int = 0,
                          progress: Progress | None = None) -> list:
    """Frames of short NPT runs with the teacher itself, one per start structure: the configurations the teacher
    visits, which student-driven MD never samples.

    A student's MD explores its own energy surface, so its frames carry its own bond-length distribution, and a
    linear student fitted to them can misplace structures the teacher prefers by tens of meV/atom (measured in
    ``data/distil/README.md``: 27 meV/atom on the teacher's own 0 GPa glass frames against 8 on the student's).
    Each run is :func:`hpglass.simulate.run_protocol` from the last frame of a start file (no melt, no quench):
    ``equilibration_steps`` + ``steps`` at each pressure of ``pressures_GPa`` in turn (Berendsen NPT, 2 fs), a frame
    every ``sample_every`` steps of production. Runs live in ``folder/run<k>/`` and are checkpointed, so rerunning
    the same command resumes them.
    """
    from ase.io import read

    from ..simulate.protocol import ProtocolConfig, plan_stages, run_protocol
    from .teacher import make_teacher

    if steps < 1 or equilibration_steps < 0 or sample_every < 1:
        raise InputError(f"teacher MD needs steps ≥ 1, equilibration ≥ 0 and sample_every ≥ 1, got {steps}, "
                         f"{equilibration_steps}, {sample_every}", field="teacher_md_steps")
    if not pressures_GPa:
        raise InputError("teacher MD needs at least one pressure", field="teacher_md_pressures")
    folder = Path(folder)
    out = []
    for k, start in enumerate(starts):
        start = Path(start)
        atoms = ds.frame_candidates([start])[-1]
        elements = tuple(sorted(set(atoms.get_chemical_symbols())))
        config = ProtocolConfig(initial_structure=str(start.resolve()), equilibration_steps=0,
                                pressures_GPa=tuple(float(p) for p in pressures_GPa),
                                pressure_equilibration_steps=equilibration_steps, steps_per_pressure=steps,
                                sample_every=min(sample_every, steps), checkpoint_every=250,
                                seed=seed + k, temperature_K=temperature_K, timestep_fs=2.0)
        run = folder / f"run{k}"
        stages = plan_stages(config)
        offset = dict(zip([st.name for st in stages], np.cumsum([0] + [st.n_steps for st in stages[:-1]])))
        total = sum(st.n_steps for st in stages)
        clock: dict[str, float] = {}

        def report(stage, step, n, k=k, offset=offset, total=total, clock=clock):
            if progress is None:
                return
            done = int(offset.get(stage, 0)) + step
            if not clock:  # the rate from the second step on: the first includes loading the teacher
                clock.update(t0=time.monotonic(), first=done)
                left = None
            else:
                left = (time.monotonic() - clock["t0"]) / max(done - clock["first"], 1) * (total - done)
            progress(f"teacher MD run {k + 1}/{len(starts)}", done, total, left)

        run_protocol(config, lambda e=elements: make_teacher(teacher, e), run,
                     resume=(run / "checkpoint.json").exists(), progress=report,
                     metadata={"potential": teacher, "start": str(start)})
        for p in config.pressures_GPa:
            for i, a in enumerate(read(str(run / f"P_{p:g}GPa.extxyz"), index=":")):
                a = a.copy()
                a.calc = None
                if "momenta" in a.arrays:
                    del a.arrays["momenta"]
                out.append(ds._tag(a, "teacher_md", run=k, frame=i, start=start.name, md_pressure_GPa=p,
                                   md_temperature_K=temperature_K))
    return out


def build_dataset(out: str | Path, *, name: str, teacher: str, sources: dict[str, tuple[list, int]],
                  seed: int = 0, progress: Progress | None = None) -> dict[str, Any]:
    """Select ``keep`` of each source's candidates by farthest-point sampling, label them with ``teacher``, write
    ``out/<name>.extxyz`` (+ ``.json``). ``sources``: source → (candidates, keep)."""
    from .teacher import make_teacher, teacher_info

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spec = SnapSpec(dispersion=None)  # selection features: the descriptors only
    chosen = []
    selection = {}
    for src, (cands, keep) in sources.items():
        if not cands or keep <= 0:
            continue
        design = design_matrix(cands, spec, progress=(lambda i, n, s=src: progress(f"describe {s}", i, n, None))
                               if progress else None)
        idx = ds.farthest_point_sampling(ds.selection_features(cands, design), keep)
        chosen += [cands[i] for i in idx]
        selection[src] = {"candidates": len(cands), "kept": len(idx)}
    info = teacher_info(teacher)
    calc = make_teacher(teacher)
    labelled = ds.label_configurations(chosen, calc, out / "labelled", info,
                                       progress=(lambda i, n, left: progress("label", i, n, left))
                                       if progress else None)
    path = ds.write_dataset(out / f"{name}.extxyz", labelled, info)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["selection"] = selection
    meta["seed"] = seed
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=1) + "\n")
    return meta


def _describe(configs, spec, progress=None):
    if isinstance(spec, PodSpec):
        return pod_design_matrix(configs, spec, progress=progress)
    return design_matrix(configs, spec, progress=progress)


def fit_potential(data: Sequence[str | Path], out: str | Path, *, spec: SnapSpec | PodSpec, test_fraction: float = 0.15,
                  seed: int = 0, w_energy: float = 100.0, w_force: float = 10.0, w_stress: float = 5.0,
                  alpha: float = 1e-6, max_force_eV_A: float | None = None,
                  data_weights: Sequence[float] | None = None, train_only: Sequence[bool] | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Fit a SNAP or a POD (by the type of ``spec``) to the data sets, validate on a held-out stratified split, write the potential directory.

    ``max_force_eV_A``: configurations whose largest teacher force component exceeds it are left out (atoms
    pushed far into each other's cores are outside what MD visits, and a linear model that chases them loses
    accuracy where it matters); how many were left out is recorded.

    ``data_weights`` (one per data set, > 0; default 1): a configuration of a set with weight k counts as k copies
    of itself in the fit (not in the held-out errors). Measured on the Sb–Se glass (``data/distil/README.md``,
    round 4): the glass's own 300 K frames at weight 8 with ``w_stress`` 10 take the pressure bias of held-out
    glass frames at 50–60 GPa from −1.8 / −2.7 to −0.6 / −0.7 GPa.

    ``train_only`` (one flag per data set): sets used whole for training and kept out of the held-out split — for
    frames whose held-out partner is a set of its own (the other frame of each stage of the same run)."""
    if not 0 <= test_fraction < 0.9:
        raise InputError("test fraction must be in [0, 0.9)", field="test_fraction")
    if data_weights is not None:
        data_weights = [float(w) for w in data_weights]
        if len(data_weights) != len(data) or not all(np.isfinite(w) and w > 0 for w in data_weights):
            raise InputError(f"need one positive weight per data set ({len(data)}), got {data_weights}",
                             field="data_weights")
    if train_only is not None and len(train_only) != len(data):
        raise InputError(f"need one train-only flag per data set ({len(data)})", field="train_only")
    configs, weight_of, whole = [], [], []
    for k, p in enumerate(data):
        got = [a for a in ds.read_dataset(p) if not a.info.get("rejected")]
        configs += got
        weight_of += [1.0 if data_weights is None else data_weights[k]] * len(got)
        whole += [bool(train_only[k]) if train_only is not None else False] * len(got)
    n_all = len(configs)
    if max_force_eV_A is not None:
        keep = [np.abs(a.get_forces()).max() <= max_force_eV_A for a in configs]
        configs = [a for a, k in zip(configs, keep, strict=True) if k]
        weight_of = [w for w, k in zip(weight_of, keep, strict=True) if k]
        whole = [w for w, k in zip(whole, keep, strict=True) if k]
    if len(configs) < 5:
        raise InputError(f"{len(configs)} labelled configurations: too few to fit", field="data")
    rest = [i for i, w in enumerate(whole) if not w]
    tr, te = split_configurations([configs[i] for i in rest], test_fraction, seed) if rest else ([], [])
    train = sorted([rest[i] for i in tr] + [i for i, w in enumerate(whole) if w])
    test = [rest[i] for i in te]
    design = _describe(configs, spec, progress=(lambda i, n: progress("describe", i, n, None))
                       if progress else None)
    labels = label_arrays(configs, design)
    d_train = design.take(train)
    y_train = np.concatenate([labels[design.config == c] for c in train])
    fit = fit_snap(d_train, y_train, w_energy=w_energy, w_force=w_force, w_stress=w_stress, alpha=alpha,
                   config_weights=None if data_weights is None else np.array([weight_of[c] for c in train]))
    report = None
    if test:
        d_test = design.take(test)
        y_test = np.concatenate([labels[design.config == c] for c in test])
        report = validation_report([configs[i] for i in test], d_test, y_test, fit.predict(d_test))
    teacher = configs[0].info.get("teacher")
    meta = {"teacher": {"teacher": teacher}, "data": {"files": [str(Path(p).name) for p in data],
                                                      "sha256": data_hash([Path(p) for p in data]),
                                                      "n_train": len(train), "n_test": len(test), "seed": seed,
                                                      "max_force_eV_A": max_force_eV_A,
                                                      "n_left_out_high_force": n_all - len(configs),
                                                      "train_only": None if train_only is None else
                                                      [str(Path(p).name) for p, t in zip(data, train_only,
                                                                                          strict=True) if t],
                                                      "weights": None if data_weights is None else
                                                      dict(zip([str(Path(p).name) for p in data], data_weights,
                                                               strict=True))},
            "errors": {"train": fit.rmse, "test": report.to_dict() if report else None}}
    (write_pod_potential if isinstance(spec, PodSpec) else write_snap_potential)(out, fit, metadata=meta)
    return {"potential": str(out), "train_rmse": fit.rmse, "test": report.to_dict() if report else None,
            "n_train": len(train), "n_test": len(test), "n_left_out_high_force": n_all - len(configs),
            "passed": bool(report and report.passed)}


def validate_potential(potential: str | Path, data: Sequence[str | Path]) -> dict[str, Any]:
    """Errors of the potential in ``potential`` against the teacher labels of ``data`` (per pressure bin).

    The potential is evaluated by LAMMPS running its directory (:func:`lammps_rows`), whatever its kind (SNAP,
    POD, NN-SNAP): what is validated is what the MD runs."""
    from ase.calculators.lammps import Prism

    from .snap import Design

    load_potential(potential)  # one clear error for a missing or changed directory
    configs = []
    for p in data:
        configs += [a for a in ds.read_dataset(p) if not a.info.get("rejected")]
    if not configs:
        raise InputError("no labelled configurations to validate against", field="data")
    n_atoms = [len(a) for a in configs]
    design = Design.stack([np.zeros((1 + 3 * n + 6, 0)) for n in n_atoms], [np.zeros(1 + 3 * n + 6) for n in n_atoms],
                          n_atoms, [abs(np.linalg.det(np.asarray(a.cell))) for a in configs],
                          [Prism(np.asarray(a.cell)).rot_mat for a in configs], None)
    labels = label_arrays(configs, design)
    report = validation_report(configs, design, labels, lammps_rows(potential, configs))
    return report.to_dict()
