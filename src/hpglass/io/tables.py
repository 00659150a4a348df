"""Read plain R(T) and R(P) tables (CSV or whitespace-separated text) whose header row names the units.

Layout
------
Optional ``#`` comment lines, one header row naming the columns, then rows of numbers. The header row is the first
non-comment line if it is not numeric; if the first non-comment line is already numeric, the LAST comment line
before it names the columns (what :func:`hpglass.io.write_table` writes: ``# T_K  R_ohm``). Separator: comma if the
header row has one, else semicolon, else tab, else whitespace (a whitespace header may still write units in
parentheses: ``T (K)  R (Ohm)``). Blank lines and ``#`` comments after a row are ignored. Text is UTF-8 (BOM
dropped) with a latin-1 fallback; any line ending.

Column names
------------
A name is ``<quantity><sep><unit>``, with the unit as ``_unit``, `` (unit)``, `` [unit]`` or ``/unit``
(case-insensitive quantity, unit prefixes case-sensitive where m/M matter):

* temperature — ``T``, ``temp``, ``temperature``; units K, mK, C/°C/degC (→ K)
* pressure — ``P``, ``pressure``; units GPa, MPa, kbar, bar (→ GPa)
* resistance — ``R``, ``res``, ``resistance``; units Ω/ohm/ohms with an n, u, µ, m, k or M prefix (→ Ω)
* resistivity — ``rho``, ``ρ``, ``resistivity``; units ohm-cm, ohm_cm, Ω·cm, ohm-m, ohm-mm, with a prefix (→ Ω·cm)
* field — ``H``, ``B``, ``field``, ``mu0H``, ``magnetic field``; units T, mT, Oe, kOe, G (→ T)
* direction (text, no unit) — ``direction``, ``dir``, ``branch``

Examples: ``T_K,R_ohm``; ``pressure_GPa,resistance_ohm``; ``P (GPa), R (Ohm)``; ``T (K)  rho (mOhm-cm)  H (kOe)``.
A recognised quantity without a unit, or with a unit in ``()``/``[]``/``/`` that does not belong to it, is an
InputError (``T`` alone could be a temperature or a field in tesla: the unit decides). In the ``name_unit`` form the
part after the quantity may be another word (``R_err_ohm``): when it is not a unit of that quantity the column is
ignored, not refused. Unrecognised columns are ignored
(``meta["ignored_columns"]``); two columns of the same quantity are an InputError.

Direction (R(P) tables)
-----------------------
From a ``direction`` column (per row: compression/comp/c/up/loading/increasing/+ and
decompression/decomp/d/down/unloading/release/decreasing/-), else from a comment line that says "decompression" or
"compression". ``PressureTable.direction`` is "compression", "decompression", "mixed" (a column with both) or None;
``directions`` holds the per-row values when a column gave them.

Fields without a column
-----------------------
An R(T) table without a field column is taken as measured in zero field (``field_T`` argument overrides) and says
so in ``meta["field_assumed"]``. An R(T) table with only a resistivity column puts ρ (Ω·cm) in ``resistance_ohm``
with ``meta["note"] = "resistivity (Ω·cm) not resistance"``, as :mod:`hpglass.io.quantum_design` does.
Rows with a NaN/inf (or an empty cell) in the x column, the value column or (for a curve) the field column are
dropped and counted in ``meta["dropped_rows"]``; other recognised columns may hold NaN.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..transport.curve import MAX_ABS_FIELD_T, MAX_ABS_RESISTANCE, MAX_TEMPERATURE_K, RCurve
from ._text import TextLines, fast_float_rows, find_header
from .quantum_design import resistance_unit, row_cells, split_cells

__all__ = ["PressureTable", "read_rt_table"]

_QUANTITY_NAMES = {
    "t": "temperature", "temp": "temperature", "temperature": "temperature",
    "p": "pressure", "pressure": "pressure",
    "r": "resistance", "res": "resistance", "resistance": "resistance",
    "rho": "resistivity", "ρ": "resistivity", "resistivity": "resistivity",
    "h": "field", "b": "field", "field": "field", "mu0h": "field", "µ0h": "field", "μ0h": "field",
    "magnetic field": "field", "magnetic_field": "field",
    "direction": "direction", "dir": "direction", "branch": "direction",
}
_TEMPERATURE_UNITS = {"k": (1.0, 0.0), "mk": (1e-3, 0.0), "c": (1.0, 273.15), "°c": (1.0, 273.15),
                      "degc": (1.0, 273.15), "deg c": (1.0, 273.15)}
_PRESSURE_UNITS = {"gpa": 1.0, "mpa": 1e-3, "kbar": 0.1, "bar": 1e-4}
_FIELD_UNITS = {"T": 1.0, "t": 1.0, "tesla": 1.0, "mT": 1e-3, "mt": 1e-3, "Oe": 1e-4, "oe": 1e-4, "kOe": 0.1,
                "koe": 0.1, "G": 1e-4, "g": 1e-4, "gauss": 1e-4}
_COMPRESSION = {"compression", "comp", "c", "up", "loading", "increasing", "+", "compress"}
_DECOMPRESSION = {"decompression", "decomp", "d", "down", "unloading", "release", "decreasing", "-", "decompress"}
_UNIT_IN_BRACKETS = re.compile(r"^(?P<name>.*?)\s*[(\[](?P<unit>[^()\[\]]*)[)\]]\s*$")
_HEADER_TOKENS = re.compile(r"[^\s(\[]+(?:\s*[(\[][^)\]]*[)\]])?|[(\[][^)\]]*[)\]]")


@dataclass(frozen=True)
class _Column:
    index: int
    name: str
    quantity: str
    unit: str
    scale: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True, eq=False)
class PressureTable:
    """Resistance (Ω) or resistivity (Ω·cm) against pressure (GPa); exactly one of the two is set.

    ``temperature_K`` and ``field_T`` are per-row when the table had such columns (else None); ``direction`` is
    "compression", "decompression", "mixed" or None; ``directions`` the per-row values from a direction column.
    """

    pressure_GPa: np.ndarray
    resistance_ohm: np.ndarray | None = None
    resistivity_ohm_cm: np.ndarray | None = None
    direction: str | None = None
    directions: tuple[str, ...] | None = None
    temperature_K: np.ndarray | None = None
    field_T: np.ndarray | None = None
    source: str = "<table>"
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        p = np.asarray(self.pressure_GPa, dtype=float)
        if p.ndim != 1 or p.size == 0:
            raise InputError("a pressure table needs at least one row", source=self.source)
        if (self.resistance_ohm is None) == (self.resistivity_ohm_cm is None):
            raise InputError("give exactly one of resistance_ohm and resistivity_ohm_cm", source=self.source)
        for name in ("pressure_GPa", "resistance_ohm", "resistivity_ohm_cm", "temperature_K", "field_T"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.array(value, dtype=float)
            if arr.shape != p.shape:
                raise InputError(f"{name} has shape {arr.shape}, pressure {p.shape}", source=self.source)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if self.directions is not None and len(self.directions) != p.size:
            raise InputError("directions must have one entry per row", source=self.source)

    def __len__(self) -> int:
        return self.pressure_GPa.size

    @property
    def values(self) -> np.ndarray:
        """The resistance (Ω) or resistivity (Ω·cm), whichever the table holds."""
        return self.resistance_ohm if self.resistance_ohm is not None else self.resistivity_ohm_cm

    @property
    def quantity(self) -> str:
        return "resistance_ohm" if self.resistance_ohm is not None else "resistivity_ohm_cm"

    def branch(self, direction: str) -> PressureTable:
        """The rows of one direction ("compression" or "decompression")."""
        if direction not in ("compression", "decompression"):
            raise InputError(f"direction must be 'compression' or 'decompression', got {direction!r}",
                             source=self.source, field="direction")
        if self.directions is None:
            if self.direction == direction:
                return self
            raise InputError(f"the table holds no {direction} rows (direction: {self.direction})", source=self.source,
                             field="direction")
        mask = np.array([d == direction for d in self.directions])
        if not mask.any():
            raise InputError(f"the table holds no {direction} rows", source=self.source, field="direction")

        def pick(a):
            return None if a is None else a[mask]

        return PressureTable(self.pressure_GPa[mask], pick(self.resistance_ohm), pick(self.resistivity_ohm_cm),
                             direction, tuple(d for d, m in zip(self.directions, mask) if m),
                             pick(self.temperature_K), pick(self.field_T), self.source, self.meta)

    def to_dict(self) -> dict:
        out = {"source": self.source, "direction": self.direction, "pressure_GPa": self.pressure_GPa.tolist(),
               self.quantity: self.values.tolist()}
        if self.directions is not None:
            out["directions"] = list(self.directions)
        if self.temperature_K is not None:
            out["temperature_K"] = self.temperature_K.tolist()
        if self.field_T is not None:
            out["field_T"] = self.field_T.tolist()
        return out


def read_rt_table(path, x: str = "T", field_T: float | None = None) -> RCurve | PressureTable:
    """An R(T) table as an :class:`RCurve` (``x="T"``) or an R(P) table as a :class:`PressureTable` (``x="P"``)."""
    if x not in ("T", "P"):
        raise InputError(f"x must be 'T' or 'P', got {x!r}", field="x")
    path = Path(path)
    with TextLines(path, "table") as src:
        head = _head_lines(src)
        header_idx, first_data, sep = find_header(head, path, 'T_K,R_ohm')
        encoding = src.encoding
        names = _split_header(head[header_idx], sep)
        columns, ignored = _recognise(names, path, header_idx + 1)
        used = _required(columns, x, path, header_idx + 1)
        blocks = [(first_data + 1, head[first_data:])] if first_data < len(head) else []
        rows, row_lines, dir_cells = _read_rows(chain(blocks, src.blocks()), sep, len(names), used, columns, path)
    lines = head
    meta: dict = {"encoding": encoding, "header_line": header_idx + 1,
                  "columns": {q: c.name for q, c in columns.items()}, "ignored_columns": ignored}
    data = {q: rows[:, k] * columns[q].scale + columns[q].offset for k, q in enumerate(used)}
    # rows need finite x and value (and field, for a curve); other columns may hold NaN
    needed = used[:2] + (["field"] if x == "T" and "field" in data else [])
    ok = np.ones(len(row_lines), dtype=bool)
    for q in needed:
        ok &= np.isfinite(data[q])
    meta["dropped_rows"] = int((~ok).sum())
    if not ok.any():
        raise InputError(f"no row with finite values in the columns {', '.join(columns[q].name for q in needed)}",
                         source=path)
    data = {q: a[ok] for q, a in data.items()}
    meta["row_lines"] = np.asarray(row_lines)[ok]
    _check_plausible(data, columns, meta["row_lines"], path)
    value_q = "resistance" if "resistance" in columns else "resistivity"
    if x == "T":
        return _rt_curve(data, value_q, columns, field_T, path, meta)
    _check_pressure_values(data[value_q], value_q, columns[value_q].name, meta["row_lines"], path)
    direction, directions = _direction(lines[:first_data], dir_cells, ok, columns.get("direction"), row_lines, path)
    if value_q == "resistivity" and "resistance" not in columns:
        meta["note"] = "resistivity (Ω·cm) in resistivity_ohm_cm"
    return PressureTable(
        pressure_GPa=data["pressure"],
        resistance_ohm=data.get("resistance"),
        resistivity_ohm_cm=data["resistivity"] if value_q == "resistivity" else None,
        direction=direction, directions=directions,
        temperature_K=data.get("temperature"), field_T=data.get("field"), source=str(path), meta=meta)


#: plausible magnitudes per quantity (lo, hi): beyond them a cell is corrupt (1e308 overflows every analysis)
_PLAUSIBLE = {"temperature": (0.0, MAX_TEMPERATURE_K), "resistance": (-MAX_ABS_RESISTANCE, MAX_ABS_RESISTANCE),
              "resistivity": (-MAX_ABS_RESISTANCE, MAX_ABS_RESISTANCE), "pressure": (-1e4, 1e4),
              "field": (-MAX_ABS_FIELD_T, MAX_ABS_FIELD_T)}
_UNITS = {"temperature": "K", "resistance": "Ω", "resistivity": "Ω·cm", "pressure": "GPa", "field": "T"}


def _check_plausible(data: dict, columns: dict, row_lines: np.ndarray, path: Path) -> None:
    for q, a in data.items():
        if q not in _PLAUSIBLE:
            continue
        lo, hi = _PLAUSIBLE[q]
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(a) & ((a < lo) | (a > hi))
        if np.any(bad):
            k = int(np.argmax(bad))
            raise InputError(f"{q} {a[k]:g} {_UNITS[q]} is outside the plausible {lo:g} to {hi:g} {_UNITS[q]} "
                             "(a corrupt cell?)", source=path, line=int(row_lines[k]), field=columns[q].name)


#: what a room-temperature R(P) / ρ(P) table may hold (its one use is log₁₀σ = −log₁₀ρ; Zhang et al., Phys. Rev.
#: Lett. 127, 127002 (2021)): (lo, hi, why). Below lo the value is no measurement but a corrupt cell — 4.9e-324
#: (the smallest float) gives log₁₀σ = 323 and overflows σ = 1/ρ downstream; above hi it is beyond what a
#: transport measurement resolves.
PRESSURE_TABLE_BOUNDS = {
    "resistivity": (1e-10, "far below any metal: silver 1.6e-6 Ω·cm at room temperature, the purest metals' "
                           "residual resistivity at 4 K ≈ 1e-9 Ω·cm",
                    1e20, "beyond the most insulating solids a transport rig measures: fused silica ≈ 1e19 Ω·cm"),
    "resistance": (1e-12, "below any four-probe resolution: a nanovoltmeter at ampere currents ≈ 1e-9 Ω",
                   1e18, "beyond any electrometer (≤ 1e17 Ω)"),
}


def _check_pressure_values(v: np.ndarray, q: str, name: str, row_lines: np.ndarray, path: Path) -> None:
    """Every resistance/resistivity of an R(P) table must be > 0 (σ = 1/ρ, logarithm) and within
    :data:`PRESSURE_TABLE_BOUNDS`; else the one-line error naming the first bad row's line."""
    lo, why_lo, hi, why_hi = PRESSURE_TABLE_BOUNDS[q]
    bad = ~((v >= lo) & (v <= hi))  # the reader dropped NaN rows already
    if not bad.any():
        return
    k = int(np.argmax(bad))
    unit = _UNITS[q]
    if v[k] <= 0:
        msg = f"{q} {v[k]:g} {unit}: an R(P) table needs every {q} > 0 (σ = 1/ρ and its logarithm)"
    elif v[k] < lo:
        msg = f"{q} {v[k]:g} {unit} is below the physical {lo:g} {unit} ({why_lo}): a corrupt cell?"
    else:
        msg = f"{q} {v[k]:g} {unit} is above the physical {hi:g} {unit} ({why_hi}): a corrupt cell?"
    raise InputError(msg, source=path, line=int(row_lines[k]), field=name)


