"""read_pattern: every real pattern file under shared/data/xrd, and synthetic bad input."""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.io import read_pattern
from hpglass.io.patterns import normalize_x_unit

# Counted by hand (awk over the data rows); x values are the first and last finite rows as written in the file.
# (path under xrd/, points, unit, wavelength Å or None, first x, last x, dropped NaN rows, format)
READABLE = [
    ("dioptas/CeO2_Pilatus1M.xy", 1512, "2theta", 0.4066, 1.019698551e-02, 3.082548718e01, 0, "pyfai-xy"),
    ("dioptas/pattern_001.xy", 1400, "2theta", 0.320179398976, 1.589844e-02, 4.449973e01, 0, "pyfai-xy"),
    ("dioptas/test_bg.xy", 100, "2theta", None, 0.1, 15.0, 0, "pyfai-xy"),
    ("dioptas/Fe7C3_300_020.chi", 1449, "2theta", None, 1.0420958e-02, 3.0189514e01, 0, "fit2d-chi"),
    ("glassure/Argon_1GPa.chi", 2048, "q_nm", None, 2.6720984e-02, 1.0942243e02, 0, "fit2d-chi"),
    ("glassure/Argon_1GPa_bkg.chi", 2048, "q_nm", None, 2.6720984e-02, 1.0942243e02, 0, "fit2d-chi"),
    ("glassure/Mg2SiO4_ambient.xy", 4845, "q_A", 0.1908, 1.235171111, 2.843890482e01, 0, "pyfai-xy"),
    ("glassure/Mg2SiO4_ambient_bkg.xy", 4845, "q_A", 0.1908, 1.235171111, 2.843890482e01, 0, "pyfai-xy"),
    ("glassure/Mg2SiO4_091.xy", 3912, "q_A", 0.31, 5.886490609e-01, 1.096036556e01, 0, "pyfai-xy"),
    ("glassure/glass_rod_SS.xy", 4117, "q_A", 0.2064, 6.938585122e-01, 1.537914564e01, 0, "pyfai-xy"),
    ("glassure/glass_rod_WOS.xy", 4120, "q_A", 0.2064, 6.938585122e-01, 1.538984920e01, 0, "pyfai-xy"),
    ("glassure/history_2014/Mg2SiO4_085.xy", 3912, "q_A", 0.31, 5.886490609e-01, 1.096036556e01, 0, "pyfai-xy"),
    ("glassure/history_2014/Mg2SiO4_120.xy", 2151, "q_A", 0.31, 5.897348048e-01, 1.096009245e01, 0, "pyfai-xy"),
    ("glassure/history_2014/Mg2SiO4_120_bkg.xy", 2151, "q_A", 0.31, 5.897348048e-01, 1.096009245e01, 0,
     "pyfai-xy"),
    # 4327 rows, of which the last 415 (x > 10.96) have NaN intensity
    ("glassure/history_2014/Mg2SiO4_175.xy", 3912, "q_A", 0.31, 5.886490609e-01, 1.096036556e01, 415, "pyfai-xy"),
    ("glassure/history_2014/Mg2SiO4_177.xy", 3912, "q_A", 0.31, 5.886490609e-01, 1.096036556e01, 415, "pyfai-xy"),
]
# real files that must be refused without help: (path, words in the message, line or None)
REFUSED = [
    ("glassure/Fe81S19.chi", "x unit not stated in the file; pass --x-unit q|q_nm|2theta", None),
    ("glassure/Fe81S19_bkg.chi", "x unit not stated in the file; pass --x-unit q|q_nm|2theta", None),
    # Fit2D header says 1455 points but the file stops after 75 rows (truncated upstream)
    ("dioptas/pattern_001.chi", "header declares 1455 points (line 4) but the file holds 75 data rows", 4),
]


