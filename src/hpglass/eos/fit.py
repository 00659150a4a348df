"""Fit an isothermal EOS to P–V (or P–ρ) data with errors in both variables; evaluate it with propagated errors.

Estimators
----------
``method="odr"`` (default) — orthogonal distance regression, the maximum-likelihood estimate for independent
Gaussian errors in P and V (Deming 1943; the model of ODRPACK, Boggs & Rogers, Contemp. Math. 112, 183 (1990)):
the true volumes V*ᵢ are fitted together with the EOS parameters θ, minimising

    χ² = Σ [(P(V*ᵢ; θ) − Pᵢ)/σPᵢ]² + [(V*ᵢ − Vᵢ)/σVᵢ]²

with :func:`scipy.optimize.least_squares` (trust-region reflective, analytic Jacobian). With σV only it fits
V(Pᵢ; θ) to Vᵢ (P exact); with σP only, P(Vᵢ; θ) to Pᵢ; with neither, unweighted P residuals.

``method="ev"`` — effective variance (Orear, Am. J. Phys. 50, 912 (1982)), the weighting of EosFit
(Angel, Rev. Mineral. Geochem. 41, 35 (2000); Gonzalez-Platas et al., J. Appl. Cryst. 49, 1377 (2016)):
σ²effᵢ = σPᵢ² + (Kᵢ/Vᵢ)² σVᵢ², the weights recomputed from the current θ until θ settles.

Covariance
----------
Both give, at the solution, C₀ = (Σᵢ gᵢ gᵢᵀ / σ²effᵢ)⁻¹ with gᵢ = ∂P/∂θ at Vᵢ (the ODR form is the Schur complement
of the latent volumes, which is the same expression at V*ᵢ). The reported covariance is C = S²·C₀
(``error_scale`` = S):

* ``scale_covariance="auto"`` (default): S² = χ²/ν when no errors were given (the errors then come from the
  scatter); with stated errors S² = max(1, χ²/ν) — the **Birge ratio**: stated errors that the scatter or a misfit
  of the form contradicts (χ²/ν > 1) are scaled up by √(χ²/ν), never down (Birge, Phys. Rev. 40, 207 (1932);
  Bevington & Robinson, *Data Reduction and Error Analysis*, 3rd ed., ch. 8 and 11; the Particle Data Group's
  scale factor S). Before issue 12 the stated errors were never scaled: with σ understated 3× the 95 % interval of K0
  covered the truth in 0.49 of the replicas (``benchmarks/coverage_fits.py``); with the Birge ratio 0.93–0.96.
* ``True``: S² = χ²/ν always (the stated errors are relative weights — EosFit7's "scale esd's by χ²" option);
* ``False``: S² = 1 (the stated errors are taken as exact).

Peers: SciPy's ``scipy.odr`` (deprecated in SciPy 1.17; not used here — the fit is ``least_squares`` over θ and
the latent volumes) returns ``cov_beta`` = C₀ *unscaled* and ``sd_beta`` = √(diag(C₀)·res_var) with res_var =
χ²/ν, i.e. always scaled, even down when χ²/ν < 1; burnman scales by χ²/ν; peritheos with
``absolute_sigma=True`` gives C₀. ``covariance_unscaled`` returns C₀ for such comparisons.

What the scale cannot do: when the *form* is wrong but the misfit hides in the noise (a Vinet fit to BM3 data of a
soft glass, χ²/ν unchanged), the form's bias on K0' and K0 is not in C; compare forms (bm3/vinet) for that
systematic. Fixed parameters have zero rows.

Derived quantities (delta method, the linear propagation of C): V(P) with ∂V/∂θ|P = (V/K) ∂P/∂θ|V,
ρ(P) = m/V(P), V0-based F–f errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from ..composition import Composition
from ..errors import ConvergenceError, InputError
from . import forms
from .basis import BASES, per_from_label
from .basis import mass_factor as _mass_factor

__all__ = ["EosFit", "EquationOfState", "FfPoints", "fit_eos", "fit_ff_line"]

_UNITS = {"V0": "", "K0": "_GPa", "K0p": "", "K0pp": "_per_GPa"}


def _versions() -> dict:
    import scipy

    from .. import __version__

    return {"hpglass": __version__, "numpy": np.__version__, "scipy": scipy.__version__}


@dataclass(frozen=True, eq=False, kw_only=True)
class EquationOfState:
    """An isothermal EOS with its parameter covariance.

    ``params`` holds PARAMS[form] (bm2 has no K0p: it is 4 by construction); ``covariance`` is over the same names
    in that order (zero rows for fixed or error-free parameters). ``volume_unit`` is one of "Å³/cell",
    "Å³/formula unit", "Å³/atom", "cm³/g", "Å³" (basis unknown); ρ [g/cm³] = ``mass_factor`` / V when known.
    """

    form: str
    params: Mapping[str, float]
    covariance: np.ndarray | None = None
    volume_unit: str = "Å³"
    mass_factor: float | None = None
    label: str = ""
    source: str | None = None
    pressure_range_GPa: tuple[float, float] | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        form = forms.check_form(self.form, self.source)
        object.__setattr__(self, "form", form)
        names = forms.PARAMS[form]
        params = dict(self.params)
        if form == "bm2":
            kp = params.pop("K0p", 4.0)
            if kp is not None and abs(float(kp) - 4.0) > 1e-12:
                raise InputError(f"bm2 has K0' = 4 by construction, got K0p={kp}", source=self.source, field="K0p")
        missing = [n for n in names if params.get(n) is None]
        if missing:
            raise InputError(f"{forms.NAMES[form]} needs {', '.join(missing)}", source=self.source,
                             field=missing[0])
        clean = {n: float(params[n]) for n in names}
        for n in ("V0", "K0"):
            if not (np.isfinite(clean[n]) and clean[n] > 0):
                raise InputError(f"{n} must be a positive number, got {clean[n]!r}", source=self.source, field=n)
        object.__setattr__(self, "params", clean)
        cov = np.zeros((len(names), len(names))) if self.covariance is None else np.array(self.covariance, float)
        if cov.shape != (len(names), len(names)):
            raise InputError(f"covariance must be {len(names)}×{len(names)} ({', '.join(names)})", source=self.source)
        object.__setattr__(self, "covariance", cov)

    # -- parameters --------------------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return forms.PARAMS[self.form]

    @property
    def V0(self) -> float:
        return self.params["V0"]

    @property
    def K0(self) -> float:
        return self.params["K0"]

    @property
    def K0p(self) -> float:
        return 4.0 if self.form == "bm2" else self.params["K0p"]

    @property
    def K0pp(self) -> float | None:
        """K0'' (GPa⁻¹): fitted for bm4; the value implied by the truncation for bm3 (Anderson 1995), else None."""
        if self.form == "bm4":
            return self.params["K0pp"]
        if self.form in ("bm2", "bm3"):
            kp = self.K0p
            return -((3.0 - kp) * (4.0 - kp) + 35.0 / 9.0) / self.K0
        return None

    @property
    def errors(self) -> dict[str, float]:
        err = np.sqrt(np.clip(np.diag(self.covariance), 0, None))
        return dict(zip(self.names, map(float, err)))

    @property
    def rho0(self) -> float | None:
        """Density at P = 0 (g/cm³) when the mass per volume unit is known."""
        return None if self.mass_factor is None else self.mass_factor / self.V0

    # -- evaluation --------------------------------------------------------------------------------------------
    def pressure(self, V):
        """P(V) in GPa."""
        return forms.pressure(V, self.params, self.form)

    def bulk_modulus(self, P):
        """K(P) in GPa."""
        return forms.bulk_modulus(forms.volume(P, self.params, self.form), self.params, self.form)

    def volume_gradient(self, P) -> tuple[np.ndarray, np.ndarray]:
        """(V(P), ∂V/∂θ at fixed P with shape (n, n_params))."""
        P = np.atleast_1d(np.asarray(P, dtype=float))
        V = np.atleast_1d(forms.volume(P, self.params, self.form))
        K = forms.bulk_modulus(V, self.params, self.form)
        dpdth = forms.dpressure_dparams(V, self.params, self.form)
        return V, dpdth * (V / K)[:, None]

    def volume(self, P):
        """(V, σV) at pressures ``P`` (GPa), σV from the covariance by the delta method."""
        scalar = np.ndim(P) == 0
        V, g = self.volume_gradient(P)
        err = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", g, self.covariance, g), 0, None))
        return (float(V[0]), float(err[0])) if scalar else (V.reshape(np.shape(P)), err.reshape(np.shape(P)))

    def with_mass(self, composition=None, Z: float | None = None, atoms_per_cell: float | None = None,
                  per: str | None = None) -> EquationOfState:
        """A copy that knows its mass per volume unit (from the composition and Z / atoms per cell)."""
        per = per if per is not None else per_from_label(self.volume_unit)
        factor = _mass_factor(per, composition, Z, atoms_per_cell, self.source)
        from dataclasses import replace

        return replace(self, mass_factor=factor, volume_unit=BASES[per])

    def density(self, P, composition=None, Z: float | None = None, atoms_per_cell: float | None = None):
        """(ρ, σρ) in g/cm³ at pressures ``P``; the mass comes from ``mass_factor`` or from the composition."""
        eos = self if (self.mass_factor is not None and composition is None) else self.with_mass(
            composition, Z, atoms_per_cell)
        V, sV = eos.volume(P)
        rho = eos.mass_factor / np.asarray(V)
        err = rho * np.asarray(sV) / np.asarray(V)
        if np.ndim(P) == 0:
            return float(rho), float(err)
        return rho, err

    # -- output ------------------------------------------------------------------------------------------------
    def param_dict(self) -> dict[str, Any]:
        err = self.errors
        out: dict[str, Any] = {"form": self.form, "V0": self.V0, "V0_err": err["V0"], "volume_unit": self.volume_unit,
                               "K0_GPa": self.K0, "K0_err_GPa": err["K0"], "K0p": self.K0p,
                               "K0p_err": err.get("K0p", 0.0)}
        if self.form == "bm4":
            out["K0pp_per_GPa"] = self.params["K0pp"]
            out["K0pp_err_per_GPa"] = err["K0pp"]
        if self.rho0 is not None:
            out["rho0_g_cm3"] = self.rho0
            out["rho0_err_g_cm3"] = self.rho0 * err["V0"] / self.V0
        return out

    def to_dict(self) -> dict[str, Any]:
        return self.param_dict() | {
            "label": self.label, "source": self.source, "covariance": self.covariance.tolist(),
            "covariance_order": list(self.names), "pressure_range_GPa": self.pressure_range_GPa,
            "meta": dict(self.meta), "versions": _versions()}


@dataclass(frozen=True, eq=False)
class FfPoints:
    """F–f points: Eulerian strain f and normalised stress F (GPa) with their errors.

    Left out (counted in ``dropped``, explained in ``notes``): rows at P = 0 — F = P/[3f(1 + 2f)^{5/2}] is 0/0
    there (f is ≈ 0 by construction, or a tiny ± number set by the fitted V0's scatter), so such a row gave F = 0
    with σF = NaN and, weighted as if exact, pulled the line to K0 ≈ 0 — and rows at f ≤ 0 (V ≥ V0: F undefined).
    """

    f: np.ndarray
    f_err: np.ndarray
    F_GPa: np.ndarray
    F_err_GPa: np.ndarray
    pressure_GPa: np.ndarray
    volume: np.ndarray
    V0: float
    dropped: int = 0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"f": self.f.tolist(), "f_err": self.f_err.tolist(), "F_GPa": self.F_GPa.tolist(),
                "F_err_GPa": self.F_err_GPa.tolist(), "pressure_GPa": self.pressure_GPa.tolist(),
                "volume": self.volume.tolist(), "V0": self.V0, "dropped_points": self.dropped,
                "notes": list(self.notes)}


#: the F–f line's K0' outside this range is flagged as unphysical (K0' of solids is typically 4–7; a value far
#: outside usually comes from V0, a P ≈ 0 row or too short a pressure range, not from the material)
FF_K0P_RANGE = (2.0, 12.0)


def ff_points(P, V, V0: float, sigma_P=None, sigma_V=None, sigma_V0: float = 0.0) -> FfPoints:
    """F–f points of data (P, V) about ``V0`` (see :mod:`hpglass.eos.forms`); P = 0 and f ≤ 0 rows left out."""
    P = np.asarray(P, float)
    V = np.asarray(V, float)
    f, sf, F, sF = forms.strain_and_stress(P, V, V0, sigma_P, sigma_V, sigma_V0)
    at_zero = P == 0
    unstrained = ~at_zero & ~(f > 1e-9)
    keep = ~at_zero & ~unstrained
    notes = []
    if at_zero.any():
        notes.append(f"{int(at_zero.sum())} row(s) at P = 0 left out: F = P/[3f(1+2f)^(5/2)] is 0/0 there "
                     "(f ≈ 0 about the fitted V0)")
    if unstrained.any():
        notes.append(f"{int(unstrained.sum())} row(s) at f ≤ 0 (V ≥ V0) left out: F is undefined there")
    return FfPoints(f[keep], sf[keep], F[keep], sF[keep], P[keep], V[keep], float(V0), int((~keep).sum()),
                    tuple(notes))


def fit_ff_line(ff: FfPoints) -> dict[str, Any]:
    """Weighted straight line F = K0 + 3/2 K0 (K0' − 4) f through F–f points (weights 1/σF², unit if none).

    Returns K0_GPa, K0p (= 4 + 2·slope/(3·K0)), intercept, slope and their errors (scaled by χ²/ν, as a
    diagnostic: the F–f errors are correlated through V0), ``n_points``, ``converged`` and ``warnings``: an
    unphysical line — K0 ≤ 0, K0' outside :data:`FF_K0P_RANGE` (2–12), or a fit that did not converge (fewer than
    two usable points, a singular system, non-finite results) — is flagged there, not raised. Points whose F or σF
    is not finite are not used.
    """
    use = np.isfinite(ff.f) & np.isfinite(ff.F_GPa) & ~(ff.F_err_GPa < 0)
    if np.any(np.isfinite(ff.F_err_GPa[use]) & (ff.F_err_GPa[use] > 0)):
        use &= np.isfinite(ff.F_err_GPa) & (ff.F_err_GPa > 0)  # stated errors: a point without one is not used
    f, F = ff.f[use], ff.F_GPa[use]
    nan = float("nan")
    out: dict[str, Any] = {"K0_GPa": nan, "K0_err_GPa": nan, "K0p": nan, "K0p_err": nan, "intercept_GPa": nan,
                           "slope_GPa": nan, "slope_err_GPa": nan, "n_points": int(f.size), "converged": False,
                           "warnings": []}
    if f.size < 2 or np.ptp(f) <= 0:
        out["warnings"].append(f"F–f line not fitted: {f.size} usable point(s) at distinct strains (needs 2)")
        return out
    sF = ff.F_err_GPa[use]
    w = 1.0 / np.where(np.isfinite(sF) & (sF > 0), sF, 1.0) ** 2
    A = np.column_stack([np.ones_like(f), f])
    AtW = A.T * w
    try:
        cov = np.linalg.inv(AtW @ A)
    except np.linalg.LinAlgError:
        out["warnings"].append("F–f line did not converge: singular normal equations")
        return out
    beta = cov @ (AtW @ F)
    r = F - A @ beta
    dof = max(len(f) - 2, 1)
    cov = cov * float(np.sum(w * r * r) / dof)
    k0, slope = beta
    with np.errstate(all="ignore"):
        kp = 4.0 + 2.0 * slope / (3.0 * k0)
        g = np.array([-2.0 * slope / (3.0 * k0**2), 2.0 / (3.0 * k0)])
        out.update({"K0_GPa": float(k0), "K0_err_GPa": float(np.sqrt(cov[0, 0])), "K0p": float(kp),
                    "K0p_err": float(np.sqrt(g @ cov @ g)), "intercept_GPa": float(k0), "slope_GPa": float(slope),
                    "slope_err_GPa": float(np.sqrt(cov[1, 1]))})
    out["converged"] = bool(np.all(np.isfinite([out[k] for k in ("K0_GPa", "K0_err_GPa", "K0p", "K0p_err")])))
    if not out["converged"]:
        out["warnings"].append("F–f line did not converge: non-finite K0, K0' or errors")
    if np.isfinite(k0) and k0 <= 0:
        out["warnings"].append(f"F–f line: K0 = {k0:.3g} GPa ≤ 0 is unphysical (intercept of F at f = 0)")
    lo, hi = FF_K0P_RANGE
    if np.isfinite(kp) and not lo <= kp <= hi:
        out["warnings"].append(f"F–f line: K0' = {kp:.3g} lies outside {lo:g}–{hi:g}, unphysical for a solid or "
                               "glass — check V0, the P = 0 rows and the pressure range")
    return out


@dataclass(frozen=True, eq=False, kw_only=True)
class EosFit(EquationOfState):
    """An EOS fitted to data: the EquationOfState plus the data, χ², degrees of freedom and method."""

    pressure_GPa: np.ndarray
    volume_data: np.ndarray
    sigma_P_GPa: np.ndarray | None = None
    sigma_V: np.ndarray | None = None
    adjusted_volume: np.ndarray | None = None
    chi2: float = float("nan")
    dof: int = 0
    method: str = "odr"
    fixed: Mapping[str, float] = field(default_factory=dict)
    scaled_covariance: bool = False
    weighting: str = ""
    error_scale: float = 1.0
    error_method: str = ""

    @property
    def n_points(self) -> int:
        return int(self.pressure_GPa.size)

    @property
    def chi2_red(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else float("nan")

    @property
    def covariance_unscaled(self) -> np.ndarray:
        """C₀ = covariance / error_scale²: the covariance the stated errors alone give (scipy.odr's ``cov_beta``)."""
        return self.covariance / self.error_scale**2 if self.error_scale > 0 else self.covariance

    @property
    def residuals_GPa(self) -> np.ndarray:
        """Pᵢ − P(Vᵢ) at the measured volumes."""
        return self.pressure_GPa - self.pressure(self.volume_data)

    def ff_points(self) -> FfPoints:
        """F–f points of the data about the fitted V0 (σV0 included in every point's σf, as Angel 2000 does)."""
        return ff_points(self.pressure_GPa, self.volume_data, self.V0, self.sigma_P_GPa, self.sigma_V,
                         self.errors["V0"])

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {
            "chi2": self.chi2, "chi2_red": self.chi2_red, "dof": self.dof, "n_points": self.n_points,
            "method": self.method, "weighting": self.weighting, "fixed": dict(self.fixed),
            "scaled_covariance": self.scaled_covariance, "error_scale": self.error_scale,
            "error_method": self.error_method,
            "residuals_GPa": self.residuals_GPa.tolist()}


# -- fitting ---------------------------------------------------------------------------------------------------
#: plausible input ranges of fit_eos: |P| up to 10 TPa, volumes within a factor 100 of each other
MAX_ABS_PRESSURE_GPA = 1e4
MAX_VOLUME_SPAN = 100.0


def _as_array(x, name, n, source, allow_none=False):
    if x is None:
        return None
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise InputError(f"{name} has {a.size} values, pressures have {n}", source=source, field=name)
    if not np.all(np.isfinite(a)):
        raise InputError(f"{name} holds a NaN or inf", source=source, field=name)
    return a


def _sigma(s, name, source, values=None):
    """None when absent or all zero; InputError when negative, zero on only some rows, or implausibly tiny (below
    1e-12 of the value: ``values`` per point, or the largest |value| for pressures that may be 0)."""
    if s is None:
        return None
    if np.any(s < 0):
        raise InputError(f"{name} is negative on point {int(np.argmax(s < 0)) + 1}", source=source, field=name)
    if values is not None:
        tiny = (s > 0) & (s < 1e-12 * np.abs(values))
        if np.any(tiny):
            i = int(np.argmax(tiny))
            raise InputError(f"{name} {s[i]:g} on point {i + 1} is implausibly small (below 1e-12 × "
                             f"{abs(values[i]):g}); give a real 1σ error, or none", source=source, field=name)
    if np.all(s == 0):
        return None
    if np.any(s == 0):
        raise InputError(f"{name} is zero on point {int(np.argmax(s == 0)) + 1} but not on others; give every point "
                         "an error, or none", source=source, field=name)
    return s


def _initial_guess(P, V, form, guess):
    order = np.argsort(P)
    p, v = P[order], V[order]
    deg = min(2, len(p) - 1)
    if deg >= 1 and np.ptp(p) > 0:
        c = np.polyfit(p, np.log(v), deg)
        v0 = float(np.exp(np.polyval(c, 0.0)))
        slope = float(np.polyval(np.polyder(c), 0.0))  # d ln V/dP = −1/K
        k0 = -1.0 / slope if slope < 0 else float("nan")
    else:
        v0, k0 = float(v[0]), float("nan")
    if not (np.isfinite(v0) and v0 > 0):
        v0 = float(v.max())
    if p.min() >= 0:
        v0 = max(v0, float(v.max()) * (1 + 1e-4))
    if not (np.isfinite(k0) and k0 > 0):
        k0 = max(float(np.ptp(p)) / max(np.log(v.max() / v.min()), 1e-3), 1.0)
    g = {"V0": v0, "K0": k0, "K0p": 4.0}
    g.update({k: float(val) for k, val in guess.items() if val is not None})
    if form == "bm4":
        kp = g["K0p"]
        g.setdefault("K0pp", -((3.0 - kp) * (4.0 - kp) + 35.0 / 9.0) / g["K0"])
    return g


def fit_eos(
    P,
    V,
    sigma_P=None,
    sigma_V=None,
    *,
    form: str = "bm3",
    fixed: Mapping[str, float] | None = None,
    V0: float | None = None,
    K0: float | None = None,
    K0p: float | None = None,
    K0pp: float | None = None,
    method: str = "odr",
    scale_covariance: bool | str = "auto",
    volume_unit: str = "Å³",
    mass_factor: float | None = None,
    label: str = "",
    source: str | None = None,
) -> EosFit:
    """Fit ``form`` to pressures ``P`` (GPa) and volumes ``V`` (any volume unit) with errors in both.

    ``fixed`` holds parameters kept at a value (e.g. ``{"K0p": 4}``); ``V0``/``K0``/``K0p``/``K0pp`` are starting
    values (default: from a quadratic ln V(P)). ``method`` "odr" or "ev" (module docstring). ``scale_covariance``
    "auto" (errors from the scatter without stated errors; stated errors scaled by the Birge ratio √(χ²/ν) when
    χ²/ν > 1), True (always scaled by √(χ²/ν)) or False (never): module docstring, "Covariance". ``volume_unit`` and
    ``mass_factor`` are carried to the result for densities (see :mod:`hpglass.eos.basis`). Raises InputError on
    bad input (naming ``source``), ConvergenceError when the optimiser fails.
    """
    form = forms.check_form(form, source)
    if method not in ("odr", "ev"):
        raise InputError(f"method must be 'odr' or 'ev', got {method!r}", source=source, field="method")
    P = np.asarray(P, dtype=float).ravel()
    n = P.size
    if n == 0:
        raise InputError("no data points", source=source)
    if not np.all(np.isfinite(P)):
        raise InputError("pressures hold a NaN or inf", source=source, field="pressure")
    V = _as_array(V, "volume", n, source)
    if np.any(V <= 0):
        raise InputError(f"volume {V[V <= 0][0]:g} on point {int(np.argmax(V <= 0)) + 1} is not positive",
                         source=source, field="volume")
    # beyond these the arithmetic overflows (1e308 cells) and no solid does it: refuse, naming the point
    big_p = np.abs(P) > MAX_ABS_PRESSURE_GPA
    if np.any(big_p):
        i = int(np.argmax(big_p))
        raise InputError(f"pressure {P[i]:g} GPa on point {i + 1} is beyond ±{MAX_ABS_PRESSURE_GPA:g} GPa",
                         source=source, field="pressure")
    if V.max() / V.min() > MAX_VOLUME_SPAN:
        i = int(np.argmax(V)) if V.max() / np.median(V) > np.median(V) / V.min() else int(np.argmin(V))
        raise InputError(f"volume {V[i]:g} on point {i + 1}: the volumes span a factor {V.max() / V.min():.3g}, "
                         f"more than the {MAX_VOLUME_SPAN:g} any compression gives (a corrupt cell or mixed units?)",
                         source=source, field="volume")
    sP = _sigma(_as_array(sigma_P, "sigma_P", n, source), "sigma_P", source, np.full(n, np.max(np.abs(P))))
    sV = _sigma(_as_array(sigma_V, "sigma_V", n, source), "sigma_V", source, V)

    names = forms.PARAMS[form]
    fixed = {k: float(v) for k, v in (fixed or {}).items() if v is not None}
    if form == "bm2" and "K0p" in fixed and abs(fixed.pop("K0p") - 4.0) > 1e-12:
        raise InputError("bm2 has K0' = 4 by construction; use bm3 to fix another K0'", source=source,
                         field="K0p")
    unknown = [k for k in fixed if k not in names]
    if unknown:
        raise InputError(f"cannot fix {', '.join(unknown)}: {form} has parameters {', '.join(names)}",
                         source=source, field=unknown[0])
    free = tuple(k for k in names if k not in fixed)
    if not free:
        raise InputError("every parameter is fixed: nothing to fit", source=source)
    if n < len(free):
        raise InputError(f"{forms.NAMES[form]} ({form}) fits {len(free)} parameters ({', '.join(free)}) but the data "
                         f"have {n} point{'s' if n != 1 else ''}; give at least {len(free)} (better {len(free) + 2}+) "
                         "or fix a parameter", source=source)
    guess = _initial_guess(P, V, form, {"V0": V0, "K0": K0, "K0p": K0p, "K0pp": K0pp})
    guess.update(fixed)

    def full(theta):
        d = dict(guess)
        d.update(zip(free, theta))
        return d

    lower = np.array([1e-12 if k in ("V0", "K0") else -np.inf for k in free])
    upper = np.full(len(free), np.inf)
    x0 = np.array([guess[k] for k in free])
    x0 = np.clip(x0, lower * 1.0000001 + 1e-300, upper)

    # stage 1: unweighted (or σP-weighted) P residuals at the measured volumes — always defined, robust start
    w1 = 1.0 / sP if sP is not None else np.ones(n)
    if sP is None and sV is not None:
        w1 = 1.0 / sV  # crude but scale-correct start; refined below

    def res1(theta):
        with np.errstate(all="ignore"):
            r = (forms.pressure(V, full(theta), form) - P) * w1
        return np.where(np.isfinite(r), r, 1e6)

    def jac1(theta):
        return forms.dpressure_dparams(V, full(theta), form, free) * w1[:, None]

    try:
        with np.errstate(all="ignore"):
            sol = least_squares(res1, x0, jac=jac1, bounds=(lower, upper), x_scale="jac", method="trf",
                                max_nfev=2000)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise ConvergenceError(f"the starting fit failed on non-finite numbers ({exc}); check the points for "
                               "extreme values", source=source) from None
    theta = sol.x

    if sP is not None and sV is not None and method == "odr":
        weighting = "odr: errors in P and V (latent true volumes)"
        theta, vstar, chi2, status = _odr(P, V, sP, sV, theta, full, form, free, lower, upper)
    elif sP is None and sV is not None and method == "odr":
        weighting = "odr: errors in V only (V(P) residuals)"
        theta, vstar, chi2, status = _v_only(P, V, sV, theta, full, form, free, lower, upper)
    elif sV is not None:
        weighting = "effective variance σP² + (K/V)²σV²" if sP is not None else "effective variance (K/V)²σV²"
        theta, vstar, chi2, status = _effective_variance(P, V, sP, sV, theta, full, form, free, lower, upper)
    else:
        weighting = "σP" if sP is not None else "unweighted (errors from the scatter)"
        chi2 = float(np.sum(sol.fun**2))
        vstar, status = V.copy(), sol
    if not status.success:
        raise ConvergenceError(f"{form} fit did not converge: {status.message}", source=source)
    params = full(theta)
    # covariance (Σ g gᵀ/σ²eff)⁻¹ at the adjusted volumes
    K = forms.bulk_modulus(vstar, params, form)
    var = (np.zeros(n) if sP is None else sP**2) + (np.zeros(n) if sV is None else (K / vstar * sV) ** 2)
    if sP is None and sV is None:
        var = np.ones(n)
    g = forms.dpressure_dparams(vstar, params, form, free)
    info = (g / var[:, None]).T @ g
    try:
        cov_free = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov_free = np.linalg.pinv(info)
    dof = n - len(free)
    chi2_red = chi2 / dof if dof > 0 else np.nan
    no_errors = sP is None and sV is None
    if scale_covariance == "auto":
        if no_errors:
            s2, how = chi2_red, "errors from the residual scatter (no errors given: s² = χ²/ν)"
        elif dof > 0 and chi2_red > 1.0:
            s2, how = chi2_red, f"stated errors scaled by the Birge ratio √(χ²/ν) = {np.sqrt(chi2_red):.3g}"
        else:
            s2, how = 1.0, ("stated errors (χ²/ν ≤ 1: not scaled)" if dof > 0
                            else "stated errors (no degrees of freedom: χ²/ν undefined, not scaled)")
    elif scale_covariance:
        s2, how = chi2_red, "stated errors scaled by √(χ²/ν) (scale_covariance=True)"
    else:
        s2, how = 1.0, "stated errors taken as exact (scale_covariance=False)"
    scale = bool(s2 != 1.0)
    cov_free = cov_free * s2
    cov = np.zeros((len(names), len(names)))
    idx = [names.index(k) for k in free]
    cov[np.ix_(idx, idx)] = cov_free
    meta = {}
    if dof == 0:
        meta["warning"] = "as many points as free parameters: χ²/ν undefined"
    return EosFit(
        form=form, params={k: params[k] for k in names}, covariance=cov, volume_unit=volume_unit,
        mass_factor=mass_factor, label=label, source=source,
        pressure_range_GPa=(float(P.min()), float(P.max())), meta=meta,
        pressure_GPa=P, volume_data=V, sigma_P_GPa=sP, sigma_V=sV, adjusted_volume=vstar, chi2=float(chi2),
        dof=dof, method=method, fixed=fixed, scaled_covariance=scale, weighting=weighting,
        error_scale=float(np.sqrt(s2)) if np.isfinite(s2) else float("nan"), error_method=how)


def _odr(P, V, sP, sV, theta, full, form, free, lower, upper):
    n, k = P.size, len(free)

    def res(x):
        th, vs = x[:k], x[k:]
        with np.errstate(all="ignore"):
            rp = (forms.pressure(vs, full(th), form) - P) / sP
        r = np.concatenate([rp, (vs - V) / sV])
        return np.where(np.isfinite(r), r, 1e6)

    sparse = n > 120  # the Jacobian is [[∂P/∂θ, diag], [0, diag]]: sparse + LSMR keeps large sets fast
    rows_p = np.repeat(np.arange(n), k)
    cols_p = np.tile(np.arange(k), n)
    diag_rows = np.concatenate([np.arange(n), n + np.arange(n)])
    diag_cols = np.concatenate([k + np.arange(n), k + np.arange(n)])

    def jac(x):
        th, vs = x[:k], x[k:]
        prm = full(th)
        a = forms.dpressure_dparams(vs, prm, form, free) / sP[:, None]
        with np.errstate(all="ignore"):
            d = -forms.bulk_modulus(vs, prm, form) / vs / sP
        if sparse:
            from scipy.sparse import csr_matrix

            data = np.concatenate([a.ravel(), d, 1.0 / sV])
            return csr_matrix((data, (np.concatenate([rows_p, diag_rows]), np.concatenate([cols_p, diag_cols]))),
                              shape=(2 * n, k + n))
        J = np.zeros((2 * n, k + n))
        J[:n, :k] = a
        J[np.arange(n), k + np.arange(n)] = d
        J[n + np.arange(n), k + np.arange(n)] = 1.0 / sV
        return J

    with np.errstate(all="ignore"):
        wp, wv = 1.0 / sP, 1.0 / sV
    if not (np.all(np.isfinite(wp)) and np.all(np.isfinite(wv)) and np.all(np.isfinite(theta))):
        raise InputError("the stated errors are too small to weight the points (1/σ overflows); give real 1σ "
                         "errors", field="sigma_V" if not np.all(np.isfinite(wv)) else "sigma_P")
    x0 = np.concatenate([theta, V])
    lo = np.concatenate([lower, np.full(n, 1e-12)])
    hi = np.concatenate([upper, np.full(n, np.inf)])
    try:
        with np.errstate(all="ignore"):
            sol = least_squares(res, x0, jac=jac, bounds=(lo, hi), x_scale="jac", method="trf", xtol=1e-14,
                                ftol=1e-14, gtol=1e-12, max_nfev=5000, tr_solver="lsmr" if sparse else "exact",
                                **({"tr_options": {"atol": 1e-15, "btol": 1e-15}} if sparse else {}))
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise ConvergenceError(f"the errors-in-both-variables fit failed on non-finite numbers ({exc}); check "
                               "the errors and values for extreme entries") from None
    return sol.x[:k], sol.x[k:], float(np.sum(sol.fun**2)), sol


def _v_only(P, V, sV, theta, full, form, free, lower, upper):
    def model(th):
        with np.errstate(all="ignore"):
            return np.atleast_1d(forms.volume(P, full(th), form))

    def res(th):
        r = (model(th) - V) / sV
        return np.where(np.isfinite(r), r, 1e6)

    def jac(th):
        prm = full(th)
        vm = model(th)
        K = forms.bulk_modulus(vm, prm, form)
        return forms.dpressure_dparams(vm, prm, form, free) * (vm / K / sV)[:, None]

    sol = least_squares(res, theta, jac=jac, bounds=(lower, upper), x_scale="jac", method="trf", xtol=1e-14,
                        ftol=1e-14, gtol=1e-12, max_nfev=2000)
    return sol.x, model(sol.x), float(np.sum(sol.fun**2)), sol


def _effective_variance(P, V, sP, sV, theta, full, form, free, lower, upper):
    sp2 = np.zeros_like(P) if sP is None else sP**2
    sol = None
    for _ in range(50):
        K = forms.bulk_modulus(V, full(theta), form)
        w = 1.0 / np.sqrt(sp2 + (K / V * sV) ** 2)

        def res(th, w=w):
            with np.errstate(all="ignore"):
                r = (forms.pressure(V, full(th), form) - P) * w
            return np.where(np.isfinite(r), r, 1e6)

        def jac(th, w=w):
            return forms.dpressure_dparams(V, full(th), form, free) * w[:, None]

        sol = least_squares(res, theta, jac=jac, bounds=(lower, upper), x_scale="jac", method="trf", xtol=1e-14,
                            ftol=1e-14, gtol=1e-12, max_nfev=2000)
        step = np.max(np.abs(sol.x - theta) / np.maximum(np.abs(theta), 1e-8))
        theta = sol.x
        if step < 1e-10:
            break
    else:  # pragma: no cover - the weights settle in a few cycles for any sensible data
        warnings.warn("effective-variance weights did not settle in 50 cycles", RuntimeWarning, stacklevel=3)
    return theta, V.copy(), float(np.sum(sol.fun**2)), sol


def fit_density(P, rho, sigma_P=None, sigma_rho=None, *, composition=None, per: str = "atom", Z=None,
                **kwargs) -> EosFit:
    """Fit P–ρ data (g/cm³): ρ becomes a volume per atom / formula unit / cell (Å³) with the composition, else a
    specific volume 1/ρ (cm³/g); σV = V σρ/ρ. Other arguments as :func:`fit_eos`."""
    rho = np.asarray(rho, dtype=float)
    src = kwargs.get("source")
    if np.any(~np.isfinite(rho)) or np.any(rho <= 0):
        bad = int(np.argmax(~(np.isfinite(rho) & (rho > 0)))) + 1
        raise InputError(f"density on point {bad} is not a positive number", source=src, field="density")
    if composition is None:
        per = "gram"
    factor = _mass_factor(per, composition, Z, None, src)
    V = factor / rho
    sV = None if sigma_rho is None else V * np.asarray(sigma_rho, dtype=float) / rho
    return fit_eos(P, V, sigma_P, sV, volume_unit=BASES[per], mass_factor=factor, **kwargs)


def eos_from_params(form: str = "bm3", *, V0: float | None = None, rho0: float | None = None, K0: float,
                    K0p: float | None = None, K0pp: float | None = None, errors: Mapping[str, float] | None = None,
                    per: str | None = None, composition=None, Z: float | None = None, label: str = "",
                    source: str | None = None) -> EquationOfState:
    """An EOS from given parameters: ``V0`` (Å³ ``per`` cell/formula/atom) or ``rho0`` (g/cm³; V0 = 1/ρ0 cm³/g).

    ``errors`` maps V0/rho0/K0/K0p/K0pp to standard errors (uncorrelated). The mass per volume unit is set from the
    composition (and Z for a cell) when given, so that densities and crossovers work.
    """
    form = forms.check_form(form, source)
    errors = dict(errors or {})
    if (V0 is None) == (rho0 is None):
        raise InputError("give exactly one of V0 and rho0", source=source, field="V0")
    comp = None if composition is None else Composition.parse(composition)
    if rho0 is not None:
        if not rho0 > 0:
            raise InputError(f"rho0 must be positive, got {rho0}", source=source, field="rho0")
        v0, per, factor = 1.0 / rho0, "gram", 1.0
        if "rho0" in errors:
            errors["V0"] = errors.pop("rho0") / rho0**2
    else:
        v0 = V0
        factor = None
        if comp is not None and per in ("cell", "formula", "atom"):
            factor = _mass_factor(per, comp, Z, None, source)
    params = {"V0": v0, "K0": K0, "K0p": K0p, "K0pp": K0pp}
    names = forms.PARAMS[form]
    cov = np.diag([float(errors.get(k, 0.0)) ** 2 for k in names])
    given = {k: params[k] for k in names} | ({"K0p": K0p} if form == "bm2" and K0p is not None else {})
    return EquationOfState(form=form, params=given, covariance=cov, volume_unit=BASES.get(per, "Å³"),
        mass_factor=factor, label=label, source=source)
