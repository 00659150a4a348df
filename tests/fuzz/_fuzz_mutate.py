"""Mutations of a seed file, as hypothesis strategies (imported by basename; not a test module).

A mutation is a small tuple ``(kind, a, b)`` with ``a``, ``b`` in [0, 1) choosing where and how much, applied to
the seed's bytes by :func:`apply`; hypothesis draws lists of them, so a failing case shrinks to few mutations and
prints as data. Kinds: byte flips, truncation, empty file, special numbers (huge, NaN, inf, 1e308, 4.9e-324,
negative, zero) put in place of a number, very long lines, byte-order marks, wrong delimiters, a row with too
many / too few fields, binary junk, duplicated / dropped / swapped rows, CRLF or CR line ends, NUL bytes, Latin-1.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

SPECIAL_NUMBERS = ["1e308", "-1e308", "1.8e308", "nan", "NaN", "inf", "-inf", "Infinity", "4.9e-324", "-4.9e-324",
                   "1e-300", "0", "-0", "0.0", "-1", "-1e5", "1e30", "-1e30", "99999999999999999999999", "1e",
                   "--1", "0x1A", "1,5", "1.2.3", "", "１２", "1_000", "+", "."]

KINDS = ["flip", "truncate", "empty", "number", "number_row", "long_line", "bom", "delimiter", "extra_field",
         "missing_field", "junk", "duplicate", "duplicate_all", "drop_line", "swap_lines", "crlf", "nul", "latin1",
         "negate", "header_only", "blank_lines"]

_NUM = re.compile(rb"(?<![A-Za-z_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def mutation() -> st.SearchStrategy:
    return st.tuples(st.sampled_from(KINDS), st.floats(0, 1, exclude_max=True), st.floats(0, 1, exclude_max=True))


def mutations(max_size: int = 3, min_size: int = 0) -> st.SearchStrategy:
    return st.lists(mutation(), min_size=min_size, max_size=max_size)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _pick_data_line(lines: list[bytes], a: float) -> int:
    """A line holding numbers (so that number mutations hit data rather than a comment), else any line."""
    cand = [i for i, ln in enumerate(lines) if _NUM.search(ln)]
    if not cand:
        return int(a * len(lines)) if lines else 0
    return cand[int(a * len(cand))]


def _special(b: float) -> bytes:
    return SPECIAL_NUMBERS[int(b * len(SPECIAL_NUMBERS))].encode()


def apply(data: bytes, muts: list[tuple[str, float, float]]) -> bytes:
    for kind, a, b in muts:
        data = _apply1(data, kind, a, b)
    return data


def _apply1(data: bytes, kind: str, a: float, b: float) -> bytes:  # noqa: C901 - one branch per kind
    n = len(data)
    lines = _lines(data)
    if kind == "flip":
        if not n:
            return data
        arr = bytearray(data)
        for k in range(1 + int(b * 8)):
            i = int(((a + k * 0.618034) % 1.0) * n)
            arr[i] ^= 1 << int((b * 97 + k) % 8)
        return bytes(arr)
    if kind == "truncate":
        return data[: int(a * n)]
    if kind == "empty":
        return b"" if b < 0.5 else b"\n"
    if kind in ("number", "number_row"):
        i = _pick_data_line(lines, a)
        if not lines:
            return data
        nums = list(_NUM.finditer(lines[i]))
        if not nums:
            return data
        if kind == "number":
            m = nums[int(b * len(nums))]
            lines[i] = lines[i][: m.start()] + _special((a * 7.3 + b) % 1.0) + lines[i][m.end():]
        else:  # every number of the row
            rep = _special(b)
            lines[i] = _NUM.sub(lambda m: rep, lines[i])
        return b"\n".join(lines)
    if kind == "negate":
        i = _pick_data_line(lines, a)
        if not lines:
            return data
        nums = list(_NUM.finditer(lines[i]))
        if not nums:
            return data
        m = nums[int(b * len(nums))]
        tok = m.group(0)
        neg = tok[1:] if tok.startswith(b"-") else b"-" + tok.lstrip(b"+")
        lines[i] = lines[i][: m.start()] + neg + lines[i][m.end():]
        return b"\n".join(lines)
    if kind == "long_line":
        size = int(10 ** (3 + b * 3.4))  # 1 kB … 2.5 MB
        filler = (b"9" if a < 0.5 else b"1.5,") * (size // (1 if a < 0.5 else 4))
        i = int(a * len(lines))
        return b"\n".join(lines[:i] + [filler] + lines[i:])
    if kind == "bom":
        return (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf")[int(b * 4)] + data
    if kind == "delimiter":
        pairs = [(b",", b";"), (b",", b"\t"), (b",", b" "), (b" ", b","), (b"\t", b","), (b",", b""),
                 (b".", b","), (b" ", b"")]
        old, new = pairs[int(b * len(pairs))]
        return data.replace(old, new)
    if kind in ("extra_field", "missing_field"):
        if not lines:
            return data
        i = int(a * len(lines))
        sep = b"," if b"," in lines[i] else b" "
        if kind == "extra_field":
            lines[i] = lines[i] + sep + _special(b)
        else:
            parts = lines[i].split(sep)
            if len(parts) > 1:
                del parts[int(b * len(parts))]
                lines[i] = sep.join(parts)
        return b"\n".join(lines)
    if kind == "junk":
        size = 1 + int(b * 300)
        junk = bytes((int(a * 251) + 37 * k + (k * k) % 13) % 256 for k in range(size))
        i = int(a * n)
        return data[:i] + junk + data[i:]
    if kind == "duplicate":
        if not lines:
            return data
        i = _pick_data_line(lines, a)
        times = 1 + int(b * 50)
        return b"\n".join(lines[: i + 1] + [lines[i]] * times + lines[i + 1:])
    if kind == "duplicate_all":
        return data + (b"" if data.endswith(b"\n") else b"\n") + data if b < 0.5 else data + data
    if kind == "drop_line":
        if len(lines) < 2:
            return data
        i = int(a * len(lines))
        return b"\n".join(lines[:i] + lines[i + 1 + int(b * 5):])
    if kind == "swap_lines":
        if len(lines) < 2:
            return data
        i, j = int(a * len(lines)), int(b * len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n" if b < 0.5 else b"\r")
    if kind == "nul":
        i = int(a * n)
        return data[:i] + b"\x00" * (1 + int(b * 16)) + data[i:]
    if kind == "latin1":
        i = int(a * n)
        return data[:i] + b"\xe9\xb5\xff" + data[i:]
    if kind == "header_only":
        keep = 1 + int(b * 12)
        return b"\n".join(lines[:keep]) + b"\n"
    if kind == "blank_lines":
        i = int(a * len(lines))
        return b"\n".join(lines[:i] + [b""] * (1 + int(b * 5)) + lines[i:])
    raise ValueError(kind)


#: option values that a hostile user might type for a number
BAD_NUMBER_TEXT = ["nan", "inf", "-inf", "1e308", "-1e308", "4.9e-324", "0", "-0", "-1", "1e-300", "1e30", "abc", "",
                   "99999999999999999999", "-99999999999999999999", "1e", "0x10"]


def number_text(lo: float | None = None, hi: float | None = None) -> st.SearchStrategy[str]:
    """A number as typed on the command line: mostly ordinary, often hostile."""
    ordinary = st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False).map(repr) \
        if lo is not None or hi is not None else st.floats(allow_nan=False, allow_infinity=False).map(repr)
    return st.one_of(ordinary, ordinary, st.sampled_from(BAD_NUMBER_TEXT), st.floats().map(repr))


def int_text(lo: int = -5, hi: int = 100) -> st.SearchStrategy[str]:
    return st.one_of(st.integers(lo, hi).map(str), st.sampled_from(["0", "-1", "99999999999999999999", "1.5", "x",
                                                                       "nan", ""]))
