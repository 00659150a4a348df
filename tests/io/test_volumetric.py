"""VASP ELFCAR/CHGCAR and Gaussian cube readers: synthetic files with a known analytic field, checked exactly, against
ASE's readers where ASE is right, and on malformed files (InputError naming file and line)."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from hpglass.errors import InputError
from hpglass.io.volumetric import BOHR_A, VolumetricGrid, read_chgcar, read_cube, read_elfcar, write_cube

# an orthorhombic cell of exactly representable lengths; a grid of unequal sides so that any transposition of the
# axes changes the shape or moves the maximum
CELL = np.diag([6.0, 7.5, 8.25])
SHAPE = (12, 10, 11)
FRAC = np.array([[0.25, 0.5, 4 / 11], [0.75, 0.1, 0.9], [0.5, 0.8, 0.2]])  # atom 0 sits on grid point (3, 5, 4)
SYMBOLS = ["Se", "Sb", "Se"]
SIGMA = 0.8


def gaussian_field(cell=CELL, shape=SHAPE, centre_frac=FRAC[0]):
    """exp(-d²/2σ²), d = minimum-image distance from atom 0 (orthorhombic cell), at the periodic grid points."""
    idx = np.indices(shape).reshape(3, -1).T / np.asarray(shape)
    d = idx - centre_frac
    d -= np.round(d)
    r = d @ cell
    return np.exp(-(r ** 2).sum(1) / (2 * SIGMA ** 2)).reshape(shape)


def fortran_values(values, fmt="{:.11E}", per_line=5):
    """VASP layout: x fastest; returns (text lines, the values exactly as written)."""
    flat = values.transpose(2, 1, 0).ravel()  # (z, y, x) C order = x fastest
    strs = [fmt.format(v) for v in flat]
    lines = [" " + " ".join(strs[i:i + per_line]) for i in range(0, len(strs), per_line)]
    written = np.array([float(s) for s in strs]).reshape(values.shape[::-1]).transpose(2, 1, 0)
    return lines, written


def poscar_header(cell=CELL, frac=FRAC, symbols=SYMBOLS, vasp5=True, scale="1.0", comment="synthetic ELFCAR"):
    species = list(dict.fromkeys(symbols))
    order = [i for s in species for i, t in enumerate(symbols) if t == s]
    lines = [comment, f"   {scale}"]
    lines += ["  " + " ".join(f"{x:.10f}" for x in row) for row in cell]
    if vasp5:
        lines.append("   " + "   ".join(species))
    lines.append("   " + "   ".join(str(symbols.count(s)) for s in species))
    lines.append("Direct")
    lines += ["  " + " ".join(f"{x:.10f}" for x in frac[i]) for i in order]
    return lines, order


def write_elfcar(path, values, *, blocks=1, vasp5=True, comment="synthetic ELFCAR", scale="1.0"):
    head, order = poscar_header(vasp5=vasp5, comment=comment, scale=scale)
    body, written = fortran_values(values)
    lines = head + [""] + ["   " + "   ".join(str(n) for n in values.shape)] + body
    for _ in range(blocks - 1):
        lines += ["   " + "   ".join(str(n) for n in values.shape)] + fortran_values(1 - values)[0]
    path.write_text("\n".join(lines) + "\n")
    return written, order


def write_cube_file(path, values, *, angstrom=False, origin=(0.5, -0.25, 1.0), nval=1, natoms_negative=False):
    """A Gaussian cube with voxel vectors CELL/SHAPE, in Bohr (or Å with negative voxel counts)."""
    unit = 1.0 if angstrom else 1 / BOHR_A
    vox = CELL / np.asarray(SHAPE)[:, None] * unit
    org = np.asarray(origin) * unit
    pos = (FRAC @ CELL + np.asarray(origin)) * unit
    nat = len(SYMBOLS)
    head = ["synthetic cube", "OUTER LOOP: X, MIDDLE LOOP: Y, INNER LOOP: Z",
            f"{-nat if natoms_negative else nat:5d} {org[0]:.10f} {org[1]:.10f} {org[2]:.10f}"
            + (f" {nval}" if nval > 1 and not natoms_negative else "")]
    for n, v in zip(SHAPE, vox):
        head.append(f"{-n if angstrom else n:5d} {v[0]:.12f} {v[1]:.12f} {v[2]:.12f}")
    zs = {"Se": 34, "Sb": 51}
    for s, p in zip(SYMBOLS, pos):
        head.append(f"{zs[s]:5d} {float(zs[s]):.6f} {p[0]:.12f} {p[1]:.12f} {p[2]:.12f}")
    if natoms_negative:
        head.append(f"{nval} " + " ".join(str(10 + k) for k in range(nval)))
    strs = [f"{v:.9E}" for v in values.ravel()]  # C order: z fastest
    body = []
    nz = SHAPE[2]
    for r in range(0, len(strs), nz):  # each z-row starts a new line, 6 per line
        row = strs[r:r + nz]
        for c in range(0, nz, 6):
            chunk = row[c:c + 6]
            if nval > 1:
                chunk = [f"{x} {-1.0:.3E}" + "".join(f" {7.0:.3E}" for _ in range(nval - 2)) for x in chunk]
            body.append(" ".join(chunk))
    path.write_text("\n".join(head + body) + "\n")
    written = np.array([float(s) for s in strs]).reshape(SHAPE)
    return written, vox, org, pos


# -- ELFCAR -------------------------------------------------------------------------------------------------------
def test_elfcar_values_and_coordinates_exact(tmp_path):
    f = gaussian_field()
    p = tmp_path / "ELFCAR"
    written, order = write_elfcar(p, f)
    g = read_elfcar(p)
    assert g.shape == SHAPE
    np.testing.assert_array_equal(g.values, written)  # the very numbers in the file, in the right places
    np.testing.assert_array_equal(g.cell, CELL)
    np.testing.assert_array_equal(g.origin, np.zeros(3))
    np.testing.assert_allclose(g.atoms.positions, (FRAC @ CELL)[order], rtol=0, atol=1e-9)
    assert g.atoms.get_chemical_symbols() == [SYMBOLS[i] for i in order]
    # the maximum of the Gaussian is the grid point at the atom: ordering x-fastest is right
    imax = np.unravel_index(np.argmax(g.values), g.shape)
    assert imax == (3, 5, 4)
    np.testing.assert_allclose(g.point_positions([np.argmax(g.values)])[0], FRAC[0] @ CELL, atol=1e-12)
    assert g.values.max() == pytest.approx(1.0, abs=1e-11)
    assert g.meta["blocks_after"] is False and g.meta["divided_by_volume"] is False
    assert g.voxel_volume == pytest.approx(6.0 * 7.5 * 8.25 / np.prod(SHAPE))


def test_elfcar_matches_ase_times_volume(tmp_path):
    """ASE's VaspChargeDensity reads the same numbers but divides them by the volume (right for CHGCAR only)."""
    from ase.calculators.vasp import VaspChargeDensity

    p = tmp_path / "ELFCAR"
    write_elfcar(p, gaussian_field())
    g = read_elfcar(p)
    ase = VaspChargeDensity(str(p))
    vol = abs(np.linalg.det(CELL))
    np.testing.assert_allclose(ase.chg[0] * vol, g.values, rtol=1e-14, atol=0)
    np.testing.assert_allclose(ase.atoms[0].positions, g.atoms.positions, atol=1e-12)
    assert ase.atoms[0].get_chemical_symbols() == g.atoms.get_chemical_symbols()
    # read_chgcar is the ASE convention
    np.testing.assert_allclose(read_chgcar(p).values, ase.chg[0], rtol=1e-14)


