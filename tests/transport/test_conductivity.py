"""Known-answer tests of hpglass.transport.conductivity (log₁₀σ(P) regimes).

Synthetic compression branch shaped like the reference study (Zhang et al., PRL 127, 127002 (2021)): the
room-temperature resistivity falls by seven decades from 0 to 20 GPa (0.35 decades/GPa), then a shallow slope
(0.08 decades/GPa) to 40 GPa, then another (0.01 decades/GPa) to 57 GPa; 40 pressures, noise 0.05 decades per
point (a contact-geometry-limited DAC measurement). Decompression: a different curve (hysteresis: σ stays high
down to 12 GPa, then falls at 0.25 decades/GPa), 15 points; measured (seed 12): one break at 12.3 ± 0.3 GPa
(CI 11.7–13.1), slopes 0.243 ± 0.009 and 0.0107 ± 0.0011 decades/GPa.
Tolerances: breakpoints inside their 95 % intervals and within 3σ, slopes within 3σ, the seven-decade drop
within 0.2 decades (and 3σ of its fitted error). These are nine simultaneous checks, so a given seed passes all of
them with ≈ 85 % probability: over seeds 0–59, 87 % pass all, each 95 % interval holds its break for 92–97 % of
them. Measured with the seed used (11): breakpoints 20.07 ± 0.11 GPa (CI 19.84–20.33) and 40.7 ± 0.5 GPa
(CI 39.7–42.4), slopes 0.349 ± 0.002 / 0.076 ± 0.002 / 0.011 ± 0.002 decades/GPa, drop 0–20 GPa 6.98 ± 0.04
decades.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.transport.conductivity import ConductivityRegimes, conductivity_regimes, log10_conductivity

NOISE = 0.05


def broken(p, breaks, slopes, y0):
    y = y0 + slopes[0] * p
    for b, s0, s1 in zip(breaks, slopes[:-1], slopes[1:], strict=True):
        y = y + (s1 - s0) * np.clip(p - b, 0, None)
    return y


def compression(seed=11):
    p = np.linspace(0.5, 57.0, 40)
    log_sigma = broken(p, [20.0, 40.0], [0.35, 0.08, 0.01], y0=-6.0)  # σ in S/cm: 1e-6 at 0 GPa
    log_sigma = log_sigma + np.random.default_rng(seed).normal(0, NOISE, p.size)
    return p, 10.0 ** (-log_sigma)  # resistivity in Ω·cm


def decompression(seed=12):
    p = np.linspace(55.0, 2.0, 15)
    log_sigma = broken(p, [12.0], [0.25, 0.01], y0=-3.0)
    log_sigma = log_sigma + np.random.default_rng(seed).normal(0, NOISE, p.size)
    return p, 10.0 ** (-log_sigma)


def test_three_regimes_recovered():
    p, rho = compression()
    res = conductivity_regimes(p, rho, change_between_GPa=(0.0, 20.0))
    assert isinstance(res, ConductivityRegimes) and res.directions == ("all",)
    r = res["all"]
    assert len(r.regimes) == 3  # chosen by BIC
    for b, e, (lo, hi), bt in zip(r.breakpoints_GPa, r.breakpoint_errs_GPa, r.breakpoint_ci_GPa, (20.0, 40.0),
                                  strict=True):
        assert lo < bt < hi
        assert abs(b - bt) < 3 * e
    # the reported σ is the one the study quotes: ±1.96σ spans the wider side of the 95 % interval, and never
    # less than the curvature error of the fit
    for j, (b, e, (lo, hi)) in enumerate(zip(r.breakpoints_GPa, r.breakpoint_errs_GPa, r.breakpoint_ci_GPa,
                                             strict=True)):
        assert e >= r.fit.breakpoint_errs[j]
        assert 1.96 * e >= max(b - lo, hi - b) - 1e-9
        assert e == pytest.approx(max(r.fit.breakpoint_errs[j], max(b - lo, hi - b) / 1.959963984540054))
    for reg, st in zip(r.regimes, (0.35, 0.08, 0.01), strict=True):
        assert abs(reg.slope_dec_per_GPa - st) < 3 * reg.slope_err_dec_per_GPa
    assert r.regimes[0].p_lo_GPa == pytest.approx(0.5) and r.regimes[-1].p_hi_GPa == pytest.approx(57.0)
    # seven decades of resistivity lost between 0 and 20 GPa
    assert abs(r.change_decades - 7.0) < max(3 * r.change_err_decades, 0.1)
    assert abs(r.change_decades - 7.0) < 0.2
    assert res.sigma_unit == "S/cm"
    json.dumps(res.to_dict())


def test_directions_kept_apart():
    pc, rc = compression()
    pd, rd = decompression()
    p = np.concatenate([pc, pd])
    rho = np.concatenate([rc, rd])
    direction = ["compression"] * pc.size + ["decompression"] * pd.size
    res = conductivity_regimes(p, rho, direction)
    assert set(res.directions) == {"compression", "decompression"}
    c, d = res["compression"], res["decompression"]
    assert c.n_points == 40 and d.n_points == 15
    assert len(c.regimes) == 3
    assert len(d.regimes) == 2  # its own curve: one break at 12 GPa
    lo, hi = d.breakpoint_ci_GPa[0]
    assert lo < 12.0 < hi
    assert abs(d.regimes[0].slope_dec_per_GPa - 0.25) < 3 * d.regimes[0].slope_err_dec_per_GPa
    assert abs(d.regimes[1].slope_dec_per_GPa - 0.01) < 3 * d.regimes[1].slope_err_dec_per_GPa
    # the same answer as fitting compression alone: no decompression point leaked in
    alone = conductivity_regimes(pc, rc)["all"]
    assert c.breakpoints_GPa == pytest.approx(alone.breakpoints_GPa)
    # 'infer': points after the highest pressure (in measurement order) are decompression
    inferred = conductivity_regimes(p, rho, "infer")
    assert inferred["decompression"].n_points == 15
    assert inferred["compression"].breakpoints_GPa == pytest.approx(c.breakpoints_GPa)
    # short labels
    short = conductivity_regimes(p, rho, ["up"] * 40 + ["down"] * 15)
    assert short["decompression"].breakpoints_GPa == pytest.approx(d.breakpoints_GPa)


def test_fixed_segments_and_kinds():
    p, rho = compression()
    two = conductivity_regimes(p, rho, n_segments=2)["all"]
    assert len(two.regimes) == 2
    # resistance instead of resistivity: same slopes (geometry constant), log10(1/R) in S
    res_r = conductivity_regimes(p, rho * 37.0, kind="resistance")
    assert res_r.sigma_unit == "S"
    base = conductivity_regimes(p, rho)["all"]
    assert [g.slope_dec_per_GPa for g in res_r["all"].regimes] == pytest.approx(
        [g.slope_dec_per_GPa for g in base.regimes])
    sig = conductivity_regimes(p, 1.0 / rho, kind="conductivity")["all"]
    assert sig.breakpoints_GPa == pytest.approx(base.breakpoints_GPa)
    assert log10_conductivity([10.0, 0.1]) == pytest.approx([-1.0, 1.0])
    # weighted by the known scatter
    w = conductivity_regimes(p, rho, sigma_decades=NOISE)["all"]
    assert w.fit.chi2_red == pytest.approx(1.0, rel=0.6)


def test_input_errors():
    p, rho = compression()
    with pytest.raises(InputError) as e:
        conductivity_regimes(p, -rho)
    assert e.value.field == "resistivity"
    with pytest.raises(InputError):
        conductivity_regimes(p, rho[:-1])
    with pytest.raises(InputError) as e:
        conductivity_regimes(p, rho, ["sideways"] * p.size)
    assert e.value.field == "direction"
    with pytest.raises(InputError):
        conductivity_regimes(p, rho, kind="ohms")
    with pytest.raises(InputError):
        conductivity_regimes(p[:2], rho[:2])
