"""Superconducting transition temperatures from one R(T) curve: onset, 90/50/10 %, zero, several steps.

Definitions (all temperatures in K; R_n(T) is the normal-state line)
-------------------------------------------------------------------
* **Normal state** R_n(T) = a + b·T: least-squares line through the measured points in the normal window —
  by default from T* + 2W up to T* + 2W + max(4W, 10 sampling steps), T* the steepest point of the top
  transition and W its 10–90 % width (for the tanh model, R deviates from the line there by < e^{−8.8} ≈ 2·10⁻⁴
  of R_n), or a window (T₁, T₂) given by the caller. ``r_normal_ohm`` is R_n at the onset. It is never ≤ 0: a
  semiconducting curve without a transition (R rising on cooling) has no normal-state resistance in this sense,
  and a line that extrapolates to ≤ 0 gives none either — None, with ``r_normal_note`` saying why.
* **Onset**: the intersection of R_n(T) with the steepest tangent of the top transition. The tangent is taken at
  the point of maximum slope of a cubic fitted to the measured points between the 20 % and 80 % levels of that
  step (a cubic recovers the slope of a tanh step at its midpoint to 0.6 %, where a straight line through the
  30–70 % band is 3.6 % low).
* **90 / 50 / 10 %**: the temperature where R crosses f·R_n(T) (f = 0.9, 0.5, 0.1) — linear interpolation between
  the two measured points on either side, the crossing nearest the transition from the normal side (the first
  one met coming down from the normal window). Because R_n(T) is evaluated at each T, for
  R = R_n(T)·½[1 + tanh((T − T_c)/w)] these are exactly T_c + w·atanh(2f − 1) whatever the normal-state slope.
* **Zero**: the highest T below which R stays below ``zero_threshold`` — judged on the smoothed curve so that a
  single noise spike on the zero plateau does not move it. Default threshold max(3σ, 10⁻³ R_n), σ the noise
  (standard deviation about a straight line) of the points on the low-T plateau (or of the normal-window
  residuals when there is no plateau). None when the curve never gets there.

Several transitions
-------------------
The curve is interpolated onto a uniform grid (the median point spacing) and smoothed with a cubic Savitzky–Golay
filter (Savitzky & Golay, Anal. Chem. 36, 1627 (1964)) whose window is ``smooth`` (K) or, automatically, 0.6 × the
FWHM of the main dR/dT peak found in a first pass (7 points, or 21, 61, 181 until a step is found that is not a
fragment — one around which the smoothed R keeps rising by more than ~3× its height within 1.5 of its widths, what
a dR/dT peak split by the thermometer's scatter on a dense sweep looks like; if every window gives a fragment, the
narrowest window's steps). Candidate steps are the maxima of the smoothed dR/dT whose prominence exceeds 6 σ_d, σ_d
the noise of the derivative (the point noise σ_R, estimated robustly from second differences, var(Δ²R) = 6σ_R²,
times the norm of the derivative filter). Each maximum stands on a level — the larger of 0 and the median dR/dT two
to four FWHM outside it on either side (the normal-state slope above, ≈ 0 on the zero plateau below; windows are
clipped at a neighbouring maximum's boundary and skipped when fewer than 5 points remain; a maximum hemmed in by
neighbours stands on the lower boundary minimum; one with no background on either side, or whose dR/dT maximum is
less than twice its level, is no step) — and its step height is the area of dR/dT above that level over the
contiguous run where dR/dT exceeds it, neighbouring maxima being split at the dR/dT minimum between them. A step is
a transition when its height is ≥ ``min_step`` × R_n (first against the smoothed R just above the largest step,
then against the fitted R_n). Each is reported with its own midpoint (the half-height crossing of its own step),
the temperature of maximum slope, its own 10–90 % width and its fractional height. A curve without such a step
(flat, metallic or semiconducting) gives an explicit "no transition" result: ``superconducting=False`` and every Tc
None.

Uncertainties (1σ; coverage measured by ``benchmarks/coverage_transport.py``)
----------------------------------------------------------------------------
Propagated from the data, not bootstrapped (a bootstrap of the whole analysis would cost ~100 analyses per curve,
and resampling the residuals sees neither a curved normal state nor the thermometer's scatter). The terms, added
in quadrature:

* **90 / 50 / 10 %** — the crossing between points i, i + 1 at the fraction u of that step, g = R − f·R_n(T):

  - point noise σ_R (robust, from second differences) through the secant slope S of g, σ_R √((1−u)² + u²)/S,
    with S from a local polynomial through the ten nearest points (not from the two noisy points themselves);
  - the normal-state line at the crossing, f·σ_Rn(T)/S, σ_Rn from the line's covariance plus the difference
    between a quadratic through the normal-state points (the window and twice its length above) and the line —
    a curved normal state makes the straight-line extrapolation the dominant error of broad transitions;
  - temperature scatter σ_T √((1−u)² + u²): the larger of the scatter of the recorded temperatures (robust σ of
    their second differences in acquisition order, var(Δ²T) = 6σ_T²) and the excess scatter of R about the local
    polynomial over σ_R, divided by S (that polynomial only when it spans ≤ 1.5 widths of the transition);
  - interpolation: linear interpolation against the cubic through the four nearest points (Richardson-like),
    less the part of that difference the noise explains (its variance from the Lagrange weights); at least the
    resolution Δt/√12 of the step when fewer than ~4 points cross the 10–90 % width (Δt > W/4).

  This is the GUM's propagation of input uncertainties (JCGM 100:2008 §5.1) with a resolution/model term for the
  interpolation (§F.2.2). Half the local step as the interpolation term instead over-covers (dense sweeps: 95 %
  coverage 0.998–1.00, 68 % 0.91–0.99); no interpolation term under-covers coarse ones (0.70–0.97).
* **onset** — the covariance of the tangent polynomial (its residual variance or σ_R², whichever is larger) and
  of the normal line propagated to first order at the steepest point (where the slope is stationary); plus the
  line's curvature term at the onset over (tangent − normal slope), the difference to the same construction with
  a quintic (the cubic's shape error on an asymmetric step) when ≥ 9 band points, and the band's point
  spacing/√12 when < 6 points leave a secant.
* **zero** — the smoothed curve's noise σ_R‖h₀‖ (h₀ the Savitzky–Golay smoothing filter) over its slope there, the
  point spacing/√12, the thermometer scatter, and the distance to the nearest place where the measured points
  themselves rise through the threshold (the smoothing's own shift of the foot on coarse data).

Measured coverage of value ± 1.96·err (400 replicas: asymmetric steps on curved normal states, R noise with
spikes, thermometer scatter; ``python benchmarks/coverage_transport.py`` prints the table): 50 % 0.98, 90 % 0.99,
10 % 0.97, onset 0.97, zero 0.98 for sweeps sampled every 5–60 mK; 0.97–1.00 for coarse sweeps of 0.5–2 widths
per point (errors there lean conservative: the resolution bound of the spacing).

Input handling: NaN/inf points are dropped, points are sorted by T and points at identical T (up and down sweeps
merged) are averaged. All functions are pure; nothing is printed or written.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks, peak_widths, savgol_coeffs, savgol_filter

from ..errors import InputError
from .curve import RCurve, check_plausible

__all__ = ["TcResult", "Transition", "find_tc", "is_semiconducting"]

#: fewest points find_tc accepts
MIN_POINTS = 10
#: most points of the uniform grid (the spacing grows beyond)
MAX_GRID = 20000
#: first-pass Savitzky–Golay windows (points), tried in turn until a step is found (noisy / broad transitions)
_PASS1_WINDOWS = (7, 21, 61, 181)
#: … as long as the window stays below this fraction of the grid
_PASS1_MAX_FRACTION = 1 / 6
#: smoothing window as a fraction of the main dR/dT peak's FWHM
_WINDOW_PER_FWHM = 0.6
_BAND = (0.2, 0.8)


def _version() -> str:
    from .. import __version__

    return __version__


# ---------------------------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transition:
    """One step in R(T) (see the module docstring).

    t_mid_K : where the smoothed R crosses the middle of this step; t_max_slope_K : maximum of dR/dT.
    width_K : this step's own 10–90 % width; t_lo_K, t_hi_K : the temperature span of its dR/dT peak.
    step_ohm : height of the step (area of the dR/dT peak above its base); step_fraction : step_ohm / R_n(t_mid).
    t_mid_err_K, step_fraction_err : 1σ errors propagated from the noise (module docstring, "Uncertainties"); the
        coverage measured on replicas is that of the Tc definitions of :class:`TcResult`, not of these.
    """

    t_mid_K: float
    t_max_slope_K: float
    width_K: float | None
    t_lo_K: float
    t_hi_K: float
    step_ohm: float
    step_fraction: float
    max_slope_ohm_per_K: float
    t_mid_err_K: float | None = None
    step_fraction_err: float | None = None

    def to_dict(self) -> dict:
        return {
            "t_mid_K": self.t_mid_K,
            "t_mid_err_K": self.t_mid_err_K,
            "step_fraction_err": self.step_fraction_err,
            "t_max_slope_K": self.t_max_slope_K,
            "width_K": self.width_K,
            "t_lo_K": self.t_lo_K,
            "t_hi_K": self.t_hi_K,
            "step_ohm": self.step_ohm,
            "step_fraction": self.step_fraction,
            "max_slope_ohm_per_K": self.max_slope_ohm_per_K,
        }


@dataclass(frozen=True)
class TcResult:
    """Transition temperatures of one R(T) curve (None where a definition has no answer).

    superconducting : at least one step ≥ min_step × R_n was found; ``reason`` says why not otherwise.
    tc_onset_K, tc_90_K, tc_50_K, tc_10_K, tc_zero_K : the definitions of the module docstring.
    tc_onset_err_K, tc_90_err_K, tc_50_err_K, tc_10_err_K, tc_zero_err_K : their 1σ errors (module docstring,
        "Uncertainties"); None where the temperature is None.
    r_normal_ohm : R_n at the onset (at the top of the normal window for a metallic or flat curve without a
        transition); never ≤ 0: None, with ``r_normal_note`` saying why, for a semiconducting curve without a
        transition (no normal state in the sense of R_n) or a normal-state line that extrapolates to ≤ 0.
    r_normal_err_ohm : 1σ error of r_normal_ohm from the normal-state line fit.
    normal_slope_ohm_per_K, normal_intercept_ohm, normal_window_K, normal_n_points, normal_rms_ohm : the
        normal-state line R_n(T) = intercept + slope·T and its fit.
    tangent_slope_ohm_per_K, tangent_point_K, tangent_point_ohm : the steepest tangent used for the onset.
    zero_threshold_ohm, noise_ohm : the threshold used for tc_zero and the noise σ estimated.
    transitions : every step found, highest temperature first.
    normal_state_semiconducting : dR/dT < 0 over most of the normal state (see :func:`is_semiconducting`).
    """

    superconducting: bool
    tc_onset_K: float | None
    tc_90_K: float | None
    tc_50_K: float | None
    tc_10_K: float | None
    tc_zero_K: float | None
    r_normal_ohm: float | None
    normal_slope_ohm_per_K: float | None
    normal_intercept_ohm: float | None
    normal_window_K: tuple[float, float] | None
    normal_n_points: int
    normal_rms_ohm: float | None
    tangent_slope_ohm_per_K: float | None
    tangent_point_K: float | None
    tangent_point_ohm: float | None
    zero_threshold_ohm: float | None
    noise_ohm: float | None
    transitions: tuple[Transition, ...]
    normal_state_semiconducting: bool
    smooth_K: float
    n_points: int
    t_range_K: tuple[float, float]
    field_T: float | None
    source: str
    reason: str | None = None
    parameters: dict = field(default_factory=dict)
    tc_onset_err_K: float | None = None
    tc_90_err_K: float | None = None
    tc_50_err_K: float | None = None
    tc_10_err_K: float | None = None
    tc_zero_err_K: float | None = None
    r_normal_err_ohm: float | None = None
    r_normal_note: str | None = None

    @property
    def width_90_10_K(self) -> float | None:
        if self.tc_90_K is None or self.tc_10_K is None:
            return None
        return self.tc_90_K - self.tc_10_K

    @property
    def width_90_10_err_K(self) -> float | None:
        """1σ error of the 10–90 % width (the two crossings' errors in quadrature)."""
        if self.tc_90_err_K is None or self.tc_10_err_K is None:
            return None
        return float(np.hypot(self.tc_90_err_K, self.tc_10_err_K))

    def tc_err_K(self, criterion: str) -> float | None:
        """1σ error of the Tc of ``criterion`` ("onset", "90", "50", "10", "zero")."""
        key = {"onset": "tc_onset_err_K", "zero": "tc_zero_err_K"}.get(criterion, f"tc_{criterion}_err_K")
        if not hasattr(self, key):
            raise InputError(f"unknown Tc criterion {criterion!r}; choose onset, 90, 50, 10 or zero",
                             field="criterion")
        return getattr(self, key)

    def r_normal_at(self, temperature_K) -> np.ndarray | float | None:
        """R_n(T) of the normal-state line."""
        if self.normal_slope_ohm_per_K is None:
            return None
        t = np.asarray(temperature_K, dtype=float)
        out = self.normal_intercept_ohm + self.normal_slope_ohm_per_K * t
        return float(out) if out.ndim == 0 else out

    def to_dict(self) -> dict:
        return {
            "superconducting": self.superconducting,
            "tc_onset_K": self.tc_onset_K,
            "tc_90_K": self.tc_90_K,
            "tc_50_K": self.tc_50_K,
            "tc_10_K": self.tc_10_K,
            "tc_zero_K": self.tc_zero_K,
            "tc_onset_err_K": self.tc_onset_err_K,
            "tc_90_err_K": self.tc_90_err_K,
            "tc_50_err_K": self.tc_50_err_K,
            "tc_10_err_K": self.tc_10_err_K,
            "tc_zero_err_K": self.tc_zero_err_K,
            "width_90_10_K": self.width_90_10_K,
            "width_90_10_err_K": self.width_90_10_err_K,
            "r_normal_ohm": self.r_normal_ohm,
            "r_normal_err_ohm": self.r_normal_err_ohm,
            "r_normal_note": self.r_normal_note,
            "normal_slope_ohm_per_K": self.normal_slope_ohm_per_K,
            "normal_intercept_ohm": self.normal_intercept_ohm,
            "normal_window_K": None if self.normal_window_K is None else list(self.normal_window_K),
            "normal_n_points": self.normal_n_points,
            "normal_rms_ohm": self.normal_rms_ohm,
            "tangent_slope_ohm_per_K": self.tangent_slope_ohm_per_K,
            "tangent_point_K": self.tangent_point_K,
            "tangent_point_ohm": self.tangent_point_ohm,
            "zero_threshold_ohm": self.zero_threshold_ohm,
            "noise_ohm": self.noise_ohm,
            "n_transitions": len(self.transitions),
            "transitions": [t.to_dict() for t in self.transitions],
            "normal_state_semiconducting": self.normal_state_semiconducting,
            "smooth_K": self.smooth_K,
            "n_points": self.n_points,
            "t_range_K": list(self.t_range_K),
            "field_T": self.field_T,
            "source": self.source,
            "reason": self.reason,
            "parameters": dict(self.parameters),
            "hpglass_version": _version(),
        }


# ---------------------------------------------------------------------------------------------------------------
# preparation and smoothing
# ---------------------------------------------------------------------------------------------------------------
def _prepare(curve) -> tuple[np.ndarray, np.ndarray, str, float | None, float]:
    if isinstance(curve, RCurve):
        if curve.x != "T":
            raise InputError("Tc needs an R(T) curve; this one is swept in field (x='H')", source=curve.source,
                             field="x")
        t, r = np.asarray(curve.temperature_K, float), np.asarray(curve.resistance_ohm, float)
        source, fld = curve.source, curve.mean_field_T
    else:
        try:
            t_in, r_in = curve
        except (TypeError, ValueError) as exc:
            raise InputError("give an RCurve or a (temperature_K, resistance_ohm) pair", field="curve") from exc
        t, r = np.asarray(t_in, dtype=float), np.asarray(r_in, dtype=float)
        source, fld = "<arrays>", None
        if t.ndim != 1 or r.shape != t.shape:
            raise InputError(f"temperature and resistance must be 1D of equal length ({t.shape}, {r.shape})",
                             source=source, field="temperature_K")
    check_plausible(t, r, source=source)
    m = np.isfinite(t) & np.isfinite(r)
    t, r = t[m], r[m]
    t_noise = _thermometer_noise(t)
    # sort; average points at identical temperature (up and down sweeps merged)
    tu, inv = np.unique(t, return_inverse=True)
    if tu.size < t.size:
        r = np.bincount(inv, weights=r) / np.bincount(inv)
        t = tu
    else:
        order = np.argsort(t)
        t, r = t[order], r[order]
    if t.size < MIN_POINTS:
        raise InputError(f"R(T) needs at least {MIN_POINTS} distinct finite points (got {t.size})",
                         source=source, field="temperature_K")
    return t, r, source, fld, t_noise


def _thermometer_noise(t: np.ndarray) -> float:
    """Scatter σ_T of the recorded temperatures: robust σ of their second differences in acquisition order
    (var(Δ²T) = 6σ_T² on a smooth sweep; reversals and rate changes are rare and do not move the median)."""
    if t.size < 8:
        return 0.0
    d2 = np.diff(t, 2)
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6.0))


