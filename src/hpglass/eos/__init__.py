"""Equations of state: P–V forms, fits with errors in P and V, F–f points, density crossovers, references.

See :mod:`hpglass.eos.forms` (formulas and references), :mod:`hpglass.eos.fit` (estimators and covariance),
:mod:`hpglass.eos.crossover` (density crossover and its error) and :mod:`hpglass.eos.references` (crystal EOS
with the status of their numbers). Files are read by :func:`hpglass.io.eos_tables.read_eos_table`.
"""

from .crossover import Crossing, Crossover, crossover_monte_carlo, density_crossover
from .fit import EosFit, EquationOfState, FfPoints, eos_from_params, ff_points, fit_density, fit_eos, fit_ff_line
from .forms import FORMS, PARAMS
from .references import ReferenceEos, get_reference, list_references, register

__all__ = ["FORMS", "PARAMS", "Crossing", "Crossover", "EosFit", "EquationOfState", "FfPoints", "ReferenceEos",
           "crossover_monte_carlo", "density_crossover", "eos_from_params", "ff_points", "fit_density", "fit_eos",
           "fit_ff_line", "get_reference", "list_references", "register"]
