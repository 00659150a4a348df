"""integrate_image: the CeO2 Pilatus image against Dioptas's own integration, masks, errors."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

from hpglass.errors import InputError, MissingDependencyError
from hpglass.io import integrate_image, read_pattern

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
    """Integrated like the Dioptas file was: 1512 bins in 2θ, no polarization, no mask, Dioptas's image frame."""
    tif, poni, _ = ceo2
    return integrate_image(tif, poni, npt=1512, unit="2theta", polarization=None, frame="dioptas")


@image_test
def test_matches_dioptas_integration(ceo2, ceo2_2theta):
    """Peak positions agree with Dioptas's CeO2_Pilatus1M.xy to 0.2 pixel (0.0094°).

    Same geometry, same bins (1512 over the same 2θ range), same pyFAI pixel splitting: positions can differ only by
    how pyFAI versions split pixels, a small fraction of a pixel. A geometry error is not small: the image in the
    wrong frame puts the first peak 0.8° (17 pixels) away.
    """
    ref = read_pattern(ceo2[2])
    p = ceo2_2theta
    assert len(p) == len(ref) == 1512
    np.testing.assert_allclose(p.x, ref.x, atol=1e-5)
    np.testing.assert_allclose(_peaks(p), _peaks(ref), atol=0.2 * PIXEL_DEG)
    assert np.corrcoef(p.y, ref.y)[0, 1] > 0.999


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
    """Documents why ``frame`` exists: the unflipped image does not give the CeO2 pattern."""
    tif, poni, _ = ceo2
    wrong = integrate_image(tif, poni, npt=1512, unit="2theta", polarization=None)
    assert abs(_peaks(wrong, 1)[0] - _peaks(ceo2_2theta, 1)[0]) > 10 * PIXEL_DEG


@image_test
def test_q_output(ceo2):
    tif, poni, _ = ceo2
    p = integrate_image(tif, poni, frame="dioptas")
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
    full = integrate_image(tif, poni, npt=500, unit="2theta", frame="dioptas")
    half = integrate_image(tif, poni, mask=tmp_path / "half.npy", npt=500, unit="2theta", frame="dioptas")
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
    text = poni.read_text().replace("SplineFile: None\n", "")
    oriented = tmp_path / "oriented.poni"
    oriented.write_text(text.replace("PixelSize1: 0.000172\nPixelSize2: 0.000172\n",
                                     'poni_version: 2.1\nDetector: Detector\nDetector_config: {"pixel1": 0.000172, '
                                     '"pixel2": 0.000172, "max_shape": null, "orientation": 3}\n'))
    with pytest.raises(InputError, match="frame='pyfai'"):
        integrate_image(tif, oriented, frame="dioptas")


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
    p = integrate_image(tif, bare, unit="2theta", npt=200, frame="dioptas")
    assert p.unit == "2theta" and p.wavelength is None
