"""Per-frame structure analysis: hpglass against the fastest peer for each analysis, like for like, one thread each.

    python benchmarks/bench_structure.py                  # 3000 and 20000 atoms (~2–3 min on 2 shared cores)
    python benchmarks/bench_structure.py --quick          # 3000 atoms only, fewer repeats
    python benchmarks/bench_structure.py --update-readme  # also rewrite the bench:structure block of README.md

Frames: random hard-core packings of Sb2Se3 at 5.5 g/cm³ (minimum distance 2.3 Å, hpglass.structure.random_cell)
with 3000 and 20000 atoms, and the bundled 80-atom a-Sb2Se3 glass (data/glass80-sevennet/P_0GPa.extxyz) replicated
4×3×3 (2880 atoms) and 7×6×6 (20160 atoms). Every analysis starts from the same ase.Atoms frame, and each tool's
timed region holds everything it needs to get from the positions to the result:

  analysis                       hpglass (timed)                               peer (timed)
  g(r) partials 0–10 Å, 0.01 Å   pair_distribution(atoms, 10, 0.01)             OVITO CoordinationAnalysis(partial)
  bond angles by triplet         bond_angle_distribution(atoms, cuts,          OVITO CreateBonds(pairwise cuts) +
                                 by="triplet") (bonds found from positions)     BondAngleDistribution(by type)
  coordination per atom/species  coordination(atoms, cuts)                     matscipy neighbour_list(cuts) +
                                                                                 np.bincount per atom and species
  Steinhardt q4, q6 (r < 3.5 Å)  NeighbourList.build(3.5) + steinhardt         freud Box + Steinhardt(r_max 3.5)
  PTM structure types            structure_types(atoms, "ptm")                  OVITO PTM (the same templates)
  primitive rings ≤ 8 (3.2 Å)    ring_statistics(atoms, 3.2, "primitive", 8)   matscipy neighbour_list + C search
  King / Guttman rings ≤ 8       ring_statistics(atoms, 3.2, crit, 8)          vitrum find_rings(cutoff 3.2)

OVITO's input, a DataCollection, is made from the frame with ase_to_ovito *outside* its timed region (a copy of the
frame that costs ≈ 3 ms per 3000 atoms, more than some analyses; leaving it out is the stricter comparison for
hpglass). hpglass's PTM calls the same OVITO modifier, so its time includes making its own (minimal) DataCollection
and the ratio is 1 up to that and the noise. Each result is checked against its peer's before timing (same counts;
Steinhardt to freud's single precision, 2e-3).

Measurement: one process; every tool pinned to one thread before any import — OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS=1,
OVITO_THREAD_COUNT=1, freud.parallel.set_num_threads(1) — and checked: the largest CPU/wall ratio of any call is
printed (1.00 = one thread). After a warm-up call of every tool (imports, numba compilation, OVITO start-up), the
tools run interleaved, alternating which goes first, `repeats` times (5 at ~3000 atoms, 3 at ~20000; vitrum 2 and
1, it takes seconds); the tables give the best CPU time (time.process_time) and the best wall time
(time.perf_counter) of each. Memory: the peak resident-set growth of one call after a warm-up call, each side in a
fresh spawned process running the analyses one after another (Linux /proc/self/clear_refs resets the high-water
mark; VmHWM − VmRSS just before the call, after malloc_trim; includes C/C++ and numba allocations; ±1 MiB).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "OVITO_THREAD_COUNT"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import datetime  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

README = Path(__file__).with_name("README.md")
BEGIN, END = "<!-- bench:structure:begin -->", "<!-- bench:structure:end -->"
GLASS = Path(__file__).resolve().parents[1] / "data" / "glass80-sevennet" / "P_0GPa.extxyz"

CUTS = {"Sb-Se": 3.2, "Sb-Sb": 3.1, "Se-Se": 2.7}
CUTS_Z = {(51, 34): 3.2, (51, 51): 3.1, (34, 34): 2.7}  # the same, as matscipy takes them
R_MAX, DR = 10.0, 0.01
Q_R = 3.5  # Å, Steinhardt neighbours
RING_CUT, RING_MAX = 3.2, 8


def frames(quick: bool):
    from ase.io import read

    from hpglass.structure.random_cell import random_packing

    sizes = (3000,) if quick else (3000, 20000)
    out = [(f"random packing, {n} atoms", random_packing("Sb2Se3", n, 5.5, 2.3, seed=n)) for n in sizes]
    if GLASS.exists():
        glass = read(GLASS)
        for rep in ((4, 3, 3),) if quick else ((4, 3, 3), (7, 6, 6)):
            out.append((f"a-Sb2Se3 glass ×{rep[0]}×{rep[1]}×{rep[2]}, {len(glass) * int(np.prod(rep))} atoms",
                        glass.repeat(rep)))
    return out


# ---- the analyses: hpglass and its peer, each a function of the frame -----------------------------------------
def tasks(atoms):
    """[(analysis, (hp_name, hp_fn), (peer_name, peer_fn), check)], check(hp_result, peer_result) → None or a
    one-line mismatch."""
    import freud
    from matscipy.neighbours import neighbour_list
    from ovito.io.ase import ase_to_ovito
    from ovito.modifiers import (
        BondAngleDistributionModifier,
        CoordinationAnalysisModifier,
        CreateBondsModifier,
        PolyhedralTemplateMatchingModifier,
    )
    from ovito.pipeline import Pipeline, StaticSource

    from hpglass.structure import NeighbourList
    from hpglass.structure.angles import bond_angle_distribution
    from hpglass.structure.coordination import coordination
    from hpglass.structure.order import _TYPE_KEYS, PTM_DEFAULT_TYPES, steinhardt, structure_types
    from hpglass.structure.pair import pair_distribution
    from hpglass.structure.rings import ring_statistics

    n = len(atoms)
    data = ase_to_ovito(atoms)  # OVITO's input (outside the timed region for g(r) and angles; see the docstring)
    t_alpha = (atoms.numbers == 34).astype(np.intp)  # hpglass's alphabetical species order: Sb = 0, Se = 1

    def ov_gr():
        p = Pipeline(source=StaticSource(data=data))
        p.modifiers.append(CoordinationAnalysisModifier(cutoff=R_MAX, number_of_bins=round(R_MAX / DR),
                                                        partial=True))
        return p.compute()

    def ov_angles():
        p = Pipeline(source=StaticSource(data=data))
        cb = CreateBondsModifier(mode=CreateBondsModifier.Mode.Pairwise)
        for pair, rc in CUTS.items():
            a, b = pair.split("-")
            cb.set_pairwise_cutoff(a, b, rc)
        p.modifiers.append(cb)
        p.modifiers.append(BondAngleDistributionModifier(
            bins=180, partition=BondAngleDistributionModifier.Partition.ByParticleType))
        return p.compute()

    def ms_coordination():
        i, j = neighbour_list("ij", atoms, CUTS_Z)
        return np.bincount(i * 2 + t_alpha[j], minlength=2 * n).reshape(n, 2)

    def hp_steinhardt():
        return steinhardt(atoms, NeighbourList.build(atoms, Q_R), (4, 6))

    def freud_steinhardt():
        box = freud.box.Box.from_matrix(atoms.cell.array.T)
        st = freud.order.Steinhardt(l=[4, 6])
        st.compute((box, box.wrap(atoms.positions)), neighbors={"r_max": Q_R})
        return st

    def ov_ptm():
        mod = PolyhedralTemplateMatchingModifier()
        for s in mod.structures:
            key = _TYPE_KEYS.get(s.name, s.name)
            if key != "other":
                s.enabled = key in PTM_DEFAULT_TYPES
        d = data.clone()  # a shallow copy: apply() would otherwise add to the shared input
        d.apply(mod)
        return np.asarray(d.particles["Structure Type"])

    def ms_rings():
        from matscipy.ffi import distances_on_graph, find_sp_rings

        i, j, D = neighbour_list("ijD", atoms, RING_CUT)
        return np.asarray(find_sp_rings(i, j, D, distances_on_graph(i, j), RING_MAX + 1))

    def vitrum(criterion):
        from vitrum.rings import find_rings

        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return find_rings(atoms, limit=RING_MAX, criterion=criterion, cutoff=RING_CUT)
        return run

    # ---- result checks (run once, before timing) ----
    def check_gr(h, o):
        table = o.tables["coordination-rdf"]
        xy = table.xy()
        for k, pair in enumerate(table.y.component_names):
            a, b = pair.split("-")
            if not np.allclose(xy[:, k + 1], h.partial(a, b), rtol=0, atol=1e-10):
                return f"g_{a}{b} differs"
        return None

    def check_angles(h, o):
        return None if np.array_equal(h.counts, np.asarray(o.tables["bond-angle-distr"].y).sum(axis=1)) else \
            "angle counts differ"

    def check_coord(h, o):
        return None if np.array_equal(h.per_atom, o) else "per-atom coordination differs"

    def check_steinhardt(h, o):
        q6 = np.asarray(o.particle_order)[:, 1]
        ok = np.isfinite(q6) & np.isfinite(h.ql[6])
        return None if np.allclose(h.ql[6][ok], q6[ok], atol=2e-3) else "q6 differs beyond float32"

    def check_ptm(h, o):
        id_to_key = {int(s.id): _TYPE_KEYS.get(s.name, s.name) for s in PolyhedralTemplateMatchingModifier().structures}
        return None if [h.names[k] for k in h.types] == [id_to_key[int(s)] for s in o] else "types differ"

    def check_rings_ms(h, o):
        ref = np.zeros(RING_MAX + 1, dtype=int)
        ref[:min(len(o), RING_MAX + 1)] = o[:RING_MAX + 1]
        return None if list(np.asarray(h.counts).astype(int)) == ref[3:].tolist() else "ring counts differ"

    def check_rings_vitrum(h, o):
        ref = np.bincount([len(r) for r in o], minlength=RING_MAX + 1)[3:]
        return None if list(np.asarray(h.counts).astype(int)) == ref.tolist() else "ring counts differ"

    return [
        ("g(r) partials 0–10 Å, dr 0.01 Å", ("hpglass", lambda: pair_distribution(atoms, R_MAX, DR)),
         ("OVITO CoordinationAnalysis", ov_gr), check_gr),
        ("bond angles by triplet, bonds built", ("hpglass", lambda: bond_angle_distribution(atoms, CUTS, by="triplet")),
         ("OVITO CreateBonds + BondAngleDistribution", ov_angles), check_angles),
        ("coordination per atom and species", ("hpglass", lambda: coordination(atoms, CUTS)),
         ("matscipy neighbour_list + bincount", ms_coordination), check_coord),
        ("Steinhardt q4, q6 (neighbours < 3.5 Å)", ("hpglass", hp_steinhardt), ("freud Steinhardt", freud_steinhardt),
         check_steinhardt),
        ("PTM structure types", ("hpglass", lambda: structure_types(atoms, "ptm")), ("OVITO PTM", ov_ptm), check_ptm),
        ("primitive rings ≤ 8", ("hpglass", lambda: ring_statistics(atoms, RING_CUT, "primitive", RING_MAX)),
         ("matscipy (C)", ms_rings), check_rings_ms),
        ("King rings ≤ 8", ("hpglass", lambda: ring_statistics(atoms, RING_CUT, "king", RING_MAX)),
         ("vitrum", vitrum("king")), check_rings_vitrum),
        ("Guttman rings ≤ 8", ("hpglass", lambda: ring_statistics(atoms, RING_CUT, "guttman", RING_MAX)),
         ("vitrum", vitrum("guttman")), check_rings_vitrum),
    ]


# ---- measurement ----------------------------------------------------------------------------------------------
def clock(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.process_time() - c, time.perf_counter() - w, out


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])  # kB
    raise KeyError(key)


def _peak(fn) -> float:
    """Peak RSS growth (MiB) of one call of ``fn`` in this process (Linux: clear_refs resets VmHWM)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    Path("/proc/self/clear_refs").write_text("5")
    base = _status("VmRSS")
    fn()
    return (_status("VmHWM") - base) / 1024


