"""Read simulation frames through ASE: VASP (XDATCAR, OUTCAR, vasprun.xml, POSCAR/CONTCAR), extended XYZ,
LAMMPS dump and data files, CIF — any format ``ase.io.read`` knows.

``read_frames(path, frames="::")`` returns a list of :class:`ase.Atoms`, each checked for what the structure
analysis needs: atoms, a cell of non-zero volume and periodic boundaries in all three directions. Species come
from the file; LAMMPS files that hold only numeric atom types (no ``element`` or ``mass`` column in a dump, no
``Masses`` section or element type labels in a data file) need ``species`` (the element of type 1, 2, …) —
ASE would otherwise turn type 1 into hydrogen without a word, and that is refused here.

Frame selection is a Python slice written as text, ``"start:stop:step"`` (``"0:100:5"``, ``"::"``, ``"-10:"``)
or one index (``"7"``, ``"-1"``), counted over the frames of one file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["parse_frames", "read_frames"]

#: formats guessed from the file name where ASE's own detection does not recognise them
_NAME_FORMATS = {
    ".lammpstrj": "lammps-dump-text",
    ".dump": "lammps-dump-text",
    ".lammps-dump": "lammps-dump-text",
    ".lmp": "lammps-data",
    ".lammps": "lammps-data",
    ".data": "lammps-data",
}
_LAMMPS_DUMP = "lammps-dump-text"
_LAMMPS_DATA = "lammps-data"


def parse_frames(frames: str | int | slice | None) -> slice | int:
    """``"start:stop:step"`` or ``"i"`` (text), an int or a slice → the index ASE reads with."""
    if frames is None:
        return slice(None)
    if isinstance(frames, (slice, int)) and not isinstance(frames, bool):
        return frames
    text = str(frames).strip()
    parts = text.split(":")
    if len(parts) > 3 or not text:
        raise InputError(f"frame selection {frames!r} is not 'start:stop:step' or one index", field="frames")
    try:
        values = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        raise InputError(f"frame selection {frames!r} is not 'start:stop:step' (integers) or one index",
                         field="frames") from None
    if len(values) == 1:
        return values[0]
    if len(values) == 3 and values[2] is not None and values[2] <= 0:
        raise InputError(f"frame step must be positive, got {values[2]}", field="frames")
    return slice(*values)


def _guess_format(path: Path, format: str | None) -> str | None:
    if format is not None:
        return format
    name = path.name.lower()
    for suffix, fmt in _NAME_FORMATS.items():
        if name.endswith(suffix):
            return fmt
    if name.startswith("dump.") or ".dump." in name:
        return _LAMMPS_DUMP
    if name.startswith("data.") and "xml" not in name:
        return _LAMMPS_DATA
    return None


def _dump_atom_columns(path: Path) -> list[str] | None:
    """Column names of the first ``ITEM: ATOMS`` line of a LAMMPS text dump (None if there is none)."""
    with open(path, errors="replace") as fh:
        for line in fh:
            if line.startswith("ITEM: ATOMS"):
                return line.split()[2:]
    return None


def _species_kwargs(fmt: str | None, species: Sequence[str] | None) -> dict:
    if species is None:
        return {}
    from ase.data import atomic_numbers

    species = list(species)
    for s in species:
        if s not in atomic_numbers:
            raise InputError(f"unknown element {s!r} in the species list", field="species")
    if fmt == _LAMMPS_DUMP:
        return {"specorder": species}
    if fmt == _LAMMPS_DATA:
        return {"Z_of_type": {k + 1: atomic_numbers[s] for k, s in enumerate(species)}}
    return {}


def read_frames(path: str | os.PathLike, frames: str | int | slice | None = "::", format: str | None = None,
                species: Sequence[str] | None = None) -> list:
    """The selected frames of a trajectory or structure file as a list of ase.Atoms (each checked).

    Parameters
    ----------
    path : the file (any format ase.io.read reads; LAMMPS dumps/data also by the names ``*.lammpstrj``,
        ``*.dump``, ``dump.*``, ``*.lmp``, ``data.*``).
    frames : ``"start:stop:step"`` or one index (see the module docstring), an int or a slice.
    format : ASE format name when the file name does not tell it (e.g. ``"lammps-dump-text"``).
    species : element of LAMMPS atom type 1, 2, … (LAMMPS files only; ignored otherwise).

    Raises InputError (one line, naming the file and frame) for a missing or unreadable file, a frame without
    a cell or not periodic in all directions, and a selection that holds no frame.
    """
    path = Path(path)
    index = parse_frames(frames)
    if not path.exists():
        raise InputError("no such file", source=path)
    if path.is_dir():
        raise InputError("is a directory, not a trajectory file", source=path)
    fmt = _guess_format(path, format)
    kwargs = _species_kwargs(fmt, species)
    if fmt == _LAMMPS_DUMP and species is None:
        cols = _dump_atom_columns(path)
        if cols is not None and "element" not in cols and "mass" not in cols:
            raise InputError("this LAMMPS dump has only numeric atom types (no 'element' or 'mass' column): give the "
                             "element of each type (species, e.g. --species Sb,Se)", source=path, field="species")
    if fmt in ("extxyz", "xyz") or (fmt is None and _plain_suffix(path) in (".xyz", ".extxyz")):
        _check_xyz_counts(path)
    try:
        from ase.io import read

        sel = index if isinstance(index, slice) else slice(index, None if index == -1 else index + 1)
        images = read(path, index=sel, format=fmt, **kwargs)
    except InputError:
        raise
    except StopIteration:
        images = []
    except IndexError:
        images = []
    except Exception as exc:  # noqa: BLE001 — ASE raises anything from ValueError to struct.error on a file it cannot parse
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"cannot read as a structure/trajectory file{f' ({fmt})' if fmt else ''}: {text}",
                         source=path) from None
    if not isinstance(images, list):
        images = [images]
    if not images:
        raise InputError(f"frame selection {frames!r} holds no frame of this file", source=path, field="frames")
    if fmt == _LAMMPS_DATA and species is None:
        a = images[0]
        if "type" in a.arrays and not a.has("masses") and np.array_equal(a.arrays["type"], a.numbers):
            raise InputError("this LAMMPS data file has no Masses section or element type labels: give the element "
                             "of each type (species, e.g. --species Sb,Se)", source=path, field="species")
    if isinstance(index, slice):
        first, step = (0 if index.start is None else index.start), (index.step or 1)
    else:
        first, step = index, 1
    for k, atoms in enumerate(images):
        where = f"frame {first + k * step}" if isinstance(first, int) and first >= 0 else f"selected frame {k}"
        _check(atoms, path, where)
        atoms.info.setdefault("source", str(path))
        atoms.info.setdefault("frame_label", where)
    return images


#: compressed files that :func:`ase.io.read` opens by their suffix (``frames.extxyz.gz`` …)
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}


def _plain_suffix(path: Path) -> str:
    """The suffix that names the format: ``.extxyz`` for ``P_0GPa.extxyz`` and for ``P_0GPa.extxyz.gz``."""
    suffixes = [x.lower() for x in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _open_binary(path: Path):
    """``path`` opened for reading bytes, decompressed when its suffix names gzip, bzip2 or xz (as ASE does)."""
    import importlib

    kind = _COMPRESSED.get(path.suffix.lower())
    return open(path, "rb") if kind is None else importlib.import_module(kind).open(path, "rb")


def _check_xyz_counts(path: Path) -> None:
    """Each (ext)xyz frame header's atom count must fit in the file. ASE's extxyz reader skips ``natoms`` lines with
    ``readline()`` in a ``range(natoms)`` loop that does not stop at the end of the file, so a corrupt count
    (``999…9``) spins forever; here the same scan stops at the end and names the line. Other malformations are
    left to ASE's own messages."""
    with _open_binary(path) as fh:
        lineno = 0
        while True:
            line = fh.readline()
            lineno += 1
            if not line.strip():
                return
            try:
                natoms = int(line)
            except ValueError:
                return  # not a count: ASE says what it expected
            if natoms < 0:
                raise InputError(f"negative atom count {natoms} in an xyz frame header", source=path, line=lineno)
            header = lineno
            got = 0
            for _ in range(natoms + 1):  # the comment line, then one line per atom
                if not fh.readline():
                    shown = f"{natoms:,}" if natoms < 10**15 else f"a {len(line.strip())}-digit number of"
                    raise InputError(f"the xyz frame header promises {shown} atoms but the file ends after "
                                     f"{max(got - 1, 0):,} of them", source=path, line=header)
                got += 1
                lineno += 1
            pos = fh.tell()
            nxt = fh.readline()
            while nxt.lstrip().startswith(b"VEC"):  # lattice vectors of the plain-xyz variant
                lineno += 1
                pos = fh.tell()
                nxt = fh.readline()
            fh.seek(pos)


