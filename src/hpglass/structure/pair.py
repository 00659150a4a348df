"""Partial and total pair distribution functions g_ab(r) of a periodic frame, from the shared neighbour list.

Definitions (Faber–Ziman partials; e.g. Keen, J. Appl. Cryst. 34, 172 (2001)):

    g_ab(r) = n_ab(r) / (N_a ρ_b V_shell(r)),     ρ_b = N_b / V,
    g(r)    = Σ_ab c_a c_b g_ab(r) = n(r) / (N ρ V_shell(r)),

where n_ab(r) counts the ordered pairs (i of species a, j ≠ i of species b, any periodic image of j) whose
distance falls into the bin [r_k, r_k + dr), and V_shell = (4π/3)[(r_k + dr)³ − r_k³] is the exact volume of the
bin's spherical shell — the ideal-gas count, so that g = 1 for an uncorrelated system at every r (4πr²dr is its
midpoint approximation). The self pair i = j is excluded; ρ_b uses N_b, not N_b − 1 — the normalisation of
ase.geometry.rdf.get_rdf (ASE ≥ 3.27), OVITO's CoordinationAnalysisModifier and freud's "exact" mode, all three
equal to this module's to rounding on the same bins (tests/structure/test_pair.py); vitrum normalises like pairs
by N_a(N_a − 1) instead — so for a small cell g_aa tends to (N_a − 1)/N_a at large r rather than to 1.
g_ab(r) = g_ba(r) because n_ab = n_ba.

Frames of one run: :func:`pair_distributions` bins every frame to one r grid — the same dr and r_max, by default
:func:`common_r_max`, half the smallest cell height over the frames (an NPT trajectory has a different cell in every
frame, so each frame's own default r_max gives each its own grid) — and :func:`average_pair_distributions` averages
them with standard errors over frames (:class:`PairAverage`; distributions of one bin width that reach different
r_max are cut to the shortest).

Pairs come from the compiled cell list of :mod:`hpglass.structure.neighbors` (or its NeighbourList, or matscipy's
search without numba; every image within r_max is counted, so r_max may exceed half the cell height — the
correlations of an atom with its own images then enter, which is physics for a crystal and an artefact for a
glass; :mod:`.xray_sq` refuses that).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .neighbors import (
    HAVE_NUMBA,
    NeighbourList,
    cell_grid,
    cell_heights,
    check_frame,
    check_memory,
    njit,
    species_codes,
)
from .neighbors import wrap_index as _wrap

__all__ = ["PAIR_METHODS", "PairAverage", "PairDistribution", "average_pair_distributions", "common_r_max",
           "half_min_height", "pair_distribution", "pair_distributions", "pair_key", "parse_pair", "species_of"]


def half_min_height(cell) -> float:
    """Half the smallest distance between opposite faces of the cell (the largest sphere radius it holds), Å."""
    return 0.5 * float(min(cell_heights(cell)))


def common_r_max(frames) -> float:
    """The r range every frame of a run allows: half the smallest cell height over all ``frames`` (Å).

    Frames of an NPT trajectory have different cells, so each frame's own half height gives each its own r grid;
    binning every frame to this one r_max (and one dr) puts them on a common grid that can be averaged.
    """
    frames = list(frames)
    if not frames:
        raise InputError("no frames", field="frames")
    return float(min(half_min_height(a.cell) for a in frames))


def species_of(atoms) -> tuple[str, ...]:
    """The frame's elements in alphabetical order (the order of every per-species output)."""
    return tuple(species_codes(atoms)[0])


def pair_key(a: str, b: str) -> str:
    """``"Sb-Se"``: the label of an unordered pair, elements in alphabetical order."""
    return "-".join(sorted((a, b)))


