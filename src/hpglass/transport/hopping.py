"""Thermally activated and hopping conduction in semiconducting R(T): Arrhenius, Mott VRH, Efros–Shklovskii.

All three laws are straight lines in ln R against T^(−p):

    ln R = ln R₀ + (T₀ / T)^p

* Arrhenius (band / nearest-neighbour activation): p = 1, T₀ = E_a / k_B, i.e. R = R₀ exp(E_a / k_B T)
  (E_a reported in meV).
* Mott variable-range hopping in d dimensions: p = 1/(d + 1) — 1/4 for d = 3, 1/3 for d = 2
  (Mott, J. Non-Cryst. Solids 1, 1 (1968); Mott & Davis, *Electronic Processes in Non-Crystalline Materials*,
  Oxford 1979).
* Efros–Shklovskii VRH with a Coulomb gap: p = 1/2 (Efros & Shklovskii, J. Phys. C 8, L49 (1975)).

Each fit is ordinary least squares of ln R on x = T^(−p) in the chosen T range (noise proportional to R, the
usual case, is uniform in ln R); slope m = T₀^p gives T₀ = m^(1/p) with σ(T₀) = T₀ σ(m) / (p m). R² is that of
the linearized fit. :func:`best_hopping_model` fits every law to the same points and ranks them by R² — with the
same response ln R and two parameters each, that is the same as ranking by the residual sum of squares — and
also reports the Zabrodskii exponent: the logarithmic derivative w(T) = −d ln R / d ln T = p (T₀/T)^p gives
ln w = const − p ln T, so a straight-line fit of ln w against ln T measures p without assuming it
(Zabrodskii & Zinov'eva, Sov. Phys. JETP 59, 425 (1984)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .curve import RCurve

__all__ = [
    "HOPPING_MODELS",
    "HoppingComparison",
    "HoppingFit",
    "arrhenius_fit",
    "best_hopping_model",
    "es_vrh_fit",
    "hopping_fit",
    "mott_vrh_fit",
    "zabrodskii_exponent",
]

#: Boltzmann constant in meV/K (CODATA 2018, exact)
K_B_MEV = 8.617333262e-2

#: model name → exponent p in ln R = ln R₀ + (T₀/T)^p
HOPPING_MODELS: dict[str, float] = {
    "arrhenius": 1.0,
    "mott3d": 0.25,
    "mott2d": 1.0 / 3.0,
    "es": 0.5,
}


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass(frozen=True)
class HoppingFit:
    """One linearized fit ln R = ln R₀ + (T₀/T)^p.

    t0_K, t0_err_K : characteristic temperature and 1σ error (for Arrhenius T₀ = E_a/k_B); NaN (None in
        ``to_dict``) when R falls on cooling (slope ≤ 0: not activated).
    ea_meV, ea_err_meV : activation energy k_B T₀ (Arrhenius only, None otherwise).
    r0_ohm, r0_err_ohm : prefactor R₀.
    r2 : coefficient of determination of ln R on T^(−p); rss and rms_residual are in ln R.
    t_range_K : (T_min, T_max) of the points used; n_points their number.
    """

    model: str
    exponent: float
    t0_K: float
    t0_err_K: float
    r0_ohm: float
    r0_err_ohm: float
    ea_meV: float | None
    ea_err_meV: float | None
    r2: float
    rss: float
    rms_residual: float
    t_range_K: tuple[float, float]
    n_points: int
    slope: float
    slope_err: float
    intercept: float
    intercept_err: float

    def predict(self, temperature_K) -> np.ndarray | float:
        """R(T) = R₀ exp((T₀/T)^p) of the fit."""
        t = np.asarray(temperature_K, dtype=float)
        out = np.exp(self.intercept + self.slope * t ** (-self.exponent))
        return float(out) if out.ndim == 0 else out

    def to_dict(self) -> dict:
        def fin(v):
            return v if v is None or np.isfinite(v) else None

        return {
            "model": self.model,
            "exponent": self.exponent,
            "t0_K": fin(self.t0_K),
            "t0_err_K": fin(self.t0_err_K),
            "r0_ohm": self.r0_ohm,
            "r0_err_ohm": self.r0_err_ohm,
            "ea_meV": self.ea_meV,
            "ea_err_meV": self.ea_err_meV,
            "r2": self.r2,
            "rss_lnR": self.rss,
            "rms_residual_lnR": self.rms_residual,
            "t_range_K": list(self.t_range_K),
            "n_points": self.n_points,
            "hpglass_version": _version(),
        }


@dataclass(frozen=True)
class HoppingComparison:
    """Every model fitted over the same points, ranked by R² (best first), plus the Zabrodskii exponent."""

    fits: dict[str, HoppingFit]
    ranking: tuple[str, ...]
    zabrodskii_p: float | None
    zabrodskii_p_err: float | None
    t_range_K: tuple[float, float]

    @property
    def best(self) -> HoppingFit:
        return self.fits[self.ranking[0]]

    def to_dict(self) -> dict:
        return {
            "best_model": self.ranking[0],
            "ranking": list(self.ranking),
            "fits": {k: v.to_dict() for k, v in self.fits.items()},
            "zabrodskii_p": self.zabrodskii_p,
            "zabrodskii_p_err": self.zabrodskii_p_err,
            "t_range_K": list(self.t_range_K),
            "criterion": "R² of ln R vs T^-p over the same points (equivalently the residual sum of squares)",
            "hpglass_version": _version(),
        }


def _prepare(curve_or_t, r, t_range) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(curve_or_t, RCurve):
        if r is not None:
            raise InputError("give an RCurve or (temperature, resistance), not both", field="resistance")
        t = np.asarray(curve_or_t.temperature_K, dtype=float)
        rr = np.asarray(curve_or_t.resistance_ohm, dtype=float)
    else:
        if r is None:
            raise InputError("resistance is missing (give an RCurve or temperature and resistance)",
                             field="resistance")
        t = np.asarray(curve_or_t, dtype=float)
        rr = np.asarray(r, dtype=float)
    if t.ndim != 1 or rr.shape != t.shape:
        raise InputError(f"temperature and resistance must be 1D of equal length ({t.shape}, {rr.shape})",
                         field="temperature_K")
    m = np.isfinite(t) & np.isfinite(rr)
    if t_range is not None:
        lo, hi = float(t_range[0]), float(t_range[1])
        if not hi > lo:
            raise InputError(f"t_range must be (T_min, T_max) with T_max > T_min (got {t_range})", field="t_range")
        m &= (t >= lo) & (t <= hi)
    t, rr = t[m], rr[m]
    if np.any(t <= 0):
        raise InputError("temperatures must be > 0 K for hopping fits", field="temperature_K")
    if np.any(rr <= 0):
        raise InputError("resistances must be > 0 for hopping fits (ln R); choose a t_range above any "
                         "superconducting drop", field="resistance_ohm")
    if np.unique(t).size < 3:
        raise InputError(f"at least 3 distinct temperatures are needed in the fit range (got {np.unique(t).size})",
                         field="t_range")
    return t, rr


def _linfit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float, float, float]:
    """OLS y = a + b x: (a, σa, b, σb, rss, r2)."""
    n = x.size
    a_mat = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(a_mat, y, rcond=None)
    res = y - a_mat @ coef
    rss = float(res @ res)
    s2 = rss / (n - 2) if n > 2 else 0.0
    cov = s2 * np.linalg.inv(a_mat.T @ a_mat)
    tss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - rss / tss if tss > 0 else 0.0
    return float(coef[0]), float(np.sqrt(cov[0, 0])), float(coef[1]), float(np.sqrt(cov[1, 1])), rss, r2


def _fit(t: np.ndarray, r: np.ndarray, model: str) -> HoppingFit:
    p = HOPPING_MODELS[model]
    x = t ** (-p)
    y = np.log(r)
    a, sa, m, sm, rss, r2 = _linfit(x, y)
    if m > 0:
        t0 = m ** (1.0 / p)
        t0_err = t0 * sm / (p * m)
    else:  # resistance falling on cooling: no activation; report the signed slope honestly
        t0, t0_err = float("nan"), float("nan")
    r0 = float(np.exp(a))
    ea = ea_err = None
    if model == "arrhenius":
        ea, ea_err = m * K_B_MEV, sm * K_B_MEV
    return HoppingFit(model=model, exponent=p, t0_K=float(t0), t0_err_K=float(t0_err), r0_ohm=r0,
                      r0_err_ohm=r0 * sa, ea_meV=ea, ea_err_meV=ea_err, r2=float(r2), rss=rss,
                      rms_residual=float(np.sqrt(rss / t.size)), t_range_K=(float(t.min()), float(t.max())),
                      n_points=int(t.size), slope=m, slope_err=sm, intercept=a, intercept_err=sa)


def hopping_fit(curve_or_t, resistance=None, *, model: str = "mott3d", t_range=None) -> HoppingFit:
    """Fit one law (``model`` in :data:`HOPPING_MODELS`) to R(T) within ``t_range`` = (T_min, T_max) K."""
    if model not in HOPPING_MODELS:
        raise InputError(f"model must be one of {tuple(HOPPING_MODELS)} (got {model!r})", field="model")
    t, r = _prepare(curve_or_t, resistance, t_range)
    return _fit(t, r, model)


def arrhenius_fit(curve_or_t, resistance=None, *, t_range=None) -> HoppingFit:
    """R = R₀ exp(E_a / k_B T): ln R against 1/T; E_a in meV with its 1σ error."""
    return hopping_fit(curve_or_t, resistance, model="arrhenius", t_range=t_range)


def mott_vrh_fit(curve_or_t, resistance=None, *, d: int = 3, t_range=None) -> HoppingFit:
    """Mott VRH R = R₀ exp((T₀/T)^(1/(d+1))) with d = 3 (default) or 2."""
    if d not in (2, 3):
        raise InputError(f"d must be 2 or 3 (got {d})", field="d")
    return hopping_fit(curve_or_t, resistance, model=f"mott{d}d", t_range=t_range)


def es_vrh_fit(curve_or_t, resistance=None, *, t_range=None) -> HoppingFit:
    """Efros–Shklovskii VRH R = R₀ exp((T₀/T)^(1/2))."""
    return hopping_fit(curve_or_t, resistance, model="es", t_range=t_range)


def zabrodskii_exponent(curve_or_t, resistance=None, *, t_range=None, smooth_points: int = 5
                        ) -> tuple[float, float]:
    """Hopping exponent p (with 1σ) from ln w = const − p ln T, w = −d ln R / d ln T (Zabrodskii 1984).

    The derivative is taken by local linear fits over ``smooth_points`` neighbouring points in (ln T, ln R);
    points where w ≤ 0 (no activation) are dropped.
    """
    t, r = _prepare(curve_or_t, resistance, t_range)
    order = np.argsort(t)
    lt, lr = np.log(t[order]), np.log(r[order])
    k = max(3, int(smooth_points)) | 1
    if lt.size < k + 3:
        raise InputError(f"need at least {k + 3} points for the Zabrodskii analysis (got {lt.size})",
                         field="t_range")
    h = k // 2
    # local least-squares slopes over every window of k points at once (one row per window)
    wt = np.lib.stride_tricks.sliding_window_view(lt, k)
    wr = np.lib.stride_tricks.sliding_window_view(lr, k)
    xx = wt - wt.mean(axis=1, keepdims=True)
    w = -np.einsum("ij,ij->i", xx, wr - wr.mean(axis=1, keepdims=True)) / np.einsum("ij,ij->i", xx, xx)
    xs = lt[h : lt.size - h]
    ok = w > 0
    if ok.sum() < 3:
        raise InputError("R(T) is not activated (−d ln R/d ln T ≤ 0) in the range given", field="t_range")
    _, _, b, sb, _, _ = _linfit(xs[ok], np.log(w[ok]))
    return float(-b), float(sb)


def best_hopping_model(curve_or_t, resistance=None, *, t_range=None,
                       models: tuple[str, ...] = ("arrhenius", "mott3d", "mott2d", "es")) -> HoppingComparison:
    """Fit each law in ``models`` over the same points and rank by R² (= by residual sum of squares in ln R).

    Only laws with a positive slope (R rising on cooling) are ranked; InputError when none has one.
    """
    for m in models:
        if m not in HOPPING_MODELS:
            raise InputError(f"unknown model {m!r}; choose from {tuple(HOPPING_MODELS)}", field="models")
    t, r = _prepare(curve_or_t, resistance, t_range)
    fits = {m: _fit(t, r, m) for m in models}
    activated = [m for m in fits if fits[m].slope > 0]
    if not activated:
        raise InputError("R does not rise on cooling in this range (not activated): no hopping law applies",
                         field="t_range")
    ranking = tuple(sorted(activated, key=lambda m: -fits[m].r2))
    try:
        zp, zpe = zabrodskii_exponent(t, r)
    except InputError:
        zp = zpe = None
    return HoppingComparison(fits=fits, ranking=ranking, zabrodskii_p=zp, zabrodskii_p_err=zpe,
                             t_range_K=(float(t.min()), float(t.max())))
