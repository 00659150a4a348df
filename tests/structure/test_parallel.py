"""map_frames: local process pool and a dask.distributed cluster on loopback give the serial results."""

from __future__ import annotations

import os
from functools import partial

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.parallel import map_frames
from hpglass.structure.pair import pair_distribution
from hpglass.structure.random_cell import random_packing


def _env_threads(_):
    """Runs in a worker: the BLAS/OpenMP thread settings it sees."""
    return os.environ.get("OMP_NUM_THREADS"), os.environ.get("OPENBLAS_NUM_THREADS"), os.getpid()


def _fail(x):
    raise InputError(f"bad frame {x}", source="traj.extxyz")


@pytest.fixture(scope="module")
def frames():
    return [random_packing("Sb2Se3", 120, 5.0, 2.3, seed=s) for s in range(4)]


def _counts(results):
    return [r.counts for r in results]


def test_process_pool_equals_serial(frames):
    func = partial(pair_distribution, r_max=6.0, dr=0.01)
    serial = map_frames(func, frames, workers=1)
    pooled = map_frames(func, frames, workers=2)
    assert len(pooled) == len(frames)
    for a, b in zip(serial, pooled):
        np.testing.assert_array_equal(a.counts, b.counts)
        assert a.volume == b.volume


def test_workers_use_one_blas_thread():
    before = os.environ.get("OMP_NUM_THREADS")
    got = map_frames(_env_threads, range(4), workers=2)
    assert all(g[0] == "1" and g[1] == "1" for g in got)
    assert len({g[2] for g in got} - {os.getpid()}) >= 1  # ran in other processes
    assert os.environ.get("OMP_NUM_THREADS") == before  # the parent's environment is restored


def test_worker_error_reaches_caller():
    with pytest.raises(InputError, match="bad frame 1"):
        map_frames(_fail, [1, 2], workers=2)


def test_bad_arguments():
    with pytest.raises(InputError, match="workers"):
        map_frames(len, [[1]], workers=0)
    with pytest.raises(InputError, match="scheduler"):
        map_frames(len, [[1]], scheduler="localhost:8786")
    assert map_frames(len, [], workers=3) == []


def test_dask_local_cluster(frames):
    distributed = pytest.importorskip("distributed")
    func = partial(pair_distribution, r_max=6.0, dr=0.01)
    serial = map_frames(func, frames, workers=1)
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = map_frames(func, frames, scheduler=cluster.scheduler_address)
        env = map_frames(_env_threads, range(2), scheduler=cluster.scheduler_address)
    for a, b in zip(serial, remote):
        np.testing.assert_array_equal(a.counts, b.counts)
    assert all(e[0] == "1" for e in env)


def _square(x):
    return x * x


@pytest.mark.parametrize("workers", [1, 2])
def test_map_frames_reports_progress_in_order(workers):
    """on_done(done, total) once per item, done counting up to total; results keep the input order."""
    from hpglass.parallel import map_frames

    ticks = []
    out = map_frames(_square, range(6), workers=workers, on_done=lambda d, t: ticks.append((d, t)))
    assert out == [x * x for x in range(6)]
    assert ticks == [(k, 6) for k in range(1, 7)]
