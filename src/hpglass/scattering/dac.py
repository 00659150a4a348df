r"""Diamond-anvil-cell (DAC) corrections: anvil attenuation, sample self-absorption, the sample's attenuation of
the empty-cell background, and the different attenuation of Compton-scattered photons.

Geometry
--------
The incident beam runs along the cell axis, normal to two flat, parallel diamond anvils (each ``t_d`` thick along
the beam) and to a flat sample of thickness ``t`` between them (the gasket hole). Light scattered at 2θ leaves the
sample through its back face and then crosses the downstream anvil. 2θ comes from q (Å⁻¹) and λ (Å):

    2θ = 2 arcsin(qλ/4π),   1 − cos 2θ = 2 sin²θ = 2 (qλ/4π)²        (computed this way: no cancellation at q → 0).

Only forward scattering (2θ < 90°) leaves through the back face; larger angles raise an InputError (a DAC's
opening angle is far smaller anyway, typically 2θ ≲ 35–40°).

Energies and attenuation
------------------------
E = hc/λ (hc = 12.39842 keV Å). A Compton-scattered photon leaves with the lower energy (Compton, Phys. Rev. 21,
483 (1923); equivalently Δλ = λ_C (1 − cos 2θ) with λ_C = h/m_e c)

    E'(2θ) = E / [1 + (E/m_e c²)(1 − cos 2θ)],    m_e c² = 510.999 keV.

Linear attenuation coefficients μ = (μ/ρ)·ρ use the total mass attenuation coefficient of xraylib
(``CS_Total``: photoabsorption + coherent + incoherent; Schoonjans et al., Spectrochim. Acta B 66, 776 (2011)) with
the mixture rule μ/ρ = Σ_i w_i (μ/ρ)_i over mass fractions w_i (xraylib atomic weights, so the result is the same as
``xraylib.CS_Total_CP``). Diamond: ρ_d = 3.515 g/cm³. The sample's μ/ρ at E and at E'(q) is computed once; the
sample density only scales it, so every trial density of a refinement costs a few array operations.
At 42 keV, Sb2Se3 at 5 g/cm³ has μ ≈ 60.6 cm⁻¹ and diamond μ_d ≈ 0.71 cm⁻¹.

1. Anvils (Eggert et al., Phys. Rev. B 65, 174105 (2002); Weck et al., Rev. Sci. Instrum. 84, 063901
   (2013); Morard et al., High Press. Res. 34, 9 (2014)). Scattered light crosses the downstream anvil along a path
   t_d / cos 2θ:

       T_d(2θ) = exp(−μ_d t_d / cos 2θ).

   The upstream anvil attenuates the incident beam by the constant exp(−μ_d t_d) for every scattering angle, so it is
   absorbed by the normalization factor α (Krogh-Moe or high-q fit) and not applied here. Compton photons cross the
   downstream anvil at E', i.e. T_d' = exp(−μ_d(E') t_d / cos 2θ).

2. Sample self-absorption, flat plate in transmission with normal incidence: the sample-in-container absorption
   factors of Paalman & Pings (J. Appl. Phys. 33, 2635 (1962), who evaluate them for cylinders) written for a slab;
   the slab closed form is the standard one (e.g. International Tables for Crystallography Vol. C, Sec. 6.3.3) and is
   the one used for DAC samples by Eggert et al. 2002 and Morard et al. 2014.
   A layer at depth z (0 ≤ z ≤ t from the entry face) receives the beam attenuated by exp(−μz) and its scattering
   leaves along (t − z)/cos 2θ. Per unit sample volume, normalized so that A_s = 1 without absorption:

       A_s(2θ) = (1/t) ∫₀ᵗ exp(−μ z) exp(−μ (t − z)/cos 2θ) dz
               = [exp(−μt) − exp(−μt/cos 2θ)] / [μt (1/cos 2θ − 1)].

   With the general form, for entry coefficient a and exit coefficient b/cos 2θ,

       (1/t) ∫₀ᵗ exp(−a z − b (t − z)/cos 2θ) dz = exp(−m t) · g(|a − b/cos 2θ| t),
       m = min(a, b/cos 2θ),   g(x) = (1 − e^{−x})/x = −expm1(−x)/x,   g(0) = 1,

   which has no division by a vanishing number: for elastic light (a = b = μ), x = μt·2sin²θ/cos 2θ ≥ 0 and
   A_s → exp(−μt) as 2θ → 0; A_s → 1 as t → 0. For Compton light the entry path is at E and the exit path at E':
   a = μ(E), b = μ(E'). The product of anvil and sample factors is the transmission of the measured scattering,

       F_el(q) = T_d · A_s,      F_C(q) = T_d' · A_s',

   and the reduction's Compton model KN·C is multiplied by the ratio F_C/F_el (``compton_ratio``) once the
   measured intensity has been divided by F_el. Energy-integrating detection and the Klein–Nishina factor are
   handled in ``hpglass.xray``; the Compton line is treated as sharp at E'. Its Doppler broadening (the Compton
   profile, ~±0.5 keV at 42 keV) is nearly symmetric about E', so it cancels to first order in these factors; the
   second-order remainder is ≲ 1e-4 for the conditions below.

3. Empty-cell background. The empty cell's intensity B(q) comes from both anvils. With the sample loaded, the
   share f_up scattered in the upstream anvil must still cross the sample obliquely (exp(−μt/cos 2θ)); the share
   1 − f_up scattered in the downstream anvil comes from a beam that crossed the sample at normal incidence
   (exp(−μt), whatever 2θ). Each anvil's own attenuation of its scattering is the same with and without the sample
   and cancels. Hence the background in the loaded cell is s·B_f·B with

       B_f(2θ) = f_up [(1 − φ) exp(−μt/cos 2θ) + φ exp(−μ(E') t/cos 2θ)] + (1 − f_up) exp(−μt),

   (cf. Eggert et al. 2002, where the background is attenuated by the sample before subtraction; Weck et al. 2013).
   φ(q) is the inelastic (Compton) share of the empty-cell intensity: diamond's Compton scattering dominates the
   empty-cell signal at high q, and its upstream part leaves the sample at E'. φ is not known from a measured
   empty cell alone, so the default is φ = 0 (elastic μ for the whole background). The error is small and
   smooth: for Sb2Se3 (5.8 g/cm³) at λ = 0.2952 Å, t = 20 µm, f_up = 0.5 and the diamond-Compton share of
   ``synthetic.dac_background`` (φ ≈ 0.87 at q = 16 Å⁻¹), B_f changes by 0.5 % and the corrected intensity by
   0.23 % at q = 16 Å⁻¹ (φ = 1: 0.6 % in B_f); it grows with q like φ, so a refined constant scale s absorbs only
   part of it. Give ``bkg_inelastic_fraction`` (e.g. from a model of the cell) to include it.

4. The corrected sample intensity (in the units of the measured pattern, before the normalization α) is

       I_corr(q) = [I_meas(q) − s · B_f(q) · B(q)] / F_el(q),

   which for a perfect model equals [⟨f⟩²(S − 1) + ⟨f²⟩ + (F_C/F_el)·KN·C]/α.

A geometry with ``anvil_thickness_mm=None`` (or ``sample_thickness_um=None``) leaves the corresponding factors at 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.constants as const
import xraylib
import xraylib_np

from ..composition import Composition
from ..errors import InputError

#: hc in keV·Å (12.39842): E [keV] = HC_KEV_A / λ [Å]
HC_KEV_A = const.h * const.c / (const.e * 1e3) * 1e10
#: electron rest energy m_e c² in keV (510.999)
ELECTRON_REST_KEV = const.m_e * const.c**2 / (const.e * 1e3)
#: density of diamond, g/cm³
DIAMOND_DENSITY = 3.515
_MM_TO_CM = 0.1
_UM_TO_CM = 1e-4


# -- pure functions ------------------------------------------------------------------------------------------------
def photon_energy_kev(wavelength: float | np.ndarray) -> float | np.ndarray:
    """E = hc/λ in keV for λ in Å (a float for a scalar, an array for an array)."""
    lam = np.asarray(wavelength, dtype=float)
    if not (np.all(np.isfinite(lam)) and np.all(lam > 0)):
        raise InputError(f"wavelength must be positive and finite, got {wavelength!r}", field="wavelength")
    return HC_KEV_A / float(lam) if lam.ndim == 0 else HC_KEV_A / lam


def compton_energy_kev(energy_kev: float, one_minus_cos: np.ndarray) -> np.ndarray:
    """E' = E / [1 + (E/m_e c²)(1 − cos 2θ)] (keV) — pass 1 − cos 2θ (= 2 sin²θ) to keep precision at small angles."""
    return energy_kev / (1.0 + energy_kev / ELECTRON_REST_KEV * np.asarray(one_minus_cos, dtype=float))


