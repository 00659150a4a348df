"""Fixtures of the fuzz suite (issue 14): the warm case runner, a scratch folder, and the closing summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fuzz_harness as harness


@pytest.fixture(scope="session")
def fuzz_runner():
    runner = harness.Runner()
    yield runner
    runner.close()


@pytest.fixture(scope="session")
def fuzz_base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _summary(records: list[dict]) -> dict:
    by_cmd: dict[str, dict] = {}
    for r in records:
        c = by_cmd.setdefault(r["command"], {"cases": 0, "exit0": 0, "exit2": 0, "violations": 0, "max_s": 0.0,
                                             "peak_rss_MiB": 0.0})
        c["cases"] += 1
        c["exit0"] += r["rc"] == 0
        c["exit2"] += r["rc"] == 2
        c["violations"] += bool(r["violations"])
        c["max_s"] = round(max(c["max_s"], r["seconds"]), 2)
        c["peak_rss_MiB"] = round(max(c["peak_rss_MiB"], r["maxrss_kb"] / 1024), 1)
    return {
        "cases": len(records),
        "exit_0": sum(r["rc"] == 0 for r in records),
        "exit_2": sum(r["rc"] == 2 for r in records),
        "tracebacks": sum(r["traceback"] for r in records),
        "hangs_over_timeout": sum(r["timed_out"] for r in records),
        "timeout_s": harness.TIMEOUT_S,
        "inputs_modified": sum(any("input file was modified" in v for v in r["violations"]) for r in records),
        "files_left_in_out": sum(any("left files in OUT" in v or "temp files" in v for v in r["violations"])
                                 for r in records),
        "cases_with_violations": sum(bool(r["violations"]) for r in records),
        "peak_rss_MiB": round(max((r["maxrss_kb"] for r in records), default=0) / 1024, 1),
        "address_space_limit_GiB": round(harness.AS_LIMIT_BYTES / harness.GIB, 2),
        "slowest_case_s": round(max((r["seconds"] for r in records), default=0.0), 2),
        "total_case_s": round(sum(r["seconds"] for r in records), 1),
        "by_command": by_cmd,
        "violations": [{k: r[k] for k in ("command", "argv", "violations", "note", "stderr_tail", "saved")}
                       for r in records if r["violations"]],
    }


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    records = harness.RECORDS
    if not records:
        return
    s = _summary(records)
    tr = terminalreporter
    tr.section("hpglass fuzz summary (issue 14)")
    tr.write_line(f"cases {s['cases']} (exit 0: {s['exit_0']}, exit 2: {s['exit_2']}); tracebacks {s['tracebacks']}; "
                  f"hangs > {s['timeout_s']:g} s {s['hangs_over_timeout']}; inputs modified {s['inputs_modified']}; "
                  f"files left in OUT {s['files_left_in_out']}; cases with any violation "
                  f"{s['cases_with_violations']}")
    tr.write_line(f"peak RSS {s['peak_rss_MiB']} MiB (limit {harness.RSS_LIMIT_BYTES / 1e9:g} GB); address-space "
                  f"limit per case {s['address_space_limit_GiB']} GiB; slowest case {s['slowest_case_s']} s; "
                  f"time in cases {s['total_case_s']} s")
    for cmd, c in sorted(s["by_command"].items()):
        tr.write_line(f"  {cmd:<22} {c['cases']:5d} cases  exit0 {c['exit0']:4d}  exit2 {c['exit2']:4d}  "
                      f"violations {c['violations']:3d}  max {c['max_s']:6.2f} s  "
                      f"peak RSS {c['peak_rss_MiB']:7.1f} MiB")
    for v in s["violations"][:40]:
        tr.write_line(f"  VIOLATION {v['command']}: {v['violations']} — hpglass {' '.join(v['argv'])[:300]}"
                      + (f" [saved: {v['saved']}]" if v["saved"] else ""))
    path = os.environ.get("HPGLASS_FUZZ_REPORT")
    if path:
        Path(path).write_text(json.dumps(s, indent=1) + "\n")
        tr.write_line(f"summary written to {path}")


def pytest_sessionfinish(session, exitstatus):
    # the long form records violations instead of failing at the first: the session fails here
    if harness.COLLECT and any(r["violations"] for r in harness.RECORDS) and session.exitstatus == 0:
        session.exitstatus = 1
