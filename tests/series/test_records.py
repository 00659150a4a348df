"""hpglass.series.records (Series, SeriesPoint) and hpglass.io.series_tables (CSV tables of a series).

Known answers: the reference study's principal-peak trend (slope 0.021 Å⁻¹/GPa below 15.7 GPa, 0.0048 above) made
into a series with 1σ errors — the weighted trend recovers the break inside its 95 % interval and the slopes within
3σ; the ScatterResult chain on three Percus–Yevick patterns gives the values the series pulls; every bad table names
its file, line and column.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpglass.composition import Composition
from hpglass.errors import InputError
from hpglass.io.series_tables import format_series_table, read_series_table, write_series_table
from hpglass.series import Series, SeriesPoint, segments_min_points

BREAK, S1, S2, NOISE = 15.7, 0.021, 0.0048, 0.003


def q1_of(p):
    return 1.85 + S1 * p - (S1 - S2) * np.clip(p - BREAK, 0, None)


def q1_series(seed=0, n=24, with_errors=True, run="1"):
    p = np.linspace(0.6, 40.0, n)
    q = q1_of(p) + np.random.default_rng(seed).normal(0, NOISE, n)
    pts = [SeriesPoint(run, "compression", float(pi), 0.1, {"q1_A-1": float(qi), "r1_A": 2.9},
                       {"q1_A-1": NOISE} if with_errors else {}, source="test") for pi, qi in zip(p, q)]
    return Series(tuple(pts), source="test")


def write(tmp_path, text, name="t.csv"):
    f = tmp_path / name
    f.write_text(text)
    return f


# -- records ------------------------------------------------------------------------------------------------------
def test_point_normalizes_and_validates():
    pt = SeriesPoint("A", "decomp", 12, None, {"q1_A-1": 2.3, "cn": float("nan")}, {"q1_A-1": 0.01})
    assert pt.direction == "decompression" and pt.pressure_GPa == 12.0
    assert dict(pt.values) == {"q1_A-1": 2.3}  # NaN is "missing"
    with pytest.raises(InputError, match="neither compression"):
        SeriesPoint("A", "sideways", 1.0)
    with pytest.raises(InputError, match="finite"):
        SeriesPoint("A", "c", float("inf"))
    with pytest.raises(InputError, match="≥ 0"):
        SeriesPoint("A", "c", 1.0, values={"q1_A-1": 2.0}, errors={"q1_A-1": -0.1})
    with pytest.raises(InputError, match="not a number"):
        SeriesPoint("A", "c", 1.0, values={"q1_A-1": "abc"})


def test_series_pickles():
    import pickle

    s = q1_series(n=6)
    back = pickle.loads(pickle.dumps(s))
    assert back.points == s.points and back.trend("q1", 1).slopes == s.trend("q1", 1).slopes


def test_scalar_runs_directions_and_names():
    pts = [SeriesPoint("1", "c", 1.0, None, {"q1_A-1": 2.0, "density_g_cm3": 5.0}, {"q1_A-1": 0.01}),
           SeriesPoint("1", "c", 2.0, None, {"q1_A-1": 2.1}),
           SeriesPoint("2", "d", 3.0, None, {"q1_A-1": 2.3, "density_g_cm3": 5.5}),
           SeriesPoint("2", "d", 1.5, None, {"q1_A-1": 2.2})]
    s = Series(tuple(pts)).check()
    assert s.runs() == ("1", "2") and s.directions() == ("compression", "decompression")
    assert s.resolve("q1") == "q1_A-1" and s.resolve("density") == "density_g_cm3"
    p, y, e = s.scalar("q1", run="1")
    assert p.tolist() == [1.0, 2.0] and y.tolist() == [2.0, 2.1]
    assert e[0] == 0.01 and math.isnan(e[1])
    p, y, _ = s.scalar("density", direction="decompression")
    assert p.tolist() == [3.0] and y.tolist() == [5.5]  # points without the value are left out
    with pytest.raises(InputError, match="no values named 'r1'"):
        s.scalar("r1")
    with pytest.raises(InputError, match="no run 3"):
        s.select(run="3")
    amb = Series((SeriesPoint("1", "c", 1.0, None, {"q1_A-1": 2.0, "q1_nm-1": 20.0}),))
    with pytest.raises(InputError, match="ambiguous"):
        amb.resolve("q1")


def test_check_order_repeats_and_negative_pressure():
    def s(*pts):
        return Series(tuple(SeriesPoint("1", d, p, None, {"q1_A-1": 2.0}, source="f.csv", line=k + 2)
                            for k, (d, p) in enumerate(pts)))

    s(("c", 1.0), ("c", 2.0), ("d", 5.0), ("d", 3.0)).check()  # fine: each direction in its own order
    with pytest.raises(InputError, match="decreases from 2 GPa .*f.csv:3.* to 1.5 GPa") as e:
        s(("c", 1.0), ("c", 2.0), ("c", 1.5)).check()
    assert e.value.line == 4
    with pytest.raises(InputError, match="increases from 3 GPa"):
        s(("d", 5.0), ("d", 3.0), ("d", 4.0)).check()
    with pytest.raises(InputError, match="appears twice .* at f.csv:3 and at f.csv:4"):
        s(("c", 1.0), ("c", 2.0), ("c", 2.0)).check()
    with pytest.raises(InputError, match="below -0.5 GPa"):
        s(("c", -0.6), ("c", 2.0)).check()
    s(("c", -0.3), ("c", 2.0)).check()  # ruby scatter at ambient is accepted
    neg = Series((SeriesPoint("1", "c", 1.0, None, {"r1_A": -2.0}, source="f.csv", line=2),))
    with pytest.raises(InputError, match="negative"):
        neg.check()


def test_weighted_trend_recovers_the_study_break():
    fit = q1_series(seed=3).trend("q1", n_segments=2)
    (lo, hi), = fit.breakpoint_ci
    assert lo <= BREAK <= hi and hi - lo < 3.0
    assert abs(fit.slopes[0] - S1) < 3 * fit.slope_errs[0]
    assert abs(fit.slopes[1] - S2) < 3 * fit.slope_errs[1]
    assert fit.meta["weighted"] and fit.meta["y"] == "q1_A-1" and fit.meta["x"] == "pressure_GPa"
    assert fit.sigma is not None and np.allclose(fit.sigma, NOISE)


def test_trend_chooses_segments_by_bic_and_falls_back_to_unweighted():
    fit = q1_series(seed=5, with_errors=False).trend("q1_A-1")
    assert fit.n_segments == 2 and set(fit.bic_by_segments) == {1, 2, 3}
    assert not fit.meta["weighted"] and "24 of 24 points have no error" in fit.meta["weights"]
    assert fit.sigma is None


def test_trend_runs_combine_directions_do_not():
    a, b = q1_series(seed=1, n=12, run="1"), q1_series(seed=2, n=12, run="2")
    both = Series(a.points + b.points)
    assert both.trend("q1", 2).n_points == 24
    assert both.trend("q1", 2, run="2").n_points == 12
    mixed = Series(a.points + (SeriesPoint("1", "d", 30.0, None, {"q1_A-1": 2.2}),))
    with pytest.raises(InputError, match="both compression and decompression"):
        mixed.trend("q1", 2)
    assert mixed.trend("q1", 2, direction="compression").n_points == 12


def test_trend_against_another_value():
    s = q1_series(seed=4)
    pts = [SeriesPoint(p.run, p.direction, p.pressure_GPa, None,
                       {**p.values, "density_g_cm3": 5.0 + 0.05 * p.pressure_GPa}) for p in s.points]
    fit = Series(tuple(pts)).trend("q1", 2, x="density")
    assert fit.meta["x"] == "density_g_cm3"
    assert fit.breakpoints[0] == pytest.approx(5.0 + 0.05 * BREAK, abs=0.1)


def test_too_few_points_for_the_segments():
    assert [segments_min_points(k) for k in (1, 2, 3)] == [3, 6, 9]
    s = q1_series(n=5)
    with pytest.raises(InputError, match=r"5 points of q1_A-1 .*2-segment fit has 4 parameters .*needs ≥ 6 points"):
        s.trend("q1", 2)
    with pytest.raises(InputError, match="needs ≥ 9 points"):
        q1_series(n=8).trend("q1", 3)


def test_from_scatter_results_with_the_pipeline():
    """Three PY patterns through the scattering chain: the series holds what each ScatterResult reported."""
    from hpglass.scattering.config import make_config
    from hpglass.scattering.hard_sphere import percus_yevick_sq, sigma_for
    from hpglass.scattering.pipeline import process
    from hpglass.scattering.synthetic import synthetic_patterns

    comp = Composition.parse("Sb2Se3")
    entries, dicts = [], []
    for k, (rho_g, eta) in enumerate([(4.9, 0.32), (5.3, 0.34), (5.7, 0.36)]):
        rho = comp.number_density(rho_g)
        q = np.linspace(0.8, 12.0, 1500)
        s, b = synthetic_patterns(q, percus_yevick_sq(q, rho, sigma_for(rho, eta)), comp, 0.2952, bkg_scale=0.8,
                                  alpha=5.0, counts=1000.0, seed=k)
        res = process(s, b, make_config(composition="Sb2Se3", wavelength=0.2952, refine_density=True,
                                        refine_bkg=True))
        entries.append(("run1", "compression", (2.0 + 5 * k, 0.2), res if k != 1 else res.to_dict()))
        dicts.append(res.to_dict())
    ser = Series.from_scatter_results(entries)
    assert len(ser) == 3 and ser.names() == ("q1_A-1", "r1_A", "cn", "density_g_cm3")
    for pt, d in zip(ser, dicts):
        assert pt.values["q1_A-1"] == d["q1_A-1"] and pt.errors["q1_A-1"] == d["q1_err_A-1"]
        assert pt.values["r1_A"] == d["r1_A"] and pt.errors["r1_A"] == d["r1_err_A"]
        assert pt.values["cn"] == d["cn"] and pt.errors["cn"] == d["cn_err"]  # CN carries its error (issue 12)
        assert pt.values["density_g_cm3"] == d["density_g_cm3"]
        assert pt.errors["density_g_cm3"] == d["density_err_g_cm3"] and pt.pressure_err_GPa == 0.2
    _, rho, _ = ser.scalar("density")
    assert np.allclose(rho, [4.9, 5.3, 5.7], rtol=0.03)  # the chain's refined densities (its own tests: ±2 %)


def test_from_scatter_results_skips_undetermined_metrics():
    d = {"q1_A-1": 2.2, "q1_err_A-1": 0.001, "r1_A": None, "r1_err_A": None, "cn": None, "density_g_cm3": 5.0,
         "density_err_g_cm3": None, "inputs": {"sample": "p1.xy"}}
    ser = Series.from_scatter_results([("1", "c", 3.0, d)])
    assert dict(ser.points[0].values) == {"q1_A-1": 2.2, "density_g_cm3": 5.0}
    assert dict(ser.points[0].errors) == {"q1_A-1": 0.001} and ser.points[0].source == "p1.xy"
    with pytest.raises(InputError, match="entry 1"):
        Series.from_scatter_results([("1", "c", 3.0)])


# -- tables -------------------------------------------------------------------------------------------------------
def test_table_round_trip(tmp_path):
    s = q1_series(seed=7, n=8)
    f = write_series_table(tmp_path / "s.csv", s)
    back = read_series_table(f)
    assert back.names() == ("q1_A-1", "r1_A")
    for a, b in zip(s.points, back.points):
        assert (a.run, a.direction, a.pressure_GPa, a.pressure_err_GPa) == (b.run, b.direction, b.pressure_GPa,
                                                                           b.pressure_err_GPa)
        assert dict(a.values) == dict(b.values) and dict(a.errors) == dict(b.errors)
    assert format_series_table(back) == f.read_text()


@pytest.mark.parametrize("header, factor", [("pressure_GPa", 1.0), ("P (GPa)", 1.0), ("P_GPa", 1.0),
                                            ("pressure", 1.0), ("P [kbar]", 0.1), ("P/GPa", 1.0)])
def test_table_pressure_column_names(tmp_path, header, factor):
    f = write(tmp_path, f'"{header}",q1_A-1\n10,2.2\n20,2.4\n')
    s = read_series_table(f)
    assert [p.pressure_GPa for p in s] == pytest.approx([10 * factor, 20 * factor])


def test_table_error_columns_runs_directions_and_text(tmp_path):
    f = write(tmp_path, "# run 2 in a second cell\n"
                        "run;dir;P (GPa);P_err (GPa);q1_A-1;q1_err_A-1;cn;cn_err;file\n"
                        "A;up;1;0.1;2.00;0.002;6.1;0.2;a.xy\n"
                        "A;up;5;;2.10;0.002;;;b.xy  # no CN here\n"
                        "B;release;9;0.3;2.30;;6.9;0.3;c.xy\n"
                        "B;release;4;0.3;2.20;;6.5;0.3;\n")
    s = read_series_table(f)
    assert s.meta["error_columns"] == {"q1_A-1": "q1_err_A-1", "cn": "cn_err"}
    assert s.meta["ignored_columns"] == ["file"] and s.meta["separator"] == "semicolon"
    assert s.runs() == ("A", "B") and s.directions() == ("compression", "decompression")
    p, _, e = s.scalar("cn", run="B")
    assert p.tolist() == [9.0, 4.0] and e.tolist() == [0.3, 0.3]
    assert s.points[1].pressure_err_GPa is None and s.points[0].pressure_err_GPa == 0.1
    assert s.points[2].line == 5 and s.points[2].source == str(f)


def test_table_direction_from_comment_or_argument(tmp_path):
    f = write(tmp_path, "# decompression run\npressure_GPa,q1_A-1\n30,2.5\n20,2.4\n")
    s = read_series_table(f)
    assert s.directions() == ("decompression",) and s.meta["direction_from"] == "comment line"
    g = write(tmp_path, "pressure_GPa,q1_A-1\n30,2.5\n20,2.4\n", "g.csv")
    with pytest.raises(InputError, match="decreases .* compression points must increase"):
        read_series_table(g)
    assert read_series_table(g, direction="decompression").directions() == ("decompression",)


@pytest.mark.parametrize("text, line, what", [
    ("q1_A-1,cn\n2.2,6\n", 1, "no pressure column"),
    ("pressure_GPa,run,direction\n1,A,c\n", 1, "no value columns"),
    ("pressure_GPa,q1_A-1\n1,2.2\n2,abc\n3,2.4\n", 3, "not a number: 'abc' in column 'q1_A-1'"),
    ("pressure_GPa,q1_A-1\n1,2.2\n2,2.3,7\n", 3, "row has 3 cells"),
    ("pressure_GPa,q1_A-1\n1,2.2\n,2.3\n", 3, "pressure is missing"),
    ("pressure_GPa,q1_A-1\n1,2.2\n3,2.3\n2,2.4\n", 4, "decreases from 3 GPa"),
    ("pressure_GPa,direction,q1_A-1\n9,d,2.2\n5,d,2.1\n7,d,2.4\n", 4, "increases from 5 GPa"),
    ("pressure_GPa,q1_A-1\n1,2.2\n2,2.3\n2,2.4\n", 4, r"appears twice .*t.csv:3 and at .*t.csv:4"),
    ("pressure_GPa,q1_A-1\n-0.8,2.2\n2,2.3\n", 2, "below -0.5 GPa"),
    ("pressure_GPa,q1_A-1\n1,-2.2\n2,2.3\n", 2, "q1_A-1 = -2.2 is negative"),
    ("pressure_GPa,q1_A-1,q1_A-1_err\n1,2.2,-0.1\n", 2, "error -0.1 is negative"),
    ("pressure_GPa,direction,q1_A-1\n1,sideways,2.2\n", 2, "neither compression"),
    ("pressure_GPa,pressure (kbar),q1_A-1\n1,10,2.2\n", 1, "two pressure columns"),
    ("1,2.2\n2,2.3\n", 1, "no header row"),
    ("# only a comment\n", None, "empty"),
])
def test_bad_tables_name_file_line_and_column(tmp_path, text, line, what):
    f = write(tmp_path, text)
    with pytest.raises(InputError, match=what) as e:
        read_series_table(f)
    assert e.value.source == str(f)
    assert e.value.line == line
