"""The study schema: the bundled study validates; every kind of broken study gives one InputError naming the file
and the field path."""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

import pytest

from hpglass.demo_data import demo_folder
from hpglass.errors import InputError
from hpglass.study import load_study, parse_study
from hpglass.study.runner import resolve_pressures

STUDY = demo_folder() / "study" / "model_series.toml"


def _data() -> dict:
    return tomllib.loads(STUDY.read_text())


def _error(data: dict) -> InputError:
    with pytest.raises(InputError) as info:
        parse_study(data, source="study.toml", base=STUDY.parent)
    msg = str(info.value)
    assert "\n" not in msg
    return info.value


def test_bundled_study_validates_and_resolves_paths():
    s = load_study(STUDY)
    d = s.diffraction[0]
    assert len(d.files) == len(d.pressures_GPa) == 14
    assert all(f.is_absolute() and f.is_file() for f in d.files)
    assert d.background.is_file()
    assert s.transport[0].curves[1].fields_T[-1] == 5.0
    assert s.simulation[0].frames[0].pressure_GPa == 0.0  # from the {"0" = file} table form
    assert d.provenance.kind == "synthetic" and "Percus-Yevick" in d.provenance.model
    assert s.sample.crystal.eos.status == "assumed"


def test_pressure_list_length_mismatch_names_field():
    data = _data()
    data["diffraction"][0]["files"] = data["diffraction"][0]["files"][:13]
    err = _error(data)
    assert err.field == "diffraction[0].pressures_GPa"
    assert str(err) == "study.toml [diffraction[0].pressures_GPa]: 14 pressures for 13 files"


def test_missing_file_names_its_index():
    data = _data()
    data["diffraction"][0]["files"][3] = "../series/nope.xy"
    err = _error(data)
    assert err.field == "diffraction[0].files[3]"
    assert "file not found" in err.message and "nope.xy" in err.message


def test_wrong_unit_names_the_right_field():
    data = _data()
    d = data["diffraction"][0]
    d["wavelength_nm"] = d.pop("wavelength_A") / 10
    err = _error(data)
    assert err.field == "diffraction[0].wavelength_nm"
    assert "wrong unit" in err.message and "wavelength_A" in err.message


def test_unknown_element():
    data = _data()
    data["sample"]["composition"] = "Sb2Xx3"
    err = _error(data)
    assert err.field == "sample.composition"
    assert "Xx" in err.message


def test_stream_without_data():
    data = _data()
    data["transport"][0].pop("resistivity_table")
    data["transport"][0]["curves"] = []
    err = _error(data)
    assert err.field == "transport[0].curves" and "no data" in err.message
    data = _data()
    data["diffraction"][0]["files"] = []
    data["diffraction"][0]["pressures_GPa"] = []
    assert _error(data).field == "diffraction[0].files"


def test_no_stream_at_all():
    data = _data()
    for k in ("diffraction", "transport", "simulation"):
        data.pop(k)
    assert "no data" in _error(data).message


def test_synthetic_data_must_state_model_and_unknown_keys_are_refused():
    data = _data()
    data["simulation"][0]["provenance"] = {"kind": "simulated"}
    assert _error(data).field == "simulation[0].provenance.model"
    data = _data()
    data["analysis"]["q1_segmnets"] = 2
    err = _error(data)
    assert err.field == "analysis.q1_segmnets" and "unknown field" in err.message


def test_one_pressure_source_per_run_and_plausible_values():
    data = _data()
    data["diffraction"][0]["ruby_R1_nm"] = [700.0] * 14
    assert "exactly one pressure source" in _error(data).message
    data = _data()
    data["diffraction"][0]["pressures_GPa"][2] = 4000.0  # MPa by mistake
    assert _error(data).field == "diffraction[0].pressures_GPa[2]"


def test_simulation_frames_as_list_of_tables():
    data = _data()
    data["simulation"][0]["frames"] = [{"pressure_GPa": 0.0, "file": "../frames/random_Sb2Se3_packing.extxyz"},
                                       {"pressure_GPa": 50.0, "file": "../frames/bcc_Sb2Se3_thermal.extxyz"}]
    s = parse_study(data, source="study.toml", base=STUDY.parent)
    assert [f.pressure_GPa for f in s.simulation[0].frames] == [0.0, 50.0]


def test_ruby_readings_become_pressures():
    pytest.importorskip("peritheos")
    data = _data()
    d = data["diffraction"][0]
    d.pop("pressures_GPa")
    d["ruby_R1_nm"] = [694.3 + 0.1 * i for i in range(14)]
    s = parse_study(data, source="study.toml", base=STUDY.parent)
    ps = resolve_pressures(s.diffraction[0], "diffraction[0]", "study.toml")
    assert len(ps) == 14 and ps[0][0] == pytest.approx(0.13, abs=0.05)  # λ0 of Ruby2020 is 694.25 nm
    assert all(b[0] > a[0] for a, b in itertools.pairwise(ps))
    assert "ruby" in ps[0][2]


def test_toml_syntax_error_gives_line(tmp_path):
    bad = tmp_path / "study.toml"
    bad.write_text('[sample]\ncomposition = "Sb2Se3"\n[[diffraction]\n')
    with pytest.raises(InputError) as info:
        load_study(bad)
    assert info.value.line == 3 and "not valid TOML" in str(info.value)
    with pytest.raises(InputError, match="study file not found"):
        load_study(tmp_path / "none.toml")


def test_relative_paths_resolve_against_the_study_file(demo_copy, monkeypatch):
    monkeypatch.chdir(Path("/"))
    s = load_study(demo_copy)
    assert s.diffraction[0].files[0].parent == demo_copy.parent.parent.resolve() / "series"
    assert re.search(r"series_000\.6GPa\.xy$", str(s.diffraction[0].files[0]))


def test_readme_example_validates(tmp_path):
    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text()
    block = text.split("## Study", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    data = tomllib.loads(block)
    for path in re.findall(r'"([\w/.-]+\.(?:xy|dat|csv|extxyz))"', block):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    s = parse_study(data, source=tmp_path / "study.toml", base=tmp_path)
    assert [t.direction for t in s.transport] == ["compression", "decompression"]
    assert [f.pressure_GPa for f in s.simulation[0].frames] == [0.0, 20.0, 50.0]
    assert s.diffraction[0].ruby_R1_nm[0] == 694.52
