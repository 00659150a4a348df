"""Local order: Steinhardt bond-orientational parameters q_l and crystal-like structure types (PTM, adaptive CNA).

Steinhardt q_l (Steinhardt, Nelson & Ronchetti, Phys. Rev. B 28, 784 (1983)), per atom i with neighbours j
(the pairs of a :class:`~hpglass.structure.neighbors.NeighbourList`, N_b(i) of them, bond vectors D_ij):

    q_lm(i) = (1/N_b(i)) Σ_j Y_lm(θ_ij, φ_ij),        q_l(i) = √( 4π/(2l+1) Σ_{m=−l..l} |q_lm(i)|² ),

with Y_lm the orthonormal spherical harmonics (:func:`spherical_harmonics`: a trigonometry-free recurrence equal to
scipy.special.sph_harm_y; the Condon–Shortley phase does not change q_l). ``average=True`` gives the
Lechner–Dellago average (J. Chem. Phys. 129, 114707 (2008)) that folds in the second shell:
q̄_lm(i) = (1/(N_b(i)+1)) Σ_{k ∈ {i} ∪ N(i)} q_lm(k), and q̄_l from q̄_lm as above — the normalisation of
freud.order.Steinhardt(average=True). Checked against the definition written out in float64 (1e-12) and against
freud 3.4, which computes in single precision (typical atom 1e-6; a bond within a few degrees of the z axis costs
freud up to a few 1e-4 through acos in float32). Atoms without neighbours get NaN (as freud); the means skip them.
Vectorised: one sparse CSR product per l sums the harmonics of each atom's pairs (2.5–4× faster than freud's
Steinhardt on one thread, neighbour list included: benchmarks/README.md).

Reference values for perfect lattices with their first shell: bcc (8 neighbours) q4 = 0.5092, q6 = 0.6285;
bcc with 8 + 6 neighbours q4 = 0.0364, q6 = 0.5107; fcc (12) q4 = 0.1909, q6 = 0.5745; sc (6) q4 = 0.7638,
q6 = 0.3536; icosahedron (12) q4 = 0, q6 = 0.6633. Which neighbours enter matters as much as the lattice: pass a
list built with a cutoff in the first minimum of g(r), or ``n_neighbours`` to take each atom's k nearest.

Structure types (:func:`structure_types`) come from OVITO (pip package ``ovito``): Polyhedral Template Matching
(Larsen, Schmidt & Schiøtz, Modelling Simul. Mater. Sci. Eng. 24, 055007 (2016); RMSD cutoff 0.1, OVITO's
default; templates fcc, hcp, bcc, ico, sc by default) or adaptive common-neighbour analysis (Stukowski, Modelling
Simul. Mater. Sci. Eng. 20, 045021 (2012); fcc, hcp, bcc, ico). Both find their own neighbours (no cutoff to
choose). In a glass nearly every atom is "other"; the bcc fraction grows as the local geometry approaches bcc
(Zhang et al., PRL 127, 127002 (2021): the high-density glass vs. bcc Sb₂Se₃ at 70 GPa).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import HpglassError, InputError
from .angles import json_safe
from .neighbors import NeighbourList, check_frame

__all__ = ["SteinhardtResult", "StructureTypes", "spherical_harmonics", "steinhardt", "structure_types"]


def _version() -> str:
    from .. import __version__

    return __version__


class _MappingResult(Mapping):
    """A frozen result that also reads like the dict the CLI expects (``result["q6_mean"]``)."""

    @abstractmethod
    def _items(self) -> dict:
        """The mapping's content; each result class defines it."""

    def __getitem__(self, key):
        return self._items()[key]

    def __iter__(self) -> Iterator:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    __hash__ = None  # type: ignore[assignment]
    __eq__ = object.__eq__  # identity: the per-atom arrays have no single truth value


