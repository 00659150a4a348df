"""Dioptas's transfer-function correction (T = response / original, image / T) on Dioptas's own TransferCorrection
images, its checks and its CLI options."""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.io import integrate_image
from hpglass.io.images import transfer_function

try:
    import fabio
    import pyFAI  # noqa: F401

    HAVE_PYFAI = True
except ImportError:
    HAVE_PYFAI = False

needs_pyfai = pytest.mark.skipif(not HAVE_PYFAI, reason="pyFAI/fabio not installed: pip install 'hpglass[image]'")


def test_transfer_function_is_response_over_original():
    """T = response / original; correcting the response image gives the original back; pixels where either image
    is ≤ 0 or not finite have no T (masked by the caller, T = 1 there)."""
    original = np.array([[2.0, 4.0, 0.0], [5.0, -1.0, np.nan]])
    response = np.array([[1.0, 6.0, 3.0], [5.0, -1.0, 2.0]])
    t, invalid = transfer_function(original, response)
    np.testing.assert_array_equal(invalid, [[False, False, True], [False, True, True]])
    np.testing.assert_allclose(t[~invalid], [0.5, 1.5, 1.0])
    np.testing.assert_array_equal(t[invalid], 1.0)
    np.testing.assert_allclose((response / t)[~invalid], original[~invalid])
    with pytest.raises(InputError, match=r"\[transfer\].*original \(2, 3\), response \(3, 2\)"):
        transfer_function(original, response.T)


@pytest.fixture(scope="module")
def transfer_files(shared_data):
    d = shared_data / "xrd" / "dioptas" / "TransferCorrection"
    return d / "original.tif", d / "response.tif", d / "transfer.poni"


@pytest.fixture(scope="module")
def transfer_images(transfer_files):
    if not HAVE_PYFAI:
        pytest.skip("pyFAI/fabio not installed: pip install 'hpglass[image]'")
    original, response, _ = transfer_files
    return fabio.open(str(original)).data.astype(float), fabio.open(str(response)).data.astype(float)


@needs_pyfai
@pytest.mark.image
@pytest.mark.parametrize("frame", ["auto", "pyfai"])
def test_correcting_the_response_image_gives_the_original_pattern(transfer_files, transfer_images, frame):
    """Dioptas's identity: response / T = original pixel by pixel, so the corrected response image integrates to the
    original image's pattern (same bins, the same pixels masked) — to float rounding (rtol 1e-9). In both frames: the
    transfer images are read in the image's raw frame and flipped with it (auto = dioptas for transfer.poni)."""
    original, response, poni = transfer_files
    o, r = transfer_images
    invalid = (o <= 0) | (r <= 0)
    corrected = integrate_image(response, poni, npt=400, frame=frame, transfer=(original, response))
    mask = invalid[::-1] if corrected.meta["frame"] == "dioptas" else invalid  # a mask is in the calibration frame
    plain = integrate_image(original, poni, npt=400, frame=frame, mask=mask.astype(np.int8))
    assert corrected.meta["frame"] == ("dioptas" if frame == "auto" else "pyfai")
    np.testing.assert_allclose(corrected.x, plain.x, rtol=1e-12)
    np.testing.assert_allclose(corrected.y, plain.y, rtol=1e-9)
    assert corrected.meta["masked_pixels"] == plain.meta["masked_pixels"] == np.count_nonzero(invalid)


