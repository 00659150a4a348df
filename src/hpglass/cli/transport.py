"""`hpglass transport tc|hc2|sigma`: Quantum Design files and tables → Tc, Hc2, conductivity regimes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ..errors import InputError
from ..precision import fmt
from .common import echo_json, err_console, handle_errors

# readers and hpglass.transport (scipy) are imported where used: every `hpglass` start-up imports this module to
# register the commands (issue 14: start-up time)
if TYPE_CHECKING:
    from ..transport.curve import RCurve

app = typer.Typer(help="Transport: Tc, upper critical field, conductivity vs pressure.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

TABLE_SUFFIXES = {".csv", ".txt", ".tsv"}


def load_curve(path: Path, channel: int | None) -> RCurve:
    """One channel of a PPMS/DynaCool .dat file, or a (T, R) table."""
    return _load(path, channel)[0]


def _load(path: Path, channel: int | None) -> tuple[RCurve, list[int]]:
    """(curve, the file's channels with data) — the list is empty for a table."""
    from ..transport.curve import check_plausible

    curve, chans = _load_raw(path, channel)
    check_plausible(curve.temperature_K, curve.resistance_ohm, curve.field_T, source=curve.source)
    return curve, chans


def _load_raw(path: Path, channel: int | None) -> tuple[RCurve, list[int]]:
    from ..io import read_qd, read_rt_table

    if path.suffix.lower() in TABLE_SUFFIXES:
        if channel is not None:
            raise InputError("--channel applies to Quantum Design .dat files, not tables", source=path,
                             field="channel")
        return read_rt_table(path, x="T"), []
    import numpy as np

    qd = read_qd(path)
    curve = qd.curve(channel)
    # channels that hold a measurement: some finite value other than 0 (the ETO writes 0 Ω for an unused channel)
    measured = [n for n in qd.channels() if np.any(np.nan_to_num(qd.data[qd.resistance_column(n)]) != 0)]
    if curve.meta.get("all_zero"):
        others = ", ".join(str(n) for n in measured if n != curve.channel) or "none"
        raise InputError(f"channel {curve.channel} reads exactly 0 Ω in all {len(curve)} rows (not measured?); "
                         f"other channels with data: {others} (choose one with --channel N)", source=path,
                         field=f"channel {curve.channel}")
    return curve, measured


def _channel_hint(defaults: dict[int, set[int]]) -> str:
    """When the default channel was used and the files hold others: say which, and point to --channel."""
    others = sorted(set().union(*defaults.values()) - set(defaults)) if defaults else []
    if not others:
        return ""
    used = ", ".join(map(str, sorted(defaults)))
    alt = ", ".join(map(str, others))
    return (f" (read channel {used}, the default: the first with data; the file also has channel(s) {alt}: "
            f"choose one with --channel N, e.g. --channel {others[0]})")


def _print_table(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_header=False)
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)


def _v(out: dict, key: str, err_key: str | None, unit: str) -> str:
    """value ± error (two significant digits of the error, :func:`hpglass.precision.fmt`); "—" when absent."""
    return fmt(out.get(key), out.get(err_key) if err_key else None, unit)


def _hc2_rows(out: dict) -> list[tuple[str, str]]:
    ex = " (extrapolated)" if out.get("extrapolation") else ""
    tc_note = {"given": " (given)", "zero-field point": " (zero-field point)",
               "extrapolated": " (extrapolated)"}.get(out.get("tc_source"), "")
    rows = [("Tc", _v(out, "tc_K", "tc_err_K", "K") + tc_note),
            ("dHc2/dT at Tc", _v(out, "dHc2dT_T_per_K", "dHc2dT_err_T_per_K", "T/K"))]
    for label, key, err in (("μ0Hc2(0) WHH −0.693·Tc·slope", "hc2_whh_T", "hc2_whh_err_T"),
                            ("μ0Hc2(0) full WHH", "hc2_whh_full_T", "hc2_whh_full_err_T"),
                            ("μ0Hc2(0) Ginzburg–Landau", "hc2_gl_T", "hc2_gl_err_T")):
        if out.get(key) is not None:
            rows.append((label, _v(out, key, err, "T") + ex))
    gl, whh = out.get("hc2_gl_T"), out.get("hc2_whh_full_T")
    e_gl, e_whh = out.get("hc2_gl_fit_err_T"), out.get("hc2_whh_full_fit_err_T")
    if gl is not None and whh is not None and e_gl is not None and e_whh is not None:
        rows.append(("GL − full WHH (model term)", fmt(gl - whh, (e_gl**2 + e_whh**2) ** 0.5, "T")))
    params = out.get("parameters") or {}
    for label, key, fitted in (("Maki α (full WHH)", "whh_alpha", params.get("fit_alpha")),
                               ("λ_so (full WHH)", "whh_lambda_so", params.get("fit_lambda"))):
        if fitted and out.get(key) is not None:
            # an error the points cannot determine (infinite) is null in the JSON: say so instead of a bare number
            rows.append((label, _v(out, key, key + "_err", "") if out.get(key + "_err") is not None
                         else "not determined by the points"))
    rows.append(("Pauli limit 1.84·Tc", _v(out, "pauli_limit_T", "pauli_limit_err_T", "T")))
    if out.get("xi_gl_nm") is not None:
        rows.append(("ξ_GL", _v(out, "xi_gl_nm", "xi_gl_err_nm", "nm") + ex))
    rows.append(("points", str(len(out.get("points", [])))))
    return rows