class _Smoothed:
    """Uniform grid, smoothed R and dR/dT (cubic Savitzky–Golay) and the noise σ of that dR/dT."""

    def __init__(self, t: np.ndarray, r: np.ndarray, window_pts: int, grid: np.ndarray) -> None:
        self.grid = grid
        self.t, self.r_raw = t, r
        self.dt = float(grid[1] - grid[0])
        rg = np.interp(grid, t, r)
        n = grid.size
        wl = int(window_pts) | 1
        wl = max(5, min(wl, n if n % 2 else n - 1))
        self.window_pts = wl
        self.r = savgol_filter(rg, wl, 3)
        self.d = savgol_filter(rg, wl, 3, deriv=1, delta=self.dt)
        # white noise σ_R of the points (robust, from second differences: var(Δ²R) = 6σ²) carried through the
        # derivative filter: σ_d = σ_R ‖h‖₂
        d2 = np.diff(r, 2)
        sigma_r = 1.4826 * float(np.median(np.abs(d2 - np.median(d2)))) / np.sqrt(6.0) if d2.size else 0.0
        self.sigma_r = sigma_r
        self.sigma_d = sigma_r * float(np.linalg.norm(savgol_coeffs(wl, 3, deriv=1, delta=self.dt)))


def _grid(t: np.ndarray) -> np.ndarray:
    dt = float(np.median(np.diff(t)))
    span = float(t[-1] - t[0])
    if dt <= 0 or not np.isfinite(dt):
        dt = span / (t.size - 1)
    n = int(np.floor(span / dt)) + 1
    n = min(n, MAX_GRID)
    n = max(n, MIN_POINTS)
    return np.linspace(t[0], t[-1], n)


