"""Ring statistics: exact lattices, periodic-boundary rule, ABAB, and per-size agreement with matscipy and vitrum."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from hpglass.errors import InputError
from hpglass.structure import NeighbourList
from hpglass.structure.random_cell import random_packing
from hpglass.structure.rings import CRITERIA, RingResult, ring_statistics

BOND = 3.2  # Å, bond cutoff of the random Sb2Se3 cells (hard-core 2.3 Å, 5.0 g/cm³)


def layer(cell2, basis, n, m=None, vacuum=20.0, symbols=None):
    """A 2D lattice (one layer, periodic in-plane, vacuum along z) repeated n × m times."""
    m = n if m is None else m
    cell = np.zeros((3, 3))
    cell[:2, :2] = cell2
    cell[2, 2] = vacuum
    scaled = np.array([[b[0], b[1], 0.0] for b in basis])
    return Atoms(symbols or "C" * len(basis), scaled_positions=scaled, cell=cell, pbc=True).repeat((n, m, 1))


def square(n, m=None, symbols=None, basis=((0, 0),)):
    return layer([[2.0, 0.0], [0.0, 2.0]], basis, n, m, symbols=symbols)


def counts(result: RingResult) -> dict[int, int]:
    return {int(s): int(c) for s, c in zip(result.sizes, result.counts, strict=True) if c}


# ---------------------------------------------------------------------------------------------- peers' counts


def matscipy_counts(atoms, pairs: NeighbourList, max_size: int) -> list[int]:
    """matscipy's shortest-path (Franzblau) ring counts for sizes 3 … max_size, from the same bond pairs.

    matscipy.rings.ring_statistics is bypassed: with a maxlength it fails to pad its array (numpy broadcasting
    error in matscipy 1.3.1), and its walkers stop at depth (maxlength − 1)//2, so an even maxlength misses the
    rings of exactly maxlength atoms. Its C routines with maxlength = max_size + 1 (then cut) count them all.
    """
    from matscipy.ffi import distances_on_graph, find_sp_rings

    i = np.ascontiguousarray(pairs.i, dtype=np.int32)
    j = np.ascontiguousarray(pairs.j, dtype=np.int32)
    d = distances_on_graph(i, j)
    rs = np.asarray(find_sp_rings(i, j, np.ascontiguousarray(pairs.D), d, max_size + 1))
    out = np.zeros(max_size + 1, dtype=int)
    out[:min(len(rs), max_size + 1)] = rs[:max_size + 1]
    return out[3:].tolist()


def vitrum_counts(atoms, criterion: str, max_size: int, cutoff: float = BOND, bonds=None) -> list[int]:
    """vitrum.rings.find_rings (R.I.N.G.S.'s criteria) counts for sizes 3 … max_size (distinct rings)."""
    from vitrum.rings import find_rings

    kw = {"repeat": (1, 1, 1)} if criterion == "primitive" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rings = find_rings(atoms, limit=max_size, criterion=criterion, cutoff=cutoff, bonds=bonds, **kw)
    return np.bincount([len(r) for r in rings], minlength=max_size + 1)[3:].tolist()


@pytest.fixture(scope="module")
def cell200():
    atoms = random_packing("Sb2Se3", 200, 5.0, min_distance=2.3, seed=1)
    return atoms, NeighbourList.build(atoms, BOND)


@pytest.fixture(scope="module")
def cell3000():
    atoms = random_packing("Sb2Se3", 3000, 5.0, min_distance=2.3, seed=1)
    return atoms, NeighbourList.build(atoms, BOND)


# ---------------------------------------------------------------------------------------------- exact lattices


@pytest.mark.parametrize("criterion", CRITERIA)
@pytest.mark.parametrize("repeat", [1, 2])
def test_diamond_has_two_six_rings_per_atom(criterion, repeat):
    """Diamond: only 6-rings. Each atom belongs to 12 six-rings (membership = 12); with 6 atoms per ring that is
    12/6 = 2 distinct six-rings per atom — R_C(6)/N = 2, the R.I.N.G.S. 'rings per node' normalisation. Holds in
    the 8-atom cubic cell too, where the peers (searching the cell's graph) find none or too few."""
    atoms = bulk("Si", "diamond", a=5.431, cubic=True).repeat(repeat)
    r = ring_statistics(atoms, 2.6, criterion, max_size=10)
    n = len(atoms)
    assert counts(r) == {6: 2 * n}
    k = 6 - 3
    assert r.per_atom[k] == pytest.approx(2.0)
    assert r.membership[k] == pytest.approx(12.0)
    assert r.p_n[k] == 1.0 and r.p_max[k] == 1.0 and r.p_min[k] == 1.0
    assert r.p_n.sum() == 1.0


@pytest.mark.parametrize("criterion", CRITERIA)
def test_honeycomb_layer_one_hexagon_per_two_atoms(criterion):
    graphene = layer([[2.46, 0.0], [1.23, 2.1304]], [(1 / 3, 1 / 3), (2 / 3, 2 / 3)], 4)
    r = ring_statistics(graphene, 1.6, criterion)
    assert counts(r) == {6: len(graphene) // 2}
    assert r.per_atom[3] == pytest.approx(0.5)


@pytest.mark.parametrize("criterion", ["primitive", "guttman"])
def test_square_and_triangular_lattices(criterion):
    sq = square(6)
    assert counts(ring_statistics(sq, 2.1, criterion)) == {4: 36}  # one square per atom; no 8-ring (shortcuts)
    tri = layer([[2.0, 0.0], [1.0, np.sqrt(3)]], [(0, 0)], 6)
    assert counts(ring_statistics(tri, 2.1, criterion)) == {3: 72}  # two triangles per atom; rhombi have chords


def test_king_criterion_bans_the_other_neighbours():
    """King/R.I.N.G.S.: the path between two neighbours of c avoids c's whole first shell. On the square lattice
    the two opposite neighbours of c then close an 8-ring around the shell (one per atom, found from its 4 edge
    midpoints); on the triangular lattice 120° and 180° pairs close 6- and 8-rings. Same numbers as vitrum."""
    r = ring_statistics(square(6), 2.1, "king", max_size=10)
    assert counts(r) == {4: 36, 8: 36}
    assert r.p_n[4 - 3] == 1.0 and r.p_n[8 - 3] == 1.0
    assert r.p_min[4 - 3] == 1.0 and r.p_max[8 - 3] == 1.0
    assert counts(ring_statistics(square(6), 2.1, "king", max_size=7)) == {4: 36}
    tri = layer([[2.0, 0.0], [1.0, np.sqrt(3)]], [(0, 0)], 6)
    assert counts(ring_statistics(tri, 2.1, "king", max_size=10)) == {3: 72, 6: 36, 8: 108}


@pytest.mark.parametrize("criterion", CRITERIA)
def test_chain_has_no_ring(criterion):
    chain = Atoms("C6", positions=[[2.0 * k, 0.0, 0.0] for k in range(6)], cell=[30.0, 20.0, 20.0], pbc=True)
    r = ring_statistics(chain, 2.1, criterion)
    assert r.total == 0 and r.n_candidates == 0
    assert not r.p_n.any()


@pytest.mark.parametrize("criterion", CRITERIA)
def test_loop_through_the_periodic_boundary_is_not_a_ring(criterion):
    """Four atoms in a line whose last bond crosses the boundary back to the first: in the cell's graph a
    4-cycle, in real space an infinite chain (the bond shifts sum to one lattice vector) — no ring."""
    chain = Atoms("C4", positions=[[2.0 * k, 0.0, 0.0] for k in range(4)], cell=[8.0, 20.0, 20.0], pbc=True)
    nl = NeighbourList.build(chain, 2.1)
    assert (nl.coordination() == 2).all()  # the cell's graph is a cycle
    assert ring_statistics(chain, nl, criterion).total == 0


@pytest.mark.parametrize("criterion", CRITERIA)
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (2, 2), (3, 3), (2, 5)])
def test_cells_smaller_than_a_ring_give_the_infinite_lattice(criterion, shape):
    """Square lattice in cells down to one atom: loops that wrap the cell are not rings, a ring may hold the same
    atom twice in two images, and the counts per atom are those of the infinite lattice."""
    atoms = square(*shape)
    n = len(atoms)
    r = ring_statistics(atoms, 2.1, criterion, keep_rings=True)
    expected = {4: n, 8: n} if criterion == "king" else {4: n}
    assert counts(r) == expected
    # every ring closes in real space: unwrapped consecutive atoms are bonded, the closing bond too
    pos, cell = atoms.positions, atoms.cell.array
    for size, ring in r.rings.items():
        if len(ring) == 0:
            continue
        xyz = pos[ring] + r.images[size] @ cell
        steps = np.linalg.norm(np.diff(np.concatenate([xyz, xyz[:, :1]], axis=1), axis=1), axis=2)
        assert np.allclose(steps, 2.0)


