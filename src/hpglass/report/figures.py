"""Publication-style figures of a study report, modelled on Figs. 1–5 of Zhang et al., PRL 127, 127002 (2021).

Each ``figN_*`` function takes hpglass result objects (or the small input dataclasses below, where no domain type
fits), draws with the report style (:func:`hpglass.report.style.report_style`) on the Agg canvas with constrained
layout, and returns a :class:`matplotlib.figure.Figure`. The functions are pure: no file I/O, no pyplot state, no
change to the global rcParams. :func:`save_figure` writes a figure as PNG and SVG atomically.

Any input may be missing (``None`` or empty): its panel then shows a short centred note ("not in this study")
instead of failing. Legends never sit on data: short ones go where matplotlib finds room, the keys of Figs. 1 and
2c/d hang under their panels (in an invisible axes row, so the layout makes room for them). Offset (waterfall)
panels draw at most :data:`MAX_OFFSET_CURVES` curves, evenly spread in pressure; Fig. 1b colours its curves by
pressure (:func:`hpglass.report.style.pressure_cmap`) with a colour bar over every pressure given.

Every panel axis carries its letter as its matplotlib label (``ax.get_label() == "a"``; see :func:`panel_axes`), so
callers and tests can tell panels from colour bars, keys ("key-a") and insets.

Units: pressure GPa, q Å⁻¹, r Å, temperature K, field T, density g/cm³, conductivity S/cm, resistivity Ω·cm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..precision import fmt, fmt_short
from .style import MARKERS, OKABE_ITO, colour, pressure_cmap, report_style

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..eos.crossover import Crossover
    from ..eos.fit import EquationOfState
    from ..scattering.pipeline import ScatterResult
    from ..series.crystal_reference import CrystalReference
    from ..series.piecewise import PiecewiseFit
    from ..structure.altbc import AltbcResult
    from ..structure.angles import AngleResult
    from ..structure.coordination import CoordinationResult
    from ..structure.pair import PairDistribution
    from ..structure.rings import RingResult
    from ..transport.conductivity import ConductivityRegimes
    from ..transport.curve import RCurve
    from ..transport.hc2 import Hc2Points, Hc2Result
    from ..transport.tc import TcResult

__all__ = [
    "MAX_OFFSET_CURVES",
    "MISSING_NOTE",
    "AltbcMap",
    "CrystalR1Curve",
    "ElfHistogram",
    "ElfSlice",
    "PatternCurves",
    "Region",
    "RoomTemperatureSeries",
    "RtNearTc",
    "StructureAtPressure",
    "TcPoint",
    "TrendPoints",
    "fig1_transport",
    "fig2_diffraction",
    "fig3_simulation",
    "fig4_eos_phase_diagram",
    "fig5_distortion_elf",
    "panel_axes",
    "save_figure",
]

#: the note a panel shows when its input is missing
MISSING_NOTE = "not in this study"

# ---------------------------------------------------------------------------------------------------------------
# input dataclasses (where no domain result type fits)
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoomTemperatureSeries:
    """Room-temperature transport of one run against pressure (Fig. 1a).

    pressure_GPa, values : one value per pressure point, in measurement order.
    kind : what ``values`` are — "resistivity" (Ω·cm, default), "resistance" (Ω), "conductivity" (S/cm) or
        "conductance" (S); the panel plots them as given on a log axis (the first series' quantity; a later series
        of the reciprocal quantity is inverted, one of another quantity is left out with a note).
    direction : one label per point ("compression"/"decompression") or one label for all points.
    regimes : the piecewise fit of log₁₀σ(P) (:func:`hpglass.transport.conductivity_regimes` on these points,
        same ``kind``; for a conductance use ``kind="conductivity"`` there, the fit is of log₁₀ of the values); its
        fitted line, breakpoints and breakpoint confidence intervals are drawn. None: points only.
    """

    run: str
    pressure_GPa: np.ndarray
    values: np.ndarray
    kind: Literal["resistivity", "resistance", "conductivity", "conductance"] = "resistivity"
    direction: str | Sequence[str] = "compression"
    regimes: ConductivityRegimes | None = None


@dataclass(frozen=True)
class RtNearTc:
    """One R(T) curve near T_c at one pressure (Fig. 1b), drawn as R(T)/R_n.

    curve : an :class:`~hpglass.transport.curve.RCurve` or a (T_K, R_ohm) pair of arrays.
    tc : its :class:`~hpglass.transport.tc.TcResult` (gives R_n at the onset and T_c marks); optional.
    r_normal_ohm : R_n used for the normalisation; default ``tc.r_normal_ohm``, else computed with
        :func:`hpglass.transport.find_tc`, else the resistance at the highest temperature. A curve without a
        transition (no onset in ``tc`` or found by find_tc) and without ``r_normal_ohm`` is drawn as R/R_max, scaled
        to its largest resistance in the shown temperature range (a semiconducting upturn stays in its slot).
    """

    pressure_GPa: float
    curve: RCurve | tuple[np.ndarray, np.ndarray]
    tc: TcResult | None = None
    r_normal_ohm: float | None = None
    run: str = ""
    direction: str = "compression"


@dataclass(frozen=True)
class PatternCurves:
    """S(q) and g(r) of one pattern as plain arrays (when there is no ScatterResult): q Å⁻¹, r Å.

    r_cutoff_A : the r_min of the reduction's Eggert/Kaplow correction (``ScatterResult.r_cutoff``): no pair of atoms
        is closer, and the reduction holds g(r) at 0 below it within the noise; Fig. 2b draws g = 0 there (grey).
    """

    q_A: np.ndarray
    sq: np.ndarray
    r_A: np.ndarray | None = None
    gr: np.ndarray | None = None
    r_cutoff_A: float | None = None


@dataclass(frozen=True)
class TrendPoints:
    """Scalar values against pressure (e.g. FSDP position, glass density) with optional 1σ errors."""

    pressure_GPa: np.ndarray
    value: np.ndarray
    err: np.ndarray | None = None
    label: str = ""
    direction: str = "compression"


@dataclass(frozen=True)
class CrystalR1Curve:
    """First g(r) peak r1 (Å) of a crystal reference against pressure (Fig. 2d); build it with
    :meth:`from_references` from :class:`~hpglass.series.crystal_reference.CrystalReference` objects."""

    name: str
    pressure_GPa: np.ndarray
    r1_A: np.ndarray

    @classmethod
    def from_references(cls, name: str, refs: Mapping[float, CrystalReference],
                        unbroadened: bool = False) -> CrystalR1Curve:
        """``refs`` maps pressure (GPa) → reference; r1 is the broadened g's first maximum (or the first shell)."""
        p = np.array(sorted(refs), dtype=float)
        r1 = np.array([refs[k].r1_unbroadened if unbroadened else refs[k].r1 for k in sorted(refs)], dtype=float)
        return cls(name, p, r1)


@dataclass(frozen=True)
class TcPoint:
    """One T_c of one transport run at one pressure (Fig. 4 phase diagram).

    tc_K, tc_err_K : the transition temperature and its 1σ error (None: no error bar). ``label`` tells a second
    transition in the same curve apart (e.g. "second transition"); points with the same (run, direction, label)
    share a marker and colour; decompression points are drawn open.
    """

    run: str
    direction: str
    pressure_GPa: float
    tc_K: float
    tc_err_K: float | None = None
    pressure_err_GPa: float | None = None
    label: str = ""

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> TcPoint:
        """From a dict with keys run, direction, pressure_GPa, tc_K (and optionally tc_err_K, pressure_err_GPa,
        label) — e.g. the rows of :attr:`hpglass.study.results.PhaseDiagram.tc_points`."""
        return cls(str(d.get("run", "")), str(d.get("direction", "compression")), float(d["pressure_GPa"]),
                   float("nan") if d.get("tc_K") is None else float(d["tc_K"]), d.get("tc_err_K"),
                   d.get("pressure_err_GPa"), str(d.get("label") or ""))


@dataclass(frozen=True)
class Region:
    """A pressure region of the phase diagram (e.g. "LDA", "HDA", "bcc") with uncertain edges.

    p_lo_GPa .. p_hi_GPa is shaded; each edge gets a hatched band of ± its error (None or 0: no band).
    source : where the edges come from (e.g. "q1 breakpoint", "crystallization onset").
    """

    name: str
    p_lo_GPa: float
    p_lo_err_GPa: float | None
    p_hi_GPa: float
    p_hi_err_GPa: float | None
    source: str = ""

    @classmethod
    def coerce(cls, obj) -> Region:
        """A Region from itself, or from an object / dict with ``name``, ``lo_GPa``, ``hi_GPa``, ``lo_err_GPa``,
        ``hi_err_GPa`` (as :class:`hpglass.study.results.Region`) or with this class's field names."""
        if isinstance(obj, Region):
            return obj

        def get(k, default=None):
            return obj.get(k, default) if isinstance(obj, Mapping) else getattr(obj, k, default)

        if get("p_lo_GPa") is not None:
            return cls(str(get("name")), float(get("p_lo_GPa")), get("p_lo_err_GPa"), float(get("p_hi_GPa")),
                       get("p_hi_err_GPa"), str(get("source", "") or ""))
        return cls(str(get("name")), float(get("lo_GPa")), get("lo_err_GPa"), float(get("hi_GPa")),
                   get("hi_err_GPa"), str(get("source", "") or ""))


