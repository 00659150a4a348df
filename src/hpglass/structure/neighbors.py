"""One neighbour list per frame, shared by every analysis (like freud's NeighborList).

Built with a cell list compiled by numba (:func:`cell_grid`, :func:`half_pairs`) when numba is installed, else with
matscipy's C neighbour search (matscipy.neighbours.neighbour_list); both handle periodic orthogonal and triclinic
cells, count every periodic image within the cutoff (also when the cutoff exceeds half the cell) and return each
pair once per direction (i→j and j→i) — the same pairs, distances to rounding (checked against a brute-force
search over all images in tests/structure/test_fast_paths.py).

Cell list (Allen & Tildesley, *Computer Simulation of Liquids*, 2nd ed. 2017, §5.3.2), for any triclinic cell:
fractional coordinates are wrapped into [0, 1) and binned into n_k = ⌊k h_k/r_c⌋ slabs along each cell vector
(h_k the distance between the cell's faces k, so a slab is h_k/n_k ≥ r_c/k thick; k = 1, 2 or 3, whichever
visits fewest cells and atoms at the frame's density). Two points whose slabs differ by d along k are more than
(|d| − 1) h_k/n_k apart, so all pairs within r_c lie in slab offsets |d| ≤ m_k = ⌈r_c n_k/h_k⌉; each offset that
wraps across the boundary carries its lattice image, so a cell smaller than 2 r_c visits the same slab under
several images. Only the half shell of offsets (d ≥ 0 lexicographically; within the own cell only later atoms) is
visited: every pair and every periodic image of it is met exactly once, from one of its two atoms, which halves
the distance checks; the kernels then count it for both atoms (g(r), coordination) or write both directions
(the neighbour list, sorted by atom and, within an atom, by distance and j).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class NeighbourList:
    """Directed pairs (i, j) with distance d (Å) and vector D = r_j − r_i + shift (Å), all within ``cutoff``.

    Every unordered pair appears twice (i→j and j→i); ``shift`` is the lattice translation (integer cell
    vector) of j's image, so rings and bonds can tell a neighbour inside the cell from one through the boundary.
    Pairs are sorted by i, so the neighbours of atom i are ``j[first[i]:first[i+1]]``, and within each atom by
    distance (then by j).
    """

    i: np.ndarray
    j: np.ndarray
    d: np.ndarray
    D: np.ndarray
    shift: np.ndarray
    cutoff: float
    n_atoms: int
    first: np.ndarray = field(repr=False)

    @classmethod
    def build(cls, atoms, cutoff: float) -> NeighbourList:
        """All pairs within ``cutoff`` Å of an ase.Atoms frame (periodic in all three directions)."""
        check_frame(atoms)
        if not (np.isfinite(cutoff) and cutoff > 0):
            raise InputError(f"cutoff must be positive, got {cutoff}", field="cutoff")
        check_memory(estimated_pairs(atoms, cutoff) * _BYTES_PER_PAIR,
                     f"the neighbour list to {cutoff:g} Å ({estimated_pairs(atoms, cutoff):.3g} pairs)", field="cutoff")
        if HAVE_NUMBA:
            i, j, d, D, S, first = _numba_pairs(atoms, float(cutoff))
        else:
            from matscipy.neighbours import neighbour_list

            i, j, d, D, S = neighbour_list("ijdDS", atoms, float(cutoff))
            order = np.lexsort((j, d, i))
            i, j, d, D, S = i[order], j[order], d[order], D[order], S[order]
            first = np.searchsorted(i, np.arange(len(atoms) + 1))
        for a in (i, j, d, D, S, first):
            a.setflags(write=False)
        return cls(i=i, j=j, d=d, D=D, shift=S, cutoff=float(cutoff), n_atoms=len(atoms), first=first)

    def __repr__(self) -> str:
        from ._display import short_repr

        n = len(self.i)
        return short_repr("NeighbourList", n_atoms=self.n_atoms, n_pairs=f"{n} (directed)",
                          cutoff=f"{self.cutoff:.4g} Å",
                          mean_neighbours=f"{n / max(self.n_atoms, 1):.3g}")

    def neighbours(self, atom: int) -> np.ndarray:
        return self.j[self.first[atom]:self.first[atom + 1]]

    def within(self, cutoff: float) -> NeighbourList:
        """The sub-list of pairs closer than ``cutoff`` (≤ the build cutoff), without a new search."""
        if cutoff > self.cutoff + 1e-12:
            raise InputError(f"cutoff {cutoff} Å exceeds the list's {self.cutoff} Å", field="cutoff")
        keep = self.d < cutoff
        i = self.i[keep]
        first = np.searchsorted(i, np.arange(self.n_atoms + 1))
        return NeighbourList(i, self.j[keep], self.d[keep], self.D[keep], self.shift[keep], float(cutoff),
                             self.n_atoms, first)

    def select(self, mask: np.ndarray, cutoff: float | None = None) -> NeighbourList:
        """Pairs where ``mask`` (a boolean array over pairs) is True, e.g. per-species-pair bond cutoffs."""
        i = self.i[mask]
        first = np.searchsorted(i, np.arange(self.n_atoms + 1))
        return NeighbourList(i, self.j[mask], self.d[mask], self.D[mask], self.shift[mask],
                             self.cutoff if cutoff is None else cutoff, self.n_atoms, first)

    def coordination(self) -> np.ndarray:
        return np.diff(self.first)


def species_codes(atoms) -> tuple[list[str], np.ndarray]:
    """(species, codes): the frame's distinct chemical symbols in alphabetical order and each atom's index into
    them (from the atomic numbers: no per-atom string handling)."""
    from ase.data import chemical_symbols

    z, inverse = np.unique(np.asarray(atoms.numbers), return_inverse=True)
    symbols = [chemical_symbols[int(k)] for k in z]
    rank = np.argsort(symbols)
    where = np.empty(len(rank), dtype=np.intp)
    where[rank] = np.arange(len(rank))
    return [symbols[k] for k in rank], where[inverse.ravel()].astype(np.intp)


#: volume per atom a frame may have, Å³: below 1 Å³ no matter exists (the densest solids at TPa are ≳ 2 Å³/atom; an
#: 80-atom 1 Å cell would give 10⁸ neighbour pairs); above 1e4 Å³ it is a gas or a cell in the wrong unit (a 1e6 Å
#: cell would give a 10⁹-bin histogram)
MIN_VOLUME_PER_ATOM_A3 = 1.0
MAX_VOLUME_PER_ATOM_A3 = 1e4
#: memory an analysis may plan for one frame (neighbour lists, histograms), bytes
MEMORY_LIMIT_BYTES = 2 * 1024**3
#: bytes per directed pair of a neighbour list, with the sort and the copies made while building it
_BYTES_PER_PAIR = 200


def check_frame(atoms, source: str = "frame") -> None:
    """A frame must have atoms, finite positions and a fully periodic cell with a volume per atom in
    [MIN_VOLUME_PER_ATOM_A3, MAX_VOLUME_PER_ATOM_A3] (1–1e4 Å³)."""
    if len(atoms) == 0:
        raise InputError("frame has no atoms", source=source)
    if not np.all(atoms.pbc):
        raise InputError(f"frame is not periodic in all directions (pbc = {list(map(bool, atoms.pbc))}); "
                         "structure analysis needs a periodic cell", source=source)
    cell = np.asarray(atoms.cell, dtype=float)
    if not np.all(np.isfinite(cell)):
        raise InputError("the cell holds a NaN or inf", source=source, field="cell")
    pos = np.asarray(atoms.positions, dtype=float)
    bad = ~np.all(np.isfinite(pos), axis=1)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise InputError(f"atom {k + 1} has a non-finite position {pos[k].tolist()}", source=source,
                         field="positions")
    with np.errstate(all="ignore"):
        volume = abs(float(np.linalg.det(cell))) if atoms.cell.rank == 3 else 0.0
    if atoms.cell.rank < 3 or not volume > 1e-6:
        raise InputError("frame has no cell (or a cell of zero volume)", source=source)
    per_atom = volume / len(atoms)
    if not MIN_VOLUME_PER_ATOM_A3 <= per_atom <= MAX_VOLUME_PER_ATOM_A3:
        raise InputError(f"volume per atom {per_atom:.4g} Å³ ({len(atoms)} atoms in {volume:.4g} Å³) is outside "
                         f"the {MIN_VOLUME_PER_ATOM_A3:g}–{MAX_VOLUME_PER_ATOM_A3:g} Å³ of condensed matter: a cell "
                         "in the wrong unit or a corrupt frame?", source=source, field="cell")


def estimated_pairs(atoms, cutoff: float) -> float:
    """Directed pairs within ``cutoff`` expected at the frame's mean density (N² 4πrc³/3V, images included)."""
    return len(atoms) ** 2 * (4.0 / 3.0) * np.pi * float(cutoff) ** 3 / abs(float(atoms.cell.volume))


