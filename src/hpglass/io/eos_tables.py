"""Read P–V and P–ρ tables (CSV or whitespace) for EOS fits; the header row names the columns and their units.

Layout
------
As :mod:`hpglass.io.tables`: optional ``#`` comment lines, one header row, rows of numbers. The header row is the
first non-comment line if it is not numeric; if the first non-comment line is numeric, the LAST comment line before
it names the columns. Separator: comma if the header has one, else semicolon, else tab, else whitespace. Comment
lines may state ``# composition: Sb2Se3`` and ``# Z: 4`` (formula units per cell); they end up in
``EosTable.composition`` / ``EosTable.Z`` (command-line options override them).

Columns (case-insensitive; unit as ``name_unit``, ``name (unit)``, ``name [unit]`` or ``name/unit``)
-----------------------------------------------------------------------------------------------------
* pressure — ``P``, ``pressure``: GPa, MPa, kbar, bar (→ GPa)
* volume — ``V``, ``vol``, ``volume``: Å³ (``A3``, ``Å3``, ``Å^3``, ``ang3``) or nm³, followed by what it is per:
  ``cell``, ``fu`` / ``f.u.`` / ``formula`` (formula unit) or ``atom`` (``V_A3_cell``, ``V (Å³/atom)``); Å³ with no
  basis is read but gives no density. ``cm3/mol`` is per mole of formula units (→ Å³ per formula unit),
  ``cm3/mol-atom`` per mole of atoms (→ Å³ per atom); ``cm3/g`` is a specific volume.
* density — ``rho``, ``ρ``, ``density``: g/cm3 (``g/cc``, ``g_cm3``), kg/m3 (→ g/cm³)
* errors (optional) — ``sigma_<q>``, ``σ<q>``, ``err_<q>``, ``d<q>``, ``s<q>``, ``<q>_err``, ``<q>_sigma``,
  ``<q>_esd`` for q = P, V, rho (``sigma_P_GPa``, ``dV (A3/cell)``, ``rho_err``). An error column without a unit
  takes its quantity's unit.

A volume column wins over a density column when both are present (``meta["note"]``). Other columns are ignored
(``meta["ignored_columns"]``).

What is refused (InputError naming file, line and column)
---------------------------------------------------------
no pressure column, no volume or density column; a recognised column without a unit or with a wrong unit; a
non-numeric, empty, NaN or inf cell in a used column; a row with the wrong number of cells; a volume or density
that is zero or negative; a negative error; **two rows with the same pressure** (both lines named: average them or
keep one — the fit needs distinct points, and a repeated pressure usually means a pasted row); and **pressures
out of order** — the table must list pressures strictly increasing or strictly decreasing (a compression or a
decompression run), and the first line that breaks the order is named (an unsorted table is more often two runs
pasted together than an intended one; sort it, or split it by run). Too few points for the chosen form is
refused by the fit (which knows the form).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from ..errors import InputError
from ._text import TextLines, fast_float_rows, find_header
from .quantum_design import row_cells, split_cells

__all__ = ["EosTable", "read_eos_table"]

_BASE = {"p": "pressure", "pressure": "pressure",
         "v": "volume", "vol": "volume", "volume": "volume",
         "rho": "density", "ρ": "density", "density": "density", "dens": "density"}
_ERR_PREFIX = ("sigma_", "sigma ", "sigma", "σ_", "σ", "err_", "error_", "esd_", "d", "s")
_ERR_SUFFIX = ("_err", "_error", "_sigma", "_esd", " err", " error", " sigma", " esd")
_PRESSURE_UNITS = {"gpa": 1.0, "mpa": 1e-3, "kbar": 0.1, "bar": 1e-4}
_DENSITY_UNITS = {"g/cm3": 1.0, "g/cc": 1.0, "g/ml": 1.0, "gcm-3": 1.0, "g/cm-3": 1.0, "kg/m3": 1e-3,
                  "kgm-3": 1e-3}
_UNIT_IN_BRACKETS = re.compile(r"^(?P<name>.*?)\s*[(\[](?P<unit>[^()\[\]]*)[)\]]\s*$")
_HEADER_TOKENS = re.compile(r"[^\s(\[]+(?:\s*[(\[][^)\]]*[)\]])?|[(\[][^)\]]*[)\]]")
_META = re.compile(r"^#+\s*(composition|formula|z)\s*[:=]\s*(\S+)", re.IGNORECASE)
_PER = {"cell": "cell", "fu": "formula", "f.u.": "formula", "formula": "formula", "formulaunit": "formula",
        "atom": "atom", "atoms": "atom"}
_EXAMPLE = {"pressure": "P_GPa", "volume": "V_A3_cell", "density": "rho_g_cm3"}


@dataclass(frozen=True, eq=False)
class EosTable:
    """Pressures (GPa) with volumes (Å³ ``per`` cell / formula / atom, or cm³/g when ``per == "gram"``) or
    densities (g/cm³), and optional 1σ errors in the same units; ``row_lines`` are the file's line numbers."""

    pressure_GPa: np.ndarray
    volume: np.ndarray | None = None
    density_g_cm3: np.ndarray | None = None
    sigma_P_GPa: np.ndarray | None = None
    sigma_V: np.ndarray | None = None
    sigma_rho_g_cm3: np.ndarray | None = None
    per: str | None = None
    composition: str | None = None
    Z: float | None = None
    source: str = "<table>"
    row_lines: tuple[int, ...] = ()
    meta: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "volume" if self.volume is not None else "density"

    @property
    def n_points(self) -> int:
        return int(self.pressure_GPa.size)

    @property
    def volume_unit(self) -> str:
        from ..eos.basis import BASES

        return BASES[self.per] if self.kind == "volume" else "g/cm³"

    def fit(self, form: str = "bm3", *, composition=None, Z: float | None = None, density_per: str = "atom",
            **kwargs):
        """Fit ``form`` (see :func:`hpglass.eos.fit.fit_eos`); the composition and Z (arguments, else the file's
        comment lines) give the mass per volume unit; a P–ρ table becomes volumes ``density_per`` atom / formula
        unit (with a composition) or cm³/g (without)."""
        from ..eos.basis import mass_factor
        from ..eos.fit import fit_density, fit_eos

        comp = composition if composition is not None else self.composition
        z = Z if Z is not None else self.Z
        kwargs.setdefault("source", self.source)
        if self.kind == "density":
            return fit_density(self.pressure_GPa, self.density_g_cm3, self.sigma_P_GPa, self.sigma_rho_g_cm3,
                               composition=comp, per=density_per, Z=z, form=form, **kwargs)
        factor = None
        if comp is not None and self.per in ("cell", "formula", "atom", "gram"):
            factor = mass_factor(self.per, comp, z, None, self.source)
        elif self.per == "gram":
            factor = 1.0
        return fit_eos(self.pressure_GPa, self.volume, self.sigma_P_GPa, self.sigma_V, form=form,
                       volume_unit=self.volume_unit, mass_factor=factor, **kwargs)

    def to_dict(self) -> dict:
        def lst(a):
            return None if a is None else a.tolist()

        return {"source": self.source, "kind": self.kind, "pressure_GPa": lst(self.pressure_GPa),
                "volume": lst(self.volume), "volume_unit": self.volume_unit, "density_g_cm3": lst(self.density_g_cm3),
                "sigma_P_GPa": lst(self.sigma_P_GPa), "sigma_V": lst(self.sigma_V),
                "sigma_rho_g_cm3": lst(self.sigma_rho_g_cm3), "composition": self.composition, "Z": self.Z,
                "row_lines": list(self.row_lines), "meta": dict(self.meta)}


