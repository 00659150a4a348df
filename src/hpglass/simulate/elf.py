"""Electron localization function (ELF): computed with GPAW on chosen frames, analysed per species.

Definition (Becke & Edgecombe, J. Chem. Phys. 92, 5397 (1990); kinetic-energy form of Savin et al., Angew. Chem.
Int. Ed. 31, 187 (1992)), in Hartree atomic units, for a closed-shell density n(r) with orbitals ψ_i and
occupations f_i::

    τ(r)   = ½ Σ_i f_i |∇ψ_i(r)|²                      (positive-definite kinetic-energy density)
    τ_W(r) = |∇n(r)|² / (8 n(r))                        (von Weizsäcker: τ of a single orbital with density n)
    τ_TF(r)= c_F n(r)^{5/3},  c_F = (3/10)(3π²)^{2/3}   (Thomas–Fermi: τ of the uniform gas at density n)
    D      = τ − τ_W ≥ 0                                (Pauli kinetic-energy density)
    ELF    = 1 / (1 + (D / τ_TF)²)

so ELF = 1 where one orbital (or an electron pair) dominates (D = 0: bonds, lone pairs, H2), ELF = ½ where
D equals its uniform-gas value (the homogeneous electron gas, metallic regions), and ELF → 0 between shells.
Spin-polarised: D = Σ_σ (τ_σ − |∇n_σ|²/8n_σ), τ_TF = 2^{2/3} c_F Σ_σ n_σ^{5/3} (Kohout & Savin, Int. J. Quantum
Chem. 60, 875 (1996)). The formula is applied by ``gpaw.elf._elf`` (GPAW's own implementation).

Computation: :func:`run_gpaw_elf` runs GPAW (Mortensen et al., J. Chem. Phys. 160, 092503 (2024)) **as an
external program** — the Debian ``gpaw`` package under ``/usr/bin/python3`` — with a small generated script, one
OpenMP thread, a timeout, and writes the ELF of the PAW pseudo (valence + pseudo-core) density as a cube file on
the fine grid. This is the pseudo-ELF that VASP's ELFCAR and GPAW report: right in the valence region (bonds, lone
pairs, interstitials), not inside the PAW spheres near the nuclei.

* ``mode="pw"`` (plane waves, default): GPAW's ``ELF`` class only supports real-space grids, so the script evaluates
  the ELF itself, **exactly for the plane-wave orbitals**: every occupied orbital is Fourier-interpolated to the
  output grid and differentiated analytically (∇ → i(G + k)); n, ∇n = 2 Σ f Re(ψ*∇ψ) and τ are summed point by
  point, plus the pseudo-core density ñ_c and kinetic density τ̃_c of the PAW setups. There is no
  finite-difference or aliasing error: for one doubly occupied orbital (H₂) it gives ELF = 1 to rounding, and for
  jellium ELF → ½ as the k-point mesh grows.
* ``mode="fd"`` (real-space grid, spacing ``h_A``): GPAW's ``gpaw.elf.ELF`` (finite-difference gradients).

Analysis (pure functions on a :class:`hpglass.io.volumetric.VolumetricGrid`, from GPAW, VASP ELFCAR or any cube):
:func:`species_regions` (which grid points belong to which species), :func:`elf_histogram_by_species`,
:func:`elf_summary` and :func:`elf_slice`.

Cost (measured: GPAW 22.8, one core, PBE, Γ only, 300 eV, random Sb₂Se₃ packings at 5.8 g/cm³; CPU seconds of the
GPAW process): 20 atoms 26 s (SCF 23 s, 20 iterations; ELF 2.6 s), 40 atoms 79 s, 60 atoms 204 s (SCF 183 s,
24 iterations, 0.9 GB; ELF 21 s). Per SCF iteration the cost grows as N^2.0 between 40 and 60 atoms; 400 eV costs
~10 % more than 300 eV. An 80-atom frame thus takes about 6–11 min on one free core (25–30 iterations at
N²…N³), ~1.5 GB. Sb carries 15 valence electrons (4d in the valence) in GPAW's PAW setup. The ELF statistics of a
20-atom frame change by < 0.002 (mean per species) and < 0.007 (volume fraction with ELF > 0.5) from 250 to
400 eV, while the total energy is not converged at 300 eV: ELF maps need less cutoff than energies.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConvergenceError, HpglassError, InputError, MissingDependencyError
from ..io.atomic import atomic_write_text
from ..io.volumetric import VolumetricGrid, read_cube

__all__ = ["DEFAULT_PYTHON", "ElfHistogram", "ElfSlice", "ElfSummary", "GpawElfResult", "GpawMissingError",
           "GpawRunError", "SpeciesRegions", "elf_histogram_by_species", "elf_slice", "elf_summary", "gpaw_version",
           "run_gpaw_elf", "species_regions"]

#: the interpreter that has the Debian ``gpaw`` package
DEFAULT_PYTHON = "/usr/bin/python3"
INSTALL_HINT = "apt-get install gpaw gpaw-data"
#: files a finished run leaves in ``out_dir``
FRAME_FILE, PARAMS_FILE, SCRIPT_FILE, LOG_FILE, STDERR_FILE, CUBE_FILE, RESULT_FILE = (
    "frame.extxyz", "params.json", "gpaw_elf.py", "gpaw.txt", "gpaw_stderr.txt", "elf.cube", "result.json")
#: default thresholds of :func:`elf_summary`
THRESHOLDS = (0.5, 0.7, 0.8)


class GpawMissingError(MissingDependencyError):
    """GPAW (or its PAW datasets) is not installed for the interpreter that runs it; the message says how."""

    def __init__(self, python: str, detail: str) -> None:
        ImportError.__init__(self, f"computing the ELF needs GPAW under {python} ({detail}); install it with: "
                                   f"{INSTALL_HINT}")


class GpawRunError(HpglassError, RuntimeError):
    """GPAW stopped with an error or ran past its time limit; the message gives the last error line and the log."""


# ======================================================================================================================
# running GPAW
# ======================================================================================================================
def _clean_env() -> dict[str, str]:
    """The environment of the GPAW process: one thread, and no PYTHONPATH/PYTHONHOME of this (virtual) env."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


