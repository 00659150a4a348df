"""integrate_image: the CeO2 Pilatus image against Dioptas's own integration, the image frame read from the .poni
header, masks, errors."""

from __future__ import annotations

import builtins
import math
from pathlib import Path

import numpy as np
import pytest

from hpglass.errors import InputError, MissingDependencyError
from hpglass.io import integrate_image, read_pattern
from hpglass.io.images import poni_frame, poni_wavelength_A

try:  # image tests skip without the optional extra; the missing-dependency test runs either way
    import fabio  # noqa: F401
    import pyFAI  # noqa: F401

    HAVE_PYFAI = True
except ImportError:
    HAVE_PYFAI = False



def image_test(func):
    """Mark a test ``image`` and skip it when pyFAI/fabio are absent."""
    skip = pytest.mark.skipif(not HAVE_PYFAI, reason="pyFAI/fabio not installed: pip install 'hpglass[image]'")
    return pytest.mark.image(skip(func))


PIXEL_M = 172e-6  # Pilatus pixel (CeO2_Pilatus1M.poni PixelSize1/2)
DISTANCE_M = 0.208651380603  # CeO2_Pilatus1M.poni Distance
PIXEL_DEG = math.degrees(PIXEL_M / DISTANCE_M)  # 0.047°: the angle one pixel subtends near the beam
CEO2_A = 5.41165  # Å, CeO2 (NIST SRM 674b certificate value)


def _peaks(p, n=8):
    """x of the n strongest peaks, refined by a parabola through the top three points (sorted by x)."""
    from scipy.signal import find_peaks

    idx, _ = find_peaks(p.y, prominence=0.05 * p.y.max())
    idx = np.sort(idx[np.argsort(p.y[idx])[::-1][:n]])
    y0, y1, y2 = p.y[idx - 1], p.y[idx], p.y[idx + 1]
    step = p.x[idx + 1] - p.x[idx]
    return p.x[idx] + 0.5 * step * (y0 - y2) / (y0 - 2 * y1 + y2)


@pytest.fixture(scope="module")
def ceo2(shared_data):
    d = shared_data / "xrd" / "dioptas"
    return d / "CeO2_Pilatus1M.tif", d / "CeO2_Pilatus1M.poni", d / "CeO2_Pilatus1M.xy"


@pytest.fixture(scope="module")
def ceo2_2theta(ceo2):
    """Integrated like the Dioptas file was: 1512 bins in 2θ, no polarization, no mask; the frame left to ``auto``."""
    tif, poni, _ = ceo2
    return integrate_image(tif, poni, npt=1512, unit="2theta", polarization=None)


@image_test
def test_matches_dioptas_integration(ceo2, ceo2_2theta):
    """With the default ``frame="auto"`` the Dioptas calibration gives Dioptas's own CeO2_Pilatus1M.xy.

    Peak positions agree to 0.2 pixel (0.0094°): same geometry, same bins (1512 over the same 2θ range), same pyFAI
    pixel splitting, so they can differ only by how pyFAI versions split pixels. A geometry error is not small: the
    image in the wrong frame puts the strongest peak 0.8° (17 pixels) away.
    Intensities: ours / Dioptas's = cos 2θ within 2.5 % (0.88 at 30°). Measured here: without any solid-angle
    correction the file's values are the raw azimuthal average × cos⁻⁴ 2θ (to 1.7 %), where pyFAI 2026 divides by
    the solid angle, ≈ cos³ — the 2015 file carries one more 1/cos 2θ. The shape agrees beyond that smooth factor.
    """
    ref = read_pattern(ceo2[2])
    p = ceo2_2theta
    assert (p.meta["frame"], p.meta["frame_rule"]) == ("dioptas", "no-orientation")
    assert len(p) == len(ref) == 1512
    np.testing.assert_allclose(p.x, ref.x, atol=1e-5)
    np.testing.assert_allclose(_peaks(p), _peaks(ref), atol=0.2 * PIXEL_DEG)
    assert np.corrcoef(p.y, ref.y)[0, 1] > 0.999
    strong = ref.y > 0.1 * ref.y.max()  # the rings and the background under them; not the empty bins near 0°
    np.testing.assert_allclose(p.y[strong] / ref.y[strong], np.cos(np.radians(p.x[strong])), rtol=0.025)


