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


def xy_text(head: list[str], two_theta_deg: np.ndarray, intensity: np.ndarray) -> str:
    """A two-column 2θ pattern file (Dioptas-style header lines, then ``2θ  I`` rows) as the demo files carry it."""
    return "\n".join(head + [f"{a:14.7e}  {b:14.7e}" for a, b in zip(two_theta_deg, intensity, strict=True)]) + "\n"


def empty_cell_text(label: str, wavelength_A: float, two_theta_deg: np.ndarray, intensity: np.ndarray) -> str:
    """The empty-cell pattern file of a demo series."""
    return xy_text([f"# {label} — empty cell", f"# Wavelength: {wavelength_A * 1e-10:.6e}",
                    "#       2th_deg             I"], two_theta_deg, intensity)


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


# -- transport --------------------------------------------------------------------------------------------------------
DEMO_TRANSPORT = {
    "label": "SYNTHETIC DynaCool-ETO-format curves made by hpglass.demo_data.make_demo_transport (not measured)",
    "tc_K": 7.5,  # midpoint of the zero-field transition
    "width_K": 0.15,
    "hc2_0_T": 6.0,  # Ginzburg–Landau law H_c2(T) = H_c2(0)(1 − t²)/(1 + t²)
    "fields_T": (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0),
    "r0_ohm": 0.8,
    "slope_ohm_per_K": 0.004,
    "noise_ohm": 0.0015,
    "two_transitions_K": (6.5, 7.5),  # like the study's 51 GPa curve
    "sigma_p": {  # room-temperature resistivity vs pressure, three regimes of log10 σ (decades/GPa)
        "breaks_GPa": (20.0, 57.2),
        "slopes_dec_per_GPa": (0.35, 0.03, 0.08),
        "log10_sigma0_S_cm": -5.0,
        "noise_dec": 0.05,
    },
    "seed": 20210923,
    "hc2_file": "synthetic_RT_fields_ETO.dat",
    "double_file": "synthetic_RT_two_transitions_ETO.dat",
    "sigma_file": "synthetic_resistivity_vs_pressure.csv",
}


def _eto_text(rows: list[tuple[float, float, float, float]], title: str) -> str:
    head = [
        "[Header]",
        "; SYNTHETIC data made by hpglass.demo_data.make_demo_transport (not measured)",
        f"TITLE,{title}",
        "BYAPP,Electrical Transport Option,1.0",
        "INFO,SYNTHETIC model: tanh transition on a linear normal state,SAMPLE_MATERIAL",
        "[Data]",
        "Comment,Time Stamp (s),Temperature (K),Field (Oe),Resistance Ch1 (Ohms)",
    ]
    body = [f",{t_s:.3f},{t:.5f},{h * 1e4:.3f},{r:.7e}" for t_s, t, h, r in rows]
    return "\n".join(head + body) + "\n"


def make_demo_transport() -> dict[str, str]:
    """Text of the demo transport files (deterministic)."""
    from .transport.synthetic import gl_tc_of_field, rt_curve

    p = DEMO_TRANSPORT
    rng = np.random.default_rng(p["seed"])
    temps = np.linspace(2.0, 12.0, 401)
    rows, clock = [], 0.0
    for h in p["fields_T"]:
        c = rt_curve(temps, gl_tc_of_field(h, p["tc_K"], p["hc2_0_T"]), p["width_K"], p["r0_ohm"],
                     p["slope_ohm_per_K"], field_T=h)
        r = c.resistance_ohm + rng.normal(0, p["noise_ohm"], temps.size)
        for t, rr in zip(temps, r, strict=True):
            clock += 2.0
            rows.append((clock, t, h, rr))
    hc2 = _eto_text(rows, f"R(T) at {len(p['fields_T'])} fields - Tc {p['tc_K']} K - GL Hc2(0) {p['hc2_0_T']} T")

    c2 = rt_curve(temps, p["two_transitions_K"], p["width_K"], p["r0_ohm"], p["slope_ohm_per_K"])
    r2 = c2.resistance_ohm + rng.normal(0, p["noise_ohm"], temps.size)
    double = _eto_text([(2.0 * i, t, 0.0, r) for i, (t, r) in enumerate(zip(temps, r2, strict=True))],
                       "R(T) with two transitions at 6.5 and 7.5 K")

    s = p["sigma_p"]
    pressures = np.arange(0.5, 70.0, 2.5)
    b1, b2 = s["breaks_GPa"]
    k1, k2, k3 = s["slopes_dec_per_GPa"]
    lg = s["log10_sigma0_S_cm"] + k1 * np.minimum(pressures, b1) + k2 * np.clip(pressures - b1, 0, b2 - b1) \
        + k3 * np.clip(pressures - b2, 0, None)
    lg = lg + rng.normal(0, s["noise_dec"], pressures.size)
    lines = ["# SYNTHETIC room-temperature resistivity vs pressure (not measured): three regimes of log10 sigma "
             f"with breaks at {b1} and {b2} GPa", "pressure_GPa,resistivity_ohm_cm,direction"]
    lines += [f"{pp:.2f},{10 ** -v:.6e},compression" for pp, v in zip(pressures, lg, strict=True)]
    return {p["hc2_file"]: hc2, p["double_file"]: double, p["sigma_file"]: "\n".join(lines) + "\n"}


