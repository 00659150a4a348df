"""Angular-limited three-body correlation (ALTBC) and the Peierls-like bond-length alternation it measures.

Definition (Bichara, Pellegatti & Gaspard, Phys. Rev. B 47, 5002 (1993), for liquid As and Sb; used for the
Peierls distortion of liquid GeTe by Raty, Godlevsky, Ghosez, Bichara, Gaspard & Chelikowsky, Phys. Rev. Lett. 85,
1950 (2000), doi:10.1103/PhysRevLett.85.1950): for every centre i and every pair of its neighbours j, k with r_ij, r_ik < ``r_max`` and a nearly
collinear angle θ_jik ≥ ``angle_min``, count the pair of distances (r_ij, r_ik):

    B(r₁, r₂) = 1/(2N) Σ_i Σ_{j≠k} δ(r₁ − r_ij) δ(r₂ − r_ik) Θ(θ_jik − θ_min),

a 2D map, symmetric in r₁ ↔ r₂ (both orderings of every triplet are counted, the sum over ordered pairs j ≠ k,
and the ½ makes each collinear triplet count once), in triplets per atom per Å². ∫∫ B dr₁ dr₂ = collinear triplets
per atom. On a grid, ``density`` = counts / (2 N Δr²) with ``counts`` holding both orderings.

Reading the map: a Peierls-like (short–long) alternation of bonds, as in A7 Sb/As or in crystalline and amorphous
chalcogenides, puts the maximum off the diagonal at (r_short, r_long) and its mirror image; undistorted octahedral
(simple cubic, rock-salt) and bcc environments put it on the diagonal r₁ = r₂. In a-Sb₂Se₃ under compression
(Zhang et al., PRL 127, 127002 (2021)) the alternation weakens as the glass approaches a bcc-like local geometry.

Peierls measure: each collinear triplet (counted once) has a bond ratio ρ = r_long / r_short =
max(r_ij, r_ik) / min(r_ij, r_ik) ≥ 1. Reported: the distribution of ρ (``ratio_edges``, ``ratio_counts``), its
mean ⟨ρ⟩, the fraction of triplets with ρ > ``ratio_threshold`` (default 1.1: a 10 % alternation, well above the
thermal spread of an undistorted octahedron at 300 K yet below the ~15 % of A7 Sb, 2.91/3.36 Å), and the mean
difference ⟨r_long − r_short⟩ (Å). The position of the map's maximum is given as (r_short, r_long) bin centres
(the lower-left of the two mirror peaks; on the diagonal both are equal).

Scope: neighbours within ``r_max`` of the neighbour list, not bonds — the long partner of a Peierls pair is
often longer than a bond cutoff. The map covers [``r_min``, ``r_max``) in ``bins`` bins per axis; triplets with a
distance below ``r_min`` count in the ratio statistics but fall outside the map (``n_outside_map``). Per-centre-
species maps and statistics come with ``by_centre=True``. Vectorised over all neighbour pairs (chunked).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .angles import bond_pairs, json_safe, pair_angles
from .bonds import species_codes
from .neighbors import NeighbourList

__all__ = ["AltbcResult", "AltbcStats", "altbc"]


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass(frozen=True)
class AltbcStats:
    """ALTBC map and bond-ratio statistics of one set of centres (all atoms, or one centre species).

    ``counts`` (bins × bins, both orderings of every triplet; symmetric); ``ratio_counts`` (r_long/r_short
    histogram, each triplet once); ``n_triplets`` (collinear triplets); ``n_centres`` (atoms in the set);
    ``mean_ratio``, ``fraction_distorted`` (ρ > threshold), ``mean_difference`` (Å); ``peak`` (r_short, r_long)
    of the map's maximum (NaN when the map is empty); ``n_outside_map``; ``n_ratio_above`` (ρ beyond the
    ratio histogram).
    """

    counts: np.ndarray
    ratio_counts: np.ndarray
    n_triplets: int
    n_centres: int
    mean_ratio: float
    fraction_distorted: float
    mean_difference: float
    peak: tuple[float, float]
    n_outside_map: int
    n_ratio_above: int

    def density(self, bin_width: float) -> np.ndarray:
        """Map in collinear triplets per atom per Å² (∫∫ = triplets per atom)."""
        return self.counts / (2.0 * max(self.n_centres, 1) * bin_width**2)

    def __repr__(self) -> str:
        from ._display import num, short_repr

        return short_repr("AltbcStats", map="×".join(map(str, self.counts.shape)), n_triplets=self.n_triplets,
                          n_centres=self.n_centres, mean_ratio=num(self.mean_ratio),
                          fraction_distorted=num(self.fraction_distorted))

    def summary(self) -> dict:
        return {"n_triplets": self.n_triplets, "n_centres": self.n_centres,
                "triplets_per_atom": self.n_triplets / self.n_centres if self.n_centres else float("nan"),
                "mean_ratio": self.mean_ratio, "fraction_distorted": self.fraction_distorted,
                "mean_difference_A": self.mean_difference,
                "peak_r_short_A": self.peak[0], "peak_r_long_A": self.peak[1],
                "n_outside_map": self.n_outside_map, "n_ratio_above": self.n_ratio_above}


@dataclass(frozen=True)
class AltbcResult:
    """ALTBC of a frame: the (r₁, r₂) map of nearly collinear neighbour pairs and the r_long/r_short statistics.

    ``r_edges`` (Å, bins + 1, both map axes); ``ratio_edges``; ``total`` (:class:`AltbcStats` of all centres);
    ``by_centre`` (per centre species, empty unless asked for); parameters ``r_max``, ``angle_min``,
    ``ratio_threshold``; ``meta``. The total's fields are also reachable directly (``result.mean_ratio``).
    """

    r_edges: np.ndarray
    ratio_edges: np.ndarray
    total: AltbcStats
    by_centre: dict[str, AltbcStats]
    r_max: float
    angle_min: float
    ratio_threshold: float
    n_atoms: int
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def r(self) -> np.ndarray:
        """Bin centres of both map axes, Å."""
        return 0.5 * (self.r_edges[:-1] + self.r_edges[1:])

    @property
    def bin_width(self) -> float:
        return float(self.r_edges[1] - self.r_edges[0])

    @property
    def ratio(self) -> np.ndarray:
        return 0.5 * (self.ratio_edges[:-1] + self.ratio_edges[1:])

    @property
    def counts(self) -> np.ndarray:
        return self.total.counts

    @property
    def density(self) -> np.ndarray:
        """The total map in collinear triplets per atom per Å²."""
        return self.total.density(self.bin_width)

    @property
    def mean_ratio(self) -> float:
        return self.total.mean_ratio

    @property
    def fraction_distorted(self) -> float:
        return self.total.fraction_distorted

    @property
    def peak(self) -> tuple[float, float]:
        return self.total.peak

    def __repr__(self) -> str:
        from ._display import num, short_repr

        return short_repr("AltbcResult", map=f"{self.counts.shape[0]}² bins to {self.r_max:.3g} Å",
                          angle_min=f"{self.angle_min:g}°", n_triplets=self.total.n_triplets,
                          mean_ratio=num(self.mean_ratio), fraction_distorted=num(self.fraction_distorted),
                          peak=f"({num(self.peak[0])}, {num(self.peak[1])}) Å",
                          by_centre=",".join(self.by_centre) or None)

    def plot(self, ax=None, cmap: str = "viridis"):
        """The ALTBC map (collinear triplets per atom per Å²) over (r_short, r_long); returns the Axes."""
        from ._display import axes

        ax = axes(ax)
        e = self.r_edges
        im = ax.imshow(self.density.T, origin="lower", extent=(e[0], e[-1], e[0], e[-1]), cmap=cmap,
                       aspect="equal", interpolation="nearest")
        ax.plot([e[0], e[-1]], [e[0], e[-1]], color="w", lw=0.6, ls=":")
        ax.figure.colorbar(im, ax=ax, label="triplets per atom per Å²")
        ax.set_xlabel("r₁ (Å)")
        ax.set_ylabel("r₂ (Å)")
        ax.set_title(f"ALTBC, angle ≥ {self.angle_min:g}°; ⟨r_long/r_short⟩ = {self.mean_ratio:.3g}")
        return ax

    def to_dict(self, include_map: bool = True, arrays: bool = True) -> dict:
        """Plain JSON: the statistics; the ratio histogram and (``include_map``) the map unless ``arrays=False``."""
        out = {
            "r_max_A": self.r_max, "angle_min_deg": self.angle_min, "ratio_threshold": self.ratio_threshold,
            "n_atoms": self.n_atoms,
            **self.total.summary(),
            "ratio": self.ratio.tolist(),
            "ratio_counts": self.total.ratio_counts.tolist(),
            "by_centre": {k: v.summary() for k, v in self.by_centre.items()},
            "meta": dict(self.meta),
            "hpglass_version": _version(),
        }
        if not arrays:
            del out["ratio"], out["ratio_counts"]
        if include_map and arrays:
            out["r_A"] = self.r.tolist()
            out["map_density_per_A2"] = self.density.tolist()
        return json_safe(out)


def _stats(counts, ratio_counts, ratios, diffs, n_centres, n_outside, n_above, threshold, rc) -> AltbcStats:
    n = len(ratios)
    if counts.any():
        k1, k2 = np.unravel_index(int(np.argmax(counts)), counts.shape)
        peak = (float(rc[min(k1, k2)]), float(rc[max(k1, k2)]))
    else:
        peak = (float("nan"), float("nan"))
    for arr in (counts, ratio_counts):
        arr.setflags(write=False)
    return AltbcStats(
        counts=counts, ratio_counts=ratio_counts, n_triplets=int(n), n_centres=int(n_centres),
        mean_ratio=float(np.mean(ratios)) if n else float("nan"),
        fraction_distorted=float(np.mean(ratios > threshold)) if n else float("nan"),
        mean_difference=float(np.mean(diffs)) if n else float("nan"),
        peak=peak, n_outside_map=int(n_outside), n_ratio_above=int(n_above))


def altbc(atoms, nl: NeighbourList, r_max: float = 4.0, angle_min: float = 155.0, bins: int = 100,
          r_min: float = 2.0, ratio_bins: int = 100, ratio_max: float = 2.0, ratio_threshold: float = 1.1,
          by_centre: bool = False) -> AltbcResult:
    """Angular-limited three-body correlation of a frame (definition and outputs in the module docstring).

    Parameters
    ----------
    atoms : the ase.Atoms frame.
    nl : its :class:`NeighbourList`, built with cutoff ≥ ``r_max`` (all neighbours, not only bonds).
    r_max : Å, neighbours j, k of i must be closer than this (strict).
    angle_min : deg, the smallest angle θ_jik counted as collinear (155° as in Raty et al. 2000).
    bins, r_min : the map covers [r_min, r_max) Å with ``bins`` bins on each axis.
    ratio_bins, ratio_max : the r_long/r_short histogram covers [1, ratio_max) in ``ratio_bins`` bins.
    ratio_threshold : ρ above which a triplet counts as distorted (``fraction_distorted``).
    by_centre : also compute the map and statistics per centre species.
    """
    if len(atoms) != nl.n_atoms:
        raise InputError(f"neighbour list is for {nl.n_atoms} atoms, the frame has {len(atoms)}", field="nl")
    r_max = float(r_max)
    if not r_max > 0:
        raise InputError(f"r_max must be positive, got {r_max}", field="r_max")
    if r_max > nl.cutoff + 1e-12:
        raise InputError(f"r_max {r_max:g} Å exceeds the neighbour list's cutoff {nl.cutoff:g} Å", field="r_max")
    if not (0.0 <= float(r_min) < r_max):
        raise InputError(f"r_min must satisfy 0 ≤ r_min < r_max, got {r_min}", field="r_min")
    if not (90.0 <= float(angle_min) < 180.0):
        raise InputError(f"angle_min must lie in [90°, 180°), got {angle_min}", field="angle_min")
    for name, v in (("bins", bins), ("ratio_bins", ratio_bins)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise InputError(f"{name} must be a positive integer, got {v!r}", field=name)
    if not float(ratio_max) > 1.0:
        raise InputError(f"ratio_max must exceed 1, got {ratio_max}", field="ratio_max")
    if not float(ratio_threshold) >= 1.0:
        raise InputError(f"ratio_threshold must be ≥ 1, got {ratio_threshold}", field="ratio_threshold")

    sub = nl.within(r_max) if r_max < nl.cutoff else nl
    bins, ratio_bins = int(bins), int(ratio_bins)
    r_min, ratio_max = float(r_min), float(ratio_max)
    dr = (r_max - r_min) / bins
    dq = (ratio_max - 1.0) / ratio_bins
    species, codes = species_codes(atoms)
    ns = len(species)
    groups = ns if by_centre else 1
    cos_min = np.cos(np.radians(float(angle_min)))

    maps = np.zeros(groups * bins * bins, dtype=np.int64)
    rhist = np.zeros(groups * ratio_bins, dtype=np.int64)
    outside = np.zeros(groups, dtype=np.int64)
    above = np.zeros(groups, dtype=np.int64)
    ratios: list[np.ndarray] = []
    diffs: list[np.ndarray] = []
    grp: list[np.ndarray] = []
    D = np.asarray(sub.D, dtype=float)
    d = np.asarray(sub.d, dtype=float)
    for a, b in bond_pairs(sub.first):
        # cheap cosine preselection, then the accurate angle for the survivors
        cosang = np.einsum("ij,ij->i", D[a], D[b]) / (d[a] * d[b])
        keep = cosang <= cos_min + 1e-9
        a, b = a[keep], b[keep]
        theta = pair_angles(D, a, b)
        keep = theta >= angle_min
        a, b = a[keep], b[keep]
        if len(a) == 0:
            continue
        r1, r2 = d[a], d[b]
        g = codes[sub.i[a]] if by_centre else np.zeros(len(a), dtype=np.intp)
        k1 = np.floor((r1 - r_min) / dr).astype(np.intp)
        k2 = np.floor((r2 - r_min) / dr).astype(np.intp)
        inside = (k1 >= 0) & (k2 >= 0) & (k1 < bins) & (k2 < bins)
        outside += np.bincount(g[~inside], minlength=groups)
        gi, k1, k2 = g[inside], k1[inside], k2[inside]
        base = gi * bins * bins
        maps += np.bincount(base + k1 * bins + k2, minlength=groups * bins * bins)
        maps += np.bincount(base + k2 * bins + k1, minlength=groups * bins * bins)
        lo, hi = np.minimum(r1, r2), np.maximum(r1, r2)
        rho = hi / lo
        kq = np.floor((rho - 1.0) / dq).astype(np.intp)
        ok = kq < ratio_bins
        above += np.bincount(g[~ok], minlength=groups)
        rhist += np.bincount(g[ok] * ratio_bins + kq[ok], minlength=groups * ratio_bins)
        ratios.append(rho)
        diffs.append(hi - lo)
        grp.append(g)

    rho_all = np.concatenate(ratios) if ratios else np.zeros(0)
    diff_all = np.concatenate(diffs) if diffs else np.zeros(0)
    g_all = np.concatenate(grp) if grp else np.zeros(0, dtype=np.intp)
    maps = maps.reshape(groups, bins, bins)
    rhist = rhist.reshape(groups, ratio_bins)
    r_edges = r_min + dr * np.arange(bins + 1)
    ratio_edges = 1.0 + dq * np.arange(ratio_bins + 1)
    rc = 0.5 * (r_edges[:-1] + r_edges[1:])
    thr = float(ratio_threshold)
    total = _stats(maps.sum(axis=0), rhist.sum(axis=0), rho_all, diff_all, len(atoms), outside.sum(), above.sum(),
                   thr, rc)
    per: dict[str, AltbcStats] = {}
    if by_centre:
        n_of = np.bincount(codes, minlength=ns)
        for s, name in enumerate(species):
            m = g_all == s
            per[name] = _stats(maps[s], rhist[s], rho_all[m], diff_all[m], n_of[s], outside[s], above[s], thr, rc)
    for arr in (r_edges, ratio_edges):
        arr.setflags(write=False)
    return AltbcResult(
        r_edges=r_edges, ratio_edges=ratio_edges, total=total, by_centre=per, r_max=r_max,
        angle_min=float(angle_min), ratio_threshold=thr, n_atoms=len(atoms),
        meta={"bins": bins, "r_min_A": r_min, "ratio_bins": ratio_bins, "ratio_max": ratio_max,
              "by_centre": bool(by_centre), "species": species, "neighbour_list_cutoff_A": nl.cutoff},
    )
