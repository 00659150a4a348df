"""Peak metrics of an amorphous material: principal S(q) peak, first sharp diffraction peak, r1 and CN.

Pure functions on arrays; results are small frozen dataclasses with ``to_dict()`` (unit-suffixed keys).
Units follow DESIGN.md: q in Å⁻¹, r in Å, number density in atoms/Å³.

What each function measures (the metrics of a high-pressure diffraction study such as Zhang et al.,
PRL 127, 127002 (2021) on a-Sb₂Se₃):

* :func:`fit_peak` — a pseudo-Voigt / Gaussian / Lorentzian peak plus a linear background fitted by least
  squares in a window (first guess from a parabola through the top points, analytic Jacobian, at most
  ``MAX_NFEV_PER_PARAM`` evaluations per parameter: a fit that does not converge fails fast and says so);
  position, height and FWHM with 1σ errors from the covariance matrix.
* :func:`principal_peak` — the highest S(q) maximum in ``q_range`` (the principal peak, ≈2.2 Å⁻¹ in a-Sb₂Se₃),
  refined with :func:`fit_peak`.
* :func:`first_sharp_diffraction_peak` — the FSDP / prepeak below the principal peak (≈1.2 Å⁻¹), or ``None``
  when no local maximum there stands out of the noise (stated prominence threshold).
* :func:`first_peak_r` — r1, the first g(r) peak, refined by a Gaussian fit on the local data.
* :func:`coordination_number` — CN by integrating the radial distribution function RDF(r) = 4πρr²g(r), to the
  first minimum of g(r) or by the symmetric-peak construction.

Detection (which maximum, which minimum) is done on a copy of the data resampled onto a uniform grid and
smoothed with a Savitzky–Golay filter; every number reported is then measured on the data as given
(any grid, integrals with :func:`numpy.trapezoid` on the given points).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.signal import find_peaks, peak_widths, savgol_coeffs, savgol_filter

from ..errors import ConvergenceError, InputError

PeakModel = Literal["pseudo_voigt", "gaussian", "lorentzian"]
PEAK_MODELS: tuple[str, ...] = ("pseudo_voigt", "gaussian", "lorentzian")
CNMethod = Literal["minimum", "symmetric"]
CN_METHODS: tuple[str, ...] = ("minimum", "symmetric")

_FOUR_LN2 = 4.0 * np.log(2.0)
#: a peak fit that has not converged after this many model evaluations per parameter fails (ConvergenceError,
#: which the pipeline reports in the quality block as "not determined") instead of eating the reduction. With the
#: parabola first guess and the analytic Jacobian a good peak converges in 4–15 evaluations in all (measured on
#: the tests' synthetic peaks and the real patterns of ../shared/data/xrd/glassure); a distorted S(q)
#: (glass_rod_SS without its transfer correction) never converges and used to run 600 evaluations with a
#: finite-difference Jacobian (0.45 s of a 0.88 s reduction); now it stops after 20 × 6 = 120 in ≈ 30 ms.
MAX_NFEV_PER_PARAM = 20

__all__ = [
    "CN_METHODS",
    "MAXIMUM_HALF_WIDTHS",
    "PEAK_MODELS",
    "Coordination",
    "PeakFit",
    "PeakMaximum",
    "coordination_number",
    "first_peak_r",
    "first_sharp_diffraction_peak",
    "fit_peak",
    "peak_maximum",
    "principal_peak",
    "principal_position",
]


def _version() -> str:
    from .. import __version__

    return __version__


# ---------------------------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeakFit:
    """One fitted peak. Positions and widths are in ``x_unit`` ("A-1" for q, "A" for r); heights in y units.

    position, position_err : peak centre x0 and its 1σ error.
    height, height_err : peak amplitude above the linear background at x0.
    fwhm, fwhm_err : full width at half maximum of the peak shape.
    value, value_err : the fitted curve (peak + background) at x0, e.g. S(q₁) or g(r₁).
    background : (intercept at x = 0, slope) of the linear background.
    eta : pseudo-Voigt Lorentzian fraction (None for the pure shapes).
    chi2_red : χ²/(n − p). With ``sigma`` given it is the true reduced χ² (≈1 for a good model) and the errors use
        ``sigma`` as absolute; without ``sigma`` it is the residual variance (unit weights) by which the
        covariance was scaled.
    raw_position : x of the largest data point in the window (the un-refined "argmax").
    prominence, prominence_threshold : how far the (smoothed) maximum stands out of its surroundings and the
        threshold it had to pass — set by the detecting functions, None from :func:`fit_peak`.
    """

    position: float
    position_err: float
    height: float
    height_err: float
    fwhm: float
    fwhm_err: float
    value: float
    value_err: float
    background: tuple[float, float]
    eta: float | None
    chi2_red: float
    window: tuple[float, float]
    model: str
    n_points: int
    raw_position: float
    x_unit: str = "A-1"
    prominence: float | None = None
    prominence_threshold: float | None = None

    def to_dict(self) -> dict:
        u = self.x_unit
        return {
            f"position_{u}": self.position,
            f"position_err_{u}": self.position_err,
            "height": self.height,
            "height_err": self.height_err,
            f"fwhm_{u}": self.fwhm,
            f"fwhm_err_{u}": self.fwhm_err,
            "value": self.value,
            "value_err": self.value_err,
            "background_intercept": self.background[0],
            f"background_slope_per_{u}": self.background[1],
            "eta": self.eta,
            "chi2_red": self.chi2_red,
            f"window_{u}": list(self.window),
            "model": self.model,
            "n_points": self.n_points,
            f"raw_position_{u}": self.raw_position,
            "prominence": self.prominence,
            "prominence_threshold": self.prominence_threshold,
            "hpglass_version": _version(),
        }


@dataclass(frozen=True)
class Coordination:
    """Coordination number from the RDF integral (see :func:`coordination_number`).

    cn, cn_err : the coordination number and its 1σ statistical error (None unless ``gr_err`` was given).
    r_lo, r_hi : integration limits (Å); for "symmetric" r_hi is the RDF maximum and cn = 2∫ from r_lo to r_hi.
    r_first_min : first minimum of g(r) after r1 (or the r_max given), Å.
    rdf_peak : position of the RDF first-peak maximum (Å), "symmetric" only.
    number_density : ρ used, atoms/Å³.
    """

    cn: float
    cn_err: float | None
    r_lo: float
    r_hi: float
    method: str
    r_first_min: float
    rdf_peak: float | None
    number_density: float

    def to_dict(self) -> dict:
        return {
            "cn": self.cn,
            "cn_err": self.cn_err,
            "r_lo_A": self.r_lo,
            "r_hi_A": self.r_hi,
            "method": self.method,
            "r_first_min_A": self.r_first_min,
            "rdf_peak_A": self.rdf_peak,
            "number_density_A-3": self.number_density,
            "hpglass_version": _version(),
        }


# ---------------------------------------------------------------------------------------------------------------
# input checks and detection helpers
# ---------------------------------------------------------------------------------------------------------------
def _check_xy(x, y, xname: str, yname: str, min_points: int = 5) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1:
        raise InputError(f"{xname} must be a 1D array (got shape {x.shape})", field=xname)
    if y.shape != x.shape:
        raise InputError(f"{yname} must have the shape of {xname} (got {y.shape} and {x.shape})", field=yname)
    for arr, name in ((x, xname), (y, yname)):
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"{name} contains NaN or infinite values ({int(bad.sum())} of {arr.size}, "
                             f"first at index {i})", field=name)
    if x.size < min_points:
        raise InputError(f"{xname} has {x.size} points; at least {min_points} are needed", field=xname)
    dx = np.diff(x)
    if np.any(dx <= 0):
        i = int(np.argmax(dx <= 0))
        raise InputError(f"{xname} must increase strictly ({xname}[{i + 1}] = {x[i + 1]:g} after {x[i]:g})",
                         field=xname)
    return x, y


def _check_range(rng, name: str, x: np.ndarray, min_points: int = 3) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in rng)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a pair (low, high), got {rng!r}", field=name) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InputError(f"{name} must be finite with low < high, got ({lo:g}, {hi:g})", field=name)
    n = int(np.count_nonzero((x >= lo) & (x <= hi)))
    if n < min_points:
        raise InputError(f"{name} = ({lo:g}, {hi:g}) holds {n} data points (data cover {x[0]:g}…{x[-1]:g}); "
                         f"at least {min_points} are needed", field=name)
    return lo, hi


def _check_sigma(sigma, n: int, name: str = "sigma") -> np.ndarray | None:
    if sigma is None:
        return None
    s = np.asarray(sigma, dtype=float)
    if s.ndim == 0:
        s = np.full(n, float(s))
    if s.shape != (n,):
        raise InputError(f"{name} must be a scalar or have {n} values (got shape {s.shape})", field=name)
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise InputError(f"{name} must be finite and positive everywhere", field=name)
    return s


def _uniform(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The data on a uniform grid (step = median spacing); unchanged if already uniform."""
    dx = np.diff(x)
    if np.allclose(dx, dx.mean(), rtol=1e-6, atol=0):
        return x, y
    step = float(np.median(dx))
    n = min(int(round((x[-1] - x[0]) / step)) + 1, 200_000)
    xu = np.linspace(x[0], x[-1], n)
    return xu, np.interp(xu, x, y)


