"""Split one measurement file into the sweeps it holds: R(T) at each fixed field, or R(H) at each fixed T.

A PPMS/DynaCool sequence usually writes several sweeps into one .dat file. Points belong to the same sweep while
the held variable stays within a tolerance of the sweep's running median (field: 5 mT; temperature: 50 mK, about
the PPMS temperature stability on a settled set point); sweeps with fewer than ``min_points`` points (set-point
approaches) are dropped.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .curve import RCurve

FIELD_TOL_T = 5e-3
TEMPERATURE_TOL_K = 0.05


#: points of the running median that decides whether a point continues the current sweep
MEDIAN_WINDOW = 20
_CHUNK = 1 << 16  # rows per block of the vectorised running median (bounds its n × 20 work array: ~10 MB)


def split_sweeps(curve: RCurve, min_points: int = 10, tol: float | None = None) -> list[RCurve]:
    """Sweeps of ``curve.x`` at (nearly) constant other variable, in file order, each with ≥ ``min_points``.

    Point i continues the current sweep (which started at s) when |h_i − median(h[max(s, i − 20):i])| ≤ tol,
    else it starts a new one. Once a sweep holds 20 points its window no longer depends on s, so that test is
    computed for all rows at once (:func:`_full_window_breaks`) and the scan jumps from one failing row to the next;
    only the first 19 points of each sweep take a short median of their own.
    """
    held = np.asarray(curve.field_T if curve.x == "T" else curve.temperature_K, dtype=float)
    tol = (FIELD_TOL_T if curve.x == "T" else TEMPERATURE_TOL_K) if tol is None else tol
    sweeps = [curve.select(np.arange(a, b)) for a, b in _sweep_bounds(held, tol) if b - a >= min_points]
    if not sweeps:
        raise InputError(f"no sweep with at least {min_points} points at constant "
                         f"{'field' if curve.x == 'T' else 'temperature'}", source=curve.source)
    return sweeps


def _sweep_bounds(held: np.ndarray, tol: float) -> list[tuple[int, int]]:
    """[start, stop) of each run of ``held`` by the running-median rule of :func:`split_sweeps`."""
    n = held.size
    w = MEDIAN_WINDOW
    breaks = _full_window_breaks(held, tol)  # rows i ≥ w failing the test against median(held[i − w:i])
    starts = [0]
    s, i = 0, 1
    while i < n:
        if i - s < w:  # a young sweep: the window is held[s:i] (no list of all rows: 32 B a row in Python floats)
            if not abs(float(held[i]) - _median(held[s:i].tolist())) <= tol:
                s = i
                starts.append(s)
            i += 1
            continue
        k = int(np.searchsorted(breaks, i))  # the first row from i on that fails the full-window test
        if k == breaks.size:
            break
        s = int(breaks[k])
        starts.append(s)
        i = s + 1
    return list(zip(starts, [*starts[1:], n], strict=True))


def _full_window_breaks(held: np.ndarray, tol: float) -> np.ndarray:
    """Sorted rows i ≥ MEDIAN_WINDOW with not |held[i] − median(held[i − w:i])| ≤ tol (NaN fails), by blocks."""
    w = MEDIAN_WINDOW
    out = []
    for a in range(w, held.size, _CHUNK):
        b = min(a + _CHUNK, held.size)
        windows = np.lib.stride_tricks.sliding_window_view(held[a - w:b - 1], w)  # row j: held[a + j − w : a + j]
        with np.errstate(invalid="ignore"):
            ok = np.abs(held[a:b] - np.median(windows, axis=1)) <= tol
        out.append(a + np.flatnonzero(~ok))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.intp)


def _median(v: list[float]) -> float:
    """np.median of a short list, bit for bit (middle value, or the mean of the two middle ones; NaN if any)."""
    if any(x != x for x in v):
        return math.nan
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def merge_same_setpoint(sweeps: list[RCurve], tol: float | None = None) -> list[RCurve]:
    """Join sweeps at the same held value (e.g. a cool-down and a warm-up at one field) into one curve each."""
    out: list[RCurve] = []
    for s in sweeps:
        key = s.mean_field_T if s.x == "T" else s.mean_temperature_K
        t = (FIELD_TOL_T if s.x == "T" else TEMPERATURE_TOL_K) if tol is None else tol
        for j, o in enumerate(out):
            okey = o.mean_field_T if o.x == "T" else o.mean_temperature_K
            if abs(okey - key) <= t:
                out[j] = RCurve(np.concatenate([o.temperature_K, s.temperature_K]),
                                np.concatenate([o.resistance_ohm, s.resistance_ohm]),
                                np.concatenate([o.field_T, s.field_T]), o.x, o.source, o.channel, o.meta)
                break
        else:
            out.append(s)
    return out
