"""One rule for showing a number with its uncertainty: two significant digits of the error, the value to the same
decimal place (e.g. the Particle Data Group's and the Guide to the Expression of Uncertainty in Measurement's
practice, JCGM 100:2008 §7.2.6). Used by the terminal, the report and the figures; JSON and CSV keep full
precision.

    fmt(11.6412, 0.0871)   → "11.641 ± 0.087"
    fmt(27.91, 15.2)       → "28 ± 15"
    fmt(1234.5, 156)       → "1230 ± 160"
    fmt(4.13812, None)     → "4.138"        (no error: four significant digits, and nothing claims more)
    fmt_short(0.020913, 0.00031) → "0.02091(31)"
"""

from __future__ import annotations

import math

__all__ = ["decimals", "fmt", "fmt_short"]


def decimals(err: float) -> int:
    """Decimal places that show two significant digits of ``err`` (negative: round to tens, hundreds …)."""
    return 1 - int(math.floor(math.log10(abs(err))))


def _ok(err) -> bool:
    return err is not None and isinstance(err, (int, float)) and math.isfinite(err) and err > 0


def fmt(value: float | None, err: float | None = None, unit: str = "", digits: int = 4) -> str:
    """``value ± err unit`` by the module's rule; ``—`` for None; ``digits`` significant digits without an error."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—" if value is None else f"{value} {unit}".strip()
    if not _ok(err):
        return f"{value:.{digits}g} {unit}".strip()
    d = decimals(err)
    if d > 12:  # a relative error below 1e-12 is no error worth showing
        return f"{value:.{digits}g} {unit}".strip()
    if d >= 0:
        return f"{value:.{d}f} ± {err:.{d}f} {unit}".strip()
    step = 10 ** (-d)
    return f"{round(value / step) * step:.0f} ± {round(err / step) * step:.0f} {unit}".strip()


def fmt_short(value: float, err: float | None) -> str:
    """Concise ``value(err)`` notation with two significant digits of the error: 0.02091(31)."""
    if not _ok(err):
        return f"{value:.3g}"
    d = decimals(err)
    if d < 0:
        return fmt(value, err)
    return f"{value:.{d}f}({round(err * 10**d):d})"
