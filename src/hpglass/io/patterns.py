"""Read 1D diffraction patterns from text files into :class:`~hpglass.scattering.pattern.Pattern`.

Formats (recognised by content, not by extension):

``pyfai-xy``
    pyFAI / Dioptas ``.xy``: ``#`` comment header, the last comment line names the columns (``2th_deg``,
    ``2th_rad``, ``q_nm^-1``, ``q_A^-1``; ``r_mm``, ``chi_deg``, ``d*2_A^-2`` … are refused), and an optional
    ``# Wavelength: 3.1e-11 [m]`` line in metres.
``fit2d-chi``
    Fit2D ``.chi``: line 1 a title, line 2 the x label (``2-Theta Angle (Degrees)``, ``Q (Inverse Nanometres)``,
    ``Q (Inverse Angstroms)``), line 3 the y label, line 4 the number of points, then the data.
``plain``
    Anything else: columns of numbers separated by whitespace or commas (``.xy .dat .txt .chi .csv``), optionally
    after leading non-numeric / comment lines. Files written by :func:`hpglass.io.write_table` state their unit
    (``# q_A-1 …``); otherwise the unit is not stated and must be passed as ``x_unit``.

Columns: x, intensity, and an optional third column taken as the intensity's standard error
(``meta["sigma"]``); further columns are ignored. Rows with NaN/inf are dropped and counted in
``meta["dropped_rows"]``. The x unit is kept as stated (``q_nm`` stays nm⁻¹: :meth:`Pattern.to_q` converts);
``2th_rad`` is converted to degrees. Wavelengths on the Pattern are in Å. Input files are only read, never written.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..scattering.pattern import Pattern

__all__ = ["X_UNIT_NAMES", "normalize_x_unit", "read_pattern"]

#: names accepted for ``x_unit`` (CLI spelling → Pattern unit)
X_UNIT_NAMES: dict[str, str] = {"q": "q_A", "q_A": "q_A", "q_nm": "q_nm", "2theta": "2theta"}

#: first-column names that state the x unit: name → (Pattern unit, factor to that unit)
_COLUMN_UNITS: dict[str, tuple[str, float]] = {
    "2th_deg": ("2theta", 1.0),
    "2theta_deg": ("2theta", 1.0),
    "2th_rad": ("2theta", 180.0 / math.pi),
    "q_a^-1": ("q_A", 1.0),
    "q_a-1": ("q_A", 1.0),
    "q_nm^-1": ("q_nm", 1.0),
    "q_nm-1": ("q_nm", 1.0),
}
#: the spellings pyFAI itself writes
_PYFAI_COLUMNS = {"2th_deg", "2th_rad", "q_a^-1", "q_nm^-1"}
#: pyFAI radial units a 1D pattern cannot be analysed in
_UNSUPPORTED_COLUMNS = {"r_mm", "r_m", "chi_deg", "chi_rad", "d*2_a^-2", "d*2_nm^-2", "d_a", "d_nm", "log(q)_m",
                        "log10(q.m)_none", "log(1+q.nm)_none", "log(1+q.a)_none", "qx_nm^-1", "qy_nm^-1"}

_SPLIT = re.compile(r"[\s,]+")
_WAVELENGTH = re.compile(r"^\s*#?\s*wavelength\s*[:=]\s*(\S+)\s*(\S*)", re.IGNORECASE)
_WAVELENGTH_TO_A = {"": 1e10, "m": 1e10, "nm": 10.0, "a": 1.0, "å": 1.0, "angstrom": 1.0}
_RELATIVE_WAVELENGTH_TOLERANCE = 1e-3


@dataclass
class _Header:
    """What the lines before the data say. Line numbers are 1-based file lines."""

    lines: list[str]
    fmt: str
    data_start: int  # 0-based index of the first line after the header
    unit: str | None = None
    unit_line: int | None = None
    unit_label: str = ""
    x_factor: float = 1.0
    wavelength: float | None = None  # Å
    wavelength_line: int | None = None
    declared_points: int | None = None
    notes: dict = field(default_factory=dict)


@dataclass
class _Table:
    """Parsed data rows: x, y, optional sigma and the file line number of every row."""

    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None
    line: np.ndarray


# -- public API -------------------------------------------------------------------------------------------------------
def normalize_x_unit(x_unit: str | None) -> str | None:
    """Map a CLI x-unit name (``q``, ``q_nm``, ``2theta``, or a Pattern unit) to the Pattern unit."""
    if x_unit is None:
        return None
    try:
        return X_UNIT_NAMES[x_unit]
    except KeyError:
        raise InputError(f"unknown x unit {x_unit!r}; use q (Å⁻¹), q_nm (nm⁻¹) or 2theta (degrees)",
                         field="x_unit") from None


def read_pattern(path: str | os.PathLike, x_unit: str | None = None, wavelength: float | None = None) -> Pattern:
    """Read a two-column diffraction pattern (see the module docstring for formats).

    Parameters
    ----------
    path : the text file.
    x_unit : ``"q"`` (Å⁻¹), ``"q_nm"`` (nm⁻¹) or ``"2theta"`` (degrees); needed when the file does not state its
        unit, and must agree with the file when it does.
    wavelength : Å; must agree within 0.1 % with a wavelength stated in the header, which is used otherwise.

    Raises
    ------
    InputError : naming the file and, where it applies, the line.
    """
    path = Path(path)
    unit_given = normalize_x_unit(x_unit)
    lines = _read_lines(path)
    header = _parse_header(lines, path)
    table = _parse_rows(lines, header.data_start, path)
    _check_declared_count(header, table, path)
    unit = _resolve_unit(header, unit_given, x_unit, path)
    lam = _resolve_wavelength(header, wavelength, path)
    table, dropped = _drop_non_finite(table)
    _validate(table, path)
    _check_magnitudes(table, unit, header.x_factor, path)
    meta = {"header": header.lines, "format": header.fmt, "dropped_rows": dropped,
            "x_unit_from": f"header line {header.unit_line}" if header.unit else "x_unit argument",
            "wavelength_from": _wavelength_origin(header, wavelength)}
    if table.sigma is not None:
        meta["sigma"] = table.sigma
    meta.update(header.notes)
    return Pattern(x=table.x * header.x_factor, y=table.y, unit=unit, wavelength=lam, source=str(path), meta=meta)


# -- reading lines ----------------------------------------------------------------------------------------------------
def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        raise InputError("file not found", source=path)
    if path.is_dir():
        raise InputError("is a directory, not a pattern file", source=path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror}", source=path) from None
    if b"\0" in raw[:65536]:
        raise InputError("binary file, not a text pattern (2D images go through integrate_image)", source=path)
    lines = raw.decode("utf-8-sig", errors="replace").splitlines()
    if not any(line.strip() for line in lines):
        raise InputError("file is empty", source=path)
    return lines


def _floats(text: str) -> list[float] | None:
    """The numbers on a data line (comments after '#' removed), or None if it is not all numbers."""
    tokens = [t for t in _SPLIT.split(text.split("#", 1)[0].strip()) if t]
    try:
        return [float(t) for t in tokens]
    except ValueError:
        return None


def _starts_with_number(text: str) -> bool:
    tokens = _SPLIT.split(text.strip(), maxsplit=1)
    try:
        float(tokens[0])
    except ValueError:
        return False
    return True


# -- header ------------------------------------------------------------------------------------------------------------
def _parse_header(lines: list[str], path: Path) -> _Header:
    if _is_fit2d_chi(lines):
        return _fit2d_header(lines, path)
    return _text_header(lines, path)


def _is_fit2d_chi(lines: list[str]) -> bool:
    """Fit2D layout: lines 1–3 free text (line 2 is not data), line 4 a single integer (the point count)."""
    if len(lines) < 4 or not lines[1].strip() or _floats(lines[1]) is not None:
        return False
    return re.fullmatch(r"\s*\d+\s*", lines[3]) is not None


def _fit2d_header(lines: list[str], path: Path) -> _Header:
    label = lines[1].strip()
    header = _Header(lines=lines[:4], fmt="fit2d-chi", data_start=4, unit_label=label,
                     declared_points=int(lines[3]))
    low = label.lower()
    if "theta" in low and "deg" in low:
        header.unit = "2theta"
    elif "theta" in low and "rad" in low:
        header.unit, header.x_factor = "2theta", 180.0 / math.pi
    elif low.startswith("q") and "nanomet" in low:
        header.unit = "q_nm"
    elif low.startswith("q") and "angstr" in low:
        header.unit = "q_A"
    elif any(word in low for word in ("radial", "azimuth", "chi", "(mm)", "d-spacing")):
        raise InputError(f"x axis {label!r} is not a scattering angle or q; integrate to 2θ or q", source=path,
                         line=2)
    if header.unit is not None:
        header.unit_line = 2
    return header


def _text_header(lines: list[str], path: Path) -> _Header:
    start = _first_data_line(lines)
    header = _Header(lines=lines[:start], fmt="plain", data_start=start)
    _column_unit(header, path)
    _header_wavelength(header, path)
    pyfai_column = header.unit_label.lower() in _PYFAI_COLUMNS
    if pyfai_column or any("pyfai" in line.lower() for line in header.lines):
        header.fmt = "pyfai-xy"
    return header


def _first_data_line(lines: list[str]) -> int:
    """Index of the first line that starts with a number; header lines before it are text or comments."""
    for i, line in enumerate(lines):
        text = line.strip()
        if text and not text.startswith("#") and _starts_with_number(text):
            return i
    return len(lines)


def _column_unit(header: _Header, path: Path) -> None:
    """The x unit from the last non-empty header line, if it names the columns (e.g. ``# q_A^-1  I``)."""
    for i in range(len(header.lines) - 1, -1, -1):
        text = header.lines[i].strip().lstrip("#").strip()
        if not text:
            continue
        first = _SPLIT.split(text)[0]
        key = first.lower()
        if key in _UNSUPPORTED_COLUMNS:
            raise InputError(f"x column is {first!r}: a pattern must be in 2θ or q (unsupported unit)",
                             source=path, line=i + 1)
        if key in _COLUMN_UNITS:
            header.unit, header.x_factor = _COLUMN_UNITS[key]
            header.unit_line, header.unit_label = i + 1, first
            if key == "2th_rad":
                header.notes["converted"] = "2θ read in radians, converted to degrees"
        return


def _header_wavelength(header: _Header, path: Path) -> None:
    """``Wavelength: <value> [m|nm|A]`` in the header (pyFAI writes metres, with or without the ``m``)."""
    for i, line in enumerate(header.lines):
        match = _WAVELENGTH.match(line)
        if not match:
            continue
        value, unit = match.group(1), match.group(2).lower()
        try:
            lam = float(f"{float(value) * _WAVELENGTH_TO_A[unit]:.12g}")  # 3.1e-11 m → 0.31, not 0.31000000000000005
        except (ValueError, KeyError):
            raise InputError(f"cannot read the wavelength from {line.strip()!r}", source=path, line=i + 1) from None
        if not 1e-3 <= lam <= 100.0:
            raise InputError(f"wavelength {value} {unit or 'm'} is {lam:g} Å, not a plausible X-ray wavelength",
                             source=path, line=i + 1)
        header.wavelength, header.wavelength_line = lam, i + 1
        return


# -- data rows ---------------------------------------------------------------------------------------------------------
def _parse_rows(lines: list[str], start: int, path: Path) -> _Table:
    """Numbers from ``lines[start:]``; blank and '#' lines skipped; anything else that is not numbers is an error."""
    rows: list[list[float]] = []
    numbers: list[int] = []
    ncol = 0
    for i in range(start, len(lines)):
        text = lines[i].split("#", 1)[0].strip()
        if not text:
            continue
        values = _floats(text)
        if values is None:
            raise InputError(f"not a row of numbers: {_clip(lines[i])!r}", source=path, line=i + 1)
        if len(values) < 2:
            raise InputError(f"expected at least 2 columns (x, intensity), found {len(values)}", source=path,
                             line=i + 1)
        if not ncol:
            ncol = min(len(values), 3)
        elif len(values) < ncol:
            raise InputError(f"expected {ncol} columns as on line {numbers[0]}, found {len(values)}", source=path,
                             line=i + 1)
        rows.append(values[:ncol])
        numbers.append(i + 1)
    if not rows:
        raise InputError("no data rows found", source=path)
    data = np.asarray(rows, dtype=float)
    sigma = data[:, 2] if ncol == 3 else None
    return _Table(x=data[:, 0], y=data[:, 1], sigma=sigma, line=np.asarray(numbers))


def _clip(text: str, n: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def _check_declared_count(header: _Header, table: _Table, path: Path) -> None:
    if header.declared_points is not None and header.declared_points != table.x.size:
        raise InputError(f"header declares {header.declared_points} points (line 4) but the file holds "
                         f"{table.x.size} data rows: truncated or edited file?", source=path, line=4)


def _drop_non_finite(table: _Table) -> tuple[_Table, int]:
    ok = np.isfinite(table.x) & np.isfinite(table.y)
    if table.sigma is not None:
        ok &= np.isfinite(table.sigma)
    dropped = int(ok.size - ok.sum())
    if not dropped:
        return table, 0
    sigma = None if table.sigma is None else table.sigma[ok]
    return _Table(x=table.x[ok], y=table.y[ok], sigma=sigma, line=table.line[ok]), dropped


def _validate(table: _Table, path: Path) -> None:
    """At least 2 finite rows, x ≥ 0 and strictly increasing, some intensity > 0; errors name the file line."""
    if table.x.size < 2:
        raise InputError(f"only {table.x.size} finite data row(s); at least 2 are needed", source=path)
    negative = np.flatnonzero(table.x < 0)
    if negative.size:
        k = negative[0]
        raise InputError(f"negative x ({table.x[k]:g})", source=path, line=int(table.line[k]))
    dx = np.diff(table.x)
    bad = np.flatnonzero(dx <= 0)
    if bad.size:
        k = bad[0] + 1
        what = "repeats the previous x" if dx[k - 1] == 0 else f"decreases (from {table.x[k - 1]:g})"
        raise InputError(f"x = {table.x[k]:g} {what}; x must increase strictly", source=path,
                         line=int(table.line[k]))
    if not np.any(table.y > 0):
        raise InputError("all intensities are zero or negative", source=path)


#: |intensity| above this is a corrupt cell, not counts (a photon-counting detector reaches ~1e12 per bin over a
#: whole experiment); it also keeps the reduction's squares and sums far from float overflow
MAX_INTENSITY = 1e30
#: the largest x of each unit: 2θ cannot pass 180°; q = 4π sin θ / λ stays below ~100 Å⁻¹ for any X-ray source
_MAX_X = {"2theta": 180.0, "q_nm": 1e4, "q_A": 1e3, "q": 1e3}


def _check_magnitudes(table: _Table, unit: str, x_factor: float, path: Path) -> None:
    """Finite but absurd values (1e308 from a corrupt cell) are refused here, naming the line, rather than passed
    on to overflow in the reduction."""
    big = np.flatnonzero(np.abs(table.y) > MAX_INTENSITY)
    if big.size:
        k = big[0]
        raise InputError(f"intensity {table.y[k]:g} is beyond the plausible |I| ≤ {MAX_INTENSITY:g} (a corrupt "
                         "cell?)", source=path, line=int(table.line[k]))
    if table.sigma is not None:
        big = np.flatnonzero(np.abs(table.sigma) > MAX_INTENSITY)
        if big.size:
            k = big[0]
            raise InputError(f"intensity error {table.sigma[k]:g} is beyond the plausible {MAX_INTENSITY:g} (a corrupt "
                             "cell?)", source=path, line=int(table.line[k]))
    x_max = _MAX_X.get(unit, 1e4)
    x = table.x * x_factor
    big = np.flatnonzero(x > x_max * (1 + 1e-9))
    if big.size:
        k = big[0]
        raise InputError(f"x = {x[k]:g} is beyond the largest {unit} a diffraction pattern can have ({x_max:g})",
                         source=path, line=int(table.line[k]))


# -- unit and wavelength -------------------------------------------------------------------------------------------
def _resolve_unit(header: _Header, unit_given: str | None, x_unit: str | None, path: Path) -> str:
    if header.unit is None:
        if unit_given is None:
            where = f" (x label {header.unit_label!r} not recognised)" if header.unit_label else ""
            raise InputError(f"x unit not stated in the file{where}; pass --x-unit q|q_nm|2theta", source=path,
                             field="x_unit")
        return unit_given
    if unit_given is not None and unit_given != header.unit:
        raise InputError(f"the header states x in {header.unit} ({header.unit_label!r}) but x_unit={x_unit!r} "
                         "was given; fix whichever is wrong", source=path, line=header.unit_line, field="x_unit")
    return header.unit


def _resolve_wavelength(header: _Header, wavelength: float | None, path: Path) -> float | None:
    if wavelength is None:
        return header.wavelength
    if not (np.isfinite(wavelength) and wavelength > 0):
        raise InputError(f"wavelength must be a positive number of Å, got {wavelength!r}", field="wavelength")
    if header.wavelength is not None:
        rel = abs(wavelength - header.wavelength) / header.wavelength
        if rel > _RELATIVE_WAVELENGTH_TOLERANCE:
            raise InputError(f"the header states λ = {header.wavelength:.6g} Å but {wavelength:.6g} Å was given "
                             f"({100 * rel:.2g} % apart)", source=path, line=header.wavelength_line,
                             field="wavelength")
    return float(wavelength)


def _wavelength_origin(header: _Header, wavelength: float | None) -> str | None:
    if wavelength is not None:
        return "wavelength argument"
    if header.wavelength is not None:
        return f"header line {header.wavelength_line}"
    return None
