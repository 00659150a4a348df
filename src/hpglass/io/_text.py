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
