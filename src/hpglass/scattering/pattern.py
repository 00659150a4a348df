"""A 1D diffraction pattern: x (q or 2θ) with intensities, its unit and wavelength.

Units of x: ``"q_A"`` (Å⁻¹), ``"q_nm"`` (nm⁻¹) or ``"2theta"`` (degrees). Everything downstream of
:meth:`Pattern.to_q` works in Å⁻¹: q = 4π sin(2θ/2)/λ.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from ..errors import InputError

XUnit = Literal["q_A", "q_nm", "2theta"]
X_UNITS: tuple[str, ...] = ("q_A", "q_nm", "2theta")


@dataclass(frozen=True)
class Pattern:
    """Intensity on a strictly increasing x grid.

    ``source`` names where the data came from (a file path, or a description) and is used in error messages.
    """

    x: np.ndarray
    y: np.ndarray
    unit: XUnit = "q_A"
    wavelength: float | None = None  # Å
    source: str = "<pattern>"
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=float)
        y = np.asarray(self.y, dtype=float)
        if self.unit not in X_UNITS:
            raise InputError(f"unknown x unit {self.unit!r}; use one of {', '.join(X_UNITS)}", source=self.source)
        if x.ndim != 1 or y.shape != x.shape:
            raise InputError(f"x and y must be 1D of equal length (got {x.shape} and {y.shape})", source=self.source)
        if x.size < 2:
            raise InputError(f"pattern has {x.size} point(s); at least 2 are needed", source=self.source)
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise InputError("pattern contains NaN or infinite values", source=self.source)
        dx = np.diff(x)
        if np.any(dx <= 0):
            i = int(np.argmax(dx <= 0))
            what = "repeats" if dx[i] == 0 else "decreases"
            raise InputError(f"x {what} at point {i + 2} (x = {x[i + 1]:g}); x must increase strictly",
                             source=self.source)
        if x[0] < 0:
            raise InputError(f"x starts at a negative value ({x[0]:g})", source=self.source)
        if self.wavelength is not None and not (np.isfinite(self.wavelength) and self.wavelength > 0):
            raise InputError(f"wavelength must be positive, got {self.wavelength!r}", source=self.source)
        x.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def __len__(self) -> int:
        return self.x.size

    def __repr__(self) -> str:
        lam = "" if self.wavelength is None else f", λ {self.wavelength:g} Å"
        return (f"Pattern({self.x.size} points, {self.unit} {self.x[0]:.4g}–{self.x[-1]:.4g}{lam}, "
                f"source={self.source!r})")

    def plot(self, ax=None, **kwargs):
        """Intensity against x in its own unit; returns the axes."""
        import matplotlib.pyplot as plt

        ax = ax if ax is not None else plt.subplots()[1]
        ax.plot(self.x, self.y, label=kwargs.pop("label", self.source), **kwargs)
        ax.set_xlabel({"q_A": "q (Å⁻¹)", "q_nm": "q (nm⁻¹)", "2theta": "2θ (°)"}.get(self.unit, self.unit))
        ax.set_ylabel("intensity (a.u.)")
        return ax

    # -- unit handling --------------------------------------------------------------------------------------------
    def to_q(self, wavelength: float | None = None) -> Pattern:
        """The same pattern with x in Å⁻¹. 2θ data need a wavelength (here or on the pattern)."""
        lam = wavelength if wavelength is not None else self.wavelength
        if self.unit == "q_A":
            return self if lam == self.wavelength else replace(self, wavelength=lam)
        if self.unit == "q_nm":
            return replace(self, x=self.x / 10.0, unit="q_A", wavelength=lam)
        if lam is None:
            raise InputError("x is 2θ but no wavelength is known: give --wavelength (Å)", source=self.source,
                             field="wavelength")
        if self.x[-1] >= 180.0:
            raise InputError(f"2θ reaches {self.x[-1]:g}°, beyond 180°", source=self.source)
        q = 4.0 * np.pi * np.sin(np.radians(self.x) / 2.0) / lam
        return replace(self, x=q, unit="q_A", wavelength=lam)

    # -- grid operations ------------------------------------------------------------------------------------------
    def limit(self, x_min: float | None = None, x_max: float | None = None) -> Pattern:
        """Points with x_min ≤ x ≤ x_max."""
        lo = -np.inf if x_min is None else x_min
        hi = np.inf if x_max is None else x_max
        keep = (self.x >= lo) & (self.x <= hi)
        if keep.sum() < 2:
            raise InputError(f"fewer than 2 points between x = {lo:g} and {hi:g}", source=self.source)
        return replace(self, x=self.x[keep], y=self.y[keep])

    def interpolate(self, x_new: np.ndarray) -> np.ndarray:
        """Linear interpolation of y onto ``x_new``; ``x_new`` must lie within this pattern's range."""
        x_new = np.asarray(x_new, dtype=float)
        tol = 1e-9 * max(1.0, abs(self.x[-1]))
        if x_new[0] < self.x[0] - tol or x_new[-1] > self.x[-1] + tol:
            raise InputError(
                f"covers x = {self.x[0]:g}…{self.x[-1]:g} but {x_new[0]:g}…{x_new[-1]:g} is needed",
                source=self.source,
            )
        return np.interp(x_new, self.x, self.y)

    def rebin(self, step: float) -> Pattern:
        """Average into bins of width ``step`` on a uniform grid (empty bins dropped)."""
        if not step > 0:
            raise InputError(f"rebin step must be positive, got {step}", source=self.source, field="step")
        edges = np.arange(self.x[0], self.x[-1] + step, step)
        idx = np.digitize(self.x, edges) - 1
        counts = np.bincount(idx, minlength=edges.size)
        sums = np.bincount(idx, weights=self.y, minlength=edges.size)
        centres = edges + step / 2.0
        ok = counts > 0
        return replace(self, x=centres[ok], y=sums[ok] / counts[ok])

    def with_y(self, y: np.ndarray) -> Pattern:
        return replace(self, y=np.asarray(y, dtype=float))

    @property
    def is_uniform(self) -> bool:
        dx = np.diff(self.x)
        return bool(np.allclose(dx, dx.mean(), rtol=1e-4, atol=0))

    def to_dict(self) -> dict:
        return {"x": self.x.tolist(), "y": self.y.tolist(), "unit": self.unit, "wavelength_A": self.wavelength,
                "source": self.source}
