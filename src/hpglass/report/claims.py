"""The reference study's claims, checked against a study run.

Zhang et al., Phys. Rev. Lett. 127, 127002 (2021) (``../shared/reference-study.md``). :data:`CLAIMS` is one table:
each row names the claim's id and quantity, the paper's number, the rule that decides agreement, and the
function that measures the quantity on a :class:`~hpglass.study.results.StudyResult`. Nothing here is a result:
the measured column is computed from the run every time.

A measure returns :class:`Measured` (value, 1σ error when there is one, text) or a string saying why this data
cannot support the claim; the row is then "not supported by this data" with that reason. Rules
(:class:`Rule`), with σ the measured 1σ error (0 when unknown) and the paper's tolerance and 2σ added in
quadrature (two independent allowances, not a sum that lets a large σ excuse any offset):

* ``abs`` — consistent when |measured − paper| ≤ √(tol² + (2σ)²);
* ``rel`` — consistent when |measured − paper| ≤ √((tol·|paper|)² + (2σ)²);
* ``within`` — consistent when the measured value ± 2σ overlaps the paper's range [lo, hi];
* ``true`` — a qualitative statement measured as True/False.

Verdicts (:data:`VERDICTS`):

* ``agree`` — consistent, and the 95 % interval (±2σ) is no wider than the effect the claim is about
  (``Claim.effect``: by default the tolerance; for a transition pressure the 5 GPa spacing at which the paper
  locates transitions), so the agreement is evidence;
* ``uninformative`` — consistent only because the interval is wider than that effect (28 ± 15 GPa "agrees" with
  16 GPa, but it would agree with almost anything);
* ``disagree`` — not consistent;
* ``by construction`` — the data were made from the reference study's own numbers (the stream's provenance has
  ``from_reference = true``): agreement is built in and never counted;
* ``not supported by this data`` — the data cannot measure the quantity.

The headline counts independent evidence only: agree vs disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..precision import fmt, fmt_value
from ..study.schema import FROM_REFERENCE_MARK

__all__ = ["AGREE", "BY_CONSTRUCTION", "CLAIMS", "DISAGREE", "NOT_SUPPORTED", "UNINFORMATIVE", "VERDICTS", "Claim",
           "ClaimResult", "Measured", "Rule", "claim_counts", "evaluate_claims", "headline"]

NOT_SUPPORTED = "not supported by this data"
AGREE, UNINFORMATIVE, DISAGREE, BY_CONSTRUCTION = "agree", "uninformative", "disagree", "by construction"
VERDICTS = (AGREE, UNINFORMATIVE, DISAGREE, BY_CONSTRUCTION, NOT_SUPPORTED)
#: the resolution at which the paper locates a transition pressure (its pressure points are ≈ 2–5 GPa apart)
PRESSURE_EFFECT_GPA = 5.0


@dataclass(frozen=True)
class Measured:
    value: Any
    err: float | None = None
    text: str = ""
    stream: str = ""  # provenance of the data used


@dataclass(frozen=True)
class Rule:
    kind: str  # abs | rel | within | true
    tol: float = 0.0
    lo: float | None = None
    hi: float | None = None

    def describe(self, unit: str) -> str:
        if self.kind == "abs":
            return f"|Δ| ≤ √({self.tol:g}² + (2σ)²) {unit}".rstrip()
        if self.kind == "rel":
            return f"|Δ| ≤ √(({100 * self.tol:g} %)² + (2σ)²)"
        if self.kind == "within":
            return f"measured ± 2σ overlaps {self.lo:g}–{self.hi:g} {unit}".rstrip()
        return "the statement holds in this data"

    def allowance(self, paper: float | None) -> float:
        """The paper's own tolerance in the claim's unit (0 for ``true``)."""
        if self.kind == "abs":
            return self.tol
        if self.kind == "rel":
            return self.tol * abs(paper)
        if self.kind == "within":
            return (self.hi - self.lo) / 2.0
        return 0.0

    def agrees(self, m: Measured, paper: float | None) -> bool:
        """Consistent with the paper (module docstring); not yet a verdict (see :func:`verdict`)."""
        if self.kind == "true":
            return bool(m.value)
        v = float(m.value)
        s = _two_sigma(m)
        if self.kind in ("abs", "rel"):
            return abs(v - paper) <= float(np.hypot(self.allowance(paper), s))
        if self.kind == "within":
            return v + s >= self.lo and v - s <= self.hi
        raise ValueError(f"unknown rule {self.kind!r}")


def _two_sigma(m: Measured) -> float:
    return 2.0 * float(m.err) if m.err is not None and np.isfinite(m.err) else 0.0


@dataclass(frozen=True)
class Claim:
    id: str
    quantity: str
    paper: str  # the paper's number as the paper states it
    paper_value: float | None
    unit: str
    rule: Rule
    measure: Callable[[Any], Measured | str]
    effect: float | None = None  # the size of the effect the claim is about (default: module docstring)

    def effect_size(self) -> float | None:
        if self.effect is not None:
            return self.effect
        if self.unit == "GPa" and self.rule.kind in ("abs", "within"):
            return PRESSURE_EFFECT_GPA
        if self.rule.kind in ("abs", "rel", "within"):
            return self.rule.allowance(self.paper_value)
        return None

    def verdict(self, m: Measured, by_construction: bool = False) -> str:
        if by_construction:
            return BY_CONSTRUCTION
        if not self.rule.agrees(m, self.paper_value):
            return DISAGREE
        eff = self.effect_size()
        if eff is not None and _two_sigma(m) > eff:
            return UNINFORMATIVE
        return AGREE


@dataclass(frozen=True)
class ClaimResult:
    id: str
    quantity: str
    paper: str
    measured: str
    agree: str  # one of VERDICTS
    rule: str
    note: str = ""
    stream: str = ""
    value: Any = None
    err: float | None = None

    def to_dict(self) -> dict:
        v = self.value
        if isinstance(v, (np.floating, np.integer, np.bool_)):
            v = v.item()
        if isinstance(v, tuple):
            v = list(v)
        return {"id": self.id, "quantity": self.quantity, "paper": self.paper, "measured": self.measured,
                "agree": self.agree, "rule": self.rule, "note": self.note, "data": self.stream, "value": v,
                "err": self.err}


# -- helpers ----------------------------------------------------------------------------------------------------------
def _fmt(v: float | None, err: float | None = None, unit: str = "", digits: int = 3) -> str:
    return fmt(v, err, unit, digits)


def _comp(runs, attr: str = "direction"):
    return [r for r in runs if getattr(r, attr) == "compression"]


def _curves(res, direction: str | None = "compression"):
    out = []
    for run in res.transport:
        if direction is None or run.direction == direction:
            out += [(run, c) for c in run.curves]
    return sorted(out, key=lambda rc: rc[1].pressure_GPa)


def _sigma(res):
    for run in res.transport:
        reg = (run.sigma or {}).get("regimes")
        if reg:
            d = reg["directions"].get("compression") or next(iter(reg["directions"].values()))
            return run, d
    return None, None


def _diff(res):
    runs = [r for r in res.diffraction if r.direction == "compression"]
    return runs[0] if runs else None


def _fit_or_reason(res, name: str):
    r = _diff(res)
    if r is None:
        return None, "no diffraction run on compression"
    fit = getattr(r, f"{name}_fit")
    if fit is None:
        return None, r.notes.get(f"{name}_trend", f"no {name} trend")
    return (r, fit), ""


# -- measures ---------------------------------------------------------------------------------------------------------
def m_wavelength(res):
    if not res.diffraction:
        return "no diffraction run"
    r = res.diffraction[0]
    # the wavelength of synthetic or simulated patterns is chosen, usually as the paper's: set, not found
    stream = r.provenance if r.provenance.startswith("measured") or FROM_REFERENCE_MARK in r.provenance \
        else f"{r.provenance.split(' — ')[0]} {FROM_REFERENCE_MARK} — {r.provenance.split(' — ', 1)[-1]}"
    return Measured(r.wavelength_A, None, f"{r.wavelength_A:g} Å (set in the study)", stream)


def m_setup(res):
    return "a description of the experimental set-up, not a quantity measured by this study"


def m_rho_drop(res):
    run, d = _sigma(res)
    if d is None:
        return "no room-temperature ρ(P) table"
    lo, hi = d["change_between_GPa"]
    if hi < 19.0 or lo > 1.0:
        return f"the ρ(P) data span {lo:g}–{hi:g} GPa, not 0–20 GPa"
    v, e = d["change_decades"], d["change_err_decades"]
    return Measured(v, e, f"{_fmt(v, e, 'decades')} ({lo:g}–{hi:g} GPa)", run.provenance)


def m_sigma_inflection(res):
    run, d = _sigma(res)
    if d is None:
        return "no room-temperature ρ(P) table"
    b = d["breakpoints_GPa"]
    if len(b) < 2:
        return f"the σ(P) fit has {len(b) + 1} regime(s), not three"
    e = d["breakpoint_errs_GPa"][1]  # already consistent with the profile interval (DirectionRegimes)
    return Measured(b[1], e, f"second σ(P) break {_fmt(b[1], e, 'GPa')}", run.provenance)


def m_semiconducting_below(res):
    low = [(r, c) for r, c in _curves(res) if c.pressure_GPa < 21.7]
    if not low:
        return "no R(T) curve below 21.7 GPa"
    ok = all(c.data.get("semiconducting") and not c.superconducting for _, c in low)
    ps = ", ".join(f"{c.pressure_GPa:g}" for _, c in low)
    return Measured(ok, None, f"{'all' if ok else 'not all'} semiconducting at {ps} GPa", low[0][0].provenance)


def _onset_curve(res):
    cur = _curves(res)
    sc = [(r, c) for r, c in cur if c.superconducting]
    if not sc:
        return None, "no superconducting R(T) curve on compression"
    r, c = sc[0]
    below = [x for _, x in cur if x.pressure_GPa < c.pressure_GPa and not x.superconducting]
    if not below:
        return None, (f"the lowest pressure measured ({c.pressure_GPa:g} GPa) is already superconducting: the onset "
                      "is not bracketed")
    return (r, c, below[-1]), ""


def m_onset_pressure(res):
    got, why = _onset_curve(res)
    if got is None:
        return why
    r, c, prev = got
    p, e = 0.5 * (prev.pressure_GPa + c.pressure_GPa), 0.5 * (c.pressure_GPa - prev.pressure_GPa)
    return Measured(p, e, f"between {prev.pressure_GPa:g} and {c.pressure_GPa:g} GPa", r.provenance)


def m_onset_tc(res):
    got, why = _onset_curve(res)
    if got is None:
        return why
    r, c, _ = got
    tc = c.tc_K("50")
    return Measured(tc, None, f"Tc(50 %) {_fmt(tc, None, 'K')} at {c.pressure_GPa:g} GPa", r.provenance)


def _curve_near(res, p: float, tol: float = 3.0, direction="compression"):
    cands = [(r, c) for r, c in _curves(res, direction) if abs(c.pressure_GPa - p) <= tol]
    if not cands:
        return None
    return min(cands, key=lambda rc: abs(rc[1].pressure_GPa - p))


def m_two_transitions_51(res):
    got = _curve_near(res, 51.0)
    if got is None:
        return "no R(T) curve within 3 GPa of 51 GPa on compression"
    r, c = got
    pairs = sorted((t, e) for t, e in zip(c.transitions_K, c.transitions_err_K, strict=True) if t is not None)
    tr = [t for t, _ in pairs]
    if len(tr) < 2:
        return Measured(False, None, f"{len(tr)} transition(s) at {c.pressure_GPa:g} GPa: "
                        + ", ".join(_fmt(t, e, "K") for t, e in pairs), r.provenance)
    ok = abs(tr[0] - 6.5) <= 0.5 and abs(tr[-1] - 7.5) <= 0.5
    return Measured(ok, None, f"{' and '.join(_fmt(t, e) for t, e in pairs)} K at {c.pressure_GPa:g} GPa",
                    r.provenance)


def m_tc_60(res):
    got = _curve_near(res, 60.0)
    if got is None:
        return "no R(T) curve within 3 GPa of 60 GPa on compression"
    r, c = got
    tr = [t for t in c.transitions_K if t is not None]
    if len(tr) != 1:
        return Measured(float("nan"), None, f"{len(tr)} transitions at {c.pressure_GPa:g} GPa", r.provenance)
    tc = c.tc_K("50")
    return Measured(tc, None, f"one transition, Tc(50 %) {_fmt(tc, None, 'K')} at {c.pressure_GPa:g} GPa",
                    r.provenance)


def m_tc_decompression(res):
    dec = [(r, c) for r, c in _curves(res, "decompression") if c.superconducting]
    if not dec:
        return "no superconducting R(T) curve on decompression"
    r, c = max(dec, key=lambda rc: rc[1].tc_K("50") or 0.0)
    tc = c.tc_K("50")
    return Measured(tc, None, f"highest Tc(50 %) {_fmt(tc, None, 'K')} at {c.pressure_GPa:g} GPa", r.provenance)


def m_hc2_larger_on_decompression(res):
    comp = [c.hc2["hc2_whh_T"] for _, c in _curves(res, "compression") if c.hc2 and c.hc2.get("hc2_whh_T")]
    dec = [c.hc2["hc2_whh_T"] for _, c in _curves(res, "decompression") if c.hc2 and c.hc2.get("hc2_whh_T")]
    if not comp or not dec:
        have = f"Hc2 on compression: {', '.join(f'{v:.2f} T' for v in comp) or 'none'}; on decompression: " \
               f"{', '.join(f'{v:.2f} T' for v in dec) or 'none'}"
        return f"needs WHH Hc2(0) on both compression and decompression ({have})"
    ok = max(dec) > max(comp)
    streams = {run.provenance for run, _ in _curves(res, None)}
    stream = next((p for p in streams if FROM_REFERENCE_MARK in p), next(iter(streams), ""))
    return Measured(ok, None, f"max μ0Hc2(0): decompression {max(dec):.2f} T, compression {max(comp):.2f} T",
                    stream=stream)


def m_hda_conductivity(res):
    run, d = _sigma(res)
    if d is None:
        return "no room-temperature ρ(P) table"
    b = d["breakpoints_GPa"]
    if len(b) < 2:
        return "needs the middle σ(P) regime (three regimes)"
    p = np.asarray(run.sigma["pressure_GPa"], dtype=float)
    v = np.asarray(run.sigma["values"], dtype=float)
    if run.sigma["kind"] != "resistivity":
        return "the table holds resistance, not resistivity: σ in S/cm is not known"
    # the reader refuses ρ outside 1e-10–1e20 Ω·cm; a ρ handed over otherwise (0, denormal) must not overflow here
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        sig = 1.0 / v
    sel = (p >= b[0]) & (p <= b[1]) & np.isfinite(sig) & (sig > 0)
    if not sel.any():
        return "no point with a finite σ in the middle σ(P) regime"
    lo, hi = float(sig[sel].min()), float(sig[sel].max())
    ok = lo <= 3 * 4000 and hi >= 190 / 3 and lo >= 190 / 3 and hi <= 3 * 4000
    return Measured(ok, None, f"{fmt_value(lo, digits=3)}–{fmt_value(hi, digits=3)} S/cm between {b[0]:.1f} and "
                    f"{b[1]:.1f} GPa", run.provenance)


def m_highest_sc(res):
    cur = _curves(res)
    sc = [(r, c) for r, c in cur if c.superconducting]
    if not sc:
        return "no superconducting R(T) curve on compression"
    r, c = sc[-1]
    above = [x for _, x in cur if x.pressure_GPa > c.pressure_GPa and not x.superconducting]
    if not above:
        return f"superconducting at the highest pressure measured ({c.pressure_GPa:g} GPa): the end is not bracketed"
    return Measured(c.pressure_GPa, 0.5 * (above[0].pressure_GPa - c.pressure_GPa),
                    f"{c.pressure_GPa:g} GPa (none at {above[0].pressure_GPa:g} GPa)", r.provenance)


def m_q1_ambient(res):
    r = _diff(res)
    if r is None:
        return "no diffraction run on compression"
    pts = [p for p in r.points if p.value("q1_A-1") is not None]
    if not pts:
        return "no principal peak found"
    p = min(pts, key=lambda x: x.pressure_GPa)
    if p.pressure_GPa > 2.0:
        return f"the lowest pressure is {p.pressure_GPa:g} GPa, not near ambient"
    v, e = p.value("q1_A-1"), p.value("q1_err_A-1")
    return Measured(v, e, f"{_fmt(v, e, 'Å⁻¹', 4)} at {p.pressure_GPa:g} GPa", r.provenance)


def _slope(j: int):
    def m(res):
        got, why = _fit_or_reason(res, "q1")
        if got is None:
            return why
        r, fit = got
        if fit.n_segments < 2:
            return f"the q1 trend has {fit.n_segments} segment(s)"
        v, e = fit.slopes[j], fit.slope_errs[j]
        if getattr(fit, "slope_ci", ()):
            e = ci_sigma(v, e, fit.slope_ci[j], fit.ci_level)
        return Measured(v, e, _fmt(v, e, "Å⁻¹/GPa"), r.provenance)
    return m


def ci_sigma(value: float, err: float, ci: tuple[float, float], level: float) -> float:
    """:func:`hpglass.series.piecewise.ci_sigma` (imported when used: scipy stays out of the import of this module)."""
    from ..series.piecewise import ci_sigma as _ci

    return _ci(value, err, ci, level)


def m_q1_break(res):
    got, why = _fit_or_reason(res, "q1")
    if got is None:
        return why
    r, fit = got
    if fit.n_segments < 2:
        return f"the q1 trend has {fit.n_segments} segment(s)"
    v, e = fit.breakpoints[0], fit.breakpoint_errs[0]
    lo, hi = fit.breakpoint_ci[0]
    e = ci_sigma(v, e, (lo, hi), fit.ci_level)
    return Measured(v, e, f"{_fmt(v, e, 'GPa')} ({100 * fit.ci_level:g} % CI {lo:.1f}–{hi:.1f})", r.provenance)


def m_r1_turn(res):
    got, why = _fit_or_reason(res, "r1")
    if got is None:
        return why
    r, fit = got
    if fit.n_segments < 2:
        return f"the r1 trend has {fit.n_segments} segment(s)"
    s1, s2 = fit.slopes[0], fit.slopes[1]
    ok = s1 > 0 > s2
    return Measured(ok, None, f"slopes {s1:+.4f}, {s2:+.4f} Å/GPa, break {fit.breakpoints[0]:.1f} GPa", r.provenance)


def m_fsdp(res):
    r = _diff(res)
    if r is None:
        return "no diffraction run on compression"
    pts = sorted(r.points, key=lambda x: x.pressure_GPa)
    if not pts or not (pts[0].scatter.get("fsdp") or {}).get("position_A-1"):
        return "no first sharp diffraction peak found in the lowest-pressure pattern"
    f = pts[0].scatter["fsdp"]
    return Measured(f["position_A-1"], f.get("position_err_A-1"),
                    f"{_fmt(f['position_A-1'], f.get('position_err_A-1'), 'Å⁻¹')} at {pts[0].pressure_GPa:g} GPa",
                    r.provenance)


def m_crystallization(direction: str):
    def m(res):
        runs = [r for r in res.diffraction if r.direction == direction]
        if not runs:
            return f"no diffraction run on {direction}"
        for r in runs:
            c = r.crystallization or {}
            t = c.get("transition_GPa")
            if t is not None:
                lo, hi = c["bracket_GPa"]
                lo = hi if lo is None else lo
                return Measured(t, 0.5 * abs(hi - lo), f"{t:g} GPa (bracket {lo:g}–{hi:g})", r.provenance)
        return runs[0].crystallization.get("note") if runs[0].crystallization else "no crystallization result"
    return m


def m_density_deficit(res):
    r = _diff(res)
    if r is None or r.glass_eos is None:
        return "no glass EOS (needs refined densities on compression)"
    rho_c = res.crystal_density_g_cm3
    if rho_c is None:
        return "no crystal density in [sample.crystal]"
    rho_g, err = r.glass_eos.density(0.0)
    v = 100.0 * (1.0 - rho_g / rho_c)
    e = 100.0 * err / rho_c
    return Measured(v, e, f"{_fmt(v, e, '%')} (glass {_fmt(float(rho_g), float(err), digits=4)} vs crystal "
                          f"{fmt_value(rho_c)} g/cm³)", r.provenance)


def m_crossover(res):
    r = _diff(res)
    if r is None or r.crossover is None:
        return "no glass EOS or no crystal EOS"
    c = r.crossover
    if c.pressure_GPa is None:
        return Measured(float("nan"), None, f"no crossover ({c.reason})", r.provenance)
    return Measured(c.pressure_GPa, c.err_GPa, _fmt(c.pressure_GPa, c.err_GPa, "GPa"), r.provenance)


def m_boundary(name: str):
    def m(res):
        b = res.phase_diagram.boundary(name)
        if b is None:
            return f"no estimate of the {name} boundary"
        return Measured(b.pressure_GPa, b.err_GPa, f"{_fmt(b.pressure_GPa, b.err_GPa, 'GPa')} from {b.source}",
                        stream=_stream_of(res, b.source))
    return m


def _stream_of(res, source: str) -> str:
    """The provenance of the run a boundary's source names ("… (transport run run1)")."""
    for kind in ("diffraction", "transport", "simulation"):
        for run in getattr(res, kind, ()):
            if f"{kind} run {run.name})" in source:
                return run.provenance
    return ""


def m_tc_upturn(res):
    up = res.phase_diagram.tc_upturn
    if up is None:
        n = sum(1 for t in res.phase_diagram.tc_points if t["tc_K"] is not None and t["direction"] == "compression")
        return f"needs ≥ 6 superconducting Tc(P) points on compression with an increasing slope (have {n})"
    return Measured(up["pressure_GPa"], up["err_GPa"], _fmt(up["pressure_GPa"], up["err_GPa"], "GPa"),
                    up["provenance"])


# simulation ---------------------------------------------------------------------------------------------------------
def _sim_points(res):
    # the paper's structural claims follow compression: a decompression run (a glass that has been to 60 GPa and
    # keeps part of its densification) is not pooled with it
    runs = [r for r in res.simulation if r.direction == "compression"]
    pts = [p for r in runs for p in r.points]
    prov = runs[0].provenance if runs else ""
    return sorted(pts, key=lambda p: p.pressure_GPa), prov


def _need_sim(n: int = 3, span: tuple[float, float] | None = None):
    def deco(f):
        def m(res):
            pts, prov = _sim_points(res)
            if len(pts) < n:
                return f"needs simulated glasses at ≥ {n} pressures (have {len(pts)})"
            if span is not None and not (pts[0].pressure_GPa <= span[0] and pts[-1].pressure_GPa >= span[1]):
                return f"needs simulated pressures spanning {span[0]:g}–{span[1]:g} GPa"
            return f(pts, prov)
        return m
    return deco


