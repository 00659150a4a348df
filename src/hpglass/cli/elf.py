"""`hpglass elf`: electron localization function of chosen frames (GPAW), or of ELFCAR / cube files.

Two ways in:

* ``hpglass elf FRAMES… --frame -1``: each selected frame of each file gets a GPAW calculation (Γ point, plane
  waves by default) in its own folder ``OUT/<file>_<frame>/`` (see :func:`hpglass.simulate.elf.run_gpaw_elf`;
  a finished folder is reused, so a rerun only analyses);
* ``hpglass elf --cube FILE`` / ``--elfcar FILE`` (repeatable): an existing ELF grid is analysed, no GPAW.

Every grid gets, in its folder: ``elf_hist.dat`` (histogram per species), ``elf_slice.dat`` and ``elf_slice.png``
(slice + histograms), ``elf_summary.json``; ``OUT/elf.json`` collects them all.
"""

from __future__ import annotations

import math
import platform
import re
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from ..errors import InputError
from .common import dumps, echo_json, handle_errors, status


def _floats(text: str, name: str, n: int | None = None) -> list[float]:
    try:
        vals = [float(t) for t in re.split(r"[,\s]+", text.strip()) if t]
    except ValueError:
        raise InputError(f"expected numbers separated by commas, got {text!r}", field=name) from None
    if not vals or (n is not None and len(vals) != n):
        raise InputError(f"expected {n or 'some'} numbers separated by commas, got {text!r}", field=name)
    return vals


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", text).strip("_") or "grid"


def _unique_label(path: Path, used: set[str]) -> str:
    """The file's stem; with its folder's name when that is taken (GPAW folders all hold an elf.cube)."""
    for cand in (path.stem, f"{path.parent.name}_{path.stem}"):
        label = _label(cand)
        if label not in used:
            used.add(label)
            return label
    k = 2
    while f"{label}_{k}" in used:
        k += 1
    used.add(f"{label}_{k}")
    return f"{label}_{k}"


def _analyse(grid, folder: Path, label: str, *, bins: int, assign: str, radius: float | None, thresholds,
             slice_kw: dict, extra: dict) -> dict:
    """Histogram, summary, slice of one grid; files into ``folder``; returns the record for elf.json."""
    from ..io import atomic_write_text, write_table
    from ..simulate.elf import elf_histogram_by_species, elf_slice, elf_summary, species_regions

    regions = species_regions(grid, assign, radius)
    hist = elf_histogram_by_species(grid, bins=bins, regions=regions)
    summ = elf_summary(grid, thresholds=thresholds, regions=regions)
    sl = elf_slice(grid, **slice_kw)
    folder.mkdir(parents=True, exist_ok=True)
    head = [f"hpglass elf; {label}; grid {grid.shape}; assignment {regions.assignment}"
            + (f", radius {regions.radius_A:g} A" if regions.radius_A else ""),
            "count_X = grid points of species X's region with ELF in the bin; density_X normalised to 1"]
    cols = {"elf_lo": hist.edges[:-1], "elf_hi": hist.edges[1:], "count_all": hist.counts_all,
            "density_all": hist.density(None)}
    for s in hist.species:
        cols[f"count_{s}"] = hist.counts[s]
        cols[f"density_{s}"] = hist.density(s)
    files = {"histogram_file": str(write_table(folder / "elf_hist.dat", cols, head))}
    uu, vv = np.meshgrid(sl.u_A, sl.v_A, indexing="ij")
    files["slice_file"] = str(write_table(folder / "elf_slice.dat", {"u_A": uu.ravel(), "v_A": vv.ravel(),
                                                                    "elf": sl.values.ravel()}, [
        f"hpglass elf; {label}; {sl.description}",
        (f"point = origin + u e_u + v e_v; origin {np.round(sl.plane_origin, 6).tolist()} A, "
         f"e_u {np.round(sl.e_u, 6).tolist()}, e_v {np.round(sl.e_v, 6).tolist()}; rows u-major, "
         f"shape {list(sl.values.shape)}")]))
    files["figure_file"] = str(_figure(folder / "elf_slice.png", sl, hist, label))
    record = {"label": label, "grid": grid.to_dict(), "summary": summ.to_dict(),
              "histogram": hist.to_dict(), "slice": sl.to_dict(include_values=False), **extra, "files": files}
    files["summary_file"] = str(folder / "elf_summary.json")
    atomic_write_text(folder / "elf_summary.json", dumps(record) + "\n")
    return record


