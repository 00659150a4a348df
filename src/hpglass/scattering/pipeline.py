"""The diffraction chain in one call: pattern (+ empty cell) → S(q), F(r), g(r), density and structure metrics.

Steps (each a pure function elsewhere in this package):
1. x → q (Å⁻¹) with the wavelength; background interpolated onto the sample grid; q_min … q_max selected.
2. α by Krogh-Moe/Norman (or the high-q fit); Faber–Ziman S(q); S(q) extended to q = 0.
3. If asked, ρ and/or the background scale refined with α from the low-r misfit (``density``).
4. Eggert/Kaplow correction with r_min = r_cutoff; F(r), g(r), RDF by sine transform on the measured grid.
5. Principal peak and FSDP of S(q), r1 and coordination number from g(r) (``peaks``).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..composition import Composition
from ..errors import ConvergenceError, HpglassError, InputError
from .config import ScatterConfig
from .density import DensityFit, refine_density
from .normalization import extend_to_zero, faber_ziman_sq, high_q_fit
from .pattern import Pattern
from .reduce import Reducer
from .transform import f_of_r, g_of_r, rdf

# r_cutoff, when not given, is this fraction of the first F(r) maximum: below ~0.8 r1 no pairs exist in
# covalent and metallic glasses (nearest-neighbour distance distributions are narrower than ±15 %).
AUTO_R_CUTOFF_FRACTION = 0.8
#: no first shell holds more neighbours than this (close packing has 12–14): larger values mean a broken g(r)
MAX_PLAUSIBLE_CN = 30.0


@dataclass(frozen=True)
class ScatterResult:
    """Everything the chain produced; arrays in Å⁻¹ / Å, densities in g/cm³ and atoms/Å³."""

    config: ScatterConfig
    composition: Composition
    q: np.ndarray  # measured grid used, Å⁻¹
    sq: np.ndarray  # final S(q) on q (normalized, corrected)
    sq_uncorrected: np.ndarray  # S(q) before the Eggert/Kaplow correction
    q_full: np.ndarray  # 0 … q_max incl. the low-q extension used in the transforms
    sq_full: np.ndarray
    r: np.ndarray
    fr: np.ndarray  # F(r) = G(r) (PDFgetX3), Å⁻²
    gr: np.ndarray
    rdf: np.ndarray  # atoms/Å
    density_g_cm3: float
    density_err_g_cm3: float | None
    number_density: float
    bkg_scale: float
    bkg_scale_err: float | None
    alpha: float
    r_cutoff: float
    fit: DensityFit | None
    metrics: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready summary (no arrays): values with units in the keys, inputs, parameters, versions."""
        fit = self.fit
        out = {
            "density_g_cm3": self.density_g_cm3,
            "density_err_g_cm3": self.density_err_g_cm3,
            "number_density_A-3": self.number_density,
            "bkg_scale": self.bkg_scale if self.sources.get("background") else None,
            "bkg_scale_err": self.bkg_scale_err,
            "alpha": self.alpha,
            "r_cutoff_A": self.r_cutoff,
            "q_min_A-1": float(self.q[0]),
            "q_max_A-1": float(self.q[-1]),
            "n_points": int(self.q.size),
        }
        if fit is not None:
            rho_to_g = self.composition.mass_density
            out["density_refinement"] = {
                "refined": list(fit.refined),
                "density_err_stat_g_cm3": rho_to_g(fit.number_density_err_stat),
                "density_err_sys_g_cm3": rho_to_g(fit.number_density_err_sys),
                "bkg_scale_err_stat": fit.bkg_scale_err_stat,
                "bkg_scale_err_sys": fit.bkg_scale_err_sys,
                "chi2_low_r": fit.chi2,
                "n_eval": fit.n_eval,
                "method": "min ∫₀^r_min ΔF² dr (Lorch, 1 Eggert iteration), α free; sys = r_min × 0.9/1.1",
            }
        out.update(self.metrics)
        out["inputs"] = dict(self.sources)
        out["parameters"] = self.config.model_dump()
        out["composition"] = self.composition.to_dict()
        out["versions"] = {"hpglass": __version__, "numpy": np.__version__, "python": platform.python_version()}
        return out


