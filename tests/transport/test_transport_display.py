"""`hpglass transport tc|hc2` print every number as value ± error (hpglass.precision.fmt: two significant digits of
the error) and say when μ0Hc2(0) is an extrapolation; a semiconducting curve shows no R_n, with the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from hpglass.cli.main import app
from hpglass.transport.synthetic import gl_tc_of_field, rt_curve

TC, HC2_0 = 7.5, 6.0
#: a number that is not part of "value ± error" (digits not next to ±), e.g. "7.50 K" alone
_NUMBER = re.compile(r"(?<![\w.±])[-−]?\d+(?:\.\d+)?(?![\w.])")


def _csv(path: Path, curves) -> Path:
    rows = ["T_K,R_ohm,H_T"]
    for c in curves:
        rows += [f"{t:.6f},{r:.7f},{h:.4f}" for t, r, h in zip(c.temperature_K, c.resistance_ohm, c.field_T,
                                                                 strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _run(args) -> tuple[str, str]:
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, (res.stderr, res.exception)
    return res.stdout, res.stderr


def _cells(stdout: str) -> list[tuple[str, str]]:
    """(label, value) of every row of the rich table (continuation lines joined to their row)."""
    rows: list[list[str]] = []
    for line in stdout.splitlines():
        if "│" not in line:
            continue
        parts = [p.strip() for p in line.strip().strip("│").split("│")]
        if len(parts) != 2:
            continue
        if parts[0] or not rows:
            rows.append(parts)
        else:
            rows[-1][1] += " " + parts[1]
    return [(a, b) for a, b in rows]


def _bare_numbers(value: str) -> list[str]:
    """Numbers in a cell that do not come with an error (ignoring the ± pairs and percent/count cells)."""
    stripped = re.sub(r"[-−]?\d+(?:\.\d+)?\s*±\s*\d+(?:\.\d+)?", "", value)
    return _NUMBER.findall(stripped)


def test_tc_prints_every_temperature_with_its_error(tmp_path):
    t = np.arange(2.0, 12.0, 0.01)
    f = _csv(tmp_path / "rt.csv", [rt_curve(t, TC, 0.15, 0.8, 0.004, noise=5e-4, seed=1)])
    out, _ = _run(["transport", "tc", f])
    cells = dict(_cells(out))
    for label in ("onset", "90 %", "50 %", "10 %", "zero", "width 90–10 %", "R_n", "transitions"):
        assert "±" in cells[label], (label, cells[label])
        assert _bare_numbers(cells[label]) == [], (label, cells[label])
    data = json.loads(_run(["transport", "tc", f, "--json"])[0])
    for key in ("tc_onset_err_K", "tc_90_err_K", "tc_50_err_K", "tc_10_err_K", "tc_zero_err_K", "r_normal_err_ohm"):
        assert data[key] > 0, key
    assert abs(data["tc_50_K"] - TC) < 3 * data["tc_50_err_K"] + 1e-3


def test_tc_semiconducting_curve_has_no_normal_resistance(tmp_path):
    t = np.arange(2.0, 20.0, 0.05)
    r = 0.5 * np.exp(20.0 / t) + np.random.default_rng(0).normal(0, 1e-3, t.size)
    f = tmp_path / "semi.csv"
    f.write_text("T_K,R_ohm\n" + "\n".join(f"{a:.4f},{b:.6f}" for a, b in zip(t, r, strict=True)) + "\n")
    data = json.loads(_run(["transport", "tc", f, "--json"])[0])
    assert data["superconducting"] is False and data["normal_state_semiconducting"] is True
    assert data["r_normal_ohm"] is None and "semiconducting" in data["r_normal_note"]
    out, err = _run(["transport", "tc", f])
    assert "R_n: semiconducting" in err and "no superconducting transition" in err


def test_hc2_prints_errors_and_says_extrapolation(tmp_path):
    """R(T) at 0.5–1.5 T only (no zero-field sweep, every point above 0.6 Tc): the table marks each μ0Hc2(0) as
    extrapolated, stderr says so with the model spread, and every number carries its error."""
    t = np.arange(2.0, 10.0, 0.02)
    fam = [rt_curve(t, gl_tc_of_field(h, TC, HC2_0), 0.1, 0.8, 0.004, field_T=h, noise=5e-4, seed=i)
           for i, h in enumerate((0.5, 0.75, 1.0, 1.25, 1.5))]
    f = _csv(tmp_path / "rt_fields.csv", fam)
    out, err = _run(["transport", "hc2", f])
    cells = dict(_cells(out))
    for label in ("μ0Hc2(0) full WHH", "μ0Hc2(0) Ginzburg–Landau", "μ0Hc2(0) WHH −0.693·Tc·slope"):
        assert "(extrapolated)" in cells[label], cells[label]
    for label, value in cells.items():
        if label == "points":
            continue
        assert "±" in value and _bare_numbers(value) == [], (label, value)
    assert "extrapolation" in err and "GL and full WHH differ by" in err
    data = json.loads(_run(["transport", "hc2", f, "--json"])[0])
    assert data["extrapolation"] is True and data["tc_source"] == "extrapolated"
    gap = abs(data["hc2_gl_T"] - data["hc2_whh_full_T"])
    assert data["hc2_gl_err_T"] >= gap and data["hc2_whh_full_err_T"] >= gap
