"""Running one fuzz case and judging it (imported by basename from the fuzz tests; not a test module).

A case is an argument list for ``hpglass`` and a folder holding the (mutated) input files. It runs in a forked
child of a warm interpreter (``_fuzz_zygote.py``), or, for a small sample, as a real ``hpglass`` subprocess.
The contract of issue 14 checked on every case:

* exit 0 with one JSON document on stdout (every command is given ``--json``), stderr lines only ``warning: …`` /
  ``note: …``; or exit 2 with exactly one stderr line ``hpglass: error: …`` and nothing on stdout;
* no Python traceback or warning anywhere; no hang (wall-clock limit, default 60 s);
* no input file modified (hashes of the case folder's files before and after);
* no file left in OUT when the command fails, no temp file left in OUT when it succeeds;
* memory: the child runs under ``RLIMIT_AS`` (:data:`AS_LIMIT_BYTES`; a ``MemoryError`` is a traceback, so a
  case that would need more fails) and its peak RSS must stay under :data:`RSS_LIMIT_BYTES`.

Environment: ``HPGLASS_FUZZ_EXAMPLES`` (generated cases in all, spread over the commands by weight; default:
the fast form's count), ``HPGLASS_FUZZ_COLLECT=1`` (record violations and go on; the session fails at its end,
see conftest), ``HPGLASS_FUZZ_SAVE=DIR`` (copy the case folder of each violation there),
``HPGLASS_FUZZ_TIMEOUT`` (seconds per case, default 60).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: the hidden temp-file names of hpglass.io.atomic: ``.{stem}.{12 hex digits}.tmp{suffix}``
_TEMP_NAME = re.compile(r"\.(?P<stem>.+)\.[0-9a-f]{12}\.tmp(?P<suffix>\.[^.]+)?")
GIB = 1024**3
#: address space of one case: 2 GiB of work above the ~0.6 GiB that the warm interpreter's imports take
AS_LIMIT_BYTES = int(float(os.environ.get("HPGLASS_FUZZ_AS_GIB", "3")) * GIB)
#: peak resident memory of one case (issue 14: under 2 GB for inputs under 200 MB)
RSS_LIMIT_BYTES = 2 * 10**9
TIMEOUT_S = float(os.environ.get("HPGLASS_FUZZ_TIMEOUT", "60"))
COLLECT = os.environ.get("HPGLASS_FUZZ_COLLECT", "") not in ("", "0")
SAVE_DIR = os.environ.get("HPGLASS_FUZZ_SAVE")
#: generated cases in all; the fast form's default fits the 2-minute budget of `make test` (see README)
TOTAL_EXAMPLES = int(os.environ.get("HPGLASS_FUZZ_EXAMPLES", "0") or 0)
LONG_FORM = TOTAL_EXAMPLES > 0

#: one record per case run in this process (conftest prints the summary)
RECORDS: list[dict] = []

_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0", "COLUMNS": "120", "NO_COLOR": "1"}


def examples(weight: float, fast: int) -> int:
    """Cases for one test: ``fast`` in the fast form, ``weight`` × HPGLASS_FUZZ_EXAMPLES in the long one."""
    return max(1, round(weight * TOTAL_EXAMPLES)) if LONG_FORM else fast


@dataclass
class Outcome:
    argv: list[str]
    rc: int | None
    signal: int | None
    timed_out: bool
    seconds: float
    maxrss_kb: int
    stdout: str
    stderr: str
    how: str = "fork"


class Runner:
    """The warm interpreter: started on first use, one per test process."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.base_vm_kb = 0
        self.base_rss_kb = 0
        self.scratch = Path(tempfile.mkdtemp(prefix="hpglass-fuzz-io-"))

    def _start(self) -> None:
        env = os.environ | _ENV
        self.proc = subprocess.Popen([sys.executable, "-u", str(Path(__file__).with_name("_fuzz_zygote.py"))],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, text=True, cwd=str(self.scratch))
        hello = json.loads(self.proc.stdout.readline())
        self.base_vm_kb, self.base_rss_kb = hello["vm_kb"], hello["rss_kb"]

    def run(self, argv: list[str], cwd: Path, timeout_s: float = TIMEOUT_S) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        out_p, err_p = self.scratch / "stdout", self.scratch / "stderr"
        req = {"argv": [str(a) for a in argv], "cwd": str(cwd), "timeout_s": timeout_s,
               "as_limit_bytes": AS_LIMIT_BYTES, "stdout_path": str(out_p), "stderr_path": str(err_p)}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        rep = json.loads(self.proc.stdout.readline())
        return Outcome(req["argv"], rep["rc"], rep["signal"], rep["timed_out"], rep["seconds"], rep["maxrss_kb"],
                       _read(out_p), _read(err_p))

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""


def hpglass_command() -> list[str]:
    exe = Path(sys.executable).with_name("hpglass")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from hpglass.cli.main import main; main()"]