def mass_attenuation(composition: Composition | str, energy_kev: np.ndarray | float) -> np.ndarray:
    """Total mass attenuation coefficient μ/ρ (cm²/g) of a compound at each energy (keV), from xraylib.

    μ/ρ = Σ_i w_i (μ/ρ)_i with mass fractions from xraylib's atomic weights (identical to ``CS_Total_CP``).
    """
    comp = Composition.parse(composition)
    energy = np.atleast_1d(np.asarray(energy_kev, dtype=float))
    if not (np.all(np.isfinite(energy)) and np.all(energy > 0)):
        raise InputError("photon energies must be positive and finite", field="energy")
    z = np.array([comp.atomic_number(s) for s in comp.elements], dtype=int)
    mass = np.array([comp.amounts[s] * xraylib.AtomicWeight(int(zi)) for s, zi in zip(comp.elements, z, strict=True)])
    w = mass / mass.sum()
    cs = xraylib_np.CS_Total(z, energy.ravel())  # shape (n_elements, n_energies)
    return (w @ cs).reshape(energy.shape)  # always an array (1 element for a scalar energy)


def _g(x: np.ndarray) -> np.ndarray:
    """(1 − e^{−x})/x for x ≥ 0, with g(0) = 1 (accurate to rounding for all x ≥ 0 through expm1)."""
    x = np.asarray(x, dtype=float)
    safe = np.where(x > 0, x, 1.0)
    return np.where(x > 0, -np.expm1(-safe) / safe, 1.0)


