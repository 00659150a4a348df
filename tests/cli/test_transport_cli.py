"""`hpglass transport tc|hc2|sigma` end to end on the bundled synthetic curves, plain CSV tables and bad input.

The demo's transport files (``hpglass.demo_data.DEMO_TRANSPORT``) have known answers: R(T) at 0–5 T with T_c(0) =
7.5 K (tanh midpoint) and a Ginzburg–Landau H_c2(T) = 6 T (1 − t²)/(1 + t²); a zero-field curve with two
transitions at 6.5 and 7.5 K; log10 σ(P) with breakpoints at 20 and 57.2 GPa. Every run works on copies in tmp_path
and checks that its inputs were left alone. Errors: exit 2, one stderr line "hpglass: error: …" naming the file,
no traceback (``one_line_error`` from conftest.py).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hpglass.demo_data import DEMO_TRANSPORT, demo_folder
from hpglass.io import read_qd
from hpglass.transport.synthetic import gl_hc2, gl_tc_of_field, step

TC = DEMO_TRANSPORT["tc_K"]
HC2_0 = DEMO_TRANSPORT["hc2_0_T"]
TWO = DEMO_TRANSPORT["two_transitions_K"]
BREAKS = DEMO_TRANSPORT["sigma_p"]["breaks_GPa"]
FIELDS = DEMO_TRANSPORT["fields_T"]

TC_KEYS = ("superconducting", "tc_onset_K", "tc_90_K", "tc_50_K", "tc_10_K", "tc_zero_K", "r_normal_ohm",
           "transitions")
TC_VALUES = ("tc_onset_K", "tc_90_K", "tc_50_K", "tc_10_K", "tc_zero_K")
HC2_KEYS = ("tc_K", "dHc2dT_T_per_K", "hc2_whh_T", "hc2_gl_T", "pauli_limit_T", "xi_gl_nm", "points")


# -- helpers ------------------------------------------------------------------------------------------------------------
def _eto(path: Path, rows, title: str = "test file", extra_col: str | None = None) -> Path:
    """A DynaCool-ETO-format .dat file: rows of (T_K, H_T, R_ohm) (R None → empty cell)."""
    head = ["[Header]", "; test data written by test_transport_cli.py", f"TITLE,{title}",
            "BYAPP,Electrical Transport Option,1.0", "[Data]",
            "Comment,Time Stamp (s),Temperature (K),Field (Oe),Resistance Ch1 (Ohms)"
            + ("" if extra_col is None else f",{extra_col}")]
    body = []
    for i, (t, h, r) in enumerate(rows):
        cell = "" if r is None else f"{r:.7e}"
        body.append(f",{2.0 * i:.3f},{t:.5f},{h * 1e4:.3f},{cell}" + ("" if extra_col is None else ","))
    path.write_text("\n".join(head + body) + "\n")
    return path


def _csv(path: Path, header: str, rows) -> Path:
    path.write_text(header + "\n" + "\n".join(",".join(f"{v:.7g}" for v in row) for row in rows) + "\n")
    return path


def _metallic_rows(n: int = 200):
    """A plain metal: R = 0.5 + 0.01 T, tiny noise, zero field — no transition."""
    rng = np.random.default_rng(7)
    t = np.linspace(2.0, 20.0, n)
    return [(tt, 0.0, 0.5 + 0.01 * tt + rng.normal(0, 2e-4)) for tt in t]


def _rh_rows(temperatures=(2.0, 3.0, 4.0, 5.0, 6.0, 7.0), hmax: float = 7.0, n: int = 141):
    """R(H) sweeps at fixed T on the demo's GL law (T_c 7.5 K, H_c2(0) 6 T), width 0.1 T, R_n 0.8 Ω."""
    rng = np.random.default_rng(11)
    rows = []
    for t in temperatures:
        hc2 = float(gl_hc2(t / TC, HC2_0))
        for h in np.linspace(0.0, hmax, n):
            rows.append((t + rng.normal(0, 2e-3), h, 0.8 * float(step(h, hc2, 0.1)) + rng.normal(0, 1e-3)))
    return rows


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@pytest.fixture
def demo(tmp_path: Path) -> dict[str, Path]:
    """Copies of the bundled transport demo files: keys "fields", "double", "sigma"."""
    folder = tmp_path / "demo"
    folder.mkdir()
    src = demo_folder()
    out = {}
    for key, name in (("fields", "hc2_file"), ("double", "double_file"), ("sigma", "sigma_file")):
        out[key] = Path(shutil.copy2(src / DEMO_TRANSPORT[name], folder / DEMO_TRANSPORT[name]))
    return out