# ---------------------------------------------------------------------------------------------------------------
# Steinhardt
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SteinhardtResult(_MappingResult):
    """Per-atom Steinhardt q_l and their means.

    ``ql`` maps l → per-atom q_l (NaN for atoms without neighbours); ``mean`` / ``std`` over the atoms that have
    neighbours; ``average`` (Lechner–Dellago averaging used); ``n_neighbours`` per atom. As a mapping:
    ``result["q6"]`` (per-atom array), ``result["q6_mean"]``, ``result["q6_std"]``.
    """

    ql: dict[int, np.ndarray]
    mean: dict[int, float]
    std: dict[int, float]
    average: bool
    n_neighbours: np.ndarray
    n_atoms: int
    meta: dict = field(default_factory=dict)

    def _items(self) -> dict:
        out: dict = {}
        for l, v in self.ql.items():
            out[f"q{l}"] = v
            out[f"q{l}_mean"] = self.mean[l]
            out[f"q{l}_std"] = self.std[l]
        out["average"] = self.average
        return out

    def __repr__(self) -> str:
        from ._display import num, short_repr

        means = ", ".join(f"q{l}={num(self.mean[l])}±{num(self.std[l], 2)}" for l in self.ql)
        return short_repr("SteinhardtResult", n_atoms=self.n_atoms, means=means, average=self.average)

    def plot(self, ax=None, l: int | None = None, bins: int = 50):
        """Histogram of the per-atom q_l (each l, or only ``l``); returns the Axes."""
        from ._display import axes

        ax = axes(ax)
        for deg, q in self.ql.items():
            if l is None or deg == l:
                ax.hist(q[np.isfinite(q)], bins=bins, range=(0, 1), histtype="step", density=True,
                        label=f"q{deg} (mean {self.mean[deg]:.3g})")
        ax.set_xlabel("q_l" + (" (averaged)" if self.average else ""))
        ax.set_ylabel("probability density")
        ax.legend(frameon=False)
        return ax

    def to_dict(self, per_atom: bool = False, arrays: bool | None = None) -> dict:
        """Plain JSON of the means; per-atom q_l with ``per_atom`` (``arrays`` is the same switch)."""
        per_atom = per_atom if arrays is None else bool(arrays)
        out: dict = {}
        for l in self.ql:
            out[f"q{l}_mean"] = self.mean[l]
            out[f"q{l}_std"] = self.std[l]
            if per_atom:
                out[f"q{l}"] = self.ql[l]
        out.update({"l": [int(l) for l in self.ql], "average": self.average, "n_atoms": self.n_atoms,
                    "mean_neighbours": float(np.mean(self.n_neighbours)),
                    "n_without_neighbours": int(np.count_nonzero(self.n_neighbours == 0)),
                    "meta": dict(self.meta), "hpglass_version": _version()})
        return json_safe(out)


def spherical_harmonics(vectors: np.ndarray, ls: Sequence[int]) -> dict[int, np.ndarray]:
    """Y_lm(r̂) for m = 0..l of every vector (rows of ``vectors``), for each l in ``ls``: {l: (N, l + 1) complex}.

    Orthonormal, with the Condon–Shortley phase (equal to scipy.special.sph_harm_y(l, m, θ, φ), checked to 1e-13),
    computed without trigonometry: with u = (x + i y)/r = sin θ e^{iφ} and c = z/r = cos θ,

        Y_lm = P̃_lm(c) · u^m,    P̃_mm = −√((2m+1)/(2m)) P̃_{m−1,m−1},  P̃_00 = 1/√(4π),
        P̃_{m+1,m} = √(2m+3) c P̃_mm,
        P̃_lm = √((4l²−1)/(l²−m²)) (c P̃_{l−1,m} − √(((l−1)²−m²)/(4(l−1)²−1)) P̃_{l−2,m}),

    the standard recurrence of the normalised associated Legendre functions with the factor sin^m θ moved into u^m
    — accurate at the poles, where arccos(z/r) loses half the digits. Negative m follow from
    Y_{l,−m} = (−1)^m conj(Y_lm). Zero vectors are not allowed (r = 0).
    """
    v = np.asarray(vectors, dtype=float)
    r = np.sqrt(np.einsum("ij,ij->i", v, v))
    c = v[:, 2] / r
    u = (v[:, 0] + 1j * v[:, 1]) / r
    lmax = max(ls) if len(ls) else 0
    want = set(ls)
    out = {deg: np.empty((len(v), deg + 1), dtype=complex) for deg in want}
    upow = np.ones(len(v), dtype=complex)
    pmm = np.full(len(v), 1.0 / np.sqrt(4.0 * np.pi))
    for m in range(lmax + 1):
        if m > 0:
            pmm = -np.sqrt((2 * m + 1) / (2 * m)) * pmm
            upow = upow * u
        p_lm2, p_lm1 = None, pmm  # P̃_{l−2,m}, P̃_{l−1,m} walking up in l from l = m
        if m in want:
            out[m][:, m] = p_lm1 * upow
        for deg in range(m + 1, lmax + 1):
            if deg == m + 1:
                p = np.sqrt(2 * m + 3) * c * p_lm1
            else:
                a = np.sqrt((4 * deg * deg - 1) / (deg * deg - m * m))
                b = np.sqrt(((deg - 1) ** 2 - m * m) / (4 * (deg - 1) ** 2 - 1))
                p = a * (c * p_lm1 - b * p_lm2)
            p_lm2, p_lm1 = p_lm1, p
            if deg in want:
                out[deg][:, m] = p * upow
    return out


