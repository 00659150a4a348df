"""A small study (three patterns, one R(T) file): the dask path, errors from a piece, partial data."""

from __future__ import annotations

import pytest

from hpglass.errors import InputError
from hpglass.study import parse_study, run_study


def _study(root, n=3, frames=False):
    files = ["series/series_000.6GPa.xy", "series/series_010.0GPa.xy", "series/series_023.0GPa.xy"][:n]
    data = {
        "study": {"name": "small"},
        "sample": {"composition": "Sb2Se3"},
        "diffraction": [{"name": "d", "wavelength_A": 0.2952, "background": "series/series_empty_cell.xy",
                         "files": files, "pressures_GPa": [0.6, 10.0, 23.0][:n],
                         "provenance": {"kind": "synthetic", "model": "hpglass.demo_data"}}],
        "transport": [{"name": "t", "curves": [{"file": "synthetic_RT_two_transitions_ETO.dat", "pressure_GPa": 51}],
                       "provenance": {"kind": "synthetic", "model": "hpglass.demo_data"}}],
    }
    return parse_study(data, source=root / "small.toml", base=root)


def test_dask_scheduler_runs_the_pieces(demo_copy, tmp_path):
    distributed = pytest.importorskip("distributed")
    study = _study(demo_copy.parent.parent)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = run_study(study, tmp_path / "out", scheduler=client, write=False)
    assert res.cache["pattern"]["computed"] == 3
    assert len(res.diffraction[0].points) == 3
    assert "q1_trend" in res.diffraction[0].notes  # 3 points cannot carry a two-segment fit: noted, not fatal
    assert res.transport[0].curves[0].superconducting
    assert res.phase_diagram.boundary("HDA/bcc") is not None  # crystallization between 10 and 23 GPa


def test_unreadable_pattern_names_its_field(demo_copy, tmp_path):
    root = demo_copy.parent.parent
    (root / "series" / "series_010.0GPa.xy").write_text("# nothing here\n")
    with pytest.raises(InputError) as info:
        run_study(_study(root), tmp_path / "out", workers=1, write=False)
    assert info.value.field == "diffraction[0].files[1]"
    assert "series_010.0GPa.xy" in str(info.value)
