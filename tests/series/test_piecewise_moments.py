"""The O(1) profiled RSS of hpglass.series.piecewise (prefix sums in the hat basis) against direct least squares.

Known answer: for fixed breakpoints the profiled RSS is the residual sum of squares of the weighted linear least-
squares fit on the hinge basis [1, x, (x − b₁)₊, (x − b₂)₊], which ``numpy.linalg.lstsq`` computes directly from the
residuals. Tolerance 1e-9 relative: the measured worst case of the moment formula over random breakpoints is
≈ 2e-11 with extended-precision sums (module docstring); 1e-9 leaves room for platforms whose ``longdouble`` is
float64 only where Σw·y²/RSS is moderate, which these data keep (noise ≥ 1e-2 of the signal).
"""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.series.piecewise import _Problem, fit_piecewise


def _lstsq_rss(x, y, sw, b_x):
    cols = [np.ones_like(x), x] + [np.clip(x - b, 0, None) for b in b_x]
    a = np.column_stack(cols) * sw[:, None]
    beta = np.linalg.lstsq(a, y * sw, rcond=None)[0]
    r = y * sw - a @ beta
    return float(r @ r)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n", [50, 700, 6000])
def test_moment_rss_matches_lstsq(n, weighted):
    rng = np.random.default_rng(n + weighted)
    x = np.sort(rng.uniform(-3.0, 47.0, n))
    y = 2.0 + 0.3 * x - 0.25 * np.clip(x - 14.0, 0, None) + 0.1 * np.clip(x - 30.0, 0, None)
    sigma = rng.uniform(0.02, 0.5, n) if weighted else np.full(n, 0.1)
    y = y + rng.normal(0.0, 1.0, n) * sigma
    sw = 1.0 / sigma if weighted else np.ones(n)
    prob = _Problem(x, y, sw, 3)
    for k in (1, 2):
        b_u = np.sort(rng.uniform(0.0, 1.0, (300, k)), axis=1)
        b_u = b_u[prob.valid(b_u)]
        r, bad = prob._rss_moments(b_u)
        assert not bad.any()
        want = np.array([_lstsq_rss(x, y, sw, prob.x0 + prob.L * bb) for bb in b_u])
        np.testing.assert_allclose(r, want, rtol=1e-9)
        # rss() dispatches between the moments and the residuals; both give the same numbers
        np.testing.assert_allclose(prob.rss(b_u), want, rtol=1e-9)


def test_repeated_x_at_a_breakpoint_falls_back_to_residuals():
    """Three points on one x at the knot: the hat basis is singular there; RSS still equals least squares."""
    x = np.r_[np.linspace(0, 10, 40), [4.0, 4.0, 4.0]]
    x.sort()
    y = np.where(x < 4, x, 4 + 0.2 * (x - 4)) + np.random.default_rng(3).normal(0, 0.05, x.size)
    prob = _Problem(x, y, np.ones(x.size), 3)
    b_u = np.array([[(4.0 - prob.x0) / prob.L], [0.37], [0.81]])
    want = [_lstsq_rss(x, y, np.ones(x.size), prob.x0 + prob.L * b) for b in b_u]
    np.testing.assert_allclose(prob.rss(b_u), want, rtol=1e-9)


def test_large_series_same_breakpoints_as_direct_scan():
    """20 000 points (the moment path everywhere): the fit's breakpoints are the minimum of the direct RSS."""
    rng = np.random.default_rng(7)
    x = np.linspace(0.0, 30.0, 20_000)
    y = -0.5 * x + 0.3 * np.clip(x - 10, 0, None) + 0.15 * np.clip(x - 20, 0, None) + rng.normal(0, 0.1, x.size)
    f = fit_piecewise(x, y, 3)
    prob = _Problem(x, y, np.ones(x.size), 3)
    b_u = (np.asarray(f.breakpoints) - prob.x0) / prob.L
    best = prob.rss_direct(b_u[None, :])[0]
    # moving either breakpoint by ±1e-4 of the range does not lower the directly computed RSS
    for j in range(2):
        for step in (-1e-4, 1e-4):
            moved = b_u.copy()
            moved[j] += step
            assert prob.rss_direct(moved[None, :])[0] >= best * (1 - 1e-12)
    assert f.breakpoints == pytest.approx([10.0, 20.0], abs=0.1)
    assert f.rss == pytest.approx(best, rel=1e-9)
