"""The independent pieces of a study run (one pattern, one R(T) file, one resistivity table, one trajectory).

Each piece is a module-level function of one plain-data task dict (picklable: it runs in a worker process or on a
dask worker) that returns plain data: numbers, lists and numpy arrays. :func:`run_piece` dispatches on
``task["kind"]``. An InputError raised while reading a file gets the study's field path (``task["field"]``).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConvergenceError, HpglassError, InputError

__all__ = ["run_piece"]


def _with_field(exc: InputError, task: dict) -> InputError:
    if exc.field is None or task.get("field_override", True):
        return InputError(exc.message, source=exc.source or task.get("file"), line=exc.line,
                          field=task.get("field"))
    return exc


def _read_measurement(path: str, task: dict):
    """A 1D pattern file, or a 2D image integrated with the run's calibration (``task["image"]`` settings and
    ``task["image_files"]``: poni, mask, transfer images) by :func:`hpglass.io.integrate_image`."""
    from ..io import integrate_image, read_pattern
    from ..io.images import is_image_file

    img = task.get("image")
    if img is None or not is_image_file(path):
        return read_pattern(path, wavelength=task["wavelength_A"])
    files = task["image_files"]
    transfer = None if files["transfer_original"] is None else (files["transfer_original"],
                                                                 files["transfer_response"])
    return integrate_image(path, files["poni"], mask=files["mask"], npt=img["npt"], unit="q_A",
                           polarization=img["polarization"], frame=img["frame"], transfer=transfer)


def pattern_piece(task: dict) -> dict:
    """One diffraction pattern → S(q), F(r), g(r), density, q1, r1, CN (:func:`hpglass.scattering.process`) and its
    sharp-peak (Bragg) metrics (:func:`hpglass.series.crystallization.bragg_metrics`).

    The sample and its background are pattern files or 2D images (integrated first, :func:`_read_measurement`);
    ``task["config"]`` holds this file's ScatterConfig fields (its diamond-cell geometry included). The result
    keeps the 1D pattern (``"pattern"``) and the integration's one-line notes (``"notes"``: image frame, transfer
    correction).
    """
    from ..scattering import make_config, process
    from ..series.crystallization import bragg_metrics

    try:
        pat = _read_measurement(task["file"], task)
        bkg = None if task["background"] is None else _read_measurement(task["background"], task)
        cfg = make_config(source=task["field"], composition=task["composition"], wavelength=pat.wavelength,
                          **task["config"])
    except InputError as exc:
        raise _with_field(exc, task) from None
    notes = list(pat.meta.get("notes", []))
    if bkg is not None:
        notes += [f"background: {n}" for n in bkg.meta.get("notes", [])]
    out: dict[str, Any] = {"file": task["file"], "error": None, "notes": notes,
                           "pattern": {"x": pat.x, "y": pat.y, "unit": pat.unit, "wavelength": pat.wavelength}}
    try:
        bm = bragg_metrics(pat)
        out["n_sharp"] = bm.n_sharp
        out["sharp_peaks_A-1"] = [p.q for p in bm.peaks]
    except HpglassError as exc:
        out["n_sharp"], out["sharp_peaks_A-1"] = None, []
        out["bragg_error"] = str(exc)
    try:
        res = process(pat, bkg, cfg)
    except (ConvergenceError, InputError) as exc:
        out["error"] = str(exc)
        return out
    d = res.to_dict()
    out.update({"scatter": d, "q": res.q, "sq": res.sq, "r": res.r, "gr": res.gr, "fr": res.fr,
                "x": pat.x, "y": pat.y, "x_unit": pat.unit})
    return out


def curve_piece(task: dict) -> dict:
    """One PPMS/DynaCool R(T) file at one pressure: Tc of the zero-field sweep (every transition), and μ0Hc2(T) with
    WHH/GL when the file holds sweeps at several fields (:mod:`hpglass.transport`)."""
    from ..io import read_qd
    from ..transport import find_tc, fit_hc2, hc2_points_from_rt, is_semiconducting, split_sweeps

    try:
        curve = read_qd(task["file"]).curve(task.get("channel"))
        sweeps = split_sweeps(curve)
    except InputError as exc:
        raise _with_field(exc, task) from None
    fields = np.array([0.0 if s.mean_field_T is None else float(s.mean_field_T) for s in sweeps])
    want = task.get("fields_T")
    if want is not None:
        for f in want:
            if not np.any(np.abs(fields - f) <= max(0.02, 0.02 * abs(f))):
                found = ", ".join(f"{x:g}" for x in fields)
                raise InputError(f"no sweep at {f:g} T in the file (found {found} T)", source=task["file"],
                                 field=task["field"] + ".fields_T")
    i0 = int(np.argmin(np.abs(fields)))
    zero = sweeps[i0]
    out: dict[str, Any] = {"file": task["file"], "fields_T": fields.tolist(),
                           "T_K": np.asarray(zero.temperature_K), "R_ohm": np.asarray(zero.resistance_ohm),
                           "sweeps": [{"field_T": float(f), "T_K": np.asarray(s.temperature_K),
                                       "R_ohm": np.asarray(s.resistance_ohm)} for f, s in zip(fields, sweeps)],
                           "hc2": None, "hc2_points": None, "hc2_error": None}
    tc = find_tc(zero)
    out["tc"] = tc.to_dict()
    out["tc_obj"] = tc
    out["semiconducting"] = bool(is_semiconducting(zero))
    if len(sweeps) > 1 and tc.superconducting:
        try:
            pts = hc2_points_from_rt(sweeps, criterion=task["hc2_criterion_pct"])
            h = fit_hc2(pts, slope_model=task["hc2_slope_model"])
            out["hc2"] = h.to_dict()
            out["hc2_obj"] = h
            out["hc2_points"] = {"T_K": np.asarray(pts.T_K), "H_T": np.asarray(pts.H_T),
                                 "T_err_K": np.asarray(pts.T_err_K), "H_err_T": np.asarray(pts.H_err_T)}
        except HpglassError as exc:
            out["hc2_error"] = str(exc)
    return out


def sigma_piece(task: dict) -> dict:
    """Room-temperature ρ(P) table → log10 σ(P) regimes and breakpoints (:func:`conductivity_regimes`)."""
    from ..io import read_rt_table
    from ..transport import conductivity_regimes

    try:
        table = read_rt_table(task["file"], x="P")
    except InputError as exc:
        raise _with_field(exc, task) from None
    if table.resistivity_ohm_cm is not None:
        values, kind = table.resistivity_ohm_cm, "resistivity"
    else:
        values, kind = table.resistance_ohm, "resistance"
    p = np.asarray(table.pressure_GPa, dtype=float)
    direction = list(table.directions) if table.directions else None
    if direction is not None and len(set(direction)) == 1:
        direction = None
    out: dict[str, Any] = {"file": task["file"], "pressure_GPa": p, "values": np.asarray(values), "kind": kind,
                           "directions": None if table.directions is None else list(table.directions),
                           "regimes": None, "error": None}
    try:
        change = (max(float(p.min()), 0.0), min(20.0, float(p.max())))
        reg = conductivity_regimes(p, values, direction, task["sigma_segments"], kind=kind,
                                   change_between_GPa=change, ci_level=task["ci_level"])
        out["regimes"] = reg.to_dict()
        out["regimes_obj"] = reg
        key = reg.directions[0]
        out["fit_direction"] = key
        fit = reg[key].fit
        pp = np.linspace(float(p.min()), float(p.max()), 300)
        out["fit_P_GPa"], out["fit_log10_sigma"] = pp, np.asarray(fit.predict(pp))
    except HpglassError as exc:
        out["error"] = str(exc)
    return out


def _loadtxt(path: str | None) -> tuple[list[str], np.ndarray] | None:
    if not path or not Path(path).is_file():
        return None
    names: list[str] = []
    with open(path) as fh:
        for line in fh:
            if line.startswith("#"):
                names = line[1:].split()
            else:
                break
    data = np.loadtxt(path, ndmin=2)
    return names, data


def trajectory_piece(task: dict) -> dict:
    """One trajectory at one pressure → ``hpglass structure`` (g_ab(r), X-ray S(q), coordination, angles, ALTBC,
    rings, q4/q6, bcc fraction; frame averages) written to ``task["out"]``; the arrays are read back for figures."""
    import json

    from ..cli.structure import structure

    cut = [f"{k}={v}" for k, v in sorted(task["cutoffs_A"].items())]
    target = Path(task["out"])
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            structure.__wrapped__(traj=[Path(task["file"])], frames=task["select"], cutoff=cut or None,
                                  rings=task["rings"], max_ring=task["max_ring"], qmin=0.0, qmax=task["q_max_A"],
                                  dq=0.01, r_max=None, dr=0.01, window="lorch", lorch=False, altbc_rmax=4.0,
                                  format=None, species=None, workers=1, scheduler=None, out=target, json_out=True)
    except InputError as exc:
        raise _with_field(exc, task) from None
    summary = json.loads((target / "result.json").read_text())
    arrays: dict[str, Any] = {}
    for key, name in (("gr", "gr_partial.dat"), ("sq", "sq.dat"), ("fr", "fr.dat"), ("adf", "adf.dat"),
                      ("coordination", "coordination.dat"), ("rings", "rings.dat")):
        got = _loadtxt(str(target / name))
        if got is not None:
            names, data = got
            arrays[key] = {n: data[:, i] for i, n in enumerate(names) if i < data.shape[1]}
    return {"file": task["file"], "summary": summary, "arrays": arrays, "out": str(target)}


def _read_crystal(path: str, field: str):
    """The last frame of a crystal structure file (extxyz, POSCAR, CIF …: whatever :func:`ase.io.read` reads)."""
    from ase.io import read

    try:
        atoms = read(path, index=-1)
    except Exception as exc:  # noqa: BLE001 - ase raises many types for a bad file
        raise InputError(f"cannot read a crystal structure: {exc}", source=path, field=field) from None
    if len(atoms) == 0 or not all(atoms.pbc) or atoms.get_volume() <= 0:
        raise InputError("a crystal structure needs atoms and a periodic cell", source=path, field=field)
    return atoms


def pnma_r1_from_structures(structures: list[dict], sigma_A: float, field: str = "sample.crystal") -> \
        tuple[np.ndarray, np.ndarray]:
    """(pressures, r1) of relaxed crystal structures ``[{"pressure_GPa", "file"}, …]``, sorted by pressure: r1 is
    the first maximum of each structure's Z-weighted total g(r), every pair broadened by a Gaussian of ``sigma_A``
    (:func:`hpglass.series.crystal_reference.crystal_pair_functions`) — the definition of the bcc curve, so the two
    crystals compare like for like; unlike the EOS-scaled Pnma, the internal coordinates are the relaxed ones."""
    from ..series.crystal_reference import crystal_pair_functions

    items = sorted(structures, key=lambda x: float(x["pressure_GPa"]))
    r1 = [crystal_pair_functions(_read_crystal(str(x["file"]), f"{field}.pnma_structures"), sigma=sigma_A,
                                 r_max=6.0).r1 for x in items]
    return np.array([float(x["pressure_GPa"]) for x in items]), np.asarray(r1, dtype=float)


def reference_piece(task: dict) -> dict:
    """Crystal references' r1 (first g(r) maximum) along the crystal EOS at the study's pressures.

    bcc Sb2Se3-type (one site shared by the elements, Im-3m) at the crystal EOS density; Pnma from relaxed
    structures at their own pressures when the task gives them (``pnma_structures``: :func:`pnma_r1_from_structures`;
    their pressures in ``pressures_by_curve["Pnma"]``), else from the given coordinates scaled by V(P)/V0 of the
    crystal EOS (:mod:`hpglass.series.crystal_reference`). A curve without an entry in ``pressures_by_curve`` is
    on ``pressure_GPa``.
    """
    from ..eos.fit import eos_from_params
    from ..series.crystal_reference import bcc_sb2se3, crystal_pair_functions, pnma_from_coordinates

    e = task["eos"]
    eos = eos_from_params(e["form"], rho0=e["rho0_g_cm3"], K0=e["K0_GPa"], K0p=e["K0p"], label=e["label"])
    pressures = np.asarray(task["pressures_GPa"], dtype=float)
    rho = np.asarray(eos.density(pressures)[0], dtype=float)
    out: dict[str, Any] = {"pressure_GPa": pressures, "crystal_density_g_cm3": rho, "curves": {}}
    if task["bcc"]:
        occ = task.get("occupancy")
        r1 = []
        for d in rho:
            atoms = bcc_sb2se3(density_g_cm3=float(d), model="average", occupancy=occ)
            r1.append(crystal_pair_functions(atoms, sigma=task["sigma_A"], r_max=6.0).r1)
        out["curves"]["bcc"] = np.asarray(r1)
    if task.get("pnma_structures"):
        pp, r1 = pnma_r1_from_structures(task["pnma_structures"], task["sigma_A"], task.get("field", "sample.crystal"))
        out["curves"]["Pnma"] = r1
        out["pressures_by_curve"] = {"Pnma": pp}
    elif task.get("pnma_coordinates"):
        base = pnma_from_coordinates(task["pnma_coordinates"], source=task.get("pnma_source"))
        rho0 = rho[0] if pressures[0] == 0 else float(eos.density(np.array([0.0]))[0][0])
        r1 = [crystal_pair_functions(base, sigma=task["sigma_A"], r_max=6.0, volume_ratio=float(rho0 / d)).r1
              for d in rho]
        out["curves"]["Pnma"] = np.asarray(r1)
    return out


_PIECES = {"pattern": pattern_piece, "curve": curve_piece, "sigma": sigma_piece, "trajectory": trajectory_piece,
           "reference": reference_piece}


def run_piece(task: dict) -> dict:
    """Run one task (dispatch on ``task["kind"]``)."""
    return _PIECES[task["kind"]](task)
