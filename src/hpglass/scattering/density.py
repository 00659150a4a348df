"""Density, background scale and normalization refined together from the low-r misfit of F(r).

Eggert et al., Phys. Rev. B 65, 174105 (2002): for the right density ρ and background scale s, F(r) follows
−4πρr below r_min, so χ² = ∫₀^{r_min} ΔF(r)² dr is minimal at the true values. hpglass differs from Eggert
et al. (and from glassure's ``optimize_density``) in three measured ways (tests/scattering/test_density.py):

1. The normalization α is a free parameter of the fit, started from Krogh-Moe/Norman. The Krogh-Moe sum rule
   integrates q²[S(q) − 1] only to q_max; for a structure factor whose oscillations decay slowly the missing
   tail shifts α by a few per cent, and with α tied to it the background scale absorbs the error (+15 % at
   q_max = 10 Å⁻¹ on Percus–Yevick data). With α free, the low-r F(r) itself — whose slope at r → 0 *is* the
   sum rule — fixes the scale.
2. ΔF(r) is measured through the Lorch window, which suppresses the termination ripple of the q_max cut that
   otherwise leaks into r < r_min and biases ρ by up to ±7 %.
3. χ² is taken after one Eggert/Kaplow iteration, not five: each iteration multiplies S(q) by a smooth
   correction that also absorbs a wrong background slope, so more iterations flatten χ² along s.

A coarse scan over ρ (α from Krogh-Moe at each trial ρ) brackets the global minimum, then a bounded
Levenberg–Marquardt-type least-squares (scipy.optimize.least_squares, 'trf') refines all free parameters.

Uncertainty. ΔF(r) is sampled every δr but only n_eff = r_min q_max / π of its values are independent (the
Nyquist spacing π/q_max). The statistical covariance counts the residual variance over n_eff points:
    cov = k · χ²/(n − k p) · (JᵀJ)⁻¹,  k = n/n_eff  (n samples, p parameters).
The systematic part is the spread of ρ (and s) refined afresh over other reasonable settings: r_min × 0.85 and
× 1.1 — the choice of r_min is the method's main systematic (Eggert et al., Sec. IV) —, q_max × 0.85 (on real
data the high-q end carries the largest normalization and background errors) and the other low-q extrapolation.
``*_err`` is the quadrature sum of both.

Diamond cell: with a cell geometry the trial density also sets the sample's absorption (``reduce``); the sample
thickness can be refined with the density (``refine_thickness``), started from the given value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from ..errors import ConvergenceError, HpglassError
from .reduce import Reducer

FOM_ITERATIONS = 1


@dataclass(frozen=True)
class DensityFit:
    number_density: float  # atoms/Å³
    number_density_err_stat: float
    number_density_err_sys: float
    bkg_scale: float
    bkg_scale_err_stat: float
    bkg_scale_err_sys: float
    alpha: float
    chi2: float
    r_cutoff: float
    n_eval: int
    refined: tuple[str, ...] = field(default=())
    thickness_um: float | None = None
    thickness_err_um: float | None = None
    at_bound: tuple[str, ...] = ()  # refined parameters that ended on a bound of their search
    variants: tuple[dict, ...] = ()  # the refinements behind the systematic error (setting → ρ, scale)
    n_refinements: int = 1

    def __repr__(self) -> str:
        return (f"DensityFit(ρ={self.number_density:.5g} ± {self.number_density_err:.2g} Å⁻³, "
                f"bkg={self.bkg_scale:.4g} ± {self.bkg_scale_err:.2g}, r_cutoff={self.r_cutoff:.3g} Å, "
                f"refined={self.refined})")

    @property
    def number_density_err(self) -> float:
        return float(np.hypot(self.number_density_err_stat, self.number_density_err_sys))

    @property
    def bkg_scale_err(self) -> float:
        return float(np.hypot(self.bkg_scale_err_stat, self.bkg_scale_err_sys))


def scan_density(reducer: Reducer, rho_bounds: tuple[float, float], bkg_scale: float, n: int = 48) -> float:
    """ρ (atoms/Å³) of the lowest χ² on a geometric grid, α from Krogh-Moe at each ρ."""
    grid = np.geomspace(*rho_bounds, n)
    chi = np.full(grid.size, np.inf)
    for i, rho in enumerate(grid):
        try:
            chi[i] = float(np.sum(reducer.low_r_residual(rho, bkg_scale, iterations=FOM_ITERATIONS) ** 2))
        except HpglassError:
            continue  # a trial density whose normalization fails is not a candidate
    if not np.isfinite(chi).any():
        raise ConvergenceError("density scan: no trial density gave a positive normalization")
    return float(grid[int(np.argmin(chi))])


#: r_cutoff and q_max variations of the systematic error: each a "reasonable other choice"
R_CUTOFF_FACTORS = (0.85, 1.1)
Q_MAX_FACTOR = 0.85


def refine_density(
    reducer: Reducer,
    rho_start: float | None,
    bkg_start: float,
    refine_rho: bool = True,
    refine_bkg: bool = False,
    rho_bounds: tuple[float, float] = (0.003, 0.3),
    bkg_bounds: tuple[float, float] | None = None,
    systematic: bool = True,
    refine_thickness: bool = False,
    r_cutoff_max: float | None = None,
) -> DensityFit:
    """Refine ρ (atoms/Å³), the background scale and/or the sample thickness, α always free; 1σ errors.

    The systematic error is the spread of the refined values over other reasonable settings, each refined
    afresh: r_cutoff × 0.85 and × 1.1 (the latter capped at ``r_cutoff_max``, the largest r_cutoff outside the
    first shell), q_max × 0.85 (when at least 6 Å⁻¹ remain), and the other low-q extrapolation (linear ↔ flat).
    The r_cutoff variants contribute their largest deviation from the result, the others their deviation; they
    add in quadrature. The coverage of the total error was measured on forward-model replicas
    (tests/scattering/test_dac_acceptance.py).
    """
    if not (refine_rho or refine_bkg or refine_thickness):
        raise ValueError("nothing to refine")
    if rho_start is None:
        rho_start = scan_density(reducer, rho_bounds, bkg_start)
    if bkg_bounds is None:
        bkg_bounds = (0.0, max(3.0 * bkg_start, 2.0))
    t0 = reducer.thickness_um
    if refine_thickness and t0 is None:
        raise ConvergenceError("thickness refinement needs a start value (sample_thickness_um)")
    names = tuple(n for n, on in (("rho", refine_rho), ("bkg", refine_bkg), ("thick", refine_thickness)) if on)
    names = names + ("alpha",)
    bounds = {"rho": rho_bounds, "bkg": bkg_bounds, "thick": (0.2 * (t0 or 1.0), 5.0 * (t0 or 1.0))}
    best = _fit(reducer, names, rho_start, bkg_start, t0, bounds)
    rho, bkg, thick, alpha, err, chi2, nfev = best
    at_bound = tuple(n for n, v in (("rho", rho), ("bkg", bkg), ("thick", thick)) if n in names
                     and (v <= bounds[n][0] * 1.005 + 1e-12 or v >= bounds[n][1] / 1.005))

    sys_rho = sys_bkg = 0.0
    variants: list[dict] = []
    n_ref = 1
    if systematic:
        cfg = reducer.config
        r0 = reducer.r_cutoff
        r_hi = r0 * R_CUTOFF_FACTORS[1] if r_cutoff_max is None else min(r0 * R_CUTOFF_FACTORS[1], r_cutoff_max)
        sets: list[tuple[str, Reducer, bool]] = [
            (f"r_cutoff {r0 * R_CUTOFF_FACTORS[0]:.3f} Å", reducer.with_r_cutoff(r0 * R_CUTOFF_FACTORS[0]), True)]
        if r_hi > r0 * 1.01:
            sets.append((f"r_cutoff {r_hi:.3f} Å", reducer.with_r_cutoff(r_hi), True))
        q_cut = Q_MAX_FACTOR * reducer.q[-1]
        if q_cut >= 6.0 and q_cut > reducer.q[0] + 2.0:
            keep = reducer.q <= q_cut
            sets.append((f"q_max {q_cut:.2f} Å⁻¹", Reducer(reducer.q[keep], reducer.sample[keep],
                                                         None if reducer.bkg is None else reducer.bkg[keep], cfg,
                                                         r0), False))
        if cfg.s0 is None and cfg.extrapolation in ("linear", "flat"):
            other = "flat" if cfg.extrapolation == "linear" else "linear"
            sets.append((f"{other} low-q extrapolation",
                         reducer.with_r_cutoff(r0, cfg.model_copy(update={"extrapolation": other})), False))
        r_pair, d_rho, d_bkg = [], [], []
        for label, red, paired in sets:
            try:
                v = _fit(red, names, rho, bkg, thick, bounds, alpha0=alpha)
            except HpglassError:
                continue  # a variant that cannot be refined adds no spread; it is listed as failed
            finally:
                n_ref += 1
            variants.append({"setting": label, "number_density": v[0], "bkg_scale": v[1]})
            if paired:
                r_pair.append(v)
            else:
                d_rho.append(abs(v[0] - rho))
                d_bkg.append(abs(v[1] - bkg))
        if r_pair:
            d_rho.append(max(abs(x[0] - rho) for x in r_pair))
            d_bkg.append(max(abs(x[1] - bkg) for x in r_pair))
        sys_rho = float(np.hypot.reduce(d_rho)) if refine_rho and d_rho else 0.0
        sys_bkg = float(np.hypot.reduce(d_bkg)) if refine_bkg and d_bkg else 0.0
    return DensityFit(
        number_density=rho,
        number_density_err_stat=err.get("rho", 0.0),
        number_density_err_sys=float(sys_rho),
        bkg_scale=bkg,
        bkg_scale_err_stat=err.get("bkg", 0.0),
        bkg_scale_err_sys=float(sys_bkg),
        alpha=alpha,
        chi2=chi2,
        r_cutoff=float(reducer.r_cutoff),
        n_eval=nfev,
        refined=names,
        thickness_um=thick,
        thickness_err_um=err.get("thick") if refine_thickness else None,
        at_bound=at_bound,
        variants=tuple(variants),
        n_refinements=n_ref,
    )


def _fit(reducer: Reducer, names, rho0, bkg0, thick0, bounds, alpha0=None):
    if alpha0 is None:
        alpha0 = reducer.alpha(rho0, reducer.intensity(bkg0, rho0, thick0), thick0)

    # α is fitted as a ratio to its start value so that all parameters are of order one.
    def unpack(p):
        d = dict(zip(names, p, strict=True))
        return d.get("rho", rho0), d.get("bkg", bkg0), d.get("thick", thick0), alpha0 * d["alpha"]

    def fun(p):
        rho, bkg, thick, alpha = unpack(p)
        return reducer.low_r_residual(rho, bkg, alpha, iterations=FOM_ITERATIONS, thickness_um=thick)

    spec = {"rho": (rho0, bounds["rho"], 0.01), "bkg": (bkg0, bounds["bkg"], 0.1),
            "thick": (thick0, bounds["thick"], 0.2 * (thick0 or 1.0)), "alpha": (1.0, (0.05, 20.0), 0.1)}
    p0 = [float(np.clip(spec[n][0], *spec[n][1])) for n in names]
    lo = [spec[n][1][0] for n in names]
    hi = [spec[n][1][1] for n in names]
    scale = [spec[n][2] for n in names]
    try:
        sol = least_squares(fun, p0, bounds=(lo, hi), x_scale=scale, method="trf", xtol=1e-10, ftol=1e-12,
                            max_nfev=400)
    except (ValueError, HpglassError) as exc:
        raise ConvergenceError(f"density refinement failed: {exc}") from None
    if not sol.success:
        raise ConvergenceError(f"density refinement did not converge: {sol.message}")
    rho, bkg, thick, alpha = unpack(sol.x)
    n = sol.fun.size
    n_eff = max(reducer.r_cutoff * reducer.q[-1] / np.pi, len(names) + 1.0)
    k = n / n_eff
    chi2 = float(np.sum(sol.fun**2))
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac) * k * chi2 / max(n - k * len(names), 1.0)
        err = {nm: float(np.sqrt(max(cov[i, i], 0.0))) for i, nm in enumerate(names)}
    except np.linalg.LinAlgError:
        err = {nm: float("nan") for nm in names}
    return (float(rho), float(bkg), None if thick is None else float(thick), float(alpha), err, chi2,
            int(sol.nfev))
