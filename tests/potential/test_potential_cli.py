"""`hpglass potential fit|validate` on data labelled by a known SNAP: the fit must reproduce it."""

import json
from pathlib import Path

import numpy as np
from _lammps_available import needs_lammps
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read
from typer.testing import CliRunner

from hpglass.cli.main import app
from hpglass.potential import dataset as ds
from hpglass.potential.lammps_potential import load_potential
from hpglass.potential.snap import SnapFit, SnapSpec, design_matrix, write_snap_potential

pytestmark = needs_lammps
FRAMES = Path(__file__).resolve().parents[2] / "data/glass80-sevennet"


def _data(tmp_path):
    spec = SnapSpec(twojmax=2, dispersion=None)
    configs = read(FRAMES / "P_0GPa.extxyz", index=":6") + read(FRAMES / "P_40GPa.extxyz", index=":6")
    for i, a in enumerate(configs):
        a.calc = None
        a.rattle(0.04, seed=i)
        ds._tag(a, "frames" if i % 2 else "crystal")
    design = design_matrix(configs, spec)
    coef = np.random.default_rng(1).normal(size=design.A.shape[1]) * 0.02
    coef[0], coef[1 + spec.n_per_type] = -3.0, -2.5
    truth = write_snap_potential(tmp_path / "truth", SnapFit(spec, coef, {}, 0.0, {}))
    calc = load_potential(truth).calculator()
    out = []
    for a in configs:
        a.calc = calc
        e, f, s = a.get_potential_energy(), a.get_forces(), a.get_stress()
        a.calc = SinglePointCalculator(a, energy=e, forces=f, stress=s)
        a.info["teacher"] = "known-snap"
        out.append(a)
    return ds.write_dataset(tmp_path / "data.extxyz", out, {"teacher": "known-snap"})


def test_fit_and_validate_reproduce_a_known_snap(tmp_path):
    data = _data(tmp_path)
    r = CliRunner().invoke(app, ["potential", "fit", str(data), "--out", str(tmp_path / "pot"), "--twojmax", "2",
                                 "--alpha", "1e-12", "--test-fraction", "0.25", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["n_test"] == 4 and res["passed"]  # 25 % of each source of 6, rounded
    assert res["test"]["overall"]["force_eV_A"] < 1e-4 and res["test"]["overall"]["pressure_GPa"] < 1e-3
    meta = json.loads((tmp_path / "pot/potential.json").read_text())
    assert meta["data"]["sha256"] and meta["teacher"]["teacher"] == "known-snap"
    r = CliRunner().invoke(app, ["potential", "validate", str(tmp_path / "pot"), str(data), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["overall"]["force_eV_A"] < 1e-4


def test_fit_refuses_unlabelled_data(tmp_path):
    from ase.io import write

    write(tmp_path / "bare.extxyz", read(FRAMES / "P_0GPa.extxyz", index=0))
    r = CliRunner().invoke(app, ["potential", "fit", str(tmp_path / "bare.extxyz"), "--out", str(tmp_path / "p")])
    assert r.exit_code == 2
    assert "no energy/forces/stress" in r.output


def test_fit_pod_model_writes_a_pod_that_validate_reads(tmp_path):
    """``--model pod``: a POD fitted to the known SNAP's labels; its held-out errors (a different basis, so not
    zero) are what ``validate`` recomputes from the written files."""
    data = _data(tmp_path)
    r = CliRunner().invoke(app, ["potential", "fit", str(data), "--out", str(tmp_path / "pod"), "--model", "pod",
                                 "--pod-linear", "--pod-rcut", "5", "--test-fraction", "0.25", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert load_potential(tmp_path / "pod").metadata["fit"]["kind"] == "pod"
    r = CliRunner().invoke(app, ["potential", "validate", str(tmp_path / "pod"), str(data), "--json"])
    assert r.exit_code == 0, r.output
    test_f = res["test"]["overall"]["force_eV_A"]
    assert 0 < test_f < 0.5
    # validate scores all 12 configurations, the fit's test only 4: the same potential, so the same order
    assert json.loads(r.stdout)["overall"]["force_eV_A"] < 2 * test_f


@needs_lammps
def test_fit_pod_basis_options_reach_the_written_param_file(tmp_path):
    """``--pod-radial`` / ``--pod-angular`` set the basis LAMMPS reads (a larger basis: more coefficients)."""
    data = _data(tmp_path)
    args = ["potential", "fit", str(data), "--model", "pod", "--pod-linear", "--test-fraction", "0.25", "--json"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "big"), "--pod-radial", "10,7,5", "--pod-angular",
                                 "6,4"])
    assert r.exit_code == 0, r.output
    param = (tmp_path / "big/SbSe_param.pod").read_text()
    for line in ("twobody_number_radial_basis_functions 10", "threebody_number_radial_basis_functions 7",
                 "fourbody_number_radial_basis_functions 5", "threebody_angular_degree 6", "fourbody_angular_degree 4"):
        assert line in param
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "small")])
    assert r.exit_code == 0, r.output
    n = {k: len((tmp_path / k / "SbSe_coefficients.pod").read_text().split()) for k in ("big", "small")}
    assert n["big"] > n["small"]
    for bad, flag in ((["--pod-radial", "8,6"], "--pod-radial"), (["--pod-radial", "4,6,4"], "--pod-radial"),
                      (["--pod-angular", "x,3"], "--pod-angular")):
        r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "bad"), *bad])
        assert r.exit_code == 2 and flag in r.output, r.output
    assert not (tmp_path / "bad").exists()


