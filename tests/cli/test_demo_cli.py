"""`hpglass demo`: runs on the bundled synthetic data and recovers the known density (4.90 g/cm³) within ±2 %."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hpglass.cli.main import app
from hpglass.demo_data import DEMO_XRD

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_demo_exits_cleanly(demo_run):
    result, _ = demo_run
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "Traceback" not in result.stderr


def test_demo_density_within_two_percent(demo_run):
    result, _ = demo_run
    summary = json.loads(result.stdout)  # one JSON object
    d = summary["diffraction"]
    assert d["truth"]["density_g_cm3"] == pytest.approx(4.90) == DEMO_XRD["density_g_cm3"]
    measured = d["measured"]["density_g_cm3"]
    assert math.isfinite(measured)
    assert measured == pytest.approx(4.90, rel=0.02)
    assert d["recovery"]["density_rel_err_pct"] == pytest.approx(100 * (measured / 4.90 - 1))
    err = d["measured"]["density_err_g_cm3"]
    assert math.isfinite(err) and err > 0
    assert d["measured"]["bkg_scale"] == pytest.approx(DEMO_XRD["bkg_scale"], rel=0.05)
    assert "SYNTHETIC" in d["label"]


def test_demo_figure_is_a_png(demo_run):
    result, out = demo_run
    figure = Path(json.loads(result.stdout)["diffraction"]["files"]["figure"])
    assert figure.is_file()
    assert figure.is_relative_to(out)
    assert figure.read_bytes()[:8] == PNG_MAGIC
    assert figure.stat().st_size > 10_000


def test_demo_files_written_atomically(demo_run):
    result, out = demo_run
    summary = json.loads(result.stdout)
    written = json.loads(Path(summary["summary_file"]).read_text())
    assert written == {k: v for k, v in summary.items() if k != "summary_file"}
    for key in ("sq_file", "fr_file", "gr_file", "json_file"):
        assert Path(summary["diffraction"]["files"][key]).is_file()
    # .cache is the study runner's cache of finished pieces (kept on purpose); nothing else hidden, no temp files
    leftovers = [p for p in out.rglob("*") if (p.name.startswith(".") and p != out / ".cache") or ".tmp" in p.name]
    assert leftovers == []
    assert {"demo.json", "report.html", "checks"} <= {p.name for p in out.iterdir()}
    assert {p.name for p in (out / "checks").iterdir()} == {"diffraction", "transport", "series"}
    assert {p.name for p in (out / "checks" / "transport").iterdir()} == {"transport.png", "hc2_points.dat"}
    assert {p.name for p in (out / "checks" / "diffraction").iterdir()} == {"sq.dat", "fr.dat", "gr.dat",
                                                                             "result.json", "diffraction.png"}


def test_demo_human_readable(tmp_path):
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, (result.stderr, result.exception)
    text = result.stderr  # the demo reports on stderr and keeps stdout for --json
    assert "density" in text and "true 4.9" in text and "SYNTHETIC" in text
    assert (out / "demo.json").is_file()
    assert (out / "checks" / "diffraction" / "diffraction.png").read_bytes()[:8] == PNG_MAGIC
    assert "claims of the paper" in text and (out / "report.html").is_file()


def test_demo_out_is_a_file(tmp_path):
    out = tmp_path / "occupied"
    out.write_text("x\n")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--json"])
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("hpglass: error: ")
    assert str(out) in result.stderr
    assert out.read_text() == "x\n"


def test_demo_runs_the_bundled_study(demo_run):
    """The demo is the study runner on the bundled study: report, figures, a claims table with every row."""
    result, out = demo_run
    st = json.loads(result.stdout)["study"]
    assert Path(st["report"]).is_file() and Path(st["report"]).is_relative_to(out)
    html = Path(st["report"]).read_text()
    assert "SYNTHETIC" in html and "claims" in html.lower()
    from hpglass.report.claims import CLAIMS

    assert len(st["claims_table"]) == len(CLAIMS)
    assert sum(st["claims"].values()) == len(CLAIMS)