def _check(atoms, path: Path, where: str) -> None:
    if len(atoms) == 0:
        raise InputError(f"{where} has no atoms", source=path)
    cell = np.asarray(atoms.cell)
    if atoms.cell.rank < 3 or not abs(np.linalg.det(cell)) > 1e-6:
        raise InputError(f"{where} has no cell (or a cell of zero volume); structure analysis needs a periodic "
                         "cell (extxyz: a Lattice=\"…\" entry)", source=path)
    if not np.all(atoms.pbc):
        raise InputError(f"{where} is not periodic in all directions (pbc = {''.join('T' if p else 'F' for p in atoms.pbc)}); "
                         "structure analysis needs a periodic cell", source=path)
    if not np.isfinite(cell).all():
        raise InputError(f"{where} has a non-finite cell vector", source=path)
    pos = atoms.positions
    bad = np.flatnonzero(~np.isfinite(pos).all(axis=1))
    if bad.size:
        raise InputError(f"{where}: atom {bad[0]} has a non-finite position {pos[bad[0]].tolist()} "
                         f"({bad.size} such atoms)", source=path, field="positions")
    frac = np.linalg.solve(cell.T, pos.T).T
    far = np.flatnonzero(np.abs(frac).max(axis=1) > MAX_CELLS_AWAY)
    if far.size:  # unwrapped MD coordinates drift some cells; 1e308 or 1e9 Å is a corrupt number, not diffusion
        k = far[0]
        raise InputError(f"{where}: atom {k} at {pos[k].tolist()} Å lies {np.abs(frac[k]).max():.3g} cells away from "
                         f"the cell (more than {MAX_CELLS_AWAY:g}: a corrupt position)", source=path, field="positions")
    close = _overlap(pos, cell)
    if close is not None:
        i, j, d = close
        raise InputError(f"{where}: atoms {i} and {j} are {d:.3f} Å apart, closer than {MIN_DISTANCE_A} Å "
                         "(overlapping atoms: a corrupt or wrongly scaled frame)", source=path, field="positions")


