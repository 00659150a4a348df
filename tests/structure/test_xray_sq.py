"""X-ray S(q), F(r), g(r) of frames: Debye formula, Bragg peaks, ideal gas, and the round trip through the
diffraction chain (synthetic pattern → hpglass.scattering.pipeline.process at fixed density).

Tolerances.
* Binned route vs the Debye pair sum with the same r window: they differ only by binning the pair distances
  (bin dr = 0.002 Å). With q·dr ≤ 0.016 a pair's sinc moves by ≲ q·dr/2 relative; over a cell the errors of
  pairs spread within each bin largely cancel, leaving 1.5e-4 (measured, q ≤ 8 Å⁻¹, S − 1 up to ±2): 5e-4 asserted.
* Bragg peaks: the window in r broadens each reflection to a FWHM ≈ 1.2·2π/r_max (0.55 Å⁻¹ for r_max = 13.6 Å);
  on the q⁻²-weighted, overlapping tails the maxima shift by a few % of that: 0.05 Å⁻¹ asserted.
* Round trip: with α = 1 the chain inverts the forward model exactly (1e-12); through ``process`` α comes from
  the Krogh-Moe sum rule at the given density, which a finite-q_max, windowed S(q) satisfies to ~1e-3, so S(q)
  comes back within 2e-3 and g(r) (r ≥ 2 Å) within 1e-2 — stated, and measured 9e-4 and 3e-3.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from scipy.signal import find_peaks

from hpglass.errors import InputError
from hpglass.scattering.config import make_config
from hpglass.scattering.normalization import extend_to_zero
from hpglass.scattering.pattern import Pattern
from hpglass.scattering.pipeline import process
from hpglass.scattering.reduce import Reducer
from hpglass.scattering.synthetic import sample_intensity
from hpglass.scattering.transform import f_of_r, g_of_r
from hpglass.structure.pair import PairDistribution, half_min_height, pair_distribution
from hpglass.structure.random_cell import random_packing
from hpglass.structure.xray_sq import debye_reference, partial_structure_factors, xray_structure_factor
from hpglass.xray import scattering_factors

LAMBDA = 0.2952


def _noisy_si(rep=3, sigma=0.05, seed=0):
    si = bulk("Si", "diamond", a=5.431, cubic=True).repeat(rep)
    si.positions += np.random.default_rng(seed).normal(0, sigma, si.positions.shape)
    return si


@pytest.mark.parametrize("window", ["lorch", "cosine", "none"])
def test_crystal_vs_debye(window):
    si = _noisy_si()
    q = np.linspace(0.3, 8.0, 386)
    pd = pair_distribution(si, 8.0, 0.002)
    x = xray_structure_factor(pd, q, window=window)
    ref = debye_reference(si, q, 8.0, window=window)
    assert np.max(np.abs(ref - 1)) > 0.5  # a structured S(q), not a trivial comparison
    np.testing.assert_allclose(x.sq, ref, rtol=0, atol=5e-4)


def test_two_species_vs_debye():
    atoms = random_packing("Sb2Se3", 200, 5.0, 2.3, seed=3)
    r_max = half_min_height(atoms.cell)
    q = np.linspace(0.0, 8.0, 401)
    for fs in (True, False):
        x = xray_structure_factor(pair_distribution(atoms, r_max, 0.002), q, finite_size=fs)
        ref = debye_reference(atoms, q, x.parameters["r_max_A"], finite_size=fs)
        np.testing.assert_allclose(x.sq, ref, rtol=0, atol=5e-4)


def test_bragg_peaks_of_diamond():
    si = bulk("Si", "diamond", a=5.431, cubic=True).repeat(5)
    q = np.arange(0.5, 6.0, 0.002)
    x = xray_structure_factor(pair_distribution(si, None, 0.002), q)
    peaks, _ = find_peaks(x.sq, prominence=0.5)
    found = q[peaks]
    g = 2 * np.pi / 5.431 * np.sqrt(np.array([3, 8, 11]))  # (111), (220), (311)
    for gk in g:
        assert np.min(np.abs(found - gk)) < 0.05, (gk, found)
    forbidden = 2 * np.pi / 5.431 * 2  # (200) of diamond: structure factor zero
    assert np.min(np.abs(found - forbidden)) > 0.1


def test_weights_and_partials():
    atoms = random_packing("Sb2Se3", 200, 5.0, 2.3, seed=3)
    pd = pair_distribution(atoms, None, 0.002)
    q = np.linspace(0.5, 12, 200)
    x = xray_structure_factor(pd, q)
    sf = scattering_factors("Sb2Se3", q)
    w = sf.weights()
    np.testing.assert_allclose(x.weights[("Sb", "Se")], w[("Sb", "Se")] + w[("Se", "Sb")], rtol=1e-12)
    np.testing.assert_allclose(sum(x.weights.values()), 1.0, rtol=1e-12)
    parts = partial_structure_factors(pd, q)
    mix = 1 + sum(x.weights[k] * (parts[k] - 1) for k in parts)
    np.testing.assert_allclose(x.sq, mix, rtol=1e-12)
    # F(r), g(r): the chain's transform of the extended S(q)
    qf, sf_ext = extend_to_zero(q, x.sq, sf.s0_limit, "linear")
    np.testing.assert_allclose(x.fr, f_of_r(qf, sf_ext, x.r), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.gr, g_of_r(x.r, x.fr, pd.number_density), rtol=1e-12)


def test_ideal_gas_gives_one():
    """Counts equal to the ideal-gas expectation of a finite cell (N_b − δ_ab)/V give S_ab = 1 exactly."""
    edges = 0.01 * np.arange(901)
    n_by = {"Sb": 40, "Se": 60}
    volume = 100 / 0.03
    shell = 4 * np.pi / 3 * np.diff(edges**3)
    counts = np.empty((2, 2, 900))
    for i, a in enumerate(("Sb", "Se")):
        for j, b in enumerate(("Sb", "Se")):
            counts[i, j] = n_by[a] * (n_by[b] - (a == b)) / volume * shell
    pd = PairDistribution(edges=edges, species=("Sb", "Se"), counts=counts, n_by_species=n_by, volume=volume,
                          half_height=9.5)
    q = np.linspace(0, 12, 121)
    for s in partial_structure_factors(pd, q).values():
        np.testing.assert_allclose(s, 1.0, atol=1e-12)
    off = partial_structure_factors(pd, q, finite_size=False)[("Sb", "Sb")]
    assert off[0] < 0.9  # without the correction the self-exclusion leaves a low-q dip


def test_rmax_beyond_half_cell_refused():
    atoms = random_packing("Sb2Se3", 100, 5.0, 2.3, seed=3)
    pd = pair_distribution(atoms, 1.2 * half_min_height(atoms.cell), 0.01)
    with pytest.raises(InputError, match="half the smallest cell height"):
        xray_structure_factor(pd)
    with pytest.raises(InputError, match="window"):
        xray_structure_factor(pair_distribution(atoms, None, 0.01), window="hann")


@pytest.fixture(scope="module")
def simulated():
    atoms = random_packing("Sb2Se3", 600, 5.0, 2.3, seed=8)
    q = np.arange(0.5, 12.0 + 1e-9, 0.01)
    return atoms, xray_structure_factor(pair_distribution(atoms, None, 0.002), q)


def test_round_trip_exact_with_alpha_one(simulated):
    _, x = simulated
    inten = sample_intensity(x.q, x.sq, "Sb2Se3", LAMBDA)
    cfg = make_config(composition="Sb2Se3", wavelength=LAMBDA, density=5.0, iterations=0, r_cutoff=1.5)
    trial = Reducer(x.q, inten, None, cfg, r_cutoff=1.5).trial(x.number_density, 1.0, alpha=1.0)
    np.testing.assert_allclose(trial.q, x.q_full, atol=1e-14)
    np.testing.assert_allclose(trial.sq, x.sq_full, atol=1e-12)


def test_round_trip_through_the_chain(simulated):
    _, x = simulated
    inten = sample_intensity(x.q, x.sq, "Sb2Se3", LAMBDA)
    pattern = Pattern(x.q, inten, unit="q_A", wavelength=LAMBDA, source="<simulated>")
    cfg = make_config(composition="Sb2Se3", wavelength=LAMBDA, density=5.0, iterations=0, r_cutoff=1.5)
    res = process(pattern, None, cfg)
    assert res.number_density == pytest.approx(x.number_density, rel=1e-12)
    assert abs(res.alpha - 1) < 2e-3
    np.testing.assert_allclose(res.q, x.q)
    np.testing.assert_allclose(res.sq, x.sq, atol=2e-3)
    np.testing.assert_allclose(res.r, x.r)
    far = res.r >= 2.0
    np.testing.assert_allclose(res.gr[far], x.gr[far], atol=1e-2)