@dataclass(frozen=True)
class _Column:
    index: int
    name: str
    quantity: str  # pressure | volume | density
    error: bool
    scale: float | None  # None: inherit (error column without unit)
    per: str | None = None  # volume basis


# -- names and units ---------------------------------------------------------------------------------------------
def _quantity(name: str) -> tuple[str | None, bool]:
    """(quantity, is_error) of a column name without its unit."""
    n = name.strip().lower()
    if n in _BASE:
        return _BASE[n], False
    for suf in _ERR_SUFFIX:
        if n.endswith(suf) and n[: -len(suf)].strip() in _BASE:
            return _BASE[n[: -len(suf)].strip()], True
    for pre in _ERR_PREFIX:
        if n.startswith(pre) and n[len(pre):].strip() in _BASE:
            return _BASE[n[len(pre):].strip()], True
    return None, False


def _norm_unit(unit: str) -> str:
    u = unit.strip().lower()
    for a, b in (("³", "3"), ("^", ""), ("å", "a"), ("angstrom", "a"), ("ang", "a"), ("·", ""), ("**", "")):
        u = u.replace(a, b)
    u = re.sub(r"\s*per\s*", "/", u)
    u = re.sub(r"[\s_\-]+", "/", u)
    u = re.sub(r"/+", "/", u).strip("/")
    return u


