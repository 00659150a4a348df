"""The report figures (hpglass.report.figures): panels, plotted data = inputs, units, missing inputs, saving."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pytest

from hpglass.demo_data import DEMO_FRAMES, DEMO_TRANSPORT, demo_folder
from hpglass.errors import InputError
from hpglass.report import figures as F
from hpglass.report.style import OKABE_ITO, REPORT_RC, report_style

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------
def by_gid(ax, gid):
    """Artists of ``ax`` (lines, patches, collections, texts) with this gid."""
    arts = [*ax.lines, *ax.patches, *ax.collections, *ax.texts]
    return [a for a in arts if a.get_gid() == gid]


def one(ax, gid):
    found = by_gid(ax, gid)
    assert len(found) == 1, f"{gid}: {len(found)} artists"
    return found[0]


def has_note(ax, text=F.MISSING_NOTE) -> bool:
    return any(t.get_text() == text for t in ax.texts)


def span_x(rect) -> tuple[float, float]:
    """(x0, x1) in data units of an axvspan (a Rectangle in matplotlib ≥ 3.9, else a Polygon)."""
    if hasattr(rect, "get_width"):
        return rect.get_x(), rect.get_x() + rect.get_width()
    xy = np.asarray(rect.get_xy())
    return float(xy[:, 0].min()), float(xy[:, 0].max())


def panels(fig):
    return {ax.get_label(): ax for ax in F.panel_axes(fig)}


# ---------------------------------------------------------------------------------------------------------------
# inputs from hpglass's own generators and bundled demo data (module scope: built once)
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def transport():
    from hpglass.io import read_rt_table
    from hpglass.transport import conductivity_regimes, find_tc, fit_hc2, hc2_points_from_rt
    from hpglass.transport.synthetic import gl_tc_of_field, rt_curve, rt_family

    table = read_rt_table(demo_folder() / DEMO_TRANSPORT["sigma_file"], x="P")
    regimes = conductivity_regimes(table.pressure_GPa, table.values, kind="resistivity")
    room = F.RoomTemperatureSeries("run 1", table.pressure_GPa, table.values, "resistivity", "compression", regimes)
    t = np.linspace(2.0, 15.0, 300)
    c1 = rt_curve(t, 4.5, 0.15, r0=2.0, slope=0.01)
    c2 = rt_curve(t, [6.5, 7.5], 0.15, r0=1.0, slope=0.01)
    tc1 = find_tc(c1)
    rts = [F.RtNearTc(23.9, c1, tc=tc1), F.RtNearTc(51.0, c2), F.RtNearTc(25.0, (t, 3.0 * np.asarray(c1.resistance_ohm)),
                                                                          r_normal_ohm=6.0, direction="decompression")]
    fam = rt_family(np.linspace(1.5, 9.0, 250), [0, 0.5, 1, 2, 3, 4, 5], 7.5, 0.15,
                    lambda h: gl_tc_of_field(h, 7.5, 6.0))
    hc2 = fit_hc2(hc2_points_from_rt(fam, 50.0), slope_model="quadratic")
    return {"room": room, "regimes": regimes, "rts": rts, "tc1": tc1, "c1": c1, "hc2": hc2}


@pytest.fixture(scope="module")
def diffraction():
    from hpglass.composition import Composition
    from hpglass.scattering.config import make_config
    from hpglass.scattering.hard_sphere import percus_yevick_sq, sigma_for
    from hpglass.scattering.pipeline import process
    from hpglass.scattering.synthetic import synthetic_patterns
    from hpglass.series.crystal_reference import bcc_sb2se3, crystal_pair_functions
    from hpglass.series.piecewise import fit_piecewise

    comp = Composition.parse("Sb2Se3")
    q = np.linspace(0.5, 14.0, 1400)
    rho = comp.number_density(4.9)
    sq = percus_yevick_sq(q, rho, sigma_for(rho, 0.4))
    sample, bkg = synthetic_patterns(q, sq, "Sb2Se3", 0.2952, bkg_scale=0.85, alpha=5.0)
    scatter = process(sample, bkg, make_config(composition="Sb2Se3", wavelength=0.2952, density=4.9))
    r = np.linspace(0.05, 8.0, 400)
    curves = {p: F.PatternCurves(q, percus_yevick_sq(q, comp.number_density(4.9 + 0.05 * p),
                                                     sigma_for(comp.number_density(4.9 + 0.05 * p), 0.4)),
                                 r, 1.0 + np.exp(-((r - 2.8) / 0.15) ** 2)) for p in (5.0, 15.7)}
    patterns = {0.6: scatter, **curves, 30.0: (q, sq)}  # the last without g(r)
    rng = np.random.default_rng(7)
    p = np.linspace(0.6, 30.0, 16)
    q1 = np.where(p < 15.7, 2.0 + 0.021 * p, 2.0 + 0.021 * 15.7 + 0.0048 * (p - 15.7)) + rng.normal(0, 0.004, p.size)
    q1_fit = fit_piecewise(p, q1, 2, sigma=np.full(p.size, 0.004))
    r1 = np.where(p < 15.7, 2.80 + 0.004 * p, 2.80 + 0.004 * 15.7 - 0.002 * (p - 15.7)) + rng.normal(0, 0.003, p.size)
    r1_fit = fit_piecewise(p, r1, 2, sigma=np.full(p.size, 0.003))
    bcc = F.CrystalR1Curve.from_references(
        "bcc", {50.0: crystal_pair_functions(bcc_sb2se3(density_g_cm3=7.3)),
                70.0: crystal_pair_functions(bcc_sb2se3(density_g_cm3=7.8))})
    pnma = F.CrystalR1Curve("Pnma", np.array([0.0, 20.0, 40.0]), np.array([2.70, 2.75, 2.80]))
    fsdp = F.TrendPoints(p[:6], 1.2 + 0.01 * p[:6], np.full(6, 0.01), "FSDP")
    return {"scatter": scatter, "patterns": patterns, "q1_fit": q1_fit, "r1_fit": r1_fit, "crystals": [pnma, bcc],
            "fsdp": fsdp}


@pytest.fixture(scope="module")
def frames_analysed():
    from hpglass.io.trajectory import read_frames
    from hpglass.structure.altbc import altbc
    from hpglass.structure.angles import bond_angle_distribution
    from hpglass.structure.coordination import bond_mask, coordination
    from hpglass.structure.neighbors import NeighbourList
    from hpglass.structure.pair import pair_distribution
    from hpglass.structure.rings import ring_statistics

    out = {}
    cut = {"Sb-Sb": 3.3, "Sb-Se": 3.3, "Se-Se": 3.3}
    for key in ("random", "bcc"):
        atoms = read_frames(demo_folder() / "frames" / DEMO_FRAMES[key]["file"], "0")[0]
        nl = NeighbourList.build(atoms, 4.0)
        bonds = nl.select(bond_mask(atoms, nl, cut), cutoff=3.3)
        out[key] = {"pair": pair_distribution(atoms, 6.0, 0.02), "coordination": coordination(atoms, cut, nl=nl),
                    "angles": bond_angle_distribution(atoms, bonds), "rings": ring_statistics(atoms, bonds,
                                                                                              "primitive", 6),
                    "altbc": altbc(atoms, nl.within(4.0), 4.0, angle_min=155)}
    return out


@pytest.fixture(scope="module")
def eos_inputs():
    from hpglass.eos.crossover import density_crossover
    from hpglass.eos.fit import eos_from_params, fit_density

    rng = np.random.default_rng(3)
    p = np.linspace(0.6, 23.0, 12)
    crystal = eos_from_params("bm3", rho0=5.83, K0=30.0, K0p=4.5, label="Pnma (model)")
    truth = eos_from_params("bm3", rho0=4.9, K0=8.0, K0p=6.0)
    rho = truth.density(p)[0] + rng.normal(0, 0.02, p.size)
    glass = fit_density(p, rho, None, np.full(p.size, 0.02), composition="Sb2Se3", form="bm3", label="glass BM3")
    cross = density_crossover(glass, crystal, (0.0, 40.0))
    assert cross.pressure_GPa is not None
    tcs = [F.TcPoint("run 2", "compression", pp, tc, 0.2) for pp, tc in ((23.9, 4.5), (40.0, 5.6), (51.0, 6.5))]
    tcs += [F.TcPoint("run 2", "compression", 51.0, 7.5, 0.2, label="second transition")]
    tcs += [F.TcPoint("run 3", "decompression", pp, tc, 0.3) for pp, tc in ((50.0, 10.0), (30.0, 10.0))]
    regions = [F.Region("LDA", 0.0, None, 16.0, 2.0, "q1 breakpoint"), F.Region("HDA", 16.0, 2.0, 55.0, 3.0),
               F.Region("bcc", 55.0, 3.0, 65.0, None)]
    points = F.TrendPoints(p, rho, np.full(p.size, 0.02), "glass (refined)")
    return {"glass": glass, "crystal": crystal, "cross": cross, "tcs": tcs, "regions": regions, "points": points}


# ---------------------------------------------------------------------------------------------------------------
# Fig. 1
# ---------------------------------------------------------------------------------------------------------------
def test_fig1_panels_data_and_units(transport):
    fig = F.fig1_transport(transport["room"], transport["rts"], {51.0: transport["hc2"]})
    ax = panels(fig)
    assert sorted(ax) == ["a", "b", "c"]
    a, b, c = ax["a"], ax["b"], ax["c"]
    assert a.get_yscale() == "log"
    assert "GPa" in a.get_xlabel() and "Ω·cm" in a.get_ylabel()
    assert "K" in b.get_xlabel() and "(K)" in c.get_xlabel() and "(T)" in c.get_ylabel()
    # regime fit: the drawn resistivity is 10^(−log10σ) of the fit; breakpoints and their intervals as fitted
    d = transport["regimes"].by_direction["all"]
    line = one(a, "room-t-fit-run 1-all")
    x, y = line.get_data()
    np.testing.assert_allclose(y, 10.0 ** (-np.asarray(d.fit.predict(x))), rtol=1e-12)
    assert len(d.breakpoints_GPa) >= 1
    for j, bp in enumerate(d.breakpoints_GPa):
        assert one(a, f"room-t-run 1-all-breakpoint-{j}").get_xdata()[0] == pytest.approx(bp)
        lo, hi = d.breakpoint_ci_GPa[j]
        assert span_x(one(a, f"room-t-run 1-all-breakpoint-ci-{j}")) == pytest.approx((lo, hi))
    pts = one(a, "room-t-run 1-compression")
    np.testing.assert_allclose(pts.get_ydata(), transport["room"].values)
    # R/R_n: sorted by pressure (23.9, 25 d, 51), offset 1.1 each; R_n from the TcResult / the explicit value
    r = np.asarray(transport["c1"].resistance_ohm)
    np.testing.assert_allclose(one(b, "rt-0").get_ydata(), r / transport["tc1"].r_normal_ohm)
    np.testing.assert_allclose(one(b, "rt-1").get_ydata(), 3.0 * r / 6.0 + 1.1)
    assert one(b, "rt-1").get_linestyle() == "--"  # decompression dashed
    assert b.get_xlim()[1] == pytest.approx(max(10.0, 2 * 7.5), rel=0.2)
    # Hc2: points, WHH and GL curves equal the result's own curves
    res = transport["hc2"]
    tt, hw = one(c, "hc2-whh-0").get_data()
    np.testing.assert_allclose(hw, res.whh_curve(tt))
    tt, hg = one(c, "hc2-gl-0").get_data()
    np.testing.assert_allclose(hg, res.gl_curve(tt))
    assert one(c, "hc2-whh-dirty-0").get_ydata()[0] == pytest.approx(res.hc2_whh_T)


def test_fig1_missing_inputs_give_notes(transport):
    fig = F.fig1_transport()
    assert all(has_note(ax) for ax in F.panel_axes(fig)) and len(F.panel_axes(fig)) == 3
    fig = F.fig1_transport(transport["room"], None, {"25 GPa decompression": transport["hc2"].points})
    ax = panels(fig)
    assert not has_note(ax["a"]) and has_note(ax["b"]) and not has_note(ax["c"])
    assert not by_gid(ax["c"], "hc2-whh-0")  # points only: no curves
    # a series without a fit draws the points only
    bare = F.RoomTemperatureSeries("run 9", [1.0, 2.0, 3.0], [10.0, 1.0, 0.1], "conductivity")
    a = panels(F.fig1_transport(bare))["a"]
    assert "S/cm" in a.get_ylabel() and not by_gid(a, "room-t-fit-run 9-all")


# ---------------------------------------------------------------------------------------------------------------
# Fig. 2
# ---------------------------------------------------------------------------------------------------------------
def test_fig2_waterfalls_fits_and_references(diffraction):
    dfr = diffraction
    fig = F.fig2_diffraction(dfr["patterns"], dfr["q1_fit"], dfr["r1_fit"], dfr["crystals"], fsdp=dfr["fsdp"],
                             offset_sq=0.5, offset_gr=2.0)
    ax = panels(fig)
    assert sorted(ax) == ["a", "b", "c", "d"]
    assert [x.get_label() for x in fig.axes].count("c-fsdp") == 1
    a, b, c, d = (ax[k] for k in "abcd")
    assert "Å⁻¹" in a.get_xlabel() and "Å" in b.get_xlabel()
    assert "GPa" in c.get_xlabel() and "Å⁻¹" in c.get_ylabel() and "(Å)" in d.get_ylabel()
    # S(q) waterfall: pressures ascending, curve i = S + i·offset; the ScatterResult's own arrays
    scatter = dfr["scatter"]
    np.testing.assert_allclose(one(a, "sq-0").get_ydata(), scatter.sq)
    np.testing.assert_allclose(one(a, "sq-0").get_xdata(), scatter.q)
    np.testing.assert_allclose(one(a, "sq-3").get_ydata(), dfr["patterns"][30.0][1] + 3 * 0.5)
    assert len(by_gid(b, "gr-0") + by_gid(b, "gr-1") + by_gid(b, "gr-2")) == 3 and not by_gid(b, "gr-3")
    # g(r) as the reduction wrote it from its r_cutoff on; below it 0, in grey (no pair is closer; the residual of the
    # Eggert/Kaplow correction there is not structure). Curves without an r_cutoff are drawn whole.
    keep = scatter.r >= scatter.r_cutoff
    np.testing.assert_allclose(one(b, "gr-0").get_xdata(), scatter.r[keep])
    np.testing.assert_allclose(one(b, "gr-0").get_ydata(), scatter.gr[keep])
    zero = one(b, "gr-zero-0")
    assert zero.get_xdata().max() == pytest.approx(scatter.r_cutoff) and not np.any(zero.get_ydata())
    assert matplotlib.colors.to_hex(zero.get_color()) == "#999999"
    assert np.ptp(scatter.gr[~keep]) > 0  # the masked part did hold wiggles
    assert not by_gid(b, "gr-zero-1")
    np.testing.assert_allclose(one(b, "gr-1").get_ydata(), dfr["patterns"][5.0].gr + 2.0)
    # q1: breakpoint line and its confidence interval
    fit = dfr["q1_fit"]
    assert fit.n_segments == 2
    assert one(c, "q1-breakpoint-0").get_xdata()[0] == pytest.approx(fit.breakpoints[0])
    assert span_x(one(c, "q1-breakpoint-ci-0")) == pytest.approx(fit.breakpoint_ci[0])
    x, y = one(c, "q1-fit").get_data()
    np.testing.assert_allclose(y, fit.predict(x))
    assert fit.breakpoints[0] == pytest.approx(15.7, abs=1.5)
    # r1 with the crystal references as given, each on its own pressures, told apart by line style and marker
    styles = set()
    for ref in dfr["crystals"]:
        line = one(d, f"crystal-r1-{ref.name}")
        np.testing.assert_allclose(line.get_xdata(), ref.pressure_GPa)
        np.testing.assert_allclose(line.get_ydata(), ref.r1_A)
        styles.add((line.get_linestyle(), line.get_marker()))
        assert line.get_label() == f"{ref.name} (crystal)"
    assert len(styles) == len(dfr["crystals"])
    assert one(d, "r1-breakpoint-0").get_xdata()[0] == pytest.approx(dfr["r1_fit"].breakpoints[0])
    # from_references: broadened first maximum of each reference, sorted by pressure
    assert list(dfr["crystals"][1].pressure_GPa) == [50.0, 70.0]
    assert dfr["crystals"][1].r1_A[0] > dfr["crystals"][1].r1_A[1] > 2.5


def test_fig2_missing_inputs(diffraction):
    fig = F.fig2_diffraction()
    assert len(F.panel_axes(fig)) == 4 and all(has_note(ax) for ax in F.panel_axes(fig))
    ax = panels(F.fig2_diffraction({1.0: (np.linspace(1, 10, 50), np.ones(50))},
                                   crystal_r1=diffraction["crystals"]))
    assert not has_note(ax["a"]) and has_note(ax["b"]) and has_note(ax["c"]) and not has_note(ax["d"])


# ---------------------------------------------------------------------------------------------------------------
# Fig. 3
# ---------------------------------------------------------------------------------------------------------------
def test_fig3_from_structure_results(frames_analysed):
    fa = frames_analysed
    keys = ("pair", "angles", "coordination", "rings")
    structs = [F.StructureAtPressure.from_results(p, **{k: fa[name][k] for k in keys})
               for p, name in ((0.0, "random"), (50.0, "bcc"))]
    s0 = structs[0]
    assert set(s0.g_partials) == {"Sb-Sb", "Sb-Se", "Se-Se"} and set(s0.angle_density) == {"all", "Sb", "Se"}
    fig = F.fig3_simulation(structs, offset_gr=3.0)
    ax = panels(fig)
    # binary: total + 3 partials on top, 2 centre species + coordination + rings below
    assert sorted(ax) == list("abcdefgh") and len(fig.axes) == 8
    np.testing.assert_allclose(one(ax["a"], "g-total-1").get_ydata(), fa["bcc"]["pair"].total + 3.0)
    np.testing.assert_allclose(one(ax["c"], "g-Sb-Se-0").get_ydata(), fa["random"]["pair"].partial("Sb", "Se"))
    np.testing.assert_allclose(one(ax["e"], "adf-Sb-0").get_ydata(), fa["random"]["angles"].partial_density("Sb"),
                               atol=1e-12)
    cn = one(ax["g"], "cn-Sb-Se")
    np.testing.assert_allclose(cn.get_xdata(), [0.0, 50.0])
    np.testing.assert_allclose(cn.get_ydata(), [fa["random"]["coordination"].by_pair["Sb-Se"],
                                                fa["bcc"]["coordination"].by_pair["Sb-Se"]])
    for label in "abcdef":
        assert "(Å)" in ax[label].get_xlabel() or "(deg)" in ax[label].get_xlabel()
    assert "GPa" in ax["g"].get_xlabel() and "GPa" in ax["h"].get_xlabel()
    sizes = [int(g.split("-")[1]) for g in (ln.get_gid() for ln in ax["h"].lines) if g and g.startswith("rings-")]
    assert sizes and all(3 <= n <= 6 for n in sizes)


def test_fig3_averages_frames_and_handles_missing(frames_analysed):
    r = frames_analysed["random"]
    avg = F.StructureAtPressure.from_results(1.0, pair=[r["pair"], r["pair"]], coordination=[r["coordination"]] * 3,
                                             rings=[r["rings"], r["rings"]])
    np.testing.assert_allclose(avg.g_total, r["pair"].total)
    assert avg.coordination == pytest.approx(r["coordination"].by_pair)
    assert all(v == pytest.approx(0.0) for v in avg.coordination_err.values())
    assert avg.angle_deg is None and not avg.angle_density
    fig = F.fig3_simulation(None)
    assert len(F.panel_axes(fig)) == 5 and all(has_note(ax) for ax in F.panel_axes(fig))
    ax = panels(F.fig3_simulation([avg]))
    assert not has_note(ax["a"]) and has_note(ax["e"])  # no angles: the (one, "all") angle panel says so


# ---------------------------------------------------------------------------------------------------------------
# Fig. 4
# ---------------------------------------------------------------------------------------------------------------
def test_fig4_density_crossover_and_phase_diagram(eos_inputs):
    e = eos_inputs
    fig = F.fig4_eos_phase_diagram(e["points"], e["glass"], {"Pnma (model)": e["crystal"]}, e["cross"], e["tcs"],
                                   e["regions"])
    ax = panels(fig)
    a, b = ax["a"], ax["b"]
    assert sorted(ax) == ["a", "b"]
    assert "GPa" in a.get_xlabel() and "g/cm³" in a.get_ylabel() and "(K)" in b.get_ylabel()
    x, y = one(a, "glass-eos").get_data()
    np.testing.assert_allclose(y, e["glass"].density(x)[0])
    assert one(a, "crossover").get_xdata()[0] == pytest.approx(e["cross"].pressure_GPa)
    pc, ec = e["cross"].pressure_GPa, e["cross"].err_GPa
    assert span_x(one(a, "crossover-band")) == pytest.approx((pc - ec, pc + ec))
    assert a.get_xlim() == pytest.approx(b.get_xlim())
    assert b.get_xlim()[1] == pytest.approx(1.05 * 65.0)
    for reg in e["regions"]:
        assert span_x(one(b, f"region-{reg.name}")) == pytest.approx((reg.p_lo_GPa, reg.p_hi_GPa))
        for edge, p, err in (("lo", reg.p_lo_GPa, reg.p_lo_err_GPa), ("hi", reg.p_hi_GPa, reg.p_hi_err_GPa)):
            found = by_gid(b, f"region-{reg.name}-{edge}-err")
            if err is None:
                assert not found
            else:
                assert len(found) == 1 and found[0].get_hatch()
                assert span_x(found[0]) == pytest.approx((p - err, p + err))
    # runs/directions: filled on compression, open (white face) on decompression; the second transition separate
    comp = [ln for ln in b.lines if ln.get_gid() == "tc-run 2-compression"]
    dec = [ln for ln in b.lines if ln.get_gid() == "tc-run 3-decompression"]
    second = [ln for ln in b.lines if ln.get_gid() == "tc-run 2-compression-second transition"]
    assert len(comp) == len(dec) == len(second) == 1
    np.testing.assert_allclose(comp[0].get_xdata(), [23.9, 40.0, 51.0])
    np.testing.assert_allclose(dec[0].get_ydata(), [10.0, 10.0])
    assert matplotlib.colors.to_hex(dec[0].get_markerfacecolor()) == "#ffffff"
    assert matplotlib.colors.to_hex(comp[0].get_markerfacecolor()) == OKABE_ITO[0].lower()
    assert comp[0].get_marker() != second[0].get_marker()


def test_fig4_simulated_densities_beside_refined(eos_inputs):
    """The simulated glass's own densities: their own open-diamond markers with the given error bars, in the key."""
    e = eos_inputs
    sim = F.TrendPoints(np.array([0.0, 10.0, 20.0]), np.array([5.09, 6.88, 7.81]), np.array([0.06, 0.05, 0.04]),
                        "simulated glass (mean ± s.d. over frames)")
    fig = F.fig4_eos_phase_diagram(e["points"], e["glass"], simulated_density=sim)
    a = panels(fig)["a"]
    line = one(a, "simulated-density-0")
    np.testing.assert_allclose(line.get_xdata(), sim.pressure_GPa)
    np.testing.assert_allclose(line.get_ydata(), sim.value)
    assert line.get_marker() == "D" and matplotlib.colors.to_hex(line.get_markerfacecolor()) == "#ffffff"
    assert line.get_marker() != one(a, "density-points-0").get_marker()
    cont = next(c for c in a.containers if c.lines[0] is line)
    segs = [np.asarray(sg) for coll in cont.lines[2] for sg in coll.get_segments()]
    np.testing.assert_allclose(sorted(np.ptp(sg[:, 1]) for sg in segs), sorted(2 * sim.err))
    key = next(x for x in fig.axes if x.get_label() == "key-a")  # the key hangs under the panel, off the data
    assert a.get_legend() is None
    assert sim.label in [t.get_text() for t in key.get_legend().get_texts()]
    # the x range covers them when no other input reaches as far
    far = F.TrendPoints(np.array([80.0]), np.array([10.0]))
    assert panels(F.fig4_eos_phase_diagram(simulated_density=far))["a"].get_xlim()[1] == pytest.approx(84.0)


