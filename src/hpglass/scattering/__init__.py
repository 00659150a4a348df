"""Diffraction chain: pattern → S(q), F(r), g(r), density (see DESIGN.md)."""

from .config import ScatterConfig, make_config
from .dac import CellGeometry, DacCorrection
from .density import DensityFit, refine_density
from .pattern import Pattern
from .peaks import (
    Coordination,
    PeakFit,
    coordination_number,
    first_peak_r,
    first_sharp_diffraction_peak,
    fit_peak,
    principal_peak,
)
from .pipeline import ScatterResult, process
from .plausible import Plausible, plausible
from .qrange import QRange, choose_q_range
from .quality import Quality, QualityCheck
from .reduce import Reducer

__all__ = [
    "CellGeometry",
    "Coordination",
    "DacCorrection",
    "DensityFit",
    "Pattern",
    "PeakFit",
    "Plausible",
    "QRange",
    "Quality",
    "QualityCheck",
    "Reducer",
    "ScatterConfig",
    "ScatterResult",
    "coordination_number",
    "first_peak_r",
    "choose_q_range",
    "first_sharp_diffraction_peak",
    "fit_peak",
    "make_config",
    "plausible",
    "principal_peak",
    "process",
    "refine_density",
]
