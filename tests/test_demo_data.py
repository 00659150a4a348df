"""The bundled demo files are what ``make_demo_xrd`` makes (so the demo's 'truth' is the stated one)."""

import numpy as np

from hpglass.demo_data import DEMO_XRD, demo_folder, make_demo_xrd
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
