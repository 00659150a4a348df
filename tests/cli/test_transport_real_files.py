"""`hpglass transport` on the real Quantum Design files in ../shared/data/transport (skipped when absent).

* nomad_Resistivity_Ch1_TMR_Ch2_Hall_test.dat — PPMS Resistivity option, ragged rows; R(H) sweeps ±1 T at 2.0–2.3 K
  on a superconducting misfit compound, bridge 1 crosses the transition.
* nomad_ACT_Ch1_Hall_Ch2_TMR.dat — AC Transport, channels on alternating rows; R(H) sweeps at 2.0–3.4 K, channel 2
  superconducting below ≈ 3.3 K. Channel 1 (the default) rises through a peak and falls again in field: no
  usable H_c2 line, and the error must point to --channel.
* fairmat_areaA_ETO_testPPMS.dat — DynaCool ETO, a 90–120 K sweep at 9 T: no transition. Channel 2 reads 0 Ω.
* nomad_MPMS_test.dat — magnetometry: no resistance channel at all.

The two superconducting files are the same compound family: their H_c2(T) lines must roughly agree.
"""

from __future__ import annotations

import itertools

import pytest

from hpglass.io import read_qd

RESISTIVITY = "nomad_Resistivity_Ch1_TMR_Ch2_Hall_test.dat"
ACT = "nomad_ACT_Ch1_Hall_Ch2_TMR.dat"
ETO = "fairmat_areaA_ETO_testPPMS.dat"
MPMS = "nomad_MPMS_test.dat"
ALL = (RESISTIVITY, ACT, ETO, MPMS)

#: (file, extra arguments, temperatures of the R(H) sweeps that give an H_c2 point, sweeps in the file)
SUPERCONDUCTING = {
    RESISTIVITY: ((), (2.0, 2.1, 2.2, 2.3), 4),
    ACT: (("--channel", "2"), (2.0, 2.2, 2.4, 2.6, 2.8, 3.0, 3.2), 8),
}


@pytest.fixture(scope="module")
def transport_dir(shared_data):
    folder = shared_data / "transport"
    missing = [name for name in ALL if not (folder / name).is_file()]
    if missing:
        pytest.skip(f"real transport files absent from {folder}: {', '.join(missing)}")
    return folder


@pytest.fixture(scope="module")
def hc2_runs(transport_dir):
    """`hc2 --json` at 50 % (and 10 %, 90 %) on both superconducting files, with the files' fingerprints."""
    import json

    from typer.testing import CliRunner

    from hpglass.cli.main import app

    out = {}
    for name, (extra, _, _) in SUPERCONDUCTING.items():
        path = transport_dir / name
        before = (path.read_bytes(), path.stat().st_mtime_ns)
        for crit in (10, 50, 90):
            res = CliRunner().invoke(app, ["transport", "hc2", str(path), *extra, "--criterion", str(crit), "--json"])
            assert res.exit_code == 0, (name, crit, res.stderr, res.exception)
            out[name, crit] = json.loads(res.stdout)
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    return out


@pytest.mark.parametrize("name", list(SUPERCONDUCTING))
def test_hc2_is_physical(hc2_runs, name):
    d = hc2_runs[name, 50]
    _, temps, n_sweeps = SUPERCONDUCTING[name]
    assert d["sweep"] == "R(H) at fixed T"
    assert d["n_sweeps"] == n_sweeps
    pts = sorted(d["points"], key=lambda p: p["T_K"])
    assert [p["T_K"] for p in pts] == pytest.approx(list(temps), abs=0.01)
    fields = [p["H_T"] for p in pts]
    assert all(0 < h < 1.0 for h in fields), fields  # inside the ±1 T sweeps
    assert all(a > b for a, b in itertools.pairwise(fields)), fields  # H_c2 falls as T rises
    for p in pts:
        assert 0 < p["H_err_T"] < 0.02, p
    assert 2.5 < d["tc_K"] < 4.0
    assert max(temps) < d["tc_K"]
    assert d["dHc2dT_T_per_K"] < 0
    assert 0.3 < d["hc2_whh_T"] < 3.0
    assert d["hc2_whh_T"] == pytest.approx(-0.693 * d["tc_K"] * d["dHc2dT_T_per_K"], rel=1e-3)
    assert d["hc2_whh_T"] > max(fields)  # the extrapolation to 0 K lies above the lowest-T point
    assert 0.3 < d["hc2_gl_T"] < 3.0
    assert d["pauli_limit_T"] > d["hc2_whh_T"]
    assert d["pauli_limit_T"] == pytest.approx(1.84 * d["tc_K"], rel=1e-3)
    assert 5.0 < d["xi_gl_nm"] < 50.0


