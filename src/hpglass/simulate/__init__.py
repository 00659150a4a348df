"""Simulation: the melt–quench–compress protocol with any ASE calculator, checkpointed and resumable.

ML potentials (SevenNet/CHGNet), crystal references and the CLI are not here yet; pass any ASE calculator through
``calculator_factory``.
"""

from .checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from .protocol import ProtocolConfig, ProtocolResult, StagePlan, density_g_cm3, plan_stages, run_protocol

__all__ = ["Checkpoint", "ProtocolConfig", "ProtocolResult", "StagePlan", "density_g_cm3", "plan_stages",
           "read_checkpoint", "run_protocol", "write_checkpoint"]
