"""The bundled study's bcc reference trajectory and ELF grids (claims M6 and M8, Fig. 5c), and the study file that
wires them in (regenerated exactly by ``hpglass.demo_study_data.bundled_study_toml``). The claims and Fig. 5 on
the bundled study: ``tests/report/test_bundled_elf_bcc.py``."""

from __future__ import annotations

import gzip
from collections import Counter

import numpy as np
import pytest

from hpglass.demo_data import demo_folder
from hpglass.demo_study_data import DEMO_BCC_REFERENCE, DEMO_ELF, bundle_elf_grid, bundled_study_toml, elf_grid_name
from hpglass.errors import InputError

SIM = demo_folder() / "simulated"
STUDY = demo_folder() / "study" / "study.toml"


def test_bundled_study_file_is_regenerated_exactly():
    assert STUDY.read_text(encoding="utf-8") == bundled_study_toml()


def test_bundled_study_wires_the_bcc_reference_and_the_elf_grids():
    from hpglass.study import load_study

    run = load_study(STUDY).simulation[0]
    bcc = [k for k in run.references if "bcc" in k.lower()]
    assert bcc == [DEMO_BCC_REFERENCE["label"]]
    assert run.references[bcc[0]] == SIM / DEMO_BCC_REFERENCE["folder"] / DEMO_BCC_REFERENCE["file"]
    assert [(e.pressure_GPa, e.file.name) for e in run.elf] == [(p, elf_grid_name(p))
                                                                for p in DEMO_ELF["pressures_GPa"]]
    assert {e.pressure_GPa for e in run.elf} <= {f.pressure_GPa for f in run.frames}


def test_bcc_reference_frames_load():
    from ase.io import read

    frames = read(SIM / DEMO_BCC_REFERENCE["folder"] / DEMO_BCC_REFERENCE["file"], index=":")
    assert len(frames) >= 5
    for f in frames:
        n = Counter(f.get_chemical_symbols())
        assert len(f) == 250 and n["Sb"] * 3 == n["Se"] * 2
        assert f.info["pressure_GPa"] >= 60 and f.info["stage"] == "P_60GPa"
        # the cubic cell is tall enough for g(r) to 6 Å (half the smallest height)
        assert min(f.cell.lengths()) / 2 > 6.0


@pytest.mark.parametrize("p", DEMO_ELF["pressures_GPa"])
def test_bundled_elf_grids_load(p):
    from hpglass.study.elf_grids import read_elf_grid

    path = SIM / DEMO_ELF["folder"] / elf_grid_name(p)
    assert path.stat().st_size < 2_000_000
    grid = read_elf_grid(path)
    from ase.io import read

    # the frame GPAW computed: the last of the 0 (30) GPa stage of an 80-atom glass made with the glass's protocol
    frame = read(SIM / DEMO_ELF["folder"] / f"elf_P_{p:g}GPa_frame.extxyz")
    assert len(frame) == 80
    assert grid.atoms.get_chemical_symbols() == frame.get_chemical_symbols()
    assert np.allclose(grid.cell, frame.cell, atol=1e-5)
    d = grid.atoms.get_scaled_positions(wrap=False) - frame.get_scaled_positions(wrap=False)
    assert np.abs(d - np.round(d)).max() < 1e-5
    assert grid.values.min() >= -1e-6 and grid.values.max() <= 1 + 1e-6
    assert min(grid.shape) >= 48
    summary = SIM / DEMO_ELF["folder"] / f"elf_P_{p:g}GPa_summary.json"
    assert summary.is_file()


def _cube(tmp_path, n=24, a=6.0):
    """A periodic synthetic 'ELF' on an n³ grid of a cubic cell with two atoms, as a cube file."""
    from ase import Atoms

    from hpglass.io.volumetric import VolumetricGrid, write_cube

    x = np.arange(n) / n
    X, Y, Z = np.meshgrid(x, x, x, indexing="ij")
    vals = 0.5 + 0.4 * np.cos(2 * np.pi * X) * np.cos(2 * np.pi * Z)
    atoms = Atoms("SbSe", positions=[[0, 0, 0], [a / 2, 0, 0]], cell=np.eye(3) * a, pbc=True)
    grid = VolumetricGrid(atoms=atoms, values=vals, origin=np.zeros(3), cell=np.eye(3) * a)
    path = write_cube(tmp_path / "elf.cube", grid)
    return path, vals


