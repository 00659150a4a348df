"""`hpglass structure` (the typer command function, run through a one-command app): JSON keys, files, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import typer
from ase import Atoms
from ase.io import write
from typer.testing import CliRunner

from hpglass.cli import structure as cli_structure
from hpglass.cli.structure import structure
from hpglass.demo_data import demo_folder

REQUIRED = ("density_g_cm3", "coordination", "rings", "angle_fraction_near_60", "altbc", "q4", "q6", "bcc_fraction",
            "gr_partial_file", "sq_file", "fr_file", "adf_file", "altbc_file", "json_file")


def _app():
    app = typer.Typer()
    app.command()(structure)
    return app


def _run(args):
    res = CliRunner().invoke(_app(), [str(a) for a in args])
    data = json.loads(res.stdout) if res.exit_code == 0 and "--json" in args else None
    return res, data


def _one_line_error(res, *needles):
    assert res.exit_code == 2, (res.exit_code, res.stdout, res.stderr, res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    for n in needles:
        assert n.lower() in lines[0].lower(), lines[0]


@pytest.fixture
def random_frames(tmp_path) -> Path:
    frames = demo_folder() / "frames" / "random_Sb2Se3_packing.extxyz"
    if not frames.is_file():
        pytest.skip("demo frames not bundled")
    return Path(shutil.copy(frames, tmp_path / "random.extxyz"))


def test_json_keys_and_files(random_frames, tmp_path):
    out = tmp_path / "out"
    res, data = _run([random_frames, "--frames", "0:3:1", "--cutoff", "Sb-Se=3.2", "--max-ring", "6", "--workers", "1",
                      "--qmax", "10", "--out", out, "--json"])
    assert res.exit_code == 0, (res.stderr, res.exception)
    for key in REQUIRED:
        assert key in data, key
    assert data["n_frames"] == 3
    assert data["density_g_cm3"] == pytest.approx(5.0, rel=1e-9)
    coord = data["coordination"]
    assert set(coord["by_species"]) == {"Sb", "Se"}
    assert set(coord["by_pair"]) == {"Sb-Sb", "Sb-Se", "Se-Sb", "Se-Se"}
    assert coord["cutoffs_A"]["Sb-Se"] == 3.2 and coord["cutoff_source"]["Sb-Se"] == "given"
    # random packing: g_SbSb has no first shell above its counting noise → covalent radii, no warning
    assert coord["cutoff_source"]["Sb-Sb"].startswith("covalent radii")
    assert coord["cutoffs_A"]["Sb-Sb"] == pytest.approx(1.2 * 2 * 1.39)
    assert data["warnings"] == [] and coord["warnings"] == [] and data["parameters"]["cutoff_rule"] == "auto"
    assert coord["by_species_sem"]["Sb"] is not None
    assert data["sem_convention"]
    for key in ("gr_partial_file", "sq_file", "fr_file"):
        table = np.loadtxt(data[key])
        assert table.shape[0] > 100 and np.all(np.isfinite(table[:, 1]))
    sq = np.loadtxt(data["sq_file"])
    assert sq[-1, 0] == pytest.approx(10.0)
    saved = json.loads(Path(data["json_file"]).read_text())
    assert saved["coordination"] == data["coordination"]
    assert {p.name for p in out.iterdir()} <= set(cli_structure.OUTPUT_NAMES)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_missing_sections_are_null_with_a_note(random_frames, tmp_path, monkeypatch):
    monkeypatch.setattr(cli_structure, "_optional", lambda module, name: (None, f"{module}.{name} missing (test)"))
    res, data = _run([random_frames, "--frames", "0", "--workers", "1", "--out", tmp_path / "o", "--json"])
    assert res.exit_code == 0, (res.stderr, res.exception)
    for key in ("rings", "angle_fraction_near_60", "altbc", "q4", "q6", "bcc_fraction", "adf_file", "altbc_file"):
        assert data[key] is None, key
    assert "angles" in data["notes"] and "missing (test)" in data["notes"]["rings"]
    assert data["coordination"]["mean"] > 0 and data["density_g_cm3"] == pytest.approx(5.0, rel=1e-9)


def test_human_output(random_frames, tmp_path):
    res, _ = _run([random_frames, "--frames", "0", "--rings", "none", "--workers", "1", "--out", tmp_path / "o"])
    assert res.exit_code == 0, (res.stderr, res.exception)
    assert "density" in res.stdout and "coordination" in res.stdout


def test_cutoff_for_absent_species(random_frames, tmp_path):
    res, _ = _run([random_frames, "--cutoff", "Ge-Se=3.0", "--out", tmp_path / "o", "--json"])
    _one_line_error(res, "Ge", "cutoff")


def test_bad_inputs(random_frames, tmp_path):
    junk = tmp_path / "junk.extxyz"
    junk.write_text("this is not\na trajectory\n")
    _one_line_error(_run([junk, "--out", tmp_path / "o"])[0], "junk.extxyz")
    _one_line_error(_run([tmp_path / "missing.xyz", "--out", tmp_path / "o"])[0], "no such file")
    _one_line_error(_run([random_frames, "--frames", "10:20", "--out", tmp_path / "o"])[0], "holds no frame")
    _one_line_error(_run([random_frames, "--frames", "x", "--out", tmp_path / "o"])[0], "frame")
    _one_line_error(_run([random_frames, "--rings", "square", "--out", tmp_path / "o"])[0], "ring")
    _one_line_error(_run([random_frames, "--r-max", "50", "--out", tmp_path / "o"])[0], "half the smallest cell")
    mol = tmp_path / "open.extxyz"
    write(mol, Atoms("Se2", positions=[[0, 0, 0], [2.3, 0, 0]], cell=[9, 9, 9], pbc=False), format="extxyz")
    _one_line_error(_run([mol, "--out", tmp_path / "o"])[0], "not periodic")


def test_two_files_must_match(random_frames, tmp_path):
    other = tmp_path / "other.extxyz"
    write(other, Atoms("Se4", scaled_positions=np.random.default_rng(0).random((4, 3)), cell=[9, 9, 9], pbc=True),
          format="extxyz")
    _one_line_error(_run([random_frames, other, "--out", tmp_path / "o"])[0], "composition")


@pytest.fixture
def glass20(tmp_path) -> Path:
    src = Path(__file__).resolve().parents[2] / "data" / "glass80-sevennet" / "P_20GPa.extxyz"  # 80-atom fixture
    if not src.is_file():
        pytest.skip("bundled a-Sb2Se3 frames not there")
    return Path(shutil.copy(src, tmp_path / "P_20GPa.extxyz"))


def test_only_sb_se_given_warns_and_uses_covalent_se_se(glass20, tmp_path):
    """Issue 12: only Sb-Se given. Before, Se-Se came from the first minimum of g_SeSe (4.5 Å) and Se had ≈ 14.6
    neighbours without a warning; now Se-Se is 1.2 × (r_Se + r_Se) = 2.88 Å and the rejected minimum is a warning
    on stderr and in the JSON."""
    res, data = _run([glass20, "--frames", "::3", "--cutoff", "Sb-Se=3.3", "--rings", "none", "--workers", "1",
                      "--out", tmp_path / "o", "--json"])
    assert res.exit_code == 0, (res.stderr, res.exception)
    coord = data["coordination"]
    assert coord["cutoffs_A"]["Se-Se"] == pytest.approx(2.88) and coord["cutoffs_A"]["Sb-Se"] == 3.3
    assert coord["first_minima_A"]["Se-Se"] > 4.0
    assert 3 < coord["by_species"]["Se"] < 7 and 5 < coord["by_species"]["Sb"] < 10
    assert len(data["warnings"]) == 1 and data["warnings"][0].startswith("Se-Se cutoff")
    assert coord["warnings"] == data["warnings"]
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("warning: ")]
    assert lines == [f"warning: {data['warnings'][0]}"]
    saved = json.loads((tmp_path / "o" / "result.json").read_text())
    assert saved["warnings"] == data["warnings"]
    # the old rule on request, still warned; --strict makes the warning an error
    res, old = _run([glass20, "--frames", "::3", "--cutoff", "Sb-Se=3.3", "--rings", "none", "--workers", "1",
                     "--cutoff-rule", "minimum", "--out", tmp_path / "o2", "--json"])
    assert res.exit_code == 0 and old["coordination"]["cutoffs_A"]["Se-Se"] > 4.0
    assert old["coordination"]["by_species"]["Se"] > 12 and len(old["warnings"]) >= 1
    res, _ = _run([glass20, "--frames", "::3", "--cutoff", "Sb-Se=3.3", "--rings", "none", "--workers", "1",
                   "--strict", "--out", tmp_path / "o3"])
    _one_line_error(res, "--strict", "Se-Se")
    res, _ = _run([glass20, "--cutoff-rule", "nearest", "--out", tmp_path / "o4"])
    _one_line_error(res, "cutoff rule")


def test_human_output_shows_cutoff_sources_and_warning(glass20, tmp_path):
    res, _ = _run([glass20, "--frames", "::5", "--cutoff", "Sb-Se=3.3", "--rings", "none", "--workers", "1",
                   "--out", tmp_path / "o"])
    assert res.exit_code == 0, (res.stderr, res.exception)
    assert "(given)" in res.stdout and "(covalent radii)" in res.stdout
    assert res.stderr.count("warning: Se-Se cutoff") == 1
