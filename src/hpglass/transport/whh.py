"""Upper critical field of a type-II superconductor: Werthamer–Helfand–Hohenberg theory, Pauli limit, GL length.

Pure functions; fields are μ₀H in tesla, temperatures in kelvin, slopes dμ₀H_c2/dT in T/K (negative).

WHH theory (N. R. Werthamer, E. Helfand & P. C. Hohenberg, Phys. Rev. 147, 295 (1966), eq. (40)) gives the
upper critical field of a dirty superconductor with the Maki parameter α (Pauli paramagnetism) and the
spin–orbit scattering parameter λ_so through the implicit equation for the reduced field

    h̄ = (4/π²) H_c2 / (−dH_c2/dt)|_{t=1},    t = T/T_c,

    ln(1/t) = Σ_{ν=−∞}^{∞} { 1/|2ν+1| − [ |2ν+1| + h̄/t + (αh̄/t)² / (|2ν+1| + (h̄ + λ_so)/t) ]⁻¹ }.

The series is summed in closed form: with k = |2ν+1| each bracket is the rational function
(k + c)/((k + r₁)(k + r₂)) of k, whose partial fractions turn the sum into digamma functions,

    ln(1/t) = (½ + iλ_so/4γ) ψ(½ + (h̄ + λ_so/2 + iγ)/2t) + (½ − iλ_so/4γ) ψ(½ + (h̄ + λ_so/2 − iγ)/2t) − ψ(½),
    γ = √((αh̄)² − (λ_so/2)²)   (imaginary when λ_so/2 > αh̄; the sum is real either way),

(A = ½ + iλ_so/4γ and 1 − A are the partial-fraction residues); at γ → 0 the limit
ψ(x) − (λ_so/4t) ψ'(x), x = ½ + (h̄ + λ_so/2)/2t, is used. For α = λ_so = 0 it reduces to

    ln(1/t) = ψ(½ + h̄/2t) − ψ(½),

whose t → 0 limit is h̄(0) = e^{−γ_E}/2 = 0.2807, i.e. the dirty-limit orbital field

    μ₀H_c2(0) = (π²/8) e^{−γ_E} · (−T_c dμ₀H_c2/dT|_{T_c}) = 0.6927 · (−T_c dμ₀H_c2/dT|_{T_c})

(WHH 1966, eq. (41); quoted everywhere, e.g. Zhang et al., PRL 127, 127002 (2021), as −0.693 T_c dH_c2/dT).
h̄(t) is the largest root of the equation at each t (the highest field at which the normal state becomes
unstable); it is found by scanning h̄ ∈ (0, 0.3] on a grid and refining the last sign change by the Illinois
method (vectorised regula falsi; the tests check it against scipy's brentq on the term-by-term series).
The bracket is safe: the α, λ_so term only enlarges each denominator, so the right-hand side is at least the
α = λ_so = 0 one, whose root never exceeds 0.2807.

Other limits:

* Pauli (Clogston–Chandrasekhar) limit μ₀H_P = Δ₀/(√2 μ_B) = 1.84 T/K · T_c for a BCS gap Δ₀ = 1.764 k_B T_c
  (A. M. Clogston, Phys. Rev. Lett. 9, 266 (1962); B. S. Chandrasekhar, Appl. Phys. Lett. 1, 7 (1962)).
* Maki parameter α = √2 H_c2^orb(0)/H_P (K. Maki, Phys. Rev. 148, 362 (1966)).
* Ginzburg–Landau coherence length from μ₀H_c2 = Φ₀/(2πξ²): ξ = √(Φ₀/(2π μ₀H_c2)), Φ₀ = h/2e
  (M. Tinkham, Introduction to Superconductivity, 2nd ed., eq. (4.62)).
"""

from __future__ import annotations

import numpy as np
from scipy import constants
from scipy.special import digamma, polygamma

from ..errors import InputError

__all__ = [
    "PAULI_T_PER_K",
    "WHH_DIRTY_COEFF",
    "WHH_DIRTY_COEFF_EXACT",
    "gl_coherence_length_nm",
    "maki_alpha_from",
    "pauli_limit_T",
    "whh_dirty_limit_hc2_0",
    "whh_hc2",
    "whh_reduced_field",
]

