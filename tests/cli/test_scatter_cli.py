"""`hpglass scatter` end to end: options, JSON, output tables, atomic outputs, untouched inputs, one-line errors.

Runs on copies of the demo's synthetic Sb2Se3-like pattern (2θ, λ = 0.2952 Å in its header), whose true density
(4.90 g/cm³) and background scale (0.85) are known.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hpglass import __version__
from hpglass.demo_data import DEMO_XRD
from hpglass.io import read_pattern

TRUE_DENSITY = DEMO_XRD["density_g_cm3"]
TRUE_BKG_SCALE = DEMO_XRD["bkg_scale"]
LAMBDA = DEMO_XRD["wavelength_A"]
REQUIRED_KEYS = ("density_g_cm3", "density_err_g_cm3", "bkg_scale", "q1_A-1", "q1_err_A-1", "r1_A", "cn",
                 "sq_file", "fr_file", "gr_file", "json_file")


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _data_lines(path: Path) -> tuple[list[str], list[str]]:
    """(header lines, data lines) of a demo pattern file."""
    lines = path.read_text().splitlines()
    n = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return lines[:n], lines[n:]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


# -- a full refinement, shared by the tests that inspect its outputs --------------------------------------------------
@pytest.fixture(scope="module")
def refined_run(tmp_path_factory):
    """--refine-density --refine-bkg on the synthetic sample + empty cell: (CliRunner result, out, before, after)."""
    import shutil

    from typer.testing import CliRunner

    from hpglass.cli.main import app
    from hpglass.demo_data import demo_folder

    folder = tmp_path_factory.mktemp("refined")
    sample = Path(shutil.copy2(demo_folder() / DEMO_XRD["sample_file"], folder / "sample.xy"))
    bkg = Path(shutil.copy2(demo_folder() / DEMO_XRD["background_file"], folder / "empty_cell.xy"))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (sample, bkg)}
    out = folder / "out"
    result = CliRunner().invoke(app, [
        "scatter", str(sample), "--bkg", str(bkg), "--composition", "Sb2Se3", "--wavelength", str(LAMBDA),
        "--refine-density", "--refine-bkg", "--out", str(out), "--json"])
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (sample, bkg)}
    return result, out, before, after


def test_refinement_json_has_the_results(refined_run):
    result, out, _, _ = refined_run
    assert result.exit_code == 0, (result.stderr, result.exception)
    data = json.loads(result.stdout)  # stdout is exactly one JSON object
    assert isinstance(data, dict)
    for key in REQUIRED_KEYS:
        assert key in data, key
    assert data["density_g_cm3"] == pytest.approx(TRUE_DENSITY, rel=0.03)
    assert _finite(data["density_err_g_cm3"]) and 0 < data["density_err_g_cm3"] < 0.5
    assert data["bkg_scale"] == pytest.approx(TRUE_BKG_SCALE, rel=0.05)
    assert _finite(data["bkg_scale_err"]) and data["bkg_scale_err"] > 0
    assert _finite(data["q1_A-1"]) and 1.0 < data["q1_A-1"] < 4.0
    assert _finite(data["q1_err_A-1"]) and data["q1_err_A-1"] >= 0
    assert _finite(data["r1_A"]) and 2.0 < data["r1_A"] < 4.0
    assert _finite(data["cn"]) and 0 < data["cn"] < 20
    assert data["dropped_rows"] == {"sample": 0, "background": 0}
    assert data["inputs"]["sample"].endswith("sample.xy")
    assert data["inputs"]["background"].endswith("empty_cell.xy")
    for key in ("sq_file", "fr_file", "gr_file", "json_file"):
        path = Path(data[key])
        assert path.parent == out and path.is_file()


def test_refinement_result_json_equals_printed_json(refined_run):
    result, out, _, _ = refined_run
    assert json.loads((out / "result.json").read_text()) == json.loads(result.stdout)


def test_inputs_untouched_and_outputs_atomic(refined_run, outputs_clean):
    result, out, before, after = refined_run
    assert result.exit_code == 0
    assert after == before  # bytes and mtimes of sample and background
    outputs_clean(out)  # sq.dat fr.dat gr.dat result.json, no hidden .tmp files


def test_output_tables_are_consistent(refined_run):
    result, out, _, _ = refined_run
    data = json.loads(result.stdout)
    sq = np.loadtxt(out / "sq.dat")
    fr = np.loadtxt(out / "fr.dat")
    gr = np.loadtxt(out / "gr.dat")
    assert sq.shape[1] == 3 and fr.shape[1] == 2 and gr.shape[1] == 3
    assert np.all(np.isfinite(sq)) and np.all(np.isfinite(fr)) and np.all(np.isfinite(gr))
    assert sq.shape[0] == data["n_points"]
    assert sq[0, 0] == pytest.approx(data["q_min_A-1"]) and sq[-1, 0] == pytest.approx(data["q_max_A-1"])
    assert np.all(np.diff(sq[:, 0]) > 0)
    # g(r) = 1 + F(r) / (4πρr) on the same r grid
    np.testing.assert_allclose(fr[:, 0], gr[:, 0])
    r, rho = fr[1:, 0], data["number_density_A-3"]
    np.testing.assert_allclose(gr[1:, 1], 1 + fr[1:, 1] / (4 * np.pi * rho * r), rtol=1e-4, atol=1e-4)
    # the S(q) table states its unit, so hpglass reads it back as q in Å⁻¹
    back = read_pattern(out / "sq.dat")
    assert back.unit == "q_A" and back.x.size == data["n_points"]


def test_options_reach_the_result(cli, demo_files, tmp_path, outputs_clean):
    out = tmp_path / "out"
    run = cli(["scatter", demo_files.sample, "--bkg", demo_files.bkg, "--bkg-scale", "0.85",
               "--composition", "Sb2Se3", "--density", "4.9", "--qmin", "1.0", "--qmax", "10", "--r-cutoff", "2.2",
               "--lorch", "--r-max", "8", "--out", out, "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["density_g_cm3"] == pytest.approx(4.9) and d["density_err_g_cm3"] is None
    assert d["bkg_scale"] == pytest.approx(0.85) and d["bkg_scale_err"] is None
    assert d["r_cutoff_A"] == pytest.approx(2.2)
    assert 1.0 <= d["q_min_A-1"] < 1.05 and 9.95 < d["q_max_A-1"] <= 10.0
    p = d["parameters"]
    assert p["lorch"] is True and p["q_max"] == 10 and p["q_min"] == 1.0 and p["r_max"] == 8
    assert p["wavelength"] == pytest.approx(LAMBDA)  # from the file header
    assert np.loadtxt(out / "fr.dat")[-1, 0] == pytest.approx(8.0)
    outputs_clean(out)


def test_same_points_in_every_x_unit_give_the_same_result(cli, demo_files, tmp_path):
    """The demo's 2θ grid written as bare 2θ, q (Å⁻¹) and q (nm⁻¹) columns, read with --x-unit."""
    _, rows = _data_lines(demo_files.sample)
    tth, y = np.array([[float(v) for v in row.split()] for row in rows]).T
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / LAMBDA
    results = {}
    for unit, x in {"2theta": tth, "q": q, "q_nm": 10 * q}.items():
        path = tmp_path / f"bare_{unit}.dat"
        np.savetxt(path, np.c_[x, y], fmt="%.10e")
        run = cli(["scatter", path, "--x-unit", unit, "--wavelength", str(LAMBDA), "--composition", "Sb2Se3",
                   "--density", "4.9", "--qmax", "12", "--out", tmp_path / f"out_{unit}", "--json"])
        assert run.exit_code == 0, (unit, run.describe())
        results[unit] = run.data
    ref = results["2theta"]
    for unit in ("q", "q_nm"):
        for key in ("q_min_A-1", "q_max_A-1", "alpha", "r_cutoff_A"):
            assert results[unit][key] == pytest.approx(ref[key], rel=1e-5), (unit, key)
        assert results[unit]["n_points"] == ref["n_points"]


