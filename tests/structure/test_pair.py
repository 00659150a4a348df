"""Partial and total g_ab(r): crystal shells, rock-salt partials, density, and the peers (ASE, freud, OVITO).

Tolerances. A perfect crystal puts every pair of a shell at one distance d, so the whole shell lands in the one
bin [k·dr, (k+1)·dr) that holds d: its centre is within dr/2 of d (+1e-9 for a d that falls on an edge, where
the rounding of d/dr may pick either neighbour), and the running coordination between two shells is an exact
integer. Against the peers, on the same cell with the same bin edges: ASE and OVITO compute in double precision
and agree to rounding (1e-10 asserted; 1e-13 measured); freud bins float32 distances, so a pair within ~1e-6 Å of
a bin edge can fall into the neighbouring bin (asserted: counts differ in ≤ 1e-4 of the pairs and g(r) by no more
than those moved pairs plus float32 rounding, 1e-4 relative).
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from hpglass.composition import Composition
from hpglass.errors import InputError
from hpglass.structure.frames import frame_density
from hpglass.structure.neighbors import NeighbourList
from hpglass.structure.pair import half_min_height, pair_distribution
from hpglass.structure.random_cell import random_packing

DR = 0.01


def _shell(pd, a, b, d):
    """(bin centre holding the shell at d, running CN just above the shell, CN just below)."""
    k = int(np.argmin(np.abs(pd.r - d)))
    counts = pd.counts[pd.species.index(a), pd.species.index(b)]
    window = slice(max(k - 1, 0), k + 2)
    kk = max(k - 1, 0) + int(np.argmax(counts[window]))
    run = pd.running_coordination(a, b)
    below = run[np.searchsorted(pd.edges[1:], d - 0.05)]
    above = run[np.searchsorted(pd.edges[1:], d + 0.05)]
    return pd.r[kk], above, below


@pytest.mark.parametrize("name, crystal, shells", [
    ("diamond Si", bulk("Si", "diamond", a=5.431, cubic=True), [(5.431 * np.sqrt(3) / 4, 4), (5.431 / np.sqrt(2), 12)]),
    ("bcc Fe", bulk("Fe", "bcc", a=2.87, cubic=True), [(2.87 * np.sqrt(3) / 2, 8), (2.87, 6)]),
    ("fcc Cu", bulk("Cu", "fcc", a=3.615, cubic=True), [(3.615 / np.sqrt(2), 12), (3.615, 6)]),
])
def test_crystal_shells(name, crystal, shells):
    atoms = crystal.repeat(4)
    el = atoms.get_chemical_symbols()[0]
    pd = pair_distribution(atoms, 5.0, DR)
    total = 0
    for d, n in shells:
        centre, above, below = _shell(pd, el, el, d)
        assert abs(centre - d) <= DR / 2 + 1e-9, (name, d, centre)
        assert below == pytest.approx(total, abs=1e-12)
        total += n
        assert above == pytest.approx(total, abs=1e-12), (name, d)
    # the first non-zero g(r) bin is the first shell: its count over the ideal-gas count of that bin
    d, n = shells[0]
    k = int(np.flatnonzero(pd.total)[0])
    assert abs(pd.r[k] - d) <= DR / 2 + 1e-9
    assert pd.total[k] == pytest.approx(n / (pd.number_density * pd.shell_volumes[k]), rel=1e-12)


def test_rocksalt_partials():
    a = 5.64
    atoms = bulk("NaCl", "rocksalt", a=a, cubic=True).repeat(3)
    pd = pair_distribution(atoms, 8.0, DR)
    assert pd.species == ("Cl", "Na")
    centre, above, below = _shell(pd, "Na", "Cl", a / 2)
    assert abs(centre - a / 2) <= DR / 2 + 1e-9 and above == 6 and below == 0
    centre, above, below = _shell(pd, "Na", "Na", a / np.sqrt(2))
    assert abs(centre - a / np.sqrt(2)) <= DR / 2 + 1e-9 and above == 12 and below == 0
    assert pd.running_coordination("Cl", "Na")[int(3.2 / DR)] == 6
    np.testing.assert_array_equal(pd.partial("Na", "Cl"), pd.partial("Cl", "Na"))
    # no like neighbours in the first shell
    assert pd.partial("Na", "Na")[: int(3.5 / DR)].max() == 0
    c = pd.concentrations
    mix = sum(c[x] * c[y] * pd.partial(x, y) for x in pd.species for y in pd.species)
    np.testing.assert_allclose(pd.total, mix, rtol=1e-12, atol=1e-14)


def test_density():
    a = 5.431
    si = bulk("Si", "diamond", a=a, cubic=True)
    d = frame_density(si.repeat(2))
    assert d.number_density == pytest.approx(8 / a**3, rel=1e-12)
    # 8 × 28.085 g/mol in a³: 2.3290 g/cm³ (handbook value for Si at 300 K: 2.329)
    assert d.g_cm3 == pytest.approx(8 * 28.085 / (6.02214076e23 * (a * 1e-8) ** 3), rel=1e-4)
    assert d.g_cm3 == pytest.approx(2.329, abs=1e-3)
    packing = random_packing("Sb2Se3", 200, 5.0, 2.3, seed=4)
    dp = frame_density(packing)
    assert dp.g_cm3 == pytest.approx(5.0, rel=1e-12)
    assert dp.number_density == pytest.approx(Composition.parse("Sb2Se3").number_density(5.0), rel=1e-12)


def test_methods_agree_and_shared_list():
    atoms = random_packing("Sb2Se3", 300, 5.0, 2.3, seed=5)
    h = half_min_height(atoms.cell)
    ref = pair_distribution(atoms, h * 0.99, DR, method="matscipy")
    mic = pair_distribution(atoms, h * 0.99, DR, method="mic")
    nl = NeighbourList.build(atoms, h * 0.99)
    shared = pair_distribution(atoms, h * 0.99, DR, nl=nl)
    assert shared.meta["method"] == "nl"
    np.testing.assert_array_equal(mic.counts, ref.counts)
    np.testing.assert_array_equal(shared.counts, ref.counts)
    assert ref.counts.sum() == len(nl.d[nl.d < ref.r_max])
    wide = pair_distribution(atoms, h * 0.99, 5 * DR, method="mic")
    rebinned = mic.rebin(5)
    n = rebinned.counts.shape[-1]
    np.testing.assert_array_equal(rebinned.counts, wide.counts[..., :n])
    with pytest.raises(InputError, match="half the smallest cell height"):
        pair_distribution(atoms, h * 1.2, DR, method="mic")
    with pytest.raises(InputError, match="neighbour list reaches"):
        pair_distribution(atoms, 6.0, DR, nl=NeighbourList.build(atoms, 3.0), method="nl")


def test_triclinic_mic():
    atoms = random_packing("Sb2Se3", 250, 5.0, 2.3, seed=6)
    cell = atoms.cell.array.copy()
    cell[1] += 0.3 * cell[0]
    cell[2] += 0.2 * cell[0] - 0.25 * cell[1]
    atoms.set_cell(cell, scale_atoms=True)
    h = half_min_height(atoms.cell)
    mic = pair_distribution(atoms, h, DR, method="mic")
    ref = pair_distribution(atoms, h, DR, method="matscipy")
    np.testing.assert_array_equal(mic.counts, ref.counts)


# -- peers -----------------------------------------------------------------------------------------------------
def _packing(n):
    return random_packing("Sb2Se3", n, 5.0, 2.3, seed=11)


@pytest.mark.parametrize("n", [200, 3000])
def test_vs_ase(n):
    from ase.geometry.rdf import get_rdf

    atoms = _packing(n)
    r_max = 8.0 if n > 200 else 0.99 * half_min_height(atoms.cell)
    nbins = round(r_max / 0.02)
    r_max = nbins * 0.02
    pd = pair_distribution(atoms, r_max, 0.02)
    g, rr = get_rdf(atoms, r_max, nbins)
    np.testing.assert_allclose(rr, pd.r, atol=1e-12)
    np.testing.assert_allclose(g, pd.total, rtol=0, atol=1e-10)
    for a, b in (("Sb", "Sb"), ("Sb", "Se"), ("Se", "Sb"), ("Se", "Se")):
        ga = get_rdf(atoms, r_max, nbins, elements=[a, b], no_dists=True)
        np.testing.assert_allclose(ga, pd.partial(a, b), rtol=0, atol=1e-10)


@pytest.mark.parametrize("n", [200, 3000])
def test_vs_ovito(n):
    pytest.importorskip("ovito")
    from ovito.io.ase import ase_to_ovito
    from ovito.modifiers import CoordinationAnalysisModifier
    from ovito.pipeline import Pipeline, StaticSource

    atoms = _packing(n)
    r_max, nbins = 8.0, 400
    if n == 200:
        r_max, nbins = 9.0, 450
    pd = pair_distribution(atoms, r_max, r_max / nbins)
    pipe = Pipeline(source=StaticSource(data=ase_to_ovito(atoms)))
    pipe.modifiers.append(CoordinationAnalysisModifier(cutoff=r_max, number_of_bins=nbins, partial=True))
    table = pipe.compute().tables["coordination-rdf"]
    xy = table.xy()
    np.testing.assert_allclose(xy[:, 0], pd.r, atol=1e-12)
    for k, name in enumerate(table.y.component_names):
        a, b = name.split("-")
        np.testing.assert_allclose(xy[:, k + 1], pd.partial(a, b), rtol=0, atol=1e-10)


@pytest.mark.parametrize("n", [200, 3000])
def test_vs_freud(n):
    freud = pytest.importorskip("freud")
    atoms = _packing(n)
    r_max, nbins = 8.0, 400
    if n == 200:
        r_max, nbins = 9.0, 450
    pd = pair_distribution(atoms, r_max, r_max / nbins)
    box = freud.box.Box.from_matrix(np.asarray(atoms.cell).T)
    atoms.wrap()
    pos = atoms.positions - 0.5 * np.diag(atoms.cell)  # freud's box is centred on the origin
    sym = np.array(atoms.get_chemical_symbols())
    total_pairs = pd.counts.sum()
    for a, b in (("Sb", "Sb"), ("Sb", "Se"), ("Se", "Se"), (None, None)):
        rdf = freud.density.RDF(nbins, r_max)
        if a is None:
            rdf.compute((box, pos))
            ours, g = pd.counts.sum(axis=(0, 1)), pd.total
        elif a == b:
            rdf.compute((box, pos[sym == a]))
            ours, g = pd.counts[pd.species.index(a), pd.species.index(b)], pd.partial(a, b)
        else:
            rdf.compute((box, pos[sym == b]), query_points=pos[sym == a])
            ours, g = pd.counts[pd.species.index(a), pd.species.index(b)], pd.partial(a, b)
        np.testing.assert_allclose(rdf.bin_centers, pd.r, atol=1e-5)
        moved = np.abs(rdf.bin_counts - ours)
        assert moved.sum() <= 1e-4 * total_pairs + 2, (a, b, moved.sum())
        ideal = np.where(ours > 0, g / np.maximum(ours, 1), 0.0)  # g per pair in each bin
        np.testing.assert_array_less(np.abs(rdf.rdf - g), moved * ideal * 1.0001 + 1e-4 * np.maximum(g, 1.0))
