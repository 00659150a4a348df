"""Random packings with a minimum distance: test and benchmark cells of a given composition and density.

Random sequential addition (hard-core insertion) in a cubic periodic box: each trial position is accepted when it
is at least ``min_distance`` from every atom placed before (checked on a cell grid). Not a glass — a
structureless reference whose pair statistics are known only statistically; used to compare hpglass with peer
codes on identical input.
"""

from __future__ import annotations

import numpy as np

from ..composition import Composition
from ..errors import ConvergenceError, InputError


def random_packing(composition: str, n_atoms: int, density_g_cm3: float, min_distance: float = 2.3,
                   seed: int = 0, max_trials: int = 200):
    """ase.Atoms with ``n_atoms`` atoms in the composition's ratio (rounded), cubic cell at the given density."""
    from ase import Atoms

    comp = Composition.parse(composition)
    if n_atoms < 2:
        raise InputError("n_atoms must be at least 2", field="n_atoms")
    counts = {s: int(round(c * n_atoms)) for s, c in comp.fractions.items()}
    counts[next(iter(counts))] += n_atoms - sum(counts.values())
    symbols = [s for s, n in counts.items() for _ in range(n)]
    rho_n = comp.number_density(density_g_cm3)
    box = (n_atoms / rho_n) ** (1 / 3)
    rng = np.random.default_rng(seed)
    rng.shuffle(symbols)
    ncell = max(int(box // min_distance), 1)
    grid: dict[tuple[int, int, int], list[int]] = {}
    pos = np.empty((n_atoms, 3))
    for k in range(n_atoms):
        for _ in range(max_trials):
            p = rng.random(3) * box
            c = tuple((p / box * ncell).astype(int) % ncell)
            ok = True
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for dz in (-1, 0, 1):
                        for m in grid.get(((c[0] + dx) % ncell, (c[1] + dy) % ncell, (c[2] + dz) % ncell), ()):
                            d = pos[m] - p
                            d -= box * np.round(d / box)
                            if d @ d < min_distance**2:
                                ok = False
                                break
                        if not ok:
                            break
                    if not ok:
                        break
                if not ok:
                    break
            if ok:
                pos[k] = p
                grid.setdefault(c, []).append(k)
                break
        else:
            raise ConvergenceError(f"random packing: could not place atom {k + 1} of {n_atoms} with minimum "
                                   f"distance {min_distance} Å at {density_g_cm3} g/cm³ (too dense)")
    return Atoms(symbols=symbols, positions=pos, cell=[box, box, box], pbc=True)