@dataclass(frozen=True)
class StructureAtPressure:
    """Simulated structure at one pressure (Fig. 3), as plain arrays; build it with :meth:`from_results`.

    r_A, g_total, g_partials : total and partial g(r) ("Sb-Se" → array on r_A).
    angle_deg, angle_density : bin centres (deg) and the bond-angle density (deg⁻¹) per centre species
        ("Sb" → array); the key "all" holds the total distribution.
    coordination, coordination_err : mean coordination per pair ("Sb-Se" = Se neighbours of an Sb atom) and
        optional errors (e.g. standard errors over frames).
    rings : ring-size → value (``ring_measure``: "rings per atom" by default).
    """

    pressure_GPa: float
    r_A: np.ndarray | None = None
    g_total: np.ndarray | None = None
    g_partials: Mapping[str, np.ndarray] = field(default_factory=dict)
    angle_deg: np.ndarray | None = None
    angle_density: Mapping[str, np.ndarray] = field(default_factory=dict)
    coordination: Mapping[str, float] = field(default_factory=dict)
    coordination_err: Mapping[str, float] = field(default_factory=dict)
    rings: Mapping[int, float] = field(default_factory=dict)
    ring_measure: str = "rings per atom"
    label: str = ""

    @classmethod
    def from_results(cls, pressure_GPa: float, *, pair: PairDistribution | Sequence[PairDistribution] | None = None,
                     angles: AngleResult | Sequence[AngleResult] | None = None,
                     coordination: CoordinationResult | Sequence[CoordinationResult] | None = None,
                     rings: RingResult | Sequence[RingResult] | None = None, label: str = "") -> StructureAtPressure:
        """From hpglass.structure results of one frame or of several frames (then averaged; the coordination
        error is the standard error over frames)."""
        kw: dict[str, Any] = {}
        pairs = _as_list(pair)
        if pairs:
            kw["r_A"] = np.asarray(pairs[0].r, dtype=float)
            kw["g_total"] = np.mean([np.asarray(pd.total, dtype=float) for pd in pairs], axis=0)
            keys = list(pairs[0].partials)
            kw["g_partials"] = {f"{a}-{b}": np.mean([np.asarray(pd.partials[(a, b)], dtype=float) for pd in pairs],
                                                     axis=0) for a, b in keys}
        angs = _as_list(angles)
        if angs:
            kw["angle_deg"] = np.asarray(angs[0].centres, dtype=float)
            dens = {"all": np.mean([np.asarray(a.density, dtype=float) for a in angs], axis=0)}
            for k in angs[0].partials:
                dens[str(k)] = np.mean([np.asarray(a.partial_density(k), dtype=float) for a in angs], axis=0)
            kw["angle_density"] = dens
        coords = _as_list(coordination)
        if coords:
            by = [c.by_pair for c in coords]
            kw["coordination"] = {k: float(np.mean([d[k] for d in by])) for k in by[0]}
            if len(by) > 1:
                kw["coordination_err"] = {k: float(np.std([d[k] for d in by], ddof=1) / math.sqrt(len(by)))
                                          for k in by[0]}
        rr = _as_list(rings)
        if rr:
            sizes = [int(n) for n in rr[0].sizes]
            per = np.mean([np.asarray(x.per_atom, dtype=float) for x in rr], axis=0)
            kw["rings"] = dict(zip(sizes, (float(v) for v in per), strict=True))
        return cls(float(pressure_GPa), label=label, **kw)


@dataclass(frozen=True)
class AltbcMap:
    """An ALTBC map (Fig. 5) as plain arrays: bin centres r_A (Å, both axes) and density[i, j] at
    (r_short = r_A[i], r_long = r_A[j]) in triplets per atom per Å²; build it with :meth:`from_result`."""

    r_A: np.ndarray
    density: np.ndarray
    label: str = ""
    pressure_GPa: float | None = None
    density_g_cm3: float | None = None

    @classmethod
    def from_result(cls, result: AltbcResult | Sequence[AltbcResult], label: str = "",
                    pressure_GPa: float | None = None, density_g_cm3: float | None = None) -> AltbcMap:
        """From one :class:`~hpglass.structure.altbc.AltbcResult` or several (maps averaged over frames)."""
        res = _as_list(result)
        if not res:
            raise ValueError("AltbcMap.from_result needs at least one AltbcResult")
        dens = np.mean([np.asarray(x.density, dtype=float) for x in res], axis=0)
        return cls(np.asarray(res[0].r, dtype=float), dens, label, pressure_GPa, density_g_cm3)


@dataclass(frozen=True)
class ElfHistogram:
    """ELF value distribution per species of one frame (Fig. 5) as plain arrays: bin edges on [0, 1] and
    species → probability density. :func:`fig5_distortion_elf` also takes
    :class:`hpglass.simulate.elf.ElfHistogram` directly (converted with :meth:`coerce`)."""

    edges: np.ndarray
    by_species: Mapping[str, np.ndarray]
    label: str = ""

    @classmethod
    def coerce(cls, obj, label: str = "") -> ElfHistogram:
        """Itself, or from :class:`hpglass.simulate.elf.ElfHistogram` (its normalised ``density(species)``)."""
        if isinstance(obj, ElfHistogram):
            return obj
        return cls(np.asarray(obj.edges, dtype=float), {str(sp): np.asarray(obj.density(sp), dtype=float)
                                                        for sp in obj.species}, label)


@dataclass(frozen=True)
class ElfSlice:
    """A 2D slice of the ELF (values in [0, 1]) as an image: ``values[row, col]`` at y (rows, upwards) and x
    (columns); extent_A = (x0, x1, y0, y1) of the pixel edges in Å. :func:`fig5_distortion_elf` also takes
    :class:`hpglass.simulate.elf.ElfSlice` directly (converted with :meth:`coerce`)."""

    values: np.ndarray
    extent_A: tuple[float, float, float, float]
    label: str = ""

    @classmethod
    def coerce(cls, obj, label: str = "") -> ElfSlice:
        """Itself, or from :class:`hpglass.simulate.elf.ElfSlice` (``values[i, j]`` at (u_A[i], v_A[j]):
        transposed to an image with u across and v upwards; its description as the label)."""
        if isinstance(obj, ElfSlice):
            return obj
        return cls(np.asarray(obj.values, dtype=float).T, tuple(float(v) for v in obj.extent),
                   label or str(getattr(obj, "description", "") or ""))


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------
def _as_list(x) -> list:
    """None → [], one object → [it], a sequence (not a string / mapping / array) → list."""
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _new_figure(nrows: int, ncols: int, figsize: tuple[float, float], **subplot_kw) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure on the Agg canvas (no pyplot: nothing global is touched) and its axes grid."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def _letter(i: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else "a" + "abcdefghijklmnopqrstuvwxyz"[i - 26]


def _panel(ax: Axes, letter: str, title: str = "") -> Axes:
    """Label ``ax`` as panel ``letter`` (its matplotlib label) and title it "(letter) title" on the left."""
    ax.set_label(letter)
    ax.set_title(f"({letter}) {title}".rstrip(), loc="left", fontweight="bold")
    return ax


