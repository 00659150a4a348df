"""One rule for showing a number with its uncertainty: two significant digits of the error, the value to the same
decimal place (e.g. the Particle Data Group's and the Guide to the Expression of Uncertainty in Measurement's
practice, JCGM 100:2008 §7.2.6). Used by the terminal, the report and the figures; JSON and CSV keep full
precision.

    fmt(11.6412, 0.0871)   → "11.641 ± 0.087"
    fmt(27.91, 15.2)       → "28 ± 15"
    fmt(1234.5, 156)       → "1230 ± 160"
    fmt(4.13812, None)     → "4.138"        (no error: four significant digits, and nothing claims more)
    fmt_short(0.020913, 0.00031) → "0.02091(31)"

A number with no error (a frame average whose spread was not kept, a setting, a count) is shown by one stated
rule, :func:`fmt_value`: four significant digits (:data:`VALUE_DIGITS`), trailing zeros dropped, no exponent
between 10⁻⁴ and 10⁶, integers and non-numbers as they are:

    fmt_value(5.088264438822974)   → "5.088"
    fmt_value(1218.7)              → "1219"
    fmt_value(22.5)                → "22.5"
    fmt_value(0.0248564)           → "0.02486"
"""

from __future__ import annotations

import math

__all__ = ["VALUE_DIGITS", "decimals", "fmt", "fmt_short", "fmt_value", "fmt_with"]

#: significant digits of a number shown without an error (the rule of :func:`fmt_value`)
VALUE_DIGITS = 4


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


def fmt_value(value, unit: str = "", digits: int = VALUE_DIGITS) -> str:
    """A number that has no error by the module's stated rule: ``digits`` significant digits, trailing zeros
    dropped, plain notation for 10⁻⁴ ≤ |value| < 10⁶ (else ``1.235e+07``); ``—`` for None; booleans, integers and
    strings unchanged; nan/inf as Python writes them."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value} {unit}".strip()
    if isinstance(value, int) or (isinstance(value, float) and not math.isfinite(value)):
        return f"{value} {unit}".strip()
    if value == 0:
        return f"0 {unit}".strip()
    mag = math.floor(math.log10(abs(value)))
    if not -4 <= mag < 6:
        return f"{value:.{digits - 1}e} {unit}".strip()
    d = max(digits - 1 - mag, 0)
    text = f"{round(value, d):.{d}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if mag >= digits:  # 123456 → "123500": digits beyond the rule are zeros, not noise
        step = 10 ** (mag + 1 - digits)
        text = f"{round(value / step) * step:.0f}"
    return f"{'0' if text in ('-0', '') else text} {unit}".strip()


def fmt_with(value, err=None, unit: str = "") -> str:
    """:func:`fmt` when ``err`` is a usable error, else :func:`fmt_value`: the one entry point of tables that mix
    numbers with and without errors."""
    if _ok(err) and decimals(err) <= 12 and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value):
        return fmt(value, err, unit)
    return fmt_value(value, unit)
