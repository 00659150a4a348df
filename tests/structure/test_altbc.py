"""ALTBC: Peierls-distorted simple cubic (exact bond ratio), the undistorted lattice, A7 (Sb-type), a brute-force loop."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ase import Atoms
from ase.spacegroup import crystal

from hpglass.errors import InputError
from hpglass.structure.altbc import altbc
from hpglass.structure.neighbors import NeighbourList

A = 3.013  # Å; not a multiple of the map's bin width, so the lattice distances sit inside bins, not on edges


def _peierls_sc(delta: float, n: int = 6, a: float = A) -> Atoms:
    """Simple cubic with atom (l, m, k) displaced by δa·((−1)^l, (−1)^m, (−1)^k): along every axis the chains
    alternate bonds a(1 − 2δ) and a(1 + 2δ), and the three atoms of each chain stay exactly collinear."""
    idx = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    pos = a * idx + a * delta * (-1.0) ** idx
    return Atoms(f"Sb{len(idx)}", positions=pos, cell=[a * n] * 3, pbc=True)


def test_peierls_distorted_cubic_gives_the_exact_ratio():
    delta = 0.03
    atoms = _peierls_sc(delta)
    res = altbc(atoms, NeighbourList.build(atoms, 4.0), r_max=3.5, r_min=2.5, bins=100)
    rs, rl = A * (1 - 2 * delta), A * (1 + 2 * delta)
    ratio = (1 + 2 * delta) / (1 - 2 * delta)
    # 6 neighbours within 3.5 Å, 3 collinear pairs per atom (x, y, z chains), each one short + one long bond
    assert res.total.n_triplets == 3 * len(atoms)
    assert res.mean_ratio == pytest.approx(ratio, rel=1e-12)
    assert res.total.mean_difference == pytest.approx(rl - rs, rel=1e-12)
    assert res.fraction_distorted == 1.0
    w = res.bin_width
    assert abs(res.peak[0] - rs) <= w / 2 + 1e-12 and abs(res.peak[1] - rl) <= w / 2 + 1e-12
    assert np.array_equal(res.counts, res.counts.T)
    assert np.sum(res.density) * w**2 == pytest.approx(3.0, rel=1e-12)  # collinear triplets per atom
    k = int(np.floor((ratio - 1) / (res.ratio_edges[1] - res.ratio_edges[0])))
    assert res.total.ratio_counts[k] == res.total.n_triplets


def test_undistorted_cubic_peaks_on_the_diagonal():
    atoms = _peierls_sc(0.0)
    res = altbc(atoms, NeighbourList.build(atoms, 4.0), r_max=3.5, r_min=2.5, bins=100)
    assert res.mean_ratio == pytest.approx(1.0, abs=1e-12)
    assert res.fraction_distorted == 0.0
    assert res.peak[0] == res.peak[1] and abs(res.peak[0] - A) <= res.bin_width / 2
    assert res.total.ratio_counts[0] == res.total.n_triplets == 3 * len(atoms)


def test_a7_structure_short_long_pairs():
    """A7 (R-3m, 6c at (0, 0, z)) with Sb-like parameters: 3 short + 3 long bonds, each short bond nearly opposite
    a long one; the expected ratio is computed from the structure's own distances, not typed in."""
    sb = crystal("Sb", [(0, 0, 0.2336)], spacegroup=166,
                 cellpar=[4.3084, 4.3084, 11.2740, 90, 90, 120]).repeat((4, 4, 2))
    nl = NeighbourList.build(sb, 4.0)
    shells = np.unique(np.round(nl.d, 6))
    assert len(shells) == 2 and np.all(nl.coordination() == 6)  # first shell (3) + second (3), next at a = 4.31 Å
    r_short, r_long = float(nl.d.min()), float(nl.d.max())
    assert r_long - r_short > 0.4
    res = altbc(sb, nl, r_max=4.0)
    assert res.total.n_triplets == 3 * len(sb)
    assert res.mean_ratio == pytest.approx(r_long / r_short, rel=1e-9)
    assert 1.14 < res.mean_ratio < 1.17  # ≈ 3.35/2.91 for Sb
    assert abs(res.peak[0] - r_short) <= res.bin_width / 2 + 1e-9
    assert abs(res.peak[1] - r_long) <= res.bin_width / 2 + 1e-9


def _random_glass(n=300, seed=1):
    rng = np.random.default_rng(seed)
    side = (n / 0.035) ** (1 / 3)
    nsb = round(0.4 * n)
    return Atoms(["Sb"] * nsb + ["Se"] * (n - nsb), positions=rng.random((n, 3)) * side, cell=[side] * 3, pbc=True)


def test_equals_brute_force_and_per_centre_sums():
    atoms = _random_glass()
    nl = NeighbourList.build(atoms, 4.5)
    res = altbc(atoms, nl, r_max=4.0, angle_min=150.0, r_min=0.0, bins=40, by_centre=True)
    sub = nl.within(4.0)
    ratios, maps = [], np.zeros((40, 40), int)
    for i in range(len(atoms)):
        v, d = sub.D[sub.first[i]:sub.first[i + 1]], sub.d[sub.first[i]:sub.first[i + 1]]
        for p in range(len(v)):
            for q in range(p + 1, len(v)):
                if np.degrees(np.arccos(np.clip(v[p] @ v[q] / d[p] / d[q], -1, 1))) >= 150.0:
                    ratios.append(max(d[p], d[q]) / min(d[p], d[q]))
                    maps[int(d[p] / 0.1), int(d[q] / 0.1)] += 1
                    maps[int(d[q] / 0.1), int(d[p] / 0.1)] += 1
    assert res.total.n_triplets == len(ratios) > 50
    assert res.mean_ratio == pytest.approx(np.mean(ratios), rel=1e-12)
    assert res.fraction_distorted == pytest.approx(np.mean(np.array(ratios) > 1.1), abs=1e-15)
    assert np.array_equal(res.counts, maps)
    assert set(res.by_centre) == {"Sb", "Se"}
    assert np.array_equal(res.by_centre["Sb"].counts + res.by_centre["Se"].counts, res.counts)
    assert res.by_centre["Sb"].n_triplets + res.by_centre["Se"].n_triplets == res.total.n_triplets
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["mean_ratio"] == pytest.approx(res.mean_ratio) and len(d["map_density_per_A2"]) == 40


@pytest.mark.parametrize(("kwargs", "field"), [({"r_max": 5.0}, "r_max"), ({"angle_min": 60}, "angle_min"),
                                              ({"r_min": 4.0}, "r_min"), ({"bins": 0}, "bins")])
def test_bad_arguments(kwargs, field):
    atoms = _random_glass(n=50)
    with pytest.raises(InputError) as err:
        altbc(atoms, NeighbourList.build(atoms, 4.0), **kwargs)
    assert err.value.field == field
