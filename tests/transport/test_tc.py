"""Known-answer tests of hpglass.transport.tc on synthetic R(T) with known Tc, width, slope and noise.

Truth: ``synthetic.rt_curve`` draws R(T) = (r₀ + a·T)·½[1 + tanh((T − T_c)/w)] + N(0, σ). Because find_tc evaluates
the normal-state line R_n(T) at each T, the 90/50/10 % temperatures of this model are exactly T_c + w·atanh(2f − 1)
for any slope a. The onset (steepest tangent ∩ normal line) and the zero temperature are computed here from the
noise-free model by their definitions (the onset is T_c + w/(1 − a·w/R_n(T_c)) ≈ T_c + w).

Sampling: 2–12 K every 0.01 K (a PPMS sweep), r₀ = 1 Ω, a = 0.02 Ω/K, σ = 10⁻³ Ω (0.1 % of R_n ≈ 1.12 Ω).
Tolerances, from the error model of each definition (numbers measured with these seeds in comments):
* 50 %: the slope there is R_n/(2w) ≥ 1.1 Ω/K for w ≤ 0.5 K, so σ/slope ≤ 0.001 K; interpolation on 0.01 K steps
  adds < 10⁻⁵ K. Tolerance 0.02 K (the brief's figure for w = 0.2 K) for every width; measured ≤ 0.001 K.
* 90 / 10 %: the slope is 0.36 R_n/(2w) and the R_n line (fitted over ≥ 4 widths) is known to ~10⁻⁴ R_n:
  tolerance 0.01 K + 0.02·w; measured ≤ 0.0033 K (w = 0.5 K).
* onset: the cubic tangent recovers the maximum slope of a tanh to 0.6 % (module docstring), i.e. a bias of
  ≤ 0.006·w, plus noise: tolerance 0.005 K + 0.03·w against the exact definition; measured ≤ 0.0042 K.
* zero: in the exponential foot R ≈ 2R_n e^{2(T−T_c)/w}, so a smoothed-curve error δR moves the crossing by
  δR·w/(2·threshold); with δR ≈ σ and threshold ≈ 3σ that is w/6 at one σ: tolerance 0.005 K + 0.15·w;
  measured ≤ 0.037 K (w = 0.5 K).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

from hpglass.errors import InputError
from hpglass.transport.curve import RCurve
from hpglass.transport.synthetic import rh_curve, rt_curve, step
from hpglass.transport.tc import TcResult, find_tc, is_semiconducting

T = np.arange(2.0, 12.0 + 1e-9, 0.01)
R0, SLOPE, NOISE, TC = 1.0, 0.02, 1e-3, 6.0
ATANH08 = np.arctanh(0.8)


def model(t, tc=TC, w=0.2, r0=R0, a=SLOPE):
    return (r0 + a * np.asarray(t)) * step(t, tc, w)


def exact_onset(tc, w, r0=R0, a=SLOPE):
    """Steepest tangent of the noise-free model ∩ the line r0 + a·T."""

    def deriv(t):
        s = step(t, tc, w)
        return a * s + (r0 + a * t) * 0.5 / w / np.cosh((t - tc) / w) ** 2

    res = minimize_scalar(lambda t: -deriv(t), bounds=(tc - w, tc + w), method="bounded",
                          options={"xatol": 1e-12})
    ts = res.x
    m, rs = deriv(ts), model(ts, tc, w, r0, a)
    return (rs - m * ts - r0) / (a - m)


@pytest.mark.parametrize("w", [0.05, 0.2, 0.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_transition_definitions(w, seed):
    res = find_tc(rt_curve(T, TC, w, r0=R0, slope=SLOPE, noise=NOISE, seed=seed))
    assert isinstance(res, TcResult) and res.superconducting
    assert abs(res.tc_50_K - TC) < 0.02
    tol_9010 = 0.01 + 0.02 * w
    assert abs(res.tc_90_K - (TC + w * ATANH08)) < tol_9010
    assert abs(res.tc_10_K - (TC - w * ATANH08)) < tol_9010
    onset = exact_onset(TC, w)
    # the definition is ≈ T_c + w (synthetic docstring); the normal-state slope adds a·w²/R_n(T_c) = 0.9 % of w
    assert abs(onset - (TC + w)) < 0.01 * w + 1e-4
    assert abs(res.tc_onset_K - onset) < 0.005 + 0.03 * w
    thr = res.zero_threshold_ohm
    # default threshold max(3σ, 1e-3 R_n): σ estimated from the plateau within 20 %
    assert thr == pytest.approx(max(3 * NOISE, 1e-3 * res.r_normal_ohm), rel=0.2)
    t_zero = brentq(lambda t: model(t, TC, w) - thr, 2.0, TC)
    assert abs(res.tc_zero_K - t_zero) < 0.005 + 0.15 * w
    # normal state: R_n at the onset and the slope (σ of the slope over the shortest window ≈ 0.0012 Ω/K)
    assert res.r_normal_ohm == pytest.approx(R0 + SLOPE * res.tc_onset_K, rel=2e-3)
    assert abs(res.normal_slope_ohm_per_K - SLOPE) < 0.005
    assert res.noise_ohm == pytest.approx(NOISE, rel=0.2)
    # the one transition: its own midpoint, 10–90 % width (2w·atanh 0.8) and full height
    (tr,) = res.transitions
    assert abs(tr.t_mid_K - TC) < 0.02
    assert tr.width_K == pytest.approx(2 * w * ATANH08, rel=0.06)  # smoothing broadens it by ≤ 4.3 %
    assert tr.step_fraction == pytest.approx(1.0, abs=0.06)
    assert res.width_90_10_K == pytest.approx(2 * w * ATANH08, abs=2 * tol_9010)


def test_noise_free_curve_is_exact():
    """Without noise every crossing is the analytic value to interpolation accuracy (0.01 K steps)."""
    w = 0.2
    res = find_tc(rt_curve(T, TC, w, r0=R0, slope=SLOPE))
    assert abs(res.tc_50_K - TC) < 1e-4
    assert abs(res.tc_90_K - (TC + w * ATANH08)) < 2e-4
    assert abs(res.tc_10_K - (TC - w * ATANH08)) < 2e-4
    assert abs(res.tc_onset_K - exact_onset(TC, w)) < 0.002
    assert res.zero_threshold_ohm == pytest.approx(1e-3 * res.r_normal_ohm)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_transitions_found(seed):
    """The reference study's 51 GPa curve: steps at 6.5 and 7.5 K (w = 0.15 K, half the resistance each)."""
    res = find_tc(rt_curve(T, [6.5, 7.5], 0.15, weights=[0.5, 0.5], r0=R0, slope=SLOPE, noise=NOISE, seed=seed))
    assert res.superconducting and len(res.transitions) == 2
    hi, lo = res.transitions  # highest temperature first
    # each midpoint: the half-height crossing of its own step (measured within 0.002 K)
    assert abs(hi.t_mid_K - 7.5) < 0.02 and abs(lo.t_mid_K - 6.5) < 0.02
    assert abs(hi.t_max_slope_K - 7.5) < 0.02 and abs(lo.t_max_slope_K - 6.5) < 0.02
    # each step is half of R_n (measured 0.49–0.50)
    assert hi.step_fraction == pytest.approx(0.5, abs=0.05) and lo.step_fraction == pytest.approx(0.5, abs=0.05)
    for tr in (hi, lo):
        assert tr.width_K == pytest.approx(2 * 0.15 * ATANH08, rel=0.1)
    # the onset belongs to the upper step (≈ 7.5 + w) and zero to the lower one
    assert abs(res.tc_onset_K - 7.65) < 0.01
    assert 6.0 < res.tc_zero_K < 6.3
    d = res.to_dict()
    assert d["n_transitions"] == 2 and [round(t["t_mid_K"], 1) for t in d["transitions"]] == [7.5, 6.5]


