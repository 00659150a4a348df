"""Crystal references at the pressures of a ladder: 0 K full-cell relaxations of Pnma and bcc Sb₂Se₃.

The glass's densities and pair functions under pressure are compared with the crystals' at the same pressures and
with the same potential. Each relaxation minimises the enthalpy H = E + PV at a fixed scalar pressure P over atomic
positions and all six cell degrees of freedom (:class:`ase.filters.FrechetCellFilter` with
``scalar_pressure = P``, optimised by :class:`ase.optimize.FIRE` or :class:`ase.optimize.BFGS`) until every
force and every (stress − P) component, in the filter's units, is below ``fmax`` (eV/Å).

Structures
----------
* :func:`pnma_sb2se3` — the 20-atom conventional cell of Pnma Sb₂Se₃ (stibnite type) relaxed with DFT (PBE),
  shipped as ``hpglass/data/structures/Sb2Se3_Pnma_PBE.vasp``; source: the public repository
  github.com/wladerer/SLab, file ``test/BULK_CONTCARS/Sb2Se3_CONTCAR.vasp`` (a = 4.029, b = 11.542,
  c = 12.837 Å in its setting: the short axis first). PBE without a dispersion correction overestimates the
  interlayer spacing: its density is 5.35 g/cm³ against 5.83 g/cm³ for the experimental cell of Voutsas et al.,
  Z. Kristallogr. 171, 261 (1985) (a = 11.7938, b = 3.9858, c = 11.6478 Å;
  :data:`hpglass.series.crystal_reference.VOUTSAS_1985`).
* :func:`bcc_sb2se3_cell` — substitutionally disordered bcc Sb₂Se₃ (one Im-3m site, 0.4 Sb / 0.6 Se, the
  phase above ~51 GPa, Efthimiopoulos et al., Sci. Rep. 3, 2665 (2013)): a 5 × 5 × 2 supercell of the
  conventional cell (100 sites, exactly 40 Sb and 60 Se at random, seeded), built the way
  :func:`hpglass.series.crystal_reference.bcc_sb2se3` builds its cubic supercells.

Ladders
-------
:func:`relax_ladder` relaxes one structure at every pressure of a ladder, in the order given, each pressure
starting from the structure relaxed at the previous one (walk Pnma upwards from 0 GPa and bcc downwards from its
high-pressure start). Each pressure's result is one file ``<name>_P_<p>GPa.extxyz`` (the relaxed structure; its
``info`` holds pressure_GPa, density_g_cm3, energy_eV, enthalpy_per_atom_eV, volume_per_atom_A3, converged,
n_steps, max_force_eV_A, residual_pressure_GPa, fmax, optimizer, potential), written atomically when that
pressure is done, so an interrupted ladder continues where it stopped: a pressure whose file exists is read back,
not relaxed again (its settings must match). After each pressure the table ``<name>_eos.json`` /
``<name>_eos.csv`` (density, volume per atom, energy and enthalpy per atom, cell lengths vs pressure) is rewritten.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_write_text
from .protocol import density_g_cm3, known_harmless_warnings

__all__ = [
    "CRYSTALS",
    "OPTIMIZERS",
    "PNMA_FILE",
    "LadderResult",
    "RelaxResult",
    "bcc_sb2se3_cell",
    "crystal",
    "ladder_file_name",
    "pnma_sb2se3",
    "relax_ladder",
    "relax_under_pressure",
]

#: package-data path of the PBE-relaxed Pnma cell
PNMA_FILE = "data/structures/Sb2Se3_Pnma_PBE.vasp"
#: optimizer name → class name in :mod:`ase.optimize`
OPTIMIZERS = {"fire": "FIRE", "bfgs": "BFGS"}
#: crystal names known to :func:`crystal`
CRYSTALS = ("pnma", "bcc")

#: the keys of one pressure's record, in the order of the CSV columns
_TABLE_KEYS = ("pressure_GPa", "density_g_cm3", "volume_per_atom_A3", "energy_per_atom_eV", "enthalpy_per_atom_eV",
               "a_A", "b_A", "c_A", "alpha_deg", "beta_deg", "gamma_deg", "residual_pressure_GPa", "max_force_eV_A",
               "converged", "n_steps")


def pnma_sb2se3():
    """The 20-atom Pnma Sb₂Se₃ cell relaxed with PBE (module docstring for the source), as :class:`ase.Atoms`."""
    from ase.io import read

    text = (resources.files("hpglass") / PNMA_FILE).read_text(encoding="utf-8")
    atoms = read(io.StringIO(text), format="vasp")
    atoms.info.update({"structure": "Sb2Se3 Pnma (stibnite type), PBE-relaxed conventional cell",
                       "source": "github.com/wladerer/SLab test/BULK_CONTCARS/Sb2Se3_CONTCAR.vasp"})
    return atoms


def bcc_sb2se3_cell(density_g_cm3: float = 7.5, repeat: tuple[int, int, int] = (5, 5, 2), seed: int = 0):
    """Disordered bcc Sb₂Se₃: ``repeat`` conventional cells (2 sites each) at ``density_g_cm3``, exactly 2:3.

    The number of sites (2 · n1 · n2 · n3) must be a multiple of 5 so that 40 % of them are Sb exactly; the Sb
    sites are drawn at random with ``seed``. Default: 100 atoms (5 × 5 × 2) at 7.5 g/cm³ (a high-pressure start).
    """
    from ase import Atoms

    from ..series.crystal_reference import BCC_OCCUPANCY, bcc_lattice_parameter

    reps = tuple(int(n) for n in repeat)
    if len(reps) != 3 or min(reps) < 1:
        raise InputError(f"repeat must be three positive integers, got {repeat!r}", field="repeat")
    n_sites = 2 * reps[0] * reps[1] * reps[2]
    n_sb = n_sites * BCC_OCCUPANCY["Sb"]
    if abs(n_sb - round(n_sb)) > 1e-9:
        raise InputError(f"{n_sites} sites cannot hold Sb2Se3 exactly (need a multiple of 5)", field="repeat")
    a = bcc_lattice_parameter(density_g_cm3=float(density_g_cm3))
    basis = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]])
    grid = np.stack(np.meshgrid(*(np.arange(n) for n in reps), indexing="ij"), -1).reshape(-1, 3)
    frac = (grid[:, None, :] + basis[None, :, :]).reshape(-1, 3) / np.array(reps, dtype=float)
    symbols = np.array(["Se"] * n_sites, dtype=object)
    symbols[np.random.default_rng(seed).permutation(n_sites)[: round(n_sb)]] = "Sb"
    atoms = Atoms(symbols=list(symbols), scaled_positions=frac, cell=np.diag(np.array(reps) * a), pbc=True)
    atoms.info.update({"structure": "bcc Im-3m, one site shared 0.4 Sb / 0.6 Se (random)", "a_A": a,
                       "repeat": list(reps), "seed": int(seed)})
    return atoms


def crystal(name: str, *, bcc_density_g_cm3: float = 7.5, seed: int = 0):
    """The starting structure of crystal ``name`` ("pnma" or "bcc")."""
    if name == "pnma":
        return pnma_sb2se3()
    if name == "bcc":
        return bcc_sb2se3_cell(density_g_cm3=bcc_density_g_cm3, seed=seed)
    raise InputError(f"unknown crystal {name!r}; choose one of {', '.join(CRYSTALS)}", field="crystal")


@dataclass
class RelaxResult:
    """One relaxation at a fixed pressure.

    atoms: the relaxed structure (no calculator). energy_eV: potential energy of the cell. stress_GPa: Voigt stress
    (xx, yy, zz, yz, xz, xy; positive = tensile, so an isotropic stress of −P is the target). residual_pressure_GPa:
    −tr(stress)/3 − P. max_force_eV_A: largest atomic force. converged: the optimiser reached ``fmax`` within its
    step limit. skipped: read back from an existing file instead of relaxed.
    """

    atoms: Any
    pressure_GPa: float
    energy_eV: float
    stress_GPa: tuple[float, ...]
    max_force_eV_A: float
    converged: bool
    n_steps: int
    fmax: float
    optimizer: str
    skipped: bool = False

    @property
    def n_atoms(self) -> int:
        return len(self.atoms)

    @property
    def volume_per_atom_A3(self) -> float:
        return float(self.atoms.get_volume() / len(self.atoms))

    @property
    def density_g_cm3(self) -> float:
        return density_g_cm3(self.atoms)

    @property
    def energy_per_atom_eV(self) -> float:
        return self.energy_eV / len(self.atoms)

    @property
    def enthalpy_per_atom_eV(self) -> float:
        """(E + PV)/N, eV (P in eV/Å³)."""
        from ase import units

        return float((self.energy_eV + self.pressure_GPa * units.GPa * self.atoms.get_volume()) / len(self.atoms))

    @property
    def residual_pressure_GPa(self) -> float:
        return float(-np.mean(self.stress_GPa[:3]) - self.pressure_GPa)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (without the atoms; cell lengths and angles instead)."""
        lengths_angles = self.atoms.cell.cellpar()
        d = {"pressure_GPa": self.pressure_GPa, "n_atoms": self.n_atoms, "density_g_cm3": self.density_g_cm3,
             "volume_per_atom_A3": self.volume_per_atom_A3, "energy_eV": self.energy_eV,
             "energy_per_atom_eV": self.energy_per_atom_eV, "enthalpy_per_atom_eV": self.enthalpy_per_atom_eV}
        d.update(dict(zip(("a_A", "b_A", "c_A", "alpha_deg", "beta_deg", "gamma_deg"),
                          (float(x) for x in lengths_angles))))
        d.update({"stress_GPa": list(self.stress_GPa), "residual_pressure_GPa": self.residual_pressure_GPa,
                  "max_force_eV_A": self.max_force_eV_A, "converged": self.converged, "n_steps": self.n_steps,
                  "fmax": self.fmax, "optimizer": self.optimizer, "skipped": self.skipped})
        return d


