"""`hpglass simulate` end to end with cheap ASE calculators registered as potentials (EMT Cu for the protocol,
Lennard-Jones for the Sb2Se3 crystals): run.json, stage files, --json, interrupt and --resume (byte-identical to an
uninterrupted run, also after SIGKILL of a subprocess), crystal ladders, one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from typer.testing import CliRunner

import hpglass.cli.simulate as sim
from hpglass.cli.main import app
from hpglass.simulate import ProtocolConfig, read_checkpoint

# the 32-atom EMT Cu protocol of test_protocol.py (≈ 5 s a run)
CFG = ProtocolConfig(
    composition="Cu", n_atoms=32, initial_density_g_cm3=8.0, min_distance_A=1.9, seed=7, timestep_fs=5.0,
    melt_temperature_K=2000.0, melt_steps=40, quench_rate_K_per_ps=8500.0, temperature_K=300.0,
    equilibration_steps=20, pressures_GPa=(0.0, 10.0, 20.0), pressure_equilibration_steps=60,
    steps_per_pressure=60, sample_every=20, checkpoint_every=25, barostat_time_fs=250.0,
    compressibility_per_GPa=0.01,
)
ARGS = ["--composition", "Cu", "--atoms", "32", "--initial-density", "8", "--min-distance", "1.9", "--seed", "7",
        "--timestep-fs", "5", "--melt-temperature", "2000", "--melt-steps", "40", "--quench-rate", "8500",
        "--equilibration-steps", "20", "--pressures", "0,10,20", "--pressure-equilibration-steps", "60",
        "--steps-per-pressure", "60", "--sample-every", "20", "--checkpoint-every", "25",
        "--barostat-time-fs", "250", "--compressibility", "0.01", "--potential", "emt"]
STAGES = ["melt", "quench", "equilibrate", "P_0GPa", "P_10GPa", "P_20GPa"]
SUMMARY_KEYS = {"out_dir", "run_json", "potential", "warning", "metadata", "config", "stages", "files",
                "mean_density_g_cm3", "resumed_from", "hpglass_version"}


def _info(name):
    return lambda device, threads: {"potential": name, "device": device, "torch_threads": threads}


EMT_POTENTIAL = sim.Potential(name="emt", factory=lambda device, threads: EMT, info=_info("emt"))
LJ_POTENTIAL = sim.Potential(name="lj", factory=lambda device, threads: (
    lambda: LennardJones(sigma=2.6, epsilon=0.05, rc=6.0, smooth=True)), info=_info("lj"))


class Interrupting(EMT):
    """EMT that raises KeyboardInterrupt (as Ctrl-C would) at its ``limit``-th calculation."""

    limit = 10**9
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        if type(self).calls == type(self).limit:
            raise KeyboardInterrupt
        super().calculate(*args, **kwargs)


Interrupting.__name__ = "EMT"  # stage records name the calculator class: keep them equal to the EMT run's


@pytest.fixture(scope="module", autouse=True)
def cheap_potentials():
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sim.POTENTIALS, "emt", EMT_POTENTIAL)
        mp.setitem(sim.POTENTIALS, "lj", LJ_POTENTIAL)
        yield


def invoke(*args):
    return CliRunner().invoke(app, ["simulate", *[str(a) for a in args]])


def one_line_error(res, *needles):
    assert res.exit_code == 2, (res.exit_code, res.stderr, res.exception)
    assert isinstance(res.exception, SystemExit), res.exception
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
    return lines[0]


def same_stage_files(a: Path, b: Path) -> None:
    for stage in STAGES:
        assert (a / f"{stage}.json").read_bytes() == (b / f"{stage}.json").read_bytes(), stage
        if stage.startswith("P_"):
            assert (a / f"{stage}.extxyz").read_bytes() == (b / f"{stage}.extxyz").read_bytes(), stage


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    res = invoke(*ARGS, "--out", out, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    return out, json.loads(res.stdout)


def test_run_writes_run_json_and_stages(full):
    out, data = full
    assert set(data) == SUMMARY_KEYS
    run = json.loads((out / "run.json").read_text())
    assert run == {"config": CFG.to_dict(), "metadata": {"potential": "emt", "device": "cpu", "torch_threads": 1}}
    assert data["config"] == CFG.to_dict() and data["stages"] == STAGES and data["resumed_from"] is None
    assert data["potential"] == "emt" and data["warning"] is None
    assert data["files"]["P_10GPa"] == [str(out / "P_10GPa.extxyz"), str(out / "P_10GPa.json")]
    assert all(Path(p).is_file() for files in data["files"].values() for p in files)
    rho = [data["mean_density_g_cm3"][s] for s in ("P_0GPa", "P_10GPa", "P_20GPa")]
    assert rho[0] + 0.2 < rho[1] < rho[2] - 0.2, rho  # EMT Cu: +10 GPa ≈ +0.6 g/cm³
    rec = json.loads((out / "P_0GPa.json").read_text())
    assert rec["metadata"] == run["metadata"] and rec["calculator"] == "EMT"
    assert read_checkpoint(out).completed == STAGES


def test_human_output_and_progress(tmp_path):
    cfg = [*ARGS[:ARGS.index("--pressures")], "--pressures", "0", *ARGS[ARGS.index("--pressures") + 2:]]
    res = invoke(*cfg, "--out", tmp_path)
    assert res.exit_code == 0, res.stderr
    assert "P_0GPa" in res.stdout and "mean density" in res.stdout
    assert "4/4 P_0GPa" in res.stderr and "all stages" in res.stderr  # the progress bars' last state


def test_interrupt_then_resume_is_byte_identical(full, tmp_path, monkeypatch):
    monkeypatch.setattr(Interrupting, "limit", 200)  # melt+quench+equilibrate = 100 steps: inside P_0GPa / P_10GPa
    monkeypatch.setattr(Interrupting, "calls", 0)
    monkeypatch.setitem(sim.POTENTIALS, "emt", replace(EMT_POTENTIAL, factory=lambda d, t: Interrupting))
    res = invoke(*ARGS, "--out", tmp_path)
    assert res.exit_code == 130, (res.stderr, res.exception)
    assert f"hpglass simulate --resume {tmp_path}" in res.stderr
    ckpt = read_checkpoint(tmp_path)
    assert ckpt.stage.startswith("P_") and "P_20GPa" not in ckpt.completed
    assert not (tmp_path / "P_20GPa.json").exists()

    # a new run into that folder is refused; so are protocol options next to --resume
    one_line_error(invoke(*ARGS, "--out", tmp_path), "--resume", "checkpoint")
    one_line_error(invoke("--resume", tmp_path, "--atoms", "64"), "--atoms", "run.json")

    monkeypatch.setattr(Interrupting, "limit", 10**9)
    res = invoke("--resume", tmp_path, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    assert set(data) == SUMMARY_KEYS
    assert data["resumed_from"] == {"stage": ckpt.stage, "step": ckpt.step}
    assert data["mean_density_g_cm3"] == full[1]["mean_density_g_cm3"]
    same_stage_files(tmp_path, full[0])


@pytest.mark.slow
def test_sigkill_then_resume_is_byte_identical(full, tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent("""
        from ase.calculators.emt import EMT
        import hpglass.cli.simulate as sim
        sim.POTENTIALS["emt"] = sim.Potential(name="emt", factory=lambda device, threads: EMT,
            info=lambda device, threads: {"potential": "emt", "device": device, "torch_threads": threads})
        from hpglass.cli.main import main
        main()
    """))
    out = tmp_path / "run"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(driver), "simulate", *ARGS, "--out", str(out), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            ckpt = read_checkpoint(out) if (out / "checkpoint.json").is_file() else None
            if ckpt is not None and "P_0GPa" in ckpt.completed:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()!r}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "P_20GPa.json").exists()
    res = invoke("--resume", out, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    assert json.loads(res.stdout)["resumed_from"] is not None
    same_stage_files(out, full[0])
    assert not list(out.glob(".*tmp*"))  # no temporary files of the atomic writes left behind


def test_resume_of_a_finished_run_does_nothing(full, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(full[0], run)
    mtimes = {p: p.stat().st_mtime_ns for p in run.iterdir()}
    res = invoke("--resume", run, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["resumed_from"] == {"stage": "P_20GPa", "step": 120}
    assert {p: p.stat().st_mtime_ns for p in run.iterdir()} == mtimes


def test_chgnet_warning_on_stderr_and_in_json(tmp_path, monkeypatch):
    # the chgnet entry with EMT underneath: only the warning plumbing is under test here
    monkeypatch.setitem(sim.POTENTIALS, "chgnet", replace(sim.POTENTIALS["chgnet"], factory=lambda d, t: EMT,
                                                          check=None, info=_info("chgnet")))
    args = [a if a != "emt" else "chgnet" for a in ARGS]
    args[args.index("--pressures") + 1] = "0"
    res = invoke(*args, "--out", tmp_path, "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert "50 GPa" in data["warning"]
    assert res.stderr.startswith("hpglass: warning: CHGNet")


def test_every_protocol_parameter_has_an_option():
    from dataclasses import fields

    assert set(sim.CONFIG_OPTIONS) == {f.name for f in fields(ProtocolConfig)}
    flags = [flag for _, flag in sim.CONFIG_OPTIONS.values()]
    res = CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "200"})
    assert all(flag in res.stdout for flag in flags), [f for f in flags if f not in res.stdout]


@pytest.mark.skipif("initial_structure" not in ProtocolConfig.__dataclass_fields__,
                    reason="this ProtocolConfig has no initial_structure")
def test_initial_structure_skips_melt_and_quench(full, tmp_path):
    start = full[0] / "P_20GPa.extxyz"
    out = tmp_path / "branch"
    res = invoke("--initial-structure", start, "--pressures", "5", "--equilibration-steps", "10",
                 "--pressure-equilibration-steps", "10", "--steps-per-pressure", "20", "--sample-every", "10",
                 "--potential", "emt", "--out", out, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    assert data["stages"] == ["equilibrate", "P_5GPa"]
    assert data["config"]["initial_structure"] == str(start.resolve())
    one_line_error(invoke("--initial-structure", tmp_path / "nope.extxyz", "--out", tmp_path / "o"),
                   "--initial-structure", "nope.extxyz")


# -- errors ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "needles"), [
    (["--composition", "Sb2Xx3"], ["--composition"]),
    (["--pressures", "0,a,10"], ["--pressures", "'a'"]),
    (["--pressures", "10,5"], ["--pressures", "increasing"]),
    (["--pressures", "0,,5"], ["--pressures", "empty"]),
    (["--barostat", "anisotropic"], ["--barostat"]),
    (["--steps-per-pressure", "0"], ["--steps-per-pressure"]),
    (["--potential", "nequip"], ["--potential", "sevenn"]),
    (["--potential", "nequip"], ["--potential", "sevenn-d3zero"]),  # the distillation teachers are listed too
    (["--threads", "0"], ["--threads"]),
    (["--fmax", "0.05"], ["--fmax", "--crystal"]),
    (["--crystal", "pnma", "--melt-steps", "5"], ["--melt-steps", "--crystal"]),
    (["--crystal", "fcc"], ["--crystal", "pnma"]),
    (["--crystal", "bcc", "--pressures", "40,40"], ["--pressures", "repeat"]),
    (["--crystal", "pnma", "--optimizer", "lbfgs"], ["--optimizer", "fire"]),
])
def test_bad_options_one_line(tmp_path, args, needles):
    out = tmp_path / "out"
    one_line_error(invoke(*args, "--out", out), *needles)
    assert not (out / "run.json").exists()


def test_missing_sevenn_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sevenn", None)  # as if not installed: find_spec gives None, import fails
    out = tmp_path / "out"
    msg = one_line_error(invoke("--potential", "sevenn", "--atoms", "20", "--out", out), "sevenn")
    assert "pip install" in msg
    assert not out.exists()


@pytest.mark.parametrize("extra", [[], ["--crystal", "pnma", "--pressures", "0"]])
def test_teacher_without_sevenn_one_line(tmp_path, monkeypatch, extra):
    monkeypatch.setitem(sys.modules, "sevenn", None)
    out = tmp_path / "out"
    msg = one_line_error(invoke("--potential", "sevenn-d3zero", "--atoms", "20", *extra, "--out", out)
                         if not extra else invoke("--potential", "sevenn-d3zero", *extra, "--out", out), "sevenn")
    assert "pip install" in msg
    assert not out.exists()


def test_cuda_without_gpu_one_line(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    one_line_error(invoke("--device", "cuda", "--out", tmp_path / "o"), "--device", "cuda")


def test_resume_errors(tmp_path):
    one_line_error(invoke("--resume", tmp_path), "run.json")
    (tmp_path / "run.json").write_text("{not json")
    one_line_error(invoke("--resume", tmp_path), "run.json")
    (tmp_path / "run.json").write_text(json.dumps({"config": CFG.to_dict() | {"n_atomz": 3},
                                                    "metadata": {"potential": "emt"}}))
    one_line_error(invoke("--resume", tmp_path), "n_atomz")
    (tmp_path / "run.json").write_text(json.dumps({"config": CFG.to_dict(), "metadata": {"potential": "mace"}}))
    one_line_error(invoke("--resume", tmp_path), "mace")
    one_line_error(invoke("--resume", tmp_path, "--crystal", "bcc"), "--resume")


# -- crystals --------------------------------------------------------------------------------------------------------
def test_crystal_ladder_and_rerun(tmp_path):
    res = invoke("--crystal", "pnma", "--pressures", "5,0", "--potential", "lj", "--fmax", "0.05",
                 "--max-steps", "40", "--out", tmp_path, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    assert data["crystal"] == "pnma" and data["pressures_GPa"] == [0.0, 5.0]  # Pnma goes up the ladder
    assert data["skipped_GPa"] == [] and data["metadata"]["crystal"] == "pnma"
    for p in ("0", "5"):
        assert (tmp_path / f"pnma_P_{p}GPa.extxyz").is_file()
    assert {"density_g_cm3", "volume_per_atom_A3", "converged", "n_steps"} <= set(data["records"][0])
    assert (tmp_path / "pnma_eos.csv").read_text().startswith("pressure_GPa,density_g_cm3,volume_per_atom_A3")
    table = json.loads((tmp_path / "pnma_eos.json").read_text())
    assert [r["pressure_GPa"] for r in table["records"]] == [0.0, 5.0]
    assert data["records"][1]["density_g_cm3"] > data["records"][0]["density_g_cm3"]

    # rerun: nothing is relaxed again; human output marks the earlier results
    res = invoke("--crystal", "pnma", "--pressures", "0,5", "--potential", "lj", "--fmax", "0.05",
                 "--max-steps", "40", "--out", tmp_path)
    assert res.exit_code == 0, res.stderr
    assert "2 of 2 pressures read back from an earlier run" in res.stdout
    # other settings for the same folder are refused
    one_line_error(invoke("--crystal", "pnma", "--pressures", "0,5", "--potential", "lj", "--out", tmp_path),
                   "fmax")


def test_crystal_bcc_goes_down_the_ladder(tmp_path):
    res = invoke("--crystal", "bcc", "--pressures", "40,60", "--potential", "lj", "--fmax", "0.1",
                 "--max-steps", "5", "--out", tmp_path, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    assert data["pressures_GPa"] == [60.0, 40.0] and data["records"][0]["n_atoms"] == 100
    assert data["metadata"]["bcc_start_density_g_cm3"] == 7.5
    assert data["not_converged_GPa"] == [60.0, 40.0]  # 5 steps are not enough: reported, not raised


def test_make_calculator_missing_package_is_one_clear_error(monkeypatch):
    """A missing sevenn gives MissingDependencyError naming the package and the extra, not a TypeError."""
    import builtins

    from hpglass.errors import MissingDependencyError
    from hpglass.simulate.calculators import make_calculator

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("sevenn"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingDependencyError, match="sevenn.*hpglass\\[simulate\\]"):
        make_calculator("sevenn")