@needs_pyfai
@pytest.mark.image
def test_size_of_the_correction_on_the_dioptas_images(transfer_files, transfer_images):
    """What the correction does to these two files, measured (not a physical law): the azimuthal average of the
    response image is 0.91 of the original's at 7–19° 2θ and 1.02 at 23–37°, so the correction raises the first range
    by ~10 % and lowers the second by ~2 %; per pixel T has median 1.01 (counting noise spreads it, 5–95 % 0.84–2.05).
    The gap pixels of the Pilatus (≤ 0 in both images) are masked and counted."""
    original, response, poni = transfer_files
    o, r = transfer_images
    mask = ((o <= 0) | (r <= 0))[::-1].astype(np.int8)
    before = integrate_image(response, poni, npt=300, unit="2theta", polarization=None, mask=mask)
    after = integrate_image(response, poni, npt=300, unit="2theta", polarization=None,
                            transfer=(original, response))
    orig = integrate_image(original, poni, npt=300, unit="2theta", polarization=None, mask=mask)
    ratio = before.y / orig.y
    low, high = (before.x > 7) & (before.x < 19), (before.x > 23) & (before.x < 37)
    assert np.median(ratio[low]) == pytest.approx(0.91, abs=0.02)
    assert np.median(ratio[high]) == pytest.approx(1.02, abs=0.02)
    np.testing.assert_allclose(after.y, orig.y, rtol=1e-9)
    m = after.meta["transfer"]
    assert m["masked_pixels"] == np.count_nonzero(mask) == 3374
    assert m["T_median"] == pytest.approx(np.median((r / o)[mask[::-1] == 0]))
    assert m["T_p05"] < 0.9 < 1.1 < m["T_p95"]
    note = after.meta["notes"][1]
    assert note.startswith("transfer correction: image / T, T = response / original") and "3374 pixels" in note


@needs_pyfai
@pytest.mark.image
def test_transfer_errors_name_the_files(transfer_files, shared_data, tmp_path):
    original, response, poni = transfer_files
    ceo2 = shared_data / "xrd" / "dioptas" / "CeO2_Pilatus1M.tif"
    ceo2_poni = ceo2.with_suffix(".poni")
    with pytest.raises(InputError) as err:  # transfer images of another detector
        integrate_image(ceo2, ceo2_poni, transfer=(original, response))
    msg = str(err.value)
    assert str(original) in msg and str(ceo2) in msg and "(195, 1475)" in msg and "(1043, 981)" in msg
    with pytest.raises(InputError, match="two images"):
        integrate_image(response, poni, transfer=original)
    with pytest.raises(InputError, match="transfer original file not found"):
        integrate_image(response, poni, transfer=(tmp_path / "none.tif", response))
    with pytest.raises(InputError, match="share no pixel"):
        integrate_image(response, poni, transfer=(np.zeros((195, 1475)), response))


# -- CLI: hpglass scatter --transfer-original/--transfer-response ---------------------------------------------------
def _cli(args):
    from typer.testing import CliRunner

    from hpglass.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("given", ["--transfer-original", "--transfer-response"])
def test_cli_transfer_options_come_in_pairs(tmp_path, given):
    """One of the two options alone is a one-line error (exit 2) naming the missing one, before any file is read."""
    sample = tmp_path / "s.xy"
    sample.write_text("1 1\n2 2\n")
    run = _cli(["scatter", sample, "--composition", "SiO2", "--density", "2.2", given, tmp_path / "x.tif",
                "--out", tmp_path / "o"])
    missing = ({"--transfer-original", "--transfer-response"} - {given}).pop()
    assert run.exit_code == 2
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hpglass: error: ") and missing in lines[0]
    assert "Traceback" not in run.stderr + run.stdout


@needs_pyfai
@pytest.mark.image
def test_cli_transfer_options_reach_the_integration(transfer_files, shared_data, tmp_path):
    """``scatter`` hands the two files to integrate_image: a transfer image of another detector is the one-line
    shape error naming it (exit 2); ``load`` with the right pair returns the corrected pattern and its notes."""
    from hpglass.cli.scatter import load

    original, response, poni = transfer_files
    ceo2 = shared_data / "xrd" / "dioptas" / "CeO2_Pilatus1M.tif"
    run = _cli(["scatter", response, "--poni", poni, "--transfer-original", ceo2, "--transfer-response", response,
                "--composition", "SiO2", "--density", "2.2", "--out", tmp_path / "o"])
    assert run.exit_code == 2
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and str(ceo2) in lines[0] and "(1043, 981)" in lines[0] and "(195, 1475)" in lines[0]
    p = load(response, None, None, poni, None, "auto", original, response)
    assert p.meta["transfer"]["original"] == str(original) and p.meta["frame"] == "dioptas"
    assert len(p.meta["notes"]) == 2  # the frame decision and the transfer correction, one line each
