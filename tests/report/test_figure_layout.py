"""Layout of the report figures, measured with the matplotlib renderer: no text box overlaps another, nothing lies
outside the canvas, legends leave the data visible, and drawing / saving emits no warning.

Every figure of the bundled demo study (``hpglass demo``'s study.toml, and the smaller model study of the other
report tests) is rendered; a Fig. 1 with more than 40 R(T) curves checks that pressure is read from a colour bar,
not a legend. Deliberately broken figures show that the checks fail where they should.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from _study_run import demo_study_run

from hpglass.report import figures as F

#: a legend may cover at most this fraction of the drawn data of its axes (markers and line length)
MAX_LEGEND_COVER = 0.03
#: overlaps and overhangs below this many pixels (at the figure dpi) are rounding, not layout faults
TOL_PX = 1.0


# ---------------------------------------------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """A rendered text (or a whole legend) in display pixels, with a name for the failure message."""

    name: str
    x0: float
    y0: float
    x1: float
    y1: float
    group: str = ""  # boxes of one group (a legend and its own texts) are not compared with each other

    @classmethod
    def of(cls, name: str, bbox, group: str = "") -> Box:
        return cls(name, float(bbox.x0), float(bbox.y0), float(bbox.x1), float(bbox.y1), group)

    def overlap(self, other: Box) -> float:
        """Width × height of the intersection beyond TOL_PX in each direction (0: none)."""
        w = min(self.x1, other.x1) - max(self.x0, other.x0) - TOL_PX
        h = min(self.y1, other.y1) - max(self.y0, other.y0) - TOL_PX
        return w * h if w > 0 and h > 0 else 0.0


def _axes_name(ax) -> str:
    lab = ax.get_label()
    return f"axes {lab!r}" if lab else f"axes #{id(ax) % 10000}"


def _visible_text(t) -> bool:
    return t.get_visible() and bool(t.get_text().strip())


def _tick_labels(ax):
    """(name, Text) of the tick labels that are drawn: in the view interval, visible, non-empty."""
    out = []
    for axis_name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        if not axis.get_visible():
            continue
        for tick in axis._update_ticks():  # the ticks matplotlib draws (those inside the view interval)
            for lab in (tick.label1, tick.label2):
                if _visible_text(lab):
                    out.append((f"{_axes_name(ax)} {axis_name}-tick {lab.get_text()!r}", lab))
        if _visible_text(axis.offsetText):
            out.append((f"{_axes_name(ax)} {axis_name}-offset {axis.offsetText.get_text()!r}", axis.offsetText))
    return out


def _legends(fig):
    """(name, Legend, axes list it belongs to) of the figure's axes legends and figure legends."""
    out = []
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            out.append((f"{_axes_name(ax)} legend", leg, ax))
    for k, leg in enumerate(fig.legends):
        if leg.get_visible():
            out.append((f"figure legend {k}", leg, None))
    return out


def text_boxes(fig, renderer) -> list[Box]:
    """Every drawn text of ``fig`` as a Box: titles, axis labels, tick labels, texts and annotations, colour-bar
    labels (colour bars are axes), suptitle, and each legend as one box (its frame) plus its texts."""
    boxes = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        name = _axes_name(ax)
        for loc, t in zip(("left", "center", "right"), (ax._left_title, ax.title, ax._right_title), strict=True):
            if _visible_text(t):
                boxes.append(Box.of(f"{name} title ({loc}) {t.get_text()!r}", t.get_window_extent(renderer)))
        if ax.axison:
            for axis_name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
                if axis.get_visible() and _visible_text(axis.label):
                    boxes.append(Box.of(f"{name} {axis_name}label {axis.label.get_text()!r}",
                                        axis.label.get_window_extent(renderer)))
            boxes += [Box.of(n, t.get_window_extent(renderer)) for n, t in _tick_labels(ax)]
        for t in ax.texts:
            if _visible_text(t):
                boxes.append(Box.of(f"{name} text {t.get_text()!r}", t.get_window_extent(renderer)))
    for t in fig.texts:
        if _visible_text(t):
            boxes.append(Box.of(f"figure text {t.get_text()!r}", t.get_window_extent(renderer)))
    for t in (getattr(fig, "_suptitle", None), getattr(fig, "_supxlabel", None), getattr(fig, "_supylabel", None)):
        if t is not None and _visible_text(t):
            boxes.append(Box.of(f"figure {t.get_text()!r}", t.get_window_extent(renderer)))
    for name, leg, _ in _legends(fig):
        group = f"{name}@{id(leg)}"
        boxes.append(Box.of(name, leg.get_window_extent(renderer), group))
        for t in [*leg.get_texts(), leg.get_title()]:
            if _visible_text(t):
                boxes.append(Box.of(f"{name} text {t.get_text()!r}", t.get_window_extent(renderer), group))
    return boxes