# -- pressure series --------------------------------------------------------------------------------------------------
DEMO_SERIES = {
    "label": ("SYNTHETIC pressure series made by hpglass.demo_data.make_demo_series (not measured): Percus–Yevick "
              "S(q) at each pressure, density from an assumed glass EOS, packing fraction tuned so that q1(P) "
              "follows the reference study's two slopes"),
    "pressures_GPa": (0.6, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 15.7, 17.0, 18.5, 20.0, 21.5, 23.0),
    "q1_slopes_A-1_per_GPa": (0.021, 0.0048),
    "q1_break_GPa": 15.7,
    # assumed EOS (BM3) of the model: NOT literature values. Crystal: ambient density of Pnma Sb2Se3
    # (Voutsas et al. 1985, 5.83 g/cm³) with K0 = 30 GPa, K0' = 6; glass 16 % less dense, K0' = 4, K0 chosen so
    # that the glass becomes denser than the crystal at 16 GPa (the study's D2).
    "crystal_eos": {"rho0_g_cm3": 5.83, "K0_GPa": 30.0, "K0p": 6.0},
    "glass_eos": {"rho0_g_cm3": 0.84 * 5.83, "K0p": 4.0, "crossover_GPa": 16.0},
    "eta_at_first": 0.40,
    "bkg_scales": (0.80, 1.0),  # linear from first to last pressure
    "bragg_from_GPa": 21.5,  # narrow bcc reflections added from here on (demonstrates onset detection)
    "bcc_a_A": 3.30,
    "wavelength_A": 0.2952,
    "two_theta_deg": (2.0, 32.5, 1500),
    "counts": 3000.0,
    "seed": 15700,
    "manifest": "series_manifest.csv",
    "background_file": "series_empty_cell.xy",
}


def _bm3_pressure(v_rel: float, k0: float, kp: float) -> float:
    x = v_rel ** (-2.0 / 3.0)
    return 1.5 * k0 * (x**3.5 - x**2.5) * (1 + 0.75 * (kp - 4) * (x - 1))


def demo_series_density(pressure_GPa: float, which: str) -> float:
    """Density (g/cm³) of the demo's model glass or crystal at a pressure (BM3, parameters in DEMO_SERIES)."""
    from scipy.optimize import brentq

    s = DEMO_SERIES
    if which == "crystal":
        c = s["crystal_eos"]
        rho0, k0, kp = c["rho0_g_cm3"], c["K0_GPa"], c["K0p"]
    else:
        g = s["glass_eos"]
        rho0, k0, kp = g["rho0_g_cm3"], demo_glass_k0(), g["K0p"]
    v = brentq(lambda v: _bm3_pressure(v, k0, kp) - pressure_GPa, 0.2, 1.0 + 1e-9)
    return rho0 / v


def demo_glass_k0() -> float:
    """K0 of the model glass that puts the glass–crystal density crossover at DEMO_SERIES's 16 GPa."""
    from scipy.optimize import brentq

    g = DEMO_SERIES["glass_eos"]
    target = demo_series_density(g["crossover_GPa"], "crystal")

    def rho_glass(k0):
        v = brentq(lambda v: _bm3_pressure(v, k0, g["K0p"]) - g["crossover_GPa"], 0.2, 1.0 + 1e-9)
        return g["rho0_g_cm3"] / v

    return brentq(lambda k: rho_glass(k) - target, 3.0, 80.0)


def demo_series_q1(pressure_GPa: float, q1_first: float) -> float:
    s = DEMO_SERIES
    p0, b = s["pressures_GPa"][0], s["q1_break_GPa"]
    k1, k2 = s["q1_slopes_A-1_per_GPa"]
    return q1_first + k1 * (min(pressure_GPa, b) - p0) + k2 * max(pressure_GPa - b, 0.0)


def _solve_eta(f) -> float:
    """Root of f(η) on 0.25–0.49 (q1 is not monotonic in η at fixed density): the bracketing grid cell with
    the largest η, refined by brentq; the grid minimum of |f| when no cell brackets a root."""
    from scipy.optimize import brentq

    grid = np.linspace(0.25, 0.49, 97)
    vals = np.array([f(e) for e in grid])
    cells = np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]
    if cells.size:
        i = int(cells[-1])
        return float(brentq(f, grid[i], grid[i + 1], xtol=1e-7))
    return float(grid[int(np.argmin(np.abs(vals)))])


