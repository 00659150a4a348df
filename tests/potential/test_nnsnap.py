"""NN-SNAP descriptors, model, training and LAMMPS files — checked against LAMMPS's own ``pair_style mliap model nn``
(known weights), against the linear SNAP rows of ``compute snap`` and against a known network."""

import json
from pathlib import Path

import numpy as np
import pytest
from _labels import label_with, sheared_frames
from _lammps_available import needs_lammps

from hpglass.errors import InputError
from hpglass.potential import nnsnap as nn
from hpglass.potential.lammps_potential import lammps_rows, load_potential
from hpglass.potential.snap import SnapFit, SnapSpec, design_matrix, fit_snap, label_arrays

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
pytestmark = needs_lammps
FRAMES = Path(__file__).resolve().parents[2] / "data/glass80-sevennet"


def _configs(n=2):
    return sheared_frames(n)


def _random_model(data, arch, seed, gain):
    """A network with PyTorch's default initialisation × ``gain`` (gain > 1 drives the tanh units into their
    non-linear range), standardised on ``data``."""
    torch.manual_seed(seed)
    model = nn.NNSnapModel(len(data.spec.elements), data.spec.n_bispectrum, arch)
    nn.standardise(model, data)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(gain)
    return model


def _as_fit(data, model):
    return nn.NNSnapFit(data.spec, model.arch, model, {}, {}, {})


@pytest.fixture(scope="module")
def six_data():
    configs = _configs()
    return configs, nn.nn_descriptors(configs, SnapSpec(twojmax=6))


@pytest.fixture(scope="module")
def six(six_data):
    """2J = 6, 2 × 32 tanh: the production settings; a random network exported to LAMMPS."""
    configs, data = six_data
    return configs, data, _random_model(data, nn.NNArch((32, 32)), seed=3, gain=2.0)


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    """2J = 4, 2 × 16 tanh: a known network labels the configurations through LAMMPS (as a teacher would)."""
    configs = _configs()
    spec = SnapSpec(twojmax=4)
    data = nn.nn_descriptors(configs, spec)
    arch = nn.NNArch((16, 16))
    teacher = _random_model(data, arch, seed=1, gain=1.5)
    pot = nn.write_nnsnap_potential(tmp_path_factory.mktemp("teacher"), _as_fit(data, teacher))
    labelled = label_with(configs, load_potential(pot).calculator())
    return configs, data, arch, teacher, label_arrays(labelled, data.design)


@pytest.mark.parametrize("arch", [nn.NNArch((32, 32), "tanh"), nn.NNArch((8,), "sigmoid")], ids=str)
def test_exported_network_reproduces_lammps_mliap_nn(six_data, arch, tmp_path):
    """The model files run by ``pair_style hybrid/overlay zbl … mliap model nn … descriptor sna …`` give the torch
    model's values. Energies and forces: 1e-8 relative (both double precision; measured ~1e-15). Virial: 1e-4 of
    the largest component — the model's is the forward strain difference δ = 1e-6 (truncation ~1e-6 relative,
    measured 3e-6); a sign, frame or Voigt-order error would be O(1)."""
    configs, data = six_data
    model = _random_model(data, arch, seed=3, gain=2.0 if arch.activation == "tanh" else 6.0)
    pot = nn.write_nnsnap_potential(tmp_path / "pot", _as_fit(data, model))
    pred = nn.predict_rows(model, data)
    y = lammps_rows(pot, configs)
    k = data.design.kind
    e, f, v = (k == 0), (k == 1), (k == 2)
    assert np.allclose(pred[e], y[e], rtol=1e-8, atol=0)
    assert np.abs(pred[f] - y[f]).max() < 1e-8 * np.abs(y[f]).max()
    assert np.abs(pred[v] - y[v]).max() < 1e-4 * np.abs(y[v]).max()
    # the network, not the ZBL core, carries the values compared
    nn_part = y - data.design.ref
    assert np.abs(nn_part[f]).max() > 1.0 and np.abs(nn_part[v]).max() > 10.0
    # the ASE calculator of the potential directory runs the same potential
    a = configs[1].copy()
    a.calc = load_potential(pot).calculator()
    assert a.get_potential_energy() == pytest.approx(pred[np.flatnonzero(e)[1]], rel=1e-8)