#: the dirty-limit coefficient as usually quoted (WHH 1966; Zhang et al. 2021): μ₀H_c2(0) = −0.693 T_c slope
WHH_DIRTY_COEFF = 0.693
#: its exact value from the α = λ_so = 0 theory, (π²/8) e^{−γ_E} = 0.69267…
WHH_DIRTY_COEFF_EXACT = float(np.pi**2 / 8.0 * np.exp(-np.euler_gamma))
#: Clogston–Chandrasekhar Pauli-limit coefficient, tesla per kelvin of T_c
PAULI_T_PER_K = 1.84
#: magnetic flux quantum h/2e in Wb (T m²)
PHI0_WB = constants.h / (2.0 * constants.e)

_PSI_HALF = float(digamma(0.5))
_H_MAX = 0.3  # every root lies below this (see module docstring)
_N_GRID = 41  # bracketing grid step 0.0075 in h̄
_T_MIN = 1e-9  # t = 0 is evaluated here; the asymptotic error of ψ(½ + x) ≈ ln x is O(t²)


def _rhs(hbar: np.ndarray, t: np.ndarray, alpha: float, lambda_so: float) -> np.ndarray:
    """Right-hand side of the WHH equation (the ν-sum) in digamma form; real array."""
    hbar = np.asarray(hbar, dtype=float)
    t = np.asarray(t, dtype=float)
    if alpha == 0.0:
        # spin–orbit scattering has no effect without Pauli paramagnetism
        return digamma(0.5 + hbar / (2.0 * t)) - _PSI_HALF
    g2 = (alpha * hbar) ** 2 - (lambda_so / 2.0) ** 2
    gamma = np.sqrt(g2.astype(complex))
    x = 0.5 + (hbar + lambda_so / 2.0) / (2.0 * t)
    small = np.abs(gamma) < 1e-7
    gsafe = np.where(small, 1.0, gamma)
    a = 0.5 + 1j * lambda_so / (4.0 * gsafe)
    z1 = x + 1j * gsafe / (2.0 * t)
    z2 = x - 1j * gsafe / (2.0 * t)
    full = (a * digamma(z1) + (1.0 - a) * digamma(z2)).real
    limit = digamma(x) - lambda_so / (4.0 * t) * polygamma(1, x)
    return np.where(small, limit, full) - _PSI_HALF


def _series_rhs(hbar: float, t: float, alpha: float, lambda_so: float, n_terms: int = 200_000) -> float:
    """The ν-sum summed term by term (k = |2ν+1| = 1, 1, 3, 3, …) with the analytic tail h̄/t · Σ 1/k²
    (each bracket is (h̄/t)/k² + O(k⁻³)). Slow; for tests of the digamma form."""
    k = 2.0 * np.arange(n_terms) + 1.0
    a = hbar / t
    b = (alpha * hbar / t) ** 2
    c = (hbar + lambda_so) / t
    terms = 1.0 / k - 1.0 / (k + a + b / (k + c))
    k_last = k[-1]
    # Σ_{k odd > K} 1/k² ≈ 1/(2K) (Euler–Maclaurin on the odd integers beyond K)
    tail = a / (2.0 * (k_last + 1.0))
    return float(2.0 * (np.sum(terms) + tail))


