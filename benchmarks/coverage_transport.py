"""Coverage of hpglass.transport's uncertainties (Tc, μ0Hc2(0)) on seeded replicas with realistic noise AND misfit.

Every replica is a synthetic data set with a known answer, analysed with the library's default call; the table
gives the fraction of replicas whose value ± z·err (z = 1 and 1.96) holds the truth. A well-calibrated error
covers at its nominal level; the target for the 95 % column is 0.90–0.98 (binomial 1σ of a coverage near 0.95:
0.011 at 400 replicas, 0.028 at 60).

R(T) replicas (Tc by :func:`hpglass.transport.find_tc`)
-------------------------------------------------------
R(T) = R_n(T) · g(T), with

* an asymmetric step (generalised logistic / Richards curve) g = [1 + e^{−(T−T₀)/w}]^{−ν}, ν log-uniform in
  0.6–1.7 (ν = 1 is the symmetric tanh step of :mod:`hpglass.transport.synthetic`), w log-uniform 0.03–0.4 K;
* a curved normal state R_n(T) = R₀[1 + a(T − T₀) + c(T − T₀)²] (a −0.01…0.03 /K, c 0…10⁻³ /K²) that the
  analysis fits with a straight line;
* sampling every Δt (log-uniform 5–60 mK; the "coarse" case 0.5–2 w) at a rate that drifts smoothly by ±20 %,
  thermometer noise 0–2 mK on the recorded T, R noise log-uniform 10⁻⁴–3·10⁻³ R₀, Student-t (4 degrees of
  freedom: spikes) in 30 % of replicas.

The truth of the f-criterion (90/50/10 %) is where g = f (R = f·R_n(T) of the true normal state):
T₀ − w ln(f^{−1/ν} − 1); the onset truth is the steepest tangent of the noise-free curve ∩ the true R_n(T); the
zero truth is where the noise-free curve falls below the threshold the analysis chose (3σ of the noise).

Hc2(T) replicas (μ0Hc2(0) by :func:`hpglass.transport.fit_hc2`)
--------------------------------------------------------------
Points on a WHH (α = λ_so = 0) or a GL (1 − t²)/(1 + t²) line — each fitted by all three methods, so the
GL fit of WHH points and the WHH fits of GL points are the model misfit — with Tc 3–10 K, μ0Hc2(0) 1–12 T,
3–9 field points between t_lo·Tc and 0.95 Tc plus the zero-field point (absent in 20 % of replicas: Tc is then
extrapolated), real T scatter 5–40 mK, stated σ_T the real one times 0.5–2 (log-uniform; understated errors
are what the Birge ratio is for), field scatter 2 mT. Two regimes: "low T" (t_lo 0.15–0.55, the points reach well
below 0.6 Tc) and "near Tc" (t_lo 0.62–0.85: every point above 0.6 Tc — an extrapolation). A third law, WHH with
Pauli limiting (α 0.3–1, which neither fit contains: μ0Hc2(0) 4–30 % below the orbital WHH value), is a stress
case.

Marks (rows that count towards the target): ⚠ overconfident (95 % coverage < 0.90), ↑ conservative (> 0.98).
The per-law Hc2 rows are shown for insight; the target applies to the pooled row (the analyst does not know the
law) and the Pauli-limited rows are a stress case outside both fitted laws.

Columns: ``z-scale`` is median |estimate − truth|/err over 0.6745, the median of a unit normal (≈ 1 when the errors
have the right size, > 1 overconfident, < 1 conservative; robust where replicas differ in their error by orders of
magnitude); ``bias`` the mean of estimate − truth (relative to the truth for μ0Hc2(0)); ``flagged`` the fraction of
replicas the library labelled an extrapolation; ``n`` the replicas with a value and an error.

Run: ``python benchmarks/coverage_transport.py [--quick] [--n N] [--seed S] [--only SUBSTRING]`` (one core;
full run ≈ 1 min, ``--quick`` ≈ 10 s).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from hpglass.errors import HpglassError
from hpglass.transport.hc2 import Hc2Points, fit_hc2
from hpglass.transport.synthetic import gl_hc2
from hpglass.transport.tc import find_tc
from hpglass.transport.whh import WHH_DIRTY_COEFF_EXACT, whh_hc2

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/common.py, also when imported by the tests
from common import coverage_arguments  # noqa: E402

Z68 = 1.0
Z95 = 1.959963984540054


def _logu(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


# ------------------------------------------------------------------------------------------------------------------
# R(T) replicas
# ------------------------------------------------------------------------------------------------------------------
def rt_replica(rng: np.random.Generator, *, coarse: bool = False) -> tuple[np.ndarray, np.ndarray, dict]:
    """One R(T) curve (recorded T, R) and its truths (module docstring). ``coarse``: Δt 0.5–2 widths."""
    t0 = rng.uniform(3.0, 9.0)
    w = _logu(rng, 0.03, 0.4)
    nu = _logu(rng, 0.6, 1.7)
    r0 = _logu(rng, 0.05, 20.0)
    a = rng.uniform(-0.01, 0.03)
    c = rng.uniform(0.0, 1e-3)
    dt = _logu(rng, 0.005, 0.06) if not coarse else w * rng.uniform(0.5, 2.0)
    lo, hi = max(1.8, t0 - 2.5 - 8 * w), t0 + 3.0 + 10 * w
    # a sweep whose rate drifts smoothly (±20 %) — the recorded T scatters about it by the thermometer noise
    k = np.arange(int((hi - lo) / dt) + 1)
    t_true = lo + dt * (k + 0.2 * 40.0 / (2 * np.pi) * np.sin(2 * np.pi * k / 40.0 + rng.uniform(0, 2 * np.pi)))
    t_rec = t_true + rng.normal(0.0, rng.uniform(0.0, 0.002), t_true.size)
    sig = r0 * _logu(rng, 1e-4, 3e-3)
    if rng.uniform() < 0.3:
        noise = sig * rng.standard_t(4, t_true.size) / np.sqrt(2.0)  # var of t_4 is 2
    else:
        noise = rng.normal(0.0, sig, t_true.size)

    def rn(t):
        return r0 * (1.0 + a * (t - t0) + c * (t - t0) ** 2)

    def g(t):
        return (1.0 + np.exp(-(np.asarray(t) - t0) / w)) ** (-nu)

    r = rn(t_true) * g(t_true) + noise
    truth = {f"tc_{int(100 * f)}_K": t0 - w * np.log(f ** (-1.0 / nu) - 1.0) for f in (0.9, 0.5, 0.1)}
    # onset: steepest tangent of the noise-free curve ∩ the true normal state
    tt = np.linspace(t0 - 6 * w, t0 + 6 * w, 4001)
    rr = rn(tt) * g(tt)
    d = np.gradient(rr, tt)
    k = int(np.argmax(d))
    ts, rs, m = tt[k], rr[k], d[k]
    try:
        truth["tc_onset_K"] = brentq(lambda x: rn(x) - (rs + m * (x - ts)), ts, ts + 20 * w)
    except ValueError:
        truth["tc_onset_K"] = float("nan")
    meta = {"w": w, "nu": nu, "dt": dt, "sigma_rel": sig / r0}

    def zero_truth(threshold: float) -> float:
        """Where the noise-free curve falls below ``threshold`` (Ω): the truth of T_zero at the threshold used."""
        try:
            return brentq(lambda x: rn(x) * g(x) - threshold, t0 - 60 * w, truth["tc_50_K"])
        except ValueError:
            return float("nan")

    return t_rec, r, truth | {"meta": meta, "zero": zero_truth}


TC_KEYS = ("tc_50_K", "tc_90_K", "tc_10_K", "tc_onset_K", "tc_zero_K")


def run_tc(n: int, seed: int, *, coarse: bool = False) -> list[dict]:
    rng = np.random.default_rng(seed)
    est = {k: [] for k in TC_KEYS}
    err = {k: [] for k in TC_KEYS}
    tru = {k: [] for k in TC_KEYS}
    for _ in range(n):
        t, r, truth = rt_replica(rng, coarse=coarse)
        try:
            res = find_tc((t, r))
        except HpglassError:
            res = None
        for k in TC_KEYS:
            v = None if res is None else getattr(res, k)
            e = None if res is None else getattr(res, k.replace("_K", "_err_K"), None)
            est[k].append(np.nan if v is None else v)
            err[k].append(np.nan if e is None else e)
            if k == "tc_zero_K":
                thr = None if res is None else res.zero_threshold_ohm
                tru[k].append(np.nan if thr is None else truth["zero"](thr))
            else:
                tru[k].append(truth[k])
    return [_row(k.replace("_K", ""), np.array(tru[k]), np.array(est[k]), np.array(err[k])) for k in TC_KEYS]


# ------------------------------------------------------------------------------------------------------------------
# Hc2(T) replicas
# ------------------------------------------------------------------------------------------------------------------
def hc2_replica(rng: np.random.Generator, law: str, regime: str) -> tuple[Hc2Points, float]:
    """(points, true μ0Hc2(0)) — module docstring. law "whh" | "gl" | "pauli"; regime "low T" | "near Tc"."""
    tc = rng.uniform(3.0, 10.0)
    h0 = _logu(rng, 1.0, 12.0)
    n = int(rng.integers(3, 10))
    t_lo = rng.uniform(0.15, 0.55) if regime == "low T" else rng.uniform(0.62, 0.85)
    # the measured fields are chosen; the points' T follow (R(T) at fixed H): even in T between t_lo and 0.95
    t_red = np.sort(np.linspace(t_lo, 0.95, n) + rng.uniform(-0.02, 0.02, n))[::-1]
    t_red = np.clip(t_red, 0.05, 0.97)
    if law == "gl":
        h = gl_hc2(t_red, h0)
    elif law == "whh":
        h = whh_hc2(t_red * tc, tc, -h0 / (WHH_DIRTY_COEFF_EXACT * tc))
    else:  # Pauli-limited WHH: the same orbital slope, α 0.3–1 lowers the field at low T (by 4–30 % at T = 0)
        alpha = rng.uniform(0.3, 1.0)
        slope = -h0 / (WHH_DIRTY_COEFF_EXACT * tc)
        h = whh_hc2(t_red * tc, tc, slope, alpha)
        h0 = float(whh_hc2(0.0, tc, slope, alpha))
    s_t = _logu(rng, 0.005, 0.04)
    T = tc * t_red + rng.normal(0.0, s_t, n)
    H = np.asarray(h) + rng.normal(0.0, 0.002, n)
    stated = s_t * _logu(rng, 0.5, 2.0)
    if rng.uniform() < 0.8:  # the zero-field curve
        T = np.append(T, tc + rng.normal(0.0, s_t))
        H = np.append(H, 0.0)
    pts = Hc2Points(T, H, np.full(T.size, stated), np.full(T.size, 0.002))
    return pts, h0


HC2_QUANTITIES = (("GL μ0Hc2(0)", "hc2_gl_T", "hc2_gl_err_T"),
                  ("full-WHH μ0Hc2(0)", "hc2_whh_full_T", "hc2_whh_full_err_T"),
                  ("−0.693 Tc slope", "hc2_whh_T", "hc2_whh_err_T"))


def hc2_samples(law: str, regime: str, n: int, seed: int) -> dict:
    """Relative estimates and errors (value / truth) of every method on ``n`` replicas, and the extrapolation flags."""
    rng = np.random.default_rng(seed)
    out = {q: ([], []) for q, _, _ in HC2_QUANTITIES}
    flagged = []
    for _ in range(n):
        pts, h0 = hc2_replica(rng, law, regime)
        try:
            res = fit_hc2(pts, slope_model="quadratic")
        except HpglassError:
            res = None
        flagged.append(bool(getattr(res, "extrapolation", False)))
        for q, kv, ke in HC2_QUANTITIES:
            v = None if res is None else getattr(res, kv)
            e = None if res is None else getattr(res, ke)
            out[q][0].append(np.nan if v is None else v / h0)
            out[q][1].append(np.nan if e is None else e / h0)
    return {"values": {q: (np.array(v), np.array(e)) for q, (v, e) in out.items()}, "flagged": np.array(flagged)}


def run_hc2(regime: str, n: int, seed: int) -> list[dict]:
    """Rows for a WHH truth, a GL truth and both pooled (the analyst does not know which law holds)."""
    runs = {law: hc2_samples(law, regime, n, seed + i) for i, law in enumerate(("whh", "gl", "pauli"))}
    rows = []
    for q, _, _ in HC2_QUANTITIES:
        for label, laws in (("WHH truth", ("whh",)), ("GL truth", ("gl",)), ("pooled", ("whh", "gl")),
                            ("Pauli-limited WHH truth (stress)", ("pauli",))):
            est = np.concatenate([runs[law]["values"][q][0] for law in laws])
            err = np.concatenate([runs[law]["values"][q][1] for law in laws])
            fl = np.concatenate([runs[law]["flagged"] for law in laws])
            row = _row(q, np.ones_like(est), est, err) | {"flagged": float(np.mean(fl)), "truth": label,
                                                           "target": label == "pooled"}
            rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------------------------------
def _row(quantity, truth, est, err) -> dict:
    ok = np.isfinite(est) & np.isfinite(truth)
    has_err = ok & np.isfinite(err)
    d = np.abs(est - truth)
    if has_err.sum() == 0:
        return {"quantity": quantity, "n": int(ok.sum()), "failed": int((~ok).sum()), "cov68": float("nan"),
                "cov95": float("nan"), "ratio": float("nan"), "bias": float(np.mean((est - truth)[ok]))}
    z = d[has_err] / err[has_err]
    c68 = z <= Z68
    c95 = z <= Z95
    return {"quantity": quantity, "n": int(has_err.sum()), "failed": int((~has_err).sum()),
            "cov68": float(np.mean(c68)), "cov95": float(np.mean(c95)),
            "ratio": float(np.median(z) / 0.6744897501960817), "bias": float(np.mean((est - truth)[ok]))}


def cases() -> list[tuple[str, str, object]]:
    out = [("Tc", "R(T), Δt 5–60 mK", lambda n, s: run_tc(n, s)),
           ("Tc", "R(T), coarse Δt 0.5–2 w", lambda n, s: run_tc(n, s + 1, coarse=True))]
    for i, regime in enumerate(("low T", "near Tc")):
        out.append(("Hc2", f"points {regime}", lambda n, s, regime=regime, i=i: run_hc2(regime, n, s + 10 + 2 * i)))
    return out


def main(argv=None) -> int:
    a, n = coverage_arguments(__doc__.split("\n")[0], argv)
    t0 = time.perf_counter()
    print(f"# Coverage of transport uncertainties — {n} replicas per case, seed {a.seed}\n")
    print("| family | case | quantity | 68 % cov. | 95 % cov. | z-scale | bias | flagged extrapolation | n |")
    print("|---|---|---|---|---|---|---|---|---|")
    worst = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fam, name, fn in cases():
            if a.only and a.only not in fam and a.only not in name:
                continue
            for r in fn(n, a.seed):
                if np.isfinite(r["cov95"]):
                    target = r.get("target", True)
                    flag = "" if not target else " ⚠" if r["cov95"] < 0.90 else " ↑" if r["cov95"] > 0.98 else ""
                    if target:
                        worst.append(r["cov95"])
                    c68, c95, ratio = f"{r['cov68']:.3f}", f"{r['cov95']:.3f}{flag}", f"{r['ratio']:.2f}"
                else:
                    c68 = c95 = ratio = "no error"
                fail = f" ({r['failed']} without)" if r["failed"] else ""
                fl = f"{r['flagged']:.2f}" if "flagged" in r else "—"
                bias = f"{r['bias']:+.3g}" + (" (rel.)" if fam == "Hc2" else " K")
                case = name if "truth" not in r else f"{name}, {r['truth']}"
                print(f"| {fam} | {case} | {r['quantity']} | {c68} | {c95} | {ratio} | {bias} | {fl} | "
                      f"{r['n']}{fail} |", flush=True)
    span = f"{min(worst):.3f}–{max(worst):.3f}" if worst else "—"
    print(f"\n95 % coverage range over the target rows: {span} (target 0.90–0.98); "
          f"{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
