"""Crystal references (hpglass.series.crystal_reference): bcc and Pnma Sb₂Se₃, pair functions, EOS scaling.

Known answers: bcc nearest neighbours 8 at a√3/2 and 6 at a (exact lattice geometry); the RDF integral over the
first shell = 8; isotropic scaling by V/V0 multiplies every distance by (V/V0)^(1/3); the Z-weighted Faber–Ziman
weights of Sb₂Se₃ (c_Sb Z_Sb = 0.4 · 51 = c_Se Z_Se = 0.6 · 34 = 20.4, so all four w_ab = 1/4); the Pnma 4c orbit
of the International Tables ((x, ¼, z), (½ − x, ¾, ½ + z), (−x, ¾, −z), (½ + x, ¼, ½ − z)); the density of
Voutsas et al.'s cell with Z = 4 (5.83 g/cm³). Pair distances agree exactly with ase.neighborlist.

No Pnma Sb₂Se₃ coordinates ship with hpglass (see the module docstring), so the Sb–Se bond lengths of the
published structure (2.589–3.485 Å) are not tested here; the Pnma tests use arbitrary test coordinates, labelled as
such, that exercise the symmetry expansion only.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ase.neighborlist import neighbor_list

from hpglass.composition import Composition
from hpglass.errors import InputError
from hpglass.series.crystal_reference import (
    PNMA_CELL,
    VOUTSAS_1985,
    bcc_lattice_parameter,
    bcc_sb2se3,
    crystal_pair_functions,
    pair_distances,
    pnma_from_coordinates,
    sb_se_neighbours,
    scale_structure,
    volume_ratio_from_eos,
)

A = 3.3
#: NOT Sb₂Se₃'s structure: arbitrary positions on five 4c sites, only to exercise the Pnma machinery
TEST_SITES = [("Sb1", 0.11, 0.31), ("Sb2", 0.37, 0.46), ("Se1", 0.21, 0.07), ("Se2", 0.29, 0.88),
              ("Se3", 0.45, 0.21)]


@pytest.mark.parametrize("model", ["average", "random"])
def test_bcc_shells_unbroadened(model):
    ref = crystal_pair_functions(bcc_sb2se3(A, model=model), sigma=0.05, r_max=6.0)
    (d1, n1), (d2, n2), (d3, n3) = ref.shells[:3]
    assert d1 == pytest.approx(A * np.sqrt(3) / 2, abs=1e-6) and n1 == 8
    assert d2 == pytest.approx(A, abs=1e-6) and n2 == 6
    assert d3 == pytest.approx(A * np.sqrt(2), abs=1e-6) and n3 == 12
    assert ref.r1_unbroadened == pytest.approx(A * np.sqrt(3) / 2, abs=1e-6)


@pytest.mark.parametrize("sigma", [0.02, 0.05, 0.08])
def test_bcc_broadened_r1_and_first_shell_count(sigma):
    ref = crystal_pair_functions(bcc_sb2se3(A, model="average"), sigma=sigma, r_max=6.0, dr=0.002)
    d1 = A * np.sqrt(3) / 2
    # the g(r) maximum of an isolated Gaussian RDF shell sits at d − 2σ²/d
    assert ref.r1 == pytest.approx(d1 - 2 * sigma**2 / d1, abs=2e-3)
    cut = 0.5 * (d1 + A)  # between the 8- and the 6-shell
    assert ref.coordination(1.5, cut) == pytest.approx(8.0, abs=0.05)
    assert ref.coordination(cut, 0.5 * (A + A * np.sqrt(2))) == pytest.approx(6.0, abs=0.05)


def test_random_supercell_counts_and_weights():
    at = bcc_sb2se3(A, model="random", cells=5, seed=3)
    assert len(at) == 250 and at.get_chemical_symbols().count("Sb") == 100  # exactly 0.4
    ref = crystal_pair_functions(at, sigma=0.05, r_max=6.0)
    cut = 0.5 * (A * np.sqrt(3) / 2 + A)
    assert ref.coordination(2.0, cut, weighted=False) == pytest.approx(8.0, abs=1e-3)
    assert ref.coordination(2.0, cut) == pytest.approx(8.0, abs=0.05)  # X-ray weighted: sample fluctuations only
    # Z-weighting: c_Sb·51 = c_Se·34 = 20.4 → every w_ab = 1/4
    assert all(w == pytest.approx(0.25, abs=1e-12) for w in ref.weights.values())
    assert sum(ref.weights.values()) == pytest.approx(1.0)
    # at the principal peak the form factors differ from Z: the weights move but still sum to 1
    ref_q = crystal_pair_functions(at, sigma=0.05, r_max=6.0, weights_q=2.6)
    assert ref_q.weights[("Sb", "Sb")] > 0.25 > ref_q.weights[("Se", "Se")]
    assert sum(ref_q.weights.values()) == pytest.approx(1.0)
    # every Sb has its Se neighbours at the bcc nearest-neighbour distance only (within 3 Å)
    for dists in sb_se_neighbours(at, r_cut=3.0):
        assert np.allclose(dists, A * np.sqrt(3) / 2)
    # seeded: same seed, same structure; another seed, another arrangement
    assert bcc_sb2se3(A, seed=3).get_chemical_symbols() == at.get_chemical_symbols()
    assert bcc_sb2se3(A, seed=4).get_chemical_symbols() != at.get_chemical_symbols()


def test_g_G_rdf_relations():
    ref = crystal_pair_functions(bcc_sb2se3(A, model="average"), sigma=0.06, r_max=8.0)
    rho = ref.number_density
    assert np.allclose(ref.G, 4 * np.pi * rho * ref.r * (ref.g - 1))
    assert np.allclose(ref.rdf, 4 * np.pi * ref.r**2 * rho * ref.g)
    assert np.all(ref.g[ref.r < 2.4] < 1e-6)  # no pairs inside the nearest-neighbour distance
    # the running count ∫RDF up to a gap between shells is the exact number of neighbours inside it
    _, _, d = pair_distances(bcc_sb2se3(A, model="average"), 8.0)
    du = np.unique(np.round(d, 6))
    gaps = [0.5 * (a + b) for a, b in itertools.pairwise(du) if b - a > 0.5 and b < 7.5]
    assert len(gaps) >= 3
    for r_gap in gaps:
        assert ref.coordination(0.01, r_gap) == pytest.approx(np.count_nonzero(d < r_gap) / 2, abs=0.01)
    assert set(ref.columns()) == {"r_A", "g", "G_A-2", "g_SbSb", "g_SbSe", "g_SeSb", "g_SeSe"}
    d = ref.to_dict()
    assert d["r1_unbroadened_A"] == pytest.approx(A * np.sqrt(3) / 2) and "Z-weighting" in d["weighting"]


def test_lattice_parameter_from_density_or_volume():
    comp = Composition.parse("Sb2Se3")
    for rho_g in (7.5, 8.9):
        a = bcc_lattice_parameter(density_g_cm3=rho_g)
        ref = crystal_pair_functions(bcc_sb2se3(density_g_cm3=rho_g, model="average"), r_max=5.0)
        assert ref.density_g_cm3 == pytest.approx(rho_g, rel=1e-12)
        assert a**3 / 2 == pytest.approx(1 / comp.number_density(rho_g), rel=1e-12)
    assert bcc_lattice_parameter(volume_per_atom_A3=17.9685) == pytest.approx(3.3, abs=1e-4)
    with pytest.raises(InputError, match="exactly one"):
        bcc_sb2se3(3.3, density_g_cm3=8.0)


@pytest.mark.parametrize("ratio", [0.7, 0.85, 1.1])
def test_scaling_by_volume_ratio(ratio):
    base = crystal_pair_functions(bcc_sb2se3(A, model="random", cells=3), r_max=7.0)
    scaled = crystal_pair_functions(bcc_sb2se3(A, model="random", cells=3), r_max=7.0, volume_ratio=ratio)
    f = ratio ** (1 / 3)
    n = min(len(base.shells), len(scaled.shells))
    for (d0, c0), (d1, c1) in zip(base.shells[:n], scaled.shells[:n]):
        assert d1 == pytest.approx(d0 * f, abs=2e-6) and c1 == c0
    assert scaled.number_density == pytest.approx(base.number_density / ratio)
    assert scaled.volume_ratio == pytest.approx(ratio)
    # scale_structure on a Pnma test cell: every pair distance × (V/V0)^(1/3)
    p = pnma_from_coordinates(TEST_SITES)
    _, _, d0 = pair_distances(p, 6.0)
    _, _, d1 = pair_distances(scale_structure(p, ratio), 6.0 * f)
    assert np.allclose(np.sort(d1), np.sort(d0) * f)


def test_volume_ratio_from_an_eos_callable():
    def murnaghan(p, v0=120.0, k0=30.0, k0p=5.0):  # any V(P) the caller has
        return v0 * (1 + k0p * p / k0) ** (-1 / k0p)

    r = volume_ratio_from_eos(murnaghan, 20.0)
    assert r == pytest.approx((1 + 5 * 20 / 30) ** (-1 / 5))
    ref = crystal_pair_functions(bcc_sb2se3(A, model="average"), r_max=5.0, volume_ratio=r)
    assert ref.r1_unbroadened == pytest.approx(A * np.sqrt(3) / 2 * r ** (1 / 3), abs=1e-6)
    with pytest.raises(InputError, match="positive"):
        volume_ratio_from_eos(lambda p: -1.0, 10.0)


def test_pair_distances_match_ase():
    for at in (bcc_sb2se3(A, model="average"), bcc_sb2se3(A, model="random", cells=2),
               pnma_from_coordinates(TEST_SITES)):
        i, j, d = pair_distances(at, 7.0)
        i2, j2, d2 = neighbor_list("ijd", at, 7.0)
        assert sorted(zip(i, j, np.round(d, 8))) == sorted(zip(i2, j2, np.round(d2, 8)))


def test_pnma_needs_coordinates():
    with pytest.raises(InputError, match="Voutsas") as e:
        pnma_from_coordinates()
    assert "ships none" in str(e.value)
    with pytest.raises(InputError, match="4c"):
        pnma_from_coordinates([("Sb1", 0.1, 0.1, 0.2)])
    with pytest.raises(InputError, match="element symbol"):
        pnma_from_coordinates([("1Sb", 0.1, 0.2)])


def test_pnma_symmetry_expansion_and_density():
    at = pnma_from_coordinates(TEST_SITES, source="test positions")
    assert len(at) == 20 and at.get_chemical_formula() == "Sb8Se12"
    assert np.allclose(at.cell.lengths(), PNMA_CELL)
    frac = at.get_scaled_positions()
    for k, (_, x, z) in enumerate(TEST_SITES):
        orbit = frac[at.get_tags() == k]
        expected = np.array([[x, 0.25, z], [0.5 - x, 0.75, 0.5 + z], [-x, 0.75, -z], [0.5 + x, 0.25, 0.5 - z]]) % 1
        for e in expected:
            assert np.min(np.linalg.norm((orbit - e + 0.5) % 1 - 0.5, axis=1)) < 1e-9
    # the cell and Z = 4 alone fix the density (reference-study crystal data: 5.83 g/cm³)
    vol = np.prod(PNMA_CELL)
    rho = Composition.parse("Sb2Se3").mass_density(20 / vol)
    assert rho == pytest.approx(5.83, abs=0.005)
    ref = crystal_pair_functions(at, r_max=6.0)
    assert ref.density_g_cm3 == pytest.approx(rho, rel=1e-12) and ref.n_atoms == 20
    assert ref.composition == pytest.approx({"Sb": 0.4, "Se": 0.6})
    assert VOUTSAS_1985["Z"] == 4 and VOUTSAS_1985["sb2_se_range_A"] == (2.589, 3.485)
