"""Overhead of hpglass's melt–quench–compress protocol over a bare ASE MD loop doing the same dynamics.

Both sides start from the same random packing and velocities and drive the same ASE integrators with the same
random generator, so they compute the *same trajectory* (checked: final positions equal): Langevin melt, a
Langevin quench whose target temperature is lowered every step, Langevin equilibration, then NPTBerendsen at each
pressure. Both log temperature, density and (NPT) pressure every ``sample_every`` steps. What the bare loop does
not do is exactly what the protocol adds: sampled frames kept as extxyz text, a JSON record and an extxyz file per
stage, checkpoints (JSON + ASE trajectory, fsync'ed atomic writes) every ``checkpoint_every`` steps and after each
stage, and the per-step bookkeeping. Overhead = protocol time / bare time − 1 (target ≤ 5 %).

Because the calculator dominates and its time swings on a shared machine, the calculator's CPU time is clocked
separately (``calc.calculate`` wrapped, same number of calls on both sides), and the overhead is also reported as
what hpglass adds: (CPU outside the calculator, protocol − bare) / bare CPU — the figure to compare with 5 %.

Cases:
  EMT       Cu, 108 atoms, 1000 steps (melt 400, quench 150, equilibrate 150, 0 and 10 GPa × 150), sample every
            50, checkpoint every 500 (twice the production cadence); also with the CLI's rich progress bar callback.
  SevenNet  7net-0 (CPU, 1 torch thread), Sb2Se3, 80 atoms, 30 steps (melt 10, quench 5, equilibrate 5, 0 GPa 10),
            sample every 5 — a short run: the model is shared, its load (≈ 6 s) is outside the timings.

Times: the minimum over repeats, bare and protocol alternating; CPU time of this process (all its threads, so the
progress bar's refresh thread counts) and wall time. On a machine shared with other jobs the CPU times are the
measure: wall times swing by tens of per cent between identical runs. Run: python benchmarks/bench_simulate.py
[--quick] [--no-sevenn] [--update-readme]. Threads: OMP/OPENBLAS/MKL=1 (set before numpy loads), torch 1.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import datetime
import io
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from hpglass.simulate import ProtocolConfig, plan_stages, run_protocol

EMT_CONFIG = ProtocolConfig(
    composition="Cu", n_atoms=108, initial_density_g_cm3=8.0, min_distance_A=1.9, seed=1, timestep_fs=2.0,
    melt_temperature_K=2000.0, melt_steps=400, quench_rate_K_per_ps=1700.0 / 0.3,  # 150 quench steps
    temperature_K=300.0, equilibration_steps=150, pressures_GPa=(0.0, 10.0), pressure_equilibration_steps=50,
    steps_per_pressure=100, sample_every=50, checkpoint_every=500, barostat_time_fs=250.0,
    compressibility_per_GPa=0.01)
SEVENN_CONFIG = ProtocolConfig(
    composition="Sb2Se3", n_atoms=80, initial_density_g_cm3=5.4, min_distance_A=2.3, seed=1, timestep_fs=2.0,
    melt_temperature_K=1200.0, melt_steps=10, quench_rate_K_per_ps=900.0 / 0.01,  # 5 quench steps
    temperature_K=300.0, equilibration_steps=5, pressures_GPa=(0.0,), pressure_equilibration_steps=0,
    steps_per_pressure=10, sample_every=5, checkpoint_every=1000)


def bare_md(config: ProtocolConfig, calc):
    """The protocol's dynamics written as a plain ASE loop (same generator, integrators, logging cadence)."""
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.nptberendsen import NPTBerendsen
    from ase.md.velocitydistribution import Stationary, thermalize_momenta

    from hpglass.structure.random_cell import random_packing

    c = config
    rng = np.random.default_rng(c.seed)
    atoms = random_packing(c.composition, c.n_atoms, c.initial_density_g_cm3, min_distance=c.min_distance_A,
                           seed=int(rng.integers(2**31)))
    thermalize_momenta(atoms, c.melt_temperature_K, rng=rng)
    Stationary(atoms)
    atoms.calc = calc
    dt = c.timestep_fs * units.fs
    log = []
    mass = atoms.get_masses().sum() * 1.66053906660
    for stage in plan_stages(c):  # the list of (kind, steps, temperatures, pressure); no hpglass code per step
        if stage.kind == "npt":
            dyn = NPTBerendsen(atoms, dt, temperature_K=stage.temperature_K,
                               pressure_au=stage.pressure_GPa * units.GPa, taut=c.thermostat_time_fs * units.fs,
                               taup=c.barostat_time_fs * units.fs,
                               compressibility_au=c.compressibility_per_GPa / units.GPa)
        else:
            t0 = stage.start_temperature_K if stage.start_temperature_K is not None else stage.temperature_K
            dyn = Langevin(atoms, dt, temperature_K=t0, friction=c.friction_per_fs / units.fs, fixcm=False, rng=rng)
        for k in range(stage.n_steps):
            if stage.kind == "quench":
                dyn.set_temperature(temperature_K=stage.start_temperature_K + (
                    stage.temperature_K - stage.start_temperature_K) * ((k + 1) / stage.n_steps))
            dyn.step()
            if (k + 1) % c.sample_every == 0:
                row = [atoms.get_temperature(), mass / atoms.get_volume()]
                if stage.kind == "npt":
                    row.append(-atoms.get_stress(voigt=True, include_ideal_gas=True)[:3].mean() / units.GPa)
                log.append(row)
    return atoms


