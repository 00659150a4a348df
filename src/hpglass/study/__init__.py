"""Studies: the study TOML (schema), the runner that runs every stream of it, its cache, results and tables."""

from pathlib import Path

from .results import StudyResult
from .runner import phase_diagram, run_study
from .schema import Study, load_study, parse_study

__all__ = ["Study", "StudyResult", "bundled_study", "load_study", "parse_study", "phase_diagram", "run_study"]


def bundled_study() -> Path:
    """The bundled demo study file (SYNTHETIC data; ``hpglass demo`` runs it)."""
    from ..demo_data import demo_folder

    return demo_folder() / "study" / "study.toml"
