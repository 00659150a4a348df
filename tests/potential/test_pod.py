"""POD descriptors, fit and potential files — checked against LAMMPS's own pair_style pod (known coefficients)."""

from pathlib import Path

import numpy as np
import pytest
from _labels import label_with, sheared_frames
from _lammps_available import needs_lammps
from ase.io import write

from hpglass.errors import InputError
from hpglass.potential.lammps_potential import load_potential
from hpglass.potential.pod import PodSpec, n_pod_coefficients, pod_design_matrix, write_pod_potential
from hpglass.potential.snap import SnapFit, fit_snap, label_arrays

pytestmark = needs_lammps
FRAMES = Path(__file__).resolve().parents[2] / "data/glass80-sevennet"
# small basis with every descriptor kind (2-, 3-, 4-body and the three products) so each path is exercised fast
SPEC = PodSpec(rcut=5.0, nrbf2=4, nrbf3=3, p3=2, nrbf4=2, p4=1, nrbf33=2, p33=1, nrbf34=2, p34=1, nrbf44=1,
               p44=0)


def _configs(n=3):
    return sheared_frames(n)


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    configs = _configs()
    design = pod_design_matrix(configs, SPEC)
    coef = np.random.default_rng(3).normal(size=design.A.shape[1]) * 0.02
    per = design.A.shape[1] // 2
    coef[0], coef[per] = -3.0, -2.5  # one-body: isolated-atom energies
    fit = SnapFit(SPEC, coef, {}, 0.0, {})
    pot_dir = write_pod_potential(tmp_path_factory.mktemp("pod"), fit)
    labelled = label_with(configs, load_potential(pot_dir).calculator())
    return configs, design, fit, pot_dir, labelled


def test_design_rows_reproduce_lammps_pair_pod(known):
    """A · c + ZBL reference = what ``pair_style hybrid/overlay zbl pod`` gives.

    Energies and forces: 1e-9 relative (the same double-precision sums). Virial: 1e-4 of the largest virial
    component — the rows are a forward difference with δ = 1e-6 (truncation ~1e-6 relative per column, amplified
    by cancellation between columns of the random coefficients); a sign or frame error would be O(1)."""
    _, design, fit, _, labelled = known
    y = label_arrays(labelled, design)
    pred = fit.predict(design)
    ef = design.kind < 2
    assert np.allclose(pred[ef], y[ef], rtol=1e-9, atol=1e-9 * np.abs(y[ef]).max())
    v = design.kind == 2
    assert np.abs(pred[v] - y[v]).max() < 1e-4 * np.abs(y[v]).max()
    assert np.abs(y[v]).max() > 1.0  # the virial rows are not trivially zero


def test_fit_recovers_a_known_pod(known):
    """Labels made by a POD are fitted back (the model is in the span): forces to 1e-4 eV/Å; pressure to the
    finite-difference virial's accuracy (1e-3 GPa)."""
    _, design, _, _, labelled = known
    y = label_arrays(labelled, design)
    refit = fit_snap(design, y, alpha=1e-14)
    assert refit.rmse["force_eV_A"] < 1e-4 and refit.rmse["energy_meV_atom"] < 0.1
    assert refit.rmse["pressure_GPa"] < 1e-3
    noisy = y + np.random.default_rng(0).normal(0, 0.05, y.shape)
    assert fit_snap(design, noisy).rmse["force_eV_A"] > 0.01


def test_descriptor_count_is_lammps_own():
    """The column count is what LAMMPS reports, and grows with the basis (products add columns)."""
    n_small = n_pod_coefficients(PodSpec(nrbf2=4, nrbf3=3, p3=2, nrbf4=2, p4=1).param_text())
    assert n_small < SPEC.n_columns
    assert SPEC.n_columns % 2 == 0  # one block per element


def test_spec_checks():
    with pytest.raises(InputError, match="rin < rcut"):
        PodSpec(rin=6.0, rcut=5.0)
    with pytest.raises(InputError, match="must not grow"):
        PodSpec(nrbf2=4, nrbf3=6)


def test_fit_and_validate_round_trip(known, tmp_path):
    """``fit_potential`` with a PodSpec writes a loadable POD directory whose ``validate_potential`` errors equal
    the fit's own held-out errors (same descriptors, same coefficients read back from the file)."""
    from hpglass.potential.workflow import fit_potential, validate_potential

    labelled = known[4]
    more = label_with(_configs(6)[3:] + _configs(6)[9:], load_potential(known[3]).calculator())
    data = tmp_path / "data.extxyz"
    for i, a in enumerate(labelled + more):
        a.info.update(source="frames", uid=f"c{i}", teacher="known-pod")
    write(data, labelled + more, format="extxyz")
    res = fit_potential([data], tmp_path / "pot", spec=SPEC, test_fraction=0.3, seed=1, alpha=1e-12)
    assert res["n_test"] >= 1
    assert res["test"]["overall"]["force_eV_A"] < 1e-3  # labels from a POD of the same basis
    report = validate_potential(tmp_path / "pot", [data])
    assert report["overall"]["force_eV_A"] < 1e-3
    pot = load_potential(tmp_path / "pot")
    assert pot.metadata["fit"]["kind"] == "pod" and "pod" in pot.pair_style