def gpaw_version(python: str = DEFAULT_PYTHON, timeout_s: float = 120.0) -> str | None:
    """GPAW's version under ``python``, or None when ``python`` is missing or cannot ``import gpaw``."""
    try:
        res = subprocess.run([python, "-c", "import gpaw; print(gpaw.__version__)"], capture_output=True, text=True,
                             timeout=timeout_s, env=_clean_env(), check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip().splitlines()[-1] if res.returncode == 0 and res.stdout.strip() else None


def _require_gpaw(python: str) -> str:
    if not Path(python).exists() and not any((Path(p) / python).exists()
                                             for p in os.environ.get("PATH", "").split(os.pathsep)):
        raise GpawMissingError(python, "this interpreter does not exist")
    try:
        res = subprocess.run([python, "-c", "import gpaw; print(gpaw.__version__)"], capture_output=True, text=True,
                             timeout=300, env=_clean_env(), check=False)
    except OSError as exc:
        raise GpawMissingError(python, f"cannot run it: {exc}") from None
    except subprocess.TimeoutExpired:
        raise GpawMissingError(python, "'import gpaw' did not finish in 300 s") from None
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["import failed"])[-1]
        raise GpawMissingError(python, f"'import gpaw' failed: {last}")
    return res.stdout.strip().splitlines()[-1]


# The script GPAW runs. It reads params.json and frame.extxyz from its own folder and writes, atomically, elf.cube
# and then result.json (the marker of a finished run). Only numpy, ase and gpaw are imported.
GPAW_SCRIPT = r'''"""ELF of one frame with GPAW; written by hpglass.simulate.elf.run_gpaw_elf (rerun: python3 gpaw_elf.py)."""
import json
import os
import platform
import time

t0 = time.time()
c0 = time.process_time()
import numpy as np
import ase
from ase.io import read
from ase.io.cube import write_cube
import gpaw
from gpaw import GPAW, PW
from gpaw.elf import _elf  # Becke-Edgecombe ELF from n, |grad n|^2, tau (GPAW's implementation)

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "params.json")) as fh:
    P = json.load(fh)


def atomic_write(name, write):
    path = os.path.join(HERE, name)
    tmp = os.path.join(HERE, "." + name + ".tmp")
    with open(tmp, "w") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def int_freqs(n):
    """FFT frequencies of an n-point axis as integers 0, 1, ..., -1 (numpy order)."""
    return np.concatenate([np.arange(0, (n + 1) // 2), np.arange(-(n // 2), 0)])


def _pad_axis(a, axis, nf):
    """Zero-pad the Fourier coefficients `a` along a full (complex FFT) `axis` to `nf` points; an even axis's
    Nyquist term is split between +N/2 and -N/2 so that a real function stays real."""
    n = a.shape[axis]
    new_shape = list(a.shape)
    new_shape[axis] = nf
    new = np.zeros(new_shape, complex)
    src, dst = np.moveaxis(a, axis, 0), np.moveaxis(new, axis, 0)
    if n % 2:
        h = (n - 1) // 2
        dst[:h + 1] = src[:h + 1]
        dst[nf - h:] = src[n - h:]
    else:
        h = n // 2
        dst[:h] = src[:h]
        dst[nf - h + 1:] = src[h + 1:]
        dst[h] += 0.5 * src[h]
        dst[nf - h] += 0.5 * src[h]
    return new


def upsample(coef, n_coarse, n_fine, real):
    """Fourier coefficients of a band-limited function on the coarse grid (numpy fftn, or rfftn when `real`) ->
    its coefficients on the fine grid (zero padding), scaled for numpy's inverse transform on the fine grid."""
    out = coef
    for axis in (0, 1) if real else (0, 1, 2):
        if n_fine[axis] != n_coarse[axis]:
            out = _pad_axis(out, axis, n_fine[axis])
    if real and n_fine[2] != n_coarse[2]:
        n, m = n_coarse[2], n_fine[2] // 2 + 1
        new = np.zeros(out.shape[:2] + (m,), complex)
        h = n // 2  # rfft entries 0..h; for even n entry h is the Nyquist term
        new[..., :h] = out[..., :h]
        new[..., h] = 0.5 * out[..., h] if n % 2 == 0 else out[..., h]
        out = new
    return out * (np.prod(n_fine) / np.prod(n_coarse))


def pw_elf(calc, refine, ncut):
    """ELF of a plane-wave calculation on the coarse grid refined `refine` times, exact for the PW orbitals:
    each orbital is Fourier-interpolated, its gradient taken analytically, n, grad n and tau summed pointwise.
    Real (Gamma-point) orbitals use real FFTs."""
    wfs, dens = calc.wfs, calc.density
    gd = wfs.gd
    nc = tuple(int(n) for n in gd.N_c)
    nf = tuple(refine * n for n in nc)
    B = 2 * np.pi * np.linalg.inv(gd.cell_cv).T  # rows: reciprocal vectors, 1/bohr

    def gvectors(real):
        k = [int_freqs(n).astype(float) for n in nf]
        if real:
            k[2] = np.arange(nf[2] // 2 + 1, dtype=float)
        for c, n in enumerate(nf):  # no derivative of a Nyquist term (nonzero only when refine == 1)
            if n % 2 == 0:
                k[c][n // 2] = 0.0
        return [k[0][:, None, None] * B[0, v] + k[1][None, :, None] * B[1, v] + k[2][None, None, :] * B[2, v]
                for v in range(3)]

    G_real = gvectors(True)
    G_cplx = None
    ns = wfs.nspins
    n_s = np.zeros((ns,) + nf)
    dn_s = np.zeros((ns, 3) + nf)
    tau_s = np.zeros((ns,) + nf)
    for kpt in wfs.kpt_u:
        kv = wfs.kd.ibzk_kc[kpt.k] @ B
        for f, psit_G in zip(kpt.f_n, kpt.psit_nG):
            if abs(f) < 1e-12:
                continue
            u_R = wfs.pd.ifft(psit_G, kpt.q)  # periodic part of the Bloch orbital on the coarse grid
            if np.isrealobj(u_R) and not np.any(kv):
                F = upsample(np.fft.rfftn(u_R), nc, nf, True)
                u = np.fft.irfftn(F, s=nf, axes=(0, 1, 2))
                n_s[kpt.s] += f * u * u
                for v in range(3):
                    d = np.fft.irfftn(1j * G_real[v] * F, s=nf, axes=(0, 1, 2))
                    tau_s[kpt.s] += 0.5 * f * d * d
                    dn_s[kpt.s, v] += 2 * f * u * d
                continue
            if G_cplx is None:
                G_cplx = gvectors(False)
            F = upsample(np.fft.fftn(u_R), nc, nf, False)
            u = np.fft.ifftn(F)
            n_s[kpt.s] += f * (u.real ** 2 + u.imag ** 2)
            for v in range(3):
                d = np.fft.ifftn(1j * (G_cplx[v] + kv[v]) * F)
                tau_s[kpt.s] += 0.5 * f * (d.real ** 2 + d.imag ** 2)
                dn_s[kpt.s, v] += 2 * f * (u.real * d.real + u.imag * d.imag)
    # pseudo-core density and kinetic-energy density of the PAW setups (smooth; split evenly over spins)
    lfc = dens.get_pseudo_core_kinetic_energy_density_lfc()
    lfc.set_positions(calc.spos_ac, wfs.atom_partition)
    tauct_R = gd.zeros()
    lfc.add(tauct_R)
    Fn = upsample(np.fft.rfftn(dens.nct_G), nc, nf, True) / ns
    Ft = upsample(np.fft.rfftn(tauct_R), nc, nf, True) / ns
    core_n = np.fft.irfftn(Fn, s=nf, axes=(0, 1, 2))
    core_dn = [np.fft.irfftn(1j * G_real[v] * Fn, s=nf, axes=(0, 1, 2)) for v in range(3)]
    core_tau = np.fft.irfftn(Ft, s=nf, axes=(0, 1, 2))
    for s in range(ns):
        n_s[s] += core_n
        tau_s[s] += core_tau
        for v in range(3):
            dn_s[s, v] += core_dn[v]
    grad2_s = (dn_s ** 2).sum(axis=1)
    with np.errstate(all="ignore"):
        elf = _elf(n_s, grad2_s, tau_s, ncut, ns == 2)
    return elf


def main():
    atoms = read(os.path.join(HERE, "frame.extxyz"))
    kw = dict(xc=P["xc"], kpts={"size": P["kpts"], "gamma": True}, symmetry="off",
              occupations={"name": "fermi-dirac", "width": P["smearing_eV"]}, maxiter=P["maxiter"],
              txt=os.path.join(HERE, "gpaw.txt"))
    if P["mode"] == "pw":
        kw["mode"] = PW(P["ecut_eV"])
    else:
        kw["mode"] = "fd"
        kw["h"] = P["h_A"]
    if P["convergence"]:
        kw["convergence"] = P["convergence"]
    kw.update(P["gpaw_kwargs"])
    calc = GPAW(**kw)
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    t_scf = time.time() - t0
    c_scf = time.process_time() - c0
    if P["mode"] == "pw":
        elf = pw_elf(calc, P["gridrefinement"], P["ncut"])
    else:
        from gpaw.elf import ELF
        e = ELF(calc, ncut=P["ncut"])
        e.update()
        elf = e.get_electronic_localization_function(gridrefinement=P["gridrefinement"])
    elf = np.clip(np.nan_to_num(np.asarray(elf, dtype=float), nan=0.0), 0.0, 1.0)
    t_elf = time.time() - t0 - t_scf
    c_elf = time.process_time() - c0 - c_scf
    comment = ("ELF (pseudo valence + pseudo-core density, Becke-Edgecombe) by GPAW %s, mode %s"
               % (gpaw.__version__, P["mode"]))
    atomic_write("elf.cube", lambda fh: write_cube(fh, atoms, elf, comment=comment))
    try:
        fermi = float(calc.get_fermi_level())
    except Exception:
        fermi = None
    try:
        niter = int(calc.get_number_of_iterations())
    except Exception:
        niter = None
    result = {
        "energy_eV": float(energy), "fermi_level_eV": fermi,
        "n_electrons": float(getattr(calc.wfs, "nvalence", None) or calc.get_number_of_electrons()),
        "n_bands": int(calc.get_number_of_bands()),
        "n_iterations": niter, "grid_coarse": [int(n) for n in calc.wfs.gd.N_c], "grid_elf": list(elf.shape),
        "elf_min": float(elf.min()), "elf_max": float(elf.max()), "elf_mean": float(elf.mean()),
        "wall_time_s": time.time() - t0, "scf_time_s": t_scf, "elf_time_s": t_elf,
        "cpu_time_s": time.process_time() - c0, "scf_cpu_s": c_scf, "elf_cpu_s": c_elf,
        "versions": {"gpaw": gpaw.__version__, "ase": ase.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "parameters": P, "elf_file": "elf.cube", "log_file": "gpaw.txt",
    }
    atomic_write("result.json", lambda fh: fh.write(json.dumps(result, indent=2) + "\n"))


main()
'''


