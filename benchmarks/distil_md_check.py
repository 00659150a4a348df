"""MD acceptance of a distilled potential: the same protocol, cell and seed with the teacher and with the student.

Both run :func:`hpglass.simulate.run_protocol` (ASE, Berendsen NPT at 300 K) from the same 0 GPa glass (the last
frame of the bundled 80-atom glass, ``data/glass80-sevennet/P_0GPa.extxyz``) up the ladder 0 → 20 → 60
GPa: ``--equil`` steps to equilibrate and ``--prod`` of production at each pressure, a frame every 50 steps,
2 fs steps. The teacher is SevenNet-0 + D3 through ASE; the student is the potential directory through
``ase.calculators.lammpslib`` — the same integrator, so any difference is the potential's.

Acceptance (issue 13): mean density within 2 % of the teacher's at 0, 20 and 60 GPa; total g(r) R-factor
R = sqrt(Σ (g_s − g_t)² / Σ g_t²) from 0 to half the smaller cell height (Δr 0.05 Å) ≤ 5 % at each pressure.
Beside it, the measure's own noise: R between the first and the second half of the teacher's production (an
80-atom cell and 30 frames give 6–10 %, as large as the differences to be judged), and the first-peak position.

    python benchmarks/distil_md_check.py teacher OUT          # long: ~0.35 s per step on one core
    python benchmarks/distil_md_check.py student OUT --potential DIR
    python benchmarks/distil_md_check.py compare OUT [--update-readme]

Glass-scale mode (``--start-glass DIR``, e.g. ``data/glass540``): each pressure starts from the last production
frame of ``DIR/P_<p>GPa.extxyz`` (the student's 540-atom glass at that pressure) and runs its own NPT stage
(``--equil`` + ``--prod`` steps) with both potentials, same cell, same seed — the 80-atom cell's run-to-run
scatter (R up to 21 % between two seeds of one potential at 60 GPa) is what the larger cell is for, and the
pressures are independent runs, so they can go on two cores (``--pressures 0`` and ``--pressures 60``).

    python benchmarks/distil_md_check.py teacher OUT --start-glass data/glass540 --equil 150 --prod 400 --pressures 0
    python benchmarks/distil_md_check.py compare OUT --start-glass data/glass540

Runs are checkpointed: rerun the same command to continue a killed run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, replace_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "data/glass80-sevennet/P_0GPa.extxyz"
PRESSURES = (0.0, 20.0, 60.0)


def _config(equil: int, prod: int, start: Path, seed: int = 13, pressures: tuple[float, ...] = PRESSURES):
    from hpglass.simulate.protocol import ProtocolConfig

    return ProtocolConfig(initial_structure=str(start), equilibration_steps=0, pressures_GPa=pressures,
                          pressure_equilibration_steps=equil, steps_per_pressure=prod, sample_every=50,
                          checkpoint_every=250, seed=seed, temperature_K=300.0, timestep_fs=2.0,
                          barostat_time_fs=500.0, compressibility_per_GPa=0.02)


def _run(kind: str, out: Path, equil: int, prod: int, potential: str | None, seed: int = 13,
         start_glass: Path | None = None, pressures: tuple[float, ...] = PRESSURES, folder: str | None = None) -> None:
    if start_glass is not None:
        for p in pressures:  # one independent stage per pressure, from the glass's own frame at that pressure
            _run_ladder(kind, out / f"from_{p:g}GPa", equil, prod, potential, seed,
                        start_glass / f"P_{p:g}GPa.extxyz", (p,), folder)
        return
    _run_ladder(kind, out, equil, prod, potential, seed, START, PRESSURES, folder)


def _run_ladder(kind: str, out: Path, equil: int, prod: int, potential: str | None, seed: int,
                start_from: Path, pressures: tuple[float, ...], folder_name: str | None = None) -> None:
    from ase.io import read, write

    from hpglass.simulate.protocol import run_protocol

    start = out / "start.extxyz"
    if not start.exists():
        out.mkdir(parents=True, exist_ok=True)
        a = read(start_from, index=-1)
        a.calc = None
        write(start, a)
    if kind == "teacher":
        from hpglass.potential.teacher import DEFAULT_TEACHER, make_teacher

        factory, meta = (lambda: make_teacher(DEFAULT_TEACHER)), {"potential": DEFAULT_TEACHER}
    else:
        from hpglass.potential.lammps_potential import load_potential

        pot = load_potential(potential)
        factory, meta = pot.calculator, {"potential": str(pot.directory)}
    folder = out / (folder_name or kind)
    resume = (folder / "checkpoint.json").exists()

    def progress(stage, step, n):
        if step % 100 == 0:
            print(f"{kind} {stage} {step}/{n}", flush=True)

    run_protocol(_config(equil, prod, start, seed, pressures), factory, folder, resume=resume, progress=progress,
                 metadata=meta)


def _stats(out_dir: Path, kind: str, per_pressure: bool = False) -> dict:
    """Density and g(r) of every finished pressure stage of a run (a stage still running has no file yet)."""
    import numpy as np
    from ase.io import read

    from hpglass.structure.pair import average_pair_distributions, pair_distributions

    out = {}
    for p in PRESSURES:
        folder = out_dir / f"from_{p:g}GPa" / kind if per_pressure else out_dir / kind
        path = folder / f"P_{p:g}GPa.extxyz"
        if not path.exists():
            continue
        frames = read(path, index=":")
        rho = [a.get_masses().sum() * 1.66053906660 / a.get_volume() for a in frames]
        avg = average_pair_distributions(pair_distributions(frames, dr=0.05))
        half = len(frames) // 2
        h1, h2 = (average_pair_distributions(pair_distributions(f, dr=0.05)) for f in (frames[:half], frames[half:]))
        out[p] = {"density_g_cm3": float(np.mean(rho)), "density_sd": float(np.std(rho)),
                  "r": np.asarray(avg.r), "g": np.asarray(avg.g_total),
                  "halves_R": _r_factor(np.asarray(h2.r), np.asarray(h2.g_total), np.asarray(h1.r),
                                        np.asarray(h1.g_total))}
    return out


def _r_factor(r_ref, g_ref, r, g) -> float:
    """R = sqrt(Σ (g − g_ref)² / Σ g_ref²) on the reference's grid up to the shorter of the two ranges."""
    import numpy as np

    keep = r_ref <= min(r_ref[-1], r[-1])
    g_other = np.interp(r_ref[keep], r, g)
    return float(np.sqrt(np.sum((g_other - g_ref[keep]) ** 2) / np.sum(g_ref[keep] ** 2)))


