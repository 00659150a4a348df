"""Bonds: the pairs of a :class:`~hpglass.structure.neighbors.NeighbourList` closer than a per-species-pair cutoff.

A pair (i, j) of species (a, b) is a bond when its distance d_ij < r_c(a, b) (strict, as
:meth:`NeighbourList.within`). The cutoffs are given either as one number for every pair, or as a mapping
``{"Sb-Se": 3.3, "Sb-Sb": 3.2, "Se-Se": 2.7}`` whose keys name a species pair in either order ("Sb-Se" and
"Se-Sb" are the same pair). Species pairs that the mapping does not name are **not bonded** (as OVITO's
CreateBondsModifier in pairwise mode); the names of the species present are checked so that a misspelt or
absent species is an error, not a silently empty bond list.

Usual choice: :func:`hpglass.structure.coordination.resolve_cutoffs` — the cutoffs given, the others from the
first minimum of the frame-averaged g_ab(r) where that is a plausible bond length, else 1.2 × the sum of the
covalent radii (for a-Sb₂Se₃ at ambient pressure Sb–Se ≈ 3.2–3.4 Å is usually given), kept fixed over a pressure
series or moved with it — the caller decides and records it.

The result is again a NeighbourList (directed pairs, each bond twice), so that every analysis that takes a
neighbour list (angles, coordination, rings, order parameters) takes bonds as well.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..errors import InputError
from .neighbors import HAVE_NUMBA, NeighbourList, pairs_within, species_codes

__all__ = ["bonded", "cutoff_table", "pair_key", "parse_pair", "species_codes"]


def parse_pair(key: str, field: str = "cutoffs") -> tuple[str, str]:
    """``"Sb-Se"`` → ``("Sb", "Se")``; the two symbols sorted, so "Se-Sb" gives the same tuple."""
    if not isinstance(key, str):
        raise InputError(f"species pair must be a string like 'Sb-Se', got {key!r}", field=field)
    parts = [p.strip() for p in key.split("-")]
    if len(parts) != 2 or not all(parts):
        raise InputError(f"species pair {key!r} is not of the form 'A-B' (e.g. 'Sb-Se')", field=field)
    a, b = sorted(parts)
    return a, b


def pair_key(a: str, b: str) -> str:
    """The canonical name of a species pair: the two symbols sorted, joined by '-' ("Sb-Se")."""
    x, y = sorted((a, b))
    return f"{x}-{y}"


def _check_cutoff(value, nl: NeighbourList | None, field: str) -> float:
    try:
        rc = float(value)
    except (TypeError, ValueError):
        raise InputError(f"cutoff must be a number (Å), got {value!r}", field=field) from None
    if not (math.isfinite(rc) and rc > 0):
        raise InputError(f"cutoff must be a positive number of Å, got {value!r}", field=field)
    if nl is not None and rc > nl.cutoff + 1e-12:
        raise InputError(f"cutoff {rc:g} Å exceeds the neighbour list's {nl.cutoff:g} Å; build the list with a "
                         "larger cutoff", field=field)
    return rc


def cutoff_table(atoms, cutoffs: Mapping[str, float], nl: NeighbourList | None = None
                 ) -> tuple[list[str], np.ndarray, np.ndarray, float]:
    """(species, codes, table, largest): the checked per-pair cutoffs of :func:`bonded` as a symmetric (ns, ns)
    array over the frame's species (−inf for pairs not named: never bonded) and the largest of them."""
    if not cutoffs:
        raise InputError("no bond cutoffs given", field="cutoffs")
    species, codes = species_codes(atoms)
    index = {s: k for k, s in enumerate(species)}
    table = np.full((len(species), len(species)), -np.inf)
    seen: dict[tuple[str, str], tuple[str, float]] = {}
    for key, value in cutoffs.items():
        fld = f"cutoffs[{key}]"
        a, b = parse_pair(key, field=fld)
        missing = [s for s in (a, b) if s not in index]
        if missing:
            raise InputError(f"species {', '.join(missing)} of pair {key!r} not in the frame "
                             f"(species present: {', '.join(species)})", field=fld)
        rc = _check_cutoff(value, nl, fld)
        if (a, b) in seen and seen[(a, b)][1] != rc:
            other = seen[(a, b)][0]
            raise InputError(f"pair {key!r} given twice with different cutoffs ({other!r}: {seen[(a, b)][1]:g} Å, "
                             f"{key!r}: {rc:g} Å)", field=fld)
        seen[(a, b)] = (key, rc)
        table[index[a], index[b]] = table[index[b], index[a]] = rc
    return species, codes, table, float(max(rc for _, rc in seen.values()))


def bonded(atoms, nl: NeighbourList | None, cutoffs: Mapping[str, float] | float) -> NeighbourList:
    """The bonds of a frame: pairs of ``nl`` with d_ij < r_c(species_i, species_j).

    Parameters
    ----------
    atoms : the ase.Atoms frame ``nl`` was built on (its chemical symbols give the species).
    nl : :class:`NeighbourList` of the frame, built with a cutoff ≥ every bond cutoff; None: the bonds are searched
        directly from the positions (the compiled cell list with the per-pair cutoffs, when numba is installed;
        else a list to the largest cutoff, then selected) — the same pairs.
    cutoffs : one cutoff (Å) for every pair, or ``{"A-B": r_c}`` per species pair (keys in either order). Pairs
        not named are not bonded. A key naming a species absent from the frame, a malformed key, the same pair
        given twice with different values, or a cutoff above ``nl.cutoff`` raise :class:`InputError`
        (field ``cutoffs[A-B]``).

    Returns
    -------
    NeighbourList holding only the bonds (its ``cutoff`` is the largest bond cutoff).
    """
    if nl is not None and len(atoms) != nl.n_atoms:
        raise InputError(f"neighbour list is for {nl.n_atoms} atoms, the frame has {len(atoms)}", field="nl")
    if not isinstance(cutoffs, Mapping):
        rc = _check_cutoff(cutoffs, nl, "cutoffs")
        return NeighbourList.build(atoms, rc) if nl is None else nl.within(rc)
    _, codes, table, largest = cutoff_table(atoms, cutoffs, nl)
    if nl is None:
        if HAVE_NUMBA:
            return pairs_within(atoms, codes, table)
        nl = NeighbourList.build(atoms, largest)
    mask = nl.d < table[codes[nl.i], codes[nl.j]]
    return nl.select(mask, cutoff=largest)
