"""Partial coordination numbers with per-pair cutoffs, from the frame's shared neighbour list.

An atom i of species a has CN_ab(i) neighbours j of species b with |r_ij| < R_ab (R_ab = R_ba, one cutoff per
unordered pair, e.g. {"Sb-Se": 3.3, "Sb-Sb": 3.2, "Se-Se": 2.7}); CN_a(i) = Σ_b CN_ab(i). Reported:

* ``by_pair["A-B"]`` — mean number of B neighbours of an A atom (centre first: "Sb-Se" ≠ "Se-Sb"; the two obey
  c_Sb·CN_SbSe = c_Se·CN_SeSb);
* ``by_species["A"]`` — mean total coordination of A atoms; ``mean`` over all atoms;
* ``distribution["A"]`` — fraction of A atoms with CN = 0, 1, 2, … (total coordination).

A cutoff that is not given is taken from the first minimum of g_ab(r) (:func:`first_minimum`), ideally of the
frame-averaged g_ab — :func:`resolve_cutoffs` fills them in and records where each came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .frames import FrameAverage
from .neighbors import NeighbourList, check_frame
from .pair import PairDistribution, pair_key, parse_pair, species_of

__all__ = ["CoordinationResult", "average_coordination", "bond_mask", "coordination", "first_minimum", "parse_cutoffs",
           "resolve_cutoffs"]


def parse_cutoffs(items: Sequence[str] | Mapping[str, float] | None) -> dict[str, float]:
    """``["Sb-Sb=3.2", "Sb-Se=3.3"]`` or ``{"Sb-Se": 3.3}`` → {"Sb-Se": 3.3, …} with keys in canonical order.

    Checks the form and that values are positive; "Se-Sb" and "Sb-Se" are the same pair (given twice with
    different values is an error).
    """
    if items is None:
        return {}
    pairs: list[tuple[str, object]] = []
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        for item in items:
            if "=" not in str(item):
                raise InputError(f"cutoff {item!r} is not of the form 'A-B=R' (e.g. Sb-Se=3.3)", field="cutoff")
            k, _, v = str(item).partition("=")
            pairs.append((k.strip(), v.strip()))
    out: dict[str, float] = {}
    for label, value in pairs:
        a, b = parse_pair(label)
        try:
            r = float(value)
        except (TypeError, ValueError):
            raise InputError(f"cutoff for {label} is not a number: {value!r}", field="cutoff") from None
        if not (np.isfinite(r) and r > 0):
            raise InputError(f"cutoff for {label} must be a positive distance in Å, got {value!r}", field="cutoff")
        key = pair_key(a, b)
        if key in out and out[key] != r:
            raise InputError(f"cutoff for {key} given twice ({out[key]:g} and {r:g} Å)", field="cutoff")
        out[key] = r
    return out


def first_minimum(r: np.ndarray, g: np.ndarray, smooth: float = 0.05, min_prominence: float = 0.05) -> float:
    """Position (Å) of the first minimum of g(r) after its first peak.

    g is smoothed by a Gaussian of σ = ``smooth`` Å; the first peak is the first local maximum above 1 whose
    prominence is at least ``min_prominence`` × the highest maximum; the minimum is the lowest smoothed value
    between it and the next such maximum (the middle of that region where g is flat at its lowest, as between the
    shells of a crystal). Raises InputError when g(r) shows no such peak-minimum pair.
    """
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    if r.size < 5 or not np.all(np.isfinite(g)):
        raise InputError("g(r) too short or not finite to find its first minimum", field="cutoff")
    dr = float(np.median(np.diff(r)))
    gs = gaussian_filter1d(g, max(smooth / dr, 0.0), mode="nearest") if smooth > 0 else g
    top = float(gs.max())
    if not top > 1.0:
        raise InputError("g(r) never exceeds 1: no first coordination shell", field="cutoff")
    peaks, _ = find_peaks(gs, prominence=min_prominence * top)
    peaks = peaks[gs[peaks] > 1.0]
    if peaks.size < 2:
        raise InputError("g(r) has no second peak to bound its first shell within r_max", field="cutoff")
    i1, i2 = int(peaks[0]), int(peaks[1])
    seg = gs[i1:i2 + 1]
    low = float(seg.min())
    flat = np.flatnonzero(seg <= low + 1e-9 * max(top, 1.0))
    if flat.size > 1 and np.all(np.diff(flat) == 1):
        return float(0.5 * (r[i1 + flat[0]] + r[i1 + flat[-1]]))
    return float(r[i1 + int(np.argmin(seg))])


def resolve_cutoffs(species: Sequence[str], given: Mapping[str, float] | Sequence[str] | None = None,
                    pair: PairDistribution | None = None) -> tuple[dict[str, float], dict[str, str]]:
    """One cutoff per unordered pair of ``species``: the given ones (checked against the species present) and the
    first minimum of ``pair``'s g_ab for the rest. Returns (cutoffs, source of each)."""
    species = tuple(sorted(species))
    cut = parse_cutoffs(given)
    for key in cut:
        parse_pair(key, species)  # species present?
    out: dict[str, float] = {}
    src: dict[str, str] = {}
    for k, a in enumerate(species):
        for b in species[k:]:
            key = pair_key(a, b)
            if key in cut:
                out[key], src[key] = cut[key], "given"
                continue
            if pair is None:
                raise InputError(f"no cutoff for {key}: give one (e.g. {key}=3.2) or a g(r) to take its first "
                                 "minimum from", field="cutoff")
            try:
                out[key] = first_minimum(pair.r, pair.partial(a, b))
            except InputError as exc:
                raise InputError(f"no cutoff for {key} and none from g_{key}(r): {exc.message}; give one "
                                 f"(--cutoff {key}=R)", field="cutoff") from None
            src[key] = "first minimum of g_ab(r)"
    return out, src


