"""Read Quantum Design PPMS / DynaCool / MPMS3 ``.dat`` files into :class:`QDFile`, and channels into RCurves.

File layout (MultiVu writes all of these the same way)::

    [Header]
    ; comment lines start with ';'
    TITLE, <free text>
    BYAPP, <application>, <versions…>
    INFO, <value>, <KEY>            (value may itself contain commas; KEY is the last field)
    INFO, APPNAME, <application>    (the ETO and Resistivity options write APPNAME first)
    …
    [Data]
    Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),…    ← the column-name row (``data_line``)
                                                                         ← an optional blank line (ETO files)
    ,12214921.77,4369,1.99892485,10000.085,…                             ← data rows, comma separated

Parsing rules
-------------
* Text is decoded as UTF-8 (a BOM is dropped); a file that is not valid UTF-8 is decoded as latin-1 (recorded in
  ``meta["encoding"]``). ``\\r\\n``, ``\\r`` and ``\\n`` line endings are all accepted.
* No ``[Data]`` line → :class:`~hpglass.errors.InputError` "no [Data] section". The column-name row is the next
  non-blank line; no such row, or no data row after it → InputError "empty data section".
* Blank lines anywhere in the data section are skipped (counted in ``meta["blank_lines"]``).
* A row with FEWER cells than the column-name row is padded with NaN (the Resistivity option declares 41 columns
  and writes 23 cells per row); such rows are counted in ``meta["ragged_rows"]``.
* A row with MORE cells is an InputError naming the line — except that surplus cells which are all empty (trailing
  commas) are tolerated, since they carry no value that could be misplaced.
* A truncated last line — the file does not end in a newline AND the last row has fewer cells than the row before
  it (or than the column-name row, if it is the only row) — is padded like a ragged row, and its last cell, which may
  have been cut in the middle of a number, is set to NaN too. Its line number is kept in
  ``meta["truncated_line"]``. (A last row that is merely missing its newline, like the MPMS3 reference file's, is
  complete and read as is.)
* Every cell of every column must be a number or empty (→ NaN); anything else is an InputError naming the file,
  the line and the column. The exception is a first column named ``Comment``: it is text, kept in
  :attr:`QDFile.comments` (line → text, non-empty cells only) and not in :attr:`QDFile.data`. A cell in double
  quotes may contain commas.
* ``units`` holds the unit in the trailing ``(…)`` of a column name, as written (``"Oe"``, ``"ohm-cm"``; ``""``
  for ``Pressure ()``); names without parentheses have no entry.

Option (``QDFile.option``)
--------------------------
From the ``BYAPP`` line, else the ``INFO …APPNAME`` line, else ``TITLE`` (first that says something):
``Resistivity`` → ``"resistivity"``; ``Electrical Transport``/``ETOption``/``ETO`` → ``"eto"``;
``ACTRANSPORT``/``AC Transport`` → ``"act"``; ``MPMS`` → ``"mpms"``. If none does, the column names decide
(``Res. chN`` → act, ``Resistance ChN`` → eto, ``Bridge N Resistance`` → resistivity, ``Moment (emu)`` → mpms),
else ``"unknown"``. ``meta["option_from"]`` says which line decided.

Column names (case-insensitive), as found in the real files
------------------------------------------------------------
temperature
    ``Temperature (K)``. (The ACT file also repeats the temperature in ``Map 24 ()``; it is not used.)
field — :meth:`QDFile.column` ("field") returns TESLA
    ``Magnetic Field (Oe)`` (Resistivity, ACT, MPMS3) or ``Field (Oe)`` (ETO); units Oe, kOe, G, T, mT converted.
resistance of channel N — candidates by option, resistance (Ω) columns before resistivity columns; the first
candidate with any number is the channel's column:
    * Resistivity option: ``Bridge N Resistance (Ohms)``, then ``Bridge N Resistivity (<unit>)`` — the unit of
      the latter follows the sample's "Units" setting (``Ohm`` in the real file, where it repeats the resistance;
      ``Ohm-m`` or ``Ohm-cm`` when a geometry was entered).
    * ETO: ``Resistance ChN (Ohms)`` (also accepted: ``Resistivity ChN (<unit>)``).
    * AC Transport: ``Res. chN (ohm-cm)`` (a resistivity) (also accepted: ``Resistance chN (Ohms)``). The ACT
      file also carries the PPMS base bridges as ``Bridge N Resistance (ohms)``; for an ACT file they are not
      channels (their numbering is a different instrument's) — read them with :meth:`QDFile.column` by name.
    * unknown option: Bridge columns, then Ch columns.
    Standard deviations (``Resistance Std. Dev. Ch1``, ``Res. Std.Dev. ch1``, ``Bridge 1 Std. Dev.``) never match.
    Units recognised: ``ohm``/``ohms``/``Ω`` with an optional prefix (n, u, µ, m, k, M) → resistance;
    ``ohm-cm``, ``ohm-m``, ``ohm-mm`` (also ``ohm*cm``, ``ohm.cm``, ``Ω·cm``) → resistivity, carried in Ω·cm.

Resistivity columns in :meth:`QDFile.curve`
--------------------------------------------
An RCurve carries resistance. When the channel's column is a resistivity (Ω·cm after unit conversion) and the
header gives that sample's geometry — ``SAMPLEn_LEAD_SEPARATION`` (or ``Sample n Length``) in cm and
``SAMPLEn_CROSS_SECTION`` (``Sample n Cross Section``) in cm², QD's units for both, both > 0 — it is converted
back to resistance, R = ρ·L/A, and ``meta["resistivity_converted"]`` records ρ's column, L and A. (Check on the real
ACT file: ρ·L/A equals Volts/Excitation to 6 digits.) Without a geometry, or with ``convert_resistivity=False``,
the curve's ``resistance_ohm`` CARRIES THE RESISTIVITY IN Ω·cm, and ``meta["quantity"]`` is
``"resistivity_ohm_cm"`` with ``meta["note"] = "resistivity (Ω·cm) not resistance"``.

Swept variable (``x="auto"`` in :meth:`QDFile.curve`)
-----------------------------------------------------
On the rows kept for the curve, with ΔH the field span (T) and ΔT the temperature span (K):

1. ΔH ≤ 0.05 T → ``"T"`` (a temperature sweep at a fixed field; the real ETO file).
2. ΔH > 0.05 T and ΔT < 0.5 K → ``"H"`` (a field sweep at a settled temperature; the real Resistivity file,
   ΔT = 0.3 K).
3. Both spans large (a file holding several sweeps: field sweeps on a ladder of temperatures, or temperature
   sweeps at several fields) → compare the median step between consecutive points, scaled by 1 T and 10 K:
   ``"H"`` if median|dH| / 1 T > median|dT| / 10 K, else ``"T"``. The real ACT file (ΔH = 2 T, ΔT = 1.4 K;
   steps of 5 mT against ≈ 0.5 mK of temperature noise) is "H"; R(T) sweeps at several fields are "T".

``meta["x_rule"]`` states the spans, the steps where used, and the outcome.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..transport.curve import RCurve
from ._text import MAX_LINE_CHARS, TextLines

__all__ = ["QD_OPTIONS", "QDFile", "read_qd"]

QD_OPTIONS = ("resistivity", "eto", "act", "mpms", "unknown")

#: x="auto" thresholds (see the module docstring)
AUTO_FIELD_SPAN_T = 0.05
AUTO_TEMPERATURE_SPAN_K = 0.5
AUTO_FIELD_SCALE_T = 1.0
AUTO_TEMPERATURE_SCALE_K = 10.0

_FIELD_TO_T = {"oe": 1e-4, "koe": 0.1, "g": 1e-4, "gauss": 1e-4, "t": 1.0, "tesla": 1.0, "mt": 1e-3}
_TEMPERATURE_NAMES = ("temperature (k)",)
_FIELD_NAMES = ("magnetic field", "field")
_UNIT_SUFFIX = re.compile(r"\(([^()]*)\)\s*$")

# channel columns: (family, regex with the channel number in group "n")
_BRIDGE = re.compile(r"^bridge\s*(?P<n>\d+)\s+(?:resistance|resistivity)\b", re.IGNORECASE)
_CH = re.compile(r"^(?:resistance|resistivity|res\.)\s*ch(?:annel)?\.?\s*(?P<n>\d+)\b", re.IGNORECASE)
_FAMILIES = {"resistivity": (_BRIDGE,), "eto": (_CH,), "act": (_CH,), "mpms": (_BRIDGE, _CH),
             "unknown": (_BRIDGE, _CH)}
_PREFIX = {"": 1.0, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6}
_LENGTH_TO_CM = {"cm": 1.0, "m": 100.0, "mm": 0.1}
_OHM_UNIT = re.compile(r"^(?P<p>[nuµμmkM]?)(?:ohms?|Ω)(?:[-*.·_ ]?(?P<len>cm|mm|m))?$", re.IGNORECASE)
_ALIAS_CHANNEL = re.compile(r"^(?:resistance|r|ch)[\s_]*(?:ch)?[\s_]*(\d+)$", re.IGNORECASE)


def resistance_unit(unit: str | None) -> tuple[str, float] | None:
    """``("resistance", factor to Ω)`` or ``("resistivity", factor to Ω·cm)`` for a unit string, else None."""
    if unit is None:
        return None
    match = _OHM_UNIT.match(unit.strip().replace("Ω", "ohm"))
    if not match:
        return None
    prefix = match.group("p")
    # the prefix keeps its case: "mohm" is milli, "Mohm"/"MOhm" mega; "K" is read as kilo
    factor = _PREFIX.get(prefix, _PREFIX.get(prefix.lower(), 1.0))
    length = match.group("len")
    if length is None:
        return "resistance", factor
    return "resistivity", factor * _LENGTH_TO_CM[length.lower()]


@dataclass(frozen=True)
class _Channel:
    number: int
    column: str
    kind: str  # "resistance" | "resistivity" | "unknown"
    factor: float  # to Ω or Ω·cm
    has_data: bool


@dataclass(frozen=True, eq=False)
class QDFile:
    """One Quantum Design ``.dat`` file: header, columns as written, numeric data (NaN for empty cells).

    ``info`` is keyed by the INFO line's key as written (``SAMPLE1_CROSS_SECTION``, ``Sample1 Cross Section``);
    :meth:`info_value` looks a key up ignoring case, spaces and underscores. ``row_line`` gives the 1-based file
    line of every data row; ``comments`` maps line → text of the non-empty ``Comment`` cells. ``meta`` holds the
    encoding, ``option_from``, ``ragged_rows``, ``blank_lines``, ``truncated_line`` (or None), ``byapp``.
    """

    path: Path
    option: str
    title: str
    info: dict[str, str]
    header_lines: list[str]
    columns: list[str]
    data: dict[str, np.ndarray]
    units: dict[str, str]
    data_line: int
    row_line: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=int))
    comments: dict[int, str] = field(default_factory=dict, repr=False)
    meta: dict = field(default_factory=dict, compare=False, repr=False)

    # -- plain access ---------------------------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return int(self.row_line.size)

    def __len__(self) -> int:
        return self.n_rows

    def info_value(self, key: str) -> str | None:
        """The INFO value for ``key`` compared without case, spaces or underscores (None if absent)."""
        want = _norm_key(key)
        for k, v in self.info.items():
            if _norm_key(k) == want:
                return v
        return None

    def column(self, name_or_alias: str) -> np.ndarray:
        """A column by its name as written (values as written), or by an alias.

        Aliases: ``"temperature"`` (K); ``"field"`` — returned in TESLA, converted from the column's unit (Oe);
        ``"resistance"`` (the first channel with data) and ``"resistanceN"``/``"resistance N"``/``"chN"`` (channel N),
        returned as written (Ω, or Ω·cm for a resistivity column — see :meth:`resistance_column`).
        """
        name = str(name_or_alias)
        if name in self.data:
            return self.data[name]
        lower = {c.lower(): c for c in self.data}
        if name.lower().strip() in lower:
            return self.data[lower[name.lower().strip()]]
        key = name.strip().lower()
        if key in ("temperature", "temperature_k", "t"):
            col = self._temperature_column()
            if col is None:
                raise InputError("no temperature column ('Temperature (K)')", source=self.path, field="temperature")
            return self.data[col]
        if key in ("field", "field_t", "h", "b", "magnetic field"):
            found = self._field_column()
            if found is None:
                raise InputError("no field column ('Magnetic Field (Oe)' or 'Field (Oe)')", source=self.path,
                                 field="field")
            col, factor = found
            return self.data[col] * factor
        if key == "resistance":
            chans = self.channels()
            if not chans:
                raise InputError("no channel has resistance data", source=self.path, field="resistance")
            return self.column(self._channel(chans[0]).column)
        match = _ALIAS_CHANNEL.match(key)
        if match:
            return self.data[self._channel(int(match.group(1))).column]
        close = difflib.get_close_matches(name, self.columns, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(f"no column {name!r} (aliases: temperature, field, resistance, resistanceN){hint}",
                         source=self.path, field=name)

    def resistance_column(self, channel: int) -> str:
        """The column that holds channel ``channel``'s resistance (or resistivity), by the rules of the module."""
        return self._channel(channel).column

    def channels(self) -> list[int]:
        """Channel numbers whose resistance column has at least one number, ascending."""
        return sorted(n for n, ch in self._channel_table().items() if ch.has_data)

    # -- curves -----------------------------------------------------------------------------------------------------
    def curve(self, channel: int | None = None, x: str = "auto", convert_resistivity: bool = True) -> RCurve:
        """R against T or H for one channel (default: the first channel with data).

        Rows where that channel's resistance is blank are dropped (``meta["dropped_blank"]``), as are rows with no
        temperature, or no field when the file has a field column (``meta["dropped_nonfinite"]``);
        ``meta["dropped_rows"]`` is their sum. ``x`` is "T", "H" or "auto" (rule in the module docstring).
        Resistivity columns: converted with the header geometry when present, else carried as Ω·cm (module doc).
        """
        if x not in ("auto", "T", "H"):
            raise InputError(f"x must be 'auto', 'T' or 'H', got {x!r}", source=self.path, field="x")
        table = self._channel_table()
        if channel is None:
            chans = self.channels()
            if not chans:
                cols = ", ".join(repr(c.column) for c in table.values()) or "none"
                raise InputError(f"no channel has resistance data (resistance columns: {cols})", source=self.path,
                                 field="channel")
            channel = chans[0]
        ch = self._channel(channel)
        if not ch.has_data:
            others = ", ".join(map(str, self.channels())) or "none"
            raise InputError(f"channel {ch.number} has no resistance data: column {ch.column!r} is empty in all "
                             f"{self.n_rows} rows (channels with data: {others})", source=self.path,
                             field=f"channel {ch.number}")
        t_col = self._temperature_column()
        if t_col is None:
            raise InputError("no temperature column ('Temperature (K)'); cannot build a curve", source=self.path,
                             field="temperature")
        temperature = self.data[t_col]
        found = self._field_column()
        meta: dict = {}
        if found is None:
            field_T = np.full(self.n_rows, np.nan)
            meta["field_note"] = "no field column: field_T is NaN"
        else:
            field_T = self.data[found[0]] * found[1]
            meta["field_column"] = found[0]
        raw = self.data[ch.column]
        blank = ~np.isfinite(raw)
        bad_other = ~blank & ~(np.isfinite(temperature) & (np.isfinite(field_T) if found is not None else True))
        keep = ~blank & ~bad_other
        values = raw[keep] * ch.factor
        t, h = temperature[keep], field_T[keep]

        meta.update({
            "option": self.option, "column": ch.column, "unit": self.units.get(ch.column),
            "rows_in_file": self.n_rows, "dropped_blank": int(blank.sum()), "dropped_nonfinite": int(bad_other.sum()),
            "dropped_rows": int((~keep).sum()), "row_lines": self.row_line[keep], "title": self.title,
            "sample": self._sample_info(ch.number), "quantity": "resistance_ohm",
        })
        if ch.kind == "resistivity":
            geometry = self._geometry(ch.number) if convert_resistivity else None
            if geometry is not None:
                length_cm, area_cm2 = geometry
                values = values * length_cm / area_cm2
                meta["resistivity_converted"] = {"column": ch.column, "lead_separation_cm": length_cm,
                                                 "cross_section_cm2": area_cm2, "formula": "R = rho * L / A"}
                meta["note"] = (f"resistance computed from the resistivity column {ch.column!r}: R = ρ·L/A with "
                                f"L = {length_cm:g} cm, A = {area_cm2:g} cm² from the header")
            else:
                meta["quantity"] = "resistivity_ohm_cm"
                meta["note"] = "resistivity (Ω·cm) not resistance"
                why = "convert_resistivity=False" if not convert_resistivity else "no sample geometry in the header"
                meta["note_detail"] = f"resistance_ohm carries ρ in Ω·cm ({why})"
        elif ch.kind == "unknown":
            meta["note"] = f"unit of {ch.column!r} not stated; values taken as Ω"
        if values.size and np.all(values == 0):
            meta["all_zero"] = True
        xv = _auto_x(t, h, found is not None) if x == "auto" else (x, f"x={x!r} given")
        meta["x_rule"] = xv[1]
        return RCurve(t, values, h, xv[0], str(self.path), ch.number, meta)

    def curves(self, x: str = "auto", convert_resistivity: bool = True) -> dict[int, RCurve]:
        """:meth:`curve` for every channel with data."""
        return {n: self.curve(n, x=x, convert_resistivity=convert_resistivity) for n in self.channels()}

    # -- internals ------------------------------------------------------------------------------------------------
    def _temperature_column(self) -> str | None:
        for c in self.data:
            if c.strip().lower() in _TEMPERATURE_NAMES:
                return c
        return None

    def _field_column(self) -> tuple[str, float] | None:
        for want in _FIELD_NAMES:
            for c in self.data:
                unit = self.units.get(c)
                base = _UNIT_SUFFIX.sub("", c).strip().lower()
                if base == want and unit is not None and unit.strip().lower() in _FIELD_TO_T:
                    return c, _FIELD_TO_T[unit.strip().lower()]
        return None

    def _channel_table(self) -> dict[int, _Channel]:
        return self._channels

    @cached_property
    def _channels(self) -> dict[int, _Channel]:
        candidates: dict[int, list[tuple[int, int, _Channel]]] = {}
        for fam_rank, regex in enumerate(_FAMILIES.get(self.option, _FAMILIES["unknown"])):
            for pos, c in enumerate(self.columns):
                if c not in self.data:
                    continue
                match = regex.match(c.strip())
                if not match:
                    continue
                n = int(match.group("n"))
                parsed = resistance_unit(self.units.get(c))
                if parsed is None:
                    kind, factor = ("resistivity" if "resistiv" in c.lower() or c.lower().startswith("res.")
                                    else "unknown"), 1.0
                else:
                    kind, factor = parsed
                # resistance units first; among those a column named "…Resistance…" before "…Resistivity (Ohm)"
                rank = fam_rank * 10 + (0 if kind == "resistance" else 2) + (0 if "resistance" in c.lower() else 1)
                ch = _Channel(n, c, kind, factor, bool(np.isfinite(self.data[c]).any()))
                candidates.setdefault(n, []).append((rank, pos, ch))
        table: dict[int, _Channel] = {}
        for n, cands in candidates.items():
            cands.sort(key=lambda item: (item[0], item[1]))
            with_data = [ch for _, _, ch in cands if ch.has_data]
            table[n] = with_data[0] if with_data else cands[0][2]
        return table

    def _channel(self, channel) -> _Channel:
        is_int = isinstance(channel, (int, np.integer)) and not isinstance(channel, bool)
        if is_int or (isinstance(channel, str) and channel.strip().isdigit()):
            number = int(channel)
        else:
            raise InputError(f"channel must be an integer, got {channel!r}", source=self.path, field="channel")
        table = self._channel_table()
        if number not in table:
            with_data = ", ".join(map(str, self.channels())) or "none"
            empty = [n for n, c in table.items() if not c.has_data]
            extra = f"; present but empty: {', '.join(map(str, sorted(empty)))}" if empty else ""
            raise InputError(f"no channel {number} in this {self.option} file; channels with resistance data: "
                             f"{with_data}{extra}", source=self.path, field="channel")
        return table[number]

    def _sample_info(self, n: int) -> dict[str, str]:
        out = {}
        for k, v in self.info.items():
            nk = _norm_key(k)
            if nk.startswith(f"SAMPLE{n}") and not nk[len(f"SAMPLE{n}"):][:1].isdigit():
                out[k] = v
        return out

    def _geometry(self, n: int) -> tuple[float, float] | None:
        length = _positive(self.info_value(f"SAMPLE{n}_LEAD_SEPARATION")) or _positive(
            self.info_value(f"SAMPLE{n}_LENGTH"))
        area = _positive(self.info_value(f"SAMPLE{n}_CROSS_SECTION"))
        if length is None or area is None:
            return None
        return length, area


def _positive(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) and v > 0 else None


def _norm_key(key: str) -> str:
    return re.sub(r"[\s_]+", "", key).upper()


def _auto_x(t: np.ndarray, h: np.ndarray, has_field: bool) -> tuple[str, str]:
    dt = float(np.ptp(t)) if t.size else 0.0
    dh = float(np.ptp(h)) if has_field and h.size and np.isfinite(h).all() else 0.0
    rule = (f"H if ΔH > {AUTO_FIELD_SPAN_T} T and ΔT < {AUTO_TEMPERATURE_SPAN_K} K; T if ΔH ≤ {AUTO_FIELD_SPAN_T} T; "
            f"else by the median step: H if median|dH|/{AUTO_FIELD_SCALE_T:g} T > "
            f"median|dT|/{AUTO_TEMPERATURE_SCALE_K:g} K")
    if dh <= AUTO_FIELD_SPAN_T:
        x, why = "T", f"field span {dh:.4g} T ≤ {AUTO_FIELD_SPAN_T} T"
    elif dt < AUTO_TEMPERATURE_SPAN_K:
        x, why = "H", f"field span {dh:.4g} T, temperature span {dt:.4g} K"
    else:
        step_h = float(np.median(np.abs(np.diff(h)))) if h.size > 1 else 0.0
        step_t = float(np.median(np.abs(np.diff(t)))) if t.size > 1 else 0.0
        x = "H" if step_h / AUTO_FIELD_SCALE_T > step_t / AUTO_TEMPERATURE_SCALE_K else "T"
        why = (f"field span {dh:.4g} T and temperature span {dt:.4g} K both large; median steps "
               f"{step_h:.3g} T and {step_t:.3g} K")
    return x, f"auto: {why} → x={x!r} ({rule})"


