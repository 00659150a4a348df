"""A pressure series: scalar results keyed by (run, direction, pressure), their trends and breakpoints.

A :class:`SeriesPoint` holds what one measurement (one pattern, one R(T) curve, one table row) gave at one
pressure: named scalar values (``"q1_A-1"``, ``"r1_A"``, ``"cn"``, ``"density_g_cm3"``, …) with optional 1σ
errors, the run it belongs to, and the direction of the pressure path ("compression" or "decompression"). A
:class:`Series` is an ordered tuple of points with selection (:meth:`Series.select`), arrays for one scalar
(:meth:`Series.scalar`), CSV rows (:meth:`Series.to_rows`) and piecewise-linear trends with breakpoints
(:meth:`Series.trend`, built on :func:`hpglass.series.piecewise.fit_piecewise`).

Conventions
-----------
* Value names carry their unit the way :meth:`hpglass.scattering.pipeline.ScatterResult.to_dict` writes them
  (``q1_A-1``, ``r1_A``, ``density_g_cm3``; ``cn`` has none). A short name resolves to the one full name whose
  part before the first ``_`` it equals: ``"q1"`` → ``"q1_A-1"``, ``"density"`` → ``"density_g_cm3"``.
* Order of a path: on compression the pressure increases from point to point of the same (run, direction), on
  decompression it decreases; :meth:`Series.check` raises InputError (naming the points' sources) on a point
  out of that order, on a pressure repeated within one (run, direction) and on a pressure below −0.5 GPa
  (a ruby reading at ambient may be slightly negative; −0.5 GPa is beyond any such scatter).
* Trends combine runs (the usual practice for DAC series) but never the two directions: the pressure path
  matters (hysteresis), so a series with both needs ``direction=`` to be chosen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..errors import InputError
from .piecewise import PiecewiseFit, fit_piecewise

Direction = Literal["compression", "decompression"]
DIRECTIONS: tuple[str, ...] = ("compression", "decompression")

#: lowest pressure accepted (GPa): ruby scatter at ambient is a few 0.1 GPa at most
MIN_PRESSURE_GPA = -0.5

#: ScatterResult.to_dict() keys pulled by :meth:`Series.from_scatter_results`: value key → error key
SCATTER_KEYS: dict[str, str] = {
    "q1_A-1": "q1_err_A-1",
    "r1_A": "r1_err_A",
    "cn": "cn_err",
    "density_g_cm3": "density_err_g_cm3",
}

#: value names (the part before the unit) that cannot be negative
NON_NEGATIVE: frozenset[str] = frozenset({"q1", "q", "r1", "r2", "r", "cn", "density", "rho", "fwhm", "volume",
                                          "v", "tc", "hc2", "fsdp"})

__all__ = ["DIRECTIONS", "MIN_PRESSURE_GPA", "SCATTER_KEYS", "Series", "SeriesPoint", "base_name",
           "normalize_direction", "segments_min_points"]


def _version() -> str:
    from .. import __version__

    return __version__


def base_name(name: str) -> str:
    """The quantity part of a unit-suffixed name: ``"q1_A-1"`` → ``"q1"``, ``"P (GPa)"`` → ``"p"`` (lower case)."""
    n = name.strip()
    for sep in ("_", " (", "(", " [", "[", "/"):
        if sep in n:
            n = n.split(sep, 1)[0]
    return n.strip().lower()


_COMPRESSION_WORDS = {"compression", "comp", "c", "up", "loading", "increasing", "+", "compress"}
_DECOMPRESSION_WORDS = {"decompression", "decomp", "d", "down", "unloading", "release", "decreasing", "-",
                        "decompress"}


def normalize_direction(value: str, *, source: str | None = None, line: int | None = None) -> str:
    """"compression" or "decompression" from the usual words (comp/c/up/loading…, decomp/d/down/release…)."""
    v = str(value).strip().lower()
    if v in _COMPRESSION_WORDS:
        return "compression"
    if v in _DECOMPRESSION_WORDS:
        return "decompression"
    raise InputError(f"direction {value!r} is neither compression (comp, c, up, loading) nor decompression "
                     "(decomp, d, down, release, unloading)", source=source, line=line, field="direction")


def segments_min_points(n_segments: int, min_points: int = 3) -> int:
    """Fewest points a continuous fit with ``n_segments`` segments accepts.

    The model has 2·n_segments parameters (intercept, n_segments slopes, n_segments − 1 breakpoints) and needs
    more points than parameters and ``min_points`` points in every segment: max(n_segments·min_points,
    2·n_segments + 1) — 3, 6, 9 for 1, 2, 3 segments with the default 3 points per segment.
    """
    return max(n_segments * min_points, 2 * n_segments + 1)


def _finite_or_none(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


# ---------------------------------------------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeriesPoint:
    """The scalars measured at one pressure of one run on one direction of the pressure path.

    values, errors : name → value and name → 1σ error (an error may be absent; errors use the value's name).
    source : where the point came from (a file, a pattern); ``line`` the 1-based line of a table row.
    """

    run: str
    direction: Direction
    pressure_GPa: float
    pressure_err_GPa: float | None = None
    values: Mapping[str, float] = field(default_factory=dict)
    errors: Mapping[str, float] = field(default_factory=dict)
    source: str = "<series>"
    line: int | None = None

    def __post_init__(self) -> None:
        where = {"source": self.source, "line": self.line}
        direction = normalize_direction(self.direction, **where)
        p = _finite_or_none(self.pressure_GPa)
        if p is None:
            raise InputError(f"pressure must be a finite number (got {self.pressure_GPa!r})", field="pressure_GPa",
                             **where)
        pe_raw = self.pressure_err_GPa
        pe = None
        if pe_raw is not None and not _is_nan(pe_raw):
            pe = _finite_or_none(pe_raw)
            if pe is None or pe < 0:
                raise InputError(f"pressure error must be a finite number ≥ 0 (got {pe_raw!r})",
                                 field="pressure_err_GPa", **where)
        values = {}
        for k, v in dict(self.values).items():
            f = _finite_or_none(v)
            if f is None and not (v is None or _is_nan(v)):
                raise InputError(f"value of {k} is not a number: {v!r}", field=str(k), **where)
            if f is not None:
                values[str(k)] = f
        errors = {}
        for k, v in dict(self.errors).items():
            f = _finite_or_none(v)
            if f is None:
                if not (v is None or _is_nan(v)):
                    raise InputError(f"error of {k} is not a number: {v!r}", field=f"{k}_err", **where)
                continue
            if f < 0:
                raise InputError(f"error of {k} must be ≥ 0 (got {f:g})", field=f"{k}_err", **where)
            errors[str(k)] = f
        object.__setattr__(self, "direction", direction)
        object.__setattr__(self, "run", str(self.run))
        object.__setattr__(self, "pressure_GPa", p)
        object.__setattr__(self, "pressure_err_GPa", pe)
        object.__setattr__(self, "values", values)  # plain dicts (copies): picklable for process pools
        object.__setattr__(self, "errors", errors)

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"

    def to_dict(self) -> dict:
        return {"run": self.run, "direction": self.direction, "pressure_GPa": self.pressure_GPa,
                "pressure_err_GPa": self.pressure_err_GPa, "values": dict(self.values), "errors": dict(self.errors),
                "source": self.source, "line": self.line}


def _is_nan(v: Any) -> bool:
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Series:
    """Points of a pressure series in measurement order (see the module docstring for the conventions)."""

    points: tuple[SeriesPoint, ...]
    source: str = "<series>"
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        pts = tuple(self.points)
        for p in pts:
            if not isinstance(p, SeriesPoint):
                raise InputError(f"a Series holds SeriesPoint objects (got {type(p).__name__})", source=self.source)
        object.__setattr__(self, "points", pts)

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self):
        return iter(self.points)

    # -- structure --------------------------------------------------------------------------------------------
    def runs(self) -> tuple[str, ...]:
        """Run labels in order of first appearance."""
        return tuple(dict.fromkeys(p.run for p in self.points))

    def directions(self) -> tuple[str, ...]:
        """Directions present, in order of first appearance."""
        return tuple(dict.fromkeys(p.direction for p in self.points))

    def names(self) -> tuple[str, ...]:
        """Value names present in any point, in order of first appearance."""
        return tuple(dict.fromkeys(k for p in self.points for k in p.values))

    def resolve(self, name: str) -> str:
        """The full value name for ``name``: itself if present, else the one name whose quantity part matches."""
        names = self.names()
        if name in names:
            return name
        low = [n for n in names if n.lower() == name.strip().lower()]
        if len(low) == 1:
            return low[0]
        matches = [n for n in names if base_name(n) == base_name(name)]
        if len(matches) == 1:
            return matches[0]
        have = ", ".join(names) or "none"
        if len(matches) > 1:
            raise InputError(f"{name!r} is ambiguous: it matches {', '.join(matches)}; give the full name",
                             source=self.source, field=name)
        raise InputError(f"no values named {name!r} (the series has: {have})", source=self.source, field=name)

    def select(self, run: str | Sequence[str] | None = None, direction: str | None = None) -> Series:
        """The points of the given run(s) and/or direction (None: all)."""
        pts = self.points
        if run is not None:
            wanted = {str(run)} if isinstance(run, (str, int)) else {str(r) for r in run}
            missing = wanted - set(self.runs())
            if missing:
                raise InputError(f"no run {', '.join(sorted(missing))} (runs: {', '.join(self.runs()) or 'none'})",
                                 source=self.source, field="run")
            pts = tuple(p for p in pts if p.run in wanted)
        if direction is not None:
            d = normalize_direction(direction, source=self.source)
            if d not in {p.direction for p in pts}:
                raise InputError(f"no {d} points" + (f" in run {run}" if run is not None else "")
                                 + f" (directions: {', '.join(self.directions()) or 'none'})",
                                 source=self.source, field="direction")
            pts = tuple(p for p in pts if p.direction == d)
        return Series(pts, source=self.source, meta=dict(self.meta))

    def scalar(self, name: str, run: str | Sequence[str] | None = None, direction: str | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P in GPa, y, y error) of one value over the selected points that have it, in series order.

        The error array holds NaN where a point has no error. ``name`` may be short (``"q1"``): see
        :meth:`resolve`.
        """
        sub = self.select(run, direction)
        full = self.resolve(name)
        pts = [p for p in sub.points if full in p.values]
        p = np.array([pt.pressure_GPa for pt in pts], dtype=float)
        y = np.array([pt.values[full] for pt in pts], dtype=float)
        e = np.array([pt.errors.get(full, np.nan) for pt in pts], dtype=float)
        return p, y, e

    def pressure_errors(self, name: str, run=None, direction=None) -> np.ndarray:
        """Pressure errors (NaN where unknown) of the points :meth:`scalar` returns."""
        sub = self.select(run, direction)
        full = self.resolve(name)
        return np.array([np.nan if pt.pressure_err_GPa is None else pt.pressure_err_GPa
                         for pt in sub.points if full in pt.values], dtype=float)

    # -- checks -----------------------------------------------------------------------------------------------
    def check(self) -> Series:
        """Raise InputError on a point out of path order, a repeated pressure or a pressure < −0.5 GPa.

        Order and repeats are judged within each (run, direction) in the order the points are held. Returns
        ``self`` so that it chains.
        """
        last: dict[tuple[str, str], SeriesPoint] = {}
        seen: dict[tuple[str, str, float], SeriesPoint] = {}
        for pt in self.points:
            if pt.pressure_GPa < MIN_PRESSURE_GPA:
                raise InputError(f"pressure {pt.pressure_GPa:g} GPa is below {MIN_PRESSURE_GPA:g} GPa (negative "
                                 "pressures beyond ruby scatter at ambient are not physical here)",
                                 source=pt.source, line=pt.line, field="pressure_GPa")
            for k, v in pt.values.items():
                if v < 0 and base_name(k) in NON_NEGATIVE:
                    raise InputError(f"{k} = {v:g} is negative, which is not physical", source=pt.source,
                                     line=pt.line, field=k)
            key = (pt.run, pt.direction)
            dup = seen.get((*key, pt.pressure_GPa))
            if dup is not None:
                raise InputError(f"pressure {pt.pressure_GPa:g} GPa appears twice in run {pt.run!r} "
                                 f"({pt.direction}): at {dup.where} and at {pt.where}; average the two or give one "
                                 "a different run label", source=pt.source, line=pt.line, field="pressure_GPa")
            seen[(*key, pt.pressure_GPa)] = pt
            prev = last.get(key)
            if prev is not None:
                up = pt.pressure_GPa > prev.pressure_GPa
                if pt.direction == "compression" and not up:
                    raise InputError(
                        f"pressure decreases from {prev.pressure_GPa:g} GPa ({prev.where}) to {pt.pressure_GPa:g} "
                        f"GPa within compression of run {pt.run!r}: compression points must increase in pressure "
                        "(mark release data with a 'direction' column = decompression, or sort the rows)",
                        source=pt.source, line=pt.line, field="pressure_GPa")
                if pt.direction == "decompression" and up:
                    raise InputError(
                        f"pressure increases from {prev.pressure_GPa:g} GPa ({prev.where}) to {pt.pressure_GPa:g} "
                        f"GPa within decompression of run {pt.run!r}: decompression points must decrease in "
                        "pressure", source=pt.source, line=pt.line, field="pressure_GPa")
            last[key] = pt
        return self

    # -- construction -----------------------------------------------------------------------------------------
    @classmethod
    def from_scatter_results(cls, entries: Iterable[tuple], source: str = "<scatter results>",
                             check: bool = True) -> Series:
        """A series from (run, direction, pressure, result) entries.

        ``pressure`` is GPa or a (P, P error) pair; ``result`` a :class:`~hpglass.scattering.pipeline.ScatterResult`
        or its ``to_dict()``. Pulled: ``q1_A-1``, ``r1_A``, ``cn``, ``density_g_cm3`` and their errors
        (:data:`SCATTER_KEYS`); a metric the chain could not determine (null) is left out of that point.
        """
        pts = []
        for i, entry in enumerate(entries):
            try:
                run, direction, pressure, result = entry
            except (TypeError, ValueError):
                raise InputError(f"entry {i + 1} must be (run, direction, pressure, result)", source=source) from None
            d = result.to_dict() if hasattr(result, "to_dict") else result
            if not isinstance(d, Mapping):
                raise InputError(f"entry {i + 1}: result must be a ScatterResult or its to_dict() "
                                 f"(got {type(result).__name__})", source=source)
            if isinstance(pressure, (tuple, list)):
                p, pe = pressure
            else:
                p, pe = pressure, None
            values = {k: d.get(k) for k in SCATTER_KEYS if _finite_or_none(d.get(k)) is not None}
            errors = {k: d.get(e) for k, e in SCATTER_KEYS.items()
                      if k in values and _finite_or_none(d.get(e)) is not None}
            inputs = d.get("inputs") if isinstance(d.get("inputs"), Mapping) else {}
            src = str(inputs.get("sample") or f"{source}[{i + 1}]")
            pts.append(SeriesPoint(run=str(run), direction=direction, pressure_GPa=p, pressure_err_GPa=pe,
                                   values=values, errors=errors, source=src))
        s = cls(tuple(pts), source=source)
        return s.check() if check else s

    # -- output -----------------------------------------------------------------------------------------------
    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per point — run, direction, pressure_GPa, pressure_err_GPa, then every value name and its
        ``<name>_err`` (None where absent) — the rows of a CSV table that :func:`hpglass.io.series_tables.read_series_table`
        reads back."""
        names = self.names()
        with_err = [n for n in names if any(n in p.errors for p in self.points)]
        rows = []
        for p in self.points:
            row: dict[str, Any] = {"run": p.run, "direction": p.direction, "pressure_GPa": p.pressure_GPa,
                                   "pressure_err_GPa": p.pressure_err_GPa}
            for n in names:
                row[n] = p.values.get(n)
                if n in with_err:
                    row[f"{n}_err"] = p.errors.get(n)
            rows.append(row)
        return rows

    def to_dict(self) -> dict:
        return {"source": self.source, "runs": list(self.runs()), "directions": list(self.directions()),
                "names": list(self.names()), "points": [p.to_dict() for p in self.points],
                "hpglass_version": _version()}

    # -- trends -----------------------------------------------------------------------------------------------
    def trend(self, name: str, n_segments: int | None = None, run: str | Sequence[str] | None = None,
              direction: str | None = None, *, x: str = "pressure", use_errors: bool = True,
              absolute_sigma: bool = True, min_points: int = 3, ci_level: float = 0.95,
              max_segments: int = 3) -> PiecewiseFit:
        """Continuous piecewise-linear fit of ``name`` against pressure (or another value ``x``).

        n_segments : 1, 2, 3, or None to choose 1 … ``max_segments`` by BIC.
        run, direction : the selection; runs are combined, directions never (a series holding both needs
            ``direction``).
        use_errors : weight by the values' 1σ errors when every selected point has one (> 0); otherwise (or
            when False) the fit is unweighted and the errors come from the residual scatter.
        x : "pressure" or the name of another value (e.g. "density") to fit against.

        Returns the :class:`~hpglass.series.piecewise.PiecewiseFit`; its ``meta`` records the name, selection
        and weighting. Raises InputError when there are too few points for the segments asked for (a fit with
        k segments has 2k parameters and needs :func:`segments_min_points` points).
        """
        sub = self.select(run, direction)
        dirs = sub.directions()
        if len(dirs) > 1:
            raise InputError("the series holds both compression and decompression points; choose one with "
                             "direction= (--direction) — the two paths are fitted apart", source=self.source,
                             field="direction")
        full = sub.resolve(name)
        pts = [p for p in sub.points if full in p.values]
        if x in ("pressure", "pressure_GPa", "P"):
            x_name = "pressure_GPa"
            pts_x = pts
            xv = np.array([p.pressure_GPa for p in pts_x], dtype=float)
        else:
            x_name = sub.resolve(x)
            pts_x = [p for p in pts if x_name in p.values]
            xv = np.array([p.values[x_name] for p in pts_x], dtype=float)
        yv = np.array([p.values[full] for p in pts_x], dtype=float)
        ev = np.array([p.errors.get(full, np.nan) for p in pts_x], dtype=float)
        n = yv.size
        if n_segments is not None and n_segments not in (1, 2, 3):
            raise InputError(f"the number of segments must be 1, 2 or 3 (got {n_segments})", field="segments")
        need = segments_min_points(n_segments or 1, min_points)
        sel = _describe_selection(run, dirs)
        if n < need:
            k = n_segments or 1
            params = f"{2 * k} parameters (intercept, {k} slope{'s' if k > 1 else ''}" + (
                f", {k - 1} breakpoint{'s' if k > 2 else ''})" if k > 1 else ")")
            raise InputError(f"{n} point{'s' if n != 1 else ''} of {full}{sel}, but a {k}-segment fit has {params} "
                             f"and needs ≥ {need} points ({min_points} per segment, more points than parameters)",
                             source=self.source, field=full)
        weighted = bool(use_errors and n and np.all(np.isfinite(ev)) and np.all(ev > 0))
        fit = fit_piecewise(xv, yv, n_segments, sigma=ev if weighted else None, absolute_sigma=absolute_sigma,
                            min_points=min_points, ci_level=ci_level, max_segments=max_segments)
        n_err = int(np.count_nonzero(np.isfinite(ev) & (ev > 0)))
        fit.meta.update({
            "y": full, "x": x_name, "run": None if run is None else run, "direction": dirs[0] if dirs else None,
            "runs": list(sub.runs()), "weighted": weighted,
            "weights": "1/σ² from the values' errors" if weighted else
            ("unweighted: " + ("not requested" if not use_errors else
                               f"{n - n_err} of {n} points have no error")),
            "source": self.source,
        })
        return fit


def _describe_selection(run, dirs) -> str:
    parts = []
    if run is not None:
        parts.append(f"run {run}")
    if dirs:
        parts.append(dirs[0])
    return f" ({', '.join(parts)})" if parts else ""