#: an atom further than this many cell lengths from the cell is a corrupt number (wrapping it would also lose
#: all precision beyond ~1e12)
MAX_CELLS_AWAY = 1e4
#: two atoms closer than this are one atom written twice (the shortest bond, H–H, is 0.74 Å)
MIN_DISTANCE_A = 0.5
#: volumes per atom (Å³) outside which the overlap test is skipped: such cells are refused by the structure analysis
#: itself (hpglass.structure), and a huge or tiny cell would only make the test slow
_OVERLAP_VOLUME_RANGE = (0.1, 1e5)


def _overlap(pos: np.ndarray, cell: np.ndarray) -> tuple[int, int, float] | None:
    """The closest pair (i, j, distance) when it is closer than :data:`MIN_DISTANCE_A` under periodic boundaries,
    else None: nearest neighbours from a k-d tree over the atoms and their 26 neighbouring images (the first
    neighbour of every atom at once, O(N log N), however many atoms share one site)."""
    from scipy.spatial import cKDTree

    n = len(pos)
    vol = abs(float(np.linalg.det(cell)))
    if n < 2 or not _OVERLAP_VOLUME_RANGE[0] <= vol / n <= _OVERLAP_VOLUME_RANGE[1]:
        return None
    frac = np.linalg.solve(cell.T, pos.T).T % 1.0
    cart = frac @ cell
    shifts = np.array([(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)], dtype=float)
    images = (cart[None, :, :] + (shifts @ cell)[:, None, :]).reshape(-1, 3)
    dist, idx = cKDTree(images).query(cart, k=2)
    # column 0 is each atom itself (distance 0) unless another atom sits exactly on it; take the nearest other one
    own = np.arange(n) + 13 * n  # index of the unshifted image (shift (0, 0, 0) is the 14th)
    other_d = np.where(idx[:, 0] == own, dist[:, 1], dist[:, 0])
    other_i = np.where(idx[:, 0] == own, idx[:, 1], idx[:, 0]) % n
    k = int(np.argmin(other_d))
    if other_d[k] < MIN_DISTANCE_A:
        i, j = sorted((k, int(other_i[k])))
        return i, j, float(other_d[k])
    return None
