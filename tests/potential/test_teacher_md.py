"""Teacher MD as a source of training configurations (``hpglass potential dataset --teacher-md``)."""

import numpy as np
from _labels import FRAMES
from ase.calculators.lj import LennardJones
from ase.io import read, write
from typer.testing import CliRunner

from hpglass.cli.main import app
from hpglass.potential.workflow import teacher_md_candidates


def _cheap_teacher(calls):
    def make(name, elements=("Sb", "Se"), threads=1):
        calls.append((name, tuple(elements)))
        return LennardJones(sigma=2.7, epsilon=0.02, rc=6.0, smooth=True)

    return make


def test_teacher_md_samples_each_pressure_and_resumes_without_rerunning(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("hpglass.potential.teacher.make_teacher", _cheap_teacher(calls))
    starts = []
    for i, p in enumerate((0, 10)):
        path = tmp_path / f"start{i}.extxyz"
        write(path, read(FRAMES / f"P_{p}GPa.extxyz", index=-1))
        starts.append(path)
    kw = {"pressures_GPa": (0.0, 5.0), "steps": 12, "equilibration_steps": 4, "sample_every": 4, "seed": 3}
    frames = teacher_md_candidates("my-teacher", starts, tmp_path / "md", **kw)
    # 2 starts × 2 pressures × 12 / 4 frames, each tagged with its run and pressure, no velocities, no calculator
    assert len(frames) == 12
    assert [a.info["md_pressure_GPa"] for a in frames[:6]] == [0.0] * 3 + [5.0] * 3
    assert [a.info["run"] for a in frames] == [0] * 6 + [1] * 6
    assert all(a.info["source"] == "teacher_md" and a.calc is None and "momenta" not in a.arrays for a in frames)
    assert calls[0] == ("my-teacher", ("Sb", "Se"))
    assert len({a.info["uid"] for a in frames}) == 12  # the MD moved: every frame differs
    # the frames are the run's: the start's atom count, and the last frame of a stage is not the start
    assert len(frames[0]) == len(read(starts[0]))
    assert not np.allclose(frames[2].positions, read(starts[0]).positions)
    stamp = (tmp_path / "md/run1/P_5GPa.extxyz").stat().st_mtime_ns
    again = teacher_md_candidates("my-teacher", starts, tmp_path / "md", **kw)
    assert [a.info["uid"] for a in again] == [a.info["uid"] for a in frames]
    assert (tmp_path / "md/run1/P_5GPa.extxyz").stat().st_mtime_ns == stamp


def test_dataset_cli_refuses_bad_teacher_md_options(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["potential", "dataset", "--out", str(tmp_path / "o"), "--teacher-md",
                            str(tmp_path / "missing.extxyz")])
    assert r.exit_code == 2 and "--teacher-md" in r.output and "missing.extxyz" in r.output
    start = tmp_path / "s.extxyz"
    write(start, read(FRAMES / "P_0GPa.extxyz", index=-1))
    r = runner.invoke(app, ["potential", "dataset", "--out", str(tmp_path / "o"), "--teacher-md", str(start),
                            "--teacher-md-pressures", "0,x"])
    assert r.exit_code == 2 and "--teacher-md-pressures" in r.output
    r = runner.invoke(app, ["potential", "dataset", "--out", str(tmp_path / "o"), "--teacher-md", str(start),
                            "--teacher-md-steps", "0"])
    assert r.exit_code == 2 and "--teacher-md-steps" in r.output
    assert not (tmp_path / "o").exists()
