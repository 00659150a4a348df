"""`hpglass run study.toml`: every stream of a study → tables, figures, report.html (see hpglass.study)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from .common import echo_json, err_console, handle_errors, status


@handle_errors
def run(
    study: Annotated[Path, typer.Argument(help="the study file (TOML)")],
    out: Annotated[Path | None, typer.Option(help="output folder (default: ./<study file name without .toml>-out)")
                   ] = None,
    scheduler: Annotated[str | None, typer.Option(help="dask scheduler address, tcp://host:port")] = None,
    workers: Annotated[int | None, typer.Option(help="local worker processes (default: \\[analysis] workers, "
                                                     "else the CPUs available)")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="recompute every piece")] = False,
    screenshot: Annotated[bool, typer.Option("--screenshot", help="also save report.png (headless Chromium)")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Run a whole study: diffraction, transport, simulation → trends, phase diagram, claims, report.html."""
    from ..errors import InputError
    from ..io.atomic import remove_stale_temps
    from ..report.claims import claim_counts, headline
    from ..study import load_study, run_study

    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}", field="--workers")
    spec = load_study(study)  # validates everything before anything is written
    target = out if out is not None else Path(f"{study.stem}-out")
    stale = remove_stale_temps(target) if target.is_dir() else 0  # a killed run's .<name>.<hex>.tmp<suffix>
    if stale:
        err_console.print(f"note: removed {stale} stale temporary file{'s' if stale > 1 else ''} that an "
                          f"interrupted run left in {target}", markup=False)
    with status(f"running {study} …", json_out) as sp:
        def progress(msg: str) -> None:
            if sp is not None and hasattr(sp, "update"):
                sp.update(f"{study.name}: {msg} …")

        result = run_study(spec, target, scheduler=scheduler, workers=workers, use_cache=not no_cache,
                           screenshot=screenshot, progress=progress)
    claims = [c.to_dict() for c in result.claims]
    counts = claim_counts(claims)
    summary = {"study": str(study), "out": str(target), "report": result.files.get("report"),
               "summary": result.files.get("summary"), "tables": result.files.get("tables"),
               "figures": result.files.get("figures"), "cache": result.cache, "timings_s": result.timings_s,
               "claims": counts, "stale_temp_files_removed": stale}
    warnings = [f"{Path(p.file).name} ({p.pressure_GPa:g} GPa): {w}" for run in result.diffraction
                for p in run.points for w in p.warnings]
    summary["warnings"] = warnings or None
    for w in warnings:  # failed quality checks always reach the terminal, with --json too (on stderr)
        err_console.print(f"[bold yellow]warning:[/] {escape(w)}")
    if json_out:
        echo_json(summary)
        return
    err_console.print(f"[bold]hpglass run[/bold] {study} → {target}")
    pieces = ", ".join(f"{k} {v['computed']} computed/{v['cached']} cached" for k, v in result.cache.items())
    err_console.print(f"  pieces: {pieces}")
    err_console.print(f"  claims: {headline(counts)}")
    for b in result.phase_diagram.boundaries:
        e = "" if b.err_GPa is None else f" ± {b.err_GPa:.2g}"
        err_console.print(f"  {b.name}: {b.pressure_GPa:.2f}{e} GPa from {b.source}")
    err_console.print(f"  report: {result.files.get('report')}  ({result.timings_s.get('total', 0):.1f} s)")
