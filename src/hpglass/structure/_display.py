"""Short reprs and lazy matplotlib axes for the structure results (no array dumps, no import of pyplot at load).

``short_repr("PairDistribution", species="Sb,Se", r="0…6.75 Å (675 bins)")`` →
``PairDistribution(species=Sb,Se, r=0…6.75 Å (675 bins))``: one line of shapes and key scalars, whatever the size
of the arrays the result holds.
"""

from __future__ import annotations

import math

import numpy as np


def num(x, digits: int = 4) -> str:
    """A number in ``digits`` significant digits ('nan' for NaN/None)."""
    if x is None:
        return "None"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else str(v)
    return f"{v:.{digits}g}"


def shape(a) -> str:
    """``(80, 3)``-style shape of an array (or 'None')."""
    if a is None:
        return "None"
    return "×".join(str(n) for n in np.shape(a)) or "scalar"


def short_repr(name: str, **fields) -> str:
    """``Name(k=v, …)`` with the values as given (already formatted strings or short scalars)."""
    parts = []
    for k, v in fields.items():
        if v is None:
            continue
        parts.append(f"{k}={v if isinstance(v, str) else num(v) if isinstance(v, float) else v!s}")
    return f"{name}({', '.join(parts)})"


def dict_repr(d: dict, digits: int = 3, limit: int = 6) -> str:
    """``{Sb: 3.63, Se: 2.46}`` (numbers rounded; at most ``limit`` items, then '…')."""
    items = list(d.items())
    body = ", ".join(f"{k}: {num(v, digits) if isinstance(v, (int, float, np.floating, np.integer)) else v}"
                     for k, v in items[:limit])
    return "{" + body + (", …" if len(items) > limit else "") + "}"


def axes(ax=None):
    """``ax``, or the axes of a new pyplot figure (matplotlib imported here, only when a plot is asked for)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax
