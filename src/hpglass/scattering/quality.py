"""The quality block of a reduction: checks with their values and limits, and what was dropped or chosen.

Every result carries it (``ScatterResult.metrics["quality"]``, result.json, the study tables and report). A failed
check is a warning: one line on the terminal, listed in ``--json`` and in the report; ``--strict`` turns warnings
into exit status 2. Notes say what the defaults chose and which rows were dropped; they are printed too but are
not failures.

Checks and why their limits:

* ``high_q_tail``: ⟨S(q)⟩ − 1 over the top 10 % of the q range used, before the Eggert/Kaplow correction (which
  pulls the tail towards 1 whatever the error). S(q) → 1 at high q is the normalization itself; |⟨S⟩ − 1| > 0.05
  means the normalization or the background scale is off (a 5 % error in α moves the tail by ≈ 0.05 ×
  ⟨f²⟩/⟨f⟩², ≥ 0.05).
* ``low_r_rms_g``: rms of the written g(r) over 0.5 Å … r_cutoff, where g = 0 exactly. Limit 0.1: glassure reaches
  0.02 on Argon_1GPa; ripples of 0.1 already shift a coordination number by a few per cent.
  ``low_r_rms_F`` is the same misfit in F(r) + 4πρr (Å⁻²), reported with it.
* ``r_cutoff_vs_r1``: r1 − r_cutoff ≥ π/q_max; closer, the Eggert correction eats first-shell signal
  (−3 … −11 % density bias on Percus–Yevick data with r_cutoff 0.1 Å below contact).
* ``independent_low_r_points``: n_eff = r_cutoff q_max/π ≥ 2 — fewer independent ΔF(r) values than that do not
  constrain ρ, α and the background at once.
* ``parameter_at_bound``: a refined parameter within 0.5 % of its search bound.
* ``density_precision``: relative density error ≤ 25 % (beyond it the value says nothing).
* ``q1_at_window_edge`` / ``fsdp_at_window_edge`` / ``r1_at_window_edge``: a peak within 3 % of the width of its
  search window from an edge is the edge, not a peak.
* ``q1_determined`` / ``r1_determined`` / ``cn_determined``: the metric's fit converged (a peak fit is bounded
  to 20 evaluations per parameter and fails rather than running on).
* ``coordination_plausible``: 0.5 ≤ CN ≤ 16 (X-ray-weighted totals: ≈ 1.2 for the Si–O shell of Mg2SiO4, 12–14
  for close packing; MAX 16 allows bcc-like 8 + 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HIGH_Q_TAIL_LIMIT = 0.05
LOW_R_RMS_LIMIT = 0.1
CN_RANGE = (0.5, 16.0)
EDGE_FRACTION = 0.03
MIN_N_EFF = 2.0
DENSITY_REL_ERR_LIMIT = 0.25


@dataclass(frozen=True)
class QualityCheck:
    name: str
    value: float | str | None
    limit: str
    ok: bool | None  # None: could not be evaluated
    message: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "limit": self.limit, "ok": self.ok,
                "message": self.message or None}


@dataclass(frozen=True)
class Quality:
    checks: tuple[QualityCheck, ...]
    notes: tuple[str, ...] = ()
    q_range: dict = field(default_factory=dict)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(c.message for c in self.checks if c.ok is False)

    def __repr__(self) -> str:
        bad = [c.name for c in self.checks if c.ok is False]
        return f"Quality({len(self.checks)} checks, failed: {bad or 'none'}, {len(self.notes)} notes)"

    def to_dict(self) -> dict:
        return {"checks": [c.to_dict() for c in self.checks], "warnings": list(self.warnings),
                "notes": list(self.notes), "q_range": self.q_range}


def _edge(name: str, what: str, pos: float | None, window: tuple[float, float] | None, unit: str) -> QualityCheck:
    if pos is None or window is None:
        return QualityCheck(name, None, f"≥ {EDGE_FRACTION:.0%} of the window from its edges", None)
    lo, hi = window
    margin = EDGE_FRACTION * (hi - lo)
    d = min(pos - lo, hi - pos)
    ok = d >= margin
    return QualityCheck(name, float(pos), f"inside {lo:.3g}–{hi:.3g} {unit} by ≥ {margin:.2g}", ok,
                        "" if ok else f"{what} at {pos:.3g} {unit} sits on the edge of its search window "
                        f"({lo:.3g}–{hi:.3g} {unit}): it is the window's edge, not a peak; set the range")


def assess(*, config, composition, q, r, fr, gr, rho, r_cut, trial, fit, limits, d_bounds, q1_range, metrics,
           qrange, r_cut_rule, q_peak) -> Quality:
    """The quality block of one reduction (module docstring)."""
    checks: list[QualityCheck] = []
    q_max = float(q[-1])
    # The tail is judged before the Eggert/Kaplow correction: the correction multiplies S(q) by a smooth function
    # that pulls a wrong tail back to 1 (a background scale of half the truth leaves the corrected tail at +0.007
    # but the uncorrected one at +0.05 on Percus–Yevick data), so only the uncorrected tail shows the error.
    sq_raw = trial.sq_raw[trial.n_low:]
    top = q >= q[0] + 0.9 * (q_max - q[0])
    tail = float(np.mean(sq_raw[top]) - 1.0)
    ok = abs(tail) <= HIGH_Q_TAIL_LIMIT
    checks.append(QualityCheck("high_q_tail", tail, f"|⟨S⟩ − 1| ≤ {HIGH_Q_TAIL_LIMIT} before the Eggert correction",
                               ok, "" if ok else (
        f"S(q) does not approach 1 at high q: ⟨S⟩ − 1 = {tail:+.3f} over {q[top][0]:.3g}–{q_max:.3g} Å⁻¹ "
        "before the Eggert correction (normalization or background scale off; check the background, composition "
        "and q range)")))
    corr = float(np.mean(trial.sq[trial.n_low:][top]) - 1.0)
    checks.append(QualityCheck("high_q_tail_corrected", corr, "reported", None))

    low = (r >= 0.5) & (r < r_cut)
    if low.sum() >= 3:
        rms_g = float(np.sqrt(np.mean(gr[low] ** 2)))
        rms_f = float(np.sqrt(np.mean((fr[low] + 4 * np.pi * rho * r[low]) ** 2)))
        ok = rms_g <= LOW_R_RMS_LIMIT
        checks.append(QualityCheck("low_r_rms_g", rms_g, f"≤ {LOW_R_RMS_LIMIT}", ok, "" if ok else (
            f"g(r) below r_cutoff is not zero: rms {rms_g:.2f} over 0.5–{r_cut:.2f} Å (termination ripples or a "
            "wrong background/normalization; try --lorch or a lower --qmax)")))
        checks.append(QualityCheck("low_r_rms_F", rms_f, "reported (Å⁻²)", None))
    else:
        checks.append(QualityCheck("low_r_rms_g", None, f"≤ {LOW_R_RMS_LIMIT}", None))

    r1 = metrics.get("r1_A")
    if r1 is not None:
        gap = float(r1 - r_cut)
        ok = gap >= np.pi / q_max
        checks.append(QualityCheck("r_cutoff_vs_r1", gap, f"r1 − r_cutoff ≥ π/q_max = {np.pi / q_max:.2f} Å", ok,
                                   "" if ok else f"r_cutoff {r_cut:.2f} Å is within π/q_max = {np.pi / q_max:.2f} Å "
                                   f"of r1 = {r1:.2f} Å: density and S(q) may be biased; lower --r-cutoff"))
    else:
        checks.append(QualityCheck("r_cutoff_vs_r1", None, "r1 − r_cutoff ≥ π/q_max", None))
    n_eff = r_cut * q_max / np.pi
    ok = n_eff >= MIN_N_EFF
    checks.append(QualityCheck("independent_low_r_points", float(n_eff), f"r_cutoff·q_max/π ≥ {MIN_N_EFF:g}", ok,
                               "" if ok else f"only {n_eff:.1f} independent F(r) values below r_cutoff "
                               f"{r_cut:.2f} Å at q_max {q_max:.3g} Å⁻¹: the density is barely constrained"))

    if fit is not None:
        names = {"rho": "density", "bkg": "background scale", "thick": "sample thickness"}
        ok = not fit.at_bound
        checks.append(QualityCheck("parameter_at_bound", ", ".join(fit.at_bound) or "none", "none at a bound", ok,
                                   "" if ok else "refinement ended on a bound of its search: "
                                   + ", ".join(names[n] for n in fit.at_bound)
                                   + f" (density bounds {d_bounds[0]:.3g}–{d_bounds[1]:.3g} g/cm³ from the "
                                   "composition); the low-r F(r) does not constrain it — check composition and "
                                   "background, limit --qmax to the clean data, or set --r-cutoff"))
        if "rho" in fit.refined:
            rel = fit.number_density_err / fit.number_density
            ok = rel <= DENSITY_REL_ERR_LIMIT
            checks.append(QualityCheck("density_precision", float(rel), f"σρ/ρ ≤ {DENSITY_REL_ERR_LIMIT}", ok,
                                       "" if ok else f"density error is {rel:.0%} of the value: the data do not "
                                       "determine the density (see the variants in density_refinement)"))

    checks.append(_edge("q1_at_window_edge", "principal peak q1", metrics.get("q1_A-1"), q1_range, "Å⁻¹"))
    fsdp = metrics.get("fsdp")
    checks.append(_edge("fsdp_at_window_edge", "FSDP", None if not fsdp else fsdp.get("position_A-1"),
                        config.fsdp_range, "Å⁻¹"))
    shell = (r_cut, max(1.25 * r_cut + 1.0, r_cut + 2.5))
    checks.append(_edge("r1_at_window_edge", "first g(r) peak r1", r1, shell, "Å"))
    cn = metrics.get("cn")
    if cn is not None:
        ok = CN_RANGE[0] <= cn <= CN_RANGE[1]
        checks.append(QualityCheck("coordination_plausible", float(cn), f"{CN_RANGE[0]:g} ≤ CN ≤ {CN_RANGE[1]:g}",
                                   ok, "" if ok else f"coordination number {cn:.3g} is implausible for a first "
                                   "shell: g(r) is distorted there (background, normalization or r_cutoff)"))
    else:
        checks.append(QualityCheck("coordination_plausible", None, f"{CN_RANGE[0]:g} ≤ CN ≤ {CN_RANGE[1]:g}", None))

    labels = {"q1": "principal peak q1", "r1": "first g(r) peak r1", "cn": "coordination number"}
    for key, label in labels.items():
        why = (metrics.get("metric_notes") or {}).get(key)
        checks.append(QualityCheck(f"{key}_determined", None if why is None else why, "determined", why is None,
                                   "" if why is None else f"{label} could not be determined: {why}"))

    notes = list(qrange.reasons)
    notes.append(f"r_cutoff {r_cut:.3f} Å: {r_cut_rule}")
    if q_peak is not None:
        notes.append(f"x unit checked: the strongest S(q) peak in {limits.q1_bounds[0]:.2f}–"
                     f"{limits.q1_bounds[1]:.2f} Å⁻¹ (where {composition} can have it) is at {q_peak:.3g} Å⁻¹, "
                     "none stronger outside")
    return Quality(tuple(checks), tuple(notes), qrange.to_dict())