def prepare(sample: Pattern, bkg: Pattern | None, config: ScatterConfig) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray | None]:
    """q grid (Å⁻¹), sample and interpolated background intensities within q_min … q_max."""
    s = sample.to_q(config.wavelength)
    s = s.limit(config.q_min, config.q_max)
    b = None
    if bkg is not None:
        bq = bkg.to_q(config.wavelength if config.wavelength is not None else s.wavelength)
        b = bq.interpolate(s.x)
    if s.x.size < 20:
        raise InputError(f"only {s.x.size} points between q_min and q_max; at least 20 are needed",
                         source=sample.source, field="q_min/q_max")
    return s.x, s.y, b


def auto_r_cutoff(q: np.ndarray, intensity: np.ndarray, reducer: Reducer) -> tuple[float, str]:
    """AUTO_R_CUTOFF_FRACTION × the first clear maximum of F(r)/r = 4πρ[g(r) − 1] in 1.0–4.5 Å.

    F(r) comes from a high-q-fit S(q) through the Lorch window, which needs no density. F/r rather than F
    because F grows with r and would hide a short first shell (Si–O in silicates) behind the second. "Clear":
    a prominence of at least 25 % and a height of at least half the range of F/r there, which skips
    termination ripples. Without such a peak the highest maximum there is used (a crystalline or very noisy
    pattern); the result records which rule applied.
    """
    from scipy.signal import find_peaks

    alpha = high_q_fit(q, intensity, reducer.sf, reducer.compton, 0.6 * q[-1])
    sq = faber_ziman_sq(intensity, alpha, reducer.sf, reducer.compton)
    qe, se = extend_to_zero(q, sq, reducer.s0, "linear")
    r = np.arange(1.0, 4.5, 0.01)
    h = f_of_r(qe, se, r, use_lorch=True) / r
    span = h.max() - h.min()
    idx, _ = find_peaks(h, height=h.min() + 0.5 * span, prominence=0.25 * span)
    if idx.size:
        return float(AUTO_R_CUTOFF_FRACTION * r[int(idx[0])]), "0.8 × first clear maximum of F(r)/r"
    return float(AUTO_R_CUTOFF_FRACTION * r[int(np.argmax(h))]), "0.8 × highest maximum of F(r)/r (no clear first)"


def process(sample: Pattern, bkg: Pattern | None, config: ScatterConfig) -> ScatterResult:
    """Run the chain (module docstring). Raises InputError on inconsistent input."""
    comp = Composition.parse(config.composition, source="composition")
    if config.refine_bkg and bkg is None:
        raise InputError("--refine-bkg needs a background pattern (--bkg)", field="refine_bkg")
    q, y, b = prepare(sample, bkg, config)
    probe = Reducer(q, y, b, config, r_cutoff=None)
    r_cut, r_cut_rule = config.r_cutoff, "given"
    if r_cut is None:
        r_cut, r_cut_rule = auto_r_cutoff(q, probe.intensity(config.bkg_scale), probe)
    reducer = Reducer(q, y, b, config, r_cutoff=r_cut)

    fit = None
    if config.refine_density or config.refine_bkg:
        rho_start = None if config.density is None else comp.number_density(config.density)
        bounds = tuple(comp.number_density(d) for d in config.density_bounds)
        fit = refine_density(reducer, rho_start, config.bkg_scale, config.refine_density, config.refine_bkg,
                             rho_bounds=bounds)
        if config.refine_density and not bounds[0] * 1.005 < fit.number_density < bounds[1] / 1.005:
            raise ConvergenceError(
                f"density refinement ran to the search bound ({comp.mass_density(fit.number_density):.3g} g/cm³ "
                f"of {config.density_bounds}): the low-r F(r) does not constrain it — check composition and "
                f"background, limit --qmax to the clean data, or set --r-cutoff (now {r_cut:.3f} Å)",
                source=sample.source)
        rho, bkg_scale, alpha = fit.number_density, fit.bkg_scale, fit.alpha
    else:
        assert config.density is not None
        rho, bkg_scale = comp.number_density(config.density), config.bkg_scale
        alpha = reducer.alpha(rho, reducer.intensity(bkg_scale))

    trial = reducer.trial(rho, bkg_scale, alpha=alpha)
    r = np.arange(0.0, config.r_max + config.r_step / 2, config.r_step)
    fr = f_of_r(trial.q, trial.sq, r, use_lorch=config.lorch)
    gr = g_of_r(r, fr, rho)

    metrics = _metrics(trial.q[trial.n_low:], trial.sq[trial.n_low:], r, gr, rho, r_cut, config)
    warnings = []
    # The Eggert correction and the density misfit see F(r) through the Lorch window, which spreads the first
    # peak by ≈ π/q_max; an r_cutoff closer than that to r1 pulls real first-shell signal into the "no pairs"
    # region and biases ρ and S(q) (−3 … −11 % on Percus–Yevick data with r_cutoff 0.1 Å below contact).
    if metrics.get("r1_A") and r_cut > metrics["r1_A"] - np.pi / q[-1]:
        warnings.append(f"r_cutoff {r_cut:.2f} Å is within π/q_max = {np.pi / q[-1]:.2f} Å of r1 = "
                        f"{metrics['r1_A']:.2f} Å: density and S(q) may be biased; lower --r-cutoff")
    if warnings:
        metrics["warnings"] = warnings
    return ScatterResult(
        config=config,
        composition=comp,
        q=q,
        sq=trial.sq[trial.n_low:],
        sq_uncorrected=trial.sq_raw[trial.n_low:],
        q_full=trial.q,
        sq_full=trial.sq,
        r=r,
        fr=fr,
        gr=gr,
        rdf=rdf(r, gr, rho),
        density_g_cm3=comp.mass_density(rho),
        density_err_g_cm3=None if fit is None or not config.refine_density else comp.mass_density(
            fit.number_density_err),
        number_density=rho,
        bkg_scale=bkg_scale,
        bkg_scale_err=None if fit is None or not config.refine_bkg else fit.bkg_scale_err,
        alpha=alpha,
        r_cutoff=r_cut,
        fit=fit,
        metrics=metrics | {"r_cutoff_rule": r_cut_rule},
        sources={"sample": sample.source, "background": None if bkg is None else bkg.source},
    )


