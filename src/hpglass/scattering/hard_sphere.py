"""Exact Percus–Yevick structure factor of hard spheres: the known answer the diffraction chain is tested on.

Wertheim, Phys. Rev. Lett. 10, 321 (1963); Thiele, J. Chem. Phys. 39, 474 (1963); in the closed form of
Ashcroft & Lekner, Phys. Rev. 145, 83 (1966). With packing fraction η = πρσ³/6 and x = qσ:

    α = (1 + 2η)² / (1 − η)⁴,   β = −6η (1 + η/2)² / (1 − η)⁴,   γ = η α / 2
    ρ ĉ(x) = −24η [ α (sin x − x cos x)/x³
                    + β (2x sin x − (x² − 2) cos x − 2)/x⁴
                    + γ (−x⁴ cos x + 4[(3x² − 6) cos x + (x³ − 6x) sin x + 6])/x⁶ ]
    S(q) = 1 / (1 − ρ ĉ(q)),   S(0) = (1 − η)⁴ / (1 + 2η)²,
    g(σ⁺) = (1 + η/2) / (1 − η)²,   g(r) = 0 for r < σ.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def packing_fraction(number_density: float, sigma: float) -> float:
    """η = π ρ σ³ / 6 (ρ in atoms/Å³, σ in Å)."""
    return np.pi * number_density * sigma**3 / 6.0


def sigma_for(number_density: float, eta: float) -> float:
    """Hard-sphere diameter σ (Å) giving packing fraction η at number density ρ."""
    return (6.0 * eta / (np.pi * number_density)) ** (1.0 / 3.0)


def percus_yevick_sq(q: np.ndarray, number_density: float, sigma: float) -> np.ndarray:
    """S(q) of hard spheres of diameter σ (Å) at number density ρ (atoms/Å³) in the PY approximation."""
    eta = packing_fraction(number_density, sigma)
    if not 0 < eta < 0.74:
        raise InputError(f"packing fraction {eta:.3f} outside (0, 0.74)", field="sigma")
    q = np.asarray(q, dtype=float)
    x = q * sigma
    a = (1 + 2 * eta) ** 2 / (1 - eta) ** 4
    b = -6 * eta * (1 + eta / 2) ** 2 / (1 - eta) ** 4
    g = eta * a / 2
    out = np.empty_like(x)
    small = x < 0.05
    if np.any(small):
        # Series of ρĉ about x = 0 avoids the catastrophic cancellation of the closed form.
        xs = x[small]
        c0 = -24 * eta * (a / 3 + b / 4 + g / 6)
        c2 = 24 * eta * (a / 30 + b / 36 + g / 48)
        out[small] = c0 + c2 * xs**2
    xl = x[~small]
    s, c = np.sin(xl), np.cos(xl)
    term_a = a * (s - xl * c) / xl**3
    term_b = b * (2 * xl * s - (xl**2 - 2) * c - 2) / xl**4
    term_g = g * (-(xl**4) * c + 4 * ((3 * xl**2 - 6) * c + (xl**3 - 6 * xl) * s + 6)) / xl**6
    out[~small] = -24 * eta * (term_a + term_b + term_g)
    return 1.0 / (1.0 - out)


def percus_yevick_s0(eta: float) -> float:
    """S(0) = (1 − η)⁴/(1 + 2η)², the PY compressibility limit."""
    return (1 - eta) ** 4 / (1 + 2 * eta) ** 2


def percus_yevick_contact(eta: float) -> float:
    """g(σ⁺) = (1 + η/2)/(1 − η)², the PY contact value."""
    return (1 + eta / 2) / (1 - eta) ** 2
