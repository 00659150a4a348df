"""Short MD with a student potential in LAMMPS, to find the configurations it would visit (active learning).

Each run: Maxwell–Boltzmann velocities at T, then Nosé–Hoover NVT (``pressure_GPa`` None) or NPT with an isotropic
barostat (``fix npt … iso``; damping 0.1 ps thermostat, 1 ps barostat), time step 2 fs, a frame every
``sample_every`` steps. An unstable student (atoms lost, NaN energies, a cell collapsing or exploding) stops the
run; the frames up to then are returned with ``info["unstable"] = True`` on the last one — exactly the
configurations whose teacher labels teach the student not to go there.
"""

from __future__ import annotations

import numpy as np

from .lammps_potential import LammpsPotential, atoms_from_lammps, build_system, lammps_library_env, open_lammps

__all__ = ["explore"]


def explore(potential: LammpsPotential, start, *, temperature_K: float, pressure_GPa: float | None, steps: int,
            sample_every: int, seed: int, timestep_fs: float = 2.0, start_temperature_K: float | None = None) -> list:
    """Frames of one MD run (see the module docstring); a linear ramp from ``start_temperature_K`` if given."""
    lammps_library_env()
    lmp = open_lammps()
    frames = []
    try:
        build_system(lmp, start, potential.elements, potential.masses_amu)
        for line in potential.commands():
            lmp.command(line)
        t0 = float(start_temperature_K or temperature_K)
        lmp.command(f"timestep {timestep_fs / 1000:g}")
        lmp.command(f"velocity all create {t0:g} {int(seed) % 900000 + 1} mom yes rot no dist gaussian")
        if pressure_GPa is None:
            lmp.command(f"fix md all nvt temp {t0:g} {temperature_K:g} 0.1")
        else:
            bar = pressure_GPa * 1e4
            lmp.command(f"fix md all npt temp {t0:g} {temperature_K:g} 0.1 iso {bar:g} {bar:g} 1.0")
        lmp.command("thermo_style custom step temp pe press vol")
        lmp.command("thermo_modify lost error norm no")
        v0 = lmp.get_thermo("vol")
        done = 0
        while done < steps:
            n = min(sample_every, steps - done)
            try:
                lmp.command(f"run {n} pre {'yes' if done == 0 else 'no'} post no")
            except Exception:
                if frames:
                    frames[-1].info["unstable"] = True
                break
            done += n
            pe, vol = lmp.get_thermo("pe"), lmp.get_thermo("vol")
            a = atoms_from_lammps(lmp, potential.elements)
            a.info.update({"step": done, "temperature_K": float(lmp.get_thermo("temp")),
                           "pressure_GPa": float(lmp.get_thermo("press")) / 1e4})
            frames.append(a)
            if not np.isfinite(pe) or not (0.3 * v0 < vol < 3 * v0):
                a.info["unstable"] = True
                break
    finally:
        lmp.close()
    return frames
