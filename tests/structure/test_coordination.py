"""Partial coordination numbers with per-pair cutoffs, first-minimum cutoffs, and frame averages with SEM."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from hpglass.errors import InputError
from hpglass.structure.coordination import (
    average_coordination,
    coordination,
    first_minimum,
    parse_cutoffs,
    resolve_cutoffs,
)
from hpglass.structure.frames import FrameAverage, average_records
from hpglass.structure.neighbors import NeighbourList
from hpglass.structure.pair import pair_distribution
from hpglass.structure.random_cell import random_packing


def _noisy(atoms, sigma=0.04, seed=0):
    atoms = atoms.copy()
    atoms.positions += np.random.default_rng(seed).normal(0, sigma, atoms.positions.shape)
    return atoms


def test_rocksalt_per_pair_cutoffs():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(3)
    res = coordination(atoms, {"Na-Cl": 3.2, "Na-Na": 3.2, "Cl-Cl": 3.2})
    assert res.by_pair == {"Cl-Cl": 0.0, "Cl-Na": 6.0, "Na-Cl": 6.0, "Na-Na": 0.0}
    assert res.by_species == {"Cl": 6.0, "Na": 6.0}
    np.testing.assert_array_equal(res.distribution()["Na"], [0, 0, 0, 0, 0, 0, 1.0])
    # a longer like-pair cutoff adds the 12 second neighbours of the same species only
    res = coordination(atoms, ["Na-Cl=3.2", "Na-Na=4.2", "Cl-Cl=3.2"])
    assert res.by_pair["Na-Na"] == 12.0 and res.by_pair["Cl-Cl"] == 0.0 and res.by_species["Na"] == 18.0
    d = res.to_dict()
    assert d["cutoffs_A"] == {"Cl-Cl": 3.2, "Cl-Na": 3.2, "Na-Na": 4.2}
    assert d["distribution"]["Na"]["18"] == 1.0


@pytest.mark.parametrize("crystal, cutoff, expected", [
    (bulk("Fe", "bcc", a=2.87, cubic=True), 2.70, 8),  # 8 at 2.485 Å …
    (bulk("Fe", "bcc", a=2.87, cubic=True), 3.50, 14),  # … + 6 at 2.87 Å (next shell at 4.06 Å)
    (bulk("Cu", "fcc", a=3.615, cubic=True), 3.10, 12),
    (bulk("Si", "diamond", a=5.431, cubic=True), 2.80, 4),
])
def test_crystal_coordination(crystal, cutoff, expected):
    atoms = _noisy(crystal.repeat(3), sigma=0.03)
    el = atoms.get_chemical_symbols()[0]
    res = coordination(atoms, {f"{el}-{el}": cutoff})
    assert res.mean == expected and res.by_species[el] == expected


@pytest.mark.parametrize("crystal, expected, lo, hi", [
    (bulk("Si", "diamond", a=5.431, cubic=True), 4, 2.35, 3.84),
    (bulk("Cu", "fcc", a=3.615, cubic=True), 12, 2.56, 3.62),
])
def test_cutoff_from_first_minimum(crystal, expected, lo, hi):
    """σ = 0.08 Å thermal noise: the first minimum of g(r) lies between the first and second shell."""
    atoms = _noisy(crystal.repeat(4), sigma=0.08, seed=2)
    el = atoms.get_chemical_symbols()[0]
    pd = pair_distribution(atoms, 6.0, 0.01)
    cut, src = resolve_cutoffs([el], None, pd)
    assert lo < cut[f"{el}-{el}"] < hi and src[f"{el}-{el}"].startswith("first minimum")
    assert coordination(atoms, None, pair=pd).mean == expected


def test_first_minimum_flat_gap():
    r = np.arange(0.005, 6, 0.01)
    g = np.zeros_like(r)
    g[(r > 2.3) & (r < 2.4)] = 5.0
    g[(r > 3.8) & (r < 3.9)] = 5.0
    assert first_minimum(r, g, smooth=0.0) == pytest.approx(0.5 * (2.395 + 3.805), abs=0.011)
    with pytest.raises(InputError, match="second peak"):
        first_minimum(r, np.where(r > 2.3, 1.5, 0.0))


def test_pair_symmetry_and_shared_list():
    atoms = random_packing("Sb2Se3", 300, 5.0, 2.3, seed=2)
    cut = {"Sb-Se": 3.2, "Sb-Sb": 3.1, "Se-Se": 2.9}
    nl = NeighbourList.build(atoms, 5.0)
    res = coordination(atoms, cut, nl=nl)
    c = {"Sb": 0.4, "Se": 0.6}
    assert c["Sb"] * res.by_pair["Sb-Se"] == pytest.approx(c["Se"] * res.by_pair["Se-Sb"], rel=1e-12)
    direct = coordination(atoms, cut)
    np.testing.assert_array_equal(res.per_atom, direct.per_atom)
    # brute force for atom 0
    d = atoms.get_distances(0, range(len(atoms)), mic=True)
    sym = np.array(atoms.get_chemical_symbols())
    rc = np.array([cut["-".join(sorted((sym[0], s)))] for s in sym])
    hits = (d < rc) & (np.arange(len(atoms)) != 0)
    assert res.total[0] == hits.sum()
    with pytest.raises(InputError, match="reaches"):
        coordination(atoms, cut, nl=NeighbourList.build(atoms, 3.0))


@pytest.mark.parametrize("cutoffs, needle", [
    ({"Ge-Se": 3.0, "Sb-Se": 3.2, "Sb-Sb": 3.1, "Se-Se": 2.9}, "Ge"),
    ({"Sb-Se": 3.2}, "no cutoff for Sb-Sb"),
    (["Sb-Se:3.2"], "A-B=R"),
    (["Sb-Se=-1"], "positive"),
    (["Sb-Se=3.2", "Se-Sb=3.3"], "given twice"),
    (["SbSe=3.2"], "A-B"),
])
def test_bad_cutoffs(cutoffs, needle):
    atoms = random_packing("Sb2Se3", 100, 5.0, 2.3, seed=2)
    with pytest.raises(InputError) as exc:
        coordination(atoms, cutoffs)
    assert needle.lower() in str(exc.value).lower() and "\n" not in str(exc.value)


def test_parse_cutoffs_canonical():
    assert parse_cutoffs(["Se-Sb=3.3", "Sb-Sb = 3.1"]) == {"Sb-Se": 3.3, "Sb-Sb": 3.1}
    assert parse_cutoffs({"Se-Sb": 3.3}) == {"Sb-Se": 3.3}


# -- frame averages ----------------------------------------------------------------------------------------------
def test_frame_average_two_frames_exact():
    fa = FrameAverage.of([2.0, 5.0])
    assert fa.mean == 3.5 and fa.sem == 1.5 and fa.n_frames == 2  # SEM of two values = |a − b| / 2
    arr = FrameAverage.of([np.array([1.0, 4.0]), np.array([3.0, 0.0])])
    np.testing.assert_array_equal(arr.mean, [2.0, 2.0])
    np.testing.assert_array_equal(arr.sem, [1.0, 2.0])
    one = FrameAverage.of([7.0])
    assert one.mean == 7.0 and np.isnan(one.sem)
    with pytest.raises(InputError):
        FrameAverage.of([np.zeros(2), np.zeros(3)])
    with pytest.raises(InputError):
        FrameAverage.of([])


def test_average_coordination_two_frames():
    frames = [random_packing("Sb2Se3", 200, 5.0, 2.3, seed=s) for s in (1, 2)]
    cut = {"Sb-Se": 3.2, "Sb-Sb": 3.1, "Se-Se": 2.9}
    res = [coordination(f, cut) for f in frames]
    avg = average_coordination(res)
    for k in res[0].by_pair:
        a, b = res[0].by_pair[k], res[1].by_pair[k]
        assert avg["by_pair"][k] == pytest.approx((a + b) / 2, abs=1e-15)
        assert avg["by_pair_sem"][k] == pytest.approx(abs(a - b) / 2, abs=1e-15)
    n = max(len(d) for d in (r.distribution() for r in res) for d in d.values())
    for a in ("Sb", "Se"):
        tot = sum(avg["distribution"][a].values())
        assert tot == pytest.approx(1.0)
        assert len(avg["distribution"][a]) >= n


def test_average_records():
    means, sems = average_records([{"x": 1.0, "n": 3, "s": "a", "v": [1.0, 2.0], "d": {"y": 2.0}},
                                   {"x": 3.0, "n": 3, "s": "b", "v": [3.0, 2.0], "d": {"y": 4.0}}])
    assert means == {"x": 2.0, "n": 3, "s": "a", "v": [2.0, 2.0], "d": {"y": 3.0}}
    assert sems["x"] == 1.0 and sems["v"] == [1.0, 0.0] and sems["d"] == {"y": 1.0} and "n" not in sems