def _metrics(q: np.ndarray, sq: np.ndarray, r: np.ndarray, gr: np.ndarray, rho: float, r_cut: float,
             config: ScatterConfig) -> dict:
    """Principal peak, FSDP, r1 and CN; a metric that cannot be determined is null with the reason.

    The first shell is searched from r_cutoff (no pairs exist below it by construction) to r_cutoff/0.8 + 1 Å.
    """
    from . import peaks

    out: dict = {}
    notes: dict = {}
    shell = (r_cut, r_cut / AUTO_R_CUTOFF_FRACTION + 1.0)
    p = None
    try:
        p = peaks.principal_peak(q, sq, q_range=config.q1_range)
        out["q1_A-1"], out["q1_err_A-1"], out["sq_q1"] = p.position, p.position_err, p.height
    except (HpglassError, ValueError, RuntimeError) as exc:  # a failed metric is reported, not fatal
        out["q1_A-1"] = out["q1_err_A-1"] = out["sq_q1"] = None
        notes["q1"] = str(exc)
    try:
        pf = peaks.first_sharp_diffraction_peak(q, sq, q_range=config.fsdp_range, principal=p)
        out["fsdp"] = None if pf is None else {"position_A-1": pf.position, "position_err_A-1": pf.position_err,
                                               "height": pf.height}
    except (HpglassError, ValueError, RuntimeError) as exc:
        out["fsdp"] = None
        notes["fsdp"] = str(exc)
    try:
        p1 = peaks.first_peak_r(r, gr, r_range=shell)
        out["r1_A"], out["r1_err_A"] = p1.position, p1.position_err
    except (HpglassError, ValueError, RuntimeError) as exc:
        out["r1_A"] = out["r1_err_A"] = None
        notes["r1"] = str(exc)
    try:
        cn = peaks.coordination_number(r, gr, rho, method="minimum", r_range=shell)
        if not 0 < cn.cn < MAX_PLAUSIBLE_CN:
            raise ValueError(f"coordination number {cn.cn:.3g} is implausible (g(r) too distorted to integrate)")
        out["cn"] = cn.cn
        out["cn_method"] = f"RDF integrated from {cn.r_lo:.3f} Å to the first g(r) minimum at {cn.r_hi:.3f} Å"
        out["cn_range_A"] = [cn.r_lo, cn.r_hi]
    except (HpglassError, ValueError, RuntimeError) as exc:
        out["cn"] = None
        notes["cn"] = str(exc)
    if notes:
        out["metric_notes"] = notes
    return out
