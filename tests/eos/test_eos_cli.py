"""`hpglass eos fit|ff|crossover|refs` through typer's CliRunner (the lead registers the sub-app as `hpglass eos`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from hpglass.cli.eos import app
from hpglass.eos import forms


def _run(*args):
    r = CliRunner().invoke(app, [str(a) for a in args])
    data = json.loads(r.stdout) if r.exit_code == 0 and "--json" in args else None
    return r, data


@pytest.fixture
def tables(tmp_path):
    rng = np.random.default_rng(3)
    p = np.linspace(0.5, 20, 14)
    rho = 1 / forms.volume(p, {"V0": 1 / 4.9, "K0": 12.0, "K0p": 5.0}, "bm3")
    glass = tmp_path / "glass.csv"
    rows = [f"{a:.4f},{b:.5f},0.1,0.01" for a, b in zip(p + rng.normal(0, 0.1, p.size),
                                                         rho + rng.normal(0, 0.01, p.size))]
    glass.write_text("P_GPa,rho_g_cm3,sigma_P_GPa,sigma_rho_g_cm3\n" + "\n".join(rows) + "\n")
    pc = np.linspace(0.5, 10, 10)
    vc = forms.volume(pc, {"V0": 547.5, "K0": 30.0, "K0p": 6.0}, "bm3")
    xtal = tmp_path / "crystal.txt"
    rows = [f"{a:.4f} {b:.3f} 0.05 0.3" for a, b in zip(pc + rng.normal(0, 0.05, pc.size),
                                                         vc + rng.normal(0, 0.3, pc.size))]
    xtal.write_text("# composition: Sb2Se3\n# Z: 4\nP (GPa)  V (Å³/cell)  dP  dV\n" + "\n".join(rows) + "\n")
    return glass, xtal


def test_fit_json(tables):
    _, xtal = tables
    r, d = _run("fit", xtal, "--json")
    assert r.exit_code == 0, r.stderr
    for k in ("V0", "V0_err", "K0_GPa", "K0_err_GPa", "K0p", "K0p_err", "chi2_red", "form", "covariance",
              "n_points"):
        assert k in d
    assert d["V0"] == pytest.approx(547.5, abs=3 * d["V0_err"])
    assert d["K0_GPa"] == pytest.approx(30.0, abs=3 * d["K0_err_GPa"])
    assert d["rho0_g_cm3"] == pytest.approx(5.83, abs=0.03)
    r, d = _run("fit", xtal, "--form", "bm3", "--fix-K0p", "4", "--json")
    assert d["K0p"] == 4.0 and d["K0p_err"] == 0.0 and d["fixed"] == {"K0p": 4.0}
    r, _ = _run("fit", xtal)
    assert r.exit_code == 0 and "K0 (GPa)" in r.stdout


def test_ff(tables):
    _, xtal = tables
    r, d = _run("ff", xtal, "--json")
    assert r.exit_code == 0, r.stderr
    assert len(d["points"]["f"]) == 10 and d["line"]["K0p"] == pytest.approx(6.0, abs=1.0)
    r, _ = _run("ff", xtal)
    assert r.exit_code == 0 and "F (GPa)" in r.stdout


def test_crossover_two_tables_and_params(tables):
    glass, xtal = tables
    r, d = _run("crossover", glass, xtal, "--json", "--mc", "500")
    assert r.exit_code == 0, r.stderr
    assert 5 < d["pressure_GPa"] < 25 and d["err_GPa"] > 0
    assert d["monte_carlo"]["n_draws"] == 500
    r2, d2 = _run("crossover", glass, "--b-params", "V0=547.5,K0=30,K0p=6,K0_err=1", "--b-Z", "4",
                  "--composition", "Sb2Se3", "--json")
    assert r2.exit_code == 0, r2.stderr
    assert d2["pressure_GPa"] == pytest.approx(d["pressure_GPa"], abs=3 * d["err_GPa"])
    r3, d3 = _run("crossover", glass, "--b-params", "rho0=5.83,K0=30,K0p=6", "--json")
    assert r3.exit_code == 0 and d3["pressure_GPa"] == pytest.approx(d2["pressure_GPa"], rel=0.01)
    r4, d4 = _run("crossover", glass, "--b-ref", "Sb2Se3-Pnma", "--json")
    assert r4.exit_code == 0 and "ASSUMED" in d4["warning"]
    r5, d5 = _run("crossover", glass, "--b-params", "rho0=5.83,K0=30,K0p=6", "--p-max", "3", "--json")
    assert r5.exit_code == 0 and d5["pressure_GPa"] is None and "no crossing" in d5["reason"]
    r6, _ = _run("crossover", glass, xtal)
    assert r6.exit_code == 0 and "crossover" in r6.stdout


@pytest.mark.parametrize("args,match", [
    (["crossover", "{g}"], "exactly one way"),
    (["crossover", "{g}", "--b-params", "V0=547.5,K0=30,K0p=6"], "mass per volume unit"),
    (["crossover", "{g}", "--b-params", "V0=547.5,K=30"], "expected KEY=VALUE"),
    (["crossover", "{g}", "--b-params", "rho0=x,K0=30,K0p=6"], "not a number"),
    (["fit", "{g}", "--form", "bm5"], "unknown EOS form"),
    (["fit", "{bad}"], "pressures out of order"),
    (["fit", "{few}", "--form", "bm4"], "fits 4 parameters"),
])
def test_errors_are_one_line_exit_2(tables, tmp_path, args, match):
    glass, _ = tables
    bad = tmp_path / "bad.csv"
    bad.write_text("P_GPa,V_A3_cell\n1,100\n3,98\n2,99\n")
    few = tmp_path / "few.csv"
    few.write_text("P_GPa,V_A3_cell\n1,100\n2,99\n3,98\n")
    r, _ = _run(*[a.format(g=glass, bad=bad, few=few) for a in args])
    assert r.exit_code == 2
    assert match in r.stderr and r.stderr.startswith("hpglass: error: ")
    assert len(r.stderr.strip().splitlines()) == 1


def test_refs():
    r, d = _run("refs", "--json")
    assert r.exit_code == 0 and d["references"][0]["status"] == "assumed"
