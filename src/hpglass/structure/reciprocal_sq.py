r"""X-ray-weighted S(q) of a periodic cell evaluated at its own reciprocal-lattice vectors (no real-space window).

For a periodic cell the scattered amplitude exists only at the reciprocal-lattice vectors k = 2π (n₁a*₁ + n₂a*₂ +
n₃a*₃) (integer n, a*ᵢ the rows of the inverse cell transpose); there, with f_j(k) the atomic form factor of atom
j (:func:`hpglass.xray.scattering_factors`, the same xraylib factors as the experimental reduction),

    I(k)/N = |Σ_j f_j(|k|) exp(i k·r_j)|² / N,         S_X(k) = 1 + [I(k)/N − ⟨f²⟩] / ⟨f⟩²          (Faber–Ziman)

and S_X(q) is the mean of S_X(k) over the vectors with |k| in each q bin (and over frames). Unlike the g(r)
route of :mod:`.xray_sq`, nothing is truncated at half the cell, so the peaks keep their width (the g(r) route
with a Lorch window broadens them by ≈ 1.2·2π/r_max, i.e. ≈ 1.1 Å⁻¹ for an 80-atom cell); the price is that only
|k| ≥ 2π/L exist and the small-q bins hold few vectors (noisy). k = 0 (forward scattering) is excluded.

This is the textbook route for simulated cells (e.g. Allen & Tildesley, *Computer Simulation of Liquids*, 2nd ed.,
OUP 2017, §8.2). Cost: (number of k vectors) × (atoms) complex exponentials per frame, vectorized in chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..composition import Composition
from ..errors import InputError
from ..xray import scattering_factors

__all__ = ["ReciprocalSQ", "reciprocal_vectors", "reciprocal_xray_sq"]


@dataclass
class ReciprocalSQ:
    """S_X(q) of periodic frames: bin centres ``q`` (Å⁻¹), mean ``sq``, standard error ``sq_err`` of the mean over
    the vectors and frames in each bin (NaN for bins with fewer than 2 samples), ``n_vectors`` per bin per frame."""

    q: np.ndarray
    sq: np.ndarray
    sq_err: np.ndarray
    n_vectors: np.ndarray
    n_frames: int

    def __repr__(self) -> str:
        from ._display import short_repr

        return short_repr("ReciprocalSQ", q=f"{self.q[0]:.4g}…{self.q[-1]:.4g} Å⁻¹ ({self.q.size} bins)",
                          n_frames=self.n_frames, n_vectors=int(np.sum(self.n_vectors)))

    def to_dict(self, arrays: bool = True) -> dict:
        """Plain JSON: the bins and S_X(q) with its error (``arrays=False``: only the grid and counts)."""
        out = {"q_min_A-1": float(self.q[0]), "q_max_A-1": float(self.q[-1]), "n_bins": int(self.q.size),
               "n_frames": self.n_frames, "n_vectors_total": int(np.sum(self.n_vectors))}
        if arrays:
            out.update({"q_A-1": self.q.tolist(), "S_X": self.sq.tolist(), "S_X_err": self.sq_err.tolist(),
                        "n_vectors": np.asarray(self.n_vectors).tolist()})
        return out

    def plot(self, ax=None):
        """S_X(q) with its standard error as error bars; returns the Axes."""
        from ._display import axes

        ax = axes(ax)
        ax.errorbar(self.q, self.sq, yerr=np.where(np.isfinite(self.sq_err), self.sq_err, 0.0), fmt=".", ms=3,
                    color="k", lw=0.8)
        ax.set_xlabel("q (Å⁻¹)")
        ax.set_ylabel("S_X(q) at reciprocal-lattice vectors")
        return ax


def reciprocal_vectors(cell: np.ndarray, q_max: float) -> np.ndarray:
    """All reciprocal-lattice vectors 0 < |k| ≤ q_max of ``cell`` (rows = lattice vectors, Å), as (M, 3) Å⁻¹."""
    cell = np.asarray(cell, dtype=float)
    recip = 2.0 * np.pi * np.linalg.inv(cell).T  # rows b_i with a_i · b_j = 2π δ_ij
    # |n_i| ≤ q_max |a_i| / 2π bounds every vector with |k| ≤ q_max
    n_max = np.ceil(q_max * np.linalg.norm(cell, axis=1) / (2.0 * np.pi)).astype(int)
    axes = [np.arange(-m, m + 1) for m in n_max]
    n = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    k = n @ recip
    norm = np.linalg.norm(k, axis=1)
    keep = (norm > 0) & (norm <= q_max)
    return k[keep]


def reciprocal_xray_sq(frames: Sequence, q_edges: np.ndarray, chunk: int = 4096) -> ReciprocalSQ:
    """Faber–Ziman X-ray S_X(q) of periodic ``frames`` (ase.Atoms, same composition) binned on ``q_edges`` (Å⁻¹).

    Each frame uses its own cell (NPT frames differ); a bin's value is the mean over all its (frame, k) samples.
    """
    frames = list(frames)
    if not frames:
        raise InputError("no frames given", field="frames")
    edges = np.asarray(q_edges, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or edges[0] < 0:
        raise InputError("q_edges must be increasing and non-negative", field="q_edges")
    symbols = frames[0].get_chemical_symbols()
    comp = Composition.parse({s: symbols.count(s) for s in dict.fromkeys(symbols)})
    nb = edges.size - 1
    total = np.zeros(nb)
    total_sq = np.zeros(nb)
    count = np.zeros(nb)
    counts0 = sorted((s, symbols.count(s)) for s in set(symbols))
    for k_frame, atoms in enumerate(frames):
        symbols = atoms.get_chemical_symbols()
        if sorted((s, symbols.count(s)) for s in set(symbols)) != counts0:
            raise InputError(f"frame {k_frame} has another composition than frame 0", field="frames")
        if not all(atoms.pbc):
            raise InputError(f"frame {k_frame} is not periodic in all three directions", field="frames")
        kv = reciprocal_vectors(atoms.cell[:], edges[-1])
        kn = np.linalg.norm(kv, axis=1)
        b = np.searchsorted(edges, kn, side="right") - 1
        ok = (b >= 0) & (b < nb)
        kv, kn, b = kv[ok], kn[ok], b[ok]
        pos = atoms.get_positions()
        species = sorted(set(symbols))
        idx = {s: np.array([i for i, t in enumerate(symbols) if t == s]) for s in species}
        sf = scattering_factors(comp, kn)
        for lo in range(0, kn.size, chunk):
            sl = slice(lo, lo + chunk)
            amp = np.zeros(kn[sl].size, dtype=complex)
            for s in species:
                phase = kv[sl] @ pos[idx[s]].T  # (k, atoms of s)
                amp += sf.f[s][sl] * np.exp(1j * phase).sum(axis=1)
            intensity = np.abs(amp) ** 2 / len(atoms)
            s_k = 1.0 + (intensity - sf.f_squared_mean[sl]) / sf.f_mean_squared[sl]
            np.add.at(total, b[sl], s_k)
            np.add.at(total_sq, b[sl], s_k**2)
            np.add.at(count, b[sl], 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        var = (total_sq / count - mean**2) * count / (count - 1)
        err = np.sqrt(np.clip(var, 0, None) / count)
    err[count < 2] = np.nan
    return ReciprocalSQ(q=0.5 * (edges[1:] + edges[:-1]), sq=mean, sq_err=err, n_vectors=count / len(frames),
                        n_frames=len(frames))