def make_demo_series() -> dict[str, str]:
    """Text of the demo series: one 2θ pattern per pressure, one empty cell, a manifest (deterministic)."""

    from .scattering.hard_sphere import percus_yevick_sq, sigma_for
    from .scattering.synthetic import dac_background, sample_intensity

    s = DEMO_SERIES
    comp = Composition.parse("Sb2Se3")
    lam = s["wavelength_A"]
    tth = np.linspace(*s["two_theta_deg"])
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / lam
    rng = np.random.default_rng(s["seed"])
    bkg = dac_background(q, lam)

    def peak(n, eta):
        # q1 as hpglass measures it (the maximum of S(q), from the principal-peak fit's top) on the noise-free
        # S(q) on the file's own grid, so that the stated true q1 is what a perfect reduction would report
        from .scattering.peaks import peak_maximum, principal_peak

        sq = percus_yevick_sq(q, n, sigma_for(n, eta))
        pf = principal_peak(q, sq)
        return peak_maximum(q, sq, pf.position, pf.fwhm).position

    pressures = s["pressures_GPa"]
    n_first = comp.number_density(demo_series_density(pressures[0], "glass"))
    q1_first = round(peak(n_first, s["eta_at_first"]), 4)
    files, rows = {}, []
    for i, p in enumerate(pressures):
        rho = demo_series_density(p, "glass")
        n = comp.number_density(rho)
        target = demo_series_q1(p, q1_first)
        eta = _solve_eta(lambda e, n=n, target=target: peak(n, e) - target)
        sq = percus_yevick_sq(q, n, sigma_for(n, eta))
        scale = s["bkg_scales"][0] + (s["bkg_scales"][1] - s["bkg_scales"][0]) * i / (len(pressures) - 1)
        y = sample_intensity(q, sq, comp, lam, 5.0) + scale * bkg
        if p >= s["bragg_from_GPa"]:
            a = s["bcc_a_A"] * (demo_series_density(s["bragg_from_GPa"], "glass") / rho) ** (1 / 3)
            for hkl2, amp in ((2, 60.0), (4, 25.0), (6, 30.0), (8, 12.0), (10, 15.0)):
                y = y + amp * np.exp(-0.5 * ((q - 2 * np.pi * np.sqrt(hkl2) / a) / 0.015) ** 2)  # FWHM 0.035 Å⁻¹
        y = y + rng.normal(size=q.size) * np.sqrt(y / s["counts"])
        name = f"series_{p:05.1f}GPa.xy"
        head = [f"# {s['label']}", f"# pressure {p} GPa; true density {rho:.5f} g/cm3; background scale {scale:.4f}; "
                f"q1 target {target:.5f} A^-1; packing fraction {eta:.5f}", f"# Wavelength: {lam * 1e-10:.6e}",
                "#       2th_deg             I"]
        files[name] = xy_text(head, tth, y)
        rows.append(f"{name},{p},compression,{rho:.6f},{scale:.5f},{target:.6f}")
    bk = bkg + rng.normal(size=q.size) * np.sqrt(bkg / s["counts"])
    files[s["background_file"]] = empty_cell_text(s["label"], lam, tth, bk)
    files[s["manifest"]] = "\n".join(
        ["# SYNTHETIC series manifest: file, pressure, direction, and the TRUE values used to make each file",
         "file,pressure_GPa,direction,true_density_g_cm3,true_bkg_scale,true_q1_A-1"] + rows) + "\n"
    return files


# -- structure frames -------------------------------------------------------------------------------------------------
DEMO_FRAMES = {
    "label": ("SYNTHETIC frames made by hpglass.demo_data.make_demo_frames (not simulated): (a) substitutionally "
              "disordered bcc Sb2Se3 with Gaussian thermal displacements, (b) a random hard-core packing of "
              "Sb2Se3 composition — stand-ins until `hpglass simulate` provides melt-quenched glasses"),
    "bcc": {"file": "bcc_Sb2Se3_thermal.extxyz", "density_g_cm3": 8.3, "cells": 5, "sigma_A": 0.08, "frames": 3},
    "random": {"file": "random_Sb2Se3_packing.extxyz", "n_atoms": 200, "density_g_cm3": 5.0, "min_distance_A": 2.4,
               "frames": 3},
    "seed": 70,
}


def make_demo_frames(folder: Path) -> list[Path]:
    """Write the demo frames (extxyz) into ``folder``; deterministic."""
    from ase.io import write

    from .series.crystal_reference import bcc_sb2se3
    from .structure.random_cell import random_packing

    p = DEMO_FRAMES
    rng = np.random.default_rng(p["seed"])
    b = p["bcc"]
    base = bcc_sb2se3(density_g_cm3=b["density_g_cm3"], cells=b["cells"], seed=p["seed"])
    frames = []
    for _ in range(b["frames"]):
        f = base.copy()
        f.positions += rng.normal(0.0, b["sigma_A"], f.positions.shape)
        f.wrap()
        frames.append(f)
    r = p["random"]
    rand = [random_packing("Sb2Se3", r["n_atoms"], r["density_g_cm3"], r["min_distance_A"], seed=p["seed"] + k)
            for k in range(r["frames"])]
    out = []
    for name, fr in ((b["file"], frames), (r["file"], rand)):
        path = folder / name
        write(path, fr, format="extxyz")
        out.append(path)
    return out
