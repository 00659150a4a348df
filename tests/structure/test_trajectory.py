"""read_frames: formats through ASE, frame selection, species from the file, one-line errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.io import write

from hpglass.errors import InputError
from hpglass.io.trajectory import parse_frames, read_frames


def _frames(n: int = 10) -> list[Atoms]:
    base = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    rng = np.random.default_rng(1)
    out = []
    for _ in range(n):
        f = base.copy()
        f.positions += rng.normal(0, 0.05, f.positions.shape)
        out.append(f)
    return out


def _one_line(exc: pytest.ExceptionInfo, *needles: str) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    for n in needles:
        assert n.lower() in msg.lower(), msg
    return msg


@pytest.mark.parametrize("text, expected", [("::", slice(None)), ("0:100:5", slice(0, 100, 5)), (":10", slice(None, 10)),
                                            ("-10:", slice(-10, None)), ("7", 7), ("-1", -1)])
def test_parse_frames(text, expected):
    assert parse_frames(text) == expected


@pytest.mark.parametrize("text", ["a:b", "1:2:3:4", "", "0:10:0", "0:10:-1"])
def test_parse_frames_bad(text):
    with pytest.raises(InputError) as exc:
        parse_frames(text)
    _one_line(exc, "frame")


def test_extxyz_selection(tmp_path):
    frames = _frames(10)
    path = tmp_path / "traj.extxyz"
    write(path, frames, format="extxyz")
    got = read_frames(path, "0:10:3")
    assert len(got) == 4
    for k, a in zip((0, 3, 6, 9), got):
        np.testing.assert_allclose(a.positions, frames[k].positions, atol=1e-6)
        assert a.get_chemical_symbols() == frames[k].get_chemical_symbols()
    assert len(read_frames(path)) == 10
    assert len(read_frames(path, "5")) == 1
    np.testing.assert_allclose(read_frames(path, "-1")[0].positions, frames[-1].positions, atol=1e-6)
    assert got[1].info["frame_label"] == "frame 3"


@pytest.mark.parametrize("suffix, opener", [(".gz", "gzip"), (".bz2", "bz2"), (".xz", "lzma")])
def test_compressed_extxyz(tmp_path, suffix, opener):
    """``frames.extxyz.gz`` (bz2, xz) reads as the plain file does, and its atom counts are checked too."""
    import importlib

    frames = _frames(4)
    plain = tmp_path / "traj.extxyz"
    write(plain, frames, format="extxyz")
    packed = tmp_path / f"traj.extxyz{suffix}"
    with importlib.import_module(opener).open(packed, "wb") as fh:
        fh.write(plain.read_bytes())
    got = read_frames(packed, "1:4:2")
    assert len(got) == 2
    np.testing.assert_allclose(got[1].positions, frames[3].positions, atol=1e-6)
    bad = plain.read_text().splitlines(keepends=True)
    bad[0] = "99999\n"
    with importlib.import_module(opener).open(tmp_path / f"bad.extxyz{suffix}", "wt") as fh:
        fh.writelines(bad)
    with pytest.raises(InputError) as exc:
        read_frames(tmp_path / f"bad.extxyz{suffix}")
    _one_line(exc, "promises 99,999 atoms", "bad.extxyz")


def test_xdatcar_poscar_cif(tmp_path):
    frames = _frames(4)
    xdat = tmp_path / "XDATCAR"
    write(xdat, frames, format="vasp-xdatcar")
    got = read_frames(xdat, "1:")
    assert len(got) == 3
    np.testing.assert_allclose(got[0].get_scaled_positions(), frames[1].get_scaled_positions(wrap=True), atol=1e-6)
    assert sorted(set(got[0].get_chemical_symbols())) == ["Cl", "Na"]
    for name, fmt in (("POSCAR", "vasp"), ("nacl.cif", "cif")):
        path = tmp_path / name
        write(path, frames[0], format=fmt)
        one = read_frames(path)
        assert len(one) == 1 and one[0].get_chemical_formula() == frames[0].get_chemical_formula()


def _ase_testdata(name: str) -> Path:
    import ase

    path = Path(ase.__file__).parent / "test" / "testdata" / "vasp" / name
    if not path.is_file():
        pytest.skip(f"ASE's test data {name} is not installed")
    return path


def test_outcar_and_vasprun(tmp_path):
    """Real VASP outputs shipped with ASE's test data."""
    outcar = shutil.copy(_ase_testdata("OUTCAR_example_1"), tmp_path / "OUTCAR")
    frames = read_frames(outcar)
    assert frames[0].get_chemical_formula() == "Ni18" and frames[0].pbc.all()
    vasprun = shutil.copy(_ase_testdata("vasprun_dfpt.xml"), tmp_path / "vasprun.xml")
    assert read_frames(vasprun)[0].get_chemical_formula() == "ClNa"


