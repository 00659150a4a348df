"""The claims table: every claim of the reference study is a row; the measured column comes from the run."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from _study_run import demo_study_run

from hpglass.report.claims import (AGREE, BY_CONSTRUCTION, CLAIMS, DISAGREE, NOT_SUPPORTED, UNINFORMATIVE, VERDICTS,
                                   Claim, Measured, Rule, claim_counts, evaluate_claims, headline)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference-study.md"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_study_run(tmp_path_factory.getbasetemp())


def test_rules():
    assert Rule("abs", 1.0).agrees(Measured(15.2, 0.1), 15.7)
    assert not Rule("abs", 0.2).agrees(Measured(15.2, 0.1), 15.7)
    assert Rule("abs", 0.2).agrees(Measured(15.2, 0.25), 15.7)  # √(0.2² + 0.5²) = 0.54
    assert not Rule("abs", 0.3).agrees(Measured(15.1, 0.2), 15.7)  # √(0.3² + 0.4²) = 0.5 < 0.6
    # the case: D1 at 6.9 ± 3.2 % against 16 % with a 3 % tolerance was "yes" with tol + 2σ = 9.4
    assert not Rule("abs", 3.0).agrees(Measured(6.9, 3.2), 16.0)
    assert Rule("rel", 0.2).agrees(Measured(0.0245, None), 0.021)
    assert not Rule("rel", 0.1).agrees(Measured(0.0245, None), 0.021)
    assert Rule("within", lo=50, hi=58).agrees(Measured(48.0, 1.5), None)
    assert not Rule("within", lo=50, hi=58).agrees(Measured(21.0, 0.75), None)
    assert Rule("true").agrees(Measured(True), None) and not Rule("true").agrees(Measured(False), None)
    assert "2σ" in Rule("abs", 1.0).describe("GPa")


def test_verdicts():
    """Consistent and precise → agree; consistent only through a wide interval → uninformative; from the paper's
    own numbers → by construction, whatever the value."""
    crossover = Claim("D2", "crossover", "16 GPa", 16.0, "GPa", Rule("abs", 2.0), lambda r: None)
    assert crossover.verdict(Measured(16.5, 0.8)) == AGREE
    assert crossover.verdict(Measured(28.2, 15.0)) == UNINFORMATIVE  # the case
    assert crossover.verdict(Measured(28.2, 1.0)) == DISAGREE
    assert crossover.verdict(Measured(16.0, 0.1), by_construction=True) == BY_CONSTRUCTION
    counts = claim_counts([{"agree": v} for v in (AGREE, AGREE, BY_CONSTRUCTION, UNINFORMATIVE)])
    assert counts[AGREE] == 2 and counts[BY_CONSTRUCTION] == 1
    assert headline(counts).startswith("2 agree, 0 disagree (independent evidence)")


def test_every_claim_of_the_reference_study_has_a_row():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    if REFERENCE.is_file():
        paper = set(re.findall(r"^\| ([A-Z]\d+) \|", REFERENCE.read_text(), re.MULTILINE))
        covered = {re.match(r"[A-Z]\d+", i).group(0) for i in ids}
        assert paper <= covered, paper - covered


def test_demo_claims(demo):
    _, res = demo
    rows = {c.id: c for c in res.claims}
    assert len(rows) == len(CLAIMS)
    # the known-answer series was made from the paper's own numbers: never counted as agreement
    for cid in ("S1a", "S1b", "S1c", "S1d", "D1", "D2", "T1", "T2", "T5", "T6", "S4"):
        assert rows[cid].agree == BY_CONSTRUCTION, rows[cid]
        assert rows[cid].stream.startswith("SYNTHETIC")
    assert claim_counts(res.claims)[AGREE] == sum(1 for c in res.claims if c.agree == AGREE)
    assert not any(c.agree == AGREE and "reference" in c.stream for c in res.claims)
    for cid in ("T0", "T4", "T7", "T8", "S4b", "M8", "P1"):
        assert rows[cid].agree == NOT_SUPPORTED and rows[cid].note, rows[cid]
    for c in res.claims:
        assert c.agree in VERDICTS
        if c.agree != NOT_SUPPORTED:
            assert c.measured != "—"
    assert rows["S1d"].value == pytest.approx(res.diffraction[0].q1_fit.breakpoints[0])
    # the LDA/HDA boundary read from the q1 breakpoint quotes the breakpoint's own (interval-wide) σ
    b = res.phase_diagram.boundary("LDA/HDA")
    assert b.source.startswith("q1 breakpoint")
    assert b.err_GPa == pytest.approx(rows["S1d"].err) == pytest.approx(rows["D3a"].err)


def test_measured_column_follows_the_data(demo):
    _, res = demo
    empty = replace(res, diffraction=(), transport=(), simulation=(), references=None)
    empty = replace(empty, phase_diagram=replace(res.phase_diagram, boundaries=(), regions=(), tc_points=(),
                                                 tc_upturn=None, crossover_GPa=None))
    assert all(c.agree == NOT_SUPPORTED for c in evaluate_claims(empty))
    run = replace(res.diffraction[0], provenance="measured")  # as if measured: the verdict follows the value
    fit = replace(run.q1_fit, breakpoints=(30.0,), breakpoint_errs=(0.1,), breakpoint_ci=((29.8, 30.2),))
    moved = replace(res, diffraction=(replace(run, q1_fit=fit),))
    row = next(c for c in evaluate_claims(moved) if c.id == "S1d")
    assert row.agree == DISAGREE and row.value == 30.0
    fit = replace(run.q1_fit, breakpoints=(15.9,), breakpoint_errs=(0.5,), breakpoint_ci=((14.9, 16.9),))
    row = next(c for c in evaluate_claims(replace(res, diffraction=(replace(run, q1_fit=fit),))) if c.id == "S1d")
    assert row.agree == AGREE


def test_simulation_claims_follow_compression_only(demo):
    """A decompression run beside the compression run changes no simulation claim (M1–M8); on its own it gives
    none."""
    _, res = demo
    sim = res.simulation[0]
    # the way down: the same glasses 1 GPa higher (so pooling them would move every "0 → 60 GPa" of the rows)
    back = replace(sim, name="down", direction="decompression",
                   points=tuple(replace(p, pressure_GPa=p.pressure_GPa + 1.0) for p in reversed(sim.points)))
    before = {c.id: (c.agree, c.measured) for c in res.claims if c.id.startswith("M")}
    both = {c.id: (c.agree, c.measured) for c in evaluate_claims(replace(res, simulation=(sim, back)))
            if c.id.startswith("M")}
    assert both == before
    alone = {c.id: c for c in evaluate_claims(replace(res, simulation=(back,)))}
    assert all(alone[k].agree == NOT_SUPPORTED for k in ("M1", "M2", "M3"))


def test_structure_figures_draw_the_compression_run(demo):
    """Figs. 3 and 5 draw the compression run's trend; a decompression run is left to Fig. 4's densities, unless
    it is the only run."""
    from hpglass.study.plots import _sim_points_for_trends, simulated_densities

    _, res = demo
    sim = res.simulation[0]
    back = replace(sim, name="down", direction="decompression", points=tuple(reversed(sim.points)))
    both = replace(res, simulation=(sim, back))
    assert _sim_points_for_trends(both) == list(sim.points)
    assert _sim_points_for_trends(replace(res, simulation=(back,))) == list(back.points)
    assert [t.direction for t in simulated_densities(both)] == ["compression", "decompression"]
