"""ELF: analysis on analytic fields with known answers; GPAW runs with known answers (marker ``gpaw``); the CLI.

Known answers used with GPAW (each run < 30 s on one core):

* H₂ in a periodic box, plane waves: one doubly occupied orbital, so τ = τ_W exactly and D = 0: **ELF = 1** at every
  point (except where the density is below ``ncut`` and the ELF is set to 0). The plane-wave evaluation is exact up
  to rounding, so the tolerance is 1e-6 (the cube file keeps 7 significant digits).
* H₂ with GPAW's own finite-difference ``ELF`` (``mode="fd"``): the same answer up to finite-difference gradient
  errors: ELF > 0.98 at the bond centre and at the nuclei (measured 0.99+).
* Jellium (no atoms, uniform positive background, 2 electrons in a 4 Å cube, r_s ≈ 3.7 bohr), 6×6×6 k-points: the
  homogeneous electron gas has τ = τ_TF, **ELF = ½** everywhere. A finite k-mesh samples the Fermi sphere
  discretely: τ/τ_TF = 1.0055 at 6×6×6 (1.016 at 4×4×4), i.e. ELF = ½ − ε/2 ≈ 0.497; tolerance 0.01.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest
from ase import Atoms

from hpglass.errors import InputError, MissingDependencyError
from hpglass.io.volumetric import VolumetricGrid, write_cube
from hpglass.simulate.elf import (
    GpawMissingError,
    elf_histogram_by_species,
    elf_slice,
    elf_summary,
    gpaw_version,
    run_gpaw_elf,
    species_regions,
)

L = 8.0
N = 40  # grid spacing 0.2 Å
R = 1.1  # radius of the ELF = 1 spheres around Se
POS = np.array([[2.013, 2.027, 1.991], [6.031, 5.977, 6.009], [1.987, 6.019, 5.993]])  # Sb, Se, Se (off-grid)
SYM = ["Sb", "Se", "Se"]


def min_image_dist(points, centres, cell):
    """Brute force: distances (n_points, n_centres) to the nearest periodic image (27 images)."""
    shifts = np.array([(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)]) @ cell
    d = points[:, None, None, :] - (centres[None, :, None, :] + shifts[None, None, :, :])
    return np.sqrt((d ** 2).sum(-1)).min(-1)


def grid_points(cell, shape):
    idx = np.indices(shape).reshape(3, -1).T / np.asarray(shape)
    return idx @ cell


@pytest.fixture(scope="module")
def step_grid():
    """ELF = 1 within R of a Se atom, 0.2 elsewhere, on a 40³ grid over an 8 Å cube."""
    cell = np.eye(3) * L
    atoms = Atoms(SYM, positions=POS, cell=cell, pbc=True)
    pts = grid_points(cell, (N, N, N))
    d = min_image_dist(pts, POS, cell)
    values = np.where(d[:, 1:].min(1) <= R, 1.0, 0.2).reshape(N, N, N)
    return VolumetricGrid(atoms=atoms, values=values, origin=np.zeros(3), cell=cell), d


def test_histogram_nearest_exact(step_grid):
    grid, d = step_grid
    near = np.argmin(d, axis=1)  # species of the nearest atom: 0 = Sb, 1/2 = Se
    is_se = near > 0
    inside = d[:, 1:].min(1) <= R
    h = elf_histogram_by_species(grid, bins=10)
    assert h.species == ("Sb", "Se")
    n_se, n_in = int(is_se.sum()), int(inside.sum())
    assert is_se[inside].all()  # the spheres lie inside the Se Voronoi cells (R < half the Sb–Se distance)
    assert h.n_points == {"Sb": N ** 3 - n_se, "Se": n_se}
    # all Sb points have ELF 0.2 (bin 1 = [0.1, 0.2)… 0.2 falls in [0.2, 0.3) = bin 2); Se: n_in ones in the last bin
    assert h.counts["Sb"][2] == N ** 3 - n_se and h.counts["Sb"].sum() == N ** 3 - n_se
    assert h.counts["Se"][-1] == n_in and h.counts["Se"][2] == n_se - n_in
    assert h.mean["Se"] == pytest.approx((n_in + 0.2 * (n_se - n_in)) / n_se, rel=1e-12)
    assert h.mean["Sb"] == pytest.approx(0.2, rel=1e-12)
    np.testing.assert_array_equal(h.counts_all, h.counts["Sb"] + h.counts["Se"])
    # analytic: two spheres of radius R hold 2 (4/3)πR³ / dv grid points (lattice-point count, within 3 %)
    assert n_in == pytest.approx(2 * 4 / 3 * np.pi * R ** 3 / grid.voxel_volume, rel=0.03)
    assert (h.density("Se") * np.diff(h.edges)).sum() == pytest.approx(1.0)


def test_histogram_sphere_exact(step_grid):
    grid, d = step_grid
    h = elf_histogram_by_species(grid, bins=[0, 0.5, 1.0], radius_A=R, assignment="sphere")
    n_in = int((d[:, 1:].min(1) <= R).sum())
    assert h.mean["Se"] == 1.0 and h.n_points["Se"] == n_in
    assert h.mean["Sb"] == pytest.approx(0.2, rel=1e-12) and h.n_points["Sb"] == int((d[:, 0] <= R).sum())
    assert h.counts["Se"].tolist() == [0, n_in]


def test_summary_exact(step_grid):
    grid, d = step_grid
    inside = d[:, 1:].min(1) <= R
    s = elf_summary(grid, thresholds=(0.1, 0.5, 0.99))
    n_in = int(inside.sum())
    assert s.fraction_above[0.5] == pytest.approx(n_in / N ** 3, rel=1e-12)
    assert s.fraction_above[0.99] == pytest.approx(n_in / N ** 3, rel=1e-12)
    assert s.fraction_above[0.1] == 1.0
    n_se = int((np.argmin(d, axis=1) > 0).sum())
    assert s.fraction_above_by_species["Se"][0.5] == pytest.approx(n_in / n_se)
    assert s.fraction_above_by_species["Sb"][0.5] == 0.0
    assert s.volume_share["Se"] + s.volume_share["Sb"] == pytest.approx(1.0)
    assert s.n_atoms == {"Sb": 1, "Se": 2}
    assert s.mean == pytest.approx(0.2 + 0.8 * n_in / N ** 3)
    assert s.unassigned_fraction == 0.0
    d_json = json.loads(json.dumps(s.to_dict()))
    assert d_json["fraction_above"]["0.5"] == pytest.approx(n_in / N ** 3)


def test_nearest_with_radius_cap(step_grid):
    grid, d = step_grid
    reg = species_regions(grid, "nearest", radius_A=1.5)
    dmin = d.min(1)
    assert reg.unassigned == int((dmin > 1.5).sum())
    np.testing.assert_array_equal(reg.mask[0], (np.argmin(d, 1) == 0) & (dmin <= 1.5))


def test_regions_triclinic_match_brute_force():
    cell = np.array([[7.0, 0.0, 0.0], [2.0, 6.5, 0.0], [-1.0, 1.5, 7.5]])
    atoms = Atoms("SbSe2", scaled_positions=[[0.1, 0.2, 0.3], [0.55, 0.6, 0.45], [0.9, 0.1, 0.8]], cell=cell,
                  pbc=True)
    shape = (14, 13, 15)
    grid = VolumetricGrid(atoms=atoms, values=np.zeros(shape), origin=np.array([0.3, -0.2, 0.1]), cell=cell)
    reg = species_regions(grid)
    pts = grid.point_positions()
    d = min_image_dist(pts, atoms.positions, cell)
    near = np.argmin(d, 1)
    np.testing.assert_array_equal(reg.mask[0], near == 0)
    np.testing.assert_array_equal(reg.mask[1], near > 0)


def test_slice_axis_is_the_grid_plane(step_grid):
    grid, _ = step_grid
    sl = elf_slice(grid, axis="c", position=30 / N)
    assert sl.values.shape == (N, N)
    np.testing.assert_allclose(sl.values, grid.values[:, :, 30], atol=1e-12)
    np.testing.assert_allclose(sl.u_A, np.arange(N) * L / N)
    assert sl.extent == pytest.approx((-0.1, L - 0.1, -0.1, L - 0.1))
    assert {a["index"] for a in sl.atoms} == {1, 2}  # both Se atoms lie within 0.5 Å of z = 6 Å
    se = next(a for a in sl.atoms if a["index"] == 1)
    assert (se["u_A"], se["v_A"]) == pytest.approx((POS[1, 0], POS[1, 1]))
    sl_a = elf_slice(grid, axis=0, position=10 / N)
    np.testing.assert_allclose(sl_a.values, grid.values[10, :, :], atol=1e-12)  # u along b, v along c


def test_slice_through_atoms_known_values(step_grid):
    grid, _ = step_grid
    sl = elf_slice(grid, through=(1, 2, 0), spacing_A=0.05)
    assert "atoms 1 (Se), 2 (Se), 0 (Sb)" in sl.description
    uu, vv = np.meshgrid(sl.u_A, sl.v_A, indexing="ij")
    pts = sl.plane_origin + uu[..., None] * sl.e_u + vv[..., None] * sl.e_v
    d = min_image_dist(pts.reshape(-1, 3), POS[1:], grid.cell).min(1).reshape(uu.shape)
    h3 = np.sqrt(3) * 0.2  # a point this far inside/outside the sphere has all 8 interpolation corners inside/out
    assert np.all(sl.values[d <= R - h3] == pytest.approx(1.0))
    assert np.all(sl.values[d >= R + h3] == pytest.approx(0.2))
    assert len(sl.atoms) == 3 and all(abs(a["distance_A"]) < 1e-9 for a in sl.atoms)
    assert np.dot(sl.e_u, sl.normal) == pytest.approx(0, abs=1e-12)
    assert np.dot(sl.e_u, sl.e_v) == pytest.approx(0, abs=1e-12)


def test_slice_smooth_field_orientation():
    """A smooth Gaussian around one atom of a triclinic cell: slices match the analytic field (linear interpolation
    error ≤ 3·(h²/8)·max|f''| ≈ 0.03 for h = 0.25 Å, σ = 1 Å)."""
    cell = np.array([[8.0, 0.0, 0.0], [1.0, 7.0, 0.0], [0.5, -0.5, 9.0]])
    atoms = Atoms("SeSb", positions=[[3.1, 3.3, 4.2], [6.0, 1.0, 1.0]], cell=cell, pbc=True)
    shape = (32, 28, 36)
    grid0 = VolumetricGrid(atoms=atoms, values=np.zeros(shape), origin=np.zeros(3), cell=cell)
    pts = grid0.point_positions()
    f = lambda p: np.exp(-min_image_dist(p, atoms.positions[:1], cell)[:, 0] ** 2 / 2)
    grid = VolumetricGrid(atoms=atoms, values=f(pts).reshape(shape), origin=np.zeros(3), cell=cell)
    for kw in ({"normal": (0.3, -0.2, 1.0), "point": atoms.positions[0], "size_A": 5.0},
               {"axis": "b", "position": 0.47}, {"normal": (1, 1, 1)}):
        sl = elf_slice(grid, **kw)
        uu, vv = np.meshgrid(sl.u_A, sl.v_A, indexing="ij")
        p = sl.plane_origin + uu[..., None] * sl.e_u + vv[..., None] * sl.e_v
        np.testing.assert_allclose(sl.values, f(p.reshape(-1, 3)).reshape(uu.shape), atol=0.03)
    sl = elf_slice(grid, normal=(0.3, -0.2, 1.0), point=atoms.positions[0], size_A=5.0)
    assert sl.values.max() == pytest.approx(1.0, abs=0.03)


def test_slice_and_regions_errors(step_grid):
    grid, _ = step_grid
    with pytest.raises(InputError, match="one line"):
        elf_slice(grid, through=(0, 0, 1))
    with pytest.raises(InputError, match="out of range"):
        elf_slice(grid, through=(0, 1, 7))
    with pytest.raises(InputError, match="one of axis"):
        elf_slice(grid, axis=0, normal=(0, 0, 1))
    with pytest.raises(InputError, match="axis"):
        elf_slice(grid, axis="q")
    with pytest.raises(InputError, match="radius_A"):
        species_regions(grid, "sphere")
    with pytest.raises(InputError, match="assignment"):
        species_regions(grid, "voronoi")
    with pytest.raises(InputError, match="bins"):
        elf_histogram_by_species(grid, bins=0)


# -- GPAW -----------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def gpaw_python():
    v = gpaw_version()
    if v is None:
        pytest.skip("GPAW is not importable under /usr/bin/python3 (install: apt-get install gpaw gpaw-data)")
    return v


def h2_box():
    return Atoms("H2", positions=[(2.5, 2.5, 2.63), (2.5, 2.5, 3.37)], cell=(5.0, 5.0, 6.0), pbc=True)


@pytest.fixture(scope="module")
def h2_pw(gpaw_python, tmp_path_factory):
    out = tmp_path_factory.mktemp("h2pw")
    return run_gpaw_elf(h2_box(), out / "run", ecut_eV=300.0)


@pytest.mark.gpaw
def test_gpaw_h2_pw_elf_is_one(h2_pw):
    res = h2_pw
    assert res.n_electrons == 2 and np.isfinite(res.energy_eV) and not res.reused
    assert res.gpaw_version and res.raw["grid_elf"] == [40, 40, 48]
    g = res.load_grid()
    v = g.values
    masked = v == 0.0  # density below ncut (vacuum far from the molecule)
    assert np.all(v[~masked] > 1 - 1e-6)
    d = np.linalg.norm(g.point_positions() - np.array([2.5, 2.5, 3.0]), axis=1).reshape(v.shape)
    assert not masked[d < 2.0].any()  # nothing near the molecule is masked
    assert masked.mean() < 0.05
    h = elf_histogram_by_species(g, bins=10)
    assert h.mean["H"] == pytest.approx(1 - masked.mean(), abs=1e-6)
    for name in ("frame.extxyz", "params.json", "gpaw_elf.py", "gpaw.txt", "elf.cube", "result.json"):
        assert (res.out_dir / name).is_file()


@pytest.mark.gpaw
def test_gpaw_resume_and_conflict(h2_pw):
    t = time.perf_counter()
    again = run_gpaw_elf(h2_box(), h2_pw.out_dir, ecut_eV=300.0)
    assert again.reused and time.perf_counter() - t < 5
    assert again.energy_eV == h2_pw.energy_eV
    with pytest.raises(InputError, match="ecut_eV"):
        run_gpaw_elf(h2_box(), h2_pw.out_dir, ecut_eV=350.0)
    moved = h2_box()
    moved.positions[1, 2] += 0.05
    with pytest.raises(InputError, match="frame_sha256"):
        run_gpaw_elf(moved, h2_pw.out_dir, ecut_eV=300.0)


@pytest.mark.gpaw
def test_gpaw_h2_fd_elf(gpaw_python, tmp_path):
    res = run_gpaw_elf(h2_box(), tmp_path / "fd", mode="fd", h_A=0.2)
    g = res.load_grid()
    assert g.shape == (48, 48, 64)
    sl = elf_slice(g, axis="a", position=0.5)  # the plane x = 2.5 Å holds the molecule
    assert {a["index"] for a in sl.atoms} == {0, 1}
    for where in ((2.5, 3.0), (2.5, 2.63), (2.5, 3.37)):  # bond centre and nuclei: (y, z)
        i = np.argmin(np.abs(sl.u_A - where[0]))
        j = np.argmin(np.abs(sl.v_A - where[1]))
        assert sl.values[i, j] > 0.98, (where, sl.values[i, j])


@pytest.mark.gpaw
def test_gpaw_jellium_elf_is_one_half(gpaw_python, tmp_path):
    jellium = Atoms(cell=(4.0, 4.0, 4.0), pbc=True)
    res = run_gpaw_elf(jellium, tmp_path / "jellium", ecut_eV=200.0, kpts=(6, 6, 6),
                       gpaw_kwargs={"background_charge": {"charge": 2}, "nbands": 8, "eigensolver": "cg"})
    g = res.load_grid()
    assert res.n_electrons == 2
    assert np.all(np.abs(g.values - 0.5) < 0.01), (g.values.min(), g.values.max())
    assert np.ptp(g.values) < 1e-3  # uniform


def test_missing_gpaw_is_one_line_with_hint(tmp_path):
    for python in ("/nonexistent/python3", sys.executable):  # the hpglass venv has no gpaw
        with pytest.raises(MissingDependencyError) as exc:
            run_gpaw_elf(h2_box(), tmp_path / "x", python=python)
        assert isinstance(exc.value, GpawMissingError)
        msg = str(exc.value)
        assert "apt-get install gpaw gpaw-data" in msg and "\n" not in msg
    assert gpaw_version("/nonexistent/python3") is None


def test_run_parameter_errors(tmp_path):
    with pytest.raises(InputError, match="mode"):
        run_gpaw_elf(h2_box(), tmp_path, mode="lcao")
    with pytest.raises(InputError, match="gridrefinement"):
        run_gpaw_elf(h2_box(), tmp_path, mode="fd", gridrefinement=3)
    with pytest.raises(InputError, match="no cell"):
        run_gpaw_elf(Atoms("H2", positions=[(0, 0, 0), (0, 0, 0.74)]), tmp_path)
    with pytest.raises(InputError, match="JSON"):
        run_gpaw_elf(h2_box(), tmp_path, gpaw_kwargs={"mixer": object()})


# -- CLI ------------------------------------------------------------------------------------------------------------
def _cli(args):
    from typer.testing import CliRunner

    from hpglass.cli.main import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    data = json.loads(res.stdout) if res.exit_code == 0 and "--json" in args else None
    return res, data


def _one_line_error(res, *needles):
    assert res.exit_code == 2, (res.exit_code, res.stdout, res.stderr, res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_cli_cube(step_grid, tmp_path):
    grid, d = step_grid
    cube = write_cube(tmp_path / "step.cube", grid, digits=8)
    res, data = _cli(["elf", "--cube", cube, "--out", tmp_path / "out", "--bins", "10", "--json",
                      "--thresholds", "0.5,0.9"])
    assert res.exit_code == 0, (res.stderr, res.exception)
    (rec,) = data["grids"]
    n_in = int((d[:, 1:].min(1) <= R).sum())
    assert rec["summary"]["fraction_above"]["0.5"] == pytest.approx(n_in / N ** 3)
    assert rec["summary"]["mean_elf_by_species"]["Sb"] == pytest.approx(0.2)
    assert rec["histogram"]["counts"]["Se"][-1] == n_in
    for key in ("histogram_file", "slice_file", "figure_file", "summary_file"):
        assert (tmp_path / "out" / "step").joinpath(rec["files"][key].split("/")[-1]).is_file()
    assert (tmp_path / "out" / "elf.json").is_file()
    table = np.loadtxt(rec["files"]["histogram_file"])
    assert table[:, 0].tolist() == pytest.approx(np.linspace(0, 0.9, 10).tolist())
    # two files of one name (GPAW folders all hold an elf.cube) get distinct output folders
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "elf.cube").write_bytes(cube.read_bytes())
    res, data = _cli(["elf", "--cube", tmp_path / "a" / "elf.cube", "--cube", tmp_path / "b" / "elf.cube", "--out",
                      tmp_path / "two", "--json"])
    assert [g["label"] for g in data["grids"]] == ["elf", "b_elf"]
    # human output
    res, _ = _cli(["elf", "--cube", cube, "--out", tmp_path / "out2", "--slice-through", "1,2,0"])
    assert res.exit_code == 0 and "mean ELF" in res.stdout


def test_cli_errors(step_grid, tmp_path):
    bad = tmp_path / "bad.cube"
    bad.write_text("x\ny\n  3 0 0 0\n 10 0.1 0 0\n 10 0 0.1 0\n")
    _one_line_error(_cli(["elf", "--cube", bad, "--out", tmp_path])[0], str(bad))
    _one_line_error(_cli(["elf", "--out", tmp_path])[0], "nothing to do")
    frame = tmp_path / "h2.extxyz"
    from ase.io import write

    write(frame, h2_box())
    _one_line_error(_cli(["elf", frame, "--cube", bad])[0], "not both")
    grid, _ = step_grid
    cube = write_cube(tmp_path / "ok.cube", grid)
    _one_line_error(_cli(["elf", "--cube", cube, "--assign", "sphere"])[0], "--radius")
    _one_line_error(_cli(["elf", "--cube", cube, "--slice-through", "0,1"])[0], "--slice-through")
    _one_line_error(_cli(["elf", frame, "--out", tmp_path / "g", "--python", "/nonexistent/python3"])[0],
                    "apt-get install gpaw gpaw-data")


@pytest.mark.gpaw
def test_cli_gpaw_frame(gpaw_python, tmp_path):
    from ase.io import write

    frame = tmp_path / "h2.extxyz"
    write(frame, h2_box())
    args = ["elf", frame, "--frame", "0", "--ecut", "250", "--out", tmp_path / "out", "--json"]
    res, data = _cli(args)
    assert res.exit_code == 0, (res.stderr, res.exception)
    (rec,) = data["grids"]
    assert rec["kind"] == "gpaw" and rec["gpaw"]["n_electrons"] == 2 and not rec["gpaw"]["reused"]
    assert rec["summary"]["max_elf"] == pytest.approx(1.0, abs=1e-6)
    res, data = _cli(args)  # rerun: the finished GPAW folder is reused
    assert data["grids"][0]["gpaw"]["reused"]