def _volume_unit(unit: str) -> tuple[float | None, str | None] | None:
    """(scale to Å³ — or 1 for cm³/g —, per) of a volume unit, or None when it is not one."""
    u = _norm_unit(unit)
    m = re.fullmatch(r"(a3|nm3)(?:/(cell|fu|f\.u\.|formula|formula/?unit|atoms?))?", u)
    if m:
        per = None if m.group(2) is None else _PER[m.group(2).replace("/", "")]
        return (1.0 if m.group(1) == "a3" else 1000.0), per
    m = re.fullmatch(r"cm3/mol(?:/(fu|f\.u\.|formula|formula/?unit|atoms?|mol/?atoms?))?", u)
    if m:
        from ..eos.basis import CM3_PER_MOL_TO_A3

        basis = (m.group(1) or "formula").replace("/", "").replace("mol", "")
        return CM3_PER_MOL_TO_A3, _PER.get(basis, "formula")
    if u in ("cm3/g", "cc/g", "ml/g"):
        return 1.0, "gram"
    return None


def _unit_scale(quantity: str, unit: str) -> tuple[float, str | None] | None:
    if quantity == "pressure":
        s = _PRESSURE_UNITS.get(unit.strip().lower())
        return None if s is None else (s, None)
    if quantity == "density":
        u = _norm_unit(unit).replace("/cm/3", "/cm3")
        key = {"g/cm3": "g/cm3", "g/cc": "g/cc", "g/ml": "g/ml", "g/cm/3": "g/cm3", "kg/m3": "kg/m3"}.get(u)
        if key is None and re.fullmatch(r"g/?cm-?3", unit.strip().lower().replace("³", "3").replace(" ", "")):
            key = "g/cm3"
        return None if key is None else (_DENSITY_UNITS[key], None)
    return _volume_unit(unit)


def _parse_name(name: str):
    """(quantity, is_error, unit or None, strict) — strict False for the ``name_unit`` form."""
    raw = name.strip()
    m = _UNIT_IN_BRACKETS.match(raw)
    if m:
        q, err = _quantity(m.group("name"))
        return q, err, m.group("unit").strip(), True
    q, err = _quantity(raw)
    if q is not None:
        return q, err, None, True
    if "/" in raw:
        head, _, unit = raw.partition("/")
        q, err = _quantity(head)
        if q is not None:
            return q, err, unit.strip(), True
    tokens = raw.split("_")
    for k in range(len(tokens) - 1, 0, -1):
        q, err = _quantity("_".join(tokens[:k]))
        if q is None:
            q, err = _quantity(" ".join(tokens[:k]))
        if q is not None:
            return q, err, "_".join(tokens[k:]), False
    return None, False, None, False


def _recognise(names: list[str], path: Path, line: int) -> tuple[dict[tuple[str, bool], _Column], list[str]]:
    cols: dict[tuple[str, bool], _Column] = {}
    ignored: list[str] = []
    for k, name in enumerate(names):
        q, err, unit, strict = _parse_name(name)
        if q is None:
            ignored.append(name)
            continue
        if unit is None:
            if not err:
                raise InputError(f"column {name!r} ({q}) states no unit; write it as e.g. {_EXAMPLE[q]!r}",
                                 source=path, line=line, field=name)
            col = _Column(k, name, q, True, None)
        else:
            parsed = _unit_scale(q, unit)
            if parsed is None:
                if not strict:
                    ignored.append(name)
                    continue
                raise InputError(f"unit {unit!r} of column {name!r} is not a {q} unit (e.g. {_EXAMPLE[q]!r})",
                                 source=path, line=line, field=name)
            col = _Column(k, name, q, err, parsed[0], parsed[1])
        key = (q, err)
        if key in cols:
            what = f"{q} error" if err else q
            raise InputError(f"two {what} columns ({cols[key].name!r} and {name!r}); keep one", source=path,
                             line=line, field=name)
        cols[key] = col
    return cols, ignored


# -- the file ----------------------------------------------------------------------------------------------------
def _split_header(line: str, sep: str) -> list[str]:
    text = line.strip().lstrip("#").strip()
    if sep == " ":
        return _HEADER_TOKENS.findall(text)
    return split_cells(text, sep)