def _line_points(line, step_px: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(vertices of the drawn line resampled every ``step_px`` pixels, marker centres) in display pixels."""
    xy = np.asarray(line.get_xydata(), dtype=float)
    if xy.ndim != 2 or xy.shape[0] == 0:
        return np.empty((0, 2)), np.empty((0, 2))
    pts = line.get_transform().transform(xy)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    markers = pts if line.get_marker() not in (None, "None", "none", "", " ") else np.empty((0, 2))
    if line.get_linestyle() in ("None", "none", "", " ") or pts.shape[0] < 2:
        return np.empty((0, 2)), markers
    seg = []
    for a, b in itertools.pairwise(pts):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step_px)))
        seg.append(a + (b - a) * (np.arange(n)[:, None] / n))
    seg.append(pts[-1:])
    return np.concatenate(seg), markers


def legend_cover(leg, axes_list, renderer) -> tuple[float, float]:
    """(fraction of the drawn line length, fraction of the markers) of ``axes_list`` (an axes and its twins) inside
    the legend's frame; only data lines count (drawn in data coordinates, inside the axes box)."""
    lb = leg.get_window_extent(renderer)
    line_in = line_all = mark_in = mark_all = 0
    for ax in axes_list:
        ab = ax.get_window_extent(renderer)
        for line in ax.lines:
            if not line.get_visible() or line.get_transform() != ax.transData:
                continue  # axvline / axhline and other reference lines are not data
            verts, marks = _line_points(line)
            for arr, kind in ((verts, "line"), (marks, "mark")):
                if arr.shape[0] == 0:
                    continue
                inside_ax = ((arr[:, 0] >= ab.x0) & (arr[:, 0] <= ab.x1) & (arr[:, 1] >= ab.y0) & (arr[:, 1] <= ab.y1))
                arr = arr[inside_ax]
                hit = int(np.count_nonzero((arr[:, 0] > lb.x0) & (arr[:, 0] < lb.x1) & (arr[:, 1] > lb.y0)
                                           & (arr[:, 1] < lb.y1)))
                if kind == "line":
                    line_in, line_all = line_in + hit, line_all + arr.shape[0]
                else:
                    mark_in, mark_all = mark_in + hit, mark_all + arr.shape[0]
    return (line_in / line_all if line_all else 0.0), (mark_in / mark_all if mark_all else 0.0)


def layout_problems(fig) -> list[str]:
    """Everything wrong with the layout of ``fig`` (empty: none), drawn with its own canvas and renderer."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    problems = []
    boxes = text_boxes(fig, renderer)
    for b in boxes:
        if (b.x0 < canvas.x0 - TOL_PX or b.y0 < canvas.y0 - TOL_PX or b.x1 > canvas.x1 + TOL_PX
                or b.y1 > canvas.y1 + TOL_PX):
            problems.append(f"outside the canvas {canvas.bounds}: {b.name} at "
                            f"({b.x0:.0f}, {b.y0:.0f}, {b.x1:.0f}, {b.y1:.0f})")
    for b1, b2 in itertools.combinations(boxes, 2):
        if b1.group and b1.group == b2.group:
            continue
        area = b1.overlap(b2)
        if area > 0:
            problems.append(f"overlap ({area:.1f} px²): {b1.name} / {b2.name}")
    for name, leg, ax in _legends(fig):
        if ax is None:
            continue
        pos = ax.get_position().bounds
        twins = [o for o in fig.axes if o is ax or np.allclose(o.get_position().bounds, pos)]  # twinx shares it
        lines, marks = legend_cover(leg, twins, renderer)
        if lines > MAX_LEGEND_COVER or marks > MAX_LEGEND_COVER:
            problems.append(f"{name} covers {100 * lines:.1f} % of the line length and {100 * marks:.1f} % of the "
                            f"markers of its axes (limit {100 * MAX_LEGEND_COVER:g} %)")
    return problems


def assert_clean_layout(fig, what: str) -> None:
    problems = layout_problems(fig)
    assert not problems, f"{what}: {len(problems)} layout problems:\n  " + "\n  ".join(problems[:40])


def render_without_warnings(make, tmp_path, stem: str):
    """Draw the figure ``make()`` returns and save it (PNG + SVG) with every warning an error; return it drawn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = make()
        fig.canvas.draw()
        problems = layout_problems(fig)
        F.save_figure(fig, tmp_path / stem)  # PNG and SVG: the constrained layout runs again for each
    return fig, problems


# ---------------------------------------------------------------------------------------------------------------
# the figures of the bundled demo studies
# ---------------------------------------------------------------------------------------------------------------
def _figure_warnings(records) -> list[str]:
    """The warnings of a study run that come from drawing (matplotlib, the report, the study's figure code)."""
    where = ("matplotlib", "/report/", "figures", "plots.py")
    return [f"{w.filename}:{w.lineno}: {w.message}" for w in records if any(x in w.filename for x in where)]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The StudyResult of the study ``hpglass demo`` runs (study.toml: 37 R(T) curves, 9 patterns, 9 frames)."""
    from hpglass.study import bundled_study, run_study

    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = run_study(bundled_study(), tmp_path_factory.mktemp("bundled-study"), workers=1)
    return result, _figure_warnings(records)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The StudyResult of the smaller model study shared by the other report tests (run once per session)."""
    return demo_study_run(tmp_path_factory.getbasetemp())[1], []


FIGURE_STEMS = ("fig1_transport", "fig2_diffraction", "fig3_simulation", "fig4_eos_phase_diagram",
                "fig5_distortion_elf")


def test_every_figure_is_drawn_by_the_study():
    from hpglass.study.plots import FIGURES, figure_inputs

    assert tuple(FIGURES) == FIGURE_STEMS and tuple(figure_inputs()) == FIGURE_STEMS


@pytest.mark.slow
def test_study_run_draws_without_warnings(bundled):
    _, figure_warnings = bundled
    assert not figure_warnings, "\n".join(figure_warnings)


@pytest.mark.slow
@pytest.mark.parametrize("stem", FIGURE_STEMS)
@pytest.mark.parametrize("study", ["bundled", "model"])
def test_demo_figure_layout(study, stem, request, tmp_path):
    from hpglass.study.plots import figure_inputs

    result, _ = request.getfixturevalue(study)
    fig, problems = render_without_warnings(lambda: figure_inputs()[stem](result), tmp_path, stem)
    assert not problems, f"{study} {stem}: {len(problems)} layout problems:\n  " + "\n  ".join(problems[:40])
    assert (tmp_path / f"{stem}.png").stat().st_size > 0 and (tmp_path / f"{stem}.svg").stat().st_size > 0


@pytest.mark.slow
def test_bundled_fig1_reads_pressure_from_a_colour_bar(bundled):
    from hpglass.study.plots import figure_inputs

    result, _ = bundled
    pressures = [c.pressure_GPa for run in result.transport for c in run.curves]
    assert len(pressures) > F.MAX_OFFSET_CURVES  # the case this figure is about
    fig = figure_inputs()["fig1_transport"](result)
    _check_rt_panel(fig, pressures)


# ---------------------------------------------------------------------------------------------------------------
# many curves: Fig. 1 with 45 R(T) curves, Figs. 2 and 3 with 40 pressures
# ---------------------------------------------------------------------------------------------------------------
def _check_rt_panel(fig, pressures):
    """Panel b: a thinned set of curves (lowest and highest pressure kept), no legend on the data, a colour bar
    over every pressure."""
    b = {ax.get_label(): ax for ax in F.panel_axes(fig)}["b"]
    curves = [ln for ln in b.lines if (ln.get_gid() or "").startswith("rt-")]
    assert 2 <= len(curves) <= F.MAX_OFFSET_CURVES
    assert b.get_legend() is None
    labels = [t.get_text() for t in b.texts if (t.get_gid() or "").startswith("rt-label-")]
    assert len(labels) == len(curves)
    assert labels[0].startswith(f"{F._fmt_p(min(pressures))} GPa")
    assert labels[-1].startswith(f"{F._fmt_p(max(pressures))} GPa")
    bars = [ax for ax in fig.axes if ax.get_label() == "cb-b"]
    assert len(bars) == 1
    norm = bars[0]._colorbar.norm
    assert (norm.vmin, norm.vmax) == pytest.approx((min(pressures), max(pressures)))
    assert "GPa" in bars[0].get_ylabel()
    # every legend of the figure is short enough to read
    assert all(len(leg.get_texts()) <= 12 for _, leg, _ in _legends(fig))


@pytest.fixture(scope="module")
def many_transport():
    from hpglass.transport import conductivity_regimes, fit_hc2, hc2_points_from_rt
    from hpglass.transport.synthetic import gl_tc_of_field, rt_curve, rt_family

    t = np.linspace(2.0, 15.0, 200)
    comp = np.linspace(2.0, 70.0, 30)
    dec = np.linspace(65.0, 8.0, 15)
    rts = [F.RtNearTc(float(p), rt_curve(t, 3.0 + 0.08 * p, 0.2, r0=1.0 + 0.01 * p, slope=0.01), run="run 1")
           for p in comp]
    rts += [F.RtNearTc(float(p), rt_curve(t, 4.0 + 0.07 * p, 0.2, r0=2.0, slope=0.01), run="run 1 down",
                       direction="decompression") for p in dec]
    p = np.concatenate([comp, dec])
    rho = 10.0 ** np.where(p < 20.0, 2.0 - 0.3 * p, -4.0 - 0.02 * (p - 20.0))
    dirs = ["compression"] * comp.size + ["decompression"] * dec.size
    regimes = conductivity_regimes(p, rho, dirs, kind="resistivity")
    room = F.RoomTemperatureSeries("run 1", p, rho, "resistivity", dirs, regimes)
    hc2 = {}
    for k, (tc0, h0) in enumerate(((5.0, 4.0), (6.5, 6.0), (7.5, 9.0))):
        fam = rt_family(np.linspace(1.5, 10.0, 200), [0, 0.5, 1, 2, 3], tc0, 0.15,
                        lambda h, tc0=tc0, h0=h0: gl_tc_of_field(h, tc0, h0), seed=k)
        hc2[float(20 * (k + 1))] = fit_hc2(hc2_points_from_rt(fam, 50.0), slope_model="quadratic")
    hc2["41 GPa decompression"] = hc2[40.0].points
    return room, rts, hc2


def test_fig1_with_45_curves(many_transport, tmp_path):
    room, rts, hc2 = many_transport
    fig, problems = render_without_warnings(lambda: F.fig1_transport(room, rts, hc2), tmp_path, "fig1-many")
    assert not problems, "\n".join(problems)
    _check_rt_panel(fig, [it.pressure_GPa for it in rts])
    b = {ax.get_label(): ax for ax in F.panel_axes(fig)}["b"]
    assert len([ln for ln in b.lines if (ln.get_gid() or "").startswith("rt-")]) == F.MAX_OFFSET_CURVES
    assert any("12 of 45" in (leg.get_title().get_text()) for _, leg, _ in _legends(fig))


def test_spread_subset():
    p = np.sort(np.r_[np.linspace(0, 10, 30), np.linspace(50, 60, 10)])
    idx = F._spread_subset(p, 12)
    assert len(idx) == 12 and idx[0] == 0 and idx[-1] == p.size - 1 and idx == sorted(set(idx))
    assert F._spread_subset([1.0, 2.0], 12) == [0, 1]
    assert F._spread_subset([5.0] * 20, 4)[:1] == [0] and len(F._spread_subset([5.0] * 20, 4)) == 4


def test_waterfalls_with_40_pressures(tmp_path):
    q = np.linspace(0.5, 12.0, 400)
    r = np.linspace(0.05, 8.0, 300)
    ps = np.linspace(0.0, 60.0, 40)
    patterns = {float(p): F.PatternCurves(q, 1.0 + 0.5 * np.exp(-((q - 2.0 - 0.01 * p) / 0.2) ** 2), r,
                                          1.0 + np.exp(-((r - 2.8 + 0.002 * p) / 0.15) ** 2)) for p in ps}
    from hpglass.series.piecewise import fit_piecewise

    rng = np.random.default_rng(5)
    q1 = np.where(ps < 16.0, 2.0 + 0.02 * ps, 2.32 + 0.005 * (ps - 16.0)) + rng.normal(0.0, 0.003, ps.size)
    r1 = np.where(ps < 16.0, 2.8 + 0.004 * ps, 2.864 - 0.002 * (ps - 16.0)) + rng.normal(0.0, 0.002, ps.size)
    q1_fit = fit_piecewise(ps, q1, 2, sigma=np.full(ps.size, 0.003))
    r1_fit = fit_piecewise(ps, r1, 2, sigma=np.full(ps.size, 0.002))
    refs = [F.CrystalR1Curve("Pnma", np.array([0.0, 20.0, 40.0]), np.array([2.70, 2.75, 2.80])),
            F.CrystalR1Curve("bcc", np.array([30.0, 60.0]), np.array([3.05, 2.98]))]
    fsdp = F.TrendPoints(ps[:12], 1.2 + 0.01 * ps[:12], np.full(12, 0.01), "FSDP")
    fig, problems = render_without_warnings(
        lambda: F.fig2_diffraction(patterns, q1_fit, r1_fit, refs, fsdp=fsdp), tmp_path, "fig2-many")
    assert not problems, "\n".join(problems)
    a = {ax.get_label(): ax for ax in F.panel_axes(fig)}["a"]
    assert len([ln for ln in a.lines if (ln.get_gid() or "").startswith("sq-")]) == F.MAX_OFFSET_CURVES
    assert "(12 of 40 pressures)" in a.get_xlabel()
    angles = np.linspace(0.5, 179.5, 180)
    structs = [F.StructureAtPressure(float(p), r_A=r, g_total=1.0 + np.exp(-((r - 2.8) / 0.2) ** 2),
                                     g_partials={"Sb-Se": 1.0 + np.exp(-((r - 2.7) / 0.2) ** 2)}, angle_deg=angles,
                                     angle_density={"Sb": np.exp(-((angles - 90.0) / 10.0) ** 2) / 17.7},
                                     coordination={"Sb-Se": 3.0 + 0.05 * p}, rings={4: 0.1 + 0.01 * p})
               for p in ps]
    fig, problems = render_without_warnings(lambda: F.fig3_simulation(structs), tmp_path, "fig3-many")
    assert not problems, "\n".join(problems)


def test_figures_without_inputs(tmp_path):
    makers = {"fig1": F.fig1_transport, "fig2": F.fig2_diffraction, "fig3": F.fig3_simulation,
              "fig4": F.fig4_eos_phase_diagram, "fig5": F.fig5_distortion_elf}
    for name, make in makers.items():
        _, problems = render_without_warnings(make, tmp_path, name)
        assert not problems, f"{name}: " + "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------------
# the checks fail on broken figures
# ---------------------------------------------------------------------------------------------------------------
def _plain_figure(layout="constrained"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.0, 3.0), layout=layout)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    x = np.linspace(0.0, 10.0, 200)
    for k in range(4):
        ax.plot(x, np.sin(x + k), label=f"curve {k}")
    ax.set(xlabel="x (unit)", ylabel="y (unit)", title="a title")
    return fig, ax


