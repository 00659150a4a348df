"""`hpglass demo` transport part: known answers of the bundled SYNTHETIC curves are recovered."""

import json

import pytest

from hpglass.demo_data import DEMO_TRANSPORT


@pytest.fixture(scope="module")
def demo_json(demo_run):
    run, out = demo_run
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout), out


def test_transport_known_answers(demo_json):
    d, out = demo_json
    t = d["transport"]
    assert "SYNTHETIC" in t["label"]
    # Tc(50 %) of the tanh model is its midpoint exactly; noise 0.2 % of R_n → ≤ 0.02 K
    assert t["measured"]["zero_field"]["tc_50_K"] == pytest.approx(DEMO_TRANSPORT["tc_K"], abs=0.02)
    found = sorted(t["recovery"]["transitions_found_K"])
    assert found == pytest.approx(sorted(DEMO_TRANSPORT["two_transitions_K"]), abs=0.05)
    # GL law fitted to 7 Hc2 points made from the GL law: 3 %
    assert t["measured"]["hc2"]["hc2_gl_T"] == pytest.approx(DEMO_TRANSPORT["hc2_0_T"], rel=0.03)
    # the initial slope of the GL law is −Hc2(0)/Tc; the quadratic slope fit recovers it within 5 %
    assert t["measured"]["hc2"]["dHc2dT_T_per_K"] == pytest.approx(t["truth"]["initial_slope_T_per_K"], rel=0.05)
    breaks = next(iter(t["measured"]["sigma"]["directions"].values()))["breakpoints_GPa"]
    assert breaks == pytest.approx(DEMO_TRANSPORT["sigma_p"]["breaks_GPa"], abs=3.0)
    assert (out / "checks" / "transport" / "transport.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