# ---------------------------------------------------------------------------------------------------------------
# step detection
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class _Step:
    ipk: int  # grid index of the dR/dT maximum
    il: int  # region on the grid: dR/dT above the level on both sides
    ir: int
    base: float  # the dR/dT level the step stands on
    height: float  # ΔR (area above the level)


#: a dR/dT maximum must stand this many noise σ above its surroundings (scipy prominence)
_PROMINENCE_SIGMAS = 6.0
#: … and its ΔR must exceed this many point-noise σ_R
_NOISE_STEP_SIGMAS = 10.0


def _steps(s: _Smoothed) -> list[_Step]:
    """All significant local maxima of dR/dT with their regions and areas (no step-size threshold applied).

    Each maximum's level is the larger of the median dR/dT just outside its half-maximum width on either side
    (two to four FWHM away; the normal-state slope above, ≈ 0 on the zero plateau below) and 0; its region is the
    contiguous run where dR/dT exceeds that level and its height the area above the level.
    """
    d = s.d
    n = d.size
    # pad the low-T end so that a step cut off by the lowest temperature still shows as a maximum
    dpad = np.concatenate([[min(d.min(), 0.0) - abs(d).max() * 1e-9 - s.sigma_d * 10], d])
    floor = max(_PROMINENCE_SIGMAS * s.sigma_d, 1e-9 * float(np.max(np.abs(d))))
    pk, _ = find_peaks(dpad, prominence=floor)
    if pk.size == 0:
        return []
    pk = pk[dpad[pk] > 0]
    if pk.size == 0:
        return []
    _, _, lips, rips = peak_widths(dpad, pk, rel_height=0.5)
    pk, lips, rips = pk - 1, lips - 1, rips - 1
    # neighbouring maxima share the dR/dT minimum between them as a boundary
    cuts = [int(a + np.argmin(d[a : b + 1])) for a, b in itertools.pairwise(pk)]
    lo_lims = [0, *cuts]
    hi_lims = [*cuts, n - 1]
    out = []
    for p, li, ri, lo_lim, hi_lim in zip(pk, lips, rips, lo_lims, hi_lims, strict=True):
        fw = max(ri - li, 2.0)
        span = max(2.0 * fw, 5.0)
        levels = [0.0]
        # side windows 2–4 FWHM beyond the half-maximum points (a tanh step's dR/dT has fallen below 0.1 % of its
        # maximum there), clipped at the boundary with the neighbouring maximum; a side counts when ≥ 5 points remain
        a0, a1 = max(int(np.floor(li - 2 * fw - span)), lo_lim), int(np.floor(li - 2 * fw))
        left = a1 - a0 >= 4
        if left:
            levels.append(float(np.median(d[a0 : a1 + 1])))
        b0, b1 = int(np.ceil(ri + 2 * fw)), min(int(np.ceil(ri + 2 * fw + span)), hi_lim)
        right = b1 - b0 >= 4
        if right:
            levels.append(float(np.median(d[b0 : b1 + 1])))
        if not (left or right):
            if lo_lim == 0 and hi_lim == n - 1:
                # no background on either side: a bump as wide as the curve, not a step
                continue
            # hemmed in by neighbours: the background is the lower of the boundary minima with them
            levels.append(float(min(d[i] for i in (lo_lim, hi_lim) if 0 < i < n - 1)))
        elif not right and hi_lim == n - 1 and ri < n - 1:
            # the data end before a full window above: the slope at the last point stands for the normal state
            levels.append(float(d[n - 1]))
        lev = max(levels)
        if d[p] < 2.0 * lev:  # a step's dR/dT stands well above the background it sits on
            continue
        il = p
        while il > lo_lim and d[il - 1] > lev:
            il -= 1
        ir = p
        while ir < hi_lim and d[ir + 1] > lev:
            ir += 1
        out.append(_Step(int(p), int(il), int(ir), lev, 0.0))
    return out


