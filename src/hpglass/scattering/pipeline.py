"""The diffraction chain in one call: pattern (+ empty cell) → S(q), F(r), g(r), density and structure metrics.

Steps (each a pure function elsewhere in this package):
1. x → q (Å⁻¹) with the wavelength; background interpolated onto the sample grid; q_min … q_max selected.
2. α by Krogh-Moe/Norman (or the high-q fit); Faber–Ziman S(q); S(q) extended to q = 0.
3. If asked, ρ and/or the background scale refined with α from the low-r misfit (``density``).
4. Eggert/Kaplow correction with r_min = r_cutoff; F(r), g(r), RDF by sine transform on the measured grid.
5. Principal peak and FSDP of S(q), r1 and coordination number from g(r) (``peaks``).
"""

from __future__ import annotations

import itertools
import platform
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..composition import Composition
from ..errors import HpglassError, InputError
from .config import ScatterConfig
from .density import DensityFit, refine_density
from .normalization import extend_to_zero, faber_ziman_sq, high_q_fit
from .pattern import Pattern
from .plausible import Plausible, plausible
from .qrange import QRange, choose_q_range
from .quality import assess
from .reduce import Reducer
from .transform import f_of_r, g_of_r, rdf

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

    def __repr__(self) -> str:
        err = "" if self.density_err_g_cm3 is None else f" ± {self.density_err_g_cm3:.2g}"
        w = self.warnings
        return (f"ScatterResult({self.composition}: ρ = {self.density_g_cm3:.4g}{err} g/cm³, q {self.q[0]:.3g}–"
                f"{self.q[-1]:.3g} Å⁻¹, r_cutoff {self.r_cutoff:.3g} Å, {len(w)} warning{'s' * (len(w) != 1)})")

    @property
    def warnings(self) -> list[str]:
        return list(self.metrics.get("warnings") or [])

    def plot(self, ax=None):
        """S(q) (measured range, before and after the Eggert correction) and g(r) with r_cutoff marked, on two
        axes (``ax``: a pair of axes, or None for a new figure); returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")[1]
        a, b = ax
        a.plot(self.q, self.sq_uncorrected, lw=0.8, color="0.6", label="before the Eggert correction")
        a.plot(self.q, self.sq, lw=1.0, label="S(q)")
        a.axhline(1.0, color="k", lw=0.5)
        a.set_xlabel("q (Å⁻¹)")
        a.set_ylabel("S(q)")
        a.legend(frameon=False, fontsize="small")
        b.plot(self.r, self.gr, lw=1.0)
        b.axvline(self.r_cutoff, color="0.5", ls="--", lw=0.8)
        b.axhline(0.0, color="k", lw=0.5)
        b.set_xlabel("r (Å)")
        b.set_ylabel("g(r)")
        err = "" if self.density_err_g_cm3 is None else f" ± {self.density_err_g_cm3:.2g}"
        b.set_title(f"ρ = {self.density_g_cm3:.4g}{err} g/cm³", fontsize="small")
        return ax

    @property
    def notes(self) -> list[str]:
        return list((self.metrics.get("quality") or {}).get("notes") or [])

    def to_dict(self, arrays: bool = False) -> dict:
        """JSON-ready summary: values with units in the keys, inputs, parameters, versions; with ``arrays`` also
        the curves (q, S(q), S(q) before the correction, r, F(r), g(r)) as lists."""
        if arrays:
            return self.to_dict() | {"curves": {
                "q_A-1": self.q.tolist(), "sq": self.sq.tolist(), "sq_uncorrected": self.sq_uncorrected.tolist(),
                "r_A": self.r.tolist(), "fr_A-2": self.fr.tolist(), "gr": self.gr.tolist()}}
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
                "n_refinements": fit.n_refinements,
                "at_bound": list(fit.at_bound),
                "variants": [{"setting": v["setting"], "density_g_cm3": rho_to_g(v["number_density"]),
                              "bkg_scale": v["bkg_scale"]} for v in fit.variants],
                "method": ("min ∫₀^r_min ΔF² dr (Lorch, 1 Eggert iteration), α free; sys = spread over r_min × "
                           "0.85/1.1, q_max × 0.85 and the low-q extrapolation"),
            }
        out.update(self.metrics)
        out["inputs"] = dict(self.sources)
        out["parameters"] = self.config.model_dump()
        out["composition"] = self.composition.to_dict()
        out["versions"] = {"hpglass": __version__, "numpy": np.__version__, "python": platform.python_version()}
        return out


def prepare_range(sample: Pattern, bkg: Pattern | None, config: ScatterConfig
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, QRange]:
    """q grid (Å⁻¹), sample and interpolated background intensities of the rows that are data, and why.

    The background is interpolated onto the sample's grid; sample rows outside the background's range count as
    dead. The rows kept are chosen by :func:`hpglass.scattering.qrange.choose_q_range` (dead rows, instrumental
    edges, a noisy tail; the user's q_min/q_max where given).
    """
    s = sample.to_q(config.wavelength)
    b = None
    if bkg is not None:
        bq = bkg.to_q(config.wavelength if config.wavelength is not None else s.wavelength)
        inside = (s.x >= bq.x[0]) & (s.x <= bq.x[-1])
        lo = -np.inf if config.q_min is None else config.q_min
        hi = np.inf if config.q_max is None else config.q_max
        wanted = (s.x >= lo) & (s.x <= hi)
        # a few uncovered rows at the ends are dropped like dead rows; a background that misses a real part of
        # the pattern is a wrong file or a wrong unit
        if (wanted & ~inside).sum() > 0.1 * wanted.sum() or inside.sum() < 20:
            raise InputError(f"the background covers q = {bq.x[0]:.4g}–{bq.x[-1]:.4g} Å⁻¹ but the sample "
                             f"{s.x[wanted][0]:.4g}–{s.x[wanted][-1]:.4g} Å⁻¹", source=bkg.source,
                             field="background")
        b = np.where(inside, np.interp(s.x, bq.x, bq.y), np.nan)
    rng = choose_q_range(s.x, s.y, b, config.q_min, config.q_max, source=sample.source)
    k = rng.keep
    return s.x[k], s.y[k], None if b is None else b[k], rng


def prepare(sample: Pattern, bkg: Pattern | None, config: ScatterConfig) -> tuple[np.ndarray, np.ndarray,
                                                                                   np.ndarray | None]:
    """q grid (Å⁻¹), sample and interpolated background intensities of the rows used (:func:`prepare_range`)."""
    q, y, b, _ = prepare_range(sample, bkg, config)
    return q, y, b


def first_pass(q: np.ndarray, intensity: np.ndarray, reducer: Reducer) -> tuple[np.ndarray, np.ndarray]:
    """S(q) normalized by the high-q fit (no density needed) and F(r)/r = 4πρ[g(r) − 1] on r = 1 … 4.5 Å through
    the Lorch window — the density-free look at the data that the defaults are chosen from."""
    alpha = high_q_fit(q, intensity, reducer.sf, reducer.compton, 0.6 * q[-1])
    sq = faber_ziman_sq(intensity, alpha, reducer.sf, reducer.compton)
    return sq, alpha


#: a peak of the first-pass S(q) outside the composition's range is a wrong unit when it stands this high above
#: its surroundings (in S units) and this many times higher than anything inside the range
X_UNIT_PEAK = 0.3
X_UNIT_RATIO = 3.0
X_UNIT_SIGMAS = 8.0


def check_x_unit(q: np.ndarray, sq: np.ndarray, limits: Plausible, sample: Pattern) -> float | None:
    """The principal S(q) peak (first pass, q in Å⁻¹) must lie where the composition can have it
    (:mod:`hpglass.scattering.plausible`); a strong peak elsewhere with nothing comparable inside means the x unit
    (or the wavelength) is wrong: InputError. Returns the strongest peak position inside the range (None if none).

    Peaks are measured above a running median over 2.5 Å⁻¹, so that a smooth rise (the anvils' Compton scattering
    in a pattern without an empty-cell background) is no peak; the last 1.25 Å⁻¹, where that median is one-sided,
    and the first 0.3 Å⁻¹ are not searched. "Strong": ≥ ``X_UNIT_PEAK`` above the median and ≥ ``X_UNIT_RATIO`` ×
    the strongest peak inside the range (or ≥ 8× the residual's robust scatter, for a pattern whose S(q) features
    are small because the cell dominates it) — a weak bump outside (a gasket Bragg peak on a diamond-dominated pattern
    without background: 0.02 at 6.2 Å⁻¹ on Mg2SiO4_091) is not evidence of a wrong unit.
    """
    from scipy.ndimage import median_filter

    step = float(np.median(np.diff(q)))
    n = max(int(round(2.5 / step)) | 1, 3)
    qu = np.arange(q[0], q[-1], step)
    su = np.interp(qu, q, sq)
    k = max(int(round(0.1 / step)), 1)
    sm = np.convolve(su, np.ones(k) / k, mode="same")
    resid = sm - median_filter(sm, size=n, mode="nearest")
    inner = (qu > qu[0] + 0.3) & (qu < qu[-1] - 1.25)
    if inner.sum() < 3:
        inner = np.ones(qu.size, dtype=bool)
    lo, hi = limits.q1_bounds
    inside = inner & (qu >= lo) & (qu <= hi)
    outside = inner & ~inside
    h_in = float(resid[inside].max()) if inside.any() else 0.0
    h_out = float(resid[outside].max()) if outside.any() else 0.0
    # a pattern dominated by the cell (no background given) has small S(q) features: judge them against the
    # scatter of the residual as well as in S units
    d = np.diff(su)
    spread = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / np.sqrt(2.0 * k)  # noise of the k-point mean
    strong = h_out >= X_UNIT_PEAK or h_out >= X_UNIT_SIGMAS * spread
    if strong and h_out >= X_UNIT_RATIO * max(h_in, 0.0):
        q_out = float(qu[outside][int(np.argmax(resid[outside]))])
        raise InputError(
            f"the strongest S(q) peak sits at q = {q_out:.3g} Å⁻¹ (x read as {sample.unit}), where "
            f"{limits.composition} cannot have its principal peak ({lo:.2f}–{hi:.2f} Å⁻¹ from its bond lengths): "
            "check the x unit (--x-unit q | q_nm | 2theta) and the wavelength", source=sample.source,
            field="x_unit")
    return float(qu[inside][int(np.argmax(resid[inside]))]) if inside.any() else None


def auto_r_cutoff(q: np.ndarray, sq_first: np.ndarray, reducer: Reducer, limits: Plausible
                  ) -> tuple[float, str, float | None]:
    """r_min of the Eggert/Kaplow correction: (r_cutoff, rule, largest r_cutoff outside the first shell).

    r_cutoff = min(d_min, 0.9 r1 − 4.7/q_max), where

    * d_min = 0.85 × the smallest covalent-radius sum of the composition — no pair of these atoms comes closer
      (:mod:`hpglass.scattering.plausible`);
    * r1 is the first clear maximum of the first-pass F(r)/r = 4πρ[g(r) − 1] above 0.9 d_min (the density-free
      S(q) of the high-q fit, through the Lorch window): 0.9 r1 is the foot of the first shell (nearest-neighbour
      distributions are narrower than ±10 %), and 4.7/q_max is how far the Lorch window spreads a sharp peak
      below itself before its leakage falls under 5 % of the peak's height (computed: 4.7 for every q_max). So
      r_cutoff is never inside the first shell as the refinement sees it.

    F/r rather than F because F grows with r and would hide a short first shell (Si–O in silicates) behind the
    second. "Clear": a height of at least half the range of F/r there, which skips termination ripples, and a
    prominence of at least 5 % (a first shell can be a shoulder of the next: Si–O at 1.62 Å beside Mg–O at 2.05 Å
    in Mg2SiO4); without such a peak the highest maximum is used and the rule says so.
    """
    from scipy.signal import find_peaks

    qe, se = extend_to_zero(q, sq_first, reducer.s0, "linear")
    r = np.arange(max(0.9 * limits.d_min, 0.5), 6.0, 0.01)
    h = f_of_r(qe, se, r, use_lorch=True) / r
    span = h.max() - h.min()
    idx, _ = find_peaks(h, height=h.min() + 0.5 * span, prominence=0.05 * span)
    clear = bool(idx.size)
    r1 = float(r[int(idx[0])]) if clear else float(r[int(np.argmax(h))])
    leak = LORCH_LEAK / q[-1]
    r_data = 0.9 * r1 - leak
    if limits.d_min <= r_data:
        rule = (f"0.85 × shortest covalent bond {'–'.join(limits.shortest_pair)} ({limits.d_min:.3f} Å); the first "
                f"pass puts the first shell at {r1:.2f} Å")
        r_cut = limits.d_min
    else:
        rule = (f"0.9 × first{' clear' if clear else ''} F(r)/r maximum ({r1:.3f} Å) − 4.7/q_max ({leak:.2f} Å), "
                f"below the shortest covalent bond ({limits.d_min:.3f} Å)")
        r_cut = r_data
    return float(r_cut), rule, float(max(r_data, r_cut))


#: the Lorch window spreads a sharp peak by LORCH_LEAK/q_max below itself (leakage < 5 % of its height beyond)
LORCH_LEAK = 4.7


def process(sample: Pattern, bkg: Pattern | None, config: ScatterConfig) -> ScatterResult:
    """Run the chain (module docstring). Raises InputError on inconsistent input."""
    comp = Composition.parse(config.composition, source="composition")
    limits = plausible(comp)
    if config.refine_bkg and bkg is None:
        raise InputError("--refine-bkg needs a background pattern (--bkg)", field="refine_bkg")
    q, y, b, qrange = prepare_range(sample, bkg, config)
    probe = Reducer(q, y, b, config, r_cutoff=None)
    rho_probe = comp.number_density(config.density if config.density is not None else
                                     float(np.sqrt(np.prod(limits.density_bounds))))
    sq_first, _ = first_pass(q, probe.intensity(config.bkg_scale, rho_probe), probe)
    q_peak = check_x_unit(q, sq_first, limits, sample)
    r_cut, r_cut_rule, r_cut_max = config.r_cutoff, "given", None
    if r_cut is None:
        r_cut, r_cut_rule, r_cut_max = auto_r_cutoff(q, sq_first, probe, limits)
    reducer = Reducer(q, y, b, config, r_cutoff=r_cut)

    fit = None
    thick = config.sample_thickness_um
    d_bounds = config.density_bounds if config.density_bounds is not None else limits.density_bounds
    if config.refine_density or config.refine_bkg or config.refine_thickness:
        rho_start = None if config.density is None else comp.number_density(config.density)
        if rho_start is None and reducer.dac is not None:
            # the cell's absorption needs a density: refine once without it for a start value
            fit0 = refine_density(Reducer(q, y, b, config.model_copy(update={
                "anvil_thickness_mm": None, "sample_thickness_um": None, "refine_thickness": False}), r_cut),
                None, config.bkg_scale, config.refine_density, config.refine_bkg,
                rho_bounds=tuple(comp.number_density(d) for d in d_bounds), systematic=False)
            rho_start = fit0.number_density
        bounds = tuple(comp.number_density(d) for d in d_bounds)
        fit = refine_density(reducer, rho_start, config.bkg_scale, config.refine_density, config.refine_bkg,
                             rho_bounds=bounds, refine_thickness=config.refine_thickness, r_cutoff_max=r_cut_max)
        rho, bkg_scale, alpha, thick = fit.number_density, fit.bkg_scale, fit.alpha, fit.thickness_um
    else:
        assert config.density is not None
        rho, bkg_scale = comp.number_density(config.density), config.bkg_scale
        alpha = reducer.alpha(rho, reducer.intensity(bkg_scale, rho))

    # The written curves are corrected through the window they are written with: the refinement measured the
    # low-r misfit through the Lorch window, but the Eggert/Kaplow iterations on the final S(q) use the window of
    # the written F(r), so that below r_min the written F(r) = −4πρr (within the noise) with or without Lorch.
    final = Reducer(q, y, b, config, r_cutoff=r_cut, misfit_lorch=config.lorch)
    trial = final.trial(rho, bkg_scale, alpha=alpha, thickness_um=thick)
    r = np.arange(0.0, config.r_max + config.r_step / 2, config.r_step)
    fr = f_of_r(trial.q, trial.sq, r, use_lorch=config.lorch)
    gr = g_of_r(r, fr, rho)

    q1_range = config.q1_range
    if q1_range is None:
        q1_range = (max(limits.q1_bounds[0], float(q[0])), min(limits.q1_bounds[1], float(q[-1])))
    density_shift = None
    if fit is not None and "rho" in fit.refined and fit.number_density_err > 0:
        def density_shift(rho2=rho + fit.number_density_err):
            # α follows ρ as the normalization sum rule says, anchored on the refined α (see _metrics)
            def a_norm(n):
                return final.alpha(n, final.intensity(bkg_scale, n, thick), thick)

            t2 = final.trial(rho2, bkg_scale, alpha=alpha * a_norm(rho2) / a_norm(rho), thickness_um=thick)
            g2 = g_of_r(r, f_of_r(t2.q, t2.sq, r, use_lorch=config.lorch), rho2)
            return t2.q[t2.n_low:], t2.sq[t2.n_low:], r, g2, rho2

    metrics = _metrics(trial.q[trial.n_low:], trial.sq[trial.n_low:], r, gr, rho, r_cut, config, q1_range,
                       q_full=trial.q, sq_full=trial.sq, sq_raw_full=trial.sq_raw,
                       density_shift=density_shift)
    result_args = dict(config=config, composition=comp, q=q, r=r, fr=fr, gr=gr, rho=rho, r_cut=r_cut,
                       trial=trial, fit=fit, limits=limits, d_bounds=d_bounds, q1_range=q1_range)
    quality = assess(**result_args, metrics=metrics, qrange=qrange, r_cut_rule=r_cut_rule, q_peak=q_peak)
    metrics["quality"] = quality.to_dict()
    metrics["warnings"] = list(quality.warnings) or None
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
        metrics=metrics | {"r_cutoff_rule": r_cut_rule, "window": "lorch" if config.lorch else "none",
                           "sample_thickness_um": thick, "density_bounds_g_cm3": list(d_bounds),
                           "sample_thickness_err_um": None if fit is None else fit.thickness_err_um},
        sources={"sample": sample.source, "background": None if bkg is None else bkg.source},
    )


def _shell(r_cut: float) -> tuple[float, float]:
    """The r range searched for the first shell: r_cutoff (no pairs below it by construction) to
    max(1.25 r_cutoff + 1 Å, r_cutoff + 2.5 Å) — the default r_cutoff can lie well below a van der Waals shell."""
    return r_cut, max(1.25 * r_cut + 1.0, r_cut + 2.5)


@dataclass(frozen=True)
class _Estimates:
    """The peak metrics of one S(q)/g(r), with the fits behind them (None: not determined, reason in notes)."""

    principal: object | None  # peaks.PeakFit
    q1: object | None  # peaks.PeakMaximum
    fsdp: object | None
    r1_fit: object | None
    r1: object | None  # peaks.PeakMaximum
    cn: object | None  # peaks.Coordination
    notes: dict


def _estimates(q: np.ndarray, sq: np.ndarray, r: np.ndarray, gr: np.ndarray, rho: float, r_cut: float,
               config: ScatterConfig, q1_range: tuple[float, float], gr_cov=None, fsdp: bool = True,
               cn: bool = True) -> _Estimates:
    """q1, FSDP, r1 and CN of one S(q)/g(r) (see :func:`_metrics`); ``gr_cov(mask)`` gives the noise covariance
    of g on the rows ``mask`` (None: the local fit's residual scatter)."""
    from . import peaks

    notes: dict = {}
    shell = _shell(r_cut)
    want_cn, p, m_q, pf, p1, m_r, cn = cn, None, None, None, None, None, None
    try:
        p = peaks.principal_peak(q, sq, q_range=q1_range)
        m_q = peaks.peak_maximum(q, sq, p.position, p.fwhm, x_name="q", y_name="S(q)")
    except (HpglassError, ValueError, RuntimeError) as exc:  # a failed metric is reported, not fatal
        notes["q1"] = str(exc)
    if fsdp:
        # the FSDP search is bounded by the principal peak; when its fit failed, by the maximum of the smoothed
        # S(q) (peaks.principal_position) rather than letting the FSDP search re-run the fit that just failed
        bound = p if p is not None else (m_q.position if m_q is not None else None)
        try:
            if bound is None:
                bound = peaks.principal_position(q, sq, q_range=q1_range)
            pf = peaks.first_sharp_diffraction_peak(q, sq, q_range=config.fsdp_range, principal=bound)
        except (HpglassError, ValueError, RuntimeError) as exc:
            notes["fsdp"] = str(exc)
    try:
        p1 = peaks.first_peak_r(r, gr, r_range=shell)
        # rows of the local fits (the widest half-width, re-centred, with room to spare)
        near = np.abs(r - p1.position) <= 0.6 * p1.fwhm
        cov = None if gr_cov is None else gr_cov(near)
        m_r = peaks.peak_maximum(r[near], gr[near], p1.position, p1.fwhm, cov=cov, x_unit="A", x_name="r",
                                 y_name="g(r)")
    except (HpglassError, ValueError, RuntimeError) as exc:
        notes["r1"] = str(exc)
    try:
        if want_cn:
            cn = peaks.coordination_number(r, gr, rho, method="minimum", r_range=shell)
            if not 0 < cn.cn < MAX_PLAUSIBLE_CN:
                raise ValueError(f"coordination number {cn.cn:.3g} is implausible (g(r) too distorted to integrate)")
    except (HpglassError, ValueError, RuntimeError) as exc:
        cn = None
        notes["cn"] = str(exc)
    return _Estimates(p, m_q, pf, p1, m_r, cn, notes)


def _metrics(q: np.ndarray, sq: np.ndarray, r: np.ndarray, gr: np.ndarray, rho: float, r_cut: float,
             config: ScatterConfig, q1_range: tuple[float, float], *, q_full: np.ndarray | None = None,
             sq_full: np.ndarray | None = None, sq_raw_full: np.ndarray | None = None, density_shift=None) -> dict:
    r"""Principal peak, FSDP, r1 and CN with their errors; a metric that cannot be determined is null with the
    reason. The first shell is searched in :func:`_shell`.

    Definitions (maxima are of the curve itself, not the centre of a fitted shape: with a sloping local background
    the centre x₀ of a pseudo-Voigt lies ≈ b₁w²/(8 ln 2·A) from the maximum, −0.013 Å⁻¹ on the demo):

    * q1 — the maximum of S(q) at the principal peak: :func:`hpglass.scattering.peaks.peak_maximum` (local cubic
      fits over ±(0.15, 0.2, 0.25) × the FWHM of the pseudo-Voigt fit of
      :func:`~hpglass.scattering.peaks.principal_peak`, which locates the peak and must converge). σ_stat from the
      χ²-scaled covariance: S(q) points carry independent counting noise.
    * r1 — the maximum of the first g(r) peak **at the data's q_max resolution**: g(r) is the transform of S(q)
      cut at q_max, so a feature sharper than π/q_max (the hard-sphere contact discontinuity) comes out broadened
      and shifted (+0.2 Å on the demo's Percus–Yevick pattern); that is the definition, no error bar covers it.
      The g(r) points are correlated over ≈ π/q_max ≫ Δr, so σ_stat uses their covariance
      C = J diag(σ_S²) Jᵀ, J = ∂g/∂S (:func:`gr_jacobian`), σ_S the white noise of S(q) (:func:`sq_noise`),
      not the scatter of the residuals (which would count ≈ π/(q_max Δr) = 26 correlated points as independent).
    * CN — ∫ 4πρr²g dr from the onset to the first g(r) minimum (:func:`hpglass.scattering.peaks.coordination_number`).

    Errors, in quadrature (``uncertainty`` lists each part):

    * stat — q1 and r1 as above; CN: σ_S through N = 4πρ(r_hi³ − r_lo³)/3 + ∫ r F dr with fixed limits
      (:func:`shell_jacobian`);
    * window (q1, r1) — half the spread of the maximum over the three half-widths (shape misfit of the cubic);
    * density — the value recomputed at ρ + σρ with α moved as the normalization sum rule moves it
      (α·α_N(ρ + σρ)/α_N(ρ), α_N the configured normalization: Krogh-Moe, Acta Cryst. 9, 951 (1956); Norman,
      Acta Cryst. 10, 370 (1957)) and the background scale kept. ρ and α are refined together, so a density
      error moves S(q) and the 4πρr² term at once; differentiating along the chain counts it once (the
      derivative at fixed F(r), ∂N/∂ρ = 4π(r_hi³ − r_lo³)/3, ignores that F(r) moves with ρ and overstates σ_CN);
    * correction (q1, r1) — half the shift of the maximum between S(q) before and after the Eggert/Kaplow
      correction (Eggert et al., Phys. Rev. B 65, 174105 (2002)): the correction absorbs the background and
      normalization misfit the model does not describe, and what it moved the peak by bounds what it may have
      left; half of it, the usual convention for a bound taken as a uniform error's full width;
    * termination (CN) — half the CN change between g(r) with and without the Lorch window (Lorch, J. Phys. C 2,
      229 (1969)). On the demo's Percus–Yevick pattern the ripple of the cut at q_max moves the first minimum,
      to which CN is integrated, by −0.07 Å (CN −0.28); the windowed g(r) has no ripple but a broader first
      peak (CN +0.45 on the exact answer's other side), so the two bracket the answer. (Half the change with
      S(q) cut at 0.85 q_max, the other common recipe, swings by ±1.2 on the same pattern as the minimum jumps
      between ripples: err/RMS 2–5 on replicas.)

    ``density_shift()`` returns (q, S(q), r, g(r), ρ) at ρ + σρ, or is None (density given: no density term).
    """
    from . import peaks
    from .transform import f_of_r, g_of_r

    sig_s = sq_noise(sq)
    have_full = q_full is not None and sq_full is not None
    n_low = q_full.size - q.size if have_full else 0
    sig_full = np.concatenate([np.zeros(n_low), sig_s])  # the low-q extension is a model, not data

    def gr_cov(mask):
        if not have_full:
            return None
        jac = gr_jacobian(q_full, r[mask], rho, config.lorch)
        return (jac * sig_full**2) @ jac.T

    est = _estimates(q, sq, r, gr, rho, r_cut, config, q1_range, gr_cov=gr_cov)
    want_peaks = est.q1 is not None or est.r1 is not None
    alt = raw = None
    if density_shift is not None and (want_peaks or est.cn is not None):
        q2, sq2, r2, gr2, rho2 = density_shift()
        alt = _estimates(q2, sq2, r2, gr2, rho2, r_cut, config, q1_range, fsdp=False)
    if have_full and sq_raw_full is not None and want_peaks:
        g_raw = g_of_r(r, f_of_r(q_full, sq_raw_full, r, use_lorch=config.lorch), rho)
        raw = _estimates(q, sq_raw_full[n_low:], r, g_raw, rho, r_cut, config, q1_range, fsdp=False, cn=False)

    def delta(other, get, factor=1.0):
        """|change| of a value in another estimate (None: not computed; nan: not determined there)."""
        if other is None:
            return None
        a = get(other)
        return float("nan") if a is None else factor * abs(a - get(est))

    def total(*parts):
        return float(np.sqrt(sum(np.nan_to_num(v) ** 2 for v in parts if v is not None)))

    out: dict = {}
    unc: dict = {}
    for key, m, y_name in (("q1", est.q1, "S(q)"), ("r1", est.r1, "g(r)")):
        unit = "A-1" if key == "q1" else "A"
        if m is None:
            out[f"{key}_{unit}"] = out[f"{key}_err_{unit}"] = None
            continue
        dens = delta(alt, lambda e, k=key: getattr(e, k).position if getattr(e, k) else None)
        corr = delta(raw, lambda e, k=key: getattr(e, k).position if getattr(e, k) else None, 0.5)
        out[f"{key}_{unit}"] = m.position
        out[f"{key}_err_{unit}"] = total(m.stat_err, m.window_err, dens, corr)
        unc[f"{key}_{unit}"] = {"stat": m.stat_err, "window": m.window_err, "density": dens, "correction": corr,
                                "fit_chi2_red": m.chi2_red, "half_widths": list(m.half_widths),
                                "definition": f"maximum of {y_name} (local cubic fits)" + (
                                    "" if key == "q1" else f" at the data's q_max resolution (π/q_max = "
                                    f"{np.pi / q[-1]:.3f} Å)")}
    if est.q1 is not None:
        out["q1_range_A-1"] = list(q1_range)
        out["sq_q1"] = est.q1.value
        out["q1_fwhm_A-1"] = est.principal.fwhm
    else:
        out["sq_q1"] = None
    pf = est.fsdp
    out["fsdp"] = None if pf is None else {"position_A-1": pf.position, "position_err_A-1": pf.position_err,
                                           "height": pf.height}
    if est.cn is not None:
        c = est.cn
        stat = None
        term = None
        if have_full:
            stat = float(np.sqrt(np.sum((shell_jacobian(q_full, c.r_lo, c.r_hi, config.lorch) * sig_full) ** 2)))
            g_other = g_of_r(r, f_of_r(q_full, sq_full, r, use_lorch=not config.lorch), rho)
            try:
                term = 0.5 * abs(c.cn - peaks.coordination_number(r, g_other, rho, method="minimum",
                                                                   r_range=_shell(r_cut)).cn)
            except (HpglassError, ValueError, RuntimeError):
                term = float("nan")
        dens = delta(alt, lambda e: e.cn.cn if e.cn else None)
        out["cn"] = c.cn
        out["cn_err"] = total(stat, dens, term) if have_full else None
        out["cn_method"] = f"RDF integrated from {c.r_lo:.3f} Å to the first g(r) minimum at {c.r_hi:.3f} Å"
        out["cn_range_A"] = [c.r_lo, c.r_hi]
        unc["cn"] = {"stat": stat, "density": dens, "termination": term,
                     "definition": "∫ 4πρr²g(r) dr to the first g(r) minimum; termination = ½|CN − CN with"
                                   f"{'out' if config.lorch else ''} the Lorch window|"}
    else:
        out["cn"] = out["cn_err"] = None
    if unc:
        out["uncertainty"] = unc
    if est.notes:
        out["metric_notes"] = dict(est.notes)
    return out

# ---------------------------------------------------------------------------------------------------------------
# noise of S(q) carried into g(r) and N(r)
# ---------------------------------------------------------------------------------------------------------------
#: S(q) noise is estimated in blocks of this many points (counting noise changes slowly along the pattern)
NOISE_BLOCK = 200


def sq_noise(sq: np.ndarray, block: int = NOISE_BLOCK) -> np.ndarray:
    """Per-point white-noise σ of S(q): the robust residual σ of a short Savitzky–Golay fit
    (:func:`hpglass.scattering.peaks._noise_sigma`) in blocks of ``block`` points, linearly interpolated between
    the block centres. Counting noise changes slowly along a pattern (intensity, form factors, Compton), so a
    block of 200 points (≈ 0.7 Å⁻¹ on the demo's grid) follows it while keeping the MAD estimate within ≈ 8 %."""
    from .peaks import _noise_sigma

    n = sq.size
    edges = np.linspace(0, n, max(n // block, 1) + 1).astype(int)
    centres = 0.5 * (edges[:-1] + edges[1:])
    sig = np.array([_noise_sigma(sq[a:b]) for a, b in itertools.pairwise(edges)])
    return np.interp(np.arange(n), centres, sig)


def gr_jacobian(q: np.ndarray, r: np.ndarray, rho: float, use_lorch: bool) -> np.ndarray:
    """∂g(r_k)/∂S(q_j) of the transform :func:`hpglass.scattering.transform.f_of_r` and g = 1 + F/(4πρr):
    (2/π) w_j q_j M(q_j) sin(q_j r_k) / (4πρ r_k), w the trapezoid weights, M the Lorch function or 1."""
    from .transform import lorch, trapezoid_weights

    m = lorch(q) if use_lorch else 1.0
    a = (2.0 / np.pi) * trapezoid_weights(q) * q * m
    return np.sin(np.outer(r, q)) * a / (4.0 * np.pi * rho * r[:, None])


def shell_jacobian(q: np.ndarray, r_lo: float, r_hi: float, use_lorch: bool) -> np.ndarray:
    """∂N/∂S(q_j) of N = ∫_{r_lo}^{r_hi} 4πρr² g(r) dr = 4πρ(r_hi³ − r_lo³)/3 + ∫ r F(r) dr:
    (2/π) w_j M(q_j) [K(q_j, r_hi) − K(q_j, r_lo)] / q_j with K(q, r) = sin qr − qr cos qr
    (∫ r sin(qr) dr = K/q²)."""
    from .transform import lorch, trapezoid_weights

    m = lorch(q) if use_lorch else 1.0

    def k(rr):
        return np.sin(q * rr) - q * rr * np.cos(q * rr)

    dk = k(r_hi) - k(r_lo)  # ≈ q³(r_hi³ − r_lo³)/3 as q → 0: the quotient's limit at q = 0 is 0
    safe = np.where(q > 0, q, 1.0)
    return (2.0 / np.pi) * trapezoid_weights(q) * m * np.where(q > 0, dk / safe, 0.0)