# -- header ---------------------------------------------------------------------------------------------------------
def _split_header(line: str, sep: str) -> list[str]:
    text = line.strip()
    if text.startswith("#"):
        text = text.lstrip("#").strip()
    if sep == " ":
        return _HEADER_TOKENS.findall(text)
    return split_cells(text, sep)


def _parse_name(name: str) -> tuple[str | None, str | None, bool]:
    """(quantity, unit, strict) of a column name.

    quantity is None when not recognised, unit None when not stated; ``strict`` is False for the ``name_unit``
    form, whose "unit" may be another word (``R_err_ohm``): a bad unit there makes the column ignored, not an error.
    """
    raw = name.strip()
    m = _UNIT_IN_BRACKETS.match(raw)
    if m:
        return _QUANTITY_NAMES.get(m.group("name").strip().lower()), m.group("unit").strip(), True
    if "/" in raw:
        q, _, unit = raw.partition("/")
        if q.strip().lower() in _QUANTITY_NAMES:
            return _QUANTITY_NAMES[q.strip().lower()], unit.strip(), True
    if raw.lower() in _QUANTITY_NAMES:
        return _QUANTITY_NAMES[raw.lower()], None, True
    tokens = raw.split("_")
    for k in range(len(tokens) - 1, 0, -1):
        q = " ".join(tokens[:k]).lower()
        if q in _QUANTITY_NAMES:
            return _QUANTITY_NAMES[q], "_".join(tokens[k:]), False
    return None, None, False


