"""One resistance curve: R against temperature or field, with the other held (nominally) fixed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

#: plausible magnitudes of measured transport data; anything beyond is a corrupt cell, not a measurement (and would
#: overflow the arithmetic of the analyses: a span of 1e308 K is inf)
MAX_TEMPERATURE_K = 1e4
MAX_ABS_RESISTANCE = 1e30  # Ω (or Ω·cm for a resistivity column)
MAX_ABS_FIELD_T = 1e4


def check_plausible(temperature_K, resistance_ohm, field_T=None, *, source: str = "<curve>") -> None:
    """InputError naming the first finite value outside the plausible ranges (NaN/inf are left to the callers,
    which drop them): 0 ≤ T ≤ 1e4 K, |R| ≤ 1e30 Ω, |μ0H| ≤ 1e4 T."""
    checks = [("temperature_K", temperature_K, lambda a: (a < 0) | (a > MAX_TEMPERATURE_K),
               f"temperature {{:g}} K (point {{}}) is outside 0–{MAX_TEMPERATURE_K:g} K"),
              ("resistance_ohm", resistance_ohm, lambda a: np.abs(a) > MAX_ABS_RESISTANCE,
               f"resistance {{:g}} (point {{}}) is beyond the plausible |R| ≤ {MAX_ABS_RESISTANCE:g} Ω")]
    if field_T is not None:
        checks.append(("field_T", field_T, lambda a: np.abs(a) > MAX_ABS_FIELD_T,
                       f"field {{:g}} T (point {{}}) is beyond the plausible |μ0H| ≤ {MAX_ABS_FIELD_T:g} T"))
    for name, a, bad_fn, msg in checks:
        a = np.asarray(a, dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(a) & bad_fn(a)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise InputError(msg.format(float(a.flat[i]), i + 1) + " (a corrupt cell?)", source=source, field=name)


@dataclass(frozen=True)
class RCurve:
    """Resistance (Ω) with temperature (K) and field (T) per point.

    ``x`` says which variable was swept ("T" or "H"); :meth:`sorted_by_x` gives the curve ordered along it.
    ``source`` names the file (and channel) for messages; ``meta`` keeps what the reader knew (option, sample
    geometry, units as written, rows dropped).
    """

    temperature_K: np.ndarray
    resistance_ohm: np.ndarray
    field_T: np.ndarray
    x: str = "T"
    source: str = "<curve>"
    channel: int | None = None
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        t = np.asarray(self.temperature_K, dtype=float)
        r = np.asarray(self.resistance_ohm, dtype=float)
        h = np.broadcast_to(np.asarray(self.field_T, dtype=float), t.shape).copy()
        if t.ndim != 1 or r.shape != t.shape:
            raise InputError(f"temperature and resistance must be 1D of equal length ({t.shape}, {r.shape})",
                             source=self.source)
        if t.size == 0:
            raise InputError("the curve has no data points", source=self.source,
                             field=None if self.channel is None else f"channel {self.channel}")
        if self.x not in ("T", "H"):
            raise InputError(f"x must be 'T' or 'H', got {self.x!r}", source=self.source)
        for a in (t, r, h):
            a.setflags(write=False)
        object.__setattr__(self, "temperature_K", t)
        object.__setattr__(self, "resistance_ohm", r)
        object.__setattr__(self, "field_T", h)

    def __len__(self) -> int:
        return self.temperature_K.size

    @property
    def xvalues(self) -> np.ndarray:
        return self.temperature_K if self.x == "T" else self.field_T

    def sorted_by_x(self) -> RCurve:
        """Points ordered by the swept variable (stable, so up/down sweeps keep their internal order)."""
        order = np.argsort(self.xvalues, kind="stable")
        return RCurve(self.temperature_K[order], self.resistance_ohm[order], self.field_T[order], self.x,
                      self.source, self.channel, self.meta)

    def select(self, mask: np.ndarray) -> RCurve:
        return RCurve(self.temperature_K[mask], self.resistance_ohm[mask], self.field_T[mask], self.x,
                      self.source, self.channel, self.meta)

    @property
    def mean_field_T(self) -> float:
        return float(np.mean(self.field_T))

    @property
    def mean_temperature_K(self) -> float:
        return float(np.mean(self.temperature_K))