@image_test
def test_auto_frame_is_the_dioptas_frame_and_says_why(ceo2, ceo2_2theta):
    """auto = dioptas for a .poni without an orientation entry, bit for bit; the decision is one printable line
    naming the file, the rule, the way out (frame pyfai) and how far apart the two frames put the pixels."""
    tif, poni, _ = ceo2
    given = integrate_image(tif, poni, npt=1512, unit="2theta", polarization=None, frame="dioptas")
    np.testing.assert_array_equal(given.y, ceo2_2theta.y)
    assert given.meta["frame_rule"] == "given"
    note = ceo2_2theta.meta["notes"][0]
    assert note == ceo2_2theta.meta["frame_note"] and "\n" not in note
    for words in ("CeO2_Pilatus1M.poni", "no detector orientation", "poni_version 1", "give frame pyfai"):
        assert words in note
    gap = float(note.rsplit("up to ", 1)[1].split("°")[0])
    assert 10 * PIXEL_DEG < gap < 1.0  # ~0.88°: rings move by many pixels in the wrong frame


@image_test
@pytest.mark.parametrize("orientation", [2, 3])
def test_a_poni_with_orientation_is_left_to_pyfai(ceo2, tmp_path, orientation):
    """A .poni that states its orientation (poni_version 2.1, written by pyFAI ≥ 2024 and by current Dioptas) is in
    pyFAI's frame: auto does not flip. Current Dioptas saves the CeO2 calibration with its orientation flipped to 2
    (``poni_flipud``); pyFAI then integrates the *unflipped* image to Dioptas's .xy — the same bins as the flipped
    image with the original file. With orientation 3 (pyFAI's native one) the same numbers describe another
    geometry, and the pattern is not CeO2's."""
    tif, poni, xy = ceo2
    oriented = _with_orientation(poni, tmp_path, orientation)
    p = integrate_image(tif, oriented, npt=1512, unit="2theta", polarization=None)
    assert (p.meta["frame"], p.meta["frame_rule"]) == ("pyfai", "orientation")
    assert f"orientation ({orientation}" in p.meta["notes"][0]
    ref = read_pattern(xy)
    if orientation == 2:
        np.testing.assert_allclose(_peaks(p), _peaks(ref), atol=0.2 * PIXEL_DEG)
    else:
        assert abs(_peaks(p, 1)[0] - _peaks(ref, 1)[0]) > 10 * PIXEL_DEG


def _with_orientation(poni, tmp_path, orientation):
    text = poni.read_text().replace("SplineFile: None\n", "")
    out = tmp_path / f"oriented{orientation}.poni"
    out.write_text(text.replace("PixelSize1: 0.000172\nPixelSize2: 0.000172\n",
                                'poni_version: 2.1\nDetector: Detector\nDetector_config: {"pixel1": 0.000172, '
                                f'"pixel2": 0.000172, "max_shape": [1043, 981], "orientation": {orientation}}}\n'))
    return out


@pytest.mark.parametrize(("name", "frame", "rule"), [
    ("CeO2_Pilatus1M.poni", "dioptas", "no-orientation"),  # Dioptas 2015, poni_version 1
    ("TransferCorrection/transfer.poni", "dioptas", "no-orientation"),  # Dioptas 2018, version 2, max_shape null
    ("LaB6_40keV_MarCCD.poni", "dioptas", "no-orientation"),  # two calibrations in one file: the last one counts
    ("CbnCorrectionOptimization/LaB6_40keV_side.poni", "dioptas", "no-orientation"),
])
def test_poni_frame_of_the_dioptas_test_calibrations(shared_data, name, frame, rule):
    """Every calibration in Dioptas's own test data lacks the orientation entry: all are read in Dioptas's frame."""
    got, why, reason = poni_frame(shared_data / "xrd" / "dioptas" / name)
    assert (got, why) == (frame, rule)
    assert Path(name).name in reason


