"""`hpglass eos fit|ff|crossover|refs`: P–V / P–ρ tables → EOS parameters, F–f points, density crossovers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..precision import fmt
from .common import echo_json, err_console, handle_errors

app = typer.Typer(help="Equations of state: fits with errors in P and V, F–f plots, density crossovers.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

_FORM_HELP = "EOS form: bm2 | bm3 | bm4 | vinet | murnaghan"
_COMP_HELP = "composition (e.g. Sb2Se3): turns volumes per cell/f.u./atom into densities and P–ρ data into Å³/atom"


def _fixed(fix_V0, fix_K0, fix_K0p, fix_K0pp) -> dict:
    return {k: v for k, v in (("V0", fix_V0), ("K0", fix_K0), ("K0p", fix_K0p), ("K0pp", fix_K0pp)) if v is not None}


def _fit_table(path: Path, form: str, composition, Z, fixed, method, density_per="atom"):
    from ..io.eos_tables import read_eos_table

    table = read_eos_table(path)
    return table, table.fit(form, composition=composition, Z=Z, density_per=density_per, fixed=fixed,
                            method=method, label=path.stem)


def _fmt(v, e=None, digits=4):
    return fmt(v, e, digits=digits)


def _print_rows(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_header=False)
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)


def _fit_rows(d: dict) -> list[tuple[str, str]]:
    rows = [("form", d["form"]), (f"V0 ({d['volume_unit']})", _fmt(d["V0"], d["V0_err"], 6)),
            ("K0 (GPa)", _fmt(d["K0_GPa"], d["K0_err_GPa"])), ("K0'", _fmt(d["K0p"], d["K0p_err"]))]
    if "K0pp_per_GPa" in d:
        rows.append(("K0'' (1/GPa)", _fmt(d["K0pp_per_GPa"], d["K0pp_err_per_GPa"])))
    if d.get("rho0_g_cm3") is not None:
        rows.append(("ρ0 (g/cm³)", _fmt(d["rho0_g_cm3"], d["rho0_err_g_cm3"], 5)))
    if "chi2_red" in d:
        rows += [("χ²/ν", _fmt(d["chi2_red"])), ("points / dof", f"{d['n_points']} / {d['dof']}"),
                 ("weighting", d["weighting"])]
    if d.get("fixed"):
        rows.append(("fixed", ", ".join(f"{k}={v:g}" for k, v in d["fixed"].items())))
    return rows


@app.command("fit")
@handle_errors
def fit(
    table: Annotated[Path, typer.Argument(help="P–V or P–ρ table (CSV/whitespace) with units in the header")],
    form: Annotated[str, typer.Option(help=_FORM_HELP)] = "bm3",
    fix_V0: Annotated[float | None, typer.Option("--fix-V0", help="keep V0 at this value")] = None,
    fix_K0: Annotated[float | None, typer.Option("--fix-K0", help="keep K0 (GPa) at this value")] = None,
    fix_K0p: Annotated[float | None, typer.Option("--fix-K0p", help="keep K0' at this value (e.g. 4)")] = None,
    fix_K0pp: Annotated[float | None, typer.Option("--fix-K0pp", help="keep K0'' (1/GPa) at this value")] = None,
    method: Annotated[str, typer.Option(help="odr (errors in P and V, default) | ev (effective variance)")] = "odr",
    composition: Annotated[str | None, typer.Option(help=_COMP_HELP)] = None,
    Z: Annotated[float | None, typer.Option("--Z", help="formula units per cell (volumes per cell)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Fit an EOS to a table: V0, K0, K0' with standard errors, χ²/ν."""
    _, res = _fit_table(table, form, composition, Z, _fixed(fix_V0, fix_K0, fix_K0p, fix_K0pp), method)
    out = res.to_dict()
    if json_out:
        echo_json(out)
        return
    _print_rows(f"hpglass eos fit {table.name}", _fit_rows(out))


