"""`hpglass demo`'s terminal summary shows every number by the one display rule (hpglass.precision): a number with an
error as ``fmt`` writes it (two significant digits of the error, the value to the same decimal), one without at most
four significant digits (``fmt_value``). Uses the session's shared demo run (tests/cli/conftest.py: ``demo_run``)."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest

from hpglass.cli.demo import summary_lines
from hpglass.precision import fmt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from test_html import _NUM, _PM, _significant  # the report's digit check, reused


def _text(lines: list[str]) -> str:
    """The printed summary without rich markup and without the lines that name files (paths hold digits)."""
    keep = [ln for ln in lines if not ln.lstrip().startswith(("written:", "report:"))]
    return re.sub(r"\[/?bold\]", "", "\n".join(keep))


def _violations(text: str) -> list[str]:
    bad = []
    for value, err in _PM.findall(text):
        d_v = len(value.split(".")[1]) if "." in value else 0
        d_e = len(err.split(".")[1]) if "." in err else 0
        if d_v != d_e or not (_significant(err) == 2 if d_e else len(err.rstrip("0")) <= 2):
            bad.append(f"{value} ± {err}")
    bare = _PM.sub(" ", text)  # numbers outside a "value ± error" pair: at most four significant digits
    bad += [t for t in _NUM.findall(bare) if _significant(t) > 4]
    return bad


@pytest.fixture(scope="module")
def shown(demo_run):
    result, out = demo_run
    assert result.exit_code == 0, (result.stderr, result.exception)
    summary = json.loads(result.stdout)
    return summary, out, _text(summary_lines(summary, out))


def test_no_number_has_more_digits_than_its_error_allows(shown):
    _, _, text = shown
    assert _PM.findall(text)  # the check has something to check
    assert _violations(text) == [], text


def test_fitted_diffraction_and_transport_numbers_carry_their_errors(shown):
    summary, _, text = shown
    m = summary["diffraction"]["measured"]
    assert f"q1 = {fmt(m['q1_A-1'], m['q1_err_A-1'], 'Å⁻¹')}" in text
    assert f"r1 = {fmt(m['r1_A'], m['r1_err_A'], 'Å')}" in text
    assert f"bkg scale   {fmt(m['bkg_scale'], m['bkg_scale_err'])}" in text
    sig = next(iter(summary["transport"]["measured"]["sigma"]["directions"].values()))
    shown_breaks = ", ".join(fmt(b, e) for b, e in zip(sig["breakpoints_GPa"], sig["breakpoint_errs_GPa"],
                                                        strict=True))
    assert f"σ(P) breakpoints {shown_breaks} GPa" in text
    for b in summary["study"]["phase_boundaries"]:
        assert f"{b['name']}: {fmt(b['pressure_GPa'], b['err_GPa'], 'GPa')}" in text
    if m.get("cn_err") is None:  # the chain gives CN no error: the line says so instead of implying precision
        assert "(no error estimated)" in text


def test_rule_applied_to_a_boundary_with_a_large_error(shown):
    """The issue's example: a boundary at 11.678 GPa with an error of 2.17 GPa reads 11.7 ± 2.2, never 11.68."""
    summary, out, _ = shown
    s = copy.deepcopy(summary)
    s["study"]["phase_boundaries"] = [dict(s["study"]["phase_boundaries"][0], name="LDA/HDA",
                                           pressure_GPa=11.678564552714866, err_GPa=2.1683893275506314)]
    text = _text(summary_lines(s, out))
    assert "LDA/HDA: 11.7 ± 2.2 GPa" in text and "11.68" not in text
    s["diffraction"]["measured"]["q1_err_A-1"] = 0.0123
    text = _text(summary_lines(s, out))
    assert f"q1 = {s['diffraction']['measured']['q1_A-1']:.3f} ± 0.012 Å⁻¹" in text
    assert _violations(text) == []
