"""Which rows of a measured pattern are data: dead rows, detector edges and a noise-dominated tail are dropped.

Real integrated patterns carry rows that are not scattering data, and using them biases every later step
(glassure's Argon_1GPa.chi: zero rows below 0.34 Å⁻¹ behind the beamstop, a detector roll-off above 10.8 Å⁻¹;
Mg2SiO4_ambient.xy: a background whose scatter grows tenfold above 25 Å⁻¹). Rules, each reported:

1. **Dead rows**: intensity ≤ 0 or not finite in the sample or the background (beamstop shadow, detector gaps,
   masked pixels integrated to zero). Dropped wherever they are.
2. **Steep edges**: scanning inward from each end, rows where the intensity changes faster than
   |d ln I / dq| > ``EDGE_SLOPE`` (an e-fold within 0.2 Å⁻¹; low-q end) or falls faster than
   −d ln I/dq > ``ROLL_OFF_SLOPE`` (an e-fold within 0.33 Å⁻¹; high-q end), over a window of ``EDGE_WINDOW`` Å⁻¹,
   are the shadow of the beamstop or the roll-off of the detector edge. The scattering of a glass and of diamond
   anvils changes more slowly than that away from the principal peak (its flanks reach |d ln I/dq| ≈ 2.5 Å on
   the files above, but a principal peak never sits at the end of a pattern; the Compton-dominated high-q
   intensity falls by ≲ 0.3 Å there); at most 15 % of the rows on each side are trimmed. A gentler roll-off is
   caught by its shape: ln I (of the empty cell when there is one, which has no structure) falling below the
   straight line through the preceding 30 %–10 % of the range by more than ``ROLL_OFF_DROP`` (or 3× the line's
   scatter) at the end.
3. **Noisy tail**: the local scatter of I_sample − I_bkg, estimated from second differences (robust: median
   absolute value over ``NOISE_WINDOW`` Å⁻¹), relative to the sample intensity. Scanning down from q_max, rows
   where it exceeds ``NOISE_FACTOR`` × its median over the pattern are dropped (at most half the range).

A q limit given by the user replaces rules 2–3 on its side (rule 1 still applies) and must lie within the
data (or within 2 % of its range beyond, e.g. q_max 12 for data ending at 11.91), otherwise it is an InputError.
A file where fewer than half the rows have a positive intensity is not a raw pattern: InputError.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

EDGE_SLOPE = 5.0  # Å: |d ln I/dq| above this at the low-q end is the beamstop's shadow
ROLL_OFF_SLOPE = 3.0  # Å: −d ln I/dq above this at the high-q end is the detector edge's roll-off
EDGE_WINDOW = 0.06  # Å⁻¹
NOISE_WINDOW = 0.5  # Å⁻¹
NOISE_FACTOR = 4.0
MAX_EDGE_FRACTION = 0.15
ROLL_OFF_DROP = 0.02  # a fall below the extrapolated high-q trend of ln I by more than this is a roll-off
MAX_TAIL_FRACTION = 0.5
MIN_LIVE_FRACTION = 0.5  # fewer live rows than this: not a raw intensity pattern
LIMIT_SLACK = 0.02  # a given q limit may lie this fraction of the data's range beyond it (rounding of "12" vs 11.91)


@dataclass(frozen=True)
class QRange:
    """The rows kept (``keep``: boolean mask over the input rows), the limits and why."""

    q_min: float
    q_max: float
    keep: np.ndarray
    dropped: dict = field(default_factory=dict)  # rule → number of rows
    reasons: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"QRange({self.q_min:.3f}–{self.q_max:.3f} Å⁻¹, {int(self.keep.sum())} rows, dropped {self.dropped})"

    def to_dict(self) -> dict:
        return {"q_min_A-1": self.q_min, "q_max_A-1": self.q_max, "n_points": int(self.keep.sum()),
                "dropped_rows": dict(self.dropped), "reasons": list(self.reasons)}


def _window(q: np.ndarray, width: float, minimum: int = 3) -> int:
    step = float(np.median(np.diff(q))) if q.size > 1 else width
    return max(minimum, int(round(width / step)) if step > 0 else minimum)


def _log_slope(q: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """d ln y/dq from a secant over ±n rows (n ≥ 1); y > 0."""
    ly = np.log(y)
    out = np.zeros(q.size)
    lo = np.clip(np.arange(q.size) - n, 0, q.size - 1)
    hi = np.clip(np.arange(q.size) + n, 0, q.size - 1)
    dq = q[hi] - q[lo]
    ok = dq > 0
    out[ok] = (ly[hi[ok]] - ly[lo[ok]]) / dq[ok]
    return out


def _local_noise(q: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Robust local standard deviation of y from second differences (σ of white noise: |Δ²y| ~ √6 σ)."""
    d2 = np.abs(np.diff(y, 2)) / np.sqrt(6.0)
    d2 = np.concatenate(([d2[0]], d2, [d2[-1]]))
    # running median via a strided window: 0.6745 turns a median |x| into σ for Gaussian noise
    half = max(n // 2, 2)
    pad = np.pad(d2, half, mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)
    return np.median(win, axis=1)[: q.size] / 0.6745


def _edge_run(values: np.ndarray, threshold: float, cap: int, gap: int) -> int:
    """Rows from the start of ``values`` up to the last one above ``threshold`` that is followed by fewer than
    ``gap`` rows below it (the last detector rows can flatten again, which must not stop the trim)."""
    last_bad = -1
    for i in range(min(cap, values.size)):
        if values[i] > threshold:
            last_bad = i
        elif i - last_bad > gap:
            break
    return last_bad + 1


def _roll_off(q: np.ndarray, y: np.ndarray, cap: int, gap: int) -> int:
    """Rows at the high-q end where ln I falls below the straight line fitted to ln I over the preceding stretch
    (the 30 %–10 % from the end of the range) by more than ``ROLL_OFF_DROP``: a detector or collimator roll-off
    too gentle for the slope rule. The empty cell (smooth, no structure) is tested when there is one."""
    n = q.size
    a, b = int(0.7 * n), int(0.9 * n)
    if b - a < 10:
        return 0
    ly = np.log(y)
    coef = np.polyfit(q[a:b], ly[a:b], 1)
    resid = ly - np.polyval(coef, q)
    scatter = float(np.std(resid[a:b]))
    drop = -resid[::-1]
    return _edge_run(drop, max(ROLL_OFF_DROP, 3.0 * scatter), min(cap, n - b), gap)


def choose_q_range(q: np.ndarray, sample: np.ndarray, bkg: np.ndarray | None = None,
                   q_min: float | None = None, q_max: float | None = None, source: str | None = None) -> QRange:
    """Rows of (q, sample[, bkg]) that are data (module docstring); q in Å⁻¹, increasing."""
    q = np.asarray(q, dtype=float)
    y = np.asarray(sample, dtype=float)
    b = None if bkg is None else np.asarray(bkg, dtype=float)
    lo_data, hi_data = float(q[0]), float(q[-1])
    slack = LIMIT_SLACK * (hi_data - lo_data)
    for name, val in (("q_min", q_min), ("q_max", q_max)):
        if val is not None and not lo_data - slack <= val <= hi_data + slack:
            raise InputError(f"{name} = {val:g} Å⁻¹ lies outside the data ({lo_data:.4g}–{hi_data:.4g} Å⁻¹)",
                             source=source, field=name)
    dead = ~np.isfinite(y) | (y <= 0)
    if b is not None:
        dead |= ~np.isfinite(b) | (b <= 0)
    keep = ~dead
    dropped: dict[str, int] = {}
    reasons: list[str] = []
    if dead.any():
        dropped["dead"] = int(dead.sum())
        below = int(dead[: np.argmax(~dead)].sum()) if (~dead).any() else int(dead.sum())
        reasons.append(f"{int(dead.sum())} rows with zero, negative or non-finite intensity dropped"
                       + (f" ({below} of them below q = {q[np.argmax(~dead)]:.3g} Å⁻¹, the beamstop shadow)"
                          if below else ""))
    if keep.sum() < max(20, MIN_LIVE_FRACTION * q.size):
        raise InputError(f"only {int(keep.sum())} of {q.size} rows have a positive intensity"
                         + ("" if b is None else " in both sample and background")
                         + ": is this a background-subtracted or wrongly scaled file?", source=source)
    idx = np.flatnonzero(keep)
    if q_min is not None:
        keep &= q >= q_min
    if q_max is not None:
        keep &= q <= q_max

    # 2. steep edges, on the live rows only
    qi, yi = q[idx], y[idx]
    n_edge = _window(qi, EDGE_WINDOW, 1)
    slope = np.abs(_log_slope(qi, yi, n_edge))
    fall = -_log_slope(qi, yi, n_edge)
    if b is not None:
        slope = np.maximum(slope, np.abs(_log_slope(qi, b[idx], n_edge)))
        fall = np.maximum(fall, -_log_slope(qi, b[idx], n_edge))
    cap = int(MAX_EDGE_FRACTION * idx.size)
    if q_min is None:
        n_lo = _edge_run(slope, EDGE_SLOPE, cap, n_edge)
        if n_lo:
            keep[idx[:n_lo]] = False
            dropped["low_edge"] = n_lo
            reasons.append(f"{n_lo} rows below q = {qi[n_lo]:.3g} Å⁻¹ dropped: the intensity changes faster than "
                           f"e-fold per {1 / EDGE_SLOPE:.2g} Å⁻¹ there (beamstop or detector edge)")
    if q_max is None:
        n_steep = _edge_run(fall[::-1], ROLL_OFF_SLOPE, cap, n_edge)
        n_hi = max(n_steep, _roll_off(qi, yi if b is None else b[idx], cap, n_edge))
        if n_hi:
            keep[idx[idx.size - n_hi:]] = False
            dropped["high_edge"] = n_hi
            why = (f"the intensity falls faster than e-fold per {1 / ROLL_OFF_SLOPE:.2g} Å⁻¹ there"
                   if n_hi == n_steep else
                   f"the {'empty-cell' if b is not None else 'sample'} intensity falls more than "
                   f"{ROLL_OFF_DROP:.0%} below its high-q trend there")
            reasons.append(f"{n_hi} rows above q = {qi[-1 - n_hi]:.4g} Å⁻¹ dropped: {why} (detector edge roll-off)")

    # 3. noise-dominated tail
    if q_max is None:
        idx2 = np.flatnonzero(keep)
        q2, y2 = q[idx2], y[idx2]
        diff = y2 - (0.0 if b is None else b[idx2])
        n_noise = _window(q2, NOISE_WINDOW, 7)
        if idx2.size > 4 * n_noise:
            rel = _local_noise(q2, diff, n_noise) / np.abs(y2)
            limit = NOISE_FACTOR * float(np.median(rel))
            cap_t = int(MAX_TAIL_FRACTION * idx2.size)
            n_t = 0
            while n_t < cap_t and rel[-1 - n_t] > limit:
                n_t += 1
            if n_t:
                keep[idx2[idx2.size - n_t:]] = False
                dropped["noisy_tail"] = n_t
                reasons.append(f"{n_t} rows above q = {q2[-1 - n_t]:.4g} Å⁻¹ dropped: their scatter exceeds "
                               f"{NOISE_FACTOR:g}× the pattern's median relative noise")
    kept = np.flatnonzero(keep)
    if kept.size < 20:
        raise InputError(f"only {kept.size} usable points between q_min and q_max; at least 20 are needed",
                         source=source, field="q_min/q_max")
    lo, hi = float(q[kept[0]]), float(q[kept[-1]])
    if q_min is not None:
        reasons.append(f"q_min {q_min:g} Å⁻¹ given")
    if q_max is not None:
        reasons.append(f"q_max {q_max:g} Å⁻¹ given")
    if not reasons:
        reasons.append("the whole pattern: no dead rows, instrumental edges or noisy tail found")
    keep.setflags(write=False)
    return QRange(lo, hi, keep, dropped, tuple(reasons))
