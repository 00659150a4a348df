"""Tables of a study run: CSV per stream (one row per pattern / R(T) file / trajectory), the claims, the
phase-diagram boundaries and regions, and one JSON summary — all written atomically."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path

from ..io import atomic_write_text
from .results import ELF_COLUMNS, StudyResult

__all__ = ["rows_to_csv", "table_rows", "write_summary", "write_tables"]


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if not math.isfinite(v) else f"{v:.10g}"
    if isinstance(v, (list, tuple)):
        return ";".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return ";".join(f"{k}={_cell(x)}" for k, x in v.items())
    return str(v)


def rows_to_csv(rows: Sequence[dict], comment: str = "") -> str:
    """CSV text with a header made of the union of the rows' keys (first-seen order); ``# comment`` lines first."""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    buf = io.StringIO()
    for line in comment.splitlines():
        buf.write(f"# {line}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(keys)
    for r in rows:
        w.writerow([_cell(r.get(k)) for k in keys])
    return buf.getvalue()


_ELF_COMMENT = "\n".join([
    "ELF (electron localization function; Becke & Edgecombe, J. Chem. Phys. 92, 5397 (1990)) of one frame per row,",
    "from the run's ELF grids (hpglass.study.elf_grids.analyse_elf_grid); ELF is dimensionless, 0-1; one frame, no",
    "average over frames. Columns:",
    *(f"{k}: {d}" for k, (_, d) in ELF_COLUMNS.items()),
    "elf_near_half_window: the ELF window of elf_fraction_near_half",
    "elf_mean_<species>: mean ELF over the grid points nearest to an atom of that species (Voronoi regions)",
    ("elf_bond_midpoint_mean_<pair>, elf_bond_midpoint_sem_<pair>: the bond-midpoint mean and its standard error "
     "by pair type"),
    "elf_grid_shape: grid points along a;b;c; elf_file: the grid"])

_CRYSTAL_R1_COMMENT = """crystal references' r1 (A): the first maximum of the Z-weighted total g(r) of each crystal, every
pair distance broadened by a Gaussian of sample.crystal.reference_sigma_A
(hpglass.series.crystal_reference.crystal_pair_functions); bcc at the crystal EOS density (crystal_eos_density_g_cm3)
at each pressure; Pnma from the relaxed structure at that pressure when the study gives them, else scaled along the
crystal EOS"""


def table_rows(result: StudyResult) -> dict[str, tuple[list[dict], str]]:
    """name → (rows, comment) of every table."""
    out: dict[str, tuple[list[dict], str]] = {}
    d = []
    for run in result.diffraction:
        for p in run.points:
            d.append({**p.to_dict(), "provenance": run.provenance})
    if d:
        out["diffraction"] = (d, ("one row per pattern: reduction (S(q), g(r), density refinement) and its metrics; "
                                 "units in the column names"))
    t = []
    for run in result.transport:
        for c in run.curves:
            t.append({**c.to_dict(), "provenance": run.provenance})
    if t:
        out["transport_tc"] = (t, (f"one row per R(T) file; Tc criterion of the phase diagram: "
                                  f"{result.settings['analysis']['tc_criterion']}"))
    s = []
    for run in result.transport:
        reg = (run.sigma or {}).get("regimes")
        if not reg:
            continue
        for direction, dd in reg["directions"].items():
            for k, r in enumerate(dd["regimes"]):
                s.append({"run": run.name, "direction": direction, "regime": k + 1, **r,
                          "breakpoint_GPa": dd["breakpoints_GPa"][k] if k < len(dd["breakpoints_GPa"]) else None,
                          "breakpoint_err_GPa": dd["breakpoint_errs_GPa"][k]
                          if k < len(dd["breakpoint_errs_GPa"]) else None, "provenance": run.provenance})
    if s:
        out["transport_sigma_regimes"] = (s, ("log10 σ(P) regimes: slope (decades/GPa) and the breakpoint that ends "
                                             "each regime"))
    m = []
    for run in result.simulation:
        for p in (*run.points, *run.references):
            row = p.to_dict()
            rings = row.pop("rings_per_atom") or {}
            cn = row.pop("coordination_by_species") or {}
            row.update({f"rings_per_atom_{k}": v for k, v in rings.items()})
            row.update({f"cn_{k}": v for k, v in cn.items()})
            m.append({**row, "provenance": run.provenance})
    if m:
        out["simulation"] = (m, "one row per trajectory (frame averages); references have no pressure")
    e = [{"run": run.name, "pressure_GPa": p.pressure_GPa, "label": p.label, **p.elf_row(),
          "provenance": run.provenance} for run in result.simulation for p in run.points if p.elf]
    if e:
        out["elf"] = (e, _ELF_COMMENT)
    if result.references:
        refs, r = result.references, []
        rho = dict(zip(map(float, refs["pressure_GPa"]), map(float, refs["crystal_density_g_cm3"]), strict=True))
        for name, pp in result.crystal_r1_curves().items():
            r += [{"crystal": name, "pressure_GPa": float(x), "r1_A": float(v),
                   "crystal_eos_density_g_cm3": rho.get(float(x)) if name == "bcc" else None}
                  for x, v in zip(pp, refs["curves"][name], strict=True)]
        out["crystal_r1"] = (r, _CRYSTAL_R1_COMMENT)
    pd = result.phase_diagram
    b = [{"boundary": x.name, "pressure_GPa": x.pressure_GPa, "err_GPa": x.err_GPa, "source": x.source,
          "rule": x.note} for x in pd.boundaries]
    for x in pd.boundaries:
        for c in x.candidates:
            b.append({"boundary": f"{x.name} (candidate)", "pressure_GPa": c["pressure_GPa"],
                      "err_GPa": c["err_GPa"], "source": f"{c['quantity']} ({c['stream']} run {c['run']})",
                      "rule": ""})
    if pd.crossover_GPa is not None:
        b.append({"boundary": "density crossover (glass = crystal)", "pressure_GPa": pd.crossover_GPa,
                  "err_GPa": pd.crossover_err_GPa, "source": "glass EOS vs crystal EOS", "rule": ""})
    out["phase_boundaries"] = (b, "phase-diagram boundaries (1σ errors) and the measurement each comes from")
    out["phase_regions"] = ([r.to_dict() for r in pd.regions], "phase-diagram regions")
    if pd.tc_points:
        out["phase_tc"] = (list(pd.tc_points), "Tc(P) points of every transport run")
    out["claims"] = ([c.to_dict() for c in result.claims], ("claims of Zhang et al., PRL 127, 127002 (2021) checked "
                                                           "against this run"))
    return out


def write_tables(result: StudyResult, folder: Path) -> dict[str, str]:
    """Write every table as ``folder/<name>.csv``; returns name → path."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (rows, comment) in table_rows(result).items():
        files[name] = str(atomic_write_text(folder / f"{name}.csv", rows_to_csv(rows, comment)))
    return files


def write_summary(result: StudyResult, out: Path) -> Path:
    """The one JSON summary of the run (``out/summary.json``)."""
    from ..cli.common import dumps

    return atomic_write_text(out / "summary.json", dumps(result.to_dict()) + "\n")
