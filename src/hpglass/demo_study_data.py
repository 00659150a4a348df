"""Inputs of the bundled demo *study* that are made from stated models, and the code that made them.

Transport (``DEMO_STUDY_TRANSPORT``): SYNTHETIC DynaCool-ETO-format R(T) files — NOT measured — for two compression
runs and one decompression, one file per (run, pressure), and a room-temperature resistivity table per run. The
model is a piecewise description of what the reference study reports (Zhang et al., PRL 127, 127002 (2021);
``../shared/reference-study.md`` rows T1–T10), written down so that the demo's phase diagram has known answers:

* below ``semiconducting_below_GPa`` the normal state is activated, R(T) = R_n exp(E_a / k_B T) (negative dR/dT,
  row T3), no transition; up to ``onset_GPa`` it is flat and normal (no transition);
* compression: one transition of midpoint T_c(P) = ``tc_onset_K`` + ``tc_slope_K_per_GPa`` (P − ``onset_GPa``)
  (4.5 K at 23.9 GPa, row T4; 6.5 K at 51 GPa); between ``two_transitions_GPa`` two transitions, the lower one continuing the
  HDA line and the upper one at ``upper_tc_K`` (row T5: 6.5 and 7.5 K at 51 GPa); above, one transition at
  ``bcc_tc_K`` + ``bcc_slope_K_per_GPa`` (P − 60) (row T6: 7.9 K at 60 GPa); none above ``max_sc_GPa`` (row T10);
* decompression (from the top of run 1): one transition at ``decompression_tc_K`` + slope (P − 40) (≈ 10 K, row
  T7) down to ``decompression_two_GPa``, where two transitions appear (the decompression line and the HDA line),
  none below ``decompression_vanish_GPa``;
* at the pressures in ``field_pressures_GPa`` the file also holds R(T) in the fields ``fields_T``, with the
  Ginzburg–Landau law H_c2(T) = H_c2(0)(1 − t²)/(1 + t²) and H_c2(0) = ``hc2_per_K`` × T_c (compression) or
  ``hc2_per_K_decompression`` × T_c (decompression: larger, row T8);
* the room-temperature resistivity follows three regimes of log₁₀σ with breaks at 20 and 57.2 GPa (rows T1, T2),
  decompression staying ``decompression_offset_dec`` decades more conductive (hysteresis).

Each R(T) curve is a tanh step (``hpglass.transport.synthetic``) of width ``width_K`` on a linear normal state with
Gaussian noise; every file's header says SYNTHETIC and states its true T_c values. The manifest lists each file with
its run, direction, pressure and true transition temperatures.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DEMO_STUDY_DIFFRACTION", "DEMO_STUDY_TRANSPORT", "demo_study_toml", "make_demo_study_patterns",
           "make_demo_study_transport", "model_tcs", "simulated_frames_by_pressure"]

DEMO_STUDY_TRANSPORT: dict = {
    "label": ("SYNTHETIC DynaCool-ETO-format R(T) files made by hpglass.demo_study_data.make_demo_study_transport "
              "(not measured): a stated piecewise model of the reference study's Tc(P)"),
    "folder": "study_transport",
    "runs": {
        "run1": {"direction": "compression",
                 "pressures_GPa": (8.0, 14.0, 19.0, 22.5, 24.5, 28.0, 33.0, 38.0, 43.0, 47.0, 51.0, 54.0, 60.0,
                                   65.0, 70.0)},
        "run2": {"direction": "compression",
                 "pressures_GPa": (11.0, 17.0, 21.0, 23.9, 26.5, 31.0, 36.0, 41.0, 46.0, 52.5, 57.0, 62.0)},
        "run1-decompression": {"direction": "decompression",
                               "pressures_GPa": (62.0, 55.0, 48.0, 41.0, 35.0, 30.0, 27.0, 25.0, 22.0, 18.0)},
    },
    "semiconducting_below_GPa": 21.7,
    "activation_meV": 0.6,
    "onset_GPa": 23.9,
    "tc_onset_K": 4.5,
    "tc_slope_K_per_GPa": 0.074,  # 4.5 K at 23.9 GPa to 6.5 K at 51 GPa (rows T4, T5)
    "two_transitions_GPa": (50.0, 56.0),
    "upper_tc_K": 7.5,
    "bcc_tc_K": 7.9,
    "bcc_slope_K_per_GPa": -0.04,
    "max_sc_GPa": 65.0,
    "decompression_tc_K": 10.0,
    "decompression_slope_K_per_GPa": -0.02,
    "decompression_two_GPa": 25.0,
    "decompression_vanish_GPa": 24.0,
    "width_K": 0.15,
    "fields_T": (0.0, 0.5, 1.0, 2.0, 3.0),
    "field_pressures_GPa": {"run1": (33.0, 60.0), "run2": (46.0,), "run1-decompression": (41.0,)},
    "hc2_per_K": 0.8,
    "hc2_per_K_decompression": 1.2,
    "temperatures_K": (2.0, 14.0, 241),
    "r_normal_ohm": 0.5,
    "normal_slope_per_K": 0.004,
    "noise_rel": 0.002,
    "sigma_p": {"breaks_GPa": (20.0, 57.2), "slopes_dec_per_GPa": (0.35, 0.03, 0.08),
                "log10_sigma0_S_cm": -5.0, "noise_dec": 0.05, "decompression_offset_dec": 0.3},
    "seed": 127002,
    "manifest": "transport_manifest.csv",
}


def model_tcs(pressure_GPa: float, direction: str) -> tuple[float, ...]:
    """Midpoint T_c values (K) of the demo model at a pressure; () when not superconducting."""
    s = DEMO_STUDY_TRANSPORT
    p = float(pressure_GPa)
    if direction == "decompression":
        if p < s["decompression_vanish_GPa"]:
            return ()
        tc = s["decompression_tc_K"] + s["decompression_slope_K_per_GPa"] * (p - 40.0)
        if p <= s["decompression_two_GPa"]:
            return (_hda_tc(p), round(tc, 4))
        return (round(tc, 4),)
    if p < s["onset_GPa"] or p > s["max_sc_GPa"]:
        return ()
    lo, hi = s["two_transitions_GPa"]
    if p < lo:
        return (_hda_tc(p),)
    if p < hi:
        return (_hda_tc(p), s["upper_tc_K"])
    return (round(s["bcc_tc_K"] + s["bcc_slope_K_per_GPa"] * (p - 60.0), 4),)


def _hda_tc(p: float) -> float:
    s = DEMO_STUDY_TRANSPORT
    return round(s["tc_onset_K"] + s["tc_slope_K_per_GPa"] * (p - s["onset_GPa"]), 4)


def _log10_sigma(p: np.ndarray, direction: str) -> np.ndarray:
    s = DEMO_STUDY_TRANSPORT["sigma_p"]
    b1, b2 = s["breaks_GPa"]
    k1, k2, k3 = s["slopes_dec_per_GPa"]
    lg = s["log10_sigma0_S_cm"] + k1 * np.minimum(p, b1) + k2 * np.clip(p - b1, 0, b2 - b1) \
        + k3 * np.clip(p - b2, 0, None)
    return lg + (s["decompression_offset_dec"] if direction == "decompression" else 0.0)


def _eto(rows, title: str, truth: str) -> str:
    head = ["[Header]", f"; {DEMO_STUDY_TRANSPORT['label']}", f"; TRUE model values: {truth}", f"TITLE,{title}",
            "BYAPP,Electrical Transport Option,1.0", "INFO,SYNTHETIC model (see hpglass.demo_study_data),SAMPLE_MATERIAL",
            "[Data]", "Comment,Time Stamp (s),Temperature (K),Field (Oe),Resistance Ch1 (Ohms)"]
    return "\n".join(head + [f",{c:.1f},{t:.5f},{h * 1e4:.3f},{r:.7e}" for c, t, h, r in rows]) + "\n"


def make_demo_study_transport() -> dict[str, str]:
    """File name → text of every demo-study transport file, the resistivity tables and the manifest."""
    from .transport.synthetic import gl_tc_of_field, rt_curve

    s = DEMO_STUDY_TRANSPORT
    rng = np.random.default_rng(s["seed"])
    temps = np.linspace(*s["temperatures_K"])
    kb_meV = 0.08617333262
    files: dict[str, str] = {}
    manifest = ["# SYNTHETIC demo-study transport manifest: file, run, direction, pressure and the TRUE model values",
                "file,run,direction,pressure_GPa,fields_T,true_tc_K,true_hc2_0_T"]
    for run, spec in s["runs"].items():
        direction = spec["direction"]
        for p in spec["pressures_GPa"]:
            tcs = model_tcs(p, direction)
            fields = s["fields_T"] if (tcs and p in s["field_pressures_GPa"].get(run, ())) else (0.0,)
            per_k = s["hc2_per_K_decompression"] if direction == "decompression" else s["hc2_per_K"]
            hc2_0 = per_k * max(tcs) if tcs else 0.0
            rows, clock = [], 0.0
            for h in fields:
                if tcs:
                    shifted = [gl_tc_of_field(h, tc, per_k * tc) for tc in tcs]
                    c = rt_curve(temps, shifted, s["width_K"], s["r_normal_ohm"], s["normal_slope_per_K"])
                    r = c.resistance_ohm
                elif p < s["semiconducting_below_GPa"]:
                    r = s["r_normal_ohm"] * np.exp(s["activation_meV"] / (kb_meV * temps))
                else:
                    r = s["r_normal_ohm"] + s["normal_slope_per_K"] * temps
                r = r + rng.normal(0.0, s["noise_rel"] * s["r_normal_ohm"], temps.size)
                for t, rr in zip(temps, r, strict=True):
                    clock += 2.0
                    rows.append((clock, t, h, rr))
            name = f"{run}_{p:05.1f}GPa_ETO.dat"
            truth = (f"{direction}, {p} GPa, Tc midpoints {list(tcs) or 'none'} K"
                     + (f", GL Hc2(0) {hc2_0:.4f} T" if len(fields) > 1 else ""))
            files[name] = _eto(rows, f"{run} {p} GPa", truth)
            manifest.append(f"{name},{run},{direction},{p},{' '.join(f'{h:g}' for h in fields)},"
                            f"{' '.join(f'{t:g}' for t in tcs)},{hc2_0:.4f}" if len(fields) > 1 else
                            f"{name},{run},{direction},{p},0,{' '.join(f'{t:g}' for t in tcs)},")
        ps = np.asarray(spec["pressures_GPa"], dtype=float)
        lg = _log10_sigma(ps, direction) + rng.normal(0.0, s["sigma_p"]["noise_dec"], ps.size)
        table = [f"# {s['label']}: room-temperature resistivity of {run}, three regimes of log10 sigma with breaks "
                 f"at {s['sigma_p']['breaks_GPa'][0]} and {s['sigma_p']['breaks_GPa'][1]} GPa",
                 "pressure_GPa,resistivity_ohm_cm,direction"]
        table += [f"{p:.2f},{10 ** -v:.6e},{direction}" for p, v in zip(ps, lg, strict=True)]
        files[f"{run}_resistivity_vs_pressure.csv"] = "\n".join(table) + "\n"
    files[s["manifest"]] = "\n".join(manifest) + "\n"
    return files


# -- diffraction patterns computed from the simulated glass ---------------------------------------------------------
DEMO_STUDY_DIFFRACTION: dict = {
    "label": ("SYNTHETIC X-ray patterns made by hpglass.demo_study_data.make_demo_study_patterns (not measured): "
              "the Faber–Ziman X-ray S(q) of the bundled simulated a-Sb2Se3 frames at each pressure "
              "(hpglass.structure.reciprocal_sq, xraylib form factors), made into DAC intensities through the "
              "hpglass.xray model with normalization alpha, a scaled model empty-cell background and counting noise"),
    "folder": "study_xrd",
    "wavelength_A": 0.2952,
    "two_theta_deg": (2.0, 32.5, 1500),
    "q_bin_A-1": 0.05,
    # Gaussian smoothing (σ, Å⁻¹) of the binned S(q): a finite periodic cell scatters only at its reciprocal-lattice
    # vectors, so few-vector bins at low q would look like Bragg peaks; a real glass's S(q) is continuous
    "smooth_A-1": 0.08,
    "alpha": 5.0,
    "bkg_scales": (0.80, 1.0),  # linear from the first to the last pressure
    "counts": 3000.0,
    "seed": 21127,
    "manifest": "xrd_manifest.csv",
    "background_file": "empty_cell.xy",
}


def simulated_frames_by_pressure(run_dir) -> dict[float, list]:
    """Pressure (GPa) → sampled frames of every compression stage ``P_<p>GPa.extxyz`` of a simulate run."""
    import re
    from pathlib import Path

    from ase.io import read

    out = {}
    for path in sorted(Path(run_dir).glob("P_*GPa.extxyz")):
        m = re.fullmatch(r"P_([0-9.]+)GPa\.extxyz", path.name)
        if m:
            out[float(m.group(1))] = read(path, index=":")
    return dict(sorted(out.items()))


def make_demo_study_patterns(frames_by_pressure: dict[float, list]) -> dict[str, str]:
    """File name → text of one 2θ pattern per pressure, the empty cell and a manifest with the TRUE density
    (the frames' mean) and background scale of each file."""
    from .demo_data import empty_cell_text, xy_text
    from .scattering.synthetic import dac_background, sample_intensity
    from .simulate.protocol import density_g_cm3
    from .structure.reciprocal_sq import reciprocal_xray_sq

    s = DEMO_STUDY_DIFFRACTION
    lam = s["wavelength_A"]
    tth = np.linspace(*s["two_theta_deg"])
    q = 4 * np.pi * np.sin(np.radians(tth) / 2) / lam
    edges = np.arange(q[0] - s["q_bin_A-1"], q[-1] + 2 * s["q_bin_A-1"], s["q_bin_A-1"])
    rng = np.random.default_rng(s["seed"])
    bkg = dac_background(q, lam)
    pressures = list(frames_by_pressure)
    files, rows = {}, []
    for i, p in enumerate(pressures):
        frames = frames_by_pressure[p]
        res = reciprocal_xray_sq(frames, edges)
        sq = _smooth_binned(q, res.q, res.sq, res.n_vectors, s["smooth_A-1"])
        rho = float(np.mean([density_g_cm3(f) for f in frames]))
        comp = "".join(f"{el}{n}" for el, n in _counts(frames[0]).items())
        scale = s["bkg_scales"][0] + (s["bkg_scales"][1] - s["bkg_scales"][0]) * i / max(len(pressures) - 1, 1)
        y = sample_intensity(q, sq, comp, lam, s["alpha"]) + scale * bkg
        y = y + rng.normal(size=q.size) * np.sqrt(np.abs(y) / s["counts"])
        name = f"xrd_{p:05.1f}GPa.xy"
        head = [f"# {s['label']}", f"# pressure {p:g} GPa; TRUE density {rho:.5f} g/cm3 (mean of {len(frames)} "
                f"frames); background scale {scale:.4f}; alpha {s['alpha']}", f"# Wavelength: {lam * 1e-10:.6e}",
                "#       2th_deg             I"]
        files[name] = xy_text(head, tth, y)
        rows.append(f"{name},{p:g},compression,{rho:.6f},{scale:.5f}")
    bk = bkg + rng.normal(size=q.size) * np.sqrt(bkg / s["counts"])
    files[s["background_file"]] = empty_cell_text(s["label"], lam, tth, bk)
    files[s["manifest"]] = "\n".join(
        ["# SYNTHETIC patterns from simulated frames: file, pressure, direction and the TRUE values of each file",
         "file,pressure_GPa,direction,true_density_g_cm3,true_bkg_scale"] + rows) + "\n"
    return files


def _smooth_binned(q: np.ndarray, qb: np.ndarray, sb: np.ndarray, nb: np.ndarray, sigma: float) -> np.ndarray:
    """S on ``q`` from bin means ``sb`` at ``qb`` holding ``nb`` vectors: Σ_j w_ij n_j S_j / Σ_j w_ij n_j with
    Gaussian w_ij = exp(−(q_i − q_j)²/2σ²) (each k vector weighs the same)."""
    ok = np.isfinite(sb) & (nb > 0)
    w = np.exp(-0.5 * ((q[:, None] - qb[None, ok]) / sigma) ** 2) * nb[None, ok]
    return (w @ sb[ok]) / w.sum(axis=1)


def _counts(atoms) -> dict[str, int]:
    sym = atoms.get_chemical_symbols()
    return {el: sym.count(el) for el in dict.fromkeys(sym)}


# -- the bundled study file -----------------------------------------------------------------------------------------
def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def demo_study_toml(sim_pressures: list[float], xrd_files: list[str], crystal_eos: dict,
                    references: dict[str, str], frames_folder: str = "../simulated",
                    sim_model: str = "", xrd_model: str = "") -> str:
    """Text of the bundled study file for simulated frames at ``sim_pressures`` (files ``P_<p>GPa.extxyz`` in
    ``frames_folder``), the patterns made from them and the model transport runs of this module."""
    t = DEMO_STUDY_TRANSPORT
    lines = [
        "# The bundled demo study of hpglass (`hpglass demo` runs it; `hpglass run study.toml --out DIR` too).",
        "# Inputs: a-Sb2Se3 SIMULATED with `hpglass simulate` (SevenNet-0), X-ray patterns COMPUTED from those",
        "# frames, and SYNTHETIC transport curves from a stated model — every stream says so in the report.",
        "# Made by hpglass.demo_study_data.demo_study_toml; relative paths resolve against this file.",
        "",
        "[study]",
        'name = "a-Sb2Se3: simulated glass, patterns computed from it, model transport (bundled demo)"',
        'description = """The analysis of Zhang et al., PRL 127, 127002 (2021) redone on open inputs: an 80-atom',
        "a-Sb2Se3 glass melt-quenched and compressed with the SevenNet-0 potential (hpglass simulate), X-ray",
        "patterns computed from its frames with a model diamond-cell background and counting noise (true",
        "densities known), and R(T) curves of two compressions and a decompression from a piecewise model of",
        'the paper\'s Tc(P) (hpglass.demo_study_data)."""',
        "",
        "[sample]",
        'name = "a-Sb2Se3"',
        'composition = "Sb2Se3"',
        "",
        "[sample.crystal]",
        f"density_g_cm3 = {crystal_eos['rho0_g_cm3']:.4f}",
        f"density_source = {_toml_str(crystal_eos['label'])}",
        "bcc = true",
        "",
        "[sample.crystal.eos]",
        f'form = "{crystal_eos["form"]}"',
        f"rho0_g_cm3 = {crystal_eos['rho0_g_cm3']:.4f}",
        f"K0_GPa = {crystal_eos['K0_GPa']:.3f}",
        f"K0p = {crystal_eos['K0p']:.3f}",
        f"label = {_toml_str(crystal_eos.get('legend', crystal_eos['label']))}",  # figure legend: short
        'status = "simulated"',
        "",
        "[[diffraction]]",
        'name = "computed-from-simulation"',
        'direction = "compression"',
        f"wavelength_A = {DEMO_STUDY_DIFFRACTION['wavelength_A']}",
        f'background = "../{DEMO_STUDY_DIFFRACTION["folder"]}/{DEMO_STUDY_DIFFRACTION["background_file"]}"',
        "files = [",
        *[f'    "../{DEMO_STUDY_DIFFRACTION["folder"]}/{f}",' for f in xrd_files],
        "]",
        f"pressures_GPa = [{', '.join(f'{p:g}' for p in sim_pressures)}]",
        f"provenance = {{ kind = \"synthetic\", model = {_toml_str(xrd_model or DEMO_STUDY_DIFFRACTION['label'])} }}",
        "",
    ]
    for run, spec in t["runs"].items():
        lines += ["[[transport]]", f'name = "{run}"', f'direction = "{spec["direction"]}"',
                  f'resistivity_table = "../{t["folder"]}/{run}_resistivity_vs_pressure.csv"',
                  f"provenance = {{ kind = \"synthetic\", model = {_toml_str(t['label'])}, from_reference = true }}",
                  ""]
        for p in spec["pressures_GPa"]:
            lines += ["[[transport.curves]]", f'file = "../{t["folder"]}/{run}_{p:05.1f}GPa_ETO.dat"',
                      f"pressure_GPa = {p:g}"]
            if model_tcs(p, spec["direction"]) and p in t["field_pressures_GPa"].get(run, ()):
                lines.append(f"fields_T = [{', '.join(f'{h:g}' for h in t['fields_T'])}]")
            lines.append("")
    # fixed bond cutoffs (Å): an 80-atom cell is too small (r_max ≈ 6 Å) to bound every first shell by a g(r)
    # minimum; 3.3 Å sits in the Sb–Se / Sb–Sb minimum of a-Sb2Se3 at ambient, 3.0 Å bounds Se–Se bonds (2.35 Å)
    lines += ["[[simulation]]", 'name = "a-Sb2Se3 (SevenNet-0)"', 'direction = "compression"', 'rings = "primitive"',
              "max_ring = 8", 'cutoffs_A = { "Sb-Se" = 3.3, "Sb-Sb" = 3.3, "Se-Se" = 3.0 }', "frames = ["]
    lines += [f'    {{ pressure_GPa = {p:g}, file = "{frames_folder}/P_{p:g}GPa.extxyz" }},' for p in sim_pressures]
    lines += ["]", "references = { " + ", ".join(f"{_toml_str(k)} = \"{frames_folder}/{v}\""
                                              for k, v in references.items()) + " }",
              f"provenance = {{ kind = \"simulated\", model = {_toml_str(sim_model)} }}", "",
              "[analysis]", "refine_density = true", "refine_bkg = true", "q1_segments = 2", "r1_segments = 2",
              "sigma_segments = 3", 'glass_eos_form = "bm3"', 'tc_criterion = "50"', "hc2_criterion_pct = 50.0",
              'hc2_slope_model = "quadratic"', "workers = 1", ""]
    return "\n".join(lines)
