"""How local is the teacher? The force error floor of any student with a finite cutoff.

A student with energy cutoff r_c sees only the atoms within r_c of each atom, so the part of the teacher's force
on an atom that depends on atoms farther out is an error no local fit can remove. Locality test (Bartók, Kermode,
Bernstein & Csányi, Phys. Rev. X 8, 041048 (2018), Fig. 3; Deringer & Csányi, Phys. Rev. B 95, 094203 (2017)):
keep every atom within R of a centre atom fixed, displace all atoms farther than R (minimum image) by independent
Gaussian steps of σ per component, twice, and take the teacher's force on the centre in both copies. The spread
of that force with the environment inside R held fixed is

    σ_F(R) = RMS over centres and components of (F_a − F_b) / √2,

the conditional standard deviation of the force given the atoms within R — the error of the best possible model
whose force is a function of those atoms alone. The student (a local energy with cutoff r_c) has forces that
depend on atoms out to 2 r_c, but only through sums of r_c-local energies, so σ_F(r_c) is the floor to compare
its errors with and σ_F(2 r_c) a strict lower bound. The student itself is measured the same way as a check of
the method: its σ_F must vanish from R = 2 r_c on.

Frames: the last production frame of the 540-atom glass at 0, 20 and 60 GPa (``data/glass540``), σ = 0.1 Å (the
glass's thermal displacement per component at 300 K is ≈ 0.08–0.10 Å).

    OMP_NUM_THREADS=1 LD_LIBRARY_PATH=.venv/lib python benchmarks/teacher_locality.py [--centres 12]
    python benchmarks/teacher_locality.py --table [--update-readme]     # the table of the finished rows

Finished rows are kept in ``--out`` (JSON): a killed run continues where it stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, replace_block  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GLASS = ROOT / "data/glass540"
STUDENT = ROOT / "data/distil/pod-sb2se3-r3"


def _student_calc(directory: Path):
    from hpglass.potential.lammps_potential import load_potential

    return load_potential(directory).calculator()


def force_on(calc, atoms, index: int) -> np.ndarray:
    atoms = atoms.copy()
    atoms.calc = calc
    return np.asarray(atoms.get_forces()[index], dtype=float)


def rattled_outside(atoms, centre: int, radius: float, sigma: float, rng) -> object:
    d = atoms.get_distances(centre, range(len(atoms)), mic=True)
    out = atoms.copy()
    far = d > radius
    out.positions[far] += rng.normal(0.0, sigma, size=(int(far.sum()), 3))
    return out


def table(rows: list[dict]) -> str:
    """Markdown: σ_F (eV/Å) by radius, one row per model and pressure."""
    radii = sorted({r["R_A"] for r in rows})
    keys = sorted({(r["model"], r["P_GPa"]) for r in rows}, key=lambda k: (k[0] != "teacher", k[1]))
    val = {(r["model"], r["P_GPa"], r["R_A"]): r["sigma_F_eV_A"] for r in rows}
    n = sorted({r["n_centres"] for r in rows})
    lines = ["| model | P (GPa) | " + " | ".join(f"σ_F(R = {x:g} Å)" for x in radii) + " |",
             "|---|---|" + "---|" * len(radii)]
    for m, p in keys:
        cells = [f"{val[(m, p, x)]:.3f}" if (m, p, x) in val else "—" for x in radii]
        lines.append(f"| {m} | {p:g} | " + " | ".join(cells) + " |")
    lines.append(f"\n{'/'.join(map(str, n))} centre atoms per cell, two rattles σ = {rows[0]['rattle_A']:g} Å of every atom "
                 f"beyond R; {machine()}; `python benchmarks/teacher_locality.py`.")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pressures", default="0,20,60")
    ap.add_argument("--radii", default="4,5.5,7,9,11")
    ap.add_argument("--centres", type=int, default=12)
    ap.add_argument("--sigma", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--student", default=str(STUDENT), help="potential directory measured alongside ('' = none)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/teacher_locality.json"))
    ap.add_argument("--table", action="store_true", help="print the table of the finished rows and stop")
    ap.add_argument("--update-readme", action="store_true", help="with --table: write it into benchmarks/README.md")
    a = ap.parse_args(argv)
    if a.table:
        text = table(json.loads(Path(a.out).read_text())["rows"])
        print(text)
        if a.update_readme:
            replace_block(ROOT / "benchmarks/README.md", "<!-- bench:locality:begin -->",
                          "<!-- bench:locality:end -->", text)
        return
    from ase.io import read

    from hpglass.potential.teacher import DEFAULT_TEACHER, make_teacher

    teacher = make_teacher(DEFAULT_TEACHER)
    models = {"teacher": teacher}
    if a.student:
        models["student"] = _student_calc(Path(a.student))
    radii = [float(r) for r in a.radii.split(",")]
    pressures = [p.strip() for p in a.pressures.split(",")]
    out_path = Path(a.out)
    done = json.loads(out_path.read_text()) if out_path.exists() else {"rows": []}
    have = {(r["model"], r["P_GPa"], r["R_A"]) for r in done["rows"]}
    rows = list(done["rows"])
    total = len(pressures) * len(radii) * len(models)
    t0 = time.time()
    k = 0
    for p in pressures:
        atoms = read(GLASS / f"P_{p}GPa.extxyz", index=-1)
        rng_c = np.random.default_rng(a.seed)
        centres = rng_c.choice(len(atoms), size=a.centres, replace=False)
        for radius in radii:
            for name, calc in models.items():
                k += 1
                if (name, float(p), radius) in have:
                    continue
                rng = np.random.default_rng([a.seed, int(float(p) * 10), int(radius * 10)])
                diffs = []
                for c in centres:
                    fa = force_on(calc, rattled_outside(atoms, int(c), radius, a.sigma, rng), int(c))
                    fb = force_on(calc, rattled_outside(atoms, int(c), radius, a.sigma, rng), int(c))
                    diffs.append(fa - fb)
                diffs = np.asarray(diffs)
                sig = float(np.sqrt(np.mean(diffs ** 2) / 2.0))
                rows.append({"model": name, "P_GPa": float(p), "R_A": radius, "sigma_F_eV_A": sig,
                             "n_centres": len(centres), "rattle_A": a.sigma,
                             "symbols": [atoms[int(c)].symbol for c in centres]})
                tmp = out_path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"rows": rows, "teacher": DEFAULT_TEACHER,
                                           "student": a.student or None}, indent=1))
                tmp.replace(out_path)
                el = time.time() - t0
                print(f"[{k}/{total}] {name} P {p} GPa R {radius:g} Å: σ_F {sig:.3f} eV/Å  ({el:.0f} s)",
                      flush=True)


if __name__ == "__main__":
    main()
