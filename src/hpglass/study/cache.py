"""Cache of finished pieces of a study run, under ``OUT/.cache``.

A piece's key is the SHA-256 of (the piece kind, the bytes of every input file it reads, the settings it uses,
the hpglass version). A re-run after a change therefore redoes exactly the pieces whose inputs or settings
changed, and the aggregates downstream of them (an aggregate's key is built from its pieces' keys).

Entries are pickles written atomically (:func:`hpglass.io.atomic_write_bytes`): a run killed mid-write leaves the
previous entry or none, never half of one. An unreadable entry counts as a miss.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["Cache", "file_digest", "piece_key"]

_MISS = object()


@lru_cache(maxsize=4096)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (memoized per (path, size, mtime) within a process)."""
    p = Path(path)
    st = p.stat()
    return _digest(str(p.resolve()), st.st_size, st.st_mtime_ns)


def _canonical(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float):
        return repr(obj)
    return obj


def piece_key(kind: str, files: Iterable[str | Path] = (), settings: Mapping | None = None,
              parents: Iterable[str] = ()) -> str:
    """The cache key of one piece: its kind, its files' bytes, its settings and the keys it depends on."""
    from .. import __version__

    payload = {
        "kind": kind,
        "files": [file_digest(f) for f in files],
        "settings": _canonical(dict(settings or {})),
        "parents": list(parents),
        "hpglass": __version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


class Cache:
    """Pickled piece results in ``folder/<kind>/<key>.pkl``; counts hits and misses per kind."""

    def __init__(self, folder: str | Path, enabled: bool = True) -> None:
        self.folder = Path(folder)
        self.enabled = enabled
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind.replace("/", "_") / f"{key}.pkl"

    def get(self, kind: str, key: str) -> tuple[bool, Any]:
        """(found, value)."""
        if self.enabled:
            p = self._path(kind, key)
            if p.is_file():
                try:
                    value = pickle.loads(p.read_bytes())
                except Exception:  # noqa: BLE001 — a damaged entry is a miss
                    value = _MISS
                if value is not _MISS:
                    self.hits[kind] = self.hits.get(kind, 0) + 1
                    return True, value
        self.misses[kind] = self.misses.get(kind, 0) + 1
        return False, None

    def put(self, kind: str, key: str, value: Any) -> None:
        if not self.enabled:
            return
        from ..io import atomic_write_bytes

        p = self._path(kind, key)
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(p, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def stats(self) -> dict:
        kinds = sorted(set(self.hits) | set(self.misses))
        return {k: {"cached": self.hits.get(k, 0), "computed": self.misses.get(k, 0)} for k in kinds}
