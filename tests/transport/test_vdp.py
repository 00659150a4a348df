"""Known-answer tests of hpglass.transport.vdp (van der Pauw, Philips Res. Rep. 13, 1 (1958)).

Answers: R_A = R_B = R gives R_s = πR/ln 2 exactly; any other pair must satisfy the van der Pauw equation
exp(−πR_A/R_s) + exp(−πR_B/R_s) = 1 to rounding (|residual| ≤ 1e-12, a few ulps of 1); the correction factor f
must also satisfy van der Pauw's closed form (R_A − R_B)/(R_A + R_B) = (f/ln 2)·arccosh(exp(ln 2/f)/2), an
independent relation between the ratio and f.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.transport.vdp import (
    VdpResult,
    average_configurations,
    conductivity,
    resistivity,
    sheet_resistance,
    vdp_factor,
)

LN2 = np.log(2.0)


def vdp_residual(ra, rb, rs):
    return np.exp(-np.pi * ra / rs) + np.exp(-np.pi * rb / rs) - 1.0


@pytest.mark.parametrize("r", [1e-6, 0.37, 1.0, 250.0, 3.3e7])
def test_symmetric_case_is_exact(r):
    assert sheet_resistance(r, r) == pytest.approx(np.pi * r / LN2, rel=1e-15)


@pytest.mark.parametrize("ra, rb", [(1.0, 3.0), (7.3, 2.1), (1e-3, 5e3), (1e6, 1.0), (12.5, 12.6)])
def test_asymmetric_cases_solve_the_equation(ra, rb):
    rs = sheet_resistance(ra, rb)
    assert abs(vdp_residual(ra, rb, rs)) <= 1e-12
    # bounds used for the bracket: π min/ln2 ≤ R_s ≤ π (R_A + R_B)/(2 ln 2)
    assert np.pi * min(ra, rb) / LN2 <= rs <= np.pi * (ra + rb) / (2 * LN2)
    # symmetric in its arguments
    assert sheet_resistance(rb, ra) == pytest.approx(rs, rel=1e-14)


def test_known_correction_factor():
    """f(R_A/R_B) from van der Pauw's closed form for ratios 1 … 1000."""
    for ratio in (1.5, 2.0, 3.0, 10.0, 100.0, 1000.0):
        f = vdp_factor(ratio, 1.0)
        lhs = (ratio - 1) / (ratio + 1)
        rhs = f / LN2 * np.arccosh(np.exp(LN2 / f) / 2)
        assert lhs == pytest.approx(rhs, rel=1e-10)
    # the classic value f(3) ≈ 0.9067 read off van der Pauw's Fig. 5
    assert vdp_factor(3.0, 1.0) == pytest.approx(0.9067, abs=5e-4)


def test_arrays_broadcast():
    ra = np.array([1.0, 2.0, 5.0])
    rs = sheet_resistance(ra, 2.0)
    assert rs.shape == (3,)
    assert rs[1] == pytest.approx(2 * np.pi / LN2)
    assert np.all(np.abs(vdp_residual(ra, 2.0, rs)) <= 1e-12)
    rs2 = sheet_resistance(np.ones((2, 2)), np.full((2, 2), 3.0))
    assert rs2.shape == (2, 2)


def test_resistivity_units():
    res = resistivity(1.0, 1.0, 2e-6)  # 2 µm film
    assert isinstance(res, VdpResult)
    rs = np.pi / LN2
    assert res.sheet_resistance_ohm == pytest.approx(rs)
    assert res.resistivity_ohm_m == pytest.approx(rs * 2e-6)
    assert res.resistivity_ohm_cm == pytest.approx(rs * 2e-4)
    assert res.conductivity_S_per_cm == pytest.approx(1 / (rs * 2e-4))
    d = res.to_dict()
    assert {"resistivity_ohm_m", "resistivity_ohm_cm", "sheet_resistance_ohm", "conductivity_S_per_cm"} <= set(d)
    json.dumps(d)
    arr = resistivity([1.0, 2.0], [1.0, 2.0], 1e-5)
    assert np.allclose(arr.resistivity_ohm_cm, np.array([1.0, 2.0]) * np.pi / LN2 * 1e-3)
    json.dumps(arr.to_dict())


def test_conductivity_helper_and_average():
    assert conductivity(2.0) == 0.5
    assert np.allclose(conductivity([1.0, 4.0], unit="ohm_m"), [1.0, 0.25])
    assert average_configurations(1.0, 1.2, 0.8, 1.0) == pytest.approx(1.0)
    with pytest.raises(InputError):
        conductivity(1.0, unit="ohm_mm")


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_invalid_inputs(bad):
    with pytest.raises(InputError) as e:
        sheet_resistance(bad, 1.0)
    assert e.value.field == "r_a"
    with pytest.raises(InputError) as e:
        sheet_resistance(1.0, [1.0, bad])
    assert e.value.field == "r_b"
    with pytest.raises(InputError) as e:
        resistivity(1.0, 1.0, bad)
    assert e.value.field == "thickness_m"
