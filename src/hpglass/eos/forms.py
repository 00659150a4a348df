"""Isothermal P–V equations of state: pressure, volume (by root finding), bulk modulus, finite strain.

Forms and their parameters (``PARAMS[form]``; K0'' only in BM4). Pressure in the unit of K0 (GPa here), volume
in the unit of V0 (Å³ per cell / formula unit / atom, or cm³/g for a specific volume — any, consistently).

* ``bm2``, ``bm3``, ``bm4`` — Birch–Murnaghan (Birch, Phys. Rev. 71, 809 (1947)), Eulerian strain
  f = [(V0/V)^(2/3) − 1]/2::

      P = 3K0 f (1 + 2f)^(5/2) [1 + a f + b f²]
      a = 3/2 (K0' − 4)                                  (bm2: K0' = 4, so a = 0)
      b = 3/2 [K0 K0'' + (K0' − 4)(K0' − 3) + 35/9]     (bm4 only; Angel, Rev. Mineral. Geochem. 41, 35 (2000))

  K = −V dP/dV = (1 + 2f)/3 · dP/df, which for bm3 is K0 (1+2f)^(5/2) [1 + (3K0' − 5) f + 27/2 (K0' − 4) f²].
* ``vinet`` — Vinet et al., J. Phys. C 19, L467 (1986); x = (V/V0)^(1/3), η = 3/2 (K0' − 1)::

      P = 3K0 (1 − x)/x² · exp[η (1 − x)],   K = K0/x² [1 + (η x + 1)(1 − x)] exp[η (1 − x)]
* ``murnaghan`` — Murnaghan, PNAS 30, 244 (1944)::

      P = K0/K0' [(V0/V)^K0' − 1],   K = K0 + K0' P,   V = V0 (1 + K0' P/K0)^(−1/K0')

V(P) is found by a vectorised safeguarded Newton–bisection on a bracket grown from V0 (analytic for Murnaghan);
where P(V) never reaches the requested pressure inside (0.02 V0, 3 V0) — beyond a spinodal in tension, or past
the point where K turns negative for K0' < 4 at very high compression — the volume is NaN.

Normalised stress (F–f plot; Angel 2000, after Heinz & Jeanloz, J. Appl. Phys. 55, 885 (1984))::

    F = P / [3 f (1 + 2f)^(5/2)]      → BM3: F = K0 + 3/2 K0 (K0' − 4) f (a straight line); BM2: F = K0

with σ_f = (1/3) η^(−5/3) σ_η, η = V/V0, σ_η = η √[(σ_V/V)² + (σ_V0/V0)²] and
σ_F = F √[(σ_P/P)² + ((1/f + 5/(1 + 2f)) σ_f)²] (P and V measured independently).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import InputError

__all__ = [
    "FORMS",
    "PARAMS",
    "bulk_modulus",
    "dpressure_dparams",
    "eulerian_strain",
    "normalized_stress",
    "pressure",
    "volume",
]

#: parameter names of each form, in the order used for covariance matrices
PARAMS: dict[str, tuple[str, ...]] = {
    "bm2": ("V0", "K0"),
    "bm3": ("V0", "K0", "K0p"),
    "bm4": ("V0", "K0", "K0p", "K0pp"),
    "vinet": ("V0", "K0", "K0p"),
    "murnaghan": ("V0", "K0", "K0p"),
}
FORMS = tuple(PARAMS)
_ALIASES = {"bm": "bm3", "birch": "bm3", "birch-murnaghan": "bm3", "birch_murnaghan": "bm3", "bm-2": "bm2",
            "bm-3": "bm3", "bm-4": "bm4", "rose-vinet": "vinet", "murn": "murnaghan"}
#: a readable name of each form
NAMES = {"bm2": "2nd-order Birch–Murnaghan", "bm3": "3rd-order Birch–Murnaghan", "bm4": "4th-order Birch–Murnaghan",
         "vinet": "Vinet", "murnaghan": "Murnaghan"}


def check_form(form: str, source: str | None = None) -> str:
    """The canonical name of ``form`` (case-insensitive, a few aliases), or InputError listing the forms."""
    key = str(form).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in PARAMS:
        raise InputError(f"unknown EOS form {form!r}; use one of {', '.join(FORMS)}", source=source, field="form")
    return key


def _p(params: Mapping[str, float] | Sequence[float], form: str) -> tuple[float, float, float, float]:
    """(V0, K0, K0', K0'') from a mapping or a sequence in PARAMS order (K0' = 4 for bm2; K0'' NaN unless bm4)."""
    if isinstance(params, Mapping):
        v0, k0 = params["V0"], params["K0"]
        kp = 4.0 if form == "bm2" else params["K0p"]
        kpp = params.get("K0pp", np.nan) if form == "bm4" else np.nan
        if form == "bm4" and kpp is None:
            kpp = np.nan
    else:
        values = list(params)
        v0, k0 = values[0], values[1]
        kp = 4.0 if form == "bm2" else values[2]
        kpp = values[3] if form == "bm4" else np.nan
    return v0, k0, kp, kpp


def _bm_coefficients(k0, kp, kpp, form):
    a = 1.5 * (kp - 4.0)
    b = 1.5 * (k0 * kpp + (kp - 4.0) * (kp - 3.0) + 35.0 / 9.0) if form == "bm4" else 0.0
    return a, b


def eulerian_strain(V, V0):
    """f = [(V0/V)^(2/3) − 1]/2 (positive on compression)."""
    return 0.5 * ((np.asarray(V0, dtype=float) / np.asarray(V, dtype=float)) ** (2.0 / 3.0) - 1.0)


def pressure(V, params, form: str = "bm3"):
    """P(V) of ``form`` with ``params`` (mapping with V0, K0, K0p[, K0pp], or a sequence in PARAMS order)."""
    form = check_form(form)
    v0, k0, kp, kpp = _p(params, form)
    V = np.asarray(V, dtype=float)
    if form in ("bm2", "bm3", "bm4"):
        f = eulerian_strain(V, v0)
        a, b = _bm_coefficients(k0, kp, kpp, form)
        return 3.0 * k0 * f * (1.0 + 2.0 * f) ** 2.5 * (1.0 + a * f + b * f * f)
    if form == "vinet":
        x = (V / v0) ** (1.0 / 3.0)
        eta = 1.5 * (kp - 1.0)
        return 3.0 * k0 * (1.0 - x) / (x * x) * np.exp(eta * (1.0 - x))
    # murnaghan
    return k0 / kp * ((v0 / V) ** kp - 1.0)


def bulk_modulus(V, params, form: str = "bm3"):
    """K(V) = −V dP/dV (same unit as K0)."""
    form = check_form(form)
    v0, k0, kp, kpp = _p(params, form)
    V = np.asarray(V, dtype=float)
    if form in ("bm2", "bm3", "bm4"):
        f = eulerian_strain(V, v0)
        a, b = _bm_coefficients(k0, kp, kpp, form)
        g = 1.0 + 2.0 * f
        poly = 1.0 + a * f + b * f * f
        dpdf = 3.0 * k0 * (g**2.5 * poly + 5.0 * f * g**1.5 * poly + f * g**2.5 * (a + 2.0 * b * f))
        return g / 3.0 * dpdf
    if form == "vinet":
        x = (V / v0) ** (1.0 / 3.0)
        eta = 1.5 * (kp - 1.0)
        return k0 / (x * x) * (1.0 + (eta * x + 1.0) * (1.0 - x)) * np.exp(eta * (1.0 - x))
    return k0 * (v0 / V) ** kp


def dpressure_dparams(V, params, form: str = "bm3", names: Sequence[str] | None = None) -> np.ndarray:
    """∂P/∂θ at fixed V, shape (len(V), len(names)); ``names`` defaults to PARAMS[form].

    Central differences with a relative step 1e-6 (P is smooth and cheap in every parameter; the truncation error
    is ~1e-12 relative, far below any parameter uncertainty).
    """
    form = check_form(form)
    names = tuple(PARAMS[form] if names is None else names)
    v0, k0, kp, kpp = _p(params, form)
    full = {"V0": v0, "K0": k0, "K0p": kp, "K0pp": kpp}
    base = {k: float(full[k]) for k in PARAMS[form]}
    V = np.atleast_1d(np.asarray(V, dtype=float))
    out = np.empty((V.size, len(names)))
    for j, name in enumerate(names):
        h = 1e-6 * max(abs(base[name]), 1e-3)
        up, dn = dict(base), dict(base)
        up[name] += h
        dn[name] -= h
        out[:, j] = (pressure(V, up, form) - pressure(V, dn, form)) / (2.0 * h)
    return out


def volume(P, params, form: str = "bm3", *, rtol: float = 1e-13, max_iter: int = 200):
    """V(P) by vectorised root finding (NaN where P(V) = P has no root in (0.02 V0, 3 V0)).

    Scalars in, scalar out; otherwise the broadcast shape of ``P`` and the parameters (parameters may be arrays,
    e.g. shape (n, 1) against pressures of shape (m,) for n parameter draws).
    """
    form = check_form(form)
    v0, k0, kp, kpp = _p(params, form)
    shape = np.broadcast_shapes(np.shape(P), np.shape(v0), np.shape(k0), np.shape(kp), np.shape(kpp))
    scalar = shape == ()
    target, v0, k0, kp, kpp = (np.broadcast_to(np.asarray(a, dtype=float), shape).ravel()
                               for a in (P, v0, k0, kp, kpp))
    if form == "murnaghan":
        with np.errstate(invalid="ignore", divide="ignore"):
            base = 1.0 + kp * target / k0
            out = np.where(base > 0, v0 * np.abs(base) ** (-1.0 / kp), np.nan)
        return float(out[0]) if scalar else out.reshape(shape)
    prm = {"V0": v0, "K0": k0, "K0p": kp, "K0pp": kpp}

    def g(v, idx=slice(None)):  # decreasing in v where K > 0
        sub = {k: a[idx] for k, a in prm.items()}
        with np.errstate(all="ignore"):
            return pressure(v, sub, form) - target[idx]

    # bracket: start from the Murnaghan volume with the same V0, K0, K0' (close at moderate strain) and widen
    # geometrically until g(lo) >= 0 >= g(hi), staying inside (0.02 V0, 3 V0)
    with np.errstate(all="ignore"):
        base = 1.0 + np.maximum(kp, 1.0) * target / k0
        x0 = np.where(base > 0, v0 * np.abs(base) ** (-1.0 / np.maximum(kp, 1.0)), v0)
    x0 = np.clip(np.where(np.isfinite(x0), x0, v0), 0.02 * v0, 3.0 * v0)
    lo, hi = x0 * 0.995, x0 * 1.005
    for end, sign, limit in (("lo", 1.0, 0.02), ("hi", -1.0, 3.0)):
        arr = lo if end == "lo" else hi
        act = np.arange(target.size)
        step = 0.01
        for _ in range(80):
            if act.size == 0:
                break
            gv = g(arr[act], act)
            inside = arr[act] > limit * v0[act] if end == "lo" else arr[act] < limit * v0[act]
            act = act[~(sign * gv >= 0) & inside]
            arr[act] = np.clip(arr[act] * ((1.0 - step) if end == "lo" else (1.0 + step)),
                               0.02 * v0[act], 3.0 * v0[act])
            step = min(2.0 * step, 0.3)
    glo, ghi = g(lo), g(hi)
    ok = (glo >= 0) & (ghi <= 0) & np.isfinite(glo) & np.isfinite(ghi)
    # Newton from the bracket end with g > 0 (P convex in V: the iterates then approach the root from below
    # without overshoot); a step that leaves the bracket falls back to regula falsi, then to bisection
    x = np.where(ok, lo, v0)
    act = np.nonzero(ok & (target != 0))[0]
    for _ in range(max_iter):
        if act.size == 0:
            break
        xa, la, ha, gla, gha = x[act], lo[act], hi[act], glo[act], ghi[act]
        gx = g(xa, act)
        with np.errstate(all="ignore"):
            k = bulk_modulus(xa, {kk: a[act] for kk, a in prm.items()}, form)
            newton = xa + gx * xa / k  # dP/dV = −K/V → ΔV = g·V/K
            at_lo, at_hi = gx >= 0, gx <= 0
            la, gla = np.where(at_lo, xa, la), np.where(at_lo, gx, gla)
            ha, gha = np.where(at_hi, xa, ha), np.where(at_hi, gx, gha)
            falsi = la + (ha - la) * gla / (gla - gha)
        inside = np.isfinite(newton) & (newton >= la) & (newton <= ha) & (k > 0)
        f_in = np.isfinite(falsi) & (falsi > la) & (falsi < ha)
        x_new = np.where(inside, newton, np.where(f_in, falsi, 0.5 * (la + ha)))
        done = (np.abs(x_new - xa) <= rtol * np.abs(xa)) | (ha - la <= rtol * np.abs(xa)) | (gx == 0)
        x[act], lo[act], hi[act], glo[act], ghi[act] = x_new, la, ha, gla, gha
        act = act[~done]
    out = np.where(ok, x, np.nan)
    out = np.where(target == 0, v0, out)
    return float(out[0]) if scalar else out.reshape(shape)


def strain_and_stress(P, V, V0, sigma_P=None, sigma_V=None, sigma_V0: float = 0.0):
    """(f, σf, F, σF) for points (P, V) about V0 — see the module docstring. F is NaN where f ≤ 0.

    ``sigma_P``/``sigma_V`` may be None (zero). Arrays in, arrays out.
    """
    P = np.asarray(P, dtype=float)
    V = np.asarray(V, dtype=float)
    sP = np.zeros_like(P) if sigma_P is None else np.broadcast_to(np.asarray(sigma_P, dtype=float), P.shape)
    sV = np.zeros_like(V) if sigma_V is None else np.broadcast_to(np.asarray(sigma_V, dtype=float), V.shape)
    eta = V / V0
    f = eulerian_strain(V, V0)
    s_eta = eta * np.sqrt((sV / V) ** 2 + (float(sigma_V0) / V0) ** 2)
    s_f = eta ** (-5.0 / 3.0) * s_eta / 3.0
    with np.errstate(all="ignore"):
        F = np.where(f > 0, P / (3.0 * f * (1.0 + 2.0 * f) ** 2.5), np.nan)
        rel = np.sqrt((sP / P) ** 2 + ((1.0 / f + 5.0 / (1.0 + 2.0 * f)) * s_f) ** 2)
        s_F = np.where(f > 0, np.abs(F) * rel, np.nan)
    return f, s_f, F, s_F


def normalized_stress(P, V, V0):
    """F = P / [3 f (1 + 2f)^(5/2)] (NaN at f ≤ 0)."""
    return strain_and_stress(P, V, V0)[2]
