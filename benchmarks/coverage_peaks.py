"""Coverage of the diffraction peak uncertainties (q1, r1, CN) on replicas of realistic synthetic patterns.

Each replica is a DAC pattern made exactly as the demo's (``hpglass.demo_data.make_demo_xrd``): an exact
Percus–Yevick hard-sphere S(q) (Ashcroft & Lekner, Phys. Rev. 145, 83 (1966)) of Sb2Se3 at 4.90 g/cm³ through the
xray model (``synthetic.sample_intensity``), α = 5, the model DAC empty cell at scale 0.85, counting noise; it is
reduced by the library's default call (``process`` with ρ and the background scale refined, as ``hpglass demo``).
Noise levels: ``counts`` 2000 gives a relative noise of the raw intensity of 1.7e-3 (the demo; the real DAC files
of ../shared/data/xrd/glassure have 0.9e-3 (Mg2SiO4_091), 1.5e-3 (Mg2SiO4_120), 1.4e-3 (glass_rod_SS)); 7000
gives 0.9e-3. Misfit: an unmodelled linear ramp added to the sample only (± ``ramp`` % of the mean sample
intensity at the ends of the q range: a sloping background residual the reduction does not know about).

Truths (exact, from the PY S(q) itself, not from the chain):

* q1 — the maximum of S(q) (bounded scalar minimisation on the closed form);
* r1 — the PY g(r) maximum is the contact value at r = σ (the hard-sphere diameter);
* CN — N(R) = 4πρR³/3 + (2/π)∫₀^∞ (S − 1)[sin qR − qR cos qR]/q dq up to the first minimum R of the true g(r)
  (g from the Fourier integral of S to 400 Å⁻¹), i.e. the library's "minimum" definition on the true g(r).

Each quantity is also compared with its **noise-free reference**: the same chain on the same pattern without noise
(the value the estimator converges to; coverage against it tests the statistical part of the error alone).

Intervals: ``±err`` is value ± z·err (z = 1, 1.96) with the error the library reports (``q1_err_A-1``,
``r1_err_A``, ``cn_err``; their parts are in ``uncertainty`` of the result, see ``pipeline._metrics``):

* q1 — the maximum of S(q) from local cubic fits (``peaks.peak_maximum``); error √(stat² + window² + density² +
  correction²): χ²-scaled fit covariance, half the spread over the fit half-widths, the change with ρ + σρ along
  the chain, half the shift by the Eggert correction;
* r1 — the first g(r) maximum at the data's q_max resolution, the same estimator and parts, σ_stat from the g(r)
  covariance propagated from the S(q) noise (g(r) points are correlated over π/q_max ≫ Δr);
* CN — √(stat² + density² + termination²): S(q) noise through N(R), the chain's density derivative, half the
  change of CN with/without the Lorch window.

Columns as in coverage_fits.py: ``err/RMS`` the median error over the RMS of (estimate − truth); bias the mean
estimate − truth. Target for the 95 % intervals 0.90–0.98 (binomial 1σ 0.015 at 200 replicas).

Run: ``python benchmarks/coverage_peaks.py [--quick] [--n N] [--seed S] [--only SUBSTRING] [--update-readme]``
(one core; default 200 replicas per case, ~5–8 min; --quick 60, ~1.5 min).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

from hpglass.composition import Composition
from hpglass.demo_data import DEMO_XRD
from hpglass.scattering.config import make_config
from hpglass.scattering.hard_sphere import percus_yevick_sq, sigma_for
from hpglass.scattering.pattern import Pattern
from hpglass.scattering.pipeline import process
from hpglass.scattering.synthetic import dac_background, sample_intensity

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/common.py
from common import coverage_arguments, machine, replace_block

Z68 = 1.0
Z95 = 1.959963984540054
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- bench:coverage-peaks:begin -->", "<!-- bench:coverage-peaks:end -->"


@dataclass(frozen=True)
class Case:
    name: str
    eta: float  # PY packing fraction
    counts: float
    ramp_pct: float  # unmodelled linear ramp, ± % of the mean sample intensity at the ends of the q range


CASES = (
    Case("demo noise (counts 2000), no misfit", 0.40, 2000.0, 0.0),
    Case("demo noise, sloping residual ±3 %", 0.40, 2000.0, 3.0),
    Case("low noise (counts 7000), sloping residual ±3 %", 0.40, 7000.0, 3.0),
)


# ------------------------------------------------------------------------------------------------------------------
# exact truths of a PY structure
# ------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Truth:
    q1: float
    r1: float
    cn: float
    r_min: float
    r1_qmax: float  # the same, from the exact S(q) cut at the data's q_max (termination only, no noise, no reduction)
    cn_qmax: float
    r_min_qmax: float


def py_truth(rho: float, eta: float, q_max: float) -> Truth:
    sig = sigma_for(rho, eta)
    qq = np.linspace(1.0, 4.0, 30001)
    q0 = qq[np.argmax(percus_yevick_sq(qq, rho, sig))]
    q1 = minimize_scalar(lambda x: -percus_yevick_sq(np.array([x]), rho, sig)[0], bounds=(q0 - 1e-3, q0 + 1e-3),
                         method="bounded", options={"xatol": 1e-9}).x
    q_all = np.arange(1e-4, 400.0, 0.002)
    h_all = percus_yevick_sq(q_all, rho, sig) - 1.0

    def shell(qc, damp=None):
        q, h = q_all[q_all <= qc], h_all[q_all <= qc]
        if damp:  # a Gaussian damping at 100 Å⁻¹ (0.01 Å resolution) removes the Gibbs ripple of the cut at 400
            h = h * np.exp(-((q / damp) ** 2))

        def g(r):
            return 1.0 + np.trapezoid(q * h * np.sin(q * r), q) / (2 * np.pi**2 * rho * r)

        rr = np.arange(0.8 * sig, 2.0 * sig, 0.005)
        gg = np.array([g(r) for r in rr])
        i1 = int(np.argmax(gg))
        r1 = minimize_scalar(lambda r: -g(r), bounds=(rr[i1] - 0.01, rr[i1] + 0.01), method="bounded",
                             options={"xatol": 1e-6}).x
        r0 = rr[i1 + int(np.argmin(gg[i1:]))]
        r_min = minimize_scalar(g, bounds=(r0 - 0.01, r0 + 0.01), method="bounded", options={"xatol": 1e-6}).x
        kern = np.sin(q * r_min) - q * r_min * np.cos(q * r_min)
        cn = 4 * np.pi * rho * r_min**3 / 3 + 2 / np.pi * np.trapezoid(h * kern / q, q)
        return float(r1), float(cn), float(r_min)

    # the exact g(r) maximum is the contact value at σ (r1 = σ); its minimum and CN from S(q) to 400 Å⁻¹, damped
    _, cn, r_min = shell(q_all[-1], damp=100.0)
    r1_c, cn_c, r_min_c = shell(q_max)
    return Truth(float(q1), float(sig), cn, r_min, r1_c, cn_c, r_min_c)


# ------------------------------------------------------------------------------------------------------------------
# replicas
# ------------------------------------------------------------------------------------------------------------------
def patterns(case: Case, rng: np.random.Generator | None) -> tuple[Pattern, Pattern]:
    """The demo's forward model (make_demo_xrd) with this case's packing fraction, noise and ramp."""
    p = DEMO_XRD
    lam = p["wavelength_A"]
    tth = np.linspace(*p["two_theta_deg"])
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / lam
    rho = Composition.parse(p["composition"]).number_density(p["density_g_cm3"])
    sq = percus_yevick_sq(q, rho, sigma_for(rho, case.eta))
    sample = sample_intensity(q, sq, p["composition"], lam, p["alpha"])
    bkg = dac_background(q, lam)
    sample = sample + p["bkg_scale"] * bkg
    if case.ramp_pct:
        sample = sample + case.ramp_pct / 100 * sample.mean() * (2 * (q - q[0]) / (q[-1] - q[0]) - 1)
    if rng is not None:
        sample = sample + rng.normal(size=q.size) * np.sqrt(sample / case.counts)
        bkg = bkg + rng.normal(size=q.size) * np.sqrt(bkg / case.counts)
    return (Pattern(q, sample, unit="q_A", wavelength=lam, source="<replica sample>"),
            Pattern(q, bkg, unit="q_A", wavelength=lam, source="<replica empty cell>"))


def measure(case: Case, rng) -> dict:
    """One replica (rng None: the noise-free reference) through the default chain: the library's values."""
    sample, bkg = patterns(case, rng)
    cfg = make_config(composition=DEMO_XRD["composition"], wavelength=sample.wavelength, refine_density=True,
                      refine_bkg=True)
    d = process(sample, bkg, cfg).to_dict()
    return {"q1": d.get("q1_A-1"), "q1_err": d.get("q1_err_A-1"), "r1": d.get("r1_A"), "r1_err": d.get("r1_err_A"),
            "cn": d.get("cn"), "cn_err": d.get("cn_err")}


