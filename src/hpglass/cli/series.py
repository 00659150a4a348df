"""`hpglass series breakpoints|crystallization`: trends, regimes and crystallization onset of a pressure series."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from .common import echo_json, err_console, handle_errors

app = typer.Typer(help="Pressure series: piecewise-linear regimes with breakpoints; crystallization onset.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _print_table(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_header=False)
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)


@app.command("breakpoints")
@handle_errors
def breakpoints(
    table: Annotated[Path, typer.Argument(help="CSV table: a pressure column (pressure_GPa, 'P (GPa)', P_GPa), "
                                               "value columns, optional <name>_err, run and direction columns")],
    y: Annotated[str, typer.Option("--y", help="value column to fit, full ('q1_A-1') or short ('q1') name")],
    x: Annotated[str, typer.Option("--x", help="'pressure' or another value column (e.g. density)")] = "pressure",
    segments: Annotated[int | None, typer.Option(help="number of segments 1–3 (default: chosen by BIC)")] = None,
    run: Annotated[str | None, typer.Option(help="use this run only (default: all runs together)")] = None,
    direction: Annotated[str | None, typer.Option(help="compression | decompression (needed when the table "
                                                          "holds both)")] = None,
    min_points: Annotated[int, typer.Option(help="fewest points per segment")] = 3,
    ci_level: Annotated[float, typer.Option(help="confidence level of the breakpoint intervals")] = 0.95,
    unweighted: Annotated[bool, typer.Option("--unweighted", help="ignore the <name>_err columns")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Continuous piecewise-linear fit of one column against pressure: breakpoints with profile-likelihood
    intervals, slopes with 1σ errors; 1–3 segments, chosen by BIC unless --segments is given."""
    from ..io.series_tables import read_series_table

    if segments is not None and segments not in (1, 2, 3):
        raise InputError(f"--segments must be 1, 2 or 3 (got {segments})", field="segments")
    series = read_series_table(table)
    fit = series.trend(y, n_segments=segments, run=run, direction=direction, x=x, use_errors=not unweighted,
                       min_points=min_points, ci_level=ci_level)
    m = fit.meta
    out = fit.to_dict() | {
        "x": m["x"], "y": m["y"], "x_requested": x, "y_requested": y, "run": run, "runs": m["runs"],
        "direction": m["direction"], "weights": m["weights"],
        "segments_chosen_by": "given (--segments)" if segments is not None else "BIC",
        "input": str(table),
    }
    if json_out:
        echo_json(out)
        return
    xu = "GPa" if out["x"] == "pressure_GPa" else ""
    rows = [("fit", (f"{out['y']} vs {out['x']}: {out['n_segments']} segment(s), {out['n_points']} points, "
                     f"{out['direction'] or 'all'}; segments {out['segments_chosen_by']}"))]
    for i, (b, e, ci) in enumerate(zip(out["breakpoints"], out["breakpoint_sigmas"], out["breakpoint_ci"],
                                       strict=True)):
        rows.append((f"breakpoint {i + 1}", f"{b:.4g} ± {e:.2g} {xu} ({100 * ci_level:g} % CI {ci[0]:.4g}–{ci[1]:.4g})"))
    for i, (s, e, r) in enumerate(zip(out["slopes"], out["slope_errs"], out["segment_ranges"], strict=True)):
        rows.append((f"slope {i + 1}", f"{s:.4g} ± {e:.2g} per {xu or 'x unit'} ({r[0]:.4g}–{r[1]:.4g})"))
    rows.append(("intercept", f"{out['intercept']:.6g} ± {out['intercept_err']:.2g}"))
    rows.append(("χ²_red", f"{out['chi2_red']:.4g} ({out['weights']})"))
    if out.get("bic_by_segments"):
        rows.append(("BIC", ", ".join(f"{k}: {v:.2f}" for k, v in out["bic_by_segments"].items())))
    _print_table("hpglass series breakpoints", rows)


@app.command("crystallization")
@handle_errors
def crystallization(
    listing: Annotated[Path, typer.Argument(help="CSV listing the patterns: a 'file' column (paths relative to "
                                                 "the listing), a pressure column, optional run and direction")],
    x_unit: Annotated[str | None, typer.Option(help="x unit of the pattern files when they do not state it: "
                                                       "q | q_nm | 2theta")] = None,
    wavelength: Annotated[float | None, typer.Option(help="X-ray wavelength, Å (2θ files)")] = None,
    min_peaks: Annotated[int, typer.Option(help="sharp peaks a pattern needs to count as crystalline")] = 2,
    max_fwhm: Annotated[float, typer.Option(help="widest peak counted as Bragg, Å⁻¹")] = 0.05,
    min_snr: Annotated[float, typer.Option(help="peak height over the local noise σ")] = 6.0,
    baseline_width: Annotated[float, typer.Option(help="width of the smooth amorphous baseline filter, Å⁻¹")] = 0.3,
    qmin: Annotated[float | None, typer.Option(help="lowest q searched, Å⁻¹")] = None,
    qmax: Annotated[float | None, typer.Option(help="highest q searched, Å⁻¹")] = None,
    run: Annotated[str | None, typer.Option(help="use this run only")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Crystallization onset on compression (first pressure from which sharp Bragg peaks stand above the
    amorphous signal and stay) and the pressure where they vanish on decompression."""
    from ..io import read_pattern
    from ..io.series_tables import read_pattern_listing
    from ..series.crystallization import find_crystallization
    from ..series.records import normalize_direction

    entries = read_pattern_listing(listing)
    if run is not None:
        entries = [e for e in entries if e[0] == run]
        if not entries:
            raise InputError(f"no patterns of run {run!r}", source=listing, field="run")
    out: dict = {"input": str(listing), "directions": {}}
    groups: dict[tuple[str, str], list] = {}
    for r, d, p, f, line in entries:
        groups.setdefault((r, normalize_direction(d, source=str(listing), line=line)), []).append((p, f))
    rows = []
    for (r, d), items in groups.items():
        pats = [read_pattern(f, x_unit=x_unit, wavelength=wavelength) for _, f in items]
        q_range = None if qmin is None and qmax is None else (qmin if qmin is not None else 0.0,
                                                              qmax if qmax is not None else float("inf"))
        res = find_crystallization([p for p, _ in items], pats, direction=d, min_peaks=min_peaks,
                                   max_fwhm=max_fwhm, min_snr=min_snr, baseline_width=baseline_width,
                                   q_range=q_range)
        key = d if len(groups) == len({k[1] for k in groups}) else f"{r}/{d}"
        out["directions"][key] = res.to_dict() | {"run": r}
        t = res.transition_GPa
        rows.append((f"{key}", ("none: " + res.note) if t is None else
                     f"{'onset' if d == 'compression' else 'vanish'} at {t:g} GPa "
                     f"(bracket {res.bracket_GPa[0]}–{res.bracket_GPa[1]} GPa)"))
    if json_out:
        echo_json(out)
        return
    _print_table("hpglass series crystallization", rows)
    err_console.print(f"crystalline = ≥ {min_peaks} peaks with FWHM ≤ {max_fwhm:g} Å⁻¹ and height ≥ {min_snr:g} σ")
