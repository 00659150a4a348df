"""Student vs teacher on labelled configurations: errors per pressure bin and per source, and the verdict.

Acceptance measures (issue 13; stated here so the verdict is reproducible):

* force RMSE ≤ 0.15 eV/Å in every pressure bin with data (bins of the teacher's pressure: <5, 5–15, 15–30,
  30–45, 45–60, ≥60 GPa);
* pressure RMSE ≤ 1 GPa on glass-like cells (sources ``frames`` and ``md``) at 0–60 GPa;
* energy RMSE reported (meV/atom), not judged: the MD observables depend on forces and pressure.

MD acceptance (density within 2 %, g(r) R-factor ≤ 5 % at 0, 20, 60 GPa) is measured by
``benchmarks/distil_md_check.py`` with the same protocol run by both potentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .snap import EV_A3_TO_GPA, Design

__all__ = ["PRESSURE_BINS_GPA", "ValidationReport", "split_configurations", "validation_report"]

PRESSURE_BINS_GPA = (-np.inf, 5.0, 15.0, 30.0, 45.0, 60.0, np.inf)
FORCE_RMSE_LIMIT = 0.15
PRESSURE_RMSE_LIMIT = 1.0
GLASS_SOURCES = ("frames", "md")


def split_configurations(configs, test_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Train/test indices, stratified by ``info["source"]`` (each source keeps ≈ the same test fraction)."""
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[int]] = {}
    for i, a in enumerate(configs):
        by_source.setdefault(str(a.info.get("source", "?")), []).append(i)
    train, test = [], []
    for _, idx in sorted(by_source.items()):
        idx = list(rng.permutation(idx))
        k = int(round(test_fraction * len(idx)))
        test += idx[:k]
        train += idx[k:]
    return sorted(train), sorted(test)


def _bin_label(lo: float, hi: float) -> str:
    if not np.isfinite(lo):
        return f"<{hi:g}"
    if not np.isfinite(hi):
        return f"≥{lo:g}"
    return f"{lo:g}–{hi:g}"


@dataclass(frozen=True)
class ValidationReport:
    """Errors per pressure bin and per source; ``passed`` applies the module's acceptance measures."""

    rows: list[dict[str, Any]] = field(repr=False)
    by_source: dict[str, dict[str, float]] = field(repr=False)
    overall: dict[str, float]
    passed: bool
    failures: tuple[str, ...] = ()

    def __repr__(self) -> str:
        o = self.overall
        return (f"ValidationReport({o['n_configs']} configurations: F {o['force_eV_A']:.3f} eV/Å, "
                f"P {o['pressure_GPa']:.2f} GPa, E {o['energy_meV_atom']:.1f} meV/atom; "
                f"{'passed' if self.passed else 'failed'})")

    def to_dict(self) -> dict[str, Any]:
        return {"bins": self.rows, "by_source": self.by_source, "overall": self.overall, "passed": self.passed,
                "failures": list(self.failures),
                "criteria": {"force_rmse_eV_A_max": FORCE_RMSE_LIMIT, "glass_pressure_rmse_GPa_max":
                             PRESSURE_RMSE_LIMIT, "pressure_bins_GPa": [_bin_label(a, b) for a, b in
                                                                        zip(PRESSURE_BINS_GPA[:-1],
                                                                            PRESSURE_BINS_GPA[1:])]}}


def _errors(design: Design, labels: np.ndarray, predicted: np.ndarray, configs: list[int]) -> dict[str, float]:
    mask = np.isin(design.config, configs)
    d = (predicted - labels)[mask]
    kind = design.kind[mask]
    cfg = design.config[mask]
    e = d[kind == 0] / design.n_atoms[cfg[kind == 0]]
    f = d[kind == 1]
    s = d[kind == 2] / design.volume[cfg[kind == 2]] * EV_A3_TO_GPA
    p = s.reshape(-1, 6)[:, :3].mean(axis=1)
    return {"n_configs": len(configs), "energy_meV_atom": float(np.sqrt(np.mean(e ** 2)) * 1e3),
            "force_eV_A": float(np.sqrt(np.mean(f ** 2))), "pressure_GPa": float(np.sqrt(np.mean(p ** 2))),
            "pressure_bias_GPa": float(np.mean(p)), "stress_GPa": float(np.sqrt(np.mean(s ** 2))),
            "force_max_eV_A": float(np.max(np.abs(f))) if len(f) else float("nan")}


def validation_report(configs, design: Design, labels: np.ndarray, predicted: np.ndarray) -> ValidationReport:
    """Errors of ``predicted`` against the teacher's ``labels`` (rows of ``design``; see the module docstring)."""
    pressures = np.array([-np.mean(a.get_stress()[:3]) * EV_A3_TO_GPA for a in configs])
    sources = np.array([str(a.info.get("source", "?")) for a in configs])
    rows, failures = [], []
    for lo, hi in zip(PRESSURE_BINS_GPA[:-1], PRESSURE_BINS_GPA[1:]):
        idx = list(np.flatnonzero((pressures >= lo) & (pressures < hi)))
        if not idx:
            continue
        r = {"pressure_bin_GPa": _bin_label(lo, hi), **_errors(design, labels, predicted, idx)}
        glass = [i for i in idx if sources[i] in GLASS_SOURCES]
        r["glass_pressure_GPa"] = (_errors(design, labels, predicted, glass)["pressure_GPa"]
                                   if glass and lo < 60 else None)
        rows.append(r)
        if r["force_eV_A"] > FORCE_RMSE_LIMIT:
            failures.append(f"force RMSE {r['force_eV_A']:.3f} eV/Å > {FORCE_RMSE_LIMIT} at {r['pressure_bin_GPa']}"
                            " GPa")
        if r["glass_pressure_GPa"] is not None and r["glass_pressure_GPa"] > PRESSURE_RMSE_LIMIT:
            failures.append(f"glass pressure RMSE {r['glass_pressure_GPa']:.2f} GPa > {PRESSURE_RMSE_LIMIT} at "
                            f"{r['pressure_bin_GPa']} GPa")
    by_source = {s: _errors(design, labels, predicted, list(np.flatnonzero(sources == s)))
                 for s in sorted(set(sources))}
    overall = _errors(design, labels, predicted, list(range(len(configs))))
    return ValidationReport(rows, by_source, overall, not failures, tuple(failures))
