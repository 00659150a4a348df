"""Write a study run's outputs into OUT: tables/*.csv, figures/*.png|svg, report.html (all atomic writes)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .results import StudyResult
from .schema import Study

__all__ = ["write_outputs"]


def write_outputs(result: StudyResult, study: Study, out: Path) -> dict:
    """Tables, figures and the self-contained report; returns what was written (name → path or paths)."""
    from ..cli.common import dumps
    from ..report.html import write_report
    from .plots import FIGURES, write_figures
    from .tables import write_tables

    files: dict = {"tables": write_tables(result, out / "tables"), "figures": write_figures(result, out / "figures")}
    files["summary"] = str(out / "summary.json")
    files["report"] = str(out / "report.html")
    summary = json.loads(dumps(replace(result, files=files).to_dict()))
    write_report(out / "report.html", summary, files["figures"], FIGURES)
    return files
