"""P–V / P–ρ table reader: header forms, units, comment metadata, and one-line errors for bad tables."""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.eos.basis import CM3_PER_MOL_TO_A3
from hpglass.errors import InputError
from hpglass.io.eos_tables import read_eos_table


def _write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_with_errors_and_basis(tmp_path):
    p = _write(tmp_path, "# composition: Sb2Se3\n# Z = 4\nP_GPa,V_A3_cell,sigma_P_GPa,sigma_V_A3_cell,T_K\n"
                         "0.5,540.1,0.05,0.3,300\n2.0,520.3,0.05,0.3,300\n")
    t = read_eos_table(p)
    assert t.kind == "volume" and t.per == "cell" and t.volume_unit == "Å³/cell"
    np.testing.assert_allclose(t.pressure_GPa, [0.5, 2.0])
    np.testing.assert_allclose(t.sigma_V, [0.3, 0.3])
    assert t.composition == "Sb2Se3" and t.Z == 4.0 and t.row_lines == (4, 5)
    assert t.meta["ignored_columns"] == ["T_K"]


def test_whitespace_units_in_brackets_and_conversions(tmp_path):
    p = _write(tmp_path, "P (kbar)  V (cm3/mol)  dP  dV\n10 60.0 0.5 0.1\n50 55.0 0.5 0.1\n", "t.txt")
    t = read_eos_table(p)
    np.testing.assert_allclose(t.pressure_GPa, [1.0, 5.0])
    np.testing.assert_allclose(t.sigma_P_GPa, [0.05, 0.05])  # error column inherits kbar
    np.testing.assert_allclose(t.volume, np.array([60.0, 55.0]) * CM3_PER_MOL_TO_A3)
    assert t.per == "formula"
    t2 = read_eos_table(_write(tmp_path, "P/GPa,V/nm3 per atom\n1,0.03\n2,0.029\n"))
    np.testing.assert_allclose(t2.volume, [30.0, 29.0])
    assert t2.per == "atom"
    t3 = read_eos_table(_write(tmp_path, "P (GPa), V (Å³/f.u.)\n1,100\n2,99\n"))
    assert t3.per == "formula"
    t4 = read_eos_table(_write(tmp_path, "P_GPa V_A3\n1 100\n2 99\n", "t4.txt"))
    assert t4.per is None and t4.volume_unit == "Å³"


def test_density_table_decreasing_pressures(tmp_path):
    p = _write(tmp_path, "# decompression\n# pressure_GPa rho_g_cm3 rho_err\n10 6.0 0.02\n5 5.5 0.02\n1 5.0 0.02\n")
    t = read_eos_table(p)
    assert t.kind == "density" and t.volume_unit == "g/cm³"
    np.testing.assert_allclose(t.density_g_cm3, [6.0, 5.5, 5.0])
    np.testing.assert_allclose(t.sigma_rho_g_cm3, [0.02] * 3)
    kg = read_eos_table(_write(tmp_path, "P (GPa),density (kg/m3)\n1,5000\n2,5100\n"))
    np.testing.assert_allclose(kg.density_g_cm3, [5.0, 5.1])


@pytest.mark.parametrize(("text", "match", "line", "field"), [
    ("V_A3_cell,sigma_V\n100,0.1\n", "no pressure column", 1, "pressure"),
    ("P_GPa,T_K\n1,300\n", "no volume or density column", 1, "volume"),
    ("P_GPa,V\n1,100\n", "states no unit", 1, "V"),
    ("P (GPa),V (furlongs)\n1,100\n", "not a volume unit", 1, "V (furlongs)"),
    ("P_GPa,V_A3_cell\n1,100\n2,abc\n", "not a number: 'abc'", 3, "V_A3_cell"),
    ("P_GPa,V_A3_cell\n1,100\n2,\n", "empty cell", 3, "V_A3_cell"),
    ("P_GPa,V_A3_cell\n1,100\n2,nan\n", "not a finite number", 3, "V_A3_cell"),
    ("P_GPa,V_A3_cell\n1,100\n2,-99\n", "volume -99 is not positive", 3, "V_A3_cell"),
    ("P_GPa,rho_g_cm3\n1,5\n2,0\n", "density 0 is not positive", 3, "rho_g_cm3"),
    ("P_GPa,V_A3_cell,dV\n1,100,0.1\n2,99,-0.1\n", "negative error", 3, "dV"),
    ("P_GPa,V_A3_cell\n1,100\n2,99\n3,98,7\n", "row has 3 cells", 4, None),
    ("P_GPa,V_A3_cell\n1,100\n3,98\n2,99\n", "pressures out of order", 4, "P_GPa"),
    ("P_GPa,V_A3_cell,V_cm3_mol\n1,100,60\n", "two volume columns", 1, "V_cm3_mol"),
    ("1,100\n", "no header row", 1, None),
    ("", "file is empty", None, None),
])
def test_bad_tables_name_file_line_column(tmp_path, text, match, line, field):
    p = _write(tmp_path, text)
    with pytest.raises(InputError, match=match) as err:
        read_eos_table(p)
    e = err.value
    assert e.source == str(p) and e.line == line and e.field == field
    assert "\n" not in str(e) and str(e).startswith(str(p))


def test_duplicate_pressure_names_both_lines(tmp_path):
    p = _write(tmp_path, "P_GPa,V_A3_cell\n1,100\n2,99\n2,99\n3,98\n")
    with pytest.raises(InputError, match=r"pressure 2 GPa appears twice \(lines 3 and 4\)") as err:
        read_eos_table(p)
    assert err.value.line == 4


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_eos_table(tmp_path / "nope.csv")


def test_fit_from_table_and_too_few_points(tmp_path):
    p = _write(tmp_path, "# composition: Sb2Se3\n# Z: 4\nP_GPa,V_A3_cell\n0.5,540\n2,524\n5,500\n")
    t = read_eos_table(p)
    r = t.fit("bm2")
    assert r.volume_unit == "Å³/cell" and r.rho0 == pytest.approx(Composition_rho(r.V0), rel=1e-12)
    with pytest.raises(InputError, match=r"\(bm4\) fits 4 parameters .* 3 points") as err:
        t.fit("bm4")
    assert err.value.source == str(p)


def Composition_rho(v0):
    from hpglass import Composition

    return Composition.parse("Sb2Se3").mass_density(20.0 / v0)
