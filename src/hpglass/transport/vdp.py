"""Van der Pauw sheet resistance and resistivity.

For a thin sample of any shape with four small contacts on its edge, the two four-probe resistances
R_A = R_{12,34} and R_B = R_{23,41} fix the sheet resistance R_s through (van der Pauw, Philips Res. Rep. 13, 1
(1958)):

    exp(−π R_A / R_s) + exp(−π R_B / R_s) = 1,          ρ = R_s · t   (t: thickness)

For R_A = R_B = R this gives R_s = π R / ln 2 exactly. Otherwise the equation is solved numerically:
brentq on u = ln R_s of g(u) = ln[exp(−π R_A e^{−u}) + exp(−π R_B e^{−u})] (log-sum-exp, so no under/overflow
for any ratio R_A/R_B). g increases monotonically and the root is bracketed by

    π min(R_A, R_B) / ln 2  ≤  R_s  ≤  π (R_A + R_B) / (2 ln 2)

(the lower bound makes both terms ≤ ½; the upper one follows from convexity of exp). Each R may be the average
of the reciprocal and reversed-polarity configurations (:func:`average_configurations`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..errors import ConvergenceError, InputError

__all__ = [
    "VdpResult",
    "average_configurations",
    "conductivity",
    "resistivity",
    "sheet_resistance",
    "vdp_factor",
]

_LN2 = np.log(2.0)


def _version() -> str:
    from .. import __version__

    return __version__


def _positive(a, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(f"{name} must be finite and > 0 (got {a!r})", field=name)
    return arr


def _solve_one(ra: float, rb: float) -> float:
    lo, hi = np.pi * min(ra, rb) / _LN2, np.pi * (ra + rb) / (2 * _LN2)
    if ra == rb:
        return hi

    def g(u: float) -> float:
        rs = np.exp(u)
        return float(np.logaddexp(-np.pi * ra / rs, -np.pi * rb / rs))

    ulo, uhi = np.log(lo), np.log(hi)
    if g(ulo) >= 0.0:
        return lo
    if g(uhi) <= 0.0:
        return hi
    try:
        u = brentq(g, ulo, uhi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - bracket is guaranteed analytically
        raise ConvergenceError(f"van der Pauw equation did not converge for R_A={ra}, R_B={rb}: {exc}") from exc
    return float(np.exp(u))


def sheet_resistance(r_a, r_b):
    """Sheet resistance R_s (Ω/□) from the two van der Pauw resistances (Ω); scalars or broadcastable arrays.

    Solves exp(−πR_A/R_s) + exp(−πR_B/R_s) = 1 (van der Pauw, Philips Res. Rep. 13, 1 (1958)); R_A = R_B = R
    gives π R / ln 2. Raises InputError for values ≤ 0 or non-finite.
    """
    a = _positive(r_a, "r_a")
    b = _positive(r_b, "r_b")
    a, b = np.broadcast_arrays(a, b)
    out = np.array([_solve_one(float(x), float(y)) for x, y in zip(a.ravel(), b.ravel(), strict=True)])
    out = out.reshape(a.shape)
    return float(out) if out.ndim == 0 else out


def vdp_factor(r_a, r_b):
    """The van der Pauw correction f(R_A/R_B) in R_s = π (R_A + R_B) f / (2 ln 2); f = 1 for R_A = R_B."""
    rs = sheet_resistance(r_a, r_b)
    return rs * 2 * _LN2 / (np.pi * (np.asarray(r_a, dtype=float) + np.asarray(r_b, dtype=float)))


def average_configurations(*resistances):
    """Mean of the reciprocal / reversed-polarity configurations of one van der Pauw resistance.

    E.g. R_A = (R_{12,34} + R_{34,12} + R_{21,43} + R_{43,21}) / 4 (reciprocity: R_{12,34} = R_{34,12}; averaging
    removes thermoelectric offsets). Values may be arrays; a negative sign (reversed wiring) is kept, so check
    that the result is positive before :func:`sheet_resistance`.
    """
    if not resistances:
        raise InputError("give at least one resistance", field="resistances")
    arr = np.asarray(np.broadcast_arrays(*[np.asarray(r, dtype=float) for r in resistances]))
    out = arr.mean(axis=0)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class VdpResult:
    """Sheet resistance (Ω/□), thickness (m) and resistivity in Ω·m and Ω·cm (scalars or arrays)."""

    r_a_ohm: float | np.ndarray
    r_b_ohm: float | np.ndarray
    sheet_resistance_ohm: float | np.ndarray
    thickness_m: float
    resistivity_ohm_m: float | np.ndarray
    resistivity_ohm_cm: float | np.ndarray

    @property
    def conductivity_S_per_m(self):
        return 1.0 / np.asarray(self.resistivity_ohm_m)

    @property
    def conductivity_S_per_cm(self):
        return 1.0 / np.asarray(self.resistivity_ohm_cm)

    def to_dict(self) -> dict:
        def j(v):
            return np.asarray(v, dtype=float).tolist()

        return {
            "r_a_ohm": j(self.r_a_ohm),
            "r_b_ohm": j(self.r_b_ohm),
            "sheet_resistance_ohm": j(self.sheet_resistance_ohm),
            "thickness_m": self.thickness_m,
            "resistivity_ohm_m": j(self.resistivity_ohm_m),
            "resistivity_ohm_cm": j(self.resistivity_ohm_cm),
            "conductivity_S_per_m": j(self.conductivity_S_per_m),
            "conductivity_S_per_cm": j(self.conductivity_S_per_cm),
            "method": "van der Pauw (Philips Res. Rep. 13, 1 (1958))",
            "hpglass_version": _version(),
        }


def resistivity(r_a, r_b, thickness_m: float) -> VdpResult:
    """ρ = R_s · t from the van der Pauw resistances (Ω) and the sample thickness (m): Ω·m and Ω·cm."""
    t = float(_positive(thickness_m, "thickness_m"))
    rs = sheet_resistance(r_a, r_b)
    rho = np.asarray(rs) * t
    rho_v = float(rho) if rho.ndim == 0 else rho
    rho_cm = float(rho * 100.0) if rho.ndim == 0 else rho * 100.0
    return VdpResult(r_a_ohm=r_a if np.ndim(r_a) == 0 else np.asarray(r_a, float), r_b_ohm=r_b if np.ndim(r_b) == 0
                     else np.asarray(r_b, float), sheet_resistance_ohm=rs, thickness_m=t,
                     resistivity_ohm_m=rho_v, resistivity_ohm_cm=rho_cm)


def conductivity(resistivity_value, unit: str = "ohm_cm"):
    """σ = 1/ρ: S/cm for ρ in Ω·cm (``unit='ohm_cm'``), S/m for ρ in Ω·m (``unit='ohm_m'``)."""
    if unit not in ("ohm_cm", "ohm_m"):
        raise InputError(f"unit must be 'ohm_cm' or 'ohm_m' (got {unit!r})", field="unit")
    rho = _positive(resistivity_value, "resistivity")
    out = 1.0 / rho
    return float(out) if out.ndim == 0 else out
