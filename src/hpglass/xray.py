"""X-ray scattering factors: the one source for experiment and simulation.

All element data come from xraylib (Schoonjans et al., Spectrochim. Acta B 66, 776 (2011)):

* coherent atomic form factor f_a(q) = ``FF_Rayl(Z, x)`` — relativistic Hartree–Fock values tabulated by
  Hubbell & Øverbø, J. Phys. Chem. Ref. Data 8, 69 (1979);
* incoherent scattering function S_a(q) = ``SF_Compt(Z, x)`` — Hubbell et al., J. Phys. Chem. Ref. Data 4, 471
  (1975); it is the Compton intensity per atom in electron units;

with xraylib's momentum-transfer variable x = sin(θ)/λ = q/(4π) (θ half the scattering angle, q in Å⁻¹).

Faber–Ziman averages over mole fractions c_a (Faber & Ziman, Phil. Mag. 11, 153 (1965)):
    ⟨f²⟩ = Σ c_a f_a²,  ⟨f⟩² = (Σ c_a f_a)²,  w_ab(q) = c_a c_b f_a f_b / ⟨f⟩²  (Σ_ab w_ab = 1).

Klein–Nishina: the Compton-scattered photon has a lower energy; the fraction of incoherent intensity that an
energy-integrating detector records relative to the Thomson (elastic) case is (Klein & Nishina, Z. Phys. 52, 853
(1929); e.g. Eggert et al., PRB 65, 174105 (2002)):
    P = 1 / (1 + (λ_C/λ)(1 − cos 2θ)),  KN = (P³ − P² sin² 2θ + P) / (1 + cos² 2θ),
with λ_C = h/(m_e c) the Compton wavelength. A Breit–Dirac recoil factor for counting detectors is out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.constants as const
import xraylib
import xraylib_np

from .composition import Composition
from .errors import InputError

COMPTON_WAVELENGTH_A = const.h / (const.m_e * const.c) * 1e10  # 0.02426 Å


def _x(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=float)
    if np.any(q < 0) or not np.all(np.isfinite(q)):
        raise InputError("q must be finite and non-negative", field="q")
    return q / (4.0 * np.pi)


def _z(element: str) -> int:
    try:
        return int(xraylib.SymbolToAtomicNumber(element))
    except ValueError:
        raise InputError(f"unknown element '{element}'", field="element") from None


def form_factor(element: str, q: np.ndarray) -> np.ndarray:
    """Coherent atomic form factor f(q) in electrons (f(0) = Z)."""
    x = np.atleast_1d(_x(q))
    return xraylib_np.FF_Rayl(np.array([_z(element)], dtype=int), x.ravel())[0].reshape(x.shape)


def incoherent(element: str, q: np.ndarray) -> np.ndarray:
    """Incoherent (Compton) scattering function S(q) per atom in electron units (→ Z at large q)."""
    x = np.atleast_1d(_x(q))
    return xraylib_np.SF_Compt(np.array([_z(element)], dtype=int), x.ravel())[0].reshape(x.shape)


def two_theta_rad(q: np.ndarray, wavelength: float) -> np.ndarray:
    """Scattering angle 2θ (radians) for q (Å⁻¹) at wavelength λ (Å): q = 4π sin θ / λ."""
    s = np.asarray(q, dtype=float) * wavelength / (4.0 * np.pi)
    if np.any(s > 1):
        raise InputError(
            f"q up to {np.max(q):.3f} Å⁻¹ is unreachable at λ = {wavelength} Å (q_max = {4 * np.pi / wavelength:.3f})",
            field="wavelength",
        )
    return 2.0 * np.arcsin(s)


def klein_nishina(q: np.ndarray, wavelength: float) -> np.ndarray:
    """Klein–Nishina factor for the incoherent intensity (see module docstring); 1 at q = 0."""
    tth = two_theta_rad(q, wavelength)
    p = 1.0 / (1.0 + COMPTON_WAVELENGTH_A / wavelength * (1.0 - np.cos(tth)))
    return (p**3 - p**2 * np.sin(tth) ** 2 + p) / (1.0 + np.cos(tth) ** 2)


@dataclass(frozen=True)
class ScatteringFactors:
    """Faber–Ziman averages of one composition on one q grid (arrays share ``q``'s shape)."""

    q: np.ndarray
    composition: Composition
    f: dict[str, np.ndarray]
    compton: np.ndarray  # Σ c_a S_a(q), without the Klein–Nishina factor
    f_squared_mean: np.ndarray  # ⟨f²⟩
    f_mean_squared: np.ndarray  # ⟨f⟩²

    @property
    def s0_limit(self) -> float:
        """S(q→0) of a structureless (ideal-gas-like) mixture: 1 − ⟨f²⟩/⟨f⟩² at q = 0 (Faber–Ziman)."""
        z = {s: self.composition.atomic_number(s) for s in self.composition.elements}
        c = self.composition.fractions
        fsq = sum(c[s] * z[s] ** 2 for s in z)
        fm2 = sum(c[s] * z[s] for s in z) ** 2
        return 1.0 - fsq / fm2

    def weights(self) -> dict[tuple[str, str], np.ndarray]:
        """Faber–Ziman partial weights w_ab(q) = c_a c_b f_a f_b / ⟨f⟩² for every ordered pair (sum to 1)."""
        c = self.composition.fractions
        return {
            (a, b): c[a] * c[b] * self.f[a] * self.f[b] / self.f_mean_squared
            for a in self.composition.elements
            for b in self.composition.elements
        }


def scattering_factors(composition: Composition | str, q: np.ndarray) -> ScatteringFactors:
    """⟨f²⟩, ⟨f⟩², Compton and per-element f(q) for ``composition`` on ``q`` (Å⁻¹)."""
    comp = Composition.parse(composition)
    q = np.asarray(q, dtype=float)
    key = (tuple(sorted(comp.fractions.items())), q.tobytes(), q.shape)
    return _cached(key, comp, q)


# Form factors on a fixed grid are reused by every density/background iteration; keyed by composition and grid.
_CACHE: dict = {}


def _cached(key, comp: Composition, q: np.ndarray) -> ScatteringFactors:
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    c = comp.fractions
    f = {s: form_factor(s, q) for s in comp.elements}
    fsq = sum(c[s] * f[s] ** 2 for s in f)
    fm = sum(c[s] * f[s] for s in f)
    compton = sum(c[s] * incoherent(s, q) for s in f)
    for arr in (*f.values(), fsq, fm, compton):
        arr.setflags(write=False)
    sf = ScatteringFactors(q=q.copy(), composition=comp, f=f, compton=compton, f_squared_mean=fsq,
                           f_mean_squared=fm**2)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = sf
    return sf
