"""Local structure of (simulated) glasses: pair functions, X-ray S(q), angles, coordination, rings, ALTBC, order.

The public names below are imported on first use (PEP 562), so ``import hpglass.structure`` stays cheap: the X-ray
S(q) pulls in xraylib and the diffraction chain, the ring search numba.

Typical use on the frames of one run::

    from hpglass.structure import (NeighbourList, average_pair_distributions, bond_angle_distribution, bonded,
                                   coordination, pair_distributions, resolve_cutoffs, ring_statistics)

    g = average_pair_distributions(pair_distributions(frames))      # one r grid for all frames, ± SEM
    cut = resolve_cutoffs(species, {"Sb-Se": 3.3}, g.pair)          # the rest: g(r) minimum or covalent radii
    for atoms in frames:
        nl = NeighbourList.build(atoms, max(cut.cutoffs.values()))
        cn = coordination(atoms, cut.cutoffs, nl=nl)
        adf = bond_angle_distribution(atoms, bonded(atoms, nl, cut.cutoffs))
"""

from __future__ import annotations

import importlib

#: public name → submodule that defines it
_EXPORTS: dict[str, str] = {
    # neighbour list and bonds
    "NeighbourList": "neighbors", "check_frame": "neighbors", "bonded": "bonds",
    # pair distributions
    "PairDistribution": "pair", "PairAverage": "pair", "pair_distribution": "pair", "pair_distributions": "pair",
    "average_pair_distributions": "pair", "common_r_max": "pair", "half_min_height": "pair",
    # coordination and cutoffs
    "CoordinationResult": "coordination", "BondCutoffs": "coordination", "coordination": "coordination",
    "average_coordination": "coordination", "resolve_cutoffs": "coordination", "covalent_cutoff": "coordination",
    "first_minimum": "coordination", "parse_cutoffs": "coordination", "bond_mask": "coordination",
    # angles, rings, ALTBC, order
    "AngleResult": "angles", "bond_angle_distribution": "angles",
    "RingResult": "rings", "ring_statistics": "rings",
    "AltbcResult": "altbc", "AltbcStats": "altbc", "altbc": "altbc",
    "SteinhardtResult": "order", "StructureTypes": "order", "steinhardt": "order", "structure_types": "order",
    # X-ray S(q)
    "XraySQ": "xray_sq", "xray_structure_factor": "xray_sq", "debye_reference": "xray_sq",
    "ReciprocalSQ": "reciprocal_sq", "reciprocal_xray_sq": "reciprocal_sq",
    # frames: averages, density; test cells
    "FrameAverage": "frames", "Density": "frames", "frame_density": "frames", "average_records": "frames",
    "random_packing": "random_cell",
}

__all__ = sorted(_EXPORTS)

# Two functions share their submodule's name. Importing a submodule sets it as an attribute of this package, so
# ``hpglass.structure.coordination`` would be the module or the function depending on what was imported first;
# binding the functions here, once, makes it always the function (the modules stay importable by their full name:
# ``from hpglass.structure.coordination import resolve_cutoffs``).
from .altbc import altbc  # noqa: E402
from .coordination import coordination  # noqa: E402


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