def parse_pair(label: str, species: tuple[str, ...] | None = None, field_name: str = "cutoff") -> tuple[str, str]:
    """``"Sb-Se"`` (or ``"Se-Sb"``) → ("Sb", "Se"); checks the elements are in ``species`` when given."""
    parts = [p.strip() for p in str(label).split("-")]
    if len(parts) != 2 or not all(parts):
        raise InputError(f"pair {label!r} is not of the form 'A-B' (e.g. 'Sb-Se')", field=field_name)
    a, b = sorted(parts)
    if species is not None:
        missing = [s for s in (a, b) if s not in species]
        if missing:
            raise InputError(f"pair {label!r}: {', '.join(missing)} is not in the frame (species: "
                             f"{', '.join(species)})", field=field_name)
    return a, b


class _BinnedInR:
    """Bin centres r, width dr and range r_max of a histogram with ``edges`` (Å)."""

    edges: np.ndarray

    @property
    def r(self) -> np.ndarray:
        return 0.5 * (self.edges[:-1] + self.edges[1:])

    @property
    def dr(self) -> float:
        return float(self.edges[1] - self.edges[0])

    @property
    def r_max(self) -> float:
        return float(self.edges[-1])


@dataclass(frozen=True)
class PairDistribution(_BinnedInR):
    """Pair counts of one frame in bins [edges[k], edges[k+1]) and the g_ab(r) they give.

    counts[a][b] (array over bins) counts ordered pairs centre a → neighbour b, summed over all a atoms; the
    partial and total g(r) are derived from the counts (module docstring). ``r`` holds the bin centres.
    """

    edges: np.ndarray
    species: tuple[str, ...]
    counts: np.ndarray  # (n_species, n_species, n_bins)
    n_by_species: dict[str, int]
    volume: float
    half_height: float  # half the smallest cell height of the frame, Å
    meta: dict = field(default_factory=dict, compare=False)


    @property
    def n_atoms(self) -> int:
        return int(sum(self.n_by_species.values()))

    @property
    def number_density(self) -> float:
        return self.n_atoms / self.volume

    @property
    def concentrations(self) -> dict[str, float]:
        return {s: n / self.n_atoms for s, n in self.n_by_species.items()}

    @property
    def shell_volumes(self) -> np.ndarray:
        return 4.0 * np.pi / 3.0 * np.diff(self.edges**3)

    def _index(self, a: str) -> int:
        try:
            return self.species.index(a)
        except ValueError:
            raise InputError(f"{a!r} is not in the frame (species: {', '.join(self.species)})",
                             field="species") from None

    def partial(self, a: str, b: str) -> np.ndarray:
        """g_ab(r) on ``r`` (centre a, neighbour b; equal to g_ba)."""
        ia, ib = self._index(a), self._index(b)
        norm = self.n_by_species[a] * (self.n_by_species[b] / self.volume) * self.shell_volumes
        return self.counts[ia, ib] / norm

    def partial_sem(self, a: str, b: str) -> np.ndarray:
        """Counting-statistics standard error of g_ab(r) per bin: var(n_ab) = n_ab for a ≠ b and 2·n_ab for a = b
        (every like pair is counted from both ends), divided by the number of frames whose mean the counts are
        (``meta["n_frames"]``, 1 for one frame). Pair counts of one structure are not independent, so this is an
        estimate of the noise, good for telling a shell from a wiggle."""
        ia, ib = self._index(a), self._index(b)
        n = np.clip(self.counts[ia, ib], 0.0, None)
        frames = max(int(self.meta.get("n_frames", 1) or 1), 1)
        norm = self.n_by_species[a] * (self.n_by_species[b] / self.volume) * self.shell_volumes
        return np.sqrt(n * (2.0 if a == b else 1.0) / frames) / norm

    @property
    def partials(self) -> dict[tuple[str, str], np.ndarray]:
        """g_ab(r) for every unordered pair (a ≤ b alphabetically)."""
        return {(a, b): self.partial(a, b) for k, a in enumerate(self.species) for b in self.species[k:]}

    @property
    def total(self) -> np.ndarray:
        """g(r) = Σ_ab c_a c_b g_ab(r)."""
        return self.counts.sum(axis=(0, 1)) / (self.n_atoms * self.number_density * self.shell_volumes)

    def running_coordination(self, a: str, b: str) -> np.ndarray:
        """n_ab(R) at the upper bin edges R = edges[1:]: mean number of b neighbours of an a atom within R."""
        return np.cumsum(self.counts[self._index(a), self._index(b)]) / self.n_by_species[a]

    def columns(self) -> dict[str, np.ndarray]:
        """r_A, g_total and one g_<a>-<b> column per unordered pair (for :func:`hpglass.io.write_table`)."""
        out = {"r_A": self.r, "g_total": self.total}
        for (a, b), g in self.partials.items():
            out[f"g_{a}-{b}"] = g
        return out

    def rebin(self, factor: int) -> PairDistribution:
        """The same counts in bins ``factor`` times wider (trailing bins that do not fill a wide bin dropped)."""
        factor = int(factor)
        if factor < 1:
            raise InputError(f"rebin factor must be ≥ 1, got {factor}", field="factor")
        n = (self.counts.shape[-1] // factor) * factor
        if n == 0:
            raise InputError("fewer bins than the rebin factor", field="factor")
        counts = self.counts[..., :n].reshape(*self.counts.shape[:2], n // factor, factor).sum(axis=-1)
        return PairDistribution(edges=self.edges[: n + 1: factor], species=self.species, counts=counts,
                                n_by_species=dict(self.n_by_species), volume=self.volume,
                                half_height=self.half_height, meta=dict(self.meta))

    def to_dict(self, arrays: bool = False) -> dict:
        """Parameters and scalars; with ``arrays`` also r_A, g_total and g_partials ('A-B' → list)."""
        out = {"species": list(self.species), "n_by_species": dict(self.n_by_species), "volume_A3": self.volume,
               "number_density_A-3": self.number_density, "r_max_A": self.r_max, "dr_A": self.dr,
               "n_bins": int(self.counts.shape[-1]),
               "normalisation": "g_ab = n_ab / (N_a rho_b V_shell), V_shell exact, rho_b = N_b/V"}
        if arrays:
            out["r_A"] = self.r.tolist()
            out["g_total"] = self.total.tolist()
            out["g_partials"] = {f"{a}-{b}": g.tolist() for (a, b), g in self.partials.items()}
        return out

    def __repr__(self) -> str:
        from ._display import short_repr

        return short_repr("PairDistribution", species="".join(f"{s}{n}" for s, n in self.n_by_species.items()),
                          r=f"0…{self.r_max:.4g} Å in {self.counts.shape[-1]} bins of {self.dr:.4g} Å",
                          number_density=f"{self.number_density:.5g} Å⁻³", method=self.meta.get("method"))

    def plot(self, ax=None, partials: bool = True, total: bool = True):
        """g(r) (total and the partials g_ab) against r; returns the matplotlib Axes (a new figure when ``ax`` is
        None)."""
        return _plot_g(ax, self.r, self.total if total else None, self.partials if partials else {}, None, None,
                       f"{self.n_atoms} atoms")


PAIR_METHODS = ("auto", "cells", "nl", "matscipy", "mic")


def pair_distribution(atoms, r_max: float | None = None, dr: float = 0.01, nl: NeighbourList | None = None,
                      method: str = "auto") -> PairDistribution:
    """Partial pair counts and g_ab(r) of one periodic frame up to ``r_max`` Å in bins of ``dr`` Å.

    ``r_max`` defaults to half the smallest cell height; it is rounded down to a whole number of bins.

    Where the pairs come from (``method``; all give the same counts up to the rounding of a distance that falls
    on a bin edge):

    * ``"cells"`` — the compiled cell list of :mod:`.neighbors` (numba): every pair and periodic image within
      r_max met once and binned in the same pass, no list stored; any r_max (the fastest: 3000 atoms to 10 Å in
      ≈ 6 ms, a quarter of OVITO's CoordinationAnalysisModifier on one thread, benchmarks/README.md);
    * ``"nl"`` — ``nl``, the frame's shared :class:`NeighbourList` (its cutoff must reach r_max);
    * ``"matscipy"`` — matscipy's neighbour search called directly (distances only, no sorting), any r_max;
    * ``"mic"`` — every pair once by the minimum-image convention, blocked numpy, O(N²): exact for
      r_max ≤ half the smallest cell height (then a pair has at most one image within r_max, and it is the one
      whose fractional separation rounds to zero, for any triclinic cell); ≈ 5× faster than the neighbour search
      when r_max is a large fraction of the cell (3000 atoms, r_max = L/2: 0.12 s against 0.65 s);
    * ``"auto"`` — ``nl`` when given and long enough, else ``cells`` (with numba), else ``mic`` when allowed and
      the r_max sphere holds more than 5 % of the cell, else ``matscipy``.
    """
    check_frame(atoms)
    half = half_min_height(atoms.cell)
    if r_max is None:
        r_max = half
    if method not in PAIR_METHODS:
        raise InputError(f"unknown method {method!r}; use one of {', '.join(PAIR_METHODS)}", field="method")
    if not (np.isfinite(dr) and dr > 0):
        raise InputError(f"dr must be positive, got {dr}", field="dr")
    if not (np.isfinite(r_max) and r_max > dr):
        raise InputError(f"r_max must exceed dr ({dr} Å), got {r_max}", field="r_max")
    ns_est = len(np.unique(atoms.numbers))
    # the (ns, ns, n_bins) counts in int64, g(r) and the shell volumes as floats: estimate before allocating
    check_memory(r_max / dr * (ns_est * ns_est * 8 * 4 + 64), f"g(r) with {r_max / dr:.3g} bins of {dr:g} Å",
                 field="dr")
    n_bins = int(np.floor(r_max / dr + 1e-9))
    edges = dr * np.arange(n_bins + 1)
    rc = float(edges[-1])
    if nl is not None and nl.n_atoms != len(atoms):
        raise InputError("the neighbour list belongs to another frame (atom counts differ)", field="nl")
    nl_ok = nl is not None and nl.cutoff >= rc - 1e-9
    volume = float(abs(atoms.cell.volume))
    if method == "auto":
        sphere_fraction = 4.0 / 3.0 * np.pi * rc**3 / volume
        method = "nl" if nl_ok else "cells" if HAVE_NUMBA else (
            "mic" if rc <= half * (1 + 1e-12) and sphere_fraction > 0.05 else "matscipy")
    if method == "nl" and not nl_ok:
        raise InputError(f"the neighbour list reaches {None if nl is None else nl.cutoff} Å, the pair distribution "
                         f"needs {rc} Å", field="r_max")
    if method == "mic" and rc > half * (1 + 1e-12):
        raise InputError(f"method 'mic' needs r_max ≤ half the smallest cell height ({half:.4g} Å), got {rc:g}",
                         field="r_max")
    species_list, t = species_codes(atoms)
    species = tuple(species_list)
    lookup = {s: k for k, s in enumerate(species)}
    ns = len(species)
    if method == "cells":
        if not HAVE_NUMBA:
            raise InputError("method 'cells' needs numba (pip install numba)", field="method")
        g = cell_grid(atoms, rc)
        half_counts = _cell_counts(g.pos, t[g.order], ns, g.start, g.bins, g.n, g.offsets, g.cell, rc, dr, n_bins)
        counts = half_counts + half_counts.transpose(1, 0, 2)
    elif method == "mic":
        counts = _mic_counts(atoms, t, ns, dr, n_bins)
    else:
        if method == "nl":
            keep = nl.d < rc
            i, j, d = nl.i[keep], nl.j[keep], nl.d[keep]
        else:
            from matscipy.neighbours import neighbour_list

            i, j, d = neighbour_list("ijd", atoms, rc)
            keep = d < rc
            i, j, d = i[keep], j[keep], d[keep]
        bins = np.minimum((d / dr).astype(np.int64), n_bins - 1)
        flat = (t[i] * ns + t[j]) * n_bins + bins
        counts = np.bincount(flat, minlength=ns * ns * n_bins).reshape(ns, ns, n_bins)
    n_by = {s: int(np.count_nonzero(t == k)) for s, k in lookup.items()}
    return PairDistribution(edges=edges, species=species, counts=counts.astype(float), n_by_species=n_by,
                            volume=volume, half_height=half,
                            meta={"method": method, "source": atoms.info.get("source"),
                                  "frame": atoms.info.get("frame_label")})


@njit
def _cell_counts(pos, types, ns, start, bins, n, offsets, cell, rc, dr, n_bins):
    """Pair counts (ns, ns, n_bins) of every pair and image within rc met once on the half shell of the cell grid
    (:class:`~hpglass.structure.neighbors.CellGrid`), counted as centre = the atom it was met from; the caller adds
    the transpose for both directions. Bin ⌊d/dr⌋, d < rc, as the numpy paths."""
    counts = np.zeros((ns, ns, n_bins), np.int64)
    rc2 = rc * rc
    for ra in range(pos.shape[0]):
        x0, x1, x2 = pos[ra, 0], pos[ra, 1], pos[ra, 2]
        ta = types[ra]
        for q in range(offsets.shape[0]):
            c0, w0 = _wrap(bins[ra, 0] + offsets[q, 0], n[0])
            c1, w1 = _wrap(bins[ra, 1] + offsets[q, 1], n[1])
            c2, w2 = _wrap(bins[ra, 2] + offsets[q, 2], n[2])
            s0 = w0 * cell[0, 0] + w1 * cell[1, 0] + w2 * cell[2, 0] - x0
            s1 = w0 * cell[0, 1] + w1 * cell[1, 1] + w2 * cell[2, 1] - x1
            s2 = w0 * cell[0, 2] + w1 * cell[1, 2] + w2 * cell[2, 2] - x2
            c = (c0 * n[1] + c1) * n[2] + c2
            lo = start[c]
            if offsets[q, 0] == 0 and offsets[q, 1] == 0 and offsets[q, 2] == 0:
                lo = ra + 1
            for rb in range(lo, start[c + 1]):
                e0 = pos[rb, 0] + s0
                e1 = pos[rb, 1] + s1
                e2 = pos[rb, 2] + s2
                r2 = e0 * e0 + e1 * e1 + e2 * e2
                if r2 < rc2:
                    d = np.sqrt(r2)
                    if d < rc:
                        k = min(int(d / dr), n_bins - 1)
                        counts[ta, types[rb], k] += 1
    return counts


def _mic_counts(atoms, t: np.ndarray, ns: int, dr: float, n_bins: int) -> np.ndarray:
    """Ordered-pair counts (ns, ns, n_bins) of all pairs i < j by the minimum image, both directions added."""
    cell = np.asarray(atoms.cell, dtype=float)
    frac = atoms.get_scaled_positions(wrap=True)
    n = len(atoms)
    r2max = (n_bins * dr) ** 2
    counts = np.zeros(ns * ns * n_bins, dtype=np.int64)
    block = int(max(1, min(512, 2_000_000 // max(n, 1))))
    for s in range(0, n - 1, block):
        e = min(s + block, n - 1)
        df = frac[None, s + 1:, :] - frac[s:e, None, :]
        df -= np.round(df)
        v = df @ cell
        d2 = np.einsum("ijk,ijk->ij", v, v)
        rows = np.arange(s, e)[:, None]
        cols = np.arange(s + 1, n)[None, :]
        ia, ja = np.nonzero((d2 < r2max) & (cols > rows))
        d = np.sqrt(d2[ia, ja])
        b = np.minimum((d / dr).astype(np.int64), n_bins - 1)
        ti, tj = t[ia + s], t[ja + s + 1]
        counts += np.bincount((ti * ns + tj) * n_bins + b, minlength=counts.size)
        counts += np.bincount((tj * ns + ti) * n_bins + b, minlength=counts.size)
    return counts.reshape(ns, ns, n_bins)


# -- several frames: one r grid, frame averages -------------------------------------------------------------------
def pair_distributions(frames, r_max: float | None = None, dr: float = 0.01, method: str = "auto"
                       ) -> list[PairDistribution]:
    """:func:`pair_distribution` of every frame of a run on one r grid: the same ``dr`` and the same ``r_max``,
    by default :func:`common_r_max` (half the smallest cell height over the frames, so that no frame sees its own
    images) — the grid :func:`average_pair_distributions` needs."""
    frames = list(frames)
    r = common_r_max(frames) if r_max is None else float(r_max)
    return [pair_distribution(a, r, dr, method=method) for a in frames]


@dataclass(frozen=True)
class PairAverage(_BinnedInR):
    """Pair distributions of several frames on one r grid, averaged: g_total and every partial g_ab with the
    standard error of the mean over frames (:class:`~hpglass.structure.frames.FrameAverage`, s/√n, ddof = 1;
    NaN for one frame).

    ``pair`` is a :class:`PairDistribution` of the mean counts and the mean volume (the input of first-minimum
    cutoffs); ``truncated_from`` the largest r_max (Å) among the inputs when some reached further than the
    common grid (else None).
    """

    edges: np.ndarray
    species: tuple[str, ...]
    g_total: np.ndarray
    g_total_sem: np.ndarray
    partials: dict[tuple[str, str], np.ndarray]
    partials_sem: dict[tuple[str, str], np.ndarray]
    n_frames: int
    pair: PairDistribution = field(repr=False)
    truncated_from: float | None = None


    def columns(self) -> dict[str, np.ndarray]:
        """r_A, g_total, g_total_sem and g_<a>-<b>, g_<a>-<b>_sem per unordered pair (for write_table)."""
        out = {"r_A": self.r, "g_total": self.g_total, "g_total_sem": self.g_total_sem}
        for (a, b), g in self.partials.items():
            out[f"g_{a}-{b}"] = g
            out[f"g_{a}-{b}_sem"] = self.partials_sem[(a, b)]
        return out

    def to_dict(self, arrays: bool = False) -> dict:
        out = {"n_frames": self.n_frames, "species": list(self.species), "r_max_A": self.r_max, "dr_A": self.dr,
               "n_bins": int(self.g_total.size), "truncated_from_A": self.truncated_from,
               "sem_convention": "standard error of the mean over frames, s/sqrt(n) (ddof=1); NaN for one frame"}
        if arrays:
            out["r_A"] = self.r.tolist()
            out["g_total"] = self.g_total.tolist()
            out["g_total_sem"] = self.g_total_sem.tolist()
            out["g_partials"] = {f"{a}-{b}": g.tolist() for (a, b), g in self.partials.items()}
            out["g_partials_sem"] = {f"{a}-{b}": g.tolist() for (a, b), g in self.partials_sem.items()}
        return out

    def __repr__(self) -> str:
        from ._display import short_repr

        return short_repr("PairAverage", n_frames=self.n_frames, species=",".join(self.species),
                          r=f"0…{self.r_max:.4g} Å in {self.g_total.size} bins of {self.dr:.4g} Å",
                          truncated_from=None if self.truncated_from is None else f"{self.truncated_from:.4g} Å")

    def plot(self, ax=None, partials: bool = True, total: bool = True):
        """Frame-averaged g(r) (total and partials) with ±SEM bands; returns the matplotlib Axes."""
        return _plot_g(ax, self.r, self.g_total if total else None, self.partials if partials else {},
                       self.g_total_sem if total else None, self.partials_sem if partials else None,
                       f"mean of {self.n_frames} frame(s)")


def average_pair_distributions(pairs) -> PairAverage:
    """Average the pair distributions of several frames (one run) with standard errors over frames.

    All must hold the same species and bins of one width starting at r = 0. Distributions that reach different
    r_max (each frame binned to its own half cell height) are cut to the shortest — every frame's counts below
    that r are complete — and ``truncated_from`` records it; bins of different widths are an InputError (bin them
    alike, e.g. with :func:`pair_distributions`).
    """
    from .frames import FrameAverage

    pairs = list(pairs)
    if not pairs:
        raise InputError("no frames to average", field="frames")
    first = pairs[0]
    for p in pairs[1:]:
        if p.species != first.species:
            raise InputError(f"frames hold different species ({', '.join(first.species)} and {', '.join(p.species)})"
                             "; pair distributions cannot be averaged", field="frames")
        if not np.isclose(p.dr, first.dr, rtol=1e-9, atol=0.0) or abs(p.edges[0] - first.edges[0]) > 1e-12:
            raise InputError(f"pair distributions with different bins (dr = {first.dr:g} and {p.dr:g} Å) cannot be "
                             "averaged; bin every frame alike (pair_distributions)", field="dr")
    n = min(p.counts.shape[-1] for p in pairs)
    longest = max(p.counts.shape[-1] for p in pairs)
    cut = [p if p.counts.shape[-1] == n else
           PairDistribution(edges=p.edges[: n + 1], species=p.species, counts=p.counts[..., :n],
                            n_by_species=p.n_by_species, volume=p.volume, half_height=p.half_height, meta=p.meta)
           for p in pairs]
    tot = FrameAverage.of([p.total for p in cut])
    parts = {k: FrameAverage.of([p.partials[k] for p in cut]) for k in cut[0].partials}
    mean_pair = PairDistribution(edges=cut[0].edges, species=first.species,
                                 counts=np.mean([p.counts for p in cut], axis=0),
                                 n_by_species=dict(first.n_by_species),
                                 volume=float(np.mean([p.volume for p in cut])),
                                 half_height=float(min(p.half_height for p in cut)),
                                 meta={"n_frames": len(cut), "mean_of": "counts and volume"})
    truncated = float(max(p.r_max for p in pairs)) if longest > n else None
    return PairAverage(edges=cut[0].edges, species=first.species, g_total=np.atleast_1d(tot.mean),
                       g_total_sem=np.atleast_1d(tot.sem),
                       partials={k: np.atleast_1d(v.mean) for k, v in parts.items()},
                       partials_sem={k: np.atleast_1d(v.sem) for k, v in parts.items()},
                       n_frames=len(cut), pair=mean_pair, truncated_from=truncated)


def _plot_g(ax, r, total, partials, total_sem, partials_sem, title):
    from ._display import axes

    ax = axes(ax)
    if total is not None:
        (line,) = ax.plot(r, total, color="k", lw=1.5, label="total")
        if total_sem is not None and np.isfinite(total_sem).any():
            ax.fill_between(r, total - total_sem, total + total_sem, color=line.get_color(), alpha=0.25, lw=0)
    for key, g in partials.items():
        label = "-".join(key) if isinstance(key, tuple) else str(key)
        (line,) = ax.plot(r, g, lw=1.0, label=f"g_{label}")
        sem = None if partials_sem is None else partials_sem.get(key)
        if sem is not None and np.isfinite(sem).any():
            ax.fill_between(r, g - sem, g + sem, color=line.get_color(), alpha=0.25, lw=0)
    ax.axhline(1.0, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel("r (Å)")
    ax.set_ylabel("g(r)")
    ax.set_title(title)
    ax.legend(frameon=False)
    return ax