# ---------------------------------------------------------------------------------------------- result object


def test_result_fields_and_to_dict(cell200):
    atoms, nl = cell200
    r = ring_statistics(atoms, nl, "primitive", max_size=8, keep_rings=True)
    assert r.sizes.tolist() == list(range(3, 9))
    assert r.per_atom == pytest.approx(r.counts / len(atoms))
    assert r.membership == pytest.approx(r.counts * r.sizes / len(atoms))
    assert r.p_max.sum() == pytest.approx(r.p_min.sum())
    assert r.p_max.sum() <= 1.0 and (r.p_n >= r.p_max).all() and (r.p_n >= r.p_min).all()
    d = r.to_dict(include_rings=True)
    json.dumps(d)
    assert d["criterion"] == "primitive" and d["max_size"] == 8
    assert d["counts"] == {s: int(c) for s, c in zip(range(3, 9), r.counts, strict=True)}
    assert d["per_atom"][3] == pytest.approx(r.counts[0] / 200)
    assert set(d) >= {"membership", "p_n", "p_max", "p_min", "fractions", "normalisation", "hpglass_version"}
    assert len(d["rings"][3]) == r.count(3)
    # rings: distinct atoms, in ring order from the lowest index, bonded all round
    for size, ring in r.rings.items():
        assert ring.shape == (r.count(size), size)
        if len(ring):
            assert (ring[:, 0] == ring.min(axis=1)).all()
            xyz = atoms.positions[ring] + r.images[size] @ atoms.cell.array
            steps = np.linalg.norm(np.diff(np.concatenate([xyz, xyz[:, :1]], axis=1), axis=1), axis=2)
            assert (steps < BOND).all()
    assert "rings" not in r.to_dict()
    assert ring_statistics(atoms, BOND, "primitive", max_size=8).counts.tolist() == r.counts.tolist()