def test_poni_frame_reads_the_header_not_the_comments(tmp_path):
    """Only a Detector_config entry counts: the word in a comment does not, a max_shape is mentioned as a hint, and a
    broken Detector_config is a one-line error naming the field."""
    base = "Distance: 0.2\nPoni1: 0.1\nPoni2: 0.1\nRot1: 0\nRot2: 0\nRot3: 0\nWavelength: 3.1e-11\n"
    commented = tmp_path / "c.poni"
    commented.write_text("# orientation: 3 (a comment)\n" + base)
    assert poni_frame(commented)[0] == "dioptas"
    shaped = tmp_path / "s.poni"
    shaped.write_text('poni_version: 2\nDetector: Detector\nDetector_config: {"pixel1": 1e-4, "pixel2": 1e-4, '
                      '"max_shape": [2048, 2048]}\n' + base)
    frame, _, reason = poni_frame(shaped)
    assert frame == "dioptas" and "max_shape [2048, 2048]" in reason
    oriented = tmp_path / "o.poni"
    oriented.write_text('poni_version: 2.1\nDetector_config: {"pixel1": 1e-4, "pixel2": 1e-4, "orientation": 3}\n'
                        + base)
    assert poni_frame(oriented)[:2] == ("pyfai", "orientation")
    broken = tmp_path / "b.poni"
    broken.write_text("poni_version: 2\nDetector_config: {pixel1: oops\n" + base)
    with pytest.raises(InputError, match=r"\[Detector_config\].*not valid JSON"):
        poni_frame(broken)


def test_poni_wavelength(shared_data, tmp_path):
    d = shared_data / "xrd" / "dioptas"
    assert poni_wavelength_A(d / "CeO2_Pilatus1M.poni") == 0.4066
    assert poni_wavelength_A(d / "TransferCorrection" / "transfer.poni") == 0.2952
    assert poni_wavelength_A(d / "LaB6_40keV_MarCCD.poni") == 0.31
    bare = tmp_path / "bare.poni"
    bare.write_text("Distance: 0.2\n")
    assert poni_wavelength_A(bare) is None


@image_test
def test_peaks_are_ceo2_reflections(ceo2_2theta):
    """Independent of Dioptas: the 8 strongest peaks sit at CeO2 (Fm-3m) reflections for λ = 0.4066 Å.

    Tolerance 0.02° (0.4 pixel, one bin): the calibration's distance and tilt are good to ~1e-4 relative, i.e.
    ≤ 0.005° at 25°, plus the sample's lattice parameter and temperature.
    """
    p = ceo2_2theta
    assert p.wavelength == pytest.approx(0.4066)
    hkl = [(1, 1, 1), (2, 0, 0), (2, 2, 0), (3, 1, 1), (3, 3, 1), (4, 2, 2), (5, 1, 1), (5, 3, 1)]
    expected = [math.degrees(2 * math.asin(p.wavelength * math.sqrt(h * h + k * k + m * m) / (2 * CEO2_A)))
                for h, k, m in hkl]
    np.testing.assert_allclose(_peaks(p), expected, atol=0.02)


@image_test
def test_pyfai_frame_with_a_dioptas_poni_is_wrong(ceo2, ceo2_2theta):
    """``frame="pyfai"`` still forces the unflipped image; for this Dioptas calibration that is not the CeO2 pattern
    (the strongest ring, 7.46°, splits into maxima at 6.67° and 8.25°), and the note says auto would flip."""
    tif, poni, _ = ceo2
    wrong = integrate_image(tif, poni, npt=1512, unit="2theta", polarization=None, frame="pyfai")
    assert (wrong.meta["frame"], wrong.meta["frame_rule"]) == ("pyfai", "given")
    assert wrong.meta["notes"] == ["image frame pyfai (given); auto would pick dioptas"]
    assert abs(_peaks(wrong, 1)[0] - _peaks(ceo2_2theta, 1)[0]) > 10 * PIXEL_DEG


