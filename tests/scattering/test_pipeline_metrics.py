"""The peak metrics of the chain (pipeline._metrics): failure handling and the error parts of q1, r1 and CN.

Known answers: the Percus–Yevick S(q) of Sb2Se3 at 4.90 g/cm³ (closed form, Ashcroft & Lekner 1966), whose
g(r) here is its sine transform on the same grid.
"""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.composition import Composition
from hpglass.errors import ConvergenceError
from hpglass.scattering import peaks, pipeline
from hpglass.scattering.config import make_config
from hpglass.scattering.hard_sphere import percus_yevick_sq, sigma_for
from hpglass.scattering.transform import f_of_r, g_of_r

RHO = Composition.parse("Sb2Se3").number_density(4.90)
SIGMA = sigma_for(RHO, 0.40)
Q = np.linspace(0.02, 12.0, 3000)
R = np.arange(0.0, 10.0, 0.01)
CFG = make_config(composition="Sb2Se3", wavelength=0.2952, density=4.90)


def curves(noise=0.0, seed=0):
    sq = percus_yevick_sq(Q, RHO, SIGMA) + np.random.default_rng(seed).normal(0.0, noise, Q.size) * (noise > 0)
    return sq, g_of_r(R, f_of_r(Q, sq, R), RHO)


def test_failed_principal_fit_is_not_rerun_by_the_fsdp_search(monkeypatch):
    """When the principal-peak fit fails, the FSDP search is bounded by the smoothed maximum instead of calling
    the failing fit a second time (it used to: principal=None made it locate the peak itself)."""
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        raise ConvergenceError("synthetic failure of the principal fit")

    monkeypatch.setattr(peaks, "principal_peak", failing)
    sq, gr = curves()
    out = pipeline._metrics(Q[25:], sq[25:], R, gr, RHO, 2.2, CFG, (1.5, 3.5))
    assert len(calls) == 1
    assert out["q1_A-1"] is None and out["q1_err_A-1"] is None
    assert "synthetic failure" in out["metric_notes"]["q1"]
    assert "fsdp" not in out["metric_notes"]  # searched (PY has no prepeak: None), not failed
    assert out["r1_A"] is not None and out["cn"] is not None


def test_principal_position_is_the_smoothed_maximum():
    sq, _ = curves()
    exact = Q[np.argmax(np.where((Q > 1.5) & (Q < 3.5), sq, -1))]
    assert peaks.principal_position(Q, sq, q_range=(1.5, 3.5)) == pytest.approx(exact, abs=0.01)


def test_metric_errors_have_their_parts():
    """Every error is the quadrature sum of the parts listed in ``uncertainty``; q1 is the closed form's maximum
    within its error."""
    sq, gr = curves(noise=0.003, seed=2)
    out = pipeline._metrics(Q, sq, R, gr, RHO, 2.2, CFG, (1.5, 3.5), q_full=Q, sq_full=sq)
    u = out["uncertainty"]
    for key, err in (("q1_A-1", "q1_err_A-1"), ("r1_A", "r1_err_A"), ("cn", "cn_err")):
        parts = [v for k, v in u[key].items() if k in ("stat", "window", "density", "correction", "termination")
                 and v is not None]
        assert out[err] == pytest.approx(float(np.sqrt(np.sum(np.square(parts)))), rel=1e-12)
        assert out[err] > 0
    assert u["cn"]["termination"] > 0 and u["cn"]["stat"] > 0
    assert u["q1_A-1"]["density"] is None  # density given: no density term
    # the maximum of S(q), not a fitted centre: the closed form's maximum within the error
    from scipy.optimize import minimize_scalar

    q_top = minimize_scalar(lambda x: -percus_yevick_sq(np.array([x]), RHO, SIGMA)[0], bounds=(1.8, 2.6),
                            method="bounded", options={"xatol": 1e-7}).x
    assert abs(out["q1_A-1"] - q_top) <= 3 * out["q1_err_A-1"]


def test_r1_noise_error_from_the_propagated_covariance_matches_the_scatter():
    """60 seeded S(q) noise replicas (σ_S = 0.003, the demo's level): the noise part of r1 from the covariance
    C = J diag(σ_S²) Jᵀ (sq_noise, gr_jacobian) matches the replicas' SD within the 3σ sampling error of an SD
    from 60 values (±27 %)."""
    r1, stat = [], []
    fwhm = peaks.first_peak_r(R, curves()[1], r_range=(2.2, 4.7)).fwhm
    for seed in range(60):
        sq, gr = curves(noise=0.003, seed=100 + seed)
        near = np.abs(R - 3.12) <= 0.6 * fwhm
        jac = pipeline.gr_jacobian(Q, R[near], RHO, False)
        cov = (jac * pipeline.sq_noise(sq) ** 2) @ jac.T
        m = peaks.peak_maximum(R[near], gr[near], 3.12, fwhm, cov=cov, x_unit="A")
        r1.append(m.position)
        stat.append(m.stat_err)
    sd = float(np.std(r1, ddof=1))
    assert 0.73 < np.median(stat) / sd < 1.27