def _recognise(names: list[str], path: Path, line: int) -> tuple[dict[str, _Column], list[str]]:
    columns: dict[str, _Column] = {}
    ignored: list[str] = []
    for k, name in enumerate(names):
        quantity, unit, strict = _parse_name(name)
        if quantity is None:
            ignored.append(name)
            continue
        if quantity == "direction":
            col = _Column(k, name, "direction", "")
        else:
            if not unit:
                raise InputError(f"column {name!r} ({quantity}) states no unit; write it as e.g. "
                                 f"{_EXAMPLE[quantity]!r}", source=path, line=line, field=name)
            try:
                col = _unit_column(k, name, quantity, unit, path, line)
            except InputError:
                if strict:
                    raise
                ignored.append(name)
                continue
        if quantity in columns:
            raise InputError(f"two {quantity} columns ({columns[quantity].name!r} and {name!r}); keep one",
                             source=path, line=line, field=name)
        columns[quantity] = col
    return columns, ignored


_EXAMPLE = {"temperature": "T_K", "pressure": "pressure_GPa", "resistance": "R_ohm", "resistivity": "rho_ohm_cm",
            "field": "H_T"}


def _unit_column(k: int, name: str, quantity: str, unit: str, path: Path, line: int) -> _Column:
    unit_n = unit.strip()
    bad = InputError(f"unit {unit!r} of column {name!r} is not a {quantity} unit", source=path, line=line,
                     field=name)
    if quantity == "temperature":
        if unit_n.lower() not in _TEMPERATURE_UNITS:
            raise bad
        scale, offset = _TEMPERATURE_UNITS[unit_n.lower()]
        return _Column(k, name, quantity, unit_n, scale, offset)
    if quantity == "pressure":
        if unit_n.lower() not in _PRESSURE_UNITS:
            raise bad
        return _Column(k, name, quantity, unit_n, _PRESSURE_UNITS[unit_n.lower()])
    if quantity == "field":
        factor = _FIELD_UNITS.get(unit_n, _FIELD_UNITS.get(unit_n.lower()))
        if factor is None:
            raise bad
        return _Column(k, name, quantity, unit_n, factor)
    parsed = resistance_unit(unit_n.replace("_", "-"))
    if parsed is None or (quantity == "resistance") != (parsed[0] == "resistance"):
        raise bad
    return _Column(k, name, quantity, unit_n, parsed[1])


