"""Synthetic diffraction patterns from a known S(q): the test bench and the demo's bundled data.

The forward model is the inverse of the reduction (``normalization``): the sample's coherent + incoherent
scattering in electron units divided by a normalization α, plus a scaled empty-cell background, plus noise:

    I_meas(q) = [⟨f⟩² (S(q) − 1) + ⟨f²⟩ + KN(q) C(q)] / α + s · B(q) + ε(q)

The diamond-anvil-cell background B(q) is modelled as the Compton scattering of the diamond anvils (carbon
incoherent function × Klein–Nishina, which rises with q and dominates the high-q background of a DAC) plus
two broad humps of an amorphous pressure medium / gasket tail and a flat term. Noise is Gaussian with the
variance of counting statistics at ``counts`` counts per unit intensity (σ = √(I · counts)/counts).
"""

from __future__ import annotations

import numpy as np

from ..composition import Composition
from ..xray import incoherent, klein_nishina, scattering_factors
from .pattern import Pattern


def dac_background(q: np.ndarray, wavelength: float, diamond: float = 1.0) -> np.ndarray:
    """Model empty-cell intensity (electron units per sample atom, arbitrary overall scale)."""
    q = np.asarray(q, dtype=float)
    compton_c = incoherent("C", q) * klein_nishina(q, wavelength)
    humps = 18.0 * np.exp(-0.5 * ((q - 1.4) / 0.45) ** 2) + 8.0 * np.exp(-0.5 * ((q - 3.1) / 0.9) ** 2)
    return diamond * 2.5 * compton_c + humps + 2.0


def sample_intensity(q: np.ndarray, sq: np.ndarray, composition: Composition | str, wavelength: float | None,
                     alpha: float = 1.0) -> np.ndarray:
    """[⟨f⟩²(S − 1) + ⟨f²⟩ + KN·C]/α — the sample's scattering that the reduction inverts."""
    sf = scattering_factors(composition, q)
    kn = klein_nishina(q, wavelength) if wavelength is not None else 1.0
    return (sf.f_mean_squared * (np.asarray(sq) - 1.0) + sf.f_squared_mean + kn * sf.compton) / alpha


def synthetic_patterns(
    q: np.ndarray,
    sq: np.ndarray,
    composition: Composition | str,
    wavelength: float,
    bkg_scale: float = 1.0,
    alpha: float = 1.0,
    counts: float | None = None,
    seed: int = 0,
    background: np.ndarray | None = None,
) -> tuple[Pattern, Pattern]:
    """(sample, empty cell) patterns on q (Å⁻¹). With ``counts`` both get counting noise (seeded)."""
    q = np.asarray(q, dtype=float)
    bkg = dac_background(q, wavelength) if background is None else np.asarray(background, dtype=float)
    sample = sample_intensity(q, sq, composition, wavelength, alpha) + bkg_scale * bkg
    if counts is not None:
        rng = np.random.default_rng(seed)
        sample = sample + rng.normal(size=q.size) * np.sqrt(np.abs(sample) / counts)
        bkg = bkg + rng.normal(size=q.size) * np.sqrt(np.abs(bkg) / counts)
    meta = {"synthetic": True, "bkg_scale_true": bkg_scale, "alpha_true": alpha, "counts": counts, "seed": seed}
    return (
        Pattern(q, sample, unit="q_A", wavelength=wavelength, source="<synthetic sample>", meta=meta),
        Pattern(q, bkg, unit="q_A", wavelength=wavelength, source="<synthetic empty cell>", meta=meta),
    )


def medium_hump(q: np.ndarray, amplitude: float = 4.0, centre: float = 2.2, width: float = 0.6) -> np.ndarray:
    """A smooth Gaussian hump (pressure medium / gasket tail seen only with the sample loaded) — model misfit that
    the reduction does not know about; add it to the sample with ``dac_forward_patterns(..., extra=...)``."""
    q = np.asarray(q, dtype=float)
    return amplitude * np.exp(-0.5 * ((q - centre) / width) ** 2)


