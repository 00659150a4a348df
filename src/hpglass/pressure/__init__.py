"""Pressure in the diamond cell: the ruby R1 line and the gold lattice.

* :func:`ruby_pressure` — ruby R1 wavelength → P by Mao et al. (1986), Dewaele et al. (2008) or Shen et al.
  (2020, IPPS-Ruby2020), with the R1 temperature shift of Ragan et al. (1992) or Vos & Schouten (1991) applied to λ0.
* :func:`gold_pressure` — Au d-spacing (any fcc hkl), 2θ + wavelength, or cell volume → P by Fei et al. (2007,
  with its Mie–Grüneisen–Debye thermal pressure) or Dewaele et al. (2004, 298 K).

The scales are evaluated by the maintained calibrant library peritheos (``pip install 'hpglass[pressure]'``);
see each module's docstring for the equations, the published parameters and their sources. Units: GPa, K, nm
(ruby wavelengths), Å (d-spacings, X-ray wavelengths), Å³ (cell volumes), degrees (2θ).
"""

from __future__ import annotations

from .gold import (
    GOLD_SCALES,
    GoldPressure,
    cubic_cell_volume,
    d_spacing_from_two_theta,
    gold_pressure,
    is_fcc_reflection,
    parse_hkl,
)
from .ruby import RUBY_SCALES, TEMPERATURE_CORRECTIONS, RubyPressure, ruby_pressure, ruby_r1_temperature_shift

__all__ = [
    "GOLD_SCALES",
    "RUBY_SCALES",
    "TEMPERATURE_CORRECTIONS",
    "GoldPressure",
    "RubyPressure",
    "cubic_cell_volume",
    "d_spacing_from_two_theta",
    "gold_pressure",
    "is_fcc_reflection",
    "parse_hkl",
    "ruby_pressure",
    "ruby_r1_temperature_shift",
]
