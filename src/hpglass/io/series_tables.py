"""Read and write pressure-series tables: one row per (run, direction, pressure) with named scalar columns.

Layout
------
CSV (comma; else semicolon, tab or whitespace, chosen from the header row) with optional ``#`` comment lines, one
header row naming the columns, then one row per measurement. Cells may be quoted (CSV rules); an empty cell, ``nan``
or ``NA`` is a missing value. Text after ``#`` on a data row is a comment. UTF-8 (BOM dropped) or latin-1.

Columns
-------
* pressure (required) — ``pressure_GPa``, ``P (GPa)``, ``P_GPa``, ``P [GPa]``, ``P/GPa``, ``pressure (GPa)`` or
  plain ``pressure`` / ``P`` (taken as GPa); ``MPa``, ``kbar`` and ``bar`` units are converted to GPa.
* pressure error (optional) — the pressure name with ``err``/``error``: ``pressure_err_GPa``, ``pressure_GPa_err``,
  ``P_err (GPa)``, ``P_err``.
* ``run`` (optional, text; default "1") and ``direction`` / ``dir`` / ``branch`` (optional, text: compression,
  comp, c, up, loading … or decompression, decomp, d, down, release …). Without a direction column a ``#`` comment
  that says "decompression" (and not "compression") makes every row decompression; otherwise rows are compression
  (``meta["direction_from"]`` says which rule applied).
* every other column is a value (``q1_A-1``, ``r1_A``, ``cn``, ``density_g_cm3`` …) whose 1σ error, when present,
  is the column of the same name with ``_err`` (or ``_error``) appended — ``q1_A-1_err`` — or inserted before the
  unit — ``q1_err_A-1`` (the form :meth:`ScatterResult.to_dict` uses). A column whose every filled cell is text
  (a file name, a note) is ignored and listed in ``meta["ignored_columns"]``.

Checks (each an :class:`~hpglass.errors.InputError` naming the file, the line and the column)
-------------------------------------------------------------------------------------------
no header row; no pressure column; no value column; two pressure columns; duplicate column names; a row with a
different number of cells; a non-number in a numeric column (a column mixing numbers and text); a missing pressure;
a pressure below −0.5 GPa; a negative value of a quantity that cannot be negative (q1, r1, cn, density …) or a
negative error; pressures out of path order within one (run, direction) — compression must increase, decompression
decrease — and a pressure repeated within one (run, direction), naming both lines. Too few points for a fit is
checked where the fit is asked for (:meth:`hpglass.series.Series.trend`), which knows the segments.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

from ..errors import InputError
from ..series.records import MIN_PRESSURE_GPA, Series, SeriesPoint, normalize_direction
from ._text import TextLines
from .atomic import atomic_write_text
from .quantum_design import split_cells

#: plausible magnitudes: pressures up to 10 TPa; any other value below 1e100 so that fits can square it
MAX_ABS_PRESSURE_GPA = 1e4
MAX_ABS_VALUE = 1e100
#: most data rows a series table may have: every row becomes a SeriesPoint (≈ 1 KB and ≈ 10 µs each), so 10⁵ rows
#: stay near 0.1 GB and a few seconds; a pressure series has tens to hundreds of rows, and a bigger table is a
#: logged time series to be averaged per pressure step first
MAX_SERIES_ROWS = 100_000

__all__ = ["format_series_table", "parse_pressure_column", "read_pattern_listing", "read_series_table",
           "write_series_table"]

_PRESSURE_UNITS = {"gpa": 1.0, "mpa": 1e-3, "kbar": 0.1, "bar": 1e-4}
_PRESSURE_WORDS = {"p", "pressure"}
_RUN_WORDS = {"run", "run_id", "runid"}
_DIRECTION_WORDS = {"direction", "dir", "branch"}
_MISSING = {"", "nan", "na", "n/a", "none", "null"}
_UNIT_BRACKETS = re.compile(r"^(?P<name>.*?)\s*[(\[](?P<unit>[^()\[\]]*)[)\]]\s*$")
_ERR_TOKENS = ("err", "error", "sigma", "unc")


def _split_name_unit(name: str) -> tuple[str, str | None]:
    """("P", "GPa") from "P (GPa)", "P [GPa]", "P/GPa"; (name, None) when no bracketed or slashed unit."""
    m = _UNIT_BRACKETS.match(name.strip())
    if m:
        return m.group("name").strip(), m.group("unit").strip()
    if "/" in name:
        q, _, u = name.partition("/")
        return q.strip(), u.strip()
    return name.strip(), None


def parse_pressure_column(name: str) -> tuple[bool, bool, float | None]:
    """(is a pressure column, is its error column, factor to GPa or None for a bad unit)."""
    q, unit = _split_name_unit(name)
    tokens = [t for t in re.split(r"[_\s]+", q.strip().lower()) if t]
    if not tokens or tokens[0] not in _PRESSURE_WORDS:
        return False, False, None
    rest = tokens[1:]
    is_err = any(t in _ERR_TOKENS for t in rest)
    rest = [t for t in rest if t not in _ERR_TOKENS]
    units = [t for t in rest if t in _PRESSURE_UNITS]
    if len(rest) != len(units) or len(units) > 1:  # "pressure_medium", "p_ruby_gpa" …: not the pressure column
        return False, False, None
    if unit is not None and units:
        return True, is_err, None
    u = unit.lower() if unit is not None else (units[0] if units else "gpa")
    return True, is_err, _PRESSURE_UNITS.get(u)


def _error_of(name: str, names: list[str]) -> str | None:
    """The error column of value column ``name`` among ``names`` (suffix or infix ``_err``/``_error``)."""
    low = {n.lower(): n for n in names}
    n = name.lower()
    for tok in ("_err", "_error"):
        if n + tok in low:
            return low[n + tok]
        base, sep, unit = n.partition("_")
        if sep and base + tok + "_" + unit in low:
            return low[base + tok + "_" + unit]
        q, u = _split_name_unit(name)
        if u is not None and f"{q.lower()}{tok} ({u.lower()})" in low:
            return low[f"{q.lower()}{tok} ({u.lower()})"]
    return None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _cells(text: str, sep: str) -> list[str]:
    return split_cells(text, sep)


def _strip_comment(line: str) -> str:
    """A data row without a trailing ``# comment`` (a ``#`` inside quotes is kept)."""
    if "#" not in line:
        return line.strip()
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == "#" and not quoted:
            break
        out.append(ch)
    return "".join(out).strip()


