"""Fan-out of independent frames, files or patterns to worker processes.

``map_frames(func, items)`` returns ``[func(x) for x in items]`` in order, computed

* in this process when there is one item or ``workers=1``;
* by a local :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method: no fork of a process
  that may hold threads) with ``workers`` processes (default: the CPUs this process may use);
* by a dask.distributed cluster when ``scheduler`` is an address (``"tcp://host:8786"``) or a
  ``distributed.Client`` — the same code path from a laptop to a cluster; dask is imported only then.

``func`` and the items must be picklable (``func`` a module-level function, or a functools.partial of one).
Exceptions raised by ``func`` reach the caller unchanged (an InputError from a worker keeps its message).

Each worker uses one BLAS/OpenMP thread, so that N processes do not oversubscribe the cores: local workers
inherit OMP/OPENBLAS/MKL/… ``_NUM_THREADS=1`` from the environment they are spawned with (set here around their
start, then restored), and :func:`limit_threads` runs in every worker — it sets the same variables and, where
threadpoolctl is installed, caps the thread pools of BLAS libraries already loaded. dask's nanny already starts
its workers with OMP/MKL/OPENBLAS_NUM_THREADS=1 (``distributed.nanny.pre-spawn-environ``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import InputError, MissingDependencyError

__all__ = ["BLAS_THREAD_VARIABLES", "default_workers", "limit_threads", "map_frames"]

BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def default_workers() -> int:
    """The number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def limit_threads(n: int = 1) -> dict:
    """Set the BLAS/OpenMP thread variables to ``n`` and cap loaded BLAS pools (threadpoolctl, if installed).

    Returns what was done (for the record of a run)."""
    for var in BLAS_THREAD_VARIABLES:
        os.environ[var] = str(n)
    done = {"env": {v: str(n) for v in BLAS_THREAD_VARIABLES}, "threadpoolctl": False}
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return done
    threadpool_limits(limits=n)
    done["threadpoolctl"] = True
    return done


@contextlib.contextmanager
def _single_thread_environment() -> Iterator[None]:
    saved = {v: os.environ.get(v) for v in BLAS_THREAD_VARIABLES}
    try:
        for v in BLAS_THREAD_VARIABLES:
            os.environ[v] = "1"
        yield
    finally:
        for v, old in saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


def map_frames(func: Callable[[Any], Any], items: Iterable, workers: int | None = None,
               scheduler: str | Any | None = None, on_done: Callable[[int, int], None] | None = None) -> list:
    """``[func(x) for x in items]``, fanned out to processes (module docstring); the order is kept.

    ``on_done(done, total)`` is called each time an item finishes (in completion order), for progress reports.
    """
    items = list(items)
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise InputError(f"workers must be a positive integer, got {workers!r}", field="workers")
    tick = on_done or (lambda done, total: None)
    if scheduler is not None:
        return _map_dask(func, items, scheduler, tick)
    n = min(default_workers() if workers is None else workers, len(items))
    if n <= 1:
        out = []
        for x in items:
            out.append(func(x))
            tick(len(out), len(items))
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=limit_threads) as pool:
        with _single_thread_environment():  # workers are spawned while the items are submitted
            futures = [pool.submit(func, x) for x in items]
        for done, _ in enumerate(as_completed(futures), start=1):
            tick(done, len(items))
        return [f.result() for f in futures]


def _map_dask(func: Callable, items: list, scheduler, tick: Callable[[int, int], None]) -> list:
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError("dask[distributed]", "parallel", "--scheduler") from None
    own = isinstance(scheduler, str)
    if own:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")):
            raise InputError(f"scheduler must be an address such as tcp://host:8786, got {scheduler!r}",
                             field="scheduler")
        try:
            client = Client(scheduler, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot connect to the dask scheduler at {scheduler}: {exc}", field="scheduler") \
                from None
    else:
        client = scheduler
    try:
        if not items:
            return []
        client.run(limit_threads)
        futures = client.map(func, items, pure=False)
        out = []
        for f in futures:  # in order: the count is exact, the time left an estimate
            out.append(f.result())
            tick(len(out), len(items))
        return out
    finally:
        if own:
            client.close()