def _nearest(nl: NeighbourList, k: int) -> NeighbourList:
    """Each atom's k nearest neighbours (the list is sorted by distance within each atom)."""
    cnt = nl.coordination()
    short = np.flatnonzero(cnt < k)
    if len(short):
        raise InputError(f"{len(short)} atoms (e.g. atom {int(short[0])}: {int(cnt[short[0]])} neighbours) have fewer "
                         f"than {k} neighbours within the list's {nl.cutoff:g} Å; build it with a larger cutoff",
                         field="n_neighbours")
    local = np.arange(len(nl.i)) - nl.first[nl.i]
    return nl.select(local < k)


def steinhardt(atoms, nl: NeighbourList, l: int | Sequence[int] = (4, 6), average: bool = False,
               n_neighbours: int | None = None) -> SteinhardtResult:
    """Steinhardt q_l of every atom from the neighbours in ``nl`` (formulas in the module docstring).

    Parameters
    ----------
    atoms : the ase.Atoms frame (only its size is checked; the geometry is in ``nl.D``).
    nl : neighbour list whose pairs are the neighbours (e.g. ``NeighbourList.build(atoms, r).within(r_min)``
        or the bonds from :func:`~hpglass.structure.bonds.bonded`).
    l : one degree or several (non-negative integers).
    average : Lechner–Dellago averaged q̄_l.
    n_neighbours : take only each atom's k nearest pairs of ``nl`` (every atom must have ≥ k).
    """
    from scipy.sparse import csr_matrix

    if len(atoms) != nl.n_atoms:
        raise InputError(f"neighbour list is for {nl.n_atoms} atoms, the frame has {len(atoms)}", field="nl")
    ls = [l] if isinstance(l, int | np.integer) else list(l)
    if not ls or any(isinstance(x, bool) or not isinstance(x, int | np.integer) or x < 0 for x in ls):
        raise InputError(f"l must be a non-negative integer or a sequence of them, got {l!r}", field="l")
    ls = sorted({int(x) for x in ls})
    if n_neighbours is not None:
        if isinstance(n_neighbours, bool) or not isinstance(n_neighbours, int | np.integer) or n_neighbours < 1:
            raise InputError(f"n_neighbours must be a positive integer, got {n_neighbours!r}", field="n_neighbours")
        nl = _nearest(nl, int(n_neighbours))

    n = nl.n_atoms
    npairs = len(nl.i)
    nb = nl.coordination()
    has = nb > 0
    inv_nb = np.where(has, 1.0 / np.maximum(nb, 1), np.nan)
    first = np.asarray(nl.first, dtype=np.int64)
    # per-atom sum over its pairs (rows = atoms, CSR from the list's own layout) and over its neighbours
    sum_pairs = csr_matrix((np.ones(npairs), np.arange(npairs), first), shape=(n, npairs))
    sum_nbrs = csr_matrix((np.ones(npairs), np.asarray(nl.j, dtype=np.int64), first), shape=(n, n))
    harmonics = spherical_harmonics(np.asarray(nl.D, dtype=float), ls)

    ql: dict[int, np.ndarray] = {}
    for deg in ls:
        qlm = (sum_pairs @ harmonics[deg]) * inv_nb[:, None]  # (atoms, m = 0..l)
        if average:
            q0 = np.where(has[:, None], qlm, 0.0)
            qlm = np.where(has[:, None], (q0 + sum_nbrs @ q0) / (nb + 1)[:, None], np.nan)
        # q_{l,−m} = (−1)^m conj(q_{lm}): |q_{l,−m}| = |q_{lm}|, so sum m ≥ 0 and double m > 0
        p = qlm.real**2 + qlm.imag**2
        q = np.sqrt(4.0 * np.pi / (2 * deg + 1) * (p[:, 0] + 2.0 * p[:, 1:].sum(axis=1)))
        q.setflags(write=False)
        ql[deg] = q

    def _mean(v):
        return float(np.mean(v[has])) if has.any() else float("nan")

    def _std(v):
        return float(np.std(v[has])) if has.any() else float("nan")

    nbc = nb.copy()
    nbc.setflags(write=False)
    return SteinhardtResult(
        ql=ql, mean={k: _mean(v) for k, v in ql.items()}, std={k: _std(v) for k, v in ql.items()},
        average=bool(average), n_neighbours=nbc, n_atoms=n,
        meta={"l": ls, "neighbour_list_cutoff_A": nl.cutoff,
              "n_neighbours": None if n_neighbours is None else int(n_neighbours),
              "reference": "Steinhardt, Nelson & Ronchetti, PRB 28, 784 (1983)"
                           + ("; Lechner & Dellago, JCP 129, 114707 (2008)" if average else "")},
    )


