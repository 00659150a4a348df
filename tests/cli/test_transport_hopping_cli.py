"""`hpglass transport hopping`: the known activation energy comes back; bad ranges give one-line errors."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from hpglass.cli.main import app

KB_EV = 8.617333262e-5


def _table(path, t, r):
    path.write_text("T_K,R_ohm\n" + "\n".join(f"{a:.6f},{b:.8e}" for a, b in zip(t, r, strict=True)) + "\n")
    return path


def test_arrhenius_recovered_and_ranked_first(tmp_path):
    t = np.linspace(120, 300, 80)
    r = 3.0 * np.exp(0.045 / (KB_EV * t)) * (1 + np.random.default_rng(1).normal(0, 0.002, t.size))
    run = CliRunner().invoke(app, ["transport", "hopping", str(_table(tmp_path / "s.csv", t, r)), "--json"])
    assert run.exit_code == 0, run.output
    d = json.loads(run.stdout)
    assert d["ranking"][0] == "arrhenius"
    # 0.2 % noise in R over a factor 2.5 in T: Ea to ±0.5 meV
    assert d["fits"]["arrhenius"]["ea_meV"] == pytest.approx(45.0, abs=0.5)


def test_mott_3d_recovered_within_range(tmp_path):
    t = np.linspace(5, 80, 120)
    r = 0.1 * np.exp((2.0e4 / t) ** 0.25)
    run = CliRunner().invoke(app, ["transport", "hopping", str(_table(tmp_path / "m.csv", t, r)), "--tmin", "10",
                                   "--json"])
    assert run.exit_code == 0, run.output
    d = json.loads(run.stdout)
    assert d["ranking"][0] == "mott3d"
    assert d["fits"]["mott3d"]["t0_K"] == pytest.approx(2.0e4, rel=1e-3)
    assert d["fits"]["mott3d"]["t_range_K"][0] >= 10


def test_metallic_curve_is_a_one_line_error(tmp_path):
    t = np.linspace(10, 300, 50)
    run = CliRunner().invoke(app, ["transport", "hopping", str(_table(tmp_path / "metal.csv", t, 1 + 0.01 * t))])
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1 and "metal.csv" in run.stderr and "Traceback" not in run.output
