"""EOS forms: P(V), V(P), K(V) consistency, K'(0) and K''(0), F–f lines (Angel 2000)."""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.eos import forms
from hpglass.errors import InputError

P = {"V0": 100.0, "K0": 160.0, "K0p": 4.5, "K0pp": -0.04}


@pytest.mark.parametrize("form", forms.FORMS)
def test_volume_inverts_pressure(form):
    p = np.array([-5.0, 0.0, 0.1, 1.0, 10.0, 50.0, 200.0])
    v = forms.volume(p, P, form)
    assert v[1] == P["V0"]
    np.testing.assert_allclose(forms.pressure(v, P, form), p, atol=1e-9)
    assert np.all(np.diff(v) < 0)


@pytest.mark.parametrize("form", forms.FORMS)
def test_bulk_modulus_is_minus_v_dp_dv(form):
    v = np.linspace(70.0, 104.0, 9)
    h = 1e-5 * v
    k_num = -v * (forms.pressure(v + h, P, form) - forms.pressure(v - h, P, form)) / (2 * h)
    np.testing.assert_allclose(forms.bulk_modulus(v, P, form), k_num, rtol=1e-7)


def test_bm3_bulk_modulus_closed_form():
    v = np.linspace(60.0, 100.0, 7)
    f = forms.eulerian_strain(v, 100.0)
    k = 160.0 * (1 + 2 * f) ** 2.5 * (1 + (3 * 4.5 - 5) * f + 13.5 * (4.5 - 4) * f**2)
    np.testing.assert_allclose(forms.bulk_modulus(v, P, "bm3"), k, rtol=1e-12)


@pytest.mark.parametrize("form", ["bm3", "bm4", "vinet", "murnaghan"])
def test_k0_prime_is_dk_dp_at_zero(form):
    h = 1e-3
    k = [forms.bulk_modulus(forms.volume(p, P, form), P, form) for p in (-h, 0.0, h)]
    assert k[1] == pytest.approx(P["K0"], rel=1e-12)
    assert (k[2] - k[0]) / (2 * h) == pytest.approx(P["K0p"], rel=1e-6)
    if form == "bm4":  # K0'' is the second pressure derivative of K at P = 0
        h = 0.05
        k = [forms.bulk_modulus(forms.volume(p, P, form), P, form) for p in (-h, 0.0, h)]
        assert (k[2] - 2 * k[1] + k[0]) / h**2 == pytest.approx(P["K0pp"], rel=1e-4)


def test_murnaghan_volume_is_analytic():
    p = np.linspace(0, 40, 5)
    np.testing.assert_allclose(forms.volume(p, P, "murnaghan"), 100 * (1 + 4.5 * p / 160) ** (-1 / 4.5), rtol=1e-14)


def test_volume_broadcasts_parameter_draws():
    v0 = np.array([[100.0], [110.0], [90.0]])
    out = forms.volume(np.array([0.0, 5.0, 20.0]), {"V0": v0, "K0": 160.0, "K0p": 4.5}, "vinet")
    assert out.shape == (3, 3)
    for i in range(3):
        np.testing.assert_allclose(out[i], forms.volume(np.array([0.0, 5.0, 20.0]),
                                                         {"V0": v0[i, 0], "K0": 160.0, "K0p": 4.5}, "vinet"))


def test_no_root_gives_nan():
    # BM3 with K0' < 4 has a pressure maximum; far beyond it, and deep in tension, there is no volume
    v = forms.volume(np.array([-200.0, 1e4]), {"V0": 100.0, "K0": 160.0, "K0p": 2.5}, "bm3")
    assert np.all(np.isnan(v))


def test_unknown_form():
    with pytest.raises(InputError, match="unknown EOS form"):
        forms.pressure(90.0, P, "birch5")


def test_ff_line_bm3_and_horizontal_bm2():
    v = np.linspace(70.0, 99.0, 12)
    for kp in (3.5, 4.5, 6.0):
        prm = {"V0": 100.0, "K0": 160.0, "K0p": kp}
        f, _, F, _ = forms.strain_and_stress(forms.pressure(v, prm, "bm3"), v, 100.0)
        slope, intercept = np.polyfit(f, F, 1)
        assert intercept == pytest.approx(160.0, rel=1e-10)
        assert slope == pytest.approx(1.5 * 160.0 * (kp - 4.0), abs=1e-7)
        np.testing.assert_allclose(F, 160.0 + 1.5 * 160.0 * (kp - 4.0) * f, rtol=1e-10)
    f, _, F, _ = forms.strain_and_stress(forms.pressure(v, P, "bm2"), v, 100.0)
    np.testing.assert_allclose(F, 160.0, rtol=1e-12)


def test_ff_errors_match_monte_carlo():
    rng = np.random.default_rng(5)
    v, p = 85.0, float(forms.pressure(85.0, P, "bm3"))
    sP, sV, sV0 = 0.1, 0.05, 0.03
    _, sf, _, _ = forms.strain_and_stress(p, v, 100.0, sP, sV, sV0)
    n = 200_000
    _, _, Fs, _ = forms.strain_and_stress(p + rng.normal(0, sP, n), v + rng.normal(0, sV, n), 100.0)
    fs = forms.eulerian_strain(v + rng.normal(0, sV, n), 100.0 + rng.normal(0, sV0, n))
    assert float(sf) == pytest.approx(fs.std(), rel=0.02)
    # σF with σV only from V (V0 fixed) vs the same propagation
    _, _, _, sF_noV0 = forms.strain_and_stress(p, v, 100.0, sP, sV)
    assert float(sF_noV0) == pytest.approx(Fs.std(), rel=0.03)
