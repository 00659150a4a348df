"""Results of a study run: frozen dataclasses of plain data (arrays + metadata), each with ``to_dict()`` for JSON.

The per-piece payloads (one pattern, one R(T) file, one trajectory) are the dicts that
:mod:`hpglass.study.pieces` returns; the dataclasses here group them by run and add what the runner derives:
trends and breakpoints, the glass EOS and density crossover, Tc(P), the phase-diagram regions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ELF_COLUMNS", "Boundary", "DiffractionRunResult", "PatternPoint", "PhaseDiagram", "Region", "SimulationPoint",
           "SimulationRunResult", "StudyResult", "TcPoint", "TransportRunResult"]


def _plain(obj: Any, arrays: bool = False) -> Any:
    """JSON-ready copy: numpy → lists (or dropped when ``arrays`` is False), objects with to_dict → dicts."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(v, np.ndarray) and not arrays:
                continue
            out[str(k)] = _plain(v, arrays)
        return out
    if isinstance(obj, (list, tuple)):
        return [_plain(v, arrays) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    if hasattr(obj, "to_dict"):
        return _plain(obj.to_dict(), arrays)
    return obj


@dataclass(frozen=True)
class PatternPoint:
    """One diffraction pattern at one pressure: the reduction's summary (``scatter``) and arrays (``data``)."""

    run: str
    direction: str
    pressure_GPa: float
    pressure_err_GPa: float | None
    pressure_source: str
    file: str
    data: dict
    crystalline: bool | None = None

    @property
    def scatter(self) -> dict:
        return self.data.get("scatter") or {}

    def value(self, key: str) -> float | None:
        return self.scatter.get(key)

    @property
    def warnings(self) -> list[str]:
        """Failed quality checks of the reduction (``hpglass.scattering.quality``)."""
        return list(self.scatter.get("warnings") or [])

    def quality_value(self, name: str) -> float | None:
        for c in (self.scatter.get("quality") or {}).get("checks", []):
            if c.get("name") == name:
                v = c.get("value")
                return v if isinstance(v, (int, float)) else None
        return None

    def to_dict(self) -> dict:
        s = self.scatter
        return {"run": self.run, "direction": self.direction, "pressure_GPa": self.pressure_GPa,
                "pressure_err_GPa": self.pressure_err_GPa, "pressure_source": self.pressure_source,
                "file": self.file, "crystalline": self.crystalline, "error": self.data.get("error"),
                "n_sharp_peaks": self.data.get("n_sharp"),
                **{k: s.get(k) for k in ("q1_A-1", "q1_err_A-1", "r1_A", "r1_err_A", "cn", "density_g_cm3",
                                         "density_err_g_cm3", "bkg_scale", "bkg_scale_err")},
                "fsdp_A-1": (s.get("fsdp") or {}).get("position_A-1"),
                **{k: s.get(k) for k in ("r_cutoff_A", "q_min_A-1", "q_max_A-1")},
                "high_q_tail": self.quality_value("high_q_tail"), "low_r_rms_g": self.quality_value("low_r_rms_g"),
                "n_warnings": len(self.warnings), "warnings": " | ".join(self.warnings) or None}


@dataclass(frozen=True)
class DiffractionRunResult:
    """One diffraction run: its points, crystallization, q1/r1 trends, glass EOS and density crossover."""

    name: str
    direction: str
    provenance: str
    wavelength_A: float
    points: tuple[PatternPoint, ...]
    crystallization: dict | None
    q1_fit: Any = None  # PiecewiseFit
    r1_fit: Any = None
    glass_eos: Any = None  # EosFit
    crystal_eos: Any = None  # EquationOfState
    crossover: Any = None  # Crossover
    notes: dict = field(default_factory=dict)

    @property
    def onset_GPa(self) -> float | None:
        return None if not self.crystallization else self.crystallization.get("transition_GPa")

    def to_dict(self) -> dict:
        return {"name": self.name, "direction": self.direction, "provenance": self.provenance,
                "wavelength_A": self.wavelength_A, "points": [p.to_dict() for p in self.points],
                "crystallization": _plain(self.crystallization),
                "q1_trend": _plain(self.q1_fit), "r1_trend": _plain(self.r1_fit),
                "glass_eos": _plain(self.glass_eos), "crystal_eos": _plain(self.crystal_eos),
                "crossover": _plain(self.crossover), "notes": dict(self.notes)}


@dataclass(frozen=True)
class TcPoint:
    """One R(T) file at one pressure: Tc (every transition), semiconducting or not, Hc2 when fields were swept."""

    run: str
    direction: str
    pressure_GPa: float
    file: str
    data: dict

    @property
    def tc(self) -> dict:
        return self.data["tc"]

    @property
    def superconducting(self) -> bool:
        return bool(self.tc.get("superconducting"))

    def tc_K(self, criterion: str = "50") -> float | None:
        key = {"onset": "tc_onset_K", "zero": "tc_zero_K"}.get(criterion, f"tc_{criterion}_K")
        return self.tc.get(key)

    @property
    def transitions_K(self) -> list[float]:
        return [t.get("t_mid_K") for t in self.tc.get("transitions", [])]

    @property
    def transitions_err_K(self) -> list[float | None]:
        """1σ errors of :attr:`transitions_K` (None where the fit gave none)."""
        return [t.get("t_mid_err_K") for t in self.tc.get("transitions", [])]

    @property
    def hc2(self) -> dict | None:
        return self.data.get("hc2")

    def to_dict(self) -> dict:
        h = self.hc2 or {}
        return {"run": self.run, "direction": self.direction, "pressure_GPa": self.pressure_GPa, "file": self.file,
                "superconducting": self.superconducting, "semiconducting": self.data.get("semiconducting"),
                "tc_onset_K": self.tc.get("tc_onset_K"), "tc_onset_err_K": self.tc.get("tc_onset_err_K"),
                "tc_50_K": self.tc.get("tc_50_K"), "tc_50_err_K": self.tc.get("tc_50_err_K"),
                "tc_zero_K": self.tc.get("tc_zero_K"), "tc_zero_err_K": self.tc.get("tc_zero_err_K"),
                "transitions_K": self.transitions_K, "transitions_err_K": self.transitions_err_K,
                "fields_T": self.data.get("fields_T"), "hc2_whh_T": h.get("hc2_whh_T"),
                "hc2_whh_err_T": h.get("hc2_whh_err_T"), "hc2_gl_T": h.get("hc2_gl_T"),
                "hc2_gl_err_T": h.get("hc2_gl_err_T"), "hc2_extrapolated": h.get("extrapolation"),
                "dHc2dT_T_per_K": h.get("dHc2dT_T_per_K"), "hc2_error": self.data.get("hc2_error")}


@dataclass(frozen=True)
class TransportRunResult:
    name: str
    direction: str
    provenance: str
    curves: tuple[TcPoint, ...]
    sigma: dict | None = None  # sigma_piece output

    def to_dict(self) -> dict:
        sig = None
        if self.sigma is not None:
            sig = {"file": self.sigma["file"], "kind": self.sigma["kind"], "error": self.sigma["error"],
                   "regimes": self.sigma["regimes"]}
        return {"name": self.name, "direction": self.direction, "provenance": self.provenance,
                "curves": [c.to_dict() for c in self.curves], "sigma": sig}


#: the ELF numbers of a simulation point kept in its JSON row and in tables/elf.csv: column → (path in the
#: analysis summary of :func:`hpglass.study.elf_grids.analyse_elf_grid`, definition with unit)
ELF_COLUMNS: dict[str, tuple[tuple[str, ...], str]] = {
    "elf_mean": (("mean_elf",), "mean ELF over the cell's grid points (dimensionless, 0-1)"),
    "elf_bond_midpoint_mean": (("bond_midpoint", "mean",),
                               "mean ELF at the midpoints of the bonds (pairs within the run's cutoffs_A)"),
    "elf_bond_midpoint_sem": (("bond_midpoint", "sem"), "its standard error (s/sqrt(n) over the bonds)"),
    "elf_bond_midpoint_median": (("bond_midpoint", "median"), "median ELF at the bond midpoints"),
    "elf_n_bonds": (("bond_midpoint", "n_bonds"), "number of bonds of the frame"),
    "elf_fraction_near_half": (("fraction_near_half",),
                               "fraction of the cell volume with ELF in the near_half window (electron-gas-like)"),
    "elf_fraction_above_0.7": (("fraction_above_0.7",), "fraction of the cell volume with ELF > 0.7 (localized)"),
}


def _dig(d: dict | None, path: tuple[str, ...]):
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


@dataclass(frozen=True)
class SimulationPoint:
    """One simulated trajectory at one pressure (or a crystal reference, pressure None): ``hpglass structure``'s
    frame-averaged summary (with the ``*_sem`` standard errors of the mean over frames) and the arrays read back
    for the figures; ``summary["elf"]`` holds the analysis of the run's ELF grid at this pressure, if any."""

    run: str
    pressure_GPa: float | None
    label: str
    file: str
    summary: dict
    arrays: dict

    @property
    def density_std_g_cm3(self) -> float | None:
        """Standard deviation of the frames' densities (mass / cell volume; ddof = 1): the NPT cell's fluctuation,
        s = SEM · √n from ``hpglass structure``'s SEM s/√n over the n frames. None for one frame."""
        s = self.summary
        sem, n = s.get("density_g_cm3_sem"), s.get("n_frames")
        if sem is None or not n or n < 2:
            return None
        return float(sem) * float(np.sqrt(n))

    @property
    def elf(self) -> dict | None:
        """The ELF analysis summary at this pressure (``hpglass.study.elf_grids.analyse_elf_grid``), or None."""
        return self.summary.get("elf")

    def elf_row(self) -> dict:
        """The ELF numbers of :data:`ELF_COLUMNS` (empty without an ELF grid)."""
        e = self.elf
        if not e:
            return {}
        row = {k: _dig(e, path) for k, (path, _) in ELF_COLUMNS.items()}
        row["elf_near_half_window"] = e.get("near_half_window")
        for sp, v in sorted(((e.get("per_species") or {}).get("mean_elf_by_species") or {}).items()):
            row[f"elf_mean_{sp}"] = v  # grid points nearest to an atom of that species (Voronoi regions)
        for pair, b in sorted(((e.get("bond_midpoint") or {}).get("by_pair") or {}).items()):
            row[f"elf_bond_midpoint_mean_{pair}"] = b.get("mean")
            row[f"elf_bond_midpoint_sem_{pair}"] = b.get("sem")
        row["elf_grid_shape"] = e.get("shape")
        row["elf_file"] = e.get("file")
        return row

    def to_dict(self) -> dict:
        s = self.summary
        rings = (s.get("rings") or {}).get("per_atom")
        coord = s.get("coordination") or {}
        altbc, altbc_sem = s.get("altbc") or {}, s.get("altbc_sem") or {}
        return {"run": self.run, "pressure_GPa": self.pressure_GPa, "label": self.label, "file": self.file,
                "n_frames": s.get("n_frames"), "density_g_cm3": s.get("density_g_cm3"),
                "density_sem_g_cm3": s.get("density_g_cm3_sem"), "density_std_g_cm3": self.density_std_g_cm3,
                "coordination_mean": coord.get("mean"), "coordination_mean_sem": coord.get("mean_sem"),
                "coordination_by_species": coord.get("by_species"),
                "angle_fraction_near_60": s.get("angle_fraction_near_60"),
                "angle_fraction_near_60_sem": s.get("angle_fraction_near_60_sem"),
                "altbc_mean_ratio": altbc.get("mean_ratio"), "altbc_mean_ratio_sem": altbc_sem.get("mean_ratio"),
                "q4": s.get("q4"), "q6": s.get("q6"), "bcc_fraction": s.get("bcc_fraction"),
                "bcc_fraction_sem": s.get("bcc_fraction_sem"),
                "q1_A-1": s.get("q1_A-1"), "r1_X_A": s.get("r1_X_A"), "rings_per_atom": rings, **self.elf_row()}


@dataclass(frozen=True)
class SimulationRunResult:
    name: str
    direction: str
    provenance: str
    points: tuple[SimulationPoint, ...]
    references: tuple[SimulationPoint, ...] = ()

    def to_dict(self) -> dict:
        return {"name": self.name, "direction": self.direction, "provenance": self.provenance,
                "points": [p.to_dict() for p in self.points], "references": [p.to_dict() for p in self.references]}


@dataclass(frozen=True)
class Boundary:
    """A boundary between two regimes: pressure ± 1σ, the measurement it comes from, the other estimates."""

    name: str
    pressure_GPa: float | None
    err_GPa: float | None
    source: str
    candidates: tuple[dict, ...] = ()
    note: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "pressure_GPa": self.pressure_GPa, "err_GPa": self.err_GPa, "source": self.source,
                "candidates": list(self.candidates), "note": self.note}


