"""Sine Fourier transforms between S(q) and F(r), and the real-space functions derived from F(r).

Conventions (DESIGN.md; Keen, J. Appl. Cryst. 34, 172 (2001) for the names):

    F(r) = 4πρ r [g(r) − 1] = (2/π) ∫₀^{q_max} q [S(q) − 1] M(q) sin(qr) dq
    g(r) = 1 + F(r) / (4πρ r)
    RDF(r) = 4πρ r² g(r)                (atoms per Å of shell; its integral counts neighbours)
    G(r) (PDFgetX3's reduced PDF) is the same function as F(r) here.

M(q) is 1 or the Lorch window sin(πq/q_max)/(πq/q_max) (Lorch, J. Phys. C 2, 229 (1969)). The integral is a
trapezoid sum on the q grid as measured — non-uniform grids are integrated exactly as given, never resampled
behind the user's back — so the transform is a matrix–vector product with a kernel that is built once per
(q grid, r grid) and reused by every iteration of the density refinement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError


def trapezoid_weights(x: np.ndarray) -> np.ndarray:
    """Weights w such that Σ w_i y_i is the trapezoid integral of y over the (possibly non-uniform) grid x."""
    x = np.asarray(x, dtype=float)
    w = np.empty_like(x)
    dx = np.diff(x)
    w[0] = dx[0] / 2.0
    w[-1] = dx[-1] / 2.0
    w[1:-1] = (dx[:-1] + dx[1:]) / 2.0
    return w


def lorch(q: np.ndarray, q_max: float | None = None) -> np.ndarray:
    """Lorch modification function M(q) = sin(πq/q_max)/(πq/q_max); M(0) = 1."""
    q = np.asarray(q, dtype=float)
    return np.sinc(q / (q[-1] if q_max is None else q_max))


@dataclass(frozen=True)
class SineKernel:
    """K[i, j] = (2/π) w_j q_j M(q_j) sin(q_j r_i): F = K @ (S − 1) for a fixed q grid and r grid.

    ``back`` applies the inverse transform used by the Kaplow/Eggert correction,
        Δi(q) = (1/q) ∫₀^{r_max} ΔF(r) sin(qr) dr,
    on the same grids (trapezoid in r), with the q → 0 limit ∫ ΔF(r) r dr.
    """

    q: np.ndarray
    r: np.ndarray
    lorch: bool
    _fwd: np.ndarray
    _sin: np.ndarray
    _wr: np.ndarray

    @classmethod
    def build(cls, q: np.ndarray, r: np.ndarray, use_lorch: bool = False) -> SineKernel:
        q = np.asarray(q, dtype=float)
        r = np.asarray(r, dtype=float)
        if q.ndim != 1 or q.size < 2 or np.any(np.diff(q) <= 0):
            raise InputError("q grid must be 1D, strictly increasing, with ≥ 2 points", field="q")
        if r.ndim != 1 or r.size < 1 or np.any(r < 0):
            raise InputError("r grid must be 1D and non-negative", field="r")
        s = np.sin(np.outer(r, q))
        m = lorch(q) if use_lorch else 1.0
        fwd = s * ((2.0 / np.pi) * trapezoid_weights(q) * q * m)[None, :]
        wr = trapezoid_weights(r) if r.size > 1 else np.zeros(1)
        return cls(q=q, r=r, lorch=use_lorch, _fwd=fwd, _sin=s, _wr=wr)

    def forward(self, sq: np.ndarray) -> np.ndarray:
        """F(r) from S(q) on the kernel's grids."""
        return self._fwd @ (np.asarray(sq, dtype=float) - 1.0)

    def back(self, delta_f: np.ndarray) -> np.ndarray:
        """(1/q) ∫ ΔF(r) sin(qr) dr on the kernel's q grid."""
        integral = (self._wr * delta_f) @ self._sin
        out = np.empty_like(self.q)
        nz = self.q > 0
        out[nz] = integral[nz] / self.q[nz]
        if not nz.all():
            out[~nz] = np.sum(self._wr * delta_f * self.r)
        return out


def f_of_r(q: np.ndarray, sq: np.ndarray, r: np.ndarray, use_lorch: bool = False) -> np.ndarray:
    """F(r) = (2/π) ∫ q [S(q) − 1] M(q) sin(qr) dq (trapezoid on the given q grid), in Å⁻²."""
    r = np.asarray(r, dtype=float)
    # Chunk over r so that a 3000×2000 kernel never needs to be held whole.
    out = np.empty(r.size)
    for start in range(0, r.size, 512):
        sl = slice(start, start + 512)
        out[sl] = SineKernel.build(q, r[sl], use_lorch).forward(sq)
    return out


def sq_from_fr(r: np.ndarray, fr: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Inverse transform S(q) = 1 + (1/q) ∫ F(r) sin(qr) dr (trapezoid in r)."""
    q = np.asarray(q, dtype=float)
    r = np.asarray(r, dtype=float)
    integral = (trapezoid_weights(r) * fr) @ np.sin(np.outer(r, q))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 + np.where(q > 0, integral / np.where(q > 0, q, 1.0), np.sum(trapezoid_weights(r) * fr * r))
    return out


def g_of_r(r: np.ndarray, fr: np.ndarray, number_density: float) -> np.ndarray:
    """g(r) = 1 + F(r)/(4πρr); at r = 0, where F/r is 0/0, g is set to 0 (no atom overlaps another)."""
    r = np.asarray(r, dtype=float)
    g = np.zeros_like(r)
    nz = r > 0
    g[nz] = 1.0 + np.asarray(fr)[nz] / (4.0 * np.pi * number_density * r[nz])
    return g


def rdf(r: np.ndarray, gr: np.ndarray, number_density: float) -> np.ndarray:
    """Radial distribution function RDF(r) = 4πρ r² g(r), atoms/Å."""
    r = np.asarray(r, dtype=float)
    return 4.0 * np.pi * number_density * r**2 * np.asarray(gr)
