"""Study tables are RFC 4180 CSV: they read back with pandas and with hpglass's own table readers (issue 12: `hpglass
eos fit tables/diffraction.csv` failed on the quoted commas of the provenance column)."""

import io

import pytest

from hpglass.io.eos_tables import read_eos_table
from hpglass.io.quantum_design import split_cells
from hpglass.study.tables import rows_to_csv

ROWS = [
    {"run": "r1", "pressure_GPa": p, "pressure_err_GPa": None, "density_g_cm3": d, "density_err_g_cm3": 0.05,
     "provenance": 'SYNTHETIC — PY S(q), "DAC" background, noise; α = 5', "warnings": None}
    for p, d in ((0.0, 4.9), (5.0, 5.6), (10.0, 6.1), (15.0, 6.5), (20.0, 6.8), (30.0, 7.3))
]


def test_split_cells_honours_quotes():
    assert split_cells('1,"a, b",3', ",") == ["1", "a, b", "3"]
    assert split_cells('1, "say ""hi""" ,3', ",") == ["1", 'say "hi"', "3"]
    assert split_cells("1  2\t3", " ") == ["1", "2", "3"]


def test_study_csv_reads_back_with_the_eos_reader(tmp_path):
    path = tmp_path / "diffraction.csv"
    path.write_text(rows_to_csv(ROWS, "one row per pattern, commas, in the comment"), encoding="utf-8")
    table = read_eos_table(path)
    assert list(table.pressure_GPa) == [r["pressure_GPa"] for r in ROWS]
    assert list(table.density_g_cm3) == [r["density_g_cm3"] for r in ROWS]
    assert table.sigma_P_GPa is None  # an error column empty in every row is dropped, with a note
    assert any("empty" in n for n in table.meta.get("notes", []))


def test_study_csv_reads_back_with_pandas():
    pd = pytest.importorskip("pandas")
    df = pd.read_csv(io.StringIO(rows_to_csv(ROWS, "comment")), comment="#")
    assert list(df["density_g_cm3"]) == [r["density_g_cm3"] for r in ROWS]
    assert df["provenance"][0] == ROWS[0]["provenance"]
