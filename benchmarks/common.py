"""Shared by the benchmark scripts: the machine line printed beside the numbers, and the README block rewrite."""

from __future__ import annotations

import argparse
import os
import platform
import re
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def replace_block(readme: Path, begin: str, end: str, block: str) -> None:
    """Rewrite the text between the ``begin`` and ``end`` markers of ``readme`` (atomically: temp file + rename)."""
    text = readme.read_text(encoding="utf-8")
    if begin not in text or end not in text:
        raise SystemExit(f"{readme}: markers {begin} … {end} not found")
    new = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: f"{begin}\n{block}\n{end}", text, flags=re.S)
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(readme)


def coverage_arguments(description: str, argv=None) -> tuple[argparse.Namespace, int]:
    """The options every coverage script takes (--quick, --n, --seed, --only) and the replica count they give."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help="60 replicas per case")
    ap.add_argument("--n", type=int, default=None, help="replicas per case (default 400, --quick 60)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--only", default="", help="run only cases whose family or name contains this")
    a = ap.parse_args(argv)
    return a, a.n or (60 if a.quick else 400)
