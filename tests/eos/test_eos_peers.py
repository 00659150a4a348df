"""Agreement with two maintained implementations fitting the same synthetic data with errors in P and V.

* peritheos (C. Prescher; ODR with latent volumes, Rust core): the same estimator → parameters and covariance
  must agree to ~1e-6 of the errors (its ``absolute_sigma=True`` covariance is our unscaled one,
  ``covariance_unscaled``; ours is multiplied by the Birge ratio² when χ²/ν > 1).
* burnman (Myhill et al.; ``burnman.optimize.eos_fitting.fit_PTV_data``, maximum-likelihood with data covariances,
  SI units): agreement to 0.2 % of the standard errors (measured: 7e-4 σ); its
  covariance is scaled by χ²/ν.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hpglass.eos import fit_eos, forms

TRUE = {"V0": 100.0, "K0": 160.0, "K0p": 4.5}
P_TRUE = np.linspace(0.5, 30.0, 15)


def _data(form, seed=21):
    rng = np.random.default_rng(seed)
    v = forms.volume(P_TRUE, TRUE, form)
    return P_TRUE + rng.normal(0, 0.1, P_TRUE.size), v + rng.normal(0, 0.05, P_TRUE.size)


@pytest.mark.parametrize("form", ["bm2", "bm3", "vinet", "murnaghan"])
def test_agrees_with_peritheos(form):
    pytest.importorskip("peritheos")
    from peritheos.eos.rt.bm import BM2, BM3
    from peritheos.eos.rt.murnaghan import Murnaghan
    from peritheos.eos.rt.vinet import Vinet
    from peritheos.fitting import fit_rt_eos

    cls = {"bm2": BM2, "bm3": BM3, "vinet": Vinet, "murnaghan": Murnaghan}[form]
    P, V = _data(form)
    ours = fit_eos(P, V, 0.1, 0.05, form=form)
    initial = {"V0": 99.0, "K0": 150.0} | ({} if form == "bm2" else {"K0_prime": 4.0})
    theirs = fit_rt_eos(cls, V, P, initial, pressure_sigma=0.1, volume_sigma=0.05, absolute_sigma=True)
    names = {"V0": "V0", "K0": "K0", "K0p": "K0_prime"}
    for k in ours.names:
        assert abs(ours.params[k] - theirs.parameters[names[k]]) < 1e-5 * ours.errors[k]
        assert ours.errors[k] == pytest.approx(theirs.standard_errors[names[k]] * ours.error_scale, rel=1e-5)
    assert ours.chi2_red == pytest.approx(theirs.reduced_chi_square, rel=1e-8)
    assert ours.error_scale == pytest.approx(max(1.0, np.sqrt(ours.chi2_red)))
    np.testing.assert_allclose(ours.covariance_unscaled, theirs.covariance, rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize(("form", "eos_name"), [("bm3", "bm3"), ("vinet", "vinet")])
def test_agrees_with_burnman(form, eos_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        burnman = pytest.importorskip("burnman")
        from burnman.optimize.eos_fitting import fit_PTV_data
    P, V = _data(form, seed=22)
    ours = fit_eos(P, V, 0.1, 0.05, form=form)
    cm3 = 1e-6  # Å³ values taken as cm³/mol → m³/mol
    mineral = burnman.Mineral(params={"equation_of_state": eos_name, "V_0": 99.0 * cm3, "K_0": 150e9,
                                      "Kprime_0": 4.0, "molar_mass": 0.1, "P_0": 0.0, "T_0": 300.0})
    data = np.column_stack([P * 1e9, np.full(P.size, 300.0), V * cm3])
    cov = np.zeros((P.size, 3, 3))
    cov[:, 0, 0] = (0.1e9) ** 2
    cov[:, 2, 2] = (0.05 * cm3) ** 2
    fitted = fit_PTV_data(mineral, ["V_0", "K_0", "Kprime_0"], data, cov, param_tolerance=1e-9, verbose=False)
    scale = np.array([cm3, 1e9, 1.0])
    popt = fitted.popt / scale
    perr = np.sqrt(np.diag(fitted.pcov)) / scale
    for j, k in enumerate(("V0", "K0", "K0p")):
        assert abs(popt[j] - ours.params[k]) < 2e-3 * ours.errors[k], (k, popt[j], ours.params[k])
        # burnman scales its covariance by χ²/ν (up or down)
        assert perr[j] == pytest.approx(np.sqrt(ours.covariance_unscaled[j, j] * ours.chi2_red), rel=1e-3)


def test_large_data_set_agrees_with_peritheos():
    """Beyond 120 points the ODR switches to a sparse Jacobian with LSMR: same answer, still fast."""
    pytest.importorskip("peritheos")
    from peritheos.eos.rt.bm import BM3
    from peritheos.fitting import fit_rt_eos

    rng = np.random.default_rng(8)
    p = np.linspace(0.5, 30.0, 400)
    v = forms.volume(p, TRUE, "bm3")
    P, V = p + rng.normal(0, 0.1, p.size), v + rng.normal(0, 0.05, p.size)
    ours = fit_eos(P, V, 0.1, 0.05)
    theirs = fit_rt_eos(BM3, V, P, {"V0": 99.0, "K0": 150.0, "K0_prime": 4.0}, pressure_sigma=0.1,
                        volume_sigma=0.05, absolute_sigma=True)
    for k, k2 in (("V0", "V0"), ("K0", "K0"), ("K0p", "K0_prime")):
        assert abs(ours.params[k] - theirs.parameters[k2]) < 1e-4 * ours.errors[k]
        assert ours.errors[k] == pytest.approx(theirs.standard_errors[k2] * ours.error_scale, rel=1e-4)


def test_scipy_odr_sd_beta_is_scaled_cov_beta_is_not():
    """SciPy's ODRPACK wrapper (deprecated in SciPy 1.17, still a reference for the estimator): the same optimum;
    its ``cov_beta`` is our unscaled covariance and its ``sd_beta`` = √(diag(cov_beta)·res_var) is our error with
    ``scale_covariance=True`` — scaled by χ²/ν whichever way it goes. With the default ("auto") ours is scaled only
    when χ²/ν > 1 (Birge ratio)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        odr = pytest.importorskip("scipy.odr")
    rng = np.random.default_rng(31)
    v = forms.volume(P_TRUE, TRUE, "bm3")
    P, V = P_TRUE + rng.normal(0, 0.25, P_TRUE.size), v + rng.normal(0, 0.12, P_TRUE.size)  # 2.5× the stated σ
    ours = fit_eos(P, V, 0.1, 0.05)
    forced = fit_eos(P, V, 0.1, 0.05, scale_covariance=True)
    model = odr.Model(lambda b, x: forms.pressure(x, {"V0": b[0], "K0": b[1], "K0p": b[2]}, "bm3"))
    data = odr.RealData(V, P, sx=np.full(V.size, 0.05), sy=np.full(P.size, 0.1))
    out = odr.ODR(data, model, beta0=[99.0, 150.0, 4.0], maxit=500, sstol=1e-14, partol=1e-14).run()
    assert ours.chi2_red > 1
    for j, k in enumerate(ours.names):
        assert abs(out.beta[j] - ours.params[k]) < 1e-4 * ours.errors[k]
        assert out.sd_beta[j] == pytest.approx(forced.errors[k], rel=1e-4)
        assert out.sd_beta[j] == pytest.approx(ours.errors[k], rel=1e-4)  # χ²/ν > 1: auto scales too
    assert out.res_var == pytest.approx(ours.chi2_red, rel=1e-6)
    np.testing.assert_allclose(out.cov_beta, ours.covariance_unscaled, rtol=1e-4)