@dataclass(frozen=True, eq=False)
class GpawElfResult:
    """A finished GPAW ELF run: its files and the numbers of ``result.json``.

    ``reused`` is True when an earlier finished run in the same folder (same frame, same parameters) was returned
    instead of computing again.
    """

    out_dir: Path
    cube_path: Path
    json_path: Path
    log_path: Path
    energy_eV: float
    fermi_level_eV: float | None
    n_electrons: float
    gpaw_version: str
    wall_time_s: float
    parameters: dict
    raw: dict
    reused: bool = False
    atoms: object = None

    def load_grid(self) -> VolumetricGrid:
        """The ELF grid from ``elf.cube``, with the frame's exact atoms and cell (the cube rounds them)."""
        grid = read_cube(self.cube_path)
        if self.atoms is None or len(self.atoms) != len(grid.atoms):
            return grid
        cell = np.array(self.atoms.cell)
        if np.abs(cell - grid.cell).max() > 1e-4 or (
                len(grid.atoms) and np.abs(self.atoms.positions - grid.atoms.positions).max() > 1e-4):
            return grid
        atoms = self.atoms.copy()
        return VolumetricGrid(atoms=atoms, values=grid.values, origin=grid.origin, cell=cell, source=grid.source,
                              meta=grid.meta | {"atoms_from": "frame.extxyz (exact)"})

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "elf_file": str(self.cube_path), "result_file": str(self.json_path),
                "log_file": str(self.log_path), "energy_eV": self.energy_eV, "fermi_level_eV": self.fermi_level_eV,
                "n_electrons": self.n_electrons, "gpaw_version": self.gpaw_version, "wall_time_s": self.wall_time_s,
                "scf_time_s": self.raw.get("scf_time_s"), "elf_time_s": self.raw.get("elf_time_s"),
                "cpu_time_s": self.raw.get("cpu_time_s"),
                "n_bands": self.raw.get("n_bands"), "n_iterations": self.raw.get("n_iterations"),
                "grid_elf": self.raw.get("grid_elf"), "parameters": self.parameters, "reused": self.reused}