def test_checks_pass_on_a_plain_figure():
    fig, ax = _plain_figure()
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside the data, inside the canvas
    assert layout_problems(fig) == []


def test_checks_find_a_legend_on_the_data():
    fig, ax = _plain_figure()
    ax.legend(loc="center", fontsize=12)
    assert any("covers" in p for p in layout_problems(fig))


def test_checks_find_a_legend_off_the_canvas():
    fig, ax = _plain_figure(layout=None)
    ax.legend(loc="upper left", bbox_to_anchor=(1.05, 1.0))
    assert any("outside the canvas" in p and "legend" in p for p in layout_problems(fig))


def test_checks_find_a_legend_over_the_y_label():
    fig, ax = _plain_figure(layout=None)
    ax.legend(loc="center right", bbox_to_anchor=(0.0, 0.5))
    assert any("overlap" in p and "legend" in p and ("ylabel" in p or "y-tick" in p) for p in layout_problems(fig))


def test_checks_find_overlapping_texts():
    fig, ax = _plain_figure()
    ax.text(5.0, 0.0, "a note")
    ax.text(5.2, 0.0, "another note")
    assert any("overlap" in p and "a note" in p for p in layout_problems(fig))


def test_checks_find_the_old_fig1(many_transport):
    """Fig. 1 broken back to what it was: one legend entry per R(T) curve in panel b."""
    room, rts, hc2 = many_transport
    fig = F.fig1_transport(room, rts, hc2, rt_max_curves=len(rts))
    b = {ax.get_label(): ax for ax in F.panel_axes(fig)}["b"]
    b.legend(loc="upper left", fontsize=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the constrained layout gives up on it (checked below)
        problems = layout_problems(fig)
    assert any("outside the canvas" in p for p in problems) or any("covers" in p for p in problems)
    with pytest.raises(UserWarning, match="constrained_layout"), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()
