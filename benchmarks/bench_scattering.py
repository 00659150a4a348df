"""hpglass vs glassure, side by side in one run, on the same synthetic 3000-point patterns.

    python benchmarks/bench_scattering.py                  # full run (a few minutes on 2 cores), prints markdown
    python benchmarks/bench_scattering.py --quick          # smaller run (fewer repeats, 8-pattern series)
    python benchmarks/bench_scattering.py --update-readme  # also rewrite the results block of benchmarks/README.md

(a) S(q) + g(r), one pass at fixed density; (b) density + background-scale refinement; (c) a 30-pattern
pressure series (true densities 4.9 → 6.5 g/cm³), each refined. Wall times (median of repeats), the ratio
glassure/hpglass, and the accuracy of the refined densities against the known truth.

(d) The real measured files of ../shared/data/xrd/glassure (when present) whose q range reaches q_max, at
q_max 12 and 16 Å⁻¹: hpglass's ``process`` with its defaults (density and, with a background file, its scale
refined; no start density) against glassure's ``optimize_density`` + ``calculate_pdf`` on the same q range and
r_cutoff, set up exactly as benchmarks/bench_real_files.py does. hpglass's call holds several refinements (the
result and the refits at other settings behind its systematic error, ``n_refinements``) plus the peak fits; the
table gives both the whole call and the time per refinement (call / n_refinements; glassure: 1 per call).
The two tools run interleaved, alternating which goes first; best CPU time (time.process_time) and wall time of
the repeats; memory = the peak RSS growth of one call (Linux: /proc/self/clear_refs resets the high-water mark,
after malloc_trim; VmHWM − VmRSS before the call; includes glassure's Rust allocations).

Both run on one thread: OMP/OpenBLAS/MKL thread counts are set to 1 here, before numpy is imported, and
glassure's single-pattern API runs its native engine on one thread (checked: the largest CPU/wall ratio of any
call is printed, 1.00 = one thread).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

try:
    import glassure
    from glassure.calc import calculate_pdf, create_calculate_pdf_configs
    from glassure.configuration import ExtrapolationConfig, IntNormalization, OptimizeConfig
    from glassure.methods import ExtrapolationMethod, FourierTransformMethod
    from glassure.optimization import optimize_density
    from glassure.pattern import Pattern as GlassurePattern
except ImportError:  # pragma: no cover
    sys.exit("glassure is not installed: pip install -e '.[peer]' (or `make bench`, which installs it)")

import hpglass  # noqa: E402
from hpglass.composition import Composition  # noqa: E402
from hpglass.scattering.config import make_config  # noqa: E402
from hpglass.scattering.hard_sphere import percus_yevick_sq, sigma_for  # noqa: E402
from hpglass.scattering.pipeline import prepare, process  # noqa: E402
from hpglass.scattering.reduce import Reducer  # noqa: E402
from hpglass.scattering.synthetic import synthetic_patterns  # noqa: E402
from hpglass.scattering.transform import f_of_r, g_of_r  # noqa: E402
from hpglass.xray import scattering_factors  # noqa: E402

README = Path(__file__).with_name("README.md")
BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"

# ---- the patterns ---------------------------------------------------------------------------------------------
COMP = "Sb2Se3"
LAM = 0.2952  # Å
ETA = 0.40  # PY packing fraction (σ follows from the density)
ALPHA = 5.0  # normalization of the synthetic intensities
BKG_SCALE = 0.85
COUNTS = 2000.0  # counting-noise level (σ = √(I/counts))
Q_MIN, Q_MAX, N_Q = 0.8, 12.0, 3000
DENSITY = 4.90  # g/cm³ of the single pattern (a, b)
SERIES = (4.9, 6.5)  # g/cm³, true densities of the pressure series (c)

# ---- the settings shared by both tools ------------------------------------------------------------------------
R_CUTOFF = 2.3  # Å; PY σ is 2.92 Å at 4.9 g/cm³ and 2.66 Å at 6.5 g/cm³: g(r) = 0 below r_cutoff in all
ITERATIONS = 5  # Eggert/Kaplow iterations in (a)
START_DENSITY, START_BKG = 5.2, 0.9  # start values of every refinement


def settings_text() -> str:
    return f"""\
