"""Bond-angle distributions: exact lattices, a brute-force loop, and OVITO's bond-angle histogram bin by bin."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from hpglass.errors import InputError
from hpglass.structure.angles import bond_angle_distribution, bond_pairs
from hpglass.structure.bonds import bonded
from hpglass.structure.neighbors import NeighbourList

CUTOFFS = {"Sb-Se": 3.2, "Sb-Sb": 3.0, "Se-Se": 2.6}


def _random_sb2se3(n: int = 200, density: float = 0.033, seed: int = 0, cell_scale=(1.0, 1.0, 1.0)) -> Atoms:
    rng = np.random.default_rng(seed)
    side = (n / density) ** (1 / 3)
    nsb = round(0.4 * n)
    cell = np.diag(side * np.asarray(cell_scale))
    return Atoms(["Sb"] * nsb + ["Se"] * (n - nsb), scaled_positions=rng.random((n, 3)), cell=cell, pbc=True)


@pytest.fixture(scope="module")
def glass():
    atoms = _random_sb2se3()
    return atoms, bonded(atoms, NeighbourList.build(atoms, 4.0), CUTOFFS)


def _brute_force(atoms, nl, bins):
    """Loop over atoms and bond pairs, angle by arccos: the definition written out."""
    sym = atoms.get_chemical_symbols()
    hist: dict[str, np.ndarray] = {}
    for i in range(len(atoms)):
        vec = nl.D[nl.first[i]:nl.first[i + 1]]
        nbr = nl.j[nl.first[i]:nl.first[i + 1]]
        for p in range(len(vec)):
            for q in range(p + 1, len(vec)):
                c = vec[p] @ vec[q] / np.linalg.norm(vec[p]) / np.linalg.norm(vec[q])
                theta = np.degrees(np.arccos(np.clip(c, -1, 1)))
                a, b = sorted((sym[nbr[p]], sym[nbr[q]]))
                key = f"{a}-{sym[i]}-{b}"
                hist.setdefault(key, np.zeros(bins, int))[min(int(theta / (180 / bins)), bins - 1)] += 1
    return hist


def test_simple_cubic_angles_are_exact():
    atoms = bulk("Po", "sc", a=3.0).repeat(4)
    # 35 bins of 5.14°: no bin edge at 60°, 90° or 120° (exact lattice angles must not sit on an edge)
    res = bond_angle_distribution(atoms, NeighbourList.build(atoms, 3.2), bins=35)
    n = len(atoms)
    # 6 bonds: 15 pairs per atom = 12 at 90° and 3 at 180°
    assert res.n_angles == 15 * n
    assert res.counts[17] == 12 * n and res.counts[34] == 3 * n and res.counts.sum() == 15 * n
    assert res.fraction_near_60 == 0.0
    assert res.mean_angle == pytest.approx((12 * 90 + 3 * 180) / 15, abs=1e-9)
    assert np.sum(res.density) * res.width == pytest.approx(1.0, abs=1e-12)


def test_fcc_has_60_degree_triangles():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(3)
    res = bond_angle_distribution(atoms, NeighbourList.build(atoms, 3.0), bins=35)  # no bin edge at 60/90/120°
    n = len(atoms)
    # 12 neighbours: 66 pairs = 24 × 60°, 12 × 90°, 24 × 120°, 6 × 180°
    expect = {60: 24, 90: 12, 120: 24, 180: 6}
    for angle, count in expect.items():
        assert res.counts[min(int(angle / (180 / 35)), 34)] == count * n
    assert res.counts.sum() == 66 * n
    assert res.fraction_near_60 == pytest.approx(24 / 66, abs=1e-12)
    assert res.partial_near_60["Cu"] == pytest.approx(24 / 66, abs=1e-12)


def test_vectorised_equals_brute_force_loop(glass):
    atoms, b = glass
    res = bond_angle_distribution(atoms, b, bins=180, by="triplet")
    ref = _brute_force(atoms, b, 180)
    for key, counts in res.partials.items():
        assert np.array_equal(counts, ref.get(key, np.zeros(180, int))), key
    by_centre = bond_angle_distribution(atoms, b, bins=180, by="centre")
    assert np.array_equal(by_centre.counts, res.counts)
    assert np.array_equal(by_centre.partials["Sb"], sum(v for k, v in res.partials.items() if k.split("-")[1] == "Sb"))
    assert set(res.partials) == {"Sb-Sb-Sb", "Sb-Sb-Se", "Se-Sb-Se", "Sb-Se-Sb", "Sb-Se-Se", "Se-Se-Se"}


def test_small_cell_bonds_to_images_and_triclinic():
    """A cell shorter than 2 bond lengths: bonds to two images of one atom are two bonds (and a 180° angle)."""
    atoms = _random_sb2se3(n=12, density=0.033, seed=3)
    atoms.set_cell(atoms.cell.array + np.array([[0, 0, 0], [1.0, 0, 0], [0.5, 0.7, 0]]), scale_atoms=True)
    nl = NeighbourList.build(atoms, 4.5)
    assert np.any(np.bincount(nl.i * len(atoms) + nl.j) > 1)  # some atom pair bonded through two images
    res = bond_angle_distribution(atoms, nl, bins=90, by="triplet")
    ref = _brute_force(atoms, nl, 90)
    for key, counts in res.partials.items():
        assert np.array_equal(counts, ref.get(key, np.zeros(90, int))), key


def test_chunking_does_not_change_pairs():
    first = np.array([0, 3, 3, 4, 9, 11, 11, 17])
    big = np.concatenate([np.stack(p) for p in bond_pairs(first)], axis=1)
    small = np.concatenate([np.stack(p) for p in bond_pairs(first, max_pairs=4)], axis=1)
    assert np.array_equal(big, small)
    expect = [(a, b) for c in range(len(first) - 1) for a in range(first[c], first[c + 1])
              for b in range(a + 1, first[c + 1])]
    assert list(zip(*big.tolist(), strict=True)) == expect


@pytest.mark.parametrize("bins", [180, 72])
def test_identical_to_ovito_bin_by_bin(glass, bins):
    """OVITO: CreateBondsModifier (pairwise cutoffs) + BondAngleDistributionModifier partitioned by particle type.

    Same bonds and same bins must give the same integer counts in every bin of every partial (exact equality:
    an angle would have to lie within ~1e-12° of a bin edge for the two arithmetic paths to disagree)."""
    pytest.importorskip("ovito")
    from ovito.io.ase import ase_to_ovito
    from ovito.modifiers import BondAngleDistributionModifier, CreateBondsModifier

    atoms, b = glass
    data = ase_to_ovito(atoms)
    create = CreateBondsModifier(mode=CreateBondsModifier.Mode.Pairwise)
    for key, rc in CUTOFFS.items():
        create.set_pairwise_cutoff(*key.split("-"), rc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data.apply(create)
        data.apply(BondAngleDistributionModifier(bins=bins,
                                                 partition=BondAngleDistributionModifier.Partition.ByParticleType))
    assert data.particles.bonds.count == len(b.i) // 2
    table = data.tables["bond-angle-distr"]
    y = np.asarray(table.y)
    res = bond_angle_distribution(atoms, b, bins=bins, by="triplet")
    assert (table.interval_start, table.interval_end) == (0.0, 180.0)
    for k, name in enumerate(table.y.component_names):
        assert np.array_equal(y[:, k].astype(int), res.partials[name]), name
    assert int(y.sum()) == res.n_angles


def test_to_dict_is_plain_json(glass):
    atoms, b = glass
    d = bond_angle_distribution(atoms, b, by="triplet").to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["n_angles"] == d["n_angles"]
    assert len(d["angle_deg"]) == 180 and set(d["partials"]["Se-Sb-Se"]) >= {"counts", "density_per_deg"}


def test_no_bonds_gives_empty_histogram():
    atoms = _random_sb2se3(n=20, density=0.001)
    res = bond_angle_distribution(atoms, NeighbourList.build(atoms, 1.0))
    assert res.n_angles == 0 and res.counts.sum() == 0 and np.isnan(res.fraction_near_60)
    assert json.loads(json.dumps(res.to_dict(), allow_nan=False))["fraction_near_60"] is None


@pytest.mark.parametrize(("kwargs", "field"), [({"by": "species"}, "by"), ({"bins": 0}, "bins"),
                                              ({"near_60": (70, 50)}, "near_60")])
def test_bad_arguments(glass, kwargs, field):
    atoms, b = glass
    with pytest.raises(InputError) as err:
        bond_angle_distribution(atoms, b, **kwargs)
    assert err.value.field == field