@app.command("ff")
@handle_errors
def ff(
    table: Annotated[Path, typer.Argument(help="P–V or P–ρ table")],
    form: Annotated[str, typer.Option(help="form whose V0 is used for f (" + _FORM_HELP + ")")] = "bm3",
    fix_V0: Annotated[float | None, typer.Option("--fix-V0", help="use this V0 instead of the fitted one")] = None,
    composition: Annotated[str | None, typer.Option(help=_COMP_HELP)] = None,
    Z: Annotated[float | None, typer.Option("--Z", help="formula units per cell")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="treat warnings as errors (exit 2)")] = False,
) -> None:
    """F–f points (Eulerian strain f, normalised stress F) with errors, and the weighted line F = K0 + ½·3K0(K0'−4)f.

    Rows at P = 0 (F = 0/0) and at f ≤ 0 are left out (a note says so); an unphysical line (K0 ≤ 0, K0' outside
    2–12, no convergence) is a warning: one `warning:` line each on stderr, and "warnings" in --json."""
    from ..eos.fit import fit_ff_line

    _, res = _fit_table(table, form, composition, Z, _fixed(fix_V0, None, None, None), "odr")
    pts = res.ff_points()
    line = fit_ff_line(pts)
    warnings = list(line["warnings"])
    if not line["converged"] and line["n_points"] < 2:
        line = None
    out = {"V0": res.V0, "V0_err": res.errors["V0"], "volume_unit": res.volume_unit, "form": res.form,
           "points": pts.to_dict(), "line": line, "notes": list(pts.notes), "warnings": warnings}
    if strict and warnings:
        raise InputError(f"{len(warnings)} warning(s) with --strict: " + "; ".join(warnings), source=str(table))
    for w in warnings:
        err_console.print(f"warning: {w}", markup=False)
    if json_out:
        echo_json(out)
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"hpglass eos ff {table.name} (V0 = {_fmt(res.V0, res.errors['V0'], 6)} {res.volume_unit})")
    for c in ("P (GPa)", "f", "σf", "F (GPa)", "σF (GPa)"):
        t.add_column(c, justify="right")
    for p, f_, sf, F, sF in zip(pts.pressure_GPa, pts.f, pts.f_err, pts.F_GPa, pts.F_err_GPa):
        t.add_row(f"{p:.4g}", f"{f_:.5f}", f"{sf:.2g}", f"{F:.4g}", f"{sF:.2g}")
    Console().print(t)
    for n in pts.notes:
        err_console.print(f"note: {n}", markup=False)
    if line and line["converged"]:
        err_console.print(f"F–f line: K0 = {_fmt(line['K0_GPa'], line['K0_err_GPa'])} GPa, "
                          f"K0' = {_fmt(line['K0p'], line['K0p_err'])}")


def _parse_params(text: str) -> dict[str, float]:
    allowed = {"V0", "rho0", "K0", "K0p", "K0pp"}
    out: dict[str, float] = {}
    for item in [s for s in text.replace(";", ",").split(",") if s.strip()]:
        key, sep, value = item.partition("=")
        key = key.strip()
        base = key.removesuffix("_err")
        if not sep or base not in allowed:
            raise InputError(f"{item.strip()!r}: expected KEY=VALUE with KEY among V0, rho0, K0, K0p, K0pp (and "
                             "KEY_err for errors)", field="--b-params")
        try:
            out[key] = float(value)
        except ValueError:
            raise InputError(f"{key}={value!r} is not a number", field="--b-params") from None
    return out


def _eos_b(b_table, b_params, b_ref, form_b, composition, Z_b, b_per, method):
    from ..eos.fit import eos_from_params
    from ..eos.references import get_reference

    given = [x is not None for x in (b_table, b_params, b_ref)]
    if sum(given) != 1:
        raise InputError("give the second EOS exactly one way: a table B, --b-params or --b-ref", field="B")
    if b_table is not None:
        return _fit_table(b_table, form_b, composition, Z_b, {}, method)[1]
    if b_ref is not None:
        return get_reference(b_ref).eos()
    p = _parse_params(b_params)
    errors = {k[:-4]: v for k, v in p.items() if k.endswith("_err")}
    return eos_from_params(form_b, V0=p.get("V0"), rho0=p.get("rho0"), K0=p.get("K0"), K0p=p.get("K0p"),
                           K0pp=p.get("K0pp"), errors=errors, per=b_per, composition=composition, Z=Z_b,
                           label="B (--b-params)", source="--b-params")


