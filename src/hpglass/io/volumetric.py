"""Volumetric data on a grid over a cell: VASP ELFCAR/CHGCAR and Gaussian cube files.

:class:`VolumetricGrid` holds values on a regular grid that samples a cell **periodically**: grid point ``(i, j, k)``
of an ``(nx, ny, nz)`` grid sits at ``origin + i/nx a + j/ny b + k/nz c`` (Å), with ``a, b, c`` the rows of
``cell``; the point ``i = nx`` would repeat ``i = 0`` and is not stored. This is how VASP, GPAW and ASE write grids
of a periodic cell.

Readers
-------
:func:`read_elfcar`
    VASP ELFCAR (the CHGCAR layout): a POSCAR header (VASP 5 with a species line, or VASP 4 with the species in
    the comment line), a blank line, ``nx ny nz``, then ``nx·ny·nz`` values in Fortran order (x fastest, then y,
    then z), any number per line. ELFCAR values are the ELF itself (dimensionless, 0…1) and are **not** divided by
    the cell volume. A spin-polarised ELFCAR (ISPIN = 2) holds a second block after the first (spin down); only
    the **first block** (spin up) is read and ``meta["blocks_after"]`` says whether more data followed.
:func:`read_chgcar`
    The same layout; CHGCAR/CHG store ρ·V_cell, so the values are divided by the cell volume (→ e/Å³). Only the
    first block (total density) is read; augmentation occupancies and the magnetisation block are skipped.
:func:`read_cube`
    Gaussian cube: two comment lines; ``natoms x0 y0 z0 [nval]``; three lines ``n_i v_i`` (voxel count and voxel
    vector); ``natoms`` lines ``Z charge x y z``; the values in C order (x slowest, z fastest). Lengths are in Bohr
    when the voxel count ``n1`` is positive and in Å when it is negative (the Gaussian convention, applied to the
    origin, voxel vectors and atom positions alike). A negative ``natoms`` means that a line of orbital indices
    follows the atoms (``m i1 … im``) and that every grid point holds ``m`` values; ``nval`` on line 3 does the same;
    in both cases the first value of each point is read.

ASE has readers for both formats; they are not used because ``ase.io.cube.read_cube`` ignores the sign of the
voxel count (Å files are read as Bohr and then fail to reshape) and ``ase.calculators.vasp.VaspChargeDensity``
divides every block by the volume (right for CHGCAR, wrong for ELFCAR); neither names the line of a bad file. The
tests compare these readers with ASE's where ASE is right.

Bad files raise :class:`hpglass.errors.InputError` naming the file and the 1-based line.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ase import units as _ase_units

from ..errors import InputError
from .atomic import atomic_write_text

__all__ = ["BOHR_A", "VolumetricGrid", "read_chgcar", "read_cube", "read_elfcar", "write_cube"]

#: Bohr radius in Å: ASE's value (``ase.units.Bohr``), so that files agree with ASE's reader and writer
BOHR_A = float(_ase_units.Bohr)


@dataclass(frozen=True, eq=False)
class VolumetricGrid:
    """Values on a periodic grid over a cell.

    Attributes
    ----------
    atoms : ase.Atoms
        The structure (positions in Å; its cell is ``cell``).
    values : ndarray, shape (nx, ny, nz)
        The field; ``values[i, j, k]`` is at ``origin + i/nx a + j/ny b + k/nz c``.
    origin : ndarray, shape (3,)
        Position of grid point (0, 0, 0), Å.
    cell : ndarray, shape (3, 3)
        Rows a, b, c, Å: the grid spans the cell with periodic sampling (voxel vectors ``cell[i] / n_i``).
    source : str or None
        The file it was read from.
    meta : dict
        Format details (``format``, ``units``, ``comment``, ``blocks_after`` …).
    """

    atoms: object
    values: np.ndarray
    origin: np.ndarray
    cell: np.ndarray
    source: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float)
        origin = np.asarray(self.origin, dtype=float).reshape(3)
        cell = np.asarray(self.cell, dtype=float).reshape(3, 3)
        if values.ndim != 3 or min(values.shape) < 1:
            raise InputError(f"volumetric values must be a 3D array, got shape {values.shape}", source=self.source)
        if not np.isfinite(cell).all():
            raise InputError("the cell of the grid has non-finite vectors", source=self.source)
        if abs(np.linalg.det(cell)) < 1e-12:
            raise InputError("the cell of the grid has zero volume", source=self.source)
        bad = ~np.isfinite(values)
        if bad.any():  # NaN/inf grid points would turn every histogram, mean and fraction into nonsense
            first = tuple(int(k) for k in np.argwhere(bad)[0])
            raise InputError(f"the grid holds {int(bad.sum()):,} non-finite values (NaN or inf) of "
                             f"{values.size:,}, the first at grid point {first}", source=self.source)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "cell", cell)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.values.shape)

    @property
    def voxel(self) -> np.ndarray:
        """Voxel vectors (rows), Å: ``cell[i] / n_i``."""
        return self.cell / np.asarray(self.shape, dtype=float)[:, None]

    @property
    def volume(self) -> float:
        """Cell volume, Å³."""
        return float(abs(np.linalg.det(self.cell)))

    @property
    def voxel_volume(self) -> float:
        """Volume per grid point, Å³."""
        return self.volume / float(np.prod(self.shape))

    @property
    def spacing(self) -> np.ndarray:
        """Lengths of the three voxel vectors, Å."""
        return np.linalg.norm(self.voxel, axis=1)

    def fractional(self, positions) -> np.ndarray:
        """Fractional coordinates (relative to ``origin``) of Cartesian ``positions`` (Å), shape (..., 3)."""
        return (np.asarray(positions, dtype=float) - self.origin) @ np.linalg.inv(self.cell)

    def point_positions(self, flat_index=None) -> np.ndarray:
        """Cartesian positions (Å) of grid points given by their flat C-order index (all points by default)."""
        if flat_index is None:
            flat_index = np.arange(self.values.size)
        ijk = np.unravel_index(np.asarray(flat_index), self.shape)
        frac = np.stack([ijk[c] / self.shape[c] for c in range(3)], axis=-1)
        return self.origin + frac @ self.cell

    def to_dict(self) -> dict:
        """Metadata (not the values): shape, cell, origin, species counts, value range."""
        symbols = self.atoms.get_chemical_symbols() if self.atoms is not None else []
        species, counts = np.unique(symbols, return_counts=True)
        return {"source": self.source, "shape": list(self.shape), "origin_A": self.origin.tolist(),
                "cell_A": self.cell.tolist(), "volume_A3": self.volume, "n_atoms": len(symbols),
                "species": {str(s): int(n) for s, n in zip(species, counts)},
                "min": float(self.values.min()), "max": float(self.values.max()),
                "mean": float(self.values.mean()), "meta": dict(self.meta)}


# -- shared parsing helpers --------------------------------------------------------------------------------------------
def _read_lines(path: Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", source=path)
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read().splitlines()


def _floats(lines: list[str], i: int, path: Path, n: int | None, what: str, at_least: bool = False) -> list[float]:
    """The numbers of line ``i`` (0-based); exactly ``n`` of them (``at_least``: n or more; None: any)."""
    if i >= len(lines):
        raise InputError(f"file ends before the {what}", source=path, line=i + 1)
    parts = lines[i].split()
    if n is not None:
        if (len(parts) < n) if at_least else (len(parts) != n):
            raise InputError(f"expected {'at least ' if at_least else ''}{n} numbers ({what}), got "
                             f"{lines[i].strip()[:60]!r}", source=path, line=i + 1)
        parts = parts[:n]
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise InputError(f"expected numbers ({what}), got {lines[i].strip()[:60]!r}", source=path,
                         line=i + 1) from None
    if not all(math.isfinite(v) for v in vals):  # header numbers: cell, scale, atoms, origin, voxels
        raise InputError(f"non-finite number ({what}): {lines[i].strip()[:60]!r}", source=path, line=i + 1)
    return vals


def _ints(lines: list[str], i: int, path: Path, n: int | None, what: str, at_least: bool = False) -> list[int]:
    vals = _floats(lines, i, path, n, what, at_least)
    if any(not math.isfinite(v) or v != int(v) for v in vals):
        raise InputError(f"expected whole numbers ({what}), got {lines[i].strip()[:60]!r}", source=path, line=i + 1)
    return [int(v) for v in vals]


def _parse_block(text: str) -> np.ndarray | None:
    """All numbers of ``text`` (whitespace-separated), or None if a token is not a number."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return np.fromstring(text, dtype=float, sep=" ")
        except (ValueError, DeprecationWarning):
            return None