def _illinois(fun, a: np.ndarray, b: np.ndarray, xtol: float = 1e-15, maxiter: int = 200) -> np.ndarray:
    """Roots of ``fun(x, idx)`` bracketed by [a, b], element by element, by the Illinois variant of regula falsi
    (M. Dowell & P. Jarratt, BIT 11, 168 (1971)): superlinear, never leaves the bracket; vectorised over the
    elements still unconverged (``idx`` selects them)."""
    a = np.array(a, dtype=float)
    b = np.array(b, dtype=float)
    idx_all = np.arange(a.size)
    fa = fun(a, idx_all)
    fb = fun(b, idx_all)
    out = np.where(fa == 0, a, np.where(fb == 0, b, np.nan))
    act = np.flatnonzero(np.isnan(out))
    for _ in range(maxiter):
        if act.size == 0:
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            c = b[act] - fb[act] * (b[act] - a[act]) / (fb[act] - fa[act])
        c = np.where(np.isfinite(c), c, 0.5 * (a[act] + b[act]))
        fc = fun(c, act)
        flip = np.sign(fc) != np.sign(fb[act])
        # the new point and the old b bracket the root: b becomes the retained end; else halve the retained f
        a[act] = np.where(flip, b[act], a[act])
        fa[act] = np.where(flip, fb[act], 0.5 * fa[act])
        b[act], fb[act] = c, fc
        done = (fc == 0) | (np.abs(b[act] - a[act]) <= xtol + 4 * np.finfo(float).eps * np.abs(c))
        out[act[done]] = c[done]
        act = act[~done]
    if act.size:  # not converged to xtol in maxiter: the last iterate is still within the bracket
        out[act] = b[act]
    return out


def _check_params(alpha: float, lambda_so: float) -> tuple[float, float]:
    alpha = float(alpha)
    lambda_so = float(lambda_so)
    if not np.isfinite(alpha) or alpha < 0:
        raise InputError(f"the Maki parameter must be finite and ≥ 0, got {alpha}", field="alpha")
    if not np.isfinite(lambda_so) or lambda_so < 0:
        raise InputError(f"the spin–orbit parameter must be finite and ≥ 0, got {lambda_so}", field="lambda_so")
    return alpha, lambda_so


def whh_reduced_field(t, alpha: float = 0.0, lambda_so: float = 0.0):
    """Reduced upper critical field h̄(t) of WHH theory (see module docstring for the equation).

    Parameters
    ----------
    t : reduced temperature T/T_c, scalar or array; 0 ≤ t. t ≥ 1 gives 0 (normal state), t = 0 the T → 0 limit.
    alpha : Maki parameter α ≥ 0 (0: no Pauli paramagnetism).
    lambda_so : spin–orbit scattering parameter λ_so ≥ 0.

    Returns
    -------
    h̄ = (4/π²) H_c2 / (−dH_c2/dt)|_{t=1}, same shape as ``t`` (a float for scalar input). h̄(0) = 0.2807 for
    α = λ_so = 0 (WHH 1966, eq. (41)); h̄ → (4/π²)(1 − t) as t → 1.
    """
    alpha, lambda_so = _check_params(alpha, lambda_so)
    t_arr = np.asarray(t, dtype=float)
    scalar = t_arr.ndim == 0
    t1 = np.atleast_1d(t_arr).ravel()
    if np.any(t1 < 0):
        raise InputError(f"reduced temperature must be ≥ 0, got min {np.nanmin(t1):g}", field="t")
    out = np.full(t1.shape, np.nan)
    out[t1 >= 1.0] = 0.0
    todo = np.flatnonzero((t1 < 1.0) & np.isfinite(t1))
    if todo.size:
        tt = np.maximum(t1[todo], _T_MIN)
        ln_t = np.log(tt)
        if alpha == 0.0:
            # one root, the right-hand side rising monotonically in h̄: the bracket (0, 0.3] is enough
            lo = np.zeros_like(tt)
            hi = np.full_like(tt, _H_MAX)
        else:
            grid = np.linspace(0.0, _H_MAX, _N_GRID)
            f = _rhs(grid[None, :], tt[:, None], alpha, lambda_so) + ln_t[:, None]
            # f(0) = ln t < 0 and f(0.3) > 0: the last − → + change brackets the largest root
            last_neg = _N_GRID - 1 - np.argmax((f < 0)[:, ::-1], axis=1)
            lo = grid[last_neg]
            hi = grid[np.minimum(last_neg + 1, _N_GRID - 1)]
        out[todo] = _illinois(lambda h, idx: _rhs(h, tt[idx], alpha, lambda_so) + ln_t[idx], lo, hi)
    out = out.reshape(t_arr.shape) if not scalar else out
    return float(out[0]) if scalar else out


