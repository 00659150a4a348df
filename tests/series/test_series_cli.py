"""`hpglass series breakpoints` and `hpglass series crystallization` (the typer sub-app in hpglass.cli.series).

The breakpoints case is the reference study's principal-peak trend (0.021 Å⁻¹/GPa below 15.7 GPa, 0.0048 above,
noise 0.003 Å⁻¹, Zhang et al., PRL 127, 127002 (2021)) written as a CSV table; bad tables and bad options exit with
status 2 and one line naming the file, line and column.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from hpglass.cli.series import app
from hpglass.io import write_table

BREAK, S1, S2, NOISE = 15.7, 0.021, 0.0048, 0.003


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def q1_table(tmp_path, n=24, seed=0, name="q1.csv", extra_rows=""):
    p = np.linspace(0.6, 40.0, n)
    q = 1.85 + S1 * p - (S1 - S2) * np.clip(p - BREAK, 0, None) + np.random.default_rng(seed).normal(0, NOISE, n)
    lines = ["run,direction,P (GPa),q1_A-1,q1_err_A-1,r1_A"]
    lines += [f"1,compression,{a:.3f},{b:.5f},{NOISE},{2.9 + 0.001 * a:.4f}" for a, b in zip(p, q)]
    f = tmp_path / name
    f.write_text("\n".join(lines) + "\n" + extra_rows)
    return f


def test_breakpoints_json(tmp_path):
    r = invoke("breakpoints", q1_table(tmp_path), "--y", "q1", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    for key in ("breakpoints", "breakpoint_ci", "slopes", "slope_errs", "intercept", "chi2_red", "n_points", "bic",
                "x", "y"):
        assert key in d
    assert d["x"] == "pressure_GPa" and d["y"] == "q1_A-1" and d["n_points"] == 24
    assert d["segments_chosen_by"] == "BIC" and d["n_segments"] == 2 and set(d["bic_by_segments"]) == {"1", "2", "3"}
    (lo, hi), = d["breakpoint_ci"]
    assert lo <= BREAK <= hi
    assert abs(d["slopes"][0] - S1) < 3 * d["slope_errs"][0] and abs(d["slopes"][1] - S2) < 3 * d["slope_errs"][1]
    assert d["weights"].startswith("1/σ²") and d["direction"] == "compression"


def test_breakpoints_given_segments_and_table_output(tmp_path):
    f = q1_table(tmp_path)
    d3 = json.loads(invoke("breakpoints", f, "--y", "q1_A-1", "--segments", "3", "--json").stdout)
    assert d3["n_segments"] == 3 and len(d3["breakpoints"]) == 2 and d3["segments_chosen_by"] == "given (--segments)"
    d1 = json.loads(invoke("breakpoints", f, "--y", "r1", "--segments", "1", "--unweighted", "--json").stdout)
    assert d1["slopes"][0] == pytest.approx(0.001, abs=1e-6) and d1["breakpoints"] == []
    assert d1["weights"].startswith("unweighted")
    r = invoke("breakpoints", f, "--y", "q1", "--segments", "2")
    assert r.exit_code == 0 and "breakpoint 1" in r.stdout and "slope 2" in r.stdout


def test_breakpoints_run_and_direction_selection(tmp_path):
    dec = "".join(f"2,decompression,{p},{2.3 - 0.01 * (30 - p):.4f},0.003,2.9\n" for p in (30, 25, 20, 15, 10, 5, 2))
    f = q1_table(tmp_path, extra_rows=dec)
    r = invoke("breakpoints", f, "--y", "q1")
    assert r.exit_code == 2 and "both compression and decompression" in r.stderr
    d = json.loads(invoke("breakpoints", f, "--y", "q1", "--direction", "decompression", "--segments", "1",
                          "--json").stdout)
    assert d["n_points"] == 7 and d["slopes"][0] == pytest.approx(0.01, abs=1e-9) and d["runs"] == ["2"]
    d = json.loads(invoke("breakpoints", f, "--y", "q1", "--run", "1", "--json").stdout)
    assert d["n_points"] == 24 and d["run"] == "1"
    r = invoke("breakpoints", f, "--y", "q1", "--run", "7")
    assert r.exit_code == 2 and "no run 7" in r.stderr


@pytest.mark.parametrize("text, message", [
    ("pressure_GPa,q1_A-1\n1,2.1\n2,2.2\n3,2.3\n4,2.4\n5,2.45\n", r"needs ≥ 6 points"),
    ("q1_A-1,cn\n2.2,6\n", r"q\.csv:1 \[pressure\]: no pressure column"),
    ("pressure_GPa,q1_A-1\n1,2.2\n2,x\n", r"q\.csv:3 \[q1_A-1\]: not a number: 'x'"),
    ("pressure_GPa,q1_A-1\n1,2.2\n3,2.3\n2,2.4\n", r"q\.csv:4 \[pressure_GPa\]: pressure decreases"),
    ("pressure_GPa,q1_A-1\n1,2.2\n2,2.3\n2,2.4\n", r"q\.csv:4 .*appears twice .*q\.csv:3 and at .*q\.csv:4"),
    ("pressure_GPa,q1_A-1\n-1,2.2\n2,2.3\n", r"q\.csv:2 .*below -0.5 GPa"),
])
def test_breakpoints_bad_tables(tmp_path, text, message):
    f = tmp_path / "q.csv"
    f.write_text(text)
    r = invoke("breakpoints", f, "--y", "q1", "--segments", "2")
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith("hpglass: error: ")
    import re

    assert re.search(message, r.stderr), r.stderr


def test_breakpoints_bad_options(tmp_path):
    f = q1_table(tmp_path)
    r = invoke("breakpoints", f, "--y", "q1", "--segments", "4")
    assert r.exit_code == 2 and "1, 2 or 3" in r.stderr
    r = invoke("breakpoints", tmp_path / "missing.csv", "--y", "q1")
    assert r.exit_code == 2 and "file not found" in r.stderr
    r = invoke("breakpoints", f, "--y", "tc")
    assert r.exit_code == 2 and "no values named 'tc'" in r.stderr


def test_crystallization_command(tmp_path):
    """Six synthetic patterns (amorphous + bcc reflections from 58 GPa) listed in a CSV."""
    from test_crystallization import AMP, Q, amorphous, bragg

    rows = ["file,pressure_GPa,direction"]
    for k, p in enumerate([40.0, 45.0, 50.0, 54.0, 58.0, 62.0]):
        y, clean = amorphous(p, 500 + k)
        if p >= 58.0:
            y = y + bragg(clean, AMP)
        name = f"p{k}.xy"
        write_table(tmp_path / name, {"q_A-1": Q, "I": y})
        rows.append(f"{name},{p},compression")
    listing = tmp_path / "patterns.csv"
    listing.write_text("\n".join(rows) + "\n")
    r = invoke("crystallization", listing, "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)["directions"]["compression"]
    assert d["onset_GPa"] == 58.0 and d["bracket_GPa"] == [54.0, 58.0]
    assert [p["crystalline"] for p in d["patterns"]] == [False] * 4 + [True] * 2
    r = invoke("crystallization", listing)
    assert r.exit_code == 0 and "onset at 58 GPa" in r.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("name,pressure_GPa\np0.xy,40\n")
    r = invoke("crystallization", bad)
    assert r.exit_code == 2 and "'file' column" in r.stderr