def read_series_table(path, run: str | None = None, direction: str | None = None, check: bool = True) -> Series:
    """Read a series table (module docstring) into a :class:`~hpglass.series.Series`.

    run, direction : labels for every row when the table has no run / direction column (a column wins; an
        argument that contradicts a column is an InputError).
    check : run :meth:`Series.check` (path order, repeats, negative pressures), naming lines on failure.
    """
    path = Path(path)
    with TextLines(path, "series table") as src:
        return _read_series(path, src, run, direction, check)


def _read_series(path: Path, src: TextLines, run, direction, check) -> Series:
    encoding = src.encoding
    header_idx = None
    comments: list[str] = []
    while (item := src.next_line()) is not None:
        s = item[1].strip()
        if not s:
            continue
        if s.startswith("#"):
            comments.append(s)
            continue
        header_idx = item[0] - 1
        header = s
        break
    if header_idx is None:
        raise InputError("file is empty (no header row and no data)", source=path)
    if _is_number(re.split(r"[,;\s]+", header)[0]):
        raise InputError("no header row naming the columns (e.g. 'pressure_GPa,q1_A-1,q1_A-1_err') before the "
                         "first data row", source=path, line=header_idx + 1)
    sep = "," if "," in header else ";" if ";" in header else "\t" if "\t" in header else " "
    if sep == " ":
        names = re.findall(r"[^\s(\[]+(?:\s*[(\[][^)\]]*[)\]])?", header)
    else:
        names = _cells(header, sep)
    hline = header_idx + 1
    seen: dict[str, int] = {}
    for k, n in enumerate(names):
        if not n:
            raise InputError(f"column {k + 1} has no name", source=path, line=hline)
        if n.lower() in seen:
            raise InputError(f"column name {n!r} appears twice (columns {seen[n.lower()] + 1} and {k + 1})",
                             source=path, line=hline, field=n)
        seen[n.lower()] = k

    # -- classify columns ------------------------------------------------------------------------------------
    p_col = p_err_col = run_col = dir_col = None
    p_factor = p_err_factor = 1.0
    for k, n in enumerate(names):
        is_p, is_err, factor = parse_pressure_column(n)
        if is_p:
            if factor is None:
                raise InputError(f"unit of pressure column {n!r} is not GPa, MPa, kbar or bar", source=path,
                                 line=hline, field=n)
            if is_err:
                if p_err_col is not None:
                    raise InputError(f"two pressure-error columns ({names[p_err_col]!r} and {n!r}); keep one",
                                     source=path, line=hline, field=n)
                p_err_col, p_err_factor = k, factor
            else:
                if p_col is not None:
                    raise InputError(f"two pressure columns ({names[p_col]!r} and {n!r}); keep one", source=path,
                                     line=hline, field=n)
                p_col, p_factor = k, factor
        elif n.strip().lower() in _RUN_WORDS:
            run_col = k
        elif n.strip().lower() in _DIRECTION_WORDS:
            dir_col = k
    if p_col is None:
        raise InputError(f"no pressure column (columns: {', '.join(names)}); name it 'pressure_GPa', 'P (GPa)', "
                         "'P_GPa' or 'pressure'", source=path, line=hline, field="pressure")
    special = {p_col, p_err_col, run_col, dir_col} - {None}
    others = [n for k, n in enumerate(names) if k not in special]
    err_cols: dict[str, str] = {}
    for n in others:
        e = _error_of(n, others)
        if e is not None and e != n:
            err_cols[n] = e
    err_names = set(err_cols.values())
    value_names = [n for n in others if n not in err_names]

    # -- rows (streamed; refused past MAX_SERIES_ROWS before any point is built) -----------------------------
    rows: list[tuple[int, list[str]]] = []
    for start, block in src.blocks():
        for i, line in enumerate(block, start=start):
            s = _strip_comment(line)
            if not s:
                if line.strip().startswith("#"):
                    comments.append(line.strip())
                continue
            cells = _cells(s, sep)
            while len(cells) > len(names) and not cells[-1]:
                cells.pop()
            if len(cells) != len(names):
                raise InputError(f"row has {len(cells)} cells, the header names {len(names)} columns", source=path,
                                 line=i)
            if len(rows) >= MAX_SERIES_ROWS:
                raise InputError(f"more than {MAX_SERIES_ROWS:,} data rows: a series table holds one row per "
                                 "measured pressure (tens to hundreds); average logged data per pressure step first",
                                 source=path, line=i)
            rows.append((i, cells))
    if not rows:
        raise InputError("no data rows after the header", source=path, line=hline)

    # text columns (every filled cell non-numeric) are ignored; a column mixing numbers and text is an error
    idx = {n: k for k, n in enumerate(names)}
    ignored = []
    for n in list(value_names) + list(err_names):
        filled = [(ln, c[idx[n]]) for ln, c in rows if c[idx[n]].strip().lower() not in _MISSING]
        numeric = [_is_number(c) for _, c in filled]
        if filled and not any(numeric):
            ignored.append(n)
            continue
        for (ln, c), ok in zip(filled, numeric, strict=True):
            if not ok:
                raise InputError(f"not a number: {c!r} in column {n!r}", source=path, line=ln, field=n)
    value_names = [n for n in value_names if n not in ignored]
    err_cols = {v: e for v, e in err_cols.items() if v in value_names and e not in ignored}
    if not value_names:
        raise InputError(f"no value columns besides pressure/run/direction (columns: {', '.join(names)})",
                         source=path, line=hline)

    # direction without a column
    direction_from = "column"
    default_dir = None
    if dir_col is None:
        if direction is not None:
            default_dir = normalize_direction(direction, source=str(path))
            direction_from = "argument"
        else:
            text_c = " ".join(c.lower() for c in comments)
            de = "decompression" in text_c
            comp = re.search(r"(?<!de)compression", text_c) is not None
            default_dir = "decompression" if de and not comp else "compression"
            direction_from = "comment line" if (de and not comp) or (comp and not de) else \
                "default (no direction column): compression"
    pts = []
    for ln, cells in rows:
        pc = cells[p_col]
        if pc.strip().lower() in _MISSING:
            raise InputError("pressure is missing", source=path, line=ln, field=names[p_col])
        try:
            p = float(pc) * p_factor
        except ValueError:
            raise InputError(f"not a number: {pc!r} in column {names[p_col]!r}", source=path, line=ln,
                             field=names[p_col]) from None
        if not math.isfinite(p):
            raise InputError(f"pressure is {pc!r}", source=path, line=ln, field=names[p_col])
        if abs(p) > MAX_ABS_PRESSURE_GPA:
            raise InputError(f"pressure {p:g} GPa is beyond ±{MAX_ABS_PRESSURE_GPA:g} GPa (a corrupt cell?)",
                             source=path, line=ln, field=names[p_col])
        pe = None
        if p_err_col is not None:
            c = cells[p_err_col]
            if c.strip().lower() not in _MISSING:
                try:
                    pe = float(c) * p_err_factor
                except ValueError:
                    raise InputError(f"not a number: {c!r} in column {names[p_err_col]!r}", source=path, line=ln,
                                     field=names[p_err_col]) from None
        if run_col is not None:
            r = cells[run_col].strip() or "1"
            if run is not None and r != str(run):
                raise InputError(f"run {r!r} in the run column contradicts run={run!r}", source=path, line=ln,
                                 field=names[run_col])
        else:
            r = "1" if run is None else str(run)
        if dir_col is not None:
            d = normalize_direction(cells[dir_col], source=str(path), line=ln)
            if direction is not None and d != normalize_direction(direction, source=str(path)):
                raise InputError(f"direction {d} in the direction column contradicts direction={direction!r}",
                                 source=path, line=ln, field=names[dir_col])
        else:
            d = default_dir
        values, errors = {}, {}
        for n in value_names:
            c = cells[idx[n]]
            if c.strip().lower() not in _MISSING:
                values[n] = float(c)
                if abs(values[n]) > MAX_ABS_VALUE:
                    raise InputError(f"value {values[n]:g} is beyond ±{MAX_ABS_VALUE:g}: sums of squares of it "
                                     "overflow (a corrupt cell?)", source=path, line=ln, field=n)
            e = err_cols.get(n)
            if e is not None and cells[idx[e]].strip().lower() not in _MISSING:
                ev = float(cells[idx[e]])
                if ev < 0:
                    raise InputError(f"error {ev:g} is negative", source=path, line=ln, field=e)
                errors[n] = ev
        if pe is not None and pe < 0:
            raise InputError(f"pressure error {pe:g} GPa is negative", source=path, line=ln, field=names[p_err_col])
        pts.append(SeriesPoint(run=r, direction=d, pressure_GPa=p, pressure_err_GPa=pe, values=values,
                               errors=errors, source=str(path), line=ln))
    meta = {"columns": names, "pressure_column": names[p_col], "value_columns": value_names,
            "error_columns": err_cols, "ignored_columns": ignored, "direction_from": direction_from,
            "encoding": encoding, "separator": {",": "comma", ";": "semicolon", "\t": "tab", " ": "whitespace"}[sep]}
    series = Series(tuple(pts), source=str(path), meta=meta)
    return series.check() if check else series


