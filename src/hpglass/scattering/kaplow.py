"""Kaplow/Eggert iterative correction of S(q) from the known low-r behaviour of F(r).

Below the shortest interatomic distance r_min no pairs exist, so g(r) = 0 and F(r) = −4πρr exactly
(Kaplow, Strong & Averbach, Phys. Rev. 138, A1336 (1965)). Eggert et al., Phys. Rev. B 65, 174105 (2002),
eqs. 9–11, turn the misfit ΔF(r) = F(r) + 4πρr on 0 < r < r_min into a multiplicative correction:

    S_{n+1}(q) = S_n(q) · [1 − (1/q) ∫₀^{r_min} ΔF_n(r) sin(qr) dr]

and use χ²(ρ) = ∫₀^{r_min} ΔF_N(r)² dr after N iterations as the figure of merit for the density.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .transform import SineKernel


@dataclass(frozen=True)
class KaplowResult:
    sq: np.ndarray  # corrected S(q)
    delta_f: np.ndarray  # ΔF(r) on kernel.r after the last iteration
    chi2: np.ndarray  # ∫ ΔF² dr before each iteration and after the last (length iterations + 1)


def low_r_kernel(q: np.ndarray, r_min: float, dr: float = 0.01, use_lorch: bool = False) -> SineKernel:
    """Kernel on r = 0, dr, …, r_min (the region where F(r) = −4πρr is known)."""
    if not r_min > 0:
        raise InputError(f"r_min must be positive, got {r_min}", field="r_cutoff")
    n = max(int(round(r_min / dr)), 2)
    return SineKernel.build(q, np.linspace(0.0, r_min, n + 1), use_lorch)


def kaplow_correct(sq: np.ndarray, number_density: float, kernel: SineKernel, iterations: int = 5) -> KaplowResult:
    """Apply ``iterations`` Eggert corrections to S(q) on ``kernel.q``; ρ in atoms/Å³."""
    if iterations < 0:
        raise InputError(f"iterations must be ≥ 0, got {iterations}", field="iterations")
    expected = -4.0 * np.pi * number_density * kernel.r
    s = np.asarray(sq, dtype=float)
    chi2 = np.empty(iterations + 1)
    wr = kernel._wr
    for it in range(iterations + 1):
        delta = kernel.forward(s) - expected
        chi2[it] = np.sum(wr * delta**2)
        if it == iterations:
            break
        s = s * (1.0 - kernel.back(delta))
    return KaplowResult(sq=s, delta_f=delta, chi2=chi2)
