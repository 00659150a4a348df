"""Fixtures for the CLI tests: a CliRunner wrapper, file fingerprints and the demo's synthetic pattern files."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hpglass.cli.main import app
from hpglass.demo_data import DEMO_XRD, demo_folder

#: what `hpglass scatter` writes into --out
SCATTER_OUTPUTS = {"sq.dat", "fr.dat", "gr.dat", "result.json"}


@dataclass
class Run:
    """One CLI invocation: exit code, stdout, stderr, and the parsed JSON when --json succeeded."""

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None
    data: dict | None

    def describe(self) -> str:
        return f"exit {self.exit_code}; stderr={self.stderr!r}; exception={self.exception!r}"


def _invoke(args: list[str]) -> Run:
    result = CliRunner().invoke(app, [str(a) for a in args])
    data = None
    if result.exit_code == 0 and "--json" in args:
        data = json.loads(result.stdout)  # the whole of stdout is one JSON object
    return Run(result.exit_code, result.stdout, result.stderr, result.exception, data)


@pytest.fixture
def cli():
    """``cli(args)`` runs ``hpglass ARGS`` in-process and returns a :class:`Run`."""
    return _invoke


def check_one_line_error(run: Run, *needles: str) -> str:
    """Exit status 2, one line on stderr starting 'hpglass: error:', nothing on stdout, no traceback.

    Returns the message; each needle must occur in it (case-insensitive).
    """
    assert run.exit_code == 2, run.describe()
    assert isinstance(run.exception, SystemExit), run.describe()  # not an uncaught exception
    assert "Traceback" not in run.stderr + run.stdout
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.describe()
    assert lines[0].startswith("hpglass: error: "), run.describe()
    assert run.stdout == ""
    for needle in needles:
        assert needle.lower() in lines[0].lower(), f"{needle!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture
def one_line_error():
    return check_one_line_error


def fingerprint(*paths: Path) -> dict[Path, tuple[bytes, int]]:
    """Bytes and mtime (ns) of each file, to show that a run left its inputs alone."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}


def check_outputs_clean(out: Path) -> None:
    """--out holds exactly the four outputs: no temporary files left behind by the atomic writes."""
    names = {p.name for p in out.iterdir()}
    assert names == SCATTER_OUTPUTS, names
    for p in out.iterdir():
        assert p.is_file() and p.stat().st_size > 0, p


@dataclass
class DemoFiles:
    sample: Path
    bkg: Path
    folder: Path


@pytest.fixture
def demo_files(tmp_path: Path) -> DemoFiles:
    """Copies of the demo's synthetic sample + empty cell (2θ, λ 0.2952 Å in the header; truth 4.90 g/cm³, 0.85)."""
    folder = tmp_path / "in"
    folder.mkdir()
    sample = shutil.copy2(demo_folder() / DEMO_XRD["sample_file"], folder / "sample.xy")
    bkg = shutil.copy2(demo_folder() / DEMO_XRD["background_file"], folder / "empty_cell.xy")
    return DemoFiles(Path(sample), Path(bkg), folder)


@pytest.fixture
def fingerprints():
    """``fingerprints(*paths)``: bytes and mtimes of files, compare before and after a run."""
    return fingerprint


@pytest.fixture
def outputs_clean():
    """``outputs_clean(out)``: asserts --out holds exactly the four outputs and no temporary files."""
    return check_outputs_clean


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One `hpglass demo --json` run shared by the demo tests: (CliRunner result, output folder)."""
    out = tmp_path_factory.mktemp("demo") / "demo-out"  # not created beforehand: the demo makes it
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--json"])
    return result, out