def read_pattern_listing(path) -> list[tuple[str, str, float, Path, int]]:
    """Rows (run, direction, pressure GPa, pattern path, line) of a CSV listing the patterns of a series.

    Columns: ``file`` (or ``path``, ``pattern``, ``filename``; relative paths are taken from the listing's
    folder), a pressure column named as in :func:`read_series_table`, optional ``run`` (default "1") and
    ``direction`` (default compression). Comment lines start with ``#``.
    """
    path = Path(path)
    lines: list[tuple[int, str]] = []
    with TextLines(path, "pattern listing") as src:
        for start, block in src.blocks():
            for i, ln in enumerate(block, start=start):
                if ln.strip() and not ln.strip().startswith("#"):
                    if len(lines) > MAX_SERIES_ROWS:
                        raise InputError(f"more than {MAX_SERIES_ROWS:,} patterns listed", source=path, line=i)
                    lines.append((i, ln))
    if not lines:
        raise InputError("file is empty", source=path)
    hline, header = lines[0]
    sep = "," if "," in header else ";" if ";" in header else "\t"
    names = _cells(header, sep)
    low = [n.lower() for n in names]
    fcol = next((k for k, n in enumerate(low) if n in ("file", "path", "pattern", "filename")), None)
    pcol = next((k for k, n in enumerate(names) if parse_pressure_column(n)[0] and not parse_pressure_column(n)[1]),
                None)
    if fcol is None or pcol is None:
        raise InputError(f"needs a 'file' column and a pressure column (got {', '.join(names)})", source=path,
                         line=hline)
    factor = parse_pressure_column(names[pcol])[2]
    if factor is None:
        raise InputError(f"unit of pressure column {names[pcol]!r} is not GPa, MPa, kbar or bar", source=path,
                         line=hline, field=names[pcol])
    rcol = next((k for k, n in enumerate(low) if n in _RUN_WORDS), None)
    dcol = next((k for k, n in enumerate(low) if n in _DIRECTION_WORDS), None)
    out = []
    for line, text_line in lines[1:]:
        cells = _cells(_strip_comment(text_line), sep)
        if len(cells) != len(names):
            raise InputError(f"row has {len(cells)} cells, the header names {len(names)} columns", source=path,
                             line=line)
        try:
            p = float(cells[pcol]) * factor
        except ValueError:
            raise InputError(f"not a number: {cells[pcol]!r}", source=path, line=line, field=names[pcol]) from None
        if not math.isfinite(p) or p < MIN_PRESSURE_GPA:
            raise InputError(f"pressure {cells[pcol]!r} is not a finite number ≥ {MIN_PRESSURE_GPA:g} GPa",
                             source=path, line=line, field=names[pcol])
        if not cells[fcol]:
            raise InputError("no file named", source=path, line=line, field=names[fcol])
        f = Path(cells[fcol])
        if not f.is_absolute():
            f = path.parent / f
        d = normalize_direction(cells[dcol], source=str(path), line=line) if dcol is not None else "compression"
        out.append(((cells[rcol] or "1") if rcol is not None else "1", d, p, f, line))
    if not out:
        raise InputError("no rows after the header", source=path)
    return out


def format_series_table(series: Series) -> str:
    """The CSV text :func:`write_series_table` writes (reads back with :func:`read_series_table`)."""
    rows = series.to_rows()
    if not rows:
        raise InputError("the series is empty: nothing to write", source=series.source)
    cols = list(rows[0])
    if all(r["pressure_err_GPa"] is None for r in rows):
        cols.remove("pressure_err_GPa")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r[c] is None else (repr(float(r[c])) if isinstance(r[c], float) else r[c]) for c in cols])
    return buf.getvalue()


def write_series_table(path, series: Series) -> Path:
    """Write ``series`` as CSV atomically: run, direction, pressure_GPa[, pressure_err_GPa], values, ``<v>_err``."""
    return atomic_write_text(path, format_series_table(series))
