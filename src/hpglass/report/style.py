"""The publication style of hpglass's report figures, applied with a context manager (never at import).

``with report_style(): fig = ...`` sets font sizes, line widths, a colour-blind-safe colour cycle (Okabe & Ito,
"Color Universal Design", 2008) and SVG/PNG output settings through :func:`matplotlib.rc_context`; the global
rcParams are restored on exit. The figure functions of :mod:`hpglass.report.figures` enter it themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

__all__ = ["MARKERS", "OKABE_ITO", "PRESSURE_CMAP", "REPORT_RC", "colour", "pressure_cmap", "report_style"]

#: Okabe–Ito palette (black first dropped from the cycle: it is kept for fits and references)
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: marker cycle for series told apart by shape as well as colour (runs in the phase diagram)
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "h")

#: the rcParams the report figures are drawn (and saved) with
REPORT_RC: dict = {
    "font.size": 8.0,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 6.5,
    "legend.frameon": True,  # a light frame keeps legends readable over data
    "legend.framealpha": 0.8,
    "legend.edgecolor": "none",
    "figure.titlesize": 9.5,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    "axes.linewidth": 0.8,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "axes.prop_cycle": None,  # filled in below (cycler import kept out of module import time)
    "image.cmap": "viridis",
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the fonts installed
    "svg.hashsalt": "hpglass",  # stable element ids: identical input gives an identical SVG
    "mathtext.default": "regular",
}


def colour(i: int) -> str:
    """The i-th colour of the report palette (wraps around)."""
    return OKABE_ITO[i % (len(OKABE_ITO) - 1)]


#: the sequential colormap that colours curves by pressure (low pressure dark), and the part of it used: viridis
#: without its palest yellow, so the highest pressure still reads on white
PRESSURE_CMAP: tuple[str, float, float] = ("viridis", 0.0, 0.9)


def pressure_cmap():
    """The colormap of pressure (a :class:`matplotlib.colors.ListedColormap`, 256 steps): curves coloured by
    pressure and their colour bar use the same one, so a curve's colour reads off the bar."""
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    name, lo, hi = PRESSURE_CMAP
    return ListedColormap(colormaps[name](np.linspace(lo, hi, 256)), name=f"hpglass-pressure-{name}")


def _rc(overrides: Mapping | None) -> dict:
    from cycler import cycler

    rc = dict(REPORT_RC)
    rc["axes.prop_cycle"] = cycler(color=list(OKABE_ITO[:-1]))
    if overrides:
        rc.update(overrides)
    return rc


@contextlib.contextmanager
def report_style(overrides: Mapping | None = None) -> Iterator[None]:
    """Draw (and save) with the report style inside the block; ``overrides`` are extra rcParams."""
    import matplotlib

    with matplotlib.rc_context(_rc(overrides)):
        yield
