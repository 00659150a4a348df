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

__all__ = ["DEMO_BCC_REFERENCE", "DEMO_ELF", "DEMO_STUDY_DIFFRACTION", "DEMO_STUDY_SIMULATION",
           "DEMO_STUDY_TRANSPORT", "bundle_elf_grid", "bundle_elf_run", "bundle_glass_run", "bundled_study_toml",
           "copy_bundled_elf", "demo_study_toml", "elf_grid_name", "make_bcc_reference", "make_demo_study_patterns",
           "make_demo_study_transport", "model_tcs", "simulated_frames_by_pressure", "sparse_indices",
           "write_simulated_bundle"]

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
    # width σ (Å⁻¹) of the local quadratic smoothing of the binned S(q) (_smooth_binned): a finite periodic cell
    # scatters only at its reciprocal-lattice vectors, so few-vector bins at low q would look like Bragg peaks; a
    # real glass's S(q) is continuous. 0.10: at 0.08 the k-sampling scatter left a shoulder on the principal peak
    # of the 0 GPa pattern that the q1 fit could not take; 0.08–0.15 give the same refined density (±0.2 %)
    "smooth_A-1": 0.10,
    "alpha": 5.0,
    "bkg_scales": (0.80, 1.0),  # linear from the first to the last pressure
    "counts": 3000.0,
    "seed": 21127,
    "manifest": "xrd_manifest.csv",
    "background_file": "empty_cell.xy",
}


_STAGE_FILE = r"P_([0-9.]+)GPa(_decompress)?\.extxyz(\.gz)?"


def simulated_frames_by_pressure(run_dir, decompression: bool = False) -> dict[float, list]:
    """Pressure (GPa) → sampled frames of every compression stage ``P_<p>GPa.extxyz`` (or ``.extxyz.gz``) of a
    simulate run or of a bundle of one; ``decompression=True``: of the ``P_<p>GPa_decompress`` stages instead."""
    import re
    from pathlib import Path

    from ase.io import read

    out = {}
    for path in sorted(Path(run_dir).glob("P_*GPa*.extxyz*")):
        m = re.fullmatch(_STAGE_FILE, path.name)
        if m and bool(m.group(2)) == decompression:
            out[float(m.group(1))] = read(path, index=":")
    return dict(sorted(out.items()))


def sparse_indices(n: int, keep: int) -> list[int]:
    """``keep`` indices of ``n`` frames, evenly spaced and ending at the last (the frame the ELF and the final
    state are taken from): n = 20, keep = 5 → [3, 7, 11, 15, 19]."""
    if n <= keep:
        return list(range(n))
    step = n / keep
    return sorted({n - 1 - round(k * step) for k in range(keep)})


