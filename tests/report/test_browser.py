"""report.html in a real browser (headless Chromium): every figure loads, no console message, a screenshot."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest
from _study_run import demo_study_run

pytestmark = pytest.mark.browser

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
                None)

#: injected first in <head>: records errors (script errors and failed resource loads, capture phase) and any
#: console.error/warn; on load writes the image check into <body data-check="…">
_PROBE = """<script>window.__errs=[];addEventListener("error",e=>{__errs.push(String(e.message||
(e.target&&e.target.src&&e.target.src.slice(0,60))||"error"))},true);for(const k of ["error","warn"]){const o=console[k];
console[k]=(...a)=>{__errs.push(k+": "+a.join(" "));o.apply(console,a)}}addEventListener("load",()=>{const i=[...document.images];
document.body.setAttribute("data-check",JSON.stringify({n:i.length,ok:i.filter(x=>x.complete&&x.naturalWidth>0).length,
w:i.map(x=>x.naturalWidth),errs:__errs}))});</script>"""


def _chromium(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-extensions", *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the browser check needs it")
    out, _ = demo_study_run(tmp_path_factory.getbasetemp())
    return out / "report.html"


def test_figures_load_without_console_errors(report, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text().replace("<head>", "<head>" + _PROBE, 1))
    r = _chromium("--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom",
                  probe.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    m = re.search(r'data-check="([^"]*)"', r.stdout)
    assert m, "the load handler did not run: " + r.stdout[:300]
    check = json.loads(html.unescape(m.group(1)))
    assert check["n"] == 5 and check["ok"] == 5, check
    assert all(w > 500 for w in check["w"]), check
    assert check["errs"] == [], check
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console


def test_screenshot(report, tmp_path):
    from hpglass.report.html import screenshot

    shot = screenshot(report, tmp_path / "report.png")
    assert shot == tmp_path / "report.png"
    assert [p.name for p in tmp_path.iterdir()] == ["report.png"]  # no temporary file left
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