def test_fig4_missing_and_massless_eos(eos_inputs):
    from hpglass.eos.fit import eos_from_params

    fig = F.fig4_eos_phase_diagram()
    assert all(has_note(ax) for ax in F.panel_axes(fig))
    massless = eos_from_params("bm3", V0=100.0, K0=30.0, K0p=4.0, label="volume only")
    ax = panels(F.fig4_eos_phase_diagram(crystal_eos=[massless, eos_inputs["crystal"]],
                                         regions=eos_inputs["regions"]))
    assert any("volume only" in t.get_text() for t in ax["a"].texts)
    assert by_gid(ax["a"], "crystal-eos-1") and not by_gid(ax["a"], "crystal-eos-0")
    assert by_gid(ax["b"], "region-HDA") and any("no superconducting" in t.get_text() for t in ax["b"].texts)


def test_fig4_takes_plain_rows_and_other_region_types():
    from types import SimpleNamespace

    rows = [{"run": "r1", "direction": "compression", "pressure_GPa": 30.0, "tc_K": 5.0},
            {"run": "r1", "direction": "compression", "pressure_GPa": 10.0, "tc_K": None},  # no transition
            {"run": "r1", "direction": "decompression", "pressure_GPa": 20.0, "tc_K": 9.0, "tc_err_K": 0.5}]
    regions = [SimpleNamespace(name="HDA", lo_GPa=16.0, hi_GPa=50.0, lo_err_GPa=1.5, hi_err_GPa=None),
               {"name": "bcc", "p_lo_GPa": 50.0, "p_lo_err_GPa": None, "p_hi_GPa": 60.0, "p_hi_err_GPa": 2.0}]
    b = panels(F.fig4_eos_phase_diagram(tc_points=rows, regions=regions))["b"]
    np.testing.assert_allclose(one(b, "tc-r1-compression").get_xdata(), [30.0])
    np.testing.assert_allclose(one(b, "tc-r1-decompression").get_ydata(), [9.0])
    assert span_x(one(b, "region-HDA")) == pytest.approx((16.0, 50.0))
    assert span_x(one(b, "region-HDA-lo-err")) == pytest.approx((14.5, 17.5))
    assert span_x(one(b, "region-bcc-hi-err")) == pytest.approx((58.0, 62.0))
    assert b.get_xlim()[1] == pytest.approx(1.05 * 62.0)


