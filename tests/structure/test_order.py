"""Steinhardt q_l (perfect lattices, a float64 brute force, freud) and OVITO structure types (PTM, adaptive CNA)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from scipy.special import sph_harm_y

from hpglass.errors import InputError
from hpglass.structure.neighbors import NeighbourList
from hpglass.structure.order import spherical_harmonics, steinhardt, structure_types


def _bcc():
    return bulk("Fe", "bcc", a=3.0, cubic=True).repeat(4)  # 128 atoms; shells 2.598 (8), 3.0 (6), 4.243 (12) Å


def _fcc():
    return bulk("Cu", "fcc", a=3.6, cubic=True).repeat(3)  # 108 atoms; shells 2.546 (12), 3.6 (6) Å


def _glass(n=300, seed=1):
    rng = np.random.default_rng(seed)
    side = (n / 0.035) ** (1 / 3)
    nsb = round(0.4 * n)
    # a triclinic cell, to exercise the general periodic case
    cell = side * np.array([[1.0, 0.0, 0.0], [0.1, 1.05, 0.0], [-0.05, 0.08, 0.92]])
    return Atoms(["Sb"] * nsb + ["Se"] * (n - nsb), scaled_positions=rng.random((n, 3)), cell=cell, pbc=True)


# published values (4 decimals) for perfect lattices; every atom identical, so std ≈ 0 to round-off
@pytest.mark.parametrize(("make", "cutoff", "q4", "q6"), [
    (_bcc, 2.8, 0.5092, 0.6285),   # bcc, 8 nearest neighbours
    (_bcc, 3.5, 0.0364, 0.5107),   # bcc, 8 + 6
    (_fcc, 3.0, 0.1909, 0.5745),   # fcc, 12
])
def test_perfect_lattices(make, cutoff, q4, q6):
    atoms = make()
    res = steinhardt(atoms, NeighbourList.build(atoms, cutoff))
    assert res["q4_mean"] == pytest.approx(q4, abs=1e-4)  # the reference values carry 4 decimals
    assert res["q6_mean"] == pytest.approx(q6, abs=1e-4)
    assert res["q4_std"] < 1e-12 and res["q6_std"] < 1e-12


def test_n_neighbours_picks_the_nearest():
    atoms = _bcc()
    nl = NeighbourList.build(atoms, 4.5)
    assert steinhardt(atoms, nl, n_neighbours=8)["q6_mean"] == pytest.approx(0.6285, abs=1e-4)
    assert steinhardt(atoms, nl, n_neighbours=14)["q4_mean"] == pytest.approx(0.0364, abs=1e-4)
    with pytest.raises(InputError) as err:
        steinhardt(atoms, nl.within(2.8), n_neighbours=14)
    assert err.value.field == "n_neighbours"


def test_spherical_harmonics_equal_scipy():
    """The trigonometry-free recurrence vs scipy's sph_harm_y: 1e-12 for vectors ≥ 1° from the z axis (there
    arccos(z/r), which scipy needs, is itself good to ~1e-14); exact known values on the axis."""
    v = np.random.default_rng(0).normal(size=(2000, 3))
    r = np.linalg.norm(v, axis=1)
    v = v[np.abs(v[:, 2] / r) < np.cos(np.radians(1.0))]
    r = np.linalg.norm(v, axis=1)
    th, ph = np.arccos(v[:, 2] / r), np.mod(np.arctan2(v[:, 1], v[:, 0]), 2 * np.pi)
    ys = spherical_harmonics(v * 3.7, [0, 1, 2, 4, 6, 8, 12])
    for l, y in ys.items():
        ref = sph_harm_y(l, np.arange(l + 1)[None, :], th[:, None], ph[:, None])
        np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12)
    pole = spherical_harmonics(np.array([[0.0, 0.0, 2.0], [0.0, 0.0, -1.0]]), [6])[6]
    np.testing.assert_allclose(pole[:, 0], [np.sqrt(13 / (4 * np.pi))] * 2, rtol=1e-14)  # even l: same at ±z
    assert np.all(pole[:, 1:] == 0)


def _brute_force(nl, n, ls, average):
    """The definition written out per atom, all m from −l to l, float64."""
    out = {}
    for l in ls:
        qlm = np.full((n, 2 * l + 1), np.nan, dtype=complex)
        for i in range(n):
            v = nl.D[nl.first[i]:nl.first[i + 1]]
            if len(v) == 0:
                continue
            r = np.linalg.norm(v, axis=1)
            th, ph = np.arccos(v[:, 2] / r), np.mod(np.arctan2(v[:, 1], v[:, 0]), 2 * np.pi)
            qlm[i] = [np.mean(sph_harm_y(l, m, th, ph)) for m in range(-l, l + 1)]
        if average:
            avg = np.full_like(qlm, np.nan)
            for i in range(n):
                nbr = nl.j[nl.first[i]:nl.first[i + 1]]
                if len(nbr):
                    avg[i] = (qlm[i] + qlm[nbr].sum(axis=0)) / (len(nbr) + 1)
            qlm = avg
        out[l] = np.sqrt(4 * np.pi / (2 * l + 1) * np.sum(np.abs(qlm) ** 2, axis=1))
    return out


@pytest.fixture(scope="module")
def glass():
    atoms = _glass()
    return atoms, NeighbourList.build(atoms, 3.4)  # 6 neighbours on average; one atom has none


@pytest.mark.parametrize("average", [False, True])
def test_equals_float64_brute_force(glass, average):
    atoms, nl = glass
    res = steinhardt(atoms, nl, l=(2, 4, 6, 8), average=average)
    ref = _brute_force(nl, len(atoms), (2, 4, 6, 8), average)
    assert np.any(nl.coordination() == 0)  # an isolated atom → NaN, as freud
    for l in (2, 4, 6, 8):
        np.testing.assert_array_equal(np.isnan(res.ql[l]), np.isnan(ref[l]))
        np.testing.assert_allclose(res.ql[l], ref[l], rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("average", [False, True])
def test_agrees_with_freud(glass, average):
    """freud 3.x computes in single precision (float32 vectors and harmonics). Its polar angle acos(z/r) in float32
    loses ~√ε₃₂ ≈ 3e-4 rad for a bond within a few degrees of the z axis, so single atoms can differ by a few 1e-4;
    the typical atom agrees to ~1e-6. Tolerances: median |Δ| < 1e-5, max |Δ| < 2e-3; our own values are checked
    to 1e-12 against the float64 brute force above."""
    freud = pytest.importorskip("freud")
    atoms, nl = glass
    n = len(atoms)
    box = freud.box.Box.from_matrix(np.asarray(atoms.cell).T)
    fnl = freud.locality.NeighborList.from_arrays(n, n, nl.i, nl.j, nl.D)
    st = freud.order.Steinhardt(l=[4, 6], average=average)
    st.compute((box, box.wrap(atoms.positions)), neighbors=fnl)
    res = steinhardt(atoms, nl, l=(4, 6), average=average)
    for k, l in enumerate((4, 6)):
        theirs = np.asarray(st.particle_order[:, k], dtype=float)
        np.testing.assert_array_equal(np.isnan(theirs), np.isnan(res.ql[l]))
        diff = np.abs(theirs - res.ql[l])[~np.isnan(theirs)]
        assert np.median(diff) < 1e-5 and diff.max() < 2e-3


def test_mapping_and_json(glass):
    atoms, nl = glass
    res = steinhardt(atoms, nl)
    assert set(res) == {"q4", "q6", "q4_mean", "q6_mean", "q4_std", "q6_std", "average"}
    assert res["q6"].shape == (len(atoms),) and res["q6_mean"] == res.mean[6]
    d = json.loads(json.dumps(res.to_dict(per_atom=True), allow_nan=False))
    assert d["n_without_neighbours"] >= 1 and None in d["q6"]
    with pytest.raises(InputError):
        steinhardt(atoms, nl, l=-1)


ovito = pytest.importorskip("ovito")


@pytest.mark.parametrize("method", ["ptm", "cna"])
def test_structure_types_crystals_and_glass(method):
    assert structure_types(_bcc(), method)["bcc_fraction"] == 1.0
    fcc = structure_types(_fcc(), method)
    assert fcc["fractions"]["fcc"] == 1.0 and fcc.bcc_fraction == 0.0
    # thermally displaced bcc (σ = 0.04 a per component) stays bcc for both methods
    hot = _bcc()
    hot.positions += np.random.default_rng(0).normal(0.0, 0.12, hot.positions.shape)
    assert structure_types(hot, method).bcc_fraction > 0.9
    glass = structure_types(_glass(), method)
    assert glass.bcc_fraction < 0.02 and glass.fractions["other"] > 0.9
    assert sum(glass.counts.values()) == glass.n_atoms
    d = json.loads(json.dumps(glass.to_dict(), allow_nan=False))
    assert d["method"] == method and "bcc" in d["fractions"]


def test_structure_types_options():
    sc = bulk("Po", "sc", a=3.0).repeat(4)
    assert structure_types(sc, "ptm").fractions["sc"] == 1.0
    assert structure_types(sc, "ptm", types=("fcc", "bcc")).fractions["other"] == 1.0
    with pytest.raises(InputError) as err:
        structure_types(sc, "voronoi")
    assert err.value.field == "method"
    with pytest.raises(InputError):
        structure_types(sc, "ptm", types=("bct",))