# -- real files --------------------------------------------------------------------------------------------------------
def test_every_real_pattern_file_is_covered(shared_data):
    on_disk = {p.relative_to(shared_data / "xrd").as_posix() for p in (shared_data / "xrd").rglob("*")
               if p.suffix in (".xy", ".chi")}
    covered = {row[0] for row in READABLE} | {row[0] for row in REFUSED}
    assert on_disk == covered


@pytest.mark.parametrize(("rel", "n", "unit", "lam", "x0", "x1", "dropped", "fmt"), READABLE,
                         ids=[row[0] for row in READABLE])
def test_real_file_reads(shared_data, rel, n, unit, lam, x0, x1, dropped, fmt):
    path = shared_data / "xrd" / rel
    p = read_pattern(path)
    assert len(p) == n
    assert p.unit == unit
    assert p.wavelength == (None if lam is None else pytest.approx(lam, rel=1e-12))
    assert p.x[0] == pytest.approx(x0, rel=1e-12)
    assert p.x[-1] == pytest.approx(x1, rel=1e-12)
    assert p.meta["dropped_rows"] == dropped
    assert p.meta["format"] == fmt
    assert p.source == str(path)
    assert np.all(np.isfinite(p.y)) and np.all(np.diff(p.x) > 0)


@pytest.mark.parametrize(("rel", "words", "line"), REFUSED, ids=[row[0] for row in REFUSED])
def test_real_file_refused(shared_data, rel, words, line):
    path = shared_data / "xrd" / rel
    with pytest.raises(InputError) as err:
        read_pattern(path)
    assert words in str(err.value)
    assert str(path) in str(err.value)
    assert err.value.line == line


def test_headerless_fe81s19_reads_with_x_unit(shared_data):
    p = read_pattern(shared_data / "xrd/glassure/Fe81S19.chi", x_unit="q")
    # the data README says 2501 points; the file has 2500 rows (3.0 … 25.0 in steps of 0.0088035) + a blank line
    assert (len(p), p.unit, p.wavelength, p.meta["format"]) == (2500, "q_A", None, "plain")
    assert (p.x[0], p.x[-1]) == (3.0, 25.0)
    assert p.meta["header"] == []
    assert p.meta["x_unit_from"] == "x_unit argument"


def test_argon_nm_converts_to_angstrom(shared_data):
    p = read_pattern(shared_data / "xrd/glassure/Argon_1GPa.chi")
    assert p.meta["header"][1] == "Q (Inverse Nanometres)"
    q = p.to_q(0.37)
    assert q.unit == "q_A" and q.wavelength == 0.37
    np.testing.assert_allclose(q.x, p.x / 10)
    assert q.x[-1] == pytest.approx(10.942243)


def test_header_and_sources_recorded(shared_data):
    p = read_pattern(shared_data / "xrd/glassure/Mg2SiO4_ambient.xy")
    assert len(p.meta["header"]) == 17
    assert p.meta["header"][12] == "# Wavelength: 1.908e-11"
    assert p.meta["wavelength_from"] == "header line 13"
    assert p.meta["x_unit_from"] == "header line 17"
    assert "sigma" not in p.meta


def test_nan_tail_rows_are_dropped(shared_data):
    p = read_pattern(shared_data / "xrd/glassure/history_2014/Mg2SiO4_175.xy")
    assert p.meta["dropped_rows"] == 415
    assert p.x[-1] < 10.9604 < 12.0


def test_dark_subtracted_background_with_negative_intensities_reads(shared_data):
    p = read_pattern(shared_data / "xrd/dioptas/test_bg.xy")
    assert p.y.min() < 0 < p.y.max()
    assert p.meta["header"][0] == "None"  # Dioptas wrote a stray "None" line before the '#' header


def test_explicit_values_that_agree_with_the_header_are_accepted(shared_data):
    path = shared_data / "xrd/glassure/Mg2SiO4_ambient.xy"
    p = read_pattern(path, x_unit="q", wavelength=0.1909)  # 0.05 % from 0.1908
    assert p.wavelength == 0.1909 and p.meta["wavelength_from"] == "wavelength argument"
    assert read_pattern(path, x_unit="q_A").unit == "q_A"