def _note(ax: Axes, text: str = MISSING_NOTE) -> None:
    """A short centred note on a panel without data (ticks removed; the axis labels stay)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.35", style="italic",
            gid="missing-note")
    ax.set_xticks([])
    ax.set_yticks([])


def _finish(fig: Figure, title: str | None) -> Figure:
    if title:
        fig.suptitle(title)
    return fig


def _fmt_p(p: float) -> str:
    """A pressure for a curve label: to 0.1 GPa, no trailing zeros (62.9655 → "63", 23.9 → "23.9")."""
    return f"{round(float(p), 1) + 0.0:g}"


def _fmt_num(v: float, err: float | None) -> str:
    """``v ± err`` by the one display rule (:func:`hpglass.precision.fmt`; three significant digits without an
    error)."""
    return fmt(v, err, digits=3)


def _fmt_short(v: float, err: float | None) -> str:
    """Concise ``v(err)`` notation by the one display rule: 0.02094(31) (:func:`hpglass.precision.fmt_short`)."""
    return fmt_short(v, err)


def _auto_offset(curves: list[tuple[float, np.ndarray, np.ndarray]], frac: float = 0.6) -> float:
    """Waterfall step: ``frac`` × the largest peak-to-valley range of the curves (1 when there is none)."""
    spans = [float(np.nanmax(y) - np.nanmin(y)) for _, _, y in curves if np.size(y) and np.any(np.isfinite(y))]
    top = max(spans, default=0.0)
    return frac * top if top > 0 else 1.0


#: at most this many curves in an offset (waterfall) panel; more are thinned to an even spread in pressure
MAX_OFFSET_CURVES = 12


def _spread_subset(pressures: Sequence[float], k: int) -> list[int]:
    """Indices (ascending) of at most ``k`` of the ``pressures`` (sorted ascending) spread evenly in pressure: the
    first and the last always, each other one the nearest not yet taken to an evenly spaced target pressure."""
    n = len(pressures)
    if n <= k or k < 2:
        return list(range(n if n <= k else max(k, 0)))
    p = np.asarray(pressures, dtype=float)
    chosen = {0, n - 1}
    for target in np.linspace(p[0], p[-1], k)[1:-1]:
        for j in np.argsort(np.abs(p - target), kind="stable"):
            if int(j) not in chosen:
                chosen.add(int(j))
                break
    return sorted(chosen)


def _pressure_norm(pressures: Sequence[float]):
    """A Normalize over all ``pressures`` (±1 GPa around a single one)."""
    from matplotlib.colors import Normalize

    p = np.asarray([x for x in pressures if np.isfinite(x)], dtype=float)
    lo, hi = (float(p.min()), float(p.max())) if p.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    return Normalize(lo, hi)


def _legend_below(ax: Axes, handles: list, labels: list[str], title: str | None = None) -> None:
    """The key of a panel in ``ax``, an invisible axes in the row under the panels: the legend hangs from its top,
    outside every data area; the constrained layout makes the row as tall as its tallest legend."""
    ax.set_axis_off()
    if not handles:
        return
    # a tuple handle (points, fit line) is drawn overlaid: the marker on its line
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0), borderaxespad=0.0, fontsize=6,
              title=title, title_fontsize=6, frameon=False, handlelength=2.2)


def _with_breakpoint_key(handles: list, labels: list[str]) -> tuple[list, list[str]]:
    """``handles``, ``labels`` and the key of the breakpoint lines of :func:`_draw_breakpoints`."""
    from matplotlib.lines import Line2D

    return ([*handles, Line2D([], [], color="0.35", ls="--", lw=0.8)],
            [*labels, "breakpoints (shaded: confidence interval)"])


def _is_decompression(direction: str) -> bool:
    return str(direction).strip().lower().startswith(("decomp", "d", "down", "release", "unload"))


def _directions(direction, n: int) -> np.ndarray:
    if isinstance(direction, str):
        lab = "decompression" if _is_decompression(direction) else "compression"
        return np.full(n, lab, dtype=object)
    d = [("decompression" if _is_decompression(x) else "compression") for x in direction]
    if len(d) != n:
        raise ValueError(f"direction has {len(d)} labels for {n} points")
    return np.asarray(d, dtype=object)


def _draw_breakpoints(ax: Axes, fit: PiecewiseFit, color, tag: str) -> None:
    """Vertical line at each breakpoint and its confidence interval shaded (gids ``{tag}-breakpoint-{j}`` and
    ``{tag}-breakpoint-ci-{j}``)."""
    for j, b in enumerate(fit.breakpoints):
        ax.axvline(b, color=color, ls="--", lw=0.8, gid=f"{tag}-breakpoint-{j}")
        if j < len(fit.breakpoint_ci):
            lo, hi = fit.breakpoint_ci[j]
            if np.isfinite(lo) and np.isfinite(hi) and hi > lo:
                ax.axvspan(lo, hi, color=color, alpha=0.15, lw=0, gid=f"{tag}-breakpoint-ci-{j}")


def _fit_line(ax: Axes, fit: PiecewiseFit, color, tag: str, label: str, unit: str, band: bool = True) -> None:
    """The fitted piecewise line over the data range, its 1σ band and its breakpoints."""
    xx = np.linspace(float(np.min(fit.x)), float(np.max(fit.x)), 300)
    yy = np.asarray(fit.predict(xx), dtype=float)
    slopes = ", ".join(_fmt_short(s, e) for s, e in zip(fit.slopes, fit.slope_errs, strict=True))
    ax.plot(xx, yy, color=color, lw=1.0, gid=f"{tag}-fit", label=f"{label}: slopes {slopes} {unit}")
    if band:
        ee = np.asarray(fit.predict_err(xx), dtype=float)
        if np.all(np.isfinite(ee)):
            ax.fill_between(xx, yy - ee, yy + ee, color=color, alpha=0.2, lw=0, gid=f"{tag}-fit-band")
    _draw_breakpoints(ax, fit, color, tag)


def _errorbar(ax: Axes, x, y, *, gid: str, **kw):
    """``ax.errorbar`` with ``gid`` on the data line only (not on the caps and bars)."""
    container = ax.errorbar(x, y, **kw)
    container.lines[0].set_gid(gid)
    return container


def _fit_points(ax: Axes, fit: PiecewiseFit, color, marker: str, label: str, tag: str) -> None:
    yerr = None if fit.sigma is None else np.asarray(fit.sigma, dtype=float)
    _errorbar(ax, fit.x, fit.y, yerr=yerr, fmt=marker, color=color, ms=3.5, mfc=color, elinewidth=0.7, capsize=0,
                label=label, gid=f"{tag}-points")


# ---------------------------------------------------------------------------------------------------------------
# Fig. 1 — transport
# ---------------------------------------------------------------------------------------------------------------
_KIND_AXIS = {"resistivity": "ρ (Ω·cm)", "resistance": "R (Ω)", "conductivity": "σ (S/cm)", "conductance": "G (S)"}
_RECIPROCAL = {"resistivity": "conductivity", "conductivity": "resistivity", "resistance": "conductance",
               "conductance": "resistance"}


def _rt_arrays(curve) -> tuple[np.ndarray, np.ndarray]:
    if hasattr(curve, "temperature_K"):
        return np.asarray(curve.temperature_K, dtype=float), np.asarray(curve.resistance_ohm, dtype=float)
    t, r = curve
    return np.asarray(t, dtype=float), np.asarray(r, dtype=float)


def _rt_items(rt) -> list[RtNearTc]:
    if rt is None:
        return []
    if isinstance(rt, Mapping):
        return [v if isinstance(v, RtNearTc) else RtNearTc(float(p), v) for p, v in rt.items()]
    return [v for v in rt if v is not None]


def _normal_resistance(item: RtNearTc, t: np.ndarray, r: np.ndarray) -> tuple[float, float | None]:
    """(R_n, T_c onset or None) for the normalisation of Fig. 1b."""
    tc = item.tc
    if tc is None:
        try:
            from ..transport import find_tc
            from ..transport.curve import RCurve

            curve = item.curve if hasattr(item.curve, "temperature_K") else RCurve(t, r, np.zeros_like(t))
            tc = find_tc(curve)
        except Exception:  # noqa: BLE001 - a curve find_tc cannot read is still drawn, normalised at its top
            tc = None
    onset = None if tc is None else tc.tc_onset_K
    rn = item.r_normal_ohm
    if rn is None and tc is not None and tc.r_normal_ohm:
        rn = tc.r_normal_ohm
    if rn is None or not np.isfinite(rn) or rn <= 0:
        rn = float(r[np.argmax(t)])
    return float(rn), onset


def _panel_room_t(ax: Axes, series: list[RoomTemperatureSeries]) -> tuple[list, list[str]]:
    """Draw Fig. 1a; return its key (handles, labels): one entry per run (and direction, where a run has both),
    the points' marker on the fitted line, with the fitted log₁₀σ slopes."""
    from matplotlib.lines import Line2D

    if not series:
        ax.set(xlabel="P (GPa)", ylabel=_KIND_AXIS["resistivity"])
        _note(ax)
        return [], []
    kind = series[0].kind
    skipped = []
    entries: dict[tuple[str, str], list] = {}  # (run, direction) → [handles, fit label]
    any_break = False
    for i, s in enumerate(series):
        c = colour(i)
        p = np.asarray(s.pressure_GPa, dtype=float)
        v = np.asarray(s.values, dtype=float)
        if s.kind != kind:
            if _RECIPROCAL.get(s.kind) == kind:
                v = 1.0 / v
            else:
                skipped.append(s.run)
                continue
        dirs = _directions(s.direction, p.size)
        present = []
        for lab in ("compression", "decompression"):
            m = dirs == lab
            if not m.any():
                continue
            present.append(lab)
            open_ = lab == "decompression"
            (pts,) = ax.plot(p[m], v[m], MARKERS[i % len(MARKERS)], color=c, mfc="none" if open_ else c, ms=3.5,
                             label=f"{s.run} {lab}", gid=f"room-t-{s.run}-{lab}")
            entries[(s.run, lab)] = [[pts], ""]
        if s.regimes is None:
            continue
        for lab, d in s.regimes.by_direction.items():
            fit = d.fit
            xx = np.linspace(float(np.min(fit.x)), float(np.max(fit.x)), 300)
            lg = np.asarray(fit.predict(xx), dtype=float)  # log10 of the conductivity (or conductance)
            yy = 10.0**lg if s.kind in ("conductivity", "conductance") else 10.0 ** (-lg)
            if s.kind != kind:
                yy = 1.0 / yy
            slopes = ", ".join(_fmt_short(sl, e) for sl, e in zip(fit.slopes, fit.slope_errs, strict=True))
            (line,) = ax.plot(xx, yy, color=c, lw=1.0, ls="--" if lab == "decompression" else "-",
                              label=f"{s.run}{'' if lab == 'all' else ' ' + lab} fit (log₁₀σ slopes {slopes} /GPa)",
                              gid=f"room-t-fit-{s.run}-{lab}")
            _draw_breakpoints(ax, fit, c, f"room-t-{s.run}-{lab}")
            any_break = any_break or len(fit.breakpoints) > 0
            key = (s.run, present[0] if lab == "all" and len(present) == 1 else lab)
            entry = entries.setdefault(key, [[], ""])
            entry[0].append(line)
            entry[1] = f"log₁₀σ slopes {slopes} /GPa"
    ax.set_yscale("log")
    ax.set(xlabel="P (GPa)", ylabel=_KIND_AXIS.get(kind, kind))
    if skipped:
        ax.text(0.98, 0.02, "not shown (other quantity): " + ", ".join(skipped), transform=ax.transAxes,
                ha="right", va="bottom", fontsize=6, color="0.35")
    handles, labels = [], []
    for (run, lab), (hs, fit_label) in entries.items():
        handles.append(tuple(hs) if len(hs) > 1 else hs[0])
        both = sum(1 for r, _ in entries if r == run) > 1  # name the direction only where a run has two entries
        name = run if not both else f"{run} {lab}" if lab != "all" else f"{run} fit"
        labels.append(f"{name}: {fit_label}" if fit_label else name)
    if any(lab == "decompression" for _, lab in entries):
        handles.append(Line2D([], [], color="0.35", marker="o", mfc="none", ls="none", ms=3.5))
        labels.append("open markers: decompression")
    return _with_breakpoint_key(handles, labels) if any_break else (handles, labels)


