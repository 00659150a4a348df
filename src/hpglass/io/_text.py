"""Small text helpers shared by the table readers."""

from __future__ import annotations

import re


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
