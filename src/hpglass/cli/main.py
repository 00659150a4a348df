"""Entry point of the ``hpglass`` command."""

from __future__ import annotations

import typer

from .. import __version__
from .demo import demo
from .elf import elf
from .eos import app as eos_app
from .potential import app as potential_app
from .pressure import app as pressure_app
from .run import run
from .scatter import scatter
from .series import app as series_app
from .simulate import simulate
from .structure import structure
from .transport import app as transport_app

def _no_type_for_flags() -> None:
    """typer ≥ 0.25 prints a value type beside every option, ``<bool>`` for on/off flags that take no value;
    a flag shows none (``--json`` is not ``--json <bool>``)."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "_hpglass", False):
        return

    def display_type_rich(self, ctx):
        return None if self.is_flag or self.count else shown(self, ctx)

    display_type_rich._hpglass = True
    TyperOption.display_type_rich = display_type_rich


_no_type_for_flags()

app = typer.Typer(
    name="hpglass",
    help="Structure–property studies of amorphous materials under high pressure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("scatter")(scatter)
app.command("demo")(demo)
app.command("run")(run)
app.command("structure")(structure)
app.command("elf")(elf)
app.command("simulate")(simulate)
app.add_typer(transport_app, name="transport")
app.add_typer(pressure_app, name="pressure")
app.add_typer(eos_app, name="eos")
app.add_typer(series_app, name="series")
app.add_typer(potential_app, name="potential")


@app.callback(invoke_without_command=True)
def _root(version: bool = typer.Option(False, "--version", help="print the version and exit")) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


def main() -> None:
    """Run the app; usage errors (missing option, bad value) become one line on stderr and exit status 2."""
    import sys

    from typer._click import exceptions as click_exc

    from .common import err_console

    try:
        rv = app(standalone_mode=False)
    except click_exc.NoArgsIsHelpError:
        sys.exit(2)  # help was printed
    except click_exc.UsageError as exc:
        hint = f" (try: hpglass {exc.ctx.info_name if exc.ctx else ''} --help)".replace("hpglass hpglass", "hpglass")
        err_console.print(f"hpglass: error: {exc.format_message()}{hint}", markup=False)
        sys.exit(2)
    except click_exc.ClickException as exc:
        err_console.print(f"hpglass: error: {exc.format_message()}", markup=False)
        sys.exit(2)
    except typer.Abort:
        err_console.print("hpglass: aborted", markup=False)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(rv if isinstance(rv, int) else 0)