Common: composition {COMP}, λ = {LAM} Å, q = {Q_MIN}–{Q_MAX} Å⁻¹ ({N_Q} points, uniform), Krogh-Moe (integral)
normalization, S(q) extended linearly to q = 0 from s0 = 1 − ⟨f²⟩/⟨f⟩² at q = 0 (−1/24), xraylib form factors
and Compton functions in both (glassure `scattering_factor_source="xraylib"`), `kn_correction` on, no Lorch
window in g(r), r = 0–10 Å in steps of 0.01 Å, r_cutoff = {R_CUTOFF} Å, start values ρ = {START_DENSITY} g/cm³ and
background scale {START_BKG} for every refinement (in (c) each pattern starts there, not from its neighbour).

- **hpglass** {hpglass.__version__}: `process(sample, bkg, make_config(...))` with `normalization="krogh-moe"`,
  `extrapolation="linear"`, `r_cutoff={R_CUTOFF}`, `iterations={ITERATIONS}`; in (b)/(c) `refine_density=True,
  refine_bkg=True` (α free with ρ and the scale, Lorch-windowed χ² of ΔF(r) on 0–r_cutoff after one Eggert
  iteration, bounded TRF least squares, plus three refits for the systematic error — r_cutoff × 0.85 and × 1.1,
  q_max × 0.85 — so 4 refinements per call).
  `process` also returns F(r), RDF, q1 and FSDP peak fits, r1 and the coordination number; those are in its time.