def _area(s: _Smoothed, il: int, ir: int, base: float) -> float:
    if ir <= il:
        return 0.0
    return float(np.trapezoid(np.clip(s.d[il : ir + 1] - base, 0, None)) * s.dt)


def _select(s: _Smoothed, min_step: float) -> list[_Step]:
    """Steps whose area ≥ min_step × R_ref, regions split between neighbours; sorted by temperature (low first).

    R_ref is the smoothed R just above the largest step (the largest ΔR of all dR/dT maxima): the normal state
    of the main transition. Relative to it, noise maxima on the zero plateau or in a metallic / semiconducting
    normal state are tiny.
    """
    cands = _steps(s)
    if not cands:
        return []
    for c in cands:
        c.height = _area(s, c.il, c.ir, c.base)
    # a step must also rise well above the point noise (a noise bump of dR/dT is worth a few σ_R of ΔR)
    floor = _NOISE_STEP_SIGMAS * s.sigma_r
    cands = [c for c in cands if c.height > floor and _raw_rise(s, c) >= 0.5 * c.height]
    if not cands:
        return []
    main = max(cands, key=lambda c: c.height)
    scale = _r_above(s, main)
    if scale <= 0:
        return []
    kept = [c for c in cands if c.height >= min_step * scale]
    kept.sort(key=lambda c: c.ipk)
    # split overlapping regions at the dR/dT minimum between neighbouring kept peaks, recompute the areas
    for a, b in itertools.pairwise(kept):
        seg = s.d[a.ipk : b.ipk + 1]
        cut = a.ipk + int(np.argmin(seg))
        a.ir = min(a.ir, cut)
        b.il = max(b.il, cut)
    for c in kept:
        c.height = _area(s, c.il, c.ir, c.base)
    return [c for c in kept if c.height >= max(min_step * scale, floor)]


def _fragment(s: _Smoothed, steps: list[_Step]) -> bool:
    """True when the largest step is only a piece of a wider one: the smoothed R keeps rising on either side of
    its region (1.5 region widths beyond it) by more than 1/0.35 ≈ 3 times its own height — what a dR/dT peak
    split by noise looks like (e.g. thermometer scatter on a densely sampled transition, which the noise estimate
    from the flat parts of the curve does not see)."""
    main = max(steps, key=lambda c: c.height)
    fw = max(main.ir - main.il, 2)
    i0 = max(int(np.floor(main.il - 1.5 * fw)), 0)
    i1 = min(int(np.ceil(main.ir + 1.5 * fw)), s.grid.size - 1)
    return bool(main.height < 0.35 * (s.r[i1] - s.r[i0]))


def _raw_rise(s: _Smoothed, c: _Step, k: int = 5) -> float:
    """R rise across a step in the measured points: mean of the k points above its region minus the k below
    (the lowest k when the region starts at the first point). Guards against smoothing artefacts on steep
    curves (a cubic filter rings on exp(T₀/T))."""
    t_lo, t_hi = s.grid[c.il], s.grid[c.ir]
    i_hi = int(np.searchsorted(s.t, t_hi, side="left"))
    i_lo = int(np.searchsorted(s.t, t_lo, side="right"))
    above = s.r_raw[i_hi : i_hi + k] if i_hi < s.t.size else s.r_raw[-k:]
    below = s.r_raw[max(i_lo - k, 0) : max(i_lo, 1)] if i_lo > 0 else s.r_raw[:k]
    return float(np.mean(above) - np.mean(below))


def _r_above(s: _Smoothed, c: _Step) -> float:
    """Largest smoothed R from the step's upper edge up to one region width above it."""
    i1 = int(np.ceil(min(c.ir, s.grid.size - 1)))
    span = max(int(np.ceil(c.ir - c.il)), 1)
    return float(np.max(s.r[i1 : min(i1 + span, s.grid.size - 1) + 1]))


def _crossing_down_grid(grid: np.ndarray, y: np.ndarray, level: float, i_hi: int, i_lo: int) -> float | None:
    """First crossing of y = level going down from index i_hi to i_lo (grid, linear interpolation)."""
    for i in range(i_hi, i_lo, -1):
        if y[i] >= level > y[i - 1]:
            f = (level - y[i - 1]) / (y[i] - y[i - 1])
            return float(grid[i - 1] + f * (grid[i] - grid[i - 1]))
    return None


def _describe(s: _Smoothed, c: _Step, rn_fn, t_noise: float = 0.0) -> Transition:
    i0 = int(np.floor(max(c.il, 0)))
    i1 = int(np.ceil(min(c.ir, s.grid.size - 1)))
    r_lo, r_hi = float(s.r[i0]), float(s.r[i1])
    levels = {f: r_lo + f * (r_hi - r_lo) for f in (0.1, 0.5, 0.9)}
    cross = {f: _crossing_down_grid(s.grid, s.r, lv, i1, i0) for f, lv in levels.items()}
    i = c.ipk
    tpk = float(s.grid[i])
    if 0 < i < s.grid.size - 1:
        den = s.d[i - 1] - 2 * s.d[i] + s.d[i + 1]
        if den < 0:
            tpk += 0.5 * (s.d[i - 1] - s.d[i + 1]) / den * s.dt
    tmid = cross[0.5] if cross[0.5] is not None else tpk
    width = None if cross[0.9] is None or cross[0.1] is None else cross[0.9] - cross[0.1]
    rn = rn_fn(tmid)
    t_lo = float(np.interp(max(c.il, 0), np.arange(s.grid.size), s.grid))
    t_hi = float(np.interp(min(c.ir, s.grid.size - 1), np.arange(s.grid.size), s.grid))
    # errors: the smoothed curve's noise σ_R‖h₀‖ through the slope at the midpoint, the grid's resolution and the
    # thermometer scatter; the step's two ends and its base level (a median of ≥ 5 derivative values)
    sig_s = s.sigma_r * float(np.linalg.norm(savgol_coeffs(s.window_pts, 3)))
    slope_mid = float(np.interp(tmid, s.grid, s.d))
    noise_mid = sig_s / slope_mid if slope_mid > 0 else s.dt
    mid_err = float(np.sqrt(noise_mid**2 + s.dt**2 / 12 + t_noise**2))
    step_err = float(np.hypot(np.sqrt(2.0) * sig_s, s.sigma_d * (t_hi - t_lo) / np.sqrt(5.0)))
    return Transition(
        t_mid_K=float(tmid), t_max_slope_K=float(tpk), width_K=None if width is None else float(width),
        t_lo_K=t_lo, t_hi_K=t_hi,
        step_ohm=c.height, step_fraction=float(c.height / rn) if rn > 0 else float("nan"),
        max_slope_ohm_per_K=float(s.d[i]), t_mid_err_K=mid_err,
        step_fraction_err=float(step_err / rn) if rn > 0 else None,
    )