def _rt_label_y(t: np.ndarray, y: np.ndarray, t_max: float | None) -> float:
    """Height above which curve (t, y) leaves room for its label at the right end of the shown range."""
    hi = float(np.nanmax(t)) if t_max is None else t_max
    lo = float(np.nanmin(t)) + 0.75 * (hi - float(np.nanmin(t)))
    m = (t >= lo) & (t <= hi) & np.isfinite(y)
    return float(np.max(y[m])) if m.any() else float(np.nanmax(y))


def _panel_rt(ax: Axes, items: list[RtNearTc], step: float, t_max_K: float | None,
              max_curves: int) -> tuple[list, list[str], str | None]:
    """Draw Fig. 1b: at most ``max_curves`` of the R(T)/R_n curves, evenly spread in pressure, coloured by pressure
    on a colour bar that spans all of them, each labelled with its pressure. Returns the key (line styles and, as
    its title, how many curves are shown)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.lines import Line2D

    ax.set(xlabel="T (K)", ylabel="R/R$_n$ (curves offset)")
    if not items:
        _note(ax)
        return [], [], None
    items = sorted(items, key=lambda it: (it.pressure_GPa, _is_decompression(it.direction)))
    cmap, norm = pressure_cmap(), _pressure_norm([it.pressure_GPa for it in items])
    shown = [items[j] for j in _spread_subset([it.pressure_GPa for it in items], max_curves)]
    drawn = []
    for it in shown:
        t, r = _rt_arrays(it.curve)
        o = np.argsort(t, kind="stable")
        t, r = t[o], r[o]
        rn, onset = _normal_resistance(it, t, r)
        drawn.append((it, t, r, rn, onset))
    onsets = [d[4] for d in drawn if d[4] is not None and np.isfinite(d[4])]
    t_top = max((float(np.nanmax(d[1])) for d in drawn if d[1].size), default=10.0)
    if t_max_K is None:
        t_max_K = min(max(10.0, 2.0 * max(onsets)), t_top) if onsets else None
    dirs, y_top, by_max = set(), 0.0, False
    for i, (it, t, r, rn, onset) in enumerate(drawn):
        lab = f"{_fmt_p(it.pressure_GPa)} GPa"
        if it.r_normal_ohm is None and onset is None:  # no transition: R/R_max over the shown range
            m = t <= t_max_K if t_max_K is not None else np.ones(t.size, bool)
            top = float(np.nanmax(r[m])) if m.any() else float(np.nanmax(r))
            if np.isfinite(top) and top > 0:
                rn, by_max = top, True
                lab += ", R/R$_{max}$"
        y = r / rn + i * step
        dec = _is_decompression(it.direction)
        dirs.add(dec)
        lab += " (d)" if dec else ""
        c = cmap(norm(it.pressure_GPa))
        ax.plot(t, y, color=c, ls="--" if dec else "-", label=lab, gid=f"rt-{i}")
        y_lab = _rt_label_y(t, y, t_max_K)
        ax.text(0.985, y_lab + 0.04 * step, lab, transform=ax.get_yaxis_transform(), ha="right", va="bottom",
                fontsize=5.5, color=c, gid=f"rt-label-{i}")
        y_top = max(y_top, y_lab + 0.7 * step)
    if t_max_K is not None:
        ax.set_xlim(0.0, t_max_K)
    ax.set_ylim(-0.1 * step, y_top)
    ax.set_yticks([])
    cb = ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.06, pad=0.02, aspect=25)
    cb.set_label("P (GPa)")
    cb.ax.set_label("cb-b")
    handles, labels = [], []
    for dec in sorted(dirs):
        handles.append(Line2D([], [], color="0.3", ls="--" if dec else "-"))
        labels.append("decompression (d)" if dec else "compression")
    notes = []
    if len(shown) < len(items):
        notes.append(f"{len(shown)} of {len(items)} curves shown, evenly spread in P")
    if by_max:
        notes.append("R/R$_{max}$: no transition, scaled to its maximum")
    return handles, labels, "\n".join(notes) or None


def _panel_hc2(ax: Axes, hc2: Mapping | None) -> tuple[list, list[str]]:
    """Draw Fig. 1c; return its key: the line styles of the fits and one entry per curve with its fitted
    μ₀H_c2(0) values."""
    from matplotlib.lines import Line2D

    ax.set(xlabel="T (K)", ylabel="μ₀H$_{c2}$ (T)")
    if not hc2:
        _note(ax)
        return [], []
    t_top = 0.0
    entries, styles = [], {}
    for i, (key, res) in enumerate(hc2.items()):
        c = colour(i)
        lab = f"{key:g} GPa" if isinstance(key, (int, float)) else str(key)
        open_ = isinstance(key, str) and "decomp" in key.lower()
        pts = res.points if hasattr(res, "points") else res
        cont = _errorbar(ax, pts.T_K, pts.H_T, xerr=pts.T_err_K, yerr=pts.H_err_T, fmt=MARKERS[i % len(MARKERS)],
                         color=c, mfc="none" if open_ else c, ms=3.5, elinewidth=0.7, label=lab, gid=f"hc2-points-{i}")
        t_top = max(t_top, float(np.max(pts.T_K)) if len(pts) else 0.0)
        handle, values = [cont.lines[0]], []
        if hasattr(res, "points"):
            tt = np.linspace(0.0, max(res.tc_K, float(np.max(pts.T_K))), 200)
            if res.hc2_whh_full_T is not None:
                (ln,) = ax.plot(tt, res.whh_curve(tt), color=c, lw=1.0, gid=f"hc2-whh-{i}",
                                label=f"WHH {_fmt_num(res.hc2_whh_full_T, res.hc2_whh_full_err_T)} T")
                handle.insert(0, ln)
                values.append(f"WHH {_fmt_short(res.hc2_whh_full_T, res.hc2_whh_full_err_T)}")
                styles["WHH"] = "-"
            if res.hc2_gl_T is not None:
                (ln,) = ax.plot(tt, res.gl_curve(tt), color=c, lw=1.0, ls=":", gid=f"hc2-gl-{i}",
                                label=f"GL {_fmt_num(res.hc2_gl_T, res.hc2_gl_err_T)} T")
                if len(handle) == 1:
                    handle.insert(0, ln)
                values.append(f"GL {_fmt_short(res.hc2_gl_T, res.hc2_gl_err_T)}")
                styles["GL"] = ":"
            if res.hc2_whh_T is not None:
                ax.plot([0.0], [res.hc2_whh_T], "*", color=c, ms=6, gid=f"hc2-whh-dirty-{i}", clip_on=False,
                        label=f"−0.693 T$_c$ dH$_{{c2}}$/dT: {_fmt_num(res.hc2_whh_T, res.hc2_whh_err_T)} T")
                values.append(f"★ {_fmt_short(res.hc2_whh_T, res.hc2_whh_err_T)}")
                styles["★"] = "*"
            t_top = max(t_top, res.tc_K)
        entries.append((tuple(handle) if len(handle) > 1 else handle[0],
                        f"{lab}: " + ", ".join(values) + " T" if values else lab))
    ax.set_xlim(0.0, t_top * 1.08 if t_top > 0 else None)
    ax.set_ylim(bottom=0.0)
    handles, labels = [], []
    names = {"WHH": "WHH fit", "GL": "Ginzburg–Landau fit", "★": "−0.693 T$_c$ dH$_{c2}$/dT (WHH, dirty limit)"}
    for k, style in styles.items():
        handles.append(Line2D([], [], color="0.3", marker="*", ls="none", ms=6) if style == "*"
                       else Line2D([], [], color="0.3", ls=style))
        labels.append(names[k])
    for h, lab in entries:
        handles.append(h)
        labels.append(lab)
    return handles, labels


def fig1_transport(
    room_temperature: RoomTemperatureSeries | Sequence[RoomTemperatureSeries] | None = None,
    rt_near_tc: Mapping[float, RCurve | tuple[np.ndarray, np.ndarray]] | Sequence[RtNearTc] | None = None,
    hc2: Mapping[float | str, Hc2Result | Hc2Points] | None = None,
    *,
    rt_offset: float = 1.1,
    t_max_K: float | None = None,
    rt_max_curves: int = MAX_OFFSET_CURVES,
    title: str | None = None,
) -> Figure:
    """Fig. 1: (a) room-T transport vs P (log axis) with regime fits and shaded breakpoint intervals,
    (b) R(T)/R_n near T_c stacked by pressure, (c) μ₀H_c2(T) points with WHH and GL curves.

    ``rt_near_tc`` maps pressure → curve, or is a sequence of :class:`RtNearTc`; at most ``rt_max_curves`` of them
    (evenly spread in pressure, the lowest and highest always) are drawn, offset by ``rt_offset``, coloured by
    pressure on a colour bar that spans every curve, and shown up to ``t_max_K`` (default twice the highest onset,
    at least 10 K, at most the data's range); a curve without a transition is scaled to its maximum (R/R_max, see
    :class:`RtNearTc`). ``hc2`` maps a pressure (GPa) or a label ("23.9 GPa decompression":
    open markers) → :class:`~hpglass.transport.hc2.Hc2Result` (points and fitted curves) or
    :class:`~hpglass.transport.hc2.Hc2Points` (points only). Each panel's key sits under it, off the data.
    """
    with report_style():
        fig, axes = _new_figure(2, 3, (10.4, 4.4), height_ratios=[1.0, 0.01])
        a, b, c = axes[0]
        _panel(a, "a", "room-T transport")
        key_a = _panel_room_t(a, _as_list(room_temperature))
        _panel(b, "b", "superconducting transition")
        *key_b, title_b = _panel_rt(b, _rt_items(rt_near_tc), rt_offset, t_max_K, rt_max_curves)
        _panel(c, "c", "upper critical field")
        key_c = _panel_hc2(c, hc2)
        for ax, key, kt, name in zip(axes[1], (key_a, key_b, key_c), (None, title_b, None), "abc", strict=True):
            ax.set_label(f"key-{name}")
            _legend_below(ax, *key, title=kt)
        return _finish(fig, title)


# ---------------------------------------------------------------------------------------------------------------
# Fig. 2 — diffraction
# ---------------------------------------------------------------------------------------------------------------
def _pattern_r_cutoff(pat) -> float | None:
    """The reduction's r_cutoff of a ScatterResult or PatternCurves (None for a plain tuple)."""
    v = pat.r_cutoff_A if isinstance(pat, PatternCurves) else getattr(pat, "r_cutoff", None)
    return None if v is None or not np.isfinite(v) else float(v)


