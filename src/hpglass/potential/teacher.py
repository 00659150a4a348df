"""The teacher of a distilled potential: SevenNet-0, optionally with D3 dispersion, as one ASE calculator.

Measured on the Pnma Sb₂Se₃ crystal (20 atoms, relaxed at 0 GPa with a full cell, FIRE to 0.005 eV/Å; the
measured density is 5.83 g/cm³, Voutsas, Papazoglou, Rentzeperis & Siapkas, Phys. Status Solidi B 110, 541
(1985)) by ``benchmarks/teacher_density.py`` (table in ``benchmarks/README.md``)::

    SevenNet-0                5.21 g/cm³  (−10.7 %)
    SevenNet-0 + D3(BJ)       6.12 g/cm³  (+5.0 %)
    SevenNet-0 + D3(zero)     5.79 g/cm³  (−0.6 %)
    SevenNet-0 + D3(zerom)    7.22 g/cm³  (+24 %)   the modified dampings: crystal only, the same relaxation
    SevenNet-0 + D3(bjm)      7.00 g/cm³  (+20 %)   (``--teachers sevenn-d3zerom,sevenn-d3bjm``)

PBE underbinds the chains and layers of Sb₂Se₃, D3 with Becke–Johnson damping overbinds them (its damping leaves
the dispersion attraction finite at bonding distances), zero damping switches it off there. The default teacher is
therefore ``sevenn-d3zero`` (published PBE parameters, nothing tuned); ``sevenn`` and ``sevenn-d3bj`` stay
available. Glass and crystal references must come from the same teacher: the study compares their densities.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from ..errors import InputError

__all__ = ["DEFAULT_TEACHER", "TEACHERS", "make_teacher", "teacher_info", "teacher_ml"]

#: the default (see the module docstring for the measurement behind it)
DEFAULT_TEACHER = "sevenn-d3zero"

#: teacher name → (ML potential, D3 damping or None)
TEACHERS: dict[str, tuple[str, str | None]] = {
    "sevenn": ("sevenn", None),
    "sevenn-d3bj": ("sevenn", "bj"),
    "sevenn-d3zero": ("sevenn", "zero"),
    "sevenn-d3zerom": ("sevenn", "zerom"),
    "sevenn-d3bjm": ("sevenn", "bjm"),
}


def _spec(name: str) -> tuple[str, str | None]:
    if name not in TEACHERS:
        raise InputError(f"unknown teacher {name!r}; choose one of {', '.join(TEACHERS)}", field="teacher")
    return TEACHERS[name]


def make_teacher(name: str = DEFAULT_TEACHER, elements: tuple[str, ...] = ("Sb", "Se"), threads: int = 1,
                 device: str = "cpu"):
    """ASE calculator: the ML potential, plus D3 through LAMMPS when the name asks for it.

    ``elements`` are the D3 term's LAMMPS atom types: every element of the atoms it will see.
    """
    from ..simulate.calculators import make_calculator

    ml, damping = _spec(name)
    calc = make_calculator(ml, device, threads)
    if damping is None:
        return calc
    from ase.calculators.mixing import SumCalculator

    from .dispersion import d3_calculator

    return SumCalculator([calc, d3_calculator(elements, damping)])


def teacher_ml(name: str) -> str:
    """The ML potential under teacher ``name`` (its package must be installed for the teacher to run)."""
    return _spec(name)[0]


def teacher_info(name: str) -> dict[str, Any]:
    """JSON-ready record of the teacher (names and versions), stored with every labelled configuration set."""
    from ..simulate.calculators import potential_info

    ml, damping = _spec(name)
    info = potential_info(ml)
    try:
        lammps_version = importlib.metadata.version("lammps")
    except importlib.metadata.PackageNotFoundError:
        lammps_version = None
    return {"teacher": name, "ml": info, "d3": None if damping is None else
            {"damping": damping, "functional": "pbe", "engine": "LAMMPS pair_style dispersion/d3",
             "lammps_version": lammps_version,
             "reference": "S. Grimme, S. Ehrlich, L. Goerigk, J. Comput. Chem. 32, 1456 (2011)"}}
