"""Training configurations for a distilled potential: generated, selected for diversity, labelled by the teacher.

Sources (each configuration carries ``info["source"]`` and a content hash ``info["uid"]``):

``crystal``
    Pnma (the bundled PBE cell, 2 × 1 × 1 = 40 atoms) and disordered bcc (3 × 3 × 2 … 40 atoms, 2:3) Sb₂Se₃,
    compressed to a random volume between ``volume_range`` of the 0 GPa cell (covers 0–80 GPa), strained by a
    random symmetric strain of up to ``max_strain`` per component, and rattled by a normal displacement with
    σ drawn from ``rattle_A``.
``packing``
    Random packings (:func:`hpglass.structure.random_cell.random_packing`, minimum distance scaled with the
    density) of Sb fractions 0.36, 0.40 and 0.44 (Sb₂Se₃ ± 10 %) between ``density_range`` g/cm³ — liquid-like,
    high-energy starting points.
``frames``
    Frames of existing trajectories (the bundled glass at 0–60 GPa, the bcc reference at 60 GPa, or any
    extxyz the user gives): configurations visited by the teacher's own MD.
``md``
    Frames of MD runs made with a previous student (the active-learning round): the configurations the student
    would visit in production, labelled so that its mistakes there are corrected.

Selection: farthest-point sampling (Gonzalez, Theor. Comput. Sci. 38, 293 (1985); the usual diversity selection
for ML-potential data, e.g. Imbalzano et al., J. Chem. Phys. 148, 241730 (2018)) in the space of per-species mean
bispectrum vectors plus the number density, each feature standardised over the candidates — so a set of
near-duplicates contributes one configuration, not many.

Labelling (:func:`label_configurations`) writes each labelled configuration to its own file
(``labelled/<uid>.extxyz``, atomically) so a killed run resumes without repeating finished work; the data set
file is assembled from them in a deterministic order.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text

__all__ = ["configuration_uid", "crystal_candidates", "farthest_point_sampling", "frame_candidates",
           "label_configurations", "packing_candidates", "read_dataset", "selection_features", "write_dataset"]

SB_FRACTIONS = (0.36, 0.40, 0.44)


def configuration_uid(atoms) -> str:
    """SHA-256 (first 16 hex digits) of species, cell and positions rounded to 1e-6 Å."""
    h = hashlib.sha256()
    h.update(" ".join(atoms.get_chemical_symbols()).encode())
    h.update(np.round(np.asarray(atoms.cell, dtype=float), 6).tobytes())
    h.update(np.round(atoms.positions, 6).tobytes())
    return h.hexdigest()[:16]


def _tag(atoms, source: str, **info) -> Any:
    atoms.info.update({"source": source, **info})
    atoms.info["uid"] = configuration_uid(atoms)
    return atoms


def _density(atoms) -> float:
    return float(atoms.get_masses().sum() * 1.66053906660 / atoms.get_volume())


def crystal_candidates(n: int, seed: int = 0, volume_range: tuple[float, float] = (0.62, 1.04),
                       max_strain: float = 0.02, rattle_A: tuple[float, float] = (0.02, 0.08)) -> list:
    """``n`` strained, compressed and rattled Pnma / bcc cells (alternating)."""
    from ..simulate.crystals import bcc_sb2se3_cell, pnma_sb2se3

    rng = np.random.default_rng(seed)
    base_pnma = pnma_sb2se3().repeat((1, 2, 1))
    out = []
    for k in range(n):
        if k % 2 == 0:
            atoms, name = base_pnma.copy(), "pnma"
            v0 = atoms.get_volume()
        else:
            atoms, name = bcc_sb2se3_cell(density_g_cm3=5.6, repeat=(5, 2, 2), seed=int(rng.integers(1 << 30))), "bcc"
            v0 = atoms.get_volume()
        scale = rng.uniform(*volume_range) ** (1 / 3)
        eps = rng.uniform(-max_strain, max_strain, (3, 3))
        eps = 0.5 * (eps + eps.T)
        cell = np.asarray(atoms.cell) * scale @ (np.eye(3) + eps)
        atoms.set_cell(cell, scale_atoms=True)
        sigma = rng.uniform(*rattle_A)
        atoms.positions += rng.normal(0, sigma, atoms.positions.shape)
        atoms.wrap()
        out.append(_tag(atoms, "crystal", structure=name, volume_scale=float(scale ** 3), rattle_A=float(sigma),
                        v0_A3=float(v0)))
    return out


def packing_candidates(n: int, seed: int = 0, n_atoms: int = 60,
                       density_range: tuple[float, float] = (4.6, 8.6)) -> list:
    """``n`` random packings over the Sb fractions and densities (minimum distance 2.45 Å at 5 g/cm³, scaled
    as ρ^(−1/3), at most 2.45 Å)."""
    from ..structure.random_cell import random_packing

    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        x = SB_FRACTIONS[k % len(SB_FRACTIONS)]
        rho = float(rng.uniform(*density_range))
        dmin = min(2.3, 2.3 * (5.0 / rho) ** (1 / 3))
        atoms = random_packing(f"Sb{x:.2f}Se{1 - x:.2f}", n_atoms, rho, min_distance=dmin,
                               seed=int(rng.integers(1 << 30)), max_trials=5000)
        out.append(_tag(atoms, "packing", sb_fraction=x, density_g_cm3=rho))
    return out


def frame_candidates(paths: Iterable[str | Path], every: int = 1, source: str = "frames") -> list:
    """Every ``every``-th frame of each trajectory file (extxyz or anything :func:`ase.io.read` reads)."""
    from ase.io import read

    out = []
    for p in paths:
        try:
            frames = read(str(p), index=f"::{int(every)}")
        except Exception as exc:  # ase raises many types for bad files
            raise InputError(f"{p}: cannot read frames ({type(exc).__name__}: {exc})", field="frames") from None
        for i, a in enumerate(frames):
            a = a.copy()
            a.calc = None
            for key in ("momenta", "forces"):
                if key in a.arrays:
                    del a.arrays[key]
            out.append(_tag(a, source, file=Path(p).name, frame=i * int(every)))
    return out


def selection_features(configs: Sequence, design) -> np.ndarray:
    """Per configuration: the mean bispectrum vector of each species and the number density (unstandardised).

    ``design`` is :func:`hpglass.potential.snap.design_matrix` of ``configs``: its energy row holds per-type
    atom counts and per-type sums of B, so the means are one division.
    """
    spec = design.spec
    npt = spec.n_per_type
    rows = design.A[design.kind == 0]
    feats = []
    for t in range(len(spec.elements)):
        block = rows[:, t * (1 + npt):(t + 1) * (1 + npt)]
        counts = np.maximum(block[:, :1], 1.0)
        feats.append(block[:, 1:1 + spec.n_descriptors] / counts)
    nd = np.array([len(a) / a.get_volume() for a in configs])[:, None]
    return np.hstack(feats + [nd])


def farthest_point_sampling(features: np.ndarray, k: int, first: int = 0,
                            already: Sequence[int] = ()) -> list[int]:
    """Indices of ``k`` rows chosen greedily, each the farthest (Euclidean, standardised features) from those
    chosen before; ``already`` are rows that count as chosen (e.g. the data set so far) but are not returned."""
    X = np.asarray(features, dtype=float)
    if X.ndim != 2 or len(X) == 0:
        raise InputError("no candidates to select from", field="candidates")
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    Z = (X - X.mean(axis=0)) / sd
    k = min(int(k), len(Z) - len(already))
    dist = np.full(len(Z), np.inf)
    chosen: list[int] = []
    seeds = list(already) if already else [first]
    for s in seeds:
        dist = np.minimum(dist, np.linalg.norm(Z - Z[s], axis=1))
    if not already:
        chosen.append(first)
        k -= 1
    for _ in range(max(k, 0)):
        nxt = int(np.argmax(dist))
        if not np.isfinite(dist[nxt]) or dist[nxt] <= 0:
            break
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(Z - Z[nxt], axis=1))
    return chosen


def _labelled_path(folder: Path, uid: str) -> Path:
    return folder / f"{uid}.extxyz"


def label_configurations(configs: Sequence, calculator, folder: str | Path, teacher: dict[str, Any],
                         progress: Callable[[int, int, float], None] | None = None) -> list:
    """Energy, forces and stress of every configuration by ``calculator``, each saved to ``folder/<uid>.extxyz``
    when done (a rerun skips the ones already there). Returns the labelled configurations in input order.

    A configuration whose labels are not finite, or whose largest force exceeds 50 eV/Å (atoms on top of each
    other; the teacher is meaningless there), is kept out and recorded with ``info["rejected"]``.
    """
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import read, write

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    t0 = time.perf_counter()
    done_now = 0
    todo = [a for a in configs if not _labelled_path(folder, a.info["uid"]).exists()]
    for i, atoms in enumerate(configs):
        path = _labelled_path(folder, atoms.info["uid"])
        if path.exists():
            out.append(read(str(path)))
            continue
        a = atoms.copy()
        a.calc = calculator
        e = float(a.get_potential_energy())
        f = np.array(a.get_forces())
        s = np.array(a.get_stress())
        a.calc = None
        ok = np.isfinite(e) and np.isfinite(f).all() and np.isfinite(s).all() and np.abs(f).max() < 50.0
        a.info.update({"teacher": teacher.get("teacher"), "rejected": not ok})
        a.calc = SinglePointCalculator(a, energy=e, forces=f, stress=s)
        tmp = path.with_name(f".{path.name}.tmp")
        write(str(tmp), a, format="extxyz")
        tmp.replace(path)
        out.append(read(str(path)))
        done_now += 1
        if progress:
            elapsed = time.perf_counter() - t0
            progress(i + 1, len(configs), elapsed / done_now * (len(todo) - done_now))
    return out


def write_dataset(path: str | Path, configs: Sequence, teacher: dict[str, Any]) -> Path:
    """All accepted configurations in one extxyz (atomically), with a JSON sidecar: teacher, counts, hash."""
    from ase.io import write

    path = Path(path)
    keep = [a for a in configs if not a.info.get("rejected")]
    tmp = path.with_name(f".{path.name}.tmp")
    write(str(tmp), keep, format="extxyz")
    tmp.replace(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sources: dict[str, int] = {}
    for a in keep:
        sources[a.info.get("source", "?")] = sources.get(a.info.get("source", "?"), 0) + 1
    meta = {"file": path.name, "sha256": digest, "n_configurations": len(keep),
            "n_rejected": len(configs) - len(keep), "n_atoms": int(sum(len(a) for a in keep)), "sources": sources,
            "teacher": teacher}
    atomic_write_text(path.with_suffix(".json"), json.dumps(meta, indent=1) + "\n")
    return path


def read_dataset(path: str | Path) -> list:
    """Labelled configurations of an extxyz data set (each must carry energy, forces and stress)."""
    from ase.io import read

    try:
        frames = read(str(path), index=":")
    except Exception as exc:
        raise InputError(f"{path}: cannot read ({type(exc).__name__}: {exc})", field="data") from None
    for i, a in enumerate(frames):
        try:
            a.get_potential_energy(), a.get_forces(), a.get_stress()
        except Exception:
            raise InputError(f"{path}: configuration {i} has no energy/forces/stress labels", field="data") from None
    return frames
