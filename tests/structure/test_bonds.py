"""bonds.bonded: per-species-pair cutoffs on a shared neighbour list, checked against ase's neighbour search."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.neighborlist import neighbor_list

from hpglass.errors import InputError
from hpglass.structure.bonds import bonded, pair_key, parse_pair
from hpglass.structure.neighbors import NeighbourList

CUTOFFS = {"Sb-Se": 3.2, "Sb-Sb": 3.0, "Se-Se": 2.6}


def _random_sb2se3(n: int = 200, density: float = 0.033, seed: int = 0) -> Atoms:
    rng = np.random.default_rng(seed)
    side = (n / density) ** (1 / 3)
    nsb = round(0.4 * n)
    return Atoms(["Sb"] * nsb + ["Se"] * (n - nsb), positions=rng.random((n, 3)) * side, cell=[side] * 3, pbc=True)


@pytest.fixture(scope="module")
def frame():
    atoms = _random_sb2se3()
    return atoms, NeighbourList.build(atoms, 4.0)


def _pairs(nl):
    return set(zip(nl.i.tolist(), nl.j.tolist(), np.round(nl.d, 9).tolist(), strict=True))


def test_per_pair_cutoffs_match_brute_force(frame):
    atoms, nl = frame
    b = bonded(atoms, nl, CUTOFFS)
    i, j, d = neighbor_list("ijd", atoms, 4.0)
    sym = np.asarray(atoms.get_chemical_symbols())
    rc = np.array([CUTOFFS[pair_key(a, c)] for a, c in zip(sym[i], sym[j], strict=True)])
    keep = d < rc
    expect = set(zip(i[keep].tolist(), j[keep].tolist(), np.round(d[keep], 9).tolist(), strict=True))
    assert _pairs(b) == expect
    assert len(b.i) == int(keep.sum()) > 0
    assert b.cutoff == 3.2
    # every bond both ways; CSR layout consistent
    assert np.array_equal(np.bincount(b.i, minlength=len(atoms)), np.bincount(b.j, minlength=len(atoms)))
    assert np.array_equal(np.diff(b.first), b.coordination()) and b.first[-1] == len(b.i)


def test_key_order_is_symmetric_and_unnamed_pairs_are_not_bonded(frame):
    atoms, nl = frame
    a = bonded(atoms, nl, {"Sb-Se": 3.2, "Sb-Sb": 3.0, "Se-Se": 2.6})
    b = bonded(atoms, nl, {"Se-Sb": 3.2, "Sb-Sb": 3.0, "Se-Se": 2.6})
    assert _pairs(a) == _pairs(b)
    only = bonded(atoms, nl, {"Se-Sb": 3.2})
    sym = np.asarray(atoms.get_chemical_symbols())
    assert np.all(sym[only.i] != sym[only.j])
    assert bonded(atoms, nl, {"Sb-Se": 3.2, "Se-Sb": 3.2}).i.size == only.i.size  # same pair twice, same value


def test_single_cutoff_equals_within(frame):
    atoms, nl = frame
    assert _pairs(bonded(atoms, nl, 3.0)) == _pairs(nl.within(3.0))
    assert parse_pair("Se-Sb") == parse_pair(" Sb - Se ") == ("Sb", "Se")


@pytest.mark.parametrize(("cutoffs", "field"), [
    ({"Sb-Te": 3.0}, "cutoffs[Sb-Te]"),  # Te absent from the frame
    ({"SbSe": 3.0}, "cutoffs[SbSe]"),
    ({"Sb-Se": 5.0}, "cutoffs[Sb-Se]"),  # beyond the list's 4 Å
    ({"Sb-Se": -1.0}, "cutoffs[Sb-Se]"),
    ({"Sb-Se": 3.0, "Se-Sb": 3.1}, "cutoffs[Se-Sb]"),
    ({}, "cutoffs"),
    (4.5, "cutoffs"),
])
def test_bad_cutoffs_name_the_field(frame, cutoffs, field):
    atoms, nl = frame
    with pytest.raises(InputError) as err:
        bonded(atoms, nl, cutoffs)
    assert err.value.field == field
    if field == "cutoffs[Sb-Te]":
        assert "Te" in str(err.value)


def test_wrong_frame_is_refused(frame):
    atoms, nl = frame
    with pytest.raises(InputError):
        bonded(atoms[:10], nl, CUTOFFS)
