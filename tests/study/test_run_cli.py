"""`hpglass run`: one-line errors with exit status 2; --json summary."""

from __future__ import annotations

import pytest

from hpglass.demo_data import demo_folder

STUDY = demo_folder() / "study" / "model_series.toml"


@pytest.mark.parametrize(("edit", "field"), [
    (lambda t: t.replace('"../series/series_004.0GPa.xy"', '"../series/missing.xy"'), "diffraction[0].files[2]"),
    (lambda t: t.replace("wavelength_A = 0.2952", "wavelength_nm = 0.02952"), "diffraction[0].wavelength_nm"),
    (lambda t: t.replace('composition = "Sb2Se3"', 'composition = "Sb2Qq3"'), "sample.composition"),
    (lambda t: t.replace("pressures_GPa = [0.6, ", "pressures_GPa = ["), "diffraction[0].pressures_GPa"),
    (lambda t: t.replace('frames = { "0" = "../frames/random_Sb2Se3_packing.extxyz" }', "frames = {}"),
     "simulation[0].frames"),
])
def test_broken_study_one_line_exit_2(tmp_path, run_cli, edit, field):
    bad = tmp_path / "study.toml"
    # keep the relative paths valid: write next to the bundled study's folder layout
    text = edit(STUDY.read_text()).replace('"../', f'"{STUDY.parent.parent}/')
    bad.write_text(text)
    out = tmp_path / "out"
    r = run_cli(["run", bad, "--out", out])
    assert r.exit_code == 2, r.describe()
    err = r.stderr.strip()
    assert "\n" not in err and err.startswith("hpglass: error: ")
    assert f"[{field}]" in err and str(bad) in err
    assert not out.exists()  # nothing is written before the study validates


def test_run_help_lists_options(run_cli):
    r = run_cli(["run", "--help"])
    assert r.exit_code == 0
    for opt in ("--out", "--scheduler", "--json", "--workers"):
        assert opt in r.stdout
