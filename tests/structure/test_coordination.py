"""Partial coordination numbers with per-pair cutoffs, first-minimum cutoffs, and frame averages with SEM."""

from __future__ import annotations

from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase.build import bulk

from hpglass.errors import InputError
from hpglass.structure.coordination import (
    average_coordination,
    coordination,
    covalent_cutoff,
    first_minimum,
    parse_cutoffs,
    resolve_cutoffs,
)
from hpglass.structure.frames import FrameAverage, average_records
from hpglass.structure.neighbors import NeighbourList
from hpglass.structure.pair import average_pair_distributions, pair_distribution, pair_distributions
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
    chosen = resolve_cutoffs([el], None, pd)
    cut, src = chosen.cutoffs, chosen.source
    assert lo < cut[f"{el}-{el}"] < hi and src[f"{el}-{el}"].startswith("first minimum")
    assert chosen.warnings == ()  # Si: 3.1 Å = 1.39 × (r + r), beyond 1.35, but the gap up to it is empty
    assert coordination(atoms, None, pair=pd).mean == expected
    assert coordination(atoms).mean == expected  # the frame's own g(r)


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


# -- cutoffs that are not given: covalent radii, plausible first minima, warnings (issue 12) --------------------------
GLASS80 = Path(__file__).resolve().parents[2] / "data" / "glass80-sevennet"  # the 80-atom SevenNet-0 glass


def _bundled(name: str, index=":"):
    path = GLASS80 / name
    if not path.is_file():
        pytest.skip(f"{name} not bundled")
    return ase.io.read(path, index)


def test_covalent_cutoff_values():
    # Cordero 2008 radii: Sb 1.39, Se 1.20 Å
    assert covalent_cutoff("Sb", "Se") == pytest.approx(1.2 * 2.59)
    assert covalent_cutoff("Se", "Se") == pytest.approx(2.88)
    assert covalent_cutoff("Sb", "Sb", 1.35) == pytest.approx(1.35 * 2.78)
    with pytest.raises(InputError, match="covalent radius"):
        covalent_cutoff("Xx", "Se")


@pytest.mark.parametrize("crystal, expected", [
    (bulk("Si", "diamond", a=5.431, cubic=True), {"Si": 4}),
    (bulk("GaAs", "zincblende", a=5.653, cubic=True), {"Ga": 4, "As": 4}),
    (bulk("ZnS", "zincblende", a=5.41, cubic=True), {"Zn": 4, "S": 4}),
    (bulk("Cu", "fcc", a=3.615, cubic=True), {"Cu": 12}),
    (bulk("Fe", "bcc", a=2.87, cubic=True), {"Fe": 14}),  # 8 at 0.94 and 6 at 1.09 × (r + r)
    (bulk("Sb"), {"Sb": 3}),  # A7: 2.92 Å bonds (1.05), 3.37 Å second shell (1.21) just outside 1.2
    (bulk("As"), {"As": 3}),  # A7: second shell at 1.32
])
def test_covalent_rule_on_crystals(crystal, expected):
    """1.2 × (r_a + r_b) keeps the bonds and leaves out the next shell of these crystals (ideal positions)."""
    atoms = crystal.repeat(4)
    res = coordination(atoms, None, rule="covalent")
    assert res.by_species == pytest.approx(expected)
    assert set(res.cutoff_source.values()) == {"covalent radii: 1.2 × (r_a + r_b) (Cordero 2008)"}
    assert res.warnings == ()


def test_covalent_rule_rocksalt_heteropolar_pair():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(3)
    res = coordination(atoms, {"Na-Na": 3.5, "Cl-Cl": 3.5}, rule="covalent")  # like ions: give their cutoffs
    assert res.cutoffs["Cl-Na"] == pytest.approx(1.2 * (1.02 + 1.66)) and res.by_pair["Na-Cl"] == 6.0


def test_auto_rule_crystal_without_like_bonds_warns():
    """GaAs: g_GaGa and g_AsAs start at the second-neighbour shell (4.0 Å = 1.6 × (r + r)): their first minima are
    no bond cutoffs, so the covalent cutoffs are used (no Ga–Ga/As–As bond) with one warning each."""
    atoms = _noisy(bulk("GaAs", "zincblende", a=5.653, cubic=True).repeat(4), sigma=0.05, seed=1)
    res = coordination(atoms)
    assert res.by_species == {"As": 4.0, "Ga": 4.0}
    assert res.cutoff_source["As-Ga"].startswith("first minimum")
    assert res.cutoffs["As-As"] == pytest.approx(covalent_cutoff("As", "As"))
    assert len(res.warnings) == 2 and all("beyond a plausible" in w for w in res.warnings)
    assert {w.split()[0] for w in res.warnings} == {"As-As", "Ga-Ga"}
    assert "\n" not in "".join(res.warnings)