def test_lammps_data_species(tmp_path):
    atoms = _frames(1)[0]
    with_masses = tmp_path / "with_masses.data"
    write(with_masses, atoms, format="lammps-data", masses=True, specorder=["Cl", "Na"])
    got = read_frames(with_masses)  # elements guessed from the Masses section
    assert got[0].get_chemical_formula() == atoms.get_chemical_formula()
    bare = tmp_path / "bare.data"
    write(bare, atoms, format="lammps-data", specorder=["Cl", "Na"])
    with pytest.raises(InputError) as exc:
        read_frames(bare)
    _one_line(exc, "species", "bare.data")
    got = read_frames(bare, species=["Cl", "Na"])
    assert got[0].get_chemical_formula() == atoms.get_chemical_formula()


def _dump(path: Path, atoms: Atoms, columns: str, timesteps: int = 3) -> None:
    types = {"Cl": 1, "Na": 2}
    lines = []
    L = atoms.cell.lengths()
    for t in range(timesteps):
        lines += ["ITEM: TIMESTEP", str(t), "ITEM: NUMBER OF ATOMS", str(len(atoms)),
                  "ITEM: BOX BOUNDS pp pp pp"] + [f"0.0 {x}" for x in L] + [f"ITEM: ATOMS {columns}"]
        for k, (s, p) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions)):
            first = s if "element" in columns else str(types[s])
            lines.append(f"{k + 1} {first} {p[0] + 0.01 * t} {p[1]} {p[2]}")
    path.write_text("\n".join(lines) + "\n")


def test_lammps_dump(tmp_path):
    atoms = _frames(1)[0]
    atoms.wrap()
    with_el = tmp_path / "run.lammpstrj"
    _dump(with_el, atoms, "id element x y z")
    got = read_frames(with_el, "::2")
    assert len(got) == 2
    assert got[0].get_chemical_symbols() == atoms.get_chemical_symbols()
    np.testing.assert_allclose(got[1].positions[:, 0], atoms.positions[:, 0] + 0.02, atol=1e-9)
    typed = tmp_path / "dump.typed"
    _dump(typed, atoms, "id type x y z")
    with pytest.raises(InputError) as exc:
        read_frames(typed)
    _one_line(exc, "species", "dump.typed")
    got = read_frames(typed, species=["Cl", "Na"])
    assert got[0].get_chemical_symbols() == atoms.get_chemical_symbols()


def test_missing_and_unreadable(tmp_path):
    with pytest.raises(InputError) as exc:
        read_frames(tmp_path / "nope.extxyz")
    _one_line(exc, "no such file")
    junk = tmp_path / "junk.extxyz"
    junk.write_bytes(os.urandom(300) + b"\n\x00garbage\n")
    with pytest.raises(InputError) as exc:
        read_frames(junk)
    _one_line(exc, "cannot read", "junk.extxyz")
    with pytest.raises(InputError) as exc:
        read_frames(tmp_path)
    _one_line(exc, "directory")


def test_no_cell_and_not_periodic(tmp_path):
    mol = Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    plain = tmp_path / "mol.xyz"
    write(plain, mol, format="xyz")
    with pytest.raises(InputError) as exc:
        read_frames(plain)
    _one_line(exc, "no cell", "mol.xyz")
    boxed = Atoms("H2O", positions=mol.positions, cell=[10, 10, 10], pbc=False)
    path = tmp_path / "boxed.extxyz"
    write(path, boxed, format="extxyz")
    with pytest.raises(InputError) as exc:
        read_frames(path)
    _one_line(exc, "not periodic", "boxed.extxyz", "frame 0")


def test_empty_selection(tmp_path):
    path = tmp_path / "traj.extxyz"
    write(path, _frames(3), format="extxyz")
    for sel in ("10:20", "5"):
        with pytest.raises(InputError) as exc:
            read_frames(path, sel)
        _one_line(exc, "holds no frame", "traj.extxyz")