def _required(columns: dict[str, _Column], x: str, path: Path, line: int) -> list[str]:
    xq = "temperature" if x == "T" else "pressure"
    found = ", ".join(c.name for c in columns.values()) or "none"
    if xq not in columns:
        raise InputError(f"no {xq} column (recognised columns: {found}); name it e.g. {_EXAMPLE[xq]!r}", source=path,
                         line=line, field=xq)
    if "resistance" not in columns and "resistivity" not in columns:
        raise InputError(f"no resistance or resistivity column (recognised columns: {found}); name it e.g. 'R_ohm'",
                         source=path, line=line, field="resistance")
    used = [xq, "resistance" if "resistance" in columns else "resistivity"]
    for extra in ("temperature", "field", "pressure"):
        if extra in columns and extra not in used:
            used.append(extra)
    return used


# -- rows -----------------------------------------------------------------------------------------------------------
def _head_lines(src) -> list[str]:
    """Lines up to and including the first one that is neither blank nor a ``#`` comment (the header or the first
    data row): what :func:`find_header` needs."""
    head = []
    while (item := src.next_line()) is not None:
        head.append(item[1])
        text = item[1].strip()
        if text and not text.startswith("#"):
            break
    return head


def _read_rows(blocks, sep, ncol, used, columns, path):
    """(values (rows × used), row line numbers, direction cells) of the data blocks (first line number, lines).

    A block of plain rows is split and converted in C (:func:`fast_float_rows`); any other block is read line by
    line with the rules (and errors) below."""
    parts: list[np.ndarray] = []
    line_parts: list[np.ndarray] = []
    dir_cells: list[str] = []
    picks = [(columns[q].index, columns[q].name) for q in used]
    dir_col = columns.get("direction")
    for start, lines in blocks:
        fast = fast_float_rows(lines, sep, ncol, [k for k, _ in picks],
                               text_pick=None if dir_col is None else dir_col.index)
        if fast is not None:
            vals, texts = fast
            parts.append(vals)
            line_parts.append(np.arange(start, start + len(lines)))
            dir_cells.extend(texts)
            continue
        values: list[list[float]] = []
        row_lines: list[int] = []
        for i, line in enumerate(lines, start=start):
            cells = row_cells(line, sep, ncol, path, i)
            if cells is None:
                continue
            row = []
            for k, name in picks:
                cell = cells[k]
                if not cell:
                    row.append(math.nan)
                    continue
                try:
                    row.append(float(cell))
                except ValueError:
                    raise InputError(f"not a number: {cell!r} in column {name!r}", source=path, line=i,
                                     field=name) from None
            values.append(row)
            row_lines.append(i)
            if dir_col is not None:
                dir_cells.append(cells[dir_col.index])
        if values:
            parts.append(np.asarray(values, dtype=float))
            line_parts.append(np.asarray(row_lines, dtype=int))
    if not parts:
        raise InputError("no data rows after the header", source=path)
    return np.concatenate(parts), np.concatenate(line_parts), dir_cells


