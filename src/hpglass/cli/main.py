"""Entry point of the ``hpglass`` command."""

from __future__ import annotations

import typer

from .. import __version__
from .demo import demo
from .scatter import scatter

app = typer.Typer(
    name="hpglass",
    help="Structure–property studies of amorphous materials under high pressure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("scatter")(scatter)
app.command("demo")(demo)


@app.callback(invoke_without_command=True)
def _root(version: bool = typer.Option(False, "--version", help="print the version and exit")) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit(0)


def main() -> None:
    app()