def check_memory(needed_bytes: float, what: str, source: str = "frame", field: str | None = None) -> None:
    """InputError when an analysis would need more than MEMORY_LIMIT_BYTES (2 GiB) — said before allocating."""
    if not needed_bytes <= MEMORY_LIMIT_BYTES:
        raise InputError(f"{what} would need about {needed_bytes / 1024**3:.3g} GiB, more than the "
                         f"{MEMORY_LIMIT_BYTES / 1024**3:g} GiB limit: lower the cutoff / r_max or use a smaller frame",
                         source=source, field=field)


# -- the compiled cell list ---------------------------------------------------------------------------------------
try:  # numba is optional (the ``structure`` extra): without it the list comes from matscipy, g(r) from numpy
    from numba import njit as _numba_njit

    HAVE_NUMBA = True

    def njit(func):
        """numba.njit(cache=True, nogil=True), or the plain function when numba is absent."""
        return _numba_njit(cache=True, nogil=True)(func)

except ImportError:  # pragma: no cover - exercised by the subprocess test of rings
    HAVE_NUMBA = False

    def njit(func):
        return func


#: at most this many cells per atom in the grid (a dilute frame with a short cutoff would otherwise get mostly
#: empty cells)
_MAX_CELLS_PER_ATOM = 2
#: the cost of visiting one cell of the grid, in distance checks (measured: 1–3 on these kernels)
_VISIT_COST = 2.0