def test_wavelength_contradicting_the_header_names_the_line(shared_data):
    path = shared_data / "xrd/glassure/Mg2SiO4_ambient.xy"
    with pytest.raises(InputError) as err:
        read_pattern(path, wavelength=0.31)
    assert err.value.line == 13 and f"{path}:13" in str(err.value)
    assert "0.1908" in str(err.value)


@pytest.mark.parametrize(("rel", "x_unit", "line"), [
    ("glassure/Mg2SiO4_ambient.xy", "2theta", 17),
    ("glassure/Argon_1GPa.chi", "q", 2),
    ("dioptas/Fe7C3_300_020.chi", "q_nm", 2),
])
def test_x_unit_contradicting_the_header_names_the_line(shared_data, rel, x_unit, line):
    with pytest.raises(InputError) as err:
        read_pattern(shared_data / "xrd" / rel, x_unit=x_unit)
    assert err.value.line == line
    assert "header states" in str(err.value)


def test_input_file_is_not_modified(shared_data):
    path = shared_data / "xrd/glassure/history_2014/Mg2SiO4_177.xy"
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    read_pattern(path)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


# -- synthetic input ---------------------------------------------------------------------------------------------------
def _write(tmp_path: Path, text: str, name: str = "p.xy") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


PYFAI_Q = "# Wavelength: 3.1e-11 m\n#\n# q_A^-1  I\n"


def test_nan_rows_dropped_and_counted(tmp_path):
    path = _write(tmp_path, PYFAI_Q + "1.0 5\n1.1 nan\n1.2 6\ninf 1\n1.3 7\n")
    p = read_pattern(path)
    assert p.x.tolist() == [1.0, 1.2, 1.3]
    assert p.meta["dropped_rows"] == 2


def test_unsorted_x_names_the_line(tmp_path):
    path = _write(tmp_path, PYFAI_Q + "1.0 5\n1.1 5\n1.05 5\n1.2 5\n")
    with pytest.raises(InputError, match="decreases") as err:
        read_pattern(path)
    assert err.value.line == 6 and f"{path}:6" in str(err.value)


def test_duplicate_x_names_the_line(tmp_path):
    path = _write(tmp_path, PYFAI_Q + "1.0 5\n1.1 5\n1.1 6\n")
    with pytest.raises(InputError, match="repeats") as err:
        read_pattern(path)
    assert err.value.line == 6


def test_line_numbers_skip_dropped_rows(tmp_path):
    path = _write(tmp_path, PYFAI_Q + "1.0 5\n1.1 nan\n0.9 5\n")
    with pytest.raises(InputError) as err:
        read_pattern(path)
    assert err.value.line == 6


def test_negative_x_names_the_line(tmp_path):
    path = _write(tmp_path, "# 2th_deg I\n-0.1 5\n0.1 5\n")
    with pytest.raises(InputError, match="negative x") as err:
        read_pattern(path)
    assert err.value.line == 2


@pytest.mark.parametrize("ys", [(0, 0, 0), (-1, 0, -2)])
def test_no_positive_intensity_is_refused(tmp_path, ys):
    path = _write(tmp_path, PYFAI_Q + "".join(f"{1 + i / 10} {y}\n" for i, y in enumerate(ys)))
    with pytest.raises(InputError, match="all intensities are zero or negative"):
        read_pattern(path)


def test_some_negative_intensities_are_fine(tmp_path):
    p = read_pattern(_write(tmp_path, PYFAI_Q + "1.0 -3\n1.1 2\n1.2 -1\n"))
    assert p.y.tolist() == [-3, 2, -1]


@pytest.mark.parametrize(("text", "words"), [
    ("", "file is empty"),
    ("\n   \n", "file is empty"),
    ("# only a header\n# q_A^-1 I\n", "no data rows found"),
    (PYFAI_Q + "1.0 5\n", "only 1 finite data row"),
    (PYFAI_Q + "1.0 5\n1.1 nan\n", "only 1 finite data row"),
])
def test_too_little_data(tmp_path, text, words):
    with pytest.raises(InputError, match=words):
        read_pattern(_write(tmp_path, text))