def read_eos_table(path) -> EosTable:
    """Read a P–V or P–ρ table (rules in the module docstring)."""
    path = Path(path)
    with TextLines(path, "table") as src:
        head = _head_lines(src)
        header_idx, first, sep = find_header(head, path, 'P_GPa,V_A3_cell', skip_comment=_META.match)
        names = _split_header(head[header_idx], sep)
        return _read_table(path, src, head, header_idx, first, sep, names)


def _read_table(path, src, head, header_idx, first, sep, names) -> EosTable:
    encoding = src.encoding
    cols, ignored = _recognise(names, path, header_idx + 1)
    meta: dict = {"encoding": encoding, "header_line": header_idx + 1, "ignored_columns": ignored}
    found = ", ".join(c.name for c in cols.values()) or "none"
    if ("pressure", False) not in cols:
        raise InputError(f"no pressure column (recognised columns: {found}); name it e.g. 'P_GPa'", source=path,
                         line=header_idx + 1, field="pressure")
    if ("volume", False) in cols:
        kind = "volume"
        if ("density", False) in cols:
            meta["note"] = f"volume column {cols[('volume', False)].name!r} used; density column ignored"
    elif ("density", False) in cols:
        kind = "density"
    else:
        raise InputError(f"no volume or density column (recognised columns: {found}); name it e.g. 'V_A3_cell' or "
                         "'rho_g_cm3'", source=path, line=header_idx + 1, field="volume")
    used = [("pressure", False), (kind, False)] + [k for k in (("pressure", True), (kind, True)) if k in cols]
    # error columns without a unit take the unit of their quantity
    main = {q: cols[(q, False)] for q in ("pressure", kind)}
    for key in used:
        c = cols[key]
        if c.error and c.scale is None:
            cols[key] = _Column(c.index, c.name, c.quantity, True, main[c.quantity].scale, main[c.quantity].per)
        elif c.error and c.quantity == "volume" and c.per != main["volume"].per and c.per is not None:
            raise InputError(f"column {c.name!r} is per {c.per} but the volumes are per {main['volume'].per}",
                             source=path, line=header_idx + 1, field=c.name)

    comments = {}
    for line in head[:first]:
        m = _META.match(line.strip())
        if m:
            comments[m.group(1).lower()] = m.group(2)
    blocks = [(first + 1, head[first:])] if first < len(head) else []
    values, row_lines = _read_rows(chain(blocks, src.blocks()), sep, len(names), [cols[k] for k in used], path)
    data = {k: values[:, j] * cols[k].scale for j, k in enumerate(used)}
    for key in [k for k in used if k[1]]:
        empty = np.isnan(data[key])
        if empty.all():  # e.g. a study table whose pressures carry no error: the column says nothing
            del data[key]
            used.remove(key)
            meta.setdefault("notes", []).append(f"error column {cols[key].name!r} is empty: not used")
        elif empty.any():
            line = row_lines[int(np.argmax(empty))]
            raise InputError(f"empty cell in column {cols[key].name!r} (other rows have an error)", source=path,
                             line=line, field=cols[key].name)
    _check(data, used, cols, row_lines, kind, path)

    z = comments.get("z")
    if z is not None:
        try:
            z = float(z)
        except ValueError:
            raise InputError(f"Z {z!r} in a comment line is not a number", source=path, field="Z") from None
    composition = comments.get("composition", comments.get("formula"))
    vol = main["volume"] if kind == "volume" else None
    return EosTable(
        pressure_GPa=data[("pressure", False)],
        volume=data.get(("volume", False)), density_g_cm3=data.get(("density", False)),
        sigma_P_GPa=data.get(("pressure", True)), sigma_V=data.get(("volume", True)),
        sigma_rho_g_cm3=data.get(("density", True)),
        per=None if vol is None else vol.per, composition=composition, Z=z, source=str(path),
        row_lines=tuple(row_lines), meta=meta | {"columns": {f"{q}{'_err' if e else ''}": cols[(q, e)].name
                                                             for q, e in used}})