@_need_sim(3, (10.0, 30.0))
def m_sim_r1(pts, prov):
    r1 = [(p.pressure_GPa, p.summary.get("r1_X_A")) for p in pts if p.summary.get("r1_X_A")]
    if len(r1) < 3:
        return "r1 of the simulated g(r) not found at ≥ 3 pressures"
    p_max = max(r1, key=lambda x: x[1])[0]
    return Measured(10.0 <= p_max <= 30.0, None, f"r1 largest at {p_max:g} GPa", prov)


def _g_at(p, key: str, r0: float) -> float | None:
    g = p.arrays.get("gr", {})
    if "r_A" not in g or key not in g:
        return None
    return float(np.interp(r0, g["r_A"], g[key]))


@_need_sim(2)
def m_sim_sese(pts, prov):
    a, b = _g_at(pts[0], "g_Se-Se", 3.85), _g_at(pts[-1], "g_Se-Se", 3.85)
    if a is None or b is None:
        return "no Se–Se partial g(r)"
    return Measured(b < 0.7 * a, None, f"g_SeSe(3.85 Å) {a:.2f} → {b:.2f} ({pts[0].pressure_GPa:g} → "
                    f"{pts[-1].pressure_GPa:g} GPa)", prov)


@_need_sim(2, (10.0, 16.0))
def m_sim_60deg(pts, prov):
    lo = [p.summary.get("angle_fraction_near_60") for p in pts if p.pressure_GPa < 16]
    hi = [p.summary.get("angle_fraction_near_60") for p in pts if p.pressure_GPa >= 16]
    lo, hi = [v for v in lo if v is not None], [v for v in hi if v is not None]
    if not lo or not hi:
        return "no bond-angle distributions"
    return Measured(max(hi) > 1.5 * min(lo), None, f"fraction near 60°: {min(lo):.3f} below 16 GPa, "
                    f"{max(hi):.3f} from 16 GPa", prov)