@dataclass(frozen=True)
class CellGrid:
    """A frame's atoms binned into a grid of n[0]×n[1]×n[2] cells (module docstring).

    ``pos`` the wrapped Cartesian positions in cell order, ``order`` the atom index of each row, ``start`` the CSR
    start of each cell, ``bins`` each row's cell (3 ints), ``wrap`` each atom's lattice translation (positions as
    given = wrapped + wrap·cell), ``offsets`` the half shell of slab offsets to visit (d ≥ 0 lexicographically:
    every pair of atoms, and every periodic image of it, is met once, from one of its two atoms)."""

    pos: np.ndarray
    order: np.ndarray
    start: np.ndarray
    bins: np.ndarray
    wrap: np.ndarray
    n: np.ndarray
    offsets: np.ndarray
    cell: np.ndarray


def cell_heights(cell, inverse: np.ndarray | None = None) -> np.ndarray:
    """The distances between opposite faces of the cell, h_k = V/|a_{k+1} × a_{k+2}| = 1/|b_k| (Å), b_k the
    reciprocal vectors (the columns of the inverse cell matrix, rows = cell vectors)."""
    inv = np.linalg.inv(np.asarray(cell, dtype=float)) if inverse is None else inverse
    return 1.0 / np.sqrt(np.einsum("ij,ij->j", inv, inv))


