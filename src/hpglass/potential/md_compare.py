"""A student potential's MD structure against its teacher's: the MD half of a distilled potential's validation.

Both potentials run the same protocol from the same cell with the same seed (``hpglass simulate`` or
:func:`hpglass.simulate.run_protocol`); :func:`compare_md` takes the production frames of each at one pressure and
measures, with **one set of bond cutoffs for both** (given, else the first minima of the reference's partial g(r),
:func:`hpglass.structure.resolve_cutoffs`):

* density ρ (mean over frames, g/cm³);
* the total g(r) and each partial g_ab(r) (Faber–Ziman weights as :mod:`hpglass.structure.pair` defines them),
  0 < r ≤ half the smallest cell height, Δr = 0.05 Å, and the R-factor
  R = sqrt( Σ_r (g_cand − g_ref)² / Σ_r g_ref² );
* mean coordination numbers CN_ab (B neighbours of an A atom) and per species;
* the bond-angle distribution per centre species (2° bins; R-factor of the probability densities);
* primitive rings per atom R_C(n)/N for n = 3 … ``ring_max`` (Yuan & Cormack, Comput. Mater. Sci. 24, 343 (2002)
  for the criterion; :func:`hpglass.structure.ring_statistics`), compared by Σ_n |Δ R_C(n)/N| (the measure
  ``rings 3–10``; its values are Σ_n R_C(n)/N of each run).

**Acceptance measures** (issue 13; Gardner et al., arXiv 2506.10956 (2025) validate distilled potentials the same
way, by the teacher's MD observables):

* |ρ_cand / ρ_ref − 1| ≤ 2 %;
* total g(r) R ≤ 5 %.

**Sampling noise.** The *reference's* frames are cut into B consecutive blocks (B = 4 from 8 frames on, else 2)
and each measure is computed on every block. For a signed quantity m (ρ, CN) with block values m_k, a full run has
Var(m) ≈ s²/B (s² the variance of the m_k, ddof = 1), and two full runs of equal length differ with
σ = sqrt(2 s² / B) — the difference sampling alone explains. An R-factor between two blocks, R_kl, relates the same
way to that between two full runs, R_noise² = ⟨R_kl²⟩ / B (R² adds the bins' variances, each B times smaller in
a full run); the same scaling, ⟨Σ|Δ|⟩ / √B, is used for the ring measure. The systematic part of a measured R is
sqrt(max(R² − R_noise², 0)). A measure is flagged **beyond sampling** when its difference exceeds a threshold times
its noise, set so that two runs of one distribution are flagged in ≈ 5 % of cases or fewer: for signed quantities
the Student-t quantile t(0.975, B − 1) (3.18 for B = 4: σ rests on B − 1 degrees of freedom); for the R-factors of
g(r), partials and angle distributions 1.5 (their null ratio R / R_noise is narrow: 95th percentile 1.16–1.25);
for the ring measure 2.5 (95th percentile 1.8). Measured on 40 replicas of two independent 8-frame sets of
100-atom random packings (uncorrelated frames): R / R_noise has median 1.02–1.05, |Δ| / σ for the coordination
numbers is within t(0.975, 3) in 90–100 % of cases (``tests/potential/test_md_compare.py`` repeats a smaller
version). Consecutive MD frames are correlated, which makes the noise a floor and the flag more eager: it is a
pointer, not a verdict; only the two acceptance measures pass or fail.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["DENSITY_LIMIT", "GR_R_LIMIT", "MDComparison", "Measure", "compare_md", "r_factor"]

#: acceptance: relative density difference (fraction)
DENSITY_LIMIT = 0.02
#: acceptance: total g(r) R-factor (fraction)
GR_R_LIMIT = 0.05
_DR = 0.05
#: "beyond sampling" thresholds (multiples of the noise) of the R-factors and of the ring measure (module docstring)
_R_THRESHOLD = 1.5
_RING_THRESHOLD = 2.5
_ANGLE_BINS = 90


def r_factor(g_ref: np.ndarray, g: np.ndarray) -> float:
    """R = sqrt(Σ (g − g_ref)² / Σ g_ref²) of two curves on one grid (NaN when g_ref is zero everywhere)."""
    g_ref, g = np.asarray(g_ref, float), np.asarray(g, float)
    den = float(np.sum(g_ref ** 2))
    return float(np.sqrt(np.sum((g - g_ref) ** 2) / den)) if den > 0 else float("nan")


@dataclass(frozen=True)
class Measure:
    """One compared quantity: the reference's and the candidate's value (None for an R-factor; in ``value_unit``),
    their difference (candidate − reference, relative for the density, or R; in ``unit``), the difference sampling
    alone explains (``noise``, same unit), and the acceptance limit (None: reported, not judged)."""

    name: str
    unit: str
    reference: float | None
    candidate: float | None
    difference: float
    noise: float
    limit: float | None = None
    kind: str = "difference"  # "difference" (signed) or "r_factor"
    value_unit: str = ""
    threshold: float = 2.0  # "beyond sampling" when |difference| > threshold × noise

    @property
    def passed(self) -> bool | None:
        if self.limit is None:
            return None
        return bool(abs(self.difference) <= self.limit)

    @property
    def beyond_sampling(self) -> bool:
        return bool(np.isfinite(self.noise) and abs(self.difference) > self.threshold * self.noise)

    @property
    def systematic(self) -> float:
        """The part of the difference sampling does not explain (R² − R_noise², or |Δ| − noise, floored at 0)."""
        if self.kind == "r_factor":
            return float(math.sqrt(max(self.difference ** 2 - self.noise ** 2, 0.0)))
        return float(max(abs(self.difference) - self.noise, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "value_unit": self.value_unit, "reference": self.reference,
                "candidate": self.candidate,
                "difference": self.difference, "noise": self.noise, "systematic": self.systematic,
                "limit": self.limit, "kind": self.kind, "passed": self.passed, "threshold": self.threshold,
                "beyond_sampling": self.beyond_sampling}

    def __repr__(self) -> str:
        verdict = "" if self.passed is None else (" pass" if self.passed else " FAIL")
        return f"Measure({self.name}: Δ {self.difference:.3g} {self.unit} ± {self.noise:.2g}{verdict})"


@dataclass(frozen=True)
class _Stats:
    density: float
    r: np.ndarray
    g_total: np.ndarray
    partials: dict[str, np.ndarray]
    cn_pair: dict[str, float]
    cn_species: dict[str, float]
    angle_centres: np.ndarray
    angle_density: dict[str, np.ndarray]
    ring_sizes: np.ndarray
    rings_per_atom: np.ndarray


def _density(atoms) -> float:
    return float(atoms.get_masses().sum() * 1.66053906660 / atoms.get_volume())


def _stats(frames: Sequence, cutoffs: Mapping[str, float], r_max: float, ring_max: int) -> _Stats:
    from ..structure import average_pair_distributions, bond_angle_distribution, bonded, pair_distributions
    from ..structure.coordination import coordination
    from ..structure.rings import ring_statistics

    avg = average_pair_distributions(pair_distributions(frames, r_max=r_max, dr=_DR))
    cn_pair: dict[str, list[float]] = {}
    cn_species: dict[str, list[float]] = {}
    angles: dict[str, np.ndarray] = {}
    centres = None
    rings = []
    sizes = None
    for atoms in frames:
        cn = coordination(atoms, dict(cutoffs))
        for k, v in cn.by_pair.items():
            cn_pair.setdefault(k, []).append(v)
        for k, v in cn.by_species.items():
            cn_species.setdefault(k, []).append(v)
        bonds = bonded(atoms, None, dict(cutoffs))
        adf = bond_angle_distribution(atoms, bonds, bins=_ANGLE_BINS, by="centre")
        centres = adf.centres
        for k, c in adf.partials.items():
            angles[k] = angles.get(k, 0) + np.asarray(c, float)
        rr = ring_statistics(atoms, bonds, criterion="primitive", max_size=ring_max)
        rings.append(rr.per_atom)
        sizes = rr.sizes
    width = 180.0 / _ANGLE_BINS
    angle_density = {k: (c / (c.sum() * width) if c.sum() else np.zeros_like(c)) for k, c in sorted(angles.items())}
    return _Stats(density=float(np.mean([_density(a) for a in frames])), r=np.asarray(avg.r),
                  g_total=np.asarray(avg.g_total),
                  partials={f"{a}-{b}": np.asarray(g) for (a, b), g in avg.partials.items()},
                  cn_pair={k: float(np.mean(v)) for k, v in cn_pair.items()},
                  cn_species={k: float(np.mean(v)) for k, v in cn_species.items()},
                  angle_centres=np.asarray(centres), angle_density=angle_density,
                  ring_sizes=np.asarray(sizes), rings_per_atom=np.mean(rings, axis=0))


@dataclass(frozen=True)
class MDComparison:
    """The structure of a candidate's MD against a reference's at one pressure (module docstring).

    ``measures``: the acceptance measures first (density, total g(r) R), then partial g(r) R, coordination,
    bond-angle R and rings. ``r`` / ``g_reference`` / ``g_candidate`` and the partials, angle densities and ring
    statistics are kept for plots and JSON.
    """

    pressure_GPa: float | None
    labels: tuple[str, str]
    n_frames: tuple[int, int]
    n_atoms: int
    cutoffs_A: dict[str, float]
    measures: tuple[Measure, ...]
    r: np.ndarray = field(repr=False)
    g_reference: np.ndarray = field(repr=False)
    g_candidate: np.ndarray = field(repr=False)
    partials_reference: dict[str, np.ndarray] = field(repr=False)
    partials_candidate: dict[str, np.ndarray] = field(repr=False)
    angle_deg: np.ndarray = field(repr=False)
    angles_reference: dict[str, np.ndarray] = field(repr=False)
    angles_candidate: dict[str, np.ndarray] = field(repr=False)
    ring_sizes: np.ndarray = field(repr=False)
    rings_reference: np.ndarray = field(repr=False)
    rings_candidate: np.ndarray = field(repr=False)
    warnings: tuple[str, ...] = ()

    @property
    def acceptance(self) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.limit is not None)

    @property
    def passed(self) -> bool:
        """Both acceptance measures met."""
        return all(m.passed for m in self.acceptance)

    def measure(self, name: str) -> Measure:
        for m in self.measures:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_dict(self, arrays: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "pressure_GPa": self.pressure_GPa, "reference": self.labels[0], "candidate": self.labels[1],
            "n_frames": {self.labels[0]: self.n_frames[0], self.labels[1]: self.n_frames[1]},
            "n_atoms": self.n_atoms, "cutoffs_A": dict(self.cutoffs_A),
            "acceptance": {"density_rel": DENSITY_LIMIT, "gr_R": GR_R_LIMIT}, "passed": self.passed,
            "measures": [m.to_dict() for m in self.measures], "warnings": list(self.warnings)}
        if arrays:
            out["r_A"] = self.r.tolist()
            out["g_total"] = {self.labels[0]: self.g_reference.tolist(), self.labels[1]: self.g_candidate.tolist()}
            out["g_partials"] = {self.labels[0]: {k: v.tolist() for k, v in self.partials_reference.items()},
                                 self.labels[1]: {k: v.tolist() for k, v in self.partials_candidate.items()}}
            out["angle_deg"] = self.angle_deg.tolist()
            out["angle_density_per_deg"] = {
                self.labels[0]: {k: v.tolist() for k, v in self.angles_reference.items()},
                self.labels[1]: {k: v.tolist() for k, v in self.angles_candidate.items()}}
            out["ring_sizes"] = self.ring_sizes.tolist()
            out["rings_per_atom"] = {self.labels[0]: self.rings_reference.tolist(),
                                     self.labels[1]: self.rings_candidate.tolist()}
        return out

    def __repr__(self) -> str:
        rho, gr = self.measure("density"), self.measure("g(r) R")
        p = "?" if self.pressure_GPa is None else f"{self.pressure_GPa:g}"
        return (f"MDComparison({self.labels[1]} vs {self.labels[0]} at {p} GPa: Δρ {100 * rho.difference:+.1f} %, "
                f"g(r) R {100 * gr.difference:.1f} % (sampling {100 * gr.noise:.1f} %), "
                f"{'passed' if self.passed else 'failed'})")

    def plot(self, ax=None):
        """Total g(r) of both runs and their difference (offset below); returns the Axes."""
        from ..structure._display import axes

        ax = axes(ax)
        ax.plot(self.r, self.g_reference, color="k", lw=1.5, label=self.labels[0])
        ax.plot(self.r, self.g_candidate, color="tab:red", lw=1.0, label=self.labels[1])
        ax.plot(self.r, self.g_candidate - self.g_reference - 0.5, color="tab:blue", lw=0.8,
                label="difference − 0.5")
        ax.axhline(-0.5, color="0.7", lw=0.5)
        gr = self.measure("g(r) R")
        p = "" if self.pressure_GPa is None else f"{self.pressure_GPa:g} GPa: "
        ax.set_title(f"{p}R = {100 * gr.difference:.1f} % (sampling {100 * gr.noise:.1f} %)", fontsize="small")
        ax.set_xlabel("r (Å)")
        ax.set_ylabel("g(r)")
        ax.legend(frameon=False)
        return ax


def _pressure(frames, given: float | None) -> float | None:
    if given is not None:
        return float(given)
    values = {a.info.get("pressure_GPa") for a in frames}
    value = next(iter(values))
    if len(values) == 1 and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def compare_md(reference: Sequence, candidate: Sequence, pressure_GPa: float | None = None,
               cutoffs: Mapping[str, float] | Sequence[str] | None = None, ring_max: int = 10,
               labels: tuple[str, str] = ("teacher", "student")) -> MDComparison:
    """Compare the production frames of a candidate's MD (``candidate``) with a reference's (``reference``) at one
    pressure (module docstring). ``cutoffs``: bond cutoffs by pair (``{"Sb-Se": 3.3}`` or ``["Sb-Se=3.3"]``); the
    pairs not given take the first minimum of the reference's g_ab(r). ``pressure_GPa``: default the frames'
    ``pressure_GPa`` (the protocol's target) when they all carry one value. Each run needs ≥ 2 frames (its blocks
    give the sampling noise); both must hold the same species and atom count."""
    from scipy.stats import t as student_t

    from ..structure import resolve_cutoffs
    from ..structure.pair import average_pair_distributions, common_r_max, pair_distributions, species_of

    reference, candidate = list(reference), list(candidate)
    for name, frames in zip(labels, (reference, candidate), strict=True):
        if len(frames) < 2:
            raise InputError(f"needs at least 2 frames (its blocks give the sampling noise), got {len(frames)}",
                             field=name)
    if int(ring_max) < 3:
        raise InputError(f"must be at least 3, got {ring_max}", field="ring_max")
    species = species_of(reference[0])
    for name, frames in zip(labels, (reference, candidate), strict=True):
        for k, a in enumerate(frames):
            if species_of(a) != species or len(a) != len(reference[0]):
                raise InputError(f"frame {k} holds {len(a)} atoms of {','.join(species_of(a))}, the first "
                                 f"{labels[0]} frame {len(reference[0])} of {','.join(species)}", field=name)
    r_max = min(common_r_max(reference), common_r_max(candidate))
    ref_pairs = average_pair_distributions(pair_distributions(reference, r_max=r_max, dr=_DR))
    cut = resolve_cutoffs(species, cutoffs, ref_pairs.pair)
    ref, cand = _stats(reference, cut.cutoffs, r_max, ring_max), _stats(candidate, cut.cutoffs, r_max, ring_max)
    n_blocks = 4 if len(reference) >= 8 else 2
    blocks = [_stats([reference[i] for i in idx], cut.cutoffs, r_max, ring_max)
              for idx in np.array_split(np.arange(len(reference)), n_blocks)]
    t_crit = float(student_t.ppf(0.975, n_blocks - 1))

    def signed_noise(values: list[float]) -> float:
        return float(math.sqrt(2 * np.var(values, ddof=1) / n_blocks))

    def pair_noise(dist) -> float:  # distance between two full runs from the distances between blocks
        d = [dist(blocks[i], blocks[j]) for i in range(n_blocks) for j in range(i + 1, n_blocks)]
        return float(math.sqrt(np.mean(np.square(d)) / n_blocks))

    measures = [
        Measure("density", "fraction", ref.density, cand.density, cand.density / ref.density - 1,
                signed_noise([b.density / ref.density for b in blocks]), DENSITY_LIMIT, value_unit="g/cm³",
                threshold=t_crit),
        Measure("g(r) R", "fraction", None, None, r_factor(ref.g_total, cand.g_total),
                pair_noise(lambda a, b: r_factor(a.g_total, b.g_total)), GR_R_LIMIT, kind="r_factor",
                threshold=_R_THRESHOLD)]
    for k in ref.partials:
        measures.append(Measure(f"g {k} R", "fraction", None, None, r_factor(ref.partials[k], cand.partials[k]),
                                pair_noise(lambda a, b, k=k: r_factor(a.partials[k], b.partials[k])),
                                kind="r_factor", threshold=_R_THRESHOLD))
    for k in ref.cn_species:
        measures.append(Measure(f"CN {k}", "neighbours", ref.cn_species[k], cand.cn_species[k],
                                cand.cn_species[k] - ref.cn_species[k],
                                signed_noise([b.cn_species[k] for b in blocks]), value_unit="neighbours",
                                threshold=t_crit))
    for k in ref.cn_pair:
        measures.append(Measure(f"CN {k}", "neighbours", ref.cn_pair[k], cand.cn_pair[k],
                                cand.cn_pair[k] - ref.cn_pair[k], signed_noise([b.cn_pair[k] for b in blocks]),
                                value_unit="neighbours", threshold=t_crit))
    for k in ref.angle_density:
        if k in cand.angle_density:
            measures.append(Measure(f"angles {k} R", "fraction", None, None,
                                    r_factor(ref.angle_density[k], cand.angle_density[k]),
                                    pair_noise(lambda a, b, k=k: r_factor(a.angle_density[k], b.angle_density[k])),
                                    kind="r_factor", threshold=_R_THRESHOLD))
    ring_l1 = float(np.abs(cand.rings_per_atom - ref.rings_per_atom).sum())
    measures.append(Measure(f"rings 3–{int(ring_max)}", "per atom", float(ref.rings_per_atom.sum()),
                            float(cand.rings_per_atom.sum()), ring_l1,
                            pair_noise(lambda a, b: float(np.abs(a.rings_per_atom - b.rings_per_atom).sum())),
                            kind="r_factor", value_unit="per atom", threshold=_RING_THRESHOLD))
    warnings = [f"{labels[1]} vs {labels[0]}: {m.name} {m.difference:.3g} exceeds the acceptance limit "
                f"{m.limit:g}" for m in measures if m.passed is False]
    warnings += list(cut.warnings)
    return MDComparison(
        pressure_GPa=_pressure(reference, pressure_GPa), labels=(str(labels[0]), str(labels[1])),
        n_frames=(len(reference), len(candidate)), n_atoms=len(reference[0]), cutoffs_A=dict(cut.cutoffs),
        measures=tuple(measures), r=ref.r, g_reference=ref.g_total, g_candidate=cand.g_total,
        partials_reference=ref.partials, partials_candidate=cand.partials, angle_deg=ref.angle_centres,
        angles_reference=ref.angle_density, angles_candidate=cand.angle_density, ring_sizes=ref.ring_sizes,
        rings_reference=ref.rings_per_atom, rings_candidate=cand.rings_per_atom, warnings=tuple(warnings))