@_need_sim(2)
def m_sim_cn(pts, prov):
    p = np.array([x.pressure_GPa for x in pts])
    cn = np.array([np.nan if x.to_dict()["coordination_mean"] is None else x.to_dict()["coordination_mean"]
                   for x in pts])
    ok = np.isfinite(cn)
    if ok.sum() < 2:
        return "no coordination numbers"
    slope = float(np.polyfit(p[ok], cn[ok], 1)[0])
    return Measured(slope > 0, None, f"CN {cn[ok][0]:.2f} → {cn[ok][-1]:.2f} (slope {slope:+.3f}/GPa)", prov)


def _rings(p) -> dict[int, float]:
    r = (p.summary.get("rings") or {}).get("per_atom") or {}
    return {int(k): float(v) for k, v in r.items()}


@_need_sim(1)
def m_sim_ring4(pts, prov):
    p = pts[0]
    if p.pressure_GPa > 2.0:
        return f"the lowest simulated pressure is {p.pressure_GPa:g} GPa, not ~0"
    r = _rings(p)
    if not r or max(r.values()) <= 0:
        return "no rings found"
    main = max(r, key=r.get)
    return Measured(main == 4, None, f"most frequent ring at {p.pressure_GPa:g} GPa: {main}-membered", prov)


@_need_sim(2, (1.0, 20.0))
def m_sim_ring3(pts, prov):
    a, b = _rings(pts[0]), _rings(next(p for p in pts if p.pressure_GPa >= 20))
    if not a or not b:
        return "no rings found"
    big = lambda r: sum(r.get(k, 0.0) for k in (6, 7, 8))
    ok = b.get(3, 0.0) > a.get(3, 0.0) and big(b) < big(a)
    return Measured(ok, None, f"3-rings/atom {a.get(3, 0):.3f} → {b.get(3, 0):.3f}; 6–8-rings {big(a):.3f} → "
                    f"{big(b):.3f}", prov)


