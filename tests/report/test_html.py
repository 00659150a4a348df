"""report.html: self-contained (figures embedded, no external resources, no scripts), with provenance, claims,
settings and software versions."""

from __future__ import annotations

import base64
import json
import re

import pytest
from _study_run import demo_study_run

from hpglass.report.claims import CLAIMS
from hpglass.report.html import render_report, write_report


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_study_run(tmp_path_factory.getbasetemp())


def test_report_is_self_contained(demo):
    out, _ = demo
    text = (out / "report.html").read_text()
    imgs = re.findall(r'<img [^>]*src="([^"]+)"', text)
    assert len(imgs) == 5
    for src in imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<script" not in text and "<link" not in text
    assert not re.search(r'(src|href)="(?!data:)', text)


def test_report_content(demo):
    out, _res = demo
    text = (out / "report.html").read_text()
    assert text.count("SYNTHETIC") >= 3  # every stream labelled
    assert "random hard-core packing" in text  # the model of the frames stated
    for c in CLAIMS:
        assert f"<td>{c.id}</td>" in text
    assert "not supported by this data" in text
    assert "q1 breakpoint" in text and "crystallization onset" in text
    assert "numpy" in text and "hc2_criterion_pct" in text  # versions and settings
    for stem in ("fig1_transport", "fig2_diffraction", "fig3_simulation", "fig4_eos_phase_diagram",
                 "fig5_distortion_elf"):
        assert f"id='{stem}'" in text


def test_render_escapes_and_write_is_atomic(demo, tmp_path):
    out, _ = demo
    summary = json.loads((out / "summary.json").read_text())
    summary["name"] = "<b>&evil</b>"
    html = render_report(summary, {}, {})
    assert "&lt;b&gt;&amp;evil&lt;/b&gt;" in html and "<b>&evil" not in html
    p = write_report(tmp_path / "r.html", summary, {}, {})
    assert p.read_text() == html
    assert [x.name for x in tmp_path.iterdir()] == ["r.html"]