def test_descriptor_rows_match_linear_snap_design(six):
    """With a per-element linear energy β·B_i the NN-SNAP rows (pairs of −∂B_i/∂r_j, finite-strain virial) equal
    the linear SNAP design of ``compute snap`` (sums of B, −∂B/∂r, exact Σ r ⊗ ∂B/∂r virial): forces to 1e-10,
    virial to 1e-4 of its scale (the finite difference)."""
    configs, data, _ = six
    spec = data.spec
    design = design_matrix(configs, spec)
    beta = np.random.default_rng(5).normal(size=(len(spec.elements), spec.n_bispectrum))
    coef = np.concatenate([np.r_[0.0, b] for b in beta])
    lin = SnapFit(spec, coef, {}, 0.0, {}).predict(design)
    rows = []
    for t, b, pr, g, w in zip(data.types, data.B, data.pairs, data.dB, data.dBde):
        bt = beta[t]  # (N, K): β of each atom's element
        f = np.zeros((len(t), 3))
        np.add.at(f, pr[:, 1], np.einsum("pk,pdk->pd", bt[pr[:, 0]], g))
        rows.append(np.r_[np.sum(bt * b), f.ravel(), np.einsum("ik,idk->d", bt, w)])
    ours = np.concatenate(rows) + data.design.ref
    k = data.design.kind
    assert np.abs(ours - lin)[k < 2].max() < 1e-10 * np.abs(lin[k < 2]).max()
    assert np.abs(ours - lin)[k == 2].max() < 1e-4 * np.abs(lin[k == 2]).max()
    assert np.abs(lin[k == 2] - design.ref[k == 2]).max() > 1.0


def test_model_file_round_trip_and_lammps_limits(six, tmp_path):
    """The ``model nn`` file stores every parameter exactly (repr of doubles) and keeps LAMMPS's reader limits
    (≤ 30 numbers and < 1024 characters a line); the potential directory records the pair style and hashes."""
    _, data, model = six
    pot = nn.write_nnsnap_potential(tmp_path / "pot", _as_fit(data, model), name="X")
    text = (pot / "X.mliap.model").read_text()
    assert text.splitlines()[3] == "NET 30 3 tanh 32 tanh 32 linear 1"
    assert text.splitlines()[2] == f"2 {(30 + 1) * 32 + (32 + 1) * 32 + 33}"
    body = [ln for ln in text.splitlines() if ln and not ln.startswith("#")][2:]
    assert max(len(ln.split()) for ln in body) <= 30 and max(len(ln) for ln in text.splitlines()) < 1024
    back = nn.load_nnsnap_model(pot)
    for a, b in zip(model.state_dict().values(), back.state_dict().values()):
        assert torch.equal(a, b)
    meta = json.loads((pot / "potential.json").read_text())
    assert "mliap model nn {dir}/X.mliap.model descriptor sna {dir}/X.mliap.descriptor" in meta["pair_style"]
    assert meta["pair_coeff"][-1] == "* * mliap Sb Se" and meta["fit"]["kind"] == "nnsnap"
    (pot / "X.mliap.model").write_text(text.replace("NET", "NOT", 1))
    with pytest.raises(InputError, match="SHA-256"):
        nn.load_nnsnap_model(pot)
    with pytest.raises(InputError, match="NET"):
        nn.model_from_mliap_nn(pot / "X.mliap.model")