@pytest.mark.parametrize("garbage", ["oops", "1.2 abc", "1,2,3x", "<html>"])
def test_garbage_line_is_named(tmp_path, garbage):
    lines = ["# q_A^-1 I", "1.0 1", "1.1 2", "1.2 3", garbage, "1.4 5"]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="not a row of numbers") as err:
        read_pattern(path)
    assert err.value.line == 5 and f"{path}:5" in str(err.value)


def test_garbage_in_the_first_data_row(tmp_path):
    with pytest.raises(InputError) as err:
        read_pattern(_write(tmp_path, "# q_A^-1 I\n1.0 x\n1.1 2\n"))
    assert err.value.line == 2


def test_single_column_row_is_named(tmp_path):
    with pytest.raises(InputError, match="at least 2 columns") as err:
        read_pattern(_write(tmp_path, "# q_A^-1 I\n1.0 1\n1.1\n1.2 3\n"))
    assert err.value.line == 3


def test_two_theta_to_q_needs_a_wavelength(tmp_path):
    p = read_pattern(_write(tmp_path, "# 2th_deg I\n5 1\n10 2\n20 3\n"))
    assert p.unit == "2theta" and p.wavelength is None
    with pytest.raises(InputError, match="no wavelength"):
        p.to_q()
    q = read_pattern(_write(tmp_path, "# 2th_deg I\n5 1\n10 2\n20 3\n"), wavelength=0.3).to_q()
    np.testing.assert_allclose(q.x, 4 * np.pi * np.sin(np.radians([5, 10, 20]) / 2) / 0.3)


def test_two_theta_radians_are_converted_to_degrees(tmp_path):
    p = read_pattern(_write(tmp_path, f"# 2th_rad I\n0.1 1\n{math.pi / 4} 2\n"))
    assert p.unit == "2theta"
    np.testing.assert_allclose(p.x, [math.degrees(0.1), 45.0])


@pytest.mark.parametrize("column", ["r_mm", "chi_deg", "d*2_A^-2"])
def test_unsupported_pyfai_unit(tmp_path, column):
    with pytest.raises(InputError, match="unsupported unit") as err:
        read_pattern(_write(tmp_path, f"# pyFAI\n# {column} I\n1 1\n2 2\n"), x_unit="q")
    assert err.value.line == 2


def test_q_nm_header_and_comma_separated_with_sigma(tmp_path):
    p = read_pattern(_write(tmp_path, "q_nm^-1,I,sigma\n10,5,0.5\n20,6,0.6\n30,7,0.7\n", "p.csv"))
    assert p.unit == "q_nm"
    assert p.meta["sigma"].tolist() == [0.5, 0.6, 0.7]


def test_extra_columns_beyond_the_third_are_ignored(tmp_path):
    p = read_pattern(_write(tmp_path, "1 5 0.1 99 98\n2 6 0.2 99 98\n", "p.dat"), x_unit="2theta")
    assert p.y.tolist() == [5, 6] and p.meta["sigma"].tolist() == [0.1, 0.2]


def test_rows_shorter_than_the_first_are_refused(tmp_path):
    with pytest.raises(InputError, match="expected 3 columns") as err:
        read_pattern(_write(tmp_path, "1 5 0.1\n2 6\n", "p.dat"), x_unit="q")
    assert err.value.line == 2


def test_inline_and_interleaved_comments(tmp_path):
    p = read_pattern(_write(tmp_path, "# q_A^-1 I\n1 5  # first\n# a note\n\n2 6\n"))
    assert p.x.tolist() == [1, 2]


def test_plain_file_without_unit_needs_x_unit(tmp_path):
    path = _write(tmp_path, "1 5\n2 6\n", "p.txt")
    with pytest.raises(InputError, match=re.escape("pass --x-unit q|q_nm|2theta")):
        read_pattern(path)
    assert read_pattern(path, x_unit="q_nm").unit == "q_nm"