- **glassure** {glassure.__version__} (backend `{glassure.get_backend()}`): `calculate_pdf` with
  `IntNormalization()` (its default attenuation exp(−0.001 q²)), `ExtrapolationConfig(method=LINEAR, s0=−1/24)`,
  `kn_correction=True` (its integral normalization does not apply it — see tests/scattering/test_peer_glassure.py),
  `OptimizeConfig(r_cutoff={R_CUTOFF})` (iterative, {ITERATIONS} iterations, no Lorch), default transform `fft`
  (the `integral` transform is timed as well); q limits set half a step outside the grid because glassure's
  `limit` is exclusive. (b)/(c): `optimize_density(data, config, method="fr")` with its defaults (lmfit-style
  `lsq` = TRF, background varied within ×(0.9, 1.1) of the start), then `calculate_pdf` at the result so that
  both tools end with S(q) and g(r)."""


# ---- inputs ---------------------------------------------------------------------------------------------------
def make_pattern(density: float, seed: int):
    comp = Composition.parse(COMP)
    rho = comp.number_density(density)
    q = np.linspace(Q_MIN, Q_MAX, N_Q)
    truth = percus_yevick_sq(q, rho, sigma_for(rho, ETA))
    sample, bkg = synthetic_patterns(q, truth, COMP, LAM, bkg_scale=BKG_SCALE, alpha=ALPHA, counts=COUNTS, seed=seed)
    return sample, bkg, truth


S0 = scattering_factors(COMP, np.array([0.0])).s0_limit


def hp_config(density: float, refine: bool):
    return make_config(composition=COMP, wavelength=LAM, q_min=Q_MIN, q_max=Q_MAX, density=density,
                       bkg_scale=START_BKG if refine else BKG_SCALE, refine_density=refine, refine_bkg=refine,
                       normalization="krogh-moe", extrapolation="linear", s0=S0, r_cutoff=R_CUTOFF,
                       iterations=ITERATIONS, kn_correction=True, lorch=False, r_max=10.0, r_step=0.01)


def gl_configs(sample, bkg, density: float, bkg_scale: float, transform=FourierTransformMethod.FFT):
    dc, cc = create_calculate_pdf_configs(GlassurePattern(sample.x, sample.y), COMP, density,
                                          GlassurePattern(bkg.x, bkg.y), bkg_scale)
    t = cc.transform
    h = sample.x[1] - sample.x[0]
    t.q_min, t.q_max = Q_MIN - h / 2, Q_MAX + h / 2
    t.normalization = IntNormalization()
    t.extrapolation = ExtrapolationConfig(method=ExtrapolationMethod.LINEAR, s0=S0)
    t.kn_correction, t.wavelength = True, LAM
    t.scattering_factor_source = "xraylib"
    t.fourier_transform_method = transform
    t.r_min, t.r_max, t.r_step = 0.0, 10.0, 0.01
    cc.optimize = OptimizeConfig(r_cutoff=R_CUTOFF, iterations=ITERATIONS)
    return dc, cc


def gl_refine(sample, bkg):
    dc, cc = gl_configs(sample, bkg, START_DENSITY, START_BKG)
    dens, _, scale, _ = optimize_density(dc, cc, method="fr")
    dc, cc = gl_configs(sample, bkg, dens, scale)
    calculate_pdf(dc, cc)
    return dens, scale


def hp_refine(sample, bkg, start=START_DENSITY):
    res = process(sample, bkg, hp_config(start, refine=True))
    return res.density_g_cm3, res.bkg_scale


def timed(fn, repeats: int):
    fn()  # warm-up: imports, xraylib tables, native engine
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), out


# ---- the three benchmarks -------------------------------------------------------------------------------------
def bench_single(repeats: int) -> list[dict]:
    sample, bkg, truth = make_pattern(DENSITY, seed=1)
    comp = Composition.parse(COMP)
    rho = comp.number_density(DENSITY)
    r = np.arange(0.0, 10.005, 0.01)
    # g(r) of the true S(q) on the same grid (0 … q_max, same step): carries the same termination ripple
    step = sample.x[1] - sample.x[0]
    q_full = np.concatenate(([0.0], Q_MIN - step * np.arange(int(np.floor(Q_MIN / step - 1e-9)), 0, -1), sample.x))
    g_true = g_of_r(r, f_of_r(q_full, percus_yevick_sq(q_full, rho, sigma_for(rho, ETA)), r), rho)
    rm = (r >= 0.5) & (r <= 10.0)

    def acc(q, sq, gr):
        s = np.interp(sample.x, q, sq)
        return (float(np.sqrt(np.mean((s - truth) ** 2))),
                float(np.sqrt(np.mean((np.interp(r, *gr) - g_true)[rm] ** 2))))

    rows = []
    med, best, res = timed(lambda: process(sample, bkg, hp_config(DENSITY, refine=False)), repeats)
    rows.append({"tool": "hpglass", "median_s": med, "min_s": best,
                 "acc": acc(res.q, res.sq, (res.r, res.gr))})

    def core():
        # the same chain without the peak/r1/CN fits: what glassure's calculate_pdf computes
        cfg = hp_config(DENSITY, refine=False)
        q, y, b = prepare(sample, bkg, cfg)
        red = Reducer(q, y, b, cfg, r_cutoff=cfg.r_cutoff)
        t = red.trial(rho, cfg.bkg_scale)
        return t, g_of_r(r, f_of_r(t.q, t.sq, r), rho)

    med, best, (t, gr) = timed(core, repeats)
    rows.append({"tool": "hpglass, S(q)+g(r) only (no peak fits)", "median_s": med, "min_s": best,
                 "acc": acc(t.q, t.sq, (r, gr))})
    for label, tr in (("glassure (fft)", FourierTransformMethod.FFT),
                      ("glassure (integral)", FourierTransformMethod.INTEGRAL)):
        med, best, g = timed(lambda tr=tr: calculate_pdf(*gl_configs(sample, bkg, DENSITY, BKG_SCALE, tr)), repeats)
        rows.append({"tool": label, "median_s": med, "min_s": best, "acc": acc(g.sq.x, g.sq.y, (g.gr.x, g.gr.y))})
    return rows


def bench_refine(repeats: int) -> list[dict]:
    sample, bkg, _ = make_pattern(DENSITY, seed=1)
    rows = []
    for label, fn in (("hpglass", lambda: hp_refine(sample, bkg)),
                      ("hpglass, no start density (its coarse ρ scan)", lambda: hp_refine(sample, bkg, start=None)),
                      ("glassure", lambda: gl_refine(sample, bkg))):
        med, best, (dens, scale) = timed(fn, repeats)
        rows.append({"tool": label, "median_s": med, "min_s": best, "density": dens, "bkg": scale,
                     "err_rho": 100 * (dens / DENSITY - 1), "err_bkg": 100 * (scale / BKG_SCALE - 1)})
    return rows


def bench_series(n: int) -> list[dict]:
    densities = np.linspace(*SERIES, n)
    patterns = [make_pattern(float(d), seed=100 + i) for i, d in enumerate(densities)]
    rows = []
    for label, fn in (("hpglass", hp_refine), ("glassure", gl_refine)):
        fn(patterns[0][0], patterns[0][1])  # warm-up
        t0 = time.perf_counter()
        got = [fn(s, b) for s, b, _ in patterns]
        wall = time.perf_counter() - t0
        err = np.array([100 * (g[0] / d - 1) for g, d in zip(got, densities, strict=True)])
        errb = np.array([100 * (g[1] / BKG_SCALE - 1) for g in got])
        rows.append({"tool": label, "wall_s": wall, "per_pattern_s": wall / n, "mean_abs": float(np.mean(np.abs(err))),
                     "max_abs": float(np.max(np.abs(err))), "bias": float(np.mean(err)),
                     "bkg_mean_abs": float(np.mean(np.abs(errb))), "bkg_max_abs": float(np.max(np.abs(errb)))})
    return rows


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def peak_mib(fn) -> float | None:
    """Peak RSS growth (MiB) of one call of ``fn`` (docstring (d)); None where Linux cannot say."""
    import ctypes

    if not Path("/proc/self/clear_refs").exists():
        return None
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    Path("/proc/self/clear_refs").write_text("5")
    base = _status_kb("VmRSS")
    fn()
    return (_status_kb("VmHWM") - base) / 1024


def clock(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.process_time() - c, time.perf_counter() - w, out


REAL_Q_MAX = (12.0, 16.0)


def bench_real(repeats: int) -> tuple[list[dict], list[str]]:
    """(d): each real file at q_max 12 and 16 Å⁻¹ that its data reach, hpglass vs glassure (docstring)."""
    import dataclasses

    import bench_real_files as brf
    from glassure.calc import calculate_pdf
    from glassure.optimization import optimize_density

    from hpglass.io import read_pattern

    base_dir = brf.DEFAULT_DATA / brf.SUBDIR
    if not base_dir.exists():
        return [], [f"{base_dir} is absent: (d) skipped"]
    rows, skipped = [], []
    for case in brf.cases():
        if case.skip or case.q_max is not None:
            continue
        sample = read_pattern(base_dir / case.sample, wavelength=case.wavelength)
        bkg = read_pattern(base_dir / case.bkg, wavelength=case.wavelength) if case.bkg else None
        sample_q = sample.to_q(case.wavelength)
        bkg_q = bkg.to_q(case.wavelength) if bkg is not None else None
        short = [qm for qm in REAL_Q_MAX if sample_q.x[-1] < qm]
        if short:
            skipped.append(f"{case.label} at q_max {' and '.join(f'{q:g}' for q in short)} (data end at "
                           f"{sample_q.x[-1]:.2f} Å⁻¹)")
        for qm in REAL_Q_MAX:
            if qm in short:
                continue
            c = dataclasses.replace(case, label=f"{case.label}", q_max=qm)
            cfg = make_config(composition=c.composition, wavelength=c.wavelength, refine_density=True,
                              refine_bkg=bkg is not None, q_max=qm)
            try:
                res = process(sample, bkg, cfg)
            except Exception as exc:  # noqa: BLE001 - a failing file is a table row, the run goes on
                skipped.append(f"{c.label} at q_max {qm:g}: hpglass failed: {brf.one_line(exc)}")
                continue
            q_lo, q_hi, r_cut = float(res.q[0]), float(res.q[-1]), float(res.r_cutoff)
            window = brf.BKG_WINDOWS[0][1]

            def hp(sample=sample, bkg=bkg, cfg=cfg):
                return process(sample, bkg, cfg)

            def gl(c=c, sample_q=sample_q, bkg_q=bkg_q, q_lo=q_lo, q_hi=q_hi, r_cut=r_cut, cfg=cfg, window=window):
                dc, cc = brf.glassure_configs(c, sample_q, bkg_q, q_lo, q_hi, r_cut, c.gl_start, cfg.bkg_scale, cfg)
                dens, _, scale, _ = optimize_density(dc, cc, method="fr", vary_bkg_scaling=bkg_q is not None,
                                                     bkg_limits=window)
                dc, cc = brf.glassure_configs(c, sample_q, bkg_q, q_lo, q_hi, r_cut, dens, scale, cfg)
                return dens, calculate_pdf(dc, cc)

            tools = [("hpglass", hp), ("glassure", gl)]
            outs = {t: fn() for t, fn in tools}  # warm-up
            best = {t: [np.inf, np.inf, 0.0] for t, _ in tools}
            for k in range(repeats):
                for t, fn in tools if k % 2 == 0 else tools[::-1]:
                    cpu, wall, outs[t] = clock(fn)
                    b = best[t]
                    b[0], b[1], b[2] = min(b[0], cpu), min(b[1], wall), max(b[2], cpu / wall if wall > 0 else 0.0)
            n_ref = int(outs["hpglass"].fit.n_refinements) if outs["hpglass"].fit is not None else 1
            notes = (outs["hpglass"].metrics.get("metric_notes") or {})
            rows.append({"file": c.label, "q_max": qm, "q_range": (q_lo, q_hi), "r_cutoff": r_cut,
                         "hp": best["hpglass"], "gl": best["glassure"], "n_ref": n_ref,
                         "hp_density": outs["hpglass"].density_g_cm3, "gl_density": float(outs["glassure"][0]),
                         "mem_hp": peak_mib(hp), "mem_gl": peak_mib(gl),
                         "failed_metrics": ", ".join(sorted(notes)) or "—"})
            print(f"  (d) {c.label}, q_max {qm:g}: hpglass {best['hpglass'][0]:.3f} s CPU ({n_ref} refinements), "
                  f"glassure {best['glassure'][0]:.3f} s", flush=True)
    return rows, skipped


# ---- report ---------------------------------------------------------------------------------------------------
from common import machine, replace_block  # noqa: E402  (benchmarks/common.py)


def versions() -> str:
    import scipy
    import xraylib

    return (f"hpglass {hpglass.__version__}, glassure {glassure.__version__} (backend {glassure.get_backend()}), "
            f"numpy {np.__version__}, scipy {scipy.__version__}, xraylib {xraylib.__version__}")


def render(a, b, c, args, wall_total) -> str:
    hp_a = a[0]["median_s"]
    lines = [
        f"Run {datetime.date.today().isoformat()} on {machine()}; {versions()}; "
        f"OMP/OPENBLAS/MKL/RAYON_NUM_THREADS=1; {'--quick' if args.quick else 'full'} run, {wall_total:.0f} s in all.",
        "",
        f"**(a) S(q) + g(r), one pass at fixed density** (ρ = {DENSITY} g/cm³, bkg {BKG_SCALE}; {ITERATIONS} Eggert "
        f"iterations; median of {args.repeats} after a warm-up). Accuracy against the known PY S(q) and the g(r) of "
        "the true S(q) on the same q grid (0.5–10 Å).",
        "",
        "| tool | median wall time | min | glassure/hpglass time | rms S − S_true | rms g − g_true |",
        "|---|---|---|---|---|---|",
    ]
    for row in a:
        lines.append(f"| {row['tool']} | {1e3 * row['median_s']:.1f} ms | {1e3 * row['min_s']:.1f} ms | "
                     f"{row['median_s'] / hp_a:.2f} | {row['acc'][0]:.2e} | {row['acc'][1]:.2e} |")
    hp_b = b[0]["median_s"]
    lines += [
        "",
        f"**(b) density + background-scale refinement, then S(q)/g(r) at the result** (true ρ {DENSITY} g/cm³, bkg "
        f"{BKG_SCALE}; start {START_DENSITY}, {START_BKG}; median of {args.refine_repeats}).",
        "",
        "| tool | median wall time | glassure/hpglass time | ρ (g/cm³) | ρ error | bkg scale | bkg error |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in b:
        lines.append(f"| {row['tool']} | {1e3 * row['median_s']:.0f} ms | {row['median_s'] / hp_b:.2f} | "
                     f"{row['density']:.3f} | {row['err_rho']:+.2f} % | {row['bkg']:.3f} | {row['err_bkg']:+.2f} % |")
    hp_c = c[0]["wall_s"]
    lines += [
        "",
        f"**(c) pressure series: {args.series} patterns, true ρ {SERIES[0]} → {SERIES[1]} g/cm³ (PY η = {ETA}, bkg "
        f"{BKG_SCALE}, own noise seed each), each refined (ρ + bkg) from the same start, one after another.**",
        "",
        "| tool | wall time | per pattern | glassure/hpglass time | mean \\|ρ error\\| | max \\|ρ error\\| | "
        "mean ρ error | mean \\|bkg error\\| | max \\|bkg error\\| |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in c:
        lines.append(f"| {row['tool']} | {row['wall_s']:.2f} s | {1e3 * row['per_pattern_s']:.0f} ms | "
                     f"{row['wall_s'] / hp_c:.2f} | {row['mean_abs']:.2f} % | {row['max_abs']:.2f} % | "
                     f"{row['bias']:+.2f} % | {row['bkg_mean_abs']:.2f} % | {row['bkg_max_abs']:.2f} % |")
    return "\n".join(lines)


def render_real(rows: list[dict], skipped: list[str], repeats: int) -> str:
    fmt_mem = lambda v: "—" if v is None else f"{v:.0f}"  # noqa: E731
    lines = [
        f"**(d) real files of ../shared/data/xrd/glassure at q_max {' and '.join(f'{q:g}' for q in REAL_Q_MAX)} "
        f"Å⁻¹** (interleaved, best of {repeats} after a warm-up; CPU = time.process_time; per refinement = call / "
        "refinements in the call, glassure 1; memory = peak RSS growth of one call).",
        "",
        "| file | q_max | q range, r_cutoff | hpglass call CPU s (refinements) | per refinement | glassure call CPU s "
        "| **ratio per refinement** | ratio per call (CPU, wall) | max CPU/wall (hp, gl) | peak MiB (hp, gl) | "
        "ρ hpglass, glassure (g/cm³) | hpglass metrics not determined |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        h, g = r["hp"], r["gl"]
        per = h[0] / r["n_ref"]
        lines.append(
            f"| {r['file']} | {r['q_max']:g} | {r['q_range'][0]:.2f}–{r['q_range'][1]:.2f} Å⁻¹, {r['r_cutoff']:.2f} Å "
            f"| {h[0]:.3f} ({r['n_ref']}) | {per:.3f} | {g[0]:.3f} | **{per / g[0]:.2f}** | {h[0] / g[0]:.2f}, "
            f"{h[1] / g[1]:.2f} | {h[2]:.2f}, {g[2]:.2f} | {fmt_mem(r['mem_hp'])}, {fmt_mem(r['mem_gl'])} | "
            f"{r['hp_density']:.3f}, {r['gl_density']:.3f} | {r['failed_metrics']} |")
    if rows:
        worst = max(rows, key=lambda r: r["hp"][0] / r["n_ref"] / r["gl"][0])
        lines += ["", f"Largest ratio per refinement: **{worst['hp'][0] / worst['n_ref'] / worst['gl'][0]:.2f}** "
                  f"({worst['file']}, q_max {worst['q_max']:g}); per whole call: **"
                  f"{max(r['hp'][0] / r['gl'][0] for r in rows):.2f}**."]
    if skipped:
        lines += ["", "Not in the table: " + "; ".join(skipped) + "."]
    return "\n".join(lines)


def update_readme(block: str) -> None:
    replace_block(README, BEGIN, END, block)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats and an 8-pattern series")
    p.add_argument("--update-readme", action="store_true", help="rewrite the results block of benchmarks/README.md")
    p.add_argument("--settings", action="store_true", help="print the exact settings of both tools and exit")
    args = p.parse_args(argv)
    if args.settings:
        print(settings_text())
        return 0
    args.repeats, args.refine_repeats, args.series = (5, 3, 8) if args.quick else (21, 7, 30)
    t0 = time.perf_counter()
    a = bench_single(args.repeats)
    b = bench_refine(args.refine_repeats)
    c = bench_series(args.series)
    real_repeats = 2 if args.quick else 5
    d, skipped = bench_real(real_repeats)
    load = os.getloadavg()
    block = "### Settings (both tools)\n\n" + settings_text() + "\n\n### Results\n\n" + render(
        a, b, c, args, time.perf_counter() - t0) + "\n\n" + render_real(d, skipped, real_repeats) + (
        f"\n\nLoad average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) on 2 cores shared "
        "with other jobs: absolute times are noisy; the ratios are measured interleaved in one process.")
    print(block)
    if args.update_readme:
        update_readme(block)
        print(f"\nwrote {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
