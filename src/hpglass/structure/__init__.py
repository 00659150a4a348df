"""Local structure of (simulated) glasses: pair functions, X-ray S(q), angles, coordination, rings, ALTBC, order."""

from .neighbors import NeighbourList, check_frame

__all__ = ["NeighbourList", "check_frame"]