def test_fit_refuses_an_unknown_model(tmp_path):
    data = _data(tmp_path)
    r = CliRunner().invoke(app, ["potential", "fit", str(data), "--out", str(tmp_path / "p"), "--model", "ace"])
    assert r.exit_code == 2
    assert "--model must be snap or pod" in r.output


def test_fit_weights_per_data_set(tmp_path):
    """``--weights``: one per data set, recorded in potential.json; a wrong count or a non-number is refused."""
    data = _data(tmp_path)
    r = CliRunner().invoke(app, ["potential", "fit", str(data), "--out", str(tmp_path / "w"), "--twojmax", "2",
                                 "--weights", "4", "--test-fraction", "0.25", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "w/potential.json").read_text())["data"]["weights"] == {"data.extxyz": 4.0}
    for bad, msg in (("1,2", "one positive weight per data set"), ("x", "comma-separated numbers"),
                     ("0", "one positive weight per data set")):
        r = CliRunner().invoke(app, ["potential", "fit", str(data), "--out", str(tmp_path / "b"), "--weights", bad])
        assert r.exit_code == 2, (bad, r.output)
        assert msg in r.output


def test_fit_train_only_keeps_a_set_out_of_the_held_out_split(tmp_path):
    """``--train-only``: every configuration of that set is trained on, none held out; the other set is split as
    before; a path that is not one of the data sets is refused."""
    data = _data(tmp_path)
    other = ds.write_dataset(tmp_path / "other.extxyz", ds.read_dataset(data), {"teacher": "known-snap"})
    args = ["potential", "fit", str(data), str(other), "--out", str(tmp_path / "t"), "--twojmax", "2",
            "--test-fraction", "0.25", "--json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    split_both = json.loads(r.stdout)
    r = CliRunner().invoke(app, [*args, "--train-only", str(other)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["n_test"] == 4 and res["n_train"] == 20  # 25 % of data.extxyz's 12 only
    assert split_both["n_test"] == 6 and split_both["n_train"] == 18  # 25 % of each source of 12
    assert json.loads((tmp_path / "t/potential.json").read_text())["data"]["train_only"] == ["other.extxyz"]
    r = CliRunner().invoke(app, [*args, "--train-only", str(tmp_path / "nope.extxyz")])
    assert r.exit_code == 2 and "not one of the data sets" in r.output