def protocol_md(config: ProtocolConfig, calc, progress=None):
    out = Path(tempfile.mkdtemp(prefix="bench_simulate_"))
    try:
        run_protocol(config, lambda: calc, out, progress=progress)
        from hpglass.simulate.checkpoint import atoms_from_state, read_checkpoint

        return atoms_from_state(read_checkpoint(out).state)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def cli_progress(config: ProtocolConfig):
    """The callback `hpglass simulate` passes to run_protocol, drawing into a string instead of the terminal."""
    from rich.console import Console

    import hpglass.cli.simulate as sim

    sim.err_console = Console(file=io.StringIO(), force_terminal=True, width=100)
    return sim._Progress([(s.name, s.n_steps) for s in plan_stages(config)], {}, quiet=False)


class CalcClock:
    """Wraps ``calc.calculate`` to add up the CPU time spent inside the calculator (and count its calls).

    Thread CPU time of the calling thread: work of other threads (the progress bar's refresh) stays outside."""

    def __init__(self, calc):
        self.cpu = 0.0
        self.calls = 0
        inner = calc.calculate

        def calculate(*args, **kwargs):
            t = time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.cpu += time.thread_time() - t
                self.calls += 1

        calc.calculate = calculate

    def reset(self):
        self.cpu, self.calls = 0.0, 0


def _timed(fn, clock: CalcClock):
    clock.reset()
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, clock.cpu, clock.calls, out


def measure(name: str, config: ProtocolConfig, calc, repeats: int, with_bar: bool = False) -> dict:
    """Minimum wall and CPU (this process, all threads) time of each variant over ``repeats`` alternating runs."""
    n_steps = sum(s.n_steps for s in plan_stages(config))
    clock = CalcClock(calc)
    times: dict[str, list[tuple]] = {"bare": [], "protocol": [], "bar": []}
    same = True
    for _ in range(repeats):
        *t, a = _timed(lambda: bare_md(config, calc), clock)
        times["bare"].append(t)
        *t, b = _timed(lambda: protocol_md(config, calc), clock)
        times["protocol"].append(t)
        same &= bool(np.array_equal(a.get_positions(), b.get_positions()))
        if with_bar:
            bar = cli_progress(config)

            def run_with_bar(bar=bar):
                with bar:
                    return protocol_md(config, calc, progress=bar)

            *t, _ = _timed(run_with_bar, clock)
            times["bar"].append(t)
    row = {"case": name, "atoms": config.n_atoms, "steps": n_steps, "same_trajectory": same, "repeats": repeats}
    for key, ts in times.items():
        if ts:
            row[f"{key}_wall_s"] = min(t[0] for t in ts)
            row[f"{key}_cpu_s"] = min(t[1] for t in ts)
            row[f"{key}_calc_cpu_s"] = min(t[2] for t in ts)
            row[f"{key}_other_cpu_s"] = min(t[1] - t[2] for t in ts)  # CPU outside the calculator
            row[f"{key}_calls"] = ts[0][3]
    for key in ("protocol", "bar"):
        if f"{key}_wall_s" in row:
            row[f"{key}_wall_overhead"] = row[f"{key}_wall_s"] / row["bare_wall_s"] - 1
            row[f"{key}_cpu_overhead"] = row[f"{key}_cpu_s"] / row["bare_cpu_s"] - 1
            # what the protocol adds, outside the calculator, relative to the whole bare run
            row[f"{key}_added_overhead"] = (row[f"{key}_other_cpu_s"] - row["bare_other_cpu_s"]) / row["bare_cpu_s"]
    print(row, flush=True)
    return row


