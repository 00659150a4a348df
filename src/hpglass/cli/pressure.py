"""`hpglass pressure ruby|gold`: pressure from the ruby R1 line or from the gold lattice."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InputError
from .common import echo_json, err_console, handle_errors

app = typer.Typer(help="Pressure: ruby R1 fluorescence scales and the gold equation of state.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

RUBY_OPTIONS = {"lambda_nm": "LAMBDA_NM", "lambda0_nm": "--lambda0", "lambda_err_nm": "--lambda-err",
                "lambda0_err_nm": "--lambda0-err", "temperature_K": "--temperature", "temperature": "--temperature",
                "temperature_err": "--temperature-err", "temperature_err_K": "--temperature-err",
                "lambda0_temperature": "--lambda0-temperature", "lambda0_temperature_K": "--lambda0-temperature",
                "temperature_correction": "--t-correction", "scale": "--scale"}
GOLD_OPTIONS = {"volume": "--volume", "volume_err": "--volume-err", "d_err": "--d-err", "two_theta": "--two-theta",
                "two_theta_err": "--two-theta-err", "hkl": "--hkl", "wavelength": "--wavelength",
                "temperature": "--temperature", "temperature_err": "--temperature-err", "scale": "--scale"}


def _renamed(exc: InputError, names: dict[str, str]) -> InputError:
    """The same error with the API's field name replaced by the command-line option."""
    return InputError(exc.message, source=exc.source, line=exc.line, field=names.get(exc.field, exc.field))


def _pm(value: float, err: float | None, unit: str, digits: int = 2) -> str:
    return f"{value:.{digits}f} {unit}" if err is None else f"{value:.{digits}f} ± {err:.{digits}f} {unit}"


def _print_table(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_header=False)
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)