def _row(quantity, interval, truth, est, err) -> dict:
    est = np.array([np.nan if v is None else v for v in est], dtype=float)
    err = np.array([np.nan if v is None else v for v in err], dtype=float)
    ok = np.isfinite(est)
    rms = float(np.sqrt(np.mean((est[ok] - truth) ** 2)))
    row = {"quantity": quantity, "interval": interval, "n": int(ok.sum()), "failed": int((~ok).sum()),
           "bias": float(np.mean(est[ok]) - truth), "rms": rms, "sd": float(np.std(est[ok])), "truth": truth}
    have = ok & np.isfinite(err)
    if not have.any():
        return row | {"cov68": None, "cov95": None, "ratio": None, "err": None}
    d = np.abs(est[have] - truth)
    return row | {"cov68": float(np.mean(d <= Z68 * err[have])), "cov95": float(np.mean(d <= Z95 * err[have])),
                  "ratio": float(np.median(err[have]) / rms), "err": float(np.median(err[have]))}


def run_case(case: Case, n: int, seed: int, truth: Truth, progress=None) -> list[dict]:
    ref = measure(case, None)
    reps = []
    for i in range(n):
        reps.append(measure(case, np.random.default_rng([seed, 5, CASES.index(case), i])))
        if progress:
            progress(i + 1, n)
    col = {k: [r[k] for r in reps] for k in reps[0]}
    rows = []
    for qty, key, exact, unit in (("q1", "q1", truth.q1, "Å⁻¹"), ("r1", "r1", truth.r1, "Å"), ("CN", "cn", truth.cn, "")):
        mine = [_row(qty, "±err (library) vs exact truth", exact, col[key], col[f"{key}_err"])]
        if key != "q1":
            cut = truth.r1_qmax if key == "r1" else truth.cn_qmax
            mine.append(_row(qty, "±err (library) vs exact truth at the data's q_max", cut, col[key],
                             col[f"{key}_err"]))
        if ref[key] is not None:
            mine.append(_row(qty, "±err (library) vs noise-free reference", ref[key], col[key], col[f"{key}_err"]))
        rows += [r | {"unit": unit} for r in mine]
    return rows