def m_sim_bcc_like(res):
    """The glass near 50 GPa is closer to the bcc reference than the glass at low pressure in both measures: the RMS
    difference of the total g(r) on 2–6 Å (or up to the shortest r_max of the three) and the RMS difference of the
    bond-angle distribution (all centres, per degree, 0–180°, with the run's bond cutoffs)."""
    pts, prov = _sim_points(res)
    refs = [r for s in res.simulation for r in s.references if "bcc" in r.label.lower()]
    near = [p for p in pts if 45 <= p.pressure_GPa <= 55]
    if not refs or not near or not pts or pts[0].pressure_GPa > 20:
        return "needs a simulated glass at 45–55 GPa, one at low pressure and a bcc reference trajectory"
    ref = refs[0].arrays.get("gr", {})
    ref_a = refs[0].arrays.get("adf", {})
    if "r_A" not in ref or "angle_deg" not in ref_a:
        return "the bcc reference has no g(r) or bond-angle distribution"

    r_top = min(6.0, ref["r_A"][-1], *(p.arrays.get("gr", {})["r_A"][-1] for p in (near[0], pts[0])))

    def dist(p):
        g, a = p.arrays.get("gr", {}), p.arrays.get("adf", {})
        rr = np.linspace(2.0, r_top, 300)
        dg = float(np.sqrt(np.mean((np.interp(rr, g["r_A"], g["g_total"])
                                    - np.interp(rr, ref["r_A"], ref["g_total"])) ** 2)))
        th = np.linspace(0.0, 180.0, 361)
        da = float(np.sqrt(np.mean((np.interp(th, a["angle_deg"], a["density_per_deg"])
                                    - np.interp(th, ref_a["angle_deg"], ref_a["density_per_deg"])) ** 2)))
        return dg, da
    (g_hi, a_hi), (g_lo, a_lo) = dist(near[0]), dist(pts[0])
    return Measured(bool(g_hi < g_lo and a_hi < a_lo), None,
                    f"against {refs[0].label}: RMS Δg(r) on 2–{r_top:.1f} Å {g_hi:.3f} at "
                    f"{near[0].pressure_GPa:g} GPa vs {g_lo:.3f} at {pts[0].pressure_GPa:g} GPa; RMS Δ(bond-angle "
                    f"density, 1/deg) {a_hi:.5f} vs {a_lo:.5f} (agrees when both are smaller near 50 GPa)", prov)


