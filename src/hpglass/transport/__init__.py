"""Transport: Quantum Design files → resistivity, Tc, Hc2, conductivity regimes (see DESIGN.md)."""

from .conductivity import ConductivityRegimes, conductivity_regimes
from .curve import RCurve
from .hc2 import Hc2Points, Hc2Result, fit_hc2, hc2_points_from_rh, hc2_points_from_rt
from .hopping import arrhenius_fit, best_hopping_model, mott_vrh_fit
from .segments import merge_same_setpoint, split_sweeps
from .tc import TcResult, find_tc, is_semiconducting
from .vdp import resistivity, sheet_resistance
from .whh import gl_coherence_length_nm, pauli_limit_T, whh_dirty_limit_hc2_0, whh_hc2

__all__ = [
    "ConductivityRegimes", "Hc2Points", "Hc2Result", "RCurve", "TcResult", "arrhenius_fit", "best_hopping_model",
    "conductivity_regimes", "find_tc", "fit_hc2", "gl_coherence_length_nm", "hc2_points_from_rh",
    "hc2_points_from_rt", "is_semiconducting", "merge_same_setpoint", "mott_vrh_fit", "pauli_limit_T",
    "resistivity", "sheet_resistance", "split_sweeps", "whh_dirty_limit_hc2_0", "whh_hc2",
]
