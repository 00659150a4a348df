"""Write a study run's outputs into OUT: tables/*.csv, per-pattern curves (patterns/<run>/<file>/), figures/*.png|svg,
report.html (all atomic writes)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .results import StudyResult
from .schema import Study

__all__ = ["write_outputs", "write_pattern_curves"]


def write_outputs(result: StudyResult, study: Study, out: Path) -> dict:
    """Tables, figures and the self-contained report; returns what was written (name → path or paths)."""
    from ..cli.common import dumps
    from ..report.html import write_report
    from .plots import FIGURES, write_figures
    from .tables import write_tables

    files: dict = {"tables": write_tables(result, out / "tables"), "patterns": write_pattern_curves(result, out),
                   "figures": write_figures(result, out / "figures")}
    files["summary"] = str(out / "summary.json")
    files["report"] = str(out / "report.html")
    summary = json.loads(dumps(replace(result, files=files).to_dict()))
    write_report(out / "report.html", summary, files["figures"], FIGURES)
    return files


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "run"


def write_pattern_curves(result: StudyResult, out: Path) -> list[str]:
    """Each reduced pattern's S(q), F(r) and g(r) and its quality block, as ``hpglass scatter`` writes them:
    ``OUT/patterns/<run>/<file stem>/{sq.dat, gr.dat, quality.json}``. Returns the folders written."""
    from ..cli.common import dumps
    from ..io import atomic_write_text, write_table

    folders = []
    for run in result.diffraction:
        for p in run.points:
            d = p.data
            if d.get("q") is None or d.get("r") is None:
                continue  # a pattern whose reduction failed has no curves (its error is in the table)
            folder = out / "patterns" / _safe(run.name) / _safe(Path(p.file).stem)
            folder.mkdir(parents=True, exist_ok=True)
            s = p.scatter
            head = [f"hpglass run; {Path(p.file).name}; {p.pressure_GPa:g} GPa; density "
                    f"{s.get('density_g_cm3')} g/cm3; window {s.get('window', 'none')}; r_cutoff {s.get('r_cutoff_A')} A"]
            write_table(folder / "sq.dat", {"q_A-1": d["q"], "S(q)": d["sq"]}, head)
            write_table(folder / "gr.dat", {"r_A": d["r"], "g(r)": d["gr"], "F(r)_A-2": d["fr"]},
                        head + ["F(r) = 4*pi*rho*r*(g(r)-1) = G(r) of PDFgetX3"])
            atomic_write_text(folder / "quality.json", dumps({"file": p.file, "pressure_GPa": p.pressure_GPa,
                                                              "warnings": p.warnings,
                                                              "quality": s.get("quality")}) + "\n")
            folders.append(str(folder))
    return folders