def m_sim_peierls(res):
    pts, prov = _sim_points(res)
    lo = [p for p in pts if p.pressure_GPa <= 2]
    hi = [p for p in pts if 25 <= p.pressure_GPa <= 45]
    if not lo or not hi:
        return "needs simulated glasses at ~0 GPa and at 25–45 GPa"
    a = (lo[0].summary.get("altbc") or {}).get("mean_ratio")
    b = (hi[0].summary.get("altbc") or {}).get("mean_ratio")
    if a is None or b is None:
        return "no ALTBC result"
    ea = (lo[0].summary.get("altbc_sem") or {}).get("mean_ratio")
    eb = (hi[0].summary.get("altbc_sem") or {}).get("mean_ratio")
    return Measured(a > b, None, f"long/short bond ratio {_fmt(a, ea, digits=4)} at {lo[0].pressure_GPa:g} GPa, "
                    f"{_fmt(b, eb, digits=4)} at {hi[0].pressure_GPa:g} GPa (± standard error over the frames)", prov)


def m_elf(res):
    """ELF of an LDA frame (≤ 10 GPa) against an HDA frame (25–45 GPa): delocalized ≈ 0.5 in HDA when the mean
    ELF at the bond midpoints (pairs within the run's cutoffs) is nearer to 0.5 in HDA than in LDA and the
    cell-volume fraction with 0.4 ≤ ELF ≤ 0.6 is larger in HDA."""
    pts, prov = _sim_points(res)
    elf = [(p.pressure_GPa, p.summary["elf"]) for p in pts if p.summary.get("elf")]
    lda = [x for x in elf if x[0] <= 10]
    hda = [x for x in elf if 25 <= x[0] <= 45]
    if not lda or not hda:
        return ("needs ELF grids of a simulated frame at ≤ 10 GPa (LDA) and one at 25–45 GPa (HDA) "
                "([[simulation]] elf = [{pressure_GPa, file}]; hpglass elf makes them)")
    (p_lo, lo), (p_hi, hi) = lda[0], hda[-1]
    b_lo, b_hi = lo["bond_midpoint"]["mean"], hi["bond_midpoint"]["mean"]
    if b_lo is None or b_hi is None:
        return "no bonds within the run's cutoffs_A in an ELF frame"
    f_lo, f_hi = lo["fraction_near_half"], hi["fraction_near_half"]
    w = "–".join(f"{x:g}" for x in hi["near_half_window"])
    ok = abs(b_hi - 0.5) < abs(b_lo - 0.5) and f_hi > f_lo
    return Measured(bool(ok), None,
                    f"mean ELF at bond midpoints {_fmt(b_lo, lo['bond_midpoint']['sem'])} at {p_lo:g} GPa, "
                    f"{_fmt(b_hi, hi['bond_midpoint']['sem'])} at {p_hi:g} GPa; volume with ELF {w}: "
                    f"{100 * f_lo:.1f} % vs {100 * f_hi:.1f} %; ELF > 0.7: {100 * lo['fraction_above_0.7']:.1f} % vs "
                    f"{100 * hi['fraction_above_0.7']:.1f} % (agrees when the bond-midpoint mean is nearer 0.5 and "
                    f"the ≈ 0.5 volume larger in HDA)", prov)


