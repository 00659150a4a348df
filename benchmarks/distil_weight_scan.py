"""Stress weight and glass-frame weight of the POD student: the scan behind student 4 (``data/distil/README.md``).

The POD basis of ``data/distil/pod-sb2se3-r3`` is described once (rounds 0–3 with ``--max-force 10`` as in its
fit, and the two halves of the teacher-labelled 540-atom glass frames); then for each (w_S, k) the ridge fit of
:func:`hpglass.potential.snap.fit_snap` is solved with the glass's ``glass540_first`` frames counted k times, and
scored on student 3's held-out split (15 % per source, seed 0) and on ``glass540_second`` (held out: the other
frame of every stage): force and pressure RMSE, and the pressure bias of the 50 and 60 GPa glass frames.

    OMP_NUM_THREADS=1 LD_LIBRARY_PATH=.venv/lib python benchmarks/distil_weight_scan.py \\
        [--grid "5,0;5,1;5,3;5,8;10,1;10,3;10,8;20,1;20,3;60,1"] [--cache /tmp/pod_design.pkl]

(≈ 15 min to describe on one core, then seconds per fit; ``--cache`` keeps the descriptors between runs.)

A third weighted set (``--extra FILE``, e.g. teacher-MD frames labelled by ``hpglass potential dataset --frames``)
makes the grid "w_S,k,m" with m its weight; ``--probe FILE`` (repeatable) scores every row on further held-out
sets (force, pressure bias and energy per atom); ``--write DIR`` writes each row's potential to
``DIR/wS<w>-k<k>-m<m>/`` for MD checks (``benchmarks/distil_md_check.py student … --potential``).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
D = ROOT / "data/distil"
GPA_PER_EV_A3 = 160.21766208


def _stack(d1, y1, d2, y2):
    from hpglass.potential.snap import Design

    n1 = len(d1.n_atoms)
    d = Design(np.vstack([d1.A, d2.A]), np.r_[d1.ref, d2.ref], np.r_[d1.kind, d2.kind],
               np.r_[d1.config, d2.config + n1], np.r_[d1.n_atoms, d2.n_atoms], np.r_[d1.volume, d2.volume],
               d1.rotations + d2.rotations, d1.spec)
    return d, np.r_[y1, y2]


def _pressures(d, y, pred) -> list[tuple[float, float]]:
    """(teacher pressure, student − teacher) of each configuration, GPa, sorted by pressure."""
    out = []
    for c in range(len(d.n_atoms)):
        m = (d.config == c) & (d.kind == 2)
        pt = y[m][:3].sum() / 3 / d.volume[c] * GPA_PER_EV_A3
        out.append((float(pt), float(pred[m][:3].sum() / 3 / d.volume[c] * GPA_PER_EV_A3 - pt)))
    return sorted(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", default="5,0;5,1;5,3;5,8;10,1;10,3;10,8;20,1;20,3;60,1",
                    help="w_S,k pairs separated by ';' (k = 0: no glass frames in the training)")
    ap.add_argument("--cache", type=Path, help="pickle of the descriptors (written if absent)")
    ap.add_argument("--out", type=Path, help="JSON of all rows")
    ap.add_argument("--extra", type=Path, help="a third labelled set, trained whole with weight m (grid w_S,k,m)")
    ap.add_argument("--probe", type=Path, action="append", default=[], help="further held-out set to score")
    ap.add_argument("--write", type=Path, help="folder for each row's potential directory")
    a = ap.parse_args(argv)
    from hpglass.potential import dataset as ds
    from hpglass.potential.pod import PodSpec, pod_design_matrix, write_pod_potential
    from hpglass.potential.snap import fit_snap, label_arrays
    from hpglass.potential.validate import split_configurations, validation_report

    spec_json = json.loads((D / "pod-sb2se3-r3/potential.json").read_text())["fit"]["spec"]
    spec = PodSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec_json.items()})
    configs = []
    for r in range(4):
        configs += ds.read_dataset(D / f"round{r}.extxyz.gz")
    configs = [c for c in configs if not c.info.get("rejected") and np.abs(c.get_forces()).max() <= 10]
    first = ds.read_dataset(D / "glass540-labels/glass540_first.extxyz")
    second = ds.read_dataset(D / "glass540-labels/glass540_second.extxyz")
    if a.cache and a.cache.exists():
        d_all, d_first, d_second = pickle.loads(a.cache.read_bytes())
    else:
        d_first, d_second = pod_design_matrix(first, spec), pod_design_matrix(second, spec)
        d_all = pod_design_matrix(configs, spec, progress=lambda i, n: print(f"describe {i}/{n}", flush=True)
                                  if i % 100 == 0 else None)
        if a.cache:
            a.cache.write_bytes(pickle.dumps((d_all, d_first, d_second), protocol=4))
    y_all, y_first, y_second = (label_arrays(c, d) for c, d in ((configs, d_all), (first, d_first),
                                                                  (second, d_second)))
    extra = ds.read_dataset(a.extra) if a.extra else []
    d_extra = pod_design_matrix(extra, spec) if extra else None
    y_extra = label_arrays(extra, d_extra) if extra else None
    probes = []
    for path in a.probe:
        cs = ds.read_dataset(path)
        dp = pod_design_matrix(cs, spec)
        probes.append((path.stem, cs, dp, label_arrays(cs, dp)))
    train, test = split_configurations(configs, 0.15, 0)
    d_tr = d_all.take(train)
    y_tr = np.concatenate([y_all[d_all.config == c] for c in train])
    d_te = d_all.take(test)
    y_te = np.concatenate([y_all[d_all.config == c] for c in test])
    rows = []
    print("| w_S | glass weight | held-out F (eV/Å) | held-out P (GPa) | glass F | glass P | bias at the two highest |")
    print("|---|---|---|---|---|---|---|")
    for item in a.grid.split(";"):
        w_s, k, *rest = (float(x) for x in item.split(","))
        m = rest[0] if rest else 0.0
        d, y, cw = d_tr, y_tr, np.ones(len(train))
        if k > 0:
            d, y = _stack(d, y, d_first, y_first)
            cw = np.r_[cw, np.full(len(first), k)]
        if m > 0:
            if d_extra is None:
                raise SystemExit("a grid weight m needs --extra FILE")
            d, y = _stack(d, y, d_extra, y_extra)
            cw = np.r_[cw, np.full(len(extra), m)]
        fit = fit_snap(d, y, w_energy=100, w_force=10, w_stress=w_s, alpha=1e-6, config_weights=cw)
        gen = validation_report([configs[i] for i in test], d_te, y_te, fit.predict(d_te)).to_dict()["overall"]
        gl = validation_report(second, d_second, y_second, fit.predict(d_second)).to_dict()["overall"]
        bias = _pressures(d_second, y_second, fit.predict(d_second))
        probe_rows = {}
        for name, cs, dp, yp in probes:
            pr = validation_report(cs, dp, yp, fit.predict(dp)).to_dict()["overall"]
            pb = _pressures(dp, yp, fit.predict(dp))
            probe_rows[name] = {**pr, "bias_GPa": pb}
            print(f"    probe {name}: F {pr['force_eV_A']:.3f} eV/Å, E {pr['energy_meV_atom']:.1f} meV/atom, "
                  f"P {pr['pressure_GPa']:.2f} GPa, mean bias {np.mean([b for _, b in pb]):+.2f} GPa", flush=True)
        rows.append({"w_stress": w_s, "glass_weight": k, "extra_weight": m, "held_out": gen, "glass_second": gl,
                     "bias_GPa": bias, "probes": probe_rows})
        if a.write:
            write_pod_potential(a.write / f"wS{w_s:g}-k{k:g}-m{m:g}", fit,
                                metadata={"scan": {"w_stress": w_s, "glass_weight": k, "extra_weight": m,
                                                   "extra": str(a.extra) if a.extra else None}})
        print(f"| {w_s:g} | {k:g}{f' (+{m:g})' if m else ''} | {gen['force_eV_A']:.3f} | {gen['pressure_GPa']:.2f} | {gl['force_eV_A']:.3f} | "
              f"{gl['pressure_GPa']:.2f} | {bias[-2][1]:+.2f} / {bias[-1][1]:+.2f} at {bias[-2][0]:.1f} / "
              f"{bias[-1][0]:.1f} GPa |", flush=True)
    if a.out:
        a.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
