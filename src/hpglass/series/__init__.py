"""Pressure series: trends of scalars against pressure, piecewise-linear regimes and breakpoints."""

from .piecewise import PiecewiseFit, fit_piecewise

__all__ = ["PiecewiseFit", "fit_piecewise"]
from .records import DIRECTIONS, Series, SeriesPoint, segments_min_points

__all__ += ["DIRECTIONS", "Series", "SeriesPoint", "segments_min_points"]
from .crystal_reference import (
    CrystalReference,
    bcc_sb2se3,
    crystal_pair_functions,
    pnma_from_coordinates,
    scale_structure,
    volume_ratio_from_eos,
)
from .crystallization import BraggMetrics, CrystallizationResult, bragg_metrics, find_crystallization

__all__ += ["BraggMetrics", "CrystalReference", "CrystallizationResult", "bcc_sb2se3", "bragg_metrics",
            "crystal_pair_functions", "find_crystallization", "pnma_from_coordinates", "scale_structure",
            "volume_ratio_from_eos"]