def test_elfcar_spin_polarised_takes_first_block(tmp_path):
    f = gaussian_field()
    p = tmp_path / "ELFCAR"
    written, _ = write_elfcar(p, f, blocks=2)
    g = read_elfcar(p)
    np.testing.assert_array_equal(g.values, written)
    assert g.meta["blocks_after"] is True


def test_elfcar_vasp4_species_from_comment_and_volume_scale(tmp_path):
    f = gaussian_field()
    p = tmp_path / "ELFCAR4"
    vol = 6.0 * 7.5 * 8.25
    # negative scale = the volume; lattice written at half size → the scale restores it
    head, _ = poscar_header(cell=CELL / 2, vasp5=False, comment="Se Sb  made by hand", scale=f"-{vol}")
    body, written = fortran_values(f, per_line=10)  # CHG-style 10 per line
    p.write_text("\n".join(head + ["", " 12 10 11"] + body) + "\n")
    g = read_elfcar(p)
    np.testing.assert_allclose(g.cell, CELL, rtol=1e-13)
    assert g.atoms.get_chemical_symbols() == ["Se", "Se", "Sb"]
    np.testing.assert_array_equal(g.values, written)


def test_elfcar_cartesian_and_selective_dynamics(tmp_path):
    f = gaussian_field()
    head, order = poscar_header(scale="2.0", cell=CELL / 2)
    i = head.index("Direct")
    cart = (FRAC @ CELL)[order] / 2  # Cartesian coordinates are scaled too
    head = head[:i] + ["Selective dynamics", "Cartesian"] + [
        "  " + " ".join(f"{x:.10f}" for x in row) + " T T F" for row in cart]
    body, written = fortran_values(f)
    p = tmp_path / "ELFCAR"
    p.write_text("\n".join(head + ["", " 12 10 11"] + body) + "\n")
    g = read_elfcar(p)
    np.testing.assert_allclose(g.atoms.positions, (FRAC @ CELL)[order], atol=1e-9)
    np.testing.assert_array_equal(g.cell, CELL)
    np.testing.assert_array_equal(g.values, written)