@njit
def _bin_atoms(positions, inv, cell, n):
    """Wrap the atoms into the cell and counting-sort them by cell: (pos, order, start, bins, wrap)."""
    na = positions.shape[0]
    nc = n[0] * n[1] * n[2]
    start = np.zeros(nc + 1, np.int64)
    cid = np.empty(na, np.int64)
    frac = np.empty((na, 3), np.float64)
    wrap = np.empty((na, 3), np.int64)
    b = np.empty((na, 3), np.int64)
    for a in range(na):
        for x in range(3):
            f = positions[a, 0] * inv[0, x] + positions[a, 1] * inv[1, x] + positions[a, 2] * inv[2, x]
            w = np.floor(f)
            f -= w
            k = min(int(f * n[x]), n[x] - 1)
            frac[a, x] = f
            wrap[a, x] = int(w)
            b[a, x] = k
        c = (b[a, 0] * n[1] + b[a, 1]) * n[2] + b[a, 2]
        cid[a] = c
        start[c + 1] += 1
    for c in range(nc):
        start[c + 1] += start[c]
    fill = start[:nc].copy()
    order = np.empty(na, np.int64)
    for a in range(na):
        order[fill[cid[a]]] = a
        fill[cid[a]] += 1
    pos = np.empty((na, 3), np.float64)
    bins = np.empty((na, 3), np.int64)
    for r in range(na):
        a = order[r]
        for x in range(3):
            pos[r, x] = frac[a, 0] * cell[0, x] + frac[a, 1] * cell[1, x] + frac[a, 2] * cell[2, x]
            bins[r, x] = b[a, x]
    return pos, order, start, bins, wrap


def cell_grid(atoms, cutoff: float) -> CellGrid:
    """Bin a periodic frame's atoms for pair searches to ``cutoff`` Å (slabs ≥ cutoff/k thick, k = 1…3 the
    cheapest for the frame's density)."""
    cell = np.ascontiguousarray(atoms.cell.array, dtype=float)
    inv = np.linalg.inv(cell)
    h = cell_heights(cell, inv)
    rho = len(atoms) * abs(float(np.linalg.det(inv)))
    # slabs r_c/k thick: (2k+1)³/2 cells visited per atom, each costing about _VISIT_COST distance checks, plus the
    # atoms in them — k = 1 for bond cutoffs (≈ 1 atom per cell), k = 2 for a g(r) to 10 Å
    k = min((1, 2, 3), key=lambda k: (2 * k + 1) ** 3 * (_VISIT_COST + rho * (cutoff / k) ** 3))
    n = np.maximum(np.floor(h * k / cutoff).astype(np.int64), 1)
    while int(np.prod(n)) > _MAX_CELLS_PER_ATOM * len(atoms) + 27 and n.max() > 1:
        n[int(np.argmax(n))] -= 1
    m = [int(v) for v in np.ceil(cutoff * n / h)]  # rounding up by one slab is safe, down would lose pairs
    pos, order, start, bins, wrap = _bin_atoms(np.ascontiguousarray(atoms.positions, dtype=float), inv, cell, n)
    return CellGrid(pos=pos, order=order, start=start, bins=bins, wrap=wrap, n=n, offsets=_half_shell(*m),
                    cell=cell)


@functools.lru_cache(maxsize=64)
def _half_shell(m0: int, m1: int, m2: int) -> np.ndarray:
    """The slab offsets d with |d_k| ≤ m_k and d ≥ 0 lexicographically, (count, 3) int64."""
    g = np.stack(np.meshgrid(np.arange(-m0, m0 + 1), np.arange(-m1, m1 + 1), np.arange(-m2, m2 + 1), indexing="ij"),
                 axis=-1).reshape(-1, 3)
    half = (g[:, 0] > 0) | ((g[:, 0] == 0) & ((g[:, 1] > 0) | ((g[:, 1] == 0) & (g[:, 2] >= 0))))
    out = np.ascontiguousarray(g[half], dtype=np.int64)
    out.setflags(write=False)
    return out


