"""Pressure series: trends of scalars against pressure, piecewise-linear regimes and breakpoints,
crystallization onset, crystal-reference pair functions."""

from .crystal_reference import (
    CrystalReference,
    bcc_sb2se3,
    crystal_pair_functions,
    pnma_from_coordinates,
    scale_structure,
    volume_ratio_from_eos,
)
from .crystallization import BraggMetrics, CrystallizationResult, bragg_metrics, find_crystallization
from .piecewise import PiecewiseFit, fit_piecewise
from .records import DIRECTIONS, Series, SeriesPoint, segments_min_points

__all__ = [
    "DIRECTIONS", "BraggMetrics", "CrystalReference", "CrystallizationResult", "PiecewiseFit", "Series",
    "SeriesPoint", "bcc_sb2se3", "bragg_metrics", "crystal_pair_functions", "find_crystallization",
    "fit_piecewise", "pnma_from_coordinates", "scale_structure", "segments_min_points", "volume_ratio_from_eos",
]
