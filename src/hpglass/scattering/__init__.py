"""Diffraction chain: pattern → S(q), F(r), g(r), density (see DESIGN.md)."""

from .config import ScatterConfig, make_config
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
from .reduce import Reducer

__all__ = [
    "Coordination",
    "DensityFit",
    "Pattern",
    "PeakFit",
    "Reducer",
    "ScatterConfig",
    "ScatterResult",
    "coordination_number",
    "first_peak_r",
    "first_sharp_diffraction_peak",
    "fit_peak",
    "make_config",
    "principal_peak",
    "process",
    "refine_density",
]
