"""Quantum Design .dat reader: the four real files (values checked by hand with sed/awk) and synthetic bad input."""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.io import read_qd
from hpglass.io.quantum_design import QDFile

RES = "nomad_Resistivity_Ch1_TMR_Ch2_Hall_test.dat"
ACT = "nomad_ACT_Ch1_Hall_Ch2_TMR.dat"
ETO = "fairmat_areaA_ETO_testPPMS.dat"
MPMS = "nomad_MPMS_test.dat"


@pytest.fixture(scope="module")
def qd():
    """read_qd once per real file for the whole module."""
    cache: dict[str, QDFile] = {}

    def get(shared, name):
        if name not in cache:
            cache[name] = read_qd(shared / "transport" / name)
        return cache[name]

    return get


# -- Resistivity option ------------------------------------------------------------------------------------------------
def test_resistivity_file_layout(shared_data, qd):
    f = qd(shared_data, RES)
    assert f.option == "resistivity"
    assert f.meta["option_from"].startswith("BYAPP")
    assert f.title.startswith("171224_SuC-101_SnSe_NbSe2_CH1-TMR")
    assert len(f.columns) == 41
    assert f.data_line == 33
    assert f.n_rows == 1401  # lines 34..1434
    assert f.row_line[0] == 34 and f.row_line[-1] == 1434
    assert "Comment" not in f.data and f.comments == {}
    assert f.units["Magnetic Field (Oe)"] == "Oe"
    assert f.units["Bridge 3 Resistivity (Ohm-m)"] == "Ohm-m"
    assert f.units["Pressure ()"] == ""
    # INFO lines here are "INFO, value, Key" with spaced keys, and "INFO, APPNAME, value" with the key first
    assert f.info["Sample1 Name"] == "TMR"
    assert f.info["APPNAME"] == "PPMS MultiVu Application, 1.5.11"
    assert f.info_value("SAMPLE1_CROSS_SECTION") == "1"
    assert f.info_value("sample3 units") == "Ohm-m"


def test_resistivity_ragged_rows_padded(shared_data, qd):
    f = qd(shared_data, RES)
    # every row carries 23 cells of the 41 declared: columns 24..41 are NaN throughout
    assert f.meta["ragged_rows"] == 1401
    assert f.meta["truncated_line"] is None
    for name in f.columns[23:]:
        assert np.isnan(f.data[name]).all(), name
    assert np.isnan(f.data["Signal 1 Vin (V)"]).all()
    # cell 23 (Bridge 4 Resistance) exists but is empty; cell 19 (Number of Readings) is 25 everywhere
    assert np.isnan(f.data["Bridge 4 Resistance (Ohms)"]).all()
    assert (f.data["Number of Readings"] == 25).all()


def test_resistivity_values(shared_data, qd):
    f = qd(shared_data, RES)
    t = f.column("temperature")
    assert t[0] == pytest.approx(2.00049996376038, abs=0)
    assert t[-1] == pytest.approx(2.30030000209808, abs=0)
    h = f.column("field")
    assert h[0] == pytest.approx(-1.00007678125, rel=1e-12)  # -10000.7678125 Oe
    assert h[-1] == pytest.approx(1.00001552734375, rel=1e-12)  # 10000.1552734375 Oe
    assert f.column("Magnetic Field (Oe)")[0] == -10000.7678125  # by name: as written
    assert f.channels() == [1, 2]
    assert f.resistance_column(1) == "Bridge 1 Resistance (Ohms)"
    assert f.resistance_column(2) == "Bridge 2 Resistance (Ohms)"
    # "Bridge N Resistivity (Ohm)" repeats the resistance (sample units Ohm, geometry 1, 1)
    np.testing.assert_array_equal(f.data["Bridge 1 Resistivity (Ohm)"], f.data["Bridge 1 Resistance (Ohms)"])
    c1, c2 = f.curve(1), f.curve(2)
    assert len(c1) == len(c2) == 1401
    assert c1.meta["dropped_rows"] == 0
    assert c1.resistance_ohm[0] == 0.466511068344116
    assert c1.resistance_ohm[-1] == 0.465009838342667
    assert c2.resistance_ohm[0] == 0.22415763258934
    assert c2.resistance_ohm[-1] == 0.215938346385956
    # field sweeps ±1 T at 2.0–2.3 K
    assert c1.x == "H" and c1.channel == 1
    assert f.curve().channel == 1
    assert f.curve(1, x="T").x == "T"
    assert "TMR" in c1.meta["sample"].values()