@dataclass(frozen=True)
class Region:
    name: str
    lo_GPa: float
    hi_GPa: float
    lo_err_GPa: float | None
    hi_err_GPa: float | None

    def to_dict(self) -> dict:
        return {"name": self.name, "lo_GPa": self.lo_GPa, "hi_GPa": self.hi_GPa, "lo_err_GPa": self.lo_err_GPa,
                "hi_err_GPa": self.hi_err_GPa}


@dataclass(frozen=True)
class PhaseDiagram:
    """Tc(P) of every transport run and the structural regimes (LDA, HDA, bcc) with their boundaries."""

    tc_points: tuple[dict, ...]
    boundaries: tuple[Boundary, ...]
    regions: tuple[Region, ...]
    crossover_GPa: float | None
    crossover_err_GPa: float | None
    tc_upturn: dict | None = None
    p_range_GPa: tuple[float, float] = (0.0, 1.0)

    def boundary(self, name: str) -> Boundary | None:
        return next((b for b in self.boundaries if b.name == name), None)

    def to_dict(self) -> dict:
        return {"tc_points": list(self.tc_points), "boundaries": [b.to_dict() for b in self.boundaries],
                "regions": [r.to_dict() for r in self.regions], "crossover_GPa": self.crossover_GPa,
                "crossover_err_GPa": self.crossover_err_GPa, "tc_upturn": self.tc_upturn,
                "p_range_GPa": list(self.p_range_GPa)}


