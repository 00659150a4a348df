"""Study files are strict (issue 14): no bool→number, string→number or string→bool coercion, no NaN; a UTF-8
byte-order mark is fine; every path stays inside the study's folder unless ``[study] allow_outside_paths = true``;
system and special files are refused before anything opens them, with the opt-in too. Each error is one line
naming the study file and the field."""

from __future__ import annotations

import builtins
import copy
import os
import socket
import sys
import tomllib
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, Strict

from hpglass.demo_data import demo_folder
from hpglass.errors import InputError
from hpglass.study import load_study, parse_study, schema

STUDY = demo_folder() / "study" / "model_series.toml"
BASE = tomllib.loads(STUDY.read_text(encoding="utf-8"))


def _edited(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def _error(data: dict, base: Path = STUDY.parent) -> InputError:
    with pytest.raises(InputError) as info:
        parse_study(data, source="study.toml", base=base)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"study.toml [{info.value.field}]: ")
    return info.value


# -- strict types ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("edit", "field", "words"), [
    (lambda d: d["transport"][0]["curves"][0].update(pressure_GPa=True), "transport[0].curves[0].pressure_GPa",
     "expected a number, got the boolean true"),
    (lambda d: d["diffraction"][0]["pressures_GPa"].__setitem__(3, True), "diffraction[0].pressures_GPa[3]",
     "expected a number, got the boolean true"),
    (lambda d: d["diffraction"][0].update(wavelength_A="0.2952"), "diffraction[0].wavelength_A",
     'expected a number, got the string "0.2952" (write numbers without quotes)'),
    (lambda d: d["analysis"].update(refine_density="yes"), "analysis.refine_density",
     'expected true or false, got the string "yes"'),
    (lambda d: d["analysis"].update(lorch=1), "analysis.lorch", "expected true or false, got the number 1"),
    (lambda d: d["analysis"].update(iterations=True), "analysis.iterations",
     "expected a whole number, got the boolean true"),
    (lambda d: d["analysis"].update(iterations=5.0), "analysis.iterations",
     "expected a whole number, got the number 5.0"),
    (lambda d: d["diffraction"][0].update(wavelength_A=float("nan")), "diffraction[0].wavelength_A",
     "expected a finite number, got nan"),
    (lambda d: d["sample"]["crystal"]["eos"].update(K0_GPa=float("inf")), "sample.crystal.eos.K0_GPa",
     "expected a finite number, got inf"),
    # a union (one number or one per file): the item at fault, not "not a number" for the whole list
    (lambda d: d["diffraction"][0].update(anvil_thickness_mm=[2.0] * 13 + [True]),
     "diffraction[0].anvil_thickness_mm[13]", "expected a number, got the boolean true"),
    (lambda d: d["diffraction"][0].update(sample_thickness_um="30"), "diffraction[0].sample_thickness_um",
     'expected a number, got the string "30" (write numbers without quotes)'),
    (lambda d: d["study"].update(allow_outside_paths="yes"), "study.allow_outside_paths",
     'expected true or false, got the string "yes"'),
])
def test_no_coercion(edit, field, words):
    err = _error(_edited(edit))
    assert err.field == field
    assert err.message == words


def test_a_union_error_counts_as_one_problem():
    err = _error(_edited(lambda d: d["diffraction"][0].update(anvil_thickness_mm=True)))
    assert err.message == "expected a number, got the boolean true"  # not "(and 1 more problem)" for the list form


def test_integers_stand_for_floats():
    s = parse_study(_edited(lambda d: (d["sample"]["crystal"]["eos"].update(K0_GPa=30),
                                       d["transport"][0]["curves"][0].update(pressure_GPa=30))),
                    source="study.toml", base=STUDY.parent)
    assert type(s.sample.crystal.eos.K0_GPa) is float and s.sample.crystal.eos.K0_GPa == 30.0
    assert type(s.transport[0].curves[0].pressure_GPa) is float


