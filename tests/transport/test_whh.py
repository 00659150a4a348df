"""WHH theory (Werthamer, Helfand & Hohenberg, Phys. Rev. 147, 295 (1966)), Pauli limit, GL coherence length."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import digamma

from hpglass.errors import InputError
from hpglass.transport.whh import (
    PAULI_T_PER_K,
    WHH_DIRTY_COEFF_EXACT,
    _rhs,
    _series_rhs,
    gl_coherence_length_nm,
    maki_alpha_from,
    pauli_limit_T,
    whh_dirty_limit_hc2_0,
    whh_hc2,
    whh_reduced_field,
)


@pytest.mark.parametrize(
    ("hbar", "t", "alpha", "lam"),
    [(0.1, 0.5, 0.0, 0.0), (0.1, 0.5, 1.0, 0.0), (0.1, 0.5, 1.0, 0.5), (0.05, 0.2, 3.0, 0.1),
     (0.2, 0.3, 0.5, 0.1), (0.1, 0.5, 1.0, 0.2),  # γ² = (αh̄)² − (λ/2)² = 0: the γ → 0 limit branch
     (0.25, 0.05, 0.3, 5.0)],
)
def test_digamma_form_equals_the_whh_series(hbar, t, alpha, lam):
    """The closed form sums the ν-series of WHH eq. (40) term by term (200 000 terms + analytic tail)."""
    assert float(_rhs(np.asarray(hbar), np.asarray(t), alpha, lam)) == pytest.approx(
        _series_rhs(hbar, t, alpha, lam), abs=1e-9)


def test_alpha_lambda_zero_reduces_to_the_digamma_equation():
    t = np.linspace(0.05, 0.99, 12)
    h = whh_reduced_field(t)
    ref = np.array([brentq(lambda x, ti=ti: digamma(0.5 + x / (2 * ti)) - digamma(0.5) - np.log(1 / ti), 0, 0.3,
                           xtol=1e-15) for ti in t])
    np.testing.assert_allclose(h, ref, rtol=1e-10, atol=1e-14)


def test_dirty_limit_coefficient_from_the_full_theory():
    """h̄(0) = e^{−γ_E}/2 = 0.2807 → μ0Hc2(0) = (π²/4)·0.2807·(−Tc slope) = 0.6927 (−Tc slope): the ‘0.693’ of
    WHH 1966 eq. (41), within 1e-3 of −0.6931 Tc slope."""
    h0 = whh_reduced_field(0.0)
    assert h0 == pytest.approx(np.exp(-np.euler_gamma) / 2, rel=1e-10)
    assert h0 == pytest.approx(0.2807, abs=1e-4)
    tc, slope = 7.5, -0.8
    full = whh_hc2(0.0, tc, slope)
    assert full == pytest.approx(-0.6931 * tc * slope, rel=1e-3)
    assert full == pytest.approx(WHH_DIRTY_COEFF_EXACT * tc * -slope, rel=1e-10)
    assert whh_dirty_limit_hc2_0(tc, slope) == pytest.approx(full, rel=1e-3)
    assert whh_dirty_limit_hc2_0(tc, slope) == pytest.approx(0.693 * 7.5 * 0.8)


@pytest.mark.parametrize(("alpha", "lam"), [(0.0, 0.0), (1.0, 0.0), (2.0, 1.0)])
def test_initial_slope_is_the_input_slope(alpha, lam):
    """The Pauli term is second order in h̄, so dHc2/dT at Tc is the orbital slope for every α, λ_so."""
    tc, slope = 6.0, -1.3
    dT = 1e-4
    d = (whh_hc2(tc - dT, tc, slope, alpha, lam) - whh_hc2(tc - 2 * dT, tc, slope, alpha, lam)) / dT
    assert d == pytest.approx(slope, rel=2e-3)


@pytest.mark.parametrize(("t", "alpha", "lam"), [(0.3, 1.0, 0.5), (0.7, 2.0, 0.0), (0.1, 0.5, 2.0)])
def test_root_agrees_with_brentq_on_the_series(t, alpha, lam):
    h = whh_reduced_field(t, alpha, lam)
    ref = brentq(lambda x: _series_rhs(x, t, alpha, lam, 100_000) - np.log(1 / t), 1e-6, 0.3, xtol=1e-13)
    assert h == pytest.approx(ref, rel=1e-7)


def test_pauli_and_spin_orbit_trends():
    t = np.array([0.0, 0.3, 0.6, 0.9])
    orb = whh_reduced_field(t)
    a1 = whh_reduced_field(t, 1.0)
    a1_so = whh_reduced_field(t, 1.0, 1.0)
    a1_so_big = whh_reduced_field(t, 1.0, 50.0)
    assert np.all(a1 < orb) and np.all(a1 < a1_so) and np.all(a1_so < a1_so_big) and np.all(a1_so_big < orb)
    # λ_so alone does nothing; large λ_so restores most of the orbital field
    np.testing.assert_allclose(whh_reduced_field(t, 0.0, 3.0), orb)
    assert a1_so_big[0] / orb[0] > 0.97


def test_largest_root_with_strong_pauli_limiting():
    """α = 5, λ_so = 0: h̄(t) is non-monotonic (the first-order regime); the reported root is the largest."""
    t = np.array([0.02, 0.1, 0.3, 0.5])
    h = whh_reduced_field(t, 5.0, 0.0)
    for ti, hi in zip(t, h, strict=True):
        assert float(_rhs(np.asarray(hi), np.asarray(ti), 5.0, 0.0)) == pytest.approx(np.log(1 / ti), abs=1e-10)
        above = np.linspace(hi * (1 + 1e-6), 0.3, 3000)
        assert np.all(_rhs(above, np.full_like(above, ti), 5.0, 0.0) > np.log(1 / ti))
    assert h[0] < h[2]  # Hc2 falls again at low t


def test_shapes_and_inputs():
    assert isinstance(whh_reduced_field(0.5), float)
    assert whh_reduced_field(np.ones((2, 3)) * 0.5).shape == (2, 3)
    assert whh_reduced_field(1.0) == 0.0 and whh_reduced_field(1.5) == 0.0
    assert whh_hc2(np.array([8.0, 7.5]), 7.5, -1.0).tolist() == [0.0, 0.0]
    with pytest.raises(InputError, match="≥ 0"):
        whh_reduced_field(-0.1)
    with pytest.raises(InputError, match="alpha"):
        whh_reduced_field(0.5, alpha=-1)
    with pytest.raises(InputError, match="negative"):
        whh_hc2(3.0, 7.5, +1.0)
    with pytest.raises(InputError, match="Tc"):
        whh_hc2(3.0, 0.0, -1.0)


def test_pauli_maki_and_coherence_length():
    assert pauli_limit_T(1.0) == pytest.approx(1.84)
    assert pauli_limit_T(7.5) == pytest.approx(PAULI_T_PER_K * 7.5)
    np.testing.assert_allclose(pauli_limit_T(np.array([1.0, 2.0])), [1.84, 3.68])
    assert maki_alpha_from(1.84, 1.84) == pytest.approx(np.sqrt(2))
    # ξ = √(Φ0/2πμ0Hc2): 1 T → 18.14 nm, ∝ Hc2^(−1/2)
    assert gl_coherence_length_nm(1.0) == pytest.approx(18.14, abs=0.005)
    assert gl_coherence_length_nm(4.0) == pytest.approx(18.14 / 2, abs=0.005)
    with pytest.raises(InputError):
        gl_coherence_length_nm(0.0)
    with pytest.raises(InputError):
        maki_alpha_from(1.0, 0.0)
