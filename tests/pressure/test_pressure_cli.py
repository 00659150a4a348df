"""`hpglass pressure ruby|gold` through the typer sub-app: JSON output, human output, one-line errors (exit 2)."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from hpglass.cli.pressure import app


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, *needles):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), result.stderr
    assert result.stdout == ""
    for n in needles:
        assert n.lower() in lines[0].lower(), (n, lines[0])
    return lines[0]


pytest.importorskip("peritheos")


def test_ruby_json():
    r = run("ruby", "705.3", "--scale", "dewaele2008", "--lambda0", "694.22", "--lambda-err", "0.03", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["pressure_GPa"] == pytest.approx(1920 / 9.61 * ((705.3 / 694.22) ** 9.61 - 1), abs=1e-9)
    assert d["pressure_err_GPa"] > 0 and d["pressure_err_scale_GPa"] is None
    assert d["lambda_nm"] == 705.3 and d["lambda0_nm"] == 694.22 and d["scale"] == "dewaele2008"
    assert "10.1103/PhysRevB.78.104102" in d["scale_reference"]


def test_ruby_temperature_json():
    d = json.loads(run("ruby", "705.3", "--temperature", "350", "--t-correction", "vos1991", "--json").stdout)
    assert d["temperature_K"] == 350 and d["temperature_correction"] == "vos1991"
    assert d["lambda0_at_T_nm"] == pytest.approx(694.25 + d["temperature_shift_nm"])
    assert d["temperature_shift_nm"] > 0.3


def test_ruby_human_output():
    r = run("ruby", "700.5", "--temperature", "320")
    assert r.exit_code == 0, r.stderr
    assert "GPa" in r.stdout and "Ruby2020" in r.stdout and "λ0 at T" in r.stdout


def test_ruby_negative_pressure_warns_on_stderr():
    r = run("ruby", "694.1", "--lambda0", "694.2", "--scale", "mao1986")
    assert r.exit_code == 0 and "warning: negative pressure" in r.stderr


@pytest.mark.parametrize(("args", "needles"), [
    (["ruby", "690"], ["LAMBDA_NM", "below"]),
    (["ruby", "6942.4"], ["LAMBDA_NM", "nm"]),
    (["ruby", "0"], ["LAMBDA_NM"]),
    (["ruby", "700", "--scale", "foo"], ["--scale", "mao1986", "dewaele2008", "ruby2020"]),
    (["ruby", "700", "--lambda0", "-694"], ["--lambda0"]),
    (["ruby", "700", "--temperature", "900"], ["--temperature", "600"]),
    (["ruby", "700", "--t-correction", "xyz", "--temperature", "350"], ["--t-correction"]),
    (["ruby", "700", "--temperature-err", "3"], ["--temperature-err"]),
    (["ruby", "700", "--lambda-err", "-1"], ["--lambda-err"]),
])
def test_ruby_errors(args, needles):
    one_line_error(run(*args), *needles)


def test_gold_routes_agree():
    a = 3.95
    lam = 0.3738
    d111 = a / math.sqrt(3)
    tt = 2 * math.degrees(math.asin(lam / (2 * d111)))
    outs = [json.loads(run(*args, "--json").stdout) for args in (
        ["gold", "--d111", d111], ["gold", "--d200", a / 2], ["gold", "--d", a / math.sqrt(8), "--hkl", "220"],
        ["gold", "--two-theta", tt, "--hkl", "111", "--wavelength", lam], ["gold", "--volume", a**3])]
    for d in outs:
        assert d["pressure_GPa"] == pytest.approx(outs[-1]["pressure_GPa"], abs=1e-6)
        assert d["volume_A3"] == pytest.approx(a**3, rel=1e-9) and d["scale"] == "fei2007"
    assert [d["hkl"] for d in outs] == ["111", "200", "220", "111", None]
    assert [d["input"] for d in outs] == ["d", "d", "d", "two_theta", "volume"]


def test_gold_json_with_temperature_and_errors():
    d = json.loads(run("gold", "--d111", "2.25", "--d-err", "0.0005", "--temperature", "1500",
                       "--temperature-err", "20", "--json").stdout)
    assert d["temperature_K"] == 1500 and d["thermal_pressure_GPa"] > 5
    assert d["pressure_err_input_GPa"] > 0 and d["pressure_err_scale_GPa"] > 0
    assert d["pressure_err_GPa"] == pytest.approx(math.hypot(d["pressure_err_input_GPa"],
                                                             d["pressure_err_scale_GPa"]))
    assert d["eos_record"] == "gold_fei_2007_vinet_2" and "pnas.0609013104" in d["scale_reference"]
    dd = json.loads(run("gold", "--d200", "1.98", "--scale", "dewaele2004", "--json").stdout)
    assert dd["scale"] == "dewaele2004" and dd["temperature_K"] == 298


def test_gold_human_output():
    r = run("gold", "--two-theta", "12.6", "--hkl", "111", "--wavelength", "0.4959", "--two-theta-err", "0.003")
    assert r.exit_code == 0, r.stderr
    assert "GPa" in r.stdout and "d(111)" in r.stdout and "Fei" in r.stdout


@pytest.mark.parametrize(("args", "needles"), [
    (["gold"], ["exactly one"]),
    (["gold", "--d111", "2.3", "--volume", "60"], ["exactly one"]),
    (["gold", "--d111", "2.3", "--d200", "2.0"], ["--d111", "--d200"]),
    (["gold", "--d111", "2.3", "--hkl", "200"], ["--hkl"]),
    (["gold", "--d", "2.3"], ["--hkl"]),
    (["gold", "--d", "2.3", "--hkl", "110"], ["--hkl", "fcc"]),
    (["gold", "--two-theta", "12", "--hkl", "111"], ["--wavelength"]),
    (["gold", "--two-theta", "190", "--hkl", "111", "--wavelength", "0.5"], ["--two-theta"]),
    (["gold", "--d111", "0.23"], ["--d111", "Å"]),
    (["gold", "--d111", "2.45"], ["--d111"]),
    (["gold", "--d200", "-2"], ["--d200"]),
    (["gold", "--volume", "60", "--scale", "holzapfel"], ["--scale", "fei2007", "dewaele2004"]),
    (["gold", "--volume", "60", "--scale", "dewaele2004", "--temperature", "800"], ["--temperature", "fei2007"]),
    (["gold", "--volume", "60", "--d-err", "0.001"], ["--d-err"]),
    (["gold", "--volume", "60", "--volume-err", "-1"], ["--volume-err"]),
])
def test_gold_errors(args, needles):
    one_line_error(run(*args), *needles)
