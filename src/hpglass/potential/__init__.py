"""Distilled potentials: a universal ML potential (the teacher) labels configurations, a fast LAMMPS potential
(the student) learns them, and the student is validated against the teacher.

Students: SNAP (linear or quadratic, :mod:`.snap`), POD (:mod:`.pod`; the current one, most accurate per cost on
the Sb–Se data) and a neural network on SNAP descriptors (:mod:`.nnsnap`, LAMMPS ML-IAP). The study's own glass
frames, labelled by the teacher and given more weight in the fit (``fit_potential(data_weights=…)``, ``hpglass
potential fit --weights``), take the POD's pressure bias on held-out glass frames at 50–60 GPa from −1.8 / −2.7 to
−0.6 / −0.7 GPa (``data/distil/README.md``, student 4). The teacher's force is local: moving everything beyond
5.5 Å changes it by 0.08–0.10 eV/Å (``benchmarks/teacher_locality.py``), the floor of any 5.5 Å student. UF3 was measured on the
same data and split and not chosen (12× faster than the POD, 1.2–1.4× its force error, 4–6× its pressure error;
``benchmarks/distil_uf3_trial.py``, ``benchmarks/README.md``).

Gardner, …, Deringer, arXiv:2506.10956 (2025) for the idea (synthetic data from a foundation model, >100×
faster students); Thompson et al., J. Comput. Phys. 285, 316 (2015) for SNAP; Nguyen & Rohskopf, J. Comput.
Phys. 480, 112030 (2023) for POD; Xie, Rupp & Hennig, npj Comput. Mater. 9, 162 (2023) for UF3.
"""

from .lammps_potential import FORMAT, LammpsPotential, load_potential

__all__ = ["FORMAT", "LammpsPotential", "load_potential"]