def _optimizer_class(name: str):
    import ase.optimize

    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}", field="optimizer")
    return getattr(ase.optimize, OPTIMIZERS[key])


def _check_relax_args(pressure_GPa: float, fmax: float, steps: int) -> None:
    if not math.isfinite(pressure_GPa):
        raise InputError(f"pressure must be finite, got {pressure_GPa!r}", field="pressure_GPa")
    if not (math.isfinite(fmax) and fmax > 0):
        raise InputError(f"fmax must be positive, got {fmax!r}", field="fmax")
    if int(steps) < 1:
        raise InputError(f"the step limit must be a positive integer, got {steps!r}", field="steps")


def relax_under_pressure(atoms, calc, pressure_GPa: float, fmax: float = 0.01, steps: int = 500,
                         optimizer: str = "fire",
                         callback: Callable[[int], None] | None = None) -> RelaxResult:
    """Relax positions and the full cell of a copy of ``atoms`` at ``pressure_GPa`` with calculator ``calc``.

    fmax: convergence threshold on forces and on the filter's stress components (eV/Å). steps: the optimiser's
    step limit (a relaxation that hits it is returned with ``converged=False``, not raised). optimizer: "fire" or
    "bfgs". callback(step) runs after every optimiser step. ``atoms`` itself is not changed.
    """
    from ase import units
    from ase.filters import FrechetCellFilter

    pressure_GPa = float(pressure_GPa)
    _check_relax_args(pressure_GPa, float(fmax), steps)
    cls = _optimizer_class(optimizer)
    work = atoms.copy()
    work.calc = calc
    filt = FrechetCellFilter(work, scalar_pressure=pressure_GPa * units.GPa)
    opt = cls(filt, logfile=None)
    if callback is not None:
        opt.attach(lambda: callback(opt.nsteps), interval=1)
    with known_harmless_warnings():  # CHGNet's requires_grad UserWarning on every call (see protocol.py)
        converged = bool(opt.run(fmax=float(fmax), steps=int(steps)))
        energy = float(work.get_potential_energy())
        stress = tuple(float(s) for s in work.get_stress(voigt=True) / units.GPa)
        max_force = float(np.linalg.norm(work.get_forces(), axis=1).max())
    out = work.copy()
    out.calc = None
    out.wrap()
    return RelaxResult(atoms=out, pressure_GPa=pressure_GPa, energy_eV=energy, stress_GPa=stress,
                       max_force_eV_A=max_force, converged=converged, n_steps=int(opt.nsteps), fmax=float(fmax),
                       optimizer=str(optimizer).lower())


