"""Without the optional library (peritheos) both commands fail on one line naming the extra to install."""

from __future__ import annotations

import sys

from typer.testing import CliRunner

from hpglass.cli.pressure import app
from hpglass.errors import MissingDependencyError


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, *needles):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), result.stderr
    for n in needles:
        assert n.lower() in lines[0].lower(), (n, lines[0])


def test_missing_library_is_one_line_with_the_extra(monkeypatch):
    from hpglass.pressure import _library

    _library.peritheos.cache_clear()
    _library.ruby_calibration.cache_clear()
    _library.gold_material.cache_clear()
    monkeypatch.setitem(sys.modules, "peritheos", None)  # import fails
    try:
        one_line_error(run("ruby", "700"), "peritheos", "hpglass[pressure]")
        one_line_error(run("gold", "--d111", "2.3"), "peritheos", "hpglass[pressure]")
    finally:
        monkeypatch.undo()
        _library.peritheos.cache_clear()


def test_missing_library_in_the_api(monkeypatch):
    import pytest

    from hpglass.pressure import _library, gold_pressure, ruby_pressure

    _library.peritheos.cache_clear()
    _library.ruby_calibration.cache_clear()
    _library.gold_material.cache_clear()
    monkeypatch.setitem(sys.modules, "peritheos", None)
    try:
        with pytest.raises(MissingDependencyError, match="hpglass\\[pressure\\]"):
            ruby_pressure(700.0)
        with pytest.raises(MissingDependencyError):
            gold_pressure(volume_A3=60.0)
    finally:
        monkeypatch.undo()
        _library.peritheos.cache_clear()