@image_test
def test_q_output(ceo2):
    tif, poni, _ = ceo2
    p = integrate_image(tif, poni)
    assert (p.unit, len(p), p.wavelength) == ("q_A", 3000, pytest.approx(0.4066))
    assert p.meta["frame"] == "dioptas" and p.meta["mask"] is None
    q111 = 2 * math.pi * math.sqrt(3) / CEO2_A  # strongest CeO2 line
    assert p.x[np.argmax(p.y)] == pytest.approx(q111, abs=2 * (p.x[1] - p.x[0]))


@image_test
def test_npy_mask_excludes_pixels(ceo2, tmp_path):
    tif, poni, _ = ceo2
    mask = np.zeros((1043, 981), dtype=np.int8)
    mask[:, :490] = 1  # left half
    np.save(tmp_path / "half.npy", mask)
    full = integrate_image(tif, poni, npt=500, unit="2theta")
    half = integrate_image(tif, poni, mask=tmp_path / "half.npy", npt=500, unit="2theta")
    assert half.meta["masked_pixels"] == 1043 * 490
    assert not np.allclose(full.y, half.y)
    assert abs(_peaks(full, 1)[0] - _peaks(half, 1)[0]) < 0.5 * PIXEL_DEG  # same ring, fewer pixels


@image_test
def test_dioptas_mask_of_wrong_shape_names_both_files(ceo2, shared_data):
    tif, poni, _ = ceo2
    mask = shared_data / "xrd" / "dioptas" / "test.mask"  # a 2048×2048 Dioptas mask (a tif fabio reads)
    with pytest.raises(InputError) as err:
        integrate_image(tif, poni, mask=mask)
    msg = str(err.value)
    assert str(mask) in msg and str(tif) in msg
    assert "(2048, 2048)" in msg and "(1043, 981)" in msg


@image_test
def test_array_mask_of_wrong_shape(ceo2):
    tif, poni, _ = ceo2
    with pytest.raises(InputError, match="mask <mask array> has shape"):
        integrate_image(tif, poni, mask=np.zeros((10, 10)))


@image_test
def test_missing_and_unreadable_files(ceo2, tmp_path):
    tif, poni, _ = ceo2
    with pytest.raises(InputError, match="image file not found"):
        integrate_image(tmp_path / "none.tif", poni)
    with pytest.raises(InputError, match="calibration"):
        integrate_image(tif, tmp_path / "none.poni")
    junk = tmp_path / "junk.tif"
    junk.write_text("not an image")
    with pytest.raises(InputError, match="cannot read image"):
        integrate_image(junk, poni)


@image_test
@pytest.mark.parametrize(("kwargs", "words"), [
    ({"unit": "q_nm"}, "unknown output unit"),
    ({"npt": 1}, "npt"),
    ({"polarization": 1.5}, "polarization"),
    ({"frame": "fit2d"}, "unknown image frame"),
])
def test_bad_arguments(ceo2, kwargs, words):
    tif, poni, _ = ceo2
    with pytest.raises(InputError, match=words):
        integrate_image(tif, poni, **kwargs)


@image_test
def test_dioptas_frame_refused_for_a_poni_with_orientation(ceo2, tmp_path):
    tif, poni, _ = ceo2
    with pytest.raises(InputError, match="frame='pyfai'"):
        integrate_image(tif, _with_orientation(poni, tmp_path, 3), frame="dioptas")


def test_missing_pyfai_raises_missing_dependency(monkeypatch):
    real_import = builtins.__import__

    def no_pyfai(name, *args, **kwargs):
        if name in ("pyFAI", "fabio"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyfai)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hpglass\[image\]'"):
        integrate_image(np.ones((4, 4)), "any.poni")


@image_test
def test_poni_without_wavelength(ceo2, tmp_path):
    tif, poni, _ = ceo2
    bare = tmp_path / "bare.poni"
    bare.write_text(poni.read_text().replace("Wavelength: 4.066e-11\n", ""))
    with pytest.raises(InputError, match="no wavelength"):
        integrate_image(tif, bare)
    p = integrate_image(tif, bare, unit="2theta", npt=200)
    assert p.unit == "2theta" and p.wavelength is None