@app.command("crossover")
@handle_errors
def crossover(
    a: Annotated[Path, typer.Argument(help="table A (e.g. the glass: P–ρ or P–V)")],
    b: Annotated[Path | None, typer.Argument(help="table B (e.g. the crystal); or use --b-params/--b-ref")] = None,
    form: Annotated[str, typer.Option(help=_FORM_HELP + " (for A, and for B unless --form-b)")] = "bm3",
    form_b: Annotated[str | None, typer.Option("--form-b", help="EOS form of B")] = None,
    b_params: Annotated[str | None, typer.Option(
        "--b-params", help="B by parameters: V0=…,K0=…,K0p=… (or rho0=… g/cm³ instead of V0; KEY_err=… errors)")]
    = None,
    b_ref: Annotated[str | None, typer.Option("--b-ref", help="B from the reference registry (see `refs`)")]
    = None,
    b_per: Annotated[str, typer.Option("--b-per", help="what --b-params V0 is per: cell | formula | atom")] = "cell",
    composition: Annotated[str | None, typer.Option(help=_COMP_HELP + " (both A and B)")] = None,
    Z: Annotated[float | None, typer.Option("--Z", help="formula units per cell of A's volumes")] = None,
    Z_b: Annotated[float | None, typer.Option("--b-Z", help="formula units per cell of B")] = None,
    p_min: Annotated[float, typer.Option(help="lowest pressure searched (GPa)")] = 0.0,
    p_max: Annotated[float | None, typer.Option(help="highest pressure searched (GPa; default 1.5 × the "
                                                        "highest data pressure)")] = None,
    method: Annotated[str, typer.Option(help="odr | ev")] = "odr",
    mc: Annotated[int, typer.Option(help="Monte-Carlo draws to check the error (0: none)")] = 0,
    seed: Annotated[int, typer.Option(help="seed of the Monte-Carlo draws")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Pressure where the densities of A and B become equal, with its 1σ error (delta method; --mc to check)."""
    from ..eos.crossover import density_crossover

    _, eos_a = _fit_table(a, form, composition, Z, {}, method)
    eos_b = _eos_b(b, b_params, b_ref, form_b or form, composition, Z_b, b_per, method)
    p_range = None
    if p_max is not None:
        p_range = (p_min, p_max)
    elif p_min != 0.0:
        from ..eos.crossover import _default_range

        p_range = (p_min, _default_range(eos_a, eos_b)[1])
    res = density_crossover(eos_a, eos_b, p_range, monte_carlo=mc, seed=seed)
    out = res.to_dict() | {"eos_a": eos_a.to_dict(), "eos_b": eos_b.to_dict()}
    assumed = eos_b.meta.get("reference", {}).get("status") == "assumed"
    if assumed:
        out["warning"] = f"EOS B is an ASSUMED reference: {eos_b.meta['reference']['note']}"
    if json_out:
        echo_json(out)
        return
    rows = [("A", f"{a.name}: {eos_a.form}, ρ0 = {_fmt(eos_a.rho0, None, 5)} g/cm³"),
            ("B", f"{eos_b.label or eos_b.source}: {eos_b.form}, ρ0 = {_fmt(eos_b.rho0, None, 5)} g/cm³"),
            ("searched", f"{res.p_range_GPa[0]:g}–{res.p_range_GPa[1]:g} GPa")]
    if res.pressure_GPa is None:
        rows.append(("crossover", "none"))
    else:
        rows.append(("crossover", f"{_fmt(res.pressure_GPa, res.err_GPa)} GPa"
                     + (" (extrapolated beyond the data)" if res.extrapolated else "")))
        c0 = res.crossings[0]
        rows.append(("density there", f"{_fmt(c0.density_g_cm3, c0.density_err_g_cm3)} g/cm³"))
        if len(res.crossings) > 1:
            rows.append(("other crossings", ", ".join(f"{c.pressure_GPa:.4g}" for c in res.crossings[1:]) + " GPa"))
    if res.monte_carlo and "std_GPa" in res.monte_carlo:
        m = res.monte_carlo
        text = (f"{m['median_GPa']:.4g} GPa (16–84 %: {m['p16_GPa']:.4g}–{m['p84_GPa']:.4g}); "
                f"{100 * m['fraction_without_crossing']:.1f} % of draws without a crossing")
        rows.append(("Monte Carlo", text))
    _print_rows("hpglass eos crossover", rows)
    if res.reason:
        err_console.print(res.reason)
    if assumed:
        err_console.print(out["warning"])


@app.command("refs")
@handle_errors
def refs(json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False) -> None:
    """List the reference EOS registry (with the status of each entry's numbers)."""
    from ..eos.references import list_references

    entries = [r.to_dict() for r in list_references()]
    if json_out:
        echo_json({"references": entries})
        return
    for e in entries:
        _print_rows(e["key"], [("phase", f"{e['formula']} {e['phase']}, Z = {e['Z']:g}"),
                               ("V0", f"{e['V0_A3_cell']:.2f} Å³/cell"), ("K0, K0'", f"{e['K0_GPa']:g} GPa, {e['K0p']}"),
                               ("status", e["status"]), ("cell", e["cell_citation"]), ("EOS", e["eos_citation"]),
                               ("note", e["note"])])