def test_close_transitions_resolved():
    """Steps only 3.3 w apart (6.5 and 7.0 K, flat normal state) are still two."""
    res = find_tc(rt_curve(T, [6.5, 7.0], 0.15, weights=[0.5, 0.5], noise=NOISE, seed=3))
    assert [round(t.t_mid_K, 1) for t in res.transitions] == [7.0, 6.5]
    assert all(t.step_fraction == pytest.approx(0.5, abs=0.05) for t in res.transitions)


def test_not_reaching_zero_gives_tc_zero_none():
    """Half the sample's resistance drops at 6 K, the rest below the measured range (1 K): never zero."""
    res = find_tc(rt_curve(T, [6.0, 1.0], 0.15, weights=[0.5, 0.5], r0=R0, slope=SLOPE, noise=NOISE, seed=0))
    assert res.superconducting
    assert res.tc_zero_K is None and res.tc_10_K is None
    assert res.to_dict()["tc_zero_K"] is None
    assert abs(res.transitions[0].t_mid_K - 6.0) < 0.02
    assert res.transitions[0].step_fraction == pytest.approx(0.5, abs=0.05)
    # R/R_n = 0.5 + 0.5·s = 0.9 → s = 0.8 → T = T_c + w·atanh(2·0.8 − 1)
    assert abs(res.tc_90_K - (6.0 + 0.15 * np.arctanh(0.6))) < 0.01