def _read_rows(blocks, sep, ncol, picks, path):
    """(values (rows × picks), row line numbers) of the data blocks; plain blocks are converted in C
    (:func:`fast_float_rows`), any other block line by line with the rules and errors below."""
    parts: list[np.ndarray] = []
    row_lines: list[int] = []
    for start, lines in blocks:
        fast = fast_float_rows(lines, sep, ncol, [c.index for c in picks])
        if fast is not None and np.isfinite(fast[0]).all():
            parts.append(fast[0])
            row_lines.extend(range(start, start + len(lines)))
            continue
        values: list[list[float]] = []
        for i, line in enumerate(lines, start=start):
            cells = row_cells(line, sep, ncol, path, i)
            if cells is None:
                continue
            row = []
            for c in picks:
                cell = cells[c.index]
                if not cell and c.error:
                    row.append(math.nan)  # an error column left empty everywhere is dropped by the caller
                    continue
                if not cell:
                    raise InputError(f"empty cell in column {c.name!r}", source=path, line=i, field=c.name)
                try:
                    v = float(cell)
                except ValueError:
                    raise InputError(f"not a number: {cell!r} in column {c.name!r}", source=path, line=i,
                                     field=c.name) from None
                if not math.isfinite(v):
                    raise InputError(f"{cell!r} in column {c.name!r} is not a finite number", source=path, line=i,
                                     field=c.name)
                row.append(v)
            values.append(row)
            row_lines.append(i)
        if values:
            parts.append(np.asarray(values, dtype=float))
    if not parts:
        raise InputError("no data rows after the header", source=path)
    return np.concatenate(parts), row_lines


def _head_lines(src) -> list[str]:
    """Lines up to and including the first one that is neither blank nor a ``#`` comment."""
    head = []
    while (item := src.next_line()) is not None:
        head.append(item[1])
        text = item[1].strip()
        if text and not text.startswith("#"):
            break
    return head


_MIN_REL_ERROR = 1e-12  # smallest plausible 1σ error relative to the value (pressure: to the table's largest |P|)


def _check(data, used, cols, row_lines, kind, path) -> None:
    p = data[("pressure", False)]
    main = data[(kind, False)]
    name = cols[(kind, False)].name
    bad = np.nonzero(main <= 0)[0]
    if bad.size:
        i = bad[0]
        raise InputError(f"{kind} {main[i]:g} is not positive", source=path, line=row_lines[i], field=name)
    big = np.nonzero(np.abs(p) > 1e4)[0]
    if big.size:
        i = big[0]
        raise InputError(f"pressure {p[i]:g} GPa is beyond ±10000 GPa (a corrupt cell?)", source=path,
                         line=row_lines[i], field=cols[("pressure", False)].name)
    for key in used:
        if key[1]:
            neg = np.nonzero(data[key] < 0)[0]
            if neg.size:
                raise InputError(f"negative error {data[key][neg[0]]:g}", source=path, line=row_lines[neg[0]],
                                 field=cols[key].name)
            # an error far below the value's own rounding (4.9e-324, 1e-20 on 100 Å³) is a corrupt cell: it would
            # weight one point ~1e300 times the others and overflow the fit
            e = data[key]
            scale = np.abs(data[(key[0], False)]) if key[0] != "pressure" else np.full(e.shape, np.max(np.abs(p)))
            tiny = np.nonzero((e > 0) & (e < _MIN_REL_ERROR * scale))[0]
            if tiny.size:
                i = tiny[0]
                raise InputError(f"error {e[i]:g} is implausibly small (below {_MIN_REL_ERROR:g} × "
                                 f"{scale[i]:g}); give a real 1σ error, 0 on every row for none, or drop the column",
                                 source=path, line=row_lines[i], field=cols[key].name)
    pname = cols[("pressure", False)].name
    # the first row whose pressure appeared before (vectorised: first occurrence of every value)
    _, first_at, inverse = np.unique(p, return_index=True, return_inverse=True)
    earlier = first_at[inverse.ravel()]
    dup = np.nonzero(earlier < np.arange(p.size))[0]
    if dup.size:
        i = int(dup[0])
        j = int(earlier[i])
        v = p[i]
        raise InputError(f"pressure {v:g} GPa appears twice (lines {row_lines[j]} and {row_lines[i]}); average "
                         "the two points or keep one", source=path, line=row_lines[i], field=pname)
    if p.size >= 2:
        step = np.sign(np.diff(p))
        direction = step[0]
        off = np.nonzero(step[1:] != direction)[0]
        if off.size:
            i = int(off[0]) + 2
            order = "increasing" if direction > 0 else "decreasing"
            raise InputError(f"pressures out of order: {p[i]:g} GPa after {p[i - 1]:g} GPa (line "
                             f"{row_lines[i - 1]}) in a table that starts {order}; list one run in order "
                             "(sort it, or split compression and decompression)", source=path,
                             line=row_lines[i], field=pname)
