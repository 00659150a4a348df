"""Test helpers: small Sb–Se frames in awkward cells, and labels from a calculator as a teacher would give them."""

from pathlib import Path

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read

FRAMES = Path(__file__).resolve().parents[2] / "data/glass80-sevennet"


def sheared_frames(n: int):
    """The first ``n`` frames of the bundled glass at 10 and 50 GPa, rattled; every other one in a sheared,
    non-orthogonal cell (checks the rotation into LAMMPS's frame)."""
    frames = read(FRAMES / "P_10GPa.extxyz", index=f":{n}") + read(FRAMES / "P_50GPa.extxyz", index=f":{n}")
    for i, a in enumerate(frames):
        a.rattle(0.05, seed=i)
        if i % 2:
            cell = np.asarray(a.cell) @ np.array([[1, 0.05, 0.02], [0, 1, -0.03], [0, 0, 1.0]])
            a.set_cell(cell, scale_atoms=True)
    return frames


def label_with(configs, calc):
    """Copies of ``configs`` carrying ``calc``'s energy, forces and stress."""
    out = []
    for a in configs:
        b = a.copy()
        b.calc = calc
        e, f, s = b.get_potential_energy(), b.get_forces(), b.get_stress()
        b.calc = SinglePointCalculator(b, energy=e, forces=f, stress=s)
        out.append(b)
    return out