@dataclass(frozen=True)
class StudyResult:
    """Everything a study run produced (what the tables, figures and report are made from)."""

    name: str
    source: str
    composition: str
    settings: dict
    diffraction: tuple[DiffractionRunResult, ...]
    transport: tuple[TransportRunResult, ...]
    simulation: tuple[SimulationRunResult, ...]
    references: dict | None
    phase_diagram: PhaseDiagram
    crystal_density_g_cm3: float | None
    versions: dict
    cache: dict
    timings_s: dict
    claims: tuple = ()
    files: dict = field(default_factory=dict)

    def crystal_r1_curves(self) -> dict[str, np.ndarray]:
        """name → the pressures (GPa) of each crystal reference's r1 curve (``references["curves"]``): its own
        (``pressures_by_curve``, e.g. the relaxed Pnma structures) or the study's common grid."""
        if not self.references:
            return {}
        own = self.references.get("pressures_by_curve") or {}
        common = np.asarray(self.references["pressure_GPa"], dtype=float)
        return {k: np.asarray(own.get(k, common), dtype=float) for k in self.references["curves"]}

    def to_dict(self) -> dict:
        ref = None
        if self.references:
            ref = {"pressure_GPa": _plain(self.references["pressure_GPa"], True),
                   "crystal_density_g_cm3": _plain(self.references["crystal_density_g_cm3"], True),
                   "r1_A": {k: _plain(v, True) for k, v in self.references["curves"].items()},
                   "r1_pressure_GPa": {k: _plain(v, True) for k, v in self.crystal_r1_curves().items()},
                   "r1_definition": ("first maximum of the crystal's Z-weighted total g(r), pairs broadened by a "
                                     "Gaussian of sample.crystal.reference_sigma_A")}
        return {"name": self.name, "source": self.source, "composition": self.composition,
                "settings": _plain(self.settings), "versions": dict(self.versions),
                "diffraction": [r.to_dict() for r in self.diffraction],
                "transport": [r.to_dict() for r in self.transport],
                "simulation": [r.to_dict() for r in self.simulation],
                "crystal_references": ref, "phase_diagram": self.phase_diagram.to_dict(),
                "crystal_density_g_cm3": self.crystal_density_g_cm3,
                "claims": [_plain(c) for c in self.claims], "cache": dict(self.cache),
                "timings_s": dict(self.timings_s), "files": dict(self.files)}