def test_bare_columns_without_x_unit_fail_clearly(cli, tmp_path, demo_files, one_line_error):
    _, rows = _data_lines(demo_files.sample)
    path = _write(tmp_path / "bare.dat", rows)
    run = cli(["scatter", path, "--wavelength", str(LAMBDA), "--composition", "Sb2Se3", "--density", "4.9",
               "--out", tmp_path / "out", "--json"])
    one_line_error(run, str(path), "x unit", "--x-unit")


def test_x_unit_contradicting_the_header_fails_clearly(cli, demo_files, tmp_path, one_line_error):
    run = cli(["scatter", demo_files.sample, "--x-unit", "q", "--composition", "Sb2Se3", "--density", "4.9",
               "--out", tmp_path / "out"])
    one_line_error(run, f"{demo_files.sample}:3", "x_unit", "2theta")


def test_nan_rows_are_dropped_and_reported(cli, demo_files, tmp_path):
    header, rows = _data_lines(demo_files.sample)
    rows[100] = rows[100].split()[0] + "  nan"
    rows[200] = "NaN  " + rows[200].split()[1]
    rows[-1] = rows[-1].split()[0] + "  NAN"  # the last row, as in the history_2014 files
    sample = _write(tmp_path / "with_nan.xy", header + rows)
    bheader, brows = _data_lines(demo_files.bkg)
    brows[300] = brows[300].split()[0] + "  inf"
    bkg = _write(tmp_path / "bkg_with_nan.xy", bheader + brows)
    out = tmp_path / "out"
    run = cli(["scatter", sample, "--bkg", bkg, "--bkg-scale", "0.85", "--composition", "Sb2Se3",
               "--density", "4.9", "--qmax", "12", "--out", out, "--json"])
    assert run.exit_code == 0, run.describe()
    assert _finite(run.data["density_g_cm3"])
    assert run.data["dropped_rows"] == {"sample": 3, "background": 1}
    assert json.loads((out / "result.json").read_text())["dropped_rows"] == {"sample": 3, "background": 1}
    # and without --json the table says so
    plain = cli(["scatter", sample, "--composition", "Sb2Se3", "--density", "4.9", "--qmax", "12",
                 "--out", tmp_path / "out2"])
    assert plain.exit_code == 0, plain.describe()
    assert "NaN/inf rows dropped" in plain.stdout and "sample: 3" in plain.stdout