def test_input_errors(cell200):
    atoms, nl = cell200
    with pytest.raises(InputError, match="criterion"):
        ring_statistics(atoms, nl, "franzblau")
    with pytest.raises(InputError, match="max_size"):
        ring_statistics(atoms, nl, max_size=2)
    with pytest.raises(InputError, match="200 atoms"):
        ring_statistics(atoms[:100], nl)
    with pytest.raises(InputError, match="NeighbourList"):
        ring_statistics(atoms, "bonds")
    flat = atoms.copy()
    flat.pbc = (True, True, False)
    with pytest.raises(InputError, match="periodic"):
        ring_statistics(flat, nl)


# ---------------------------------------------------------------------------------------------- ABAB


def test_abab_square_lattices():
    checker = layer([[4.0, 0.0], [0.0, 4.0]], [(0, 0), (0.5, 0), (0, 0.5), (0.5, 0.5)], 3,
                    symbols="SbSeSeSb")  # checkerboard: every bond Sb–Se
    assert counts(ring_statistics(checker, 2.1, "primitive", abab=True)) == {4: 36}
    rows = layer([[2.0, 0.0], [0.0, 4.0]], [(0, 0), (0, 0.5)], 6, 3, symbols="SbSe")  # rows Sb, Se, Sb, …
    assert counts(ring_statistics(rows, 2.1, "primitive")) == {4: 36}
    for criterion in CRITERIA:  # homopolar bonds along the rows: no alternating ring
        assert ring_statistics(rows, 2.1, criterion, abab=True).total == 0


@pytest.mark.parametrize("criterion", CRITERIA)
def test_abab_is_the_search_on_heteropolar_bonds(cell200, criterion):
    atoms, nl = cell200
    sym = np.asarray(atoms.get_chemical_symbols())
    r = ring_statistics(atoms, nl, criterion, abab=True, keep_rings=True)
    het = ring_statistics(atoms, nl.select(sym[nl.i] != sym[nl.j]), criterion)
    assert r.counts.tolist() == het.counts.tolist()
    assert r.total > 0
    for size, ring in r.rings.items():
        if len(ring):
            assert size % 2 == 0
            s = sym[ring]
            assert (s != np.roll(s, 1, axis=1)).all()


# ---------------------------------------------------------------------------------------------- peers


def test_random_cell_200_matches_matscipy_and_vitrum(cell200):
    """~200-atom Sb2Se3 random packing (18.5 Å box): per-size counts identical to the peers."""
    pytest.importorskip("matscipy")
    pytest.importorskip("vitrum")
    atoms, nl = cell200
    prim = ring_statistics(atoms, nl, "primitive", 10).counts.tolist()
    assert prim == matscipy_counts(atoms, nl, 10)
    assert prim == vitrum_counts(atoms, "primitive", 10)
    for criterion in ("king", "guttman"):
        assert ring_statistics(atoms, nl, criterion, 10).counts.tolist() == vitrum_counts(atoms, criterion, 10)
    assert sum(prim) > 100


