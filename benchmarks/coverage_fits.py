"""Coverage of hpglass's fit uncertainties on replicas with realistic scatter AND model misfit.

For every case, ``--n`` replicas (default 400; ``--quick``: 60) of a synthetic data set with a known answer are
generated (seeded), fitted with the library's default call, and the fraction of replicas whose 68.27 % and 95 %
intervals hold the true value is printed as a markdown table. A well-calibrated interval covers at its nominal
level; the target for the 95 % intervals is 0.90–0.98 (the binomial 1σ of a coverage near 0.95 is 0.011 at
400 replicas, 0.028 at 60).

Intervals:

* ``±err`` — value ± z·err with z = 1 (68.27 %) and 1.96 (95 %), i.e. how a reader uses "value ± err";
* ``±σ(CI)`` — value ± z·σ with the breakpoint σ the study quotes (``PiecewiseFit.breakpoint_sigma``: ±1.96σ spans
  the wider side of the 95 % profile interval, never less than ``err``);
* ``profile`` — the breakpoint's profile-likelihood interval (``PiecewiseFit.breakpoint_ci``), computed at
  ci_level 0.6827 and 0.95;
* ``slope_ci`` — the slopes' intervals (``PiecewiseFit.slope_ci``: Student t when the error scale was estimated
  from the residuals), at the same two levels.

Cases (the misfits named in issue 12): stated σ smaller than the real scatter by 2–3×, a slight curvature /
rounded transition that a piecewise-linear model does not have, a BM3 truth fitted with BM3 and with Vinet,
errors in ρ only (the demo's glass EOS path) and the density crossover of two fitted EOS.

Columns: ``err/RMS`` is the median reported error over the RMS of (estimate − truth) (≈ 1 when the errors have
the right size; < 1 overconfident); ``χ²_red`` the median reduced χ² of the fits.

Run: ``python benchmarks/coverage_fits.py [--quick] [--n N] [--seed S] [--only SUBSTRING]`` (one core; the full
run takes ~1–2 min).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hpglass.eos import eos_from_params, forms
from hpglass.eos.crossover import density_crossover
from hpglass.eos.fit import fit_density, fit_eos
from hpglass.errors import HpglassError
from hpglass.series.piecewise import fit_piecewise

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/common.py, also when imported by the tests
from common import coverage_arguments  # noqa: E402

Z68 = 1.0
Z95 = 1.959963984540054
LEVEL68 = 0.6826894921370859


# ------------------------------------------------------------------------------------------------------------------
# piecewise-linear q1(P)-like series
# ------------------------------------------------------------------------------------------------------------------
def broken_line(x, b, s1, s2, y0):
    return y0 + s1 * x + (s2 - s1) * np.clip(x - b, 0, None)


def rounded_kink(x, b, s1, s2, y0, width):
    """Both asymptotes of ``broken_line`` joined by a softplus of ``width``: a transition spread over ~2·width."""
    u = (x - b) / width
    return y0 + s1 * x + (s2 - s1) * width * np.logaddexp(0.0, u)


@dataclass(frozen=True)
class PwCase:
    name: str
    x: np.ndarray
    truth: Callable[[np.ndarray], np.ndarray]
    break_true: float
    slopes_true: tuple[float, float]
    real_sigma: float | np.ndarray
    stated_sigma: float | np.ndarray | None
    note: str


Q1 = {"b": 15.7, "s1": 0.021, "s2": 0.0048, "y0": 1.85}  # the reference study's q1(P): 0.021 → 0.0048 Å⁻¹/GPa
P27 = np.linspace(1.0, 40.0, 27)


def _curved_upper(kappa):
    def f(x):
        return broken_line(x, **Q1) - kappa * np.clip(x - Q1["b"], 0, None) ** 2
    return f


def _pw_cases() -> list[PwCase]:
    s = 0.003
    L = P27.max() - Q1["b"]
    # curvature of the upper regime: sagitta of the curve from its chord over that regime = real σ (slight)
    kappa = 4 * s / L**2
    p9 = np.array([0.0, 5.0, 10.0, 16.0, 20.0, 30.0, 40.0, 50.0, 60.0])  # the demo's pressure ladder
    sig9 = np.array([0.8, 1.1, 0.9, 0.8, 0.7, 2.9, 1.6, 0.4, 1.3]) * 1e-3  # the demo's q1 errors (Å⁻¹)
    demo = {"b": 11.7, "s1": 0.0197, "s2": 0.0060, "y0": 2.2}
    return [
        PwCase("control: σ stated = real", P27, lambda x: broken_line(x, **Q1), Q1["b"], (Q1["s1"], Q1["s2"]),
               s, s, "well specified"),
        PwCase("σ understated 3×", P27, lambda x: broken_line(x, **Q1), Q1["b"], (Q1["s1"], Q1["s2"]),
               s, s / 3, "weighted, absolute σ"),
        PwCase("unweighted (σ from scatter)", P27, lambda x: broken_line(x, **Q1), Q1["b"], (Q1["s1"], Q1["s2"]),
               s, None, "F-test interval"),
        PwCase("rounded transition (w = 1 GPa), σ understated 2×", P27,
               lambda x: rounded_kink(x, **Q1, width=1.0), Q1["b"], (Q1["s1"], Q1["s2"]), s, s / 2,
               "truth: the asymptotes' intersection and slopes"),
        PwCase("curved upper regime (sagitta = σ), σ understated 2×", P27, _curved_upper(kappa), Q1["b"],
               (Q1["s1"], Q1["s2"] - kappa * L), s, s / 2, "true upper slope: its mean over the regime"),
        PwCase("demo ladder (9 points), σ understated 3×", p9, lambda x: broken_line(x, **demo), demo["b"],
               (demo["s1"], demo["s2"]), 3 * sig9, sig9, "heteroscedastic, 5 dof"),
    ]


def run_piecewise(case: PwCase, n: int, seed: int) -> list[dict]:
    est: dict[str, list] = {k: [] for k in ("b_p95", "b_p68", "b", "b_err", "b_sig", "s1", "s1_err", "s2", "s2_err", "chi",
                                            "s1_ci95", "s2_ci95", "s1_ci68", "s2_ci68")}
    y_true = case.truth(case.x)
    for rep in range(n):
        rng = np.random.default_rng([seed, 1, rep])
        y = y_true + rng.normal(0.0, 1.0, case.x.size) * case.real_sigma
        f95 = fit_piecewise(case.x, y, 2, sigma=case.stated_sigma)
        f68 = fit_piecewise(case.x, y, 2, sigma=case.stated_sigma, ci_level=LEVEL68)
        est["b_p95"].append(f95.breakpoint_ci[0])
        est["b_p68"].append(f68.breakpoint_ci[0])
        est["b"].append(f95.breakpoints[0])
        est["b_err"].append(f95.breakpoint_errs[0])
        est["b_sig"].append(f95.breakpoint_sigma(0))
        for j in (0, 1):
            est[f"s{j + 1}"].append(f95.slopes[j])
            est[f"s{j + 1}_err"].append(f95.slope_errs[j])
            ci95 = getattr(f95, "slope_ci", ())  # absent before issue 12
            ci68 = getattr(f68, "slope_ci", ())
            est[f"s{j + 1}_ci95"].append(ci95[j] if ci95 else (np.nan, np.nan))
            est[f"s{j + 1}_ci68"].append(ci68[j] if ci68 else (np.nan, np.nan))
        est["chi"].append(f95.chi2_red)
    a = {k: np.asarray(v, dtype=float) for k, v in est.items()}
    chi = float(np.median(a["chi"]))
    rows = [_row("breakpoint (2-regime)", "profile", case.break_true, a["b"], None, chi,
                 ci68=a["b_p68"], ci95=a["b_p95"]),
            _row("breakpoint (2-regime)", "±err", case.break_true, a["b"], a["b_err"], chi),
            _row("breakpoint (2-regime)", "±σ(CI)", case.break_true, a["b"], a["b_sig"], chi)]
    for j in (1, 2):
        if np.all(np.isfinite(a[f"s{j}_ci95"])):
            rows.append(_row(f"slope {j}", "slope_ci", case.slopes_true[j - 1], a[f"s{j}"], None, chi,
                             ci68=a[f"s{j}_ci68"], ci95=a[f"s{j}_ci95"]))
        rows.append(_row(f"slope {j}", "±err", case.slopes_true[j - 1], a[f"s{j}"], a[f"s{j}_err"], chi))
    return rows


# ------------------------------------------------------------------------------------------------------------------
# EOS fits
# ------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EosCase:
    name: str
    truth: dict
    p: np.ndarray
    real: tuple[float | None, float | None]  # real σP (GPa), σV (V units) — or σρ for density data
    stated: tuple[float | None, float | None]
    fit_form: str
    density: bool = False  # data are P–ρ (g/cm³), σ on ρ only (the demo's glass path)


GLASS = {"V0": 1 / 4.9, "K0": 12.0, "K0p": 5.0}  # a soft glass, specific volume cm³/g (ρ0 = 4.9 g/cm³)
CRYSTAL = {"V0": 547.5, "K0": 30.0, "K0p": 6.0}  # Å³ per Sb2Se3 cell, Z = 4
HARD = {"V0": 100.0, "K0": 160.0, "K0p": 4.5}


def _eos_cases() -> list[EosCase]:
    pg = np.linspace(0.5, 20.0, 14)
    return [
        EosCase("control: BM3 truth, BM3 fit, σ stated = real", HARD, np.linspace(0.5, 30, 15), (0.1, 0.05),
                (0.1, 0.05), "bm3"),
        EosCase("BM3 fit, σP and σV understated 3×", HARD, np.linspace(0.5, 30, 15), (0.3, 0.15), (0.1, 0.05),
                "bm3"),
        EosCase("soft glass P–ρ: BM3 truth, BM3 fit, σρ understated 2.5×", GLASS, pg, (None, 0.025), (None, 0.01),
                "bm3", density=True),
        EosCase("soft glass P–ρ: BM3 truth, Vinet fit, σρ understated 2.5×", GLASS, pg, (None, 0.025),
                (None, 0.01), "vinet", density=True),
        EosCase("soft glass P–V: BM3 truth, Vinet fit, σ stated = real", GLASS, pg, (0.1, 0.002), (0.1, 0.002),
                "vinet"),
    ]


def _eos_data(case: EosCase, rng):
    v = forms.volume(case.p, case.truth, "bm3")
    sp, sv = case.real
    P = case.p + (0 if sp is None else rng.normal(0, sp, case.p.size))
    if case.density:
        rho = 1 / v + rng.normal(0, sv, case.p.size)
        return P, rho
    return P, v + rng.normal(0, sv, case.p.size)


def _fit(case: EosCase, P, Y, **kw):
    sp, sv = case.stated
    if case.density:
        return fit_density(P, Y, sp, sv, form=case.fit_form, **kw)
    return fit_eos(P, Y, sp, sv, form=case.fit_form, **kw)


def run_eos(case: EosCase, n: int, seed: int) -> list[dict]:
    k0, k0e, kp, kpe, chi = [], [], [], [], []
    for rep in range(n):
        rng = np.random.default_rng([seed, 2, rep])
        P, Y = _eos_data(case, rng)
        r = _fit(case, P, Y)
        k0.append(r.K0)
        k0e.append(r.errors["K0"])
        kp.append(r.K0p)
        kpe.append(r.errors["K0p"])
        chi.append(r.chi2_red)
    c = float(np.median(chi))
    return [_row("EOS K0", "±err", case.truth["K0"], np.array(k0), np.array(k0e), c),
            _row("EOS K0'", "±err", case.truth["K0p"], np.array(kp), np.array(kpe), c)]


# ------------------------------------------------------------------------------------------------------------------
# density crossover of a fitted glass EOS (P–ρ) and a fitted crystal EOS (P–V per cell)
# ------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrossCase:
    name: str
    glass: EosCase
    crystal: EosCase


def _cross_cases() -> list[CrossCase]:
    pg, pc = np.linspace(0.5, 20.0, 14), np.linspace(0.5, 12.0, 10)
    return [
        CrossCase("control: σ stated = real",
                  EosCase("", GLASS, pg, (0.1, 0.01), (0.1, 0.01), "bm3", density=True),
                  EosCase("", CRYSTAL, pc, (0.05, 0.3), (0.05, 0.3), "bm3")),
        CrossCase("σ understated 3× (both fits)",
                  EosCase("", GLASS, pg, (0.3, 0.03), (0.1, 0.01), "bm3", density=True),
                  EosCase("", CRYSTAL, pc, (0.15, 0.9), (0.05, 0.3), "bm3")),
        CrossCase("glass BM3 truth fitted with Vinet, σρ understated 2.5×",
                  EosCase("", GLASS, pg, (None, 0.025), (None, 0.01), "vinet", density=True),
                  EosCase("", CRYSTAL, pc, (0.05, 0.3), (0.05, 0.3), "bm3")),
    ]


_FACTOR_CELL = None


def _cell_factor():
    global _FACTOR_CELL
    if _FACTOR_CELL is None:
        from hpglass import Composition

        _FACTOR_CELL = Composition.parse("Sb2Se3").mass_density(20.0)  # g/cm³ × Å³ per cell (4 formula units)
    return _FACTOR_CELL


def run_cross(case: CrossCase, n: int, seed: int) -> list[dict]:
    fac = _cell_factor()
    truth = density_crossover(
        eos_from_params("bm3", rho0=1 / GLASS["V0"], K0=GLASS["K0"], K0p=GLASS["K0p"]),
        eos_from_params("bm3", V0=CRYSTAL["V0"], K0=CRYSTAL["K0"], K0p=CRYSTAL["K0p"], per="cell",
                        composition="Sb2Se3", Z=4), (0, 40)).pressure_GPa
    est, err, chi = [], [], []
    for rep in range(n):
        rng = np.random.default_rng([seed, 3, rep])
        g = _fit(case.glass, *_eos_data(case.glass, rng))
        x = _fit(case.crystal, *_eos_data(case.crystal, rng), mass_factor=fac, volume_unit="Å³/cell")
        try:
            c = density_crossover(g, x, (0, 40), n_grid=201)
        except HpglassError:
            c = None
        if c is None or c.pressure_GPa is None:
            est.append(np.nan)
            err.append(np.nan)
        else:
            est.append(c.pressure_GPa)
            err.append(c.err_GPa)
        chi.append(g.chi2_red)
    return [_row("crossover pressure", "±err", truth, np.array(est), np.array(err), float(np.median(chi)))]


# ------------------------------------------------------------------------------------------------------------------
def _row(quantity, interval, truth, est, err, chi, ci68=None, ci95=None) -> dict:
    ok = np.isfinite(est)
    if ci95 is not None:
        c68 = (ci68[:, 0] <= truth) & (truth <= ci68[:, 1])
        c95 = (ci95[:, 0] <= truth) & (truth <= ci95[:, 1])
        ratio = float(np.median(ci68[:, 1] - ci68[:, 0]) / 2 / np.sqrt(np.mean((est[ok] - truth) ** 2)))
    else:
        ok &= np.isfinite(err)
        d = np.abs(est - truth)
        c68 = d <= Z68 * err
        c95 = d <= Z95 * err
        ratio = float(np.median(err[ok]) / np.sqrt(np.mean((est[ok] - truth) ** 2)))
    return {"quantity": quantity, "interval": interval, "n": int(ok.sum()), "failed": int((~ok).sum()),
            "cov68": float(np.mean(c68[ok])), "cov95": float(np.mean(c95[ok])), "ratio": ratio, "chi2_red": chi,
            "truth": float(truth), "bias": float(np.mean(est[ok]) - truth)}


def _demo_snapshot() -> str:
    """The bundled demo study's q1(P) (patterns computed from simulated trajectories; no known break), as measured
    on main before issue 12: 9 amorphous patterns, errors from the peak fits, refitted here."""
    p = np.array([0.0, 5.0, 10.0, 16.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    q = np.array([2.199150, 2.327176, 2.394734, 2.435934, 2.503731, 2.564861, 2.612067, 2.668746, 2.687330])
    e = np.array([0.000817, 0.001092, 0.000896, 0.000819, 0.000738, 0.002861, 0.001629, 0.000437, 0.001341])
    f = fit_piecewise(p, q, 2, sigma=e)
    u = fit_piecewise(p, q, 2)
    lo, hi = f.breakpoint_ci[0]
    ulo, uhi = u.breakpoint_ci[0]
    return (f"demo study q1(P) (simulated; no known break): weighted {f.breakpoints[0]:.2f} ± {f.breakpoint_errs[0]:.2g} GPa, "
            f"95 % CI {lo:.2f}–{hi:.2f} GPa, χ²_red {f.chi2_red:.0f} "
            f"({getattr(f, 'error_method', 'stated σ as absolute')}); unweighted {u.breakpoints[0]:.2f} ± "
            f"{u.breakpoint_errs[0]:.2g} GPa, 95 % CI {ulo:.2f}–{uhi:.2f} GPa")


def main(argv=None) -> int:
    a, n = coverage_arguments(__doc__.split("\n")[0], argv)
    t0 = time.perf_counter()
    jobs = [("piecewise", c.name, run_piecewise, c) for c in _pw_cases()]
    jobs += [("eos", c.name, run_eos, c) for c in _eos_cases()]
    jobs += [("crossover", c.name, run_cross, c) for c in _cross_cases()]
    print(f"# Coverage of fit uncertainties — {n} replicas per case, seed {a.seed}\n")
    print("| family | case | quantity | interval | 68 % cov. | 95 % cov. | err/RMS | bias | median χ²_red | n |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    worst = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fam, name, fn, case in jobs:
            if a.only and a.only not in fam and a.only not in name:
                continue
            for r in fn(case, n, a.seed):
                flag = "" if 0.90 <= r["cov95"] <= 0.98 else " ⚠"
                worst.append(r["cov95"])
                fail = f" ({r['failed']} failed)" if r["failed"] else ""
                print(f"| {fam} | {name} | {r['quantity']} | {r['interval']} | {r['cov68']:.3f} | "
                      f"{r['cov95']:.3f}{flag} | {r['ratio']:.2f} | {r['bias']:+.3g} | {r['chi2_red']:.3g} | "
                      f"{r['n']}{fail} |", flush=True)
    print()
    print(_demo_snapshot())
    span = f"{min(worst):.3f}–{max(worst):.3f}" if worst else "—"
    print(f"\n95 % coverage range over all rows: {span} (target 0.90–0.98); {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