def _pattern_arrays(pat) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(q, S, r, g) of a ScatterResult, a PatternCurves or a (q, S[, r, g]) tuple."""
    if hasattr(pat, "sq") and hasattr(pat, "q") and not isinstance(pat, PatternCurves):
        return (np.asarray(pat.q, float), np.asarray(pat.sq, float), np.asarray(pat.r, float),
                np.asarray(pat.gr, float))
    if isinstance(pat, PatternCurves):
        q, sq, r, g = pat.q_A, pat.sq, pat.r_A, pat.gr
    else:
        q, sq, *rest = pat
        r, g = (rest + [None, None])[:2]
    return (np.asarray(q, float), np.asarray(sq, float), None if r is None else np.asarray(r, float),
            None if g is None else np.asarray(g, float))


def _waterfall(ax: Axes, curves: list[tuple], offset: float | None, tag: str,
               max_curves: int = MAX_OFFSET_CURVES) -> tuple[int, int]:
    """Curves (pressure, x, y[, x_zero]) stacked upwards with increasing pressure (step ``offset``, None: automatic),
    each labelled with its pressure right of the axes, level with its end; curve i is drawn as y + i·offset (gid
    ``{tag}-{i}``). With ``x_zero`` (not None) the curve is drawn from x_zero on, and as a thin grey 0 below it (gid
    ``{tag}-zero-{i}``): where the quantity is 0 by construction (g(r) below a reduction's r_cutoff). More than
    ``max_curves`` curves are thinned to that many, evenly spread in pressure (the lowest and highest always).
    Returns (curves drawn, curves given)."""
    n_all = len(curves)
    curves = sorted(curves, key=lambda c: c[0])
    curves = [curves[j] for j in _spread_subset([c[0] for c in curves], max_curves)]
    n = len(curves)
    cuts = [c[3] if len(c) > 3 else None for c in curves]
    curves = [(p, x, y if cut is None else np.where(x < cut, 0.0, y)) for (p, x, y, *_), cut in
              zip(curves, cuts, strict=True)]
    if offset is None:
        offset = _auto_offset(curves)
    for i, ((p, x, y), cut) in enumerate(zip(curves, cuts, strict=True)):
        c = _ramp(i, n)
        if cut is not None and np.isfinite(cut) and x[0] < cut:
            xz = np.append(x[x < cut], cut)
            ax.plot(xz, np.full(xz.size, i * offset), color="0.6", lw=0.6, gid=f"{tag}-zero-{i}")
            x, y = x[x >= cut], y[x >= cut]
        ax.plot(x, y + i * offset, color=c, lw=0.9, gid=f"{tag}-{i}")
        # the label just right of the axes, level with the curve's end (never across the spine or the data)
        ax.text(1.0, y[-1] + i * offset, f" {_fmt_p(p)}", transform=ax.get_yaxis_transform(), color=c, fontsize=6,
                va="center", ha="left", clip_on=False, gid=f"{tag}-label-{i}")
    ax.set_yticks([])
    return n, n_all


def _shown_note(ax: Axes, shown: tuple[int, int], head: str = "") -> None:
    """``head`` (e.g. "P (GPa)") over the top right corner of a waterfall; when it was thinned, "(n of N pressures)"
    as a second line of its x label (the title beside the head may be long, the x label has the width)."""
    n, n_all = shown
    if head:
        ax.text(1.0, 1.0, head, transform=ax.transAxes, ha="center", va="bottom", fontsize=6)
    if n < n_all:
        ax.set_xlabel(f"{ax.get_xlabel()}\n({n} of {n_all} pressures)")


def _ramp(i: int, n: int):
    """A colour-blind-safe sequential colour (cividis) for curve i of n, low pressure dark."""
    from matplotlib import colormaps

    return colormaps["cividis"](0.9 * i / max(n - 1, 1))


def _fsdp_twin(ax: Axes, fsdp, color) -> Axes:
    tw = ax.twinx()
    tw.set_label("c-fsdp")
    ax.tick_params(axis="y", right=False)
    if hasattr(fsdp, "breakpoints"):  # a PiecewiseFit
        _fit_points(tw, fsdp, color, "^", "FSDP", "fsdp")
        xx = np.linspace(float(np.min(fsdp.x)), float(np.max(fsdp.x)), 200)
        tw.plot(xx, fsdp.predict(xx), color=color, lw=0.8, ls="--", gid="fsdp-fit")
    else:
        _errorbar(tw, fsdp.pressure_GPa, fsdp.value, yerr=fsdp.err, fmt="^", color=color, mfc="none", ms=3.5,
                    elinewidth=0.7, label=fsdp.label or "FSDP", gid="fsdp-points")
    tw.set_ylabel("FSDP position q$_0$ (Å⁻¹)", color=color)
    tw.tick_params(axis="y", colors=color)
    return tw


def fig2_diffraction(
    patterns: Mapping[float, ScatterResult | PatternCurves | tuple] | None = None,
    q1_fit: PiecewiseFit | None = None,
    r1_fit: PiecewiseFit | None = None,
    crystal_r1: Sequence[CrystalR1Curve] | None = None,
    *,
    fsdp: TrendPoints | PiecewiseFit | None = None,
    offset_sq: float | None = None,
    offset_gr: float | None = None,
    title: str | None = None,
) -> Figure:
    """Fig. 2: (a) S(q) and (b) g(r) waterfalls by pressure, (c) q1 vs P with the piecewise fit, its 1σ band, the
    breakpoints and their confidence intervals (and the FSDP position on a twin axis if given), (d) r1 vs P with
    its fit and the crystal references' r1(P) (e.g. Pnma and bcc).

    ``patterns`` maps pressure (GPa) → :class:`~hpglass.scattering.pipeline.ScatterResult`, :class:`PatternCurves`
    or a (q, S, r, g) tuple; the waterfalls step by ``offset_sq`` / ``offset_gr`` (None: 0.6 × the largest curve
    range; more than :data:`MAX_OFFSET_CURVES` patterns are thinned to an even spread in pressure). Below the
    reduction's r_cutoff (a ScatterResult's ``r_cutoff``, a PatternCurves' ``r_cutoff_A``) g(r) is drawn as 0 in
    grey: no pair of atoms is that close, the Eggert/Kaplow correction holds g there at 0 within the noise, and what
    is left (a few hundredths, amplified towards r = 0 by the 1/r of g = 1 + F/(4πρr)) is no structure. Above it the
    curve is the one the reduction wrote (r1 and CN come from it), termination ripples included. The points of
    (c) and (d) are the fits' own data (``fit.x``, ``fit.y``, ``fit.sigma``); their keys sit under the panels.
    """
    with report_style():
        fig, axes = _new_figure(3, 2, (7.2, 6.6), height_ratios=[1.0, 1.0, 0.01])
        a, b = axes[0]
        c, d = axes[1]
        _panel(a, "a", "S(q)")
        _panel(b, "b", "g(r)")
        a.set(xlabel="q (Å⁻¹)", ylabel="S(q) (offset)")
        b.set(xlabel="r (Å)", ylabel="g(r) (offset)")
        items = sorted(((float(p), _pattern_arrays(v), _pattern_r_cutoff(v)) for p, v in (patterns or {}).items()),
                       key=lambda x: x[0]) if patterns else []
        if items:
            _shown_note(a, _waterfall(a, [(p, q, s) for p, (q, s, _, _), _ in items], offset_sq, "sq"), "P (GPa)")
            grs = [(p, r, g, cut) for p, (_, _, r, g), cut in items if r is not None and g is not None]
            if grs:
                _shown_note(b, _waterfall(b, grs, offset_gr, "gr"), "P (GPa)")
            else:
                _note(b)
        else:
            _note(a)
            _note(b)

        _panel(c, "c", "principal peak")
        c.set(xlabel="P (GPa)", ylabel="q$_1$ (Å⁻¹)")
        if q1_fit is not None:
            _fit_points(c, q1_fit, OKABE_ITO[0], "o", "q$_1$", "q1")
            _fit_line(c, q1_fit, OKABE_ITO[1], "q1", "fit", "Å⁻¹/GPa")
        elif fsdp is None:
            _note(c)
        key_c = c.get_legend_handles_labels()
        if fsdp is not None:
            tw_handles, tw_labels = _fsdp_twin(c, fsdp, OKABE_ITO[2]).get_legend_handles_labels()
            key_c = (key_c[0] + tw_handles, key_c[1] + tw_labels)
        if q1_fit is not None and len(q1_fit.breakpoints):
            key_c = _with_breakpoint_key(*key_c)

        _panel(d, "d", "first g(r) peak")
        d.set(xlabel="P (GPa)", ylabel="r$_1$ (Å)")
        refs = _as_list(crystal_r1)
        if r1_fit is not None:
            _fit_points(d, r1_fit, OKABE_ITO[0], "s", "r$_1$ (glass)", "r1")
            _fit_line(d, r1_fit, OKABE_ITO[1], "r1", "fit", "Å/GPa")
        for k, ref in enumerate(refs):
            label = ref.name if "crystal" in ref.name.lower() else f"{ref.name} (crystal)"
            # markers where the curve was computed, unless the points are so dense that they would hide the line
            marker = ("^", "v", "D")[k % 3] if np.size(ref.pressure_GPa) <= 15 else None
            d.plot(ref.pressure_GPa, ref.r1_A, color=("0.0", "0.45", "0.65")[k % 3], ls=("-", "--", "-.")[k % 3],
                   marker=marker, ms=3.0, mfc="white", lw=1.0, label=label, gid=f"crystal-r1-{ref.name}")
        if r1_fit is None and not refs:
            _note(d)
        key_d = d.get_legend_handles_labels()
        if r1_fit is not None and len(r1_fit.breakpoints):
            key_d = _with_breakpoint_key(*key_d)
        # the keys of (c) and (d) under the panels, where they cannot cover a point of either axis
        for ax, key, name in zip(axes[2], (key_c, key_d), "cd", strict=True):
            ax.set_label(f"key-{name}")
            _legend_below(ax, *key)
        return _finish(fig, title)


# ---------------------------------------------------------------------------------------------------------------
# Fig. 3 — simulation
# ---------------------------------------------------------------------------------------------------------------
def _union_keys(dicts) -> list:
    seen: dict = {}
    for d in dicts:
        for k in d:
            seen.setdefault(k, None)
    return list(seen)


def _single_pressure_xlim(ax: Axes, items: list[StructureAtPressure]) -> None:
    """One pressure only: a ±1 GPa window instead of matplotlib's ±0.05 around it."""
    ps = {s.pressure_GPa for s in items if np.isfinite(s.pressure_GPa)}
    if len(ps) == 1:
        p = ps.pop()
        ax.set_xlim(p - 1.0, p + 1.0)


def fig3_simulation(structures: Sequence[StructureAtPressure] | None = None, *, offset_gr: float | None = None,
                    offset_angle: float | None = None, title: str | None = None) -> Figure:
    """Fig. 3: simulated structure against pressure.

    Top row: (a) total g(r) waterfall, then one waterfall of the partial g(r) per pair. Bottom row: one bond-angle
    distribution waterfall per centre species (the "all" distribution when no species is given), mean
    coordination per pair vs P, ring statistics vs P. Curves are offset by ``offset_gr`` (g(r)) and ``offset_angle``
    (deg⁻¹); None: 0.6 × the largest curve range of the panel. Panel count: 1 + n_pairs on top, n_centres + 2 below.
    """
    items = sorted((s for s in _as_list(structures) if s is not None), key=lambda s: s.pressure_GPa)
    pairs = _union_keys(s.g_partials for s in items) or ["partial"]
    centres = [k for k in _union_keys(s.angle_density for s in items) if k != "all"] or ["all"]
    ncols = max(1 + len(pairs), len(centres) + 2)
    with report_style():
        fig, axes = _new_figure(2, ncols, (2.3 * ncols + 0.4, 5.6))
        letters = iter(range(2 * ncols))
        # total g(r)
        ax = _panel(axes[0, 0], _letter(next(letters)), "total g(r)")
        ax.set(xlabel="r (Å)", ylabel="g(r) (offset)")
        tot = [(s.pressure_GPa, s.r_A, s.g_total) for s in items if s.r_A is not None and s.g_total is not None]
        if tot:
            _shown_note(ax, _waterfall(ax, [(p, np.asarray(r, float), np.asarray(g, float)) for p, r, g in tot],
                                       offset_gr, "g-total"))
        else:
            _note(ax)
        # partials
        for j, key in enumerate(pairs):
            ax = _panel(axes[0, 1 + j], _letter(next(letters)), f"g$_{{{key}}}$(r)" if key != "partial"
                        else "partial g(r)")
            ax.set(xlabel="r (Å)", ylabel="g(r) (offset)")
            cur = [(s.pressure_GPa, np.asarray(s.r_A, float), np.asarray(s.g_partials[key], float)) for s in items
                   if s.r_A is not None and key in s.g_partials]
            if cur:
                _shown_note(ax, _waterfall(ax, cur, offset_gr, f"g-{key}"))
            else:
                _note(ax)
        for j in range(1 + len(pairs), ncols):
            axes[0, j].remove()
        # bond angles per centre species
        for j, sp in enumerate(centres):
            ax = _panel(axes[1, j], _letter(next(letters)), "bond angles" + ("" if sp == "all" else f", {sp} centre"))
            ax.set(xlabel="bond angle θ (deg)", ylabel="P(θ) (deg⁻¹, offset)")
            cur = [(s.pressure_GPa, np.asarray(s.angle_deg, float), np.asarray(s.angle_density[sp], float))
                   for s in items if s.angle_deg is not None and sp in s.angle_density]
            if cur:
                _shown_note(ax, _waterfall(ax, cur, offset_angle, f"adf-{sp}"))
                ax.axvline(60.0, color="0.6", lw=0.6, ls=":")
                ax.set_xlim(0, 180)
            else:
                _note(ax)
        # coordination vs P
        ax = _panel(axes[1, len(centres)], _letter(next(letters)), "coordination")
        ax.set(xlabel="P (GPa)", ylabel="mean coordination number")
        ckeys = _union_keys(s.coordination for s in items)
        for k, key in enumerate(ckeys):
            pts = [(s.pressure_GPa, s.coordination[key], s.coordination_err.get(key, np.nan)) for s in items
                   if key in s.coordination]
            p, v, e = (np.array(x, dtype=float) for x in zip(*pts, strict=True))
            _errorbar(ax, p, v, yerr=None if np.all(np.isnan(e)) else e, fmt=MARKERS[k % len(MARKERS)] + "-",
                        color=colour(k), ms=3.5, lw=0.9, elinewidth=0.7, label=key, gid=f"cn-{key}")
        if ckeys:
            ax.legend(loc="best", fontsize=6)
            _single_pressure_xlim(ax, items)
        else:
            _note(ax)
        # rings vs P
        ax = _panel(axes[1, len(centres) + 1], _letter(next(letters)), "rings")
        measure = items[0].ring_measure if items else "rings per atom"
        ax.set(xlabel="P (GPa)", ylabel=measure)
        sizes = sorted(_union_keys(s.rings for s in items))
        sizes = [m for m in sizes if any(s.rings.get(m, 0.0) > 0 for s in items)]
        for k, m in enumerate(sizes):
            pts = [(s.pressure_GPa, s.rings[m]) for s in items if m in s.rings]
            p, v = (np.array(x, dtype=float) for x in zip(*pts, strict=True))
            ax.plot(p, v, MARKERS[k % len(MARKERS)] + "-", color=colour(k), ms=3.5, lw=0.9, label=f"{m}-ring",
                    gid=f"rings-{m}")
        if sizes:
            # six or more ring sizes fill the panel: a band above the data holds the legend (3 columns)
            lo, hi = ax.get_ylim()
            ax.set_ylim(lo, hi + 0.3 * (hi - lo))
            ax.legend(loc="upper left", fontsize=6, ncol=3, columnspacing=0.8, handlelength=1.5)
            _single_pressure_xlim(ax, items)
        else:
            _note(ax)
        for j in range(len(centres) + 2, ncols):
            axes[1, j].remove()
        return _finish(fig, title)


# ---------------------------------------------------------------------------------------------------------------
# Fig. 4 — EOS and phase diagram
# ---------------------------------------------------------------------------------------------------------------
def _eos_items(crystal_eos) -> list[tuple[str, Any]]:
    if crystal_eos is None:
        return []
    if isinstance(crystal_eos, Mapping):
        return [(str(k), v) for k, v in crystal_eos.items()]
    return [(getattr(e, "label", "") or f"crystal {i + 1}", e) for i, e in enumerate(_as_list(crystal_eos))]


def _eos_density(eos, pp: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(ρ, σρ) on pp, or None when the EOS cannot give densities (no mass) or fails."""
    try:
        rho, err = eos.density(pp)
    except Exception:  # noqa: BLE001 - a curve that cannot be computed is left out with a note
        return None
    rho, err = np.asarray(rho, dtype=float), np.asarray(err, dtype=float)
    return rho, np.where(np.isfinite(err), err, 0.0)


def _p_max(glass_density, tc_points, regions, crossover, eos_list) -> float:
    vals = [0.0]
    for t in glass_density:
        vals.extend(np.asarray(t.pressure_GPa, dtype=float).tolist())
    vals.extend(t.pressure_GPa for t in tc_points)
    for r in regions:
        vals.append(r.p_hi_GPa + (r.p_hi_err_GPa or 0.0))
    if crossover is not None and crossover.pressure_GPa is not None:
        vals.append(crossover.pressure_GPa + (crossover.err_GPa or 0.0))
    for e in eos_list:
        pr = getattr(e, "pressure_range_GPa", None)
        if pr:
            vals.append(pr[1])
    top = max(v for v in vals if np.isfinite(v))
    return 1.05 * top if top > 0 else 10.0


def _region_bands(ax: Axes, regions: list[Region], label_y: float = 0.02) -> None:
    """Each region shaded from p_lo to p_hi (gid ``region-{name}``), its edges' ±errors hatched (gids
    ``region-{name}-lo-err`` / ``-hi-err``), its name on top."""
    for k, reg in enumerate(regions):
        c = colour(k + 4)
        ax.axvspan(reg.p_lo_GPa, reg.p_hi_GPa, color=c, alpha=0.12, lw=0, gid=f"region-{reg.name}")
        for edge, p, e in (("lo", reg.p_lo_GPa, reg.p_lo_err_GPa), ("hi", reg.p_hi_GPa, reg.p_hi_err_GPa)):
            if e is not None and np.isfinite(e) and e > 0:
                ax.axvspan(p - e, p + e, facecolor="none", edgecolor=c, hatch="////", lw=0,
                           gid=f"region-{reg.name}-{edge}-err")
        ax.text(0.5 * (reg.p_lo_GPa + reg.p_hi_GPa), label_y, reg.name, transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=7, fontweight="bold", color="0.25", gid=f"region-label-{reg.name}")


def _tc_panel(ax: Axes, tc_points: list[TcPoint]) -> None:
    runs = list(dict.fromkeys(t.run for t in tc_points))
    groups: dict[tuple[str, str, str], list[TcPoint]] = {}
    for t in tc_points:
        d = "decompression" if _is_decompression(t.direction) else "compression"
        groups.setdefault((t.run, d, t.label), []).append(t)
    labels_by_run: dict[str, list[str]] = {}
    for (run, d, lab), pts in groups.items():
        labels_by_run.setdefault(run, [])
        if lab not in labels_by_run[run]:
            labels_by_run[run].append(lab)
        i = runs.index(run)
        c = colour(i)
        marker = MARKERS[(i + labels_by_run[run].index(lab)) % len(MARKERS)]
        p = np.array([x.pressure_GPa for x in pts], dtype=float)
        tc = np.array([x.tc_K for x in pts], dtype=float)
        te = np.array([np.nan if x.tc_err_K is None else x.tc_err_K for x in pts], dtype=float)
        pe = np.array([np.nan if x.pressure_err_GPa is None else x.pressure_err_GPa for x in pts], dtype=float)
        open_ = d == "decompression"
        # a run named after its direction ("run1-decompression") is not labelled twice
        name = (run if d in run else f"{run} {d}") + (f" ({lab})" if lab else "")
        _errorbar(ax, p, tc, yerr=None if np.all(np.isnan(te)) else te, xerr=None if np.all(np.isnan(pe)) else pe,
                    fmt=marker, color=c, mfc="white" if open_ else c, mec=c, ms=4.5, elinewidth=0.7, capsize=1.5,
                    label=name, gid=f"tc-{run}-{d}" + (f"-{lab}" if lab else ""), zorder=3)
    ax.set_ylim(bottom=0.0, top=1.45 * max(t.tc_K for t in tc_points))
    ax.legend(loc="upper left", fontsize=6)


def fig4_eos_phase_diagram(
    glass_density: TrendPoints | Sequence[TrendPoints] | None = None,
    glass_eos: EquationOfState | None = None,
    crystal_eos: Mapping[str, EquationOfState] | Sequence[EquationOfState] | None = None,
    crossover: Crossover | None = None,
    tc_points: Sequence[TcPoint | Mapping[str, Any]] | None = None,
    regions: Sequence[Region | Any] | None = None,
    *,
    p_max_GPa: float | None = None,
    simulated_density: TrendPoints | Sequence[TrendPoints] | None = None,
    title: str | None = None,
) -> Figure:
    """Fig. 4: (a) density vs P — glass points, glass EOS with its 1σ band, crystal EOS curves, the crossover (line)
    with its ±1σ error (band), and the simulated glass's own densities (``simulated_density``: open diamonds, error
    bars as given, e.g. the standard deviation over the frames); (b) T_c(P) per run and direction (open markers on decompression) over the shaded
    regions with hatched edge-uncertainty bands (``tc_points`` may be dicts, see :meth:`TcPoint.from_mapping`;
    points without a T_c are left out; ``regions``: anything :meth:`Region.coerce` takes). The x axes are shared,
    0 … ``p_max_GPa`` (default: 5 % beyond the highest pressure in any input). An EOS needs a mass (``mass_factor``, e.g. from
    :func:`hpglass.eos.fit.fit_density` or ``with_mass``) to be drawn as density; one without is named in a note.
    """
    dens = [t for t in _as_list(glass_density) if t is not None]
    sims = [t for t in _as_list(simulated_density) if t is not None]
    cryst = _eos_items(crystal_eos)
    tcs = [t if isinstance(t, TcPoint) else TcPoint.from_mapping(t) for t in _as_list(tc_points) if t is not None]
    tcs = [t for t in tcs if t.tc_K is not None and np.isfinite(t.tc_K)]  # no transition: nothing to plot
    regs = [Region.coerce(r) for r in _as_list(regions) if r is not None]
    eos_all = ([glass_eos] if glass_eos is not None else []) + [e for _, e in cryst]
    pmax = p_max_GPa if p_max_GPa is not None else _p_max(dens + sims, tcs, regs, crossover, eos_all)
    with report_style():
        fig, axes = _new_figure(2, 2, (7.6, 4.2), height_ratios=[1.0, 0.01])
        a, b = axes[0]
        key_a = axes[1][0]
        key_a.set_label("key-a")
        axes[1][1].remove()
        _panel(a, "a", "density")
        a.set(xlabel="P (GPa)", ylabel="ρ (g/cm³)")
        drawn = False
        undrawn = []
        for k, t in enumerate(dens):
            _errorbar(a, t.pressure_GPa, t.value, yerr=t.err, fmt=MARKERS[k % len(MARKERS)], color=colour(k),
                       mfc="none" if _is_decompression(t.direction) else colour(k), ms=3.5, elinewidth=0.7,
                       label=t.label or "glass", gid=f"density-points-{k}", zorder=3)
            drawn = True
        for k, t in enumerate(sims):
            c = ("0.15", OKABE_ITO[3], OKABE_ITO[4])[k % 3]
            _errorbar(a, t.pressure_GPa, t.value, yerr=t.err, fmt="D", color=c, mfc="white", mec=c, ms=3.5,
                      elinewidth=0.7, capsize=1.5, label=t.label or "simulated glass", gid=f"simulated-density-{k}",
                      zorder=4)
            drawn = True
        pp = np.linspace(0.0, pmax, 300)
        if glass_eos is not None:
            got = _eos_density(glass_eos, pp)
            if got is None:
                undrawn.append(glass_eos.label or "glass EOS")
            else:
                rho, err = got
                a.plot(pp, rho, color=OKABE_ITO[0], lw=1.1, label=glass_eos.label or "glass EOS", gid="glass-eos")
                a.fill_between(pp, rho - err, rho + err, color=OKABE_ITO[0], alpha=0.2, lw=0, gid="glass-eos-band")
                drawn = True
        for k, (name, e) in enumerate(cryst):
            got = _eos_density(e, pp)
            if got is None:
                undrawn.append(name)
                continue
            a.plot(pp, got[0], color=("0.0", "0.4", "0.6")[k % 3], ls=("--", "-.", ":")[k % 3], lw=1.0, label=name,
                   gid=f"crystal-eos-{k}")
            drawn = True
        if crossover is not None and crossover.pressure_GPa is not None:
            pc, ec = crossover.pressure_GPa, crossover.err_GPa
            lab = f"crossover {_fmt_num(pc, ec)} GPa" + (" (extrapolated)" if crossover.extrapolated else "")
            a.axvline(pc, color=OKABE_ITO[1], lw=1.0, label=lab, gid="crossover")
            if ec is not None and np.isfinite(ec) and ec > 0:
                a.axvspan(pc - ec, pc + ec, color=OKABE_ITO[1], alpha=0.15, lw=0, gid="crossover-band")
            drawn = True
        if undrawn:
            a.text(0.98, 0.02, "no density (EOS without mass): " + ", ".join(undrawn), transform=a.transAxes,
                   ha="right", va="bottom", fontsize=6, color="0.35")
        if drawn:
            a.set_xlim(0.0, pmax)
        else:
            _note(a)
        # the key under the panel: up to six entries with long labels would cover the points inside it
        _legend_below(key_a, *a.get_legend_handles_labels())

        _panel(b, "b", "phase diagram")
        b.set(xlabel="P (GPa)", ylabel="T$_c$ (K)")
        if tcs or regs:
            b.set_xlim(0.0, pmax)
            _region_bands(b, regs)
            if tcs:
                _tc_panel(b, tcs)
            else:
                b.set_ylim(0.0, 10.0)
                b.text(0.5, 0.5, "no superconducting transition", transform=b.transAxes, ha="center", va="center",
                       color="0.35", style="italic", gid="missing-note")
        else:
            _note(b)
        return _finish(fig, title)


# ---------------------------------------------------------------------------------------------------------------
# Fig. 5 — Peierls-like distortion (ALTBC) and ELF
# ---------------------------------------------------------------------------------------------------------------
def _altbc_map(m, default_label: str) -> AltbcMap | None:
    if m is None:
        return None
    if isinstance(m, AltbcMap):
        return m
    return AltbcMap.from_result(m, label=default_label)


def _altbc_title(m: AltbcMap, fallback: str) -> str:
    parts = [m.label or fallback]
    if m.pressure_GPa is not None and f"{m.pressure_GPa:g} GPa" not in parts[0]:
        parts.append(f"{m.pressure_GPa:g} GPa")
    if m.density_g_cm3 is not None:
        parts.append(f"{m.density_g_cm3:.2f} g/cm³")
    return ", ".join(parts)


def fig5_distortion_elf(
    altbc_low: AltbcResult | AltbcMap | None = None,
    altbc_high: AltbcResult | AltbcMap | None = None,
    elf_low: ElfHistogram | Any | None = None,
    elf_high: ElfHistogram | Any | None = None,
    elf_slices: Sequence[ElfSlice | Any] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Fig. 5: (a, b) ALTBC maps of a low- and a high-density frame on one colour scale (triplets per atom per Å²),
    (c) ELF histograms per species (solid: low density, dashed: high density; the panel says "ELF not computed"
    when both are None) and, if given, (d, …) ELF slices in a second row. The ELF inputs may be this module's
    plain-array classes or :mod:`hpglass.simulate.elf`'s ElfHistogram / ElfSlice results."""
    from matplotlib.ticker import MaxNLocator

    slices = [ElfSlice.coerce(s) for s in _as_list(elf_slices) if s is not None]
    elf_low = None if elf_low is None else ElfHistogram.coerce(elf_low)
    elf_high = None if elf_high is None else ElfHistogram.coerce(elf_high)
    ncols = max(3, len(slices))
    with report_style():
        fig, axes = _new_figure(2 if slices else 1, ncols, (3.0 * ncols, 5.8 if slices else 2.9))
        maps = [_altbc_map(altbc_low, "low density"), _altbc_map(altbc_high, "high density")]
        vmax = max((float(np.nanmax(m.density)) for m in maps if m is not None and m.density.size), default=1.0)
        mesh, drawn = None, []
        for j, (m, fallback) in enumerate(zip(maps, ("low density", "high density"), strict=True)):
            ax = _panel(axes[0, j], _letter(j), "ALTBC" + ("" if m is None else ", " + _altbc_title(m, fallback)))
            ax.set(xlabel="r$_1$ (Å)", ylabel="r$_2$ (Å)")
            if m is None:
                _note(ax)
                continue
            r = np.asarray(m.r_A, dtype=float)
            dr = float(r[1] - r[0]) if r.size > 1 else 1.0
            edges = np.concatenate([r - dr / 2, [r[-1] + dr / 2]])
            mesh = ax.pcolormesh(edges, edges, np.asarray(m.density, dtype=float).T, vmin=0.0,
                                 vmax=vmax if vmax > 0 else 1.0, cmap="viridis", shading="flat", rasterized=True,
                                 gid=f"altbc-{j}")
            ax.plot([edges[0], edges[-1]], [edges[0], edges[-1]], color="w", lw=0.6, ls="--")
            ax.set_aspect("equal")
            # the same ticks on both axes; the y axis leaves out its lowest, so the two labels at the corner
            # (both the lowest r) do not run into each other
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, prune="lower"))
            drawn.append(ax)
        if mesh is not None:
            cb = fig.colorbar(mesh, ax=drawn, shrink=0.85)
            cb.set_label("triplets per atom per Å²")
        ax = _panel(axes[0, 2], "c", "ELF")
        ax.set(xlabel="ELF (dimensionless)", ylabel="probability density")
        hists = [(h, ls, name) for h, ls, name in ((elf_low, "-", "low ρ"), (elf_high, "--", "high ρ"))
                 if h is not None]
        if hists:
            species = _union_keys(h.by_species for h, _, _ in hists)
            for h, ls, name in hists:
                e = np.asarray(h.edges, dtype=float)
                x = 0.5 * (e[:-1] + e[1:])
                for k, sp in enumerate(species):
                    if sp in h.by_species:
                        ax.plot(x, h.by_species[sp], color=colour(k), ls=ls, label=f"{sp}, {h.label or name}",
                                gid=f"elf-{sp}-{'low' if ls == '-' else 'high'}")
            ax.axvline(0.5, color="0.6", lw=0.6, ls=":")
            ax.set_xlim(0.0, 1.0)
            ax.legend(loc="best", fontsize=6)
        else:
            _note(ax, "ELF not computed")
        for j in range(3, ncols):
            axes[0, j].remove()
        for j, sl in enumerate(slices):
            ax = _panel(axes[1, j], _letter(3 + j), "ELF slice" + (f", {sl.label}" if sl.label else ""))
            ax.set(xlabel="x (Å)", ylabel="y (Å)")
            im = ax.imshow(np.asarray(sl.values, dtype=float), origin="lower", extent=sl.extent_A, vmin=0.0, vmax=1.0,
                           cmap="cividis", gid=f"elf-slice-{j}")
            if j == len(slices) - 1:
                fig.colorbar(im, ax=list(axes[1, : len(slices)]), shrink=0.85).set_label("ELF (dimensionless)")
        if slices:
            for j in range(len(slices), ncols):
                axes[1, j].remove()
        return _finish(fig, title)


