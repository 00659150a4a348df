"""Density and background-scale recovery on exact Percus–Yevick data (the issue's acceptance test).

Patterns: exact PY S(q) (η = 0.32, ρ = 4.90 g/cm³ of Sb2Se3 → σ = 2.71 Å) made into intensities with the
Sb/Se form factors, Compton and Klein–Nishina (α = 5), plus 0.8 × a DAC background (diamond Compton + humps)
that is ~1–2× the sample signal at high q, with counting noise (1000 counts per unit intensity ≈ 0.5 % per
point). Tolerance ±2 % on both density and background scale (the issue's requirement). Measured on this
machine: density errors +0.1 … +1.0 % (the positive bias comes from extrapolating S(q) below q_min = 0.8 Å⁻¹
to the Laue limit S(0) = −0.04 while the PY S(0) is +0.08), background errors within ±1.5 %.
"""

import numpy as np
import pytest

from hpglass.composition import Composition
from hpglass.scattering.config import make_config
from hpglass.scattering.density import refine_density
from hpglass.scattering.hard_sphere import percus_yevick_s0, percus_yevick_sq, sigma_for
from hpglass.scattering.pipeline import process
from hpglass.scattering.reduce import Reducer
from hpglass.scattering.synthetic import synthetic_patterns

COMP = Composition.parse("Sb2Se3")
RHO_G = 4.90
RHO = COMP.number_density(RHO_G)
ETA = 0.32
SIGMA = sigma_for(RHO, ETA)
LAM = 0.2952
BKG = 0.8


def patterns(q_max, seed=0, counts=1000.0, n=3000):
    q = np.linspace(0.8, q_max, n)
    return synthetic_patterns(q, percus_yevick_sq(q, RHO, SIGMA), COMP, LAM, bkg_scale=BKG, alpha=5.0,
                              counts=counts, seed=seed)


@pytest.mark.parametrize("q_max", [10.0, 12.0, 14.0, 16.0])
@pytest.mark.parametrize("r_min", [1.8, 2.1, 2.4])
def test_density_and_background_recovered_within_2_percent(q_max, r_min):
    sample, bkg = patterns(q_max, seed=int(q_max * 10 + r_min * 10))
    cfg = make_config(composition="Sb2Se3", wavelength=LAM, refine_density=True, refine_bkg=True)
    fit = refine_density(Reducer(sample.x, sample.y, bkg.y, cfg, r_cutoff=r_min), None, 1.0, True, True,
                         systematic=False)
    assert fit.number_density / RHO - 1 == pytest.approx(0, abs=0.02)
    assert fit.bkg_scale / BKG - 1 == pytest.approx(0, abs=0.02)


def test_no_bias_when_s0_is_known():
    """With the true S(0) for the low-q extrapolation the density bias drops below 0.5 % (q_max = 14 Å⁻¹)."""
    sample, bkg = patterns(14.0, counts=None)
    cfg = make_config(composition="Sb2Se3", wavelength=LAM, refine_density=True, refine_bkg=True,
                      s0=percus_yevick_s0(ETA))
    fit = refine_density(Reducer(sample.x, sample.y, bkg.y, cfg, r_cutoff=2.1), None, 1.0, True, True,
                         systematic=False)
    assert fit.number_density / RHO - 1 == pytest.approx(0, abs=0.005)
    assert fit.bkg_scale == pytest.approx(BKG, rel=0.005)


def test_uncertainty_covers_the_truth():
    """Over 8 noise realisations and two q_max, the truth lies within 2σ (σ = stat ⊕ sys) in at least 14/16
    cases — a reported error that is too small fails this."""
    inside = 0
    for q_max in (11.0, 15.0):
        for seed in range(8):
            sample, bkg = patterns(q_max, seed=100 + seed, counts=300.0, n=1500)
            cfg = make_config(composition="Sb2Se3", wavelength=LAM, refine_density=True, refine_bkg=True)
            fit = refine_density(Reducer(sample.x, sample.y, bkg.y, cfg, r_cutoff=2.0), None, 1.0, True, True)
            inside += abs(fit.number_density - RHO) <= 2 * fit.number_density_err
    assert inside >= 14


def test_pipeline_from_2theta_with_auto_r_cutoff():
    """The whole chain (2θ input, background, auto r_cutoff, refinement, final Kaplow, metrics)."""
    q = np.linspace(0.8, 12.0, 2500)
    s, b = patterns(12.0, seed=3, n=2500)
    tth = np.degrees(2 * np.arcsin(q * LAM / (4 * np.pi)))
    from dataclasses import replace

    s2 = replace(s, x=tth, unit="2theta")
    b2 = replace(b, x=tth, unit="2theta")
    cfg = make_config(composition="Sb2Se3", wavelength=LAM, refine_density=True, refine_bkg=True)
    res = process(s2, b2, cfg)
    assert res.density_g_cm3 == pytest.approx(RHO_G, rel=0.02)
    assert res.bkg_scale == pytest.approx(BKG, rel=0.02)
    assert 0.7 * SIGMA < res.r_cutoff < SIGMA  # below the hard-core diameter, where g = 0
    assert res.density_err_g_cm3 > 0
    sq_true = percus_yevick_sq(res.q, RHO, SIGMA)
    assert np.sqrt(np.mean((res.sq - sq_true) ** 2)) < 0.03
    d = res.to_dict()
    from scipy.optimize import minimize_scalar

    # q1 is the maximum of S(q): against the exact maximum of the true (closed-form) S(q) the reduction must not
    # move it by > 0.005 Å⁻¹, the resolution the reference study needs for its 0.0048 Å⁻¹/GPa slope, and the
    # stated error must cover the difference at 3σ (its parts: noise, window, density, Eggert correction)
    q_true = minimize_scalar(lambda x: -percus_yevick_sq(np.array([x]), RHO, SIGMA)[0], bounds=(1.8, 2.6),
                             method="bounded", options={"xatol": 1e-7}).x
    assert d["q1_A-1"] == pytest.approx(q_true, abs=0.005)
    assert abs(d["q1_A-1"] - q_true) <= 3 * d["q1_err_A-1"]
    assert d["cn_err"] is not None and d["cn_err"] > 0


def test_fixed_density_is_used_as_given():
    s, b = patterns(12.0, seed=5)
    cfg = make_config(composition="Sb2Se3", wavelength=LAM, density=RHO_G, bkg_scale=BKG, iterations=0)
    res = process(s, b, cfg)
    assert res.density_g_cm3 == RHO_G and res.density_err_g_cm3 is None
    assert res.fit is None