def run_subprocess(argv: list[str], cwd: Path, timeout_s: float = TIMEOUT_S) -> Outcome:
    """The real entry point in its own process, under the same address-space limit."""

    def limit() -> None:
        os.setpgrp()
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT_BYTES, AS_LIMIT_BYTES))

    t0 = time.monotonic()
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        proc = subprocess.Popen(hpglass_command() + [str(a) for a in argv], cwd=cwd, stdout=fo, stderr=fe,
                                stdin=subprocess.DEVNULL, env=os.environ | _ENV, preexec_fn=limit)
        timed_out = False
        deadline = t0 + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                timed_out = True
                os.killpg(proc.pid, 9)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = 0  # reaped above; keep Popen from waiting again
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read().decode("utf-8", "replace"), fe.read().decode("utf-8", "replace")
    rc, sig = (None, os.WTERMSIG(status)) if os.WIFSIGNALED(status) else (os.WEXITSTATUS(status), None)
    return Outcome([str(a) for a in argv], rc, sig, timed_out, time.monotonic() - t0, usage.ru_maxrss, out, err,
                   how="subprocess")


# -- judging --------------------------------------------------------------------------------------------------------
def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def violations(o: Outcome, *, out_dir: Path | None = None, before: dict[str, str] | None = None,
               inputs: Path | None = None, expect: str | None = None) -> list[str]:
    """What in this outcome breaks the contract (empty: nothing). ``expect`` = "fail" when exit 2 is required."""
    bad: list[str] = []
    err_lines = [ln for ln in o.stderr.splitlines() if ln.strip()]
    if o.timed_out:
        bad.append(f"hang: still running after {o.seconds:.0f} s")
    elif o.rc is None:
        bad.append(f"killed by signal {o.signal}")
    if "Traceback (most recent call last)" in o.stderr or "Traceback (most recent call last)" in o.stdout:
        bad.append("traceback")
    elif o.rc not in (0, 2, None):
        bad.append(f"exit status {o.rc}")
    if any("Warning:" in ln or "Warning)" in ln for ln in err_lines) or "Warning:" in o.stdout:
        bad.append("a Python warning leaked")
    if o.rc == 0:
        if expect == "fail":
            bad.append("accepted (exit 0) where exit 2 was expected")
        if not _is_json(o.stdout):
            bad.append("exit 0 but stdout is not one JSON document")
        stray = [ln for ln in err_lines if not ln.startswith(("warning:", "note:"))]
        if stray:
            bad.append(f"exit 0 with stderr lines other than warning:/note: ({stray[0][:120]!r})")
        if out_dir is not None and out_dir.exists():
            tmp = [p.name for p in out_dir.rglob("*") if _TEMP_NAME.fullmatch(p.name)]
            if tmp:
                bad.append(f"temp files left in OUT: {tmp[:3]}")
    elif o.rc == 2:
        if len(err_lines) != 1 or not err_lines[0].startswith("hpglass: error: "):
            bad.append(f"exit 2 but stderr is not exactly one 'hpglass: error:' line ({len(err_lines)} lines)")
        if o.stdout.strip():
            bad.append("exit 2 with output on stdout")
        if out_dir is not None and out_dir.exists() and any(out_dir.rglob("*")):
            bad.append(f"failed but left files in OUT: {sorted(p.name for p in out_dir.rglob('*'))[:5]}")
    if inputs is not None and before is not None and tree_hashes(inputs) != before:
        bad.append("an input file was modified")
    if o.maxrss_kb * 1024 > RSS_LIMIT_BYTES:
        bad.append(f"peak RSS {o.maxrss_kb / 1024**2:.2f} GiB over the limit")
    return bad


def record(command: str, o: Outcome, bad: list[str], case_dir: Path | None, note: str = "") -> None:
    """Keep the case for the summary; in the fast form a violation fails the test, in the long form it is kept
    (and the case folder copied to HPGLASS_FUZZ_SAVE) and the session fails at its end."""
    saved = None
    if bad and SAVE_DIR and case_dir is not None and case_dir.exists():
        saved = Path(SAVE_DIR) / f"{command.replace(' ', '_')}_{len(RECORDS):05d}"
        shutil.copytree(case_dir, saved, dirs_exist_ok=True)
        (saved / "case.json").write_text(json.dumps({"argv": o.argv, "rc": o.rc, "violations": bad,
                                                     "note": note, "stderr": o.stderr[-4000:]}, indent=1))
    RECORDS.append({"command": command, "rc": o.rc, "seconds": round(o.seconds, 3), "maxrss_kb": o.maxrss_kb,
                    "timed_out": o.timed_out, "traceback": "traceback" in bad, "violations": bad, "how": o.how,
                    "note": note, "argv": o.argv, "stderr_tail": o.stderr[-600:] if bad else "",
                    "saved": str(saved) if saved else None})
    if bad and not COLLECT:
        raise AssertionError(f"hpglass {' '.join(o.argv)}\n{note}\nviolations: {bad}\nexit {o.rc}\n"
                             f"stderr:\n{o.stderr[-3000:]}\nstdout:\n{o.stdout[:500]}")


@dataclass
class Case:
    """A folder with the case's input files (copies, so that a modified input is seen) and its OUT path."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def new(cls, base: Path) -> Case:
        return cls(Path(tempfile.mkdtemp(prefix="case-", dir=base)))

    @property
    def inputs(self) -> Path:
        p = self.root / "in"
        p.mkdir(exist_ok=True)
        return p

    @property
    def out(self) -> Path:
        return self.root / "out"

    def put(self, name: str, data: bytes) -> Path:
        p = self.inputs / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        self.files[name] = p
        return p

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
