"""Pressure series: trends of scalars against pressure, piecewise-linear regimes and breakpoints."""

from .piecewise import PiecewiseFit, fit_piecewise

__all__ = ["PiecewiseFit", "fit_piecewise"]
