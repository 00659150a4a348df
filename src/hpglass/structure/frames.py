"""Averages over frames with standard errors, and the density of a frame.

The standard error of the mean over n frames is s/√n with s the sample standard deviation (ddof = 1). It treats
the frames as independent samples: frames closer in time than the correlation time of the quantity make the SEM
too small — select frames far enough apart (``--frames start:stop:step``) or block-average first. With one frame
the SEM is undefined and reported as NaN (null in JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..composition import Composition
from ..errors import InputError

__all__ = ["Density", "FrameAverage", "average_records", "frame_density"]


@dataclass(frozen=True)
class FrameAverage:
    """Mean over frames, its standard error (SEM = s/√n, ddof = 1) and the sample standard deviation.

    ``mean``/``sem``/``std`` are floats for scalar inputs and arrays (the shape of one frame's value) otherwise.
    """

    mean: float | np.ndarray
    sem: float | np.ndarray
    std: float | np.ndarray
    n_frames: int

    @classmethod
    def of(cls, values: Sequence) -> FrameAverage:
        """Average a sequence of per-frame values (numbers, or arrays of one shape)."""
        try:
            arr = np.asarray([np.asarray(v, dtype=float) for v in values], dtype=float)
        except ValueError:
            raise InputError("per-frame values differ in shape; they cannot be averaged", field="frames") from None
        n = arr.shape[0] if arr.ndim else 0
        if n == 0:
            raise InputError("no frames to average", field="frames")
        mean = arr.mean(axis=0)
        if n > 1:
            ss = np.sum((arr - mean) ** 2, axis=0)
            std = np.sqrt(ss / (n - 1))
            sem = np.sqrt(ss / (n * (n - 1)))  # = std/√n, in one rounding (two frames: exactly |a − b|/2)
        else:
            std = np.full_like(mean, np.nan)
            sem = np.full_like(mean, np.nan)
        if arr.ndim == 1:
            return cls(float(mean), float(sem), float(std), n)
        return cls(mean, sem, std, n)

    def __repr__(self) -> str:
        from ._display import num, shape, short_repr

        if isinstance(self.mean, np.ndarray):
            return short_repr("FrameAverage", shape=shape(self.mean), n_frames=self.n_frames)
        return short_repr("FrameAverage", mean=num(self.mean, 6), sem=num(self.sem, 2), n_frames=self.n_frames)

    def to_dict(self) -> dict:
        def conv(x):
            return x.tolist() if isinstance(x, np.ndarray) else x

        return {"mean": conv(self.mean), "sem": conv(self.sem), "std": conv(self.std), "n_frames": self.n_frames}


@dataclass(frozen=True)
class Density:
    """Number density (atoms/Å³) and mass density (g/cm³) of one frame; masses are IUPAC 2016 standard atomic
    weights of the frame's species (as :class:`hpglass.composition.Composition`, so that simulation and
    experiment convert g/cm³ ↔ atoms/Å³ identically), not masses stored in the file."""

    number_density: float
    g_cm3: float
    volume_A3: float
    n_atoms: int

    def to_dict(self) -> dict:
        return {"number_density_A-3": self.number_density, "density_g_cm3": self.g_cm3, "volume_A3": self.volume_A3,
                "n_atoms": self.n_atoms}


def frame_composition(atoms) -> Composition:
    """Composition of a frame from its symbols (element counts, in order of first appearance)."""
    symbols, counts = np.unique(atoms.get_chemical_symbols(), return_counts=True)
    return Composition.parse({str(s): int(c) for s, c in zip(symbols, counts)})


def frame_density(atoms) -> Density:
    """Number and mass density of a periodic frame."""
    from .neighbors import check_frame

    check_frame(atoms)
    volume = float(abs(atoms.cell.volume))
    rho = len(atoms) / volume
    return Density(rho, frame_composition(atoms).mass_density(rho), volume, len(atoms))


def average_records(records: Sequence[Mapping]) -> tuple[dict, dict]:
    """Average per-frame JSON-like records key by key: (means, standard errors).

    Numbers and equal-length numeric lists/arrays are averaged (SEM as in :class:`FrameAverage`); nested mappings
    recurse; keys missing from some frames are averaged over the frames that have them; other values (text,
    None, ragged lists) are kept from the first frame and get no SEM entry.
    """
    if not records:
        raise InputError("no frames to average", field="frames")
    means: dict = {}
    sems: dict = {}
    keys: list = []
    for rec in records:
        for k in rec:
            if k not in keys:
                keys.append(k)
    for k in keys:
        vals = [rec[k] for rec in records if k in rec]
        first = vals[0]
        if all(isinstance(v, Mapping) for v in vals):
            m, s = average_records(vals)
            means[k] = m
            if s:
                sems[k] = s
            continue
        if all(_numeric(v) for v in vals):
            if all(np.array_equal(np.asarray(v), np.asarray(first)) for v in vals[1:]):
                means[k] = first  # identical in every frame (a parameter, a count): kept as it is
                if np.asarray(first).dtype.kind == "f":
                    sems[k] = np.zeros_like(np.asarray(first, dtype=float)).tolist() if np.ndim(first) else 0.0
                continue
            try:
                fa = FrameAverage.of(vals)
            except InputError:
                means[k] = first
                continue
            means[k] = fa.mean.tolist() if isinstance(fa.mean, np.ndarray) else fa.mean
            sems[k] = fa.sem.tolist() if isinstance(fa.sem, np.ndarray) else fa.sem
            continue
        means[k] = first
    return means, sems


def _numeric(v) -> bool:
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    if isinstance(v, (list, tuple, np.ndarray)):
        try:
            a = np.asarray(v)
        except ValueError:
            return False
        return a.dtype.kind in "iuf" and a.size > 0
    return False
