"""Errors that hpglass raises on bad input or failed numerics.

Every message names where the problem is (file and line, or config field) so that the CLI can print it on one
line and exit with status 2 instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class HpglassError(Exception):
    """Base class: a problem the user can act on; the CLI prints ``str(err)`` and exits 2."""


class InputError(HpglassError, ValueError):
    """Bad input: a file, a line in it, or a field of a configuration.

    Parameters
    ----------
    message : what is wrong, in words a user understands.
    source : file path (or other origin such as ``"--composition"``) the problem is in.
    line : 1-based line number in ``source`` where it applies.
    field : name of the column, option or config field at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.source = None if source is None else str(source)
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source if self.line is None else f"{self.source}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"[{self.field}]")
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ConvergenceError(HpglassError, RuntimeError):
    """A fit or an iteration did not converge; the message says which and with what inputs."""

    def __init__(self, message: str, *, source: str | Path | None = None) -> None:
        self.source = None if source is None else str(source)
        super().__init__(f"{self.source}: {message}" if self.source else message)


class MissingDependencyError(HpglassError, ImportError):
    """An optional dependency is needed for this operation; the message gives the pip extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package '{package}': pip install 'hpglass[{extra}]'"
        )