@app.command("ruby")
@handle_errors
def ruby(
    lambda_nm: Annotated[float, typer.Argument(metavar="LAMBDA_NM", help="ruby R1 wavelength, nm")],
    scale: Annotated[str, typer.Option(help="mao1986 | dewaele2008 | ruby2020")] = "ruby2020",
    lambda0: Annotated[float | None, typer.Option(
        "--lambda0", help="R1 at ambient pressure, nm (default: the scale's, 694.24; Ruby2020 694.25)")] = None,
    temperature: Annotated[float | None, typer.Option(
        help="temperature of the measurement, K (shifts λ0 by the ambient-pressure R1 shift)")] = None,
    t_correction: Annotated[str, typer.Option("--t-correction", help="R1 temperature shift: ragan1992 | vos1991")]
    = "ragan1992",
    lambda0_temperature: Annotated[float, typer.Option(help="temperature at which λ0 was measured, K")] = 298.0,
    lambda_err: Annotated[float | None, typer.Option(help="standard uncertainty of LAMBDA_NM, nm")] = None,
    lambda0_err: Annotated[float | None, typer.Option(help="standard uncertainty of λ0, nm")] = None,
    temperature_err: Annotated[float | None, typer.Option(help="standard uncertainty of the temperature, K")]
    = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Pressure from the ruby R1 line (Mao 1986, Dewaele 2008 or IPPS-Ruby2020)."""
    from ..pressure import ruby_pressure

    try:
        res = ruby_pressure(lambda_nm, scale=scale, lambda0_nm=lambda0, temperature_K=temperature,
                            lambda0_temperature_K=lambda0_temperature, temperature_correction=t_correction,
                            lambda_err_nm=lambda_err, lambda0_err_nm=lambda0_err, temperature_err_K=temperature_err)
    except InputError as exc:
        raise _renamed(exc, RUBY_OPTIONS) from None
    out = res.to_dict()
    if json_out:
        echo_json(out)
        return
    rows = [
        ("pressure", _pm(res.pressure_GPa, res.pressure_err_GPa, "GPa")),
        ("R1", _pm(res.lambda_nm, res.lambda_err_nm, "nm", 3)),
        ("λ0", f"{res.lambda0_nm:.3f} nm at {res.lambda0_temperature_K:g} K ({res.lambda0_source})"),
    ]
    if res.temperature_K is not None:
        rows.append(("λ0 at T", (f"{res.lambda0_at_T_nm:.3f} nm at {res.temperature_K:g} K "
                     f"({res.temperature_shift_nm:+.3f} nm, {res.temperature_correction})")))
    rows += [("Δλ", f"{res.delta_lambda_nm:.3f} nm"), ("scale", res.scale_label), ("reference", out["scale_reference"])]
    if res.pressure_err_scale_GPa is not None:
        rows.append(("scale uncertainty", f"{res.pressure_err_scale_GPa:.2f} GPa (included above)"))
    _print_table("hpglass pressure ruby", rows)
    for w in res.warnings:
        err_console.print(f"warning: {w}", markup=False)


@app.command("gold")
@handle_errors
def gold(
    d111: Annotated[float | None, typer.Option("--d111", help="Au(111) d-spacing, Å")] = None,
    d200: Annotated[float | None, typer.Option("--d200", help="Au(200) d-spacing, Å")] = None,
    d: Annotated[float | None, typer.Option("--d", help="d-spacing of the reflection --hkl, Å")] = None,
    two_theta: Annotated[float | None, typer.Option(help="2θ of the reflection --hkl, degrees")] = None,
    hkl: Annotated[str | None, typer.Option(help="reflection for --d / --two-theta, e.g. 111, 200, 2,2,0")]
    = None,
    wavelength: Annotated[float | None, typer.Option(help="X-ray wavelength for --two-theta, Å")] = None,
    volume: Annotated[float | None, typer.Option(help="fcc cell volume (4 atoms), Å³")] = None,
    scale: Annotated[str, typer.Option(help="fei2007 | dewaele2004")] = "fei2007",
    temperature: Annotated[float | None, typer.Option(
        help="temperature, K (default: the scale's reference, 300 K; Dewaele 2004 298 K)")] = None,
    d_err: Annotated[float | None, typer.Option(help="standard uncertainty of the d-spacing, Å")] = None,
    two_theta_err: Annotated[float | None, typer.Option(help="standard uncertainty of 2θ, degrees")] = None,
    volume_err: Annotated[float | None, typer.Option(help="standard uncertainty of the volume, Å³")] = None,
    temperature_err: Annotated[float | None, typer.Option(help="standard uncertainty of the temperature, K")]
    = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Pressure from the gold lattice (Fei 2007 or Dewaele 2004): one of --d111, --d200, --d/--two-theta with
    --hkl, or --volume."""
    from ..pressure import gold_pressure

    ds = [(opt, v, h) for opt, v, h in (("--d111", d111, "111"), ("--d200", d200, "200"), ("--d", d, hkl))
          if v is not None]
    names = dict(GOLD_OPTIONS)
    if len(ds) > 1:
        raise InputError(f"give one d-spacing, not {' and '.join(o for o, _, _ in ds)}", field="input")
    d_value = d_hkl = None
    if ds:
        opt, d_value, d_hkl = ds[0]
        names["d"] = opt
        if opt != "--d" and hkl is not None:
            raise InputError(f"{opt} fixes the reflection; --hkl goes with --d or --two-theta", field="--hkl")
    else:
        d_hkl = hkl
    try:
        res = gold_pressure(volume_A3=volume, d_A=d_value, hkl=d_hkl, two_theta_deg=two_theta,
                            wavelength_A=wavelength, scale=scale, temperature_K=temperature, volume_err_A3=volume_err,
                            d_err_A=d_err, two_theta_err_deg=two_theta_err, temperature_err_K=temperature_err)
    except InputError as exc:
        raise _renamed(exc, names) from None
    out = res.to_dict()
    if json_out:
        echo_json(out)
        return
    rows = [("pressure", _pm(res.pressure_GPa, res.pressure_err_GPa, "GPa"))]
    if res.input == "two_theta":
        rows.append((f"2θ ({out['hkl']})", (f"{_pm(res.two_theta_deg, res.two_theta_err_deg, '°', 4)} at "
                     f"λ = {res.wavelength_A:g} Å")))
    if res.input in ("d", "two_theta"):
        rows.append((f"d({out['hkl']})", _pm(res.d_A, res.d_err_A, "Å", 5)))
    rows += [
        ("a", f"{res.lattice_A:.5f} Å"),
        ("V", (f"{_pm(res.volume_A3, res.volume_err_A3, 'Å³', 3)}  (V/V0 = {res.volume_ratio:.4f}, "
              f"V0 = {res.V0_A3:g} Å³)")),
        ("T", f"{res.temperature_K:g} K" + ("" if not res.thermal_pressure_GPa else
                                             f" (thermal pressure {res.thermal_pressure_GPa:+.2f} GPa vs "
                                             f"{res.reference_temperature_K:g} K)")),
        ("scale", res.scale_label),
        ("reference", out["scale_reference"]),
    ]
    if res.pressure_err_scale_GPa is not None:
        rows.append(("scale uncertainty", f"{res.pressure_err_scale_GPa:.2f} GPa (included above)"))
    _print_table("hpglass pressure gold", rows)
    for w in res.warnings:
        err_console.print(f"warning: {w}", markup=False)