def _first_peak(r, g) -> float:
    """Position of the first maximum of g(r) (Å), refined by a parabola through the top three points."""
    import numpy as np

    i = int(np.argmax(g))
    if 0 < i < len(g) - 1:
        a, b, c = g[i - 1], g[i], g[i + 1]
        den = a - 2 * b + c
        return float(r[i] + (0.5 * (a - c) / den if den else 0.0) * (r[1] - r[0]))
    return float(r[i])


def _compare(out: Path, update: bool, per_pressure: bool = False, student: str = "student",
             reference: str = "teacher") -> None:
    t, s = _stats(out, reference, per_pressure), _stats(out, student, per_pressure)
    done = [p for p in PRESSURES if p in t and p in s]
    missing = [p for p in PRESSURES if p not in done]
    rows, ok = [], not missing
    for p in done:
        R = _r_factor(t[p]["r"], t[p]["g"], s[p]["r"], s[p]["g"])
        d = 100 * (s[p]["density_g_cm3"] / t[p]["density_g_cm3"] - 1)
        passed = abs(d) <= 2 and R <= 0.05
        ok &= passed
        rows.append({"pressure_GPa": p, "teacher_density": t[p]["density_g_cm3"],
                     "student_density": s[p]["density_g_cm3"], "density_diff_percent": d, "gr_R": R,
                     "teacher_halves_R": t[p]["halves_R"], "teacher_r1_A": _first_peak(t[p]["r"], t[p]["g"]),
                     "student_r1_A": _first_peak(s[p]["r"], s[p]["g"]), "passed": passed})
    print(json.dumps(rows, indent=1))
    lines = [(f"| P (GPa) | {reference} ρ (g/cm³) | {student} ρ (g/cm³) | Δρ | g(r) R | {reference}'s own R (1st vs "
              f"2nd half) | r1 {reference} / {student} (Å) | within 2 % / 5 % |"),
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['pressure_GPa']:g} | {r['teacher_density']:.3f} | {r['student_density']:.3f} | "
                     f"{r['density_diff_percent']:+.1f} % | {100 * r['gr_R']:.1f} % | "
                     f"{100 * r['teacher_halves_R']:.1f} % | {r['teacher_r1_A']:.3f} / {r['student_r1_A']:.3f} | "
                     f"{'yes' if r['passed'] else 'no'} |")
    if missing:
        lines.append(f"\nNot yet compared (a run has not finished these stages): {', '.join(f'{p:g}' for p in missing)}"
                     " GPa.")
    lines.append(f"\n{machine()}; `python benchmarks/distil_md_check.py compare OUT`.")
    print("\n".join(lines))
    if update:
        tag = "distil-md-glass" if per_pressure else "distil-md"
        replace_block(ROOT / "benchmarks/README.md", f"<!-- bench:{tag}:begin -->", f"<!-- bench:{tag}:end -->",
                      "\n".join(lines))
    if per_pressure and done:
        _structure_table(out, done, student, reference, update)
    print("verdict:", "passed" if ok else ("incomplete" if missing and all(r["passed"] for r in rows) else "failed"))


