"""Bond-angle distributions (BAD) by centre species and by species triplet.

For a centre atom i with bonds to j and k (two different bonds of i; from a bond list, e.g.
:func:`hpglass.structure.bonds.bonded`), the bond angle is

    θ_jik = atan2(|D_ij × D_ik|, D_ij · D_ik) ∈ [0°, 180°],

with D_ij = r_j − r_i + (image shift) the bond vector of the neighbour list, so bonds through the periodic boundary
are measured to the right image. (atan2 of the cross and dot products is used instead of arccos of the cosine:
it is accurate to machine precision near 0° and 180°, where arccos loses half the digits.) Every unordered pair of
bonds at a centre gives one angle: a centre with n bonds contributes n(n − 1)/2 angles. Two bonds to two images
of the same atom (possible only in a cell smaller than twice the bond length) are different bonds and give an angle.

The histogram has ``bins`` equal bins on [0°, 180°] (bin k = [k·w, (k + 1)·w), w = 180°/bins; θ = 180° goes into
the last bin). ``counts`` are raw numbers of angles; ``density`` = counts / (N_angles · w) is the probability
density in deg⁻¹ (∫ density dθ = 1). No sin θ (solid-angle) correction is applied — the convention of OVITO's
Bond angle distribution modifier and of most glass papers; divide by sin θ for the angular density per solid angle.

Partials: ``by="centre"`` gives one histogram per centre species (key "Sb"); ``by="triplet"`` one per
species triplet with the centre in the middle and the two ends in alphabetical order (key "Se-Sb-Se": Sb centre,
two Se neighbours; "Sb-Sb-Se": Sb centre, one Sb and one Se neighbour) — the naming OVITO uses when it
partitions by particle type. Every combination of the species in the frame has a key (zero counts if absent), so
keys are the same in every frame of a trajectory.

``fraction_near_60`` is the fraction of all angles in the window [50°, 70°] (``near_60``): the signature of
the triangular (60°) motifs that appear in a-Sb₂Se₃ from ~16 GPa (Zhang et al., PRL 127, 127002 (2021)); octahedral
(Peierls-distorted, ~90°/~180°) and tetrahedral (~109°) environments put almost nothing in it. The window is ±10°
around 60°: wide enough to catch thermally broadened triangles (their angle spread at 300 K is a few degrees)
and narrow enough to stay clear of the ~90° octahedral peak's low tail.

The computation is one compiled pass (numba) over the bond pairs of every centre of the neighbour list's CSR
layout (``first``); without numba it is vectorised, all bond pairs made at once in chunks of at most ~2 million
pairs to bound memory; no Python loop runs over atoms either way.
Checked bin by bin against OVITO's CreateBondsModifier + BondAngleDistributionModifier (tests).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from ..errors import InputError
from .bonds import _check_cutoff, bonded, cutoff_table
from .neighbors import HAVE_NUMBA, NeighbourList, check_frame, half_pairs, njit, species_codes

__all__ = ["AngleResult", "bond_angle_distribution", "bond_pairs", "json_safe", "pair_angles"]

#: the 60° window of ``fraction_near_60`` (degrees, inclusive)
NEAR_60: tuple[float, float] = (50.0, 70.0)
#: the largest number of bond pairs handled in one vectorised chunk
MAX_PAIRS_PER_CHUNK = 2_000_000


def _version() -> str:
    from .. import __version__

    return __version__


def json_safe(obj):
    """Plain JSON data: dicts, lists, str, bool, int, float, None — NaN/inf become None, numpy scalars/arrays
    Python numbers/lists (so ``json.dumps(result.to_dict(), allow_nan=False)`` works)."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if np.isfinite(v) else None
    return obj


