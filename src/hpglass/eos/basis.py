"""What a volume is per (cell, formula unit, atom, gram) and the factor that turns it into a mass density.

Volumes inside :mod:`hpglass.eos` are Å³ per cell / formula unit / atom, or cm³/g (a specific volume, 1/ρ: what a
P–ρ table becomes when no composition is given). A mass density follows as ρ [g/cm³] = ``mass_factor`` / V, with

* cm³/g: mass_factor = 1;
* Å³ per unit holding ``n`` atoms: mass_factor = n ⟨M⟩ / N_A' (g/cm³·Å³), N_A' = N_A·10⁻²⁴ — computed through
  :meth:`hpglass.composition.Composition.mass_density` so that every density in hpglass uses the same constants.
  n = 1 per atom, Σ amounts per formula unit (5 for Sb2Se3), Z·Σ amounts per cell.

cm³/mol on input means per mole of formula units (cm³/mol-atom: per mole of atoms) and becomes Å³ per formula unit
(per atom) by V[Å³] = V[cm³/mol] / N_A'.
"""

from __future__ import annotations

from ..composition import _AVOGADRO_PER_A3, Composition
from ..errors import InputError

__all__ = ["BASES", "CM3_PER_MOL_TO_A3", "atoms_per_unit", "mass_factor", "volume_unit_label"]

#: "per" values and the unit label each gives
BASES = {"cell": "Å³/cell", "formula": "Å³/formula unit", "atom": "Å³/atom", "gram": "cm³/g", None: "Å³"}
#: V[Å³ per entity] = V[cm³/mol] × CM3_PER_MOL_TO_A3
CM3_PER_MOL_TO_A3 = 1.0 / _AVOGADRO_PER_A3


def volume_unit_label(per: str | None) -> str:
    return BASES[per]


def per_from_label(label: str) -> str | None:
    for per, lab in BASES.items():
        if lab == label:
            return per
    return None


def atoms_per_unit(per: str | None, composition: Composition | None, Z: float | None = None,
                   atoms_per_cell: float | None = None, source: str | None = None) -> float:
    """Atoms in one volume unit (1 per atom, Σ amounts per formula unit, Z·Σ amounts or ``atoms_per_cell``)."""
    if per == "atom":
        return 1.0
    if per == "formula":
        if composition is None:
            raise InputError("volumes per formula unit need the composition (e.g. --composition Sb2Se3) to give "
                             "a density", source=source, field="composition")
        return float(sum(composition.amounts.values()))
    if per == "cell":
        if atoms_per_cell is not None:
            return float(atoms_per_cell)
        if Z is None or composition is None:
            raise InputError("volumes per cell need the composition and Z (formula units per cell), or the atoms "
                             "per cell, to give a density", source=source, field="Z")
        return float(Z) * float(sum(composition.amounts.values()))
    raise InputError(f"volumes in {BASES.get(per, per)} do not say per what (cell, formula unit or atom); state it "
                     "in the column unit (e.g. V_A3_cell) to get a density", source=source, field="volume")


def mass_factor(per: str | None, composition: Composition | str | None = None, Z: float | None = None,
                atoms_per_cell: float | None = None, source: str | None = None) -> float:
    """ρ [g/cm³] = mass_factor / V for volumes ``per`` cell / formula / atom (Å³) or gram (cm³/g)."""
    if per == "gram":
        return 1.0
    comp = None if composition is None else Composition.parse(composition)
    n = atoms_per_unit(per, comp, Z, atoms_per_cell, source)
    if comp is None:
        raise InputError(f"a density from volumes in {BASES[per]} needs the composition", source=source,
                         field="composition")
    return float(comp.mass_density(n))