def _loose_scalars(tp, where: str) -> list[str]:
    """Places in an annotation where a float, int or bool would be coerced (no Strict marker)."""
    if typing.get_origin(tp) is typing.Annotated:
        base, *meta = typing.get_args(tp)
        if base in (float, int, bool):
            return [] if any(isinstance(m, Strict) and m.strict for m in meta) else [where]
        return _loose_scalars(base, where)
    if tp in (float, int, bool):
        return [where]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return []  # checked on its own
    return [x for arg in typing.get_args(tp) for x in _loose_scalars(arg, where)]


def test_every_number_and_boolean_field_is_strict():
    models = [m for m in vars(schema).values()
              if isinstance(m, type) and issubclass(m, schema._Model) and m is not schema._Model]
    assert {"Study", "DiffractionRun", "Analysis", "Crystal", "CrystalEos"} <= {m.__name__ for m in models}
    loose = []
    for model in models:
        for name, info in model.model_fields.items():
            if name == "source":  # set by load_study, not read from TOML
                continue
            strict = any(isinstance(m, Strict) and m.strict for m in info.metadata)
            if info.annotation in (float, int, bool) and strict:
                continue
            loose += _loose_scalars(info.annotation, f"{model.__name__}.{name}")
    assert loose == []


# -- byte-order mark ---------------------------------------------------------------------------------------------------
SMALL = """[study]
name = "small"
[sample]
composition = "Sb2Se3"
[[transport]]
name = "t"
curves = [{ file = "rt.dat", pressure_GPa = 30 }]
provenance = { kind = "measured" }
"""


