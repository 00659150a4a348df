"""One neighbour list per frame, shared by every analysis (like freud's NeighborList).

Built with matscipy's C neighbour search (Grigera-style cell lists; matscipy.neighbours.neighbour_list), which
handles periodic, orthogonal and triclinic cells and returns each pair once per direction (i→j and j→i).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class NeighbourList:
    """Directed pairs (i, j) with distance d (Å) and vector D = r_j − r_i + shift (Å), all within ``cutoff``.

    Every unordered pair appears twice (i→j and j→i); ``shift`` is the lattice translation (integer cell
    vector) of j's image, so rings and bonds can tell a neighbour inside the cell from one through the boundary.
    Pairs are sorted by i, so the neighbours of atom i are ``j[first[i]:first[i+1]]``.
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
        from matscipy.neighbours import neighbour_list

        check_frame(atoms)
        if not (np.isfinite(cutoff) and cutoff > 0):
            raise InputError(f"cutoff must be positive, got {cutoff}", field="cutoff")
        check_memory(estimated_pairs(atoms, cutoff) * _BYTES_PER_PAIR,
                     f"the neighbour list to {cutoff:g} Å ({estimated_pairs(atoms, cutoff):.3g} pairs)", field="cutoff")
        i, j, d, D, S = neighbour_list("ijdDS", atoms, float(cutoff))
        order = np.lexsort((d, i))
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
