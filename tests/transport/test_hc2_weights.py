"""The model term of μ0Hc2(0): Akaike (QAIC) weights of the law fits (hpglass.transport.hc2, module docstring)."""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.transport.hc2 import MODEL_SPREAD_FACTOR_EXTRAPOLATION, Hc2Points, _law_weights, fit_hc2
from hpglass.transport.synthetic import gl_hc2
from hpglass.transport.whh import WHH_DIRTY_COEFF_EXACT, whh_hc2


def test_weights_known_values():
    # equal χ² and parameter counts: equal weights
    w = _law_weights({"gl": (8.0, 2), "whh": (8.0, 2)}, 10, True)
    assert w == pytest.approx({"gl": 0.5, "whh": 0.5})
    # ĉ = max(1, min χ²_red) = 10/8: QAIC 8 + 4 and 16 + 4, ΔQAIC = 8 → w = 1/(1 + e⁻⁴)
    w = _law_weights({"gl": (10.0, 2), "whh": (20.0, 2)}, 10, True)
    assert w["gl"] == pytest.approx(1 / (1 + np.exp(-4.0)), rel=1e-12)
    # χ²_red < 1 with stated errors: ĉ stays 1 (generous errors do not sharpen the choice); without stated errors
    # the scatter is the scale: ĉ = 0.25 multiplies ΔQAIC by 4
    assert _law_weights({"gl": (1.0, 2), "whh": (2.0, 2)}, 10, True)["gl"] == pytest.approx(1 / (1 + np.exp(-0.5)))
    assert _law_weights({"gl": (2.0, 2), "whh": (3.0, 2)}, 10, False)["gl"] == pytest.approx(1 / (1 + np.exp(-2.0)))
    # one more parameter costs 2 in QAIC: a nested fit that gains nothing gets e⁻¹ of the weight
    w = _law_weights({"whh": (8.0, 2), "whh_pauli": (8.0, 3)}, 10, True)
    assert w["whh_pauli"] / w["whh"] == pytest.approx(np.exp(-1.0))
    assert _law_weights({"gl": (np.nan, 2)}, 10, True) == {}


def _points(law, t_red, tc=6.0, h0=5.0, s_t=0.01, seed=0):
    rng = np.random.default_rng(seed)
    t_red = np.asarray(t_red, float)
    h = gl_hc2(t_red, h0) if law == "gl" else whh_hc2(t_red * tc, tc, -h0 / (WHH_DIRTY_COEFF_EXACT * tc))
    T = np.r_[tc * t_red + rng.normal(0, s_t, t_red.size), tc]
    return Hc2Points(T, np.r_[h, 0.0], s_t, 0.002)


@pytest.mark.parametrize("law", ["gl", "whh"])
def test_points_at_low_t_choose_the_law(law):
    """Nine points down to 0.2 Tc: the χ² picks the law that holds (weight > 0.99); that law's error is its fit
    error (the model term adds < 10 %), the other law is biased beyond that error, and its own error (its Birge-scaled fit error and the
    distance to the chosen law) covers the truth."""
    res = fit_hc2(_points(law, np.linspace(0.2, 0.95, 9)), slope_model="quadratic")
    # for WHH points the α-free WHH fit (α ≈ 0: the same curve, one parameter more) keeps ≈ e⁻¹ of WHH's weight
    family = ("gl",) if law == "gl" else ("whh", "whh_pauli")
    assert not res.extrapolation and sum(res.law_weights.get(k, 0.0) for k in family) > 0.99
    own, other = ("gl", "whh") if law == "gl" else ("whh", "gl")
    key = {"gl": "hc2_gl", "whh": "hc2_whh_full"}
    own_v, own_e = getattr(res, key[own] + "_T"), getattr(res, key[own] + "_err_T")
    assert own_e <= 1.1 * getattr(res, key[own] + "_fit_err_T")
    assert abs(own_v - 5.0) < 1.96 * own_e
    oth_v, oth_e = getattr(res, key[other] + "_T"), getattr(res, key[other] + "_err_T")
    assert abs(oth_v - 5.0) > 3 * own_e  # the wrong law is biased beyond the right law's error …
    assert abs(oth_v - 5.0) < 1.96 * oth_e  # … and its error says so


def test_extrapolation_with_laws_alike_keeps_the_whole_distance():
    """Three exact points at 0.85–0.95 Tc, Tc given: the laws fit alike (weights ≈ ½), so the model term is
    √2·√(½Δ²) = Δ, the whole GL–WHH distance, as for an extrapolation before the weights."""
    t = np.array([0.85, 0.9, 0.95]) * 6.0
    pts = Hc2Points(t, whh_hc2(t, 6.0, -5.0 / (WHH_DIRTY_COEFF_EXACT * 6.0)), 0.05, 0.002)
    res = fit_hc2(pts, tc=6.0, slope_model="quadratic")
    assert res.extrapolation
    w = res.law_weights
    assert set(w) == {"gl", "whh"} and 0.3 < w["gl"] < 0.7
    gap = abs(res.hc2_gl_T - res.hc2_whh_full_T)
    term = MODEL_SPREAD_FACTOR_EXTRAPOLATION * gap * np.sqrt(w["whh"])
    assert res.hc2_gl_err_T == pytest.approx(np.hypot(res.hc2_gl_fit_err_T, term), rel=1e-9)
    assert res.to_dict()["law_weights"] == pytest.approx(w)
