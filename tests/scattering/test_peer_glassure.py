"""Peer comparison: hpglass vs glassure (Prescher et al.) on the same patterns.

What is compared (run ``pytest -s -m peer tests/scattering/test_peer_glassure.py`` to see the tables):

1. One fixed-density reduction (Krogh-Moe normalization, linear extension of S(q) to q = 0 with the same s0,
   same form factors — glassure's ``scattering_factor_source="xraylib"`` — no Kaplow iterations) of a
   synthetic Percus–Yevick Sb2Se3 pattern and of the real Mg2SiO4 glass pattern from glassure's own test data.
2. Density + background-scale refinement (Eggert low-r F(r) criterion) on a noisy synthetic pattern at
   q_max = 10, 12, 14, 16 Å⁻¹.

What differs between the two codes, measured here (sizes in the printed tables):

* glassure's integral (Krogh-Moe) normalization does NOT apply the Klein–Nishina factor to the Compton term even
  with ``kn_correction=True`` (calc.py, ``IntNormalization`` branch: ``norm_inc = incoherent_scattering``; the
  ``FitNormalization`` branch multiplies by ``inc_correction``). hpglass applies it. The synthetic data contain
  KN-corrected Compton scattering, and hpglass's S(q) is the one closer to the truth.
* glassure's Krogh-Moe integral runs over the measured range only, weighted by exp(−0.001 q²) by default;
  hpglass integrates 0 … q_max (the linear low-q extension included) without attenuation.
* glassure's default transform is an FFT interpolated onto the r grid; hpglass integrates (trapezoid) on the
  measured grid. glassure's ``integral`` method is the same sum as hpglass's.
* glassure's ``Pattern.limit`` is exclusive at both ends (``x_min < x < x_max``), hpglass's inclusive.
* g/cm³ → atoms/Å³ uses different atomic weights (hpglass: xraylib's, e.g. Mg 24.32, H 1.01; glassure: current
  standard values, Mg 24.305): 0 for Sb2Se3, 2.6e-4 for Mg2SiO4.

With the normalization factor α made the same, everything else (Faber–Ziman S(q), low-q extension, sine
transform, g(r)) agrees to rounding error: that is the "same algorithm" check.

glassure runs on its default backend (the bundled Rust engine); its pure-Python backend needs
``glassure[legacy]``/pandas and, when present, is checked to give the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

glassure = pytest.importorskip("glassure")

from glassure.calc import calculate_pdf, create_calculate_pdf_configs  # noqa: E402
from glassure.configuration import (  # noqa: E402
    ExtrapolationConfig,
    IntNormalization,
    OptimizeConfig,
)
from glassure.methods import ExtrapolationMethod, FourierTransformMethod  # noqa: E402
from glassure.optimization import optimize_density  # noqa: E402
from glassure.pattern import Pattern as GlassurePattern  # noqa: E402

from hpglass.composition import Composition  # noqa: E402
from hpglass.scattering.config import make_config  # noqa: E402
from hpglass.scattering.hard_sphere import percus_yevick_sq, sigma_for  # noqa: E402
from hpglass.scattering.pipeline import prepare, process  # noqa: E402
from hpglass.scattering.reduce import Reducer  # noqa: E402
from hpglass.scattering.synthetic import synthetic_patterns  # noqa: E402
from hpglass.scattering.transform import f_of_r, g_of_r  # noqa: E402
from hpglass.xray import scattering_factors  # noqa: E402

pytestmark = pytest.mark.peer

# The synthetic sample: the demo's a-Sb2Se3 model (PY hard spheres, η = 0.40, 4.90 g/cm³, α = 5, bkg × 0.85).
COMP = "Sb2Se3"
LAM = 0.2952
DENSITY = 4.90
ETA = 0.40
BKG_SCALE = 0.85
ALPHA_TRUE = 5.0
Q_MIN, Q_MAX, N_Q = 0.8, 12.0, 3000
R_COMPARE = (0.5, 10.0)  # g(r) is compared here; at r = 0 the codes differ by convention only (hp 0, glassure 1)

# Tolerances (justified in the tests that use them).
TOL_SAME_ALPHA_S = 1e-10
TOL_SAME_ALPHA_G = 1e-8
TOL_ALIGNED_S = 1e-3
TOL_ALIGNED_G = 0.03
TOL_REAL_S = 2e-3
TOL_REAL_G = 0.05


# ---------------------------------------------------------------------------------------------------------------
# helpers
def _glassure_bounds(x: np.ndarray, q_min: float, q_max: float) -> tuple[float, float]:
    """Limits that make glassure's exclusive ``limit`` keep exactly the points hpglass keeps (inclusive)."""
    inside = np.flatnonzero((x >= q_min) & (x <= q_max))
    i0, i1 = inside[0], inside[-1]
    lo = 0.5 * (x[i0] + x[i0 - 1]) if i0 > 0 else x[i0] - 0.5 * (x[1] - x[0])
    hi = 0.5 * (x[i1] + x[i1 + 1]) if i1 + 1 < x.size else x[i1] + 0.5 * (x[-1] - x[-2])
    return float(lo), float(hi)