@dataclass
class LadderResult:
    """What :func:`relax_ladder` did: one :class:`RelaxResult` per pressure (ladder order), files written."""

    name: str
    out_dir: Path
    results: list[RelaxResult]
    files: dict[float, Path] = field(default_factory=dict)
    table_json: Path | None = None
    table_csv: Path | None = None

    @property
    def skipped(self) -> list[float]:
        """Pressures read back from an earlier run."""
        return [r.pressure_GPa for r in self.results if r.skipped]

    def to_dict(self) -> dict[str, Any]:
        return {"crystal": self.name, "out_dir": str(self.out_dir),
                "pressures_GPa": [r.pressure_GPa for r in self.results],
                "skipped_GPa": self.skipped, "records": [r.to_dict() for r in self.results],
                "files": {f"{p:g}": str(path) for p, path in self.files.items()},
                "table_json": str(self.table_json) if self.table_json else None,
                "table_csv": str(self.table_csv) if self.table_csv else None}


def ladder_file_name(name: str, pressure_GPa: float) -> str:
    """``<name>_P_<p>GPa.extxyz`` (the pressure as ``%g``, as in the protocol's stage names)."""
    return f"{name}_P_{pressure_GPa:g}GPa.extxyz"


_SETTING_KEYS = ("fmax", "max_steps", "optimizer", "potential")