def bond_pairs(first: np.ndarray, max_pairs: int = MAX_PAIRS_PER_CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every unordered pair (a, b), a < b, of bond indices that share their centre, in chunks of ≤ ``max_pairs``.

    ``first`` is the CSR index of a neighbour list sorted by centre (bonds of atom i are ``first[i]:first[i+1]``).
    A centre with n bonds gives n(n − 1)/2 pairs; a chunk never splits a centre (one centre with more pairs than
    ``max_pairs`` is a chunk of its own).
    """
    first = np.asarray(first, dtype=np.int64)
    cnt = np.diff(first)
    per_centre = cnt * (cnt - 1) // 2
    total = int(per_centre.sum())
    if total == 0:
        return
    # split the centres into consecutive blocks of at most max_pairs pairs
    cum = np.concatenate([[0], np.cumsum(per_centre)])
    bounds = [0]
    n = len(cnt)
    while bounds[-1] < n:
        start = bounds[-1]
        stop = int(np.searchsorted(cum, cum[start] + max_pairs, side="right")) - 1
        bounds.append(min(n, max(stop, start + 1)))
    for c0, c1 in pairwise(bounds):
        cc = cnt[c0:c1]
        npairs = int(per_centre[c0:c1].sum())
        if npairs == 0:
            continue
        b0 = first[c0]
        nb = int(first[c1] - b0)
        centre_of_bond = np.repeat(np.arange(c1 - c0), cc)
        local = np.arange(nb) - (first[c0:c1] - b0)[centre_of_bond]  # position of each bond within its centre
        reps = cc[centre_of_bond] - 1 - local  # partners after it
        a = np.repeat(np.arange(nb), reps)
        starts = np.cumsum(reps) - reps
        b = a + 1 + (np.arange(npairs) - np.repeat(starts, reps))
        yield a + b0, b + b0


def pair_angles(D: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles (degrees) between bond vectors D[a] and D[b]: atan2(|D_a × D_b|, D_a · D_b)."""
    u, v = D[a], D[b]
    cross = np.cross(u, v)
    return np.degrees(np.arctan2(np.sqrt(np.einsum("ij,ij->i", cross, cross)), np.einsum("ij,ij->i", u, v)))


@dataclass(frozen=True)
class AngleResult:
    """A bond-angle distribution: histogram on [0°, 180°] (counts and probability density) with partials.

    ``edges`` (deg, bins + 1); ``counts`` (angles per bin); ``density`` (deg⁻¹, integrates to 1);
    ``partials`` maps a centre species ("Sb", ``by="centre"``) or triplet ("Se-Sb-Se", ``by="triplet"``) to its
    counts; ``n_angles``; ``n_centres`` (atoms with ≥ 2 bonds); ``fraction_near_60`` (fraction of angles in
    ``near_60``, deg); ``mean_angle`` (deg); ``meta`` (parameters and versions).
    """

    edges: np.ndarray
    counts: np.ndarray
    density: np.ndarray
    partials: dict[str, np.ndarray]
    by: str
    n_angles: int
    n_centres: int
    n_atoms: int
    fraction_near_60: float
    near_60: tuple[float, float]
    mean_angle: float
    partial_near_60: dict[str, float] = field(default_factory=dict)
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def centres(self) -> np.ndarray:
        """Bin centres, deg."""
        return 0.5 * (self.edges[:-1] + self.edges[1:])

    @property
    def width(self) -> float:
        return float(self.edges[1] - self.edges[0])

    def partial_density(self, key: str) -> np.ndarray:
        """A partial's counts as a probability density over its own angles (deg⁻¹; zeros if it has none)."""
        c = self.partials[key]
        n = c.sum()
        return c / (n * self.width) if n else np.zeros_like(c, dtype=float)

    def to_dict(self, arrays: bool = True) -> dict:
        """Plain JSON; ``arrays=False`` leaves out the histograms (angle_deg, counts, density_per_deg and the
        partials' counts/densities) and keeps the scalars."""
        out = {
            "angle_deg": self.centres.tolist(),
            "bin_width_deg": self.width,
            "counts": self.counts.tolist(),
            "density_per_deg": self.density.tolist(),
            "by": self.by,
            "partials": {k: {"counts": v.tolist(), "density_per_deg": self.partial_density(k).tolist(),
                             "n_angles": int(v.sum()), "fraction_near_60": self.partial_near_60.get(k, float("nan"))}
                         for k, v in self.partials.items()},
            "n_angles": self.n_angles,
            "n_centres": self.n_centres,
            "n_atoms": self.n_atoms,
            "angles_per_atom": self.n_angles / self.n_atoms,
            "fraction_near_60": self.fraction_near_60,
            "near_60_window_deg": list(self.near_60),
            "mean_angle_deg": self.mean_angle,
            "meta": dict(self.meta),
            "hpglass_version": _version(),
        }
        if not arrays:
            for k in ("angle_deg", "counts", "density_per_deg"):
                del out[k]
            for part in out["partials"].values():
                del part["counts"], part["density_per_deg"]
        return json_safe(out)

    def __repr__(self) -> str:
        from ._display import num, short_repr

        return short_repr("AngleResult", bins=f"{self.counts.size} on 0…180°", by=self.by,
                          partials=",".join(self.partials), n_angles=self.n_angles,
                          mean_angle=f"{num(self.mean_angle)}°", fraction_near_60=num(self.fraction_near_60))

    def plot(self, ax=None, partials: bool = True):
        """The bond-angle density (deg⁻¹) against the angle, with each partial's share of it (partial counts over
        all angles, so the shares add up to the total) and the near-60° window shaded; returns the Axes."""
        from ._display import axes

        ax = axes(ax)
        x = self.centres
        ax.axvspan(*self.near_60, color="0.9", lw=0, label=f"{self.near_60[0]:g}–{self.near_60[1]:g}°")
        ax.plot(x, self.density, color="k", lw=1.5, label="all")
        if partials and self.n_angles:
            for k, c in self.partials.items():
                if c.sum():
                    ax.plot(x, c / (self.n_angles * self.width), lw=1.0, label=str(k))
        ax.set_xlim(0, 180)
        ax.set_xlabel("bond angle (deg)")
        ax.set_ylabel("probability density (deg⁻¹)")
        ax.set_title(f"{self.n_angles} angles, mean {self.mean_angle:.4g}°")
        ax.legend(frameon=False)
        return ax


@njit
def _angle_kernel(first, D, codes, cj, tri_index, nparts, bins, width, lo, hi):
    """(hist, near, Σθ, n) over every pair of bonds of every centre, one compiled pass (the formulas of
    :func:`pair_angles`; partial index tri_index[centre species, end species, end species])."""
    hist = np.zeros(nparts * bins, np.int64)
    near = np.zeros(nparts, np.int64)
    total = 0.0
    count = 0
    to_deg = 180.0 / np.pi
    for c in range(first.shape[0] - 1):
        tc = codes[c]
        for a in range(first[c], first[c + 1]):
            u0, u1, u2 = D[a, 0], D[a, 1], D[a, 2]
            for b in range(a + 1, first[c + 1]):
                v0, v1, v2 = D[b, 0], D[b, 1], D[b, 2]
                x0 = u1 * v2 - u2 * v1
                x1 = u2 * v0 - u0 * v2
                x2 = u0 * v1 - u1 * v0
                theta = np.arctan2(np.sqrt(x0 * x0 + x1 * x1 + x2 * x2), u0 * v0 + u1 * v1 + u2 * v2) * to_deg
                k = min(int(theta / width), bins - 1)
                part = tri_index[tc, cj[a], cj[b]]
                hist[part * bins + k] += 1
                if lo <= theta <= hi:
                    near[part] += 1
                total += theta
                count += 1
    return hist, near, total, count


@njit
def _group_bonds(pa, pb, pe, k, types):
    """(first, D, end types) of the k bonds (pa, pb, vector pe from pa to pb) grouped by centre row (CSR), both
    directions of each bond."""
    n = types.shape[0]
    first = np.zeros(n + 1, np.int64)
    for q in range(k):
        first[pa[q] + 1] += 1
        first[pb[q] + 1] += 1
    for c in range(n):
        first[c + 1] += first[c]
    fill = first[:n].copy()
    D = np.empty((2 * k, 3), np.float64)
    ends = np.empty(2 * k, np.intp)
    for q in range(k):
        a, b = pa[q], pb[q]
        r = fill[a]
        fill[a] += 1
        D[r, 0], D[r, 1], D[r, 2] = pe[q, 0], pe[q, 1], pe[q, 2]
        ends[r] = types[b]
        r = fill[b]
        fill[b] += 1
        D[r, 0], D[r, 1], D[r, 2] = -pe[q, 0], -pe[q, 1], -pe[q, 2]
        ends[r] = types[a]
    return first, D, ends


def _angle_numpy(nl_bonds, D, codes, cj, by, tri_index, nparts, bins, width, lo, hi):
    """The same sums as :func:`_angle_kernel`, vectorised in chunks of bond pairs (without numba)."""
    hist = np.zeros(nparts * bins, dtype=np.int64)
    near = np.zeros(nparts, dtype=np.int64)
    total_angle = 0.0
    n_angles = 0
    ci = codes[nl_bonds.i]
    for a, b in bond_pairs(nl_bonds.first):
        theta = pair_angles(D, a, b)
        k = np.minimum((theta / width).astype(np.intp), bins - 1)
        part = ci[a] if by == "centre" else tri_index[ci[a], cj[a], cj[b]]
        hist += np.bincount(part * bins + k, minlength=nparts * bins)
        in_win = (theta >= lo) & (theta <= hi)
        near += np.bincount(part[in_win], minlength=nparts)
        total_angle += float(theta.sum())
        n_angles += len(theta)
    return hist, near, total_angle, n_angles


def _nan_if_zero(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def bond_angle_distribution(atoms, nl_bonds: NeighbourList | Mapping[str, float] | float, bins: int = 180,
                            by: str = "centre", near_60: tuple[float, float] = NEAR_60) -> AngleResult:
    """Distribution of the bond angles θ_jik at every centre i (formulas in the module docstring).

    Parameters
    ----------
    atoms : the ase.Atoms frame (species from its chemical symbols).
    nl_bonds : the bonds, a :class:`NeighbourList` (usually :func:`~hpglass.structure.bonds.bonded`); every pair
        in it counts as a bond. Or the bond cutoffs as :func:`~hpglass.structure.bonds.bonded` takes them (one
        number or ``{"A-B": r_c}``): the bonds are then found and their angles binned in one compiled pass over the
        cell list, without building a bond list (numba; without it: ``bonded(atoms, None, cutoffs)``) — the same
        angles.
    bins : number of equal bins on [0°, 180°].
    by : ``"centre"`` (partials per centre species) or ``"triplet"`` (per species triplet, centre in the middle).
    near_60 : the window (deg, inclusive) of ``fraction_near_60``.
    """
    if not isinstance(nl_bonds, NeighbourList) and not HAVE_NUMBA:
        nl_bonds = bonded(atoms, None, nl_bonds)
    if isinstance(nl_bonds, NeighbourList) and len(atoms) != nl_bonds.n_atoms:
        raise InputError(f"bond list is for {nl_bonds.n_atoms} atoms, the frame has {len(atoms)}", field="nl_bonds")
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise InputError(f"bins must be a positive integer, got {bins!r}", field="bins")
    if by not in ("centre", "triplet"):
        raise InputError(f"by must be 'centre' or 'triplet', got {by!r}", field="by")
    lo, hi = (float(x) for x in near_60)
    if not (0.0 <= lo < hi <= 180.0):
        raise InputError(f"near_60 must be (lo, hi) with 0 ≤ lo < hi ≤ 180, got {near_60!r}", field="near_60")

    bins = int(bins)
    width = 180.0 / bins
    species, codes = species_codes(atoms)
    ns = len(species)
    # partial index: centre species (by="centre") or (centre, lower end, upper end) (by="triplet")
    if by == "centre":
        keys = list(species)
    else:
        keys = [f"{species[a]}-{species[c]}-{species[b]}" for c in range(ns) for a in range(ns) for b in range(a, ns)]
        tri_index = np.full((ns, ns, ns), -1, dtype=np.intp)
        k = 0
        for c in range(ns):
            for a in range(ns):
                for b in range(a, ns):
                    tri_index[c, a, b] = tri_index[c, b, a] = k
                    k += 1
    nparts = len(keys)

    if isinstance(nl_bonds, NeighbourList):
        D = np.ascontiguousarray(nl_bonds.D, dtype=float)
        first = np.asarray(nl_bonds.first, dtype=np.int64)
        centre_codes, cj = codes, codes[nl_bonds.j]
        cutoff, n_bonds = nl_bonds.cutoff, int(len(nl_bonds.i) // 2)
    else:  # cutoffs: bonds found on the cell grid and grouped by centre (grid rows), never sorted or stored
        check_frame(atoms)
        if isinstance(nl_bonds, Mapping):
            _, _, table, cutoff = cutoff_table(atoms, nl_bonds)
        else:
            cutoff = _check_cutoff(nl_bonds, None, "cutoffs")
            table = np.full((ns, ns), cutoff)
        g, pa, pb, _, pe, _, n_bonds = half_pairs(atoms, cutoff, codes, table)
        centre_codes = np.ascontiguousarray(codes[g.order])
        first, D, cj = _group_bonds(pa, pb, pe, n_bonds, centre_codes)
    if HAVE_NUMBA:
        if by == "centre":
            tri_index = np.arange(ns, dtype=np.intp)[:, None, None] + np.zeros((1, ns, ns), dtype=np.intp)
        hist, near, total_angle, n_angles = _angle_kernel(first, D, centre_codes, cj, tri_index, nparts, bins, width,
                                                          lo, hi)
    else:
        hist, near, total_angle, n_angles = _angle_numpy(nl_bonds, D, codes, cj, by, tri_index if by != "centre"
                                                         else None, nparts, bins, width, lo, hi)

    hist = hist.reshape(nparts, bins)
    counts = hist.sum(axis=0)
    density = counts / (n_angles * width) if n_angles else np.zeros(bins)
    edges = np.linspace(0.0, 180.0, bins + 1)
    partials = {key: hist[n] for n, key in enumerate(keys)}
    for arr in (edges, counts, density, *partials.values()):
        arr.setflags(write=False)
    return AngleResult(
        edges=edges, counts=counts, density=density, partials=partials, by=by,
        n_angles=int(n_angles), n_centres=int(np.count_nonzero(np.diff(first) >= 2)),
        n_atoms=len(atoms),
        fraction_near_60=_nan_if_zero(near.sum(), n_angles), near_60=(lo, hi),
        mean_angle=_nan_if_zero(total_angle, n_angles),
        partial_near_60={key: _nan_if_zero(near[n], hist[n].sum()) for n, key in enumerate(keys)},
        meta={"bins": bins, "by": by, "bond_cutoff_A": float(cutoff), "species": species, "n_bonds": int(n_bonds)},
    )