def slab_transmission(mu_cm: float | np.ndarray, thickness_cm: float, cos_2theta: np.ndarray) -> np.ndarray:
    """exp(−μ L / cos 2θ): transmission of a flat slab of thickness L crossed at 2θ from its normal."""
    return np.exp(-np.asarray(mu_cm) * thickness_cm / np.asarray(cos_2theta))


def flat_plate_absorption(mu_in_cm: float | np.ndarray, mu_out_cm: float | np.ndarray, thickness_cm: float,
                          cos_2theta: np.ndarray) -> np.ndarray:
    """(1/t) ∫₀ᵗ exp(−μ_in z) exp(−μ_out (t − z)/cos 2θ) dz for normal incidence (see module docstring).

    μ_in = μ_out gives the elastic Paalman–Pings slab factor A_s; μ_out = μ(E') gives the Compton factor A_s'.
    Evaluated as exp(−m t)·g(|a − b| t) with a = μ_in, b = μ_out/cos 2θ, m = min(a, b): stable for every angle.
    """
    a = np.asarray(mu_in_cm, dtype=float)
    b = np.asarray(mu_out_cm, dtype=float) / np.asarray(cos_2theta, dtype=float)
    return np.exp(-np.minimum(a, b) * thickness_cm) * _g(np.abs(a - b) * thickness_cm)


def background_attenuation(mu_cm: float, thickness_cm: float, cos_2theta: np.ndarray, upstream_fraction: float,
                           mu_compton_cm: np.ndarray | float | None = None,
                           inelastic_fraction: np.ndarray | float = 0.0) -> np.ndarray:
    """B_f = f_up[(1 − φ) e^{−μt/cos2θ} + φ e^{−μ(E')t/cos2θ}] + (1 − f_up) e^{−μt} (see module docstring)."""
    cos = np.asarray(cos_2theta, dtype=float)
    up = np.exp(-mu_cm * thickness_cm / cos)
    phi = np.asarray(inelastic_fraction, dtype=float)
    if mu_compton_cm is not None and np.any(phi != 0):
        up = (1.0 - phi) * up + phi * np.exp(-np.asarray(mu_compton_cm) * thickness_cm / cos)
    return upstream_fraction * up + (1.0 - upstream_fraction) * math.exp(-mu_cm * thickness_cm)


