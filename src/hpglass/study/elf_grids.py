"""ELF grids of a study's simulation run (``[[simulation]] elf = [{pressure_GPa, file}, …]``): read, analyse, keep.

An ELF grid is a Gaussian cube file (``.cube``, or gzip-compressed ``.cube.gz``) or a VASP ELFCAR (``ELFCAR*``,
``.gz`` too) of one frame of the run's trajectory at that pressure — e.g. what ``hpglass elf`` (GPAW) writes. Its
analysis (:func:`analyse_elf_grid`) is what claim M8 ("ELF localized in LDA, delocalized, ≈ 0.5, in HDA") and
Fig. 5c use:

* the per-species summary and histograms of :mod:`hpglass.simulate.elf` (Voronoi assignment of grid points);
* ``bond_midpoint``: the ELF at the midpoints of the frame's bonds — pairs within the run's ``cutoffs_A`` (the
  same cutoffs as its coordination numbers), minimum image, trilinear periodic interpolation of the grid — its
  mean, median, standard error and per pair type;
* ``fraction_near_half``: the fraction of the cell volume with ELF in [0.4, 0.6] (``NEAR_HALF``: electron-gas-like,
  "delocalized"), and ``fraction_above_0.7`` (localized pairs: bonds, lone pairs);
* a slice through the cell (lattice plane c = ½, the grid's own points) for the figure.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

__all__ = ["NEAR_HALF", "analyse_elf_grid", "bond_midpoint_elf", "read_elf_grid"]

#: ELF window counted as "≈ 0.5" (the homogeneous electron gas value) by ``fraction_near_half``
NEAR_HALF = (0.4, 0.6)


def read_elf_grid(path: str | os.PathLike):
    """A cube file or VASP ELFCAR (either gzip-compressed when the name ends in ``.gz``) → VolumetricGrid."""
    from ..io.volumetric import read_cube, read_elfcar

    path = Path(path)
    name = path.name.lower()
    base = name[:-3] if name.endswith(".gz") else name
    reader = read_elfcar if "elfcar" in base else read_cube
    if not name.endswith(".gz"):
        return reader(path)
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    with tempfile.TemporaryDirectory(prefix="hpglass-elf-") as tmp:
        plain = Path(tmp) / path.name[:-3]
        plain.write_bytes(data)
        grid = reader(plain)
    return replace(grid, source=str(path), meta=dict(grid.meta) | {"compressed": "gzip"})


def _sample(grid, points: np.ndarray) -> np.ndarray:
    """Grid values at Cartesian ``points`` (trilinear, periodic)."""
    from scipy.ndimage import map_coordinates

    idx = grid.fractional(points) * np.asarray(grid.shape, dtype=float)
    return map_coordinates(grid.values, idx.T, order=1, mode="grid-wrap")


def bond_midpoint_elf(grid, cutoffs_A: dict[str, float]) -> dict:
    """ELF at the midpoints of the bonds of the grid's atoms (pairs 'A-B' within ``cutoffs_A[A-B]``, either order;
    pairs without a cutoff are not bonds): mean, median, standard error, count, and the same per pair type."""
    from ase.neighborlist import neighbor_list

    atoms = grid.atoms
    cut = {}
    for k, v in cutoffs_A.items():
        a, b = k.split("-")
        cut[(a, b)] = cut[(b, a)] = float(v)
    if not cut or atoms is None or len(atoms) == 0:
        return {"n_bonds": 0, "mean": None, "median": None, "sem": None, "by_pair": {}}
    i, j, d, vec = neighbor_list("ijdD", atoms, max(cut.values()))
    sym = np.array(atoms.get_chemical_symbols())
    keep = (i < j) & np.array([d_ <= cut.get((sym[a], sym[b]), -1.0) for a, b, d_ in zip(i, j, d, strict=True)],
                              dtype=bool)
    i, vec = i[keep], vec[keep]
    if not i.size:
        return {"n_bonds": 0, "mean": None, "median": None, "sem": None, "by_pair": {}}
    vals = _sample(grid, atoms.positions[i] + 0.5 * vec)
    pairs = np.array(["-".join(sorted((sym[a], sym[b]))) for a, b in zip(i, j[keep], strict=True)])

    def stats(v):
        return {"n_bonds": int(v.size), "mean": float(v.mean()), "median": float(np.median(v)),
                "sem": float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else None}

    return stats(vals) | {"by_pair": {p: stats(vals[pairs == p]) for p in sorted(set(pairs))}}


def analyse_elf_grid(path: str | os.PathLike, cutoffs_A: dict[str, float], pressure_GPa: float,
                     bins: int = 50) -> dict:
    """The study's analysis of one ELF grid (module docstring): {"summary": JSON-ready numbers,
    "arrays": histogram edges, per-species densities and the slice for Fig. 5}."""
    from ..simulate.elf import elf_histogram_by_species, elf_slice, elf_summary, species_regions

    grid = read_elf_grid(path)
    regions = species_regions(grid)
    hist = elf_histogram_by_species(grid, bins=bins, regions=regions)
    summ = elf_summary(grid, regions=regions)
    sl = elf_slice(grid, axis="c", position=0.5)
    vals = grid.values.ravel()
    lo, hi = NEAR_HALF
    summary = {
        "file": str(path), "pressure_GPa": float(pressure_GPa), "shape": list(grid.shape),
        "spacing_A": [float(x) for x in grid.spacing], "n_atoms": len(grid.atoms),
        "comment": grid.meta.get("comment", ""),
        "per_species": summ.to_dict(),
        "bond_midpoint": bond_midpoint_elf(grid, cutoffs_A),
        "near_half_window": [lo, hi],
        "fraction_near_half": float(((vals >= lo) & (vals <= hi)).mean()),
        "fraction_above_0.7": float((vals > 0.7).mean()),
        "mean_elf": float(vals.mean()),
    }
    arrays = {"edges": hist.edges, "by_species": {s: hist.density(s) for s in hist.species},
              "all": hist.density(None),
              "slice": {"values": sl.values, "extent_A": sl.extent, "description": sl.description}}
    return {"summary": summary, "arrays": arrays}