def frame_fingerprint(atoms) -> str:
    """SHA-256 of the species, positions (1e-6 Å), cell and pbc of a frame: identifies it in ``params.json``."""
    h = hashlib.sha256()
    h.update(np.asarray(atoms.numbers, dtype=np.int64).tobytes())
    h.update(np.round(np.asarray(atoms.positions, dtype=float), 6).tobytes())
    h.update(np.round(np.asarray(atoms.cell, dtype=float), 6).tobytes())
    h.update(np.asarray(atoms.pbc, dtype=bool).tobytes())
    return h.hexdigest()


def _result_from(out_dir: Path, raw: dict, reused: bool, atoms) -> GpawElfResult:
    return GpawElfResult(out_dir=out_dir, cube_path=out_dir / CUBE_FILE, json_path=out_dir / RESULT_FILE,
                         log_path=out_dir / LOG_FILE, energy_eV=raw["energy_eV"],
                         fermi_level_eV=raw.get("fermi_level_eV"), n_electrons=raw["n_electrons"],
                         gpaw_version=raw.get("versions", {}).get("gpaw", "?"), wall_time_s=raw["wall_time_s"],
                         parameters=raw["parameters"], raw=raw, reused=reused, atoms=atoms)


def _last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "Error" in ln or "error" in ln:
            return ln
    return lines[-1] if lines else "no error message"