def whh_hc2(temperature_K, tc: float, slope_T_per_K: float, alpha: float = 0.0, lambda_so: float = 0.0):
    """μ₀H_c2(T) (T) of WHH theory from T_c (K) and the initial slope dμ₀H_c2/dT|_{T_c} (T/K, negative).

    μ₀H_c2(T) = (π²/4) h̄(T/T_c; α, λ_so) · (−T_c · slope); 0 at and above T_c. At T = 0 and α = λ_so = 0 this is
    0.6927 · (−T_c slope) (the dirty limit; see :func:`whh_dirty_limit_hc2_0`).
    """
    tc = float(tc)
    slope = float(slope_T_per_K)
    if not np.isfinite(tc) or tc <= 0:
        raise InputError(f"Tc must be a positive temperature in K, got {tc}", field="tc")
    if not np.isfinite(slope) or slope >= 0:
        raise InputError(f"the initial slope dHc2/dT at Tc must be negative (T/K), got {slope}",
                         field="slope_T_per_K")
    t = np.asarray(temperature_K, dtype=float)
    if np.any(t < 0):
        raise InputError("temperatures must be ≥ 0 K", field="temperature_K")
    h = whh_reduced_field(t / tc, alpha, lambda_so)
    return np.pi**2 / 4.0 * np.asarray(h) * (-tc * slope) if np.ndim(h) else float(np.pi**2 / 4.0 * h * (-tc * slope))


def whh_dirty_limit_hc2_0(tc: float, slope_T_per_K: float) -> float:
    """μ₀H_c2(0) = −0.693 T_c (dμ₀H_c2/dT)|_{T_c} (T): the WHH dirty-limit orbital field (α = λ_so = 0).

    Werthamer, Helfand & Hohenberg, Phys. Rev. 147, 295 (1966); the form used by Zhang et al., PRL 127, 127002
    (2021) for a-Sb₂Se₃. The exact coefficient of the theory is (π²/8)e^{−γ_E} = 0.6927 (``WHH_DIRTY_COEFF_EXACT``).
    """
    return -WHH_DIRTY_COEFF * float(tc) * float(slope_T_per_K)


def pauli_limit_T(tc):
    """Clogston–Chandrasekhar paramagnetic limit μ₀H_P = 1.84 (T/K) · T_c (T).

    From μ₀H_P = Δ₀/(√2 μ_B) with the weak-coupling BCS gap Δ₀ = 1.764 k_B T_c (A. M. Clogston, Phys. Rev. Lett. 9,
    266 (1962); B. S. Chandrasekhar, Appl. Phys. Lett. 1, 7 (1962)).
    """
    tc_arr = np.asarray(tc, dtype=float)
    if np.any(tc_arr < 0):
        raise InputError("Tc must be ≥ 0 K", field="tc")
    out = PAULI_T_PER_K * tc_arr
    return float(out) if out.ndim == 0 else out


def maki_alpha_from(hc2_orb_0, hp):
    """Maki parameter α = √2 H_c2^orb(0) / H_P (K. Maki, Phys. Rev. 148, 362 (1966)); both fields in T."""
    h_orb = np.asarray(hc2_orb_0, dtype=float)
    h_p = np.asarray(hp, dtype=float)
    if np.any(h_p <= 0):
        raise InputError("the Pauli limiting field must be positive", field="hp")
    if np.any(h_orb < 0):
        raise InputError("the orbital critical field must be ≥ 0", field="hc2_orb_0")
    out = np.sqrt(2.0) * h_orb / h_p
    return float(out) if out.ndim == 0 else out


def gl_coherence_length_nm(hc2_T):
    """Ginzburg–Landau coherence length ξ = √(Φ₀ / (2π μ₀H_c2)) in nm, Φ₀ = h/2e (1 T → 18.14 nm).

    From μ₀H_c2 = Φ₀/(2πξ²) (Tinkham, Introduction to Superconductivity, 2nd ed. (1996), eq. (4.62)).
    """
    h = np.asarray(hc2_T, dtype=float)
    if np.any(h <= 0):
        raise InputError("μ0Hc2 must be positive to give a coherence length", field="hc2_T")
    out = np.sqrt(PHI0_WB / (2.0 * np.pi * h)) * 1e9
    return float(out) if out.ndim == 0 else out
