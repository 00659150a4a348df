"""report.html: self-contained (figures embedded, no external resources, no scripts), with provenance, claims,
settings and software versions."""

from __future__ import annotations

import base64
import html
import json
import re

import pytest
from _study_run import demo_study_run

from hpglass.precision import fmt
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
    page = render_report(summary, {}, {})
    assert "&lt;b&gt;&amp;evil&lt;/b&gt;" in page and "<b>&evil" not in page
    p = write_report(tmp_path / "r.html", summary, {}, {})
    assert p.read_text() == page
    assert [x.name for x in tmp_path.iterdir()] == ["r.html"]


#: a number with a decimal point, not part of a word or a file name (xrd_000.0GPa.xy)
_NUM = re.compile(r"(?<![\w.])[-−]?\d+\.\d+(?![\w.])")
#: "value ± error" as the report writes it
_PM = re.compile(r"(?<![\w.])([-−]?\d+(?:\.\d+)?) ± (\d+(?:\.\d+)?)(?![\w.])")


def _significant(token: str) -> int:
    return len(token.lstrip("-−").replace(".", "").lstrip("0"))


def test_numbers_shown_to_their_precision(demo):
    """Every "value ± error" follows the one rule (two significant digits of the error, the value to the same
    decimal: hpglass.precision.fmt); a table number without an error has at most four significant digits (the stated
    rule of hpglass.precision.fmt_value); a boundary's pressure and its error share one cell."""
    out, res = demo
    text = re.sub(r"<img[^>]*>|<style>.*?</style>|<pre>.*?</pre>", "", (out / "report.html").read_text(), flags=re.DOTALL)
    plain = html.unescape(re.sub(r"<[^>]+>", " ", text))
    pairs = _PM.findall(plain)
    assert pairs
    for value, err in pairs:
        d_v = len(value.split(".")[1]) if "." in value else 0
        d_e = len(err.split(".")[1]) if "." in err else 0
        assert d_v == d_e, f"{value} ± {err}: the value has other decimals than its error"
        assert _significant(err) == 2 if d_e else len(err.rstrip("0")) <= 2, f"{value} ± {err}"
    for cell in re.findall(r"<td>(.*?)</td>", text, flags=re.DOTALL):
        c = html.unescape(re.sub(r"<[^>]+>", "", cell))
        if "±" not in c:
            assert all(_significant(t) <= 4 for t in _NUM.findall(c)), c
    for b in res.phase_diagram.boundaries:
        assert f"<td>{fmt(b.pressure_GPa, b.err_GPa)}</td>" in text