# ---------------------------------------------------------------------------------------------------------------
# structure types (OVITO)
# ---------------------------------------------------------------------------------------------------------------
#: OVITO structure-type names → hpglass keys
_TYPE_KEYS = {"Other": "other", "FCC": "fcc", "HCP": "hcp", "BCC": "bcc", "ICO": "ico", "Simple cubic": "sc",
              "Cubic diamond": "cubic_diamond", "Hexagonal diamond": "hex_diamond", "Graphene": "graphene"}
#: PTM templates enabled by default: the close-packed and bcc references plus sc (the undistorted octahedral
#: parent of the Peierls-distorted A7/Pnma environments) and ico (dense glasses)
PTM_DEFAULT_TYPES: tuple[str, ...] = ("fcc", "hcp", "bcc", "ico", "sc")


@dataclass(frozen=True, eq=False)
class StructureTypes(_MappingResult):
    """Per-atom structure types and the fraction of each type.

    ``types`` per-atom key ("bcc", "other", …) indices into ``names``; ``fractions`` / ``counts`` per type
    (every type the method can assign, zeros included); ``bcc_fraction``; ``method`` ("ptm" or "cna"). As a
    mapping: ``result["bcc_fraction"]``, ``result["fractions"]``, ``result["counts"]``, ``result["method"]``.
    """

    method: str
    names: tuple[str, ...]
    types: np.ndarray
    counts: dict[str, int]
    fractions: dict[str, float]
    n_atoms: int
    meta: dict = field(default_factory=dict)

    @property
    def bcc_fraction(self) -> float:
        return self.fractions.get("bcc", 0.0)

    def _items(self) -> dict:
        return {"method": self.method, "fractions": self.fractions, "counts": self.counts,
                "bcc_fraction": self.bcc_fraction, "n_atoms": self.n_atoms, "types": self.types}

    def __repr__(self) -> str:
        from ._display import short_repr

        shown = ", ".join(f"{k}: {v:.3g}" for k, v in self.fractions.items() if v > 0)
        return short_repr("StructureTypes", method=self.method, n_atoms=self.n_atoms, fractions="{" + shown + "}")

    def to_dict(self, arrays: bool = False) -> dict:
        """Plain JSON of the fractions and counts; with ``arrays`` also each atom's type name (``types``)."""
        out = {"method": self.method, "fractions": dict(self.fractions), "counts": dict(self.counts),
               "bcc_fraction": self.bcc_fraction, "n_atoms": self.n_atoms, "meta": dict(self.meta),
               "hpglass_version": _version()}
        if arrays:
            out["types"] = [self.names[int(t)] for t in self.types]
        return json_safe(out)


def _ovito_frame(atoms):
    """The frame as the OVITO DataCollection PTM and CNA read: the periodic cell and the positions, nothing else
    (ovito.io.ase.ase_to_ovito also copies the types and every per-atom array: 2.8 ms instead of 0.01 ms for 3000
    atoms; the structure types are the same, tests/structure/test_order.py)."""
    from ovito.data import DataCollection

    data = DataCollection()
    matrix = np.zeros((3, 4))
    matrix[:, :3] = np.asarray(atoms.cell.array, dtype=float).T  # OVITO: cell vectors as columns, then the origin
    data.create_cell(matrix, pbc=(True, True, True))
    particles = data.create_particles(count=len(atoms))
    particles.create_property("Position", data=np.asarray(atoms.positions, dtype=float))
    return data


