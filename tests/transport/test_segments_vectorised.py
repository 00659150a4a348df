"""split_sweeps (issue 14: vectorised running median) against the per-row implementation it replaced, kept here as
the reference: the same sweeps, point for point, on random held-variable sequences with steps, drifts, noise at the
tolerance, NaN and runs shorter than the 20-point window."""

from __future__ import annotations

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.transport.curve import RCurve
from hpglass.transport.segments import _CHUNK, FIELD_TOL_T, TEMPERATURE_TOL_K, split_sweeps


def split_sweeps_reference(curve: RCurve, min_points: int = 10, tol: float | None = None) -> list[RCurve]:
    """The implementation before issue 14 (np.median once per row), verbatim but for the names."""
    held = curve.field_T if curve.x == "T" else curve.temperature_K
    tol = (FIELD_TOL_T if curve.x == "T" else TEMPERATURE_TOL_K) if tol is None else tol
    groups: list[list[int]] = []
    for i, v in enumerate(held):
        if groups and abs(v - float(np.median(held[groups[-1][-20:]]))) <= tol:
            groups[-1].append(i)
        else:
            groups.append([i])
    sweeps = []
    for g in groups:
        if len(g) >= min_points:
            mask = np.zeros(len(curve), dtype=bool)
            mask[np.asarray(g)] = True
            sweeps.append(curve.select(mask))
    if not sweeps:
        raise InputError("no sweep", source=curve.source)
    return sweeps


def _random_held(rng: np.random.Generator, n: int, tol: float) -> np.ndarray:
    """Set points held for random lengths (1–80 rows) with noise from 0 to 1.5 × tol, slow drifts, single-row
    spikes, exact ties (quantised values, so the two middle values of an even window matter) and a few NaN."""
    out = []
    while sum(map(len, out)) < n:
        k = int(rng.integers(1, 80))
        level = float(rng.choice([0.0, 0.5, 1.0, 2.0, 9.0])) + float(rng.normal(0, 3 * tol))
        seg = level + rng.normal(0, float(rng.uniform(0, 1.5)) * tol, k) + np.linspace(0, rng.normal(0, 2 * tol), k)
        if rng.random() < 0.3:
            seg = np.round(seg / tol) * tol  # ties
        if rng.random() < 0.2:
            seg[int(rng.integers(k))] += float(rng.choice([-1, 1])) * 10 * tol  # spike
        out.append(seg)
    h = np.concatenate(out)[:n]
    h[rng.random(n) < 0.002] = np.nan
    return h


def _same(a: list[RCurve], b: list[RCurve]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for f in ("temperature_K", "resistance_ohm", "field_T"):
            np.testing.assert_array_equal(getattr(x, f), getattr(y, f))
        assert (x.x, x.source, x.channel) == (y.x, y.source, y.channel)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("x", ["T", "H"])
def test_same_sweeps_as_the_per_row_reference(seed, x):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    tol = FIELD_TOL_T if x == "T" else TEMPERATURE_TOL_K
    held = _random_held(rng, n, tol)
    other = rng.uniform(2, 300, n)
    t, h = (other, held) if x == "T" else (held, other)
    curve = RCurve(t, rng.uniform(0, 1, n), h, x, f"seed{seed}.dat")
    for min_points in (1, 10, 25):
        try:
            ref = split_sweeps_reference(curve, min_points)
        except InputError:
            with pytest.raises(InputError, match="no sweep with at least"):
                split_sweeps(curve, min_points)
            continue
        _same(split_sweeps(curve, min_points), ref)


def test_same_sweeps_across_the_median_blocks():
    """Rows on both sides of the vectorised median's block edge (_CHUNK) and a sweep spanning it."""
    rng = np.random.default_rng(99)
    n = _CHUNK + 500
    held = np.where(np.arange(n) < _CHUNK - 7, 0.0, 1.0) + rng.normal(0, 5e-4, n)
    held[_CHUNK + 3] = 0.5  # a one-row outlier right after the edge
    curve = RCurve(rng.uniform(2, 10, n), rng.uniform(0, 1, n), held, "T", "edge.dat")
    got, ref = split_sweeps(curve, 1), split_sweeps_reference(curve, 1)
    _same(got, ref)
    assert [len(s) for s in got] == [_CHUNK - 7, 10, 1, n - _CHUNK - 4]


def test_tolerance_argument_and_nan_tolerance():
    rng = np.random.default_rng(5)
    held = _random_held(rng, 600, 0.01)
    curve = RCurve(rng.uniform(2, 10, 600), rng.uniform(0, 1, 600), held, "T", "tol.dat")
    for tol in (0.0, 0.002, 0.05, 1.0, float("nan")):
        try:
            ref = split_sweeps_reference(curve, 3, tol)
        except InputError:
            with pytest.raises(InputError):
                split_sweeps(curve, 3, tol)
            continue
        _same(split_sweeps(curve, 3, tol), ref)