@dataclass(frozen=True)
class CoordinationResult:
    """Per-atom partial coordination numbers of one frame and their means (module docstring)."""

    species: tuple[str, ...]
    cutoffs: dict[str, float]
    cutoff_source: dict[str, str]
    types: np.ndarray  # species index of each atom
    per_atom: np.ndarray  # (n_atoms, n_species): neighbours of each species
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def total(self) -> np.ndarray:
        return self.per_atom.sum(axis=1)

    @property
    def by_pair(self) -> dict[str, float]:
        out = {}
        for ia, a in enumerate(self.species):
            sel = self.types == ia
            for ib, b in enumerate(self.species):
                out[f"{a}-{b}"] = float(self.per_atom[sel, ib].mean()) if sel.any() else float("nan")
        return out

    @property
    def by_species(self) -> dict[str, float]:
        tot = self.total
        return {a: float(tot[self.types == ia].mean()) for ia, a in enumerate(self.species)}

    @property
    def mean(self) -> float:
        return float(self.total.mean())

    def distribution(self, n_max: int | None = None) -> dict[str, np.ndarray]:
        """Fraction of atoms of each centre species with total CN = 0 … n_max (default: the largest CN)."""
        tot = self.total.astype(int)
        n_max = int(tot.max()) if n_max is None else int(n_max)
        out = {}
        for ia, a in enumerate(self.species):
            t = np.minimum(tot[self.types == ia], n_max)
            out[a] = np.bincount(t, minlength=n_max + 1)[: n_max + 1] / max(t.size, 1)
        return out

    def to_dict(self) -> dict:
        return {"cutoffs_A": dict(self.cutoffs), "cutoff_source": dict(self.cutoff_source),
                "by_pair": self.by_pair, "by_species": self.by_species, "mean": self.mean,
                "distribution": {a: {str(n): float(f) for n, f in enumerate(v)}
                                 for a, v in self.distribution().items()},
                "by_pair_convention": "'A-B' = mean number of B neighbours of an A atom"}