#: bond cutoffs of the structure comparison: the bundled study's Sb–Se cutoff, and the covalent-radii values
#: (1.2 × (r_a + r_b)) for the homopolar pairs, whose g(r) has no first minimum at a bond length in this glass
CUTOFFS = {"Sb-Se": 3.3, "Sb-Sb": 3.34, "Se-Se": 2.88}


def _structure_table(out: Path, done: list[float], student: str, reference: str, update: bool) -> None:
    """Partial g(r), coordination, bond angles and rings of the glass-scale runs
    (:func:`hpglass.potential.md_compare.compare_md`), one column per pressure."""
    from ase.io import read

    from hpglass.potential.md_compare import compare_md

    res = {}
    for p in done:
        folder = out / f"from_{p:g}GPa"
        res[p] = compare_md(read(folder / reference / f"P_{p:g}GPa.extxyz", index=":"),
                            read(folder / student / f"P_{p:g}GPa.extxyz", index=":"), pressure_GPa=p,
                            cutoffs=CUTOFFS, labels=(reference, student))
    names = [m.name for m in res[done[0]].measures]
    head = "| measure | " + " | ".join(f"{p:g} GPa: {reference} / {student}, Δ or R (sampling)" for p in done) + " |"
    lines = [head, "|---|" + "---|" * len(done)]

    def cell(m) -> str:
        if m.unit == "fraction":
            d = (f"{100 * m.difference:+.1f} %" if m.kind == "difference" else f"{100 * m.difference:.1f} %")
            d += f" ({100 * m.noise:.1f} %)"
        else:
            d = (f"{m.difference:+.3f}" if m.kind == "difference" else f"{m.difference:.3f}") + f" ({m.noise:.3f})"
        vals = "" if m.reference is None else f"{m.reference:.3f} / {m.candidate:.3f}, "
        flag = " **beyond sampling**" if m.limit is None and m.beyond_sampling else ""
        return vals + d + flag

    for k, name in enumerate(names):
        lines.append(f"| {name} | " + " | ".join(cell(res[p].measures[k]) for p in done) + " |")
    lines.append(f"\nCutoffs {', '.join(f'{k} {v:g} Å' for k, v in CUTOFFS.items())}; sampling = the difference "
                 f"two runs of the {reference} would show (4 blocks of its frames; `hpglass.potential.md_compare`). "
                 f"{machine()}; `python benchmarks/distil_md_check.py compare OUT --start-glass DIR`.")
    print("\n".join(lines))
    if update:
        replace_block(ROOT / "benchmarks/README.md", "<!-- bench:distil-md-structure:begin -->",
                      "<!-- bench:distil-md-structure:end -->", "\n".join(lines))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["teacher", "student", "compare"])
    ap.add_argument("out", type=Path)
    ap.add_argument("--potential")
    ap.add_argument("--equil", type=int, default=500)
    ap.add_argument("--prod", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=13,
                    help="velocity and thermostat seed (13 for the comparison; another seed with the same potential "
                         "measures how far two runs of one potential differ)")
    ap.add_argument("--start-glass", type=Path, help="glass-scale mode: DIR with P_<p>GPa.extxyz per pressure")
    ap.add_argument("--pressures", default=",".join(f"{p:g}" for p in PRESSURES),
                    help="glass-scale mode: which of 0,20,60 GPa to run (independent stages)")
    ap.add_argument("--folder", help="sub-folder of a student run (default: student), so several students can be "
                                     "compared with one teacher run")
    ap.add_argument("--reference", default="teacher",
                    help="compare: the run the student is measured against (another student folder gives the "
                         "scatter between two runs of one potential)")
    ap.add_argument("--update-readme", action="store_true")
    a = ap.parse_args(argv)
    if a.what == "compare":
        _compare(a.out, a.update_readme and a.reference == "teacher", per_pressure=a.start_glass is not None,
                 student=a.folder or "student", reference=a.reference)
    else:
        if a.what == "student" and not a.potential:
            ap.error("student needs --potential DIR")
        pressures = tuple(float(x) for x in a.pressures.split(","))
        if not set(pressures) <= set(PRESSURES):
            ap.error(f"--pressures must be among {', '.join(f'{p:g}' for p in PRESSURES)}")
        _run(a.what, a.out, a.equil, a.prod, a.potential, a.seed, a.start_glass, pressures, a.folder)


if __name__ == "__main__":
    main()
