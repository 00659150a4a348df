"""D3 through LAMMPS against an independent implementation (tad-dftd3) on a cluster."""

import numpy as np
import pytest
from _lammps_available import needs_lammps
from ase import Atoms

from hpglass.errors import InputError
from hpglass.potential.dispersion import d3_calculator, d3_pair_style

HARTREE_EV = 27.211386245988


def _cluster():
    rng = np.random.default_rng(5)
    pos = []
    while len(pos) < 14:  # 14 atoms, ≥ 2.6 Å apart, inside a 7 Å cube
        p = rng.uniform(0, 7, 3)
        if all(np.linalg.norm(p - q) > 2.6 for q in pos):
            pos.append(p)
    symbols = ["Sb", "Se"] * 7
    # 120 Å box: periodic images are > 100 Å away, beyond the 30 Å dispersion and 20 Å CN cutoffs
    return Atoms(symbols, positions=np.array(pos) + 56, cell=[120, 120, 120], pbc=True)


@needs_lammps
def test_lammps_d3_bj_matches_tad_dftd3():
    """PBE-D3(BJ) energy of a 14-atom Sb/Se cluster: LAMMPS vs tad-dftd3 (Ehlert et al.) to 0.1 %.

    Both use Grimme's reference C6 table; the tolerance allows for the two codes' different CN cutoff handling."""
    torch = pytest.importorskip("torch")
    d3 = pytest.importorskip("tad_dftd3")
    atoms = _cluster()
    atoms.calc = d3_calculator(("Sb", "Se"), "bj")
    e_lammps = atoms.get_potential_energy()
    numbers = torch.tensor(atoms.numbers)
    positions = torch.tensor(atoms.positions / 0.52917721067, dtype=torch.float64)
    param = {k: torch.tensor(v, dtype=torch.float64) for k, v in
             {"s6": 1.0, "s8": 0.7875, "a1": 0.4289, "a2": 4.4407}.items()}
    e_tad = float(d3.dftd3(numbers, positions, param).sum()) * HARTREE_EV
    assert e_lammps < 0
    assert e_lammps == pytest.approx(e_tad, rel=1e-3)


@needs_lammps
def test_zero_damping_runs_inside_hybrid():
    """"zero" is spelled "original" for LAMMPS: inside pair_style hybrid the word "zero" starts a new sub-style."""
    assert d3_pair_style("zero").split()[1] == "original"
    atoms = _cluster()
    atoms.calc = d3_calculator(("Sb", "Se"), "zero")
    e_zero = atoms.get_potential_energy()
    atoms.calc = d3_calculator(("Sb", "Se"), "bj")
    assert e_zero < 0 and abs(e_zero - atoms.get_potential_energy()) > 1e-3


def test_bad_damping_is_an_input_error():
    with pytest.raises(InputError):
        d3_pair_style("nonsense")
