"""Atomic writes: a reader never sees a half-written output file.

Every writer here writes to a temporary file in the destination's own directory (same file system), flushes and
fsyncs it, then renames it over the destination with :func:`os.replace`, which is atomic on POSIX and Windows. On
any error the temporary file is removed and an existing destination is left as it was. New files get the usual
permissions (0666 minus the umask), not the 0600 of :mod:`tempfile`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "is_temp_name", "remove_stale_temps",
           "write_table"]


def _temp_name(path: Path) -> Path:
    """A hidden sibling of ``path`` that keeps its suffix (matplotlib picks the format from it)."""
    return path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")


#: the names :func:`_temp_name` makes, ``.{stem}.{12 hex digits}.tmp{suffix}``, and nothing else
_TEMP_NAME = re.compile(r"\.(?P<stem>.+)\.[0-9a-f]{12}\.tmp(?P<suffix>\.[^.]+)?")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of this module's temporary file names (a leftover of a killed writer)."""
    return _TEMP_NAME.fullmatch(name) is not None


def remove_stale_temps(folder: str | os.PathLike) -> int:
    """Remove the temporary files a killed run left in ``folder`` and its subfolders; returns how many.

    Only regular files whose name matches :func:`_temp_name`'s pattern exactly are removed; other files, symbolic
    links and linked folders are never touched. Call it before a run writes into ``folder``: a writer running at
    the same time into the same folder would lose its temporary file.
    """
    removed = 0
    for directory, _, names in os.walk(folder, followlinks=False):
        for name in names:
            path = Path(directory) / name
            if not is_temp_name(name) or not path.is_file() or path.is_symlink():
                continue
            try:
                path.unlink()
            except OSError:  # gone meanwhile, or not ours to remove: it stays, and costs nothing but its bytes
                continue
            removed += 1
    return removed


def _check_directory(path: Path) -> None:
    if not path.parent.is_dir():
        raise InputError(f"cannot write here: directory {path.parent} does not exist", source=path)
    if path.is_dir():
        raise InputError("cannot write here: it is a directory", source=path)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _commit(tmp: Path, path: Path) -> None:
    """fsync ``tmp``, rename it onto ``path`` and fsync the directory."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path written."""
    path = Path(path)
    _check_directory(path)
    tmp = _temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
        _commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (newlines written as given, no platform translation)."""
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on a clean exit it is renamed onto ``path``.

    For writers that want a file name rather than text, e.g. ``fig.savefig(tmp)``. The temporary name keeps the
    suffix of ``path``. If the block raises, the temporary file is removed and ``path`` is untouched; if the block
    leaves nothing at the temporary path, :class:`FileNotFoundError` is raised.
    """
    path = Path(path)
    _check_directory(path)
    tmp = _temp_name(path)
    try:
        yield tmp
        if not tmp.is_file():
            raise FileNotFoundError(f"nothing was written to the temporary file for {path}")
        _commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _table_columns(columns: Mapping[str, object]) -> tuple[list[str], np.ndarray]:
    """Column names and a 2D float array (rows × columns), validated."""
    if not columns:
        raise InputError("a table needs at least one column")
    names = [str(n) for n in columns]
    for name in names:
        if not name or any(c.isspace() for c in name):
            raise InputError(f"column name {name!r} must be non-empty without spaces (the table is "
                             "whitespace-separated)", field=name)
    arrays = [np.asarray(v, dtype=float) for v in columns.values()]
    for name, arr in zip(names, arrays):
        if arr.ndim != 1:
            raise InputError(f"column must be one-dimensional, got shape {arr.shape}", field=name)
    lengths = {arr.size for arr in arrays}
    if len(lengths) != 1:
        sizes = ", ".join(f"{n}={a.size}" for n, a in zip(names, arrays))
        raise InputError(f"columns differ in length ({sizes})")
    return names, np.column_stack(arrays)


def format_table(columns: Mapping[str, object], header_lines: Sequence[str] = ()) -> str:
    """The text :func:`write_table` writes: ``# `` header lines, a ``# name name …`` line, then rows.

    Values are written with 10 significant digits (``% .9e``), columns separated by two spaces.
    """
    names, data = _table_columns(columns)
    out = []
    for line in header_lines:
        out.extend(f"# {part}".rstrip() for part in str(line).splitlines() or [""])
    out.append("# " + "  ".join(names))
    out.extend("  ".join(f"{v: .9e}" for v in row) for row in data)
    return "\n".join(out) + "\n"


def write_table(path: str | os.PathLike, columns: Mapping[str, object], header_lines: Sequence[str] = ()) -> Path:
    """Write a whitespace-separated text table atomically.

    ``columns`` maps a column name that carries its unit (e.g. ``"q_A-1"``, ``"S(q)"``, ``"r_A"``) to a 1D array;
    all columns have the same length. ``header_lines`` are written first, each prefixed with ``# ``; the last
    comment line names the columns. The file reads back with ``numpy.loadtxt`` and with
    :func:`hpglass.io.read_pattern` (``q_A-1`` / ``q_nm-1`` / ``2th_deg`` first columns state their unit).
    """
    return atomic_write_text(path, format_table(columns, header_lines))
