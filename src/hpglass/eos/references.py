"""A small registry of reference (crystal) EOS, each with the source of every number and an honest status.

``status`` says how far a number can be trusted:

* ``"published"`` — V0, K0, K0' (and errors) copied from the cited high-pressure study;
* ``"assumed"`` — the cell is cited but the EOS parameters are NOT verified against a publication: they are
  placeholders that make the machinery run and must be replaced (``--b-params`` in the CLI, or
  :func:`register` / :func:`hpglass.eos.fit.eos_from_params` in Python) before a crossover is quoted;
* ``"user"`` — registered at run time by the user.

Sb2Se3, Pnma (Z = 4): the ambient cell is that of Voutsas, Papazoglou, Rentzeperis & Siapkas,
Z. Kristallogr. 171, 261 (1985): a = 11.7938, b = 3.9858, c = 11.6478 Å → V0 = 547.54 Å³ (ρ0 = 5.83 g/cm³).
Its compression was measured by Efthimiopoulos et al., Sci. Rep. 3, 2665 (2013); their fitted K0 and K0' could not
be checked while this module was written, so the entry is ``"assumed"`` and says so in every output.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError
from .fit import EquationOfState, eos_from_params

__all__ = ["ReferenceEos", "get_reference", "list_references", "register"]


@dataclass(frozen=True)
class ReferenceEos:
    """A literature (or user) EOS of a crystal: V0 in Å³ per cell with Z formula units of ``formula``."""

    key: str
    formula: str
    phase: str
    form: str
    V0_A3_cell: float
    Z: float
    K0_GPa: float
    K0p: float | None = None
    K0pp_per_GPa: float | None = None
    errors: dict[str, float] = field(default_factory=dict)
    status: str = "assumed"
    cell_citation: str = ""
    eos_citation: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.status not in ("published", "assumed", "user"):
            raise InputError(f"status must be published, assumed or user, got {self.status!r}", field="status")

    def eos(self) -> EquationOfState:
        """The EquationOfState (per cell, with the mass from the formula and Z; uncorrelated errors)."""
        e = eos_from_params(self.form, V0=self.V0_A3_cell, K0=self.K0_GPa, K0p=self.K0p, K0pp=self.K0pp_per_GPa,
                            errors=self.errors, per="cell", composition=self.formula, Z=self.Z,
                            label=f"{self.formula} {self.phase} ({self.status})", source=f"reference:{self.key}")
        return replace(e, meta={"reference": self.to_dict()})

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "formula": self.formula, "phase": self.phase, "form": self.form,
                "V0_A3_cell": self.V0_A3_cell, "Z": self.Z, "K0_GPa": self.K0_GPa, "K0p": self.K0p,
                "K0pp_per_GPa": self.K0pp_per_GPa, "errors": dict(self.errors), "status": self.status,
                "cell_citation": self.cell_citation, "eos_citation": self.eos_citation, "note": self.note}


_SB2SE3_A, _SB2SE3_B, _SB2SE3_C = 11.7938, 3.9858, 11.6478

_REGISTRY: dict[str, ReferenceEos] = {}


def register(entry: ReferenceEos, *, overwrite: bool = False) -> None:
    """Add an entry (``overwrite=True`` to replace one with the same key)."""
    if entry.key in _REGISTRY and not overwrite:
        raise InputError(f"reference {entry.key!r} exists; pass overwrite=True to replace it", field="key")
    _REGISTRY[entry.key] = entry


def get_reference(key: str) -> ReferenceEos:
    """The entry named ``key`` (case-insensitive), or InputError listing the keys."""
    for k, v in _REGISTRY.items():
        if k.lower() == str(key).lower():
            return v
    raise InputError(f"no reference EOS {key!r}; known: {', '.join(_REGISTRY) or 'none'}", field="reference")


def list_references() -> list[ReferenceEos]:
    return list(_REGISTRY.values())


register(ReferenceEos(
    key="Sb2Se3-Pnma",
    formula="Sb2Se3",
    phase="Pnma",
    form="bm3",
    V0_A3_cell=_SB2SE3_A * _SB2SE3_B * _SB2SE3_C,
    Z=4,
    K0_GPa=30.0,
    K0p=6.0,
    status="assumed",
    cell_citation="Voutsas et al., Z. Kristallogr. 171, 261 (1985): a = 11.7938, b = 3.9858, c = 11.6478 Å",
    eos_citation="to be taken from Efthimiopoulos et al., Sci. Rep. 3, 2665 (2013) — not verified here",
    note=("ASSUMED: K0 = 30 GPa and K0' = 6 are placeholders of plausible size for a soft layered chalcogenide, "
          "not values read from a publication, and carry no error. Replace them with the published fit "
          "(e.g. --b-params V0=547.5,K0=...,K0p=... --b-Z 4) before quoting a crossover pressure."),
))