def _small(folder: Path, text: str = SMALL, *, bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rt.dat").write_text("# T_K R_ohm\n300 1\n", encoding="utf-8")
    path = folder / "study.toml"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_byte_order_mark_is_accepted(tmp_path):
    with_bom = load_study(_small(tmp_path / "a", bom=True))
    plain = load_study(_small(tmp_path / "b"))
    assert with_bom.study.name == plain.study.name == "small"
    assert with_bom.transport[0].curves[0].pressure_GPa == 30.0


# -- paths -------------------------------------------------------------------------------------------------------------
def _with_file(text: str, path: str) -> str:
    return text.replace('"rt.dat"', f'"{path}"')


def _opt_in(text: str) -> str:
    return text.replace('name = "small"\n', 'name = "small"\nallow_outside_paths = true\n')


@pytest.fixture
def outside(tmp_path) -> Path:
    f = tmp_path / "elsewhere" / "secret.dat"
    f.parent.mkdir()
    f.write_text("# T_K R_ohm\n300 1\n")
    return f


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_path_outside_the_folder_is_refused_and_says_how_to_opt_in(tmp_path, outside, how):
    ref = "../elsewhere/secret.dat" if how == "relative" else str(outside)
    study = _small(tmp_path / "study", _with_file(SMALL, ref))
    with pytest.raises(InputError) as info:
        load_study(study)
    err = info.value
    assert err.field == "transport[0].curves[0].file" and err.source == str(study)
    assert "outside the study's folder" in err.message and "allow_outside_paths = true in [study]" in err.message
    assert str(outside) in err.message and "\n" not in str(err)


def test_opt_in_reads_outside_the_folder(tmp_path, outside):
    study = _small(tmp_path / "study", _opt_in(_with_file(SMALL, "../elsewhere/secret.dat")))
    assert load_study(study).transport[0].curves[0].file == outside


def test_symlinks_are_judged_by_their_target(tmp_path, outside):
    folder = tmp_path / "study"
    study = _small(folder, _with_file(SMALL, "link.dat"))
    (folder / "link.dat").symlink_to(outside)
    with pytest.raises(InputError, match="outside the study's folder") as info:
        load_study(study)
    assert info.value.field == "transport[0].curves[0].file"
    (folder / "link.dat").unlink()
    (folder / "link.dat").symlink_to(folder / "rt.dat")  # a link inside the folder is fine: its target is read
    assert load_study(study).transport[0].curves[0].file == (folder / "rt.dat").resolve()


def test_bundled_data_and_subfolders_are_inside(tmp_path):
    """The package's own demo files (absolute paths, as the bundled studies reach them) and subfolders are fine."""
    bundled = demo_folder() / "synthetic_RT_two_transitions_ETO.dat"
    text = _with_file(SMALL, str(bundled)).replace("[[transport]]", '[[transport]]\nresistivity_table = "sub/r.csv"')
    study = _small(tmp_path / "study", text)
    (tmp_path / "study" / "sub").mkdir()
    (tmp_path / "study" / "sub" / "r.csv").write_text("pressure_GPa,resistivity_ohm_cm\n1,1\n")
    s = load_study(study)
    assert s.transport[0].curves[0].file == bundled.resolve()


@pytest.fixture
def no_open(monkeypatch):
    """Fail the test if anything opens a path under /proc, /sys, /dev or named 'special*'."""
    real_open, real_os_open = builtins.open, os.open

    def guard(path):
        p = str(path)
        if p.startswith(("/proc", "/sys", "/dev")) or Path(p).name.startswith("special"):
            raise AssertionError(f"{p} was opened")

    monkeypatch.setattr(builtins, "open", lambda f, *a, **k: (guard(f), real_open(f, *a, **k))[1])
    monkeypatch.setattr(os, "open", lambda f, *a, **k: (guard(f), real_os_open(f, *a, **k))[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and /dev as on Linux")
@pytest.mark.parametrize("path", ["/proc/self/environ", "/dev/zero", "/sys/kernel/mm/transparent_hugepage/enabled"])
@pytest.mark.parametrize("opt_in", [False, True])
def test_system_files_are_refused_before_opening_even_with_the_opt_in(tmp_path, no_open, path, opt_in):
    text = _with_file(SMALL, path)
    study = _small(tmp_path / "study", _opt_in(text) if opt_in else text)
    with pytest.raises(InputError) as info:
        load_study(study)
    assert info.value.field == "transport[0].curves[0].file"
    assert "system file" in info.value.message and path in info.value.message


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _socket(p: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(p))
    s.close()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")
@pytest.mark.parametrize(("make", "kind"), [(_fifo, "a FIFO"), (_socket, "a socket")])
@pytest.mark.parametrize("opt_in", [False, True])
def test_special_files_are_refused_without_opening(tmp_path, no_open, make, kind, opt_in):
    """A FIFO would block the loader forever if it were opened: stat, then refuse."""
    text = _with_file(SMALL, "special")
    study = _small(tmp_path / "study", _opt_in(text) if opt_in else text)
    make(tmp_path / "study" / "special")
    with pytest.raises(InputError) as info:
        load_study(study)
    assert info.value.field == "transport[0].curves[0].file"
    assert f"is {kind}" in info.value.message and "not a data file" in info.value.message


def test_run_refuses_an_outside_path_with_one_line_and_writes_nothing(tmp_path, outside, run_cli):
    study = _small(tmp_path / "study", _with_file(SMALL, str(outside)))
    out = tmp_path / "out"
    r = run_cli(["run", study, "--out", out])
    assert r.exit_code == 2, r.describe()
    line = r.stderr.strip()
    assert "\n" not in line and line.startswith("hpglass: error: ")
    assert f"{study} [transport[0].curves[0].file]" in line and "allow_outside_paths = true" in line
    assert not out.exists()


def test_bundled_studies_still_load():
    for path in sorted((demo_folder() / "study").glob("*.toml")):
        assert load_study(path).source == path


def test_the_study_path_is_not_a_key_of_the_file():
    err = _error(_edited(lambda d: d.update(source="/etc/passwd")))
    assert err.field == "source" and err.message.startswith("unknown field")
