"""The reduction engine: one object per (pattern, background, settings) that maps (ρ, background scale) to S(q).

Like a freud compute object it builds the expensive parts once — scattering factors on the q grid, the
Klein–Nishina-corrected Compton term, the low-q extension, the low-r sine kernel of the Eggert/Kaplow
correction and the diamond-cell attenuation coefficients — and reuses them for every trial density, background
scale and sample thickness of a refinement.

With a diamond-cell geometry (``config.anvil_thickness_mm`` / ``sample_thickness_um``) the intensity depends on the
trial density: the sample's absorption μ = (μ/ρ)·ρ changes with it (``hpglass.scattering.dac``), so every trial
corrects the measured intensity and the Compton model with the attenuation at its own density.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..composition import Composition
from ..errors import InputError
from ..xray import klein_nishina, scattering_factors
from .config import ScatterConfig
from .dac import DacCorrection
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
        misfit_lorch: bool = True,
    ) -> None:
        self.config = config
        self.composition = Composition.parse(config.composition, source="composition")
        self.q = np.asarray(q, dtype=float)
        self.sample = np.asarray(sample, dtype=float)
        self.bkg = None if bkg is None else np.asarray(bkg, dtype=float)
        self.sf = scattering_factors(self.composition, self.q)
        kn = klein_nishina(self.q, config.wavelength) if config.kn_correction else 1.0
        self.compton = self.sf.compton * kn
        self.dac = DacCorrection.from_config(self.q, config)
        self.thickness_um = config.sample_thickness_um
        self.s0 = self.sf.s0_limit if config.s0 is None else config.s0
        q_ext, _ = extend_to_zero(self.q, np.zeros_like(self.q), self.s0, config.extrapolation)
        self.q_ext = q_ext
        self.n_low = q_ext.size - self.q.size
        self.r_cutoff = r_cutoff
        # The low-r misfit of a refinement is measured through the Lorch window: without it the termination ripple
        # of the q_max cut leaks into 0 < r < r_min and biases the density by several per cent
        # (tests/…/test_density). The final correction of the written S(q) uses the written curves' window.
        self.misfit_lorch = misfit_lorch
        self.kernel = None if r_cutoff is None else low_r_kernel(q_ext, r_cutoff, dr=0.01, use_lorch=misfit_lorch)

    def with_r_cutoff(self, r_cutoff: float, config: ScatterConfig | None = None) -> Reducer:
        """The same data with another r_cutoff (and optionally other settings); scattering factors are cached."""
        return Reducer(self.q, self.sample, self.bkg, self.config if config is None else config, r_cutoff,
                       self.misfit_lorch)

    def _mass_density(self, number_density: float | None) -> float:
        if number_density is None:
            raise InputError("the diamond-cell corrections need a density (start value)", field="density")
        return self.composition.mass_density(number_density)

    def intensity(self, bkg_scale: float, number_density: float | None = None,
                  thickness_um: float | None = None) -> np.ndarray:
        """Sample minus scaled background; in a diamond cell divided by the sample's transmission at ρ."""
        if self.dac is not None:
            return self.dac.corrected_intensity(self.sample, self.bkg, bkg_scale, self._mass_density(number_density),
                                                thickness_um if thickness_um is not None else self.thickness_um)
        return self.sample if self.bkg is None else self.sample - bkg_scale * self.bkg

    def compton_at(self, number_density: float | None, thickness_um: float | None = None) -> np.ndarray:
        """KN·C, times the Compton/elastic transmission ratio of the cell at ρ when there is one."""
        if self.dac is None:
            return self.compton
        return self.compton * self.dac.compton_ratio(
            self._mass_density(number_density), thickness_um if thickness_um is not None else self.thickness_um)

    def alpha(self, number_density: float, intensity: np.ndarray, thickness_um: float | None = None) -> float:
        compton = self.compton_at(number_density, thickness_um)
        if self.config.normalization == "fit":
            q_cut = self.config.fit_q_cut if self.config.fit_q_cut is not None else 0.6 * self.q[-1]
            return high_q_fit(self.q, intensity, self.sf, compton, q_cut)
        return krogh_moe_norman(self.q, intensity, self.sf, compton, number_density, self.s0)

    def trial(self, number_density: float, bkg_scale: float, alpha: float | None = None,
              iterations: int | None = None, thickness_um: float | None = None) -> Trial:
        """S(q) for number density ρ (atoms/Å³), background scale, normalization α (and sample thickness, µm).

        α defaults to the configured normalization (Krogh-Moe at this ρ, or the high-q fit); ``iterations``
        Eggert/Kaplow corrections (default: the configured number) are applied when r_cutoff is set.
        """
        inten = self.intensity(bkg_scale, number_density, thickness_um)
        if alpha is None:
            alpha = self.alpha(number_density, inten, thickness_um)
        sq = faber_ziman_sq(inten, alpha, self.sf, self.compton_at(number_density, thickness_um))
        _, sq_ext = extend_to_zero(self.q, sq, self.s0, self.config.extrapolation)
        n_it = self.config.iterations if iterations is None else iterations
        kap = None
        if self.kernel is not None:
            kap = kaplow_correct(sq_ext, number_density, self.kernel, n_it)
        return Trial(number_density, bkg_scale, alpha, self.q_ext, sq_ext, kap, self.n_low)

    def low_r_residual(self, number_density: float, bkg_scale: float, alpha: float | None = None,
                       iterations: int = 1, thickness_um: float | None = None) -> np.ndarray:
        """ΔF(r)·√w_r on 0 … r_cutoff after ``iterations`` corrections: Σ residual² = χ²(ρ, scale, α)."""
        if self.kernel is None:
            raise InputError("density refinement needs r_cutoff", field="r_cutoff")
        t = self.trial(number_density, bkg_scale, alpha, iterations, thickness_um)
        assert t.kaplow is not None
        return t.kaplow.delta_f * np.sqrt(self.kernel._wr)