def _fwhm_K(s: _Smoothed, c: _Step) -> float:
    w, _, _, _ = peak_widths(s.d, [c.ipk], rel_height=0.5)
    return float(w[0] * s.dt)


# ---------------------------------------------------------------------------------------------------------------
# raw-data measurements
# ---------------------------------------------------------------------------------------------------------------
def _crossing_down(t: np.ndarray, r: np.ndarray, level: np.ndarray, j0: int) -> tuple[float, int, float] | None:
    """Highest-T crossing of R through level(T) going down, among points 0 … j0 (linear interpolation).

    Returns (T, i, u): the crossing lies between points i and i + 1 at the fraction u of that step."""
    g = r - level
    below = g < 0
    for i in range(min(j0, t.size - 1) - 1, -1, -1):
        if below[i] and not below[i + 1]:
            f = g[i] / (g[i] - g[i + 1])
            return float(t[i] + f * (t[i + 1] - t[i])), i, float(f)
    return None


def _line(t: np.ndarray, r: np.ndarray) -> tuple[float, float, float]:
    """(intercept, slope, rms) of the least-squares line; a constant for < 2 distinct T."""
    if t.size >= 2 and np.ptp(t) > 0:
        b, a = np.polyfit(t, r, 1)
        rms = float(np.sqrt(np.mean((r - a - b * t) ** 2)))
        return float(a), float(b), rms
    return float(np.mean(r)), 0.0, 0.0


