"""Settings of one diffraction reduction (pydantic: validated, with the field named in every error)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ScatterConfig(BaseModel):
    """Everything that turns a pattern (+ empty-cell background) into S(q), F(r), g(r) and a density.

    Units: wavelength Å; q Å⁻¹; r Å; density g/cm³.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    composition: str = Field(description="chemical formula, e.g. 'Sb2Se3'")
    wavelength: float | None = Field(None, ge=0.05, le=3.0, description=(
        "X-ray wavelength, Å (needed for 2θ data and KN); 0.05–3 Å covers every X-ray diffraction source"))
    q_min: float | None = Field(None, ge=0, description="lowest q used, Å⁻¹ (default: first data point)")
    q_max: float | None = Field(None, gt=0, description="highest q used, Å⁻¹ (default: last data point)")
    density: float | None = Field(None, gt=0, description="density g/cm³ (start value when refined)")
    refine_density: bool = False
    bkg_scale: float = Field(1.0, ge=0, description="empty-cell background scale (start value when refined)")
    refine_bkg: bool = False
    normalization: Literal["krogh-moe", "fit"] = "krogh-moe"
    fit_q_cut: float | None = Field(None, gt=0, description="lower q of the high-q fit (default 0.6 q_max)")
    extrapolation: Literal["linear", "flat", "step", "none"] = "linear"
    s0: float | None = Field(None, description="S(q→0) for the extrapolation (default: Laue limit 1 − ⟨f²⟩/⟨f⟩²)")
    r_cutoff: float | None = Field(None, gt=0, description="r_min of the Eggert/Kaplow correction, Å (auto if unset)")
    iterations: int = Field(5, ge=0, le=200, description="Eggert/Kaplow iterations")
    lorch: bool = False
    kn_correction: bool = True
    r_max: float = Field(10.0, gt=0)
    r_step: float = Field(0.01, gt=0)
    density_bounds: tuple[float, float] | None = Field(None, description=(
        "bounds of the density search, g/cm³ (default: what the composition allows, hpglass.scattering.plausible)"))
    q1_range: tuple[float, float] | None = Field(None, description=(
        "q range of the principal S(q) peak, Å⁻¹ (default: where the composition can have it, within the data)"))
    fsdp_range: tuple[float, float] = Field((0.8, 1.6), description="q range searched for an FSDP, Å⁻¹")
    # Diamond-anvil-cell geometry (``hpglass.scattering.dac``); None = that correction is not applied.
    anvil_thickness_mm: float | None = Field(None, gt=0, le=10,
                                             description="thickness of each diamond anvil along the beam, mm")
    sample_thickness_um: float | None = Field(None, gt=0, le=1000,
                                              description="sample (gasket hole) thickness along the beam, µm")
    refine_thickness: bool = Field(False, description="refine the sample thickness with the density")
    upstream_fraction: float = Field(0.5, ge=0, le=1, description=(
        "share of the empty-cell background scattered before the sample (upstream anvil); the rest is "
        "scattered after it"))

    @model_validator(mode="after")
    def _check(self) -> ScatterConfig:
        if self.q_min is not None and self.q_max is not None and self.q_min >= self.q_max:
            raise ValueError(f"q_min ({self.q_min}) must be below q_max ({self.q_max})")
        if self.density is None and not self.refine_density:
            raise ValueError("give a density (g/cm³) or ask for refine_density")
        if self.kn_correction and self.wavelength is None:
            raise ValueError("the Klein–Nishina correction needs the wavelength (or set kn_correction=false)")
        if self.density_bounds is not None and not 0 < self.density_bounds[0] < self.density_bounds[1]:
            raise ValueError(f"density_bounds must satisfy 0 < low < high, got {self.density_bounds}")
        return self


def make_config(source: str = "options", **values) -> ScatterConfig:
    """Build a ScatterConfig, turning pydantic's validation errors into one-line InputErrors naming the field."""
    from pydantic import ValidationError

    from ..errors import InputError

    try:
        return ScatterConfig(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err.get("loc", ())) or None
        msg = err.get("msg", str(exc)).removeprefix("Value error, ")
        raise InputError(msg, source=source, field=field) from None