def test_fit_recovers_a_known_network(four):
    """Labels made by a network of the same architecture (through LAMMPS and the ASE calculator, so the label
    rotation is exercised) are fitted back from another initialisation. The teacher is in the model class, so the
    loss can reach zero; 50 Adam epochs + 300 L-BFGS iterations reach ~2 % of the network's force signal (measured
    F 0.03 eV/Å against 1.6): the test asks for < 5 %. A wrong gradient sign or layout would leave errors of the
    size of the signal."""
    _, data, arch, _, y = four
    fit = nn.fit_nnsnap(data, y, arch=arch, epochs=50, lr=1e-2, lbfgs_steps=300, seed=0)
    signal = np.sqrt(np.mean((y - data.design.ref)[data.design.kind == 1] ** 2))
    assert signal > 1.0
    assert fit.rmse["force_eV_A"] < 0.05 * signal
    assert fit.rmse["energy_meV_atom"] < 2.0 and fit.rmse["pressure_GPa"] < 0.2


def test_network_fits_what_a_linear_snap_cannot(four):
    """The same labels fitted by the linear SNAP of the same descriptors (ridge 1e-10) keep a force error > 10× the
    network's: the model is non-linear in B (measured: linear 0.58, network 0.03 eV/Å)."""
    configs, data, arch, _, y = four
    design = design_matrix(configs, data.spec)
    linear = fit_snap(design, y, alpha=1e-10)  # the same configurations, the same row layout
    fit = nn.fit_nnsnap(data, y, arch=arch, epochs=0, lbfgs_steps=300, seed=0)
    assert linear.rmse["force_eV_A"] > 0.3
    assert fit.rmse["force_eV_A"] < 0.1 * linear.rmse["force_eV_A"]


def test_training_is_deterministic_and_warns_when_stopped_early(four):
    """Same seed → the same weights bit for bit (one thread, mini-batches of two configurations); another seed →
    other weights; 30 epochs leave the loss falling, which the fit reports."""
    _, data, arch, _, y = four
    a = nn.fit_nnsnap(data, y, arch=arch, epochs=30, batch_configs=2, seed=7)
    b = nn.fit_nnsnap(data, y, arch=arch, epochs=30, batch_configs=2, seed=7)
    c = nn.fit_nnsnap(data, y, arch=arch, epochs=30, batch_configs=2, seed=8)
    pa, pb, pc = (torch.cat([p.flatten() for p in f.model.parameters()]) for f in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)
    assert any("still falling" in w for w in a.warnings)


def test_bad_input():
    with pytest.raises(InputError, match="quadratic"):
        nn.nn_descriptors(_configs(1)[:1], SnapSpec(twojmax=4, quadratic=True))
    with pytest.raises(InputError, match="dispersion"):
        nn.nn_descriptors(_configs(1)[:1], SnapSpec(twojmax=4, dispersion="zero"))
    with pytest.raises(InputError, match="activation"):
        nn.NNArch((8,), "relu")
    with pytest.raises(InputError, match="at least one node"):
        nn.NNArch(())


def test_labels_must_match_rows(four):
    _, data, arch, _, y = four
    with pytest.raises(InputError, match="labels"):
        nn.fit_nnsnap(data, y[:-1], arch=arch, epochs=1)


def test_validate_potential_runs_an_nnsnap_directory(four, tmp_path):
    """``validate_potential`` evaluates any potential directory in LAMMPS: the known network's own labels give
    zero error (1e-6 eV/Å: double precision), a perturbed copy of the labels does not."""
    from ase.io import write

    from hpglass.potential.workflow import validate_potential

    configs, data, _, teacher, _ = four
    pot = nn.write_nnsnap_potential(tmp_path / "pot", _as_fit(data, teacher))
    labelled = label_with(configs, load_potential(pot).calculator())
    for i, a in enumerate(labelled):
        a.info.update(source="frames", uid=f"c{i}", teacher="known-nn")
    write(tmp_path / "data.extxyz", labelled, format="extxyz")
    assert validate_potential(pot, [tmp_path / "data.extxyz"])["overall"]["force_eV_A"] < 1e-6
    for a in labelled:
        a.calc.results["forces"] = a.calc.results["forces"] + 0.1
    write(tmp_path / "shifted.extxyz", labelled, format="extxyz")
    assert validate_potential(pot, [tmp_path / "shifted.extxyz"])["overall"]["force_eV_A"] == pytest.approx(0.1, rel=1e-3)