@pytest.mark.parametrize("kind", ["flat", "metallic", "semiconducting", "metallic_T2"])
@pytest.mark.parametrize("noise", [0.0, 1e-3, 1e-2])
def test_no_transition_is_an_explicit_result(kind, noise):
    rng = np.random.default_rng(7)
    base = {"flat": np.ones_like(T), "metallic": 1 + 0.05 * T, "semiconducting": np.exp(30 / T - 3),
            "metallic_T2": 0.2 + 0.01 * T**2}[kind]
    r = base * (1 + rng.normal(0, noise, T.size))
    res = find_tc((T, r))
    assert res.superconducting is False
    assert (res.tc_onset_K, res.tc_90_K, res.tc_50_K, res.tc_10_K, res.tc_zero_K) == (None,) * 5
    assert res.transitions == () and "no step" in res.reason
    assert res.normal_state_semiconducting is (kind == "semiconducting")
    d = res.to_dict()
    assert d["superconducting"] is False and d["tc_50_K"] is None and d["transitions"] == []


def test_is_semiconducting():
    rng = np.random.default_rng(1)
    semi = np.exp(30 / T - 3) * (1 + rng.normal(0, 1e-3, T.size))
    assert is_semiconducting((T, semi))
    assert not is_semiconducting((T, 1 + 0.05 * T))
    assert not is_semiconducting((T, 1 + rng.normal(0, 1e-3, T.size)))  # flat and noisy: no significant trend
    # a semiconducting normal state above a superconducting drop (as near 24 GPa in the reference study)
    sc_semi = rt_curve(T, 5.0, 0.2).resistance_ohm * np.exp(8 / T) * (1 + rng.normal(0, 1e-3, T.size))
    assert is_semiconducting((T, sc_semi))
    res = find_tc((T, sc_semi))
    assert res.superconducting and res.normal_state_semiconducting
    assert abs(res.tc_50_K - 4.98) < 0.03  # R_n(T)·step with R_n ∝ e^{8/T} curving: measured 4.977


def test_unsorted_and_mixed_sweeps():
    """Shuffled points and an up + down sweep merged (same T grid → averaged duplicates) give the same Tc."""
    up = rt_curve(T, TC, 0.2, r0=R0, slope=SLOPE, noise=NOISE, seed=0)
    down = rt_curve(T[::-1], TC, 0.2, r0=R0, slope=SLOPE, noise=NOISE, seed=5)
    t = np.concatenate([up.temperature_K, down.temperature_K])
    r = np.concatenate([up.resistance_ohm, down.resistance_ohm])
    perm = np.random.default_rng(0).permutation(t.size)
    res = find_tc(RCurve(t[perm], r[perm], 0.0))
    assert res.n_points == T.size  # duplicates averaged
    assert abs(res.tc_50_K - TC) < 0.01
    assert abs(res.tc_90_K - (TC + 0.2 * ATANH08)) < 0.015
    assert res.noise_ohm == pytest.approx(NOISE / np.sqrt(2), rel=0.25)  # averaging two sweeps