class _LineErr:
    """Variance of the normal-state line R_n(T) = a + b·T at any T: the least-squares variance (σ = max(point
    noise, unbiased rms of the residuals)) plus, when ``curv`` (t, r) is given, the square of the difference
    between a quadratic through those points and the line — the extrapolation error of a straight line through a
    curved normal state."""

    def __init__(self, t: np.ndarray, r: np.ndarray, a: float, b: float, sigma_r: float,
                 curv: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.a, self.b = a, b
        self.quad = None
        if curv is not None and curv[0].size >= 6 and np.ptp(curv[0]) > 0:
            tq, rq = curv
            c0, sc = float(tq.mean()), float(np.ptp(tq))
            self.quad = (np.polyfit((tq - c0) / sc, rq, 2), c0, sc)
        n = t.size
        res = r - a - b * t
        s2 = float(res @ res) / (n - 2) if n > 2 else 0.0
        self.s2 = max(s2, sigma_r**2)
        self.n = n
        self.tm = float(np.mean(t)) if n else 0.0
        self.sxx = float(np.sum((t - self.tm) ** 2)) if n else 0.0
        # covariance of (a, b)
        if n >= 2 and self.sxx > 0:
            vb = self.s2 / self.sxx
            cab = -self.tm * vb
            va = self.s2 / n + self.tm**2 * vb
            self.cov = np.array([[va, cab], [cab, vb]])
        else:
            self.cov = np.array([[self.s2 / max(n, 1), 0.0], [0.0, 0.0]])

    def curvature(self, tt: float) -> float:
        """Quadratic minus line at tt (0 without the quadratic)."""
        if self.quad is None:
            return 0.0
        q, c0, sc = self.quad
        return float(np.polyval(q, (tt - c0) / sc) - self.a - self.b * tt)

    def var(self, tt: float) -> float:
        v = np.array([1.0, tt])
        return float(v @ self.cov @ v) + self.curvature(tt) ** 2


def _local_fit(t: np.ndarray, g: np.ndarray, i: int, m: int = 4):
    """Polynomial (cubic with ≥ 7 points, else quadratic/line) through points i − m … i + 1 + m of g(T).

    Returns (poly in x = (T − t_c)/sc, t_c, sc, residual σ) or None."""
    lo, hi = max(i - m, 0), min(i + 1 + m, t.size - 1)
    tt, gg = t[lo : hi + 1], g[lo : hi + 1]
    if tt.size < 2:
        return None
    deg = 3 if tt.size >= 7 else 2 if tt.size >= 5 else 1
    tc, sc = float(tt.mean()), max(float(np.ptp(tt)), 1e-12)
    x = (tt - tc) / sc
    p = np.polyfit(x, gg, deg)
    dof = tt.size - deg - 1
    res = gg - np.polyval(p, x)
    s = float(np.sqrt(res @ res / dof)) if dof > 0 else 0.0
    return p, tc, sc, s


def _crossing_err(t: np.ndarray, r: np.ndarray, f: float, i: int, u: float, a_n: float, b_n: float,
                  line: _LineErr, sigma_r: float, width: float, t_noise: float) -> float:
    """1σ error of the f-crossing between points i and i + 1 (module docstring, "Uncertainties")."""
    g = r - f * (a_n + b_n * t)
    dt = float(t[i + 1] - t[i])
    tf = float(t[i] + u * dt)
    slope = (g[i + 1] - g[i]) / dt
    s_loc = 0.0
    loc = _local_fit(t, g, i)
    if loc is not None:
        p, tc, sc, s_fit = loc
        if sc <= 1.5 * width:
            # the polynomial describes the transition: its residuals are the local scatter (R noise and the
            # thermometer's scatter times the steep slope), its secant the slope the interpolation uses
            s_loc = s_fit
            sec = (np.polyval(p, (t[i + 1] - tc) / sc) - np.polyval(p, (t[i] - tc) / sc)) / dt
            if sec > 0:
                slope = sec
    if not slope > 0:
        return float(dt)
    w2 = (1.0 - u) ** 2 + u**2
    # temperature scatter: from the T column, or the local excess scatter of R over its noise, seen through the slope
    s_t = max(t_noise, np.sqrt(max(s_loc**2 - sigma_r**2, 0.0)) / slope)
    var = (sigma_r**2 * w2 + f**2 * line.var(tf)) / slope**2 + s_t**2 * w2
    sig_eff = np.hypot(sigma_r, s_t * slope)
    interp2 = _interp_err2(t, g, i, u, sig_eff, slope)
    if dt > 0.25 * width:
        # fewer than ~4 points across the 10–90 % width: no four-point cubic follows the step either, so the
        # resolution of the point spacing (Δt/√12) bounds the interpolation error from below
        interp2 = max(interp2, dt**2 / 12.0)
    return float(np.sqrt(var + interp2))


def _interp_err2(t: np.ndarray, g: np.ndarray, i: int, u: float, sig: float, slope: float) -> float:
    """Squared error of linear interpolation: its crossing minus that of the cubic through the four nearest
    points (Richardson-like), less the part of that difference the point noise explains."""
    dt = float(t[i + 1] - t[i])
    if i < 1 or i + 2 >= t.size:
        return dt**2 / 12.0
    tt = t[i - 1 : i + 3] - (t[i] + u * dt)
    gg = g[i - 1 : i + 3]
    try:
        c = np.polyfit(tt, gg, 3)
    except (np.linalg.LinAlgError, ValueError):
        return dt**2 / 12.0
    roots = np.roots(c)
    roots = roots[np.abs(roots.imag) < 1e-12].real
    roots = roots[(roots >= tt[1] - 1e-12) & (roots <= tt[2] + 1e-12)]
    if roots.size == 0:
        return dt**2 / 12.0
    x = float(roots[np.argmin(np.abs(roots))])
    # Lagrange weights of the four points at x, against the linear weights at the crossing
    lag = np.array([np.prod([(x - tt[k]) / (tt[j] - tt[k]) for k in range(4) if k != j]) for j in range(4)])
    lin = np.array([0.0, 1.0 - u, u, 0.0])
    var_diff = sig**2 * float(np.sum((lag - lin) ** 2)) / slope**2
    return max(x**2 - var_diff, 0.0)


def _noise(t: np.ndarray, r: np.ndarray) -> float | None:
    """σ about a straight line, robust (1.4826 × MAD of the residuals)."""
    if t.size < 8:
        return None
    a, b, _ = _line(t, r)
    res = r - a - b * t
    return float(1.4826 * np.median(np.abs(res - np.median(res))))


@dataclass(frozen=True)
class _TangentFit:
    """The polynomial P(x), x = (T − c0)/sc, whose slope at xs is the steepest tangent (for its error)."""

    p: np.ndarray | None  # coefficients, highest power first; None for the single-point secant
    cov_unscaled: np.ndarray | None
    c0: float
    sc: float
    xs: float
    resid_var: float
    half_step: float  # half the local point spacing (the secant's resolution)
    alt: tuple[float, float, float] | None = None  # (T*, R*, slope) of a quintic through the same points


def _tangent(t, r, rn_fn, r_lo: float, t_lo: float, t_hi: float, t_peak: float
             ) -> tuple[float, float, float, _TangentFit] | None:
    """(T*, R*, slope, fit) of the steepest tangent: cubic through the points in the 20–80 % band of the top step."""
    m = (t >= t_lo) & (t <= t_hi)
    tt, rr = t[m], r[m]
    if tt.size < 2:
        return None
    frac = (rr - r_lo) / (rn_fn(tt) - r_lo)
    # the contiguous run of band points around the steepest point
    inband = (frac >= _BAND[0]) & (frac <= _BAND[1])
    if not np.any(inband):
        return None
    ipk = int(np.argmin(np.abs(tt - t_peak)))
    idx = np.flatnonzero(inband)
    start = idx[np.argmin(np.abs(idx - ipk))]
    lo = hi = start
    while lo - 1 >= 0 and inband[lo - 1]:
        lo -= 1
    while hi + 1 < tt.size and inband[hi + 1]:
        hi += 1
    tb, rb = tt[lo : hi + 1], rr[lo : hi + 1]
    if tb.size >= 2:
        deg = 3 if tb.size >= 6 else 1
        c0, sc = float(tb.mean()), max(float(np.ptp(tb)), 1e-12)
        x = (tb - c0) / sc
        A = np.vander(x, deg + 1)
        p = np.linalg.lstsq(A, rb, rcond=None)[0]
        res = rb - A @ p
        dof = tb.size - deg - 1
        rv = float(res @ res / dof) if dof > 0 else 0.0
        cov_u = np.linalg.pinv(A.T @ A)
        if deg == 3:
            dp = np.polyder(p)
            cands = [x.min(), x.max(), float((t_peak - c0) / sc)]
            if p[0] != 0:
                xv = -p[1] / (3 * p[0])
                if x.min() <= xv <= x.max():
                    cands.append(float(xv))
            cands = [v for v in cands if x.min() <= v <= x.max()]
            xs = float(max(cands, key=lambda v: np.polyval(dp, v)))
        else:
            xs = 0.0
        alt = None
        if deg == 3 and tb.size >= 9:
            # the same construction with a quintic: the cubic's shape error (its maximum slope is 0.6 % low on a
            # tanh step, more on an asymmetric one) shows as the difference
            p5 = np.polyfit(x, rb, 5)
            xx = np.linspace(x.min(), x.max(), 201)
            d5 = np.polyval(np.polyder(p5), xx)
            k5 = int(np.argmax(d5))
            alt = (float(c0 + xx[k5] * sc), float(np.polyval(p5, xx[k5])), float(d5[k5] / sc))
        fit = _TangentFit(p, cov_u, c0, sc, xs, rv, 0.5 * float(np.median(np.diff(tb))), alt)
        return (float(c0 + xs * sc), float(np.polyval(p, xs)), float(np.polyval(np.polyder(p), xs) / sc), fit)
    # a single band point: the secant through the neighbours on either side
    j = lo
    j0, j1 = max(j - 1, 0), min(j + 1, tt.size - 1)
    if tt[j1] == tt[j0]:
        return None
    slope = (rr[j1] - rr[j0]) / (tt[j1] - tt[j0])
    fit = _TangentFit(None, None, float(tt[j]), 1.0, 0.0, 0.0, 0.5 * float(tt[j1] - tt[j0]))
    return float(tt[j]), float(rr[j]), float(slope), fit


def _onset_of(fit: _TangentFit, p: np.ndarray, a_n: float, b_n: float) -> float:
    ts = fit.c0 + fit.xs * fit.sc
    rs = float(np.polyval(p, fit.xs))
    m = float(np.polyval(np.polyder(p), fit.xs)) / fit.sc
    return ts + (a_n + b_n * ts - rs) / (m - b_n)


def _onset_err(fit: _TangentFit, onset: float, slope: float, a_n: float, b_n: float, line: _LineErr,
               sigma_r: float) -> float:
    """1σ error of the onset: the tangent polynomial's and the normal line's covariances propagated to first
    order (the tangent point held at the polynomial's steepest point, where the slope is stationary)."""
    if fit.p is None:  # secant through two neighbours: half their spacing, the resolution of the construction
        return float(fit.half_step)
    s2 = max(fit.resid_var, sigma_r**2)
    k = fit.p.size
    cov = np.zeros((k + 2, k + 2))
    cov[:k, :k] = fit.cov_unscaled * s2
    cov[k:, k:] = line.cov
    x0 = np.concatenate([fit.p, [a_n, b_n]])
    grad = np.zeros(k + 2)
    for j in range(k + 2):
        h = 1e-6 * max(abs(x0[j]), 1e-6 * max(abs(float(np.max(np.abs(fit.p)))), 1e-12))
        xp, xm = x0.copy(), x0.copy()
        xp[j] += h
        xm[j] -= h
        grad[j] = (_onset_of(fit, xp[:k], xp[k], xp[k + 1]) - _onset_of(fit, xm[:k], xm[k], xm[k + 1])) / (2 * h)
    var = float(grad @ cov @ grad)
    # a curved normal state: the line's extrapolation error at the onset moves the intersection
    var += (line.curvature(onset) / (slope - b_n)) ** 2
    if fit.alt is not None and fit.alt[2] > b_n:
        ts5, rs5, m5 = fit.alt
        var += (ts5 + (a_n + b_n * ts5 - rs5) / (m5 - b_n) - onset) ** 2
    if fit.p.size == 2:
        # a straight line through < 6 band points is a secant: its slope can fall well short of the steepest
        # tangent; the resolution of the band's point spacing Δ (Δ/√12) stands for that limit
        var += fit.half_step**2 / 3.0
    return float(np.sqrt(max(var, 0.0)))


def _analyse(curve, normal_window, zero_threshold, smooth, min_step):
    t, r, source, fld, t_noise = _prepare(curve)
    grid = _grid(t)
    dt = float(grid[1] - grid[0])
    if smooth is not None:
        if not np.isfinite(smooth) or smooth < 0:
            raise InputError(f"smooth must be a window in K ≥ 0 (got {smooth})", field="smooth")
        s = _Smoothed(t, r, round(smooth / dt), grid)
    else:
        # first pass: the narrowest window that finds a step (noisy or broad transitions need wider ones)
        first = None
        for wp in _PASS1_WINDOWS:
            if wp > max(grid.size * _PASS1_MAX_FRACTION, _PASS1_WINDOWS[0]):
                break
            s = _Smoothed(t, r, wp, grid)
            steps = _select(s, min_step)
            if steps:
                if first is None:
                    first = (s, steps)
                if not _fragment(s, steps):
                    break
        if first is not None and (not steps or _fragment(s, steps)):
            s, steps = first  # every window gave a fragment: the narrowest window's steps
        if steps:
            main = max(steps, key=lambda c: c.height)
            win = round(_WINDOW_PER_FWHM * _fwhm_K(s, main) / dt)
            s2 = _Smoothed(t, r, max(win, s.window_pts), grid)
            steps2 = _select(s2, min_step)
            if steps2:
                s, steps = s2, steps2
        return t, r, source, fld, s, steps, t_noise
    steps = _select(s, min_step)
    return t, r, source, fld, s, steps, t_noise


# ---------------------------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------------------------
def find_tc(
    curve,
    *,
    normal_window: tuple[float, float] | None = None,
    zero_threshold: float | None = None,
    smooth: float | None = None,
    min_step: float = 0.1,
) -> TcResult:
    """Tc by onset, 90/50/10 % of R_n and zero resistance; every step of R(T) (module docstring).

    Parameters
    ----------
    curve : :class:`~hpglass.transport.curve.RCurve` or a (temperature_K, resistance_ohm) pair of arrays.
    normal_window : (T₁, T₂) in K for the normal-state line; default above the top transition (docstring).
    zero_threshold : resistance (Ω) below which R counts as zero; default max(3σ_noise, 10⁻³ R_n).
    smooth : Savitzky–Golay window in K for detection and derivatives; None = automatic.
    min_step : smallest step, as a fraction of R_n, that counts as a transition.

    Returns a :class:`TcResult`; a curve without a transition gives ``superconducting=False`` (not an error).
    Raises InputError for unusable input (fewer than 10 finite points, an empty normal window, …).
    """
    if not (0 < min_step < 1):
        raise InputError(f"min_step must be in (0, 1) (got {min_step})", field="min_step")
    if zero_threshold is not None and not (np.isfinite(zero_threshold) and zero_threshold > 0):
        raise InputError(f"zero_threshold must be > 0 Ω (got {zero_threshold})", field="zero_threshold")
    if normal_window is not None:
        try:
            w1, w2 = (float(v) for v in normal_window)
        except (TypeError, ValueError) as exc:
            raise InputError("normal_window must be a pair (T1, T2) in K", field="normal_window") from exc
        if not w2 > w1:
            raise InputError(f"normal_window must have T2 > T1 (got {normal_window})", field="normal_window")
    t, r, source, fld, s, steps, t_noise = _analyse(curve, normal_window, zero_threshold, smooth, min_step)
    params = {"normal_window": None if normal_window is None else [float(v) for v in normal_window],
              "zero_threshold": zero_threshold, "smooth": smooth, "min_step": min_step,
              "window_points": s.window_pts}
    common = {"smooth_K": float(s.window_pts * s.dt), "n_points": int(t.size),
                  "t_range_K": (float(t[0]), float(t[-1])), "field_T": fld, "source": source, "parameters": params}
    semi = _semiconducting(t, r, s, steps)

    def no_transition(reason: str, window=None) -> TcResult:
        if window is None:
            m = np.ones(t.size, bool)
        else:
            m = (t >= window[0]) & (t <= window[1])
        a, b, rms = _line(t[m], r[m])
        rn_top = float(a + b * t[m].max())
        rn_val, rn_err, rn_note = rn_top, None, None
        if semi:
            rn_val, rn_note = None, ("semiconducting curve (R rises on cooling) without a superconducting "
                                     "transition: it has no normal-state resistance in the sense of R_n")
        elif not rn_top > 0:
            rn_val, rn_note = None, (f"the line through the normal-state points extrapolates to {rn_top:.4g} Ω "
                                     f"≤ 0 at {float(t[m].max()):.4g} K: no normal-state resistance")
        else:
            rn_err = float(np.sqrt(_LineErr(t[m], r[m], a, b, s.sigma_r).var(float(t[m].max()))))
        return TcResult(False, None, None, None, None, None, rn_val, b, a,
                        (float(t[m].min()), float(t[m].max())), int(m.sum()), rms, None, None, None, None,
                        _noise(t[m], r[m]), (), semi, reason=reason, r_normal_err_ohm=rn_err,
                        r_normal_note=rn_note, **common)

    if not steps:
        return no_transition(f"no step in R(T) of at least {min_step:g} R_n", normal_window)

    top = steps[-1]
    top_desc = _describe(s, top, lambda _t: 1.0)
    wid = top_desc.width_K if top_desc.width_K and top_desc.width_K > 0 else 1.25 * _fwhm_K(s, top)
    wid = max(wid, s.dt)
    t_pk = top_desc.t_max_slope_K
    med_dt = float(np.median(np.diff(t)))
    # ---- normal state
    if normal_window is not None:
        nw = (float(normal_window[0]), float(normal_window[1]))
        m = (t >= nw[0]) & (t <= nw[1])
        if m.sum() < 2:
            raise InputError(f"normal_window {nw} holds {int(m.sum())} points; need ≥ 2", source=source,
                             field="normal_window")
    else:
        t1 = t_pk + 2.0 * wid
        t2 = t1 + max(4.0 * wid, 10 * med_dt)
        m = (t >= t1) & (t <= t2)
        if m.sum() < 5:
            m = t >= t1
        if m.sum() < 5:  # little data above the transition: the points above the step's upper edge
            m = t >= max(t_pk + wid, top_desc.t_hi_K)
        if m.sum() < 2:
            m = np.zeros(t.size, bool)
            m[-min(3, t.size) :] = True
        nw = (float(t[m].min()), float(t[m].max()))
    a_n, b_n, rms_n = _line(t[m], r[m])
    n_norm = int(m.sum())
    # curvature of the normal state: a quadratic over the window and up to twice its length beyond it
    span = nw[1] - nw[0]
    mq = (t >= nw[0]) & (t <= nw[1] + (2.0 * span if normal_window is None else 0.0))
    line_err = _LineErr(t[m], r[m], a_n, b_n, s.sigma_r, (t[mq], r[mq]))

    def rn_fn(tt):
        return a_n + b_n * np.asarray(tt, dtype=float)

    if float(rn_fn(t_pk)) <= 0:
        return no_transition("the normal-state line is ≤ 0 at the transition", nw)
    # final filter relative to R_n
    steps = [c for c in steps if c.height >= min_step * float(rn_fn(s.grid[c.ipk]))]
    if not steps:
        return no_transition(f"no step of at least {min_step:g} R_n below the normal state", nw)
    if steps[-1] is not top:  # the top candidate failed against R_n: the next one down is the top
        top = steps[-1]
        top_desc = _describe(s, top, rn_fn)
        t_pk = top_desc.t_max_slope_K
    transitions = tuple(_describe(s, c, rn_fn, t_noise) for c in reversed(steps))

    # ---- onset: steepest tangent of the top step ∩ normal line
    i_lo = int(np.floor(max(top.il, 0)))
    r_lo_top = float(s.r[i_lo])
    tan = _tangent(t, r, rn_fn, r_lo_top, float(s.grid[i_lo]), nw[0], t_pk)
    onset = onset_err = None
    if tan is not None:
        t_star, r_star, slope, tfit = tan
        if slope > b_n:
            onset = (r_star - slope * t_star - a_n) / (b_n - slope)
            onset = float(onset)
            onset_err = _onset_err(tfit, onset, slope, a_n, b_n, line_err, s.sigma_r)
    t_ref = onset if onset is not None else t_pk
    r_n: float | None = float(rn_fn(t_ref))
    r_n_err: float | None = float(np.sqrt(line_err.var(t_ref)))
    r_n_note = None
    if not r_n > 0:
        r_n_note = f"the normal-state line extrapolates to {r_n:.4g} Ω ≤ 0 at {t_ref:.4g} K"
        r_n = r_n_err = None

    # ---- 90 / 50 / 10 % crossings on the measured points, from the normal side
    j0 = int(np.searchsorted(t, nw[0], side="right")) - 1
    j0 = max(j0, int(np.searchsorted(t, t_pk)))
    lv = rn_fn(t)
    crossings = {}
    for f in (0.9, 0.5, 0.1):
        c = _crossing_down(t, r, f * lv, j0)
        crossings[f] = (None, None) if c is None else (
            c[0], _crossing_err(t, r, f, c[1], c[2], a_n, b_n, line_err, s.sigma_r, wid, t_noise))
    (tc90, e90), (tc50, e50), (tc10, e10) = crossings[0.9], crossings[0.5], crossings[0.1]

    # ---- noise, zero
    low = steps[0]
    t_low_edge = float(np.interp(max(low.il, 0), np.arange(s.grid.size), s.grid))
    low_desc = transitions[-1]
    margin = low_desc.width_K if low_desc.width_K else wid
    mp = t < t_low_edge - margin
    sigma = _noise(t[mp], r[mp])
    if sigma is None:
        sigma = _noise(t[m], r[m])
    if sigma is None:
        sigma = rms_n
    r_scale = r_n if r_n is not None else float(rn_fn(t_pk))
    thr = float(zero_threshold) if zero_threshold is not None else max(3.0 * sigma, 1e-3 * r_scale)
    tz = ez = None
    below = s.r < thr
    if below[0]:
        k = int(np.argmin(below)) if not np.all(below) else s.grid.size - 1
        if k > 0 and not below[k]:
            y0, y1 = s.r[k - 1], s.r[k]
            tz = float(s.grid[k - 1] + (thr - y0) / (y1 - y0) * s.dt)
            ez = _zero_err(s, t, r, thr, tz, t_noise)
        else:
            tz = float(s.grid[k])
            ez = float(s.dt)

    return TcResult(
        superconducting=True, tc_onset_K=onset, tc_90_K=tc90, tc_50_K=tc50, tc_10_K=tc10, tc_zero_K=tz,
        r_normal_ohm=r_n, normal_slope_ohm_per_K=b_n, normal_intercept_ohm=a_n, normal_window_K=nw,
        normal_n_points=n_norm, normal_rms_ohm=rms_n,
        tangent_slope_ohm_per_K=None if tan is None else tan[2],
        tangent_point_K=None if tan is None else tan[0], tangent_point_ohm=None if tan is None else tan[1],
        zero_threshold_ohm=thr, noise_ohm=float(sigma), transitions=transitions,
        normal_state_semiconducting=semi, tc_onset_err_K=onset_err, tc_90_err_K=e90, tc_50_err_K=e50,
        tc_10_err_K=e10, tc_zero_err_K=ez, r_normal_err_ohm=r_n_err, r_normal_note=r_n_note, **common,
    )


def _zero_err(s: _Smoothed, t: np.ndarray, r: np.ndarray, thr: float, tz: float, t_noise: float) -> float:
    """1σ error of T_zero: the smoothed curve's noise σ_R‖h₀‖ (h₀ the smoothing filter) over its slope there, the
    resolution of the measured points (local spacing/√12) and the thermometer scatter in quadrature, and the
    smoothing's own shift of the foot — the distance to the nearest place where the measured points themselves rise
    through the threshold (a filter wider than the transition, on coarse data, moves the foot)."""
    h0 = savgol_coeffs(s.window_pts, 3)
    sig_s = s.sigma_r * float(np.linalg.norm(h0))
    slope = float(np.interp(tz, s.grid, s.d))
    j = int(np.clip(np.searchsorted(t, tz), 1, t.size - 1))
    res = max(float(t[j] - t[j - 1]), s.dt) / np.sqrt(12.0)
    noise = sig_s / slope if slope > 0 else s.window_pts * s.dt / 2.0
    shift = 0.0
    up = np.flatnonzero((r[:-1] < thr) & (r[1:] >= thr))  # the points rise through the threshold between i, i + 1
    if up.size:
        cross = t[up] + (thr - r[up]) / (r[up + 1] - r[up]) * (t[up + 1] - t[up])
        shift = float(cross[np.argmin(np.abs(cross - tz))] - tz)
    return float(np.sqrt(noise**2 + res**2 + t_noise**2 + shift**2))


def _semiconducting(t, r, s: _Smoothed, steps: list[_Step], min_fraction: float = 0.5) -> bool:
    """dR/dT < 0 on more than ``min_fraction`` of the normal state and a significantly negative overall slope."""
    if steps:
        top = max(steps, key=lambda c: c.ipk)
        i_hi = int(np.ceil(min(top.ir, s.grid.size - 1)))
        t_cut = float(s.grid[i_hi])
    else:
        t_cut = float(t[0]) - 1.0
    m = t > t_cut
    g = s.grid > t_cut
    if m.sum() < 5 or g.sum() < 5:
        return False
    frac_neg = float(np.mean(s.d[g] < 0))
    tt, rr = t[m], r[m]
    x = tt - tt.mean()
    b = float(x @ (rr - rr.mean()) / (x @ x))
    res = rr - rr.mean() - b * x
    se = float(np.sqrt(res @ res / max(tt.size - 2, 1) / (x @ x)))
    return frac_neg > min_fraction and b < 0 and (se == 0 or b / se < -3.0)


def is_semiconducting(curve, *, min_fraction: float = 0.5, smooth: float | None = None) -> bool:
    """True when the normal state of R(T) (above any superconducting step) has dR/dT < 0 over more than
    ``min_fraction`` of its range and an overall slope that is negative by more than 3 standard errors
    (so a flat, noisy curve is not called semiconducting)."""
    if not 0 < min_fraction < 1:
        raise InputError(f"min_fraction must be in (0, 1) (got {min_fraction})", field="min_fraction")
    t, r, _, _, s, steps, _ = _analyse(curve, None, None, smooth, 0.1)
    return _semiconducting(t, r, s, steps, min_fraction)