def _figure(path: Path, sl, hist, label: str) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..io import atomic_path

    fig = Figure(figsize=(9, 4), layout="constrained")
    FigureCanvasAgg(fig)
    a, b = fig.subplots(1, 2)
    sl.plot(ax=a)
    hist.plot(ax=b)
    fig.suptitle(label, fontsize="small")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150)
    return path


@handle_errors
def elf(
    frames: Annotated[list[Path] | None, typer.Argument(
        help="trajectory/structure files whose frames get an ELF from GPAW (not with --cube/--elfcar)")] = None,
    frame: Annotated[str, typer.Option("--frame", help="frames of each file: one index or 'start:stop:step'")] = "-1",
    out: Annotated[Path, typer.Option(help="output folder (one sub-folder per frame or file)")] = Path("elf-out"),
    mode: Annotated[str, typer.Option(help="GPAW mode: pw (plane waves) | fd (real-space grid)")] = "pw",
    ecut: Annotated[float, typer.Option(help="plane-wave cutoff, eV (pw)")] = 400.0,
    h: Annotated[float, typer.Option(help="grid spacing, Å (fd)")] = 0.2,
    kpts: Annotated[str, typer.Option(help="k-point mesh including Γ, 'n1,n2,n3'")] = "1,1,1",
    xc: Annotated[str, typer.Option(help="exchange–correlation functional")] = "PBE",
    smearing: Annotated[float, typer.Option(help="Fermi–Dirac width, eV")] = 0.1,
    timeout: Annotated[float, typer.Option(help="time limit of one GPAW run, s")] = 4 * 3600.0,
    python: Annotated[str, typer.Option(help="Python interpreter that has GPAW")] = "/usr/bin/python3",
    cube: Annotated[list[Path] | None, typer.Option(help="analyse this cube file (repeat), no GPAW")] = None,
    elfcar: Annotated[list[Path] | None, typer.Option(help="analyse this VASP ELFCAR (repeat), no GPAW")] = None,
    bins: Annotated[int, typer.Option(help="histogram bins on ELF 0…1")] = 50,
    assign: Annotated[str, typer.Option(
        help="grid points → species: nearest (Voronoi, each point once) | sphere (within --radius of an atom)")
    ] = "nearest",
    radius: Annotated[float | None, typer.Option(
        help="Å: sphere radius (sphere), or the largest distance to the nearest atom (nearest)")] = None,
    thresholds: Annotated[str, typer.Option(help="ELF thresholds of the volume fractions")] = "0.5,0.7,0.8",
    slice_axis: Annotated[str, typer.Option(help="slice plane: lattice plane normal to a | b | c")] = "c",
    slice_pos: Annotated[float, typer.Option(help="fractional position of the slice along --slice-axis")] = 0.5,
    slice_through: Annotated[str | None, typer.Option(
        help="slice through three atoms 'i,j,k' (0-based) instead of a lattice plane")] = None,
    format: Annotated[str | None, typer.Option("--format", help="ASE format of FRAMES when the name does not tell")
                      ] = None,
    species: Annotated[str | None, typer.Option(help="elements of LAMMPS types 1, 2, …, e.g. 'Sb,Se'")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """ELF of frames (GPAW) or of ELFCAR/cube files: histograms per species, summary, slice figure."""
    from .. import __version__
    from ..io import atomic_write_text
    from ..io.volumetric import read_cube, read_elfcar
    from ..simulate.elf import run_gpaw_elf

    files_in = [("cube", p) for p in cube or []] + [("elfcar", p) for p in elfcar or []]
    if frames and files_in:
        raise InputError("give either FRAMES (to run GPAW) or --cube/--elfcar files (to analyse), not both",
                         field="FRAMES")
    if not frames and not files_in:
        raise InputError("nothing to do: give FRAMES (trajectory files) or --cube/--elfcar files", field="FRAMES")
    from ..simulate.elf import MAX_BINS

    if not 1 <= bins <= MAX_BINS:
        raise InputError(f"must be a whole number 1–{MAX_BINS:,}, got {bins}", field="--bins")
    if assign not in ("nearest", "sphere"):
        raise InputError(f"--assign must be nearest or sphere, got {assign!r}", field="--assign")
    if assign == "sphere" and radius is None:
        raise InputError("--assign sphere needs --radius", field="--radius")
    ths = tuple(_floats(thresholds, "--thresholds"))
    if not all(0.0 <= t <= 1.0 for t in ths):
        raise InputError(f"ELF thresholds lie in 0…1, got {thresholds!r}", field="--thresholds")
    if radius is not None and not (math.isfinite(radius) and radius > 0):
        raise InputError(f"must be a positive length in Å, got {radius}", field="--radius")
    if slice_through is not None:
        ijk = [int(v) for v in _floats(slice_through, "--slice-through", 3)]
        slice_kw: dict = {"through": ijk}
    else:
        if slice_axis.lower() not in ("a", "b", "c"):
            raise InputError(f"--slice-axis must be a, b or c, got {slice_axis!r}", field="--slice-axis")
        if not 0.0 <= slice_pos <= 1.0:
            raise InputError(f"is a fractional coordinate in 0…1, got {slice_pos}", field="--slice-pos")
        slice_kw = {"axis": slice_axis.lower(), "position": slice_pos}
    kw = {"bins": bins, "assign": assign, "radius": radius, "thresholds": ths, "slice_kw": slice_kw}
    records = []
    used: set[str] = set()
    if files_in:
        grids = []
        for kind, path in files_in:  # every file read (and refused) before any output is written
            with status(f"reading {path} …", json_out):
                grids.append(read_cube(path) if kind == "cube" else read_elfcar(path))
        for (kind, path), grid in zip(files_in, grids, strict=True):
            label = _unique_label(path, used)
            with status(f"analysing {label} …", json_out):
                records.append(_analyse(grid, out / label, label, extra={"input": str(path), "kind": kind}, **kw))
    else:
        from ..io.trajectory import read_frames

        k_mesh = [int(v) for v in _floats(kpts, "--kpts", 3)]
        spec = None if species is None else [s.strip() for s in species.split(",") if s.strip()]
        todo = []
        for path in frames:
            for atoms in read_frames(path, frame, format=format, species=spec):
                todo.append((path, atoms))
        for n, (path, atoms) in enumerate(todo, 1):
            where = atoms.info.get("frame_label", "frame")
            label = _label(f"{path.stem}_{where}")
            folder = out / label
            with status(f"GPAW {mode} SCF + ELF of {path.name} {where} ({len(atoms)} atoms; {n}/{len(todo)}) …",
                        json_out):
                run = run_gpaw_elf(atoms, folder, mode=mode, ecut_eV=ecut, h_A=h, kpts=k_mesh, xc=xc,
                                   smearing_eV=smearing, python=python, timeout_s=timeout)
                grid = run.load_grid()
            with status(f"analysing {label} …", json_out):
                records.append(_analyse(grid, folder, label, extra={"input": f"{path}: {where}", "kind": "gpaw",
                                                                    "gpaw": run.to_dict()}, **kw))
    out.mkdir(parents=True, exist_ok=True)
    summary = {"n_grids": len(records), "grids": records,
               "parameters": {"bins": bins, "assign": assign, "radius_A": radius, "thresholds": list(ths),
                              "slice": slice_kw} | ({} if files_in else {
                                  "mode": mode, "ecut_eV": ecut if mode == "pw" else None,
                                  "h_A": h if mode == "fd" else None, "kpts": kpts, "xc": xc,
                                  "smearing_eV": smearing, "frames": frame}),
               "versions": {"hpglass": __version__, "numpy": np.__version__, "python": platform.python_version()},
               "json_file": str(out / "elf.json")}
    atomic_write_text(out / "elf.json", dumps(summary) + "\n")
    if json_out:
        echo_json(summary)
        return
    _print(summary)


def _print(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for rec in summary["grids"]:
        s = rec["summary"]
        ths = [f"{t:g}" for t in s["thresholds"]]
        t = Table(title=f"ELF: {rec['label']}  (grid {'×'.join(map(str, s['shape']))}, {s['assignment']})")
        t.add_column("region")
        t.add_column("atoms", justify="right")
        t.add_column("volume share", justify="right")
        t.add_column("mean ELF", justify="right")
        for th in ths:
            t.add_column(f"ELF > {th}", justify="right")
        for sp in s["species"]:
            t.add_row(sp, str(s["n_atoms"][sp]), f"{s['volume_share'][sp]:.3f}", f"{s['mean_elf_by_species'][sp]:.3f}",
                      *[f"{s['fraction_above_by_species'][sp][th]:.3f}" for th in ths])
        t.add_row("cell", str(sum(s["n_atoms"].values())), "1", f"{s['mean_elf']:.3f}",
                  *[f"{s['fraction_above'][th]:.3f}" for th in ths])
        console.print(t)
        if "gpaw" in rec:
            g = rec["gpaw"]
            console.print(f"  GPAW {g['gpaw_version']}: E = {g['energy_eV']:.4f} eV, {g['n_electrons']:g} electrons, "
                          f"{g['wall_time_s']:.0f} s{' (reused)' if g['reused'] else ''}; {g['out_dir']}")
        for k, v in rec["files"].items():
            console.print(f"  {k}: {v}")
    console.print(f"all results: {summary['json_file']}")