def dac_forward_patterns(
    q: np.ndarray,
    sq: np.ndarray,
    composition: Composition | str,
    wavelength: float,
    density_g_cm3: float,
    anvil_thickness_mm: float | None,
    sample_thickness_um: float | None,
    bkg_scale: float = 1.0,
    alpha: float = 1.0,
    counts: float | None = None,
    seed: int = 0,
    upstream_fraction: float = 0.5,
    *,
    background: np.ndarray | None = None,
    background_inelastic_fraction: np.ndarray | float | None = None,
    extra: np.ndarray | None = None,
    n_depth: int = 64,
) -> tuple[Pattern, Pattern]:
    """(sample, empty cell) patterns of a glass in a diamond anvil cell, with the cell's absorption effects.

    The truth that ``hpglass.scattering.dac`` must recover, computed independently of its closed forms:

    * energies from the wavelength-shift form of Compton's law, λ' = λ + λ_C (1 − cos 2θ), E = hc/λ;
    * μ from ``xraylib.CS_Total_CP`` (compound routine) at E and at every E'(q); diamond 3.515 g/cm³;
    * the downstream anvil as the path length of the ray (direction (sin 2θ, cos 2θ)) through the slab;
    * the sample's self-absorption as a Gauss–Legendre quadrature (``n_depth`` nodes) over the depth z of the
      scattering layer: entry exp(−μ(E) z), exit exp(−μ_out (t − z)/cos 2θ) with μ_out = μ(E) for the elastic
      and μ(E') for the Compton part;
    * the empty cell B(q) (``dac_background`` unless ``background`` is given) split into an upstream share
      ``upstream_fraction`` that leaves through the loaded sample obliquely — its inelastic share (the diamond
      Compton term of ``dac_background``, or ``background_inelastic_fraction`` of a given background; default 0
      then) at E' — and a downstream share lit by the beam after the sample, exp(−μt).

    Sample: I = T_d A_s [⟨f⟩²(S − 1) + ⟨f²⟩]/α + T_d' A_s' KN·C/α + s·B_loaded + extra (+ noise), where α includes
    the constant attenuation of the upstream anvil (recorded in meta, not applied). ``anvil_thickness_mm`` or
    ``sample_thickness_um`` None switches that effect off; with both None the result equals
    :func:`synthetic_patterns`. ``extra`` (array on q, e.g. :func:`medium_hump`) is added to the sample only and is
    not modelled by the reduction. With ``counts`` both patterns get counting noise exactly as in
    :func:`synthetic_patterns`. ``meta`` holds the truth, including ``bkg_inelastic_fraction`` φ(q).
    """
    import math

    import scipy.constants as const
    import xraylib

    from ..errors import InputError
    from ..xray import COMPTON_WAVELENGTH_A

    q = np.asarray(q, dtype=float)
    comp = Composition.parse(composition)
    if not (math.isfinite(density_g_cm3) and density_g_cm3 > 0):
        raise InputError(f"density must be positive, got {density_g_cm3!r}", field="density")
    for name, val in (("anvil_thickness_mm", anvil_thickness_mm), ("sample_thickness_um", sample_thickness_um)):
        if val is not None and not (math.isfinite(val) and val > 0):
            raise InputError(f"{name} must be positive and finite, got {val!r}", field=name)
    if not 0.0 <= upstream_fraction <= 1.0:
        raise InputError(f"upstream_fraction must lie in [0, 1], got {upstream_fraction!r}", field="upstream_fraction")

    sin_theta = q * wavelength / (4.0 * np.pi)
    if not np.all(sin_theta < math.sqrt(0.5)):
        raise InputError("2θ reaches 90° (or q is unreachable): no transmission through the cell", field="q")
    tth = 2.0 * np.arcsin(sin_theta)
    dz = np.cos(tth)  # z component of the unit vector along the scattered ray
    hc_kev_a = const.h * const.c / (const.e * 1e3) * 1e10
    energy = hc_kev_a / wavelength
    energy_c = hc_kev_a / (wavelength + COMPTON_WAVELENGTH_A * (1.0 - np.cos(tth)))
    formula = "".join(f"{s}{a:.15g}" for s, a in comp.amounts.items())
    mu = xraylib.CS_Total_CP(formula, energy) * density_g_cm3  # cm⁻¹
    mu_c = np.array([xraylib.CS_Total_CP(formula, float(e)) for e in energy_c]) * density_g_cm3
    mu_d = xraylib.CS_Total_CP("C", energy) * 3.515
    mu_d_c = np.array([xraylib.CS_Total_CP("C", float(e)) for e in energy_c]) * 3.515

    if anvil_thickness_mm is None:
        t_anvil = t_anvil_c = np.ones_like(q)
        upstream_anvil = 1.0
    else:
        path = anvil_thickness_mm * 0.1 / dz  # ray length (cm) from the anvil's entry face to its exit face
        t_anvil, t_anvil_c = np.exp(-mu_d * path), np.exp(-mu_d_c * path)
        upstream_anvil = math.exp(-mu_d * anvil_thickness_mm * 0.1)

    if background is None:
        bkg = dac_background(q, wavelength)
        phi = (bkg - dac_background(q, wavelength, diamond=0.0)) / bkg  # diamond Compton share
    else:
        bkg = np.asarray(background, dtype=float)
        phi = np.broadcast_to(np.asarray(0.0 if background_inelastic_fraction is None
                                         else background_inelastic_fraction, dtype=float), q.shape)

    if sample_thickness_um is None:
        a_el = a_c = np.ones_like(q)
        bkg_loaded = bkg.copy()
    else:
        t = sample_thickness_um * 1e-4  # cm
        x, w = np.polynomial.legendre.leggauss(n_depth)
        z = 0.5 * t * (x + 1.0)  # depth of each layer from the entry face
        wz = 0.5 * w  # weights of the depth average (1/t)∫dz
        exit_len = (t - z)[None, :] / dz[:, None]  # ray length from the layer to the back face
        entry = np.exp(-mu * z)[None, :]
        a_el = (entry * np.exp(-mu * exit_len)) @ wz
        a_c = (entry * np.exp(-mu_c[:, None] * exit_len)) @ wz
        up_path = t / dz  # upstream anvil's scattering crosses the whole sample obliquely
        up = (1.0 - phi) * np.exp(-mu * up_path) + phi * np.exp(-mu_c * up_path)
        bkg_loaded = bkg * (upstream_fraction * up + (1.0 - upstream_fraction) * np.exp(-mu * t))

    sf = scattering_factors(comp, q)
    kn = klein_nishina(q, wavelength)
    elastic = sf.f_mean_squared * (np.asarray(sq, dtype=float) - 1.0) + sf.f_squared_mean
    sample = (t_anvil * a_el * elastic + t_anvil_c * a_c * kn * sf.compton) / alpha + bkg_scale * bkg_loaded
    if extra is not None:
        sample = sample + np.asarray(extra, dtype=float)
    if counts is not None:
        rng = np.random.default_rng(seed)
        sample = sample + rng.normal(size=q.size) * np.sqrt(np.abs(sample) / counts)
        bkg = bkg + rng.normal(size=q.size) * np.sqrt(np.abs(bkg) / counts)
    meta = {
        "synthetic": True, "bkg_scale_true": bkg_scale, "alpha_true": alpha, "counts": counts, "seed": seed,
        "density_true": float(density_g_cm3), "anvil_thickness_mm": anvil_thickness_mm,
        "sample_thickness_um": sample_thickness_um, "upstream_fraction": upstream_fraction,
        "energy_keV": energy, "mu_sample_cm-1": mu, "mu_diamond_cm-1": mu_d,
        "upstream_anvil_transmission": upstream_anvil, "bkg_inelastic_fraction": np.array(phi),
        "extra": extra is not None,
    }
    return (
        Pattern(q, sample, unit="q_A", wavelength=wavelength, source="<synthetic DAC sample>", meta=meta),
        Pattern(q, bkg, unit="q_A", wavelength=wavelength, source="<synthetic DAC empty cell>", meta=meta),
    )
