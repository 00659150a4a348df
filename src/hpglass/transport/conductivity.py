"""Conductivity–pressure regimes: piecewise-linear fits of log₁₀σ against P.

Zhang et al. (Phys. Rev. Lett. 127, 127002 (2021)) report that the room-temperature resistivity of a-Sb₂Se₃
falls by about seven orders of magnitude up to ~20 GPa and that log σ(P) shows three regimes of different slope.
:func:`conductivity_regimes` measures exactly that: it converts the input to log₁₀σ,

    log₁₀σ = −log₁₀ρ         (σ in S/cm for ρ in Ω·cm; for a bare resistance R, log₁₀(1/R) in S — the slopes
                              in decades/GPa are the same whenever the geometry does not change with P)

fits it with the continuous piecewise-linear model of :mod:`hpglass.series.piecewise` (1–3 segments; the
number chosen by BIC when not given) and reports every regime's pressure range and slope (decades/GPa, 1σ),
the breakpoints with their profile-likelihood confidence intervals, and the change in decades between two
pressures taken from the fit (with its error from the fit covariance).

Compression and decompression are never mixed: with a ``direction`` array each direction gets its own fit
(hysteresis makes the two branches different curves).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:  # imported in conductivity_regimes: hpglass.io → transport → here is on every CLI start-up
    from ..series.piecewise import PiecewiseFit

__all__ = ["ConductivityRegimes", "DirectionRegimes", "Regime", "conductivity_regimes", "log10_conductivity"]

_DIRECTION_ALIASES = {
    "compression": "compression", "comp": "compression", "c": "compression", "up": "compression",
    "increase": "compression", "+": "compression",
    "decompression": "decompression", "decomp": "decompression", "d": "decompression", "down": "decompression",
    "decrease": "decompression", "release": "decompression", "-": "decompression",
}
_KINDS = ("resistivity", "resistance", "conductivity")
#: most points one branch may have. The breakpoint search costs O(points) since the profiled RSS comes from prefix
#: sums (:mod:`hpglass.series.piecewise`): 70 000 points ≈ 0.4 s and 10⁶ points ≈ 7 s and 0.7 GB per branch on one
#: core (1–3 segments by BIC), against > 150 s for 70 000 before. The bound keeps a branch within ~10 s and well
#: under 1 GB; R(P) runs in a diamond cell have tens to hundreds of points, so a larger table is a logged time
#: series: average it per pressure step first
MAX_POINTS_PER_BRANCH = 1_000_000


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass(frozen=True)
class Regime:
    """One pressure regime: P range (GPa) and the slope of log₁₀σ in decades/GPa with its 1σ error."""

    p_lo_GPa: float
    p_hi_GPa: float
    slope_dec_per_GPa: float
    slope_err_dec_per_GPa: float

    def to_dict(self) -> dict:
        return {"p_lo_GPa": self.p_lo_GPa, "p_hi_GPa": self.p_hi_GPa,
                "slope_dec_per_GPa": self.slope_dec_per_GPa, "slope_err_dec_per_GPa": self.slope_err_dec_per_GPa}


@dataclass(frozen=True)
class DirectionRegimes:
    """The fit of one direction (compression / decompression / all).

    breakpoint_errs_GPa : 1σ of each breakpoint consistent with its profile interval
        (:meth:`PiecewiseFit.breakpoint_sigma`: ±1.96σ spans the wider side of the 95 % interval, never less than
        the curvature error ``fit.breakpoint_errs``) — the σ the study's tables, phase diagram and claims quote.
    change_decades : log₁₀σ(p₂) − log₁₀σ(p₁) from the fit between ``change_between_GPa`` = (p₁, p₂) — for a
        resistivity that falls with pressure it is the drop of log₁₀ρ in decades (positive); with its 1σ error.
    """

    direction: str
    fit: PiecewiseFit
    regimes: tuple[Regime, ...]
    breakpoints_GPa: tuple[float, ...]
    breakpoint_errs_GPa: tuple[float, ...]
    breakpoint_ci_GPa: tuple[tuple[float, float], ...]
    change_between_GPa: tuple[float, float]
    change_decades: float
    change_err_decades: float
    n_points: int

    def to_dict(self) -> dict:
        return {
            "direction": self.direction,
            "n_regimes": len(self.regimes),
            "regimes": [r.to_dict() for r in self.regimes],
            "breakpoints_GPa": list(self.breakpoints_GPa),
            "breakpoint_errs_GPa": list(self.breakpoint_errs_GPa),
            "breakpoint_ci_GPa": [list(c) for c in self.breakpoint_ci_GPa],
            "change_between_GPa": list(self.change_between_GPa),
            "change_decades": self.change_decades,
            "change_err_decades": self.change_err_decades,
            "n_points": self.n_points,
            "fit": self.fit.to_dict(),
        }


@dataclass(frozen=True)
class ConductivityRegimes:
    """log₁₀σ(P) regimes per direction (keys "compression", "decompression", or "all" without directions)."""

    by_direction: dict[str, DirectionRegimes]
    kind: str
    sigma_unit: str
    parameters: dict = field(default_factory=dict)

    def __getitem__(self, direction: str) -> DirectionRegimes:
        return self.by_direction[direction]

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(self.by_direction)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "log10_sigma_unit": self.sigma_unit,
            "directions": {k: v.to_dict() for k, v in self.by_direction.items()},
            "parameters": dict(self.parameters),
            "hpglass_version": _version(),
        }


def log10_conductivity(values, kind: str = "resistivity") -> np.ndarray:
    """log₁₀σ from a resistivity (Ω·cm → S/cm), a resistance (Ω → S) or a conductivity (as given)."""
    if kind not in _KINDS:
        raise InputError(f"kind must be one of {_KINDS} (got {kind!r})", field="kind")
    v = np.asarray(values, dtype=float)
    if np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise InputError(f"every {kind} value must be finite and > 0 (logarithm)", field=kind)
    return np.log10(v) if kind == "conductivity" else -np.log10(v)


def _directions(direction, n: int, pressure: np.ndarray) -> np.ndarray:
    if direction is None:
        return np.full(n, "all", dtype=object)
    if isinstance(direction, str):
        if direction != "infer":
            raise InputError("direction must be an array of labels, 'infer' or None", field="direction")
        # measurement order: points after the highest pressure are the decompression branch
        imax = int(np.argmax(pressure))
        out = np.full(n, "compression", dtype=object)
        out[imax + 1 :] = "decompression"
        return out
    d = np.asarray(direction, dtype=object)
    if d.shape != (n,):
        raise InputError(f"direction must have one label per point ({n}), got shape {d.shape}", field="direction")
    # one look-up per distinct label, not per row (tables of 10⁴–10⁵ rows hold two or three labels)
    labels, inverse = np.unique(np.array([str(x) for x in d], dtype=object), return_inverse=True)
    mapped = np.empty(labels.size, dtype=object)
    for k, lab in enumerate(labels):
        key = lab.strip().lower()
        if key not in _DIRECTION_ALIASES:
            i = int(np.argmax(inverse == k))
            raise InputError(f"unknown direction label {d[i]!r} at index {i} (use 'compression'/'decompression')",
                             field="direction")
        mapped[k] = _DIRECTION_ALIASES[key]
    return mapped[inverse.ravel()]


def conductivity_regimes(
    pressure_GPa,
    values,
    direction=None,
    n_segments: int | None = None,
    *,
    kind: str = "resistivity",
    change_between_GPa: tuple[float, float] | None = None,
    sigma_decades=None,
    max_segments: int = 3,
    min_points: int = 3,
    ci_level: float = 0.95,
) -> ConductivityRegimes:
    """Regimes of log₁₀σ(P) by continuous piecewise-linear fits (see the module docstring).

    Parameters
    ----------
    pressure_GPa : pressures (GPa), in measurement order when ``direction='infer'``.
    values : resistivity in Ω·cm (``kind='resistivity'``, default), resistance in Ω (``'resistance'``) or
        conductivity in S/cm (``'conductivity'``); all > 0.
    direction : None (one fit of all points), an array of labels per point ("compression"/"decompression" or
        "up"/"down", "c"/"d"), or "infer" (points after the highest pressure, in the given order, are
        decompression).
    n_segments : 1, 2 or 3 regimes, or None to choose 1 … ``max_segments`` by BIC per direction.
    change_between_GPa : (p₁, p₂) for the change in decades; default the direction's lowest and highest
        pressure.
    sigma_decades : 1σ error of log₁₀σ per point (scalar or array), taken as absolute; None = unweighted.
    """
    from ..series.piecewise import fit_piecewise

    p = np.asarray(pressure_GPa, dtype=float)
    if p.ndim != 1:
        raise InputError(f"pressure_GPa must be 1D (got shape {p.shape})", field="pressure_GPa")
    v = np.asarray(values, dtype=float)
    if v.shape != p.shape:
        raise InputError(f"{kind} must have one value per pressure ({p.shape}), got {v.shape}", field=kind)
    if not np.all(np.isfinite(p)):
        raise InputError("pressure_GPa contains non-finite values", field="pressure_GPa")
    logs = log10_conductivity(v, kind)
    sig = None if sigma_decades is None else np.broadcast_to(np.asarray(sigma_decades, dtype=float), p.shape)
    dirs = _directions(direction, p.size, p)
    out: dict[str, DirectionRegimes] = {}
    for lab in ("all", "compression", "decompression"):
        m = dirs == lab
        if not np.any(m):
            continue
        if np.unique(p[m]).size < 3:
            raise InputError(f"the {lab} branch has fewer than 3 distinct pressures", field="pressure_GPa")
        if int(m.sum()) > MAX_POINTS_PER_BRANCH:
            raise InputError(f"the {lab} branch has {int(m.sum()):,} points, more than the {MAX_POINTS_PER_BRANCH:,} "
                             "the breakpoint search takes (time and memory grow with them); average the rows per pressure "
                             "step first", field="pressure_GPa")
        fit = fit_piecewise(p[m], logs[m], n_segments, sigma=None if sig is None else sig[m],
                            min_points=min_points, ci_level=ci_level, max_segments=max_segments)
        p1, p2 = change_between_GPa if change_between_GPa is not None else (float(p[m].min()), float(p[m].max()))
        ch, ch_err = fit.difference(p1, p2)
        regimes = tuple(Regime(lo, hi, s, e) for (lo, hi), s, e in
                        zip(fit.segment_ranges, fit.slopes, fit.slope_errs, strict=True))
        out[lab] = DirectionRegimes(
            direction=lab, fit=fit, regimes=regimes, breakpoints_GPa=fit.breakpoints,
            breakpoint_errs_GPa=tuple(fit.breakpoint_sigma(j) for j in range(len(fit.breakpoints))),
            breakpoint_ci_GPa=fit.breakpoint_ci,
            change_between_GPa=(float(p1), float(p2)), change_decades=ch, change_err_decades=ch_err,
            n_points=int(m.sum()),
        )
    unit = {"resistivity": "S/cm", "resistance": "S", "conductivity": "S/cm"}[kind]
    params = {"n_segments": n_segments, "max_segments": max_segments, "min_points": min_points,
              "ci_level": ci_level, "weighted": sig is not None,
              "direction": None if direction is None else ("infer" if isinstance(direction, str) else "given")}
    return ConductivityRegimes(by_direction=out, kind=kind, sigma_unit=unit, parameters=params)
