"""The demo's bundled example data, and the code that made it (so that anyone can regenerate and check it).

Diffraction: a *synthetic* pattern of an amorphous Sb2Se3-like sample in a diamond anvil cell — NOT measured
data. Its structure factor is the exact Percus–Yevick hard-sphere S(q) (``scattering.hard_sphere``) at the
density 4.90 g/cm³ (16 % below crystalline Sb2Se3, 5.83 g/cm³) with packing fraction 0.40, made into
intensities through ``hpglass.xray`` (xraylib form factors and Compton scattering of Sb and Se, Klein–Nishina)
with normalization α = 5, plus 0.85 × a model empty-cell background (diamond Compton + two broad humps), with
counting noise; both files are on a 2θ grid at λ = 0.2952 Å as a beamline integration would give them.
Because the true density (4.90 g/cm³) and background scale (0.85) are known, the demo shows how well the
chain recovers them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from .composition import Composition
from .scattering.hard_sphere import percus_yevick_sq, sigma_for
from .scattering.synthetic import dac_background, sample_intensity

DEMO_XRD = {
    "composition": "Sb2Se3",
    "wavelength_A": 0.2952,
    "density_g_cm3": 4.90,
    "packing_fraction": 0.40,
    "bkg_scale": 0.85,
    "alpha": 5.0,
    "counts": 2000.0,
    "seed": 20210127,
    "two_theta_deg": (2.0, 32.5, 3000),
    "sample_file": "a-Sb2Se3_synthetic_sample.xy",
    "background_file": "a-Sb2Se3_synthetic_empty_cell.xy",
}


def demo_folder() -> Path:
    return Path(str(resources.files("hpglass") / "data" / "demo"))


def demo_truth_sq(q: np.ndarray) -> np.ndarray:
    """The true S(q) of the demo pattern."""
    p = DEMO_XRD
    rho = Composition.parse(p["composition"]).number_density(p["density_g_cm3"])
    return percus_yevick_sq(q, rho, sigma_for(rho, p["packing_fraction"]))


def make_demo_xrd() -> dict[str, str]:
    """Text of the two demo files (deterministic: fixed seed)."""
    p = DEMO_XRD
    lam = p["wavelength_A"]
    tth = np.linspace(*p["two_theta_deg"])
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / lam
    sample = sample_intensity(q, demo_truth_sq(q), p["composition"], lam, p["alpha"])
    bkg = dac_background(q, lam)
    sample = sample + p["bkg_scale"] * bkg
    rng = np.random.default_rng(p["seed"])
    sample = sample + rng.normal(size=q.size) * np.sqrt(sample / p["counts"])
    bkg = bkg + rng.normal(size=q.size) * np.sqrt(bkg / p["counts"])
    label = ("# SYNTHETIC DATA made by hpglass.demo_data.make_demo_xrd (not measured): Percus-Yevick hard-sphere "
             f"S(q), Sb2Se3 form factors, density {p['density_g_cm3']} g/cm3, background scale {p['bkg_scale']}")
    out = {}
    for name, y in ((p["sample_file"], sample), (p["background_file"], bkg)):
        lines = [label, f"# Wavelength: {lam * 1e-10:.6e}", "#       2th_deg             I"]
        lines += [f"{a:14.7e}  {b:14.7e}" for a, b in zip(tth, y, strict=True)]
        out[name] = "\n".join(lines) + "\n"
    return out
