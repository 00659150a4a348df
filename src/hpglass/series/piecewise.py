"""Continuous piecewise-linear fits y(x) with 0, 1 or 2 breakpoints (1–3 segments) found from the data.

Model (hinge basis, continuous at every breakpoint b₁ < b₂):

    y(x) = a + s₁·x + Σⱼ dⱼ·(x − bⱼ)₊ ,      (u)₊ = max(u, 0)

so that the slope of segment k is s_k = s₁ + Σ_{j<k} dⱼ and ``a`` is the intercept of the first segment at x = 0.
For fixed breakpoints the model is linear in (a, s₁, dⱼ); the breakpoints are found by

1. **global grid search** over candidate positions (every interior data x and every midpoint between neighbouring
   x; thinned to at most ``max_candidates`` by quantile when there are more), all pairs for two breakpoints, each
   segment holding at least ``min_points`` data points; each candidate costs one (weighted) linear least-squares
   solve (variable projection: Golub & Pereyra, SIAM J. Numer. Anal. 10, 413 (1973));
2. **local refinement** of the best few candidates by minimizing the profiled residual sum RSS(b) with bounded
   Nelder–Mead (:func:`scipy.optimize.minimize`); RSS(b) is continuous in b but not smooth at the data x, which
   rules out gradient methods.

Uncertainties
-------------
* Slopes, intercept and the Wald errors of the breakpoints come from the covariance of the full nonlinear model
  at the optimum, C = S²(JᵀWJ)⁻¹ with J the Jacobian [1, x, (x − bⱼ)₊, −dⱼ·H(x − bⱼ)]. Slope errors propagate C
  through s_k = s₁ + Σ dⱼ. The scale S² (``error_scale`` = S) is

      S² = χ²/(n − p)            unweighted, or ``sigma`` as relative weights (``absolute_sigma=False``);
      S² = max(1, χ²/(n − p))    ``sigma`` taken as absolute (the default): the **Birge ratio** — stated errors
                                 that the scatter contradicts (χ²_red > 1: σ understated, or a misfit of the
                                 model) are scaled up by √χ²_red, never down (Birge, Phys. Rev. 40, 207 (1932);
                                 Bevington & Robinson, *Data Reduction and Error Analysis*, 3rd ed., ch. 8
                                 and 11; the Particle Data Group's scale factor S, Review of Particle Physics,
                                 Introduction, "Averages and fits").

  ``slope_ci`` are the matching intervals at ``ci_level``: slope ± t_{n−p}·err when S² was estimated from the
  residuals (Student's t: the scale itself is uncertain, which matters for the few degrees of freedom of a
  pressure series — at 5 dof ±1.96·err covers only ≈ 0.87–0.90), ± z·err when S² = 1 with absolute σ.
* **Breakpoint confidence intervals are profile-likelihood intervals** (chosen over the bootstrap because they
  are deterministic, cheap here, and known to keep their coverage where the Wald interval does not — the
  RSS(b) surface of a segmented regression is often asymmetric): the set of bⱼ whose profile (RSS minimized over
  all other parameters, other breakpoint included) stays below

      RSS_min · (1 + F_{1, n−p}(level) / (n − p))            (scale estimated — unweighted, relative σ, or absolute
                                                               σ with χ²_red > 1 (Birge): the F-test of Hudson,
                                                               J. Am. Stat. Assoc. 61, 1097 (1966); Lerman, Appl.
                                                               Stat. 29, 77 (1980))
      χ²_min + χ²₁(level)                                    (absolute σ and χ²_red ≤ 1)

  With absolute σ and χ²_red > 1 the first threshold equals χ²_min + χ²_red·F_{1,n−p}(level): the Δχ² interval
  with σ scaled by the Birge ratio and the F quantile for the estimated scale.
  The edges are located by root finding on the profile; an interval that reaches the admissible range (the
  ``min_points`` rule) is reported with ``breakpoint_ci_open`` set.

  Measured coverage of the 95 % intervals (``benchmarks/coverage_fits.py``, 400 replicas per case; the tests in
  tests/series/test_piecewise.py repeat three cases on 60): with σ understated 3× the unscaled errors and intervals
  covered the truth in ≈ 0.49 of the replicas; with the Birge ratio the breakpoint's profile interval and the
  slopes' t intervals cover 0.94–0.96 for understated σ, unweighted data, the demo's 9-pressure ladder (5 dof) and
  a rounded transition (breakpoint), and 0.89–0.95 for a slightly curved upper regime. ±1.96·err (Wald) is close
  to these with ≥ 20 dof but covers only ≈ 0.87–0.89 at 5 dof: quote ``breakpoint_ci`` and ``slope_ci`` there.
  No error scale removes a *bias*: next to a rounded kink (a transition spread over ~2 GPa) the slopes move by
  about one error and their intervals cover ≈ 0.77–0.84; a curved regime moves the breakpoint by ~0.8σ. The
  heteroskedasticity-consistent sandwich (HC3; MacKinnon & White, J. Econom. 29, 305 (1985)) was measured as an
  alternative: it recovers part of that loss (rounded kink: slopes ≈ 0.88), but it overcovers at 68 % in
  well-specified series, undercovers slopes at 5 dof (≈ 0.86) and is unstable with the high-leverage points of
  sparse ladders (hᵢ ≈ 0.9); it is not used.

Profiled RSS in O(1)
--------------------
For breakpoints b the model space is that of the continuous piecewise-linear functions with knots 0, b₁ … b_k, 1
(u units), spanned by the hat functions (linear B-splines). On a segment [e, f] they are 1 − t and t with
t = (u − e)/(f − e), so the Gram matrix M = Σ w φφᵀ is tridiagonal and it and v = Σ w·y·φ need only the sums of
w, w·u, w·u², w·y and w·u·y over the segment's points — differences of prefix sums over the sorted data. Then
RSS = Σ w·y² − vᵀM⁻¹v (LDLᵀ, Thomas algorithm): O(k) per breakpoint set after an O(n) set-up instead of an
O(n) solve, which makes the grid and profile scans O(n + candidates). Accuracy: y is first detrended by the
weighted straight-line fit (RSS is unchanged; Σ w·y² becomes the one-segment RSS) and the sums are kept in
``numpy.longdouble`` (x87 extended precision on x86-64); measured against residuals computed directly, the
relative error is ≲ 1e-13 typically and ≲ 2e-11 at the worst (segments of a few points at the data's edge,
Σw·y²/RSS ≈ 10⁵); with a plain float64 ``longdouble`` (some platforms) it grows to ≈ 4e-8 there. Where the moments
cannot be trusted — a tiny LDLᵀ pivot (a hat function with no data of its own), or near-exact data (best RSS
< 1e-8·Σw·y², up to 20 000 points) — and wherever the direct residuals cost no more (points × sets ≤ 4096, which
covers every scalar refinement of a series of < 4096 points), RSS is computed from the residuals directly.

Model choice: BIC = n·ln(RSS/n) + p·ln n for unknown σ (the variance parameter, common to all models, is left
out), or χ²/S² + p·ln n with absolute σ (Schwarz, Ann. Stat. 6, 461 (1978)), where S² = max(1, χ²_red of the
most flexible candidate) — the Birge ratio again, taken from the largest model as Mallows' C_p takes its σ²
(Technometrics 15, 661 (1973)), so that understated σ do not buy extra segments; p = 2 + 2·(number of
breakpoints) (each breakpoint brings its position and a slope change). ``fit_piecewise(..., n_segments=None)``
fits 1 … 3 segments and keeps the lowest BIC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

from ..errors import ConvergenceError, InputError

__all__ = ["PiecewiseFit", "ci_sigma", "fit_piecewise"]

MAX_SEGMENTS = 3
#: candidate breakpoint positions tried per breakpoint in the grid search (quantile-thinned beyond this)
DEFAULT_MAX_CANDIDATES = 120
#: grid points along each breakpoint when bracketing its profile-likelihood interval
_PROFILE_GRID = 160
#: elements of a batched design array (G × n × p) built at once
_CHUNK_ELEMENTS = 2_000_000
#: finite stand-in for an inadmissible breakpoint position inside scalar optimizers
_BIG = 1e300
#: float type of the prefix sums (extended precision where the platform has it; else float64)
_WIDE = np.longdouble
#: smallest LDLᵀ pivot, relative to its diagonal entry, accepted by the moment RSS (else direct residuals)
_MOMENT_PIVOT = 1e-9
#: below this many points × breakpoint sets a batch is evaluated from the residuals directly (as fast, and exact)
_DIRECT_WORK = 4096
#: near-exact data (best RSS below this fraction of the detrended Σw·y²) with at most this many points use the
#: direct O(n) residuals throughout
_EXACT_RATIO = 1e-8
_EXACT_MAX_POINTS = 20_000


def _version() -> str:
    from .. import __version__

    return __version__


# ---------------------------------------------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PiecewiseFit:
    """A continuous piecewise-linear fit (see the module docstring for the model and the error estimates).

    breakpoints, breakpoint_errs : positions bⱼ (x units, increasing) and their Wald 1σ errors.
    breakpoint_ci : profile-likelihood interval of each breakpoint at ``ci_level``; ``breakpoint_ci_open[j]`` is
        True when an edge hit the admissible range (the true interval is wider there).
    slopes, slope_errs : slope of each segment (y units per x unit) with 1σ errors; ``slope_ci`` their intervals at
        ``ci_level`` (Student t when the scale was estimated).
    intercept, intercept_err : the first segment's value at x = 0.
    rss : Σ wᵢ rᵢ² (wᵢ = 1/σᵢ² or 1); chi2_red = rss / dof (the residual variance when no σ is given).
    bic : Bayesian information criterion used to choose ``n_segments``; ``bic_by_segments`` holds every
        candidate's value when the number of segments was chosen by BIC.
    covariance : of (a, s₁, d₁…, b₁…) in that order, already multiplied by ``error_scale``².
    error_scale : S, the factor applied to the (JᵀWJ)⁻¹ errors: √χ²_red unweighted or with relative σ; with
        absolute σ the Birge ratio √max(1, χ²_red) (1 when the stated σ are consistent with the scatter).
    error_method : how the errors were obtained, in words (also in ``to_dict()``).
    """

    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray | None
    n_segments: int
    breakpoints: tuple[float, ...]
    breakpoint_errs: tuple[float, ...]
    breakpoint_ci: tuple[tuple[float, float], ...]
    breakpoint_ci_open: tuple[bool, ...]
    slopes: tuple[float, ...]
    slope_errs: tuple[float, ...]
    intercept: float
    intercept_err: float
    rss: float
    dof: int
    chi2_red: float
    bic: float
    ci_level: float
    absolute_sigma: bool
    min_points: int
    covariance: np.ndarray
    bic_by_segments: dict[int, float] | None = None
    slope_ci: tuple[tuple[float, float], ...] = ()
    error_scale: float = 1.0
    error_method: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def scale_estimated(self) -> bool:
        """True when the error scale came from the residuals (unweighted, relative σ, or Birge-scaled σ)."""
        return not (self.sigma is not None and self.absolute_sigma and self.error_scale == 1.0)

    def breakpoint_sigma(self, j: int) -> float:
        """1σ of breakpoint ``j`` that agrees with its profile interval: :func:`ci_sigma` of ``breakpoint_errs[j]``
        and ``breakpoint_ci[j]`` — the curvature error alone understates a breakpoint whose χ² profile is flat or
        lopsided (e.g. 13.8 ± 1.7 GPa with a 95 % interval of 11.0–25.0 GPa)."""
        return ci_sigma(self.breakpoints[j], self.breakpoint_errs[j], self.breakpoint_ci[j], self.ci_level)

    # -- model ------------------------------------------------------------------------------------------------
    @property
    def params(self) -> np.ndarray:
        """(a, s₁, d₁…, b₁…) — the hinge-basis parameters the covariance refers to."""
        s = np.asarray(self.slopes)
        return np.concatenate([[self.intercept, s[0]], np.diff(s), np.asarray(self.breakpoints, dtype=float)])

    @property
    def n_points(self) -> int:
        return int(self.x.size)

    @property
    def segment_ranges(self) -> tuple[tuple[float, float], ...]:
        """(x_lo, x_hi) of each segment, the outer ones closed by the data range."""
        edges = [float(self.x.min()), *self.breakpoints, float(self.x.max())]
        return tuple((edges[i], edges[i + 1]) for i in range(self.n_segments))

    def predict(self, x) -> np.ndarray | float:
        """The fitted y at ``x`` (scalar in, float out)."""
        xa = np.asarray(x, dtype=float)
        out = _jacobian(xa.ravel(), self.params, self.n_segments - 1)[:, : self.n_segments + 1] @ self.params[
            : self.n_segments + 1
        ]
        out = out.reshape(xa.shape)
        return float(out) if out.ndim == 0 else out

    def predict_err(self, x) -> np.ndarray | float:
        """1σ error of :meth:`predict` (delta method with :attr:`covariance`)."""
        xa = np.asarray(x, dtype=float)
        j = _jacobian(xa.ravel(), self.params, self.n_segments - 1)
        var = np.einsum("ij,jk,ik->i", j, self.covariance, j)
        out = np.sqrt(np.clip(var, 0, None)).reshape(xa.shape)
        return float(out) if out.ndim == 0 else out

    def difference(self, x1: float, x2: float) -> tuple[float, float]:
        """y(x2) − y(x1) from the fit and its 1σ error (correlations included)."""
        j = _jacobian(np.array([x1, x2], dtype=float), self.params, self.n_segments - 1)
        g = j[1] - j[0]
        return float(g[: self.n_segments + 1] @ self.params[: self.n_segments + 1]), float(
            np.sqrt(max(g @ self.covariance @ g, 0.0))
        )

    def to_dict(self) -> dict:
        return {
            "n_segments": self.n_segments,
            "breakpoints": list(self.breakpoints),
            "breakpoint_errs": list(self.breakpoint_errs),
            # the σ to quote: consistent with the profile interval (breakpoint_sigma); breakpoint_errs is curvature
            "breakpoint_sigmas": [self.breakpoint_sigma(j) for j in range(len(self.breakpoints))],
            "breakpoint_ci": [list(c) for c in self.breakpoint_ci],
            "breakpoint_ci_open": list(self.breakpoint_ci_open),
            "ci_level": self.ci_level,
            "ci_method": "profile likelihood (F-test)" if self.scale_estimated else "profile likelihood (delta chi2)",
            "error_scale": self.error_scale,
            "error_method": self.error_method,
            "slopes": list(self.slopes),
            "slope_errs": list(self.slope_errs),
            "slope_ci": [list(c) for c in self.slope_ci],
            "intercept": self.intercept,
            "intercept_err": self.intercept_err,
            "segment_ranges": [list(r) for r in self.segment_ranges],
            "rss": self.rss,
            "dof": self.dof,
            "chi2_red": self.chi2_red,
            "bic": self.bic,
            "bic_by_segments": None if self.bic_by_segments is None
            else {str(k): v for k, v in self.bic_by_segments.items()},
            "n_points": self.n_points,
            "weighted": self.sigma is not None,
            "absolute_sigma": self.absolute_sigma,
            "min_points": self.min_points,
            "hpglass_version": _version(),
        }


# ---------------------------------------------------------------------------------------------------------------
# linear algebra helpers
# ---------------------------------------------------------------------------------------------------------------
def ci_sigma(value: float, err: float, ci: tuple[float, float], level: float) -> float:
    """The 1σ that makes ±z·σ (z the normal quantile of ``level``, 1.96 at 95 %) as wide as the wider side of the
    interval ``ci`` about ``value``, and never less than ``err``: with few degrees of freedom (Student t) or a
    non-quadratic χ² profile the interval is wider than ±1.96 err, and a ±1σ read from ``err`` would overclaim.
    An unbounded side (an interval open at the data's end) leaves ``err``."""
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    half = max(value - ci[0], ci[1] - value)
    return float(max(err, half / z)) if np.isfinite(half) else float(err)


def _jacobian(x: np.ndarray, theta: np.ndarray, k: int) -> np.ndarray:
    """∂y/∂(a, s₁, d₁…d_k, b₁…b_k) at x (columns in that order)."""
    cols = [np.ones_like(x), x]
    d = theta[2 : 2 + k]
    b = theta[2 + k : 2 + 2 * k]
    cols += [np.clip(x - bj, 0, None) for bj in b]
    cols += [-dj * (x > bj).astype(float) for dj, bj in zip(d, b, strict=True)]
    return np.column_stack(cols) if cols else np.empty((x.size, 0))


class _Problem:
    """Data in scaled coordinates u = (x − x₀)/L with whitening weights; batched profiled RSS(b).

    RSS(b) costs O(k) per breakpoint set after O(n) set-up (module docstring, "Profiled RSS in O(1)"); the direct
    O(n) evaluation (:meth:`rss_direct`) is kept for near-exact data and for ill-conditioned normal equations.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, sw: np.ndarray, min_points: int) -> None:
        self.x0 = float(x.min())
        self.L = float(x.max() - x.min())
        self.u = (x - self.x0) / self.L
        self.yw = y * sw
        self.sw = sw
        self.min_points = min_points
        self.n = x.size
        order = np.argsort(self.u, kind="stable")
        self.us = self.u[order]
        # RSS is unchanged by removing any line a + s·u (it lies in every model's span): subtracting the weighted
        # straight-line fit makes Σw·y² the one-segment RSS, which bounds the cancellation in Σw·y² − vᵀβ
        w = sw[order] ** 2
        base = np.column_stack([sw, sw * self.u])
        line = np.linalg.lstsq(base, self.yw, rcond=None)[0]
        yd = (y - line[0] - line[1] * self.u)[order]
        us = self.us.astype(_WIDE)
        w, yd = w.astype(_WIDE), yd.astype(_WIDE)
        terms = np.column_stack([w, w * us, w * us * us, w * yd, w * us * yd])
        # prefix sums over the sorted points: moments of any index range are differences of two rows. They are
        # kept in extended precision (x87 80-bit where numpy has it): a short segment's Σw(u − e)² is a small
        # difference of two large sums, and the extra 11 bits keep it to ~1e-12 (see the module docstring)
        self._cum = np.concatenate([np.zeros((1, 5), dtype=_WIDE), np.cumsum(terms, axis=0)])
        self._yy = np.sum(w * yd * yd)
        self.exact = False

    def valid(self, b: np.ndarray) -> np.ndarray:
        """(G,) mask: breakpoints increasing and every segment holds ≥ min_points points (x strictly inside)."""
        b = np.atleast_2d(b)
        edges = np.concatenate([np.full((b.shape[0], 1), -np.inf), b, np.full((b.shape[0], 1), np.inf)], axis=1)
        ok = np.all(np.diff(b, axis=1) > 0, axis=1) if b.shape[1] > 1 else np.ones(b.shape[0], bool)
        for i in range(edges.shape[1] - 1):
            # points exactly at a breakpoint count for both neighbouring segments
            lo = np.searchsorted(self.us, edges[:, i], side="left")
            hi = np.searchsorted(self.us, edges[:, i + 1], side="right")
            ok &= (hi - lo) >= self.min_points
        return ok

    def rss(self, b: np.ndarray) -> np.ndarray:
        """Profiled RSS for each row of b (G, k); inf where invalid."""
        b = np.atleast_2d(np.asarray(b, dtype=float))
        g, k = b.shape
        out = np.full(g, np.inf)
        ok = self.valid(b) if k else np.ones(g, bool)
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return out
        if self.exact or self.n * idx.size <= _DIRECT_WORK:
            out[idx] = self.rss_direct(b[idx])
            return out
        r, bad = self._rss_moments(b[idx])
        out[idx] = r
        if np.any(bad):  # (near-)singular normal equations, e.g. repeated x at a breakpoint: exact residuals
            out[idx[bad]] = self.rss_direct(b[idx[bad]])
        return out

    def _rss_moments(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """RSS from the prefix sums in the hat (linear B-spline) basis on the knots 0, b₁ … b_k, 1.

        On segment s = [e, f] (h = f − e) with t = (u − e)/h the two hat functions are 1 − t and t, so the Gram
        matrix M is tridiagonal and its entries, like v = Σ w·y·φ, are sums of w·uᵐ and w·uᵐ·y over the segment's
        index range (differences of prefix sums); RSS = Σ w·y² − vᵀM⁻¹v. Returns (rss, rows to recompute).
        """
        g, k = b.shape
        m = k + 2
        knots = np.concatenate([np.zeros((g, 1)), np.clip(b, 0.0, 1.0), np.ones((g, 1))], axis=1)
        pos = np.empty((g, m), dtype=np.intp)
        pos[:, 0], pos[:, -1] = 0, self.n
        if k:
            # a point exactly at a knot goes to the segment on its right (t = 0): both hats agree there
            pos[:, 1:-1] = np.searchsorted(self.us, knots[:, 1:-1], side="left")
        cum = self._cum
        diag = np.zeros((g, m), dtype=_WIDE)
        off = np.zeros((g, m - 1), dtype=_WIDE)
        vec = np.zeros((g, m), dtype=_WIDE)
        for s in range(m - 1):
            n0, n1, n2, m0, m1 = (cum[pos[:, s + 1]] - cum[pos[:, s]]).T
            e, h = knots[:, s].astype(_WIDE), (knots[:, s + 1] - knots[:, s]).astype(_WIDE)
            live = h > 0  # a zero-width end segment: its points sit on the knot (t = 0)
            hs = np.where(live, h, 1.0)
            st = np.where(live, (n1 - e * n0) / hs, 0.0)  # Σ w t
            stt = np.where(live, (n2 - 2.0 * e * n1 + e * e * n0) / (hs * hs), 0.0)  # Σ w t²
            syt = np.where(live, (m1 - e * m0) / hs, 0.0)  # Σ w y t
            diag[:, s] += n0 - 2.0 * st + stt
            off[:, s] = st - stt
            diag[:, s + 1] += stt
            vec[:, s] += m0 - syt
            vec[:, s + 1] += syt
        # LDLᵀ of the tridiagonal M (Thomas algorithm) in the wide type: vᵀM⁻¹v = Σ zᵢ²/dᵢ with z = L⁻¹v.
        # A pivot dᵢ far below Mᵢᵢ means a hat function (almost) in the span of the others: recompute directly
        piv, z = diag[:, 0], vec[:, 0]
        bad = ~(piv > _MOMENT_PIVOT * diag[:, 0])
        with np.errstate(divide="ignore", invalid="ignore"):
            explained = z * z / piv
            for i in range(1, m):
                lam = off[:, i - 1] / piv
                piv = diag[:, i] - lam * off[:, i - 1]
                z = vec[:, i] - lam * z
                bad |= ~(piv > _MOMENT_PIVOT * diag[:, i])
                explained = explained + z * z / piv
        out = np.where(bad, np.inf, np.clip((self._yy - explained).astype(float), 0.0, None))
        return out, bad

    def rss_direct(self, b: np.ndarray) -> np.ndarray:
        """Profiled RSS of each row of b (all valid) from the residuals themselves: O(n) per row."""
        b = np.atleast_2d(np.asarray(b, dtype=float))
        g, k = b.shape
        out = np.empty(g)
        p = 2 + k
        step = max(1, _CHUNK_ELEMENTS // (self.n * p))
        for s in range(0, g, step):
            sel = np.arange(s, min(s + step, g))
            a = np.empty((sel.size, self.n, p))
            a[:, :, 0] = 1.0
            a[:, :, 1] = self.u
            for j in range(k):
                a[:, :, 2 + j] = np.clip(self.u[None, :] - b[sel, j][:, None], 0, None)
            a *= self.sw[None, :, None]
            m = np.einsum("gni,gnj->gij", a, a)
            v = np.einsum("gni,n->gi", a, self.yw)
            try:
                beta = np.linalg.solve(m, v[..., None])[..., 0]
            except np.linalg.LinAlgError:
                beta = np.stack([np.linalg.lstsq(mi, vi, rcond=None)[0] for mi, vi in zip(m, v, strict=True)])
            r = self.yw[None, :] - np.einsum("gni,gi->gn", a, beta)
            out[sel] = np.einsum("gn,gn->g", r, r)
        return out

    def check_precision(self, rss_min: float) -> None:
        """Switch to direct residuals when the best RSS is so far below Σw·y² (near-exact data) that the moment
        formula's cancellation, ≈ 1e-16·Σw·y², would exceed ~1e-9 of it — only where that stays cheap."""
        if self.n <= _EXACT_MAX_POINTS and rss_min < _EXACT_RATIO * float(self._yy):
            self.exact = True

    def rss1(self, b) -> float:
        return float(self.rss(np.atleast_2d(np.asarray(b, dtype=float)))[0])

    def candidates(self, max_candidates: int) -> np.ndarray:
        uu = np.unique(self.u)
        cand = np.unique(np.concatenate([uu[1:-1], 0.5 * (uu[1:] + uu[:-1])]))
        if cand.size > max_candidates:
            cand = np.unique(np.quantile(cand, np.linspace(0, 1, max_candidates)))
        return cand


# ---------------------------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------------------------
def _check(x, y, sigma, min_points, n_segments):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1:
        raise InputError(f"x must be a 1D array (got shape {x.shape})", field="x")
    if y.shape != x.shape:
        raise InputError(f"y must have the shape of x (got {y.shape} and {x.shape})", field="y")
    if sigma is not None:
        sigma = np.broadcast_to(np.asarray(sigma, dtype=float), x.shape).astype(float)
        if not np.all(np.isfinite(sigma)) or np.any(sigma <= 0):
            raise InputError("sigma must be finite and > 0 everywhere", field="sigma")
    good = np.isfinite(x) & np.isfinite(y)
    if not np.all(good):
        x, y = x[good], y[good]
        sigma = None if sigma is None else sigma[good]
    if int(min_points) < 2:
        raise InputError(f"min_points must be ≥ 2 (got {min_points})", field="min_points")
    if n_segments is not None and n_segments not in (1, 2, 3):
        raise InputError(f"n_segments must be 1, 2, 3 or None (got {n_segments!r})", field="n_segments")
    if np.unique(x).size < 3:
        raise InputError("at least 3 distinct x values are needed", field="x")
    order = np.argsort(x, kind="stable")
    return x[order], y[order], None if sigma is None else sigma[order]


def _best_breakpoints(prob: _Problem, k: int, max_candidates: int) -> np.ndarray:
    """Global grid search then bounded Nelder–Mead refinement of the best few; returns b in u units."""
    cand = prob.candidates(max_candidates)
    if k == 1:
        grid = cand[:, None]
    else:
        i, j = np.triu_indices(cand.size, 1)
        grid = np.column_stack([cand[i], cand[j]])
    r = prob.rss(grid)
    if not np.any(np.isfinite(r)):
        raise InputError(
            f"{k + 1} segments with ≥ {prob.min_points} points each do not fit in {prob.n} points",
            field="n_segments",
        )
    prob.check_precision(float(np.min(r)))
    if prob.exact:
        r = prob.rss(grid)
    starts = grid[np.argsort(r)[: 4]]
    starts = starts[np.isfinite(prob.rss(starts))]
    best_b, best_r = starts[0], prob.rss1(starts[0])
    for s0 in starts:
        if k == 1:  # bounded Brent between the neighbouring candidates
            m = int(np.searchsorted(cand, s0[0]))
            lo, hi = cand[max(m - 1, 0)], cand[min(m + 1, cand.size - 1)]
            res = optimize.minimize_scalar(lambda b: min(prob.rss1([b]), _BIG), bounds=(lo, hi),
                                           method="bounded", options={"xatol": 1e-10})
            if res.fun < best_r:
                best_b, best_r = np.array([res.x], dtype=float), float(res.fun)
            continue
        # step of the initial simplex: one candidate spacing
        res = optimize.minimize(
            lambda b: min(prob.rss1(b), _BIG),
            s0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * k,
            options={"xatol": 1e-8, "fatol": 1e-10 * max(best_r, 1e-300), "maxiter": 400 * k,
                     "initial_simplex": np.vstack([s0] + [s0 + np.eye(k)[i] * 0.5 / max(cand.size, 2)
                                                         for i in range(k)])},
        )
        if res.fun < best_r:
            best_b, best_r = np.asarray(res.x, dtype=float), float(res.fun)
    return np.asarray(best_b, dtype=float)


def _linear_params(prob: _Problem, b_u: np.ndarray) -> np.ndarray:
    """(a, s₁, d…) in x units for breakpoints b_u (u units)."""
    k = b_u.size
    cols = [np.ones(prob.n), prob.u] + [np.clip(prob.u - bj, 0, None) for bj in b_u]
    a = np.column_stack(cols) * prob.sw[:, None]
    beta = np.linalg.lstsq(a, prob.yw, rcond=None)[0]
    # y = β0 + β1 u + Σ βj (u − bj)+  with u = (x − x0)/L
    s = beta[1:] / prob.L
    a0 = beta[0] - s[0] * prob.x0
    return np.concatenate([[a0, s[0]], s[1 : 1 + k]])


def _profile_ci(prob: _Problem, b_u: np.ndarray, j: int, threshold: float, cand: np.ndarray
                ) -> tuple[tuple[float, float], tuple[bool, bool]]:
    """Profile-likelihood interval (u units) of breakpoint j: where min_{others} RSS ≤ threshold."""
    k = b_u.size
    others = [i for i in range(k) if i != j]

    def profile_many(vals: np.ndarray, refine: bool = False) -> np.ndarray:
        if k == 1:
            return prob.rss(vals[:, None])
        # the other breakpoint: grid over the candidates, then bounded refinement of the best
        o = others[0]
        bb = np.empty((vals.size * cand.size, 2))
        bb[:, j] = np.repeat(vals, cand.size)
        bb[:, o] = np.tile(cand, vals.size)
        r = prob.rss(bb).reshape(vals.size, cand.size)
        out = r.min(axis=1)
        for i, v in enumerate(vals):
            if not refine or not np.isfinite(out[i]):
                continue
            m = int(np.argmin(r[i]))
            lo = cand[max(m - 1, 0)]
            hi = cand[min(m + 1, cand.size - 1)]
            if hi <= lo:
                continue

            def f(w, v=v):
                b = np.empty(2)
                b[j], b[o] = v, w
                return min(prob.rss1(b), _BIG)

            res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
            if res.fun < _BIG:
                out[i] = min(out[i], float(res.fun))
        return out

    def profile1(v: float) -> float:
        return float(profile_many(np.array([v]), refine=True)[0])

    grid = np.linspace(0.0, 1.0, _PROFILE_GRID + 1)
    bj = float(b_u[j])
    ci = []
    opened = []
    for side in (-1, 1):
        pts = grid[grid < bj][::-1] if side < 0 else grid[grid > bj]
        prof = profile_many(pts) if pts.size else np.array([])
        inside, edge, is_open = bj, None, True
        for v, pv in zip(pts, prof, strict=True):
            if not np.isfinite(pv):  # inadmissible from here on: the interval is open at the last admissible v
                break
            # the grid value over-estimates the profile (other breakpoint on the candidate grid): confirm
            if pv > threshold and (k == 1 or profile1(v) > threshold):
                edge = v
                is_open = False
                break
            inside = v
        if edge is None:
            ci.append(inside)
        else:
            def g(v: float) -> float:
                return profile1(v) - threshold

            try:
                ci.append(float(optimize.brentq(g, min(inside, edge), max(inside, edge), xtol=1e-9)))
            except ValueError:  # not bracketed after refinement (non-monotone profile): keep the grid edge
                ci.append(inside)
        opened.append(is_open)
    return (ci[0], ci[1]), (opened[0], opened[1])


def _fit_k(x, y, sigma, k, *, absolute_sigma, min_points, ci_level, max_candidates) -> PiecewiseFit:
    n = x.size
    sw = np.ones(n) if sigma is None else 1.0 / sigma
    prob = _Problem(x, y, sw, min_points)
    p = 2 + 2 * k
    if n < (k + 1) * min_points or n <= p:
        raise InputError(f"{k + 1} segments need ≥ {max((k + 1) * min_points, p + 1)} points (got {n})",
                         field="n_segments")
    b_u = _best_breakpoints(prob, k, max_candidates) if k else np.empty(0)
    lin = _linear_params(prob, b_u)
    b_x = prob.x0 + prob.L * b_u
    theta = np.concatenate([lin, b_x])
    j_full = _jacobian(x, theta, k)
    model = j_full[:, : k + 2] @ theta[: k + 2]
    rss = float(np.sum(((y - model) * sw) ** 2))
    dof = n - p
    chi2_red = rss / dof
    jw = j_full * sw[:, None]
    _, s_, vt = np.linalg.svd(jw, full_matrices=False)
    if s_.min() <= s_.max() * 1e-13:
        raise ConvergenceError(f"the {k + 1}-segment fit is degenerate (singular Jacobian): the slope does not "
                               "change at a breakpoint (or a segment has no leverage); use fewer segments")
    cov = (vt.T / s_**2) @ vt
    use_abs = sigma is not None and absolute_sigma
    # Birge ratio: stated σ that the scatter (or a misfit) contradicts are scaled up, never down
    birge = use_abs and chi2_red > 1.0
    scale2 = chi2_red if (not use_abs or birge) else 1.0
    cov = cov * scale2
    if not use_abs:
        method = ("errors from the residual scatter (σ unknown: s² = χ²/ν)" if sigma is None
                  else "relative σ scaled by √χ²_red")
    elif birge:
        method = f"stated σ scaled by the Birge ratio √χ²_red = {np.sqrt(chi2_red):.3g}"
    else:
        method = "stated σ as absolute (χ²_red ≤ 1: not scaled)"
    # slopes s_k = s₁ + Σ_{j<k} dⱼ
    tmat = np.zeros((k + 1, p))
    for seg in range(k + 1):
        tmat[seg, 1] = 1.0
        tmat[seg, 2 : 2 + seg] = 1.0
    slopes = tmat @ theta
    slope_errs = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", tmat, cov, tmat), 0, None))
    b_errs = np.sqrt(np.clip(np.diag(cov)[2 + k :], 0, None))
    q = stats.norm.ppf(0.5 + 0.5 * ci_level) if (use_abs and not birge) else stats.t.ppf(0.5 + 0.5 * ci_level, dof)
    slope_ci = tuple((float(v - q * e), float(v + q * e)) for v, e in zip(slopes, slope_errs, strict=True))

    if use_abs and not birge:
        threshold = rss + stats.chi2.ppf(ci_level, 1)
    else:  # σ estimated from the residuals (σ unknown, or stated σ scaled by the Birge ratio): the F-test
        threshold = rss * (1.0 + stats.f.ppf(ci_level, 1, dof) / dof)
    cis, opens = [], []
    cand = prob.candidates(max_candidates)
    for jj in range(k):
        (lo, hi), op = _profile_ci(prob, b_u, jj, threshold, cand)
        cis.append((prob.x0 + prob.L * lo, prob.x0 + prob.L * hi))
        opens.append(bool(op[0] or op[1]))
    bic = (rss if use_abs else n * np.log(max(rss, 1e-300) / n)) + p * np.log(n)
    return PiecewiseFit(
        x=_ro(x), y=_ro(y), sigma=None if sigma is None else _ro(sigma), n_segments=k + 1,
        breakpoints=tuple(float(v) for v in b_x), breakpoint_errs=tuple(float(v) for v in b_errs),
        breakpoint_ci=tuple((float(a), float(b)) for a, b in cis), breakpoint_ci_open=tuple(opens),
        slopes=tuple(float(v) for v in slopes), slope_errs=tuple(float(v) for v in slope_errs),
        intercept=float(theta[0]), intercept_err=float(np.sqrt(max(cov[0, 0], 0.0))),
        rss=rss, dof=int(dof), chi2_red=float(chi2_red), bic=float(bic), ci_level=float(ci_level),
        absolute_sigma=bool(use_abs), min_points=int(min_points), covariance=_ro(cov), slope_ci=slope_ci,
        error_scale=float(np.sqrt(scale2)), error_method=method,
        meta={"threshold_rss": float(threshold), "n_candidates": int(cand.size)},
    )


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def fit_piecewise(
    x,
    y,
    n_segments: int | None = 2,
    *,
    sigma=None,
    absolute_sigma: bool = True,
    min_points: int = 3,
    ci_level: float = 0.95,
    max_segments: int = MAX_SEGMENTS,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> PiecewiseFit:
    """Continuous piecewise-linear least-squares fit with ``n_segments`` (1, 2, 3) segments.

    Parameters
    ----------
    x, y : data (any order; non-finite pairs are dropped).
    n_segments : 1 (a straight line), 2 or 3; None chooses 1 … ``max_segments`` by the lowest BIC (every
        candidate's BIC is kept in ``bic_by_segments``).
    sigma : 1σ errors of y (weights 1/σ²). With ``absolute_sigma`` (default) they are taken as absolute: while
        χ²_red ≤ 1 the parameter errors are not scaled and the breakpoint intervals use Δχ² = χ²₁(level); when
        χ²_red > 1 (the scatter or a misfit exceeds the stated σ) the errors are scaled by the Birge ratio
        √χ²_red and the intervals use the F-test threshold (``error_scale``, ``error_method``). Otherwise they
        are relative weights: errors always scaled by √χ²_red, F-test threshold.
    min_points : fewest data points in each segment (points at a breakpoint count for both sides).
    ci_level : confidence level of the breakpoint and slope intervals.
    max_candidates : breakpoint positions tried per breakpoint in the global grid.

    Raises InputError (bad arrays, too few points for the segments asked for) or ConvergenceError (a degenerate
    optimum). Formulas and references: module docstring.
    """
    x, y, sigma = _check(x, y, sigma, min_points, n_segments)
    if not 0 < ci_level < 1:
        raise InputError(f"ci_level must be in (0, 1) (got {ci_level})", field="ci_level")
    kw = {"absolute_sigma": absolute_sigma, "min_points": int(min_points), "ci_level": float(ci_level),
              "max_candidates": int(max_candidates)}
    if n_segments is not None:
        return _fit_k(x, y, sigma, n_segments - 1, **kw)
    if max_segments not in (1, 2, 3):
        raise InputError(f"max_segments must be 1, 2 or 3 (got {max_segments})", field="max_segments")
    fits: dict[int, PiecewiseFit] = {}
    for ns in range(1, max_segments + 1):
        if x.size < max(ns * min_points, 2 * ns + 1):
            break
        try:
            fits[ns] = _fit_k(x, y, sigma, ns - 1, **kw)
        except (InputError, ConvergenceError):
            if ns == 1:
                raise
            break
    table = {ns: f.bic for ns, f in fits.items()}
    s2 = fits[max(fits)].chi2_red
    use_abs = sigma is not None and absolute_sigma
    if use_abs and s2 > 1.0:  # σ understated by the most flexible model's Birge ratio: rescale χ² before comparing
        table = {ns: float(f.rss / s2 + (2 * ns) * np.log(f.n_points)) for ns, f in fits.items()}
    best = min(table, key=table.get)
    f = fits[best]
    meta = dict(f.meta)
    if use_abs and s2 > 1.0:
        meta["bic_chi2_scale"] = float(s2)
    return PiecewiseFit(**{**{k: getattr(f, k) for k in f.__dataclass_fields__}, "bic_by_segments": table,
                           "bic": float(table[best]), "meta": meta})