@pytest.mark.parametrize("case, line, needle", [
    ("bad_value", None, "not a number"),
    ("short", None, "file ends"),
    ("grid", 13, "grid dimensions"),
    ("lattice", 4, "lattice vector b"),
    ("counts", 7, "atom counts"),
    ("mode", 8, "Direct"),
    ("species", 6, "unknown element"),
])
def test_elfcar_malformed(tmp_path, case, line, needle):
    f = gaussian_field()
    p = tmp_path / "ELFCAR"
    write_elfcar(p, f)
    lines = p.read_text().splitlines()
    if case == "bad_value":
        k = 13 + 40  # 0-based: a line well inside the values
        parts = lines[k].split()
        parts[2] = "0.5x"
        lines[k] = " ".join(parts)
        line = k + 1
    elif case == "short":
        lines = lines[:-3]
        line = len(lines)
    elif case == "grid":
        lines[12] = " 12 10"
    elif case == "lattice":
        lines[3] = " 0.0 7.5 abc"
    elif case == "counts":
        lines[6] = " 2 x"
    elif case == "mode":
        lines[7] = "Fractional"
    elif case == "species":
        lines[5] = "  Se  Qq"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        read_elfcar(p)
    assert exc.value.line == line, str(exc.value)
    assert str(p) in str(exc.value) and needle in str(exc.value)
    assert f"{p}:{line}" in str(exc.value)


def test_elfcar_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_elfcar(tmp_path / "nope")


# -- cube ---------------------------------------------------------------------------------------------------------
def test_cube_bohr_exact(tmp_path):
    f = gaussian_field()
    p = tmp_path / "elf.cube"
    written, *_ = write_cube_file(p, f)
    g = read_cube(p)
    np.testing.assert_array_equal(g.values, written)
    np.testing.assert_allclose(g.cell, CELL, rtol=1e-11)  # 12-decimal Bohr voxel vectors
    np.testing.assert_allclose(g.origin, [0.5, -0.25, 1.0], atol=1e-9)
    np.testing.assert_allclose(g.atoms.positions, FRAC @ CELL + [0.5, -0.25, 1.0], atol=1e-9)
    assert g.atoms.get_chemical_symbols() == SYMBOLS
    assert g.meta["units"] == "bohr" and g.atoms.pbc.all()
    imax = np.unravel_index(np.argmax(g.values), g.shape)
    assert imax == (3, 5, 4)
    np.testing.assert_allclose(g.point_positions([np.argmax(g.values)])[0], g.atoms.positions[0], atol=1e-9)


def test_cube_matches_ase(tmp_path):
    from ase.io.cube import read_cube_data

    p = tmp_path / "elf.cube"
    write_cube_file(p, gaussian_field())
    data, atoms = read_cube_data(str(p))
    g = read_cube(p)
    np.testing.assert_array_equal(g.values, data)
    np.testing.assert_allclose(g.atoms.positions, atoms.positions, rtol=0, atol=1e-12)
    np.testing.assert_allclose(g.cell, np.array(atoms.cell), rtol=0, atol=1e-12)


