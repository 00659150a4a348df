"""Small text helpers shared by the table readers."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError


def is_numeric_row(text: str) -> bool:
    """True when the first token of a comma/semicolon/whitespace-separated line is a number."""
    tokens = [t for t in re.split(r"[,;\s]+", text.strip()) if t]
    if not tokens:
        return False
    try:
        float(tokens[0])
    except ValueError:
        return False
    return True


def find_header(lines: list[str], path: Path, example: str, skip_comment=None) -> tuple[int, int, str]:
    """(index of the header row, index of the first data row, separator) of a small text table.

    The header is the first non-numeric, non-comment line, or the last comment line before the first numeric
    row (``skip_comment(text)`` True excludes metadata comments). ``example`` shows a valid header in the error.
    """
    last_comment = None
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        if text.startswith("#"):
            if text.lstrip("#").strip() and not (skip_comment and skip_comment(text)):
                last_comment = i
            continue
        if is_numeric_row(text):
            if last_comment is None:
                raise InputError(f"no header row naming the columns and their units (e.g. '{example}') before the "
                                 "first data row", source=path, line=i + 1)
            header_idx, first = last_comment, i
        else:
            header_idx, first = i, i + 1
        header_text = lines[header_idx].strip().lstrip("#")
        sep = "," if "," in header_text else ";" if ";" in header_text else "\t" if "\t" in header_text.strip() \
            else " "
        return header_idx, first, sep
    raise InputError("file is empty (no header row and no data)", source=path)


# -- streaming ------------------------------------------------------------------------------------------------------
#: longest line a text reader accepts (characters): below the csv module's field limit (131072), far above any
#: real row; a longer line is a corrupt or wrong file, named with its line number instead of a csv traceback
MAX_LINE_CHARS = 100_000
#: characters decoded per read while streaming (a few MB: bounded memory, few Python-level calls)
_CHUNK_CHARS = 1 << 22
_EDGE_TAB = re.compile(r"(?:^|\n)[^\S\n]*\t|\t[^\S\n]*(?:\n|$)")
#: rows parsed per block by the table readers (lists of cells for one block only are held at a time)
BLOCK_ROWS = 1 << 15


class TextLines:
    """The lines of a text file, streamed: UTF-8 (BOM dropped), or latin-1 when the file is not valid UTF-8.

    Same rules as reading the whole text and splitting it on \\r\\n, \\r or \\n (a final newline ends the last
    line; a file that is not text — a NUL byte in its first 64 KiB — and a line longer than
    :data:`MAX_LINE_CHARS` are InputErrors naming the file and the line). Memory stays at one chunk of a few MB
    plus what the caller keeps. Use :meth:`next_line` for the header, then :meth:`blocks` for the rest.
    ``ends_with_newline`` is known once the file is exhausted.
    """

    def __init__(self, path: Path, what: str = "file") -> None:
        self.path, self.what = path, what
        if not path.exists():
            raise InputError("file not found", source=path)
        if path.is_dir():
            raise InputError(f"is a directory, not a {what}", source=path)
        try:
            with path.open("rb") as fh:
                if b"\0" in fh.read(65536):
                    raise InputError(f"binary file, not a text {what}", source=path)
                fh.seek(0)
                self.encoding = _detect_encoding(fh)
            self._fh = path.open("r", encoding="utf-8-sig" if self.encoding == "utf-8" else "latin-1", newline=None)
        except OSError as err:
            raise InputError(f"cannot read the file: {err.strerror}", source=path) from None
        self._buf: list[str] = []
        self._pos = 0
        self._tail = ""  # an unfinished last line of the text read so far
        self._first = 1  # line number of self._buf[0]
        self._eof = False
        self.ends_with_newline = False

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _fill(self) -> bool:
        """Read the next chunk into the buffer; False at the end of the file."""
        self._first += len(self._buf)
        self._buf, self._pos = [], 0
        while not self._eof:
            try:
                chunk = self._fh.read(_CHUNK_CHARS)
            except OSError as err:
                raise InputError(f"cannot read the file: {err.strerror}", source=self.path) from None
            if not chunk:
                self._eof = True
                self._buf, self._pos = ([self._tail] if self._tail else []), 0
                self.ends_with_newline = not self._tail and self._any_text
                self._tail = ""
                return bool(self._buf)
            self._any_text = True
            lines = (self._tail + chunk).split("\n")  # newline=None turned \r\n and \r into \n
            self._tail = lines.pop()
            if len(self._tail) > MAX_LINE_CHARS:
                self._too_long(self._first + len(lines), len(self._tail), reading=True)
            if max(map(len, lines), default=0) > MAX_LINE_CHARS:
                k = next(i for i, s in enumerate(lines) if len(s) > MAX_LINE_CHARS)
                self._too_long(self._first + k, len(lines[k]))
            self._buf, self._pos = lines, 0
            if lines:
                return True
        return False

    _any_text = False

    def _too_long(self, number: int, length: int, reading: bool = False) -> None:
        if reading:  # count the rest of the line without keeping it
            while True:
                chunk = self._fh.read(_CHUNK_CHARS)
                k = chunk.find("\n")
                if k >= 0 or not chunk:
                    length += k if k >= 0 else len(chunk)
                    break
                length += len(chunk)
        raise InputError(f"line of {length:,} characters, longer than the {MAX_LINE_CHARS:,} a {self.what} row may "
                         "have (a corrupt or wrong file?)", source=self.path, line=number)

    def next_line(self) -> tuple[int, str] | None:
        """(1-based line number, text) of the next line, or None at the end."""
        if self._pos >= len(self._buf) and not self._fill():
            return None
        self._pos += 1
        return self._first + self._pos - 1, self._buf[self._pos - 1]

    def blocks(self, size: int = BLOCK_ROWS):
        """The remaining lines as (line number of the first, list of lines) blocks of at most ``size`` lines."""
        while self._pos < len(self._buf) or self._fill():
            start, stop = self._pos, min(self._pos + size, len(self._buf))
            self._pos = stop  # before yielding: the caller may call at_end(), which refills the buffer
            yield self._first + start, self._buf[start:stop]

    def at_end(self) -> bool:
        """True when no line is left (reads ahead one chunk when needed)."""
        return self._pos >= len(self._buf) and not self._fill()


def _detect_encoding(fh) -> str:
    """"utf-8" when the whole byte stream decodes as UTF-8, else "latin-1" (decoded incrementally: bounded memory)."""
    import codecs

    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        while True:
            raw = fh.read(1 << 22)
            if not raw:
                dec.decode(b"", final=True)
                return "utf-8"
            dec.decode(raw)
    except UnicodeDecodeError:
        return "latin-1"


def fast_float_rows(lines: list[str], sep: str, ncol: int, picks: list[int], text_pick: int | None = None):
    """(float array (rows, len(picks)) of columns ``picks``, stripped cells of column ``text_pick`` or []) when every
    line is a plain row of exactly ``ncol`` cells — no quote, no ``#``, no blank line, no empty or non-number cell in
    ``picks`` — parsed with ``float`` as the line-by-line readers do; None when any line needs their rules (the
    caller then reads the block line by line, which also raises their errors). The split and the conversion run in
    C over the whole block."""
    from itertools import repeat

    import numpy as np

    if not lines:
        return None
    text = "\n".join(lines)
    if '"' in text or "#" in text:
        return None
    n = len(lines)
    if sep == "\t" and _EDGE_TAB.search(text):  # the line readers strip a row first: an edge tab is no cell there
        return None
    if sep == " ":
        if any(c != ncol for c in map(len, map(str.split, lines))):
            return None
        flat = text.split()
    else:
        counts = list(map(str.count, lines, repeat(sep)))
        if min(counts) != ncol - 1 or max(counts) != ncol - 1:
            return None
        flat = text.replace("\n", sep).split(sep)
    out = np.empty((n, len(picks)))
    try:
        for j, k in enumerate(picks):
            out[:, j] = np.fromiter(map(float, flat[k::ncol]), float, n)
    except ValueError:
        return None
    texts: list[str] = []
    if text_pick is not None:
        shared: dict[str, str] = {}  # one string object per distinct label (a column of a few words)
        texts = [shared.setdefault(c, c) for c in map(str.strip, flat[text_pick::ncol])]
    return out, texts