def m_crystal_literature(res):
    return "a property of the crystal from the literature (Efthimiopoulos 2013), not measured by this study"


# -- the table ----------------------------------------------------------------------------------------------------------
CLAIMS: tuple[Claim, ...] = (
    Claim("X0", "X-ray wavelength", "0.2952 Å", 0.2952, "Å", Rule("abs", 0.0005), m_wavelength),
    Claim("T0", "transport set-up", "DynaCool PPMS, van der Pauw four-probe", None, "", Rule("true"), m_setup),
    Claim("T1", "drop of room-T log10 ρ, 0 → 20 GPa", "7 decades", 7.0, "decades", Rule("abs", 1.0), m_rho_drop),
    Claim("T2", "inflection of σ(P) (third regime)", "57.2 GPa", 57.2, "GPa", Rule("abs", 3.0), m_sigma_inflection),
    Claim("T3", "R(T) semiconducting below 21.7 GPa", "dR/dT < 0", None, "", Rule("true"), m_semiconducting_below),
    Claim("T4", "onset pressure of superconductivity", "23.9 GPa", 23.9, "GPa", Rule("abs", 2.0), m_onset_pressure),
    Claim("T4b", "Tc at the onset", "4.5 K", 4.5, "K", Rule("abs", 0.5), m_onset_tc),
    Claim("T5", "two transitions at 51 GPa (0 T)", "6.5 K and 7.5 K", None, "", Rule("true"), m_two_transitions_51),
    Claim("T6", "single transition at 60 GPa", "Tc ≈ 7.9 K", 7.9, "K", Rule("abs", 0.5), m_tc_60),
    Claim("T7", "Tc on decompression", "≈ 10 K", 10.0, "K", Rule("abs", 1.0), m_tc_decompression),
    Claim("T8", "μ0Hc2(0) (WHH) larger on decompression", "yes (Fig. 1d)", None, "", Rule("true"),
          m_hc2_larger_on_decompression),
    Claim("T9", "σ of the high-density glass", "190–4000 S/cm", None, "S/cm", Rule("true"), m_hda_conductivity),
    Claim("T10", "highest pressure with superconductivity", "65 GPa", 65.0, "GPa", Rule("abs", 3.0), m_highest_sc),
    Claim("S1a", "principal peak q1 near ambient", "≈ 2.2 Å⁻¹", 2.2, "Å⁻¹", Rule("abs", 0.1), m_q1_ambient),
    Claim("S1b", "dq1/dP, 0.6–15.7 GPa", "0.021 Å⁻¹/GPa", 0.021, "Å⁻¹/GPa", Rule("rel", 0.2), _slope(0)),
    Claim("S1c", "dq1/dP above 15.7 GPa", "0.0048 Å⁻¹/GPa", 0.0048, "Å⁻¹/GPa", Rule("rel", 0.2), _slope(1)),
    Claim("S1d", "q1 breakpoint", "15.7 GPa", 15.7, "GPa", Rule("abs", 1.0), m_q1_break),
    Claim("S2", "r1 grows below the break, then shrinks", "yes (Fig. 2d, e)", None, "", Rule("true"), m_r1_turn),
    Claim("S3", "FSDP at ambient", "≈ 1.2 Å⁻¹", 1.2, "Å⁻¹", Rule("abs", 0.1), m_fsdp),
    Claim("S4", "crystallization on compression", "58.1 GPa", 58.1, "GPa", Rule("abs", 3.0),
          m_crystallization("compression")),
    Claim("S4b", "amorphous again on decompression", "≈ 24 GPa", 24.0, "GPa", Rule("abs", 3.0),
          m_crystallization("decompression")),
    Claim("S5", "crystal: Pnma → bcc", "51 GPa", 51.0, "GPa", Rule("abs", 3.0), m_crystal_literature),
    Claim("D1", "glass less dense than crystal at ambient", "16 %", 16.0, "%", Rule("abs", 3.0), m_density_deficit,
          effect=16.0),
    Claim("D2", "glass–crystal density crossover", "16 GPa", 16.0, "GPa", Rule("abs", 2.0), m_crossover),
    Claim("D3a", "LDA/HDA boundary", "≈ 20 GPa", 20.0, "GPa", Rule("abs", 5.0), m_boundary("LDA/HDA")),
    Claim("D3b", "HDA/bcc boundary", "50–58 GPa", None, "GPa", Rule("within", lo=50.0, hi=58.0),
          m_boundary("HDA/bcc")),
    Claim("P1", "Tc(P) upturn (bcc appears)", "≈ 50 GPa", 50.0, "GPa", Rule("abs", 5.0), m_tc_upturn),
    Claim("M1", "simulated r1 moves out up to 20 GPa, then contracts", "yes (Fig. 3a)", None, "", Rule("true"),
          m_sim_r1),
    Claim("M2", "Se–Se correlation at 3.85 Å diminishes", "yes", None, "", Rule("true"), m_sim_sese),
    Claim("M3", "60° bond angles appear from 16 GPa", "yes", None, "", Rule("true"), m_sim_60deg),
    Claim("M4", "coordination rises with pressure", "yes", None, "", Rule("true"), m_sim_cn),
    Claim("M5a", "4-membered ring the main unit at 0 GPa", "yes", None, "", Rule("true"), m_sim_ring4),
    Claim("M5b", "3-rings replace 6–8-rings by 20 GPa", "yes", None, "", Rule("true"), m_sim_ring3),
    Claim("M6", "glass near 50 GPa resembles bcc", "yes", None, "", Rule("true"), m_sim_bcc_like),
    Claim("M7", "Peierls distortion reduced in HDA (35 GPa)", "yes", None, "", Rule("true"), m_sim_peierls),
    Claim("M8", "ELF delocalized (≈ 0.5) in HDA", "yes", None, "", Rule("true"), m_elf),
)


