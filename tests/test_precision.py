"""The display rule: two significant digits of the error, the value to the same decimal."""

import pytest

from hpglass.precision import fmt, fmt_short, fmt_value, fmt_with


@pytest.mark.parametrize("v, e, out", [
    (11.6412, 0.0871, "11.641 ± 0.087"),
    (27.91, 15.2, "28 ± 15"),
    (1234.5, 156, "1230 ± 160"),
    (1.0723, 0.00015, "1.07230 ± 0.00015"),
    (0.020913, 0.000031, "0.020913 ± 0.000031"),
    (4.13812, None, "4.138"),
    (None, 0.1, "—"),
    (2.5, 0.0, "2.5"),
    (9.96, 0.96, "9.96 ± 0.96"),
])
def test_fmt(v, e, out):
    assert fmt(v, e) == out


def test_units_and_short():
    assert fmt(1.82, 0.29, "g/cm³") == "1.82 ± 0.29 g/cm³"
    assert fmt_short(0.020913, 0.00031) == "0.02091(31)"


@pytest.mark.parametrize("v, out", [
    (5.088264438822974, "5.088"),  # a frame average with no error kept: four significant digits
    (1218.7, "1219"),
    (22.5, "22.5"),  # trailing zeros dropped
    (70.0, "70"),
    (0.0248564, "0.02486"),
    (-0.00081234, "-0.0008123"),
    (123456.7, "123500"),  # digits beyond the rule are zeros, not noise
    (3.2e-6, "3.200e-06"),  # outside 1e-4 … 1e6: exponent
    (0.0, "0"),
    (None, "—"),
    (7, "7"),  # integers (counts) as they are
    (True, "True"),
    ("n/a", "n/a"),
])
def test_fmt_value(v, out):
    assert fmt_value(v) == out


def test_fmt_value_digits_and_unit():
    assert fmt_value(0.0165322, digits=2) == "0.017"
    assert fmt_value(9.796, "g/cm³") == "9.796 g/cm³"
    assert fmt_value(float("nan")) == "nan"


def test_fmt_with_picks_the_rule():
    assert fmt_with(11.6812, 2.2, "GPa") == "11.7 ± 2.2 GPa"  # an error: two digits of it
    assert fmt_with(11.6812, None, "GPa") == "11.68 GPa"  # none: the stated four-digit rule
    assert fmt_with(11.6812, 0.0) == "11.68"  # a zero error is no error
    assert fmt_with(None, 0.1) == "—"
