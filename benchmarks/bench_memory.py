"""Peak memory and wall time of the table readers on large inputs, through the CLI (issue 14, resource bounds).

    python benchmarks/bench_memory.py                   # 200 MB inputs (≈ 1 min, 1 core)
    python benchmarks/bench_memory.py --mb 20           # smaller inputs, for a quick look
    python benchmarks/bench_memory.py --update-readme   # also rewrite the bench:memory block of benchmarks/README.md

Each case writes one file into a temporary folder, runs one ``hpglass … --json`` command on it in a fresh
subprocess, and reports the child's exit code, its peak resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``
read by a wrapper process that runs only that command) and its wall time:

- ``series breakpoints`` on a series CSV (pressure_GPa, q1_A-1, q1_A-1_err; increasing pressures) of ``--mb`` MB:
  refused (exit 2) past ``MAX_SERIES_ROWS`` rows — the reader streams, so it stops there;
- ``transport tc`` on a Quantum Design ETO-style ``.dat`` file of ``--mb`` MB (R(T) sweeps 2 → 10 K, 20 columns,
  empty cells as the instrument writes them);
- ``transport tc`` on a (T, R) CSV table of ``--mb`` MB;
- ``transport sigma`` on a 70 000-row R(P) table (the issue's case: > 150 s before; "done when" < 5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, replace_block

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- bench:memory:begin -->", "<!-- bench:memory:end -->"

_WRAPPER = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - t0
print(json.dumps({"rc": p.returncode, "wall_s": wall,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "stderr": p.stderr.decode(errors="replace")[-300:], "stdout_len": len(p.stdout)}))
"""


def measure(args: list[str]) -> dict:
    """Run ``hpglass *args`` in a subprocess; its exit code, wall time (s) and peak RSS (MB)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-c", _WRAPPER, sys.executable, "-c", "from hpglass.cli.main import main; main()",
           *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    rec = json.loads(out.stdout)
    rec["peak_MB"] = rec.pop("maxrss_kb") / 1024.0
    return rec


def _write_lines(path: Path, header: str, row, target_bytes: int) -> int:
    """Write ``header`` then ``row(i)`` lines until the file reaches ``target_bytes``; the number of rows."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(header)
        size = len(header)
        while size < target_bytes:
            chunk = "".join(row(i) for i in range(n, n + 10_000))
            fh.write(chunk)
            size += len(chunk)
            n += 10_000
    return n


def series_csv(path: Path, mb: float) -> int:
    return _write_lines(path, "pressure_GPa,q1_A-1,q1_A-1_err\n",
                        lambda i: f"{i * 1e-6:.6f},{1.85 + 2e-8 * i:.8f},0.003\n", int(mb * 1e6))


def qd_dat(path: Path, mb: float) -> int:
    head = ("[Header]\nTITLE,bench\nBYAPP,Electrical Transport Option, Release 1.2.0 Build 0\n[Data]\n"
            "Comment,Time Stamp (s),Temperature (K),Field (Oe),Sample Position (deg),Chamber Pressure (Torr),"
            "Resistance Ch1 (Ohms),Resistance Std. Dev. Ch1 (Ohms),Phase Angle Ch1 (deg),I-V Current Ch1 (mA),"
            "I-V Voltage Ch1 (V),Frequency Ch1 (Hz),Averaging Time Ch1 (s),AC Current Ch1 (mA),"
            "DC Current Ch1 (mA),Resistance Ch2 (Ohms),Resistance Std. Dev. Ch2 (Ohms),Phase Angle Ch2 (deg),"
            "Frequency Ch2 (Hz),Averaging Time Ch2 (s)\n")

    def row(i: int) -> str:
        t = 2.0 + 8.0 * ((i % 2000) / 1999.0)  # repeated 2 → 10 K sweeps at zero field
        r = 1e-3 + 0.1 / (1.0 + 2.718281828 ** (-(t - 5.0) / 0.1))
        return f",{3851063441.5 + i:.5f},{t:.6f},0.0,0,6.39,{r:.7g},1.6e-05,0.03,,,70.19,2.29,1,0,,,,,\n"

    return _write_lines(path, head, row, int(mb * 1e6))


