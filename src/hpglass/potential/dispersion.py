"""Grimme D3 dispersion as an ASE calculator, through LAMMPS's ``pair_style dispersion/d3`` (EXTRA-PAIR).

SevenNet-0 is trained on PBE(+U) energies (MPtrj), which bind the layers and chains of Sb₂Se₃ too weakly: its
relaxed Pnma crystal is 10.7 % lighter than the measured one. DFT-D3 (Grimme, Antony, Ehrlich & Krieg, J. Chem.
Phys. 132, 154104 (2010)) adds the pairwise, coordination-dependent dispersion energy

    E_disp = −½ Σ_{i≠j} Σ_L [ s6 C6ij / (r^6 + f^6) + s8 C8ij / (r^8 + f^8) ],   f = a1 R0ij + a2   (BJ damping;
    Grimme, Ehrlich & Goerigk, J. Comput. Chem. 32, 1456 (2011))

with the PBE parameters tabulated in LAMMPS (the functional name ``pbe`` selects them; BJ: s6 = 1, s8 = 0.7875,
a1 = 0.4289, a2 = 4.4407 bohr), or "zero" damping, f6 = 1 / (1 + 6 (r / (s_r6 R0ij))^−14) on C6/r^6 (Grimme et al.
2010; PBE s_r6 = 1.217, s8 = 0.722), and the "modified" variants zerom and bjm (Smith, Burns, Patkowski & Sherrill,
J. Phys. Chem. Lett. 7, 2197 (2016)). The same LAMMPS pair
style is what a distilled potential overlays in MD, so the teacher's dispersion and the student's are one code.
Cutoffs: 30 Å for the dispersion sum and 20 Å for the coordination numbers (LAMMPS's documented example values);
the energy of the Pnma crystal changes by < 0.1 meV/atom from 30 to 40 Å (measured in the tests).

Checked against an independent implementation, ``tad-dftd3`` (Ehlert et al.), on a non-periodic cluster (tests).
"""

from __future__ import annotations

from ..errors import InputError
from .lammps_potential import lammps_library_env, open_lammps

__all__ = ["D3_CN_CUTOFF_A", "D3_CUTOFF_A", "d3_calculator", "d3_pair_commands"]

D3_CUTOFF_A = 30.0
D3_CN_CUTOFF_A = 20.0
_DAMPINGS = ("bj", "zero", "bjm", "zerom")


def d3_pair_style(damping: str = "bj", functional: str = "pbe", cutoff_A: float = D3_CUTOFF_A,
                  cn_cutoff_A: float = D3_CN_CUTOFF_A) -> str:
    """The ``dispersion/d3 …`` pair-style arguments (without ``pair_style``)."""
    if damping not in _DAMPINGS:
        raise InputError(f"D3 damping must be one of {', '.join(_DAMPINGS)}, got {damping!r}", field="damping")
    if not (0 < cn_cutoff_A <= cutoff_A <= 100):
        raise InputError("D3 cutoffs must satisfy 0 < cn_cutoff ≤ cutoff ≤ 100 Å", field="cutoff_A")
    # LAMMPS's name for zero damping is also "original": "zero" cannot be used inside pair_style hybrid, whose
    # parser takes any pair-style name ("zero" is one) as the start of the next sub-style
    keyword = "original" if damping == "zero" else damping
    return f"dispersion/d3 {keyword} {functional} {cutoff_A:g} {cn_cutoff_A:g}"


def d3_pair_commands(elements: tuple[str, ...] | list[str], damping: str = "bj", functional: str = "pbe") -> list[str]:
    """LAMMPS lines for D3 alone (``neigh_modify`` raised: a 30 Å sphere holds ~3000 neighbours)."""
    return ["neigh_modify one 50000 page 1000000",
            f"pair_style {d3_pair_style(damping, functional)}",
            f"pair_coeff * * {' '.join(elements)}"]


def d3_calculator(elements: tuple[str, ...] | list[str], damping: str = "bj", functional: str = "pbe"):
    """ASE calculator of the D3 energy, forces and stress for atoms of ``elements`` (type order)."""
    lammps_library_env()
    open_lammps().close()
    from ase.calculators.lammpslib import LAMMPSlib
    from ase.data import atomic_masses, atomic_numbers

    return LAMMPSlib(lmpcmds=d3_pair_commands(elements, damping, functional),
                     atom_types={e: i + 1 for i, e in enumerate(elements)},
                     atom_type_masses={e: float(atomic_masses[atomic_numbers[e]]) for e in elements},
                     log_file=None, keep_alive=True)
