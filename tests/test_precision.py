"""The display rule: two significant digits of the error, the value to the same decimal."""

import pytest

from hpglass.precision import fmt, fmt_short


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