def _f(v, fmt=".3f"):
    return "—" if v is None else format(v, fmt)


def main(argv=None) -> int:
    extra = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--update-readme"]
    update = len(extra) != len(argv if argv is not None else sys.argv[1:])
    a, n = coverage_arguments(__doc__.split("\n")[0], extra)
    if a.n is None and not a.quick:
        n = 200  # each replica is a full reduction (~0.6 s): 200 keeps the run near 6 min on one core
    t0 = time.perf_counter()
    rho = Composition.parse(DEMO_XRD["composition"]).number_density(DEMO_XRD["density_g_cm3"])
    truths = {}
    lines = [f"Coverage of the diffraction peak errors — {n} replicas per case, seed {a.seed}; {machine()}", "",
             ("| case | quantity | interval | truth | 68 % cov. | 95 % cov. | median err | SD of estimates | bias | "
              "err/RMS | n |"), "|---|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    worst = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in CASES:
            if a.only and a.only not in case.name:
                continue
            if case.eta not in truths:
                truths[case.eta] = py_truth(rho, case.eta, float(patterns(case, None)[0].x[-1]))
            tr = truths[case.eta]

            t_case = time.perf_counter()

            def progress(i, total, _t=t_case, _name=case.name):
                if i % 20 == 0 or i == total:
                    el = time.perf_counter() - _t
                    print(f"  [{_name}] {i}/{total}, {el:.0f} s, ~{el / i * (total - i):.0f} s left",
                          file=sys.stderr, flush=True)

            for r in run_case(case, n, a.seed, tr, progress):
                flag = "" if r["cov95"] is None or 0.90 <= r["cov95"] <= 0.98 else " ⚠"
                if r["cov95"] is not None:
                    worst.append(r["cov95"])
                fail = f" ({r['failed']} failed)" if r["failed"] else ""
                line = (f"| {case.name} | {r['quantity']} | {r['interval']} | {r['truth']:.4g} {r['unit']} | "
                        f"{_f(r['cov68'])} | {_f(r['cov95'])}{flag} | {_f(r['err'], '.2g')} | {r['sd']:.2g} | "
                        f"{r['bias']:+.2g} | {_f(r['ratio'], '.2g')} | {r['n']}{fail} |")
                print(line, flush=True)
                lines.append(line)
    tail = [""]
    for eta, tr in truths.items():
        tail.append(f"PY η = {eta}: exact q1 = {tr.q1:.5f} Å⁻¹, r1 = σ = {tr.r1:.4f} Å, first g(r) minimum "
                    f"{tr.r_min:.4f} Å, CN = {tr.cn:.4f}; from S(q) cut at the data's q_max: r1 = {tr.r1_qmax:.4f} Å, "
                    f"minimum {tr.r_min_qmax:.4f} Å, CN = {tr.cn_qmax:.4f}.")
    span = f"{min(worst):.3f}–{max(worst):.3f}" if worst else "—"
    tail.append(f"95 % coverage over all rows with an error: {span} (target 0.90–0.98); "
                f"{time.perf_counter() - t0:.0f} s; `python benchmarks/coverage_peaks.py"
                f"{' --quick' if a.quick else ''}{f' --n {a.n}' if a.n else ''}`.")
    print("\n".join(tail))
    lines += tail
    if update and not a.only:
        replace_block(README, BEGIN, END, "\n".join(lines))
        print(f"wrote {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