def test_resistivity_empty_and_missing_channels(shared_data, qd):
    f = qd(shared_data, RES)
    with pytest.raises(InputError, match=r"channel 3 has no resistance data") as err:
        f.curve(3)
    assert RES in str(err.value) and "channels with data: 1, 2" in str(err.value)
    with pytest.raises(InputError, match=r"no channel 7 .* channels with resistance data: 1, 2; present but empty: 3, 4"):
        f.curve(7)


# -- AC Transport option -------------------------------------------------------------------------------------------------
def test_act_file_layout(shared_data, qd):
    f = qd(shared_data, ACT)
    assert f.option == "act"
    assert len(f.columns) == 60
    assert f.data_line == 27
    assert f.n_rows == 6035  # lines 28..6062
    assert f.meta["ragged_rows"] == 0
    assert f.info["SAMPLE1_CROSS_SECTION"] == "0.0011144"
    assert f.info["SAMPLE1_LEAD_SEPARATION"] == "0.1393"
    assert f.info["SAMPLE2_LEAD_SEPARATION"] == "0.1022"
    # an INFO value with commas in it
    assert f.info["SAMPLE1_COMMENT"].endswith("l=1.022, w=1.393, d=0.08, L=3.06 mm")
    assert f.info["APPNAME"] == "PPMS AC Transport Option Release 2.2.5. Build 2"
    assert f.units["Res. ch1 (ohm-cm)"] == "ohm-cm"


def test_act_alternating_channels(shared_data, qd):
    f = qd(shared_data, ACT)
    assert f.channels() == [1, 2]
    assert f.resistance_column(1) == "Res. ch1 (ohm-cm)"
    assert f.resistance_column(2) == "Res. ch2 (ohm-cm)"
    rho1, rho2 = f.data["Res. ch1 (ohm-cm)"], f.data["Res. ch2 (ohm-cm)"]
    # each row carries exactly one channel; 3017 + 3018 = 6035 (lines 2337 and 2338 are both channel 2)
    assert np.isfinite(rho1).sum() == 3017 and np.isfinite(rho2).sum() == 3018
    assert not (np.isfinite(rho1) & np.isfinite(rho2)).any()
    c1, c2 = f.curve(1), f.curve(2)
    assert len(c1) == 3017 and c1.meta["dropped_rows"] == 3018 and c1.meta["dropped_blank"] == 3018
    assert len(c2) == 3018 and c2.meta["dropped_rows"] == 3017
    assert c1.meta["row_lines"][0] == 28 and c2.meta["row_lines"][0] == 29
    assert {2337, 2338} <= set(c2.meta["row_lines"].tolist())
    # first points: line 28 (ch1) and line 29 (ch2)
    assert c1.temperature_K[0] == 1.99892485 and c2.temperature_K[0] == 1.99837565
    assert c1.field_T[0] == pytest.approx(1.0000085, rel=1e-12)  # 10000.085 Oe
    assert c2.temperature_K[-1] == 3.4002024 and c1.temperature_K[-1] == 3.39956855
    assert c1.x == "H" and c2.x == "H"  # ±1 T sweeps on a 2.0–3.4 K ladder