# ---------------------------------------------------------------------------------------------------------------
# Fig. 5
# ---------------------------------------------------------------------------------------------------------------
def test_fig5_altbc_maps_and_elf(frames_analysed):
    low, high = frames_analysed["random"]["altbc"], frames_analysed["bcc"]["altbc"]
    fig = F.fig5_distortion_elf(low, F.AltbcMap.from_result(high, "bcc", 50.0, 7.4))
    ax = panels(fig)
    assert sorted(ax) == ["a", "b", "c"]
    mesh = one(ax["a"], "altbc-0")
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(low.density.shape), low.density.T)
    assert mesh.get_clim()[1] == pytest.approx(max(low.density.max(), high.density.max()))
    assert "50 GPa" in ax["b"].get_title(loc="left") and "(Å)" in ax["a"].get_xlabel()
    assert has_note(ax["c"], "ELF not computed")
    edges = np.linspace(0.0, 1.0, 21)
    x = 0.5 * (edges[1:] + edges[:-1])
    elf = F.ElfHistogram(edges, {"Sb": np.exp(-((x - 0.8) / 0.1) ** 2), "Se": np.exp(-((x - 0.9) / 0.1) ** 2)})
    slices = [F.ElfSlice(np.full((4, 5), 0.5), (0.0, 5.0, 0.0, 4.0), "0 GPa")]
    fig = F.fig5_distortion_elf(None, high, elf, None, slices)
    ax = panels(fig)
    assert sorted(ax) == ["a", "b", "c", "d"] and has_note(ax["a"]) and not has_note(ax["c"], "ELF not computed")
    np.testing.assert_allclose(one(ax["c"], "elf-Se-low").get_ydata(), elf.by_species["Se"])
    assert ax["d"].images[0].get_extent() == [0.0, 5.0, 0.0, 4.0]


