"""Claims M6 (glass near 50 GPa resembles bcc) and M8 (ELF ≈ 0.5 in HDA) get a verdict on the bundled study, and
its Fig. 5 shows the ELF (histograms and slices) with a clean layout. Only the study's simulation stream is run."""

from __future__ import annotations

import re

import pytest
from test_figure_layout import render_without_warnings

from hpglass.report.claims import AGREE, DISAGREE


@pytest.fixture(scope="module")
def simulation_only(tmp_path_factory):
    from hpglass.study import bundled_study, load_study, run_study

    s = load_study(bundled_study())
    s = s.model_copy(update={"diffraction": [], "transport": []})
    return run_study(s, tmp_path_factory.mktemp("sim-only"), workers=1, write=False)


@pytest.mark.slow
def test_claims_m6_m8_get_a_verdict(simulation_only):
    rows = {c.id: c for c in simulation_only.claims}
    for cid in ("M6", "M8"):
        assert rows[cid].agree in (AGREE, DISAGREE), rows[cid]
    assert re.search(r"RMS Δg\(r\) on 2–[56]\.\d Å", rows["M6"].measured) and "bcc" in rows["M6"].measured
    assert "bond-angle" in rows["M6"].measured
    assert "bond midpoints" in rows["M8"].measured and "0.4–0.6" in rows["M8"].measured


@pytest.mark.slow
def test_elf_reaches_the_points(simulation_only):
    pts = {p.pressure_GPa: p for r in simulation_only.simulation for p in r.points}
    with_elf = sorted(p for p, pt in pts.items() if "elf" in pt.summary)
    assert with_elf == [0.0, 30.0]
    for p in with_elf:
        s = pts[p].summary["elf"]
        assert s["bond_midpoint"]["n_bonds"] > 50 and 0 < s["bond_midpoint"]["mean"] < 1
        assert set(s["per_species"]["mean_elf_by_species"]) == {"Sb", "Se"}
    refs = [r for run in simulation_only.simulation for r in run.references]
    assert any("bcc" in r.label for r in refs) and all("elf" not in r.summary for r in refs)


@pytest.mark.slow
def test_fig5_shows_the_elf(simulation_only, tmp_path):
    from hpglass.report.figures import panel_axes
    from hpglass.study.plots import figure_inputs

    fig, problems = render_without_warnings(lambda: figure_inputs()["fig5_distortion_elf"](simulation_only),
                                            tmp_path, "fig5")
    assert not problems, "\n".join(problems)
    axes = {ax.get_label(): ax for ax in panel_axes(fig)}
    assert {"a", "b", "c", "d", "e"} <= set(axes)
    assert not any("ELF not computed" in t.get_text() for t in axes["c"].texts)
    gids = {line.get_gid() for line in axes["c"].lines}
    assert {"elf-Sb-low", "elf-Se-low", "elf-Sb-high", "elf-Se-high"} <= gids
    assert axes["d"].images and axes["e"].images