@pytest.mark.parametrize(("label", "unit"), [
    ("2-Theta Angle (Degrees)", "2theta"),
    ("Q (Inverse Nanometres)", "q_nm"),
    ("Q (Inverse Angstroms)", "q_A"),
])
def test_fit2d_labels(tmp_path, label, unit):
    p = read_pattern(_write(tmp_path, f"title\n{label}\nIntensity\n       2\n 1.0 5\n 2.0 6\n", "p.chi"))
    assert (p.unit, p.meta["format"], p.meta["x_unit_from"]) == (unit, "fit2d-chi", "header line 2")


def test_fit2d_radial_axis_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a scattering angle") as err:
        read_pattern(_write(tmp_path, "title\nRadial Distance (mm)\nIntensity\n 2\n1 5\n2 6\n", "p.chi"))
    assert err.value.line == 2


def test_fit2d_unknown_label_accepts_x_unit(tmp_path):
    path = _write(tmp_path, "title\nSomething\nIntensity\n 2\n1 5\n2 6\n", "p.chi")
    with pytest.raises(InputError, match="not recognised"):
        read_pattern(path)
    assert read_pattern(path, x_unit="2theta").unit == "2theta"


def test_fit2d_point_count_mismatch(tmp_path):
    with pytest.raises(InputError, match="declares 3 points") as err:
        read_pattern(_write(tmp_path, "title\nQ (Inverse Angstroms)\nI\n 3\n1 5\n2 6\n", "p.chi"))
    assert err.value.line == 4


@pytest.mark.parametrize(("line", "lam"), [
    ("# Wavelength: 3.1e-11 m", 0.31),
    ("# Wavelength: 3.1e-11", 0.31),
    ("# Wavelength = 0.031 nm", 0.31),
    ("# wavelength: 0.31 A", 0.31),
])
def test_wavelength_units(tmp_path, line, lam):
    assert read_pattern(_write(tmp_path, f"{line}\n# q_A^-1 I\n1 1\n2 2\n")).wavelength == pytest.approx(lam)


@pytest.mark.parametrize("line", ["# Wavelength: 0.31", "# Wavelength: abc m", "# Wavelength: 0.3 furlongs"])
def test_implausible_or_unreadable_wavelength(tmp_path, line):
    with pytest.raises(InputError, match="wavelength") as err:
        read_pattern(_write(tmp_path, f"{line}\n# q_A^-1 I\n1 1\n2 2\n"))
    assert err.value.line == 1


@pytest.mark.parametrize("bad", [0.0, -0.3, float("nan")])
def test_bad_explicit_wavelength(tmp_path, bad):
    with pytest.raises(InputError, match="wavelength"):
        read_pattern(_write(tmp_path, "# 2th_deg I\n1 1\n2 2\n"), wavelength=bad)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found") as err:
        read_pattern(tmp_path / "nope.xy")
    assert "nope.xy" in str(err.value)


def test_directory_and_binary_file(tmp_path):
    with pytest.raises(InputError, match="directory"):
        read_pattern(tmp_path)
    path = tmp_path / "image.tif"
    path.write_bytes(b"II*\0" + bytes(100))
    with pytest.raises(InputError, match="binary file"):
        read_pattern(path)


@pytest.mark.parametrize(("name", "unit"), [("q", "q_A"), ("q_A", "q_A"), ("q_nm", "q_nm"), ("2theta", "2theta"),
                                             (None, None)])
def test_x_unit_names(name, unit):
    assert normalize_x_unit(name) == unit


def test_unknown_x_unit():
    with pytest.raises(InputError, match="unknown x unit"):
        normalize_x_unit("tth")


def test_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "win.xy"
    path.write_bytes("\ufeff1 2\r\n2 3\r\n".encode())
    assert read_pattern(path, x_unit="q").x.tolist() == [1.0, 2.0]