def test_act_resistivity_converted_with_geometry(shared_data, qd):
    f = qd(shared_data, ACT)
    c1 = f.curve(1)
    # line 28: Res. ch1 = 8.39211453295936E-6 ohm-cm; R = rho*L/A with L = 0.1393 cm, A = 0.0011144 cm²
    assert c1.resistance_ohm[0] == pytest.approx(8.39211453295936e-6 * 0.1393 / 0.0011144, rel=1e-12)
    # … which is the four-wire V/I of the same row: Volts ch1 / Excitation (mA)
    assert c1.resistance_ohm[0] == pytest.approx(1.07923080942839e-6 / 1.02880465367804e-3, rel=1e-5)
    assert c1.meta["quantity"] == "resistance_ohm"
    assert c1.meta["resistivity_converted"]["cross_section_cm2"] == 0.0011144
    c2 = f.curve(2)
    assert c2.resistance_ohm[0] == pytest.approx(3.56407048921988e-5 * 0.1022 / 0.0011144, rel=1e-12)
    assert c2.resistance_ohm[0] == pytest.approx(3.36270674543543e-6 / 1.02880465367804e-3, rel=1e-5)
    kept = f.curve(2, convert_resistivity=False)
    assert kept.resistance_ohm[0] == 3.56407048921988e-5
    assert kept.meta["note"] == "resistivity (Ω·cm) not resistance"
    assert kept.meta["quantity"] == "resistivity_ohm_cm"


# -- ETO option ----------------------------------------------------------------------------------------------------------
def test_eto_file_layout(shared_data, qd):
    f = qd(shared_data, ETO)
    assert f.option == "eto"
    assert len(f.columns) == 67
    assert f.data_line == 23
    # line 24 is blank (CRLF file): the first data row is line 25
    assert f.meta["blank_lines"] == 1
    assert f.row_line[0] == 25 and f.row_line[-1] == 105
    assert f.n_rows == 81
    assert f.info["APPNAME"] == "ETOption, Release 1.1.4 Build 5"
    assert f.info["SAMPLE1_MATERIAL"] == "EuCuAs"
    assert f.title == "Electrical Transport Option (CAN)"


def test_eto_values(shared_data, qd):
    f = qd(shared_data, ETO)
    t = f.column("temperature")
    assert t[0] == 90.003791 and t[-1] == 119.890655
    assert f.column("field")[0] == pytest.approx(9.00001875, rel=1e-12)  # Field (Oe) = 90000.1875
    assert f.channels() == [1, 2]
    c1 = f.curve(1)
    assert len(c1) == 23 and c1.meta["dropped_rows"] == 58
    assert c1.resistance_ohm[0] == 0.0998475 and c1.resistance_ohm[-1] == 0.1075588  # lines 25, 47
    assert c1.x == "T"  # a temperature sweep at 9 T
    c2 = f.curve(2)
    # channel 2 writes 0 Ω in all of its 58 rows (std. dev. -1.1e-9, phase 92°): no sample signal
    assert len(c2) == 58 and c2.meta.get("all_zero") is True
    assert f.column("resistance2").shape == (81,)


# -- MPMS3 (header-format reference) -----------------------------------------------------------------------------------
def test_mpms_file_parses(shared_data, qd):
    f = qd(shared_data, MPMS)
    assert f.option == "mpms"
    assert len(f.columns) == 68
    assert f.data_line == 40
    assert f.n_rows == 1122  # lines 41..1162; the last line has no newline but all 68 cells
    assert f.meta["truncated_line"] is None
    assert f.info["SAMPLE_MASS"] == "11.134"
    assert f.info["APPNAME"] == "MPMS3 Measurement Release 1.1.16 Build 424, MultiVu Release 2.3.4.26"
    assert f.column("temperature")[-1] == 3.00021147727966
    assert f.column("field")[-1] == pytest.approx(6.999953125, rel=1e-12)
    assert f.data["Moment (emu)"][0] == -0.000155412707237067
    assert f.channels() == []
    with pytest.raises(InputError, match="no channel has resistance data"):
        f.curve()