def _demo_rows(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = read_qd(path).curve(1)
    return c.temperature_K, c.field_T, c.resistance_ohm


def _check_tc(data: dict, tc50: float, tol: float = 0.02) -> None:
    for key in TC_KEYS:
        assert key in data, key
    assert data["superconducting"] is True
    assert data["tc_50_K"] == pytest.approx(tc50, abs=tol)
    # the definitions are ordered: zero < 10 % < 50 % < 90 % ≤ onset (+ a little, the onset is a tangent)
    assert data["tc_zero_K"] < data["tc_10_K"] < data["tc_50_K"] < data["tc_90_K"]
    assert data["tc_onset_K"] == pytest.approx(data["tc_90_K"], abs=0.1)
    # R_n of the demo's normal state 0.8 + 0.004 T at the onset
    assert data["r_normal_ohm"] == pytest.approx(0.8 + 0.004 * data["tc_onset_K"], rel=0.01)
    assert len(data["transitions"]) == 1
    assert data["transitions"][0]["t_mid_K"] == pytest.approx(tc50, abs=tol)


def _check_hc2(data: dict) -> None:
    for key in HC2_KEYS:
        assert key in data, key
    assert data["tc_K"] == pytest.approx(TC, abs=0.02)
    assert data["hc2_gl_T"] == pytest.approx(HC2_0, rel=0.03)
    # the GL law's initial slope is −H_c2(0)/T_c = −0.8 T/K; WHH −0.693·T_c·slope
    assert data["dHc2dT_T_per_K"] == pytest.approx(-HC2_0 / TC, rel=0.03)
    assert data["hc2_whh_T"] == pytest.approx(-0.693 * data["tc_K"] * data["dHc2dT_T_per_K"], rel=1e-3)
    assert data["pauli_limit_T"] == pytest.approx(1.84 * data["tc_K"], rel=1e-3)
    assert data["pauli_limit_T"] > data["hc2_whh_T"]
    # ξ = √(Φ0 / 2π μ0Hc2(0)) from the WHH field
    xi = math.sqrt(2.067833848e-15 / (2 * math.pi * data["hc2_whh_T"])) * 1e9
    assert data["xi_gl_nm"] == pytest.approx(xi, rel=1e-3)
    pts = data["points"]
    assert len(pts) == len(FIELDS)
    fields = sorted(p["H_T"] for p in pts)
    assert fields == pytest.approx(list(FIELDS), abs=1e-3)
    for p in pts:
        assert p["T_K"] == pytest.approx(gl_tc_of_field(p["H_T"], TC, HC2_0), abs=0.03), p


# -- tc ------------------------------------------------------------------------------------------------------------------
def test_tc_zero_field_and_at_2T(cli, demo, fingerprints):
    before = fingerprints(demo["fields"])
    run = cli(["transport", "tc", demo["fields"], "--field", "0", "--json"])
    assert run.exit_code == 0, run.describe()
    _check_tc(run.data, TC)
    assert run.data["field_T"] == pytest.approx(0.0, abs=1e-6)
    assert run.data["n_points"] == 401

    run = cli(["transport", "tc", demo["fields"], "--field", "2", "--channel", "1", "--json"])
    assert run.exit_code == 0, run.describe()
    _check_tc(run.data, TC * math.sqrt(0.5))  # GL: T_c(H) = T_c √((1 − h)/(1 + h)), h = 1/3
    assert run.data["field_T"] == pytest.approx(2.0, abs=1e-3)
    assert fingerprints(demo["fields"]) == before


def test_tc_several_fields_needs_field(cli, demo, one_line_error):
    run = cli(["transport", "tc", demo["fields"], "--json"])
    one_line_error(run, str(demo["fields"]), "--field", "several fields")
    run = cli(["transport", "tc", demo["fields"], "--field", "2.5"])
    one_line_error(run, str(demo["fields"]), "2.5 T")


def test_tc_two_transitions(cli, demo, fingerprints):
    before = fingerprints(demo["double"])
    run = cli(["transport", "tc", demo["double"], "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    for key in TC_KEYS:
        assert key in d, key
    assert d["superconducting"] is True
    mids = sorted(t["t_mid_K"] for t in d["transitions"])
    assert len(mids) == 2, d["transitions"]
    assert mids == pytest.approx(sorted(TWO), abs=0.05)
    for t in d["transitions"]:
        assert t["step_fraction"] == pytest.approx(0.5, abs=0.1)  # two equal steps
    # the curve as a whole: half of R_n is reached between the two steps, zero below the lower one
    assert TWO[0] < d["tc_50_K"] < TWO[1]
    assert d["tc_zero_K"] < TWO[0] < d["tc_90_K"]
    assert fingerprints(demo["double"]) == before


def test_tc_table_output(cli, demo):
    run = cli(["transport", "tc", demo["fields"], "--field", "0"])
    assert run.exit_code == 0, run.describe()
    assert "7.50" in run.stdout and "50 %" in run.stdout
    assert "Traceback" not in run.stderr


# -- hc2 -----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("slope_model", ["quadratic", "linear"])
def test_hc2_demo(cli, demo, fingerprints, slope_model):
    before = fingerprints(demo["fields"])
    run = cli(["transport", "hc2", demo["fields"], "--criterion", "50", "--slope-model", slope_model, "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["sweep"] == "R(T) at fixed H"
    assert d["n_sweeps"] == len(FIELDS)
    assert d["criterion_pct"] == 50
    if slope_model == "quadratic":
        _check_hc2(d)
    else:  # a line over 0.7 Tc–Tc is biased by the GL curvature (+13 % in magnitude, hc2.py)
        assert -HC2_0 / TC * 1.25 < d["dHc2dT_T_per_K"] < -HC2_0 / TC
        assert d["hc2_gl_T"] == pytest.approx(HC2_0, rel=0.03)
    assert fingerprints(demo["fields"]) == before


def test_hc2_criterion_orders_the_points(cli, demo):
    """At fixed H, R reaches 90 % of R_n at a higher T than 50 %, and 10 % at a lower one."""
    temps = {}
    for crit in (10, 50, 90):
        run = cli(["transport", "hc2", demo["fields"], "--criterion", crit, "--json"])
        assert run.exit_code == 0, run.describe()
        assert run.data["criterion_pct"] == crit
        temps[crit] = {round(p["H_T"], 2): p["T_K"] for p in run.data["points"]}
    for h in temps[50]:
        assert temps[10][h] < temps[50][h] < temps[90][h]


def test_hc2_table_output(cli, demo):
    run = cli(["transport", "hc2", demo["fields"]])
    assert run.exit_code == 0, run.describe()
    assert "Ginzburg" in run.stdout and "6.00" in run.stdout
    assert "criterion 50 %" in run.stderr


def test_hc2_from_field_sweeps(cli, tmp_path):
    """R(H) at six fixed temperatures on the same GL law: the points and H_c2(0) come back."""
    f = _eto(tmp_path / "rh_ladder.dat", _rh_rows())
    run = cli(["transport", "hc2", f, "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["sweep"] == "R(H) at fixed T"
    assert len(d["points"]) == 6
    for p in d["points"]:
        assert p["H_T"] == pytest.approx(float(gl_hc2(p["T_K"] / TC, HC2_0)), abs=0.03), p
    assert d["tc_K"] == pytest.approx(TC, abs=0.1)
    assert d["hc2_gl_T"] == pytest.approx(HC2_0, rel=0.03)


def test_hc2_bad_options(cli, demo, one_line_error):
    one_line_error(cli(["transport", "hc2", demo["fields"], "--slope-model", "cubic"]), str(demo["fields"]),
                   "slope_model")
    one_line_error(cli(["transport", "hc2", demo["fields"], "--criterion", "150"]), "criterion")


# -- sigma ---------------------------------------------------------------------------------------------------------------
def test_sigma_demo_breakpoints(cli, demo, fingerprints):
    before = fingerprints(demo["sigma"])
    run = cli(["transport", "sigma", demo["sigma"], "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["kind"] == "resistivity"
    comp = d["directions"]["compression"]
    assert comp["n_regimes"] == 3
    for b, ci, truth in zip(comp["breakpoints_GPa"], comp["breakpoint_ci_GPa"], BREAKS, strict=True):
        assert ci[0] <= truth <= ci[1] or abs(b - truth) <= 3.0, (b, ci, truth)
    slopes = [r["slope_dec_per_GPa"] for r in comp["regimes"]]
    assert slopes == pytest.approx(list(DEMO_TRANSPORT["sigma_p"]["slopes_dec_per_GPa"]), abs=0.03)
    assert fingerprints(demo["sigma"]) == before

    run = cli(["transport", "sigma", demo["sigma"], "--segments", "2", "--json"])
    assert run.exit_code == 0, run.describe()
    assert run.data["directions"]["compression"]["n_regimes"] == 2

    run = cli(["transport", "sigma", demo["sigma"]])
    assert run.exit_code == 0, run.describe()
    assert "breakpoint" in run.stdout


def test_sigma_plain_csv(cli, tmp_path):
    """The same σ(P) as resistance in MPa-free units: 'P (kbar), R (kOhm)' with no direction column."""
    lines = (demo_folder() / DEMO_TRANSPORT["sigma_file"]).read_text().splitlines()
    rows = [ln.split(",") for ln in lines if ln and ln[0].isdigit()]
    f = _csv(tmp_path / "rp.csv", "P (kbar), R (kOhm)", [(10 * float(p), float(r) / 1e3) for p, r, _ in rows])
    run = cli(["transport", "sigma", f, "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["kind"] == "resistance"
    (only,) = d["directions"].values()
    assert only["breakpoints_GPa"] == pytest.approx(list(BREAKS), abs=3.0)


# -- plain CSV tables ------------------------------------------------------------------------------------------------------
def test_tc_and_hc2_on_csv_tables(cli, demo, tmp_path, fingerprints):
    t, h, r = _demo_rows(demo["fields"])
    all_fields = _csv(tmp_path / "rt_all.csv", "T_K,R_ohm,H_T", zip(t, r, h, strict=True))
    zero = h == 0
    plain = _csv(tmp_path / "rt_0T.csv", "T (K), R (Ohm)", zip(t[zero], r[zero], strict=True))
    per_field = []
    for hv in FIELDS:
        m = np.abs(h - hv) < 1e-6
        # field in kOe, resistance in mΩ, semicolon-separated: units converted by the reader
        path = tmp_path / f"rt_{hv:g}T.txt"
        path.write_text("# R(T) at one field\nT [K]; R [mOhm]; H [kOe]\n"
                        + "\n".join(f"{a:.6f}; {1e3 * b:.6f}; {10 * c:.4f}" for a, b, c in zip(t[m], r[m], h[m],
                                                                                                 strict=True)) + "\n")
        per_field.append(path)
    before = fingerprints(all_fields, plain, *per_field)

    run = cli(["transport", "tc", plain, "--json"])
    assert run.exit_code == 0, run.describe()
    _check_tc(run.data, TC)
    run = cli(["transport", "tc", all_fields, "--field", "2", "--json"])
    assert run.exit_code == 0, run.describe()
    _check_tc(run.data, TC * math.sqrt(0.5))
    run = cli(["transport", "tc", per_field[3], "--json"])  # 2 T in kOe, mΩ
    assert run.exit_code == 0, run.describe()
    _check_tc(run.data, TC * math.sqrt(0.5))
    assert run.data["r_normal_ohm"] == pytest.approx(0.8 + 0.004 * run.data["tc_onset_K"], rel=0.01)

    run = cli(["transport", "hc2", all_fields, "--json"])
    assert run.exit_code == 0, run.describe()
    _check_hc2(run.data)
    run = cli(["transport", "hc2", *per_field, "--json"])
    assert run.exit_code == 0, run.describe()
    _check_hc2(run.data)
    assert run.data["inputs"] == [str(p) for p in per_field]
    assert fingerprints(all_fields, plain, *per_field) == before


def test_two_transitions_csv(cli, demo, tmp_path):
    t, _, r = _demo_rows(demo["double"])
    f = _csv(tmp_path / "double.csv", "temperature_K,resistance_ohm", zip(t, r, strict=True))
    run = cli(["transport", "tc", f, "--json"])
    assert run.exit_code == 0, run.describe()
    mids = sorted(x["t_mid_K"] for x in run.data["transitions"])
    assert mids == pytest.approx(sorted(TWO), abs=0.05)


def test_csv_with_hc2_at_zero_field_only(cli, demo, tmp_path, one_line_error):
    """A table without a field column is taken as 0 T: hc2 has no H_c2(T) line and says so."""
    t, h, r = _demo_rows(demo["fields"])
    f = _csv(tmp_path / "rt.csv", "T_K,R_ohm", zip(t[h == 0], r[h == 0], strict=True))
    one_line_error(cli(["transport", "hc2", f]), str(f), "zero field")


# -- no transition ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["dat", "csv"])
def test_no_transition(cli, tmp_path, one_line_error, fingerprints, kind):
    rows = _metallic_rows()
    if kind == "dat":
        f = _eto(tmp_path / "metal.dat", rows)
    else:
        f = _csv(tmp_path / "metal.csv", "T_K,R_ohm", [(t, r) for t, _, r in rows])
    before = fingerprints(f)
    run = cli(["transport", "tc", f, "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["superconducting"] is False
    for key in TC_VALUES:
        assert key in d and d[key] is None, key
    assert d["transitions"] == []
    assert d["reason"]
    assert _finite(d["r_normal_ohm"])

    run = cli(["transport", "tc", f])  # the table form says it in words
    assert run.exit_code == 0, run.describe()
    assert "no superconducting transition" in run.stderr
    assert "Traceback" not in run.stderr

    one_line_error(cli(["transport", "hc2", f]), str(f), "transition")
    assert fingerprints(f) == before


# -- bad input --------------------------------------------------------------------------------------------------------------
def test_truncated_mid_row_is_read(cli, demo, tmp_path, fingerprints):
    """A file cut in the middle of its last row (no final newline) is read; that row's cut cell is dropped."""
    text = demo["double"].read_text()
    cut = tmp_path / "cut.dat"
    cut.write_text(text[: text.rindex(",") - 3])  # inside the last row's temperature … resistance cells
    before = fingerprints(cut)
    run = cli(["transport", "tc", cut, "--json"])
    assert run.exit_code == 0, run.describe()
    mids = sorted(x["t_mid_K"] for x in run.data["transitions"])
    assert mids == pytest.approx(sorted(TWO), abs=0.05)
    assert run.data["n_points"] == 400  # the cut row is not used
    assert fingerprints(cut) == before


@pytest.mark.parametrize("where", ["header", "after column names", "few rows"])
def test_truncated_file_errors(cli, demo, tmp_path, one_line_error, fingerprints, where):
    lines = demo["double"].read_text().splitlines(keepends=True)
    data_at = lines.index("[Data]\n")
    keep = {"header": data_at - 1, "after column names": data_at + 2, "few rows": data_at + 2 + 5}[where]
    f = tmp_path / "cut.dat"
    f.write_text("".join(lines[:keep])[:-7])  # and mid-line
    before = fingerprints(f)
    needle = {"header": "[Data]", "after column names": "data", "few rows": "points"}[where]
    for cmd in ("tc", "hc2"):
        one_line_error(cli(["transport", cmd, f]), str(f), needle)
    assert fingerprints(f) == before


def test_missing_data_line(cli, demo, tmp_path, one_line_error, fingerprints):
    f = tmp_path / "nodata.dat"
    f.write_text(demo["double"].read_text().replace("[Data]\n", ""))
    before = fingerprints(f)
    for cmd in ("tc", "hc2"):
        one_line_error(cli(["transport", cmd, f, "--json"]), str(f), "no [Data] section")
    assert fingerprints(f) == before


def test_non_numeric_cell(cli, demo, tmp_path, one_line_error, fingerprints):
    lines = demo["double"].read_text().splitlines()
    n = lines.index("[Data]") + 2 + 100  # 0-based index of the 101st data row
    cells = lines[n].split(",")
    cells[2] = "7.1O"  # a letter O in the temperature
    lines[n] = ",".join(cells)
    f = tmp_path / "typo.dat"
    f.write_text("\n".join(lines) + "\n")
    before = fingerprints(f)
    msg = one_line_error(cli(["transport", "tc", f]), f"{f}:{n + 1}", "7.1O", "Temperature (K)")
    assert "number" in msg.lower()
    assert fingerprints(f) == before


def test_non_numeric_table_cell(cli, tmp_path, one_line_error):
    f = tmp_path / "typo.csv"
    f.write_text("T_K,R_ohm\n" + "".join(f"{t},{0.5 + 0.01 * t}\n" for t in range(2, 30)) + "31,n/a\n")
    one_line_error(cli(["transport", "tc", f]), f"{f}:30", "n/a", "R_ohm")


def test_channel_without_data_and_nonexistent_channel(cli, demo, tmp_path, one_line_error, fingerprints):
    rows = list(zip(*_demo_rows(demo["double"]), strict=True))
    f = _eto(tmp_path / "two_channels.dat", [(t, h, r) for t, h, r in rows], extra_col="Resistance Ch2 (Ohms)")
    before = fingerprints(f)
    run = cli(["transport", "tc", f, "--json"])  # the default is the first channel with data
    assert run.exit_code == 0, run.describe()
    assert run.data["channel"] == 1
    for cmd in ("tc", "hc2"):
        one_line_error(cli(["transport", cmd, f, "--channel", "2"]), str(f), "channel 2", "no resistance data")
        msg = one_line_error(cli(["transport", cmd, f, "--channel", "5"]), str(f), "no channel 5")
        assert "1" in msg.split("no channel 5", 1)[1]  # and says which channels there are
    one_line_error(cli(["transport", "tc", f, "--channel", "0"]), str(f), "channel")
    assert fingerprints(f) == before


def test_all_zero_channel(cli, demo, tmp_path, one_line_error):
    """The ETO writes 0 Ω for a channel it did not measure: an error pointing to the channels that hold data."""
    t, h, r = _demo_rows(demo["double"])
    f = tmp_path / "zero_ch1.dat"
    _eto(f, [(a, b, 0.0) for a, b in zip(t, h, strict=True)], extra_col="Resistance Ch2 (Ohms)")
    lines = f.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Comment")) + 1
    lines[start:] = [ln[:-1] + f",{v:.7e}" for ln, v in zip(lines[start:], r, strict=True)]
    f.write_text("\n".join(lines) + "\n")
    for cmd in ("tc", "hc2"):
        one_line_error(cli(["transport", cmd, f]), str(f), "channel 1", "0 Ω", "--channel")
    run = cli(["transport", "tc", f, "--channel", "2", "--json"])
    assert run.exit_code == 0, run.describe()
    assert len(run.data["transitions"]) == 2


def test_field_sweep_file_given_to_tc(cli, tmp_path, one_line_error, fingerprints):
    f = _eto(tmp_path / "rh.dat", _rh_rows(temperatures=(2.0,)))
    before = fingerprints(f)
    one_line_error(cli(["transport", "tc", f, "--json"]), str(f), "field sweeps", "hc2")
    # a single R(H) sweep is one point of H_c2(T): no line to fit
    one_line_error(cli(["transport", "hc2", f]), str(f), "point")
    assert fingerprints(f) == before


def test_hc2_mixing_sweep_kinds(cli, demo, tmp_path, one_line_error):
    rh = _eto(tmp_path / "rh.dat", _rh_rows())
    one_line_error(cli(["transport", "hc2", demo["fields"], rh]), "mixes temperature sweeps and field sweeps")


@pytest.mark.parametrize(("header", "needles"), [
    ("T (GPa),R (Ohm)", ("'GPa'", "T (GPa)", "temperature")),
    ("T_K,R (furlong)", ("furlong", "resistance")),
    ("T_K,R [ohm-cm]", ("ohm-cm", "not a resistance unit")),
    ("T,R_ohm", ("'T'", "no unit")),
    ("T_K,volts_V", ("no resistance",)),
    ("Temp_F,R_ohm", ("no temperature",)),
])
def test_table_bad_units(cli, tmp_path, one_line_error, fingerprints, header, needles):
    f = tmp_path / "bad_units.csv"
    f.write_text(header + "\n" + "".join(f"{t},{0.5 + 0.01 * t}\n" for t in range(2, 30)))
    before = fingerprints(f)
    for cmd in ("tc", "hc2"):
        one_line_error(cli(["transport", cmd, f]), str(f), *needles)
    assert fingerprints(f) == before


@pytest.mark.parametrize(("header", "needle"), [
    ("P (K),rho (ohm-cm)", "not a pressure unit"),
    ("P_GPa,rho (Ohm)", "not a resistivity unit"),
    ("T_K,R_ohm", "no pressure column"),
])
def test_sigma_bad_tables(cli, tmp_path, one_line_error, header, needle):
    f = tmp_path / "bad_sigma.csv"
    f.write_text(header + "\n" + "".join(f"{p},{10.0 ** (-0.1 * p)}\n" for p in range(1, 30)))
    one_line_error(cli(["transport", "sigma", f]), str(f), needle)


def test_channel_with_a_table_and_missing_files(cli, demo, tmp_path, one_line_error):
    f = _csv(tmp_path / "rt.csv", "T_K,R_ohm", [(t, 1.0) for t in range(2, 30)])
    one_line_error(cli(["transport", "tc", f, "--channel", "1"]), str(f), "--channel")
    missing = tmp_path / "nope.dat"
    for args in (["tc", missing], ["hc2", demo["fields"], missing], ["sigma", tmp_path / "nope.csv"]):
        one_line_error(cli(["transport", *args]), str(args[-1]), "not found")
    one_line_error(cli(["transport", "tc", tmp_path]), str(tmp_path), "directory")


def test_binary_and_empty_files(cli, tmp_path, one_line_error):
    binary = tmp_path / "image.dat"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    one_line_error(cli(["transport", "tc", binary]), str(binary), "binary")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    one_line_error(cli(["transport", "tc", empty]), str(empty), "empty")


# -- the installed entry point ------------------------------------------------------------------------------------------
def _entry_point() -> Path:
    exe = Path(sys.executable).with_name("hpglass")
    if not exe.is_file():
        pytest.skip(f"the hpglass entry point is not installed next to {sys.executable}")
    return exe


def test_entry_point(demo, tmp_path):
    env = dict(os.environ, COLUMNS="60", PYTHONWARNINGS="default")

    def run(*args):
        return subprocess.run([str(_entry_point()), "transport", *map(str, args)], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path, env=env, check=False)

    proc = run("hc2", demo["fields"], "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert data["hc2_gl_T"] == pytest.approx(HC2_0, rel=0.03)

    metal = _eto(tmp_path / "metal.dat", _metallic_rows())
    proc = run("hc2", metal)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), proc.stderr  # not wrapped at 60 columns
    assert str(metal) in lines[0] and "Traceback" not in proc.stderr
