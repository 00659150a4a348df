"""Synthetic resistance curves with known Tc, width, normal state and Hc2(T): the transport test bench and the
demo's bundled curves.

Transition model: a tanh step on a linear normal state,

    R(T) = [R₀ + a·T] · ½ [1 + tanh((T − T_c)/w)]

so that, neglecting the normal-state slope over the width, R/R_n = 0.5 at T_c, 0.9 and 0.1 at T_c ± w·atanh(0.8),
the steepest tangent meets the normal-state line at T_c + w (onset), and R falls below a fraction f of R_n at
T_c − w·atanh(1 − 2f). Several transitions are a weighted sum of such steps. In a field H the midpoint follows
the inverse of an Hc2(T) law (Ginzburg–Landau-like by default: H_c2(T) = H_c2(0)(1 − t²)/(1 + t²), t = T/T_c);
field sweeps at fixed T use the same step in H around H_c2(T) with width w_H.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .curve import RCurve


def gl_hc2(t_reduced: np.ndarray | float, hc2_0: float) -> np.ndarray:
    """H_c2(T) = H_c2(0)(1 − t²)/(1 + t²) (T) for t = T/T_c ≤ 1, 0 above."""
    t = np.clip(np.asarray(t_reduced, dtype=float), 0, 1)
    return hc2_0 * (1 - t**2) / (1 + t**2)


def gl_tc_of_field(field_T: float, tc0: float, hc2_0: float) -> float:
    """Inverse of :func:`gl_hc2`: T_c(H) = T_c √((1 − h)/(1 + h)), h = H/H_c2(0)."""
    h = min(max(field_T / hc2_0, 0.0), 1.0)
    return tc0 * np.sqrt((1 - h) / (1 + h))


def step(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh((np.asarray(x, dtype=float) - centre) / width))


def rt_curve(
    temperature_K: np.ndarray,
    tc: float | Sequence[float],
    width: float | Sequence[float],
    r0: float = 1.0,
    slope: float = 0.0,
    weights: Sequence[float] | None = None,
    field_T: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
    source: str = "<synthetic R(T)>",
) -> RCurve:
    """R(T) with one or several transitions (midpoints ``tc``, widths ``width``, fractions ``weights``)."""
    t = np.asarray(temperature_K, dtype=float)
    tcs = np.atleast_1d(np.asarray(tc, dtype=float))
    ws = np.broadcast_to(np.atleast_1d(np.asarray(width, dtype=float)), tcs.shape)
    wt = np.full(tcs.shape, 1.0 / tcs.size) if weights is None else np.asarray(weights, dtype=float)
    frac = sum(w * step(t, c, d) for w, c, d in zip(wt, tcs, ws, strict=True))
    r = (r0 + slope * t) * frac
    if noise:
        r = r + np.random.default_rng(seed).normal(0.0, noise, t.size)
    meta = {"synthetic": True, "tc": tcs.tolist(), "width": ws.tolist(), "weights": list(map(float, wt)),
            "r0": r0, "slope": slope, "noise": noise, "seed": seed}
    return RCurve(t, r, np.full(t.shape, field_T), "T", source, None, meta)


def rt_family(
    temperature_K: np.ndarray,
    fields_T: Sequence[float],
    tc0: float,
    width: float,
    hc2_law: Callable[[float], float],
    r0: float = 1.0,
    slope: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> list[RCurve]:
    """R(T) at each field, the midpoint at ``hc2_law(H)`` = T_c(H) (e.g. ``lambda h: gl_tc_of_field(h, 7, 5)``)."""
    return [rt_curve(temperature_K, hc2_law(h), width, r0, slope, field_T=h, noise=noise, seed=seed + i,
                     source=f"<synthetic R(T) at {h:g} T>") for i, h in enumerate(fields_T)]


def rh_curve(
    field_T: np.ndarray,
    temperature_K: float,
    hc2_at_T: float,
    width_T: float,
    r_normal: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
) -> RCurve:
    """R(H) at fixed T: R_n · ½[1 + tanh((H − H_c2(T))/w_H)] (symmetric in ±H: uses |H|)."""
    h = np.asarray(field_T, dtype=float)
    r = r_normal * step(np.abs(h), hc2_at_T, width_T)
    if noise:
        r = r + np.random.default_rng(seed).normal(0.0, noise, h.size)
    meta = {"synthetic": True, "hc2_T": hc2_at_T, "width_T": width_T, "r_normal": r_normal, "noise": noise}
    return RCurve(np.full(h.shape, temperature_K), r, h, "H", f"<synthetic R(H) at {temperature_K:g} K>", None, meta)