def test_human_readable_summary(cli, demo_files, tmp_path, outputs_clean):
    out = tmp_path / "out"
    run = cli(["scatter", demo_files.sample, "--composition", "Sb2Se3", "--density", "4.9", "--qmax", "12",
               "--out", out])
    assert run.exit_code == 0, run.describe()
    for word in ("density", "principal peak q1", "coordination number", "sq_file", "json_file", "no background"):
        assert word in run.stdout
    assert "Traceback" not in run.stderr
    outputs_clean(out)


def test_rerun_into_the_same_folder_replaces_outputs(cli, demo_files, tmp_path, outputs_clean):
    out = tmp_path / "out"
    common = ["scatter", demo_files.sample, "--composition", "Sb2Se3", "--qmax", "12", "--out", out, "--json"]
    first = cli(common + ["--density", "4.9"])
    second = cli(common + ["--density", "5.1"])
    assert first.exit_code == 0 and second.exit_code == 0, (first.describe(), second.describe())
    assert json.loads((out / "result.json").read_text())["density_g_cm3"] == pytest.approx(5.1)
    assert "density 5.1000" in (out / "sq.dat").read_text()
    outputs_clean(out)


# -- bad input: one line naming the file/line/field, exit status 2, nothing written ------------------------------
def _bad_file(kind: str, demo_files, tmp_path: Path) -> tuple[Path, list[str]]:
    """A broken copy of the demo sample; returns (path, text the error must contain)."""
    header, rows = _data_lines(demo_files.sample)
    first = len(header) + 1  # file line of rows[0]
    path = tmp_path / f"{kind}.xy"
    if kind == "unsorted":
        rows[10], rows[11] = rows[11], rows[10]
        return _write(path, header + rows), [f"{path}:{first + 11}", "increase"]
    if kind == "duplicate":
        rows[11] = rows[10]
        return _write(path, header + rows), [f"{path}:{first + 11}", "repeats"]
    if kind == "negative":
        return _write(path, header + ["-0.5  10.0"] + rows), [f"{path}:{first}", "negative"]
    if kind == "empty":
        path.write_bytes(b"")
        return path, [str(path), "empty"]
    if kind == "blank":
        path.write_text("\n   \n\t\n")
        return path, [str(path), "empty"]
    if kind == "header_only":
        return _write(path, header), [str(path), "no data rows"]
    if kind == "all_zero":
        return _write(path, header + [f"{row.split()[0]}  0.0" for row in rows]), [str(path), "zero"]
    if kind == "single_row":
        return _write(path, header + rows[:1]), [str(path), "at least 2"]
    if kind == "text_row":
        rows[5] = "1.2  oops"
        return _write(path, header + rows), [f"{path}:{first + 5}", "not a row of numbers"]
    if kind == "one_column":
        rows[5] = rows[5].split()[0]
        return _write(path, header + rows), [f"{path}:{first + 5}", "2 columns"]
    if kind == "no_wavelength":
        return _write(path, [h for h in header if "Wavelength" not in h] + rows), [str(path), "wavelength"]
    if kind == "binary":
        path.write_bytes(b"\x00\x01\x02" * 100)
        return path, [str(path), "binary"]
    if kind == "negative_intensity":  # most rows ≤ 0: not a raw pattern; the message must name the file
        y = [float(r.split()[1]) for r in rows]
        shift = 0.8 * max(y)
        return (_write(path, header + [f"{r.split()[0]}  {v - shift:.6e}" for r, v in zip(rows, y)]),
                [str(path), "positive intensity"])
    raise ValueError(kind)