def _read_values(lines: list[str], start: int, count: int, path: Path, what: str,
                 to_end: bool = False) -> tuple[np.ndarray, int]:
    """``count`` numbers from line ``start`` on, any number per line; returns (values, index of the next line).

    Fast path: the lines that must hold them are parsed at once (``to_end``: all remaining lines; otherwise as many
    lines as the first line's count implies, VASP's fixed layout). A short, long or non-numeric block is then
    scanned line by line to name the line at fault.
    """
    if start >= len(lines) or not lines[start].split():
        raise InputError(f"no {what} where they should start", source=path, line=start + 1)
    # estimate before allocating: every number takes at least 2 characters (a digit and a separator)
    room = sum(len(line) + 1 for line in lines[start:])
    if count > room // 2 + 1:
        raise InputError(f"the header promises {count:,} {what} but the rest of the file "
                         f"({room:,} characters) can hold at most {room // 2 + 1:,}: a wrong grid size or a "
                         "truncated file", source=path, line=start)
    if to_end:
        stop = len(lines)
    else:
        per_line = len(lines[start].split())
        stop = min(start + -(-count // per_line), len(lines))
    values = _parse_block("\n".join(lines[start:stop]))
    if values is not None and values.size == count:
        return values, stop
    # slow path: find the culprit
    out = np.empty(count)
    got = 0
    i = start
    while got < count:
        if i >= len(lines):
            raise InputError(f"file ends after {got} of {count} {what}", source=path, line=len(lines))
        parts = lines[i].split()
        if not parts:
            if to_end:
                i += 1
                continue
            raise InputError(f"blank line after {got} of {count} {what}", source=path, line=i + 1)
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not _is_float(p))
            raise InputError(f"not a number: {bad!r} (in the {what})", source=path, line=i + 1) from None
        if got + len(nums) > count:
            raise InputError(f"line holds {len(nums)} numbers but only {count - got} of the {count} {what} remain",
                             source=path, line=i + 1)
        out[got:got + len(nums)] = nums
        got += len(nums)
        i += 1
    return out, i


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- VASP ----------------------------------------------------------------------------------------------------------
_SPECIES = re.compile(r"^[A-Z][a-z]?$")


def _clean_species(token: str) -> str:
    """'Sb_d' → 'Sb', 'Se/1a2b3c' (VASP 6 POTCAR hash) → 'Se'."""
    return token.split("/")[0].split("_")[0].split(".")[0]


def _read_poscar_header(lines: list[str], path: Path):
    """(ase.Atoms, index of the line after the coordinates) of the POSCAR part of a CHGCAR-type file."""
    from ase import Atoms
    from ase.data import chemical_symbols

    if len(lines) < 8:
        raise InputError("too short for a VASP file (POSCAR header, grid, values)", source=path, line=len(lines))
    comment = lines[0].strip()
    scale = _floats(lines, 1, path, None, "scaling factor")
    if len(scale) not in (1, 3) or (len(scale) == 3 and min(scale) <= 0) or scale[0] == 0:
        raise InputError(f"scaling factor line must hold one number or three positive numbers, got "
                         f"{lines[1].strip()!r}", source=path, line=2)
    raw = np.array([_floats(lines, i, path, 3, f"lattice vector {'abc'[i - 2]}", at_least=True) for i in (2, 3, 4)])
    if len(scale) == 3:  # three factors: Cartesian x, y, z components
        svec = np.asarray(scale)
    elif scale[0] < 0:  # negative: the cell volume
        v0 = abs(np.linalg.det(raw))
        if v0 <= 0:
            raise InputError("lattice vectors span no volume", source=path, line=3)
        svec = np.full(3, (-scale[0] / v0) ** (1 / 3))
    else:
        svec = np.full(3, scale[0])
    lattice = raw * svec[None, :]
    if abs(np.linalg.det(lattice)) < 1e-12:
        raise InputError("lattice vectors span no volume", source=path, line=3)

    i = 5
    tokens = lines[i].split() if i < len(lines) else []
    if tokens and not _is_float(tokens[0]):  # VASP 5: species line
        species = [_clean_species(t) for t in tokens]
        line_species = i + 1
        i += 1
    else:
        species = None
        line_species = 1
    counts = _ints(lines, i, path, None, "atom counts")
    if not counts or min(counts) < 0:
        raise InputError(f"atom counts must be non-negative whole numbers, got {lines[i].strip()!r}",
                         source=path, line=i + 1)
    if species is None:  # VASP 4: species from the comment line, as ASE does
        words = [_clean_species(w) for w in comment.split()]
        cand = [w for w in words if w in chemical_symbols[1:]]
        if len(cand) < len(counts):
            raise InputError("no species line (VASP 4 format) and the comment line does not name the "
                             f"{len(counts)} species; write the file in VASP 5 format", source=path, line=1)
        species = cand[:len(counts)]
    if len(species) != len(counts):
        raise InputError(f"{len(species)} species names but {len(counts)} atom counts", source=path,
                         line=i + 1)
    for s in species:
        if s not in chemical_symbols[1:]:
            raise InputError(f"unknown element {s!r}", source=path, line=line_species)
    i += 1
    if i < len(lines) and lines[i].strip()[:1] in ("s", "S"):  # Selective dynamics
        i += 1
    if i >= len(lines):
        raise InputError("file ends before the coordinate mode line (Direct/Cartesian)", source=path, line=i)
    mode = lines[i].strip()[:1].lower()
    if mode not in ("d", "c", "k"):
        raise InputError(f"expected 'Direct' or 'Cartesian', got {lines[i].strip()[:40]!r}", source=path,
                         line=i + 1)
    cartesian = mode in ("c", "k")
    i += 1
    n_atoms = sum(counts)
    coords = np.array([_floats(lines, i + k, path, 3, f"coordinates of atom {k + 1}", at_least=True)
                       for k in range(n_atoms)]).reshape(n_atoms, 3)
    positions = coords * svec[None, :] if cartesian else coords @ lattice
    symbols = [s for s, n in zip(species, counts) for _ in range(n)]
    atoms = Atoms(symbols=symbols, positions=positions, cell=lattice, pbc=True)
    return atoms, i + n_atoms, comment


def _read_vasp_volumetric(path, *, divide_by_volume: bool, kind: str) -> VolumetricGrid:
    path = Path(path)
    lines = _read_lines(path)
    atoms, i, comment = _read_poscar_header(lines, path)
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        raise InputError("file ends before the grid dimensions line (nx ny nz)", source=path, line=i)
    shape = _ints(lines, i, path, 3, "grid dimensions nx ny nz")
    if min(shape) < 1:
        raise InputError(f"grid dimensions must be positive, got {shape}", source=path, line=i + 1)
    count = math.prod(shape)  # Python ints: np.prod would wrap around for a corrupt 10⁷³ header
    values, nxt = _read_values(lines, i + 1, count, path, "grid values")
    grid = values.reshape(shape[::-1]).transpose(2, 1, 0).copy()  # Fortran order: x fastest
    cell = np.array(atoms.cell)
    if divide_by_volume:
        grid /= abs(np.linalg.det(cell))
    blocks_after = _check_after_block(lines, nxt, shape, len(atoms), count, path)
    meta = {"format": kind, "comment": comment, "first_block_only": True, "blocks_after": bool(blocks_after),
            "divided_by_volume": divide_by_volume}
    return VolumetricGrid(atoms=atoms, values=grid, origin=np.zeros(3), cell=cell, source=str(path), meta=meta)


def _check_after_block(lines: list[str], nxt: int, shape: list[int], n_atoms: int, count: int, path: Path) -> bool:
    """What may follow the first block of a VASP volumetric file: nothing, text (augmentation occupancies), the
    next block's ``nx ny nz`` line, or a line of per-atom moments before it (spin-polarised files). More grid
    numbers instead mean the header's grid is smaller than the data (an ``12 10 10`` header over 12×10×11 values):
    refused. Returns whether anything followed."""
    rest = [(k, ln.split()) for k, ln in enumerate(lines[nxt:], start=nxt) if ln.strip()]
    if not rest:
        return False
    k, first = rest[0]
    if not _is_float(first[0]):
        return True  # text: augmentation occupancies and the like
    if len(first) == 3 and first == [str(n) for n in shape]:
        return True  # the second block's grid line
    if len(first) == n_atoms and len(rest) > 1 and rest[1][1] == [str(n) for n in shape]:
        return True  # per-atom moments, then the second block
    raise InputError(f"more numbers than the {count:,} grid values of the header's grid {' '.join(map(str, shape))}"
                     " (a wrong grid size?)", source=path, line=k + 1)


def read_elfcar(path: str | os.PathLike) -> VolumetricGrid:
    """A VASP ELFCAR → :class:`VolumetricGrid` of the ELF (values as stored, not divided by the volume).

    Layout (VASP's CHGCAR layout): POSCAR header; blank line; ``nx ny nz``; ``nx·ny·nz`` values, x fastest
    (Fortran order ``((( f(ix,iy,iz), ix=1,nx ), iy=1,ny ), iz=1,nz )``). Grid point ``(ix, iy, iz)`` (0-based) is at
    fractional coordinates ``(ix/nx, iy/ny, iz/nz)``. For a spin-polarised calculation the ELFCAR holds two blocks
    (spin up, then spin down); **only the first block is read** (``meta["blocks_after"]`` is True when more
    followed). Errors name the file and line.
    """
    return _read_vasp_volumetric(path, divide_by_volume=False, kind="vasp-elfcar")


def read_chgcar(path: str | os.PathLike) -> VolumetricGrid:
    """A VASP CHGCAR/CHG → :class:`VolumetricGrid` of the (pseudo) charge density in e/Å³.

    VASP stores ρ·V_cell; the values are divided by the cell volume here (as ASE's ``VaspChargeDensity`` does).
    Only the first block (total density) is read.
    """
    return _read_vasp_volumetric(path, divide_by_volume=True, kind="vasp-chgcar")


# -- Gaussian cube ------------------------------------------------------------------------------------------------------
def read_cube(path: str | os.PathLike, *, periodic: bool = True) -> VolumetricGrid:
    """A Gaussian cube file → :class:`VolumetricGrid` (lengths converted to Å).

    Units: Bohr when the first voxel count is positive, Å when it is negative (Gaussian convention); voxel counts
    of mixed signs are refused. The cell is ``n_i × voxel vector_i`` (periodic sampling, as GPAW/ASE write
    periodic grids); ``origin`` is the position of the first grid point. Values are in C order (z fastest).
    ``periodic`` sets ``atoms.pbc`` (pass False for a molecule's cube whose grid is not a periodic cell; the
    analysis then uses no periodic images). Negative ``natoms`` (a line of orbital indices follows the atoms) or
    an ``nval`` field > 1 mean several values per point: the first is read and ``meta["values_per_point"]`` says how
    many there were.
    """
    from ase import Atoms
    from ase.data import chemical_symbols

    path = Path(path)
    lines = _read_lines(path)
    if len(lines) < 6:
        raise InputError("too short for a cube file (2 comment lines, origin line, 3 voxel lines)", source=path,
                         line=max(len(lines), 1))
    head = _floats(lines, 2, path, 4, "natoms and origin x y z", at_least=True)
    parts = lines[2].split()
    if not math.isfinite(head[0]) or head[0] != int(head[0]):
        raise InputError(f"number of atoms must be a whole number, got {parts[0]!r}", source=path, line=3)
    natoms_signed = int(head[0])
    natoms = abs(natoms_signed)
    nval = 1
    if len(parts) >= 5:
        nv = _floats(lines, 2, path, 5, "natoms, origin and values per point", at_least=True)[4]
        if not math.isfinite(nv) or nv != int(nv) or nv < 1:
            raise InputError(f"values per point must be a positive whole number, got {parts[4]!r}", source=path,
                             line=3)
        nval = int(nv)
    counts, vectors = [], []
    for k in range(3):
        row = _floats(lines, 3 + k, path, 4, f"voxel count and vector {'xyz'[k]}", at_least=True)
        if not math.isfinite(row[0]) or row[0] != int(row[0]) or row[0] == 0:
            raise InputError(f"voxel count must be a non-zero whole number, got {lines[3 + k].split()[0]!r}",
                             source=path, line=4 + k)
        counts.append(int(row[0]))
        vectors.append(row[1:4])
    signs = {np.sign(c) for c in counts}
    if len(signs) > 1:
        raise InputError(f"voxel counts {counts} have mixed signs (positive = Bohr, negative = Å); the units are "
                         "ambiguous", source=path, line=4)
    angstrom = counts[0] < 0
    unit = 1.0 if angstrom else BOHR_A
    shape = [abs(c) for c in counts]
    voxel = np.array(vectors) * unit
    cell = voxel * np.asarray(shape, dtype=float)[:, None]
    if abs(np.linalg.det(cell)) < 1e-12:
        raise InputError("voxel vectors span no volume", source=path, line=4)
    origin = np.array(head[1:4]) * unit
    numbers, positions = [], []
    for k in range(natoms):
        row = _floats(lines, 6 + k, path, 5, f"atom {k + 1}: Z charge x y z", at_least=True)
        z = row[0]
        if z != int(z) or not 0 <= z < len(chemical_symbols):
            raise InputError(f"atomic number must be a whole number 0–{len(chemical_symbols) - 1}, got "
                             f"{lines[6 + k].split()[0]!r}", source=path, line=7 + k)
        numbers.append(int(z))
        positions.append(row[2:5])
    i = 6 + natoms
    if natoms_signed < 0:  # orbital indices: "m i1 i2 ..." possibly over several lines
        first = _ints(lines, i, path, 1, "number of orbitals (natoms < 0)", at_least=True)[0]
        if first < 1:
            raise InputError(f"number of orbitals must be positive, got {first}", source=path, line=i + 1)
        got = len(lines[i].split()) - 1
        i += 1
        while got < first:
            if i >= len(lines):
                raise InputError("file ends inside the orbital index list", source=path, line=i)
            got += len(lines[i].split())
            i += 1
        nval = max(nval, first)
    count = math.prod(shape) * nval
    values, nxt = _read_values(lines, i, count, path, "grid values", to_end=True)
    if any(line.strip() for line in lines[nxt:]):
        raise InputError(f"more numbers than the {count} grid values the header announces", source=path,
                         line=nxt + 1)
    data = values.reshape(*shape, nval)[..., 0].copy()
    pos = np.array(positions, dtype=float).reshape(natoms, 3) * unit
    atoms = Atoms(numbers=numbers, positions=pos, cell=cell, pbc=periodic)
    meta = {"format": "cube", "units": "angstrom" if angstrom else "bohr", "comment": lines[0].strip(),
            "comment2": lines[1].strip(), "values_per_point": nval}
    return VolumetricGrid(atoms=atoms, values=data, origin=origin, cell=cell, source=str(path), meta=meta)


def format_cube(grid: VolumetricGrid, comment: str = "hpglass volumetric grid", digits: int = 6) -> str:
    """The text :func:`write_cube` writes (Bohr units, values C order, 6 per line, each z-row on new lines)."""
    natoms = len(grid.atoms) if grid.atoms is not None else 0
    out = [comment.replace("\n", " ").strip() or "cube", "OUTER LOOP: X, MIDDLE LOOP: Y, INNER LOOP: Z"]
    o = grid.origin / BOHR_A
    out.append(f"{natoms:5d}{o[0]:14.8f}{o[1]:14.8f}{o[2]:14.8f}")
    vox = grid.voxel / BOHR_A
    for n, v in zip(grid.shape, vox):
        out.append(f"{n:5d}{v[0]:14.8f}{v[1]:14.8f}{v[2]:14.8f}")
    if natoms:
        for z, p in zip(grid.atoms.numbers, grid.atoms.positions / BOHR_A):
            out.append(f"{int(z):5d}{0.0:14.8f}{p[0]:14.8f}{p[1]:14.8f}{p[2]:14.8f}")
    fmt = f"{{: .{digits}e}}"
    nz = grid.shape[2]
    rows = grid.values.reshape(-1, nz)
    full, rest = divmod(nz, 6)
    chunk_fmt = " ".join([fmt] * 6)
    rest_fmt = " ".join([fmt] * rest)
    for row in rows:
        vals = row.tolist()
        for c in range(full):
            out.append(chunk_fmt.format(*vals[6 * c:6 * c + 6]))
        if rest:
            out.append(rest_fmt.format(*vals[6 * full:]))
    return "\n".join(out) + "\n"


def write_cube(path: str | os.PathLike, grid: VolumetricGrid, comment: str = "hpglass volumetric grid",
               digits: int = 6) -> Path:
    """Write ``grid`` as a Gaussian cube file (Bohr, positive voxel counts), atomically; returns the path.

    ``digits`` is the number of decimals of the mantissa (``% .6e``); lengths are written with 8 decimals in Bohr.
    Reads back with :func:`read_cube`, ASE, VESTA and VMD.
    """
    return atomic_write_text(path, format_cube(grid, comment, digits))
