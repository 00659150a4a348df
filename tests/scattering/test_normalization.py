"""Normalization on exact intensities: α and S(q) are recovered where the physics says they should be."""

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.scattering.hard_sphere import percus_yevick_sq, sigma_for
from hpglass.scattering.normalization import extend_to_zero, faber_ziman_sq, high_q_fit, krogh_moe_norman
from hpglass.scattering.synthetic import sample_intensity
from hpglass.xray import klein_nishina, scattering_factors

LAM = 0.2952
RHO = 0.0307


def _setup(q, u=0.0):
    sigma = sigma_for(RHO, 0.35)
    sq = 1 + (percus_yevick_sq(q, RHO, sigma) - 1) * np.exp(-(u * q) ** 2)
    alpha_true = 3.7
    inten = sample_intensity(q, sq, "Sb2Se3", LAM, alpha_true)
    sf = scattering_factors("Sb2Se3", q)
    comp = sf.compton * klein_nishina(q, LAM)
    return sq, alpha_true, inten, sf, comp


def test_inverse_of_forward_model_is_exact():
    q = np.linspace(0.5, 20, 2000)
    sq, a, inten, sf, comp = _setup(q)
    np.testing.assert_allclose(faber_ziman_sq(inten, a, sf, comp), sq, rtol=1e-12)


def test_krogh_moe_exact_when_the_integral_converges():
    """With S(q) − 1 damped (Debye–Waller u = 0.25 Å) so that q²[S − 1] is negligible beyond 20 Å⁻¹ and the data
    starting at q_min = 0.02 Å⁻¹ (the low-q line then carries < 1e-5 of the integral), Krogh-Moe returns the
    true α to 0.1 % — the residual is the trapezoid error on the 0.01 Å⁻¹ grid."""
    q = np.arange(0.02, 20, 0.01)
    sq, a, inten, sf, comp = _setup(q, u=0.25)
    s0 = sq[0]
    alpha = krogh_moe_norman(q, inten, sf, comp, RHO, s0)
    assert alpha == pytest.approx(a, rel=1e-3)


def test_high_q_fit_exact_for_converged_data():
    q = np.arange(0.5, 25, 0.01)
    sq, a, inten, sf, comp = _setup(q, u=0.3)
    assert high_q_fit(q, inten, sf, comp, 12.0) == pytest.approx(a, rel=2e-3)


def test_negative_intensity_gives_clear_error():
    q = np.linspace(1, 10, 100)
    sf = scattering_factors("Sb2Se3", q)
    with pytest.raises(InputError, match="background scale"):
        krogh_moe_norman(q, -np.ones_like(q), sf, sf.compton, RHO, 0.0)


def test_extend_to_zero_keeps_step_and_joins():
    q = np.arange(0.8, 5, 0.05)
    s = np.linspace(0.2, 1, q.size)
    qe, se = extend_to_zero(q, s, -0.04, "linear")
    assert qe[0] == 0 and se[0] == pytest.approx(-0.04)
    assert np.allclose(np.diff(qe[: qe.size - q.size + 1]), 0.05, atol=1e-9) or qe[1] < 0.05 + 1e-9
    np.testing.assert_allclose(qe[-q.size:], q)
    assert np.all(np.diff(qe) > 0)