def _short(provenance: str) -> str:
    """"SYNTHETIC — model …" → "SYNTHETIC" (the report states each stream's model once, above the table)."""
    return provenance.split(" — ")[0]


def evaluate_claims(result, claims: tuple[Claim, ...] = CLAIMS) -> list[ClaimResult]:
    """One :class:`ClaimResult` per claim: the measured value, agree yes/no/“not supported by this data”."""
    from ..errors import HpglassError

    out = []
    for c in claims:
        rule = c.rule.describe(c.unit)
        try:
            m = c.measure(result)
        except (HpglassError, KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as exc:
            m = f"could not be measured: {exc}"
        if isinstance(m, str):
            out.append(ClaimResult(c.id, c.quantity, c.paper, "—", NOT_SUPPORTED, rule, note=m))
            continue
        v = m.value
        built_in = FROM_REFERENCE_MARK in (m.stream or "")
        note = "the data were made from the reference study's numbers: not evidence" if built_in else ""
        if not isinstance(v, (bool, np.bool_)) and v is not None and not np.isfinite(float(v)) and c.rule.kind != "true":
            out.append(ClaimResult(c.id, c.quantity, c.paper, m.text, BY_CONSTRUCTION if built_in else DISAGREE,
                                   rule, note=note, stream=_short(m.stream), value=None))
            continue
        verdict = c.verdict(m, built_in)
        if verdict == UNINFORMATIVE:
            note = (f"the 95 % interval (±{_two_sigma(m):.2g}) is wider than the effect ({c.effect_size():g} "
                    f"{c.unit}): consistent, but not evidence").replace("  ", " ")
        out.append(ClaimResult(c.id, c.quantity, c.paper, m.text, verdict, rule, note=note, stream=_short(m.stream),
                               value=v if not isinstance(v, np.bool_) else bool(v), err=m.err))
    return out


def claim_counts(claims: list[dict] | list[ClaimResult]) -> dict[str, int]:
    """How many rows have each verdict (dicts from ``ClaimResult.to_dict`` or the results themselves)."""
    verdicts = [c["agree"] if isinstance(c, dict) else c.agree for c in claims]
    return {v: sum(1 for x in verdicts if x == v) for v in VERDICTS}


def headline(counts: dict[str, int]) -> str:
    """The one-line summary: independent evidence first; by-construction rows are never counted as agreement."""
    return (f"{counts[AGREE]} agree, {counts[DISAGREE]} disagree (independent evidence); {counts[UNINFORMATIVE]} "
            f"consistent but uninformative, {counts[BY_CONSTRUCTION]} by construction, {counts[NOT_SUPPORTED]} "
            "not supported by this data")
