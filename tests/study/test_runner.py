"""The study runner on the bundled SYNTHETIC study: known answers, the cache, the outputs, atomicity."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from hpglass.demo_data import DEMO_SERIES, DEMO_TRANSPORT
from hpglass.study import run_study

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, demo_copier):
    """One full run of a copy of the demo study (one worker: the tests share the machine)."""
    root = tmp_path_factory.mktemp("study")
    study = demo_copier(root / "data")
    out = root / "out"
    result = run_study(study, out, workers=1)
    return study, out, result


def _fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".cache" not in p.parts}


def test_known_answers(demo_run):
    _, _, res = demo_run
    run = res.diffraction[0]
    fit = run.q1_fit
    lo, hi = fit.breakpoint_ci[0]
    # the 15.7 GPa break within its 95 % CI widened by the 1.5 GPa pressure spacing (as the demo's own test)
    assert lo - 1.5 <= DEMO_SERIES["q1_break_GPa"] <= hi + 1.5
    k1, k2 = DEMO_SERIES["q1_slopes_A-1_per_GPa"]
    assert fit.slopes[0] == pytest.approx(k1, rel=0.1) and fit.slopes[1] == pytest.approx(k2, rel=0.2)
    assert run.onset_GPa == DEMO_SERIES["bragg_from_GPa"]
    assert [p.crystalline for p in run.points].count(True) == 2
    cr = run.crossover
    assert abs(cr.pressure_GPa - DEMO_SERIES["glass_eos"]["crossover_GPa"]) <= 2 * cr.err_GPa + 1.0
    t51, t60 = res.transport[0].curves
    assert sorted(t51.transitions_K) == pytest.approx(DEMO_TRANSPORT["two_transitions_K"], abs=0.1)
    assert t60.tc_K("50") == pytest.approx(DEMO_TRANSPORT["tc_K"], abs=0.1)
    assert t60.hc2["hc2_gl_T"] == pytest.approx(DEMO_TRANSPORT["hc2_0_T"], rel=0.05)
    sig = res.transport[0].sigma["regimes"]["directions"]
    breaks = next(iter(sig.values()))["breakpoints_GPa"]
    assert breaks == pytest.approx(DEMO_TRANSPORT["sigma_p"]["breaks_GPa"], abs=2.5)
    assert "bcc" in res.references["curves"]


def test_phase_diagram_regions(demo_run):
    _, _, res = demo_run
    pd = res.phase_diagram
    b1, b2 = pd.boundary("LDA/HDA"), pd.boundary("HDA/bcc")
    assert b1.source.startswith("q1 breakpoint") and b1.err_GPa > 0
    assert b2.source.startswith("crystallization onset")
    assert b2.pressure_GPa == pytest.approx(20.75) and b2.err_GPa == pytest.approx(0.75)  # 20 … 21.5 GPa bracket
    assert [r.name for r in pd.regions] == ["LDA", "HDA", "bcc"]
    assert pd.regions[0].hi_GPa == pd.regions[1].lo_GPa == b1.pressure_GPa
    assert pd.regions[1].hi_GPa == pd.regions[2].lo_GPa == b2.pressure_GPa
    assert {c["quantity"] for c in b1.candidates} >= {"q1 breakpoint", "σ(P) breakpoint 1"}
    assert [t["pressure_GPa"] for t in pd.tc_points] == [51.0, 60.0]


def test_outputs_written(demo_run):
    _, out, res = demo_run
    for stem in ("fig1_transport", "fig2_diffraction", "fig3_simulation", "fig4_eos_phase_diagram",
                 "fig5_distortion_elf"):
        for ext in ("png", "svg"):
            assert (out / "figures" / f"{stem}.{ext}").stat().st_size > 1000
    for name in ("diffraction", "transport_tc", "transport_sigma_regimes", "simulation", "phase_boundaries",
                 "phase_regions", "claims"):
        text = (out / "tables" / f"{name}.csv").read_text()
        assert text.count("\n") >= 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["diffraction"][0]["q1_trend"]["n_segments"] == 2
    assert summary["settings"]["analysis"]["q1_segments"] == 2
    assert summary["versions"]["numpy"]
    assert (out / "report.html").stat().st_size > 10_000
    assert all(v["cached"] == 0 for v in res.cache.values())
    # every reduced pattern's curves and quality block, as `hpglass scatter` writes them
    n_points = sum(len(r.points) for r in res.diffraction)
    folders = sorted((out / "patterns").glob("*/*"))
    assert len(folders) == n_points
    for f in folders:
        q, s = np.loadtxt(f / "sq.dat", unpack=True)
        r, g, fr = np.loadtxt(f / "gr.dat", unpack=True)
        assert q.size > 100 and r.size > 100 and np.isfinite(g).all()
        assert "checks" in json.loads((f / "quality.json").read_text())["quality"]


def test_rerun_uses_cache_and_touch_recomputes_one_piece(demo_run):
    study, out, _ = demo_run
    again = run_study(study, out, workers=1, write=False)
    assert all(v["computed"] == 0 for v in again.cache.values()), again.cache
    pattern = study.parent.parent / "series" / "series_010.0GPa.xy"
    original = pattern.read_bytes()
    try:
        pattern.write_bytes(original + b"# touched\n")
        third = run_study(study, out, workers=1, write=False)
    finally:
        pattern.write_bytes(original)
    c = third.cache
    assert c["pattern"] == {"cached": 13, "computed": 1}
    assert c["diffraction-run"] == {"cached": 0, "computed": 1}
    for kind in ("curve", "sigma", "trajectory", "reference"):
        assert c[kind]["computed"] == 0, (kind, c)


def test_settings_change_recomputes_only_pieces_that_use_them(demo_run, tmp_path):
    study, out, _ = demo_run
    data = tomllib.loads(study.read_text())
    text = study.read_text().replace('hc2_criterion_pct = 50.0', 'hc2_criterion_pct = 60.0')
    changed = study.with_name("study_hc2.toml")
    changed.write_text(text)
    assert data["analysis"]["hc2_criterion_pct"] == 50.0
    res = run_study(changed, out, workers=1, write=False)
    assert res.cache["curve"]["computed"] == 2
    assert res.cache["pattern"]["computed"] == 0 and res.cache["trajectory"]["computed"] == 0


def test_broken_study_leaves_previous_outputs_intact(demo_run, run_cli):
    study, out, _ = demo_run
    before = _fingerprint(out)
    text = study.read_text().replace('"../series/series_004.0GPa.xy",\n', "")
    broken = study.with_name("broken.toml")
    broken.write_text(text)
    r = run_cli(["run", broken, "--out", out])
    assert r.exit_code == 2
    line = r.stderr.strip()
    assert "\n" not in line
    assert "broken.toml [diffraction[0].pressures_GPa]: 14 pressures for 13 files" in line
    assert _fingerprint(out) == before
