"""What a composition allows: the shortest plausible interatomic distance, the density range and where the
principal S(q) peak can sit. Used to choose defaults and to refuse or flag input that physics rules out.

Radii come from ASE (``ase.data``): covalent radii of Cordero et al., Dalton Trans. 2008, 2832 and van der Waals
radii of Bondi, J. Phys. Chem. 68, 441 (1964) / Mantina et al., J. Phys. Chem. A 113, 5806 (2009) (an element
without a tabulated van der Waals radius takes 1.5 × its covalent radius).

* Shortest plausible distance d_min = 0.85 × min_ab (r_a + r_b) (covalent). Bonds are the shortest contacts any
  pair of atoms makes; Cordero's radii reproduce single-bond lengths to ≈ 0.1 Å, and multiple bonds, high
  pressure (a few per cent at 50 GPa) and thermal motion put the leading edge of a first peak ≈ 10–15 % below the
  single-bond sum (Si–O: sum 1.77 Å, bond 1.61 Å, peak foot ≈ 1.5 Å).
* Density range from the covalent packing fraction η = ρ_N Σ c_a (4π/3) r_a³: open networks (silica glass)
  have η ≈ 0.18, liquid argon at 1 GPa 0.13, Sb2Se3 0.32, iron at core pressures 1.35. The search is bounded by
  η = 0.05 … 2.0, a factor ≈ 3 beyond those.
* Principal peak: q1 · r1 ≈ 7.7 (Ehrenfest-like relation, e.g. Zeidler & Salmon, Phys. Rev. B 93, 214204
  (2016), q1 r1 ≈ 7.7 for close-packed and ≈ 4.5–5 for network glasses whose q1 is their FSDP-like peak); the
  highest S(q) peak of a glass or liquid of this composition lies within 2π·0.6/d_long … 2π·1.25/d_min with
  d_long = 2.2 × the largest van der Waals radius. The bounds are loose on purpose: they catch a wrong x unit
  (nm⁻¹ vs Å⁻¹ is a factor 10, 2θ vs q a factor ≈ 2–4 at synchrotron wavelengths), not a subtle error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from ase.data import covalent_radii, vdw_radii

from ..composition import Composition

#: shortest plausible distance as a fraction of the smallest covalent-radius sum (module docstring)
BOND_FRACTION = 0.85
#: elements that bond to themselves in glasses and melts (Se–Se in Sb2Se3, Ge–Ge "wrong bonds" in GeSe2, P–P,
#: As–As) when they are not a minority (≥ 25 % of the atoms); other homopolar pairs (O–O in an oxide, Mg–Mg,
#: S–S in Fe81S19) are no bonds and do not set the shortest distance
CATENATING = frozenset({"B", "C", "Si", "Ge", "Sn", "P", "As", "Sb", "Bi", "S", "Se", "Te"})
#: covalent packing-fraction bounds of the density search
PACKING_BOUNDS = (0.05, 2.0)


def _vdw(z: int) -> float:
    r = float(vdw_radii[z])
    return r if np.isfinite(r) else 1.5 * float(covalent_radii[z])


@dataclass(frozen=True)
class Plausible:
    """Physical limits of one composition (distances Å, densities g/cm³, q Å⁻¹)."""

    composition: Composition
    shortest_pair: tuple[str, str]
    covalent_sum: float  # Å, of the shortest pair
    d_min: float  # Å, shortest plausible distance
    d_long: float  # Å, a generous nearest-neighbour distance of a van der Waals contact
    density_bounds: tuple[float, float]  # g/cm³
    q1_bounds: tuple[float, float]  # Å⁻¹, where the highest S(q) peak may lie

    def __repr__(self) -> str:
        a, b = self.shortest_pair
        return (f"Plausible({self.composition}: {a}–{b} ≥ {self.d_min:.2f} Å, ρ {self.density_bounds[0]:.2g}–"
                f"{self.density_bounds[1]:.3g} g/cm³, q1 {self.q1_bounds[0]:.2f}–{self.q1_bounds[1]:.2f} Å⁻¹)")


def plausible(composition: Composition | str) -> Plausible:
    """The limits of ``composition`` (module docstring)."""
    comp = Composition.parse(composition)
    z = {s: comp.atomic_number(s) for s in comp.elements}
    pairs = [p for p in itertools.combinations_with_replacement(comp.elements, 2)
             if p[0] != p[1] or len(comp.elements) == 1 or (p[0] in CATENATING and comp.fractions[p[0]] >= 0.25)]
    sums = {p: float(covalent_radii[z[p[0]]] + covalent_radii[z[p[1]]]) for p in pairs}
    shortest = min(sums, key=sums.get)
    d_min = BOND_FRACTION * sums[shortest]
    d_long = 2.2 * max(_vdw(zz) for zz in z.values())
    c = comp.fractions
    v_atoms = sum(c[s] * 4.0 / 3.0 * np.pi * float(covalent_radii[z[s]]) ** 3 for s in comp.elements)  # Å³/atom
    lo, hi = (comp.mass_density(eta / v_atoms) for eta in PACKING_BOUNDS)
    q1 = (2.0 * np.pi * 0.6 / d_long, 2.0 * np.pi * 1.25 / d_min)
    return Plausible(comp, shortest, sums[shortest], d_min, d_long, (float(lo), float(hi)),
                     (float(q1[0]), float(q1[1])))
