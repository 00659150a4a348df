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
        if not cutoff > 0:
            raise InputError(f"cutoff must be positive, got {cutoff}", field="cutoff")
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


def check_frame(atoms, source: str = "frame") -> None:
    """A frame must have atoms and a fully periodic cell with non-zero volume."""
    if len(atoms) == 0:
        raise InputError("frame has no atoms", source=source)
    if not np.all(atoms.pbc):
        raise InputError(f"frame is not periodic in all directions (pbc = {list(map(bool, atoms.pbc))}); "
                         "structure analysis needs a periodic cell", source=source)
    if atoms.cell.rank < 3 or not abs(atoms.cell.volume) > 1e-6:
        raise InputError("frame has no cell (or a cell of zero volume)", source=source)