def _memory_child(atoms, side: int) -> list[float | None]:
    """In a fresh process: the peak of each analysis's tool ``side`` (0 hpglass, 1 peer), after a warm-up call
    (none for the slow ring peers, which compile nothing)."""
    import freud
    import numba

    freud.parallel.set_num_threads(1)
    numba.set_num_threads(1)
    out = []
    for name, *tools, _ in tasks(atoms):
        fn = tools[side][1]
        try:
            if not (side == 1 and name.startswith(("King", "Guttman"))):
                fn()
            out.append(_peak(fn))
        except Exception:  # noqa: BLE001 - a failed measurement is shown as —
            out.append(None)
    return out


def peak_memory(atoms) -> tuple[list, list]:
    """Peak RSS growth per analysis for hpglass and for the peer, each side in its own fresh (spawned) process:
    OVITO's threads do not survive a fork, and a fresh process starts both sides from the same state."""
    import multiprocessing

    if not Path("/proc/self/clear_refs").exists():
        n = len(tasks(atoms))
        return [None] * n, [None] * n
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        hp = pool.apply(_memory_child, (atoms, 0))
        peer = pool.apply(_memory_child, (atoms, 1))
    return hp, peer


def run_frame(label, atoms, repeats: int, slow_repeats: int, memory: bool):
    import freud
    import numba

    freud.parallel.set_num_threads(1)
    numba.set_num_threads(1)
    rows = []
    for name, (hp_name, hp), (peer_name, peer), check in tasks(atoms):
        slow = name.startswith(("King", "Guttman"))
        tools = [(hp_name, hp), (peer_name, peer)]
        res = {t: clock(fn)[2] for t, fn in tools}  # warm-up, and the results to check
        mismatch = check(res[hp_name], res[peer_name])
        best = {t: [np.inf, np.inf, 0.0] for t, _ in tools}  # cpu, wall, largest cpu/wall
        for k in range(slow_repeats if slow else repeats):
            for t, fn in tools if k % 2 == 0 else tools[::-1]:
                c, w, _ = clock(fn)
                b = best[t]
                b[0], b[1], b[2] = min(b[0], c), min(b[1], w), max(b[2], c / w if w > 0 else 0.0)
        rows.append({"analysis": name, "hp": best[hp_name], "peer_name": peer_name, "peer": best[peer_name],
                     "mem_hp": None, "mem_peer": None, "check": mismatch, "repeats": slow_repeats if slow else repeats})
        print(f"  {label}: {name}: hpglass {best[hp_name][0]:.4f} s, {peer_name} {best[peer_name][0]:.4f} s CPU"
              + (f"  MISMATCH: {mismatch}" if mismatch else ""), flush=True)
    if memory:
        hp, peer = peak_memory(atoms)
        for r, a, b in zip(rows, hp, peer, strict=True):
            r["mem_hp"], r["mem_peer"] = a, b
    return rows


