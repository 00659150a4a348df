"""Which teacher for the distilled potential: SevenNet-0 alone or with D3 dispersion (BJ or zero damping)?

Measures, for each teacher, the density of the Pnma Sb2Se3 crystal relaxed at 0 GPa (20 atoms, full cell, FIRE to
0.005 eV/Å; measured: 5.83 g/cm³, Voutsas et al., Phys. Status Solidi B 110, 541 (1985)) and of the bundled
80-atom glass frames at 0 GPa relaxed at 0 GPa (three frames, 0 K: the inherent-structure density, a lower bound
on what 300 K MD gives; measured a-Sb2Se3 at ambient ≈ 5.3–5.5 g/cm³, see the study's references), and the
pressure D3 adds to the SevenNet-0-relaxed crystal.

    OMP_NUM_THREADS=1 LD_LIBRARY_PATH=.venv/lib python benchmarks/teacher_density.py [--update-readme]
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
PNMA = ROOT / "src/hpglass/data/structures/Sb2Se3_Pnma_PBE.vasp"
GLASS = ROOT / "data/glass80-sevennet/P_0GPa.extxyz"
MEASURED_PNMA = 5.83


def relax(atoms, calc, fmax=0.005, steps=800):
    from ase.filters import FrechetCellFilter
    from ase.optimize import FIRE

    atoms = atoms.copy()
    atoms.calc = calc
    opt = FIRE(FrechetCellFilter(atoms), logfile=None)
    converged = opt.run(fmax=fmax, steps=steps)
    rho = atoms.get_masses().sum() * 1.66053906660 / atoms.get_volume()
    return float(rho), bool(converged), int(opt.nsteps)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update-readme", action="store_true")
    ap.add_argument("--glass-frames", type=int, default=3)
    ap.add_argument("--teachers", default="", help="comma-separated subset (default: all)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/teacher_density.json"))
    a = ap.parse_args(argv)
    from ase.io import read

    from hpglass.potential.teacher import TEACHERS, make_teacher

    pnma = read(PNMA)
    frames = read(GLASS, index=":")
    step = max(1, len(frames) // a.glass_frames)
    glass = frames[::step][: a.glass_frames]
    rows = []
    for name in [t for t in TEACHERS if not a.teachers or t in a.teachers.split(",")]:
        t = time.perf_counter()
        calc = make_teacher(name)
        rho_c, conv_c, n_c = relax(pnma, calc)
        rho_g = [relax(g, calc, fmax=0.02, steps=600) for g in glass]
        row = {"teacher": name, "pnma_density_g_cm3": rho_c, "pnma_converged": conv_c, "pnma_steps": n_c,
               "pnma_error_percent": 100 * (rho_c / MEASURED_PNMA - 1),
               "glass_density_g_cm3": [r[0] for r in rho_g], "glass_converged": [r[1] for r in rho_g],
               "seconds": time.perf_counter() - t}
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {"machine": machine(), "measured_pnma_g_cm3": MEASURED_PNMA, "rows": rows}
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")
    lines = [f"| teacher | Pnma ρ at 0 GPa (g/cm³) | vs 5.83 | glass ρ, 0 K relaxed (g/cm³, {a.glass_frames} frames) |",
             "|---|---|---|---|"]
    for r in rows:
        g = r["glass_density_g_cm3"]
        lines.append(f"| {r['teacher']} | {r['pnma_density_g_cm3']:.3f} | {r['pnma_error_percent']:+.1f} % | "
                     f"{sum(g) / len(g):.2f} ({min(g):.2f}–{max(g):.2f}) |")
    lines.append(f"\n{machine()}; `python benchmarks/teacher_density.py`.")
    table = "\n".join(lines)
    print(table)
    if a.update_readme:
        replace_block(ROOT / "benchmarks/README.md", "<!-- bench:teacher:begin -->", "<!-- bench:teacher:end -->",
                      table)


if __name__ == "__main__":
    main()
