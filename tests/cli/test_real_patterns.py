"""Every real pattern in ../shared/data/xrd through `hpglass scatter`: a result, or one clean line and exit 2.

The files are found by globbing, so a file added there later is run too (with generic options). For the files
described in ../shared/data/README.md the options follow that README (composition, wavelength, background); the
densities are fixed, plausible values (refinement is tested separately where it is the point). Expected physical
results are not given by the README, so these tests check robustness and plausibility, not reference numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: ../shared/data/xrd beside the repository (same place as the `shared_data` fixture of tests/conftest.py)
XRD = Path(__file__).resolve().parents[3] / "shared" / "data" / "xrd"
PATTERN_SUFFIXES = {".xy", ".chi"}
FOUND = sorted(p.relative_to(XRD).as_posix() for p in XRD.rglob("*") if p.suffix.lower() in PATTERN_SUFFIXES) \
    if XRD.is_dir() else []


@dataclass
class Case:
    """Options for one file ("{dir}" is the file's folder) and what must happen.

    expect: "ok" (exit 0), "error" (exit 2 with ``needles`` in the message) or "either" (0 or 2, cleanly).
    """

    args: list[str]
    expect: str = "either"
    needles: list[str] = field(default_factory=list)
    why: str = ""


AR = ["--composition", "Ar", "--wavelength", "0.37", "--density", "1.9"]
FES = ["--x-unit", "q", "--composition", "Fe81S19", "--density", "7.9"]  # q in Å⁻¹ and ρ 7.9 as in glassure's tests
MG_AMB = ["--composition", "Mg2SiO4", "--wavelength", "0.1908", "--density", "2.9"]
MG_DAC = ["--composition", "Mg2SiO4", "--wavelength", "0.31", "--density", "3.5"]
ROD = ["--composition", "SiO2", "--wavelength", "0.2064", "--density", "2.2"]
LAB6 = ["--composition", "LaB6", "--density", "4.7"]

PLAN: dict[str, Case] = {
    "glassure/Argon_1GPa.chi": Case(["--bkg", "{dir}/Argon_1GPa_bkg.chi", *AR, "--refine-bkg"], "ok",
                                    why="liquid Ar in a DAC, q in nm⁻¹ stated in the header"),
    "glassure/Argon_1GPa_bkg.chi": Case(AR, why="an empty cell run as if it were a sample"),
    "glassure/Fe81S19.chi": Case(["--bkg", "{dir}/Fe81S19_bkg.chi", "--bkg-scale", "0.97", *FES], "error",
                                 why="no header: the unit must be given"),
    "glassure/Fe81S19_bkg.chi": Case(FES, why="an empty cell run as if it were a sample"),
    "glassure/Mg2SiO4_ambient.xy": Case(["--bkg", "{dir}/Mg2SiO4_ambient_bkg.xy", *MG_AMB], "ok"),
    "glassure/Mg2SiO4_ambient_bkg.xy": Case(MG_AMB, why="an empty-cell pattern run as if it were a sample"),
    "glassure/Mg2SiO4_091.xy": Case(MG_DAC, "ok", why="DAC, no background file"),
    "glassure/glass_rod_SS.xy": Case(ROD, "ok"),
    "glassure/glass_rod_WOS.xy": Case(ROD, "ok"),
    "glassure/history_2014/Mg2SiO4_085.xy": Case(MG_DAC, "ok"),
    "glassure/history_2014/Mg2SiO4_120.xy": Case(["--bkg", "{dir}/Mg2SiO4_120_bkg.xy", *MG_DAC], "ok"),
    "glassure/history_2014/Mg2SiO4_120_bkg.xy": Case(MG_DAC, why="an empty cell run as if it were a sample"),
    "glassure/history_2014/Mg2SiO4_175.xy": Case(MG_DAC, "ok", why="ends in NaN rows"),
    "glassure/history_2014/Mg2SiO4_177.xy": Case(MG_DAC, "ok", why="ends in NaN rows"),
    "dioptas/pattern_001.xy": Case(LAB6, why="crystalline LaB6, 2θ with λ in the header"),
    "dioptas/pattern_001.chi": Case([*LAB6, "--wavelength", "0.3202"], "error", ["pattern_001.chi:4", "1455"],
                                    why="an abridged Fit2D file: line 4 declares 1455 points, 75 follow"),
    "dioptas/CeO2_Pilatus1M.xy": Case(["--composition", "CeO2", "--density", "7.2"],
                                      why="a crystalline calibrant"),
    "dioptas/Fe7C3_300_020.chi": Case(["--composition", "Fe7C3", "--density", "7.5"], "error",
                                      ["Fe7C3_300_020.chi", "wavelength"], why="2θ and no wavelength anywhere"),
    "dioptas/test_bg.xy": Case([*LAB6, "--wavelength", "0.3202"], why="a 2θ background with negative intensities"),
}
#: a file that appears in the folder later and is not in PLAN
GENERIC = Case(["--composition", "SiO2", "--density", "2.5"])


def _fill(args: list[str], folder: Path) -> list[str]:
    return [a.replace("{dir}", str(folder)) for a in args]


def _inputs(path: Path, args: list[str]) -> list[Path]:
    return [path] + [Path(args[i + 1]) for i, a in enumerate(args) if a == "--bkg"]


@pytest.mark.parametrize("name", FOUND or ["<no shared data>"])
def test_real_pattern(name, shared_data, cli, tmp_path, fingerprints, outputs_clean):
    path = shared_data / "xrd" / name
    case = PLAN.get(name, GENERIC)
    args = _fill(case.args, path.parent)
    before = fingerprints(*_inputs(path, args))
    out = tmp_path / "out"
    run = cli(["scatter", path, *args, "--out", out, "--json"])

    assert run.exit_code in (0, 2), run.describe()
    assert isinstance(run.exception, (SystemExit, type(None))), run.describe()  # never an uncaught exception
    assert "Traceback" not in run.stdout + run.stderr
    assert fingerprints(*_inputs(path, args)) == before  # shared data are never written
    if case.expect == "ok":
        assert run.exit_code == 0, run.describe()
    elif case.expect == "error":
        assert run.exit_code == 2, run.describe()

    if run.exit_code == 0:
        d = run.data
        assert math.isfinite(d["density_g_cm3"]) and d["density_g_cm3"] > 0
        given = float(args[args.index("--density") + 1])
        assert d["density_g_cm3"] == pytest.approx(given)
        for key in ("alpha", "number_density_A-3", "r_cutoff_A", "q_min_A-1", "q_max_A-1"):
            assert math.isfinite(d[key]), key
        assert (d["bkg_scale"] is None) == ("--bkg" not in args)  # null without a background
        assert d["inputs"]["sample"] == str(path)
        if case.why == "ends in NaN rows":
            assert d["dropped_rows"]["sample"] > 0
        outputs_clean(out)
    else:
        lines = run.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("hpglass: error: "), run.describe()
        assert run.stdout == ""
        for needle in case.needles:
            assert needle in lines[0], (needle, lines[0])
        # the message says where: a file (this one, or a background) or an option/field
        assert str(path.parent) in lines[0] or "[" in lines[0] or "composition" in lines[0], lines[0]


def test_plan_names_existing_files(shared_data):
    """A stale PLAN entry (file renamed or removed) would silently test nothing."""
    missing = [name for name in PLAN if not (shared_data / "xrd" / name).is_file()]
    assert missing == []


# -- particular files ------------------------------------------------------------------------------------------
def test_fe81s19_without_x_unit_fails_clearly(shared_data, cli, tmp_path, one_line_error):
    path = shared_data / "xrd" / "glassure" / "Fe81S19.chi"
    run = cli(["scatter", path, "--composition", "Fe81S19", "--density", "7.9", "--out", tmp_path / "o", "--json"])
    one_line_error(run, str(path), "x unit", "--x-unit")
    assert not (tmp_path / "o").exists()


def test_fe81s19_read_as_q_is_refused(shared_data, cli, tmp_path, one_line_error):
    """The header-less Fe81S19.chi (glassure's tests read x as q) peaks at x ≈ 11, where no Fe–S liquid can have
    its principal peak (≈ 3 Å⁻¹): read as q it gave 19.5 ± 51 g/cm³ with exit 0; now a one-line error."""
    folder = shared_data / "xrd" / "glassure"
    run = cli(["scatter", folder / "Fe81S19.chi", "--x-unit", "q", "--composition", "Fe81S19", "--density", "7.9",
               "--out", tmp_path / "o", "--json"])
    one_line_error(run, str(folder / "Fe81S19.chi"), "x_unit", "principal peak")
    assert not (tmp_path / "o").exists()


def test_argon_header_unit_is_nm(shared_data, cli, tmp_path, one_line_error):
    """The Argon .chi says 'Q (Inverse Nanometres)': q is divided by 10, and a contradicting --x-unit is refused."""
    folder = shared_data / "xrd" / "glassure"
    run = cli(["scatter", folder / "Argon_1GPa.chi", *AR, "--qmax", "8", "--out", tmp_path / "o", "--json"])
    assert run.exit_code == 0, run.describe()
    # the 63 zero rows behind the beamstop and the shadow's edge are dropped: data start at 0.414 Å⁻¹
    assert run.data["q_min_A-1"] == pytest.approx(0.41417527)
    assert run.data["quality"]["q_range"]["dropped_rows"]["dead"] == 63
    wrong = cli(["scatter", folder / "Argon_1GPa.chi", *AR, "--x-unit", "q", "--out", tmp_path / "o2"])
    one_line_error(wrong, f"{folder / 'Argon_1GPa.chi'}:2", "x_unit")


def test_fe7c3_runs_once_given_a_wavelength(shared_data, cli, tmp_path):
    """The only thing missing from the 2θ file is λ; with one (value assumed, not stated) it reduces cleanly."""
    path = shared_data / "xrd" / "dioptas" / "Fe7C3_300_020.chi"
    run = cli(["scatter", path, "--composition", "Fe7C3", "--density", "7.5", "--wavelength", "0.3344",
               "--out", tmp_path / "o", "--json"])
    assert run.exit_code in (0, 2), run.describe()
    assert "Traceback" not in run.stderr


def test_background_that_does_not_cover_the_sample(shared_data, cli, tmp_path, one_line_error):
    """test_bg.xy (2θ to 15°) as the background of pattern_001.xy (2θ to 44.5°)."""
    folder = shared_data / "xrd" / "dioptas"
    run = cli(["scatter", folder / "pattern_001.xy", "--bkg", folder / "test_bg.xy", *LAB6,
               "--out", tmp_path / "o", "--json"])
    one_line_error(run, str(folder / "test_bg.xy"), "covers")


# -- refinement where it is the point --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def argon_refined(tmp_path_factory):
    from typer.testing import CliRunner

    from hpglass.cli.main import app

    if not XRD.is_dir():
        pytest.skip(f"real data folder {XRD} is absent")
    folder = XRD / "glassure"
    out = tmp_path_factory.mktemp("argon") / "out"
    # q limited as a user would: below 1 Å⁻¹ the file holds the beam stop's zero counts, and the last 1.4 Å⁻¹
    # (9.5–10.9) end in a step that rings through g(r) with a 0.6 Å period (r1 then lands on a ripple).
    result = CliRunner().invoke(app, [
        "scatter", str(folder / "Argon_1GPa.chi"), "--bkg", str(folder / "Argon_1GPa_bkg.chi"), "--composition",
        "Ar", "--wavelength", "0.37", "--refine-density", "--refine-bkg", "--qmin", "1.0", "--qmax", "9.5",
        "--out", str(out), "--json"])
    assert result.exit_code == 0, (result.stderr, result.exception)
    return json.loads(result.stdout)


def test_argon_density_and_background_refine(argon_refined):
    d = argon_refined
    rho, err = d["density_g_cm3"], d["density_err_g_cm3"]
    assert math.isfinite(rho) and math.isfinite(err) and err > 0
    lo, hi = d["density_bounds_g_cm3"]
    assert lo * 1.05 < rho < hi * 0.95, "refinement stopped at a bound of its search"
    assert 1.0 < rho < 2.6  # fluid argon near 1 GPa at room temperature (solid Ar at 0 K: 1.77 g/cm³)
    assert 0.2 < d["bkg_scale"] < 1.2 and d["bkg_scale_err"] > 0
    assert 1.8 < d["q1_A-1"] < 2.6  # principal peak of compressed fluid argon


def test_argon_first_shell_is_physical(argon_refined):
    d = argon_refined
    assert 3.2 < d["r1_A"] < 4.0
    assert 8 < d["cn"] < 16


def test_mg2sio4_ambient_density_refines(shared_data, cli, tmp_path):
    folder = shared_data / "xrd" / "glassure"
    run = cli(["scatter", folder / "Mg2SiO4_ambient.xy", "--bkg", folder / "Mg2SiO4_ambient_bkg.xy",
               "--composition", "Mg2SiO4", "--wavelength", "0.1908", "--refine-density", "--qmax", "20",
               "--out", tmp_path / "o", "--json"])
    assert run.exit_code == 0, run.describe()
    rho = run.data["density_g_cm3"]
    assert 2.5 < rho < 3.5, rho  # Mg2SiO4 glass at ambient pressure (crystalline forsterite: 3.27 g/cm³)
    assert 0 < run.data["density_err_g_cm3"] < 0.5


def test_refinement_at_a_bound_is_not_a_silent_success(shared_data, cli, tmp_path):
    folder = shared_data / "xrd" / "glassure"
    run = cli(["scatter", folder / "Mg2SiO4_ambient.xy", "--bkg", folder / "Mg2SiO4_ambient_bkg.xy",
               "--composition", "Mg2SiO4", "--wavelength", "0.1908", "--refine-density",
               "--out", tmp_path / "o", "--json"])
    assert run.exit_code in (0, 2), run.describe()
    if run.exit_code == 0:
        lo, hi = run.data["density_bounds_g_cm3"]
        at_bound = not lo * 1.05 < run.data["density_g_cm3"] < hi * 0.95
        assert not at_bound or any("bound" in w for w in run.data["warnings"] or [])


# -- the 2D image path -----------------------------------------------------------------------------------------
@pytest.mark.image
def test_ceo2_image_with_dioptas_poni(shared_data, cli, tmp_path, fingerprints, outputs_clean):
    pytest.importorskip("pyFAI")
    pytest.importorskip("fabio")
    folder = shared_data / "xrd" / "dioptas"
    image, poni = folder / "CeO2_Pilatus1M.tif", folder / "CeO2_Pilatus1M.poni"
    before = fingerprints(image, poni)
    out = tmp_path / "out"
    run = cli(["scatter", image, "--poni", poni, "--frame", "dioptas", "--composition", "CeO2", "--density", "7.2",
               "--out", out, "--json"])
    assert run.exit_code == 0, run.describe()
    d = run.data
    assert d["density_g_cm3"] == pytest.approx(7.2)
    assert d["parameters"]["wavelength"] == pytest.approx(0.4066)  # from the .poni
    assert fingerprints(image, poni) == before
    outputs_clean(out)
    # the same calibration integrated by Dioptas (.xy beside it) covers the same q range
    xy = cli(["scatter", folder / "CeO2_Pilatus1M.xy", "--composition", "CeO2", "--density", "7.2",
              "--out", tmp_path / "out_xy", "--json"])
    assert xy.exit_code == 0, xy.describe()
    assert d["q_max_A-1"] == pytest.approx(xy.data["q_max_A-1"], rel=0.005)
    if d["q1_A-1"] is not None and xy.data["q1_A-1"] is not None:
        assert d["q1_A-1"] == pytest.approx(xy.data["q1_A-1"], abs=0.02)


@pytest.mark.image
def test_image_with_a_missing_poni(shared_data, cli, tmp_path, one_line_error):
    pytest.importorskip("pyFAI")
    folder = shared_data / "xrd" / "dioptas"
    missing = tmp_path / "nope.poni"
    run = cli(["scatter", folder / "CeO2_Pilatus1M.tif", "--poni", missing, "--composition", "CeO2",
               "--density", "7.2", "--out", tmp_path / "o"])
    one_line_error(run, str(missing), "not found")
