"""Known-answer tests of hpglass.transport.hopping on synthetic activated / hopping R(T).

Data: R = R₀ exp((T₀/T)^p)·(1 + ε), ε ~ N(0, 1 %) (multiplicative: uniform noise in ln R), 60 points evenly in T.
Truth: E_a = 50 meV (Arrhenius, 150–300 K, the semiconducting a-Sb₂Se₃ range), T₀ = 10⁶ K (Mott 3D, 20–300 K),
T₀ = 2·10⁴ K (Mott 2D), T₀ = 10³ K (Efros–Shklovskii, 10–300 K), R₀ = 2 Ω.
Tolerances: the fit's own 1σ error (checked: |recovered − true| < 4σ, a test that fails ~1 in 16 000 per
parameter) and a relative bound that the noise level allows (1 % noise on 60 points over these ranges gives
σ(T₀)/T₀ ≈ 0.2–0.3 %, σ(E_a) ≈ 0.1 meV; bound 2 %). Measured: E_a 49.86–50.08 meV, T₀ within 0.3 %.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.transport.curve import RCurve
from hpglass.transport.hopping import (
    HOPPING_MODELS,
    K_B_MEV,
    arrhenius_fit,
    best_hopping_model,
    es_vrh_fit,
    hopping_fit,
    mott_vrh_fit,
    zabrodskii_exponent,
)

R0 = 2.0
CASES = {
    "arrhenius": (50.0 / K_B_MEV, (150.0, 300.0)),
    "mott3d": (1e6, (20.0, 300.0)),
    "mott2d": (2e4, (20.0, 300.0)),
    "es": (1e3, (10.0, 300.0)),
}


def synth(model, seed, noise=0.01, n=60):
    t0, (lo, hi) = CASES[model]
    t = np.linspace(lo, hi, n)
    p = HOPPING_MODELS[model]
    r = R0 * np.exp((t0 / t) ** p) * (1 + np.random.default_rng(seed).normal(0, noise, n))
    return t, r


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_arrhenius_recovers_ea(seed):
    t, r = synth("arrhenius", seed)
    f = arrhenius_fit(t, r)
    assert f.ea_meV == pytest.approx(50.0, rel=0.02)
    assert abs(f.ea_meV - 50.0) < 4 * f.ea_err_meV
    assert 0 < f.ea_err_meV < 0.5
    assert f.r0_ohm == pytest.approx(R0, rel=0.05)
    assert f.t_range_K == (150.0, 300.0) and f.n_points == 60
    assert f.r2 > 0.999
    assert f.t0_K == pytest.approx(f.ea_meV / K_B_MEV)


@pytest.mark.parametrize("model", ["mott3d", "mott2d", "es"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vrh_recovers_t0(model, seed):
    t, r = synth(model, seed)
    t0 = CASES[model][0]
    if model == "es":
        f = es_vrh_fit(t, r)
    else:
        f = mott_vrh_fit(t, r, d=3 if model == "mott3d" else 2)
    assert f.model == model
    assert f.t0_K == pytest.approx(t0, rel=0.02)
    assert abs(f.t0_K - t0) < 4 * f.t0_err_K
    assert f.ea_meV is None
    assert f.r2 > 0.999


@pytest.mark.parametrize("model", list(CASES))
def test_best_model_and_zabrodskii(model):
    """Each law is ranked first on its own data; the Zabrodskii exponent recovers p within 0.05 (measured ≤ 0.025)."""
    t, r = synth(model, seed=3)
    cmp_ = best_hopping_model(t, r)
    assert cmp_.ranking[0] == model
    assert cmp_.best.model == model
    assert set(cmp_.fits) == set(HOPPING_MODELS)
    assert all(f.t_range_K == cmp_.t_range_K for f in cmp_.fits.values())  # the same points for every law
    assert abs(cmp_.zabrodskii_p - HOPPING_MODELS[model]) < 0.05
    json.dumps(cmp_.to_dict())


def test_t_range_and_rcurve_input():
    t, r = synth("mott3d", seed=4)
    curve = RCurve(t, r, 0.0)
    f = hopping_fit(curve, model="mott3d", t_range=(50, 200))
    assert 50 <= f.t_range_K[0] and f.t_range_K[1] <= 200
    assert f.n_points == int(np.sum((t >= 50) & (t <= 200)))
    assert f.predict(100.0) == pytest.approx(R0 * np.exp((1e6 / 100) ** 0.25), rel=0.02)
    p, perr = zabrodskii_exponent(curve)
    assert abs(p - 0.25) < 0.05 and perr > 0


def test_input_errors():
    t, r = synth("arrhenius", 0)
    with pytest.raises(InputError) as e:
        hopping_fit(t, r, model="vrh5d")
    assert e.value.field == "model"
    with pytest.raises(InputError):
        mott_vrh_fit(t, r, d=1)
    with pytest.raises(InputError) as e:
        arrhenius_fit(t, -r)
    assert e.value.field == "resistance_ohm"
    with pytest.raises(InputError) as e:
        arrhenius_fit(t, r, t_range=(400, 500))
    assert e.value.field == "t_range"
    with pytest.raises(InputError):
        arrhenius_fit(t)
    with pytest.raises(InputError, match="not activated"):
        best_hopping_model(t, 1 + 0.01 * t)  # metallic: no hopping law to rank
