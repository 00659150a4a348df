"""Input checks shared by the calibrants."""

from __future__ import annotations

import math

from ..errors import InputError


def finite_number(value, name: str, *, positive: bool = False, allow_none: bool = False) -> float | None:
    """``value`` as a finite float (positive, or non-negative); None passes when ``allow_none``."""
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number", field=name) from None
    if not math.isfinite(v) or (positive and v <= 0) or v < 0:
        raise InputError(f"must be a finite {'positive' if positive else 'non-negative'} number, got {value!r}",
                         field=name)
    return v


def smaller_uncertainty(sigma: float | None, value: float, name: str, what: str) -> None:
    """A standard uncertainty at least as large as the measured value itself (a 100 % error, or a slip such as
    1e308) would make the propagated pressure error meaningless or infinite: refused."""
    if sigma is not None and not sigma < abs(value):
        raise InputError(f"standard uncertainty {sigma:g} is not smaller than the {what} itself ({value:g})",
                         field=name)
