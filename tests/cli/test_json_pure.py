"""``--json`` stdout is pure JSON: what third-party packages print while they load (CHGNet's banner "CHGNet v0.3.0
initialized with …") goes to stderr (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("chgnet")


def test_loading_a_potential_prints_nothing_on_stdout(capsys):
    from hpglass.simulate.calculators import make_calculator

    calc = make_calculator("chgnet")
    out, err = capsys.readouterr()
    assert calc is not None
    assert out == ""
    assert "CHGNet" in err  # the banner was printed, on stderr


@pytest.mark.slow  # a fresh process importing torch and CHGNet, one optimiser step of a 20-atom cell: 4-8 s
def test_simulate_chgnet_json_stdout_is_one_json_object(tmp_path):
    env = os.environ | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    hpglass = [sys.executable, "-c", "from hpglass.cli.main import main; main()"]
    r = subprocess.run([*hpglass, "simulate", "--crystal", "pnma", "--pressures", "0", "--max-steps", "1",
                        "--potential", "chgnet", "--out", str(tmp_path / "run"), "--json"],
                       check=False, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)  # the whole of stdout
    assert data["potential"] == "chgnet" and data["pressures_GPa"] == [0.0]
    assert "CHGNet v" in r.stderr