def test_abab_matches_peers_on_heteropolar_bonds(cell200):
    """ABAB: matscipy on the Sb–Se pairs only; vitrum with bonds=[("Sb", "Se")] (its bond filter)."""
    pytest.importorskip("matscipy")
    pytest.importorskip("vitrum")
    atoms, nl = cell200
    sym = np.asarray(atoms.get_chemical_symbols())
    het = nl.select(sym[nl.i] != sym[nl.j])
    assert ring_statistics(atoms, nl, "primitive", 10, abab=True).counts.tolist() == matscipy_counts(atoms, het, 10)
    for criterion in ("king", "guttman"):
        assert (ring_statistics(atoms, nl, criterion, 10, abab=True).counts.tolist()
                == vitrum_counts(atoms, criterion, 10, bonds=[("Sb", "Se")]))


def test_lattices_match_peers():
    """Square, triangular and bcc (8 neighbours: many degenerate shortest paths) lattices: primitive rings as
    matscipy, King and Guttman as vitrum (vitrum's primitive search takes ~100 s on the bcc cell: not used)."""
    pytest.importorskip("matscipy")
    pytest.importorskip("vitrum")
    tri = layer([[2.0, 0.0], [1.0, np.sqrt(3)]], [(0, 0)], 6)
    bcc = bulk("Fe", "bcc", a=2.87, cubic=True).repeat(4)
    for atoms, cutoff, max_size in ((square(6), 2.1, 10), (tri, 2.1, 10), (bcc, 2.6, 8)):
        nl = NeighbourList.build(atoms, cutoff)
        label = (len(atoms), cutoff)
        assert (ring_statistics(atoms, nl, "primitive", max_size).counts.tolist()
                == matscipy_counts(atoms, nl, max_size)), label
        for criterion in ("king", "guttman"):
            ours = ring_statistics(atoms, nl, criterion, max_size).counts.tolist()
            assert ours == vitrum_counts(atoms, criterion, max_size, cutoff=cutoff), (label, criterion)
    assert counts(ring_statistics(bcc, 2.6, "king", 8)) == {4: 1536, 8: 19968}
    assert counts(ring_statistics(bcc, 2.6, "primitive", 8)) == {4: 1536, 6: 512}


@pytest.mark.slow
def test_random_cell_3000_matches_matscipy_and_vitrum(cell3000):
    pytest.importorskip("matscipy")
    pytest.importorskip("vitrum")
    atoms, nl = cell3000
    t = time.perf_counter()
    prim = ring_statistics(atoms, nl, "primitive", 10)
    elapsed = time.perf_counter() - t
    assert prim.counts.tolist() == matscipy_counts(atoms, nl, 10)
    for criterion in ("king", "guttman"):
        assert ring_statistics(atoms, nl, criterion, 10).counts.tolist() == vitrum_counts(atoms, criterion, 10)
    assert elapsed < 30.0  # ~0.1 s compiled; the bound only catches a pathological slowdown


@pytest.mark.slow
def test_random_cell_20000_matches_matscipy():
    pytest.importorskip("matscipy")
    atoms = random_packing("Sb2Se3", 20000, 5.0, min_distance=2.3, seed=1)
    nl = NeighbourList.build(atoms, BOND)
    t = time.perf_counter()
    prim = ring_statistics(atoms, nl, "primitive", 10)
    elapsed = time.perf_counter() - t
    assert prim.counts.tolist() == matscipy_counts(atoms, nl, 10)
    assert elapsed < 120.0


# ---------------------------------------------------------------------------------------------- without numba

_NO_NUMBA = """
import sys
sys.modules["numba"] = None  # make `import numba` fail
import json
from ase.build import bulk
from hpglass.structure import rings
assert not rings.HAVE_NUMBA
from hpglass.structure.random_cell import random_packing
atoms = random_packing("Sb2Se3", 200, 5.0, min_distance=2.3, seed=1)
out = {c: rings.ring_statistics(atoms, 3.2, c, 10).counts.tolist() for c in rings.CRITERIA}
si = bulk("Si", "diamond", a=5.431, cubic=True)
out["diamond"] = rings.ring_statistics(si, 2.6, "king", 10).counts.tolist()
print(json.dumps(out))
"""


def test_pure_python_fallback_gives_the_same_rings(cell200):
    atoms, nl = cell200
    proc = subprocess.run([sys.executable, "-c", _NO_NUMBA], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for criterion in CRITERIA:
        assert out[criterion] == ring_statistics(atoms, nl, criterion, 10).counts.tolist()
    assert out["diamond"] == [0, 0, 0, 16, 0, 0, 0, 0]