# -- reading --------------------------------------------------------------------------------------------------------
def read_text(path: Path, what: str = "file") -> tuple[str, str]:
    """The text of ``path`` (UTF-8, BOM dropped; latin-1 if not UTF-8) and the encoding used."""
    if not path.exists():
        raise InputError("file not found", source=path)
    if path.is_dir():
        raise InputError(f"is a directory, not a {what}", source=path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror}", source=path) from None
    if b"\0" in raw[:65536]:
        raise InputError(f"binary file, not a text {what}", source=path)
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    if len(text) > MAX_LINE_CHARS:
        _check_line_lengths(text, path, what)
    return text, encoding




def _check_line_lengths(text: str, path: Path, what: str) -> None:
    start = 0
    for number, m in enumerate(re.finditer(r"\r\n|\r|\n", text + "\n"), start=1):
        if m.start() - start > MAX_LINE_CHARS:
            raise InputError(f"line of {m.start() - start:,} characters, longer than the {MAX_LINE_CHARS:,} a "
                             f"{what} row may have (a corrupt or wrong file?)", source=path, line=number)
        start = m.end()


def split_lines(text: str) -> list[str]:
    """Lines split on \\r\\n, \\r or \\n only (``str.splitlines`` would also split on latin-1's \\x85 etc.)."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def row_cells(line: str, sep: str, ncol: int, path, line_no: int) -> list[str] | None:
    """The cells of one data row of a table with ``ncol`` header columns, or None for a blank/comment line:
    the part before ``#``, split by :func:`split_cells`; trailing empty cells of a delimited row (a trailing
    separator) dropped down to ``ncol``; any other count is a one-line error naming the line."""
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    cells = split_cells(text, sep)
    if sep != " ":
        while len(cells) > ncol and not cells[-1]:
            cells.pop()
    if len(cells) != ncol:
        raise InputError(f"row has {len(cells)} cells, the header names {ncol} columns", source=path, line=line_no)
    return cells


def split_cells(text: str, sep: str) -> list[str]:
    """The cells of one delimited row, stripped: RFC 4180 quoting honoured (a quoted field may hold the separator
    and doubled quotes), as written by Python's csv module, spreadsheets and pandas; ``sep == " "`` splits on
    runs of whitespace."""
    if sep == " ":
        return text.split()
    import csv

    try:
        return [c.strip() for c in next(csv.reader([text], delimiter=sep, skipinitialspace=True), [])]
    except csv.Error as exc:
        raise InputError(f"row cannot be split into cells: {exc}") from None


#: header lines kept before [Data] (MultiVu writes a few dozen; a longer "header" is not a .dat file)
MAX_HEADER_LINES = 100_000


def read_qd(path) -> QDFile:
    """Read a Quantum Design ``.dat`` file (rules in the module docstring).

    The file is streamed: rows are split and converted block by block into float columns, so memory is about
    the size of the numeric data, not of the text."""
    path = Path(path)
    with TextLines(path, "Quantum Design .dat file") as src:
        encoding = src.encoding
        header: list[str] = []
        data_idx = None
        while (item := src.next_line()) is not None:
            if item[1].strip().lower() == "[data]":
                data_idx = item[0] - 1
                break
            if len(header) >= MAX_HEADER_LINES:
                continue  # keep scanning for [Data] without keeping the lines
            header.append(item[1])
        if data_idx is None:
            raise InputError("no [Data] section: not a Quantum Design .dat file, or the header was cut short",
                             source=path)
        if data_idx > MAX_HEADER_LINES:
            raise InputError(f"[Data] comes after {data_idx:,} header lines (a .dat header has a few dozen): not a "
                             "Quantum Design .dat file", source=path, line=data_idx + 1)
        title, byapp, info, info_lines = _parse_header(header)

        # the column-name row
        item = src.next_line()
        while item is not None and not item[1].strip():
            item = src.next_line()
        if item is None:
            raise InputError("empty data section: no column-name row after [Data]", source=path, line=data_idx + 1)
        data_line = item[0]
        columns = [c.strip() for c in _cells(item[1])]
        while columns and not columns[-1]:
            columns.pop()
        if not columns:
            raise InputError("empty column-name row after [Data]", source=path, line=data_line)
        meta: dict = {"encoding": encoding, "byapp": byapp, "blank_lines": 0, "ragged_rows": 0,
                      "truncated_line": None, "declared_columns": len(columns)}
        columns = _unique(columns, meta)
        ncol = len(columns)
        text_col = 0 if columns[0].lower() == "comment" else None

        parts: list[list[np.ndarray]] = [[] for _ in columns]
        line_parts: list[np.ndarray] = []
        comments: dict[int, str] = {}
        n_rows = 0
        last_len = ncol
        for start, block in src.blocks():
            regular = _regular_block(block, ncol, src)
            if regular is not None:  # every row has the same cells: split and converted in C
                flat, width = regular
                row_line = list(range(start, start + len(block)))
                if width < ncol:
                    meta["ragged_rows"] += len(block)
                for k, name in enumerate(columns):
                    col = flat[k::width] if k < width else [""] * len(block)
                    if k == text_col:
                        if col.count("") != len(col):
                            comments.update((row_line[m], c.strip()) for m, c in enumerate(col) if c.strip())
                        continue
                    parts[k].append(_to_float(col, name, row_line, path))
                line_parts.append(np.arange(start, start + len(block)))
                n_rows += len(block)
                last_len = min(width, ncol)
                continue
            rows: list[list[str]] = []
            row_line: list[int] = []
            last_of_block = start + len(block) - 1
            for j, line in enumerate(block, start=start):
                if not line.strip():
                    meta["blank_lines"] += 1
                    continue
                cells = _cells(line)
                n = len(cells)
                if n > ncol:
                    if any(c.strip() for c in cells[ncol:]):
                        raise InputError(f"row has {n} cells but the column-name row (line {data_line}) declares "
                                         f"{ncol} columns", source=path, line=j)
                    cells = cells[:ncol]
                    n = ncol
                if j == last_of_block and src.at_end() and not src.ends_with_newline \
                        and n < (last_len if n_rows + len(rows) else ncol):
                    meta["truncated_line"] = j
                    cells[-1] = ""  # may have been cut in the middle of a number
                if n < ncol:
                    meta["ragged_rows"] += 1
                    cells = cells + [""] * (ncol - n)
                last_len = n
                rows.append(cells)
                row_line.append(j)
            if not rows:
                continue
            n_rows += len(rows)
            flat = list(chain.from_iterable(rows))
            del rows
            for k, name in enumerate(columns):
                col = flat[k::ncol]
                if k == text_col:
                    if col.count("") != len(col):
                        comments.update((row_line[m], c.strip()) for m, c in enumerate(col) if c.strip())
                    continue
                parts[k].append(_to_float(col, name, row_line, path))
            line_parts.append(np.asarray(row_line, dtype=int))
    if not n_rows:
        raise InputError(f"empty data section: column names on line {data_line} but no data rows", source=path,
                         line=data_line)

    data: dict[str, np.ndarray] = {}
    for k, name in enumerate(columns):
        if k == text_col:
            continue
        arr = np.concatenate(parts[k])
        parts[k] = []
        arr.setflags(write=False)
        data[name] = arr
    units = {}
    for name in columns:
        match = _UNIT_SUFFIX.search(name)
        if match:
            units[name] = match.group(1).strip()
    option, option_from = _detect_option(byapp, info, title, columns)
    meta["option_from"] = option_from
    meta["info_lines"] = info_lines
    lines_arr = np.concatenate(line_parts)
    lines_arr.setflags(write=False)
    return QDFile(path=path, option=option, title=title, info=info, header_lines=header, columns=columns, data=data,
                  units=units, data_line=data_line, row_line=lines_arr, comments=comments, meta=meta)


def _regular_block(block: list[str], ncol: int, src: TextLines) -> tuple[list[str], int] | None:
    """(all cells of the block, cells per row) when every line has the same number of comma-separated cells,
    none is blank or quoted, any cells beyond ``ncol`` are empty and the block does not hold a truncated last
    line; else None (the block is read line by line)."""
    from itertools import repeat

    if not block:
        return None
    counts = list(map(str.count, block, repeat(",")))
    c = counts[0]
    if c == 0 or min(counts) != c or max(counts) != c:
        return None
    text = "\n".join(block)
    if '"' in text or (src.at_end() and not src.ends_with_newline):
        return None
    width = c + 1
    flat = text.replace("\n", ",").split(",")
    for k in range(ncol, width):  # surplus cells (trailing commas) must all be empty
        col = flat[k::width]
        if col.count("") != len(col):
            return None
    return flat, width


def _cells(line: str) -> list[str]:
    if '"' in line:
        return next(csv.reader([line]))
    return line.split(",")


def _unique(columns: list[str], meta: dict) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        if c in seen:
            seen[c] += 1
            new = f"{c} #{seen[c]}"
            meta.setdefault("renamed_columns", []).append((c, new))
            out.append(new)
        else:
            seen[c] = 1
            out.append(c)
    return out


def _to_float(cells: list[str], name: str, row_line: list[int], path: Path) -> np.ndarray:
    nan = math.nan
    empty = cells.count("")
    if empty == len(cells):  # a column the option declares but does not write: no parsing
        return np.full(len(cells), nan)
    try:
        if not empty:
            return np.fromiter(map(float, cells), float, len(cells))
    except ValueError:
        pass  # e.g. a blank-but-spaces cell (NaN) or a bad one: the rules below
    try:
        return np.array([float(c) if c.strip() else nan for c in cells], dtype=float)
    except ValueError:
        for m, c in enumerate(cells):
            if c.strip():
                try:
                    float(c)
                except ValueError:
                    shown = c.strip() if len(c.strip()) <= 40 else c.strip()[:39] + "…"
                    raise InputError(f"not a number: {shown!r} in column {name!r}", source=path, line=row_line[m],
                                     field=name) from None
        raise


def _parse_header(header: list[str]) -> tuple[str, str, dict[str, str], dict[str, int]]:
    title, byapp = "", ""
    info: dict[str, str] = {}
    info_lines: dict[str, int] = {}
    for n, raw in enumerate(header, start=1):
        line = raw.strip()
        if not line or line.startswith((";", "[")):
            continue
        key, _, rest = line.partition(",")
        key = key.strip().upper()
        if key == "TITLE":
            title = rest.strip()
        elif key == "BYAPP":
            byapp = rest.strip()
        elif key == "INFO":
            fields = [f.strip() for f in rest.split(",")]
            if len(fields) >= 2 and fields[0].upper() == "APPNAME":
                k, v = "APPNAME", rest.split(",", 1)[1].strip()
            elif len(fields) >= 2:
                k, v = fields[-1], rest.rsplit(",", 1)[0].strip()
            else:
                k, v = fields[0], ""
            if k:
                info[k] = v
                info_lines[k] = n
    return title, byapp, info, info_lines


def _option_of(text: str) -> str | None:
    t = text.lower()
    if not t:
        return None
    if "mpms" in t:
        return "mpms"
    if "electrical transport" in t or "etoption" in t or re.search(r"\beto\b", t):
        return "eto"
    if "actransport" in t or "ac transport" in t:
        return "act"
    if "resistivity" in t:
        return "resistivity"
    return None


def _detect_option(byapp: str, info: dict[str, str], title: str, columns: list[str]) -> tuple[str, str]:
    appname = next((v for k, v in info.items() if _norm_key(k) == "APPNAME"), "")
    for what, text in (("BYAPP", byapp), ("INFO APPNAME", appname), ("TITLE", title)):
        option = _option_of(text)
        if option:
            return option, f"{what}: {text}"
    low = [c.lower() for c in columns]
    if any(re.match(r"res\.\s*ch\d", c) for c in low):
        return "act", "column names (Res. chN)"
    if any(re.match(r"resistance\s*ch\d", c) for c in low):
        return "eto", "column names (Resistance ChN)"
    if any(re.match(r"bridge\s*\d+\s+resist", c) for c in low):
        return "resistivity", "column names (Bridge N Resistance)"
    if any(c.startswith("moment (emu)") for c in low):
        return "mpms", "column names (Moment (emu))"
    return "unknown", "nothing in BYAPP, INFO APPNAME, TITLE or the column names"