def test_fig5_takes_simulate_elf_results():
    elf = pytest.importorskip("hpglass.simulate.elf")
    from ase import Atoms

    from hpglass.io.volumetric import VolumetricGrid

    atoms = Atoms("SbSe", positions=[[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]], cell=[6.0, 5.0, 4.0], pbc=True)
    n = (12, 10, 8)
    i, j, k = np.meshgrid(*(np.arange(m) for m in n), indexing="ij")
    values = 0.5 + 0.4 * np.sin(2 * np.pi * i / n[0]) * np.cos(2 * np.pi * j / n[1]) + 0.0 * k
    grid = VolumetricGrid(atoms=atoms, values=values, origin=np.zeros(3), cell=np.diag([6.0, 5.0, 4.0]))
    hist = elf.elf_histogram_by_species(grid, bins=20)
    sl = elf.elf_slice(grid, axis=2, position=0.0)
    ax = panels(F.fig5_distortion_elf(elf_low=hist, elf_slices=[sl]))
    np.testing.assert_allclose(one(ax["c"], "elf-Sb-low").get_ydata(), hist.density("Sb"))
    image = ax["d"].images[0]
    np.testing.assert_allclose(np.asarray(image.get_array()), np.asarray(sl.values).T)  # rows = v (upwards)
    assert tuple(image.get_extent()) == pytest.approx(sl.extent)