def rt_table(path: Path, mb: float) -> int:
    def row(i: int) -> str:
        t = 2.0 + 8.0 * ((i % 2000) / 1999.0)
        return f"{t:.6f},{1e-3 + 0.1 / (1.0 + 2.718281828 ** (-(t - 5.0) / 0.1)):.7g}\n"

    return _write_lines(path, "T_K,R_ohm\n", row, int(mb * 1e6))


def rp_table(path: Path, rows: int) -> int:
    import numpy as np

    p = np.linspace(0.0, 30.0, rows)
    rng = np.random.default_rng(1)
    logr = 3.0 - 0.5 * p + 0.3 * np.clip(p - 10, 0, None) + 0.15 * np.clip(p - 20, 0, None)
    logr += rng.normal(0, 0.02, rows)
    path.write_text("P_GPa,rho_ohm_cm\n" + "".join(f"{a:.6f},{10 ** b:.6g}\n" for a, b in zip(p, logr, strict=True)))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of the large inputs (MB)")
    ap.add_argument("--sigma-rows", type=int, default=70_000, help="rows of the R(P) table for transport sigma")
    ap.add_argument("--update-readme", action="store_true")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="hpglass-bench-mem-") as tmp:
        tmp = Path(tmp)
        cases = [
            ("series breakpoints", "series.csv", lambda f: series_csv(f, a.mb),
             lambda f: ["series", "breakpoints", f, "--y", "q1", "--json"]),
            ("transport tc (.dat)", "big.dat", lambda f: qd_dat(f, a.mb), lambda f: ["transport", "tc", f, "--json"]),
            ("transport tc (.csv)", "rt.csv", lambda f: rt_table(f, a.mb), lambda f: ["transport", "tc", f, "--json"]),
            ("transport sigma", "rp.csv", lambda f: rp_table(f, a.sigma_rows),
             lambda f: ["transport", "sigma", f, "--json"]),
        ]
        for name, fname, make, cmd in cases:
            f = tmp / fname
            t0 = time.perf_counter()
            n = make(f)
            t_make = time.perf_counter() - t0
            size = f.stat().st_size / 1e6
            rec = measure(cmd(f))
            note = "" if rec["rc"] == 0 else rec["stderr"].strip().splitlines()[-1][:110] if rec["stderr"] else ""
            rows.append({"command": name, "file_MB": size, "rows": n, "rc": rec["rc"], "peak_MB": rec["peak_MB"],
                         "wall_s": rec["wall_s"], "note": note})
            print(f"{name:22s} {size:7.1f} MB {n:>10,} rows  exit {rec['rc']}  peak {rec['peak_MB']:7.0f} MB  "
                  f"{rec['wall_s']:6.1f} s  (file written in {t_make:.0f} s) {note}", flush=True)
            f.unlink()
    lines = [f"Machine: {machine()}; one thread; `python benchmarks/bench_memory.py --mb {a.mb:g}`.", "",
             "| command | input (MB) | rows | exit | peak RSS (MB) | wall (s) | note |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| `hpglass {r['command']}` | {r['file_MB']:.1f} | {r['rows']:,} | {r['rc']} | "
                     f"{r['peak_MB']:.0f} | {r['wall_s']:.1f} | {r['note'].replace('|', '/')} |")
    block = "\n".join(lines)
    print("\n" + block)
    if a.update_readme:
        text = README.read_text(encoding="utf-8")
        if BEGIN not in text:  # first run: add the section the block lives in
            text = text.rstrip("\n") + ("\n\n## Memory and time on large inputs (issue 14)\n\n"
                                        "`benchmarks/bench_memory.py`: each command in its own process; peak RSS "
                                        "is the child's `ru_maxrss`.\n\n" + f"{BEGIN}\n{END}\n")
            tmp_readme = README.with_suffix(".md.tmp")
            tmp_readme.write_text(text, encoding="utf-8")
            tmp_readme.replace(README)
        replace_block(README, BEGIN, END, block)


if __name__ == "__main__":
    main()
