"""A killed ``hpglass run`` leaves hidden temp files (``figures/.fig1_transport.<12 hex>.tmp.png``); the next run
removes exactly those — hpglass's own temp-name pattern, anywhere under OUT — and says how many (issue 14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hpglass.demo_data import demo_folder
from hpglass.io.atomic import _temp_name, is_temp_name, remove_stale_temps

#: names that look close to a temp name but are not one of ours: they must survive
NOT_OURS = [".fig1.0123456789a.tmp.png",        # 11 hex digits
            ".fig1.0123456789ABC.tmp.png",      # upper case, 13 digits
            ".fig1.0123456789AB.tmp.png",       # upper case
            "fig1.0123456789ab.tmp.png",        # not hidden
            ".fig1.0123456789ab.tmp.png.bak",   # two suffixes after .tmp
            ".fig1.0123456789ab.tmpx",          # not '.tmp'
            "..0123456789ab.tmp",               # no stem
            ".hidden", "notes.tmp", ".cache"]


@pytest.mark.parametrize("name", ["fig1_transport.png", "report.html", "summary.json", "a.b.csv", "noext",
                                  ".cache", "fig 2.svg"])
def test_every_name_the_writer_makes_is_recognised(name):
    for _ in range(20):  # random hex each time
        assert is_temp_name(_temp_name(Path("/x") / name).name)


@pytest.mark.parametrize("name", NOT_OURS)
def test_near_misses_are_not_ours(name):
    assert not is_temp_name(name)


def _tree(out: Path) -> tuple[list[Path], list[Path]]:
    """Stale temp files at three depths and other files (near misses, a user's file); returns (stale, others)."""
    (out / "figures").mkdir(parents=True)
    (out / "patterns" / "run" / "p1").mkdir(parents=True)
    stale = [out / ".report.0123456789ab.tmp.html", out / "figures" / ".fig1_transport.a1b2c3d4e5f6.tmp.png",
             out / "patterns" / "run" / "p1" / ".sq.ffffffffffff.tmp.dat"]
    others = [out / "report.html", out / "figures" / "fig1_transport.png"]
    others += [out / "figures" / n for n in NOT_OURS]
    for p in stale + others:
        p.write_text("x")
    return stale, others


def test_remove_stale_temps_removes_exactly_ours(tmp_path):
    out = tmp_path / "out"
    stale, others = _tree(out)
    target = tmp_path / "precious.txt"  # a link with one of our names: the link is not a file we wrote
    target.write_text("keep")
    (out / ".link.0123456789ab.tmp.txt").symlink_to(target)
    (out / ".folder.0123456789ab.tmp").mkdir()  # a folder with our name: never removed
    assert remove_stale_temps(out) == 3
    assert not any(p.exists() for p in stale)
    assert all(p.is_file() for p in others)
    assert target.read_text() == "keep" and (out / ".link.0123456789ab.tmp.txt").is_symlink()
    assert (out / ".folder.0123456789ab.tmp").is_dir()
    assert remove_stale_temps(out) == 0
    assert remove_stale_temps(tmp_path / "absent") == 0


SMALL = """[sample]
composition = "Sb2Se3"
[[transport]]
name = "t"
curves = [{ file = "rt.dat", pressure_GPa = 51 }]
provenance = { kind = "synthetic", model = "hpglass.demo_data" }
"""


@pytest.mark.slow  # a whole (small) study run with its figures and report: about 5 s
def test_run_removes_stale_temps_and_says_how_many(tmp_path, run_cli):
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copyfile(demo_folder() / "synthetic_RT_two_transitions_ETO.dat", folder / "rt.dat")
    (folder / "study.toml").write_text(SMALL)
    out = tmp_path / "out"
    stale, others = _tree(out)
    r = run_cli(["run", folder / "study.toml", "--out", out, "--workers", 1, "--json"])
    assert r.exit_code == 0, r.describe()
    assert "note: removed 3 stale temporary files" in r.stderr
    assert json.loads(r.stdout)["stale_temp_files_removed"] == 3
    assert not any(p.exists() for p in stale)
    assert all(p.is_file() for p in others if p.name != "report.html")  # report.html: rewritten by the run
    assert not [p for p in out.rglob("*") if is_temp_name(p.name)]  # and the run left none of its own


def test_a_broken_study_removes_nothing(tmp_path, run_cli):
    """Validation comes first: a broken study leaves OUT as it was, stale temps included."""
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "study.toml").write_text(SMALL)  # rt.dat is missing
    out = tmp_path / "out"
    stale, _ = _tree(out)
    r = run_cli(["run", folder / "study.toml", "--out", out])
    assert r.exit_code == 2, r.describe()
    assert all(p.is_file() for p in stale)