# -- synthetic files -------------------------------------------------------------------------------------------------
HEADER = (
    "[Header]\n; a comment\nTITLE, test\nBYAPP, Resistivity, 2.1, 1.0\n"
    "INFO, 0.5, SAMPLE1_CROSS_SECTION\nINFO, 2, SAMPLE1_LEAD_SEPARATION\n[Data]\n"
)
COLS = "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Bridge 1 Resistance (Ohms),Bridge 2 Resistance (Ohms)\n"


def _write(tmp_path, text, name="f.dat", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_synthetic_good_file(tmp_path):
    rows = ",1,2.0,100,1.5,\n\"note, with comma\",2,3.0,100,1.6,\n,3,4.0,100,,\n"
    f = read_qd(_write(tmp_path, HEADER + COLS + rows))
    assert f.n_rows == 3 and f.data_line == 8
    assert f.comments == {10: "note, with comma"}
    assert f.channels() == [1]
    c = f.curve()
    assert c.resistance_ohm.tolist() == [1.5, 1.6] and c.meta["dropped_blank"] == 1
    assert c.field_T.tolist() == [0.01, 0.01] and c.x == "T"
    with pytest.raises(InputError, match="channel 2 has no resistance data"):
        f.curve(2)


def test_windows_endings_bom_and_latin1(tmp_path):
    text = (HEADER + COLS + ",1,2.0,100,1.5,\n").replace("\n", "\r\n")
    f = read_qd(_write(tmp_path, "\ufeff" + text))
    assert f.n_rows == 1 and f.option == "resistivity" and f.meta["encoding"] == "utf-8"
    latin = HEADER.replace("TITLE, test", "TITLE, Probe \xb5-\xe9") + COLS + ",1,2.0,100,1.5,\n"
    f = read_qd(_write(tmp_path, latin, "latin.dat", encoding="latin-1"))
    assert f.title == "Probe \xb5-\xe9" and f.meta["encoding"] == "latin-1"


def test_truncated_last_line_is_padded(tmp_path):
    # cut in the middle of the field value of the last row, no newline at the end
    text = HEADER + COLS + ",1,2.0,100,1.5,1.1\n,2,3.0,10"
    f = read_qd(_write(tmp_path, text))
    assert f.n_rows == 2 and f.meta["truncated_line"] == 10
    assert np.isnan(f.data["Magnetic Field (Oe)"][1])  # "10" may be a cut "100": set to NaN
    assert f.data["Temperature (K)"][1] == 3.0
    assert f.curve(1).meta["dropped_rows"] == 1


def test_missing_newline_on_complete_row_is_not_truncation(tmp_path):
    f = read_qd(_write(tmp_path, HEADER + COLS + ",1,2.0,100,1.5,1.1\n,2,3.0,100,1.6,1.2"))
    assert f.meta["truncated_line"] is None
    assert f.data["Bridge 2 Resistance (Ohms)"][1] == 1.2


def test_missing_data_section(tmp_path):
    with pytest.raises(InputError, match=r"no \[Data\] section"):
        read_qd(_write(tmp_path, "[Header]\nTITLE, x\n" + COLS + ",1,2,3,4,5\n"))


def test_non_numeric_cell_names_line_and_column(tmp_path):
    text = HEADER + COLS + ",1,2.0,100,1.5,\n,2,3.0,abc,1.6,\n"
    with pytest.raises(InputError) as err:
        read_qd(_write(tmp_path, text))
    msg = str(err.value)
    assert "f.dat:10" in msg and "Magnetic Field (Oe)" in msg and "'abc'" in msg
    assert err.value.line == 10 and err.value.field == "Magnetic Field (Oe)"


def test_row_longer_than_header(tmp_path):
    text = HEADER + COLS + ",1,2.0,100,1.5,1.1\n,2,3.0,100,1.6,1.2,7\n"
    with pytest.raises(InputError, match=r"row has 7 cells .* declares 6") as err:
        read_qd(_write(tmp_path, text))
    assert err.value.line == 10
    # surplus cells that are empty (trailing commas) carry nothing and are accepted
    assert read_qd(_write(tmp_path, HEADER + COLS + ",1,2.0,100,1.5,1.1,,\n", "ok.dat")).n_rows == 1


def test_empty_data_section(tmp_path):
    with pytest.raises(InputError, match="empty data section: column names on line 8"):
        read_qd(_write(tmp_path, HEADER + COLS + "\n\n"))
    with pytest.raises(InputError, match="empty data section: no column-name row"):
        read_qd(_write(tmp_path, HEADER, "nocols.dat"))


def test_unknown_channel_lists_available(tmp_path):
    f = read_qd(_write(tmp_path, HEADER + COLS + ",1,2.0,100,1.5,1.1\n"))
    with pytest.raises(InputError, match=r"no channel 9 .* channels with resistance data: 1, 2"):
        f.curve(9)
    with pytest.raises(InputError, match="channel must be an integer"):
        f.curve("one")
    with pytest.raises(InputError, match="x must be"):
        f.curve(1, x="P")
    with pytest.raises(InputError, match="no column 'Bridge 9'"):
        f.column("Bridge 9")


def test_resistivity_without_geometry_is_carried_as_resistivity(tmp_path):
    header = "[Header]\nBYAPP,ACTRANSPORT,2.0,1.1\n[Data]\n"
    cols = "Comment,Temperature (K),Magnetic Field (Oe),Res. ch1 (ohm-cm),Res. ch2 (mohm-cm)\n"
    rows = ",2.0,0,1e-3,\n,2.0,5000,,4.0\n,2.01,10000,2e-3,\n"
    f = read_qd(_write(tmp_path, header + cols + rows))
    c1 = f.curve(1)
    assert c1.meta["note"] == "resistivity (Ω·cm) not resistance"
    assert c1.resistance_ohm.tolist() == [1e-3, 2e-3]
    assert c1.x == "H"  # 1 T span at 10 mK
    c2 = f.curve(2)
    assert c2.resistance_ohm.tolist() == [pytest.approx(4e-3)]  # mΩ·cm → Ω·cm


def test_option_from_columns_and_eto_style(tmp_path):
    header = "[Header]\nTITLE, my run\n[Data]\n"
    cols = "Comment,Time Stamp (s),Temperature (K),Field (kOe),Resistance Ch1 (Ohms),Resistance Ch2 (Ohms)\n\n"
    f = read_qd(_write(tmp_path, header + cols + ",0,300,90,10,\n,1,250,90,8,\n"))
    assert f.option == "eto" and f.meta["option_from"].startswith("column names")
    c = f.curve()
    assert c.field_T.tolist() == [9.0, 9.0] and c.x == "T"


def test_auto_x_for_several_sweeps_in_one_file(tmp_path):
    header = "[Header]\nBYAPP, Electrical Transport Option, 1.0\n[Data]\n"
    cols = "Comment,Temperature (K),Field (Oe),Resistance Ch1 (Ohms)\n"
    t_sweeps = "".join(f",{2 + 0.1 * i:.2f},{h},1.0\n" for h in (0, 10000, 20000) for i in range(50))
    c = read_qd(_write(tmp_path, header + cols + t_sweeps)).curve()
    assert c.x == "T" and "median steps" in c.meta["x_rule"]  # spans 2 T and 4.9 K; steps 0 T vs 0.1 K
    h_sweeps = "".join(f",{t},{100 * i},1.0\n" for t in (2.0, 3.0, 4.0) for i in range(50))
    c = read_qd(_write(tmp_path, header + cols + h_sweeps, "h.dat")).curve()
    assert c.x == "H"  # spans 0.49 T and 2 K; steps 10 mT vs 0 K
