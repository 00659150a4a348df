"""The maintained calibrant library behind :mod:`hpglass.pressure`: peritheos (optional extra ``pressure``).

Why peritheos (C. Prescher, MIT licence, https://github.com/CPrescher/peritheos, evaluated at 0.17.1):
it depends on numpy and scipy only (native wheels for CPython 3.9–3.14), and its catalogue carries every scale
this package offers — the ruby R1 scales of Mao et al. (1986), Dewaele et al. (2008) and Shen et al. (2020,
IPPS-Ruby2020), and the Au equations of state of Fei et al. (2007, Vinet + Mie–Grüneisen–Debye) and Dewaele
et al. (2004, Vinet at 298 K) — each record audited against the primary paper (equation, parameters, units,
reference state and parameter uncertainties, with the locations in the paper recorded in the record).

The alternatives were checked and not used: ``pytheos`` 0.0.2 has Fei (2007) Au but no ruby scale and no Dewaele
(2004) Au, and needs ``uncertainties``, ``lmfit`` and (undeclared) ``periodictable``; ``burnman`` 2.1.0 has
``burnman.calibrants.Fei_2007.Au`` but no ruby scale and no Dewaele (2004) Au, and pins ``numpy<2`` and
``numba 0.59``. Both were used as independent cross-checks (see ``tests/pressure``).
"""

from __future__ import annotations

import functools
from types import ModuleType

from ..errors import MissingDependencyError

#: the pip extra that installs the library
EXTRA = "pressure"


@functools.cache
def peritheos() -> ModuleType:
    """The imported peritheos module, or MissingDependencyError naming the extra to install."""
    try:
        import peritheos as module
    except ImportError:
        raise MissingDependencyError("peritheos", EXTRA, "Computing a pressure (ruby or gold scale)") from None
    return module


def library_version() -> str:
    """``"peritheos <version>"`` for the provenance of every result."""
    return f"peritheos {getattr(peritheos(), '__version__', 'unknown')}"


@functools.cache
def gold_material():
    """The peritheos ``gold`` material (loading it parses its catalogue file once, ~1 s)."""
    return peritheos().get_material("gold")


@functools.cache
def ruby_calibration(identifier: str):
    return peritheos().get_pressure_calibration(identifier)


@functools.cache
def ruby_calibration_document(identifier: str) -> dict:
    return dict(peritheos().get_pressure_calibration_document(identifier))


def cite(reference) -> str:
    """One-line citation from a peritheos reference (a mapping or a LiteratureReference)."""
    get = reference.get if hasattr(reference, "get") else (lambda k, d=None: getattr(reference, k, d))
    authors = get("authors") or ""
    if not isinstance(authors, str):
        authors = list(authors)
        authors = authors[0] + " et al." if len(authors) > 2 else " & ".join(authors)
    elif authors.count(",") >= 2:
        authors = authors.split(",")[0].strip() + " et al."
    parts = [f"{authors} ({get('year')})", get("title"), get("source")]
    volume, locator = get("volume"), get("locator")
    if volume:
        parts.append(f"{volume}" + (f", {locator}" if locator else ""))
    doi = get("doi")
    if doi:
        parts.append(f"doi:{doi}")
    return ". ".join(str(p) for p in parts if p)