@njit
def wrap_index(c, n):
    """(c mod n, ⌊c/n⌋) for a slab index c a few slabs outside [0, n): no integer division in the inner loop."""
    w = 0
    while c < 0:
        c += n
        w -= 1
    while c >= n:
        c -= n
        w += 1
    return c, w


_wrap = wrap_index


# The half-shell loop of _half_pairs is repeated by hand in the histogram (pair.py) and counting (coordination.py)
# kernels: factored into an inlined numba helper returning the image shift, the g(r) kernel ran 1.4–1.6× slower
# (3000 atoms, 10 Å, best of 5; measured), so the hot loop stays written out in each kernel.
@njit
def _half_pairs(pos, types, table, start, bins, n, offsets, cell, rc, cap):
    """Every pair of rows (a, b) and lattice image w with d = |r_b + w·cell − r_a| < rc and d < table[type_a,
    type_b], once (half shell).

    Returns (a, b, d, e, w, count); count > cap: the buffers were too small (call again with cap ≥ count)."""
    rc2 = rc * rc
    pa = np.empty(cap, np.int64)
    pb = np.empty(cap, np.int64)
    pd = np.empty(cap, np.float64)
    pe = np.empty((cap, 3), np.float64)
    pw = np.empty((cap, 3), np.int32)
    k = 0
    for ra in range(pos.shape[0]):
        x0, x1, x2 = pos[ra, 0], pos[ra, 1], pos[ra, 2]
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
                    dist = np.sqrt(r2)
                    if not dist < table[types[ra], types[rb]]:
                        continue
                    if k < cap:
                        pa[k] = ra
                        pb[k] = rb
                        pd[k] = dist
                        pe[k, 0] = e0
                        pe[k, 1] = e1
                        pe[k, 2] = e2
                        pw[k, 0] = w0
                        pw[k, 1] = w1
                        pw[k, 2] = w2
                    k += 1
    return pa, pb, pd, pe, pw, k


@njit
def _directed(pa, pb, pd, pe, pw, k, order, wrap, n_atoms):
    """The directed list (both directions of every pair) in atom order, sorted by (i, d, j); shifts relative to
    the positions as given (D = r_j − r_i + S·cell with r = wrapped + wrap·cell).

    Each atom's rows are first gathered as slots (pair index · 2 + direction), sorted there by (d, j) — insertion
    sort for the usual few neighbours, a merge sort beyond 24 — and then written out in order."""
    first = np.zeros(n_atoms + 1, np.int64)
    for q in range(k):
        first[order[pa[q]] + 1] += 1
        first[order[pb[q]] + 1] += 1
    for a in range(n_atoms):
        first[a + 1] += first[a]
    fill = first[:n_atoms].copy()
    m = 2 * k
    slot = np.empty(m, np.int64)
    other = np.empty(m, np.int64)  # j of each slot, the tie-breaker
    for q in range(k):
        a = order[pa[q]]
        b = order[pb[q]]
        slot[fill[a]] = 2 * q
        other[fill[a]] = b
        fill[a] += 1
        slot[fill[b]] = 2 * q + 1  # after the increment: a self-image pair (a = b) takes two rows of a
        other[fill[b]] = a
        fill[b] += 1
    for a in range(n_atoms):
        lo, hi = first[a], first[a + 1]
        if hi - lo <= 24:
            for r in range(lo + 1, hi):
                sv, ov = slot[r], other[r]
                dv = pd[sv >> 1]
                t = r
                while t > lo and (pd[slot[t - 1] >> 1] > dv or (pd[slot[t - 1] >> 1] == dv and other[t - 1] > ov)):
                    slot[t] = slot[t - 1]
                    other[t] = other[t - 1]
                    t -= 1
                slot[t] = sv
                other[t] = ov
        else:
            keys = np.empty(hi - lo, np.float64)
            for r in range(lo, hi):
                keys[r - lo] = pd[slot[r] >> 1]
            by_j = np.argsort(other[lo:hi], kind="mergesort")
            perm = by_j[np.argsort(keys[by_j], kind="mergesort")] + lo
            slot[lo:hi] = slot[perm]
            other[lo:hi] = other[perm]
    oi = np.empty(m, np.int32)
    oj = np.empty(m, np.int32)
    od = np.empty(m, np.float64)
    oD = np.empty((m, 3), np.float64)
    oS = np.empty((m, 3), np.int32)
    for a in range(n_atoms):
        for r in range(first[a], first[a + 1]):
            q = slot[r] >> 1
            sign = 1 - 2 * (slot[r] & 1)
            b = other[r]
            oi[r] = a
            oj[r] = b
            od[r] = pd[q]
            for x in range(3):
                oD[r, x] = sign * pe[q, x]
                oS[r, x] = sign * pw[q, x] + wrap[a, x] - wrap[b, x]
    return oi, oj, od, oD, oS, first