# ---------------------------------------------------------------------------------------------------------------
# style and saving
# ---------------------------------------------------------------------------------------------------------------
def test_style_is_scoped_not_global():
    before = dict(matplotlib.rcParams)
    F.fig4_eos_phase_diagram()
    assert dict(matplotlib.rcParams) == before
    with report_style():
        assert matplotlib.rcParams["font.size"] == REPORT_RC["font.size"]
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == OKABE_ITO[0]
    assert dict(matplotlib.rcParams) == before


def test_save_figure_writes_png_and_svg_atomically(tmp_path):
    fig = F.fig4_eos_phase_diagram(regions=[F.Region("HDA", 16.0, 2.0, 55.0, 3.0)])
    paths = F.save_figure(fig, tmp_path / "fig4.v1")
    assert [p.name for p in paths] == ["fig4.v1.png", "fig4.v1.svg"]
    assert paths[0].read_bytes()[:8] == PNG_SIGNATURE
    root = ET.parse(paths[1]).getroot()
    assert root.tag.endswith("svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig4.v1.png", "fig4.v1.svg"]  # no temporary files left
    # same figure → same SVG bytes (no date, fixed hash salt)
    again = F.save_figure(F.fig4_eos_phase_diagram(regions=[F.Region("HDA", 16.0, 2.0, 55.0, 3.0)]),
                          tmp_path / "again")
    assert again[1].read_bytes() == paths[1].read_bytes()


def test_save_figure_closes_pyplot_figures_and_fails_cleanly(tmp_path):
    import matplotlib.pyplot as plt

    with report_style():
        fig = plt.figure()
    num = fig.number
    F.save_figure(fig, tmp_path / "p")
    assert not plt.fignum_exists(num)
    with pytest.raises(InputError):
        F.save_figure(F.fig1_transport(), tmp_path / "missing-dir" / "fig1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png", "p.svg"]