def _direction(header_lines, dir_cells, ok, dir_col, row_lines, path):
    """(overall direction, per-row directions or None) from a direction column, else from the comment lines."""
    if dir_col is not None:
        out = []
        for cell, good, line in zip(dir_cells, ok.tolist(), row_lines.tolist()):
            v = cell.strip().lower()
            if v in _COMPRESSION:
                d = "compression"
            elif v in _DECOMPRESSION:
                d = "decompression"
            else:
                raise InputError(f"direction {cell!r} is neither compression nor decompression", source=path,
                                 line=line, field=dir_col.name)
            if good:
                out.append(d)
        kinds = set(out)
        overall = kinds.pop() if len(kinds) == 1 else "mixed"
        return overall, tuple(out)
    comments = " ".join(line.lower() for line in header_lines if line.strip().startswith("#"))
    de = "decompression" in comments
    comp = re.search(r"(?<!de)compression", comments) is not None
    if de and not comp:
        return "decompression", None
    if comp and not de:
        return "compression", None
    return None, None


def _rt_curve(data, value_q, columns, field_T, path, meta) -> RCurve:
    n = data["temperature"].size
    if "field" in data:
        h = data["field"]
    else:
        value = 0.0 if field_T is None else float(field_T)
        h = np.full(n, value)
        meta["field_assumed"] = (f"no field column: {value:g} T "
                                 + ("assumed (pass field_T= to state it)" if field_T is None else "(field_T argument)"))
    meta["quantity"] = "resistance_ohm"
    if value_q == "resistivity":
        meta["quantity"] = "resistivity_ohm_cm"
        meta["note"] = "resistivity (Ω·cm) not resistance"
    if "pressure" in data and np.isfinite(data["pressure"]).any():
        meta["pressure_GPa"] = float(np.nanmean(data["pressure"]))
    return RCurve(data["temperature"], data[value_q], h, "T", str(path), None, meta)