def coordination(atoms, cutoffs: Mapping[str, float] | Sequence[str] | None = None, nl: NeighbourList | None = None,
                 pair: PairDistribution | None = None) -> CoordinationResult:
    """Partial coordination numbers of one frame with per-pair cutoffs (module docstring).

    ``cutoffs`` must cover every pair of the frame's species unless ``pair`` (g_ab to take first minima from) is
    given. ``nl`` is the frame's shared neighbour list (its cutoff must reach the largest pair cutoff); without it
    one is built.
    """
    check_frame(atoms)
    species = species_of(atoms)
    cut, src = resolve_cutoffs(species, cutoffs, pair)
    r_big = max(cut.values())
    if nl is None:
        nl = NeighbourList.build(atoms, r_big)
    elif nl.cutoff < r_big - 1e-12:
        raise InputError(f"the neighbour list reaches {nl.cutoff} Å, the largest cutoff is {r_big} Å", field="cutoff")
    elif nl.n_atoms != len(atoms):
        raise InputError("the neighbour list belongs to another frame (atom counts differ)", field="nl")
    lookup = {s: k for k, s in enumerate(species)}
    t = np.fromiter((lookup[s] for s in atoms.get_chemical_symbols()), dtype=np.int64, count=len(atoms))
    ns = len(species)
    rc = np.zeros((ns, ns))
    for key, value in cut.items():
        a, b = parse_pair(key)
        rc[lookup[a], lookup[b]] = rc[lookup[b], lookup[a]] = value
    ti, tj = t[nl.i], t[nl.j]
    bond = nl.d < rc[ti, tj]
    per_atom = np.bincount(nl.i[bond] * ns + tj[bond], minlength=len(atoms) * ns).reshape(len(atoms), ns)
    return CoordinationResult(species=species, cutoffs=cut, cutoff_source=src, types=t, per_atom=per_atom,
                              meta={"source": atoms.info.get("source"), "frame": atoms.info.get("frame_label")})


def bond_mask(atoms, nl: NeighbourList, cutoffs: Mapping[str, float]) -> np.ndarray:
    """Boolean mask over ``nl``'s pairs: True where the pair is a bond by the per-pair cutoffs (for nl.select)."""
    species = species_of(atoms)
    lookup = {s: k for k, s in enumerate(species)}
    t = np.fromiter((lookup[s] for s in atoms.get_chemical_symbols()), dtype=np.int64, count=len(atoms))
    rc = np.zeros((len(species), len(species)))
    for key, value in parse_cutoffs(cutoffs).items():
        a, b = parse_pair(key, species)
        rc[lookup[a], lookup[b]] = rc[lookup[b], lookup[a]] = value
    return nl.d < rc[t[nl.i], t[nl.j]]


def average_coordination(results: Sequence[CoordinationResult]) -> dict:
    """Means over frames with standard errors: by_pair, by_species, mean, and the CN distributions (on a common
    0 … n_max range, zero-filled)."""
    if not results:
        raise InputError("no frames to average", field="frames")
    species = results[0].species
    if any(r.species != species for r in results):
        raise InputError("frames hold different species; coordination cannot be averaged", field="frames")
    n_max = max(int(r.total.max()) for r in results)
    out: dict = {"cutoffs_A": dict(results[0].cutoffs), "cutoff_source": dict(results[0].cutoff_source),
                 "n_frames": len(results),
                 "by_pair_convention": "'A-B' = mean number of B neighbours of an A atom"}
    for name in ("by_pair", "by_species"):
        dicts = [getattr(r, name) for r in results]
        avg = {k: FrameAverage.of([d[k] for d in dicts]) for k in dicts[0]}
        out[name] = {k: v.mean for k, v in avg.items()}
        out[f"{name}_sem"] = {k: v.sem for k, v in avg.items()}
    fa = FrameAverage.of([r.mean for r in results])
    out["mean"], out["mean_sem"] = fa.mean, fa.sem
    dists = [r.distribution(n_max) for r in results]
    out["distribution"] = {}
    out["distribution_sem"] = {}
    for a in species:
        fa = FrameAverage.of([d[a] for d in dists])
        out["distribution"][a] = {str(n): float(v) for n, v in enumerate(np.atleast_1d(fa.mean))}
        out["distribution_sem"][a] = {str(n): float(v) for n, v in enumerate(np.atleast_1d(fa.sem))}
    return out