# ---- report ---------------------------------------------------------------------------------------------------
def fmt_mem(v):
    return "—" if v is None else f"{v:.0f}"


def render(results, quick: bool, load: tuple[float, float, float], wall: float) -> str:
    import freud
    import matscipy
    import numba
    import ovito
    from common import machine

    try:
        import vitrum
        vv = getattr(vitrum, "__version__", "?")
    except ImportError:  # pragma: no cover
        vv = "absent"
    lines = [
        f"Run {datetime.date.today().isoformat()} on {machine()}; freud {freud.__version__}, OVITO "
        f"{ovito.version_string}, matscipy {matscipy.__version__}, vitrum {vv}, numba {numba.__version__}; "
        f"{'--quick' if quick else 'full'} run, {wall:.0f} s; load average {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f} (1/5/15 min) on a machine shared with other jobs, so compare the ratios, which are "
        "measured interleaved in one process.",
        "",
        "Method: every tool pinned to one thread (OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS=1, OVITO_THREAD_COUNT=1, "
        "freud.parallel.set_num_threads(1)); each timed region goes from the ase.Atoms frame to the result (OVITO's "
        "DataCollection made outside its timed region: the stricter comparison); warm-up, then the two tools "
        "interleaved, best CPU time (time.process_time) and best wall time (time.perf_counter) of the repeats; "
        "ratio = hpglass / peer (≤ 1: hpglass at least as fast); `max CPU/wall` ≈ 1.00 shows one thread; "
        "memory = peak RSS growth of one call in a fresh process (MiB). `same result` = the outputs were compared "
        "before timing.",
    ]
    for label, rows in results:
        lines += ["", f"**{label}**", "",
                  "| analysis | peer | hpglass CPU s | peer CPU s | **ratio CPU** | ratio wall | max CPU/wall "
                  "(hp, peer) | peak MiB (hp, peer) | same result | repeats |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            h, p = r["hp"], r["peer"]
            lines.append(
                f"| {r['analysis']} | {r['peer_name']} | {h[0]:.4f} | {p[0]:.4f} | **{h[0] / p[0]:.2f}** | "
                f"{h[1] / p[1]:.2f} | {h[2]:.2f}, {p[2]:.2f} | {fmt_mem(r['mem_hp'])}, {fmt_mem(r['mem_peer'])} | "
                f"{'yes' if r['check'] is None else 'NO: ' + r['check']} | {r['repeats']} |")
    own = [(r["hp"][0] / r["peer"][0], label, r["analysis"]) for label, rows in results for r in rows
           if not r["analysis"].startswith("PTM")]
    ptm = [r["hp"][0] / r["peer"][0] for _, rows in results for r in rows if r["analysis"].startswith("PTM")]
    worst = max(own)
    lines += ["", f"Largest ratio (CPU) of hpglass's own code: **{worst[0]:.2f}** ({worst[2]}, {worst[1]}). PTM is "
              f"the same OVITO modifier call on both sides, so its ratio is 1 up to the noise of the machine: "
              f"{min(ptm):.2f}–{max(ptm):.2f} here."]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="~3000 atoms only, fewer repeats")
    ap.add_argument("--update-readme", action="store_true", help="rewrite the bench:structure block of README.md")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    results = []
    for label, atoms in frames(args.quick):
        big = len(atoms) > 10000
        repeats, slow = (2, 1) if args.quick else ((3, 1) if big else (5, 2))
        print(f"{label} …", flush=True)
        results.append((label, run_frame(label, atoms, repeats, slow, not args.no_memory)))
    block = render(results, args.quick, os.getloadavg(), time.perf_counter() - t0)
    print(block)
    if args.update_readme:
        from common import replace_block

        replace_block(README, BEGIN, END, block)
        print(f"\nwrote {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