# ---------------------------------------------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------------------------------------------
def panel_axes(fig: Figure) -> list[Axes]:
    """The panel axes of a report figure (those labelled with a panel letter), in panel order."""
    return sorted((ax for ax in fig.axes if ax.get_label().isalpha() and len(ax.get_label()) <= 2),
                  key=lambda ax: (len(ax.get_label()), ax.get_label()))


def save_figure(fig: Figure, stem: str | Path, dpi: int = 200) -> list[Path]:
    """Write ``stem.png`` (``dpi``) and ``stem.svg`` atomically (:func:`hpglass.io.atomic_path`: a reader never
    sees a half-written file; on error nothing is left behind), close the figure, return the two paths.

    The suffixes are appended to the stem's name (``fig1.v2`` → ``fig1.v2.png``). The SVG carries no date, so the
    same figure gives the same bytes.
    """
    import sys

    from ..io.atomic import atomic_path

    stem = Path(stem)
    out = []
    try:
        with report_style():
            for suffix, kw in ((".png", {"dpi": dpi, "metadata": {"Software": "hpglass/matplotlib"}}),
                               (".svg", {"metadata": {"Date": None}})):
                path = stem.with_name(stem.name + suffix)
                with atomic_path(path) as tmp:
                    fig.savefig(tmp, format=suffix[1:], **kw)
                out.append(path)
    finally:
        if "matplotlib.pyplot" in sys.modules:  # a figure made with pyplot is released from its registry
            sys.modules["matplotlib.pyplot"].close(fig)
    return out
