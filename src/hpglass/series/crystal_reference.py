"""Crystal references for the glass's r1 and G(r): Pnma and bcc Sb₂Se₃ scaled along their equations of state.

The reference study (Zhang et al., PRL 127, 127002 (2021), Fig. 2e) compares the glass's first g(r) peak r1 under
pressure with the crystal's: the ambient Pnma phase and the bcc (Im-3m) phase that Sb₂Se₃ takes above ~51 GPa
(Efthimiopoulos et al., Sci. Rep. 3, 2665 (2013)). This module builds both crystals as :class:`ase.Atoms`,
scales them isotropically to any volume (from an EOS the caller supplies) and computes their pair distances,
X-ray-weighted g(r), F(r) = G(r) and r1.

Structures
----------
* **bcc Sb₂Se₃** (:func:`bcc_sb2se3`): one site, 2a (0, 0, 0) of Im-3m, shared by Sb and Se with occupancies
  0.4 / 0.6. Two models:

  - ``"random"`` (default): an n × n × n supercell of the conventional cell (2n³ sites) with exactly
    round(0.4 · 2n³) Sb placed at random (seeded): partial g_ab(r) exist and differ by the finite sample's
    fluctuations;
  - ``"average"``: the 2-site cell with an average atom on every site (symbol ``X``; the occupancies in
    ``atoms.info["site_occupancy"]``). For a random substitutional alloy every partial g_ab(r) equals the lattice
    g(r), so with weights summing to 1 the X-ray total is exactly the lattice g(r) — the exact answer the random
    model approaches.

  The lattice parameter follows from the density: a = (2 · v)^(1/3) with v the volume per atom (two atoms per
  conventional cell), v = ⟨M⟩ / (ρ N_A).
* **Pnma Sb₂Se₃** (:func:`pnma_from_coordinates`): the cell of Voutsas, Papazoglou, Rentzeperis & Siapkas,
  Z. Kristallogr. 171, 261 (1985) — a = 11.7938, b = 3.9858, c = 11.6478 Å, Z = 4, five independent atoms on 4c
  (x, 1/4, z) — with the fractional coordinates **supplied by the caller**. hpglass ships no coordinates for it:
  they could not be taken from that paper or from a database entry here, and typed-in values that cannot be cited
  would pass for data. Give the five (x, z) pairs from the paper, ICSD or COD; the paper's bond-length ranges
  (:data:`VOUTSAS_1985`: Sb(1)–Se 2.664–3.248 Å, 6-fold; Sb(2)–Se 2.589–3.485 Å, 7-fold) check them
  (:func:`sb_se_neighbours`). The cell alone fixes the density: 5.83 g/cm³.

Pair functions
--------------
Pairs come from :func:`pair_distances` (a k-d tree over every periodic image within the cutoff, any cell size;
checked against :func:`ase.neighborlist.neighbor_list` in the tests, which it outruns ~20× on a 250-atom cell).
With N_a atoms of species a and number density ρ, c_b = N_b/N, the partial radial distribution function (number of
b neighbours of an a atom per unit r) and the Faber–Ziman partial pair distribution function are

    RDF_ab(r) = (1/N_a) Σ_{i∈a} Σ_{j∈b, j≠i} 𝒩_σ(r − r_ij),      g_ab(r) = RDF_ab(r) / (4π r² ρ c_b),

each pair distance broadened into a normalized Gaussian 𝒩_σ of standard deviation ``sigma`` (Å; thermal motion
and the finite resolution of an experiment). The X-ray total is g(r) = Σ_ab w_ab g_ab(r) with the **Faber–Ziman
weights at q = 0**, w_ab = c_a c_b f_a(0) f_b(0) / (Σ c f(0))² = c_a c_b Z_a Z_b / ⟨Z⟩² (f(0) = Z: the
"Z-weighting" approximation), or at a chosen q (``weights_q``: f_a(q) from :mod:`hpglass.xray`, e.g. at the
principal peak). F(r) = G(r) = 4πρr[g(r) − 1] (DESIGN.md naming) and RDF(r) = 4πr²ρ g(r). Because each pair adds
one normalized Gaussian to the RDF, the number of neighbours in a shell is the RDF's integral over it.

r1 is the first maximum of the broadened total g(r) (refined by a parabola through the three highest grid points);
the unbroadened nearest-neighbour distance and the count of every shell are in ``shells``. Because the RDF, not g,
is the sum of Gaussians, the g(r) maximum of an isolated shell at d sits at ≈ d − 2σ²/d.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..composition import Composition
from ..errors import InputError

__all__ = [
    "BCC_OCCUPANCY",
    "PNMA_CELL",
    "VOUTSAS_1985",
    "CrystalReference",
    "bcc_lattice_parameter",
    "bcc_sb2se3",
    "crystal_pair_functions",
    "pair_distances",
    "pnma_from_coordinates",
    "sb_se_neighbours",
    "scale_structure",
    "volume_ratio_from_eos",
]

#: Sb and Se occupancies of the one bcc site (Sb₂Se₃ stoichiometry)
BCC_OCCUPANCY: dict[str, float] = {"Sb": 0.4, "Se": 0.6}

#: Pnma Sb₂Se₃ cell, Å (Voutsas et al., Z. Kristallogr. 171, 261 (1985))
PNMA_CELL: tuple[float, float, float] = (11.7938, 3.9858, 11.6478)

#: Published facts of Voutsas et al. (1985) used as checks (cell, Z, Sb–Se distance ranges from the abstract)
VOUTSAS_1985: dict = {
    "reference": "G. P. Voutsas, A. G. Papazoglou, P. J. Rentzeperis, D. Siapkas, Z. Kristallogr. 171, 261 (1985), "
                 "doi:10.1524/zkri.1985.171.3-4.261",
    "space_group": "Pnma",
    "a_A": 11.7938, "b_A": 3.9858, "c_A": 11.6478, "Z": 4,
    "sb1_se_range_A": (2.664, 3.248), "sb1_coordination": 6,
    "sb2_se_range_A": (2.589, 3.485), "sb2_coordination": 7,
    "R": 0.052,
}

_LABEL = re.compile(r"^([A-Z][a-z]?)")


def _version() -> str:
    from .. import __version__

    return __version__


# ---------------------------------------------------------------------------------------------------------------
# structures
# ---------------------------------------------------------------------------------------------------------------
def bcc_lattice_parameter(density_g_cm3: float | None = None, volume_per_atom_A3: float | None = None,
                          composition: str | Composition = "Sb2Se3") -> float:
    """Cubic lattice parameter (Å) of a one-site bcc lattice at a mass density or a volume per atom."""
    if (density_g_cm3 is None) == (volume_per_atom_A3 is None):
        raise InputError("give exactly one of density_g_cm3 and volume_per_atom_A3", field="density_g_cm3")
    if volume_per_atom_A3 is None:
        if not (np.isfinite(density_g_cm3) and density_g_cm3 > 0):
            raise InputError(f"density must be positive (got {density_g_cm3})", field="density_g_cm3")
        v = 1.0 / Composition.parse(composition).number_density(float(density_g_cm3))
    else:
        if not (np.isfinite(volume_per_atom_A3) and volume_per_atom_A3 > 0):
            raise InputError(f"volume per atom must be positive (got {volume_per_atom_A3})",
                             field="volume_per_atom_A3")
        v = float(volume_per_atom_A3)
    return float((2.0 * v) ** (1.0 / 3.0))


def bcc_sb2se3(a: float | None = None, *, density_g_cm3: float | None = None,
               volume_per_atom_A3: float | None = None, model: str = "random", cells: int = 5, seed: int = 0,
               occupancy: Mapping[str, float] | None = None):
    """Substitutionally disordered bcc Sb₂Se₃ (Im-3m, one site shared 0.4 Sb / 0.6 Se) as :class:`ase.Atoms`.

    Give the lattice parameter ``a`` (Å), or the density, or the volume per atom (e.g. from an EOS at pressure P).
    model : "random" — ``cells``³ conventional cells with exactly round(0.4 · 2·cells³) Sb at random sites
        (``seed``); "average" — the 2-site cell of average atoms (module docstring).
    """
    from ase import Atoms

    given = sum(v is not None for v in (a, density_g_cm3, volume_per_atom_A3))
    if given != 1:
        raise InputError("give exactly one of a, density_g_cm3 and volume_per_atom_A3", field="a")
    occ = dict(BCC_OCCUPANCY if occupancy is None else occupancy)
    total = sum(occ.values())
    if not occ or any(v < 0 for v in occ.values()) or abs(total - 1.0) > 1e-9:
        raise InputError(f"occupancies must be ≥ 0 and sum to 1 (got {occ})", field="occupancy")
    comp = Composition.parse(occ)
    if a is None:
        a = bcc_lattice_parameter(density_g_cm3, volume_per_atom_A3, comp)
    if not (np.isfinite(a) and a > 0):
        raise InputError(f"lattice parameter must be positive (got {a})", field="a")
    a = float(a)
    basis = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]])
    if model == "average":
        atoms = Atoms("X2", scaled_positions=basis, cell=np.eye(3) * a, pbc=True)
        atoms.info.update({"model": "average", "site_occupancy": occ})
    elif model == "random":
        n = int(cells)
        if n < 1:
            raise InputError(f"cells must be ≥ 1 (got {cells})", field="cells")
        grid = np.stack(np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij"), -1).reshape(-1, 3)
        frac = ((grid[:, None, :] + basis[None, :, :]).reshape(-1, 3)) / n
        n_sites = frac.shape[0]
        rng = np.random.default_rng(seed)
        symbols = np.empty(n_sites, dtype=object)
        order = rng.permutation(n_sites)
        start = 0
        names = list(occ)
        counts = _apportion([occ[s] for s in names], n_sites)
        for s, k in zip(names, counts, strict=True):
            symbols[order[start : start + k]] = s
            start += k
        atoms = Atoms(symbols=list(symbols), scaled_positions=frac, cell=np.eye(3) * a * n, pbc=True)
        atoms.info.update({"model": "random", "seed": int(seed), "cells": n,
                           "composition_actual": {s: k / n_sites for s, k in zip(names, counts, strict=True)}})
    else:
        raise InputError(f"model must be 'random' or 'average' (got {model!r})", field="model")
    atoms.info.update({"structure": "bcc Im-3m, one site shared", "occupancy": occ, "a_A": a,
                       "volume_ratio": 1.0})
    return atoms


def _apportion(fractions: Sequence[float], n: int) -> list[int]:
    """Integer counts summing to n closest to fractions·n (largest remainders)."""
    raw = np.asarray(fractions, dtype=float) * n
    base = np.floor(raw).astype(int)
    rest = n - int(base.sum())
    for k in np.argsort(-(raw - base), kind="stable")[:rest]:
        base[k] += 1
    return [int(v) for v in base]


def pnma_from_coordinates(coords=None, a: float = PNMA_CELL[0], b: float = PNMA_CELL[1], c: float = PNMA_CELL[2],
                          *, source: str | None = None):
    """Pnma crystal (space group 62, standard setting) from its independent atoms on Wyckoff 4c (x, 1/4, z).

    coords : a sequence of (label, x, z) or (label, x, y, z) with y = 1/4 (or 3/4), or a mapping
        label → (x, z) / (x, y, z); the element is the label's leading symbol ("Sb1" → Sb, "Se(2)" → Se).
        Required: hpglass ships no coordinates for Sb₂Se₃ (module docstring).
    a, b, c : Å (default: Voutsas et al. 1985). source : where the coordinates come from (kept in atoms.info).

    Each 4c site yields the four positions (x, 1/4, z), (½ − x, ¾, ½ + z), (−x, ¾, −z), (½ + x, ¼, ½ − z).
    """
    from ase.spacegroup import crystal

    if coords is None or (hasattr(coords, "__len__") and len(coords) == 0):
        raise InputError(
            "no atomic coordinates given: hpglass ships none for Pnma Sb2Se3, since they must be cited, not typed "
            "in. Give the five independent 4c sites (x, 1/4, z) from Voutsas et al., Z. Kristallogr. 171, 261 (1985) "
            "or a crystallographic database entry (ICSD, COD), e.g. pnma_from_coordinates([('Sb1', x, z), …, "
            "('Se3', x, z)], source='…'); or read a CIF with ase.io.read", field="coords")
    items = list(coords.items()) if isinstance(coords, Mapping) else [(c_[0], *c_[1:]) for c_ in coords]
    symbols, basis, labels = [], [], []
    for k, item in enumerate(items):
        if isinstance(coords, Mapping):
            label, xyz = item[0], tuple(item[1])
        else:
            label, xyz = item[0], tuple(item[1:])
        m = _LABEL.match(str(label).strip())
        if m is None:
            raise InputError(f"site {k + 1}: label {label!r} does not start with an element symbol", field="coords")
        try:
            vals = [float(v) for v in xyz]
        except (TypeError, ValueError):
            raise InputError(f"site {label}: coordinates must be numbers (got {xyz!r})", field="coords") from None
        if len(vals) == 2:
            x, z = vals
            y = 0.25
        elif len(vals) == 3:
            x, y, z = vals
            if min(abs(y - 0.25), abs(y - 0.75)) > 1e-3:
                raise InputError(f"site {label}: y = {y:g}; only Wyckoff 4c sites (x, 1/4, z) are supported",
                                 field="coords")
        else:
            raise InputError(f"site {label}: give (x, z) or (x, y, z) (got {len(vals)} numbers)", field="coords")
        symbols.append(m.group(1))
        basis.append((x % 1.0, y % 1.0, z % 1.0))
        labels.append(str(label))
    for name, v in (("a", a), ("b", b), ("c", c)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"cell length {name} must be positive (got {v})", field=name)
    try:
        atoms = crystal(symbols, basis=basis, spacegroup=62, cellpar=[a, b, c, 90, 90, 90], symprec=1e-4)
    except Exception as exc:  # noqa: BLE001 — ase raises plain exceptions for overlapping / invalid sites
        raise InputError(f"cannot build the Pnma structure: {exc}", field="coords") from None
    if len(atoms) != 4 * len(symbols):
        raise InputError(f"{len(symbols)} sites gave {len(atoms)} atoms, not {4 * len(symbols)}: a site lies on a "
                         "special position or two sites coincide", field="coords")
    tags = np.repeat(np.arange(len(symbols)), 4)
    atoms.set_tags(tags)
    atoms.info.update({"structure": "Pnma", "site_labels": labels, "source": source, "volume_ratio": 1.0,
                       "cell_reference": VOUTSAS_1985["reference"] if (a, b, c) == PNMA_CELL else None})
    return atoms


def scale_structure(atoms, volume_ratio: float):
    """A copy of ``atoms`` scaled isotropically to V/V0 = ``volume_ratio`` (distances × ratio^(1/3))."""
    if not (np.isfinite(volume_ratio) and volume_ratio > 0):
        raise InputError(f"volume ratio must be positive (got {volume_ratio})", field="volume_ratio")
    out = atoms.copy()
    out.set_cell(np.asarray(atoms.cell) * float(volume_ratio) ** (1.0 / 3.0), scale_atoms=True)
    out.info = dict(atoms.info)
    out.info["volume_ratio"] = float(atoms.info.get("volume_ratio", 1.0)) * float(volume_ratio)
    if "a_A" in out.info:
        out.info["a_A"] = float(out.info["a_A"]) * float(volume_ratio) ** (1.0 / 3.0)
    return out


def volume_ratio_from_eos(v_of_p: Callable[[float], float], pressure_GPa: float,
                          reference_pressure_GPa: float = 0.0) -> float:
    """V(P)/V(P_ref) from any callable V(P) (an EOS fit, an interpolated table: volume in any unit)."""
    try:
        v = float(v_of_p(float(pressure_GPa)))
        v0 = float(v_of_p(float(reference_pressure_GPa)))
    except (TypeError, ValueError) as exc:
        raise InputError(f"the EOS callable failed: {exc}", field="eos") from None
    if not (np.isfinite(v) and np.isfinite(v0) and v > 0 and v0 > 0):
        raise InputError(f"the EOS gave V({pressure_GPa:g}) = {v!r}, V({reference_pressure_GPa:g}) = {v0!r}; "
                         "volumes must be positive", field="eos")
    return v / v0


def sb_se_neighbours(atoms, centre: str = "Sb", neighbour: str = "Se", r_cut: float = 3.6) -> list[np.ndarray]:
    """Sorted centre–neighbour distances (Å, < r_cut, periodic images included) around every ``centre`` atom.

    Compare with the published coordination of Pnma Sb₂Se₃ (:data:`VOUTSAS_1985`) when coordinates are supplied.
    """
    sym = np.array(atoms.get_chemical_symbols())
    i, j, d = pair_distances(atoms, float(r_cut))
    keep = (sym[i] == centre) & (sym[j] == neighbour)
    return [np.sort(d[keep & (i == k)]) for k in np.flatnonzero(sym == centre)]


# ---------------------------------------------------------------------------------------------------------------
# pair functions
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrystalReference:
    """Pair functions of one crystal at one volume (module docstring for the definitions).

    r (Å) grid; g (X-ray-weighted total g(r)); G = F(r) = 4πρr(g − 1) (Å⁻²); rdf = 4πr²ρg (Å⁻¹);
    g_number = Σ c_a c_b g_ab (the number-weighted total); partials (a, b) → g_ab; weights (a, b) → w_ab.
    r1 : first maximum of the broadened g. shells : (distance Å, neighbours per atom) of the unbroadened
    structure, nearest first (number-weighted over all atoms).
    """

    name: str
    r: np.ndarray
    g: np.ndarray
    G: np.ndarray
    rdf: np.ndarray
    g_number: np.ndarray
    partials: dict
    weights: dict
    composition: dict
    number_density: float
    density_g_cm3: float
    volume_ratio: float
    sigma: float
    weighting: str
    r1: float
    shells: tuple[tuple[float, float], ...]
    n_atoms: int
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def r1_unbroadened(self) -> float:
        """The nearest-neighbour distance (first shell), Å."""
        return self.shells[0][0]

    def coordination(self, r_lo: float, r_hi: float, weighted: bool = True) -> float:
        """Neighbours per atom between r_lo and r_hi: ∫ RDF dr (X-ray-weighted total, or number-weighted)."""
        sel = (self.r >= r_lo) & (self.r <= r_hi)
        if sel.sum() < 2:
            raise InputError(f"({r_lo:g}, {r_hi:g}) Å holds fewer than 2 grid points", field="r_range")
        gg = self.g if weighted else self.g_number
        rr = self.r[sel]
        return float(np.trapezoid(4 * np.pi * rr**2 * self.number_density * gg[sel], rr))

    def columns(self) -> dict[str, np.ndarray]:
        """r_A, g, G_A-2 and every partial g_ab — the columns of a table (:func:`hpglass.io.write_table`)."""
        out = {"r_A": self.r, "g": self.g, "G_A-2": self.G}
        for (a, b), v in self.partials.items():
            out[f"g_{a}{b}"] = v
        return out

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "r1_A": self.r1,
            "r1_unbroadened_A": self.r1_unbroadened,
            "shells": [{"r_A": d, "neighbours": n} for d, n in self.shells],
            "number_density_A-3": self.number_density,
            "density_g_cm3": self.density_g_cm3,
            "volume_ratio": self.volume_ratio,
            "sigma_A": self.sigma,
            "weighting": self.weighting,
            "weights": {f"{a}-{b}": w for (a, b), w in self.weights.items()},
            "composition": dict(self.composition),
            "n_atoms": self.n_atoms,
            "r_max_A": float(self.r[-1]),
            "meta": dict(self.meta),
            "hpglass_version": _version(),
        }


def pair_distances(atoms, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, d): every ordered pair of atoms i ≠ j (periodic images of j included, j indexes the cell's atoms)
    closer than ``cutoff`` Å, from a k-d tree over the periodic images that can reach the cell (any cell shape
    and size; image ranges from the cell's perpendicular heights)."""
    from scipy.spatial import cKDTree

    cell = np.asarray(atoms.cell, dtype=float)
    vol = abs(float(np.linalg.det(cell)))
    if vol <= 0:
        raise InputError("the cell has zero volume", field="atoms")
    frac = np.asarray(atoms.get_scaled_positions(wrap=True), dtype=float) % 1.0
    pos = frac @ cell
    n = len(atoms)
    heights = [vol / np.linalg.norm(np.cross(cell[(k + 1) % 3], cell[(k + 2) % 3])) for k in range(3)]
    reps = [int(np.floor(cutoff / h + 1.0)) for h in heights]
    shifts = np.stack(np.meshgrid(*[np.arange(-m, m + 1) for m in reps], indexing="ij"), -1).reshape(-1, 3)
    images = (pos[None, :, :] + (shifts @ cell)[:, None, :]).reshape(-1, 3)
    dm = cKDTree(pos).sparse_distance_matrix(cKDTree(images), float(cutoff), output_type="coo_matrix")
    i, jj, d = dm.row, dm.col, dm.data
    j = jj % n
    zero_shift = int(np.flatnonzero(~shifts.any(axis=1))[0])
    self_pair = (i == j) & (jj // n == zero_shift)
    keep = ~self_pair
    return i[keep].astype(int), j[keep].astype(int), d[keep]


def _gauss_sum(r: np.ndarray, d: np.ndarray, sigma: float) -> np.ndarray:
    """Σ_d 𝒩_σ(r − d) over distances d (grouped by unique value)."""
    if d.size == 0:
        return np.zeros_like(r)
    du, cnt = np.unique(np.round(d, 9), return_counts=True)
    out = np.zeros_like(r)
    norm = 1.0 / (sigma * np.sqrt(2 * np.pi))
    step = max(1, 4_000_000 // max(r.size, 1))
    for s in range(0, du.size, step):
        dd, cc = du[s : s + step], cnt[s : s + step]
        out += (cc[:, None] * np.exp(-0.5 * ((r[None, :] - dd[:, None]) / sigma) ** 2)).sum(axis=0)
    return out * norm


def _first_max(r: np.ndarray, g: np.ndarray) -> float:
    from scipy.signal import find_peaks

    span = float(np.max(g))
    idx, _ = find_peaks(g, prominence=0.05 * span)
    if idx.size == 0:
        raise InputError("the broadened g(r) has no maximum within r_max", field="r_max")
    i = int(idx[0])
    y0, y1, y2 = g[i - 1], g[i], g[i + 1]
    den = y0 - 2 * y1 + y2
    off = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    return float(r[i] + off * (r[1] - r[0]))


def crystal_pair_functions(atoms, *, r_max: float = 8.0, dr: float = 0.005, sigma: float = 0.05,
                      weights_q: float | None = None, volume_ratio: float = 1.0, name: str | None = None,
                      n_shells: int = 12) -> CrystalReference:
    """Partial and X-ray-weighted total pair functions of a crystal (module docstring).

    atoms : an :class:`ase.Atoms` crystal (periodic), e.g. from :func:`bcc_sb2se3` or :func:`pnma_from_coordinates`.
    r_max, dr : the r grid (Å), dr … r_max. sigma : Gaussian broadening (Å, > 0).
    weights_q : None — Faber–Ziman weights at q = 0 (Z-weighting); a value (Å⁻¹) — f_a(q) at that q.
    volume_ratio : V/V0 applied to ``atoms`` first (e.g. :func:`volume_ratio_from_eos`).
    """
    from ..xray import scattering_factors

    for nm, v in (("r_max", r_max), ("dr", dr), ("sigma", sigma)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"{nm} must be positive (got {v})", field=nm)
    if dr >= r_max / 10:
        raise InputError(f"dr ({dr:g}) must be well below r_max ({r_max:g})", field="dr")
    if not np.all(atoms.pbc):
        raise InputError("the crystal must be periodic in all three directions", field="atoms")
    if volume_ratio != 1.0:
        atoms = scale_structure(atoms, volume_ratio)
    vol = float(atoms.get_volume())
    n = len(atoms)
    rho = n / vol
    average = atoms.info.get("model") == "average"
    if average:
        occ = dict(atoms.info["site_occupancy"])
        species = ["*"] * n
    else:
        species = atoms.get_chemical_symbols()
        counts: dict[str, int] = {}
        for s in species:
            counts[s] = counts.get(s, 0) + 1
        occ = {s: k / n for s, k in counts.items()}
    comp = Composition.parse(occ)
    sf = scattering_factors(comp, np.array([0.0 if weights_q is None else float(weights_q)]))
    w = {k: float(v[0]) for k, v in sf.weights().items()}
    weighting = ("Faber–Ziman w_ab at q = 0: c_a c_b Z_a Z_b / ⟨Z⟩² (Z-weighting)" if weights_q is None else
                 f"Faber–Ziman w_ab at q = {float(weights_q):g} Å⁻¹ (xraylib f(q))")

    r = np.arange(dr, r_max + dr / 2, dr)
    cutoff = r_max + 6 * sigma
    i, j, d = pair_distances(atoms, cutoff)
    shell_r = 4 * np.pi * r**2 * rho
    partials: dict = {}
    if average:
        rdf_all = _gauss_sum(r, d, sigma) / n
        g_lat = rdf_all / shell_r
        for key in w:
            partials[key] = g_lat
    else:
        sym = np.array(species)
        for a_ in comp.elements:
            na = int(np.count_nonzero(sym == a_))
            for b_ in comp.elements:
                sel = (sym[i] == a_) & (sym[j] == b_)
                rdf_ab = _gauss_sum(r, d[sel], sigma) / na
                partials[(a_, b_)] = rdf_ab / (shell_r * occ[b_])
    g = sum(w[k] * partials[k] for k in w)
    g_number = sum(occ[a_] * occ[b_] * partials[(a_, b_)] for a_ in comp.elements for b_ in comp.elements)
    big = 4 * np.pi * rho * r * (g - 1.0)
    rdf_x = shell_r * g
    # unbroadened shells (number-weighted, per atom)
    dd = d[d <= r_max]
    du, cnt = np.unique(np.round(dd, 6), return_counts=True)
    shells = tuple((float(x), float(c) / n) for x, c in zip(du[:n_shells], cnt[:n_shells], strict=True))
    if not shells:
        raise InputError(f"no pair within r_max = {r_max:g} Å", field="r_max")
    r1 = _first_max(r, g)
    label = name or str(atoms.info.get("structure", atoms.get_chemical_formula()))
    meta = {k: atoms.info[k] for k in ("model", "seed", "cells", "a_A", "source", "site_labels", "occupancy")
            if k in atoms.info}
    meta["pairs"] = "scipy cKDTree over the periodic images within r_max + 6σ"
    meta["r1_method"] = "first maximum of the broadened X-ray g(r) (prominence ≥ 5 % of max g), parabola-refined"
    return CrystalReference(
        name=label, r=r, g=g, G=big, rdf=rdf_x, g_number=g_number, partials=partials, weights=w,
        composition=occ, number_density=float(rho), density_g_cm3=float(comp.mass_density(rho)),
        volume_ratio=float(atoms.info.get("volume_ratio", 1.0)), sigma=float(sigma), weighting=weighting,
        r1=r1, shells=shells, n_atoms=n, meta=meta,
    )
