"""S_X(q) at the reciprocal-lattice vectors: exact crystal structure factors, ideal gas, and the g(r) route."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from hpglass.errors import InputError
from hpglass.structure.reciprocal_sq import reciprocal_vectors, reciprocal_xray_sq
from hpglass.xray import scattering_factors


def test_reciprocal_vectors_cubic_shells():
    k = reciprocal_vectors(np.eye(3) * 2 * np.pi, 1.5)  # b_i = unit vectors
    n2 = np.rint((k**2).sum(1)).astype(int)
    assert sorted(np.bincount(n2)[1:3]) == [6, 12]  # 6 vectors |n|²=1, 12 with |n|²=2 (|k| ≤ 1.5)


def test_cscl_structure_factor_exact():
    """CsCl (B2) supercell of M = 4³ cells: S_X at (100) = 1 + [M(f_a − f_b)²/2 − ⟨f²⟩]/⟨f⟩²; at (110) the
    amplitude is M(f_a + f_b) → S = 1 + [M(f_a + f_b)²/2 − ⟨f²⟩]/⟨f⟩²; between Bragg vectors the amplitude is 0,
    so S = 1 − ⟨f²⟩/⟨f⟩² (the Laue term). Exact to 1e-9. (For M = 4³ no non-Bragg supercell vector shares the
    length of (100) or (110): 16 and 32 are sums of three squares only as 4²+0+0 and 4²+4²+0.)"""
    a = 4.12
    cell = Atoms("CsCl", scaled_positions=[[0, 0, 0], [0.5, 0.5, 0.5]], cell=np.eye(3) * a, pbc=True) * (4, 4, 4)
    m = 64
    q100, q110, q_off = 2 * np.pi / a, 2 * np.pi * np.sqrt(2) / a, 2 * np.pi / (4 * a)
    for q, sign in ((q100, -1), (q110, +1)):
        res = reciprocal_xray_sq([cell], np.array([q - 1e-6, q + 1e-6]))
        sf = scattering_factors("CsCl", np.array([q]))
        fa, fb = sf.f["Cs"][0], sf.f["Cl"][0]
        expect = 1 + (m * (fa + sign * fb) ** 2 / 2 - sf.f_squared_mean[0]) / sf.f_mean_squared[0]
        assert res.sq[0] == pytest.approx(expect, rel=1e-9)
    off = reciprocal_xray_sq([cell], np.array([q_off - 1e-6, q_off + 1e-6]))
    sf = scattering_factors("CsCl", np.array([q_off]))
    assert off.sq[0] == pytest.approx(1 - sf.f_squared_mean[0] / sf.f_mean_squared[0], abs=1e-9)


def test_ideal_gas_is_one():
    """Uncorrelated positions: ⟨S⟩ = 1 in every bin; with ~200 samples per bin the mean is within 4σ."""
    rng = np.random.default_rng(3)
    frames = [Atoms("Sb32Se48", positions=rng.uniform(0, 14, (80, 3)), cell=np.eye(3) * 14, pbc=True)
              for _ in range(4)]
    res = reciprocal_xray_sq(frames, np.linspace(3, 8, 6))
    assert np.all(np.abs(res.sq - 1) < 4 * res.sq_err)


def test_diffuse_level_between_bragg_shells():
    """fcc Cu, 4000 atoms with independent Gaussian displacements σ = 0.1 Å per component: between Bragg shells
    only the diffuse scattering remains, S = 1 − exp(−σ²q²) (Warren, X-ray Diffraction, 1969, ch. 11). Within
    0.05 (the spread of S(k) around its mean over ~600 vectors of one frame)."""
    rng = np.random.default_rng(1)
    at = bulk("Cu", "fcc", a=3.61, cubic=True) * (10, 10, 10)
    at.positions += rng.normal(0, 0.1, at.positions.shape)
    res = reciprocal_xray_sq([at], np.array([5.8, 6.0]))
    # the bin lies between the (311) shell at 5.77 and (222) at 6.03 Å⁻¹
    assert res.sq[0] == pytest.approx(1 - np.exp(-(0.1**2) * 5.9**2), abs=0.05)


def test_errors():
    with pytest.raises(InputError):
        reciprocal_xray_sq([], np.array([1.0, 2.0]))
    with pytest.raises(InputError):
        reciprocal_xray_sq([bulk("Cu")], np.array([2.0, 1.0]))