def glassure_density(composition: str, density: float) -> float:
    """The g/cm³ that gives glassure the same atoms/Å³ as hpglass at ``density``.

    The two codes convert with different atomic weights (hpglass: xraylib's table, e.g. Mg 24.32; glassure: its
    own, Mg 24.305), so the same g/cm³ is a slightly different number density (Mg2SiO4: 2.6e-4; Sb2Se3: 0).
    """
    from glassure.utility import convert_density_to_grams_per_cubic_centimeter, parse_str_to_composition

    rho = Composition.parse(composition).number_density(density)
    return float(convert_density_to_grams_per_cubic_centimeter(parse_str_to_composition(composition), rho))


def run_glassure(sample, bkg, composition, density, bkg_scale, wavelength, s0, q_min, q_max, *,
                 attenuation=0.001, transform=FourierTransformMethod.FFT, kn=True, inclusive=True,
                 r_cutoff=None, same_rho=True):
    """glassure configured like hpglass's chain: Krogh-Moe (IntNormalization), LINEAR extension to s0, xraylib.

    ``same_rho``: give glassure the g/cm³ that matches hpglass's atoms/Å³ (``glassure_density``); off, the
    density is passed as a user would type it.
    """
    if same_rho:
        density = glassure_density(composition, density)
    dc, cc = create_calculate_pdf_configs(GlassurePattern(sample.x, sample.y), composition, density,
                                          GlassurePattern(bkg.x, bkg.y), bkg_scale)
    t = cc.transform
    t.normalization = IntNormalization(attenuation_factor=attenuation)
    t.extrapolation = ExtrapolationConfig(method=ExtrapolationMethod.LINEAR, s0=s0)
    t.kn_correction = kn
    t.wavelength = wavelength
    t.scattering_factor_source = "xraylib"
    t.fourier_transform_method = transform
    t.q_min, t.q_max = _glassure_bounds(sample.x, q_min, q_max) if inclusive else (q_min, q_max)
    t.r_min, t.r_max, t.r_step = 0.0, 10.0, 0.01
    if r_cutoff is not None:
        cc.optimize = OptimizeConfig(r_cutoff=r_cutoff)
    return dc, cc


def glassure_pdf(*args, **kw):
    return calculate_pdf(*run_glassure(*args, **kw))