def run_gpaw_elf(atoms, out_dir: str | os.PathLike, *, mode: str = "pw", ecut_eV: float = 400.0, h_A: float = 0.2,
                 kpts=(1, 1, 1), xc: str = "PBE", smearing_eV: float = 0.1, gridrefinement: int = 2,
                 maxiter: int = 300, convergence: dict | None = None, ncut: float = 1e-6,
                 gpaw_kwargs: dict | None = None, python: str = DEFAULT_PYTHON, timeout_s: float = 4 * 3600,
                 reuse: bool = True) -> GpawElfResult:
    """Self-consistent GPAW calculation of one frame and its ELF, run as an external program.

    Parameters
    ----------
    atoms : ase.Atoms
        The frame (periodic cell; ``pbc`` False along an axis is passed on, e.g. for a molecule in ``fd`` mode).
    out_dir : folder of this run; created. It receives ``frame.extxyz``, ``params.json``, ``gpaw_elf.py`` (the
        script; rerun by hand with ``python3 gpaw_elf.py``), ``gpaw.txt`` (GPAW's log), ``gpaw_stderr.txt``,
        ``elf.cube`` (ELF on the output grid, Bohr) and ``result.json`` (energy, Fermi level, electrons, bands,
        iterations, grids, GPAW version, wall and CPU times of SCF and ELF; written last, so its presence marks a
        finished run). A run that failed or was stopped leaves no ``result.json`` and is recomputed next time.
    mode : ``"pw"`` plane waves with cutoff ``ecut_eV`` (default), or ``"fd"`` real-space grid with spacing ``h_A``.
    kpts : Monkhorst–Pack size including Γ (``gamma=True``); (1, 1, 1) = Γ only (real wave functions).
    xc : exchange–correlation functional name GPAW knows (``"PBE"``, ``"LDA"`` …).
    smearing_eV : Fermi–Dirac width.
    gridrefinement : 1 = the coarse (wave-function) grid, 2 = GPAW's fine (density) grid (default). In ``pw`` mode
        any positive integer works (Fourier interpolation); ``fd`` allows 1 or 2.
    maxiter, convergence : SCF limits (GPAW's names; ``convergence`` e.g. ``{"density": 1e-4}``).
    ncut : density (electrons/Bohr³) below which the ELF is set to 0 (GPAW's default 1e-6; vacuum only).
    gpaw_kwargs : further GPAW keyword arguments (JSON-serialisable), e.g. ``{"nbands": 8}``, ``{"spinpol": True}``
        or ``{"background_charge": {"charge": 2}}`` for jellium.
    python : interpreter with GPAW; ``timeout_s`` : wall-clock limit of the GPAW run.
    reuse : return an earlier finished run in ``out_dir`` with the same frame and parameters without recomputing;
        a finished run there with *other* parameters or another frame is then refused (InputError), not overwritten.
        ``reuse=False`` always recomputes, replacing what ``out_dir`` holds.

    Raises
    ------
    GpawMissingError (a MissingDependencyError) when GPAW cannot be imported under ``python`` or its PAW datasets are
    missing; ConvergenceError when the SCF did not converge in ``maxiter``; GpawRunError for any other failure or
    the timeout; InputError for bad parameters or a conflicting finished run in ``out_dir``.
    """
    from ase import Atoms
    from ase.io import write

    if not isinstance(atoms, Atoms):
        raise InputError("atoms must be an ase.Atoms", field="atoms")
    if mode not in ("pw", "fd"):
        raise InputError(f"mode must be 'pw' or 'fd', got {mode!r}", field="mode")
    if mode == "pw" and not ecut_eV > 0:
        raise InputError(f"ecut_eV must be positive, got {ecut_eV}", field="ecut_eV")
    if mode == "fd" and not h_A > 0:
        raise InputError(f"h_A must be positive, got {h_A}", field="h_A")
    if not (isinstance(gridrefinement, (int, np.integer)) and gridrefinement >= 1) or (
            mode == "fd" and gridrefinement not in (1, 2)):
        raise InputError(f"gridrefinement must be a positive integer (1 or 2 in fd mode), got {gridrefinement}",
                         field="gridrefinement")
    kpts_list = [int(k) for k in np.broadcast_to(np.asarray(kpts), (3,))]
    if min(kpts_list) < 1:
        raise InputError(f"kpts must be three positive integers, got {kpts}", field="kpts")
    if abs(atoms.cell.volume) < 1e-9:
        raise InputError("the frame has no cell (GPAW needs one)", field="atoms")
    if timeout_s is not None and not timeout_s > 0:
        raise InputError(f"timeout_s must be positive, got {timeout_s}", field="timeout_s")
    params = {"mode": mode, "ecut_eV": float(ecut_eV) if mode == "pw" else None,
              "h_A": float(h_A) if mode == "fd" else None, "kpts": kpts_list, "xc": str(xc),
              "smearing_eV": float(smearing_eV), "gridrefinement": int(gridrefinement), "maxiter": int(maxiter),
              "convergence": dict(convergence or {}), "ncut": float(ncut), "gpaw_kwargs": dict(gpaw_kwargs or {}),
              "frame_sha256": frame_fingerprint(atoms), "n_atoms": len(atoms),
              "formula": atoms.get_chemical_formula(mode="hill")}
    try:
        params = json.loads(json.dumps(params))  # what the script will see
    except TypeError as exc:
        raise InputError(f"gpaw_kwargs/convergence must be JSON-serialisable: {exc}", field="gpaw_kwargs") from None

    out_dir = Path(out_dir)
    frame = Atoms(numbers=atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    result_path = out_dir / RESULT_FILE
    if result_path.is_file():
        try:
            raw = json.loads(result_path.read_text())
        except (OSError, json.JSONDecodeError):
            raw = None
        if raw is not None and (out_dir / CUBE_FILE).is_file():
            if raw.get("parameters") == params:
                if reuse:
                    return _result_from(out_dir, raw, True, frame)
            elif reuse:
                old = raw.get("parameters", {})
                diff = sorted(k for k in set(old) | set(params) if old.get(k) != params.get(k))
                raise InputError(f"holds a finished ELF run with other {', '.join(diff)}; choose another output "
                                 "folder or delete it", source=out_dir)

    version = _require_gpaw(python)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (RESULT_FILE, CUBE_FILE):  # an earlier run's outputs must not survive a failed new run
        (out_dir / name).unlink(missing_ok=True)
    text_frame = _extxyz_text(frame, write)
    atomic_write_text(out_dir / FRAME_FILE, text_frame)
    atomic_write_text(out_dir / PARAMS_FILE, json.dumps(params, indent=2) + "\n")
    atomic_write_text(out_dir / SCRIPT_FILE, GPAW_SCRIPT)
    t0 = time.time()
    try:
        proc = subprocess.run([python, SCRIPT_FILE], cwd=out_dir, capture_output=True, text=True, timeout=timeout_s,
                              env=_clean_env(), check=False)
    except subprocess.TimeoutExpired as exc:
        _save_stderr(out_dir, exc.stderr)
        raise GpawRunError(f"{out_dir}: GPAW did not finish within {timeout_s:g} s (log: {out_dir / LOG_FILE})") \
            from None
    _save_stderr(out_dir, proc.stderr)
    if proc.returncode != 0:
        err = proc.stderr or ""
        if "Could not find required" in err:
            line = next(ln.strip() for ln in err.splitlines() if "Could not find required" in ln)
            raise GpawMissingError(python, f"{line.split('Error: ')[-1]} (the PAW datasets are in gpaw-data)")
        if "KohnShamConvergenceError" in err or "did not converge" in err:
            raise ConvergenceError(f"GPAW SCF did not converge in {maxiter} iterations (log: {out_dir / LOG_FILE})",
                                   source=out_dir)
        raise GpawRunError(f"{out_dir}: GPAW {version} failed (exit {proc.returncode}): {_last_error_line(err)} "
                           f"(details: {out_dir / STDERR_FILE})")
    try:
        raw = json.loads(result_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GpawRunError(f"{out_dir}: GPAW finished but wrote no readable {RESULT_FILE}: {exc}") from None
    raw.setdefault("runner_wall_time_s", time.time() - t0)
    return _result_from(out_dir, raw, False, frame)


def _extxyz_text(frame, write) -> str:
    import io

    buf = io.StringIO()
    write(buf, frame, format="extxyz")
    return buf.getvalue()


def _save_stderr(out_dir: Path, text) -> None:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    try:
        atomic_write_text(out_dir / STDERR_FILE, text or "")
    except OSError:
        pass


# ======================================================================================================================
# analysis
# ======================================================================================================================
ASSIGNMENTS = ("nearest", "sphere")


@dataclass(frozen=True, eq=False)
class SpeciesRegions:
    """Which grid points belong to which species.

    ``mask[s]`` (flat, C order) marks the points of species ``species[s]``:

    * ``"nearest"`` (default): each point goes to the species of its nearest atom (periodic images included) — a
      Voronoi partition of the cell, every point counted once; with ``radius_A`` only points within that distance of
      their nearest atom are kept (the rest, ``unassigned``, belong to no species).
    * ``"sphere"``: a point belongs to every species that has an atom within ``radius_A`` of it (spheres of
      different species may overlap; points outside all spheres belong to none).
    """

    species: tuple[str, ...]
    mask: np.ndarray  # (n_species, n_points) bool
    assignment: str
    radius_A: float | None
    unassigned: int

    def to_dict(self) -> dict:
        return {"species": list(self.species), "assignment": self.assignment, "radius_A": self.radius_A,
                "n_points": {s: int(m.sum()) for s, m in zip(self.species, self.mask)},
                "unassigned": self.unassigned}


def _image_shifts(pbc) -> np.ndarray:
    rng = [(-1, 0, 1) if p else (0,) for p in pbc]
    return np.array([(a, b, c) for a in rng[0] for b in rng[1] for c in rng[2]], dtype=float)


def species_regions(grid: VolumetricGrid, assignment: str = "nearest", radius_A: float | None = None,
                    chunk: int = 1 << 18) -> SpeciesRegions:
    """Assign the grid points to species (see :class:`SpeciesRegions`).

    Distances are to the nearest periodic image among the 27 neighbouring cells (atoms and points wrapped into the
    cell first): exact whenever the distance is below half the smallest cell height, which covers every point of a
    dense solid. Along a non-periodic axis (``atoms.pbc`` False) no images are used.
    """
    from scipy.spatial import cKDTree

    if assignment not in ASSIGNMENTS:
        raise InputError(f"assignment must be one of {', '.join(ASSIGNMENTS)}, got {assignment!r}",
                         field="assignment")
    if assignment == "sphere" and radius_A is None:
        raise InputError("the 'sphere' assignment needs radius_A", field="radius_A")
    if radius_A is not None and not radius_A > 0:
        raise InputError(f"radius_A must be positive, got {radius_A}", field="radius_A")
    atoms = grid.atoms
    if atoms is None or len(atoms) == 0:
        raise InputError("the grid has no atoms to assign its points to", source=grid.source)
    symbols = np.array(atoms.get_chemical_symbols())
    species = tuple(sorted({str(x) for x in symbols}))
    pbc = np.asarray(atoms.pbc, dtype=bool)
    frac = grid.fractional(atoms.positions)
    frac[:, pbc] %= 1.0
    shifts = _image_shifts(pbc)
    trees = []
    for s in species:
        f = frac[symbols == s]
        imgs = (f[None, :, :] + shifts[:, None, :]).reshape(-1, 3) @ grid.cell + grid.origin
        trees.append(cKDTree(imgs))
    n = grid.values.size
    mask = np.zeros((len(species), n), dtype=bool)
    for start in range(0, n, chunk):
        idx = np.arange(start, min(n, start + chunk))
        pts = grid.point_positions(idx)
        d = np.column_stack([t.query(pts, k=1)[0] for t in trees])
        if assignment == "nearest":
            near = np.argmin(d, axis=1)
            ok = np.ones(idx.size, bool) if radius_A is None else d[np.arange(idx.size), near] <= radius_A
            for s in range(len(species)):
                mask[s, idx] = ok & (near == s)
        else:
            mask[:, idx] = (d <= radius_A).T
    unassigned = int((~mask.any(axis=0)).sum())
    return SpeciesRegions(species=species, mask=mask, assignment=assignment, radius_A=radius_A,
                          unassigned=unassigned)


def _regions_for(grid, regions, assignment, radius_A) -> SpeciesRegions:
    if regions is None:
        return species_regions(grid, assignment, radius_A)
    if regions.mask.shape[1] != grid.values.size:
        raise InputError("regions were computed for another grid", field="regions")
    return regions


@dataclass(frozen=True, eq=False)
class ElfHistogram:
    """Histogram of ELF values at the grid points of each species' region (see :class:`SpeciesRegions`).

    ``counts[s][b]`` = number of grid points of species ``s`` with ELF in ``[edges[b], edges[b+1])`` (the last bin
    closed); ``counts_all`` the same for the whole cell. Volumes are counts × ``voxel_volume_A3``.
    """

    edges: np.ndarray
    species: tuple[str, ...]
    counts: dict
    counts_all: np.ndarray
    mean: dict
    n_points: dict
    voxel_volume_A3: float
    assignment: str
    radius_A: float | None

    @property
    def centers(self) -> np.ndarray:
        return 0.5 * (self.edges[:-1] + self.edges[1:])

    def density(self, species: str | None = None) -> np.ndarray:
        """Normalised histogram (integrates to 1 over ELF) of one species, or of the whole cell (None)."""
        c = self.counts_all if species is None else self.counts[species]
        total = c.sum()
        return c / (total * np.diff(self.edges)) if total else np.zeros_like(c, dtype=float)

    def volume_A3(self, species: str) -> float:
        return float(self.n_points[species] * self.voxel_volume_A3)

    def to_dict(self) -> dict:
        return {"edges": self.edges.tolist(), "species": list(self.species),
                "counts": {s: self.counts[s].tolist() for s in self.species}, "counts_all": self.counts_all.tolist(),
                "mean_elf": dict(self.mean), "n_points": dict(self.n_points),
                "volume_A3": {s: self.volume_A3(s) for s in self.species}, "voxel_volume_A3": self.voxel_volume_A3,
                "assignment": self.assignment, "radius_A": self.radius_A}

    def plot(self, ax=None):
        """Normalised histograms per species (step lines) on ``ax`` (a new figure's axes if None)."""
        if ax is None:
            from matplotlib.figure import Figure

            ax = Figure(figsize=(4, 3)).add_subplot()
        for s in self.species:
            ax.step(self.centers, self.density(s), where="mid", label=f"{s} ({self.assignment})")
        ax.step(self.centers, self.density(None), where="mid", color="0.5", ls=":", label="all")
        ax.set_xlabel("ELF")
        ax.set_ylabel("probability density")
        ax.legend(fontsize="small")
        return ax


#: more histogram bins on ELF 0…1 than this resolve nothing a grid holds (and 1e20 would not fit in memory)
MAX_BINS = 100_000


def _edges(bins) -> np.ndarray:
    if np.ndim(bins) == 0:
        nb = int(bins)
        if not 1 <= nb <= MAX_BINS:
            raise InputError(f"bins must be a whole number 1–{MAX_BINS:,}, got {bins}", field="bins")
        return np.linspace(0.0, 1.0, nb + 1)
    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise InputError("bin edges must be increasing, at least two", field="bins")
    return edges


def elf_histogram_by_species(grid: VolumetricGrid, bins=50, radius_A: float | None = None,
                             assignment: str = "nearest", regions: SpeciesRegions | None = None) -> ElfHistogram:
    """Histogram of the ELF per species: ``bins`` equal bins on [0, 1] (or explicit edges).

    Region of a species: the points nearest to its atoms (``assignment="nearest"``, a Voronoi partition; with
    ``radius_A`` only points within that distance), or the points within ``radius_A`` of any of its atoms
    (``"sphere"``). Pass ``regions`` (from :func:`species_regions`) to reuse an assignment.
    """
    edges = _edges(bins)
    reg = _regions_for(grid, regions, assignment, radius_A)
    vals = grid.values.ravel()
    counts, mean, npts = {}, {}, {}
    for s, m in zip(reg.species, reg.mask):
        v = vals[m]
        counts[s] = np.histogram(v, bins=edges)[0]
        mean[s] = float(v.mean()) if v.size else float("nan")
        npts[s] = int(v.size)
    return ElfHistogram(edges=edges, species=reg.species, counts=counts,
                        counts_all=np.histogram(vals, bins=edges)[0], mean=mean, n_points=npts,
                        voxel_volume_A3=grid.voxel_volume, assignment=reg.assignment, radius_A=reg.radius_A)


@dataclass(frozen=True, eq=False)
class ElfSummary:
    """Scalars of an ELF grid.

    ``fraction_above[t]`` = fraction of the cell volume with ELF > t; ``fraction_above_by_species[s][t]`` the same
    within species s's region; ``volume_share[s]`` = region volume / cell volume; ``mean_by_species[s]`` = mean ELF
    over the region (grid points are equal volumes).
    """

    species: tuple[str, ...]
    n_atoms: dict
    thresholds: tuple[float, ...]
    mean: float
    minimum: float
    maximum: float
    fraction_above: dict
    mean_by_species: dict
    fraction_above_by_species: dict
    volume_share: dict
    assignment: str
    radius_A: float | None
    unassigned_fraction: float
    shape: tuple[int, int, int]
    voxel_volume_A3: float
    source: str | None = None
    notes: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        key = "{:g}".format
        return {"source": self.source, "species": list(self.species), "n_atoms": dict(self.n_atoms),
                "shape": list(self.shape), "voxel_volume_A3": self.voxel_volume_A3, "mean_elf": self.mean,
                "min_elf": self.minimum, "max_elf": self.maximum, "thresholds": list(self.thresholds),
                "fraction_above": {key(t): v for t, v in self.fraction_above.items()},
                "mean_elf_by_species": dict(self.mean_by_species),
                "fraction_above_by_species": {s: {key(t): v for t, v in d.items()}
                                              for s, d in self.fraction_above_by_species.items()},
                "volume_share": dict(self.volume_share), "assignment": self.assignment, "radius_A": self.radius_A,
                "unassigned_fraction": self.unassigned_fraction, "notes": dict(self.notes)}


def elf_summary(grid: VolumetricGrid, thresholds=THRESHOLDS, assignment: str = "nearest",
                radius_A: float | None = None, regions: SpeciesRegions | None = None) -> ElfSummary:
    """Mean ELF per species region, volume fractions with ELF above each threshold (whole cell and per species)."""
    ths = tuple(float(t) for t in thresholds)
    for t in ths:  # the ELF lies in 0…1: a threshold outside it (or NaN) would give a fraction of 0 or 1, no note
        if not 0.0 <= t <= 1.0:
            raise InputError(f"ELF thresholds lie in 0…1, got {t}", field="thresholds")
    reg = _regions_for(grid, regions, assignment, radius_A)
    vals = grid.values.ravel()
    symbols = grid.atoms.get_chemical_symbols()
    mean_s, frac_s, share = {}, {}, {}
    for s, m in zip(reg.species, reg.mask):
        v = vals[m]
        mean_s[s] = float(v.mean()) if v.size else float("nan")
        frac_s[s] = {t: (float((v > t).mean()) if v.size else float("nan")) for t in ths}
        share[s] = float(m.mean())
    notes = {}
    if vals.min() < -1e-6 or vals.max() > 1 + 1e-6:
        notes["range"] = f"values span {vals.min():.4g}…{vals.max():.4g}, outside 0…1: is this an ELF grid?"
    return ElfSummary(species=reg.species, n_atoms={s: symbols.count(s) for s in reg.species}, thresholds=ths,
                      mean=float(vals.mean()), minimum=float(vals.min()), maximum=float(vals.max()),
                      fraction_above={t: float((vals > t).mean()) for t in ths}, mean_by_species=mean_s,
                      fraction_above_by_species=frac_s, volume_share=share, assignment=reg.assignment,
                      radius_A=reg.radius_A, unassigned_fraction=reg.unassigned / vals.size, shape=grid.shape,
                      voxel_volume_A3=grid.voxel_volume, source=grid.source, notes=notes)


@dataclass(frozen=True, eq=False)
class ElfSlice:
    """ELF on a plane: ``values[i, j]`` at ``plane_origin + u_A[i] e_u + v_A[j] e_v`` (Å).

    ``extent`` = (u_min, u_max, v_min, v_max) of the pixel edges, for ``imshow(values.T, origin="lower",
    extent=extent)``. ``atoms`` lists the atoms within ``atom_tol_A`` of the plane with their in-plane coordinates.
    """

    values: np.ndarray
    u_A: np.ndarray
    v_A: np.ndarray
    plane_origin: np.ndarray
    e_u: np.ndarray
    e_v: np.ndarray
    normal: np.ndarray
    atoms: list
    description: str

    @property
    def extent(self) -> tuple[float, float, float, float]:
        du = self.u_A[1] - self.u_A[0] if self.u_A.size > 1 else 1.0
        dv = self.v_A[1] - self.v_A[0] if self.v_A.size > 1 else 1.0
        return (float(self.u_A[0] - du / 2), float(self.u_A[-1] + du / 2), float(self.v_A[0] - dv / 2),
                float(self.v_A[-1] + dv / 2))

    def to_dict(self, include_values: bool = True) -> dict:
        d = {"description": self.description, "shape": list(self.values.shape), "extent_A": list(self.extent),
             "plane_origin_A": self.plane_origin.tolist(), "e_u": self.e_u.tolist(), "e_v": self.e_v.tolist(),
             "normal": self.normal.tolist(), "atoms": self.atoms}
        if include_values:
            d |= {"u_A": self.u_A.tolist(), "v_A": self.v_A.tolist(), "values": self.values.tolist()}
        return d

    def plot(self, ax=None, cmap: str = "viridis"):
        """Colour map of the slice (ELF 0…1) with the in-plane atoms marked; returns the axes."""
        if ax is None:
            from matplotlib.figure import Figure

            ax = Figure(figsize=(4, 4)).add_subplot()
        im = ax.imshow(self.values.T, origin="lower", extent=self.extent, vmin=0, vmax=1, cmap=cmap,
                       interpolation="bilinear", aspect="equal")
        for a in self.atoms:
            ax.plot(a["u_A"], a["v_A"], "o", ms=5, mfc="none", mec="white")
            ax.annotate(a["symbol"], (a["u_A"], a["v_A"]), color="white", fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_xlabel("u (Å)")
        ax.set_ylabel("v (Å)")
        ax.set_title(self.description, fontsize="small")
        ax.figure.colorbar(im, ax=ax, label="ELF", shrink=0.8)
        return ax


_AXES = {"a": 0, "b": 1, "c": 2, "x": 0, "y": 1, "z": 2, "0": 0, "1": 1, "2": 2}


def _unit(v, what: str) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v)
    if not n > 1e-12:
        raise InputError(f"{what} has zero length", field=what)
    return v / n


def elf_slice(grid: VolumetricGrid, *, axis=None, position: float = 0.5, through=None, normal=None, point=None,
              size_A=None, spacing_A: float | None = None, order: int = 1, atom_tol_A: float = 0.5) -> ElfSlice:
    """ELF on a plane, sampled on a square mesh by periodic spline interpolation of the grid (``order`` 1 = linear).

    Give one of:

    * ``axis`` (0/1/2 or "a"/"b"/"c") and ``position`` (fractional coordinate along it): the lattice plane spanned
      by the other two cell vectors; u along the first of them, v perpendicular in the plane; the mesh covers
      u ∈ [0, |a₁|), v ∈ [0, height of a₂) — one periodic tile (the whole face for an orthogonal cell). Without
      ``spacing_A`` the mesh has the grid's own point counts along a₁ and a₂, so for an orthogonal cell and a
      ``position`` on a grid plane the values are the grid values themselves.
    * ``through=(i, j, k)``: the plane through atoms i, j, k (minimum-image positions relative to i), u along i→j;
      a square of side ``size_A`` (default: the triangle's extent + 4 Å) centred on the three atoms.
    * ``normal`` (Cartesian vector) and ``point`` (Å; default the cell centre): a square of side ``size_A`` (default
      the longest cell vector) centred on ``point``.

    ``spacing_A`` defaults to the smallest grid spacing (axis planes: see above). Default with nothing given:
    ``axis=2, position=0.5``.
    """
    from ase.geometry import find_mic
    from scipy.ndimage import map_coordinates

    given = sum(x is not None for x in (axis, through, normal))
    if given > 1:
        raise InputError("give one of axis, through or normal for the slice plane", field="slice")
    if given == 0:
        axis = 2
    atoms = grid.atoms
    pbc = np.asarray(atoms.pbc if atoms is not None else (True, True, True), dtype=bool)
    cell = grid.cell
    h = float(spacing_A) if spacing_A is not None else float(grid.spacing.min())
    if not h > 0:
        raise InputError(f"spacing_A must be positive, got {spacing_A}", field="spacing_A")
    positions = atoms.positions if atoms is not None and len(atoms) else np.zeros((0, 3))

    def square(size, default):
        if size is None:
            size = default
        su, sv = (float(size), float(size)) if np.ndim(size) == 0 else (float(size[0]), float(size[1]))
        if not (su > 0 and sv > 0):
            raise InputError(f"size_A must be positive, got {size}", field="size_A")
        nu, nv = max(round(su / h), 1), max(round(sv / h), 1)
        return (np.arange(nu) - (nu - 1) / 2) * (su / nu), (np.arange(nv) - (nv - 1) / 2) * (sv / nv)

    if axis is not None:
        ax = _AXES.get(str(axis).lower())
        if ax is None:
            raise InputError(f"axis must be 0, 1, 2 or a, b, c; got {axis!r}", field="axis")
        if not 0.0 <= float(position) <= 1.0:  # NaN/inf would put the plane nowhere (and warn in numpy)
            raise InputError(f"position is a fractional coordinate in 0…1, got {position}", field="position")
        o1, o2 = (ax + 1) % 3, (ax + 2) % 3
        a1, a2 = cell[o1], cell[o2]
        e_u = _unit(a1, "cell vector")
        a2p = a2 - (a2 @ e_u) * e_u
        e_v = _unit(a2p, "cell vector")
        lu, lv = float(np.linalg.norm(a1)), float(np.linalg.norm(a2p))
        if spacing_A is None:  # the grid's own points along a1 (and along a2 for an orthogonal cell)
            nu, nv = grid.shape[o1], grid.shape[o2]
        else:
            nu, nv = max(round(lu / h), 1), max(round(lv / h), 1)
        u, v = np.arange(nu) * (lu / nu), np.arange(nv) * (lv / nv)
        origin = grid.origin + float(position) * cell[ax]
        description = f"plane {'abc'[ax]} = {float(position):.4g} (fractional)"
        normal_v = np.cross(e_u, e_v)
    elif through is not None:
        try:
            i, j, k = (int(t) for t in through)
        except (TypeError, ValueError):
            raise InputError(f"through must be three atom indices, got {through!r}", field="through") from None
        n_at = len(positions)
        for t in (i, j, k):
            if not -n_at <= t < n_at:
                raise InputError(f"atom index {t} out of range (the frame has {n_at} atoms)", field="through")
        ri = positions[i]
        dij = find_mic(positions[j] - ri, cell, pbc)[0]
        dik = find_mic(positions[k] - ri, cell, pbc)[0]
        normal_v = np.cross(dij, dik)
        if np.linalg.norm(normal_v) < 1e-6 * max(np.linalg.norm(dij) * np.linalg.norm(dik), 1e-12):
            raise InputError(f"atoms {i}, {j}, {k} are on one line: they define no plane", field="through")
        normal_v = _unit(normal_v, "normal")
        e_u = _unit(dij, "atoms i→j")
        e_v = np.cross(normal_v, e_u)
        origin = ri + (dij + dik) / 3.0
        tri = np.array([[0, 0], [dij @ e_u, dij @ e_v], [dik @ e_u, dik @ e_v]])
        span = float(np.ptp(tri, axis=0).max()) + 4.0
        u, v = square(size_A, span)
        sym = atoms.get_chemical_symbols()
        description = f"plane through atoms {i} ({sym[i]}), {j} ({sym[j]}), {k} ({sym[k]})"
    else:
        normal_v = _unit(normal, "normal")
        origin = (np.asarray(point, dtype=float).reshape(3) if point is not None
                  else grid.origin + cell.sum(axis=0) / 2)
        ref = cell[int(np.argmin(np.abs(cell @ normal_v) / np.linalg.norm(cell, axis=1)))]
        e_u = _unit(ref - (ref @ normal_v) * normal_v, "in-plane vector")
        e_v = np.cross(normal_v, e_u)
        u, v = square(size_A, float(np.linalg.norm(cell, axis=1).max()))
        description = f"plane with normal ({normal_v[0]:.3g}, {normal_v[1]:.3g}, {normal_v[2]:.3g})"

    pts = origin + u[:, None, None] * e_u + v[None, :, None] * e_v
    idx = grid.fractional(pts.reshape(-1, 3)) * np.asarray(grid.shape, dtype=float)
    mode = "grid-wrap" if pbc.all() else "nearest"
    vals = map_coordinates(grid.values, idx.T, order=order, mode=mode).reshape(u.size, v.size)

    in_plane = []
    if len(positions):
        sym = atoms.get_chemical_symbols()
        if axis is not None:
            frac = grid.fractional(positions)
            frac[:, pbc] %= 1.0
            dist_f = frac[:, ax] - float(position)
            if pbc[ax]:
                dist_f -= np.round(dist_f)
            height = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[o1], cell[o2]))
            for n in np.flatnonzero(np.abs(dist_f * height) <= atom_tol_A):
                r = frac[n, o1] * cell[o1] + frac[n, o2] * cell[o2]
                in_plane.append({"index": int(n), "symbol": sym[n], "u_A": float(r @ e_u), "v_A": float(r @ e_v),
                                 "distance_A": float(dist_f[n] * height)})
        else:
            d = find_mic(positions - origin, cell, pbc)[0]
            hgt = d @ normal_v
            for n in np.flatnonzero(np.abs(hgt) <= atom_tol_A):
                cu, cv = float(d[n] @ e_u), float(d[n] @ e_v)
                if u[0] - h <= cu <= u[-1] + h and v[0] - h <= cv <= v[-1] + h:
                    in_plane.append({"index": int(n), "symbol": sym[n], "u_A": cu, "v_A": cv,
                                     "distance_A": float(hgt[n])})
    return ElfSlice(values=vals, u_A=u, v_A=v, plane_origin=np.asarray(origin, dtype=float), e_u=e_u, e_v=e_v,
                    normal=np.asarray(normal_v, dtype=float), atoms=in_plane, description=description)
