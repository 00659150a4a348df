"""Partial coordination numbers with per-pair cutoffs, from the frame's shared neighbour list.

An atom i of species a has CN_ab(i) neighbours j of species b with |r_ij| < R_ab (R_ab = R_ba, one cutoff per
unordered pair, e.g. {"Sb-Se": 3.3, "Sb-Sb": 3.2, "Se-Se": 2.7}); CN_a(i) = Σ_b CN_ab(i). Reported:

* ``by_pair["A-B"]`` — mean number of B neighbours of an A atom (centre first: "Sb-Se" ≠ "Se-Sb"; the two obey
  c_Sb·CN_SbSe = c_Se·CN_SeSb);
* ``by_species["A"]`` — mean total coordination of A atoms; ``mean`` over all atoms;
* ``distribution["A"]`` — fraction of A atoms with CN = 0, 1, 2, … (total coordination).

Cutoffs that are not given (:func:`resolve_cutoffs`, ``rule``):

* ``"auto"`` (default) — the first minimum of g_ab(r) (:func:`first_minimum`, ideally of the frame-averaged g_ab)
  **when it lies at a plausible bond length**, r_min ≤ ``PLAUSIBLE_BOND_FACTOR`` × (r_a + r_b) = 1.35 × the sum of
  the covalent radii, or when no neighbour lies between that limit and r_min (fewer than ``EMPTY_SHELL`` = 0.05
  per atom: the empty gap of a crystal, whose middle — e.g. 3.1 Å = 1.39 × (r_Si + r_Si) in diamond Si — counts the
  same atoms as the limit); otherwise — or when g_ab has no first minimum in range — the covalent-radii bond cutoff
  r_c = ``COVALENT_FACTOR`` × (r_a + r_b) = 1.2 × (r_a + r_b). A first minimum beyond a plausible bond means that
  the first peak of g_ab is not a bond peak (a-Sb₂Se₃ has few Se–Se bonds: the first peak of g_SeSe is the
  Se–Sb–Se second-neighbour shell at ≈ 3.6 Å and its first minimum ≈ 4.5 Å, which counted ≈ 14 "neighbours"
  per Se); that case is a warning, as is a first-minimum cutoff kept beyond it by ``rule="minimum"``;
  "auto" also asks the first peak to stand above the counting noise of g_ab (``first_minimum(sigma=…)``): in an
  80-atom frame a single frame's g_SeSe has wiggles that put "first minima" anywhere from 3.0 to 4.5 Å;
* ``"covalent"`` — always 1.2 × (r_a + r_b); ``"minimum"`` — always the first minimum, without the noise test
  (the rule before issue 12; warned when implausible).

Covalent radii: Cordero et al., Dalton Trans. 2832 (2008), as tabulated in ``ase.data.covalent_radii``
(Sb 1.39 Å, Se 1.20 Å: Sb–Se 3.11 Å, Sb–Sb 3.34 Å, Se–Se 2.88 Å at 1.2×). Why 1.2 (checked in
tests/structure/test_coordination.py; distances as multiples of r_a + r_b):

* it keeps the bonds of the checked crystals and leaves out their next shells: Si, GaAs, ZnS (bonds 1.02–1.06,
  next shell ≥ 1.57: CN 4), Cu fcc (0.97 / 1.37: 12), rocksalt NaCl Na–Cl (1.05 / 1.82: 6), A7 As (1.05 /
  1.32: 3) and A7 Sb (2.92 Å = 1.05 / 3.37 Å = 1.21: 3 — the tightest case; 1.25 would count Sb's second shell);
  bcc Fe gives 14 (8 at 0.94 + 6 at 1.09);
* the bundled Pnma Sb₂Se₃ relaxed with the simulation's potential (``data/demo/simulated/crystals``, 0 GPa):
  Sb–Se 2.63–3.11 Å (≤ 1.20) in, the 3.25 Å contact (1.25) out, no Sb–Sb or Se–Se bond (first at 1.46, 1.50);
* the bundled a-Sb₂Se₃ frames at 0 GPa: Sb 3.6, Se 2.5 (the 8 − N rule's 3 and 2 plus some longer Sb–Se
  contacts; 1.15× gives 3.2 / 2.2, 1.3× counts the Sb–Sb second-neighbour shell: Sb–Sb 0.44 per Sb);
* it is the 20 % tolerance of common bond perception (pymatgen's ``CovalentBond.is_bonded``: bonded when shorter
  than (1 + tol) × the tabulated bond length, tol = 0.2 by default).

It is a **covalent** rule: for like ions of an ionic crystal it can fail (MgO: Mg–Mg at 1.06 × (r_Mg + r_Mg) counts
as a bond; NaCl: Na–Na at 1.20 sits on the cutoff) — give those cutoffs. The plausible-bond limit 1.35 lies above
the longest bonded contacts of these structures (A7 As 1.32; Pnma Sb₂Se₃ at 20 GPa, Sb–Se 3.44 Å = 1.33) and below
every rejected first minimum of the bundled glass (Se–Se 1.63–2.14, Sb–Sb 1.50–1.78); the accepted ones are
Sb–Sb at 16–50 GPa, 1.23–1.31.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .frames import FrameAverage
from .neighbors import HAVE_NUMBA, NeighbourList, cell_grid, check_frame, njit, species_codes
from .neighbors import wrap_index as _wrap
from .pair import PairDistribution, pair_key, parse_pair, species_of

__all__ = ["COVALENT_FACTOR", "CUTOFF_RULES", "EMPTY_SHELL", "PLAUSIBLE_BOND_FACTOR", "BondCutoffs",
           "CoordinationResult", "average_coordination", "bond_mask", "coordination", "covalent_cutoff",
           "covalent_radius", "first_minimum", "parse_cutoffs", "resolve_cutoffs"]

#: default bond cutoff r_c = COVALENT_FACTOR × (r_a + r_b), covalent radii of Cordero et al. (2008)
COVALENT_FACTOR = 1.2
#: a first minimum of g_ab(r) beyond PLAUSIBLE_BOND_FACTOR × (r_a + r_b) is not a bond cutoff
PLAUSIBLE_BOND_FACTOR = 1.35
#: a first minimum beyond the plausible-bond limit is still taken when fewer neighbours per atom than this lie
#: between the limit and it (a crystal's empty gap: the cutoff counts the same atoms as one at the limit)
EMPTY_SHELL = 0.05
#: how cutoffs that are not given are chosen (module docstring)
CUTOFF_RULES = ("auto", "covalent", "minimum")
_COVALENT_SOURCE = "covalent radii: {f:g} × (r_a + r_b) (Cordero 2008)"
_MINIMUM_SOURCE = "first minimum of g_ab(r)"


def covalent_radius(symbol: str) -> float:
    """Covalent radius (Å) of an element: Cordero et al., Dalton Trans. 2832 (2008), via ase.data."""
    from ase.data import atomic_numbers, covalent_radii

    z = atomic_numbers.get(str(symbol))
    if z is None or z >= len(covalent_radii) or not np.isfinite(covalent_radii[z]):
        raise InputError(f"no covalent radius for {symbol!r}; give the cutoffs of its pairs", field="cutoff")
    return float(covalent_radii[z])


def covalent_cutoff(a: str, b: str, factor: float = COVALENT_FACTOR) -> float:
    """The covalent-radii bond cutoff ``factor`` × (r_a + r_b) of a species pair, Å."""
    return float(factor) * (covalent_radius(a) + covalent_radius(b))


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


def first_minimum(r: np.ndarray, g: np.ndarray, smooth: float = 0.05, min_prominence: float = 0.05,
                  sigma: np.ndarray | None = None, n_sigma: float = 3.0) -> float:
    """Position (Å) of the first minimum of g(r) after its first peak.

    g is smoothed by a Gaussian of σ = ``smooth`` Å; the first peak is the first local maximum above 1 whose
    prominence is at least ``min_prominence`` × the highest maximum — and, when ``sigma`` (the standard error of g
    in each bin, e.g. :meth:`PairDistribution.partial_sem`) is given, at least ``n_sigma`` standard errors of the
    smoothed g, so that a wiggle of counting noise in one small frame is not taken for a shell; the minimum is the
    lowest smoothed value between it and the next such maximum (the middle of that region where g is flat at its
    lowest, as between the shells of a crystal). Raises InputError when g(r) shows no such peak-minimum pair.
    """
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    r = np.asarray(r, dtype=float)
    g = np.asarray(g, dtype=float)
    if r.size < 5 or not np.all(np.isfinite(g)):
        raise InputError("g(r) too short or not finite to find its first minimum", field="cutoff")
    dr = float(np.median(np.diff(r)))
    width = max(smooth / dr, 0.0)
    gs = gaussian_filter1d(g, width, mode="nearest") if smooth > 0 else g
    top = float(gs.max())
    if not top > 1.0:
        raise InputError("g(r) never exceeds 1: no first coordination shell", field="cutoff")
    prominence: float | np.ndarray = min_prominence * top
    if sigma is not None:
        var = np.asarray(sigma, dtype=float) ** 2
        if var.shape != g.shape or not np.all(np.isfinite(var)):
            raise InputError("sigma must be finite and match g(r)", field="sigma")
        if width >= 1.0:  # variance of the smoothed g: Σ_j w_j² var_j, w a Gaussian of σ = width bins
            var = gaussian_filter1d(var, width / np.sqrt(2.0), mode="nearest") / (2.0 * np.sqrt(np.pi) * width)
        prominence = np.maximum(prominence, n_sigma * np.sqrt(2.0 * var))
    peaks, _ = find_peaks(gs, prominence=prominence)
    peaks = peaks[gs[peaks] > 1.0]
    if peaks.size < 2:
        raise InputError("g(r) has no second peak to bound its first shell within r_max"
                         + (" (above the counting noise)" if sigma is not None else ""), field="cutoff")
    i1, i2 = int(peaks[0]), int(peaks[1])
    seg = gs[i1:i2 + 1]
    low = float(seg.min())
    flat = np.flatnonzero(seg <= low + 1e-9 * max(top, 1.0))
    if flat.size > 1 and np.all(np.diff(flat) == 1):
        return float(0.5 * (r[i1 + flat[0]] + r[i1 + flat[-1]]))
    return float(r[i1 + int(np.argmin(seg))])


def _empty_between(pair: PairDistribution, a: str, b: str, r1: float, r2: float) -> bool:
    """True when fewer than ``EMPTY_SHELL`` neighbours per atom (of a around b, or of b around a) lie in [r1, r2):
    a cutoff at r2 then counts the same neighbours as one at r1 (the empty gap between the shells of a crystal)."""
    edges = pair.edges[1:]
    extra = [float(np.interp(r2, edges, pair.running_coordination(x, y)) -
                   np.interp(r1, edges, pair.running_coordination(x, y))) for x, y in ((a, b), (b, a))]
    return max(extra) < EMPTY_SHELL


@dataclass(frozen=True)
class BondCutoffs:
    """One bond cutoff per unordered species pair and how each was chosen (module docstring).

    ``cutoffs`` ("A-B" → Å), ``source`` ("A-B" → "given" / "first minimum of g_ab(r)" / "covalent radii: …"),
    ``first_minima`` (the first minimum of g_ab, Å, where one was looked for and found; None where not),
    ``warnings`` (each a failed plausibility check, one line), ``rule``.
    """

    cutoffs: dict[str, float]
    source: dict[str, str]
    first_minima: dict[str, float | None]
    warnings: tuple[str, ...] = ()
    rule: str = "auto"

    def to_dict(self) -> dict:
        return {"cutoffs_A": dict(self.cutoffs), "cutoff_source": dict(self.source),
                "first_minima_A": dict(self.first_minima), "warnings": list(self.warnings), "rule": self.rule,
                "covalent_factor": COVALENT_FACTOR, "plausible_bond_factor": PLAUSIBLE_BOND_FACTOR}

    def __repr__(self) -> str:
        from ._display import short_repr

        tags = {"given": "given", _MINIMUM_SOURCE: "minimum"}
        body = ", ".join(f"{k}: {v:.3g} Å ({tags.get(self.source[k], 'covalent')})" for k, v in self.cutoffs.items())
        return short_repr("BondCutoffs", cutoffs="{" + body + "}", rule=self.rule,
                          warnings=len(self.warnings) if self.warnings else None)


def resolve_cutoffs(species: Sequence[str], given: Mapping[str, float] | Sequence[str] | None = None,
                    pair: PairDistribution | None = None, rule: str = "auto") -> BondCutoffs:
    """One cutoff per unordered pair of ``species``: the given ones (checked against the species present); the
    others by ``rule`` (module docstring) — ``"auto"``: the first minimum of ``pair``'s g_ab when it lies at a
    plausible bond length (≤ 1.35 × (r_a + r_b)), else the covalent-radii cutoff 1.2 × (r_a + r_b), with a warning
    when a first minimum was found beyond a plausible bond; without ``pair``, the covalent cutoff.
    """
    if rule not in CUTOFF_RULES:
        raise InputError(f"unknown cutoff rule {rule!r}; use one of {', '.join(CUTOFF_RULES)}", field="cutoff_rule")
    species = tuple(sorted(species))
    cut = parse_cutoffs(given)
    for key in cut:
        parse_pair(key, species)  # species present?
    out: dict[str, float] = {}
    src: dict[str, str] = {}
    minima: dict[str, float | None] = {}
    warns: list[str] = []
    covalent_src = _COVALENT_SOURCE.format(f=COVALENT_FACTOR)
    for k, a in enumerate(species):
        for b in species[k:]:
            key = pair_key(a, b)
            minima[key] = None
            if key in cut:
                out[key], src[key] = cut[key], "given"
                continue
            if rule == "covalent":
                out[key], src[key] = covalent_cutoff(a, b), covalent_src
                continue
            if pair is None:
                if rule == "minimum":
                    raise InputError(f"no cutoff for {key}: give one (e.g. {key}=3.2) or a g(r) to take its first "
                                     "minimum from", field="cutoff")
                out[key], src[key] = covalent_cutoff(a, b), covalent_src + " (no g(r) given)"
                continue
            try:
                # "auto" takes a minimum only where its peak stands above the counting noise (else: covalent);
                # "minimum" keeps the rule as it was before issue 12
                sigma = pair.partial_sem(a, b) if rule == "auto" else None
                r_min = first_minimum(pair.r, pair.partial(a, b), sigma=sigma)
            except InputError as exc:
                if rule == "minimum":
                    raise InputError(f"no cutoff for {key} and none from g_{key}(r): {exc.message}; give one "
                                     f"(--cutoff {key}=R)", field="cutoff") from None
                out[key] = covalent_cutoff(a, b)
                src[key] = f"{covalent_src} (g_{key}(r) has no first minimum: {exc.message})"
                continue
            minima[key] = r_min
            limit = covalent_cutoff(a, b, PLAUSIBLE_BOND_FACTOR)
            if r_min <= limit or _empty_between(pair, a, b, limit, r_min):
                out[key], src[key] = r_min, _MINIMUM_SOURCE
                continue
            beyond = (f"the first minimum of g_{key}(r) lies at {r_min:.3g} Å, beyond a plausible {key} bond "
                      f"(≤ {limit:.3g} Å = {PLAUSIBLE_BOND_FACTOR:g} × the sum of covalent radii)")
            if rule == "minimum":
                out[key], src[key] = r_min, _MINIMUM_SOURCE
                warns.append(f"{key} cutoff: {beyond}; the coordination counts non-bonded neighbours — give a "
                             f"cutoff (--cutoff {key}=R) or use the covalent rule")
            else:
                out[key] = covalent_cutoff(a, b)
                src[key] = f"{covalent_src} (first minimum of g_{key}(r) at {r_min:.3g} Å is beyond a plausible bond)"
                warns.append(f"{key} cutoff: {beyond}, so its first peak is not a bond peak; used the covalent-radii "
                             f"cutoff {out[key]:.3g} Å ({COVALENT_FACTOR:g} × (r_a + r_b)) — give a cutoff "
                             f"(--cutoff {key}=R) to choose")
    return BondCutoffs(cutoffs=out, source=src, first_minima=minima, warnings=tuple(warns), rule=rule)


@dataclass(frozen=True)
class CoordinationResult:
    """Per-atom partial coordination numbers of one frame and their means (module docstring)."""

    species: tuple[str, ...]
    cutoffs: dict[str, float]
    cutoff_source: dict[str, str]
    types: np.ndarray  # species index of each atom
    per_atom: np.ndarray  # (n_atoms, n_species): neighbours of each species
    warnings: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:
        from ._display import dict_repr, short_repr

        return short_repr("CoordinationResult", n_atoms=int(self.types.size), by_species=dict_repr(self.by_species),
                          cutoffs_A=dict_repr(self.cutoffs), warnings=len(self.warnings) if self.warnings else None)

    def plot(self, ax=None):
        """The distribution of the total coordination number per centre species (grouped bars); returns the Axes."""
        from ._display import axes

        ax = axes(ax)
        dist = self.distribution()
        n = np.arange(len(next(iter(dist.values()))))
        width = 0.8 / max(len(dist), 1)
        for k, (a, frac) in enumerate(dist.items()):
            ax.bar(n + (k - (len(dist) - 1) / 2) * width, frac, width, label=f"{a} (mean {self.by_species[a]:.3g})")
        ax.set_xlabel("coordination number")
        ax.set_ylabel("fraction of centre atoms")
        ax.set_xticks(n)
        ax.set_title("cutoffs " + ", ".join(f"{k} {v:.3g} Å" for k, v in self.cutoffs.items()), fontsize="small")
        ax.legend(frameon=False)
        return ax

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

    def to_dict(self, arrays: bool = False) -> dict:
        """Cutoffs, means and CN distributions; with ``arrays`` also each atom's species and its neighbours of each
        species (``per_atom``: species → list over atoms)."""
        out = {"cutoffs_A": dict(self.cutoffs), "cutoff_source": dict(self.cutoff_source),
               "by_pair": self.by_pair, "by_species": self.by_species, "mean": self.mean,
               "distribution": {a: {str(n): float(f) for n, f in enumerate(v)}
                                for a, v in self.distribution().items()},
               "by_pair_convention": "'A-B' = mean number of B neighbours of an A atom",
               "warnings": list(self.warnings)}
        if arrays:
            out["species_of_atom"] = [self.species[t] for t in self.types]
            out["per_atom"] = {b: self.per_atom[:, k].tolist() for k, b in enumerate(self.species)}
        return out


def coordination(atoms, cutoffs: Mapping[str, float] | Sequence[str] | None = None,
                 pair: PairDistribution | None = None, nl: NeighbourList | None = None,
                 rule: str = "auto") -> CoordinationResult:
    """Partial coordination numbers of one frame with per-pair cutoffs (module docstring).

    Pairs that ``cutoffs`` does not name get a cutoff by ``rule`` (:func:`resolve_cutoffs`): with the default
    "auto", the first minimum of g_ab from ``pair`` — or, when ``pair`` is None, from this frame's own pair
    distribution (to half the smallest cell height, 0.01 Å bins) — where it is a plausible bond length, else
    1.2 × the sum of the covalent radii; the result's ``warnings`` and ``cutoff_source`` say which. ``nl`` is the
    frame's shared neighbour list (its cutoff must reach the largest pair cutoff); without it the bonds are counted
    directly on the compiled cell grid (numba; every pair met once and counted for both atoms, no list stored), or
    from a list built to the largest cutoff without numba — the same counts.
    """
    check_frame(atoms)
    species = species_of(atoms)
    given = parse_cutoffs(cutoffs)
    missing = any(pair_key(a, b) not in given for k, a in enumerate(species) for b in species[k:])
    if missing and pair is None and rule != "covalent":
        from .pair import pair_distribution

        try:
            pair = pair_distribution(atoms, dr=0.01)
        except InputError:
            if rule == "minimum":
                raise
    chosen = resolve_cutoffs(species, given, pair, rule=rule)
    cut, src = chosen.cutoffs, chosen.source
    r_big = max(cut.values())
    if nl is not None and nl.cutoff < r_big - 1e-12:
        raise InputError(f"the neighbour list reaches {nl.cutoff} Å, the largest cutoff is {r_big} Å", field="cutoff")
    if nl is not None and nl.n_atoms != len(atoms):
        raise InputError("the neighbour list belongs to another frame (atom counts differ)", field="nl")
    lookup = {s: k for k, s in enumerate(species)}
    t = species_codes(atoms)[1].astype(np.int64)
    ns = len(species)
    rc = np.zeros((ns, ns))
    for key, value in cut.items():
        a, b = parse_pair(key)
        rc[lookup[a], lookup[b]] = rc[lookup[b], lookup[a]] = value
    if nl is None and HAVE_NUMBA:
        # no list to keep: count the bonds on the cell grid in one compiled pass, each pair met once
        g = cell_grid(atoms, r_big)
        per_atom = _bond_counts(g.pos, g.order, t[g.order], ns, rc, g.start, g.bins, g.n, g.offsets, g.cell, r_big)
    else:
        if nl is None:
            nl = NeighbourList.build(atoms, r_big)
        ti, tj = t[nl.i], t[nl.j]
        bond = nl.d < rc[ti, tj]
        per_atom = np.bincount(nl.i[bond] * ns + tj[bond], minlength=len(atoms) * ns).reshape(len(atoms), ns)
    return CoordinationResult(species=species, cutoffs=cut, cutoff_source=src, types=t, per_atom=per_atom,
                              warnings=chosen.warnings,
                              meta={"source": atoms.info.get("source"), "frame": atoms.info.get("frame_label"),
                                    "cutoff_rule": rule})


@njit
def _bond_counts(pos, order, types, ns, rc, start, bins, n, offsets, cell, r_big):
    """Per-atom neighbours of each species, d < rc[type_a, type_b], every pair and image met once on the half
    shell of the cell grid (:class:`~hpglass.structure.neighbors.CellGrid`) and counted for both atoms."""
    out = np.zeros((pos.shape[0], ns), np.int64)
    rc2 = r_big * r_big
    for ra in range(pos.shape[0]):
        x0, x1, x2 = pos[ra, 0], pos[ra, 1], pos[ra, 2]
        ta = types[ra]
        ia = order[ra]
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
                    tb = types[rb]
                    if np.sqrt(r2) < rc[ta, tb]:
                        out[ia, tb] += 1
                        out[order[rb], ta] += 1
    return out


def bond_mask(atoms, nl: NeighbourList, cutoffs: Mapping[str, float]) -> np.ndarray:
    """Boolean mask over ``nl``'s pairs: True where the pair is a bond by the per-pair cutoffs (for nl.select)."""
    species = species_of(atoms)
    lookup = {s: k for k, s in enumerate(species)}
    t = species_codes(atoms)[1]
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
    warnings: list[str] = []
    for r in results:
        warnings.extend(w for w in r.warnings if w not in warnings)
    if any(r.cutoffs != results[0].cutoffs for r in results[1:]):
        warnings.append("the frames used different cutoffs (each chose its own from its g(r)); resolve them once "
                        "from the frame-averaged g(r) (resolve_cutoffs with average_pair_distributions(...).pair) "
                        "and pass them to every frame")
    out: dict = {"cutoffs_A": dict(results[0].cutoffs), "cutoff_source": dict(results[0].cutoff_source),
                 "n_frames": len(results), "warnings": warnings,
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