def structure_types(atoms, method: str = "ptm", *, types: Sequence[str] | None = None,
                    rmsd_cutoff: float = 0.1) -> StructureTypes:
    """Classify every atom's environment with OVITO: ``method="ptm"`` (Polyhedral Template Matching) or ``"cna"``
    (adaptive common-neighbour analysis).

    Parameters
    ----------
    atoms : a periodic ase.Atoms frame.
    method : "ptm" or "cna".
    types : PTM templates to enable (keys of ``fcc, hcp, bcc, ico, sc, cubic_diamond, hex_diamond, graphene``;
        default :data:`PTM_DEFAULT_TYPES`). Not used by CNA, whose types are fixed (fcc, hcp, bcc, ico).
    rmsd_cutoff : PTM's largest RMSD of an accepted template match (OVITO's default 0.1; 0 accepts every
        match — too permissive for glasses).

    Needs the ``ovito`` pip package (raises :class:`HpglassError` naming it when it is missing).
    """
    check_frame(atoms)
    method = str(method).lower()
    if method not in ("ptm", "cna"):
        raise InputError(f"method must be 'ptm' or 'cna', got {method!r}", field="method")
    try:
        import ovito
        from ovito.modifiers import CommonNeighborAnalysisModifier, PolyhedralTemplateMatchingModifier
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise HpglassError(f"structure_types needs the 'ovito' package (pip install ovito): {exc}") from exc

    if method == "ptm":
        want = PTM_DEFAULT_TYPES if types is None else tuple(str(t).lower() for t in types)
        known = set(_TYPE_KEYS.values()) - {"other"}
        bad = [t for t in want if t not in known]
        if bad:
            raise InputError(f"unknown PTM type(s) {bad}; choose from {sorted(known)}", field="types")
        if not (rmsd_cutoff >= 0):
            raise InputError(f"rmsd_cutoff must be ≥ 0, got {rmsd_cutoff}", field="rmsd_cutoff")
        mod = PolyhedralTemplateMatchingModifier(rmsd_cutoff=float(rmsd_cutoff))
        for s in mod.structures:
            key = _TYPE_KEYS.get(s.name, s.name)
            if key != "other":
                s.enabled = key in want
        enabled = ["other", *[_TYPE_KEYS[s.name] for s in mod.structures if s.id != 0 and s.enabled]]
    else:
        mod = CommonNeighborAnalysisModifier(mode=CommonNeighborAnalysisModifier.Mode.AdaptiveCutoff)
        enabled = [_TYPE_KEYS.get(s.name, s.name) for s in mod.structures]

    id_to_key = {int(s.id): _TYPE_KEYS.get(s.name, s.name) for s in mod.structures}
    data = _ovito_frame(atoms)
    data.apply(mod)
    ids = np.asarray(data.particles["Structure Type"], dtype=np.intp)
    n = len(atoms)
    counts_by_id = np.bincount(ids, minlength=max(id_to_key) + 1)
    counts = {name: 0 for name in enabled}
    for sid, c in enumerate(counts_by_id):
        if c:
            counts[id_to_key[sid]] = counts.get(id_to_key[sid], 0) + int(c)
    names = tuple(counts)
    index = {name: k for k, name in enumerate(names)}
    lookup = np.array([index.get(id_to_key.get(s, ""), 0) for s in range(len(counts_by_id))], dtype=np.intp)
    per_atom = lookup[ids]
    per_atom.setflags(write=False)
    return StructureTypes(
        method=method, names=names, types=per_atom, counts=counts,
        fractions={k: v / n for k, v in counts.items()}, n_atoms=n,
        meta={"ovito_version": ".".join(map(str, ovito.version)),
              "rmsd_cutoff": float(rmsd_cutoff) if method == "ptm" else None,
              "modifier": "PolyhedralTemplateMatchingModifier" if method == "ptm"
              else "CommonNeighborAnalysisModifier(AdaptiveCutoff)",
              "reference": "Larsen, Schmidt & Schiøtz, MSMSE 24, 055007 (2016)" if method == "ptm"
              else "Stukowski, MSMSE 20, 045021 (2012)"},
    )