def _write_structure(path: Path, result: RelaxResult, name: str, index: int, settings: dict[str, Any]) -> Path:
    from ase.io import write

    snap = result.atoms.copy()
    snap.calc = None
    rec = result.to_dict()
    info = {"crystal": name, "ladder_index": index}
    for key in ("pressure_GPa", "density_g_cm3", "volume_per_atom_A3", "energy_eV", "energy_per_atom_eV",
                "enthalpy_per_atom_eV", "residual_pressure_GPa", "max_force_eV_A", "converged", "n_steps"):
        info[key] = rec[key]
    info["stress_GPa"] = np.array(result.stress_GPa)
    info.update({k: v for k, v in settings.items() if v is not None})
    snap.info = info
    buf = io.StringIO()
    write(buf, snap, format="extxyz")
    return atomic_write_text(path, buf.getvalue())


def _read_structure(path: Path, pressure: float, settings: dict[str, Any]) -> RelaxResult:
    from ase.io import read

    try:
        atoms = read(path, format="extxyz")
    except Exception as exc:  # noqa: BLE001 - any parse failure of a finished file is the user's to see
        raise InputError(f"cannot read this finished pressure back ({exc}); delete it to relax again",
                         source=path) from None
    info = atoms.info
    for key in _SETTING_KEYS:
        want = settings.get(key)
        have = info.get(key)
        if have is not None and not isinstance(have, str):
            have = have.item() if hasattr(have, "item") else have  # numpy scalar → Python
        if want is not None and have is not None and (str(have) if isinstance(want, str) else have) != want:
            raise InputError(f"was relaxed with {key} = {have!r}, this run asks for {want!r}; use another output "
                             "folder or the same settings", source=path, field=key)
    if abs(float(info.get("pressure_GPa", math.nan)) - pressure) > 1e-9:
        raise InputError(f"holds pressure {info.get('pressure_GPa')!r} GPa, expected {pressure:g}", source=path)
    atoms.calc = None
    return RelaxResult(atoms=atoms, pressure_GPa=pressure, energy_eV=float(info["energy_eV"]),
                       stress_GPa=tuple(float(s) for s in np.atleast_1d(info["stress_GPa"])),
                       max_force_eV_A=float(info["max_force_eV_A"]), converged=bool(info["converged"]),
                       n_steps=int(info["n_steps"]), fmax=float(info.get("fmax", math.nan)),
                       optimizer=str(info.get("optimizer", "")), skipped=True)


