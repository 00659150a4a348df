"""Upper critical field H_c2(T) from resistance curves, and its extrapolation to T = 0.

Pure functions; temperatures in K, fields μ₀H in T, slopes in T/K. Results are frozen dataclasses with
``to_dict()`` (unit-suffixed keys).

Points (T, H) on the H_c2 line
------------------------------
* :func:`hc2_points_from_rt` — one point per R(T) curve taken at fixed field: the temperature at which R crosses
  ``criterion`` % of the normal-state resistance R_n(T); the field is the mean of the curve's field column.
* :func:`hc2_points_from_rh` — one point per R(H) sweep at fixed temperature: the field |H| at which R crosses
  ``criterion`` % of R_n(H). Positive and negative field branches and up/down sweeps are treated separately and
  averaged.

The criterion crossing (shared by both, :func:`criterion_crossing`): on the curve ordered along the swept variable
x (T or |H|; the normal state lies at large x),

1. a first R_n(x) is a Theil–Sen line through the top 20 % of the points (at least 3);
2. x₉₀ and x₅₀ are where a running median (5 points) of R/R_n last rises through 0.9 and 0.5; the normal-state
   window is x ≥ x₉₀ + 2 max(x₉₀ − x₅₀, Δx) — for a tanh step that is ≥ 3.3 widths above the midpoint, where R is
   within 0.2 % of R_n; a straight line (a constant below 6 points) is fitted there, and steps 2–3 repeat until
   the window is stable. Fewer than 3 points in the window, or a line that still changes by > 50 % across it,
   means the curve does not reach the normal state;
3. the crossing is the highest x where the smoothed R/R_n(x) rises through p = criterion/100; it is refined by a
   straight-line fit of R/R_n against x over the contiguous points around it within p ± δ (δ growing 0.05 → 0.3
   until there are ≥ 4 points; the band kept inside [p/2, (1 + p)/2], at most 4 points beyond the bracketing
   pair on either side), and by a parabola through the same points when there are ≥ 5 (the foot and
   the top of the step are curved);
4. its uncertainty combines the noise term σ_R/(R_n |d(R/R_n)/dx|) of that local fit (σ_R = rms residual of the
   normal-state fit) with the resolution term Δx/√12 of the local point spacing Δx, in quadrature.

Sweeps are split into monotonic runs (cooling / warming; up / down in |H|; +H / −H) where x retreats from its
running extreme by more than 5 % of its range. Every run that shows the transition gives a crossing; the point is
their mean, with uncertainty √(⟨σ_i²⟩ + s²), s the standard deviation between runs (0 for a single run).

Fits (:func:`fit_hc2`)
----------------------
* T_c: the given value, else the mean temperature of the zero-field points (|H| ≤ ``zero_field_T``), else the
  zero of the near-T_c polynomial below.
* Initial slope dμ₀H_c2/dT|_{T_c}: a weighted polynomial fit (straight line by default, ``slope_model="linear"``;
  or quadratic) of H against T over the points with T ≥ ``slope_window``·T_c (default 0.7 T_c, zero-field points
  included); the window is widened to the (degree + 2) highest-temperature points when it holds fewer. A line
  over 0.7 T_c–T_c is biased by the curvature of H_c2(T): ≈ −5 % in magnitude for a WHH law and ≈ +13 % for the
  GL-like law (1 − t²)/(1 + t²); the quadratic removes most of it (< 0.5 %).
* ``"whh_slope"``: the WHH dirty-limit field μ₀H_c2(0) = −0.693 T_c dμ₀H_c2/dT|_{T_c} (Werthamer, Helfand &
  Hohenberg, Phys. Rev. 147, 295 (1966); as used by Zhang et al., PRL 127, 127002 (2021)).
* ``"whh"``: least squares of the full WHH curve (:func:`hpglass.transport.whh.whh_hc2`) to all points; free
  parameters the initial slope, T_c (unless given), and α and/or λ_so when ``fit_alpha``/``fit_lambda``.
* ``"gl"``: least squares of μ₀H_c2(T) = μ₀H_c2(0)(1 − t²)/(1 + t²), t = T/T_c, T_c free unless given
  (the empirical two-fluid Ginzburg–Landau form, e.g. Tinkham, Introduction to Superconductivity (1996)).

All fits weight by the effective variance σ_H² + (dH/dT)² σ_T² (J. Orear, Am. J. Phys. 50, 912 (1982)), with
dH/dT from the current model, re-weighted three times. Fit models are continued smoothly past T_c (negative H:
the GL expression as it stands, the WHH curve by its tangent) so that the zero-field point constrains T_c from
both sides.

Errors of μ0Hc2(0) (1σ; coverage measured by ``benchmarks/coverage_transport.py``)
----------------------------------------------------------------------------------
* **Fit error**: the covariance from the stated point errors, scaled by χ²_red when the fit is worse than those
  errors allow — the Birge ratio √χ²_red (R. T. Birge, Phys. Rev. 40, 207 (1932); the PDG's scale factor) — and
  never shrunk when it is better (χ²_red < 1 says the stated errors are generous, not that the fit is better than
  them); points without errors fall back to the scatter (covariance × χ²_red). Derived quantities propagate the
  covariance to first order.
* **Model term**: each method's μ0Hc2(0) is a law continued to T = 0, and the laws differ. The GL and the full WHH
  fit are always both run (the one not asked for only for this term), and — when the points reach low
  temperature — a WHH fit with the Maki α free (Pauli limiting, which bends the line below both), kept when the
  points determine α to better than ``PAULI_ALPHA_ERR_MAX`` = 0.5. Each law fit i gets an Akaike weight from
  QAIC_i = χ²_i/ĉ + 2K_i (K_i its number of parameters; ĉ the smallest χ²_red of the fits, at least 1 with stated
  errors): w_i = exp(−½ ΔQAIC_i)/Σ_j exp(−½ ΔQAIC_j) (H. Akaike, IEEE Trans. Autom. Control 19, 716 (1974);
  K. P. Burnham & D. R. Anderson, Model Selection and Multimodel Inference, 2nd ed. (2002), §2.9 and §6.2 for
  QAIC). A method's model term is the rms distance to the law that holds, √Σ_i w_i (μ0Hc2(0) − μ0Hc2(0)_i)² (the
  model-uncertainty part of the unconditional variance, Buckland, Burnham & Augustin, Biometrics 53, 603 (1997)),
  added in quadrature to its fit error, times ``MODEL_SPREAD_FACTOR`` = 1 when the points reach low temperature
  and, for an extrapolation, the larger of ``MODEL_SPREAD_FACTOR_EXTRAPOLATION`` = √2 times it and Δ, the whole
  distance to the farthest other law: there the law set is incomplete (α cannot be fitted) and the weights see
  only near-T_c curvature that says nothing of Pauli limiting below (with the weighted term alone, Pauli-limited
  points near T_c gave full-WHH 95 % coverage 0.30). The term replaces a
  fixed Δ/√2 (Δ/1 for extrapolations), Δ the largest distance to the other fits, which counted the other law in
  full even where the χ² rules it out: a GL fit of GL points was then ≈ 10× too uncertain (z-scale 0.06–0.10).
  The Birge ratio and the model term do not double count: with the law that holds (weight ≈ 1) the term is ≈ 0 and
  the Birge ratio covers understated errors; with the other law the Birge-scaled fit error is small beside Δ.
* **Extrapolation** (``extrapolation``, ``extrapolation_note``): every nonzero-field point lies above
  ``EXTRAPOLATION_T_MIN`` = 0.6 T_c, or they span less than ``EXTRAPOLATION_SPAN`` = 0.3 T_c. Such an μ0Hc2(0) is
  mostly the chosen law: GL and WHH fits of the same near-T_c points differ by up to 44 % (the ratio of
  −T_c dH/dT to −0.693 T_c dH/dT).

Measured (``benchmarks/coverage_transport.py``, 400 replicas per case; WHH or GL truth, 3–9 points, T scatter
5–40 mK stated 0.5–2× too small or too large). A fit of the right law covers with the fit error alone once the
Birge ratio is in (0.94–0.96; 0.85–0.88 with the covariance scaled by χ²_red, which shrank it when χ²_red < 1).
With the weighted model term, 95 % coverage (z-scale): points down to 0.15–0.55 T_c — the χ² picks the law in
nearly every replica — GL of GL points 0.95 (0.78), full WHH of WHH points 0.97, the wrong law 1.00 (its
error ≈ its bias), pooled over both laws 0.975–0.984; points above 0.6 T_c — the laws are told apart in ≈ 3/4 of the
replicas — GL of GL points 0.978 (0.35: over-sized where the points cannot choose), the wrong law 0.99–1.00, pooled
0.986–0.996. A Pauli-limited truth (α 0.3–1), which neither GL nor α = 0 WHH contains: 0.92–1.00 with points at low
T; near T_c GL 0.995 but the full WHH fit 0.30 and the −0.693 T_c slope 0.68 — the α = 0 WHH law fits such points
well and nothing in them shows the Pauli limiting (its former 1.00 came from the unrelated GL distance); only
points at lower temperature can tell. The table is in ``benchmarks/README.md``.

* Pauli limit 1.84 T_c (Clogston 1962; Chandrasekhar 1962), Maki α = √2 H_c2^WHH(0)/H_P, and the GL coherence
  length ξ = √(Φ₀/2πμ₀H_c2(0)) from the WHH and the GL H_c2(0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import median_filter
from scipy.optimize import least_squares
from scipy.stats import theilslopes

from ..errors import ConvergenceError, InputError
from ..precision import fmt
from .curve import RCurve
from .whh import (
    WHH_DIRTY_COEFF,
    gl_coherence_length_nm,
    maki_alpha_from,
    pauli_limit_T,
    whh_hc2,
)

__all__ = [
    "HC2_METHODS",
    "Crossing",
    "Hc2Points",
    "Hc2Result",
    "criterion_crossing",
    "fit_hc2",
    "hc2_points_from_rh",
    "hc2_points_from_rt",
]

HC2_METHODS: tuple[str, ...] = ("whh_slope", "whh", "gl")
#: μ0Hc2(0) is an extrapolation when every nonzero-field point lies above this fraction of Tc …
EXTRAPOLATION_T_MIN = 0.6
#: … or the nonzero-field points span less than this fraction of Tc
EXTRAPOLATION_SPAN = 0.3
#: factor on the Akaike-weighted model term (module docstring) when the points reach low temperature: 1, the
#: term is the expected squared distance to the law that holds …
MODEL_SPREAD_FACTOR = 1.0
#: … and √2 for an extrapolation: the law set is incomplete there (no α-free fit), and with equal weights the term
#: is then the whole distance Δ between the two laws
MODEL_SPREAD_FACTOR_EXTRAPOLATION = float(np.sqrt(2.0))
#: a WHH fit with the Maki α free joins the model term when the points determine α to better than this
PAULI_ALPHA_ERR_MAX = 0.5
SLOPE_MODELS: tuple[str, ...] = ("linear", "quadratic")
_REVERSAL_FRACTION = 0.05
_MAX_SIDE = 4  # at most this many points either side of the bracketing pair in the local fit


def _version() -> str:
    from .. import __version__

    return __version__


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def _ro_bool(a) -> np.ndarray:
    a = np.array(a, dtype=bool)
    a.setflags(write=False)
    return a


def _f(x) -> float | None:
    return None if x is None else float(x)


def _json_float(x):
    """None for missing or non-finite values (inf = not determined by the data) so the dict is strict JSON."""
    return x if not isinstance(x, float) or np.isfinite(x) else None


# ---------------------------------------------------------------------------------------------------------------
# the criterion crossing
# ---------------------------------------------------------------------------------------------------------------
class _NoTransition(Exception):
    """This curve (or run) has no usable transition; the message says why."""


@dataclass(frozen=True)
class Crossing:
    """Where R/R_n(x) rises through ``fraction`` on one monotonic run.

    x, x_err : the crossing and its 1σ uncertainty (noise and resolution terms in quadrature).
    r_normal : the normal-state resistance R_n at x (Ω).
    noise : rms residual of the normal-state fit (Ω).
    normal_window : (x_start, x_end) of the normal-state fit.
    n_local : points in the local straight-line fit at the crossing.
    """

    x: float
    x_err: float
    r_normal: float
    noise: float
    normal_window: tuple[float, float]
    n_local: int


def _noise_mad(r: np.ndarray) -> float:
    d = np.diff(r)
    if d.size < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0))


def criterion_crossing(x, r, criterion: float = 50.0) -> Crossing:
    """Highest x at which R rises through ``criterion`` % of the normal-state R_n(x) (see the module docstring).

    ``x`` need not be sorted; it should be one monotonic run (one branch of a sweep). Raises
    :class:`hpglass.errors.InputError` when there is no transition (R never falls below the criterion, R is
    not above the noise, or the curve does not reach its normal state).
    """
    try:
        return _crossing(np.asarray(x, dtype=float), np.asarray(r, dtype=float), _check_criterion(criterion))
    except _NoTransition as exc:
        raise InputError(str(exc), field="resistance") from None


def _check_criterion(criterion: float) -> float:
    c = float(criterion)
    if not np.isfinite(c) or not 0.0 < c < 100.0:
        raise InputError(f"criterion must be a percentage strictly between 0 and 100, got {criterion}",
                         field="criterion")
    return c / 100.0


def _crossing(x: np.ndarray, r: np.ndarray, frac: float) -> Crossing:
    ok = np.isfinite(x) & np.isfinite(r)
    x, r = x[ok], r[ok]
    order = np.argsort(x, kind="stable")
    x, r = x[order], r[order]
    n = x.size
    if n < 6:
        raise _NoTransition(f"only {n} finite points (need ≥ 6 to find a transition)")
    rs = median_filter(r, size=5, mode="nearest")
    k = max(3, n // 5)
    level = float(np.median(r[-k:]))
    noise0 = _noise_mad(r)
    if level <= 0 or level <= 5.0 * noise0:
        raise _NoTransition(f"no normal state: R at the top of the sweep (≈ {level:.3g} Ω) is not above the noise "
                            f"(≈ {noise0:.2g} Ω)")
    # first normal-state line: Theil–Sen (robust to a tail of the transition inside the top fifth of the points)
    with np.errstate(invalid="ignore", divide="ignore"):
        ts = theilslopes(r[-k:], x[-k:])
    coef = np.array([ts.slope, ts.intercept])
    if not np.all(np.isfinite(coef)) or np.any(np.polyval(coef, x) <= 0.05 * level):
        coef = np.array([0.0, level])  # the top points are still in the transition: start from a constant
    dx_med = float(np.median(np.diff(x))) if n > 1 else 0.0
    prev = None
    mask = np.zeros(n, bool)
    for _ in range(8):
        rn = np.polyval(coef, x)
        if np.any(rn <= 0):
            raise _NoTransition("the sweep does not reach the normal state: the line fitted above the transition "
                                 "extrapolates to R_n ≤ 0 within the sweep")
        ratio_s = rs / rn
        below = ratio_s < frac
        if not below.any():
            raise _NoTransition(f"R never falls below {100 * frac:g} % of R_n (≈ {level:.3g} Ω): no transition "
                                f"in x = {x[0]:.4g}…{x[-1]:.4g}")
        lo_level = 0.5 if np.any(ratio_s < 0.5) else frac
        hi_level = max(frac, 0.9)
        i_lo = int(np.flatnonzero(ratio_s < lo_level)[-1])
        i_hi = int(np.flatnonzero(ratio_s < hi_level)[-1])
        x_lo = x[min(i_lo + 1, n - 1)]
        x_hi = x[min(i_hi + 1, n - 1)]
        width = max(x_hi - x_lo, dx_med)
        x_start = x_hi + 2.0 * width
        mask = x >= x_start
        if mask.sum() < 3:
            raise _NoTransition(f"the sweep does not reach the normal state: fewer than 3 points above "
                                f"x = {x_start:.4g} (transition at ≈ {x_lo:.4g}…{x_hi:.4g}, sweep ends at {x[-1]:.4g})")
        if mask.sum() >= 6:
            coef = np.polyfit(x[mask], r[mask], 1)
            xa, xb = x[mask][0], x[mask][-1]
            change = abs(coef[0]) * (xb - xa) / max(abs(float(np.polyval(coef, xb))), np.finfo(float).tiny)
            if change > 0.5:
                raise _NoTransition(f"the sweep does not reach the normal state: R still changes by "
                                    f"{100 * change:.0f} % over x = {xa:.4g}…{xb:.4g} above the transition")
        else:
            coef = np.array([0.0, float(np.mean(r[mask]))])
        if prev is not None and x_start == prev:
            break
        prev = x_start
    rn = np.polyval(coef, x)
    if np.any(rn <= 0):
        raise _NoTransition("the sweep does not reach the normal state: the line fitted above the transition "
                                 "extrapolates to R_n ≤ 0 within the sweep")
    resid = r[mask] - rn[mask]
    dof = max(int(mask.sum()) - (2 if coef[0] != 0.0 else 1), 1)
    noise = float(np.sqrt(np.sum(resid**2) / dof))
    ratio = r / rn
    ratio_s = rs / rn
    i = int(np.flatnonzero(ratio_s < frac)[-1])
    if i >= n - 1:
        raise _NoTransition("the transition lies at the top end of the sweep")
    lo, hi = i, i + 1
    for delta in (0.05, 0.1, 0.2, 0.3):
        # never into the zero-resistance floor or onto the normal-state plateau
        band_lo, band_hi = max(frac - delta, frac / 2), min(frac + delta, (1 + frac) / 2)
        lo, hi = i, i + 1
        while lo - 1 >= max(0, i - _MAX_SIDE) and band_lo <= ratio[lo - 1] <= band_hi:
            lo -= 1
        while hi + 1 < min(n, i + 1 + _MAX_SIDE + 1) and band_lo <= ratio[hi + 1] <= band_hi:
            hi += 1
        if hi - lo + 1 >= 4:
            break
    xs, ys = x[lo:hi + 1], ratio[lo:hi + 1]
    dx_local = float(x[i + 1] - x[i])
    res_term = dx_local / np.sqrt(12.0)
    a = b = np.nan
    if xs.size >= 2 and np.ptp(xs) > 0:
        a, b = np.polyfit(xs, ys, 1)
    if not np.isfinite(a) or a <= 0:
        xc = 0.5 * (x[i] + x[i + 1])
        x_err = 0.5 * dx_local
    else:
        xc = float(np.clip((frac - b) / a, xs[0], xs[-1]))
        if xs.size >= 5:  # curvature of the foot/top of the step: refine on a local parabola
            q = np.polyfit(xs - xc, ys - frac, 2)
            roots = np.roots(q)
            roots = roots[np.isreal(roots)].real + xc
            roots = roots[(roots >= xs[0]) & (roots <= xs[-1])]
            if roots.size:
                xq = float(roots[np.argmin(np.abs(roots - xc))])
                if np.polyval(np.polyder(q), xq - xc) > 0:
                    xc = xq
        sr = noise / float(np.polyval(coef, xc))
        sxx = float(np.sum((xs - xs.mean()) ** 2))
        var_fit = (sr / a) ** 2 * (1.0 / xs.size + (xc - xs.mean()) ** 2 / sxx)
        x_err = float(np.sqrt(var_fit + res_term**2))
    return Crossing(float(xc), float(x_err), float(np.polyval(coef, xc)), noise,
                    (float(x[mask][0]), float(x[mask][-1])), int(xs.size))


def _monotone_runs(x: np.ndarray, tol: float) -> list[np.ndarray]:
    """Split a sequence (acquisition order) into monotonic runs at reversals larger than ``tol``.

    The turning point belongs to both runs.
    """
    n = x.size
    if n < 2:
        return [np.arange(n)]
    bounds = [0]
    direction = 0
    imax = imin = 0
    ext = 0
    for i in range(1, n):
        if direction == 0:
            if x[i] > x[imax]:
                imax = i
            if x[i] < x[imin]:
                imin = i
            if x[i] - x[imin] > tol:
                direction, ext = 1, i
            elif x[imax] - x[i] > tol:
                direction, ext = -1, i
        elif direction == 1:
            if x[i] >= x[ext]:
                ext = i
            elif x[ext] - x[i] > tol:
                bounds.append(ext)
                direction, ext = -1, i
        else:
            if x[i] <= x[ext]:
                ext = i
            elif x[i] - x[ext] > tol:
                bounds.append(ext)
                direction, ext = 1, i
    bounds.append(n - 1)
    return [np.arange(bounds[j], bounds[j + 1] + 1) for j in range(len(bounds) - 1)]


def _sign_segments(h: np.ndarray) -> list[np.ndarray]:
    """Contiguous segments of constant field sign (zeros join the segment they sit in)."""
    s = np.sign(h)
    segs: list[list[int]] = []
    cur_sign = 0.0
    for i, si in enumerate(s):
        if not segs:
            segs.append([i])
            cur_sign = si
            continue
        if si != 0 and cur_sign != 0 and si != cur_sign:
            segs.append([i])
            cur_sign = si
        else:
            segs[-1].append(i)
            if cur_sign == 0:
                cur_sign = si
    return [np.asarray(g) for g in segs]


def _curve_crossing(x: np.ndarray, r: np.ndarray, frac: float, groups: list[np.ndarray]):
    """Crossings of every run in ``groups`` that shows the transition → (mean, err, r_normal, n_runs)."""
    rng = float(np.ptp(x[np.isfinite(x)])) if np.isfinite(x).any() else 0.0
    tol = _REVERSAL_FRACTION * rng
    found: list[Crossing] = []
    reasons: list[str] = []
    for g in groups:
        for run in _monotone_runs(x[g], tol):
            idx = g[run]
            if idx.size < 6:
                continue
            try:
                found.append(_crossing(x[idx], r[idx], frac))
            except _NoTransition as exc:
                reasons.append(str(exc))
    if not found:
        raise _NoTransition(reasons[0] if reasons else "no run of ≥ 6 points")
    xs = np.array([c.x for c in found])
    es = np.array([c.x_err for c in found])
    spread = float(np.std(xs, ddof=1)) if xs.size > 1 else 0.0
    err = float(np.sqrt(np.mean(es**2) + spread**2))
    return float(xs.mean()), err, float(np.mean([c.r_normal for c in found])), len(found)


# ---------------------------------------------------------------------------------------------------------------
# points
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hc2Points:
    """Points (T, μ₀H) on the upper-critical-field line with 1σ uncertainties.

    T_K, H_T, T_err_K, H_err_T : arrays of equal length (errors default to 0).
    sweep : "T" (from R(T) at fixed field), "H" (from R(H) at fixed T) or "" (given).
    criterion_percent : the resistance criterion (% of R_n).
    sources : the curve each point came from.
    r_normal_ohm : R_n at the crossing.
    n_runs : how many monotonic runs (branches, up/down sweeps) were averaged for each point.
    skipped : (source, reason) for every curve that gave no point.
    """

    T_K: np.ndarray
    H_T: np.ndarray
    T_err_K: np.ndarray | None = None
    H_err_T: np.ndarray | None = None
    sweep: str = ""
    criterion_percent: float = float("nan")
    sources: tuple[str, ...] = ()
    r_normal_ohm: np.ndarray | None = None
    n_runs: tuple[int, ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        t = np.atleast_1d(np.asarray(self.T_K, dtype=float))
        h = np.atleast_1d(np.asarray(self.H_T, dtype=float))
        if t.ndim != 1 or h.shape != t.shape:
            raise InputError(f"T_K and H_T must be 1D of equal length ({t.shape}, {h.shape})", field="points")
        te = np.zeros_like(t) if self.T_err_K is None else np.broadcast_to(np.asarray(self.T_err_K, float), t.shape)
        he = np.zeros_like(t) if self.H_err_T is None else np.broadcast_to(np.asarray(self.H_err_T, float), t.shape)
        rn = np.full_like(t, np.nan) if self.r_normal_ohm is None else np.broadcast_to(
            np.asarray(self.r_normal_ohm, float), t.shape)
        if np.any(te < 0) or np.any(he < 0):
            raise InputError("uncertainties must be ≥ 0", field="points")
        object.__setattr__(self, "T_K", _ro(t))
        object.__setattr__(self, "H_T", _ro(h))
        object.__setattr__(self, "T_err_K", _ro(te))
        object.__setattr__(self, "H_err_T", _ro(he))
        object.__setattr__(self, "r_normal_ohm", _ro(rn))
        srcs = tuple(self.sources) if self.sources else tuple("" for _ in range(t.size))
        if len(srcs) != t.size:
            raise InputError(f"{len(srcs)} sources for {t.size} points", field="sources")
        object.__setattr__(self, "sources", srcs)
        runs = tuple(int(v) for v in self.n_runs) if self.n_runs else tuple(1 for _ in range(t.size))
        object.__setattr__(self, "n_runs", runs)
        object.__setattr__(self, "skipped", tuple((str(a), str(b)) for a, b in self.skipped))

    def __len__(self) -> int:
        return self.T_K.size

    def sorted(self) -> Hc2Points:
        """The points ordered by temperature (descending: T_c first)."""
        o = np.argsort(-self.T_K, kind="stable")
        return Hc2Points(self.T_K[o], self.H_T[o], self.T_err_K[o], self.H_err_T[o], self.sweep,
                         self.criterion_percent, tuple(self.sources[i] for i in o), self.r_normal_ohm[o],
                         tuple(self.n_runs[i] for i in o), self.skipped)

    def point_dicts(self) -> list[dict]:
        return [{"T_K": float(t), "H_T": float(h), "T_err_K": float(te), "H_err_T": float(he)}
                for t, h, te, he in zip(self.T_K, self.H_T, self.T_err_K, self.H_err_T, strict=True)]

    def to_dict(self) -> dict:
        pts = self.point_dicts()
        for p, s, rn, nr in zip(pts, self.sources, self.r_normal_ohm, self.n_runs, strict=True):
            p.update({"source": s, "r_normal_ohm": None if not np.isfinite(rn) else float(rn), "n_runs": nr})
        return {
            "points": pts,
            "sweep": self.sweep,
            "criterion_percent": self.criterion_percent,
            "skipped": [{"source": s, "reason": why} for s, why in self.skipped],
            "hpglass_version": _version(),
        }


def _check_curves(curves, sweep: str, func: str) -> list[RCurve]:
    if isinstance(curves, RCurve):
        curves = [curves]
    curves = list(curves)
    if not curves:
        raise InputError(f"{func} needs at least one curve, got none", field="curves")
    for i, c in enumerate(curves):
        if not isinstance(c, RCurve):
            raise InputError(f"curve {i} is a {type(c).__name__}, not an RCurve", field="curves")
        if c.x != sweep:
            what = "temperature sweeps R(T) (x='T')" if sweep == "T" else "field sweeps R(H) (x='H')"
            raise InputError(f"{func} takes {what}; this curve has x={c.x!r}", source=c.source, field="x")
    return curves


def _no_points_error(func: str, skipped: list[tuple[str, str]], criterion: float) -> InputError:
    sources = {s for s, _ in skipped}
    one_source = len(sources) == 1
    detail = "; ".join(why if one_source else f"{s}: {why}" for s, why in skipped[:4])
    more = f" (and {len(skipped) - 4} more)" if len(skipped) > 4 else ""
    kind = "temperature" if func.endswith("_rt") else "field"
    return InputError(f"no {kind} sweep shows a transition through {criterion:g} % of R_n — {detail}{more}",
                      source=next(iter(sources)) if one_source else None, field="curves")


def hc2_points_from_rt(curves: Sequence[RCurve], criterion: float = 50.0) -> Hc2Points:
    """One (T_c(H), H) point per R(T) curve at fixed field (see the module docstring for the crossing).

    T is where R crosses ``criterion`` % of R_n(T) (cooling and warming runs averaged); H is the mean of |H| over
    the curve's field column and its uncertainty the standard deviation of that column. Curves without a
    transition are listed in ``skipped``; if none has one, :class:`InputError` lists why.
    """
    frac = _check_criterion(criterion)
    curves = _check_curves(curves, "T", "hc2_points_from_rt")
    rows, skipped = [], []
    for c in curves:
        t, r = c.temperature_K, c.resistance_ohm
        try:
            tc, terr, rn, nr = _curve_crossing(t, r, frac, [np.arange(t.size)])
        except _NoTransition as exc:
            skipped.append((c.source, str(exc)))
            continue
        h = np.abs(c.field_T[np.isfinite(c.field_T)])
        rows.append((tc, float(np.mean(h)), terr, float(np.std(h)), c.source, rn, nr))
    if not rows:
        raise _no_points_error("hc2_points_from_rt", skipped, criterion)
    T, H, Te, He, S, Rn, Nr = zip(*rows, strict=True)
    return Hc2Points(np.array(T), np.array(H), np.array(Te), np.array(He), "T", float(criterion), tuple(S),
                     np.array(Rn), tuple(Nr), tuple(skipped))


def hc2_points_from_rh(curves: Sequence[RCurve], criterion: float = 50.0) -> Hc2Points:
    """One (T, H_c2(T)) point per R(H) sweep at fixed temperature.

    The field is |H| where R crosses ``criterion`` % of R_n(|H|). The sweep is cut into +H and −H branches and
    each into monotonic runs in |H| (up/down sweeps); the point is the mean over the runs that show the
    transition and its uncertainty √(⟨σ_i²⟩ + s²) with s the spread (standard deviation) between runs.
    T is the mean of the temperature column, its uncertainty the standard deviation of that column.
    """
    frac = _check_criterion(criterion)
    curves = _check_curves(curves, "H", "hc2_points_from_rh")
    rows, skipped = [], []
    for c in curves:
        h, r = c.field_T, c.resistance_ohm
        try:
            hc, herr, rn, nr = _curve_crossing(np.abs(h), r, frac, _sign_segments(h))
        except _NoTransition as exc:
            skipped.append((c.source, str(exc)))
            continue
        t = c.temperature_K[np.isfinite(c.temperature_K)]
        rows.append((float(np.mean(t)), hc, float(np.std(t)), herr, c.source, rn, nr))
    if not rows:
        raise _no_points_error("hc2_points_from_rh", skipped, criterion)
    T, H, Te, He, S, Rn, Nr = zip(*rows, strict=True)
    return Hc2Points(np.array(T), np.array(H), np.array(Te), np.array(He), "H", float(criterion), tuple(S),
                     np.array(Rn), tuple(Nr), tuple(skipped))


# ---------------------------------------------------------------------------------------------------------------
# fits
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hc2Result:
    """H_c2(T) analysis: T_c, initial slope, H_c2(0) by WHH (dirty-limit formula and full fit) and GL, Pauli
    limit, Maki α estimate and GL coherence length, each with its 1σ standard error (None when not computed).

    tc_source : "given", "zero-field point" or "extrapolated" (zero of the near-T_c polynomial).
    slope_model, slope_window_K, slope_mask : how the initial slope was fitted and which points it used.
    whh_* : parameters of the full WHH fit (α, λ_so fixed at the inputs unless fitted; their errors are None
        when fixed, inf when the data cannot determine them).
    xi_gl_nm : ξ from the WHH dirty-limit H_c2(0) (from the full WHH fit when "whh_slope" is not among the
        methods); xi_gl_from_gl_nm from the GL H_c2(0).
    maki_alpha_estimate : √2 H_c2^WHH(0) / H_P with the dirty-limit (orbital) field.
    hc2_whh_err_T, hc2_whh_full_err_T, hc2_gl_err_T : total errors — the fit error and the model term in
        quadrature (module docstring); hc2_*_fit_err_T the fit errors alone (Birge-scaled covariance).
    extrapolation, extrapolation_note : μ0Hc2(0) extrapolated from points all above 0.6 T_c (or spanning < 0.3 T_c);
        the note also says when T_c itself is extrapolated.
    model_spread_T : largest minus smallest μ0Hc2(0) of the methods and of the model-term fits (GL and full WHH
        run internally when not requested; the α-free WHH fit when it counts). law_weights : the Akaike (QAIC)
        weight of each law fit in the model term ("gl", "whh", "whh_pauli"). t_min_reduced, t_span_reduced : the
        lowest nonzero-field point and the span of the nonzero-field points, in units of T_c.
    """

    points: Hc2Points
    tc_K: float
    tc_err_K: float
    tc_source: str
    dHc2dT_T_per_K: float
    dHc2dT_err_T_per_K: float
    slope_model: str
    slope_window_K: tuple[float, float]
    slope_mask: np.ndarray
    slope_window_note: str | None
    hc2_whh_T: float | None
    hc2_whh_err_T: float | None
    hc2_whh_full_T: float | None
    hc2_whh_full_err_T: float | None
    whh_tc_K: float | None
    whh_tc_err_K: float | None
    whh_slope_T_per_K: float | None
    whh_slope_err_T_per_K: float | None
    whh_alpha: float | None
    whh_alpha_err: float | None
    whh_lambda_so: float | None
    whh_lambda_so_err: float | None
    whh_chi2_red: float | None
    hc2_gl_T: float | None
    hc2_gl_err_T: float | None
    tc_gl_K: float | None
    tc_gl_err_K: float | None
    gl_chi2_red: float | None
    pauli_limit_T: float
    pauli_limit_err_T: float
    maki_alpha_estimate: float | None
    xi_gl_nm: float | None
    xi_gl_err_nm: float | None
    xi_gl_from_gl_nm: float | None
    xi_gl_from_gl_err_nm: float | None
    methods: tuple[str, ...]
    parameters: dict = field(default_factory=dict, compare=False)
    extrapolation: bool = False
    extrapolation_note: str | None = None
    model_spread_T: float | None = None
    hc2_whh_fit_err_T: float | None = None
    hc2_whh_full_fit_err_T: float | None = None
    hc2_gl_fit_err_T: float | None = None
    t_min_reduced: float | None = None
    t_span_reduced: float | None = None
    law_weights: dict = field(default_factory=dict, compare=False)

    def whh_curve(self, temperature_K) -> np.ndarray:
        """The fitted full-WHH H_c2(T) (T) at the given temperatures (needs "whh" among the methods)."""
        if self.hc2_whh_full_T is None:
            raise InputError("the full WHH fit was not run (add 'whh' to methods)", field="methods")
        return np.asarray(whh_hc2(temperature_K, self.whh_tc_K, self.whh_slope_T_per_K, self.whh_alpha,
                                  self.whh_lambda_so))

    def gl_curve(self, temperature_K) -> np.ndarray:
        """The fitted GL H_c2(T) (T) at the given temperatures (needs "gl" among the methods)."""
        if self.hc2_gl_T is None:
            raise InputError("the GL fit was not run (add 'gl' to methods)", field="methods")
        t = np.clip(np.asarray(temperature_K, dtype=float) / self.tc_gl_K, 0.0, 1.0)
        return self.hc2_gl_T * (1 - t**2) / (1 + t**2)

    def plot(self, ax=None):
        """H_c2 against T: the points with error bars, the near-T_c line and the fitted GL / WHH curves."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        p = self.points
        ax.errorbar(p.T_K, p.H_T, xerr=p.T_err_K, yerr=p.H_err_T, fmt="o", ms=4, label="points")
        tt = np.linspace(0.0, max(self.tc_K, float(np.max(p.T_K))), 200)
        lo = self.slope_window_K[0]
        tl = np.linspace(lo, self.tc_K, 20)
        ax.plot(tl, self.dHc2dT_T_per_K * (tl - self.tc_K), "k--", lw=1,
                label=f"slope {self.dHc2dT_T_per_K:.3g} T/K")
        if self.hc2_gl_T is not None:
            ax.plot(tt, self.gl_curve(tt), label=f"GL: {self.hc2_gl_T:.3g} T")
        if self.hc2_whh_full_T is not None:
            ax.plot(tt, self.whh_curve(tt), label=f"WHH fit: {self.hc2_whh_full_T:.3g} T")
        if self.hc2_whh_T is not None:
            ax.plot([0.0], [self.hc2_whh_T], "s", label=f"−0.693 Tc slope: {self.hc2_whh_T:.3g} T")
        ax.set_xlabel("T (K)")
        ax.set_ylabel("μ0Hc2 (T)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize="small")
        return ax

    def to_dict(self) -> dict:
        """JSON-ready; errors that the data cannot determine (inf) and non-finite values become None."""
        out = {
            "tc_K": self.tc_K,
            "tc_err_K": self.tc_err_K,
            "tc_source": self.tc_source,
            "dHc2dT_T_per_K": self.dHc2dT_T_per_K,
            "dHc2dT_err_T_per_K": self.dHc2dT_err_T_per_K,
            "slope_model": self.slope_model,
            "slope_window_K": list(self.slope_window_K),
            "slope_n_points": int(np.sum(self.slope_mask)),
            "slope_window_note": self.slope_window_note,
            "hc2_whh_T": self.hc2_whh_T,
            "hc2_whh_err_T": self.hc2_whh_err_T,
            "hc2_whh_full_T": self.hc2_whh_full_T,
            "hc2_whh_full_err_T": self.hc2_whh_full_err_T,
            "whh_tc_K": self.whh_tc_K,
            "whh_tc_err_K": self.whh_tc_err_K,
            "whh_slope_T_per_K": self.whh_slope_T_per_K,
            "whh_slope_err_T_per_K": self.whh_slope_err_T_per_K,
            "whh_alpha": self.whh_alpha,
            "whh_alpha_err": self.whh_alpha_err,
            "whh_lambda_so": self.whh_lambda_so,
            "whh_lambda_so_err": self.whh_lambda_so_err,
            "whh_chi2_red": self.whh_chi2_red,
            "hc2_gl_T": self.hc2_gl_T,
            "hc2_gl_err_T": self.hc2_gl_err_T,
            "tc_gl_K": self.tc_gl_K,
            "tc_gl_err_K": self.tc_gl_err_K,
            "gl_chi2_red": self.gl_chi2_red,
            "pauli_limit_T": self.pauli_limit_T,
            "pauli_limit_err_T": self.pauli_limit_err_T,
            "maki_alpha_estimate": self.maki_alpha_estimate,
            "xi_gl_nm": self.xi_gl_nm,
            "xi_gl_err_nm": self.xi_gl_err_nm,
            "xi_gl_from_gl_nm": self.xi_gl_from_gl_nm,
            "xi_gl_from_gl_err_nm": self.xi_gl_from_gl_err_nm,
            "points": self.points.point_dicts(),
            "criterion_percent": self.points.criterion_percent,
            "sweep": self.points.sweep,
            "extrapolation": self.extrapolation,
            "extrapolation_note": self.extrapolation_note,
            "model_spread_T": self.model_spread_T,
            "hc2_whh_fit_err_T": self.hc2_whh_fit_err_T,
            "hc2_whh_full_fit_err_T": self.hc2_whh_full_fit_err_T,
            "hc2_gl_fit_err_T": self.hc2_gl_fit_err_T,
            "t_min_reduced": self.t_min_reduced,
            "t_span_reduced": self.t_span_reduced,
            "law_weights": dict(self.law_weights),
            "methods": list(self.methods),
            "parameters": dict(self.parameters),
            "hpglass_version": _version(),
        }
        return {k: _json_float(v) for k, v in out.items()}


def _sigma_floor(s: np.ndarray) -> np.ndarray:
    s = np.asarray(s, dtype=float)
    pos = s[np.isfinite(s) & (s > 0)]
    if pos.size == 0:
        return np.ones_like(s)
    return np.where(np.isfinite(s) & (s > 0), s, pos.min())


def _dmodel_dT(model: Callable, T: np.ndarray, p: np.ndarray) -> np.ndarray:
    step = 1e-4 * max(float(np.max(np.abs(T))), 1.0)
    return (model(T + step, p) - model(np.maximum(T - step, 0.0), p)) / (T + step - np.maximum(T - step, 0.0))


def _ev_fit(model: Callable, p0, bounds, T, H, sT, sH, what: str, n_pass: int = 3):
    """Effective-variance least squares: min Σ (model(T_i; p) − H_i)² / (σ_H² + (dH/dT)² σ_T²)."""
    p = np.asarray(p0, dtype=float)
    lo, hi = (np.asarray(b, dtype=float) for b in bounds)
    with np.errstate(invalid="ignore"):
        lo_in = np.where(np.isfinite(lo), lo + 1e-9 * (1 + np.abs(lo)), lo)
        hi_in = np.where(np.isfinite(hi), hi - 1e-9 * (1 + np.abs(hi)), hi)
    p = np.clip(p, lo_in, hi_in)
    res = None
    sig_prev = None
    for _ in range(n_pass):
        sig = _sigma_floor(np.sqrt(sH**2 + (_dmodel_dT(model, T, p) * sT) ** 2))
        if sig_prev is not None and np.allclose(sig, sig_prev, rtol=1e-3, atol=0):
            break
        sig_prev = sig
        try:
            res = least_squares(lambda q, sig=sig: (model(T, q) - H) / sig, p, bounds=(lo, hi), x_scale="jac",
                                method="trf")
        except (ValueError, ArithmeticError) as exc:
            raise ConvergenceError(f"{what}: least squares failed ({exc})") from None
        if res.status <= 0 or not np.all(np.isfinite(res.x)):
            raise ConvergenceError(f"{what}: least squares did not converge ({res.message}) from p0 = {list(p0)}")
        p = res.x
    n, k = T.size, p.size
    chi2 = float(2.0 * res.cost)
    dof = n - k
    chi2_red = chi2 / dof if dof > 0 else float("nan")
    J = res.jac
    jtj = J.T @ J
    cov = _covariance(jtj)
    cov = cov * _error_scale(chi2_red, dof, _stated(sT, sH))
    return p, cov, chi2_red, res.cost


def _covariance(jtj: np.ndarray) -> np.ndarray:
    """(JᵀJ)⁻¹, with inf for the parameters the data do not determine.

    Judged on the correlation form C = D⁻¹ JᵀJ D⁻¹ (D² = diag JᵀJ, so parameter units do not matter): eigen-
    directions with eigenvalue < 10⁻¹⁰ of the largest are undetermined (e.g. λ_so when the fitted α is ≈ 0, or α
    itself at its bound 0), and every parameter with a share > 10⁻³ in one gets an infinite error — a
    pseudo-inverse would give it ≈ 0 instead. The others get their errors from the determined directions."""
    d = np.sqrt(np.clip(np.diag(jtj), 0.0, None))
    zero = ~(d > 0) | ~np.isfinite(d)
    d = np.where(zero, 1.0, d)
    c = jtj / np.outer(d, d)
    c[zero, :] = 0.0
    c[:, zero] = 0.0
    w, v = np.linalg.eigh(c)
    null = w <= 1e-10 * max(float(w.max()), np.finfo(float).tiny)
    if not null.any():
        return np.linalg.inv(jtj)
    cinv = (v[:, ~null] / w[~null]) @ v[:, ~null].T
    cov = cinv / np.outer(d, d)
    bad = zero | np.any(np.abs(v[:, null]) > 1e-3, axis=1)
    cov[bad, :] = np.inf
    cov[:, bad] = np.inf
    return cov


def _stated(sT: np.ndarray, sH: np.ndarray) -> bool:
    """Do the points carry uncertainties (any σ_T or σ_H > 0)?"""
    return bool(np.any(np.asarray(sT) > 0) or np.any(np.asarray(sH) > 0))


def _error_scale(chi2_red: float, dof: int, stated: bool) -> float:
    """Factor on the covariance from the stated errors: the Birge ratio squared, max(1, χ²_red), when the points
    carry uncertainties (a fit worse than they allow widens the errors; a better one does not shrink them), χ²_red
    when they do not (the scatter is then the only estimate); 1 with stated errors and no degree of freedom."""
    if stated:
        return max(1.0, chi2_red) if dof > 0 and np.isfinite(chi2_red) else 1.0
    return chi2_red if dof > 0 else float("nan")


def _sqrt_var(v: float) -> float:
    return float(np.sqrt(v)) if np.isfinite(v) and v >= 0 else float("inf") if np.isinf(v) else float("nan")


def _poly_fit(T, H, sT, sH, deg: int, t_ref: float):
    """Weighted polynomial H = Σ c_j (T − t_ref)^j (effective variance, 3 passes) → (c ascending, cov, chi2_red)."""
    u = T - t_ref
    A = np.vander(u, deg + 1, increasing=True)
    c = np.linalg.lstsq(A, H, rcond=None)[0]
    for _ in range(3):
        dH = np.polynomial.polynomial.polyval(u, np.polynomial.polynomial.polyder(c))
        sig = _sigma_floor(np.sqrt(sH**2 + (dH * sT) ** 2))
        Aw = A / sig[:, None]
        c = np.linalg.lstsq(Aw, H / sig, rcond=None)[0]
    resid = (A @ c - H) / sig
    dof = T.size - (deg + 1)
    chi2_red = float(np.sum(resid**2) / dof) if dof > 0 else float("nan")
    cov = np.linalg.pinv(Aw.T @ Aw) * _error_scale(chi2_red, dof, _stated(sT, sH))
    return c, cov, chi2_red


def _slope_fit(T, H, sT, sH, tc_fixed: float | None, tc_err: float, model: str, window: float):
    """Near-T_c polynomial: returns slope, slope_err, tc (fixed or extrapolated), tc_err, mask, note, window."""
    deg = 1 if model == "linear" else 2
    need = deg + 2
    order = np.argsort(-T, kind="stable")
    tc_est = tc_fixed
    if tc_est is None:  # rough T_c from the highest points
        top = order[:max(need, 3)]
        a, b = np.polyfit(T[top], H[top], 1)
        tc_est = -b / a if a < 0 else float(np.max(T))
    note = None
    mask = np.zeros(T.size, bool)
    c = cov = None
    tc = tc_est
    tc_e = tc_err
    for _ in range(3):
        mask = T >= window * tc
        if mask.sum() < need:
            mask = np.zeros(T.size, bool)
            mask[order[:need]] = True
            note = (f"fewer than {need} points at T ≥ {window:g} Tc: the window was widened to the {need} points "
                    f"nearest Tc")
        else:
            note = None
        c, cov, _ = _poly_fit(T[mask], H[mask], sT[mask], sH[mask], deg, tc)
        if tc_fixed is not None:
            break
        # zero of the polynomial nearest the current T_c
        roots = np.polynomial.polynomial.polyroots(c)
        roots = roots[np.isreal(roots)].real
        if roots.size == 0:
            raise ConvergenceError("the near-Tc fit of Hc2(T) has no zero: Tc cannot be extrapolated "
                                   "(give tc or a zero-field curve)")
        new_tc = tc + roots[np.argmin(np.abs(roots))]
        if abs(new_tc - tc) < 1e-9 * max(tc, 1.0):
            tc = float(new_tc)
            break
        tc = float(new_tc)
    # slope at T_c: dH/dT = c1 + 2 c2 (T_c − t_ref); the last fit used t_ref = tc (or the previous iterate)
    c_der = np.polynomial.polynomial.polyder(c)
    if tc_fixed is None:
        # refit centred on the converged T_c so that the slope at T_c is c1 and H(T_c) = c0 ≈ 0
        c, cov, _ = _poly_fit(T[mask], H[mask], sT[mask], sH[mask], deg, tc)
        c_der = np.polynomial.polynomial.polyder(c)
        slope = float(c_der[0])
        # T_c from the zero: δT_c = −c0/slope; its variance from c0 (and slope) to first order
        g = np.zeros(c.size)
        g[0] = -1.0 / slope
        tc_e = _sqrt_var(float(g @ cov @ g))
        var_s = float(cov[1, 1])
    else:
        slope = float(c_der[0])
        var_s = float(cov[1, 1]) + ((2.0 * c[2] * tc_err) ** 2 if deg == 2 else 0.0)
    lo_T = float(np.min(T[mask]))
    hi_T = float(np.max(T[mask]))
    return slope, _sqrt_var(var_s), tc, tc_e, mask, note, (lo_T, hi_T)


def _gl_model(T, p, tc_fixed):
    h0 = p[0]
    tc = tc_fixed if tc_fixed is not None else p[1]
    t2 = (np.asarray(T, dtype=float) / tc) ** 2
    return h0 * (1 - t2) / (1 + t2)  # continued past T_c (negative) on purpose


def _whh_model_factory(tc_fixed, alpha_fixed, lambda_fixed, fit_alpha, fit_lambda):
    def unpack(p):
        i = 0
        slope = p[i]
        i += 1
        if tc_fixed is None:
            tc = p[i]
            i += 1
        else:
            tc = tc_fixed
        alpha = p[i] if fit_alpha else alpha_fixed
        i += int(fit_alpha)
        lam = p[i] if fit_lambda else lambda_fixed
        return slope, tc, alpha, lam

    def model(T, p):
        slope, tc, alpha, lam = unpack(p)
        T = np.asarray(T, dtype=float)
        out = np.empty_like(T)
        below = T < tc
        out[~below] = slope * (T[~below] - tc)  # tangent continuation past T_c
        if below.any():
            out[below] = whh_hc2(T[below], tc, slope, max(alpha, 0.0), max(lam, 0.0))
        return out

    return model, unpack


def _law_weights(chi2_k: dict[str, tuple[float, int]], n: int, stated: bool) -> dict[str, float]:
    """Akaike weights of the law fits from QAIC = χ²/ĉ + 2K (module docstring) → {law: weight}, summing to 1.

    ĉ is the smallest χ²_red among the fits with a degree of freedom: at least 1 when the points carry errors
    (understated errors must not make the weights more decisive than the data), the scatter itself when not."""
    good = {k: v for k, v in chi2_k.items() if np.isfinite(v[0])}
    if not good:
        return {}
    red = [c / (n - k) for c, k in good.values() if n - k > 0]
    c_hat = min(red) if red else 1.0
    c_hat = max(1.0, c_hat) if stated else c_hat
    if not np.isfinite(c_hat) or c_hat <= 0:
        c_hat = 1.0
    qaic = {name: c / c_hat + 2.0 * k for name, (c, k) in good.items()}
    best = min(qaic.values())
    w = {name: float(np.exp(-0.5 * (q - best))) for name, q in qaic.items()}
    total = sum(w.values())
    return {name: x / total for name, x in w.items()}


def _total_err(fit_err: float | None, model: float) -> float | None:
    """Fit error and model term in quadrature (an undetermined fit error stays so)."""
    if fit_err is None:
        return None
    if not np.isfinite(fit_err):
        return fit_err
    return float(np.hypot(fit_err, model))


def _fit_whh_full(T, H, sT, sH, slope, tc_val, tc_is_free, tc_lo, tc_hi, a_in, l_in, fit_alpha, fit_lambda,
                  quick: bool = False) -> dict:
    """Least squares of the full WHH curve (module docstring) → dict of the fitted values and errors.

    ``quick``: one start and one weighting pass (the Pauli-limited variant of the model term, where α > 0 makes
    every evaluation of the curve ~30× dearer)."""
    whh: dict = {}
    model, unpack = _whh_model_factory(None if tc_is_free else tc_val, a_in, l_in, fit_alpha, fit_lambda)
    lo = [-np.inf] + ([tc_lo] if tc_is_free else []) + ([0.0] if fit_alpha else []) + ([0.0] if fit_lambda else [])
    hi = [-1e-9] + ([tc_hi] if tc_is_free else []) + ([50.0] if fit_alpha else []) + ([100.0] if fit_lambda
                                                                                        else [])
    # α enters squared (zero gradient at α = 0), so fitted parameters start inside; a second start guards
    # against the shallow α–λ_so valley
    starts_a = [a_in if a_in > 0 else 1.0, 0.3 if a_in > 0.6 or a_in == 0 else 3.0] if fit_alpha else [a_in]
    starts_l = [l_in if l_in > 0 else 0.5, 3.0] if fit_lambda else [l_in]
    if quick:
        starts_a, starts_l = starts_a[:1], starts_l[:1]
    best = None
    last_exc: ConvergenceError | None = None
    for a0 in starts_a:
        for l0 in starts_l:
            p0 = [slope] + ([min(max(tc_val, tc_lo * (1 + 1e-6)), tc_hi)] if tc_is_free else []) + (
                [a0] if fit_alpha else []) + ([l0] if fit_lambda else [])
            try:
                fit = _ev_fit(model, p0, (lo, hi), T, H, sT, sH, "full WHH fit of Hc2(T)", n_pass=1 if quick else 3)
            except ConvergenceError as exc:
                last_exc = exc
                continue
            if best is None or fit[3] < best[3]:
                best = fit
    if best is None:
        raise last_exc if last_exc is not None else ConvergenceError("full WHH fit of Hc2(T) failed")
    p, cov, chi2_red, cost = best
    whh["chi2_k"] = (2.0 * float(cost), p.size)
    s_f, tc_f, a_f, l_f = unpack(p)
    errs = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    i = 1
    whh["slope"], whh["slope_err"] = float(s_f), float(errs[0])
    if tc_is_free:
        whh["tc"], whh["tc_err"] = float(tc_f), float(errs[i])
        i += 1
    else:
        whh["tc"], whh["tc_err"] = float(tc_f), 0.0
    whh["alpha"], whh["alpha_err"] = float(a_f), (float(errs[i]) if fit_alpha else None)
    i += int(fit_alpha)
    whh["lam"], whh["lam_err"] = float(l_f), (float(errs[i]) if fit_lambda else None)
    whh["chi2"] = chi2_red

    def h0_of(q):
        s_, tc_, a_, l_ = unpack(q)
        return float(whh_hc2(0.0, tc_, s_, max(a_, 0.0), max(l_, 0.0)))

    whh["hc2"] = h0_of(p)
    g = np.zeros(p.size)
    for j in range(p.size):
        dp = 1e-6 * max(abs(p[j]), 1e-3)
        q1, q2 = p.copy(), p.copy()
        q1[j] += dp
        q2[j] -= dp
        if j > 0 and q2[j] < lo[j]:
            q2[j] = p[j]
            g[j] = (h0_of(q1) - whh["hc2"]) / dp
        else:
            g[j] = (h0_of(q1) - h0_of(q2)) / (2 * dp)
    with np.errstate(invalid="ignore"):
        var = float(g @ np.where(np.isfinite(cov), cov, 0.0) @ g)
        if np.any(~np.isfinite(np.diag(cov)) & (g != 0)):
            var = np.inf
    whh["hc2_err"] = _sqrt_var(var)
    return whh


def _fit_gl(T, H, sT, sH, slope, tc_val, tc_is_free, tc_lo, tc_hi):
    """Least squares of the GL law → (μ0Hc2(0), its error, Tc, its error, χ²_red, (χ², number of parameters))."""
    tc_fixed = None if tc_is_free else tc_val

    def gl_model(Tq, q):
        return _gl_model(Tq, q, tc_fixed)

    p0 = [-slope * tc_val] + ([min(max(tc_val, tc_lo * (1 + 1e-6)), tc_hi)] if tc_is_free else [])
    lo = [1e-9] + ([tc_lo] if tc_is_free else [])
    hi = [np.inf] + ([tc_hi] if tc_is_free else [])
    p, cov, gl_chi2, cost = _ev_fit(gl_model, p0, (lo, hi), T, H, sT, sH, "GL fit of Hc2(T)")
    tc_gl, tc_gl_err = (float(p[1]), _sqrt_var(float(cov[1, 1]))) if tc_is_free else (tc_val, 0.0)
    return float(p[0]), _sqrt_var(float(cov[0, 0])), tc_gl, tc_gl_err, gl_chi2, (2.0 * float(cost), p.size)


def fit_hc2(
    points: Hc2Points,
    tc: float | None = None,
    methods: Sequence[str] = HC2_METHODS,
    alpha: float = 0.0,
    lambda_so: float = 0.0,
    fit_alpha: bool = False,
    fit_lambda: bool = False,
    slope_model: str = "linear",
    slope_window: float = 0.7,
    zero_field_T: float = 0.005,
) -> Hc2Result:
    """Fit H_c2(T) points: T_c, initial slope, H_c2(0) by WHH (formula and full curve) and GL, Pauli limit, ξ_GL.

    Parameters
    ----------
    points : from :func:`hc2_points_from_rt` / :func:`hc2_points_from_rh` or built directly.
    tc : T_c in K to hold fixed in every fit; None: from the zero-field points, else extrapolated, and free in
        the GL and full-WHH fits.
    methods : any of "whh_slope" (−0.693 T_c slope), "whh" (full WHH least squares), "gl".
    alpha, lambda_so : Maki and spin–orbit parameters of the full WHH curve (starting values when fitted).
    fit_alpha, fit_lambda : fit α and/or λ_so (λ_so only matters when α > 0; the two are strongly correlated).
    slope_model : "linear" (default) or "quadratic" near-T_c polynomial for the initial slope.
    slope_window : the slope uses the points with T ≥ slope_window · T_c (default 0.7).
    zero_field_T : |μ₀H| at or below which a point counts as zero field (default 5 mT, remanent-field level).

    See the module docstring for the formulas and references.
    """
    if not isinstance(points, Hc2Points):
        raise InputError(f"points must be Hc2Points, got {type(points).__name__}", field="points")
    methods = tuple(methods)
    bad = [m for m in methods if m not in HC2_METHODS]
    if bad:
        raise InputError(f"unknown method(s) {bad}; choose from {list(HC2_METHODS)}", field="methods")
    if slope_model not in SLOPE_MODELS:
        raise InputError(f"slope_model must be one of {list(SLOPE_MODELS)}, got {slope_model!r}",
                         field="slope_model")
    if not 0.0 < float(slope_window) < 1.0:
        raise InputError(f"slope_window must be a fraction of Tc in (0, 1), got {slope_window}",
                         field="slope_window")
    if (fit_alpha or fit_lambda) and "whh" not in methods:
        raise InputError("fitting α or λ_so needs the full WHH fit: add 'whh' to methods", field="methods")
    T = np.asarray(points.T_K, dtype=float)
    H = np.abs(np.asarray(points.H_T, dtype=float))
    sT = np.asarray(points.T_err_K, dtype=float)
    sH = np.asarray(points.H_err_T, dtype=float)
    ok = np.isfinite(T) & np.isfinite(H)
    T, H, sT, sH = T[ok], H[ok], np.nan_to_num(sT[ok]), np.nan_to_num(sH[ok])
    zero = H <= zero_field_T
    n, n_nz = T.size, int(np.sum(~zero))
    if n and n_nz == 0:
        raise InputError(f"all {n} points are at zero field (|μ0H| ≤ {zero_field_T:g} T): there is no Hc2(T) line "
                         f"to fit — give R(T) curves at several nonzero fields", field="points")
    if n < 3 or n_nz < 2:
        raise InputError(f"an Hc2(T) fit needs at least 3 points with at least 2 at nonzero field; got {n} "
                         f"point(s), {n_nz} at nonzero field", field="points")
    if np.any(T <= 0):
        raise InputError("temperatures must be positive", field="points")
    t_nz_max = float(np.max(T[~zero]))
    if np.ptp(T) <= 0:
        raise InputError(f"all {n} points are at one temperature ({T[0]:g} K): there is no Hc2(T) line to fit",
                         field="points")
    if tc is not None:
        tc = float(tc)
        if not np.isfinite(tc) or tc <= t_nz_max:
            raise InputError(f"tc = {tc} K must exceed the highest temperature of a nonzero-field point "
                             f"({t_nz_max:g} K)", field="tc")
        tc_val, tc_err, tc_source = tc, 0.0, "given"
    elif zero.any():
        tz = T[zero]
        tc_val = float(np.mean(tz))
        spread = float(np.std(tz, ddof=1)) if tz.size > 1 else 0.0
        tc_err = float(np.sqrt(np.mean(sT[zero] ** 2) / tz.size + spread**2))
        tc_source = "zero-field point"
    else:
        tc_val, tc_err, tc_source = None, None, "extrapolated"

    slope, slope_err, tc_fit, tc_fit_err, mask, note, win = _slope_fit(
        T, H, sT, sH, tc_val, tc_err or 0.0, slope_model, float(slope_window))
    if tc_val is None:
        tc_val, tc_err = float(tc_fit), float(tc_fit_err)
    if not np.isfinite(slope) or slope >= 0:
        raise InputError(f"Hc2 must fall as T rises to Tc, but the near-Tc fit gives dHc2/dT = {slope:+.4g} T/K "
                         f"over {win[0]:.4g}–{win[1]:.4g} K", field="points")
    if tc_val <= t_nz_max * (1 - 1e-9) and tc_source == "extrapolated":
        raise ConvergenceError(f"the extrapolated Tc = {tc_val:.4g} K lies below a nonzero-field point at "
                               f"{t_nz_max:.4g} K: the near-Tc points are not on one Hc2 line")

    hc2_whh = hc2_whh_err = None
    if "whh_slope" in methods:
        # T_c and slope errors combined as independent (they are correlated when T_c is extrapolated)
        hc2_whh = WHH_DIRTY_COEFF * tc_val * (-slope)
        hc2_whh_err = WHH_DIRTY_COEFF * float(np.hypot(slope * tc_err, tc_val * slope_err))

    tc_is_free = tc is None
    tc_lo = t_nz_max * (1 + 1e-6)
    tc_hi = max(3.0 * tc_val, tc_lo * 1.5)
    a_in, l_in = float(alpha), float(lambda_so)
    if a_in < 0 or l_in < 0:
        raise InputError("alpha and lambda_so must be ≥ 0", field="alpha" if a_in < 0 else "lambda_so")

    # full WHH and GL: the requested ones; the other one too, for the model spread (its failure is then no error)
    whh_keys = ("hc2", "hc2_err", "tc", "tc_err", "slope", "slope_err", "alpha", "alpha_err", "lam", "lam_err",
                "chi2")
    whh = dict.fromkeys(whh_keys)
    h0_models: dict[str, float] = {}
    try:
        fitted = _fit_whh_full(T, H, sT, sH, slope, tc_val, tc_is_free, tc_lo, tc_hi, a_in, l_in,
                               fit_alpha and "whh" in methods, fit_lambda and "whh" in methods)
    except ConvergenceError:
        if "whh" in methods:
            raise
        fitted = None
    h0_fit_errs: dict[str, float] = {}
    law_chi2: dict[str, tuple[float, int]] = {}  # (χ², number of parameters) of each law's fit, for the weights
    if fitted is not None:
        law_chi2["whh"] = fitted["chi2_k"]
        h0_models["whh"] = fitted["hc2"]
        h0_fit_errs["whh"] = fitted["hc2_err"]
        if "whh" in methods:
            whh = fitted
    t_nz = T[~zero]
    t_min_red = float(np.min(t_nz) / tc_val)
    t_span_red = float(np.ptp(t_nz) / tc_val)
    extrapolation = bool(t_min_red > EXTRAPOLATION_T_MIN or t_span_red < EXTRAPOLATION_SPAN)
    if fitted is not None and not extrapolation and not (fit_alpha and "whh" in methods):
        # Pauli limiting: the same WHH curve with α free. Where the points determine α (error < PAULI_ALPHA_ERR_MAX)
        # its μ0Hc2(0) joins the model term — a law neither fixed-α WHH nor GL contains (low-T points bend
        # below both); near T_c (an extrapolation) α is undetermined and the fit is not tried.
        start = dict(T=T, H=H, sT=sT, sH=sH, slope=fitted["slope"], tc_val=fitted["tc"], tc_is_free=tc_is_free,
                     tc_lo=tc_lo, tc_hi=tc_hi, a_in=max(a_in, 0.5), l_in=l_in)
        try:
            pauli = _fit_whh_full(**start, fit_alpha=True, fit_lambda=False, quick=True)
        except ConvergenceError:
            pauli = None
        if (pauli is not None and pauli["alpha_err"] is not None and np.isfinite(pauli["alpha_err"])
                and pauli["alpha_err"] < PAULI_ALPHA_ERR_MAX and np.isfinite(pauli["hc2"])):
            h0_models["whh_pauli"] = pauli["hc2"]
            law_chi2["whh_pauli"] = pauli["chi2_k"]
            h0_fit_errs["whh_pauli"] = pauli["hc2_err"]
    hc2_gl = hc2_gl_err = tc_gl = tc_gl_err = gl_chi2 = None
    try:
        gl = _fit_gl(T, H, sT, sH, slope, tc_val, tc_is_free, tc_lo, tc_hi)
    except ConvergenceError:
        if "gl" in methods:
            raise
        gl = None
    if gl is not None:
        h0_models["gl"] = gl[0]
        h0_fit_errs["gl"] = gl[1]
        law_chi2["gl"] = gl[5]
        if "gl" in methods:
            hc2_gl, hc2_gl_err, tc_gl, tc_gl_err, gl_chi2 = gl[:5]
    if hc2_whh is not None:
        h0_models["whh_slope"] = hc2_whh

    # model spread (module docstring)
    vals = [v for v in h0_models.values() if v is not None and np.isfinite(v)]
    spread = float(max(vals) - min(vals)) if len(vals) > 1 else None

    weights = _law_weights({k: v for k, v in law_chi2.items() if np.isfinite(h0_models.get(k, np.nan))}, n,
                           _stated(sT, sH))

    def model_term(name: str) -> float:
        """√Σ_i w_i (μ0Hc2(0)_this − μ0Hc2(0)_i)² over the law fits i (GL, full WHH, α-free WHH when kept)."""
        own = h0_models.get(name)
        if own is None or not weights:
            return 0.0
        return float(np.sqrt(sum(w * (own - h0_models[k]) ** 2 for k, w in weights.items())))

    def whole_distance(name: str) -> float:
        """The largest distance to the other law fits: near T_c their χ² tells the laws apart only by curvature the
        low-T behaviour need not follow (Pauli limiting does not show above 0.6 T_c), so the weights cannot be
        trusted there and the whole distance is kept (measured: with the weighted term the full-WHH error of
        Pauli-limited points near T_c covered 0.30 at 95 %)."""
        own = h0_models.get(name)
        if own is None or not weights:
            return 0.0
        return float(max(abs(own - h0_models[k]) for k in weights))

    fit_errs = {"whh_slope": hc2_whh_err, "whh": whh["hc2_err"], "gl": hc2_gl_err}
    term = (lambda name: max(MODEL_SPREAD_FACTOR_EXTRAPOLATION * model_term(name), whole_distance(name))) \
        if extrapolation else (lambda name: MODEL_SPREAD_FACTOR * model_term(name))
    if hc2_whh is not None:
        hc2_whh_err = _total_err(hc2_whh_err, term("whh_slope"))
    if whh["hc2"] is not None:
        whh["hc2_err"] = _total_err(whh["hc2_err"], term("whh"))
    if hc2_gl is not None:
        hc2_gl_err = _total_err(hc2_gl_err, term("gl"))
    ex_note = None
    if extrapolation:
        rel = tc_err / tc_val if tc_err and np.isfinite(tc_err) else None
        where = (f"every field point lies at T ≥ {fmt(t_min_red, None if rel is None else t_min_red * rel)} Tc"
                 if t_min_red > EXTRAPOLATION_T_MIN else
                 f"the field points span only {fmt(t_span_red, None if rel is None else t_span_red * rel)} Tc")
        tc_how = "; Tc itself is extrapolated" if tc_source == "extrapolated" else ""
        sp = ""
        if "gl" in h0_models and "whh" in h0_models:
            e = [x for x in (h0_fit_errs.get("gl"), h0_fit_errs.get("whh")) if x is not None and np.isfinite(x)]
            gap_err = float(np.hypot(*e)) if len(e) == 2 else None
            sp = f" (GL and full WHH differ by {fmt(abs(h0_models['gl'] - h0_models['whh']), gap_err, 'T')})"
        ex_note = (f"μ0Hc2(0) is an extrapolation: {where}{tc_how}; its errors include the spread of the models"
                   f"{sp}, not only the fit covariance")
    elif tc_source == "extrapolated":
        ex_note = "Tc is extrapolated from the near-Tc points (no zero-field point)"

    hp = pauli_limit_T(tc_val)
    hp_err = pauli_limit_T(tc_err)
    h_whh_for_xi, h_whh_for_xi_err = (hc2_whh, hc2_whh_err) if hc2_whh is not None else (whh["hc2"], whh["hc2_err"])
    xi = xi_err = xi_gl = xi_gl_err = None
    if h_whh_for_xi is not None and h_whh_for_xi > 0:
        xi = gl_coherence_length_nm(h_whh_for_xi)
        xi_err = 0.5 * xi * h_whh_for_xi_err / h_whh_for_xi
    if hc2_gl is not None and hc2_gl > 0:
        xi_gl = gl_coherence_length_nm(hc2_gl)
        xi_gl_err = 0.5 * xi_gl * hc2_gl_err / hc2_gl
    maki = maki_alpha_from(hc2_whh, hp) if hc2_whh is not None and hp > 0 else None

    keep = np.flatnonzero(ok)
    pts = points if keep.size == len(points) else Hc2Points(
        points.T_K[keep], points.H_T[keep], points.T_err_K[keep], points.H_err_T[keep], points.sweep,
        points.criterion_percent, tuple(points.sources[i] for i in keep), points.r_normal_ohm[keep],
        tuple(points.n_runs[i] for i in keep), points.skipped)
    return Hc2Result(
        points=pts,
        tc_K=float(tc_val),
        tc_err_K=float(tc_err),
        tc_source=tc_source,
        dHc2dT_T_per_K=float(slope),
        dHc2dT_err_T_per_K=float(slope_err),
        slope_model=slope_model,
        slope_window_K=win,
        slope_mask=_ro_bool(mask),
        slope_window_note=note,
        hc2_whh_T=_f(hc2_whh),
        hc2_whh_err_T=_f(hc2_whh_err),
        hc2_whh_full_T=_f(whh["hc2"]),
        hc2_whh_full_err_T=_f(whh["hc2_err"]),
        whh_tc_K=_f(whh["tc"]),
        whh_tc_err_K=_f(whh["tc_err"]),
        whh_slope_T_per_K=_f(whh["slope"]),
        whh_slope_err_T_per_K=_f(whh["slope_err"]),
        whh_alpha=_f(whh["alpha"]),
        whh_alpha_err=_f(whh["alpha_err"]),
        whh_lambda_so=_f(whh["lam"]),
        whh_lambda_so_err=_f(whh["lam_err"]),
        whh_chi2_red=_f(whh["chi2"]),
        hc2_gl_T=_f(hc2_gl),
        hc2_gl_err_T=_f(hc2_gl_err),
        tc_gl_K=_f(tc_gl),
        tc_gl_err_K=_f(tc_gl_err),
        gl_chi2_red=_f(gl_chi2),
        pauli_limit_T=float(hp),
        pauli_limit_err_T=float(hp_err),
        maki_alpha_estimate=_f(maki),
        xi_gl_nm=_f(xi),
        xi_gl_err_nm=_f(xi_err),
        xi_gl_from_gl_nm=_f(xi_gl),
        xi_gl_from_gl_err_nm=_f(xi_gl_err),
        methods=methods,
        extrapolation=extrapolation,
        extrapolation_note=ex_note,
        model_spread_T=spread,
        hc2_whh_fit_err_T=_f(fit_errs["whh_slope"]),
        hc2_whh_full_fit_err_T=_f(fit_errs["whh"]),
        hc2_gl_fit_err_T=_f(fit_errs["gl"]),
        t_min_reduced=t_min_red,
        t_span_reduced=t_span_red,
        law_weights=dict(weights),
        parameters={"tc": tc, "alpha": float(alpha), "lambda_so": float(lambda_so), "fit_alpha": bool(fit_alpha),
                    "fit_lambda": bool(fit_lambda), "slope_model": slope_model,
                    "slope_window": float(slope_window), "zero_field_T": float(zero_field_T),
                    "methods": list(methods)},
    )