def test_pnma_sb2se3_bundled_covalent():
    """The Pnma Sb2Se3 relaxed with SevenNet-0 at 0 GPa (the 80-atom glass's crystal): Sb–Se 2.63–3.11 Å are bonds at
    1.2 × (r_Sb + r_Se) = 3.108 Å, the 3.25 Å contact is not; no Sb–Sb or Se–Se bond."""
    atoms = _bundled("crystals/pnma_P_0GPa.extxyz", -1)
    res = coordination(atoms, None, rule="covalent")
    assert res.by_pair["Sb-Sb"] == 0.0 and res.by_pair["Se-Se"] == 0.0
    assert res.by_species == pytest.approx({"Sb": 4.0, "Se": 8 / 3})


def test_bundled_glass_only_sb_se_given():
    """Issue 12: a-Sb2Se3 at 20 GPa with only Sb-Se given. The first minimum of the frame-averaged g_SeSe lies at
    ≈ 4.5 Å (its first peak is the Se–Sb–Se second-neighbour shell), which counted ≈ 14.6 neighbours per Se; now
    Se–Se falls back to 1.2 × (r_Se + r_Se) = 2.88 Å with a warning."""
    frames = _bundled("P_20GPa.extxyz")
    avg = average_pair_distributions(pair_distributions(frames))
    old = resolve_cutoffs(("Sb", "Se"), {"Sb-Se": 3.3}, avg.pair, rule="minimum")
    assert old.cutoffs["Se-Se"] == pytest.approx(4.5, abs=0.05) and len(old.warnings) == 1
    new = resolve_cutoffs(("Sb", "Se"), {"Sb-Se": 3.3}, avg.pair)
    assert new.cutoffs["Se-Se"] == pytest.approx(2.88) and new.first_minima["Se-Se"] == old.cutoffs["Se-Se"]
    assert new.cutoffs["Sb-Se"] == 3.3 and new.source["Sb-Se"] == "given"
    assert new.cutoffs["Sb-Sb"] == pytest.approx(covalent_cutoff("Sb", "Sb"))
    assert len(new.warnings) == 1 and new.warnings[0].startswith("Se-Se cutoff") and "4.5 Å" in new.warnings[0]
    se_old = np.mean([coordination(a, old.cutoffs).by_species["Se"] for a in frames[::5]])
    se_new = np.mean([coordination(a, new.cutoffs).by_species["Se"] for a in frames[::5]])
    assert se_old > 12 and 3 < se_new < 7


def test_noise_test_rejects_a_single_frames_wiggle():
    """One 80-atom frame: g_SeSe's counting noise makes a 'peak' and a 'minimum' at ≈ 3.1 Å without the noise test;
    with it ('auto') no first minimum is found and the covalent cutoff is used (without a warning)."""
    atoms = _bundled("P_20GPa.extxyz", 0)
    pd = pair_distribution(atoms, dr=0.01)
    assert first_minimum(pd.r, pd.partial("Se", "Se")) < 3.24  # a plausible-looking, spurious minimum
    with pytest.raises(InputError, match="counting noise"):
        first_minimum(pd.r, pd.partial("Se", "Se"), sigma=pd.partial_sem("Se", "Se"))
    chosen = resolve_cutoffs(("Sb", "Se"), {"Sb-Se": 3.3}, pd)
    assert chosen.cutoffs["Se-Se"] == pytest.approx(2.88) and "no first minimum" in chosen.source["Se-Se"]
    assert chosen.warnings == ()


def test_rules_and_result_fields():
    atoms = random_packing("Sb2Se3", 100, 5.0, 2.3, seed=2)
    res = coordination(atoms, {"Sb-Se": 3.2}, rule="covalent")
    assert res.cutoffs == pytest.approx({"Sb-Sb": 3.336, "Sb-Se": 3.2, "Se-Se": 2.88})
    d = res.to_dict(arrays=True)
    assert d["warnings"] == [] and len(d["species_of_atom"]) == 100 and set(d["per_atom"]) == {"Sb", "Se"}
    assert np.sum(d["per_atom"]["Sb"]) + np.sum(d["per_atom"]["Se"]) == res.total.sum()
    assert "per_atom" not in res.to_dict()
    with pytest.raises(InputError, match="cutoff rule"):
        coordination(atoms, {"Sb-Se": 3.2}, rule="nearest")
    with pytest.raises(InputError, match="no cutoff for Sb-Sb"):
        resolve_cutoffs(("Sb", "Se"), {"Sb-Se": 3.2}, None, rule="minimum")
    assert resolve_cutoffs(("Sb", "Se"), {"Sb-Se": 3.2}).source["Se-Se"].endswith("(no g(r) given)")
    r = repr(res)
    assert len(r) < 200 and "\n" not in r and "Sb" in r
    assert len(repr(resolve_cutoffs(("Sb", "Se"), {"Sb-Se": 3.2}))) < 200


def test_average_coordination_collects_warnings():
    atoms = _noisy(bulk("GaAs", "zincblende", a=5.653, cubic=True).repeat(4), sigma=0.05, seed=1)
    res = coordination(atoms)
    avg = average_coordination([res, res])
    assert avg["warnings"] == list(res.warnings)
    other = coordination(atoms, {"As-Ga": 2.9}, rule="covalent")
    assert any("different cutoffs" in w for w in average_coordination([res, other])["warnings"])
