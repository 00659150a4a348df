"""The fuzz suite's case runner: a fresh Python that imports hpglass once, then forks one child per case.

Each child is as good as ``hpglass ARGS`` in its own process (its fds 1 and 2 go to files, so a C library or a
stray ``print`` that writes to stdout is caught; Python's default warning filters; its own process group), but
costs a fork instead of a 1.5 s interpreter start. The child runs under an address-space limit
(``RLIMIT_AS``) and a wall-clock limit; the parent reports exit status, peak RSS (``ru_maxrss`` of the child,
which includes the pages shared with this parent at fork time, so it is an upper bound) and time.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout; ``{"op": "quit"}`` ends it.
Started by ``_fuzz_harness.Runner``; not a test module.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys
import time
import traceback
import warnings


def _preimport() -> int:
    """Import what the commands import lazily (once, here), so each forked case starts warm; returns VmSize kB."""
    import importlib
    import pkgutil

    import hpglass
    import hpglass.cli.main  # noqa: F401

    for mod in pkgutil.walk_packages(hpglass.__path__, "hpglass."):
        if mod.name.startswith(("hpglass.simulate.calculators",)):
            continue  # imports torch: left to the child that needs it
        try:
            importlib.import_module(mod.name)
        except Exception:  # noqa: BLE001 - an optional extra that is not installed: the child will say so
            pass
    for name in ("matplotlib.pyplot", "scipy.optimize", "scipy.odr", "scipy.interpolate", "scipy.spatial",
                 "ase.io", "pydantic", "peritheos", "pyFAI", "pyFAI.integrator.azimuthal", "fabio", "ovito",
                 "matscipy.neighbours", "tomllib"):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            pass
    try:  # peritheos parses its whole catalogue (~4 s) on the first gold lookup; once here, not per case
        from hpglass.pressure._library import gold_material

        gold_material()
    except Exception:  # noqa: BLE001
        pass
    return _vm_kb("VmSize")


def _vm_kb(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def _child(req: dict) -> None:
    """Runs in the forked child: never returns."""
    code = 1
    try:
        os.setpgrp()
        os.chdir(req["cwd"])
        cap = int(req["as_limit_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        fd_in = os.open(os.devnull, os.O_RDONLY)
        fd_out = os.open(req["stdout_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fd_err = os.open(req["stderr_path"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd_in, 0)
        os.dup2(fd_out, 1)
        os.dup2(fd_err, 2)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        # a fresh interpreter's filters: what a user of `hpglass` would see on stderr
        warnings.resetwarnings()
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        for cat in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=cat)
        sys.argv = ["hpglass", *req["argv"]]
        from hpglass.cli.main import main

        try:
            main()
            code = 0
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                code = 1
    except BaseException:  # noqa: BLE001 - what the interpreter would do: traceback, status 1
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001
                pass
        os._exit(code & 0xFF if isinstance(code, int) else 1)


def _run(req: dict) -> dict:
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(req)
    pidfd = os.pidfd_open(pid)
    timed_out = False
    try:
        ready, _, _ = select.select([pidfd], [], [], float(req["timeout_s"]))
        if not ready:
            timed_out = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status, usage = os.wait4(pid, 0)
    finally:
        os.close(pidfd)
    try:  # grandchildren (a pool the case started) must not outlive it
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    seconds = time.monotonic() - t0
    if os.WIFSIGNALED(status):
        rc, sig = None, os.WTERMSIG(status)
    else:
        rc, sig = os.WEXITSTATUS(status), None
    return {"rc": rc, "signal": sig, "timed_out": timed_out, "seconds": seconds, "maxrss_kb": usage.ru_maxrss}


def main() -> None:
    base_vm = _preimport()
    out = sys.stdout
    out.write(json.dumps({"ready": True, "vm_kb": base_vm, "rss_kb": _vm_kb("VmRSS"), "pid": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("op") == "quit":
            break
        out.write(json.dumps(_run(req)) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
