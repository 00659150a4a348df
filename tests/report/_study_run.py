"""One run of the bundled demo study per test session, shared by the report tests (imported by basename)."""

from __future__ import annotations

from pathlib import Path

_RUNS: dict[str, tuple] = {}


def demo_study_run(root: Path):
    """(out folder, StudyResult) of the bundled SYNTHETIC demo study, run once per session (one worker)."""
    if "demo" not in _RUNS:
        from hpglass.demo_data import demo_folder
        from hpglass.study import run_study

        out = root / "demo-study-out"
        _RUNS["demo"] = (out, run_study(demo_folder() / "study" / "model_series.toml", out, workers=1))
    return _RUNS["demo"]
