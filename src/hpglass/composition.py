"""Chemical composition: parsing, mole fractions, mean atomic mass and density conversions.

Formula parsing comes from xraylib (Schoonjans et al., Spectrochim. Acta B 66, 776 (2011)); atomic weights from
ASE's IUPAC 2016 table (Meija et al., Pure Appl. Chem. 88, 265 (2016)) — xraylib's own weights are older and
rounded (Mg 24.32, H 1.01), which shifts atoms/Å³ by up to 2e-3. No element table is typed here.

Density conversion: ρ_n [atoms/Å³] = ρ_m [g/cm³] · N_A / ⟨M⟩ [g/mol] · 10⁻²⁴ [cm³/Å³].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import xraylib
from ase.data import atomic_masses_iupac2016

from .errors import InputError

#: Avogadro's number / 1e24, i.e. the factor g/cm³ → (amu/Å³)⁻¹ used in density conversions.
_AVOGADRO_PER_A3 = xraylib.AVOGNUM  # 0.602214... (xraylib stores N_A in units of 1e24 / mol)


def _symbol_to_z(symbol: str, source: str) -> int:
    try:
        return int(xraylib.SymbolToAtomicNumber(symbol))
    except ValueError:
        raise InputError(f"unknown element '{symbol}'", source=source) from None


@dataclass(frozen=True)
class Composition:
    """Amounts of each element (any normalisation); ``fractions`` are mole (atom) fractions c_a."""

    amounts: Mapping[str, float]
    formula: str = ""
    _z: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def parse(cls, spec: str | Mapping[str, float] | Composition, source: str = "composition") -> Composition:
        """Parse a formula (``"Sb2Se3"``, ``"(SiO2)0.7(Na2O)0.3"``) or a mapping ``{"Sb": 2, "Se": 3}``."""
        if isinstance(spec, Composition):
            return spec
        if isinstance(spec, Mapping):
            amounts: dict[str, float] = {}
            for sym, amount in spec.items():
                _symbol_to_z(str(sym), source)
                try:
                    value = float(amount)
                except (TypeError, ValueError):
                    raise InputError(f"amount of {sym} is not a number: {amount!r}", source=source) from None
                if not value > 0:
                    raise InputError(f"amount of {sym} must be positive, got {amount!r}", source=source)
                amounts[str(sym)] = amounts.get(str(sym), 0.0) + value
            if not amounts:
                raise InputError("composition is empty", source=source)
            formula = "".join(f"{s}{_fmt(a)}" for s, a in amounts.items())
            return cls(amounts=amounts, formula=formula)
        text = str(spec).strip()
        try:
            parsed = xraylib.CompoundParser(text)
        except ValueError as exc:
            raise InputError(f"cannot parse formula {text!r}: {exc}", source=source) from None
        amounts = {
            xraylib.AtomicNumberToSymbol(int(z)): float(n)
            for z, n in zip(parsed["Elements"], parsed["nAtoms"], strict=True)
        }
        return cls(amounts=amounts, formula=text)

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(self.amounts)

    @cached_property
    def fractions(self) -> dict[str, float]:
        total = sum(self.amounts.values())
        return {s: a / total for s, a in self.amounts.items()}

    def atomic_number(self, symbol: str) -> int:
        return _symbol_to_z(symbol, "composition")

    @cached_property
    def mean_mass(self) -> float:
        """⟨M⟩ = Σ c_a M_a in g/mol (IUPAC 2016 standard atomic weights, via ASE)."""
        return float(sum(c * atomic_masses_iupac2016[self.atomic_number(s)] for s, c in self.fractions.items()))

    @cached_property
    def total_electrons(self) -> float:
        """⟨Z⟩ = Σ c_a Z_a, electrons per atom."""
        return sum(c * self.atomic_number(s) for s, c in self.fractions.items())

    def number_density(self, density_g_cm3: float) -> float:
        """Atoms/Å³ from g/cm³."""
        return density_g_cm3 * _AVOGADRO_PER_A3 / self.mean_mass

    def mass_density(self, number_density_A3: float) -> float:
        """g/cm³ from atoms/Å³."""
        return number_density_A3 * self.mean_mass / _AVOGADRO_PER_A3

    def to_dict(self) -> dict:
        return {"formula": self.formula, "fractions": dict(self.fractions), "mean_mass_g_mol": self.mean_mass}

    def __str__(self) -> str:
        return self.formula or "".join(f"{s}{_fmt(a)}" for s, a in self.amounts.items())


def _fmt(x: float) -> str:
    return "" if x == 1 else (str(int(x)) if float(x).is_integer() else f"{x:g}")