# -- validation helpers ----------------------------------------------------------------------------------------------
def _positive(value, field: str, what: str) -> float:
    """A positive finite number, or an InputError naming the field."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{field} must be a number ({what}), got {value!r}", field=field) from None
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{field} must be positive and finite ({what}), got {value!r}", field=field)
    return v


def _thickness(value: float | None, field: str) -> float | None:
    return None if value is None else _positive(value, field, "mm" if field.endswith("_mm") else "µm")


def _density(value: float) -> float:
    return _positive(value, "density", "g/cm³")


@dataclass(frozen=True)
class CellGeometry:
    """Diamond-anvil-cell geometry along the beam. None switches the corresponding correction off.

    anvil_thickness_mm : thickness of each anvil along the beam, mm (typically 1.5–2.5).
    sample_thickness_um : sample (gasket-hole) thickness, µm (typically 10–60).
    upstream_fraction : share f_up of the empty-cell intensity scattered in the upstream anvil, in [0, 1].
    """

    anvil_thickness_mm: float | None
    sample_thickness_um: float | None
    upstream_fraction: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "anvil_thickness_mm", _thickness(self.anvil_thickness_mm, "anvil_thickness_mm"))
        object.__setattr__(self, "sample_thickness_um", _thickness(self.sample_thickness_um, "sample_thickness_um"))
        try:
            f = float(self.upstream_fraction)
        except (TypeError, ValueError):
            f = math.nan
        if not 0.0 <= f <= 1.0:
            raise InputError(f"upstream_fraction must lie in [0, 1], got {self.upstream_fraction!r}",
                             field="upstream_fraction")
        object.__setattr__(self, "upstream_fraction", f)

    def __repr__(self) -> str:
        return (f"CellGeometry(anvil={self.anvil_thickness_mm} mm, sample={self.sample_thickness_um} µm, "
                f"f_up={self.upstream_fraction:g})")


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


class DacCorrection:
    """DAC correction factors on one q grid for one (wavelength, composition, geometry).

    Built once (2θ, cos 2θ, E'(q), μ/ρ of the sample at E and E'(q), diamond μ, anvil transmissions); the methods
    take the sample density in g/cm³ — and optionally a sample thickness in µm that overrides the geometry's, for
    thickness refinement — and cost a few vector operations. All factors are arrays over q.

    Parameters
    ----------
    q : grid, Å⁻¹ (finite, ≥ 0, 2θ < 90° at ``wavelength``).
    wavelength : Å.
    composition : formula or :class:`~hpglass.composition.Composition` of the sample.
    geometry : :class:`CellGeometry`.
    bkg_inelastic_fraction : φ(q) ∈ [0, 1], the Compton share of the empty-cell intensity (scalar or array on q);
        its upstream part leaves the sample at E'. Default 0: elastic μ for the whole background.
    """

    def __init__(self, q: np.ndarray, wavelength: float, composition: Composition | str, geometry: CellGeometry,
                 *, bkg_inelastic_fraction: np.ndarray | float = 0.0) -> None:
        q = np.asarray(q, dtype=float)
        if q.ndim != 1 or q.size == 0:
            raise InputError(f"q must be a non-empty 1D array, got shape {q.shape}", field="q")
        if not (np.all(np.isfinite(q)) and np.all(q >= 0)):
            raise InputError("q must be finite and non-negative", field="q")
        if not isinstance(geometry, CellGeometry):
            raise InputError(f"geometry must be a CellGeometry, got {type(geometry).__name__}", field="geometry")
        self.energy_kev = photon_energy_kev(wavelength)
        self.wavelength = float(wavelength)
        sin_theta = q * self.wavelength / (4.0 * np.pi)
        if np.any(sin_theta >= math.sqrt(0.5)):
            q90 = 4.0 * np.pi * math.sqrt(0.5) / self.wavelength
            raise InputError(
                f"q up to {q.max():.3f} Å⁻¹ needs 2θ ≥ 90° at λ = {self.wavelength} Å; transmission through the "
                f"cell needs q < {q90:.3f} Å⁻¹", field="q")
        self.composition = Composition.parse(composition, source="composition")
        self.geometry = geometry
        phi = np.broadcast_to(np.asarray(bkg_inelastic_fraction, dtype=float), q.shape)
        if not (np.all(np.isfinite(phi)) and np.all((phi >= 0) & (phi <= 1))):
            raise InputError("bkg_inelastic_fraction must lie in [0, 1]", field="bkg_inelastic_fraction")
        self.bkg_inelastic_fraction = _readonly(phi)

        self.q = _readonly(q)
        one_minus_cos = 2.0 * sin_theta**2
        self.one_minus_cos = _readonly(one_minus_cos)
        self.cos_2theta = _readonly(1.0 - one_minus_cos)
        self.two_theta = _readonly(2.0 * np.arcsin(sin_theta))
        self.compton_energy_kev = _readonly(compton_energy_kev(self.energy_kev, one_minus_cos))

        energies = np.concatenate(([self.energy_kev], self.compton_energy_kev))
        sample_att = mass_attenuation(self.composition, energies)
        diamond_att = mass_attenuation("C", energies)
        #: μ/ρ of the sample (cm²/g) at E and at E'(q)
        self.mass_att = float(sample_att[0])
        self.mass_att_compton = _readonly(sample_att[1:])
        #: diamond μ (cm⁻¹) at E and at E'(q)
        self.mu_diamond = float(diamond_att[0] * DIAMOND_DENSITY)
        self.mu_diamond_compton = _readonly(diamond_att[1:] * DIAMOND_DENSITY)

        td = geometry.anvil_thickness_mm
        if td is None:
            self.anvil_transmission = _readonly(np.ones_like(q))
            self.anvil_transmission_compton = self.anvil_transmission
        else:
            self.anvil_transmission = _readonly(slab_transmission(self.mu_diamond, td * _MM_TO_CM, self.cos_2theta))
            self.anvil_transmission_compton = _readonly(
                slab_transmission(self.mu_diamond_compton, td * _MM_TO_CM, self.cos_2theta))
        self._ones = _readonly(np.ones_like(q))
        self._last: tuple | None = None  # (key, (A_el, A_c, B_f)) of the last density/thickness evaluated

    # -- construction from the reduction settings ---------------------------------------------------------------
    @classmethod
    def from_config(cls, q: np.ndarray, config, **kwargs) -> DacCorrection | None:
        """From a :class:`~hpglass.scattering.config.ScatterConfig`; None when neither thickness is set."""
        if config.anvil_thickness_mm is None and config.sample_thickness_um is None:
            if getattr(config, "refine_thickness", False):
                raise InputError("thickness refinement needs a start value", field="sample_thickness_um")
            return None
        if config.wavelength is None:
            raise InputError("the diamond-anvil-cell corrections need the wavelength", field="wavelength")
        if getattr(config, "refine_thickness", False) and config.sample_thickness_um is None:
            raise InputError("thickness refinement needs a start value", field="sample_thickness_um")
        geom = CellGeometry(config.anvil_thickness_mm, config.sample_thickness_um, config.upstream_fraction)
        return cls(q, config.wavelength, config.composition, geom, **kwargs)

    # -- per-density factors ------------------------------------------------------------------------------------
    def mu_sample(self, density: float) -> float:
        """Linear attenuation coefficient of the sample at E, cm⁻¹, for a density in g/cm³."""
        return self.mass_att * _density(density)

    def _terms(self, density: float, thickness_um: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rho = _density(density)
        t_um = (self.geometry.sample_thickness_um if thickness_um is None
                else _thickness(thickness_um, "sample_thickness_um"))
        key = (rho, t_um)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        if t_um is None:
            terms = (self._ones, self._ones, self._ones)
        else:
            t = t_um * _UM_TO_CM
            mu = self.mass_att * rho
            mu_c = self.mass_att_compton * rho
            a_el = flat_plate_absorption(mu, mu, t, self.cos_2theta)
            a_c = flat_plate_absorption(mu, mu_c, t, self.cos_2theta)
            b_f = background_attenuation(mu, t, self.cos_2theta, self.geometry.upstream_fraction, mu_c,
                                         self.bkg_inelastic_fraction)
            terms = tuple(_readonly(x) for x in (a_el, a_c, b_f))
        self._last = (key, terms)
        return terms

    def sample_absorption(self, density: float, thickness_um: float | None = None) -> np.ndarray:
        """A_s(q): flat-plate self-absorption of the sample's elastic scattering (1 without a sample thickness)."""
        return self._terms(density, thickness_um)[0]

    def sample_factor(self, density: float, thickness_um: float | None = None) -> np.ndarray:
        """F_el = T_d·A_s: transmission of the sample's elastic scattering through sample and downstream anvil."""
        return self.anvil_transmission * self._terms(density, thickness_um)[0]

    def compton_factor(self, density: float, thickness_um: float | None = None) -> np.ndarray:
        """F_C = T_d'·A_s': the same for the sample's Compton scattering (entry at E, exit at E')."""
        return self.anvil_transmission_compton * self._terms(density, thickness_um)[1]

    def compton_ratio(self, density: float, thickness_um: float | None = None) -> np.ndarray:
        """F_C/F_el: multiply the reduction's KN·C by this after dividing the data by F_el (≤ 1, → 1 at q → 0)."""
        a_el, a_c, _ = self._terms(density, thickness_um)
        return (self.anvil_transmission_compton * a_c) / (self.anvil_transmission * a_el)

    def background_factor(self, density: float, thickness_um: float | None = None) -> np.ndarray:
        """B_f(q): the loaded sample's attenuation of the empty-cell background (1 without a sample thickness)."""
        return self._terms(density, thickness_um)[2]

    def corrected_intensity(self, sample_I: np.ndarray, bkg_I: np.ndarray | None, bkg_scale: float, density: float,
                            thickness_um: float | None = None) -> np.ndarray:
        """(I_meas − s·B_f·B)/F_el on the q grid; ``bkg_I`` None subtracts nothing."""
        sample_I = np.asarray(sample_I, dtype=float)
        if sample_I.shape != self.q.shape:
            raise InputError(f"sample intensity has shape {sample_I.shape}, q grid {self.q.shape}", field="sample")
        a_el, _, b_f = self._terms(density, thickness_um)
        inten = sample_I
        if bkg_I is not None:
            bkg_I = np.asarray(bkg_I, dtype=float)
            if bkg_I.shape != self.q.shape:
                raise InputError(f"background has shape {bkg_I.shape}, q grid {self.q.shape}", field="background")
            inten = sample_I - float(bkg_scale) * b_f * bkg_I
        return inten / (self.anvil_transmission * a_el)

    # -- reporting ------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Inputs and the attenuation coefficients used (JSON-ready)."""
        g = self.geometry
        return {
            "wavelength_A": self.wavelength,
            "energy_keV": self.energy_kev,
            "composition": str(self.composition),
            "anvil_thickness_mm": g.anvil_thickness_mm,
            "sample_thickness_um": g.sample_thickness_um,
            "upstream_fraction": g.upstream_fraction,
            "sample_mass_attenuation_cm2_g": self.mass_att,
            "diamond_mu_cm-1": self.mu_diamond,
            "diamond_density_g_cm3": DIAMOND_DENSITY,
            "upstream_anvil_transmission": (None if g.anvil_thickness_mm is None
                                            else math.exp(-self.mu_diamond * g.anvil_thickness_mm * _MM_TO_CM)),
            "bkg_inelastic_fraction_max": float(self.bkg_inelastic_fraction.max()),
            "attenuation_source": f"xraylib {getattr(xraylib, '__version__', '?')} CS_Total",
        }

    def __repr__(self) -> str:
        return (f"DacCorrection({self.composition}, λ={self.wavelength:g} Å, E={self.energy_kev:.2f} keV, "
                f"{self.q.size} q in [{self.q[0]:g}, {self.q[-1]:g}] Å⁻¹, {self.geometry!r})")