def test_bundle_elf_grid_round_trip_and_bond_midpoints(tmp_path):
    from hpglass.study.elf_grids import analyse_elf_grid, bond_midpoint_elf, read_elf_grid

    path, vals = _cube(tmp_path)
    out = bundle_elf_grid(path, tmp_path / "small.cube.gz", stride=2, digits=3)
    assert out["shape"] == (12, 12, 12)
    again = bundle_elf_grid(path, tmp_path / "again.cube.gz", stride=2, digits=3)
    assert (tmp_path / "small.cube.gz").read_bytes() == (tmp_path / "again.cube.gz").read_bytes()  # reproducible
    assert again["bytes"] == out["bytes"]
    assert gzip.decompress((tmp_path / "small.cube.gz").read_bytes()).decode().count("\n") > 12 ** 3 / 6
    small = read_elf_grid(tmp_path / "small.cube.gz")
    assert np.allclose(small.values, vals[::2, ::2, ::2], atol=1e-3)
    assert np.allclose(small.cell, np.eye(3) * 6.0, atol=1e-6)
    # Sb at 0, Se at a/2 along x: the bond midpoint is at x = a/4, where cos(2π·¼) = 0 → ELF 0.5 (two bonds: ±x)
    bm = bond_midpoint_elf(small, {"Sb-Se": 3.1})
    assert bm["n_bonds"] == 2 and bm["mean"] == pytest.approx(0.5, abs=0.02)
    assert bond_midpoint_elf(small, {"Se-Se": 3.1})["n_bonds"] == 0
    res = analyse_elf_grid(tmp_path / "small.cube.gz", {"Sb-Se": 3.1}, 0.0)
    s = res["summary"]
    assert s["bond_midpoint"]["by_pair"]["Sb-Se"]["n_bonds"] == 2
    v = small.values
    assert s["fraction_near_half"] == pytest.approx(((v >= 0.4) & (v <= 0.6)).mean())
    assert set(res["arrays"]["by_species"]) == {"Sb", "Se"}
    assert res["arrays"]["slice"]["values"].shape == (12, 12)


def test_elf_entries_are_validated(tmp_path):
    from hpglass.study.schema import parse_study

    path, _ = _cube(tmp_path)
    traj = tmp_path / "t.extxyz"
    traj.write_text("1\nLattice=\"3 0 0 0 3 0 0 0 3\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\nSb 0 0 0\n")
    other = tmp_path / "elf.txt"
    other.write_text("x\n")

    def study(elf):
        import tomllib

        return tomllib.loads(f'[sample]\ncomposition = "Sb2Se3"\n[[simulation]]\nname = "s"\n'
                            f'frames = [{{ pressure_GPa = 0, file = "{traj.name}" }}]\nelf = {elf}\n'
                            f'provenance = {{ kind = "simulated", model = "m" }}\n')

    ok = parse_study(study(f'[{{ pressure_GPa = 0, file = "{path.name}" }}]'), base=tmp_path)
    assert ok.simulation[0].elf[0].file == path
    with pytest.raises(InputError, match="no frames at that pressure"):
        parse_study(study(f'[{{ pressure_GPa = 30, file = "{path.name}" }}]'), base=tmp_path)
    with pytest.raises(InputError, match="cube file"):
        parse_study(study(f'[{{ pressure_GPa = 0, file = "{other.name}" }}]'), base=tmp_path)
    with pytest.raises(InputError, match="twice"):
        parse_study(study(f'[{{ pressure_GPa = 0, file = "{path.name}" }}, {{ pressure_GPa = 0, file = '
                          f'"{path.name}" }}]'), base=tmp_path)


