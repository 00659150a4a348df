"""One resistance curve: R against temperature or field, with the other held (nominally) fixed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError


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
