"""Coverage of the transport errors on seeded replicas (issue 12): value ± 1.96·err must hold the truth in ≥ 85 %
of 60+ replicas, so an error that is too small fails here, not in a reader's conclusions.

The replicas are those of ``benchmarks/coverage_transport.py`` (asymmetric steps on curved normal states, R noise
with spikes, thermometer scatter; Hc2 points on a WHH or a GL line, fitted by both laws), which prints the full
table on 400 replicas per case. Binomial 1σ of a coverage of 0.95 on 60 replicas: 0.028 — 0.85 is a regression,
not noise. The seeds are fixed, so each test is deterministic.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from hpglass.transport.hc2 import Hc2Points, fit_hc2
from hpglass.transport.tc import find_tc

Z95 = 1.959963984540054
N = 60


def _bench():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "coverage_transport.py"
    name = "hpglass_bench_coverage_transport"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _cov(est, err, truth, z=Z95) -> float:
    est, err, truth = (np.asarray(x, dtype=float) for x in (est, err, truth))
    ok = np.isfinite(est) & np.isfinite(err) & np.isfinite(truth)
    assert ok.sum() >= 0.9 * est.size, f"only {ok.sum()} of {est.size} replicas gave a value and an error"
    return float(np.mean(np.abs(est[ok] - truth[ok]) <= z * err[ok]))


@pytest.mark.parametrize("coarse", [False, True], ids=["dense", "coarse"])
def test_tc_coverage(coarse):
    """Tc by every definition on 60 R(T) replicas (sampled every 5–60 mK, or 0.5–2 widths per point).

    Measured on 400 replicas: 50 % 0.98 / 0.98, 90 % 0.99 / 1.00, 10 % 0.97 / 0.99, onset 0.97 / 1.00, zero
    0.98 / 0.97 (dense / coarse). Before issue 12 find_tc gave no errors at all."""
    b = _bench()
    rng = np.random.default_rng(2024 + coarse)
    keys = ("tc_50_K", "tc_90_K", "tc_10_K", "tc_onset_K", "tc_zero_K")
    est = {k: [] for k in keys}
    err = {k: [] for k in keys}
    tru = {k: [] for k in keys}
    for _ in range(N):
        t, r, truth = b.rt_replica(rng, coarse=coarse)
        res = find_tc((t, r))
        for k in keys:
            v, e = getattr(res, k), getattr(res, k.replace("_K", "_err_K"))
            est[k].append(np.nan if v is None else v)
            err[k].append(np.nan if e is None else e)
            if k == "tc_zero_K":
                tru[k].append(np.nan if res.zero_threshold_ohm is None else truth["zero"](res.zero_threshold_ohm))
            else:
                tru[k].append(truth[k])
    cov = {k: _cov(est[k], err[k], tru[k]) for k in keys}
    assert all(c >= 0.85 for c in cov.values()), cov
    # the errors are not inflated to get there: the 68 % intervals are not all-covering either
    assert _cov(est["tc_50_K"], err["tc_50_K"], tru["tc_50_K"], z=1.0) < 0.9


@pytest.mark.parametrize("regime", ["low T", "near Tc"])
def test_hc2_gl_coverage(regime):
    """GL μ0Hc2(0) on 30 WHH-law and 30 GL-law point sets (the analyst does not know which law holds).

    With points reaching 0.15–0.55 Tc the GL fit of WHH points is +5 % off; with points above 0.6 Tc (an
    extrapolation) +22 %. Only the model term covers that: with the fit error alone the WHH-law replicas are covered
    in ≈ 0.5 (low T) and ≈ 0.0 (near Tc) of cases — checked below, so the test can tell."""
    b = _bench()
    est, err, fit_err, tru, laws, flagged = [], [], [], [], [], []
    for i, law in enumerate(("whh", "gl")):
        rng = np.random.default_rng(77 + i + (10 if regime == "near Tc" else 0))
        for _ in range(N // 2):
            pts, h0 = b.hc2_replica(rng, law, regime)
            res = fit_hc2(pts, slope_model="quadratic")
            est.append(res.hc2_gl_T / h0)
            err.append(res.hc2_gl_err_T / h0)
            fit_err.append(res.hc2_gl_fit_err_T / h0)
            tru.append(1.0)
            laws.append(law)
            flagged.append(res.extrapolation)
    laws = np.array(laws)
    assert _cov(est, err, tru) >= 0.85
    whh = laws == "whh"
    assert _cov(np.array(est)[whh], np.array(err)[whh], np.ones(whh.sum())) >= 0.85
    assert _cov(np.array(est)[whh], np.array(fit_err)[whh], np.ones(whh.sum())) < 0.75
    assert np.mean(flagged) == (1.0 if regime == "near Tc" else 0.0)


def test_hc2_full_whh_coverage_when_the_law_is_right():
    """The full WHH fit of WHH points with stated errors 0.5–2× the real scatter: the Birge ratio alone (fit error,
    no model term) covers — 0.95 on 400 replicas, points near Tc or at low T alike; 0.86–0.88 when the covariance
    was scaled by χ²_red (shrunk when χ²_red < 1). Points near Tc here: the quicker fits."""
    b = _bench()
    rng = np.random.default_rng(5)
    est, err = [], []
    for _ in range(N):
        pts, h0 = b.hc2_replica(rng, "whh", "near Tc")
        res = fit_hc2(pts, slope_model="quadratic", methods=("whh",))
        est.append(res.hc2_whh_full_T / h0)
        err.append(res.hc2_whh_full_fit_err_T / h0)
    assert _cov(est, err, np.ones(N)) >= 0.85


def test_issue_example_four_points_near_tc():
    """Issue 12: four R(H) points at 2.0–2.3 K (the nomad PPMS file, Tc ≈ 3.1 K extrapolated) gave a full-WHH
    μ0Hc2(0) of 1.017 ± 0.008 T while GL said 1.067 T. Now it is labelled an extrapolation and every method's error
    covers the distance to the other law."""
    pts = Hc2Points([1.9999955, 2.1000309, 2.2000138, 2.3000091], [0.4901389, 0.4472602, 0.4080310, 0.3645259],
                    [0.00045, 0.00068, 0.00076, 0.00078], [0.0031164, 0.0031704, 0.0030282, 0.0029852])
    res = fit_hc2(pts, slope_model="quadratic")
    assert res.tc_source == "extrapolated" and res.extrapolation
    assert "extrapolation" in res.extrapolation_note and "Tc itself is extrapolated" in res.extrapolation_note
    assert res.t_min_reduced > 0.6 and res.t_span_reduced < 0.3
    gap = abs(res.hc2_gl_T - res.hc2_whh_full_T)
    assert gap == pytest.approx(0.050, abs=0.005)
    assert res.hc2_whh_full_err_T >= gap and res.hc2_gl_err_T >= gap
    assert res.hc2_whh_err_T >= max(abs(res.hc2_whh_T - res.hc2_gl_T), abs(res.hc2_whh_T - res.hc2_whh_full_T))
    # χ²_red ≈ 0.2: the Birge ratio leaves the stated errors as they are (0.008 T came from scaling them down)
    assert res.whh_chi2_red < 1 and res.hc2_whh_full_fit_err_T > 0.015
    assert res.model_spread_T == pytest.approx(max(res.hc2_gl_T, res.hc2_whh_T, res.hc2_whh_full_T)
                                               - min(res.hc2_gl_T, res.hc2_whh_T, res.hc2_whh_full_T))
    d = res.to_dict()
    for key in ("extrapolation", "extrapolation_note", "model_spread_T", "hc2_gl_fit_err_T", "hc2_whh_fit_err_T",
                "hc2_whh_full_fit_err_T", "t_min_reduced", "t_span_reduced"):
        assert key in d


def test_points_down_to_low_temperature_are_no_extrapolation():
    t = np.array([7.5, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0])
    h = 5.0 * (1 - (t / 7.5) ** 2) / (1 + (t / 7.5) ** 2)
    res = fit_hc2(Hc2Points(t, h, 0.01, 0.002), slope_model="quadratic")
    assert not res.extrapolation and res.extrapolation_note is None
    # only GL asked for: full WHH still runs for the model term, but is not reported
    only = fit_hc2(Hc2Points(t, h, 0.01, 0.002), methods=("gl",), slope_model="quadratic")
    assert only.hc2_whh_full_T is None and only.hc2_whh_T is None
    assert only.hc2_gl_err_T == pytest.approx(res.hc2_gl_err_T, rel=1e-4)
    # narrow span below 0.6 Tc: still an extrapolation of the shape
    t2 = np.array([7.5, 3.6, 3.4, 3.2])
    h2 = 5.0 * (1 - (t2 / 7.5) ** 2) / (1 + (t2 / 7.5) ** 2)
    res2 = fit_hc2(Hc2Points(t2, h2, 0.01, 0.002))
    assert res2.extrapolation and "span only" in res2.extrapolation_note


def test_points_without_errors_fall_back_to_their_scatter():
    """No stated errors: the scatter is the only estimate, the covariance scales by χ²_red (it may shrink)."""
    rng = np.random.default_rng(3)
    t = np.array([7.5, 7.0, 6.5, 6.0, 5.0, 4.0, 3.0, 2.0])
    h = 5.0 * (1 - (t / 7.5) ** 2) / (1 + (t / 7.5) ** 2)
    tt = t + rng.normal(0, 0.01, t.size)
    res = fit_hc2(Hc2Points(tt, h), methods=("gl",))
    assert 0 < res.hc2_gl_fit_err_T < 0.05


def test_pauli_limited_points_widen_the_fixed_alpha_errors():
    """Points on a Pauli-limited WHH line (α = 1) down to 0.2 Tc: GL and the α = 0 WHH fit both overshoot μ0Hc2(0)
    by ≈ 10 % (the laws agree with each other, not with the truth); the WHH fit with α free (run for the model
    term when the points reach low T) brings both errors up to their distance from the truth. Near Tc (an
    extrapolation) that fit is not tried."""
    from hpglass.transport.whh import whh_hc2

    tc, slope, alpha = 7.0, -1.0, 1.0
    t = np.r_[tc, np.linspace(0.2, 0.95, 9) * tc]
    h = np.r_[0.0, whh_hc2(t[1:], tc, slope, alpha)]
    truth = float(whh_hc2(0.0, tc, slope, alpha))
    rng = np.random.default_rng(0)
    pts = Hc2Points(t + rng.normal(0, 0.01, t.size), h, 0.01, 0.002)
    res = fit_hc2(pts, slope_model="quadratic")
    assert not res.extrapolation
    assert res.hc2_whh_full_T > 1.07 * truth and res.hc2_gl_T > 1.07 * truth
    assert abs(res.hc2_whh_full_T - truth) < 1.96 * res.hc2_whh_full_err_T
    assert abs(res.hc2_gl_T - truth) < 1.96 * res.hc2_gl_err_T
    assert res.model_spread_T >= 0.8 * (res.hc2_gl_T - truth)
