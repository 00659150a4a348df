"""Speed of the distilled potential (SNAP in LAMMPS) against its teacher (SevenNet-0 through ASE), like for like.

Same cell for both tools, one thread each (torch.set_num_threads(1), OMP_NUM_THREADS=1; LAMMPS serial, no
OpenMP suffix), CPU time (``time.process_time``) per atom per MD step: velocity-Verlet NVE at 300 K, 2 fs — ASE's
``VelocityVerlet`` driving the teacher, LAMMPS's ``fix nve`` driving the student; each step computes energy,
forces and the virial (both tools), neighbour lists rebuilt as each tool needs. Cells: the bundled 80-atom glass
at 10 GPa replicated 2 × 2 × 1 (320 atoms) and a 3000-atom random packing at the same density (2.3 Å minimum
distance). Timed against SevenNet-0 alone and against the teacher it was fitted to (SevenNet-0 + D3, whose
dispersion term is part of what the student replaces).

Rounds: on a shared virtual machine one tool's time drifts by up to ±30 % over minutes (measured: the same student
run gave 0.18–0.25 ms per atom-step back to back), so ``--rounds R`` times student and teachers in turn R times and
reports, per cell, the median time of each tool and the median and range of the per-round ratios (each ratio from
measurements minutes apart, not from runs at different times of day).

    OMP_NUM_THREADS=1 python benchmarks/bench_distilled.py --potential DIR [--rounds 3] [--update-readme]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, replace_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def cells():
    from ase.io import read

    from hpglass.structure.random_cell import random_packing

    # the 80-atom SevenNet-0 glass (the cell the published timings used), repeated to 320 atoms
    glass = read(ROOT / "data/glass80-sevennet/P_10GPa.extxyz", index=-1)
    glass.calc = None
    rho = glass.get_masses().sum() * 1.66053906660 / glass.get_volume()
    big = random_packing("Sb2Se3", 3000, float(rho), min_distance=2.3, seed=1, max_trials=5000)
    return {320: glass.repeat((2, 2, 1)), 3000: big}


def time_teacher(atoms, steps: int, teacher: str) -> float:
    import numpy as np
    import torch
    from ase import units
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from ase.md.verlet import VelocityVerlet

    from hpglass.potential.teacher import make_teacher

    torch.set_num_threads(1)
    a = atoms.copy()
    a.calc = make_teacher(teacher)
    MaxwellBoltzmannDistribution(a, temperature_K=300, rng=np.random.default_rng(0))
    md = VelocityVerlet(a, 2 * units.fs)
    a.get_forces(), a.get_stress()  # warm-up: model load, first graph
    t = time.process_time()
    for _ in range(steps):
        md.run(1)
        a.get_stress()
    return (time.process_time() - t) / steps / len(a) * 1e3


def time_student(atoms, steps: int, potential: str) -> float:
    from hpglass.potential.lammps_potential import build_system, load_potential, open_lammps

    pot = load_potential(potential)
    lmp = open_lammps()
    build_system(lmp, atoms, pot.elements, pot.masses_amu)
    for line in pot.commands():
        lmp.command(line)
    lmp.command("timestep 0.002")
    lmp.command("velocity all create 300 1 mom yes rot no")
    lmp.command("fix 1 all nve")
    lmp.command("thermo_style custom step pe press")
    lmp.command("thermo 1")  # the virial every step, as the teacher computes it
    lmp.command("run 2")
    t = time.process_time()
    lmp.command(f"run {steps}")
    dt = time.process_time() - t
    lmp.close()
    return dt / steps / len(atoms) * 1e3


def summarise(n: int, rounds: list[dict[str, float]], teachers: list[str]) -> dict:
    """Median ms per atom-step of each tool over the rounds, and the median, lowest and highest of the per-round
    ratios teacher / student."""
    import numpy as np

    row = {"atoms": n, "rounds": len(rounds),
           "student_ms_per_atom_step": float(np.median([r["student"] for r in rounds]))}
    for t in teachers:
        ratios = [r[t] / r["student"] for r in rounds]
        row[f"{t}_ms_per_atom_step"] = float(np.median([r[t] for r in rounds]))
        row[f"{t}_ratio"] = float(np.median(ratios))
        row[f"{t}_ratio_min"], row[f"{t}_ratio_max"] = float(min(ratios)), float(max(ratios))
    return row


def _describe(meta: dict) -> str:
    spec = meta["fit"]["spec"]
    if meta["fit"].get("kind") == "pod":
        products = " with 3b×3b, 3b×4b, 4b×4b products" if spec.get("nrbf33") else ""
        return (f"POD (2-body {spec['nrbf2']}, 3-body {spec['nrbf3']} × "
                f"degree {spec['p3']}, 4-body {spec['nrbf4']} × degree {spec['p4']}{products}), cutoff "
                f"{meta['cutoff_A']:g} Å, ZBL core")
    return (f"SNAP 2J = {spec['twojmax']}{', quadratic' if spec['quadratic'] else ''}, cutoff {meta['cutoff_A']:g} Å, "
            f"ZBL core{', D3 overlaid' if spec.get('dispersion') else ''}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--potential", required=True)
    ap.add_argument("--teachers", default="sevenn,sevenn-d3zero", help="teachers to time (comma-separated)")
    ap.add_argument("--teacher-steps", default="10,3", help="steps at 320, 3000 atoms")
    ap.add_argument("--student-steps", default="400,60")
    ap.add_argument("--rounds", type=int, default=3, help="student and teachers timed in turn this many times")
    ap.add_argument("--update-readme", action="store_true")
    a = ap.parse_args(argv)
    if a.rounds < 1:
        ap.error("--rounds must be at least 1")
    ts = [int(x) for x in a.teacher_steps.split(",")]
    ss = [int(x) for x in a.student_steps.split(",")]
    teachers = a.teachers.split(",")
    rows = []
    for (n, atoms), nt, ns in zip(cells().items(), ts, ss):
        rounds = []
        for r in range(a.rounds):
            got = {"student": time_student(atoms, ns, a.potential)}
            for name in teachers:
                got[name] = time_teacher(atoms, nt, name)
            rounds.append(got)
            print(json.dumps({"atoms": n, "round": r + 1, **got}), flush=True)
        rows.append(summarise(n, rounds, teachers))
        print(json.dumps(rows[-1]), flush=True)
    meta = json.loads((Path(a.potential) / "potential.json").read_text())
    lines = [(f"Student: {_describe(meta)}. Median of {a.rounds} rounds (student and teachers timed in turn); "
              "ratio: median of the per-round ratios [lowest–highest]."), "",
             "| atoms | student (ms / atom-step) | "
             + " | ".join(f"{t} (ms / atom-step) | speed-up vs {t}" for t in teachers) + " |",
             "|---|---|" + "---|---|" * len(teachers)]
    for r in rows:
        lines.append(f"| {r['atoms']} | {r['student_ms_per_atom_step']:.4f} | " + " | ".join(
            f"{r[t + '_ms_per_atom_step']:.3f} | {r[t + '_ratio']:.0f}× [{r[t + '_ratio_min']:.0f}–"
            f"{r[t + '_ratio_max']:.0f}]" for t in teachers) + " |")
    lines.append(f"\n{machine()}; CPU time, one thread each; `python benchmarks/bench_distilled.py`.")
    print("\n".join(lines))
    if a.update_readme:
        replace_block(ROOT / "benchmarks/README.md", "<!-- bench:distil-speed:begin -->",
                      "<!-- bench:distil-speed:end -->", "\n".join(lines))


if __name__ == "__main__":
    main()
