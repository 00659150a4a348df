"""Plain R(T) / R(P) tables: recognised names and units, direction, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.io import PressureTable, read_rt_table, write_table
from hpglass.transport.curve import RCurve


def _write(tmp_path, text, name="t.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_rt_csv_underscore_units(tmp_path):
    c = read_rt_table(_write(tmp_path, "T_K,R_ohm\n2.0,0.0\n5.0,1.5\n10.0,1.6\n"))
    assert isinstance(c, RCurve)
    assert c.temperature_K.tolist() == [2.0, 5.0, 10.0]
    assert c.resistance_ohm.tolist() == [0.0, 1.5, 1.6]
    assert c.x == "T" and c.field_T.tolist() == [0.0, 0.0, 0.0]
    assert "0 T assumed" in c.meta["field_assumed"]
    assert read_rt_table(_write(tmp_path, "T_K,R_ohm\n2,1\n", "f.csv"), field_T=3.0).field_T.tolist() == [3.0]


def test_rt_whitespace_parenthesised_units_and_field(tmp_path):
    text = "# sample A\nT (K)   R (mOhm)   H (kOe)   R_err_ohm\n2.0  1500  10  0.1\n3.0  1600  10  0.1\n"
    c = read_rt_table(_write(tmp_path, text, "t.txt"))
    assert c.resistance_ohm.tolist() == [1.5, 1.6]
    assert c.field_T.tolist() == [1.0, 1.0]  # 10 kOe
    assert c.meta["ignored_columns"] == ["R_err_ohm"]
    assert c.meta["header_line"] == 2


def test_rt_written_by_write_table(tmp_path):
    p = write_table(tmp_path / "rt.dat", {"T_K": [2.0, 3.0], "R_ohm": [1.0, 2.0], "H_Oe": [1e4, 1e4]}, ["run 1"])
    c = read_rt_table(p)
    assert c.temperature_K.tolist() == [2.0, 3.0] and c.field_T.tolist() == [1.0, 1.0]


def test_rt_resistivity_only_and_nan_rows(tmp_path):
    text = "T_K;rho_ohm_m\n2;1e-5\n3;nan\n4;2e-5\n"
    c = read_rt_table(_write(tmp_path, text))
    assert c.meta["note"] == "resistivity (Ω·cm) not resistance"
    assert c.resistance_ohm == pytest.approx([1e-3, 2e-3])  # Ω·m → Ω·cm
    assert c.meta["dropped_rows"] == 1 and c.meta["row_lines"].tolist() == [2, 4]


def test_rt_bom_crlf_celsius(tmp_path):
    c = read_rt_table(_write(tmp_path, "\ufefftemperature (°C),resistance (kΩ)\r\n0,1\r\n25,2\r\n"))
    assert c.temperature_K == pytest.approx([273.15, 298.15])
    assert c.resistance_ohm.tolist() == [1000.0, 2000.0]


def test_pressure_table_with_direction_column(tmp_path):
    text = "P (GPa), R (Ohm), direction\n1.0, 10, compression\n5.0, 9, c\n4.0, 8.5, decompression\n2.0,9.5,down\n"
    t = read_rt_table(_write(tmp_path, text), x="P")
    assert isinstance(t, PressureTable)
    assert t.pressure_GPa.tolist() == [1.0, 5.0, 4.0, 2.0]
    assert t.resistance_ohm.tolist() == [10.0, 9.0, 8.5, 9.5] and t.resistivity_ohm_cm is None
    assert t.direction == "mixed"
    assert t.directions == ("compression", "compression", "decompression", "decompression")
    down = t.branch("decompression")
    assert down.pressure_GPa.tolist() == [4.0, 2.0] and down.direction == "decompression"
    assert t.to_dict()["resistance_ohm"] == [10.0, 9.0, 8.5, 9.5]


def test_pressure_table_direction_from_comment_and_units(tmp_path):
    text = "# run 2 — decompression from 40 GPa\npressure_kbar,resistivity_mohm_cm,T_K\n400,5,1.8\n300,6,1.8\n"
    t = read_rt_table(_write(tmp_path, text), x="P")
    assert t.direction == "decompression" and t.directions is None
    assert t.pressure_GPa.tolist() == [40.0, 30.0]
    assert t.resistivity_ohm_cm == pytest.approx([5e-3, 6e-3]) and t.resistance_ohm is None
    assert t.temperature_K.tolist() == [1.8, 1.8]
    assert t.quantity == "resistivity_ohm_cm"
    plain = read_rt_table(_write(tmp_path, "pressure_GPa,resistance_ohm\n1,2\n", "p.csv"), x="P")
    assert plain.direction is None
    with pytest.raises(InputError, match="no compression rows"):
        plain.branch("compression")


def test_pressure_table_needs_pressure(tmp_path):
    p = _write(tmp_path, "T_K,R_ohm\n1,2\n")
    with pytest.raises(InputError, match=r"no pressure column \(recognised columns: T_K, R_ohm\)") as err:
        read_rt_table(p, x="P")
    assert err.value.line == 1


def test_bad_cells_name_file_line_column(tmp_path):
    p = _write(tmp_path, "T_K,R_ohm\n2,1\n3,x1\n")
    with pytest.raises(InputError) as err:
        read_rt_table(p)
    assert err.value.line == 3 and err.value.field == "R_ohm" and "t.csv:3" in str(err.value)
    with pytest.raises(InputError, match="row has 3 cells, the header names 2") as err:
        read_rt_table(_write(tmp_path, "T_K,R_ohm\n2,1\n3,1,4\n", "long.csv"))
    assert err.value.line == 3
    with pytest.raises(InputError, match="row has 1 cells"):
        read_rt_table(_write(tmp_path, "T_K,R_ohm\n2,1\n3\n", "short.csv"))
    with pytest.raises(InputError, match="neither compression nor decompression") as err:
        read_rt_table(_write(tmp_path, "P_GPa,R_ohm,direction\n1,2,sideways\n", "dir.csv"), x="P")
    assert err.value.line == 2 and err.value.field == "direction"


def test_bad_headers(tmp_path):
    with pytest.raises(InputError, match="no header row"):
        read_rt_table(_write(tmp_path, "2,1\n3,2\n"))
    with pytest.raises(InputError, match="states no unit") as err:
        read_rt_table(_write(tmp_path, "T,R_ohm\n2,1\n", "nounit.csv"))
    assert err.value.field == "T"
    with pytest.raises(InputError, match="unit 'F' of column 'T \\(F\\)' is not a temperature unit"):
        read_rt_table(_write(tmp_path, "T (F),R (ohm)\n2,1\n", "f.csv"))
    with pytest.raises(InputError, match="not a resistance unit"):
        read_rt_table(_write(tmp_path, "T (K),R (ohm-cm)\n2,1\n", "rho.csv"))
    with pytest.raises(InputError, match="two resistance columns"):
        read_rt_table(_write(tmp_path, "T_K,R_ohm,resistance (kohm)\n2,1,1\n", "two.csv"))
    with pytest.raises(InputError, match="no resistance or resistivity column"):
        read_rt_table(_write(tmp_path, "T_K,V_volt\n2,1\n", "v.csv"))
    with pytest.raises(InputError, match="no data rows"):
        read_rt_table(_write(tmp_path, "T_K,R_ohm\n\n", "empty.csv"))
    with pytest.raises(InputError, match="file is empty"):
        read_rt_table(_write(tmp_path, "\n# only a comment\n", "blank.csv"))
    with pytest.raises(InputError, match="file not found"):
        read_rt_table(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="x must be"):
        read_rt_table(_write(tmp_path, "T_K,R_ohm\n2,1\n", "ok.csv"), x="H")


def test_latin1_file(tmp_path):
    c = read_rt_table(_write(tmp_path, "# Probe \xb5\nT_K,R_ohm\n2,1\n", encoding="latin-1"))
    assert c.meta["encoding"] == "latin-1" and np.array_equal(c.resistance_ohm, [1.0])


def test_optional_columns_may_be_blank(tmp_path):
    c = read_rt_table(_write(tmp_path, "T_K,R_ohm,P_GPa\n2,1,\n3,2,10\n"))
    assert len(c) == 2 and c.meta["pressure_GPa"] == 10.0 and c.meta["dropped_rows"] == 0
    t = read_rt_table(_write(tmp_path, "P_GPa,R_ohm,T_K\n1,1,\n2,,1.8\n", "p.csv"), x="P")
    assert t.pressure_GPa.tolist() == [1.0] and np.isnan(t.temperature_K[0]) and t.meta["dropped_rows"] == 1
