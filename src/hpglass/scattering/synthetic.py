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
