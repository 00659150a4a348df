"""The reduction engine: one object per (pattern, background, settings) that maps (ρ, background scale) to S(q).

Like a freud compute object it builds the expensive parts once — scattering factors on the q grid, the
Klein–Nishina-corrected Compton term, the low-q extension and the low-r sine kernel of the Eggert/Kaplow
correction — and reuses them for every trial density and background scale of a refinement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..composition import Composition
from ..errors import InputError
from ..xray import klein_nishina, scattering_factors
from .config import ScatterConfig
from .kaplow import KaplowResult, kaplow_correct, low_r_kernel
from .normalization import extend_to_zero, faber_ziman_sq, high_q_fit, krogh_moe_norman


@dataclass(frozen=True)
class Trial:
    """S(q) for one (ρ, background scale): raw normalized, extended to q = 0, and Kaplow-corrected."""

    number_density: float
    bkg_scale: float
    alpha: float
    q: np.ndarray  # extended grid 0 … q_max
    sq_raw: np.ndarray  # before the Eggert/Kaplow correction, extended
    kaplow: KaplowResult | None
    n_low: int  # number of extrapolated points at the start of q

    @property
    def sq(self) -> np.ndarray:
        return self.sq_raw if self.kaplow is None else self.kaplow.sq


class Reducer:
    """Pattern (q in Å⁻¹) + optional background on the same grid → S(q) for any (ρ, scale)."""

    def __init__(
        self,
        q: np.ndarray,
        sample: np.ndarray,
        bkg: np.ndarray | None,
        config: ScatterConfig,
        r_cutoff: float | None = None,
    ) -> None:
        self.config = config
        self.composition = Composition.parse(config.composition, source="composition")
        self.q = np.asarray(q, dtype=float)
        self.sample = np.asarray(sample, dtype=float)
        self.bkg = None if bkg is None else np.asarray(bkg, dtype=float)
        self.sf = scattering_factors(self.composition, self.q)
        kn = klein_nishina(self.q, config.wavelength) if config.kn_correction else 1.0
        self.compton = self.sf.compton * kn
        self.s0 = self.sf.s0_limit if config.s0 is None else config.s0
        q_ext, _ = extend_to_zero(self.q, np.zeros_like(self.q), self.s0, config.extrapolation)
        self.q_ext = q_ext
        self.n_low = q_ext.size - self.q.size
        self.r_cutoff = r_cutoff
        # The low-r misfit is always measured through the Lorch window: without it the termination ripple of
        # the q_max cut leaks into 0 < r < r_min and biases the density by several per cent (tests/…/test_density).
        self.kernel = None if r_cutoff is None else low_r_kernel(q_ext, r_cutoff, dr=0.01, use_lorch=True)

    def intensity(self, bkg_scale: float) -> np.ndarray:
        """Sample minus scaled background."""
        return self.sample if self.bkg is None else self.sample - bkg_scale * self.bkg

    def alpha(self, number_density: float, intensity: np.ndarray) -> float:
        if self.config.normalization == "fit":
            q_cut = self.config.fit_q_cut if self.config.fit_q_cut is not None else 0.6 * self.q[-1]
            return high_q_fit(self.q, intensity, self.sf, self.compton, q_cut)
        return krogh_moe_norman(self.q, intensity, self.sf, self.compton, number_density, self.s0)

    def trial(self, number_density: float, bkg_scale: float, alpha: float | None = None,
              iterations: int | None = None) -> Trial:
        """S(q) for number density ρ (atoms/Å³), background scale and normalization α.

        α defaults to the configured normalization (Krogh-Moe at this ρ, or the high-q fit); ``iterations``
        Eggert/Kaplow corrections (default: the configured number) are applied when r_cutoff is set.
        """
        inten = self.intensity(bkg_scale)
        if alpha is None:
            alpha = self.alpha(number_density, inten)
        sq = faber_ziman_sq(inten, alpha, self.sf, self.compton)
        _, sq_ext = extend_to_zero(self.q, sq, self.s0, self.config.extrapolation)
        n_it = self.config.iterations if iterations is None else iterations
        kap = None
        if self.kernel is not None:
            kap = kaplow_correct(sq_ext, number_density, self.kernel, n_it)
        return Trial(number_density, bkg_scale, alpha, self.q_ext, sq_ext, kap, self.n_low)

    def low_r_residual(self, number_density: float, bkg_scale: float, alpha: float | None = None,
                       iterations: int = 1) -> np.ndarray:
        """ΔF(r)·√w_r on 0 … r_cutoff after ``iterations`` corrections: Σ residual² = χ²(ρ, scale, α)."""
        if self.kernel is None:
            raise InputError("density refinement needs r_cutoff", field="r_cutoff")
        t = self.trial(number_density, bkg_scale, alpha, iterations)
        assert t.kaplow is not None
        return t.kaplow.delta_f * np.sqrt(self.kernel._wr)
