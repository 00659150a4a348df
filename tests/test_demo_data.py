"""The bundled demo files are what ``make_demo_xrd`` makes (so the demo's 'truth' is the stated one)."""

import numpy as np
import pytest

from hpglass.demo_data import DEMO_XRD, demo_folder, make_demo_transport, make_demo_xrd
from hpglass.io import read_pattern


def test_bundled_files_regenerate(tmp_path):
    for name, text in make_demo_xrd().items():
        fresh = tmp_path / name
        fresh.write_text(text)
        a, b = read_pattern(demo_folder() / name), read_pattern(fresh)
        assert a.unit == b.unit == "2theta" and a.wavelength == b.wavelength == DEMO_XRD["wavelength_A"]
        np.testing.assert_allclose(a.x, b.x, rtol=1e-7)
        # 8 significant digits in the file; xraylib/numpy updates may move the last one
        np.testing.assert_allclose(a.y, b.y, rtol=1e-6)
        assert "SYNTHETIC" in (demo_folder() / name).read_text().splitlines()[0]


def test_bundled_transport_files_regenerate():
    for name, text in make_demo_transport().items():
        bundled = (demo_folder() / name).read_text()
        assert "SYNTHETIC" in bundled
        fresh_rows = [line.split(",") for line in text.splitlines() if line[:1] in ",0123456789"]
        old_rows = [line.split(",") for line in bundled.splitlines() if line[:1] in ",0123456789"]
        assert len(fresh_rows) == len(old_rows)
        for a, b in zip(fresh_rows, old_rows, strict=True):
            np.testing.assert_allclose([float(v) for v in a if v and v[0] not in "cd"],
                                       [float(v) for v in b if v and v[0] not in "cd"], rtol=1e-6)


@pytest.mark.slow
def test_bundled_series_regenerates():
    """The series files are what make_demo_series makes (≈ 10 s: η is solved through the peak fit)."""
    from hpglass.demo_data import DEMO_SERIES, make_demo_series

    folder = demo_folder() / "series"
    fresh = make_demo_series()
    assert set(fresh) == {p.name for p in folder.iterdir()}
    assert fresh[DEMO_SERIES["manifest"]] == (folder / DEMO_SERIES["manifest"]).read_text()
    for name in list(fresh)[:3]:
        if name.endswith(".xy"):
            a = np.array([[float(v) for v in ln.split()] for ln in fresh[name].splitlines() if ln[:1] != "#"])
            b = np.loadtxt(folder / name)
            np.testing.assert_allclose(a, b, rtol=1e-6)
