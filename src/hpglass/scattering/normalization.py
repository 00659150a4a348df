"""Normalization of a background-subtracted intensity to electron units, and the Faber–Ziman S(q).

With I(q) the corrected sample intensity and α the normalization factor (Faber & Ziman, Phil. Mag. 11, 153
(1965); Eggert et al., Phys. Rev. B 65, 174105 (2002), eqs. 3–8):

    S(q) = [α I(q) − ⟨f²⟩ − KN(q) C(q)] / ⟨f⟩² + 1

where C(q) = Σ c_a S_a(q) is the incoherent scattering and KN the Klein–Nishina factor (``hpglass.xray``).

Krogh-Moe/Norman (Krogh-Moe, Acta Cryst. 9, 951 (1956); Norman, Acta Cryst. 10, 370 (1957)): the sum rule
∫₀^∞ q² [S(q) − 1] dq = −2π²ρ fixes α for a given number density ρ. Here the integral runs over the measured
range [q_min, q_max] plus the unmeasured region 0 … q_min, where S(q) is taken as the straight line from S(0)
to S(q_min) (the same model as the low-q extrapolation). Both parts are linear in α, so α is solved exactly:

    α = [−2π²ρ + ∫_{q_min}^{q_max} q² (⟨f²⟩ + KN C)/⟨f⟩² dq − L₀] / [∫ q² I/⟨f⟩² dq + L₁]

with L₀ + α L₁ = ∫₀^{q_min} q² (S_lin(q) − 1) dq. The high-q fit (e.g. Wagner, J. Non-Cryst. Solids 31, 1
(1978)) instead matches α I(q) to ⟨f²⟩ + KN C in a least-squares sense above q_cut, weighting by q².
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..xray import ScatteringFactors
from .transform import trapezoid_weights


def faber_ziman_sq(intensity: np.ndarray, alpha: float, sf: ScatteringFactors, compton: np.ndarray) -> np.ndarray:
    """S(q) = (α I − ⟨f²⟩ − compton)/⟨f⟩² + 1; ``compton`` already includes the Klein–Nishina factor."""
    return (alpha * np.asarray(intensity) - sf.f_squared_mean - compton) / sf.f_mean_squared + 1.0


def krogh_moe_norman(
    q: np.ndarray,
    intensity: np.ndarray,
    sf: ScatteringFactors,
    compton: np.ndarray,
    number_density: float,
    s0: float,
) -> float:
    """α from the Krogh-Moe/Norman sum rule over 0 … q_max (see module docstring). ρ in atoms/Å³."""
    q = np.asarray(q, dtype=float)
    w = trapezoid_weights(q) * q**2 / sf.f_mean_squared
    num = -2.0 * np.pi**2 * number_density + np.sum(w * (sf.f_squared_mean + compton))
    den = np.sum(w * intensity)
    # Low-q region 0 … q_min with S linear from s0 to S(q_min) = (αI₀ − a₀)/b₀ + 1:
    # ∫₀^{q_min} q² (S_lin − 1) dq = (s0 − 1) q_min³/3 + (S(q_min) − s0) q_min³/4.
    q0 = q[0]
    a0 = sf.f_squared_mean[0] + compton[0]
    b0 = sf.f_mean_squared[0]
    cube = q0**3
    l0 = (s0 - 1.0) * cube / 3.0 + (-a0 / b0 + 1.0 - s0) * cube / 4.0
    l1 = intensity[0] / b0 * cube / 4.0
    alpha = (num - l0) / (den + l1)
    if not np.isfinite(alpha) or alpha <= 0:
        raise InputError(
            f"Krogh-Moe normalization gives α = {alpha:.3g} ≤ 0: the corrected intensity is not positive "
            "enough (background scale too large, or wrong composition/density)",
            field="normalization",
        )
    return float(alpha)


def high_q_fit(
    q: np.ndarray, intensity: np.ndarray, sf: ScatteringFactors, compton: np.ndarray, q_cut: float
) -> float:
    """α minimising Σ q⁴ [α I − ⟨f²⟩ − compton]² over q > q_cut (weights q², squared)."""
    sel = np.asarray(q) > q_cut
    if sel.sum() < 10:
        raise InputError(f"fewer than 10 points above q_cut = {q_cut} Å⁻¹ for the high-q fit", field="fit_q_cut")
    w = np.asarray(q)[sel] ** 2
    y = intensity[sel] * w
    t = (sf.f_squared_mean[sel] + compton[sel]) * w
    alpha = float(np.dot(y, t) / np.dot(y, y))
    if not alpha > 0:
        raise InputError(f"high-q fit gives α = {alpha:.3g} ≤ 0: the corrected intensity is negative at high q",
                         field="normalization")
    return alpha


def extend_to_zero(q: np.ndarray, sq: np.ndarray, s0: float, method: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    """Prepend 0 … q_min with the first grid step: S(q) from s0 at q = 0 to the measured S(q_min).

    ``linear``: straight line to S(q_min); ``step``: constant s0; ``flat``: constant S(q_min) (s0 unused);
    ``none``: nothing added.
    """
    q = np.asarray(q, dtype=float)
    if method == "none" or q[0] <= 0:
        return q, np.asarray(sq, dtype=float)
    step = q[1] - q[0]
    n = int(np.floor(q[0] / step - 1e-9))
    q_low = q[0] - step * np.arange(n, 0, -1) if n > 0 else np.empty(0)
    q_low = np.concatenate(([0.0], q_low)) if (q_low.size == 0 or q_low[0] > 1e-12) else q_low
    if method == "linear":
        s_low = s0 + (sq[0] - s0) * q_low / q[0]
    elif method == "step":
        s_low = np.full(q_low.shape, s0)
    elif method == "flat":
        s_low = np.full(q_low.shape, sq[0])
    else:
        raise InputError(f"unknown extrapolation {method!r}; use linear, flat, step or none", field="extrapolation")
    return np.concatenate((q_low, q)), np.concatenate((s_low, sq))