def half_pairs(atoms, cutoff: float, types: np.ndarray | None = None, table: np.ndarray | None = None):
    """(grid, a, b, d, e, w, count): every pair of atoms and periodic image within ``cutoff`` (and, with ``types``
    and ``table``, closer than table[type_a, type_b]) once, as rows of the cell grid (atom index =
    grid.order[row]), distance d, vector e = r_b + w·cell − r_a of the wrapped positions."""
    g = cell_grid(atoms, cutoff)
    if types is None:
        types, table = np.zeros(len(atoms), dtype=np.intp), np.full((1, 1), np.inf)
    rows = np.ascontiguousarray(types[g.order])
    cap = int(0.65 * estimated_pairs(atoms, cutoff)) + 8 * len(atoms) + 1024
    while True:
        a, b, d, e, w, k = _half_pairs(g.pos, rows, np.asarray(table, dtype=float), g.start, g.bins, g.n, g.offsets,
                                       g.cell, float(cutoff), cap)
        if k <= cap:
            return g, a, b, d, e, w, k
        cap = k


def _numba_pairs(atoms, cutoff: float, types: np.ndarray | None = None, table: np.ndarray | None = None):
    """(i, j, d, D, S, first) of every directed pair within ``cutoff`` (and table[type_i, type_j]), sorted by i,
    then d, then j — the arrays :meth:`NeighbourList.build` stores (i, j, S as int32 like matscipy's)."""
    g, a, b, d, e, w, k = half_pairs(atoms, cutoff, types, table)
    return _directed(a, b, d, e, w, k, g.order, g.wrap, len(atoms))


def pairs_within(atoms, types: np.ndarray, table: np.ndarray) -> NeighbourList:
    """The pairs closer than table[type_i, type_j] (a symmetric (ns, ns) array of cutoffs in Å; 0 or −inf: never),
    searched directly with the compiled cell list (numba required) — the bonds of
    :func:`~hpglass.structure.bonds.bonded` without a list to the largest cutoff first."""
    cutoff = float(np.max(table))
    check_frame(atoms)
    n_est = estimated_pairs(atoms, cutoff)
    check_memory(n_est * _BYTES_PER_PAIR, f"the neighbour list to {cutoff:g} Å ({n_est:.3g} pairs)", field="cutoffs")
    i, j, d, D, S, first = _numba_pairs(atoms, cutoff, types, table)
    for x in (i, j, d, D, S, first):
        x.setflags(write=False)
    return NeighbourList(i=i, j=j, d=d, D=D, shift=S, cutoff=cutoff, n_atoms=len(atoms), first=first)
