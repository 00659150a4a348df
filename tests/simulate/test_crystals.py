"""Crystal references: the shipped Pnma cell, the bcc supercell, relaxation under pressure (EMT Cu against its own
equation of state), ladders with files and resume."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.eos import EquationOfState
from ase.io import read
from scipy.optimize import brentq

from hpglass.errors import InputError
from hpglass.series.crystal_reference import VOUTSAS_1985, sb_se_neighbours
from hpglass.simulate import density_g_cm3
from hpglass.simulate.crystals import bcc_sb2se3_cell, ladder_file_name, pnma_sb2se3, relax_ladder, relax_under_pressure

FMAX = 0.01


# -- structures ------------------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning:spglib")
def test_pnma_cell_is_the_shipped_pbe_structure():
    spglib = pytest.importorskip("spglib")
    atoms = pnma_sb2se3()
    assert Counter(atoms.get_chemical_symbols()) == {"Sb": 8, "Se": 12}
    assert np.allclose(atoms.cell.lengths(), [4.0285177225199735, 11.5418767535567088, 12.8369555896708700])
    cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
    assert spglib.get_spacegroup(cell, symprec=1e-3) == "Pnma (62)"
    # PBE (no dispersion) swells the layered crystal: 5.346 g/cm³ vs 5.83 for the experimental cell
    assert density_g_cm3(atoms) == pytest.approx(5.3464, abs=5e-4)
    v = VOUTSAS_1985
    rho_exp = 20 * atoms.get_masses().mean() / (v["a_A"] * v["b_A"] * v["c_A"]) * 1.66053906660
    assert rho_exp == pytest.approx(5.83, abs=0.01)
    # two Sb sites, 4 atoms each; every Sb–Se distance below 3.3 Å lies in Voutsas's overall range ± 0.05 Å
    shells = sb_se_neighbours(atoms, r_cut=3.3)
    assert len({tuple(np.round(d, 3)) for d in shells}) == 2
    lo = min(v["sb1_se_range_A"][0], v["sb2_se_range_A"][0]) - 0.05
    hi = max(v["sb1_se_range_A"][1], v["sb2_se_range_A"][1]) + 0.05
    assert all(lo <= d.min() and d.max() <= hi and len(d) >= 5 for d in shells)


def test_bcc_cell_holds_exactly_2_to_3():
    atoms = bcc_sb2se3_cell(density_g_cm3=7.5, seed=3)
    assert len(atoms) == 100 and Counter(atoms.get_chemical_symbols()) == {"Sb": 40, "Se": 60}
    assert density_g_cm3(atoms) == pytest.approx(7.5, rel=1e-6)  # ASE's masses vs IUPAC 2016 of Composition
    a = atoms.info["a_A"]
    assert np.allclose(atoms.cell.lengths(), [5 * a, 5 * a, 2 * a])
    d = atoms.get_all_distances(mic=True)[0]
    assert np.sort(d)[1] == pytest.approx(a * np.sqrt(3) / 2)  # bcc nearest neighbours
    assert atoms.get_chemical_symbols() != bcc_sb2se3_cell(seed=4).get_chemical_symbols()
    with pytest.raises(InputError, match="multiple of 5"):
        bcc_sb2se3_cell(repeat=(2, 2, 2))


# -- relaxation under pressure ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cu_eos():
    """EMT Cu: Birch–Murnaghan fit of E(V) of the perfect fcc cell → V(P) per atom."""
    prim = bulk("Cu", "fcc", a=3.6)
    volumes, energies = [], []
    for s in np.linspace(0.88, 1.03, 13):
        at = prim.copy()
        at.set_cell(prim.cell * s, scale_atoms=True)
        at.calc = EMT()
        volumes.append(at.get_volume())
        energies.append(at.get_potential_energy())
    eos = EquationOfState(volumes, energies, eos="birchmurnaghan")
    v0, _, b0 = eos.fit()
    _, b, bp, v0 = eos.eos_parameters

    def pressure(v):  # third-order Birch–Murnaghan P(V), eV/Å³
        x = (v0 / v) ** (2 / 3)
        return 1.5 * b * (x ** 3.5 - x ** 2.5) * (1 + 0.75 * (bp - 4) * (x - 1))

    def volume(p_GPa):
        return brentq(lambda v: pressure(v) - p_GPa * units.GPa, 0.6 * v0, 1.1 * v0, xtol=1e-10)

    return {"v0": v0, "B_GPa": b0 / units.GPa, "volume": volume}


def test_emt_bulk_modulus(cu_eos):
    assert cu_eos["B_GPa"] == pytest.approx(134, rel=0.03)  # ASE's documented EMT value for Cu: 134 GPa


def _rattled_cu():
    atoms = bulk("Cu", "fcc", a=3.65, cubic=True).repeat(2)  # 32 atoms, 2 % too large a lattice
    atoms.rattle(0.03, seed=1)
    return atoms


@pytest.mark.parametrize("optimizer", ["fire", "bfgs"])
@pytest.mark.parametrize("pressure", [0.0, 10.0, 40.0])
def test_relaxed_volume_follows_the_eos(cu_eos, pressure, optimizer):
    start = _rattled_cu()
    before = start.get_positions().copy()
    res = relax_under_pressure(start, EMT(), pressure, fmax=FMAX, steps=300, optimizer=optimizer)
    assert np.array_equal(start.get_positions(), before) and start.calc is None  # the input is left alone
    assert res.converged and 0 < res.n_steps < 300
    # the filter's cell force is (σ + P)·V/N (eV/Å per component): |σ_ij + P δ_ij| < fmax·N/V ≈ 0.14 GPa here
    tol_GPa = FMAX / res.volume_per_atom_A3 / units.GPa
    stress = np.array(res.stress_GPa)
    assert np.all(np.abs(stress[:3] + pressure) < tol_GPa), stress
    assert np.all(np.abs(stress[3:]) < tol_GPa), stress
    assert abs(res.residual_pressure_GPa) < tol_GPa
    assert res.max_force_eV_A < FMAX
    # and the volume is the EOS's: B ≈ 134–300 GPa turns the stress tolerance into < 0.1 % of volume
    assert res.volume_per_atom_A3 == pytest.approx(cu_eos["volume"](pressure), rel=2e-3)
    assert res.enthalpy_per_atom_eV == pytest.approx(
        res.energy_per_atom_eV + pressure * units.GPa * res.volume_per_atom_A3)
    rec = res.to_dict()
    assert rec["a_A"] == pytest.approx(rec["b_A"], rel=1e-3) and rec["alpha_deg"] == pytest.approx(90, abs=0.1)
    json.dumps(rec)


def test_step_limit_reports_not_converged():
    res = relax_under_pressure(_rattled_cu(), EMT(), 5.0, fmax=1e-4, steps=3)
    assert not res.converged and res.n_steps == 3


def test_bad_relax_arguments():
    with pytest.raises(InputError, match="optimizer"):
        relax_under_pressure(_rattled_cu(), EMT(), 0.0, optimizer="lbfgs")
    with pytest.raises(InputError, match="fmax"):
        relax_under_pressure(_rattled_cu(), EMT(), 0.0, fmax=0)
    with pytest.raises(InputError, match="repeat"):
        relax_ladder(_rattled_cu(), [0, 10, 0], EMT, "unused")


# -- ladders ---------------------------------------------------------------------------------------------------------
class Counting:
    """A calculator factory that counts its calls (and can refuse to be called)."""

    def __init__(self, allowed=True):
        self.calls = 0
        self.allowed = allowed

    def __call__(self):
        assert self.allowed, "the calculator was asked for although nothing needed relaxing"
        self.calls += 1
        return EMT()


def test_ladder_files_tables_and_resume(cu_eos, tmp_path):
    factory = Counting()
    lad = relax_ladder(_rattled_cu(), [0, 10, 20], factory, tmp_path, name="cu", fmax=FMAX,
                       metadata={"potential": "emt"})
    assert factory.calls == 1 and lad.skipped == []
    vols = [r.volume_per_atom_A3 for r in lad.results]
    assert vols[0] > vols[1] > vols[2]
    for r in lad.results:
        assert r.volume_per_atom_A3 == pytest.approx(cu_eos["volume"](r.pressure_GPa), rel=2e-3)
    f10 = tmp_path / ladder_file_name("cu", 10.0)
    assert lad.files[10.0] == f10 and f10.name == "cu_P_10GPa.extxyz"
    at = read(f10)
    for key in ("pressure_GPa", "density_g_cm3", "energy_eV", "converged", "n_steps", "enthalpy_per_atom_eV"):
        assert key in at.info, key
    assert at.info["pressure_GPa"] == 10.0 and at.info["converged"] and at.info["potential"] == "emt"
    assert at.info["density_g_cm3"] == pytest.approx(density_g_cm3(at))
    table = json.loads((tmp_path / "cu_eos.json").read_text())
    assert [r["pressure_GPa"] for r in table["records"]] == [0.0, 10.0, 20.0]
    assert table["metadata"]["potential"] == "emt" and table["metadata"]["fmax"] == FMAX
    csv_lines = (tmp_path / "cu_eos.csv").read_text().splitlines()
    assert len(csv_lines) == 4 and csv_lines[0].split(",")[:3] == ["pressure_GPa", "density_g_cm3",
                                                                   "volume_per_atom_A3"]
    assert not list(tmp_path.glob(".*"))  # no temporary files left by the atomic writes

    # a second call does nothing and does not even build a calculator
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.glob("cu_P_*")}
    again = relax_ladder(_rattled_cu(), [0, 10, 20], Counting(allowed=False), tmp_path, name="cu", fmax=FMAX,
                         metadata={"potential": "emt"})
    assert again.skipped == [0.0, 10.0, 20.0]
    assert [r.volume_per_atom_A3 for r in again.results] == pytest.approx(vols, rel=1e-9)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("cu_P_*")} == mtimes

    # an interrupted ladder (its last file missing) relaxes only what is missing, from the previous pressure
    f20 = tmp_path / ladder_file_name("cu", 20.0)
    f20.unlink()
    factory = Counting()
    resumed = relax_ladder(_rattled_cu(), [0, 10, 20, 30], factory, tmp_path, name="cu", fmax=FMAX,
                           metadata={"potential": "emt"})
    assert factory.calls == 1 and resumed.skipped == [0.0, 10.0]
    assert resumed.results[2].volume_per_atom_A3 == pytest.approx(vols[2], rel=2e-3)
    assert resumed.results[3].volume_per_atom_A3 < vols[2]

    # finished files with other settings are refused before anything runs
    with pytest.raises(InputError, match="fmax"):
        relax_ladder(_rattled_cu(), [0, 40], Counting(allowed=False), tmp_path, name="cu", fmax=0.05,
                     metadata={"potential": "emt"})
    with pytest.raises(InputError, match="potential"):
        relax_ladder(_rattled_cu(), [0], Counting(allowed=False), tmp_path, name="cu", fmax=FMAX,
                     metadata={"potential": "lj"})
    assert not (tmp_path / ladder_file_name("cu", 40.0)).exists()