def _tc_rows(out: dict) -> list[tuple[str, str]]:
    rows = [(label, _v(out, key, key.replace("_K", "_err_K"), "K")) for label, key in (
        ("onset", "tc_onset_K"), ("90 %", "tc_90_K"), ("50 %", "tc_50_K"), ("10 %", "tc_10_K"),
        ("zero", "tc_zero_K"))]
    rows.append(("width 90–10 %", _v(out, "width_90_10_K", "width_90_10_err_K", "K")))
    rn = _v(out, "r_normal_ohm", "r_normal_err_ohm", "Ω")
    if out.get("r_normal_ohm") is None and out.get("r_normal_note"):
        rn = "— (see note)"
    rows.append(("R_n", rn))
    trans = []
    for t in out["transitions"]:
        frac = t.get("step_fraction")
        fe = t.get("step_fraction_err")
        share = "" if frac is None else " (" + fmt(100 * frac, None if fe is None else 100 * fe, "%") + ")"
        trans.append(fmt(t["t_mid_K"], t.get("t_mid_err_K"), "K") + share)
    rows.append(("transitions", ", ".join(trans) or "none"))
    return rows


@app.command("hc2")
@handle_errors
def hc2(
    files: Annotated[list[Path], typer.Argument(help="R(T) at fixed fields, or R(H) at fixed temperatures")],
    channel: Annotated[Optional[int], typer.Option(help="channel / bridge number (default: first with data)")] = None,
    criterion: Annotated[float, typer.Option(help="Tc(H) / Hc2(T) criterion, % of the normal-state R")] = 50.0,
    slope_model: Annotated[str, typer.Option(help="initial-slope fit near Tc: quadratic | linear")] = "quadratic",
    fit_alpha: Annotated[bool, typer.Option("--fit-alpha", help="fit the Maki parameter in full WHH")] = False,
    fit_lambda: Annotated[bool, typer.Option("--fit-lambda", help="fit λ_so in full WHH")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Upper critical field: Hc2(T) points, WHH (slope formula and full), GL, Pauli limit, ξ_GL."""
    from ..transport.hc2 import fit_hc2, hc2_points_from_rh, hc2_points_from_rt
    from ..transport.segments import merge_same_setpoint, split_sweeps

    sweeps: list[RCurve] = []
    kinds = set()
    defaults: dict[int, set[int]] = {}  # default channel read → the files' channels with data
    for f in files:
        c, chans = _load(f, channel)
        if channel is None and c.channel is not None:
            defaults.setdefault(c.channel, set()).update(chans)
        kinds.add(c.x)
        sweeps += split_sweeps(c)
    if len(kinds) > 1:
        raise InputError("mixes temperature sweeps and field sweeps; give one kind per call", source=files[0])
    sweeps = merge_same_setpoint(sweeps)
    try:
        points = (hc2_points_from_rt if kinds == {"T"} else hc2_points_from_rh)(sweeps, criterion=criterion)
        res = fit_hc2(points, slope_model=slope_model, fit_alpha=fit_alpha, fit_lambda=fit_lambda)
    except InputError as exc:
        hint = _channel_hint(defaults)
        if exc.source is not None and not hint:
            raise
        raise InputError(exc.message + hint, source=exc.source or ", ".join(map(str, files)), line=exc.line,
                         field=exc.field) from None
    out = res.to_dict() | {"criterion_pct": criterion, "sweep": "R(T) at fixed H" if kinds == {"T"} else
                           "R(H) at fixed T", "n_sweeps": len(sweeps), "inputs": [str(f) for f in files]}
    if json_out:
        echo_json(out)
        return
    _print_table("hpglass transport hc2", _hc2_rows(out))
    err_console.print(f"criterion {criterion:g} % of R_n; {out['sweep']}; {len(sweeps)} sweeps")
    if out.get("extrapolation_note"):
        err_console.print(("warning: " if out.get("extrapolation") else "note: ") + out["extrapolation_note"],
                          markup=False)


@app.command("tc")
@handle_errors
def tc(
    file: Annotated[Path, typer.Argument(help="R(T) curve: PPMS/DynaCool .dat or a (T, R) table")],
    channel: Annotated[Optional[int], typer.Option(help="channel / bridge number (default: first with data)")] = None,
    field: Annotated[Optional[float], typer.Option(help="use the sweep at this field, T (files with several)")] = None,
    min_step: Annotated[float, typer.Option(help="smallest step counted as a transition, fraction of R_n")] = 0.1,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Superconducting transition(s) of one R(T) curve: onset, 90/50/10 %, zero resistance."""
    from ..transport.segments import split_sweeps
    from ..transport.tc import find_tc

    curve = load_curve(file, channel)
    if curve.x != "T":
        raise InputError("this file holds field sweeps, not an R(T) curve (use `hpglass transport hc2`)",
                         source=file)
    sweeps = split_sweeps(curve) if len(curve) >= 10 else [curve]
    if field is not None:
        sweeps = [s for s in sweeps if abs(s.mean_field_T - field) <= 5e-3]
        if not sweeps:
            raise InputError(f"no temperature sweep at {field:g} T", source=file, field="field")
    elif len(sweeps) > 1:
        fields = sorted({round(s.mean_field_T, 3) for s in sweeps})
        if len(fields) > 1:
            raise InputError(f"holds R(T) at several fields {fields} T: choose one with --field", source=file,
                             field="field")
    chosen = sweeps[0] if len(sweeps) == 1 else _join(sweeps)
    res = find_tc(chosen, min_step=min_step)
    out = res.to_dict() | {"field_T": chosen.mean_field_T, "n_points": len(chosen), "input": str(file),
                           "channel": chosen.channel}
    if json_out:
        echo_json(out)
        return
    if not res.superconducting:
        err_console.print(f"no superconducting transition: {res.reason}", markup=False)
    _print_table("hpglass transport tc", _tc_rows(out))
    if out.get("r_normal_note"):
        err_console.print(f"R_n: {out['r_normal_note']}", markup=False)


def _join(sweeps: list[RCurve]) -> RCurve:
    import numpy as np

    from ..transport.curve import RCurve

    return RCurve(np.concatenate([s.temperature_K for s in sweeps]), np.concatenate([s.resistance_ohm for s in sweeps]),
                  np.concatenate([s.field_T for s in sweeps]), "T", sweeps[0].source, sweeps[0].channel, sweeps[0].meta)


@app.command("sigma")
@handle_errors
def sigma(
    table: Annotated[Path, typer.Argument(help="table of pressure (GPa) and resistance or resistivity")],
    segments: Annotated[Optional[int], typer.Option(help="number of regimes 1–3 (default: chosen by BIC)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Conductivity vs pressure: regimes of log10 σ(P) with breakpoints (compression/decompression apart)."""
    from ..io.tables import read_rt_table
    from ..transport.conductivity import conductivity_regimes

    t = read_rt_table(table, x="P")
    kind = "resistance" if t.quantity == "resistance_ohm" else "resistivity"
    direction = None if t.directions is None else list(t.directions)
    try:
        res = conductivity_regimes(t.pressure_GPa, t.values, direction=direction, n_segments=segments, kind=kind)
    except InputError as exc:
        if exc.source is not None:
            raise
        raise InputError(exc.message, source=table, line=exc.line, field=exc.field) from None
    out = res.to_dict() | {"input": str(table)}
    if json_out:
        echo_json(out)
        return
    rows = []
    for name, d in out["directions"].items():
        for i, reg in enumerate(d["regimes"]):
            rows.append((f"{name} regime {i + 1}", f"{reg['p_lo_GPa']:.1f}–{reg['p_hi_GPa']:.1f} GPa: "
                         f"{reg['slope_dec_per_GPa']:.4f} ± {reg['slope_err_dec_per_GPa']:.4f} decades/GPa"))
        for b, ci in zip(d["breakpoints_GPa"], d["breakpoint_ci_GPa"], strict=True):
            rows.append((f"{name} breakpoint", f"{b:.2f} GPa (95 % CI {ci[0]:.2f}–{ci[1]:.2f})"))
    _print_table("hpglass transport sigma", rows)


@app.command("hopping")
@handle_errors
def hopping(
    file: Annotated[Path, typer.Argument(help="semiconducting R(T): PPMS/DynaCool .dat or a (T, R) table")],
    channel: Annotated[Optional[int], typer.Option(help="channel / bridge number (default: first with data)")] = None,
    tmin: Annotated[Optional[float], typer.Option(help="lowest T of the fit range, K")] = None,
    tmax: Annotated[Optional[float], typer.Option(help="highest T of the fit range, K")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Activated transport: Arrhenius, Mott VRH (3D, 2D) and Efros–Shklovskii fits, ranked over the same range."""
    from ..transport.hopping import best_hopping_model

    curve = load_curve(file, channel)
    t_range = None if tmin is None and tmax is None else (tmin if tmin is not None else 0.0,
                                                           tmax if tmax is not None else float("inf"))
    try:
        res = best_hopping_model(curve, t_range=t_range)
    except InputError as exc:
        if exc.source is not None:
            raise
        raise InputError(exc.message, source=file, field=exc.field) from None
    out = res.to_dict() | {"input": str(file), "channel": curve.channel}
    if json_out:
        echo_json(out)
        return
    _print_table("hpglass transport hopping", [(m, str(out["fits"][m])) for m in out["ranking"]])