def bundle_glass_run(run_dir, out_folder, keep: int = 5, keep_decompression: int = 3,
                     records_name: str | None = None) -> dict:
    """Bundle a ``hpglass simulate`` run sparsely: of each stage's sampled frames keep ``keep`` (decompression
    stages: ``keep_decompression``), evenly spaced and ending at the last (:func:`sparse_indices`), positions and
    cell only (the momenta are not used by any analysis), as ``P_<p>GPa[_decompress].extxyz.gz`` (gzip level 9,
    mtime 0: the same bytes every time); every stage record and ``run.json`` go to ``records/<records_name>/``
    whole (their density, temperature and pressure series cover every sample of the run, not only the kept
    frames). Returns {"frames": {file name: kept indices}, "records": folder, "bytes": total bytes written}."""
    import gzip
    import io
    import json
    import re
    from pathlib import Path

    from ase.io import read, write

    from .io.atomic import atomic_write_bytes, atomic_write_text

    run_dir, out_folder = Path(run_dir), Path(out_folder)
    rec_dir = out_folder / "records" / (records_name or run_dir.name)
    rec_dir.mkdir(parents=True, exist_ok=True)
    kept: dict[str, list[int]] = {}
    total = 0
    for path in sorted(run_dir.glob("P_*GPa*.extxyz")):
        m = re.fullmatch(_STAGE_FILE, path.name)
        if not m:
            continue
        frames = read(path, index=":")
        idx = sparse_indices(len(frames), keep_decompression if m.group(2) else keep)
        buf = io.StringIO()
        for i in idx:
            f = frames[i]
            f.arrays.pop("momenta", None)
            f.calc = None
            write(buf, f, format="extxyz", columns=["symbols", "positions"], write_info=True)
        data = gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
        name = path.name + ".gz"
        atomic_write_bytes(out_folder / name, data)
        kept[name] = idx
        total += len(data)
    for path in sorted([*run_dir.glob("*.json")]):
        if path.name in ("checkpoint.json", "lammps_job.json"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.name == "run.json":  # where the frames went, and which were kept
            rec = json.loads(text)
            rec["bundled_frames"] = {"made_by": "hpglass.demo_study_data.bundle_glass_run", "kept_indices": kept,
                                     "columns": "species, positions (momenta dropped)"}
            text = json.dumps(rec, indent=1) + "\n"
        atomic_write_text(rec_dir / path.name, text)
        total += len(text.encode("utf-8"))
    return {"frames": kept, "records": rec_dir, "bytes": total}


def make_demo_study_patterns(frames_by_pressure: dict[float, list], only=None) -> dict[str, str]:
    """File name → text of one 2θ pattern per pressure, the empty cell and a manifest with the TRUE density
    (the frames' mean) and background scale of each file.

    only: pressures whose patterns to make (default all); the others are left out of the result, but their noise
        is still drawn, so each file made is the same as in the full set (the S(q) of five 540-atom frames
        costs 25–60 s of CPU, by cell size, so a test can regenerate one pattern instead of all)."""
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
        rho = float(np.mean([density_g_cm3(f) for f in frames]))
        scale = s["bkg_scales"][0] + (s["bkg_scales"][1] - s["bkg_scales"][0]) * i / max(len(pressures) - 1, 1)
        name = f"xrd_{p:05.1f}GPa.xy"
        rows.append(f"{name},{p:g},compression,{rho:.6f},{scale:.5f}")
        if only is not None and p not in only:
            rng.normal(size=q.size)  # this file's noise: the next files' stay the same
            continue
        res = reciprocal_xray_sq(frames, edges)
        sq = _smooth_binned(q, res.q, res.sq, res.n_vectors, s["smooth_A-1"])
        comp = "".join(f"{el}{n}" for el, n in _counts(frames[0]).items())
        y = sample_intensity(q, sq, comp, lam, s["alpha"]) + scale * bkg
        y = y + rng.normal(size=q.size) * np.sqrt(np.abs(y) / s["counts"])
        head = [f"# {s['label']}", f"# pressure {p:g} GPa; TRUE density {rho:.5f} g/cm3 (mean of {len(frames)} "
                f"frames); background scale {scale:.4f}; alpha {s['alpha']}", f"# Wavelength: {lam * 1e-10:.6e}",
                "#       2th_deg             I"]
        files[name] = xy_text(head, tth, y)
    bk = bkg + rng.normal(size=q.size) * np.sqrt(bkg / s["counts"])
    files[s["background_file"]] = empty_cell_text(s["label"], lam, tth, bk)
    files[s["manifest"]] = "\n".join(
        ["# SYNTHETIC patterns from simulated frames: file, pressure, direction and the TRUE values of each file",
         "file,pressure_GPa,direction,true_density_g_cm3,true_bkg_scale"] + rows) + "\n"
    return files


def _smooth_binned(q: np.ndarray, qb: np.ndarray, sb: np.ndarray, nb: np.ndarray, sigma: float) -> np.ndarray:
    """S on ``q`` from bin means ``sb`` at ``qb`` holding ``nb`` vectors, by local quadratic regression: at each q_i
    the value at q_i of the weighted least-squares parabola through the bins, weights
    w_ij = n_j exp(−(q_j − q_i)²/2σ²) (each k vector weighs the same).

    A Gaussian-weighted mean (degree 0) is biased by ≈ σ² S″/2 where S(q) curves; on the rise of S(q) below the
    principal peak that bias moves ∫q²[S(q) − 1]dq and so the density the patterns encode: σ = 0.08 Å⁻¹ made
    densities refined from the demo's patterns 1.0–1.5 % low on noise-free data (issue 13). A local parabola
    follows the curvature (bias ∝ σ⁴ S⁗; Fan & Gijbels, *Local Polynomial Modelling and Its Applications*,
    Chapman & Hall 1996, Sec. 3.2) at the same noise suppression; tests/test_demo_study_data.py measures both."""
    ok = np.isfinite(sb) & (nb > 0)
    d = qb[None, ok] - q[:, None]
    w = np.exp(-0.5 * (d / sigma) ** 2) * nb[None, ok]
    m = np.stack([np.sum(w * d ** k, axis=1) for k in range(5)], axis=1)
    t = np.stack([np.sum(w * d ** k * sb[None, ok], axis=1) for k in range(3)], axis=1)
    a = np.stack([m[:, 0:3], m[:, 1:4], m[:, 2:5]], axis=1)
    return np.linalg.solve(a, t[..., None])[:, 0, 0]


def _counts(atoms) -> dict[str, int]:
    sym = atoms.get_chemical_symbols()
    return {el: sym.count(el) for el in dict.fromkeys(sym)}


# -- the bcc reference trajectory (claim M6) ------------------------------------------------------------------------
DEMO_BCC_REFERENCE: dict = {
    "label": "bcc Sb2Se3, 60 GPa (POD student, 300 K NPT MD)",
    "pressure_GPa": 60.0,
    # a cubic 5 × 5 × 5 supercell of the disordered bcc (250 atoms, 100 Sb / 150 Se): the default 5 × 5 × 2 cell of
    # ``hpglass simulate --crystal bcc`` is only 2 a ≈ 6.3 Å high, so its g(r) would end at ≈ 3.2 Å (half the
    # smallest cell height); the cubic one reaches ≈ 8 Å
    "repeat": (5, 5, 5),
    "start_density_g_cm3": 7.5,
    "seed": 60,
    "fmax_eV_A": 0.01,
    "relax_steps": 500,
    # LAMMPS NPT MD from the relaxed crystal: 5 ps to equilibrate at 300 K and 60 GPa, 20 ps of production (the
    # length of a glass stage), a frame every 1 ps; the bundle keeps 10 of the 20 frames
    "md": {"timestep_fs": 2.0, "temperature_K": 300.0, "equilibration_steps": 0, "pressure_equilibration_steps": 2500,
           "steps_per_pressure": 10000, "sample_every": 500, "checkpoint_every": 2500, "thermostat_time_fs": 100.0,
           "barostat_time_fs": 1000.0, "barostat": "isotropic", "seed": 2060},
    "folder": "bcc_reference",
    "file": "bcc_P_60GPa_md.extxyz",
}


def make_bcc_reference(out_dir, device: str = "cpu", threads: int = 1, progress=None, potential_dir=None,
                       spec: dict | None = None) -> dict:
    """The bcc reference trajectory of the bundled study: relax the cubic disordered bcc Sb2Se3 at ``spec``'s
    pressure (0 K, full cell, FIRE; :func:`hpglass.simulate.crystals.relax_ladder` in ``out_dir/relax``), then NPT
    MD at 300 K and that pressure from it (``out_dir/md``), both resuming when run again.

    potential_dir: ``None`` — SevenNet-0 for both (ASE's MD, :func:`hpglass.simulate.run_protocol`); a LAMMPS
        potential directory — its forces through ``lammpslib`` for the relaxation and LAMMPS's own MD
        (:func:`hpglass.simulate.lammps_engine.run_lammps_protocol`), as the glass run with that potential.
    spec: the parameters (default :data:`DEMO_BCC_REFERENCE`); its ``"md"`` entries are
        :class:`~hpglass.simulate.protocol.ProtocolConfig` fields.

    Returns {"relaxed": path, "frames": path of the sampled MD frames, "relax": ladder, "md": result}."""
    import json
    from pathlib import Path

    from .simulate.crystals import bcc_sb2se3_cell, relax_ladder
    from .simulate.protocol import ProtocolConfig, run_protocol

    s = DEMO_BCC_REFERENCE if spec is None else spec
    out = Path(out_dir)
    p = s["pressure_GPa"]
    if potential_dir is None:
        from .simulate import calculators

        meta = calculators.potential_info("sevenn", device, threads)
        factory = calculators.calculator_factory("sevenn", device, threads)
    else:
        from .potential.lammps_potential import load_potential
        from .simulate.lammps_engine import lammps_metadata

        pot = load_potential(potential_dir)
        meta = lammps_metadata(pot.directory) | {"potential": str(pot.directory)}
        factory = pot.calculator
    meta = meta | {"crystal": "bcc", "repeat": list(s["repeat"]), "bcc_start_density_g_cm3": s["start_density_g_cm3"],
                   "bcc_seed": s["seed"], "made_by": "hpglass.demo_study_data.make_bcc_reference"}
    start = bcc_sb2se3_cell(density_g_cm3=s["start_density_g_cm3"], repeat=s["repeat"], seed=s["seed"])
    lad = relax_ladder(start, [p], factory, out / "relax", name="bcc", fmax=s["fmax_eV_A"], steps=s["relax_steps"],
                       metadata=meta)
    relaxed = lad.files[p]
    cfg = ProtocolConfig(composition="Sb2Se3", n_atoms=len(start), pressures_GPa=(p,),
                         initial_structure=str(Path(relaxed).resolve()), **s["md"])
    md = out / "md"
    md.mkdir(parents=True, exist_ok=True)
    # the run record `hpglass simulate` writes (so that `hpglass simulate --resume OUT/md` continues it too)
    (md / "run.json").write_text(json.dumps({"config": cfg.to_dict(), "metadata": meta}, indent=1) + "\n")
    resume = (md / "checkpoint.json").is_file()
    if potential_dir is None:
        res = run_protocol(cfg, factory, md, resume=resume, progress=progress, metadata=meta)
    else:
        from .simulate.lammps_engine import run_lammps_protocol

        res = run_lammps_protocol(cfg, potential_dir, md, resume=resume, progress=progress, metadata=meta)
    frames = next(f for f in res.files[f"P_{p:g}GPa"] if str(f).endswith(".extxyz"))
    return {"relaxed": Path(relaxed), "frames": Path(frames), "relax": lad, "md": res}


# -- ELF grids of chosen frames (claim M8, Fig. 5c) ----------------------------------------------------------------
DEMO_ELF: dict = {
    # pressure (GPa) → the frame (last of the bundled P_<p>GPa.extxyz) whose ELF ``hpglass elf`` computed
    "pressures_GPa": (0.0, 30.0),
    "folder": "elf",
    # bundled grid: every ``stride``-th point of GPAW's fine grid along each axis, values with ``digits`` decimals
    # of the mantissa, gzip-compressed (mtime 0: the same bytes every time)
    "stride": 2,
    "digits": 3,
    "gpaw": {"mode": "pw", "ecut_eV": 400.0, "kpts": "1,1,1", "xc": "PBE", "smearing_eV": 0.1},
    # the bundled study's bond cutoffs (its [[simulation]] cutoffs_A): the bonds whose midpoints claim M8 samples
    "cutoffs_A": {"Sb-Se": 3.3, "Sb-Sb": 3.3, "Se-Se": 3.0},
}


def elf_grid_name(pressure_GPa: float) -> str:
    return f"elf_P_{pressure_GPa:g}GPa.cube.gz"


def bundle_elf_grid(cube_in, out_path, stride: int | None = None, digits: int | None = None) -> dict:
    """Write the ELF cube ``cube_in`` (``hpglass elf``'s ``elf.cube``) downsampled by ``stride`` (every stride-th
    grid point of each axis; the cell stays the same) as a gzip-compressed cube with ``digits`` decimals; returns
    {"path", "shape", "bytes"}. :func:`bundle_elf_run` records the study's analysis of both grids."""
    import gzip
    from pathlib import Path

    from .io.atomic import atomic_write_bytes
    from .io.volumetric import VolumetricGrid, format_cube, read_cube

    st = DEMO_ELF["stride"] if stride is None else int(stride)
    dg = DEMO_ELF["digits"] if digits is None else int(digits)
    g = read_cube(cube_in)
    small = VolumetricGrid(atoms=g.atoms, values=np.ascontiguousarray(g.values[::st, ::st, ::st]), origin=g.origin,
                           cell=g.cell, source=str(cube_in), meta=dict(g.meta))
    text = format_cube(small, f"{g.meta.get('comment', 'ELF')} | every {st}th point of the {g.shape} grid", dg)
    data = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    atomic_write_bytes(Path(out_path), data)
    return {"path": Path(out_path), "shape": small.shape, "bytes": len(data)}


def bundle_elf_run(run_dir, pressure_GPa: float, out_folder) -> dict:
    """Bundle one ``hpglass elf`` frame folder (``elf.cube``, ``elf_summary.json``, ``frame.extxyz``): the grid as
    :func:`bundle_elf_grid` writes it (``elf_P_<p>GPa.cube.gz``) and ``elf_P_<p>GPa_summary.json`` = the
    ``hpglass elf`` record of the full grid (per-species summary, histograms, GPAW run; paths relative) plus the
    study's analysis (:func:`hpglass.study.elf_grids.analyse_elf_grid`, bundled study cutoffs) of the full and of
    the bundled grid, so that what the downsampling changes is on record."""
    import json
    from pathlib import Path

    from .io.atomic import atomic_write_text
    from .study.elf_grids import analyse_elf_grid

    run_dir, out_folder = Path(run_dir), Path(out_folder)
    p = float(pressure_GPa)
    name = elf_grid_name(p)
    info = bundle_elf_grid(run_dir / "elf.cube", out_folder / name)
    cut = DEMO_ELF["cutoffs_A"]
    full = analyse_elf_grid(run_dir / "elf.cube", cut, p)["summary"] | {"file": "elf.cube (full grid, not bundled)"}
    small = analyse_elf_grid(out_folder / name, cut, p)["summary"] | {"file": name}
    full["per_species"]["source"], small["per_species"]["source"] = full["file"], name
    rec = json.loads((run_dir / "elf_summary.json").read_text(encoding="utf-8"))
    rec["bundled_grid"] = {"file": name, "shape": list(info["shape"]), "bytes": info["bytes"],
                           "stride": DEMO_ELF["stride"], "digits": DEMO_ELF["digits"],
                           "made_by": "hpglass.demo_study_data.bundle_elf_run", "cutoffs_A": dict(cut),
                           "study_analysis_full_grid": full, "study_analysis_bundled_grid": small}
    text = json.dumps(rec, indent=1, default=str)
    for prefix in (str(run_dir.resolve().parent) + "/", str(Path.cwd().resolve()) + "/"):  # paths as run, relative
        text = text.replace(prefix, "")
    atomic_write_text(out_folder / f"elf_P_{p:g}GPa_summary.json", text + "\n")
    return {"grid": out_folder / name, "summary": out_folder / f"elf_P_{p:g}GPa_summary.json", "full": full,
            "bundled": small}


def copy_bundled_elf(folder, pressure_GPa: float, out_folder) -> dict:
    """Copy what :func:`bundle_elf_run` wrote for one pressure (``elf_P_<p>GPa.cube.gz``, ``…_summary.json``,
    ``…_frame.extxyz``) from ``folder`` to ``out_folder``; returns the same entries as :func:`bundle_elf_run`, the
    analyses read back from the summary. A missing file is an :class:`~hpglass.errors.InputError` naming it."""
    import json
    import shutil
    from pathlib import Path

    from .errors import InputError

    folder, out_folder = Path(folder), Path(out_folder)
    p = float(pressure_GPa)
    names = (elf_grid_name(p), f"elf_P_{p:g}GPa_summary.json", f"elf_P_{p:g}GPa_frame.extxyz")
    for name in names:
        if not (folder / name).is_file():
            raise InputError(f"neither an `hpglass elf` frame folder (no elf.cube) nor a bundled ELF ({name} missing)",
                             source=folder, field="elf_runs")
    for name in names:
        shutil.copy2(folder / name, out_folder / name)
    grid = json.loads((folder / names[1]).read_text(encoding="utf-8"))["bundled_grid"]
    return {"grid": out_folder / names[0], "summary": out_folder / names[1],
            "full": grid["study_analysis_full_grid"], "bundled": grid["study_analysis_bundled_grid"]}


# -- the bundled study file -----------------------------------------------------------------------------------------
def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: what the study file says of the simulated glass (its [study] description and [[simulation]] name)
_GLASS80_TEXT = {
    "description": ("an 80-atom\na-Sb2Se3 glass melt-quenched and compressed with the SevenNet-0 potential "
                    "(hpglass simulate), X-ray"),
    "header": "SevenNet-0",
    "name": "a-Sb2Se3 (SevenNet-0)",
}


def demo_study_toml(sim_pressures: list[float], xrd_files: list[str], crystal_eos: dict,
                    references: dict[str, str], frames_folder: str = "../simulated",
                    sim_model: str = "", xrd_model: str = "", elf: dict[float, str] | None = None,
                    frames_suffix: str = ".extxyz", glass_text: dict[str, str] | None = None) -> str:
    """Text of the bundled study file for simulated frames at ``sim_pressures`` (files ``P_<p>GPa<frames_suffix>``
    in ``frames_folder``), the patterns made from them and the model transport runs of this module; ``references``
    (label → file) and ``elf`` (pressure → ELF grid file) are relative to ``frames_folder``; ``glass_text`` says
    what the glass is (keys of ``_GLASS80_TEXT``)."""
    g = _GLASS80_TEXT if glass_text is None else glass_text
    t = DEMO_STUDY_TRANSPORT
    lines = [
        "# The bundled demo study of hpglass (`hpglass demo` runs it; `hpglass run study.toml --out DIR` too).",
        f"# Inputs: a-Sb2Se3 SIMULATED with `hpglass simulate` ({g['header']}), X-ray patterns COMPUTED from those",
        "# frames, and SYNTHETIC transport curves from a stated model — every stream says so in the report.",
        "# Made by hpglass.demo_study_data.demo_study_toml; relative paths resolve against this file.",
        "",
        "[study]",
        'name = "a-Sb2Se3: simulated glass, patterns computed from it, model transport (bundled demo)"',
        'description = """The analysis of Zhang et al., PRL 127, 127002 (2021) redone on open inputs: '
        + g["description"],
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
        "pnma_structures = [",  # the Pnma r1 reference of Fig. 2d from the relaxed crystals at each pressure
        *(f'    {{ pressure_GPa = {p:g}, file = "{frames_folder}/crystals/pnma_P_{p:g}GPa.extxyz" }},'
          for p in sim_pressures),
        "]",
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
    # fixed bond cutoffs (Å), the same for every pressure and for the 80-atom cells of the ELF frames (r_max ≈ 6 Å,
    # too short to bound every first shell by a g(r) minimum); 3.3 Å sits in the Sb–Se / Sb–Sb minimum of a-Sb2Se3 at ambient, 3.0 Å bounds Se–Se bonds (2.35 Å)
    lines += ["[[simulation]]", f"name = {_toml_str(g['name'])}", 'direction = "compression"', 'rings = "primitive"',
              "max_ring = 8", 'cutoffs_A = { "Sb-Se" = 3.3, "Sb-Sb" = 3.3, "Se-Se" = 3.0 }', "frames = ["]
    lines += [f'    {{ pressure_GPa = {p:g}, file = "{frames_folder}/P_{p:g}GPa{frames_suffix}" }},'
              for p in sim_pressures]
    lines += ["]", "references = { " + ", ".join(f"{_toml_str(k)} = \"{frames_folder}/{v}\""
                                              for k, v in references.items()) + " }"]
    if elf:
        lines += ["elf = ["] + [f'    {{ pressure_GPa = {p:g}, file = "{frames_folder}/{f}" }},'
                                for p, f in elf.items()] + ["]"]
    lines += [
              f"provenance = {{ kind = \"simulated\", model = {_toml_str(sim_model)} }}", "",
              "[analysis]", "refine_density = true", "refine_bkg = true", "q1_segments = 2", "r1_segments = 2",
              "sigma_segments = 3", 'glass_eos_form = "bm3"', 'tc_criterion = "50"', "hc2_criterion_pct = 50.0",
              'hc2_slope_model = "quadratic"', "workers = 1", ""]
    return "\n".join(lines)


#: the inputs of the bundled study file that are not in this module's other tables: the simulated pressures, the
#: crystal EOS (a BM3 fit of the Pnma ladder ``simulated/crystals/pnma_eos.csv``), the crystal reference
#: trajectories and ELF grids (relative to ``simulated/``) and the simulation's provenance
DEMO_STUDY_SIMULATION: dict = {
    "pressures_GPa": (0.0, 5.0, 10.0, 16.0, 20.0, 25.0, 30.0, 35.0, 40.0, 50.0, 60.0),
    "crystal_eos": {
        "form": "bm3", "rho0_g_cm3": 5.6680, "K0_GPa": 20.322, "K0p": 6.402,
        "label": ("Pnma Sb2Se3 relaxed at 0 K with the POD student at 0-60 GPa (hpglass simulate --engine lammps "
                  "--crystal pnma), BM3 fit of the 6 points <= 25 GPa: rho0 5.668 +- 0.052 g/cm3, K0 20.3 +- 2.4 GPa, "
                  "K0' 6.4 +- 0.5; within 0.9 % of the relaxed densities up to 60 GPa"),
        "legend": "Pnma, POD student, 0 K (BM3 fit)"},
    "references": {"Pnma Sb2Se3, 0 GPa (POD student, 0 K)": "crystals/pnma_P_0GPa.extxyz",
                   DEMO_BCC_REFERENCE["label"]: f"{DEMO_BCC_REFERENCE['folder']}/{DEMO_BCC_REFERENCE['file']}"},
    "elf": {p: f"{DEMO_ELF['folder']}/{elf_grid_name(p)}" for p in DEMO_ELF["pressures_GPa"]},
    "frames_suffix": ".extxyz.gz",
    "glass_text": {
        "description": ("a 540-atom\na-Sb2Se3 glass melt-quenched (10 K/ps) and compressed with a POD potential "
                        "distilled from SevenNet-0 + D3\n(hpglass simulate --engine lammps), X-ray"),
        "header": "POD distilled from SevenNet-0 + D3, LAMMPS",
        "name": "a-Sb2Se3 (540 atoms, POD student of SevenNet-0 + D3)"},
    "model": ("hpglass simulate --engine lammps with the POD student data/distil/pod-sb2se3-r3 (distilled from "
              "SevenNet-0 + D3): 540 atoms, melt 1200 K 20 ps, quench 10 K/ps, 10 ps at 300 K; NPT (Nose-Hoover/MTK) "
              "5 ps + 20 ps at each of 0-60 GPa, then back to 0; bcc reference: 250-atom disordered bcc, 20 ps NPT at "
              "60 GPa and 300 K; ELF: GPAW PBE 400 eV of the last 0 and 30 GPa frames of an 80-atom glass made with "
              "the same protocol (see simulated/README.md)"),
}


def bundled_study_toml() -> str:
    """The text of the bundled ``study/study.toml`` (a test checks that the file is exactly this)."""
    s = DEMO_STUDY_SIMULATION
    xrd = [f"xrd_{p:05.1f}GPa.xy" for p in s["pressures_GPa"]]
    return demo_study_toml(list(s["pressures_GPa"]), xrd, s["crystal_eos"], s["references"],
                           sim_model=s["model"], elf=s["elf"], frames_suffix=s.get("frames_suffix", ".extxyz"),
                           glass_text=s.get("glass_text"))


# -- regenerating the bundled simulated study from new runs ---------------------------------------------------------
def write_simulated_bundle(glass_run, crystals, bcc_reference, elf_runs: dict[float, object], demo=None,
                           keep: int = 5, keep_decompression: int = 3, keep_bcc: int = 10,
                           study_toml: str | None = None, records_name: str = "glass") -> dict:
    """Replace the bundled study's simulated inputs (``demo/simulated``, ``demo/study_xrd``, ``demo/study/study.toml``)
    by those of new runs; ``demo`` defaults to the package's demo folder (a copy for a dry run).

    glass_run: a finished ``hpglass simulate`` run folder — bundled sparsely by :func:`bundle_glass_run`.
    crystals: a ``hpglass simulate --crystal pnma`` folder (``pnma_P_<p>GPa.extxyz``, ``pnma_eos.csv/json``), copied.
    bcc_reference: a :func:`make_bcc_reference` folder: ``relax/`` copied, the MD frames thinned to ``keep_bcc``
        (:func:`sparse_indices`) as ``bcc_reference/bcc_P_<p>GPa_md.extxyz``, the MD records to ``bcc_reference/md``.
    elf_runs: pressure → ``hpglass elf`` frame folder, bundled by :func:`bundle_elf_run` (with the frame the ELF was
        computed on, ``elf/elf_P_<p>GPa_frame.extxyz``: it may come from a smaller cell than the glass run's), or a
        folder that already holds that bundle (no ``elf.cube``), copied by :func:`copy_bundled_elf` — so that
        rebundling needs no new GPAW run.
    study_toml: the study file's text (default :func:`bundled_study_toml`, i.e. :data:`DEMO_STUDY_SIMULATION`).

    The X-ray patterns are made from the bundled frames (:func:`make_demo_study_patterns`), so that the test that
    regenerates them from the package's frames holds. Returns what was written, with sizes in bytes."""
    import re
    import shutil
    from pathlib import Path

    from ase.io import read, write

    from .demo_data import demo_folder
    from .io.atomic import atomic_write_text

    demo = Path(demo) if demo is not None else demo_folder()
    sim = demo / "simulated"
    for old in [*sim.glob("P_*GPa*.extxyz*"), sim / "records", sim / "crystals", sim / "bcc_reference", sim / "elf"]:
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    glass = bundle_glass_run(glass_run, sim, keep=keep, keep_decompression=keep_decompression,
                             records_name=records_name)
    crystals = Path(crystals)
    (sim / "crystals").mkdir(parents=True)
    for f in sorted(crystals.iterdir()):
        if re.fullmatch(r"pnma_(P_[0-9.]+GPa\.extxyz|eos\.csv|eos\.json)", f.name):
            shutil.copy2(f, sim / "crystals" / f.name)
    bcc_in, bcc_out = Path(bcc_reference), sim / DEMO_BCC_REFERENCE["folder"]
    shutil.copytree(bcc_in / "relax", bcc_out / "relax")
    (bcc_out / "md").mkdir(parents=True)
    md_frames = sorted((bcc_in / "md").glob("P_*GPa.extxyz"))
    for f in md_frames:
        frames = read(f, index=":")
        kept = [frames[i] for i in sparse_indices(len(frames), keep_bcc)]
        for a in kept:
            a.arrays.pop("momenta", None)
            a.calc = None
        write(bcc_out / f"bcc_{f.stem}_md.extxyz", kept, format="extxyz", columns=["symbols", "positions"])
    for f in sorted((bcc_in / "md").glob("*.json")):
        if f.name not in ("checkpoint.json", "lammps_job.json"):
            shutil.copy2(f, bcc_out / "md" / f.name)
    elf_out = sim / DEMO_ELF["folder"]
    elf_out.mkdir(parents=True)
    elf = {}
    for p, run in sorted(elf_runs.items()):
        if not (Path(run) / "elf.cube").exists():
            elf[p] = copy_bundled_elf(run, p, elf_out)
            continue
        elf[p] = bundle_elf_run(run, p, elf_out)
        frame = read(Path(run) / "frame.extxyz")
        frame.arrays.pop("momenta", None)
        write(elf_out / f"elf_P_{p:g}GPa_frame.extxyz", frame, format="extxyz", columns=["symbols", "positions"])
    files = make_demo_study_patterns(simulated_frames_by_pressure(sim))
    xrd = demo / DEMO_STUDY_DIFFRACTION["folder"]
    shutil.rmtree(xrd, ignore_errors=True)
    xrd.mkdir(parents=True)
    for name, text in files.items():
        atomic_write_text(xrd / name, text)
    atomic_write_text(demo / "study" / "study.toml", bundled_study_toml() if study_toml is None else study_toml)
    size = {str(f.relative_to(demo)): f.stat().st_size for f in sorted(sim.rglob("*")) if f.is_file()}
    return {"glass": glass, "elf": elf, "patterns": sorted(files), "bytes": size,
            "simulated_bytes": sum(v for k, v in size.items() if not k.endswith(".md"))}
