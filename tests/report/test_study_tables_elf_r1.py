"""The study's crystal r1 references (Pnma from relaxed structures) and ELF numbers reach its JSON and CSV tables.

Known answers: a simple-cubic crystal's broadened first g(r) maximum sits at d − 2σ²/d (an isolated shell of
Gaussians in the RDF divided by r², see hpglass.series.crystal_reference); the ELF row holds exactly the numbers of
the study's ELF analysis; the CSV tables read back with pandas to the same values.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from hpglass.demo_data import demo_folder
from hpglass.errors import InputError
from hpglass.study.pieces import pnma_r1_from_structures, reference_piece
from hpglass.study.results import ELF_COLUMNS, PhaseDiagram, SimulationPoint, SimulationRunResult, StudyResult
from hpglass.study.tables import rows_to_csv, table_rows

SIGMA = 0.08
CRYSTALS = demo_folder() / "simulated" / "crystals"


def _simple_cubic(path, a: float) -> None:
    from ase import Atoms
    from ase.io import write

    write(path, Atoms("Se", cell=[a, a, a], pbc=True, scaled_positions=[[0, 0, 0]]), format="extxyz")


def _result(references=None, simulation=()) -> StudyResult:
    return StudyResult(name="t", source="t.toml", composition="Sb2Se3", settings={"analysis": {"tc_criterion": "50"}},
                       diffraction=(), transport=(), simulation=tuple(simulation), references=references,
                       phase_diagram=PhaseDiagram((), (), (), None, None), crystal_density_g_cm3=None, versions={},
                       cache={}, timings_s={})


def _read_back(rows, comment) -> pd.DataFrame:
    text = rows_to_csv(rows, comment)
    assert all(line.startswith("# ") for line in text.splitlines()[:len(comment.splitlines())])
    return pd.read_csv(io.StringIO(text), comment="#")


def test_r1_of_relaxed_structures_known_answer(tmp_path):
    """Simple cubic (one shell at d = a up to √2·a): r1 = d − 2σ²/d. Tolerance 1e-4 Å: the formula's next-order term
    (≈ 4σ⁴/d³ ≈ 1e-5 Å) and the parabola refinement on the 0.005 Å grid are both below it. The structures come
    back sorted by pressure whatever their order."""
    files = []
    for p, a in ((30.0, 2.6), (0.0, 2.8)):
        _simple_cubic(tmp_path / f"sc_{p:g}.extxyz", a)
        files.append({"pressure_GPa": p, "file": str(tmp_path / f"sc_{p:g}.extxyz")})
    pp, r1 = pnma_r1_from_structures(files, SIGMA)
    assert list(pp) == [0.0, 30.0]
    for d, got in zip((2.8, 2.6), r1, strict=True):
        assert got == pytest.approx(d - 2 * SIGMA**2 / d, abs=1e-4)


def test_bad_structure_file_names_it(tmp_path):
    bad = tmp_path / "broken.extxyz"
    bad.write_text("3\nnot a header\nSe 0 0\n")
    with pytest.raises(InputError) as err:
        pnma_r1_from_structures([{"pressure_GPa": 0.0, "file": str(bad)}], SIGMA)
    assert "broken.extxyz" in str(err.value) and err.value.field.endswith("pnma_structures")


def test_reference_piece_uses_the_relaxed_pnma_structures():
    """Pnma r1 on the structures' own pressures (not the study's grid), bcc on the grid along the crystal EOS; the
    bundled SevenNet-0 Pnma structures give r1 in the Sb–Se bond range and a shorter r1 at 60 than at 0 GPa."""
    files = [{"pressure_GPa": p, "file": str(CRYSTALS / f"pnma_P_{p}GPa.extxyz")} for p in (60, 0)]
    task = {"eos": {"form": "bm3", "rho0_g_cm3": 5.3031, "K0_GPa": 10.739, "K0p": 9.732, "label": "Pnma"},
            "pressures_GPa": [0.0, 8.0, 70.0], "bcc": True, "occupancy": {"Sb": 0.4, "Se": 0.6}, "sigma_A": SIGMA,
            "pnma_structures": files, "pnma_coordinates": None}
    out = reference_piece(task)
    assert list(out["pressures_by_curve"]["Pnma"]) == [0.0, 60.0]
    assert 2.6 < out["curves"]["Pnma"][1] < out["curves"]["Pnma"][0] < 2.9
    assert len(out["curves"]["bcc"]) == 3 and "bcc" not in out["pressures_by_curve"]
    # into the JSON and tables/crystal_r1.csv, each curve on its own pressures
    res = _result(out)
    assert {k: list(v) for k, v in res.crystal_r1_curves().items()} == {"bcc": [0.0, 8.0, 70.0], "Pnma": [0.0, 60.0]}
    ref = json.loads(json.dumps(res.to_dict()))["crystal_references"]
    assert ref["r1_pressure_GPa"]["Pnma"] == [0.0, 60.0] and len(ref["r1_A"]["Pnma"]) == 2
    rows, comment = table_rows(res)["crystal_r1"]
    assert "first maximum" in comment and "reference_sigma_A" in comment
    df = _read_back(rows, comment)
    pn = df[df.crystal == "Pnma"]
    np.testing.assert_allclose(pn.pressure_GPa, [0.0, 60.0])
    np.testing.assert_allclose(pn.r1_A, out["curves"]["Pnma"], rtol=1e-9)
    assert pn.crystal_eos_density_g_cm3.isna().all() and df[df.crystal == "bcc"].crystal_eos_density_g_cm3.notna().all()


@pytest.fixture(scope="module")
def elf_point():
    from hpglass.study.elf_grids import analyse_elf_grid

    e = analyse_elf_grid(demo_folder() / "simulated" / "elf" / "elf_P_30GPa.cube.gz",
                         {"Sb-Se": 3.3, "Sb-Sb": 3.3, "Se-Se": 3.0}, 30.0)
    summary = {"n_frames": 4, "density_g_cm3": 8.47, "density_g_cm3_sem": 0.01, "elf": e["summary"]}
    return SimulationPoint(run="sim", pressure_GPa=30.0, label="30 GPa", file="P_30GPa.extxyz", summary=summary,
                           arrays={"elf": e["arrays"]}), e["summary"]


def test_elf_numbers_in_json_and_csv(elf_point):
    point, s = elf_point
    d = json.loads(json.dumps(point.to_dict()))
    assert d["elf_bond_midpoint_mean"] == s["bond_midpoint"]["mean"]
    assert d["elf_bond_midpoint_sem"] == s["bond_midpoint"]["sem"]
    assert d["elf_fraction_near_half"] == s["fraction_near_half"] and d["elf_mean"] == s["mean_elf"]
    assert d["elf_fraction_above_0.7"] == s["fraction_above_0.7"]
    assert d["elf_mean_Sb"] == s["per_species"]["mean_elf_by_species"]["Sb"]
    assert d["elf_bond_midpoint_mean_Sb-Se"] == s["bond_midpoint"]["by_pair"]["Sb-Se"]["mean"]
    # the frames' spread: s = SEM·√n (hpglass structure's SEM is s/√n, ddof = 1)
    assert d["density_std_g_cm3"] == pytest.approx(0.01 * 2.0)
    run = SimulationRunResult(name="sim", direction="compression", provenance="SIMULATED", points=(point,))
    tables = table_rows(_result(simulation=[run]))
    rows, comment = tables["elf"]
    for col, (_, definition) in ELF_COLUMNS.items():
        assert f"{col}: {definition}" in comment
    df = _read_back(rows, comment)
    assert len(df) == 1 and df.pressure_GPa[0] == 30.0
    assert df.elf_bond_midpoint_mean[0] == pytest.approx(s["bond_midpoint"]["mean"], rel=1e-9)
    assert df.elf_n_bonds[0] == s["bond_midpoint"]["n_bonds"]
    assert df["elf_fraction_above_0.7"][0] == pytest.approx(s["fraction_above_0.7"], rel=1e-9)
    # the simulation table carries them too, and a point without ELF adds no ELF row
    assert "elf_mean" in tables["simulation"][0][0]
    bare = SimulationPoint(run="sim", pressure_GPa=0.0, label="0 GPa", file="P_0GPa.extxyz",
                           summary={"n_frames": 1, "density_g_cm3": 5.1}, arrays={})
    assert bare.elf_row() == {} and bare.density_std_g_cm3 is None
