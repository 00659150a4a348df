"""Crystallization onset in a pressure series of diffraction patterns: sharp Bragg peaks above the amorphous signal.

Per pattern (:func:`bragg_metrics`), on I(q) in Å⁻¹:

1. **Amorphous baseline.** A Savitzky–Golay filter (quintic, window ``baseline_width`` = 0.3 Å⁻¹: ≫ a Bragg
   width of 0.01–0.05 Å⁻¹, and short enough for the 0.4–0.8 Å⁻¹ wide amorphous peaks, which it follows to
   < 0.3σ of counting noise up to a Percus–Yevick liquid at η = 0.49) of the data with the narrow peaks taken
   out. The first pass filters the data as they are; every later pass masks each narrow positive residual peak
   (FWHM ≤ 1.5 × ``max_fwhm``, height and prominence ≥ 3σ above the current baseline; masked ± 1 FWHM beyond
   its half-maximum points), bridges each masked run with a cubic fitted to the unmasked data within half a
   window on both sides, and filters again, until the mask stops changing (≤ 8 passes). Masking a noise wiggle
   by mistake only replaces a few points by a local fit of their neighbours, so it cannot bias the baseline;
   broad humps are never masked.
2. **Noise.** Local white-noise σ(q): running median (window ``noise_width`` = 0.5 Å⁻¹) of |y − SG₇,₃(y)|,
   × 1.4826 / √(1 − c₀) (c₀ the 7-point cubic filter's central coefficient) — a robust estimate that does not
   depend on the baseline and follows counting noise that grows with intensity (it runs ~15–20 % low on top of
   a sharp amorphous peak, whose intensity exceeds the window's median).
3. **Sharp peaks.** The residual, lightly smoothed (quadratic SG over ≈ ``max_fwhm``/2, its noise gain
   accounted for), is searched for maxima of height ≥ ``min_snr`` σ above the baseline and prominence
   ≥ ``min_snr``/2 σ above their surroundings (a noise wiggle riding on a broad hump fails the second); each
   one's FWHM is measured on the unsmoothed residual at half its height. Kept as Bragg:
   ``min_fwhm`` ≤ FWHM ≤ ``max_fwhm`` (default min_fwhm: 3 grid steps, which rejects single-channel spikes
   such as cosmic rays or hot pixels, and two-channel noise).

The "Bragg sharpness" of a pattern is the number of sharp peaks and the fraction of the integrated intensity they
hold (Gaussian areas 1.0645·height·FWHM over ∫I dq). A pattern is crystalline when it has ≥ ``min_peaks``
sharp peaks.

Over the series (:func:`find_crystallization`): on compression the patterns are taken in increasing pressure and
the onset is the first pressure whose pattern is crystalline **and** stays crystalline in the ``persist``
following patterns (default: all of them); on decompression, in decreasing pressure, the vanishing pressure is the
first pressure whose pattern is amorphous after a crystalline one and stays amorphous in the ``persist``
following. The bracket (last pattern before, first pattern at the transition) is reported with it: the true
transition lies between two measured pressures.

In the reference study (Zhang et al., PRL 127, 127002 (2021)) a-Sb₂Se₃ crystallizes to bcc at 58.1 GPa on
compression and returns to amorphous at ~24 GPa on decompression.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import find_peaks, peak_widths, savgol_coeffs, savgol_filter

from ..errors import InputError
from ..scattering.pattern import Pattern

__all__ = ["BraggMetrics", "CrystallizationResult", "SharpPeak", "bragg_metrics", "find_crystallization"]

_GAUSS_AREA = np.sqrt(np.pi / (4.0 * np.log(2.0)))  # area / (height·FWHM) of a Gaussian = 1.0645
_MAX_PASSES = 8
#: height and prominence (in σ) of a narrow residual peak that is masked out of the baseline fit; 4σ keeps noise
#: wiggles (one 3σ wiggle per ~700 points) from being bridged, which on a curved amorphous peak biases the fit
_MASK_SNR = 4.0
#: polynomial order of the baseline filter: over 0.3 Å⁻¹ a quintic follows a Percus–Yevick principal peak at
#: η = 0.49 (FWHM 0.45 Å⁻¹) to 0.24σ of counting noise where a cubic is off by 2.6σ
_BASELINE_ORDER = 5


def _version() -> str:
    from .. import __version__

    return __version__


@dataclass(frozen=True)
class SharpPeak:
    """A sharp (Bragg) peak above the amorphous baseline: q (Å⁻¹), height (intensity units), FWHM (Å⁻¹),
    signal-to-noise (height / local σ) and Gaussian area."""

    q: float
    height: float
    fwhm: float
    snr: float
    area: float

    def to_dict(self) -> dict:
        return {"q_A-1": self.q, "height": self.height, "fwhm_A-1": self.fwhm, "snr": self.snr, "area": self.area}


@dataclass(frozen=True)
class BraggMetrics:
    """Sharp-peak metrics of one pattern (see the module docstring).

    n_sharp, peaks : the accepted Bragg peaks. sharp_fraction : their area over ∫I dq in the searched range.
    noise_sigma : median local noise σ. n_broad, n_spikes : maxima ≥ min_snr σ rejected as too wide / too narrow.
    baseline : the amorphous baseline on ``q`` (the searched grid).
    """

    n_sharp: int
    peaks: tuple[SharpPeak, ...]
    sharp_fraction: float
    noise_sigma: float
    max_snr: float
    n_broad: int
    n_spikes: int
    q_range: tuple[float, float]
    parameters: dict
    source: str = "<pattern>"
    q: np.ndarray | None = field(default=None, repr=False, compare=False)
    baseline: np.ndarray | None = field(default=None, repr=False, compare=False)

    def crystalline(self, min_peaks: int) -> bool:
        return self.n_sharp >= min_peaks

    def to_dict(self) -> dict:
        return {"n_sharp": self.n_sharp, "peaks": [p.to_dict() for p in self.peaks],
                "sharp_fraction": self.sharp_fraction, "noise_sigma": self.noise_sigma, "max_snr": self.max_snr,
                "n_rejected_broad": self.n_broad, "n_rejected_spikes": self.n_spikes,
                "q_range_A-1": list(self.q_range), "parameters": dict(self.parameters), "source": self.source}


def _odd(n: float, lo: int, hi: int) -> int:
    k = round(n)
    k = max(lo, min(k, hi))
    if k % 2 == 0:
        k = k - 1 if k - 1 >= lo else k + 1
    return k


def _as_qy(pattern, source: str) -> tuple[np.ndarray, np.ndarray, str]:
    if isinstance(pattern, Pattern):
        p = pattern.to_q()
        return p.x, p.y, p.source
    try:
        q, y = pattern
    except (TypeError, ValueError):
        raise InputError("a pattern must be a Pattern or a (q, intensity) pair", source=source) from None
    return np.asarray(q, dtype=float), np.asarray(y, dtype=float), source


def _noise_profile(y: np.ndarray, width_pts: int) -> np.ndarray:
    """Local white-noise σ from the 7-point cubic Savitzky–Golay residual (robust, running median)."""
    resid = y - savgol_filter(y, 7, 3, mode="interp")
    c0 = savgol_coeffs(7, 3)[3]
    a = np.abs(resid)
    loc = median_filter(a, size=width_pts, mode="mirror")
    # MAD of a zero-mean Gaussian: median |x| = 0.6745 σ
    sig = 1.4826 * loc / np.sqrt(1.0 - c0)
    floor = 1.4826 * float(np.median(a)) / np.sqrt(1.0 - c0)
    return np.maximum(sig, max(floor * 1e-3, np.finfo(float).tiny))


def _fill_masked(y: np.ndarray, mask: np.ndarray, half: int, order: int = 3) -> np.ndarray:
    """y with every masked run replaced by a polynomial (degree ``order``) fitted by least squares to the unmasked
    points within ``half`` points on either side of the run (linear interpolation when fewer than 2·(order + 1)
    such points exist)."""
    out = y.copy()
    if not mask.any():
        return out
    n = y.size
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    x_all = np.arange(n, dtype=float)
    keep = ~mask
    for s_, e_ in zip(edges[::2], edges[1::2], strict=True):  # masked run s_ … e_ − 1
        lo, hi = max(0, s_ - half), min(n, e_ + half)
        sel = np.flatnonzero(keep[lo:hi]) + lo
        run = np.arange(s_, e_)
        if sel.size >= 2 * (order + 1) and (sel < s_).any() and (sel >= e_).any():
            c = 0.5 * (s_ + e_ - 1)
            scale = max(hi - lo, 1) / 2.0
            coef = np.polynomial.polynomial.polyfit((x_all[sel] - c) / scale, y[sel], order)
            out[run] = np.polynomial.polynomial.polyval((x_all[run] - c) / scale, coef)
        elif keep.sum() >= 2:
            out[run] = np.interp(x_all[run], x_all[keep], y[keep])
    return out


def _narrow_mask(r: np.ndarray, sigma: np.ndarray, max_w_pts: float) -> np.ndarray:
    idx, _ = find_peaks(r, height=_MASK_SNR * sigma, prominence=_MASK_SNR * sigma)
    mask = np.zeros(r.size, bool)
    if idx.size == 0:
        return mask
    w, _, left, right = peak_widths(r, idx, rel_height=0.5)
    for wi, lo, hi in zip(w, left, right, strict=True):
        if wi <= 1.5 * max_w_pts:
            a = int(np.floor(lo - wi))
            b = int(np.ceil(hi + wi))
            mask[max(a, 0) : min(b, r.size - 1) + 1] = True
    return mask


def bragg_metrics(
    q,
    intensity=None,
    *,
    q_range: tuple[float, float] | None = None,
    baseline_width: float = 0.3,
    max_fwhm: float = 0.05,
    min_fwhm: float | None = None,
    min_snr: float = 6.0,
    noise_width: float = 0.5,
    source: str = "<pattern>",
) -> BraggMetrics:
    """Sharp Bragg peaks standing above the amorphous signal of one pattern (module docstring).

    q, intensity : Å⁻¹ and counts (any grid; resampled to its median step); or a Pattern as ``q``.
    q_range : (q_lo, q_hi) searched. baseline_width, noise_width, max_fwhm, min_fwhm : Å⁻¹.
    min_snr : height of a peak over the local noise σ (after the light smoothing).
    """
    if intensity is None:
        q, y, source = _as_qy(q, source)
    else:
        q, y = np.asarray(q, dtype=float), np.asarray(intensity, dtype=float)
    if q.ndim != 1 or y.shape != q.shape:
        raise InputError(f"q and intensity must be 1D of equal length (got {q.shape} and {y.shape})", source=source)
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(y))):
        raise InputError("pattern contains NaN or infinite values", source=source)
    if np.any(np.diff(q) <= 0):
        raise InputError("q must increase strictly", source=source)
    if q_range is not None:
        lo, hi = float(q_range[0]), float(q_range[1])
        keep = (q >= lo) & (q <= hi)
        q, y = q[keep], y[keep]
    for name, v in (("baseline_width", baseline_width), ("max_fwhm", max_fwhm), ("min_snr", min_snr),
                    ("noise_width", noise_width)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"{name} must be positive (got {v})", source=source, field=name)
    step = float(np.median(np.diff(q))) if q.size > 1 else 0.0
    if q.size < 50 or baseline_width < 5 * step:
        raise InputError(f"{q.size} points with step {step:.3g} Å⁻¹: at least 50 points and a baseline window "
                         f"(baseline_width = {baseline_width:g} Å⁻¹) of ≥ 5 steps are needed", source=source,
                         field="q_range")
    if max_fwhm >= baseline_width / 2:
        raise InputError(f"max_fwhm ({max_fwhm:g}) must be well below baseline_width ({baseline_width:g})",
                         source=source, field="max_fwhm")
    # uniform grid
    n = round((q[-1] - q[0]) / step) + 1
    qu = np.linspace(q[0], q[-1], n)
    yu = y if (n == q.size and np.allclose(qu, q, rtol=0, atol=1e-9 * max(1.0, q[-1]))) else np.interp(qu, q, y)
    dq = qu[1] - qu[0]
    w_base = _odd(baseline_width / dq, 5, n if n % 2 else n - 1)
    w_noise = _odd(noise_width / dq, 7, n if n % 2 else n - 1)
    max_w_pts = max_fwhm / dq
    min_w_pts = 3.0 if min_fwhm is None else min_fwhm / dq

    sigma = _noise_profile(yu, w_noise)
    order = min(_BASELINE_ORDER, w_base - 2)
    base = savgol_filter(yu, w_base, order, mode="interp")
    mask = np.zeros(n, bool)
    for _ in range(_MAX_PASSES):
        new_mask = _narrow_mask(yu - base, sigma, max_w_pts)
        if np.array_equal(new_mask, mask):
            break
        mask = new_mask
        base = savgol_filter(_fill_masked(yu, mask, w_base // 2), w_base, order, mode="interp")
    r = yu - base

    # light smoothing for detection; its noise gain rescales σ
    w_s = _odd(0.5 * max_w_pts, 1, n if n % 2 else n - 1)
    if w_s >= 5:
        rs = savgol_filter(r, w_s, 2, mode="interp")
        gain = float(np.sqrt(np.sum(savgol_coeffs(w_s, 2) ** 2)))
    else:
        rs, gain, w_s = r, 1.0, 1
    sig_s = sigma * gain
    idx, _ = find_peaks(rs, height=min_snr * sig_s, prominence=0.5 * min_snr * sig_s)
    peaks: list[SharpPeak] = []
    n_broad = n_spikes = 0
    half = max(1, w_s // 2)
    for i in idx:
        lo_i, hi_i = max(i - half, 0), min(i + half, n - 1)
        j = lo_i + int(np.argmax(r[lo_i : hi_i + 1]))
        while 0 < j and r[j - 1] > r[j]:  # climb to the local maximum of the unsmoothed residual
            j -= 1
        while j < n - 1 and r[j + 1] > r[j]:
            j += 1
        if j in (0, n - 1):  # a maximum at the end of the range has no measurable width
            n_broad += 1
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wj = float(peak_widths(r, [j], rel_height=0.5)[0][0])
        if wj > max_w_pts:
            n_broad += 1
            continue
        if wj < min_w_pts:
            n_spikes += 1
            continue
        h = float(rs[i])
        fw = wj * dq
        peaks.append(SharpPeak(q=float(qu[i]), height=h, fwhm=fw, snr=float(rs[i] / sig_s[i]),
                               area=float(_GAUSS_AREA * h * fw)))
    total = float(np.trapezoid(yu, qu))
    frac = float(sum(p.area for p in peaks) / total) if total > 0 else float("nan")
    params = {"baseline_width_A-1": baseline_width, "max_fwhm_A-1": max_fwhm,
              "min_fwhm_A-1": float(min_w_pts * dq), "min_snr": min_snr, "noise_width_A-1": noise_width,
              "grid_step_A-1": float(dq), "detection_smoothing_points": int(w_s)}
    return BraggMetrics(n_sharp=len(peaks), peaks=tuple(peaks), sharp_fraction=frac,
                        noise_sigma=float(np.median(sigma)), max_snr=max((p.snr for p in peaks), default=0.0),
                        n_broad=n_broad, n_spikes=n_spikes, q_range=(float(qu[0]), float(qu[-1])),
                        parameters=params, source=source, q=qu, baseline=base)


@dataclass(frozen=True)
class CrystallizationResult:
    """The series' sharp-peak metrics in path order and the transition found.

    pressures_GPa, metrics, crystalline : per pattern, in path order (increasing P on compression, decreasing on
        decompression).
    transition_GPa : compression — the onset (first pressure crystalline from there on); decompression — the
        pressure where the peaks have vanished (first amorphous pattern after crystalline ones). None with
        ``note`` saying why.
    bracket_GPa : (pressure of the pattern before, pressure at the transition); the first is None when the
        transition is at the first pattern.
    """

    direction: str
    pressures_GPa: tuple[float, ...]
    metrics: tuple[BraggMetrics, ...]
    crystalline: tuple[bool, ...]
    transition_GPa: float | None
    bracket_GPa: tuple[float | None, float | None]
    min_peaks: int
    persist: int | None
    note: str = ""
    parameters: dict = field(default_factory=dict)

    @property
    def onset_GPa(self) -> float | None:
        return self.transition_GPa if self.direction == "compression" else None

    @property
    def vanish_GPa(self) -> float | None:
        return self.transition_GPa if self.direction == "decompression" else None

    def to_dict(self) -> dict:
        key = "onset_GPa" if self.direction == "compression" else "vanish_GPa"
        return {
            "direction": self.direction,
            key: self.transition_GPa,
            "transition_GPa": self.transition_GPa,
            "bracket_GPa": list(self.bracket_GPa),
            "note": self.note,
            "criterion": f"≥ {self.min_peaks} sharp peaks, persisting in "
                         + ("all following patterns" if self.persist is None else f"the next {self.persist}"),
            "patterns": [{"pressure_GPa": p, "crystalline": c, "n_sharp": m.n_sharp,
                          "sharp_fraction": m.sharp_fraction, "max_snr": m.max_snr,
                          "peaks_q_A-1": [pk.q for pk in m.peaks], "source": m.source}
                         for p, c, m in zip(self.pressures_GPa, self.crystalline, self.metrics, strict=True)],
            "parameters": dict(self.parameters),
            "hpglass_version": _version(),
        }


def find_crystallization(
    pressures: Sequence[float],
    patterns: Sequence,
    direction: str = "compression",
    *,
    min_peaks: int = 2,
    persist: int | None = None,
    **metric_options,
) -> CrystallizationResult:
    """Crystallization onset (compression) or vanishing pressure (decompression) in a pattern series.

    pressures : GPa, one per pattern (any order; sorted along the path).
    patterns : :class:`~hpglass.scattering.pattern.Pattern` objects (2θ needs its wavelength) or (q, I) pairs.
    min_peaks : sharp peaks that make a pattern crystalline.
    persist : how many following patterns must agree (None: all of them).
    metric_options : passed to :func:`bragg_metrics` (q_range, baseline_width, max_fwhm, min_fwhm, min_snr, …).
    """
    from .records import normalize_direction

    d = normalize_direction(direction)
    p = np.asarray(pressures, dtype=float)
    if p.ndim != 1 or p.size != len(patterns):
        raise InputError(f"{p.size} pressures for {len(patterns)} patterns", field="pressures")
    if p.size == 0:
        raise InputError("no patterns", field="patterns")
    if not np.all(np.isfinite(p)):
        raise InputError("pressures must be finite", field="pressures")
    if int(min_peaks) < 1:
        raise InputError(f"min_peaks must be ≥ 1 (got {min_peaks})", field="min_peaks")
    if persist is not None and int(persist) < 0:
        raise InputError(f"persist must be ≥ 0 or None (got {persist})", field="persist")
    order = np.argsort(p if d == "compression" else -p, kind="stable")
    ps = p[order]
    rep = np.flatnonzero(np.diff(ps) == 0)
    if rep.size:
        raise InputError(f"pressure {ps[rep[0]]:g} GPa appears twice in the {d} series", field="pressures")
    metrics = []
    for k in order:
        pat = patterns[int(k)]
        if isinstance(pat, Pattern):
            metrics.append(bragg_metrics(pat, **metric_options))
        else:
            q, y, src = _as_qy(pat, f"<pattern at {p[k]:g} GPa>")
            metrics.append(bragg_metrics(q, y, source=src, **metric_options))
    cryst = [m.n_sharp >= min_peaks for m in metrics]
    n = len(cryst)

    def holds(i: int, state: bool) -> bool:
        end = n if persist is None else min(n, i + 1 + int(persist))
        return all(c == state for c in cryst[i:end])

    transition = None
    bracket: tuple[float | None, float | None] = (None, None)
    note = ""
    if d == "compression":
        i = next((i for i in range(n) if holds(i, True)), None)
        if i is None:
            note = (f"no pattern has ≥ {min_peaks} sharp peaks" if not any(cryst) else
                    "sharp peaks appear but do not persist in the following patterns")
        else:
            transition = float(ps[i])
            bracket = (float(ps[i - 1]) if i > 0 else None, float(ps[i]))
            if i == 0:
                note = "already crystalline at the first (lowest) pressure"
    else:
        i = next((i for i in range(1, n) if any(cryst[:i]) and holds(i, False)), None)
        if not any(cryst):
            note = f"no pattern has ≥ {min_peaks} sharp peaks (nothing to vanish)"
        elif i is None:
            note = "still crystalline at the lowest pressure measured" if cryst[-1] else \
                "sharp peaks come and go without a lasting disappearance"
        else:
            transition = float(ps[i])
            bracket = (float(ps[i - 1]), float(ps[i]))
            if not cryst[0]:
                note = "the first (highest-pressure) pattern was already amorphous"
    params = dict(metrics[0].parameters) if metrics else {}
    return CrystallizationResult(direction=d, pressures_GPa=tuple(float(v) for v in ps), metrics=tuple(metrics),
                                 crystalline=tuple(cryst), transition_GPa=transition, bracket_GPa=bracket,
                                 min_peaks=int(min_peaks), persist=None if persist is None else int(persist),
                                 note=note, parameters=params)