def _write_tables(out_dir: Path, name: str, results: list[RelaxResult], meta: dict[str, Any]) -> tuple[Path, Path]:
    from .. import __version__

    rows = sorted((r.to_dict() for r in results), key=lambda d: d["pressure_GPa"])
    doc = {"crystal": name, "hpglass_version": __version__, "metadata": meta,
           "columns": {"pressure_GPa": "target pressure", "density_g_cm3": "mass density",
                       "volume_per_atom_A3": "V/N", "energy_per_atom_eV": "E/N",
                       "enthalpy_per_atom_eV": "(E + PV)/N", "a_A b_A c_A alpha_deg beta_deg gamma_deg": "cell",
                       "residual_pressure_GPa": "-tr(stress)/3 - P of the relaxed cell"},
           "records": rows}
    jpath = atomic_write_text(out_dir / f"{name}_eos.json", json.dumps(doc, indent=1) + "\n")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_TABLE_KEYS)
    for row in rows:
        writer.writerow([(repr(row[k]) if isinstance(row[k], float) else row[k]) for k in _TABLE_KEYS])
    cpath = atomic_write_text(out_dir / f"{name}_eos.csv", buf.getvalue())
    return jpath, cpath


def relax_ladder(atoms, pressures_GPa: Sequence[float], calculator_factory: Callable[[], Any], out_dir: str | Path,
                 name: str = "crystal", fmax: float = 0.01, steps: int = 500, optimizer: str = "fire",
                 metadata: dict[str, Any] | None = None,
                 progress: Callable[[float, int, int], None] | None = None) -> LadderResult:
    """Relax ``atoms`` at each pressure of ``pressures_GPa`` in the order given, each from the previous result.

    Files and resume: see the module docstring. ``calculator_factory`` is called once, and only if some pressure
    still needs relaxing. metadata: JSON-ready facts of the run (potential, device) for the table; its
    ``"potential"`` entry is also stored in each structure file and must match on resume, as must ``fmax``,
    ``steps`` and ``optimizer``. progress(pressure, step, steps) after every optimiser step.
    """
    pressures = [float(p) for p in pressures_GPa]
    if not pressures:
        raise InputError("needs at least one pressure", field="pressures_GPa")
    if not all(math.isfinite(p) for p in pressures):
        raise InputError(f"pressures must be finite, got {pressures}", field="pressures_GPa")
    names = [ladder_file_name(name, p) for p in pressures]
    if len(set(names)) != len(names):
        raise InputError(f"pressures repeat: {pressures}", field="pressures_GPa")
    _check_relax_args(0.0, float(fmax), steps)
    _optimizer_class(optimizer)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = dict(metadata or {})
    settings = {"fmax": float(fmax), "max_steps": int(steps), "optimizer": str(optimizer).lower(),
                "potential": meta.get("potential")}

    # read (and check) every finished pressure first: a mismatch is refused before any work is done
    finished = {p: _read_structure(out_dir / fname, p, settings)
                for p, fname in zip(pressures, names) if (out_dir / fname).is_file()}
    calc = None
    current = atoms.copy()
    current.calc = None
    result = LadderResult(name=name, out_dir=out_dir, results=[])
    for index, (p, fname) in enumerate(zip(pressures, names)):
        path = out_dir / fname
        if p in finished:
            res = finished[p]
        else:
            if calc is None:
                calc = calculator_factory()
            cb = None if progress is None else (lambda k, p=p: progress(p, k, int(steps)))
            res = relax_under_pressure(current, calc, p, fmax=fmax, steps=steps, optimizer=optimizer, callback=cb)
            _write_structure(path, res, name, index, settings)
        result.results.append(res)
        result.files[p] = path
        result.table_json, result.table_csv = _write_tables(out_dir, name, result.results, meta | settings)
        current = res.atoms.copy()
    return result
