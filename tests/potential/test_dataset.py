"""Candidate generation, farthest-point selection and resumable labelling."""

import numpy as np
import pytest
from ase.calculators.lj import LennardJones

from hpglass.errors import InputError
from hpglass.potential import dataset as ds


class CountingLJ(LennardJones):
    calls = 0

    def calculate(self, *args, **kwargs):
        CountingLJ.calls += 1
        super().calculate(*args, **kwargs)


def test_farthest_point_sampling_picks_extremes_first():
    x = np.array([[0.0], [1.0], [2.0], [10.0], [5.0], [9.9]])
    assert ds.farthest_point_sampling(x, 3) == [0, 3, 4]
    # already-chosen rows count as chosen and are not returned
    assert ds.farthest_point_sampling(x, 2, already=[0, 3]) == [4, 2]
    # duplicates contribute once: asking for more than the distinct points stops early
    dup = np.array([[1.0, 2.0]] * 5 + [[3.0, 1.0]])
    assert sorted(ds.farthest_point_sampling(dup, 4)) == [0, 5]
    with pytest.raises(InputError):
        ds.farthest_point_sampling(np.empty((0, 2)), 1)


def test_uid_depends_on_content_only():
    a = ds.crystal_candidates(1, seed=3)[0]
    b = a.copy()
    b.info.clear()
    assert ds.configuration_uid(b) == a.info["uid"]
    b.positions[0, 0] += 1e-3
    assert ds.configuration_uid(b) != a.info["uid"]


def test_crystal_candidates_span_the_volume_range_and_keep_composition():
    c = ds.crystal_candidates(20, seed=1)
    scales = [a.info["volume_scale"] for a in c]
    assert min(scales) >= 0.62 and max(scales) <= 1.04 and max(scales) - min(scales) > 0.2
    for a in c:
        s = a.get_chemical_symbols()
        assert s.count("Sb") * 3 == s.count("Se") * 2  # 2:3 in Pnma and in the bcc cells
    assert {a.info["structure"] for a in c} == {"pnma", "bcc"}


def test_labelling_resumes_without_repeating_work(tmp_path):
    configs = ds.crystal_candidates(4, seed=2)
    CountingLJ.calls = 0
    calc = CountingLJ(sigma=2.5, epsilon=0.01, rc=6.0)
    ds.label_configurations(configs[:2], calc, tmp_path / "lab", {"teacher": "lj"})
    first = CountingLJ.calls
    out = ds.label_configurations(configs, calc, tmp_path / "lab", {"teacher": "lj"})
    assert len(out) == 4 and CountingLJ.calls - first <= 2 * 3  # only the 2 new ones (≤ 3 calls each)
    assert [a.info["uid"] for a in out] == [a.info["uid"] for a in configs]
    path = ds.write_dataset(tmp_path / "d.extxyz", out, {"teacher": "lj"})
    back = ds.read_dataset(path)
    assert len(back) == 4
    assert np.allclose(back[1].get_forces(), out[1].get_forces())
    assert (tmp_path / "d.json").exists()


def test_read_dataset_refuses_unlabelled(tmp_path):
    from ase.io import write

    write(tmp_path / "x.extxyz", ds.crystal_candidates(1)[0])
    with pytest.raises(InputError, match="no energy"):
        ds.read_dataset(tmp_path / "x.extxyz")


def test_md_temperature_range_is_checked_before_any_work(tmp_path):
    from hpglass.potential.workflow import md_candidates

    with pytest.raises(InputError, match="MD temperatures"):
        md_candidates(tmp_path, 1, seed=0, temperatures_K=(700.0, 300.0))