def test_cube_angstrom_units(tmp_path):
    """Negative voxel counts = Å (Gaussian); ASE reads such files as Bohr and fails, this reader converts nothing."""
    f = gaussian_field()
    pb, pa = tmp_path / "bohr.cube", tmp_path / "ang.cube"
    write_cube_file(pb, f)
    written, *_ = write_cube_file(pa, f, angstrom=True)
    gb, ga = read_cube(pb), read_cube(pa)
    assert ga.meta["units"] == "angstrom"
    np.testing.assert_array_equal(ga.values, written)
    np.testing.assert_allclose(ga.cell, CELL, rtol=1e-12)
    np.testing.assert_allclose(ga.atoms.positions, gb.atoms.positions, atol=1e-9)
    np.testing.assert_allclose(ga.origin, gb.origin, atol=1e-9)


@pytest.mark.parametrize("negative", [False, True])
def test_cube_several_values_per_point(tmp_path, negative):
    f = gaussian_field()
    p = tmp_path / "mo.cube"
    written, *_ = write_cube_file(p, f, nval=3, natoms_negative=negative)
    g = read_cube(p)
    np.testing.assert_array_equal(g.values, written)
    assert g.meta["values_per_point"] == 3


def test_write_cube_roundtrip_and_ase(tmp_path):
    from ase.io.cube import read_cube_data

    cell = np.array([[6.0, 0.0, 0.0], [1.5, 7.0, 0.0], [0.5, -0.7, 8.0]])  # triclinic
    atoms = Atoms("SeSbSe", scaled_positions=FRAC, cell=cell, pbc=True)
    vals = gaussian_field(cell=np.diag([6.0, 7.0, 8.0]))
    g = VolumetricGrid(atoms=atoms, values=vals, origin=np.array([0.1, 0.2, -0.3]), cell=cell)
    p = write_cube(tmp_path / "out.cube", g, digits=9)
    back = read_cube(p)
    np.testing.assert_allclose(back.values, vals, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(back.cell, cell, atol=1e-7)
    np.testing.assert_allclose(back.origin, g.origin, atol=1e-8)
    np.testing.assert_allclose(back.atoms.positions, atoms.positions, atol=1e-7)
    data, a2 = read_cube_data(str(p))
    np.testing.assert_allclose(data, vals, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a2.positions, atoms.positions, atol=1e-7)
    assert not list(tmp_path.glob(".*tmp*"))  # atomic write left no temporary file


@pytest.mark.parametrize("case, line, needle", [
    ("atoms_line", 3, "natoms and origin"),
    ("voxel", 5, "voxel count"),
    ("mixed", 4, "mixed signs"),
    ("atom", 8, "atom 2"),
    ("value", None, "not a number"),
    ("short", None, "file ends"),
    ("long", None, "more numbers"),
])
def test_cube_malformed(tmp_path, case, line, needle):
    p = tmp_path / "bad.cube"
    write_cube_file(p, gaussian_field())
    lines = p.read_text().splitlines()
    if case == "atoms_line":
        lines[2] = "3 0.0 0.0"
    elif case == "voxel":
        lines[4] = " 10.5 0.0 1.0 0.0"
    elif case == "mixed":
        lines[4] = "  -10 0.0 1.0 0.0"
    elif case == "atom":
        lines[7] = " 51 51.0 1.0 2.0"
    elif case == "value":
        k = 9 + 17
        lines[k] = lines[k].replace("E", "Q", 1)
        line = k + 1
    elif case == "short":
        lines = lines[:-2]
        line = len(lines)
    elif case == "long":
        lines.append("1.0 2.0")
        line = len(lines)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        read_cube(p)
    msg = str(exc.value)
    assert exc.value.line == line, msg
    assert f"{p}:{line}" in msg and needle in msg


def test_grid_validation():
    with pytest.raises(InputError, match="3D"):
        VolumetricGrid(atoms=None, values=np.zeros((3, 3)), origin=np.zeros(3), cell=np.eye(3))
    with pytest.raises(InputError, match="zero volume"):
        VolumetricGrid(atoms=None, values=np.zeros((3, 3, 3)), origin=np.zeros(3), cell=np.zeros((3, 3)))