def _smooth(xu: np.ndarray, yu: np.ndarray, width: float | None) -> tuple[np.ndarray, float]:
    """Savitzky–Golay smoothing over ``width`` (x units; None: n/40 points, 5…21); returns (ys, noise gain)."""
    n = yu.size
    if width is None:
        npts = int(np.clip(n // 40, 5, 21))
    else:
        npts = int(round(width / (xu[1] - xu[0])))
    npts = min(npts, n if n % 2 else n - 1)
    if npts % 2 == 0:
        npts -= 1
    if npts < 5:
        return yu.copy(), 1.0
    order = 3 if npts >= 7 else 2
    ys = savgol_filter(yu, npts, order, mode="interp")
    gain = float(np.sqrt(np.sum(savgol_coeffs(npts, order) ** 2)))
    return ys, gain


def _noise_sigma(y: np.ndarray) -> float:
    """White-noise σ of y from the residual of a 7-point cubic Savitzky–Golay fit (robust MAD estimate).

    The residual of a least-squares projection has variance σ²(1 − c₀), c₀ the central coefficient; smooth
    signal leaves only ~y''''·Δx⁴ in it, so on a reasonably sampled pattern the estimate is the noise.
    """
    if y.size < 9:
        return 0.0
    resid = (y - savgol_filter(y, 7, 3, mode="interp"))[3:-3]
    c0 = savgol_coeffs(7, 3)[3]
    mad = np.median(np.abs(resid - np.median(resid)))
    return float(1.4826 * mad / np.sqrt(1.0 - c0))


def _window_from_width(xu: np.ndarray, ys: np.ndarray, i: int, scale: float, x: np.ndarray,
                       limits: tuple[float, float] | None = None) -> tuple[float, float]:
    """x_peak ± scale·FWHM/2, FWHM from peak_widths at half prominence, clipped to data (and ``limits``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, _, left, right = peak_widths(ys, [i], rel_height=0.5)
    step = xu[1] - xu[0]
    fwhm = max(float(right[0] - left[0]) * step, 2.0 * step)
    lo, hi = xu[i] - scale * fwhm / 2.0, xu[i] + scale * fwhm / 2.0
    if limits is not None:
        lo, hi = max(lo, limits[0]), min(hi, limits[1])
    return max(lo, x[0]), min(hi, x[-1])


def _local_maxima(ys: np.ndarray, prominence: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    peaks, props = find_peaks(ys, prominence=0.0 if prominence is None else prominence)
    return peaks, props["prominences"]


# ---------------------------------------------------------------------------------------------------------------
# peak fitting
# ---------------------------------------------------------------------------------------------------------------
def _shape(model: str, x: np.ndarray, x0: float, w: float, eta: float) -> np.ndarray:
    t2 = ((x - x0) / w) ** 2
    if model == "gaussian":
        return np.exp(-_FOUR_LN2 * t2)
    if model == "lorentzian":
        return 1.0 / (1.0 + 4.0 * t2)
    return eta / (1.0 + 4.0 * t2) + (1.0 - eta) * np.exp(-_FOUR_LN2 * t2)


def _shape_jac(model: str, x: np.ndarray, x0: float, amp: float, w: float, eta: float) -> np.ndarray:
    """∂/∂(x0, A, w[, η]) of A·P((x − x0)/w) (columns), P the unit-height shape of :func:`_shape`."""
    t = (x - x0) / w
    t2 = t * t
    g = np.exp(-_FOUR_LN2 * t2)
    lor = 1.0 / (1.0 + 4.0 * t2)
    dg = 2.0 * _FOUR_LN2 * t * g  # −dG/dt
    dl = 8.0 * t * lor * lor  # −dL/dt
    if model == "gaussian":
        p, dp = g, dg
    elif model == "lorentzian":
        p, dp = lor, dl
    else:
        p, dp = eta * lor + (1.0 - eta) * g, eta * dl + (1.0 - eta) * dg
    cols = [amp * dp / w, p, amp * dp * t / w]
    if model == "pseudo_voigt":
        cols.append(amp * (lor - g))
    return np.column_stack(cols)


def _parabola_guess(xw: np.ndarray, net: np.ndarray, model: str, lo: float, hi: float) -> tuple[float, float, float]:
    """(x0, A, FWHM) of the peak in ``net`` (data minus the first-guess background) from a parabola through its
    top points (those above half its maximum next to it, at least 3 and at most 7 on each side): vertex → x0 and
    A, curvature c₂ → FWHM = √(−κA/c₂), κ = 4 ln 2 for a Gaussian, 4 for a Lorentzian, their mean for the
    pseudo-Voigt start η = ½ (the second derivative of each unit-height shape at its top is −κ/FWHM²). Falls back to
    the largest point and a width of 0.6 × the window where the top is not a downward parabola."""
    k = int(np.argmax(net))
    top = float(net[k])
    a, b = k, k + 1
    while a > max(k - 7, 0) and net[a - 1] > 0.5 * top:
        a -= 1
    while b < min(k + 8, net.size) and net[b] > 0.5 * top:
        b += 1
    while b - a < 3 and (a > 0 or b < net.size):
        a, b = max(a - 1, 0), min(b + 1, net.size)
    x0, amp, w = float(xw[k]), top, 0.6 * (hi - lo)
    if b - a >= 3:
        xc = float(xw[k])
        c2, c1, c0 = np.polyfit(xw[a:b] - xc, net[a:b], 2)
        if c2 < 0:
            xv = -c1 / (2.0 * c2)
            if xw[a] - xc <= xv <= xw[b - 1] - xc:
                x0, amp = xc + xv, float(c0 - c1 * c1 / (4.0 * c2))
                kappa = {"gaussian": _FOUR_LN2, "lorentzian": 4.0}.get(model, 0.5 * (_FOUR_LN2 + 4.0))
                if amp > 0:
                    w = float(np.sqrt(-kappa * amp / c2))
    if not amp > 0:
        amp = float(np.ptp(net)) or 1.0
    return x0, amp, w


def fit_peak(
    x,
    y,
    window: tuple[float, float] | None = None,
    model: PeakModel = "pseudo_voigt",
    sigma=None,
    *,
    window_scale: float = 1.5,
    x_unit: str = "A-1",
    x_name: str = "x",
    y_name: str = "y",
) -> PeakFit:
    """Fit one peak plus a linear background inside ``window``.

    Model: y = A·P((x − x0)/w) + b0 + b1·(x − x_c), x_c the window centre, with P the unit-height shape

    * gaussian:      P = exp(−4 ln2 t²)
    * lorentzian:    P = 1 / (1 + 4 t²)
    * pseudo_voigt:  P = η·lorentzian + (1 − η)·gaussian, 0 ≤ η ≤ 1, one shared FWHM w

    so A is the height above the background and w the FWHM. The fit is :func:`scipy.optimize.curve_fit`
    (trust-region reflective, analytic Jacobian, η bounded to [0, 1]; started from :func:`_parabola_guess`, at
    most ``MAX_NFEV_PER_PARAM`` × the number of parameters evaluations). Errors are √diag of the covariance;
    without ``sigma`` the covariance is scaled by the reduced χ² of the residuals (``absolute_sigma=False``); with
    ``sigma`` (scalar or one per point, the 1σ of y) it is taken as absolute.

    ``window`` defaults to the global maximum of a smoothed copy of y ± ``window_scale`` × half of the FWHM
    found by :func:`scipy.signal.peak_widths` (at half prominence). The window is widened if it holds too few
    points for the model. ``x_unit`` only names the keys of ``to_dict``; ``x_name``/``y_name`` name the
    fields in error messages.

    Raises InputError for bad arrays or an empty window, ConvergenceError when the fit fails, the peak height
    comes out ≤ 0, the covariance cannot be estimated, or the position leaves the window.
    """
    x, y = _check_xy(x, y, x_name, y_name)
    s = _check_sigma(sigma, x.size)
    if model not in PEAK_MODELS:
        raise InputError(f"unknown peak model {model!r}; use one of {', '.join(PEAK_MODELS)}", field="model")
    if not (np.isfinite(window_scale) and window_scale > 0):
        raise InputError(f"window_scale must be positive, got {window_scale!r}", field="window_scale")
    n_par = 6 if model == "pseudo_voigt" else 5

    if window is None:
        xu, yu = _uniform(x, y)
        ys, _ = _smooth(xu, yu, None)
        i = int(np.argmax(ys))
        if i == 0 or i == ys.size - 1:
            raise InputError(f"the maximum of {y_name} is at the edge of the data ({x_name} = {xu[i]:g}); "
                             "give a window around the peak", field="window")
        window = _window_from_width(xu, ys, i, window_scale, x)
    lo, hi = _check_range(window, "window", x, min_points=1)

    inside = (x >= lo) & (x <= hi)
    need = n_par + 3
    if np.count_nonzero(inside) < need:  # widen symmetrically, point by point, to the minimum needed
        idx = np.flatnonzero(inside)
        c = int(idx[len(idx) // 2]) if idx.size else int(np.clip(np.searchsorted(x, 0.5 * (lo + hi)), 0, x.size - 1))
        a, b = c, c + 1
        while b - a < need and (a > 0 or b < x.size):
            a, b = max(a - 1, 0), min(b + 1, x.size)
        if b - a < need:
            raise InputError(f"{x_name} has {x.size} points; the {model} fit needs {need}", field=x_name)
        inside = np.zeros_like(inside)
        inside[a:b] = True
        lo, hi = float(x[a]), float(x[b - 1])
    xw, yw = x[inside], y[inside]
    sw = None if s is None else s[inside]
    xc = 0.5 * (lo + hi)

    # starting values: background through the window ends, peak from a parabola through the top points above it
    b1_0 = (yw[-1] - yw[0]) / (xw[-1] - xw[0])
    base = yw[0] + b1_0 * (xw - xw[0])
    x0_0, a0, w0 = _parabola_guess(xw, yw - base, model, lo, hi)
    dx_min = float(np.min(np.diff(xw)))
    # the width is capped at 5 window widths: a peak much broader than its window is a parabola, for which
    # centre, height, width and background slope are degenerate (the fit would wander off)
    w0 = float(np.clip(w0, 3.0 * dx_min, 5.0 * (hi - lo)))
    b0_0 = float(yw[0] + b1_0 * (xc - xw[0]))
    p0 = [float(np.clip(x0_0, lo, hi)), a0, w0, b0_0, b1_0]
    lower = [-np.inf, -np.inf, 1e-9 * (hi - lo), -np.inf, -np.inf]
    upper = [np.inf, np.inf, 5.0 * (hi - lo), np.inf, np.inf]
    if model == "pseudo_voigt":
        p0.append(0.5)
        lower.append(0.0)
        upper.append(1.0)

    def f(xx, x0, amp, w, b0, b1, eta=0.0):
        return amp * _shape(model, xx, x0, w, eta) + b0 + b1 * (xx - xc)

    def jac(xx, x0, amp, w, b0, b1, eta=0.0):
        peak = _shape_jac(model, xx, x0, amp, w, eta)
        back = np.column_stack([np.ones_like(xx), xx - xc])
        return np.hstack([peak[:, :3], back, peak[:, 3:]])

    max_nfev = MAX_NFEV_PER_PARAM * n_par
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            popt, pcov = curve_fit(f, xw, yw, p0=p0, sigma=sw, absolute_sigma=sw is not None, jac=jac,
                                   bounds=(lower, upper), method="trf", x_scale="jac", max_nfev=max_nfev)
    except RuntimeError as exc:  # curve_fit's "Optimal parameters not found": the evaluation budget ran out
        raise ConvergenceError(f"{model} peak fit of {y_name} in {x_name} window [{lo:g}, {hi:g}] did not converge "
                               f"within {max_nfev} evaluations (stopped, not run on; first guess: parabola vertex at "
                               f"{x0_0:.4g}): {exc}") from None
    except ValueError as exc:
        raise ConvergenceError(f"{model} peak fit of {y_name} in {x_name} window [{lo:g}, {hi:g}] failed: {exc}") \
            from None
    x0, amp, w, b0, b1 = (float(v) for v in popt[:5])
    eta = float(popt[5]) if model == "pseudo_voigt" else None
    perr = np.sqrt(np.abs(np.diag(pcov)))
    where = f"{model} peak fit of {y_name} in {x_name} window [{lo:g}, {hi:g}]"
    if not (lo <= x0 <= hi):
        raise ConvergenceError(f"{where}: the position ran out of the window (x0 = {x0:g}); "
                               "the window holds no peak, or give a better one")
    if amp <= 0:
        raise ConvergenceError(f"{where}: fitted height {amp:g} ≤ 0, there is no peak in the window")
    if not np.all(np.isfinite(perr[:3])):
        raise ConvergenceError(f"{where}: the covariance could not be estimated (parameters degenerate)")

    resid = yw - f(xw, *popt)
    dof = xw.size - len(popt)
    chi2_red = float(np.sum((resid / (1.0 if sw is None else sw)) ** 2) / dof)
    # value at the peak: A + b0 + b1 (x0 − xc); gradient wrt (x0, A, w, b0, b1[, eta])
    grad = np.zeros(len(popt))
    grad[0], grad[1], grad[3], grad[4] = b1, 1.0, 1.0, x0 - xc
    value_err = float(np.sqrt(max(grad @ pcov @ grad, 0.0)))
    return PeakFit(
        position=x0, position_err=float(perr[0]), height=amp, height_err=float(perr[1]),
        fwhm=w, fwhm_err=float(perr[2]), value=amp + b0 + b1 * (x0 - xc), value_err=value_err,
        background=(b0 - b1 * xc, b1), eta=eta, chi2_red=chi2_red, window=(float(lo), float(hi)), model=model,
        n_points=int(xw.size), raw_position=float(xw[int(np.argmax(yw))]), x_unit=x_unit,
    )


# ---------------------------------------------------------------------------------------------------------------
# S(q) peaks
# ---------------------------------------------------------------------------------------------------------------
def principal_peak(
    q,
    sq,
    q_range: tuple[float, float] = (1.5, 4.0),
    *,
    model: PeakModel = "pseudo_voigt",
    sigma=None,
    window_scale: float = 1.5,
    smooth: float = 0.1,
) -> PeakFit:
    """The principal S(q) peak: the highest local maximum of S(q) with q in ``q_range`` (Å⁻¹), refined.

    The maximum is picked on a Savitzky–Golay smoothed copy (window ``smooth`` Å⁻¹, cubic) so that noise
    cannot pick a spike; the refinement is :func:`fit_peak` on the data as given, in a window of ± ``window_scale``
    half-widths (FWHM at half prominence) around it. ``prominence`` of the result is that of the smoothed maximum.
    """
    q, sq = _check_xy(q, sq, "q", "sq")
    qu, ss, i, prom = _principal_index(q, sq, q_range, smooth)
    window = _window_from_width(qu, ss, i, window_scale, q)
    fit = fit_peak(q, sq, window, model, sigma, x_unit="A-1", x_name="q", y_name="sq")
    return replace(fit, prominence=prom)


def _principal_index(q, sq, q_range, smooth) -> tuple[np.ndarray, np.ndarray, int, float]:
    """(uniform grid, smoothed S, index, prominence) of the highest smoothed S(q) maximum in ``q_range``."""
    lo, hi = _check_range(q_range, "q_range", q)
    qu, su = _uniform(q, sq)
    ss, _ = _smooth(qu, su, smooth)
    peaks, prom = _local_maxima(ss)
    sel = (qu[peaks] >= lo) & (qu[peaks] <= hi)
    if not sel.any():
        raise InputError(f"S(q) has no local maximum with q in ({lo:g}, {hi:g}) Å⁻¹", field="q_range")
    peaks, prom = peaks[sel], prom[sel]
    j = int(np.argmax(ss[peaks]))
    return qu, ss, int(peaks[j]), float(prom[j])


def principal_position(q, sq, q_range: tuple[float, float] = (1.5, 4.0), *, smooth: float = 0.1) -> float:
    """Where :func:`principal_peak` finds the principal peak before fitting it: q of the highest maximum of the
    smoothed S(q) in ``q_range`` (Å⁻¹). No fit, so it stands where the fit fails (the FSDP search is bounded by
    it then); resolution the smoothing window's grid step."""
    q, sq = _check_xy(q, sq, "q", "sq")
    qu, _, i, _ = _principal_index(q, sq, q_range, smooth)
    return float(qu[i])


def first_sharp_diffraction_peak(
    q,
    sq,
    q_range: tuple[float, float] = (0.8, 1.6),
    principal: PeakFit | float | None = None,
    *,
    model: PeakModel = "gaussian",
    sigma=None,
    n_sigma: float = 5.0,
    min_prominence: float = 0.02,
    smooth: float = 0.15,
    window_scale: float = 1.5,
) -> PeakFit | None:
    """The first sharp diffraction peak (prepeak) below the principal peak, or None if there is none.

    Detection: S(q) is smoothed (Savitzky–Golay, window ``smooth`` Å⁻¹, cubic); a local maximum with q in
    ``q_range`` and below the principal peak (q < q_p − FWHM_p/2 when ``principal`` is a PeakFit, q < q_p for a
    bare position; None: located with :func:`principal_peak`) counts as an FSDP only if its topographic
    prominence exceeds

        threshold = max(min_prominence, n_sigma · √2 · g · σ_noise)

    with σ_noise the white-noise level of the raw S(q) in ``q_range`` (robust, from the residual of a short
    Savitzky–Golay fit), g the noise gain of the smoothing filter (σ of smoothed noise = g·σ_noise) and √2 for
    the difference of two smoothed values (peak − base). ``min_prominence`` (S(q) units) guards noise-free data.
    With several candidates the most prominent is taken. The detected peak is refined with :func:`fit_peak`
    (default a Gaussian on a linear background, which absorbs the slope of the principal peak's flank);
    position, height (above that local background) and the S(q) value at the peak are reported.
    ConvergenceError from the refinement is passed on.
    """
    q, sq = _check_xy(q, sq, "q", "sq")
    lo, hi = _check_range(q_range, "q_range", q)
    if not (n_sigma >= 0 and min_prominence >= 0):
        raise InputError("n_sigma and min_prominence must be ≥ 0", field="n_sigma")
    if principal is None:
        try:
            principal = principal_peak(q, sq, model="pseudo_voigt")
        except (InputError, ConvergenceError) as exc:
            raise InputError(f"could not locate the principal peak to bound the FSDP search ({exc}); "
                             "pass principal= (a PeakFit or a position in Å⁻¹)", field="principal") from None
    if isinstance(principal, PeakFit):
        q_top = principal.position - 0.5 * principal.fwhm
    else:
        q_top = float(principal)
    hi_eff = min(hi, q_top)
    if hi_eff <= lo:
        return None

    in_range = (q >= lo) & (q <= hi)
    noise = _noise_sigma(sq[in_range])
    qu, su = _uniform(q, sq)
    ss, gain = _smooth(qu, su, smooth)
    threshold = max(float(min_prominence), float(n_sigma) * np.sqrt(2.0) * gain * noise)
    peaks, props = find_peaks(ss, prominence=threshold)
    prom, right_base = props["prominences"], props["right_bases"]
    sel = (qu[peaks] >= lo) & (qu[peaks] <= hi_eff)
    if not sel.any():
        return None
    peaks, prom, right_base = peaks[sel], prom[sel], right_base[sel]
    j = int(np.argmax(prom))
    i = int(peaks[j])
    # window: the peak out to the dip that separates it from the principal peak, mirrored to low q
    # (at least ± window_scale half-widths): a weak prepeak on the rising flank is narrow at half
    # prominence, and a window holding only its top leaves position and background slope degenerate
    x_dip = float(qu[i + int(np.argmin(ss[i:int(right_base[j]) + 1]))])
    q_right = min(x_dip, q_top, q[-1])
    w_lo, w_hi = _window_from_width(qu, ss, i, window_scale, q, limits=(q[0], q_top))
    half0 = max(x_dip - qu[i], qu[i] - w_lo, w_hi - qu[i])
    window = (max(qu[i] - half0, q[0]), min(qu[i] + half0, q_right))

    def fit(win):
        return fit_peak(q, sq, win, model, sigma, x_unit="A-1", x_name="q", y_name="sq")

    try:
        pf = fit(window)
    except ConvergenceError:  # one retry on a window twice as wide on the low-q side
        window = (max(qu[i] - 2.0 * half0, q[0]), window[1])
        pf = fit(window)
    # refine: the half-prominence width underestimates the FWHM of a prepeak on a slope, so re-centre the
    # window on the fitted peak, ± window_scale fitted half-widths (clipped to 1…3× the first guess, so that a
    # fit that latched onto a noise wiggle cannot shrink its own window), and refit
    for _ in range(3):
        half = float(np.clip(window_scale * pf.fwhm / 2.0, half0, 3.0 * half0))
        new = (max(pf.position - half, q[0]), min(pf.position + half, q_right))
        if abs(new[0] - window[0]) + abs(new[1] - window[1]) < 0.02 * (window[1] - window[0]):
            break
        try:
            pf, window = fit(new), new
        except (ConvergenceError, InputError):
            break
    return replace(pf, prominence=float(prom[j]), prominence_threshold=float(threshold))


# ---------------------------------------------------------------------------------------------------------------
# the maximum of a peak: local polynomial fits of its top
# ---------------------------------------------------------------------------------------------------------------
#: half-widths of the local fits of :func:`peak_maximum`, as fractions of the peak's FWHM; the middle one gives the
#: value, the spread over all three the window (shape) error. Chosen on Percus–Yevick S(q) and g(r) (benchmarks/
#: coverage_peaks.py): narrower windows lose precision as h^(-3/2), wider ones pick up the quintic term of the top
#: (a bias ∝ h⁴) — at these fractions the cubic's vertex is within 2e-4 Å⁻¹ of the exact S(q) maximum on
#: noise-free data.
MAXIMUM_HALF_WIDTHS = (0.15, 0.2, 0.25)


@dataclass(frozen=True)
class PeakMaximum:
    """The maximum of a curve near a peak top (see :func:`peak_maximum`); x in ``x_unit``.

    position, position_err : x of the maximum and its 1σ error √(stat_err² + window_err²).
    stat_err : the noise part (linear propagation of the data's covariance through the fit and its vertex).
    window_err : half the spread of the maximum over the half-widths ``half_widths`` (the shape misfit part).
    value, value_err : the fitted curve at the maximum (e.g. S(q₁), g(r₁)) and its noise error.
    half_width : the half-width whose fit gives position and value; ``positions`` the maximum of each fit.
    chi2_red : of that fit: the residual variance per degree of freedom (unit weights), with ``sigma`` the reduced
        χ², with ``cov`` the residual variance over the mean of cov's diagonal.
    """

    position: float
    position_err: float
    stat_err: float
    window_err: float
    value: float
    value_err: float
    half_width: float
    half_widths: tuple[float, ...]
    positions: tuple[float, ...]
    degree: int
    n_points: int
    chi2_red: float
    x_unit: str = "A-1"

    def __repr__(self) -> str:
        u = "Å⁻¹" if self.x_unit == "A-1" else "Å"
        return (f"PeakMaximum({self.position:.5g} ± {self.position_err:.2g} {u} (stat {self.stat_err:.2g}, window "
                f"{self.window_err:.2g}), value {self.value:.4g}, degree {self.degree}, ±{self.half_width:.3g} {u})")

    def to_dict(self) -> dict:
        u = self.x_unit
        return {f"position_{u}": self.position, f"position_err_{u}": self.position_err,
                f"stat_err_{u}": self.stat_err, f"window_err_{u}": self.window_err, "value": self.value,
                "value_err": self.value_err, f"half_width_{u}": self.half_width,
                f"half_widths_{u}": list(self.half_widths), f"positions_{u}": list(self.positions),
                "degree": self.degree, "n_points": self.n_points, "chi2_red": self.chi2_red,
                "hpglass_version": _version()}


def _poly_top(x, y, x_c, h, degree, sigma, cov, where) -> tuple[float, float, float, float, float, int]:
    """One local fit on |x − x_c| ≤ h: (t*, var t*, p(t*), var p(t*), χ²_red, n), t* = x_max − x_c."""
    sel = np.flatnonzero(np.abs(x - x_c) <= h)
    if sel.size < degree + 3:
        raise ConvergenceError(f"{where}: only {sel.size} points within ±{h:.3g} of {x_c:.4g} "
                               f"(a degree-{degree} fit needs {degree + 3})")
    u = (x[sel] - x_c) / h  # scaled to [−1, 1] so that the normal equations are well conditioned
    X = np.vander(u, degree + 1, increasing=True)
    L = np.linalg.pinv(X)  # θ = L y (least squares); also the map that carries the data covariance to θ
    theta = L @ y[sel]
    resid = y[sel] - X @ theta
    dof = sel.size - degree - 1
    if cov is not None:
        C = cov[np.ix_(sel, sel)]
        cov_t = L @ C @ L.T
        # a g(r)-like covariance is near singular (few independent values per window), so no GLS χ²: the
        # residual variance over the mean point variance (correlated noise leaves it below 1)
        chi2 = float(resid @ resid / dof / max(float(np.mean(np.diag(C))), np.finfo(float).tiny))
    elif sigma is not None:
        cov_t = (L * sigma[sel] ** 2) @ L.T
        chi2 = float(np.sum((resid / sigma[sel]) ** 2) / dof)
    else:
        chi2 = float(resid @ resid / dof)
        cov_t = chi2 * np.linalg.inv(X.T @ X)
    d1 = np.polynomial.polynomial.polyder(theta)
    d2 = np.polynomial.polynomial.polyder(d1)
    roots = np.roots(d1[::-1]) if d1.size > 1 else np.array([])
    roots = roots[np.isreal(roots)].real
    roots = roots[(roots >= -1.0) & (roots <= 1.0)]
    roots = roots[np.polynomial.polynomial.polyval(roots, d2) < 0]
    if roots.size == 0:
        raise ConvergenceError(f"{where}: the degree-{degree} fit within ±{h:.3g} of {x_c:.4g} has no maximum "
                               "inside its window")
    vals = np.polynomial.polynomial.polyval(roots, theta)
    u0 = float(roots[int(np.argmax(vals))])
    curv = float(np.polynomial.polynomial.polyval(u0, d2))
    k = np.arange(degree + 1)
    # implicit function theorem on p'(u*) = 0: du*/dθ_k = −k u*^(k−1) / p''(u*)
    g_pos = -np.where(k > 0, k * u0 ** np.clip(k - 1, 0, None), 0.0) / curv
    g_val = u0**k  # dp(u*)/dθ_k (the p'(u*) = 0 term drops out)
    var_u = float(g_pos @ cov_t @ g_pos)
    var_v = float(g_val @ cov_t @ g_val)
    return u0 * h, max(var_u, 0.0) * h * h, float(vals.max()), max(var_v, 0.0), chi2, int(sel.size)


def peak_maximum(
    x,
    y,
    x_top: float,
    fwhm: float,
    *,
    half_widths: tuple[float, ...] = MAXIMUM_HALF_WIDTHS,
    degree: int = 3,
    sigma=None,
    cov=None,
    x_unit: str = "A-1",
    x_name: str = "x",
    y_name: str = "y",
) -> PeakMaximum:
    r"""The maximum of y(x) near ``x_top``: the vertex of local least-squares polynomials through the peak's top.

    For each half-width h = f·``fwhm`` (f in ``half_widths``) a polynomial of ``degree`` (default cubic: its odd
    term takes up the asymmetry of the top, so that the vertex is not pulled towards the longer flank as a
    parabola's is) is fitted to the points with |x − x_c| ≤ h, x_c first ``x_top`` and then the maximum found
    (one re-centring, so that the window is symmetric about the answer). The maximum x* solves p'(x*) = 0 with
    p''(x*) < 0 inside the window — the local-polynomial (Savitzky & Golay, Anal. Chem. 36, 1627 (1964))
    estimate of a peak maximum, which, unlike the centre of a fitted peak shape on a sloping background, is the
    maximum of the curve itself.

    Errors. With θ = L y the least-squares coefficients (L the pseudo-inverse of the design matrix),
    Cov θ = L C Lᵀ, where C is ``cov`` (the full covariance of y, for correlated data such as g(r) from a
    truncated Fourier transform), diag(``sigma``²), or s²·I with s² the residual variance (white noise of unknown
    level; the χ²-scaled covariance of a linear fit). The implicit-function (delta) method on p'(x*) = 0 gives

        ∂x*/∂θ_k = −k x*^(k−1) / p''(x*),   σ_stat² = (∂x*/∂θ)ᵀ Cov θ (∂x*/∂θ)

    (Bevington & Robinson, *Data Reduction and Error Analysis*, 3rd ed. 2003, ch. 3). The shape misfit of a
    polynomial to a real top is not noise: σ_win = ½ (max − min) of x* over the half-widths, and
    position_err = √(σ_stat² + σ_win²). The middle half-width gives position and value.

    Raises InputError for bad arrays or parameters, ConvergenceError when a fit has too few points or no
    maximum inside its window.
    """
    x, y = _check_xy(x, y, x_name, y_name)
    s = _check_sigma(sigma, x.size)
    if cov is not None:
        cov = np.asarray(cov, dtype=float)
        if cov.shape != (x.size, x.size) or not np.all(np.isfinite(cov)):
            raise InputError(f"cov must be a finite {x.size} × {x.size} matrix (got shape {cov.shape})",
                             field="cov")
    if not (np.isfinite(x_top) and x[0] <= x_top <= x[-1]):
        raise InputError(f"x_top = {x_top!r} is outside the data ({x[0]:g}…{x[-1]:g})", field="x_top")
    if not (np.isfinite(fwhm) and fwhm > 0):
        raise InputError(f"fwhm must be positive, got {fwhm!r}", field="fwhm")
    hw = tuple(float(f) for f in half_widths)
    if not hw or not all(np.isfinite(f) and f > 0 for f in hw):
        raise InputError(f"half_widths must be positive fractions of the FWHM, got {half_widths!r}",
                         field="half_widths")
    if degree not in (2, 3, 4):
        raise InputError(f"degree must be 2, 3 or 4, got {degree!r}", field="degree")
    where = f"local maximum of {y_name} near {x_name} = {x_top:.4g}"
    mid = hw[len(hw) // 2] * fwhm
    t0 = _poly_top(x, y, x_top, mid, degree, s, cov, where)[0]
    x_c = x_top + t0  # re-centre once on the first estimate
    fits = [_poly_top(x, y, x_c, f * fwhm, degree, s, cov, where) for f in hw]
    pos = [x_c + f[0] for f in fits]
    best = fits[len(hw) // 2]
    stat = float(np.sqrt(best[1]))
    win = 0.5 * (max(pos) - min(pos))
    return PeakMaximum(position=float(pos[len(hw) // 2]), position_err=float(np.hypot(stat, win)), stat_err=stat,
                       window_err=float(win), value=best[2], value_err=float(np.sqrt(best[3])), half_width=mid,
                       half_widths=tuple(f * fwhm for f in hw), positions=tuple(float(p) for p in pos),
                       degree=degree, n_points=best[5], chi2_red=best[4], x_unit=x_unit)


# ---------------------------------------------------------------------------------------------------------------
# g(r): r1 and coordination number
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Shell:
    ru: np.ndarray
    gs: np.ndarray
    i1: int  # first peak (index into ru)
    prom1: float
    threshold: float
    imin: int | None  # first minimum after it (None: no second peak in the data)


def _first_shell(r, gr, r_range, smooth, min_height, n_sigma, min_prominence) -> _Shell:
    lo, hi = _check_range(r_range, "r_range", r)
    ru, gu = _uniform(r, gr)
    gs, gain = _smooth(ru, gu, smooth)
    cand, _ = _local_maxima(gs)
    cand = cand[(ru[cand] >= lo) & (ru[cand] <= hi)]
    if cand.size == 0:
        raise InputError(f"g(r) has no local maximum with r in ({lo:g}, {hi:g}) Å", field="r_range")
    gmax = float(gs[cand].max())
    noise = _noise_sigma(gr[(r >= lo) & (r <= hi)])
    auto = 0.05 * gmax if min_prominence is None else float(min_prominence)
    threshold = float(max(auto, float(n_sigma) * np.sqrt(2.0) * gain * noise))
    peaks, prom = _local_maxima(gs, threshold)
    ok = (ru[peaks] >= lo) & (ru[peaks] <= hi) & (gs[peaks] >= min_height * gmax)
    if not ok.any():
        raise InputError(f"g(r) has no peak with r in ({lo:g}, {hi:g}) Å that reaches {min_height:g} of the "
                         f"highest maximum and has prominence ≥ {threshold:.3g}", field="r_range")
    k = int(np.flatnonzero(ok)[0])
    i1 = int(peaks[k])
    imin = None
    if k + 1 < peaks.size:
        i2 = int(peaks[k + 1])
        imin = i1 + int(np.argmin(gs[i1:i2 + 1]))
    return _Shell(ru, gs, i1, float(prom[k]), threshold, imin)


def first_peak_r(
    r,
    gr,
    r_range: tuple[float, float] = (1.5, 4.0),
    *,
    model: PeakModel = "gaussian",
    sigma=None,
    window_scale: float = 1.5,
    smooth: float | None = 0.05,
    min_height: float = 0.5,
    n_sigma: float = 5.0,
    min_prominence: float | None = None,
) -> PeakFit:
    """r1: position of the first g(r) peak, refined by a Gaussian (default) + linear background fit.

    The first peak is the first local maximum of the smoothed g(r) (Savitzky–Golay over ``smooth`` Å) with r in
    ``r_range`` that (a) reaches ``min_height`` × the highest maximum in that range — so that low-r Fourier
    ripples are not taken — and (b) has a prominence above max(``min_prominence`` (default 5 % of that highest
    maximum), n_sigma·√2·σ_smoothed-noise). The fit window is ± ``window_scale`` half-widths around it. The raw
    argmax of g(r) in the window is reported as ``raw_position``; keys of ``to_dict`` end in ``_A``.
    """
    r, gr = _check_xy(r, gr, "r", "gr")
    sh = _first_shell(r, gr, r_range, smooth, min_height, n_sigma, min_prominence)
    limits = (r[0], float(sh.ru[sh.imin])) if sh.imin is not None else None
    window = _window_from_width(sh.ru, sh.gs, sh.i1, window_scale, r, limits=limits)
    fit = fit_peak(r, gr, window, model, sigma, x_unit="A", x_name="r", y_name="gr")
    return replace(fit, prominence=sh.prom1, prominence_threshold=sh.threshold)


def _trapezoid_weights(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """Weights w with ∫_a^b f dx ≈ w·f: trapezoid on the given grid, f linearly interpolated at a and b."""
    w = np.zeros(x.size)
    inside = np.flatnonzero((x > a) & (x < b))
    nodes = [a, *x[inside], b]
    # each node carries (indices, coefficients) of the data it is interpolated from
    def interp(t):
        j = int(np.clip(np.searchsorted(x, t) - 1, 0, x.size - 2))
        u = (t - x[j]) / (x[j + 1] - x[j])
        return [(j, 1.0 - u), (j + 1, u)]

    reps = [interp(a), *[[(int(i), 1.0)] for i in inside], interp(b)]
    for k in range(len(nodes) - 1):
        h = 0.5 * (nodes[k + 1] - nodes[k])
        for rep in (reps[k], reps[k + 1]):
            for j, c in rep:
                w[j] += h * c
    return w


def coordination_number(
    r,
    gr,
    number_density: float,
    method: CNMethod = "minimum",
    r_min: float | None = None,
    r_max: float | None = None,
    *,
    gr_err=None,
    r_range: tuple[float, float] = (1.5, 4.0),
    onset_level: float = 0.01,
    smooth: float | None = 0.05,
    min_height: float = 0.5,
    n_sigma: float = 5.0,
    min_prominence: float | None = None,
    window_scale: float = 1.5,
) -> Coordination:
    r"""Coordination number of the first shell from the radial distribution function.

    RDF(r) = 4π ρ r² g(r)  (ρ = ``number_density`` in atoms/Å³), so that ∫ RDF dr counts neighbours.

    * ``"minimum"``:   CN = ∫_{r_lo}^{r_m} RDF(r) dr, with r_m the first minimum of g(r) after the first peak
      (or ``r_max``). This is the usual definition (Waseda, *The Structure of Non-Crystalline Materials*,
      McGraw-Hill 1980, ch. 2; Pusztai & McGreevy discuss how CN depends on the definition).
    * ``"symmetric"``: CN = 2 ∫_{r_lo}^{r_p} RDF(r) dr, with r_p the position of the maximum of the RDF first
      peak: the first shell is assumed symmetric in RDF(r) about r_p, so that only its low-r half, which is
      free of overlap with the second shell, is integrated (Waseda 1980). For a symmetric RDF shell the two
      methods agree; for an asymmetric one (common in glasses) they differ, which is the point of having both.

    Limits. r_lo (the onset) is ``r_min`` if given, else the point where g(r), followed downwards from the first
    peak, falls to ``onset_level`` × g(r1) (linear interpolation; following the peak down rather than scanning
    up from r = 0 keeps low-r Fourier ripples out). The first peak is found as in :func:`first_peak_r`
    (``r_range``, ``min_height``, ``n_sigma``, ``min_prominence``, ``smooth``); the first minimum is the lowest
    point of the smoothed g(r) between that peak and the next peak whose prominence passes the same threshold
    (a shoulder that does not pass is merged into the shell, as for the 8 + 6 neighbours of bcc). r_p is refined
    by a Gaussian fit to the top of the RDF (:func:`fit_peak`), searched between r_lo and the first minimum
    (or ``r_max``).

    Integration is the trapezoid rule on the given (possibly non-uniform) grid, with the integrand linearly
    interpolated at the limits. ``gr_err`` (1σ of g, scalar or per point) gives ``cn_err`` by linear propagation
    (plus, for "symmetric", 2·RDF(r_p)·σ(r_p)); without it ``cn_err`` is None.
    """
    r, gr = _check_xy(r, gr, "r", "gr")
    if method not in CN_METHODS:
        raise InputError(f"unknown method {method!r}; use one of {', '.join(CN_METHODS)}", field="method")
    try:
        rho = float(number_density)
    except (TypeError, ValueError):
        raise InputError(f"number_density must be a number, got {number_density!r}", field="number_density") \
            from None
    if not (np.isfinite(rho) and 0 < rho < 0.5):
        raise InputError(f"number_density must be in atoms/Å³ (0 < ρ < 0.5), got {number_density!r}; "
                         "convert g/cm³ with Composition.number_density", field="number_density")
    err = _check_sigma(gr_err, r.size, "gr_err")
    for name, v in (("r_min", r_min), ("r_max", r_max)):
        if v is not None and not (np.isfinite(v) and r[0] <= v <= r[-1]):
            raise InputError(f"{name} = {v!r} Å is outside the data (r = {r[0]:g}…{r[-1]:g} Å)", field=name)
    if r_min is not None and r_max is not None and not r_min < r_max:
        raise InputError(f"r_min ({r_min:g}) must be below r_max ({r_max:g})", field="r_min")

    sh = _first_shell(r, gr, r_range, smooth, min_height, n_sigma, min_prominence)
    r1, g1 = float(sh.ru[sh.i1]), float(sh.gs[sh.i1])

    # onset
    if r_min is not None:
        r_lo = float(r_min)
    else:
        level = onset_level * g1
        j1 = int(np.searchsorted(r, r1))
        below = np.flatnonzero(gr[:j1] <= level)
        if below.size == 0:
            raise InputError(f"g(r) does not fall to {level:.3g} ({onset_level:g} × g(r1)) below r1 = {r1:.3f} Å "
                             f"in the data (r from {r[0]:g} Å); give r_min", field="r_min")
        j = int(below[-1])
        g_a, g_b = gr[j], gr[j + 1]
        r_lo = float(r[j] + (level - g_a) * (r[j + 1] - r[j]) / (g_b - g_a)) if g_b != g_a else float(r[j])

    # first minimum
    if r_max is not None:
        r_first_min = float(r_max)
    elif sh.imin is not None:
        r_first_min = float(sh.ru[sh.imin])
    else:
        raise InputError(f"no second g(r) peak after r1 = {r1:.3f} Å to bound the first shell; give r_max",
                         field="r_max")
    if not r_lo < r_first_min:
        raise InputError(f"onset r_lo = {r_lo:g} Å is not below the first minimum {r_first_min:g} Å", field="r_min")

    rdf = 4.0 * np.pi * rho * r**2 * gr
    rdf_err = None if err is None else 4.0 * np.pi * rho * r**2 * err
    rdf_peak = None
    pos_term = 0.0
    if method == "minimum":
        r_hi, factor = r_first_min, 1.0
    else:
        seg = (r >= r_lo) & (r <= r_first_min)
        if np.count_nonzero(seg) < 5:
            raise InputError(f"only {int(np.count_nonzero(seg))} points between r_lo = {r_lo:g} and the first "
                             f"minimum {r_first_min:g} Å", field="r")
        ru, fu = _uniform(r, rdf)
        fs, _ = _smooth(ru, fu, smooth)
        segu = np.flatnonzero((ru >= r_lo) & (ru <= r_first_min))
        loc, _ = find_peaks(fs[segu])
        if loc.size == 0:
            raise ConvergenceError(f"the RDF has no maximum between r_lo = {r_lo:.3f} and the first minimum "
                                   f"{r_first_min:.3f} Å; the symmetric construction is undefined, use 'minimum'")
        i = int(segu[loc[int(np.argmax(fs[segu][loc]))]])
        window = _window_from_width(ru, fs, i, window_scale, r, limits=(r_lo, r_first_min))
        pf = fit_peak(r, rdf, window, "gaussian", rdf_err, x_unit="A", x_name="r", y_name="RDF")
        rdf_peak = pf.position
        r_hi, factor = rdf_peak, 2.0
        pos_term = 2.0 * float(np.interp(rdf_peak, r, rdf)) * pf.position_err
    inner = (r > r_lo) & (r < r_hi)
    nodes = np.concatenate([[r_lo], r[inner], [r_hi]])
    values = np.concatenate([[np.interp(r_lo, r, rdf)], rdf[inner], [np.interp(r_hi, r, rdf)]])
    cn = factor * float(np.trapezoid(values, nodes))
    cn_err = None
    if rdf_err is not None:  # the same trapezoid sum written as weights on the data points, for propagation
        w = _trapezoid_weights(r, r_lo, r_hi)
        cn_err = float(np.hypot(factor * np.sqrt(np.sum((w * rdf_err) ** 2)), pos_term))
    return Coordination(cn=cn, cn_err=cn_err, r_lo=r_lo, r_hi=float(r_hi), method=method,
                        r_first_min=r_first_min, rdf_peak=rdf_peak, number_density=rho)