def test_bundle_glass_run_keeps_sparse_frames_exactly(tmp_path):
    """A run folder bundled sparsely: the kept frames are the stated indices (ending at the last), positions
    exact to the file's 8 decimals, no momenta, the same bytes when bundled again, records copied whole."""
    import json

    from ase import Atoms
    from ase.io import write

    from hpglass.demo_study_data import bundle_glass_run, simulated_frames_by_pressure, sparse_indices

    assert sparse_indices(20, 5) == [3, 7, 11, 15, 19] and sparse_indices(20, 3) == [6, 12, 19]
    assert sparse_indices(4, 5) == [0, 1, 2, 3]
    run = tmp_path / "run"
    run.mkdir()
    rng = np.random.default_rng(3)
    stages = {"P_0GPa": 20, "P_10GPa": 20, "P_0GPa_decompress": 20}
    made = {}
    for stage, n in stages.items():
        frames = []
        for k in range(n):
            a = Atoms("Sb2Se3", positions=rng.random((5, 3)) * 6, cell=np.eye(3) * 6, pbc=True)
            a.set_momenta(rng.normal(size=(5, 3)))
            a.info.update(stage=stage, step=100 * k, pressure_GPa=float(stage.split("_")[1][:-3]), temperature_K=300.0)
            frames.append(a)
        write(run / f"{stage}.extxyz", frames, format="extxyz")
        made[stage] = frames
        (run / f"{stage}.json").write_text(json.dumps({"stage": stage, "series": list(range(n))}))
    (run / "run.json").write_text(json.dumps({"config": {"n_atoms": 5}}))
    (run / "checkpoint.json").write_text("{}")
    out = tmp_path / "bundle"
    res = bundle_glass_run(run, out, keep=5, keep_decompression=3, records_name="glass5")
    assert res["frames"] == {"P_0GPa.extxyz.gz": [3, 7, 11, 15, 19], "P_0GPa_decompress.extxyz.gz": [6, 12, 19],
                             "P_10GPa.extxyz.gz": [3, 7, 11, 15, 19]}
    first = {p.name: p.read_bytes() for p in out.glob("*.gz")}
    bundle_glass_run(run, tmp_path / "again", keep=5, keep_decompression=3, records_name="glass5")
    assert first == {p.name: p.read_bytes() for p in (tmp_path / "again").glob("*.gz")}
    comp = simulated_frames_by_pressure(out)
    dec = simulated_frames_by_pressure(out, decompression=True)
    assert list(comp) == [0.0, 10.0] and list(dec) == [0.0]
    for got, ref in zip(comp[10.0], [made["P_10GPa"][i] for i in (3, 7, 11, 15, 19)], strict=True):
        np.testing.assert_allclose(got.positions, ref.positions, atol=1e-8)
        assert "momenta" not in got.arrays and got.info["step"] == ref.info["step"]
    assert [f.info["step"] for f in dec[0.0]] == [600, 1200, 1900]
    recs = sorted(p.name for p in (out / "records" / "glass5").iterdir())
    assert recs == ["P_0GPa.json", "P_0GPa_decompress.json", "P_10GPa.json", "run.json"]
    assert json.loads((out / "records" / "glass5" / "run.json").read_text())["bundled_frames"]["kept_indices"] == \
        res["frames"]


def test_copy_bundled_elf_takes_a_finished_bundle_as_it_is(tmp_path):
    """Rebundling with an ELF bundle already made (no GPAW folder) copies its three files byte for byte and reads
    the analyses back; a folder holding neither is refused naming the missing file."""
    from hpglass.demo_study_data import copy_bundled_elf

    src = SIM / DEMO_ELF["folder"]
    p = DEMO_ELF["pressures_GPa"][-1]
    got = copy_bundled_elf(src, p, tmp_path)
    for name in (elf_grid_name(p), f"elf_P_{p:g}GPa_summary.json", f"elf_P_{p:g}GPa_frame.extxyz"):
        assert (tmp_path / name).read_bytes() == (src / name).read_bytes()
    assert got["grid"] == tmp_path / elf_grid_name(p)
    assert got["full"]["per_species"] and got["bundled"]["per_species"]
    with pytest.raises(InputError, match=f"elf_P_{p:g}GPa_summary.json missing"):
        (tmp_path / "partial").mkdir()
        (tmp_path / "partial" / elf_grid_name(p)).write_bytes(b"")
        copy_bundled_elf(tmp_path / "partial", p, tmp_path / "out")
