"""Fixtures for the study tests: a writable copy of the bundled demo data and its study file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hpglass.demo_data import demo_folder


def copy_demo(dst: Path) -> Path:
    """Copy the bundled demo data (series, transport files, frames, study) into ``dst``; returns the study path."""
    src = demo_folder()
    dst.mkdir(parents=True, exist_ok=True)
    for name in ("series", "frames", "study"):
        shutil.copytree(src / name, dst / name)
    for f in src.iterdir():
        if f.is_file():
            shutil.copy2(f, dst / f.name)
    study = dst / "study" / "model_series.toml"
    # the copy reads ../series and ../frames, beside its folder rather than in it: such a study opts in
    text = study.read_text(encoding="utf-8").replace("[study]\n", "[study]\nallow_outside_paths = true\n", 1)
    study.write_text(text, encoding="utf-8")
    return study


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A writable copy of the demo data; returns the copied study.toml."""
    return copy_demo(tmp_path / "data")


class _Run:
    def __init__(self, result):
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception

    def describe(self) -> str:
        return f"exit {self.exit_code}; stderr={self.stderr!r}; exception={self.exception!r}"


@pytest.fixture
def run_cli():
    """``run_cli(args)`` runs ``hpglass ARGS`` in-process (typer's CliRunner)."""
    from typer.testing import CliRunner

    from hpglass.cli.main import app

    def invoke(args):
        return _Run(CliRunner().invoke(app, [str(a) for a in args]))

    return invoke


@pytest.fixture(scope="session")
def demo_copier():
    """The :func:`copy_demo` function (for module-scoped fixtures)."""
    return copy_demo