BAD_FILES = ["unsorted", "duplicate", "negative", "empty", "blank", "header_only", "all_zero", "single_row",
             "text_row", "one_column", "no_wavelength", "binary", "negative_intensity"]


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_sample_file(kind, cli, demo_files, tmp_path, one_line_error, fingerprints):
    path, needles = _bad_file(kind, demo_files, tmp_path)
    before = fingerprints(path)
    out = tmp_path / "out"
    run = cli(["scatter", path, "--composition", "Sb2Se3", "--density", "4.9", "--out", out, "--json"])
    one_line_error(run, *needles)
    assert fingerprints(path) == before
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize("kind", ["unsorted", "empty", "all_zero"])
def test_bad_background_file(kind, cli, demo_files, tmp_path, one_line_error):
    path, needles = _bad_file(kind, demo_files, tmp_path)
    out = tmp_path / "out"
    run = cli(["scatter", demo_files.sample, "--bkg", path, "--composition", "Sb2Se3", "--density", "4.9",
               "--out", out, "--json"])
    one_line_error(run, *needles)
    assert not out.exists()


# (extra options, text the message must contain); "{sample}" / "{bkg}" / "{folder}" are filled in
BAD_OPTIONS = {
    "unknown_element": (["--composition", "Xx2Se3"], ["composition", "Xx"]),
    "unbalanced_formula": (["--composition", "Sb2Se3("], ["composition", "Sb2Se3("]),
    "lowercase_formula": (["--composition", "sb2se3"], ["composition", "sb2se3"]),
    "empty_formula": (["--composition", ""], ["composition"]),
    "qmin_equals_qmax": (["--qmin", "5", "--qmax", "5"], ["q_min", "q_max"]),
    "qmin_above_qmax": (["--qmin", "6", "--qmax", "5"], ["q_min", "q_max"]),
    "qmin_beyond_data": (["--qmin", "40"], ["{sample}"]),
    "no_density": (["--no-density"], ["density", "refine_density"]),
    "negative_density": (["--density", "-1"], ["density"]),
    "refine_bkg_without_bkg": (["--refine-bkg"], ["--refine-bkg", "--bkg"]),
    "bkg_scale_without_bkg": (["--bkg-scale", "0.8"], ["--bkg-scale", "--bkg"]),
    "negative_bkg_scale": (["--bkg", "{bkg}", "--bkg-scale", "-1"], ["bkg_scale"]),
    "unknown_x_unit": (["--x-unit", "furlong"], ["x_unit", "furlong"]),
    "wavelength_contradicts_header": (["--wavelength", "0.5"], ["{sample}:2", "wavelength", "0.2952"]),
    "zero_wavelength": (["--wavelength", "0"], ["wavelength"]),
    "unknown_normalization": (["--normalization", "magic"], ["normalization"]),
    "unknown_extrapolation": (["--extrapolation", "magic"], ["extrapolation"]),
    "zero_r_cutoff": (["--r-cutoff", "0"], ["r_cutoff"]),
    "missing_background": (["--bkg", "{folder}/nope.xy"], ["{folder}/nope.xy", "not found"]),
    "sample_is_a_folder": (["--sample", "{folder}"], ["{folder}", "directory"]),
    "missing_sample": (["--sample", "{folder}/missing.xy"], ["{folder}/missing.xy", "not found"]),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_options(case, cli, demo_files, tmp_path, one_line_error, fingerprints):
    extra, needles = BAD_OPTIONS[case]
    fill = {"{sample}": str(demo_files.sample), "{bkg}": str(demo_files.bkg), "{folder}": str(demo_files.folder)}

    def sub(text: str) -> str:
        for k, v in fill.items():
            text = text.replace(k, v)
        return text

    extra, needles = [sub(e) for e in extra], [sub(n) for n in needles]
    sample = str(demo_files.sample)
    if "--sample" in extra:
        i = extra.index("--sample")
        sample = extra[i + 1]
        del extra[i:i + 2]
    options = {"--composition": "Sb2Se3", "--density": "4.9"}
    if "--no-density" in extra:
        extra.remove("--no-density")
        del options["--density"]
    for key in list(options):
        if key in extra:
            del options[key]
    args = ["scatter", sample, *[x for kv in options.items() for x in kv], *extra, "--out", tmp_path / "out",
            "--json"]
    before = fingerprints(demo_files.sample, demo_files.bkg)
    one_line_error(cli(args), *needles)
    assert fingerprints(demo_files.sample, demo_files.bkg) == before
    assert not (tmp_path / "out").exists()


def test_background_not_covering_the_sample(cli, demo_files, tmp_path, one_line_error):
    header, rows = _data_lines(demo_files.bkg)
    short = _write(tmp_path / "short_bkg.xy", header + rows[: len(rows) // 2])
    run = cli(["scatter", demo_files.sample, "--bkg", short, "--composition", "Sb2Se3", "--density", "4.9",
               "--out", tmp_path / "out", "--json"])
    one_line_error(run, str(short), "covers")
    # limiting q to what the background covers makes it work
    run = cli(["scatter", demo_files.sample, "--bkg", short, "--composition", "Sb2Se3", "--density", "4.9",
               "--qmax", "6", "--out", tmp_path / "out", "--json"])
    assert run.exit_code == 0, run.describe()


def test_image_without_poni(cli, tmp_path, one_line_error):
    image = tmp_path / "frame_0001.tif"
    image.write_bytes(b"II*\x00" + b"\x00" * 64)
    one_line_error(cli(["scatter", image, "--composition", "Sb2Se3", "--density", "4.9", "--out", tmp_path / "o"]),
                   str(image), "--poni")


def test_out_is_an_existing_file(cli, demo_files, tmp_path, one_line_error):
    out = tmp_path / "taken"
    out.write_text("not a folder\n")
    run = cli(["scatter", demo_files.sample, "--composition", "Sb2Se3", "--density", "4.9", "--qmax", "10",
               "--out", out, "--json"])
    one_line_error(run, str(out))
    assert out.read_text() == "not a folder\n"


def test_out_folder_that_would_overwrite_an_input(cli, demo_files, tmp_path, one_line_error, fingerprints):
    """An input named like an output (sq.dat) in the --out folder is refused, not overwritten."""
    header, rows = _data_lines(demo_files.sample)
    folder = tmp_path / "results"
    folder.mkdir()
    sample = _write(folder / "sq.dat", header + rows)
    before = fingerprints(sample)
    run = cli(["scatter", sample, "--composition", "Sb2Se3", "--density", "4.9", "--out", folder, "--json"])
    one_line_error(run, str(sample), "--out", "overwrite")
    assert fingerprints(sample) == before
    assert {p.name for p in folder.iterdir()} == {"sq.dat"}


# -- the installed entry point, as a user's shell sees it -------------------------------------------------------------
def _entry_point() -> Path:
    exe = Path(sys.executable).with_name("hpglass")
    if not exe.is_file():
        pytest.skip(f"the hpglass entry point is not installed next to {sys.executable}")
    return exe


def _run(args: list, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="80", PYTHONWARNINGS="default")
    return subprocess.run([str(_entry_point()), *map(str, args)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=env)


def test_entry_point_success(demo_files, tmp_path, fingerprints, outputs_clean):
    before = fingerprints(demo_files.sample, demo_files.bkg)
    out = tmp_path / "out"
    proc = _run(["scatter", demo_files.sample, "--bkg", demo_files.bkg, "--composition", "Sb2Se3",
                 "--wavelength", LAMBDA, "--refine-density", "--refine-bkg", "--qmax", "11.5", "--out", out, "--json"],
                tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no warnings, no progress noise with --json
    data = json.loads(proc.stdout)  # one JSON object and nothing else on stdout
    for key in REQUIRED_KEYS:
        assert key in data, key
    assert data["density_g_cm3"] == pytest.approx(TRUE_DENSITY, rel=0.04)
    assert fingerprints(demo_files.sample, demo_files.bkg) == before
    outputs_clean(out)


def test_entry_point_error_is_one_line(demo_files, tmp_path):
    header, rows = _data_lines(demo_files.sample)
    rows[20], rows[21] = rows[21], rows[20]
    bad = _write(tmp_path / "bad.xy", header + rows)
    proc = _run(["scatter", bad, "--composition", "Sb2Se3", "--density", "4.9", "--out", tmp_path / "out"],
                tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0] == (f"hpglass: error: {bad}:{len(header) + 22}: x = {float(rows[21].split()[0]):g} decreases "
                        f"(from {float(rows[20].split()[0]):g}); x must increase strictly")
    assert proc.stdout == ""


def test_entry_point_long_error_is_not_wrapped(tmp_path):
    """A message longer than the terminal stays on one line."""
    missing = tmp_path / ("a_rather_long_folder_name_" * 4) / "missing_pattern.xy"
    proc = _run(["scatter", missing, "--composition", "Sb2Se3", "--density", "4.9", "--out", tmp_path / "o"],
                tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"hpglass: error: {missing}: file not found"]


def test_version(cli):
    run = cli(["--version"])
    assert run.exit_code == 0 and run.stdout.strip() == __version__
