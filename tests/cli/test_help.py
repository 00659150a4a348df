"""Every command's --help: flags show no value type (typer ≥ 0.25 prints "<bool>"), brackets survive rich markup."""

import pytest
from typer.testing import CliRunner

from hpglass.cli.main import app

COMMANDS = [["scatter"], ["run"], ["demo"], ["structure"], ["simulate"], ["elf"], ["eos", "fit"], ["eos", "ff"],
            ["transport", "tc"], ["transport", "hc2"], ["pressure", "ruby"], ["series", "breakpoints"]]


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
def test_help_has_no_bool_metavar(cmd):
    res = CliRunner().invoke(app, [*cmd, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "<bool>" not in res.output
    assert "--json" in res.output


def test_run_help_names_the_analysis_table():
    res = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "[analysis] workers" in res.output and "default:  workers" not in res.output
