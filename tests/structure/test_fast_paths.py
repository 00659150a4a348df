"""The compiled cell-list paths (numba) against a brute-force reference and against the numpy/matscipy paths.

Reference: every atom pair and every lattice image n·cell with |n_k| ≤ ⌈r_c/h_k⌉ + 1 (h_k the cell heights: no
image beyond reaches r_c), all distances computed in numpy — O(N² · images), exact by construction. Frames: small
random packings (cubic), the same sheared into a triclinic cell with positions outside the cell, and a 4-atom
diamond cell with a cutoff larger than the cell (each atom meets several images of itself).

Tolerances. Pairs are compared as sets of (i, j, image) — exactly; distances and vectors to 1e-9 Å (the two
paths wrap positions differently, so they differ by rounding, ≈ 1e-13 Å measured). Histograms are compared
exactly: a random cell puts no distance within 1e-9 Å of a bin edge or a cutoff (checked in each test), where
rounding could move a pair between bins.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from hpglass.structure import neighbors as nb
from hpglass.structure.angles import _angle_numpy, bond_angle_distribution
from hpglass.structure.bonds import bonded
from hpglass.structure.coordination import coordination
from hpglass.structure.neighbors import NeighbourList, cell_heights, species_codes
from hpglass.structure.pair import pair_distribution
from hpglass.structure.random_cell import random_packing

pytestmark = pytest.mark.skipif(not nb.HAVE_NUMBA, reason="the compiled paths need numba")

CUTS = {"Sb-Se": 3.2, "Sb-Sb": 3.1, "Se-Se": 2.7}


def brute_pairs(atoms, rc):
    """(i, j, S, d, D) of every directed pair within rc, all images, sorted by (i, j, S)."""
    cell = atoms.cell.array
    pos = atoms.positions
    reach = np.ceil(rc / cell_heights(cell)).astype(int) + 1
    shifts = np.stack(np.meshgrid(*(np.arange(-k, k + 1) for k in reach), indexing="ij"), -1).reshape(-1, 3)
    rows = []
    for s in shifts:
        D = pos[None, :, :] + (s @ cell)[None, None, :] - pos[:, None, :]
        d = np.linalg.norm(D, axis=-1)
        i, j = np.nonzero((d < rc) & ~((d == 0) & (np.eye(len(atoms), dtype=bool))))
        for a, b in zip(i, j, strict=True):
            rows.append((a, b, *s, d[a, b], *D[a, b]))
    arr = np.array(rows)
    order = np.lexsort((arr[:, 4], arr[:, 3], arr[:, 2], arr[:, 1], arr[:, 0]))
    arr = arr[order]
    return arr[:, 0].astype(int), arr[:, 1].astype(int), arr[:, 2:5].astype(int), arr[:, 5], arr[:, 6:9]


def frames():
    cubic = random_packing("Sb2Se3", 120, 5.5, 2.3, seed=4)
    tri = random_packing("Sb2Se3", 90, 5.5, 2.3, seed=5)
    tri.set_cell(tri.cell.array + np.array([[0, 0, 0], [2.5, 0, 0], [1.0, -1.5, 0]]), scale_atoms=False)
    tri.positions -= 17.0  # atoms outside the cell: shifts are relative to the positions as given
    diamond = bulk("Si", "diamond", 5.43)
    diamond.rattle(0.05, seed=2)
    return [(cubic, 6.0), (tri, 7.5), (diamond, 6.0)]


@pytest.mark.parametrize("k", range(3))
def test_neighbour_list_equals_brute_force(k):
    atoms, rc = frames()[k]
    nl = NeighbourList.build(atoms, rc)
    i, j, S, d, D = brute_pairs(atoms, rc)
    assert len(nl.i) == len(i)
    order = np.lexsort((nl.shift[:, 2], nl.shift[:, 1], nl.shift[:, 0], nl.j, nl.i))
    np.testing.assert_array_equal(nl.i[order], i)
    np.testing.assert_array_equal(nl.j[order], j)
    np.testing.assert_array_equal(nl.shift[order], S)
    np.testing.assert_allclose(nl.d[order], d, atol=1e-9)
    np.testing.assert_allclose(nl.D[order], D, atol=1e-9)
    # sorted by atom, then distance within each atom; the CSR index agrees
    assert np.all(np.diff(nl.i) >= 0)
    same = np.diff(nl.i) == 0
    assert np.all(np.diff(nl.d)[same] >= 0)
    np.testing.assert_array_equal(nl.first, np.searchsorted(nl.i, np.arange(len(atoms) + 1)))


def test_cells_g_of_r_equals_brute_force_and_matscipy():
    atoms = random_packing("Sb2Se3", 150, 5.5, 2.3, seed=7)
    pd = pair_distribution(atoms, 6.0, 0.01, method="cells")
    i, j, _, d, _ = brute_pairs(atoms, 6.0)
    assert np.min(np.abs(d / 0.01 - np.round(d / 0.01))) > 1e-7  # no distance on a bin edge
    _, t = species_codes(atoms)
    ref = np.zeros_like(pd.counts)
    np.add.at(ref, (t[i], t[j], (d / 0.01).astype(int)), 1)
    np.testing.assert_array_equal(pd.counts, ref)
    np.testing.assert_array_equal(pd.counts, pair_distribution(atoms, 6.0, 0.01, method="matscipy").counts)
    assert pair_distribution(atoms, 6.0, 0.01).meta["method"] == "cells"


def test_cells_g_of_r_beyond_half_the_cell_counts_every_image():
    atoms = bulk("Si", "diamond", 5.43)  # 2 atoms; r_max 6 Å ≫ half the cell height (1.6 Å)
    atoms.rattle(0.03, seed=1)
    pd = pair_distribution(atoms, 6.0, 0.01, method="cells")
    _, _, _, d, _ = brute_pairs(atoms, 6.0)
    np.testing.assert_array_equal(pd.counts[0, 0], np.bincount((d / 0.01).astype(int), minlength=600))


def test_coordination_kernel_equals_neighbour_list_path():
    atoms = random_packing("Sb2Se3", 300, 5.5, 2.3, seed=8)
    fast = coordination(atoms, CUTS)
    slow = coordination(atoms, CUTS, nl=NeighbourList.build(atoms, 3.5))
    np.testing.assert_array_equal(fast.per_atom, slow.per_atom)
    # and against the brute-force pairs with the per-pair cutoffs
    i, j, _, d, _ = brute_pairs(atoms, 3.2)
    _, t = species_codes(atoms)
    table = np.array([[3.1, 3.2], [3.2, 2.7]])
    keep = d < table[t[i], t[j]]
    ref = np.zeros_like(fast.per_atom)
    np.add.at(ref, (i[keep], t[j[keep]]), 1)
    np.testing.assert_array_equal(fast.per_atom, ref)


@pytest.mark.parametrize("k", range(2))
def test_bonds_from_positions_equal_bonds_selected_from_a_list(k):
    atoms = frames()[k][0]
    direct = bonded(atoms, None, CUTS)
    via = bonded(atoms, NeighbourList.build(atoms, 3.5), CUTS)
    for name in ("i", "j", "shift", "first"):
        np.testing.assert_array_equal(getattr(direct, name), getattr(via, name))
    np.testing.assert_allclose(direct.d, via.d, atol=1e-9)
    np.testing.assert_allclose(direct.D, via.D, atol=1e-9)


@pytest.mark.parametrize("by", ["centre", "triplet"])
def test_angle_kernel_equals_vectorised_path(by):
    atoms = random_packing("Sb2Se3", 400, 5.5, 2.3, seed=9)
    bonds = bonded(atoms, None, CUTS)
    res = bond_angle_distribution(atoms, bonds, bins=180, by=by)
    _, codes = species_codes(atoms)
    ns = 2
    tri = np.full((ns, ns, ns), -1, dtype=np.intp)
    n = 0
    for c in range(ns):
        for a in range(ns):
            for b in range(a, ns):
                tri[c, a, b] = tri[c, b, a] = n
                n += 1
    nparts = ns if by == "centre" else n
    hist, near, total, count = _angle_numpy(bonds, np.asarray(bonds.D), codes, codes[bonds.j], by, tri, nparts, 180,
                                            1.0, 50.0, 70.0)
    np.testing.assert_array_equal(np.stack(list(res.partials.values())).ravel(), hist)
    assert res.n_angles == count
    assert res.mean_angle == pytest.approx(total / count, rel=1e-12)
    assert res.fraction_near_60 == pytest.approx(near.sum() / count, rel=1e-12)


def test_grid_sizes_follow_the_cutoff():
    atoms = random_packing("Sb2Se3", 300, 5.5, 2.3, seed=1)
    short, long = nb.cell_grid(atoms, 3.2), nb.cell_grid(atoms, 10.0)
    assert short.offsets.shape[0] == 14  # one-cutoff slabs: the half of 3 × 3 × 3 offsets
    assert np.all(long.n >= 1) and np.all(np.diff(long.start) >= 0) and long.start[-1] == len(atoms)
    assert sorted(long.order.tolist()) == list(range(len(atoms)))


@pytest.mark.parametrize("method", ["ptm", "cna"])
def test_lean_ovito_frame_gives_the_types_of_ase_to_ovito(method):
    # structure_types hands OVITO only the cell and positions; ase_to_ovito (the documented conversion) gives the
    # same per-atom types — on a thermally displaced bcc crystal in a triclinic (sheared) cell with atoms outside it
    ovito_ase = pytest.importorskip("ovito.io.ase")
    from ovito.modifiers import CommonNeighborAnalysisModifier, PolyhedralTemplateMatchingModifier

    from hpglass.structure.order import _ovito_frame

    atoms = bulk("Fe", "bcc", a=2.87, cubic=True).repeat((5, 5, 5))
    atoms.set_cell(atoms.cell.array + np.array([[0, 0, 0], [1.4, 0, 0], [0, 0.7, 0]]), scale_atoms=True)
    atoms.positions += np.random.default_rng(1).normal(0.0, 0.1, atoms.positions.shape) + 3.0

    def mod():
        return PolyhedralTemplateMatchingModifier() if method == "ptm" else CommonNeighborAnalysisModifier()

    types = []
    for data in (_ovito_frame(atoms), ovito_ase.ase_to_ovito(atoms)):
        data.apply(mod())
        types.append(np.asarray(data.particles["Structure Type"]))
    np.testing.assert_array_equal(types[0], types[1])
    assert np.count_nonzero(types[0]) > 0.5 * len(atoms)  # mostly recognised (bcc), so the comparison has content


@pytest.mark.parametrize("by", ["centre", "triplet"])
@pytest.mark.parametrize("cuts", [CUTS, 3.0])
def test_angles_from_cutoffs_equal_angles_of_the_bond_list(by, cuts):
    # the fused path (bonds found and binned on the cell grid) against bonded() + the bond list: the same angles,
    # summed in another order (mean angle to 1e-12 relative)
    atoms = frames()[1][0]
    fused = bond_angle_distribution(atoms, cuts, by=by)
    listed = bond_angle_distribution(atoms, bonded(atoms, None, cuts), by=by)
    assert fused.partials.keys() == listed.partials.keys()
    for key in fused.partials:
        np.testing.assert_array_equal(fused.partials[key], listed.partials[key])
    assert (fused.n_angles, fused.n_centres, fused.meta["n_bonds"]) == (listed.n_angles, listed.n_centres,
                                                                         listed.meta["n_bonds"])
    assert fused.mean_angle == pytest.approx(listed.mean_angle, rel=1e-12)
    assert fused.fraction_near_60 == pytest.approx(listed.fraction_near_60, rel=1e-12)
    assert fused.meta["bond_cutoff_A"] == listed.meta["bond_cutoff_A"]
    assert fused.n_angles > 100


_NO_NUMBA = """
import sys
sys.modules["numba"] = None  # make `import numba` fail
import json
import numpy as np
from hpglass.structure import neighbors
assert not neighbors.HAVE_NUMBA
from hpglass.structure.angles import bond_angle_distribution
from hpglass.structure.coordination import coordination
from hpglass.structure.neighbors import NeighbourList
from hpglass.structure.pair import pair_distribution
from hpglass.structure.random_cell import random_packing
atoms = random_packing("Sb2Se3", 200, 5.5, 2.3, seed=11)
cuts = {"Sb-Se": 3.2, "Sb-Sb": 3.1, "Se-Se": 2.7}
nl = NeighbourList.build(atoms, 4.0)
pd = pair_distribution(atoms, 6.0, 0.01)
out = {"i": nl.i.tolist(), "j": nl.j.tolist(), "S": nl.shift.tolist(), "g_method": pd.meta["method"],
       "g": pd.counts.tolist(), "cn": coordination(atoms, cuts).per_atom.tolist(),
       "angles": bond_angle_distribution(atoms, cuts, by="triplet").counts.tolist()}
print(json.dumps(out))
"""


def test_without_numba_the_same_lists_and_histograms():
    # the fallbacks (matscipy's list, numpy histograms) in a process where numba cannot be imported: the same pairs
    # in the same order (ties in (d, j) aside, none in a random cell), the same counts
    import json
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _NO_NUMBA], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    atoms = random_packing("Sb2Se3", 200, 5.5, 2.3, seed=11)
    nl = NeighbourList.build(atoms, 4.0)
    assert out["i"] == nl.i.tolist() and out["j"] == nl.j.tolist() and out["S"] == nl.shift.tolist()
    assert out["g_method"] != "cells"
    assert out["g"] == pair_distribution(atoms, 6.0, 0.01).counts.tolist()
    assert out["cn"] == coordination(atoms, CUTS).per_atom.tolist()
    assert out["angles"] == bond_angle_distribution(atoms, CUTS, by="triplet").counts.tolist()
