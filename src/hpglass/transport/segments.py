"""Split one measurement file into the sweeps it holds: R(T) at each fixed field, or R(H) at each fixed T.

A PPMS/DynaCool sequence usually writes several sweeps into one .dat file. Points belong to the same sweep while
the held variable stays within a tolerance of the sweep's running median (field: 5 mT; temperature: 50 mK, about
the PPMS temperature stability on a settled set point); sweeps with fewer than ``min_points`` points (set-point
approaches) are dropped.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .curve import RCurve

FIELD_TOL_T = 5e-3
TEMPERATURE_TOL_K = 0.05


def split_sweeps(curve: RCurve, min_points: int = 10, tol: float | None = None) -> list[RCurve]:
    """Sweeps of ``curve.x`` at (nearly) constant other variable, in file order, each with ≥ ``min_points``."""
    held = curve.field_T if curve.x == "T" else curve.temperature_K
    tol = (FIELD_TOL_T if curve.x == "T" else TEMPERATURE_TOL_K) if tol is None else tol
    groups: list[list[int]] = []
    for i, v in enumerate(held):
        if groups and abs(v - float(np.median(held[groups[-1][-20:]]))) <= tol:
            groups[-1].append(i)
        else:
            groups.append([i])
    sweeps = []
    for g in groups:
        if len(g) >= min_points:
            idx = np.asarray(g)
            mask = np.zeros(len(curve), dtype=bool)
            mask[idx] = True
            sweeps.append(curve.select(mask))
    if not sweeps:
        raise InputError(f"no sweep with at least {min_points} points at constant "
                         f"{'field' if curve.x == 'T' else 'temperature'}", source=curve.source)
    return sweeps


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