def on_grid(q: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """glassure's S(q) on hpglass's measured grid q, and the mask of the points glassure has (grids are shared)."""
    m = (q >= gx[0] - 1e-9) & (q <= gx[-1] + 1e-9)
    return np.interp(q, gx, gy), m


def r_compare(r: np.ndarray) -> np.ndarray:
    return (r >= R_COMPARE[0] - 1e-9) & (r <= R_COMPARE[1] + 1e-9)


def alpha_of_glassure(sq_glassure: np.ndarray, intensity: np.ndarray, reducer: Reducer) -> tuple[float, float]:
    """glassure's normalization factor n, read back from its S(q) = (n I − C − ⟨f²⟩)/⟨f⟩² + 1 point by point.

    Returns (median n, relative spread): a spread at rounding level shows glassure's S(q) has exactly the
    Faber–Ziman form with hpglass's ⟨f²⟩, ⟨f⟩² and Compton term.
    """
    sf = reducer.sf
    n = ((sq_glassure - 1.0) * sf.f_mean_squared + sf.f_squared_mean + reducer.compton) / intensity
    med = float(np.median(n))
    return med, float(np.max(np.abs(n / med - 1.0)))


def _table(title: str, header: list[str], rows: list[list]) -> str:
    lines = [title, "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# synthetic pattern
@pytest.fixture(scope="module")
def synth():
    comp = Composition.parse(COMP)
    rho = comp.number_density(DENSITY)
    sigma = sigma_for(rho, ETA)
    q = np.linspace(Q_MIN, Q_MAX, N_Q)
    truth = percus_yevick_sq(q, rho, sigma)
    sample, bkg = synthetic_patterns(q, truth, COMP, LAM, bkg_scale=BKG_SCALE, alpha=ALPHA_TRUE)
    s0 = scattering_factors(comp, q).s0_limit  # Laue limit 1 − ⟨Z²⟩/⟨Z⟩², the same in both codes
    return {"comp": comp, "rho": rho, "sigma": sigma, "q": q, "truth": truth, "sample": sample, "bkg": bkg,
            "s0": s0}


def hp_fixed(sample, bkg, composition, density, bkg_scale, wavelength, s0, q_min, q_max, kn=True):
    cfg = make_config(composition=composition, wavelength=wavelength, density=density, bkg_scale=bkg_scale,
                      q_min=q_min, q_max=q_max, s0=s0, iterations=0, r_cutoff=1.0, kn_correction=kn,
                      normalization="krogh-moe", extrapolation="linear", lorch=False)
    return process(sample, bkg, cfg), cfg


@pytest.fixture(scope="module")
def synth_runs(synth):
    d = synth
    args = (d["sample"], d["bkg"], COMP, DENSITY, BKG_SCALE, LAM, d["s0"], Q_MIN, Q_MAX)
    out = {"hp": hp_fixed(*args)[0], "hp_nokn": hp_fixed(*args, kn=False)[0]}
    # glassure as a user sets it (defaults except what the comparison needs), then step by step aligned.
    out["gl_default"] = glassure_pdf(*args, inclusive=False, same_rho=False)
    out["gl_inclusive"] = glassure_pdf(*args)
    out["gl_att0"] = glassure_pdf(*args, attenuation=0.0)
    out["gl_aligned"] = glassure_pdf(*args, attenuation=0.0, transform=FourierTransformMethod.INTEGRAL)
    out["gl_aligned_kn_off"] = glassure_pdf(*args, attenuation=0.0, transform=FourierTransformMethod.INTEGRAL,
                                            kn=False)
    # Does glassure apply KN in its integral normalization? (3.0.0: no — then KN on/off give identical S(q).)
    out["gl_applies_kn"] = not np.allclose(out["gl_aligned"].sq.y, out["gl_aligned_kn_off"].sq.y,
                                           rtol=0, atol=1e-12)
    out["hp_aligned"] = out["hp"] if out["gl_applies_kn"] else out["hp_nokn"]
    return out


def test_glassure_integral_normalization_and_klein_nishina(synth_runs):
    """Record whether glassure applies the KN factor in its Krogh-Moe branch (3.0.0 does not).

    Not an assertion on the peer's physics: the tests below align hpglass to whatever glassure does.
    """
    applies = synth_runs["gl_applies_kn"]
    print(f"\nglassure {glassure.__version__} (backend {glassure.get_backend()}): IntNormalization applies "
          f"Klein–Nishina: {applies}")
    assert isinstance(applies, bool)


def test_glassure_backends_agree(synth):
    """glassure's Rust engine (used here) gives its pure-Python reference code's S(q) and g(r) (when installed).

    So the differences found in this file are glassure's, not an artefact of its native port.
    """
    pytest.importorskip("pandas", reason="glassure's Python backend needs glassure[legacy] (pandas)")
    d = synth
    args = (d["sample"], d["bkg"], COMP, DENSITY, BKG_SCALE, LAM, d["s0"], Q_MIN, Q_MAX)
    for kw in ({"inclusive": False, "same_rho": False}, {"attenuation": 0.0}, {"r_cutoff": 2.5}):
        dc, cc = run_glassure(*args, **kw)
        rust, python = calculate_pdf(dc, cc, backend="rust"), calculate_pdf(dc, cc, backend="python")
        assert np.allclose(rust.sq.x, python.sq.x, rtol=0, atol=1e-12)
        assert np.max(np.abs(rust.sq.y - python.sq.y)) < 1e-10
        m = r_compare(rust.gr.x)
        assert np.max(np.abs(rust.gr.y - python.gr.y)[m]) < 1e-8


def test_same_chain_when_normalization_is_the_same(synth, synth_runs):
    """With glassure's own α fed to hpglass's chain, S(q) and g(r) agree to rounding error.

    glassure's α is read back from its S(q) point by point; its spread (≤ 1e-12) shows both codes use the same
    ⟨f²⟩, ⟨f⟩², Compton (± KN) and Faber–Ziman formula. Then hpglass's Reducer at that α gives S(q) (measured
    and low-q extension) and, through hpglass's trapezoid sine transform, g(r). Tolerances: 1e-10 in S and 1e-8
    in g are floating-point summation error over ~3200 terms, amplified in g by 1/(4πρr) ≤ 5.2 Å² at 0.5 Å.
    """
    d, runs = synth, synth_runs
    G = runs["gl_aligned"]
    cfg = make_config(composition=COMP, wavelength=LAM, density=DENSITY, bkg_scale=BKG_SCALE, q_min=Q_MIN,
                      q_max=Q_MAX, s0=d["s0"], iterations=0, kn_correction=runs["gl_applies_kn"])
    q, y, b = prepare(d["sample"], d["bkg"], cfg)
    red = Reducer(q, y, b, cfg)
    n_meas = q.size
    assert np.allclose(G.sq.x[-n_meas:], q, rtol=0, atol=1e-12)
    alpha_gl, spread = alpha_of_glassure(G.sq.y[-n_meas:], red.intensity(BKG_SCALE), red)
    assert spread < 1e-12

    trial = red.trial(d["rho"], BKG_SCALE, alpha=alpha_gl)
    ds = np.max(np.abs(trial.sq[trial.n_low:] - G.sq.y[-n_meas:]))
    g_low_x, g_low_y = G.sq.x[:-n_meas], G.sq.y[:-n_meas]
    ds_low = np.max(np.abs(np.interp(g_low_x, trial.q, trial.sq) - g_low_y))
    fr = f_of_r(trial.q, trial.sq, G.gr.x)
    gr = g_of_r(G.gr.x, fr, d["rho"])
    m = r_compare(G.gr.x)
    dg = np.max(np.abs(gr - G.gr.y)[m])
    dfr = np.max(np.abs(fr - G.fr.y))
    print(f"\nsame α ({alpha_gl:.6f}): max|ΔS| {ds:.1e} (low-q extension {ds_low:.1e}), max|ΔF| {dfr:.1e} Å⁻², "
          f"max|Δg| {dg:.1e} on {R_COMPARE[0]}–{R_COMPARE[1]} Å")
    assert ds < TOL_SAME_ALPHA_S
    assert ds_low < TOL_SAME_ALPHA_S
    assert dg < TOL_SAME_ALPHA_G


def test_aligned_settings_agree(synth, synth_runs):
    """hpglass and glassure with every setting aligned that glassure exposes: S(q) within 1e-3, g(r) within 0.03.

    Aligned: attenuation 0, trapezoid transform, the same end points, KN as glassure does it. What remains is
    hpglass's low-q term of the Krogh-Moe integral (0 … q_min along the linear extension), which changes α by
    δα/α ≈ 2.5e-4 here. The test checks that this is the whole difference: ΔS(q) = δα·I(q)/⟨f⟩² to rounding
    error. Tolerances: |ΔS| ≤ (δα/α)·max(αI/⟨f⟩²) ≈ 2.5e-4 × 2.1 ≈ 5e-4, given 1e-3; Δg = ΔF/(4πρr) with ΔF the
    transform of that smooth ΔS(q) — its largest value is at the lower end of the r window (0.024 at 0.5 Å,
    < 0.007 beyond 1 Å), given 0.03.
    """
    d, runs = synth, synth_runs
    H, G = runs["hp_aligned"], runs["gl_aligned"]
    gs, m = on_grid(H.q, G.sq.x, G.sq.y)
    assert m.all()
    ds = gs - H.sq
    sf = scattering_factors(d["comp"], H.q)
    intensity = d["sample"].y - BKG_SCALE * d["bkg"].y
    alpha_gl, _ = alpha_of_glassure(gs, intensity, Reducer(H.q, d["sample"].y, d["bkg"].y, H.config))
    predicted = -(H.alpha - alpha_gl) * intensity / sf.f_mean_squared
    rm = r_compare(H.r)
    dg = np.abs(np.interp(H.r, G.gr.x, G.gr.y) - H.gr)[rm]
    print(f"\naligned: α hp {H.alpha:.6f} glassure {alpha_gl:.6f} (δα/α {H.alpha / alpha_gl - 1:+.2e}); "
          f"max|ΔS| {np.abs(ds).max():.2e}; max|ΔS − δα·I/⟨f⟩²| {np.abs(ds - predicted).max():.1e}; "
          f"max|Δg| {dg.max():.2e} (r > 1 Å: {dg[H.r[rm] > 1].max():.2e})")
    assert abs(H.alpha / alpha_gl - 1) < 1e-3
    assert np.max(np.abs(ds - predicted)) < 1e-10
    assert np.max(np.abs(ds)) < TOL_ALIGNED_S
    assert dg.max() < TOL_ALIGNED_G


def test_each_difference_quantified_and_truth_decides(synth, synth_runs):
    """Size of each difference between the codes, and which result is closer to the known PY S(q), g(r).

    g_true is the transform of the exact PY S(q) on the same grid (0 … q_max, same step), so it carries the
    same termination ripple: the rms differences measure the reduction, not the q_max cut.
    Asserted: hpglass's S(q) and g(r) are closer to the truth than glassure's (default-style settings), its α is
    within 0.1 % of the true α, and applying KN (which the data contain) makes hpglass's S(q) better.
    """
    d, runs = synth, synth_runs
    q, truth, rho = d["q"], d["truth"], d["rho"]
    H = runs["hp"]
    s_true_full = percus_yevick_sq(H.q_full, rho, d["sigma"])
    g_true = g_of_r(H.r, f_of_r(H.q_full, s_true_full, H.r), rho)
    rm = r_compare(H.r)
    intensity = d["sample"].y - BKG_SCALE * d["bkg"].y
    red = Reducer(q, d["sample"].y, d["bkg"].y, runs["hp_aligned"].config)

    def stats(res, hp_side: bool):
        if hp_side:
            sq, m, alpha = res.sq, np.ones(q.size, bool), res.alpha
            gr = res.gr
        else:
            sq, m = on_grid(q, res.sq.x, res.sq.y)
            alpha = alpha_of_glassure(sq[m], intensity[m], Reducer(q[m], d["sample"].y[m], d["bkg"].y[m],
                                                                   red.config))[0]
            gr = np.interp(H.r, res.gr.x, res.gr.y)
        return {"sq": sq, "m": m, "gr": gr, "alpha": alpha,
                "rms_s": float(np.sqrt(np.mean((sq - truth)[m] ** 2))),
                "rms_g": float(np.sqrt(np.mean((gr - g_true)[rm] ** 2)))}

    st = {k: stats(runs[k], k.startswith("hp")) for k in
          ("hp", "hp_nokn", "gl_default", "gl_inclusive", "gl_att0", "gl_aligned")}

    def diff(a, b):
        m = st[a]["m"] & st[b]["m"]
        return (float(np.max(np.abs(st[a]["sq"] - st[b]["sq"])[m])),
                float(np.max(np.abs(st[a]["gr"] - st[b]["gr"])[rm])))

    hp_low_q = "hp" if runs["gl_applies_kn"] else "hp_nokn"  # hpglass run with glassure's KN treatment
    kn_note = "" if runs["gl_applies_kn"] else "; glassure's integral normalization omits it"
    effects = [
        (f"Klein–Nishina on the Compton term (hp on vs off{kn_note})", *diff("hp", "hp_nokn")),
        ("Krogh-Moe attenuation exp(−0.001 q²) (glassure default vs 0)", *diff("gl_inclusive", "gl_att0")),
        ("FFT (glassure default) vs trapezoid transform", *diff("gl_att0", "gl_aligned")),
        ("glassure exclusive q limits (drops the points at q_min, q_max)", *diff("gl_default", "gl_inclusive")),
        ("hpglass low-q term 0…q_min in Krogh-Moe (all else aligned)", *diff(hp_low_q, "gl_aligned")),
    ]
    print("\n" + _table("Differences hpglass ↔ glassure, synthetic PY Sb2Se3, q 0.8–12 Å⁻¹, fixed ρ and bkg",
                        ["difference", "max |ΔS(q)|", f"max |Δg(r)| {R_COMPARE[0]}–{R_COMPARE[1]} Å"],
                        [[lab, f"{a:.2e}", f"{b:.2e}"] for lab, a, b in effects]))
    labels = {"hp": "hpglass (KN on)", "hp_nokn": "hpglass, KN off",
              "gl_default": "glassure (att 0.001, FFT, exclusive limits)", "gl_inclusive": "glassure, inclusive limits",
              "gl_att0": "glassure, att 0", "gl_aligned": "glassure, att 0, trapezoid"}
    print(_table("Against the truth (true α = 5)", ["run", "α/α_true − 1", "rms S − S_true", "rms g − g_true"],
                 [[labels[k], f"{v['alpha'] / ALPHA_TRUE - 1:+.2e}", f"{v['rms_s']:.2e}", f"{v['rms_g']:.2e}"]
                  for k, v in st.items()]))

    assert abs(st["hp"]["alpha"] / ALPHA_TRUE - 1) < 1e-3
    assert st["hp"]["rms_s"] < st["hp_nokn"]["rms_s"]  # the data contain KN: applying it is right
    assert st["hp"]["rms_s"] < st["gl_default"]["rms_s"]
    assert st["hp"]["rms_g"] < st["gl_default"]["rms_g"]
    assert st["hp"]["rms_s"] < 1.5e-3


# ---------------------------------------------------------------------------------------------------------------
# density refinement
Q_MAXES = (10.0, 12.0, 14.0, 16.0)
R_CUTOFF = 2.5  # Å; the PY diameter is 2.92 Å, so g(r) = 0 exactly below it
START_DENSITY, START_BKG = 5.2, 0.9  # both codes start here (+6 % in ρ, +6 % in the background scale)


@pytest.fixture(scope="module")
def noisy():
    comp = Composition.parse(COMP)
    rho = comp.number_density(DENSITY)
    q = np.linspace(Q_MIN, max(Q_MAXES), N_Q)
    truth = percus_yevick_sq(q, rho, sigma_for(rho, ETA))
    sample, bkg = synthetic_patterns(q, truth, COMP, LAM, bkg_scale=BKG_SCALE, alpha=ALPHA_TRUE, counts=2000.0,
                                     seed=1)
    return sample, bkg, scattering_factors(comp, q).s0_limit


def test_density_refinement_vs_glassure(noisy):
    """hpglass refines ρ and the background scale within ±2 % at every q_max; glassure's numbers are recorded.

    Both start from ρ = 5.2 g/cm³ and bkg = 0.9 with r_cutoff = 2.5 Å, Krogh-Moe normalization, KN on, xraylib
    factors, linear extension to the same s0. hpglass: ``process(refine_density=True, refine_bkg=True)``
    (α free, Lorch-windowed χ² after one Eggert iteration). glassure: ``optimize_density(method="fr")`` with
    its defaults (lsq, vary bkg within ×(0.9, 1.1) of the start, OptimizeConfig(r_cutoff) with 5 iterations,
    attenuation 0.001, FFT). In glassure the background scale ends on the lower bound of its window
    (0.81 = −4.7 %) at every q_max — the Krogh-Moe-tied α lets the background absorb the sum-rule error —
    so hpglass's background error is asserted to be the smaller one; glassure's density is only recorded.
    """
    sample, bkg, s0 = noisy
    rows, hp_err, gl_err = [], [], []
    for q_max in Q_MAXES:
        cfg = make_config(composition=COMP, wavelength=LAM, density=START_DENSITY, bkg_scale=START_BKG,
                          refine_density=True, refine_bkg=True, q_min=Q_MIN, q_max=q_max, r_cutoff=R_CUTOFF, s0=s0)
        H = process(sample, bkg, cfg)
        dc, cc = run_glassure(sample, bkg, COMP, START_DENSITY, START_BKG, LAM, s0, Q_MIN, q_max,
                              r_cutoff=R_CUTOFF, same_rho=False)
        dens_g, dens_g_err, bkg_g, bkg_g_err = optimize_density(dc, cc, method="fr")
        e_hp = (H.density_g_cm3 / DENSITY - 1, H.bkg_scale / BKG_SCALE - 1)
        e_gl = (dens_g / DENSITY - 1, bkg_g / BKG_SCALE - 1)
        hp_err.append(e_hp)
        gl_err.append(e_gl)
        rows.append([f"{q_max:g}", f"{H.density_g_cm3:.3f} ± {H.density_err_g_cm3:.3f}", f"{100 * e_hp[0]:+.2f}",
                     f"{H.bkg_scale:.4f} ± {H.bkg_scale_err:.4f}", f"{100 * e_hp[1]:+.2f}",
                     f"{dens_g:.3f} ± {dens_g_err or float('nan'):.3f}", f"{100 * e_gl[0]:+.2f}",
                     f"{bkg_g:.4f} ± {bkg_g_err or float('nan'):.4f}", f"{100 * e_gl[1]:+.2f}"])
    print("\n" + _table(f"Density + background refinement (true ρ {DENSITY} g/cm³, bkg {BKG_SCALE}; "
                        f"start {START_DENSITY}, {START_BKG}; r_cutoff {R_CUTOFF} Å; counts 2000)",
                        ["q_max", "hp ρ", "hp Δρ %", "hp bkg", "hp Δbkg %", "glassure ρ", "gl Δρ %",
                         "glassure bkg", "gl Δbkg %"], rows))
    for (e_rho, e_bkg), (_, g_bkg) in zip(hp_err, gl_err, strict=True):
        assert abs(e_rho) < 0.02
        assert abs(e_bkg) < 0.02
        assert abs(e_bkg) < abs(g_bkg)


# ---------------------------------------------------------------------------------------------------------------
# real pattern
def test_real_mg2sio4_ambient(shared_data):
    """Mg2SiO4 glass (glassure's own test file), λ 0.1908 Å, q 1.24–16 Å⁻¹, 2.9 g/cm³, bkg scale 1.

    Same-α identity (tolerances as in the synthetic case), then the aligned comparison: the only remaining
    difference is hpglass's low-q Krogh-Moe term (q_min 1.24 Å⁻¹; δα/α = 1.2e-4, ΔS ∝ I/⟨f⟩², large for O): measured
    max|ΔS| 7e-4 (asserted < 2e-3) and max|Δg| 0.02 at 0.56 Å (asserted < 0.05; < 0.006 beyond 1 Å).
    With default-style glassure settings the difference is dominated by the missing KN factor: for this light
    oxide the Compton term is a large part of the high-q intensity, so S(q) differs by ~0.05 (printed).
    """
    from hpglass.io.patterns import read_pattern

    folder = shared_data / "xrd" / "glassure"
    sample = read_pattern(folder / "Mg2SiO4_ambient.xy")
    bkg = read_pattern(folder / "Mg2SiO4_ambient_bkg.xy")
    lam, comp, dens, q_min, q_max = 0.1908, "Mg2SiO4", 2.9, 1.24, 16.0
    assert sample.wavelength == pytest.approx(lam)
    s0 = scattering_factors(comp, np.array([0.0])).s0_limit
    args = (sample, bkg, comp, dens, 1.0, lam, s0, q_min, q_max)
    g_aligned = glassure_pdf(*args, attenuation=0.0, transform=FourierTransformMethod.INTEGRAL)
    g_kn_off = glassure_pdf(*args, attenuation=0.0, transform=FourierTransformMethod.INTEGRAL, kn=False)
    applies_kn = not np.allclose(g_aligned.sq.y, g_kn_off.sq.y, rtol=0, atol=1e-12)
    H, cfg = hp_fixed(*args, kn=applies_kn)
    H_kn, _ = hp_fixed(*args, kn=True)
    g_default = glassure_pdf(*args, inclusive=False, same_rho=False)
    rho = Composition.parse(comp).number_density(dens)

    # same α → same S(q), g(r)
    q, y, b = prepare(sample, bkg, cfg)
    red = Reducer(q, y, b, cfg)
    assert np.allclose(g_aligned.sq.x[-q.size:], q, rtol=0, atol=1e-12)
    alpha_gl, spread = alpha_of_glassure(g_aligned.sq.y[-q.size:], red.intensity(1.0), red)
    assert spread < 1e-12
    trial = red.trial(rho, 1.0, alpha=alpha_gl)
    ds_same = np.max(np.abs(trial.sq[trial.n_low:] - g_aligned.sq.y[-q.size:]))
    gr_same = g_of_r(g_aligned.gr.x, f_of_r(trial.q, trial.sq, g_aligned.gr.x), rho)
    rm_g = r_compare(g_aligned.gr.x)
    dg_same = np.max(np.abs(gr_same - g_aligned.gr.y)[rm_g])
    assert ds_same < TOL_SAME_ALPHA_S
    assert dg_same < TOL_SAME_ALPHA_G

    # aligned settings
    gs, m = on_grid(H.q, g_aligned.sq.x, g_aligned.sq.y)
    assert m.all()
    rm = r_compare(H.r)
    dg = np.abs(np.interp(H.r, g_aligned.gr.x, g_aligned.gr.y) - H.gr)[rm]
    ds = np.max(np.abs(gs - H.sq))
    # default-style glassure vs hpglass default (KN on)
    gd, md = on_grid(H_kn.q, g_default.sq.x, g_default.sq.y)
    ds_def = np.max(np.abs(gd - H_kn.sq)[md])
    dg_def = np.max(np.abs(np.interp(H_kn.r, g_default.gr.x, g_default.gr.y) - H_kn.gr)[rm])
    dens_gl = glassure_density(comp, dens)
    print(f"\nMg2SiO4 ambient: atomic weights differ: hpglass's atoms/Å³ at {dens} g/cm³ is {dens_gl:.5f} g/cm³ in "
          f"glassure ({dens_gl / dens - 1:+.1e}); the aligned runs use the same atoms/Å³")
    print(f"Mg2SiO4 ambient: same α max|ΔS| {ds_same:.1e}, max|Δg| {dg_same:.1e}; aligned α hp {H.alpha:.6g} "
          f"glassure {alpha_gl:.6g} (δα/α {H.alpha / alpha_gl - 1:+.1e}) max|ΔS| {ds:.2e} max|Δg| {dg.max():.2e} "
          f"(r > 1 Å {dg[H.r[rm] > 1].max():.2e}); default-style (hp KN on, glassure att 0.001 FFT) "
          f"max|ΔS| {ds_def:.2e} max|Δg| {dg_def:.2e}")
    assert ds < TOL_REAL_S
    assert dg.max() < TOL_REAL_G
