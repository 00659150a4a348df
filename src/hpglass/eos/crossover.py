"""Pressure at which two EOS give the same mass density, with its uncertainty.

The two EOS (say a glass ``a`` and a crystal ``b`` of the same composition) are compared through their mass
densities ρ = m/V(P) (g/cm³; each EOS must know its mass per volume unit — see :mod:`hpglass.eos.basis` — so a
P–ρ fit, a per-atom fit and a per-cell crystal EOS can be crossed with one another). The crossing is a root of

    g(P) = ln ρa(P) − ln ρb(P)

found by scanning a pressure grid for sign changes and refining each with Brent's method. Every root is kept
(``crossings``); ``pressure_GPa`` is the lowest. A touch without a sign change is not a crossing.

Uncertainty (delta method): with ∂ln V/∂θ|P = (1/K) ∂P/∂θ|V and ∂g/∂P = 1/Ka − 1/Kb,

    ∂P*/∂θa = (∂Pa/∂θa / Ka) / (1/Ka − 1/Kb),   ∂P*/∂θb = −(∂Pb/∂θb / Kb) / (1/Ka − 1/Kb)
    σ²(P*) = ∇aᵀ Ca ∇a + ∇bᵀ Cb ∇b          (the two fits independent)

It diverges where the two compressibilities are equal (the curves touch): then the linearisation is useless and
:func:`crossover_monte_carlo` (parameters drawn from N(θ, C), each draw crossed again) is the honest answer.

Ca and Cb are the covariances the two EOS carry, in full (correlations of V0, K0, K0' included). For a fitted EOS
(:func:`hpglass.eos.fit.fit_eos`, ``fit_density``) they are already scaled by the Birge ratio √(χ²/ν) when the fit
is worse than its stated errors allow, so that misfit widens σ(P*) here with nothing further to do. An EOS made
from parameters without errors (``eos_from_params`` with no ``errors``, e.g. an assumed crystal EOS) has a zero
covariance and contributes nothing: σ(P*) is then the glass's part alone, not the whole error.

Measured coverage of P* ± 1.96σ (``benchmarks/coverage_fits.py``, 400 replicas, glass P–ρ fit × crystal P–V fit,
both fitted): 0.96 with the stated errors right, 0.94 with both stated 3× too small (0.48 before the Birge
ratio), 0.95 with the glass's BM3 truth fitted by Vinet and σρ stated 2.5× too small (0.83 before).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ..errors import InputError
from . import forms
from .fit import EquationOfState

__all__ = ["Crossing", "Crossover", "crossover_monte_carlo", "density_crossover"]


@dataclass(frozen=True)
class Crossing:
    """One root: pressure, its 1σ error, the common density there and which EOS is denser above it."""

    pressure_GPa: float
    err_GPa: float
    density_g_cm3: float
    density_err_g_cm3: float
    denser_above: str  # "a" or "b"

    def to_dict(self) -> dict:
        return {"pressure_GPa": self.pressure_GPa, "err_GPa": self.err_GPa, "density_g_cm3": self.density_g_cm3,
                "density_err_g_cm3": self.density_err_g_cm3, "denser_above": self.denser_above}


@dataclass(frozen=True, eq=False)
class Crossover:
    """The density crossover of EOS ``a`` and ``b`` over ``p_range_GPa``.

    ``pressure_GPa``/``err_GPa`` are those of the lowest crossing, or None with ``reason`` saying why there is none.
    ``extrapolated`` is True when that crossing lies outside the pressure range of either EOS's data.
    """

    pressure_GPa: float | None
    err_GPa: float | None
    crossings: tuple[Crossing, ...]
    p_range_GPa: tuple[float, float]
    reason: str = ""
    extrapolated: bool = False
    label_a: str = "a"
    label_b: str = "b"
    density_ratio_at_start: float | None = None
    monte_carlo: dict | None = None
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        first = self.crossings[0] if self.crossings else None
        return {
            "pressure_GPa": self.pressure_GPa, "err_GPa": self.err_GPa,
            "density_g_cm3": None if first is None else first.density_g_cm3,
            "density_err_g_cm3": None if first is None else first.density_err_g_cm3,
            "n_crossings": len(self.crossings), "crossings": [c.to_dict() for c in self.crossings],
            "p_range_GPa": list(self.p_range_GPa), "reason": self.reason, "extrapolated": self.extrapolated,
            "a": self.label_a, "b": self.label_b, "density_ratio_a_over_b_at_start": self.density_ratio_at_start,
            "monte_carlo": self.monte_carlo, "meta": dict(self.meta)}


def _need_mass(eos: EquationOfState, which: str) -> None:
    if eos.mass_factor is None:
        raise InputError(f"EOS {which} ({eos.label or eos.source or eos.form}) has volumes in {eos.volume_unit} "
                         "without a known mass per volume unit; give its composition (and Z for a cell) so that "
                         "densities can be compared", source=eos.source, field="composition")


def _log_ratio(eos_a, eos_b, P):
    va = forms.volume(P, eos_a.params, eos_a.form)
    vb = forms.volume(P, eos_b.params, eos_b.form)
    return np.log(eos_a.mass_factor / va) - np.log(eos_b.mass_factor / vb)


def _roots(fun, grid):
    g = fun(grid)
    out = []
    for i in range(len(grid) - 1):
        g0, g1 = g[i], g[i + 1]
        if not (np.isfinite(g0) and np.isfinite(g1)):
            continue
        if g0 == 0.0:
            if i == 0 or not np.isfinite(g[i - 1]) or np.sign(g[i - 1]) != np.sign(g1):
                out.append(float(grid[i]))
            continue
        if g0 * g1 < 0:
            out.append(float(brentq(lambda p: float(fun(np.array([p]))[0]), grid[i], grid[i + 1], xtol=1e-12,
                                    rtol=1e-14)))
    if np.isfinite(g[-1]) and g[-1] == 0.0 and (not out or out[-1] != grid[-1]):
        out.append(float(grid[-1]))
    return out, g


def _pct(log_ratio: float) -> float:
    return 100.0 * (np.exp(log_ratio) - 1.0)


def _default_range(eos_a, eos_b):
    hi = [e.pressure_range_GPa[1] for e in (eos_a, eos_b) if e.pressure_range_GPa is not None]
    p_hi = 1.5 * max(hi) if hi else 100.0
    return 0.0, max(p_hi, 1.0)


def density_crossover(eos_a: EquationOfState, eos_b: EquationOfState, p_range: tuple[float, float] | None = None,
                      *, n_grid: int = 2001, monte_carlo: int = 0, seed: int | None = None) -> Crossover:
    """Pressures where ρa(P) = ρb(P) within ``p_range`` (GPa; default 0 to 1.5 × the highest data pressure of the
    two, or 0–100 GPa for EOS without data), with delta-method errors. ``monte_carlo`` > 0 adds a Monte-Carlo
    check (that many parameter draws, ``seed``) in ``Crossover.monte_carlo``."""
    _need_mass(eos_a, "a")
    _need_mass(eos_b, "b")
    lo, hi = _default_range(eos_a, eos_b) if p_range is None else (float(p_range[0]), float(p_range[1]))
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise InputError(f"pressure range {lo:g}–{hi:g} GPa is empty", field="p_range")
    grid = np.linspace(lo, hi, int(n_grid))
    roots, g = _roots(lambda p: _log_ratio(eos_a, eos_b, p), grid)
    la, lb = eos_a.label or "a", eos_b.label or "b"
    if np.isfinite(g).all() and np.all(np.abs(g) < 1e-12):
        raise InputError(f"{la} and {lb} give the same density at every pressure of {lo:g}–{hi:g} GPa (the same "
                         "equation of state twice?): no crossover to find", field="b")
    finite = np.isfinite(g)
    ratio0 = float(np.exp(g[finite][0])) if finite.any() else None
    crossings = tuple(_crossing(eos_a, eos_b, p) for p in roots)
    reason = ""
    if not crossings:
        if not finite.any():
            reason = f"neither EOS gives a volume over {lo:g}–{hi:g} GPa"
        else:
            gf = g[finite]
            denser = la if gf[0] > 0 else lb
            other = lb if denser == la else la
            reason = (f"no crossing in {lo:g}–{hi:g} GPa: {denser} stays denser than {other} "
                      f"(ρ{'a' if denser == la else 'b'}/ρ{'b' if denser == la else 'a'} − 1 from "
                      f"{abs(_pct(gf[0])):.3g} % to {abs(_pct(gf[-1])):.3g} %)")
            if not finite.all():
                reason += f"; an EOS gives no volume above {grid[finite][-1]:.4g} GPa"
    first = crossings[0] if crossings else None
    extrap = False
    if first is not None:
        for e in (eos_a, eos_b):
            r = e.pressure_range_GPa
            if r is not None and not (r[0] - 1e-9 <= first.pressure_GPa <= r[1] + 1e-9):
                extrap = True
    mc = crossover_monte_carlo(eos_a, eos_b, (lo, hi), n=monte_carlo, seed=seed) if monte_carlo else None
    meta = {"n_grid": int(n_grid)}
    if len(crossings) > 1:
        meta["note"] = f"{len(crossings)} crossings; pressure_GPa is the lowest"
    return Crossover(first.pressure_GPa if first else None, first.err_GPa if first else None, crossings, (lo, hi),
                     reason, extrap, la, lb, ratio0, mc, meta)


def _crossing(eos_a, eos_b, p: float) -> Crossing:
    va, ga = eos_a.volume_gradient(p)  # ∂V/∂θ at fixed P
    vb, gb = eos_b.volume_gradient(p)
    ka = float(forms.bulk_modulus(va, eos_a.params, eos_a.form)[0])
    kb = float(forms.bulk_modulus(vb, eos_b.params, eos_b.form)[0])
    dgdp = 1.0 / ka - 1.0 / kb  # d/dP [ln ρa − ln ρb]
    # a tangent crossing (dgdp = 0) has no first-order error: it comes out infinite, without numpy's warnings
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # ∂g/∂θa = −∂ln Va/∂θa ; ∂g/∂θb = +∂ln Vb/∂θb ; ∂P*/∂θ = −(∂g/∂θ)/(∂g/∂P)
        da = (ga[0] / va[0]) / dgdp
        db = -(gb[0] / vb[0]) / dgdp
        var = float(da @ eos_a.covariance @ da + db @ eos_b.covariance @ db)
        rho = eos_a.mass_factor / float(va[0])
        # density at the crossing: ρ(P*(θ), θ) — propagate through θa (direct + via P*) and θb (via P*)
        dlnrho_dp = 1.0 / ka
        ra = -(ga[0] / va[0]) + dlnrho_dp * da
        rb = dlnrho_dp * db
        rvar = float(ra @ eos_a.covariance @ ra + rb @ eos_b.covariance @ rb)
    return Crossing(float(p), float(np.sqrt(max(var, 0.0))) if np.isfinite(var) else float("inf"), rho,
                    rho * float(np.sqrt(max(rvar, 0.0))) if np.isfinite(rvar) else float("inf"),
                    "a" if dgdp > 0 else "b")


def _sample(eos: EquationOfState, n: int, rng) -> np.ndarray:
    mean = np.array([eos.params[k] for k in eos.names])
    cov = eos.covariance
    if not np.any(cov):
        return np.tile(mean, (n, 1))
    return rng.multivariate_normal(mean, cov, size=n, method="eigh")


def _vol_batch(P, samples, form):
    """V(P) for each parameter row: shape (n_draws, len(P)) (vectorised over both)."""
    names = forms.PARAMS[form]
    return forms.volume(P[None, :], {k: samples[:, j:j + 1] for j, k in enumerate(names)}, form)


def crossover_monte_carlo(eos_a: EquationOfState, eos_b: EquationOfState, p_range: tuple[float, float],
                          *, n: int = 2000, seed: int | None = None, n_grid: int = 61) -> dict:
    """Draw the parameters of both EOS from N(θ, C), find the lowest crossing of each draw in ``p_range``.

    Returns mean, std, median, 16th/84th percentiles (GPa) of the crossing pressure, mean and std of the density
    there, and the fraction of draws with no crossing in range (``n_draws``, ``seed`` recorded).
    """
    _need_mass(eos_a, "a")
    _need_mass(eos_b, "b")
    rng = np.random.default_rng(seed)
    sa, sb = _sample(eos_a, n, rng), _sample(eos_b, n, rng)
    grid = np.linspace(p_range[0], p_range[1], n_grid)
    with np.errstate(all="ignore"):
        va = _vol_batch(grid, sa, eos_a.form)
        vb = _vol_batch(grid, sb, eos_b.form)
        # the mass factor scales with V0 when the EOS came from densities; keep it fixed (it is exact)
        g = np.log(eos_a.mass_factor / va) - np.log(eos_b.mass_factor / vb)
    # first sign change of each draw, then a vectorised bisection inside that grid cell
    valid = np.isfinite(g[:, :-1]) & np.isfinite(g[:, 1:]) & (g[:, :-1] * g[:, 1:] <= 0) & (g[:, 1:] != g[:, :-1])
    has = valid.any(axis=1)
    j = np.argmax(valid, axis=1)
    rows = np.nonzero(has)[0]
    lo_p, hi_p = grid[j[rows]], grid[j[rows] + 1]
    g_lo = g[rows, j[rows]]
    pa = {k: sa[rows, i] for i, k in enumerate(forms.PARAMS[eos_a.form])}
    pb = {k: sb[rows, i] for i, k in enumerate(forms.PARAMS[eos_b.form])}
    for _ in range(50):
        mid = 0.5 * (lo_p + hi_p)
        with np.errstate(all="ignore"):
            gm = (np.log(eos_a.mass_factor / forms.volume(mid, pa, eos_a.form))
                  - np.log(eos_b.mass_factor / forms.volume(mid, pb, eos_b.form)))
        same = np.sign(gm) == np.sign(g_lo)
        lo_p, g_lo = np.where(same, mid, lo_p), np.where(same, gm, g_lo)
        hi_p = np.where(same, hi_p, mid)
    roots = np.full(n, np.nan)
    roots[rows] = 0.5 * (lo_p + hi_p)
    rho = np.full(n, np.nan)
    with np.errstate(all="ignore"):
        rho[rows] = eos_a.mass_factor / forms.volume(roots[rows], pa, eos_a.form)
    ok = np.isfinite(roots)
    r = roots[ok]
    out = {"n_draws": int(n), "seed": seed, "fraction_without_crossing": float(1.0 - ok.mean())}
    if r.size:
        q16, q50, q84 = np.percentile(r, [15.865525, 50.0, 84.134475])
        d = rho[ok]
        out.update({"mean_GPa": float(r.mean()), "std_GPa": float(r.std(ddof=1)) if r.size > 1 else 0.0,
                    "median_GPa": float(q50), "p16_GPa": float(q16), "p84_GPa": float(q84),
                    "density_mean_g_cm3": float(d.mean()),
                    "density_std_g_cm3": float(d.std(ddof=1)) if d.size > 1 else 0.0})
    return out