def render(rows: list[dict], quick: bool) -> str:
    import ase

    import hpglass

    versions = f"hpglass {hpglass.__version__}, ASE {ase.__version__}, numpy {np.__version__}"
    try:
        import sevenn
        import torch

        versions += f", torch {torch.__version__}, sevenn {sevenn.__version__}"
    except ImportError:
        pass
    head = (f"Run {datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores shared with other jobs "
            f"(load ≈ 3–5 during the run: wall times are noisy, CPU times of this process are the measure), "
            f"Python {platform.python_version()}; {versions}; one BLAS/torch thread; "
            f"{'quick' if quick else 'full'} run; minimum over {rows[0]['repeats']} alternating repeats.")
    columns = ("| case | atoms | MD steps | calculator calls | bare ASE loop: CPU (wall) | hpglass: CPU (wall) "
               "| CPU outside the calculator, bare → hpglass | **added by hpglass** | total CPU (wall) ratio − 1 "
               "| same trajectory |")
    lines = [head, "", columns, "|---|---|---|---|---|---|---|---|---|---|"]

    def ms(x, r):
        return f"{1e3 * x / r['steps']:.2f}"

    for r in rows:
        lines.append(
            f"| {r['case']} | {r['atoms']} | {r['steps']} | {r['bare_calls']} / {r['protocol_calls']} | "
            f"{r['bare_cpu_s']:.2f} s ({r['bare_wall_s']:.2f} s) | {r['protocol_cpu_s']:.2f} s "
            f"({r['protocol_wall_s']:.2f} s) | {ms(r['bare_other_cpu_s'], r)} → {ms(r['protocol_other_cpu_s'], r)} "
            f"ms/step | **{100 * r['protocol_added_overhead']:+.2f} %** | {100 * r['protocol_cpu_overhead']:+.1f} % "
            f"({100 * r['protocol_wall_overhead']:+.1f} %) | {'yes' if r['same_trajectory'] else 'NO'} |")
        if "bar_cpu_s" in r:
            lines.append(
                f"| {r['case']}, with the CLI's progress bar | {r['atoms']} | {r['steps']} | {r['bar_calls']} | — | "
                f"{r['bar_cpu_s']:.2f} s ({r['bar_wall_s']:.2f} s) | {ms(r['bare_other_cpu_s'], r)} → "
                f"{ms(r['bar_other_cpu_s'], r)} ms/step | **{100 * r['bar_added_overhead']:+.2f} %** | "
                f"{100 * r['bar_cpu_overhead']:+.1f} % ({100 * r['bar_wall_overhead']:+.1f} %) | — |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one repeat each")
    ap.add_argument("--no-sevenn", action="store_true", help="EMT only")
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()
    from ase.calculators.emt import EMT

    rows = [measure("EMT Cu", EMT_CONFIG, EMT(), 1 if args.quick else 3, with_bar=True)]
    if not args.no_sevenn:
        try:
            from hpglass.simulate.calculators import make_calculator

            calc = make_calculator("sevenn", "cpu", 1)
        except ImportError as exc:  # pragma: no cover - sevenn not installed
            print(f"sevenn part skipped: {exc}")
        else:
            rows.append(measure("SevenNet-0 Sb2Se3", SEVENN_CONFIG, calc, 1 if args.quick else 2))
    block = render(rows, args.quick)
    print(block)
    if args.update_readme:
        path = Path(__file__).with_name("README.md")
        text = path.read_text()
        begin, end = "<!-- bench:simulate:begin -->", "<!-- bench:simulate:end -->"
        section = f"{begin}\n{block}\n{end}"
        if begin in text:
            text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
        else:
            text += ("\n\n# Simulation: hpglass protocol vs a bare ASE MD loop\n\n"
                     "`benchmarks/bench_simulate.py` (its docstring says what both sides do).\n\n") + section + "\n"
        path.write_text(text)


if __name__ == "__main__":
    main()
