"""Distilled potentials: a universal ML potential (the teacher) labels configurations, a fast LAMMPS potential
(the student, SNAP) learns them, and the student is validated against the teacher.

Gardner, …, Deringer, arXiv:2506.10956 (2025) for the idea (synthetic data from a foundation model, >100×
faster students); Thompson et al., J. Comput. Phys. 285, 316 (2015) for SNAP.
"""

from .lammps_potential import FORMAT, LammpsPotential, load_potential

__all__ = ["FORMAT", "LammpsPotential", "load_potential"]