@pytest.mark.parametrize("name", list(SUPERCONDUCTING))
def test_criterion_orders_the_fields(hc2_runs, name):
    """At fixed T the field where R reaches 10 % of R_n lies below 50 %, which lies below 90 %."""
    by = {c: {round(p["T_K"], 1): p["H_T"] for p in hc2_runs[name, c]["points"]} for c in (10, 50, 90)}
    assert set(by[10]) == set(by[50]) == set(by[90])
    for t in by[50]:
        assert by[10][t] < by[50][t] < by[90][t], t


def test_the_two_files_agree(hc2_runs):
    a, b = hc2_runs[RESISTIVITY, 50], hc2_runs[ACT, 50]
    assert a["tc_K"] == pytest.approx(b["tc_K"], abs=0.4)
    assert a["dHc2dT_T_per_K"] == pytest.approx(b["dHc2dT_T_per_K"], rel=0.3)
    assert a["hc2_whh_T"] == pytest.approx(b["hc2_whh_T"], rel=0.3)
    assert a["hc2_gl_T"] == pytest.approx(b["hc2_gl_T"], rel=0.4)
    # at 2 K the two samples' 50 % fields are within 0.2 T
    h2 = [next(p["H_T"] for p in d["points"] if abs(p["T_K"] - 2.0) < 0.05) for d in (a, b)]
    assert h2[0] == pytest.approx(h2[1], abs=0.2)


@pytest.mark.parametrize("name", [RESISTIVITY, ACT])
def test_tc_on_field_sweeps_is_an_error(cli, transport_dir, one_line_error, name):
    path = transport_dir / name
    one_line_error(cli(["transport", "tc", path, "--json"]), str(path), "field sweeps", "hc2")


def test_act_default_channel_points_to_channel_option(cli, transport_dir, one_line_error):
    path = transport_dir / ACT
    msg = one_line_error(cli(["transport", "hc2", path]), str(path), "--channel", "channel 1")
    assert "--channel 2" in msg
    # the other channel named in the message works
    run = cli(["transport", "hc2", path, "--channel", "2", "--json"])
    assert run.exit_code == 0, run.describe()


def test_act_channels_read(transport_dir):
    """Channels on alternating rows, resistivity columns converted to resistance with the header geometry."""
    qd = read_qd(transport_dir / ACT)
    assert qd.option == "act"
    assert qd.channels() == [1, 2]
    c1, c2 = qd.curve(1), qd.curve(2)
    assert c1.x == c2.x == "H"
    assert abs(len(c1) - len(c2)) <= 1 and len(c1) + len(c2) <= qd.n_rows
    assert "resistivity_converted" in c2.meta


def test_eto_no_transition(cli, transport_dir, one_line_error):
    path = transport_dir / ETO
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    run = cli(["transport", "tc", path, "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["superconducting"] is False
    for key in ("tc_onset_K", "tc_90_K", "tc_50_K", "tc_10_K", "tc_zero_K"):
        assert d[key] is None, key
    assert d["transitions"] == []
    assert d["field_T"] == pytest.approx(9.0, abs=0.01)
    assert d["n_points"] == len(read_qd(path).curve(1))
    assert d["t_range_K"][0] == pytest.approx(90.0, abs=0.1) and d["t_range_K"][1] == pytest.approx(119.8, abs=0.1)
    assert d["r_normal_ohm"] == pytest.approx(0.1076, rel=0.01)
    assert d["normal_slope_ohm_per_K"] > 0  # metallic

    run = cli(["transport", "tc", path])
    assert run.exit_code == 0, run.describe()
    assert "no superconducting transition" in run.stderr

    one_line_error(cli(["transport", "hc2", path]), str(path), "transition")
    one_line_error(cli(["transport", "hc2", path, "--channel", "1", "--json"]), str(path), "transition")
    # channel 2 reads 0 Ω everywhere: said so, not reported as "no transition"
    for cmd in ("tc", "hc2"):
        one_line_error(cli(["transport", cmd, path, "--channel", "2"]), str(path), "channel 2", "0 Ω")
    one_line_error(cli(["transport", "tc", path, "--channel", "3"]), str(path), "no channel 3")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_mpms_has_no_resistance(cli, transport_dir, one_line_error):
    path = transport_dir / MPMS
    for cmd in ("tc", "hc2"):
        one_line_error(cli(["transport", cmd, path]), str(path), "no channel has resistance data")
    one_line_error(cli(["transport", "tc", path, "--channel", "1"]), str(path), "no channel 1")


def test_resistivity_empty_bridges(cli, transport_dir, one_line_error):
    path = transport_dir / RESISTIVITY
    for ch in ("3", "4"):
        one_line_error(cli(["transport", "hc2", path, "--channel", ch]), str(path), f"channel {ch}",
                       "no resistance data")
    one_line_error(cli(["transport", "hc2", path, "--channel", "7"]), str(path), "no channel 7")