def test_options_normal_window_threshold_smooth():
    c = rt_curve(T, TC, 0.2, r0=R0, slope=SLOPE, noise=NOISE, seed=1)
    res = find_tc(c, normal_window=(8.0, 11.0), zero_threshold=0.05, smooth=0.1)
    assert res.normal_window_K[0] >= 8.0 and res.normal_window_K[1] <= 11.0
    assert 299 <= res.normal_n_points <= 301  # 8.00 … 11.00 K every 0.01 K (float grid ends)
    assert res.zero_threshold_ohm == 0.05
    assert abs(res.tc_zero_K - brentq(lambda t: model(t, TC, 0.2) - 0.05, 2, TC)) < 0.02
    assert res.smooth_K == pytest.approx(0.11)  # 11 points of 0.01 K
    assert abs(res.tc_50_K - TC) < 0.01


def test_min_step():
    """A 5 % drop (R = R_n(T)·(0.95 + 0.05·step)) is no transition at min_step = 0.1 but one at 0.03."""
    r = (R0 + SLOPE * T) * (0.95 + 0.05 * step(T, TC, 0.2))
    r = r + np.random.default_rng(4).normal(0, 1e-4, T.size)
    assert find_tc((T, r)).superconducting is False
    res = find_tc((T, r), min_step=0.03)
    assert res.superconducting and res.tc_zero_K is None and res.tc_50_K is None
    assert res.transitions[0].step_fraction == pytest.approx(0.05, abs=0.01)
    assert abs(res.transitions[0].t_mid_K - TC) < 0.02


def test_noisy_and_coarse_curves():
    """1 % noise, and 0.1 K sampling (only ~4 points inside 10–90 %): 50 % within 0.02 / 0.01 K."""
    for seed in range(3):
        res = find_tc(rt_curve(T, TC, 0.2, r0=R0, slope=SLOPE, noise=1e-2, seed=seed))
        assert res.superconducting and len(res.transitions) == 1
        assert abs(res.tc_50_K - TC) < 0.02  # σ/slope = 0.01/2.8 ≈ 0.004 K; measured ≤ 0.004
    coarse = np.arange(2.0, 12.0 + 1e-9, 0.1)
    res = find_tc(rt_curve(coarse, 6.03, 0.2, r0=R0, slope=SLOPE, noise=NOISE, seed=0))
    assert abs(res.tc_50_K - 6.03) < 0.01  # linear interpolation at the inflection: measured 0.0006


def test_wide_range_metallic_curve():
    """A 2–300 K sweep with R(300 K)/R_n ≈ 19 still finds the 6 K step relative to R_n, not to R(300 K)."""
    tt = np.concatenate([np.arange(2, 20, 0.02), np.arange(20, 300, 0.5)])
    r = rt_curve(tt, 6.0, 0.2).resistance_ohm * (1 + 2e-4 * tt**2)
    r = r + np.random.default_rng(2).normal(0, 1e-3, tt.size)
    res = find_tc((tt, r))
    assert res.superconducting and len(res.transitions) == 1
    assert abs(res.tc_50_K - 6.0) < 0.01 and res.transitions[0].step_fraction == pytest.approx(1, abs=0.05)


def test_input_errors():
    with pytest.raises(InputError, match="at least 10"):
        find_tc((np.arange(5.0), np.ones(5)))
    with pytest.raises(InputError):
        find_tc((T, np.ones(3)))
    with pytest.raises(InputError, match="field"):
        find_tc(rh_curve(np.linspace(0, 5, 50), 4.0, 2.0, 0.2))
    c = rt_curve(T, TC, 0.2)
    with pytest.raises(InputError) as e:
        find_tc(c, normal_window=(20.0, 25.0))
    assert e.value.field == "normal_window"
    with pytest.raises(InputError):
        find_tc(c, normal_window=(9.0, 8.0))
    with pytest.raises(InputError):
        find_tc(c, zero_threshold=-1.0)
    with pytest.raises(InputError):
        find_tc(c, min_step=1.5)
    # NaNs are dropped, not fatal
    r = c.resistance_ohm.copy()
    r[::50] = np.nan
    assert abs(find_tc((T, r)).tc_50_K - TC) < 0.01


def test_to_dict_keys_and_json():
    import json

    d = find_tc(rt_curve(T, TC, 0.2, noise=NOISE)).to_dict()
    for key in ("tc_onset_K", "tc_90_K", "tc_50_K", "tc_10_K", "tc_zero_K", "r_normal_ohm", "normal_window_K",
                "zero_threshold_ohm", "transitions", "superconducting", "hpglass_version"):
        assert key in d
    json.dumps(d)  # JSON-ready: plain floats, lists, None
