"""Whole-study cost: the bundled demo study, and a 10× larger synthetic study, through `hpglass.study.run_study`.

* demo — the bundled study (14 patterns, 2 R(T) files + a ρ(P) table, 2 trajectories of 3 frames): cold run
  (empty cache), warm run (everything cached: only the outputs are redrawn), and a run after one pattern changed.
* 10× — generated in a temporary folder with hpglass's synthetic generators: 140 patterns
  (``hpglass.demo_data.make_demo_series`` on a 10× finer pressure ladder), 20 R(T) files at 20 pressures
  (``hpglass.transport.synthetic.rt_curve``, Tc rising with P) + the demo's field-sweep file and ρ(P) table,
  10 trajectories × 3 frames of 200-atom random packings (``hpglass.structure.random_cell``, 5.0–5.9 g/cm³).

Wall time (time.perf_counter) and peak resident memory (resource.getrusage: this process, and the largest
worker process) per stage. Run: python benchmarks/bench_study.py [--workers N] [--skip-large] [--update-readme]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import datetime
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _rss_mb() -> tuple[float, float]:
    """Peak RSS (MiB) of this process and of the largest child process so far (Linux: ru_maxrss in KiB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def timed(label: str, fn, rows: list) -> object:
    t = time.perf_counter()
    res = fn()
    wall = time.perf_counter() - t
    me, kids = _rss_mb()
    computed = sum(v["computed"] for v in res.cache.values())
    cached = sum(v["cached"] for v in res.cache.values())
    rows.append((label, wall, res.timings_s.get("pieces", 0.0), res.timings_s.get("outputs", 0.0), computed, cached,
                 me, kids))
    print(f"{label:42s} {wall:7.1f} s  pieces {res.timings_s.get('pieces', 0):6.1f} s  outputs "
          f"{res.timings_s.get('outputs', 0):5.1f} s  computed {computed:3d} cached {cached:3d}  "
          f"RSS {me:.0f} MiB (workers ≤ {kids:.0f} MiB)", flush=True)
    return res


def make_large(folder: Path) -> Path:
    """Write the 10× study (data + study.toml) into ``folder``; returns the study path."""
    from ase.io import write

    from hpglass import demo_data as dd
    from hpglass.structure.random_cell import random_packing
    from hpglass.transport.synthetic import rt_curve

    folder.mkdir(parents=True, exist_ok=True)
    s = dd.DEMO_SERIES
    saved = s["pressures_GPa"]
    s["pressures_GPa"] = tuple(float(p) for p in np.round(np.linspace(0.6, 23.0, 10 * len(saved)), 3))
    try:
        files = dd.make_demo_series()
    finally:
        s["pressures_GPa"] = saved
    (folder / "series").mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / "series" / name).write_text(text)
    import csv

    rows = list(csv.DictReader(line for line in (folder / "series" / s["manifest"]).read_text().splitlines()
                               if not line.startswith("#")))
    for name, text in dd.make_demo_transport().items():
        (folder / name).write_text(text)
    rng = np.random.default_rng(1)
    temps = np.linspace(2.0, 12.0, 401)
    curves = []
    for k, p in enumerate(np.linspace(24.0, 70.0, 20)):
        tc = 4.5 + 0.06 * (p - 24.0) + (1.5 if p > 50 else 0.0)
        c = rt_curve(temps, tc, 0.15, 0.8, 0.004)
        r = c.resistance_ohm + rng.normal(0, 0.0015, temps.size)
        name = f"rt_{p:05.1f}GPa.dat"
        (folder / name).write_text(dd._eto_text([(2.0 * i, t, 0.0, v) for i, (t, v) in enumerate(zip(temps, r))],
                                                f"SYNTHETIC R(T), Tc {tc:.2f} K"))
        curves.append((name, float(p)))
    (folder / "frames").mkdir(exist_ok=True)
    frames = []
    for k, p in enumerate(np.linspace(0.0, 45.0, 10)):
        rho = 5.0 + 0.02 * p
        fr = [random_packing("Sb2Se3", 200, rho, 2.1, seed=100 * k + j) for j in range(3)]
        name = f"frames/md_{p:04.1f}GPa.extxyz"
        write(folder / name, fr, format="extxyz")
        frames.append((name, float(p)))
    demo = (dd.demo_folder() / "study" / "model_series.toml").read_text()
    head = demo.split("[[diffraction]]")[0]
    prov = ('provenance = { kind = "synthetic", model = "hpglass synthetic generators (benchmarks/bench_study.py)" '
            '}')
    text = head + "[[diffraction]]\nname = \"series\"\nwavelength_A = 0.2952\n" \
        f'background = "series/{s["background_file"]}"\n' \
        "files = [" + ", ".join(f'"series/{r["file"]}"' for r in rows) + "]\n" \
        "pressures_GPa = [" + ", ".join(r["pressure_GPa"] for r in rows) + "]\n" + prov + "\n\n"
    text += "[[transport]]\nname = \"run2\"\nresistivity_table = \"synthetic_resistivity_vs_pressure.csv\"\n" + \
        prov + "\n"
    for name, p in curves:
        text += f'[[transport.curves]]\nfile = "{name}"\npressure_GPa = {p}\n'
    text += '[[transport.curves]]\nfile = "synthetic_RT_fields_ETO.dat"\npressure_GPa = 71.0\n\n'
    text += "[[simulation]]\nname = \"md\"\nmax_ring = 8\n" + prov + "\nframes = [" + ", ".join(
        f'{{ pressure_GPa = {p}, file = "{n}" }}' for n, p in frames) + "]\n\n[analysis]\nq1_segments = 2\n"
    study = folder / "study.toml"
    study.write_text(text)
    return study


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()

    from hpglass.demo_data import demo_folder
    from hpglass.study import run_study

    rows: list = []
    tmp = Path(tempfile.mkdtemp(prefix="hpglass-bench-study-"))
    try:
        data = tmp / "demo"
        shutil.copytree(demo_folder(), data)
        study = data / "study" / "study.toml"
        out = tmp / "demo-out"
        w = args.workers
        timed(f"demo, cold ({w} workers)", lambda: run_study(study, out, workers=w), rows)
        timed("demo, warm (all cached)", lambda: run_study(study, out, workers=w), rows)
        pat = data / "study_xrd" / "xrd_010.0GPa.xy"
        pat.write_bytes(pat.read_bytes() + b"# touched\n")
        timed("demo, one pattern changed", lambda: run_study(study, out, workers=w), rows)
        if not args.skip_large:
            t = time.perf_counter()
            big = make_large(tmp / "large")
            gen = time.perf_counter() - t
            print(f"10× study generated in {gen:.1f} s", flush=True)
            timed(f"10× study, cold ({w} workers)", lambda: run_study(big, tmp / "large-out", workers=w), rows)
            timed("10× study, warm (all cached)", lambda: run_study(big, tmp / "large-out", workers=w), rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.update_readme:
        update_readme(rows, args.workers)


def update_readme(rows: list, workers: int) -> None:
    load = os.getloadavg()[0]
    lines = [(f"Run {datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores (load average {load:.1f} "
             f"at the end: other work shared the machine), {workers} worker processes, one BLAS thread each."), "",
             ("| run | wall (s) | pieces (s) | outputs (s) | pieces computed | cached | peak RSS main (MiB) | "
             "peak RSS worker (MiB) |"), "|---|---|---|---|---|---|---|---|"]
    for label, wall, pieces, outs, comp, cached, me, kids in rows:
        lines.append(f"| {label} | {wall:.1f} | {pieces:.1f} | {outs:.1f} | {comp} | {cached} | {me:.0f} | "
                     f"{kids:.0f} |")
    block = "\n".join(lines)
    readme = HERE / "README.md"
    text = readme.read_text()
    begin, end = "<!-- bench:study:begin -->", "<!-- bench:study:end -->"
    if begin in text:
        pre, rest = text.split(begin, 1)
        text = pre + begin + "\n" + block + "\n" + end + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n\n# Whole study: `hpglass run`\n\n`benchmarks/bench_study.py` (see its " \
            "docstring for the two studies).\n\n" + begin + "\n" + block + "\n" + end + "\n"
    from hpglass.io import atomic_write_text

    atomic_write_text(readme, text)


if __name__ == "__main__":
    main()
