"""Shared CLI plumbing: one-line errors with exit code 2, JSON output, progress bars."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import typer
from rich.console import Console

from ..errors import HpglassError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def dumps(obj: Any) -> str:
    """JSON with NaN/inf as null and numpy types converted."""
    return json.dumps(_jsonable(obj), indent=2, ensure_ascii=False)


def fail(message: str, code: int = 2) -> None:
    err_console.print(f"hpglass: error: {message}", markup=False)
    raise typer.Exit(code)


def handle_errors(func: Callable) -> Callable:
    """Turn HpglassError (and file-system errors) into one line on stderr and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except HpglassError as exc:
            fail(str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            fail(f"{where}{exc.strerror or exc}")

    return wrapper


def echo_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def status(message: str, quiet: bool):
    """A spinner on stderr while work runs (nothing when ``quiet``, e.g. with --json)."""
    import contextlib

    return contextlib.nullcontext() if quiet else err_console.status(message, spinner="dots")
