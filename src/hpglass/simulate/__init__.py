"""Simulation: glasses by melt–quench–compress and crystal references, with ML potentials or any ASE calculator.

* :mod:`~hpglass.simulate.protocol` — :func:`run_protocol`: melt, quench, equilibrate, then NPT at each pressure
  of a ladder (and back down with ``decompress``), checkpointed and resumable byte for byte; any ASE calculator
  through a zero-argument ``calculator_factory``.
* :mod:`~hpglass.simulate.calculators` — the pretrained potentials, loaded offline from their wheels:
  :func:`make_calculator` / :func:`calculator_factory` for ``"sevenn"`` (SevenNet-0, 7net-0; the default) and
  ``"chgnet"`` (faster, soft above ~50 GPa: :func:`potential_warning`); :func:`potential_info` is the record
  of what ran (package versions, device, threads).
* :mod:`~hpglass.simulate.crystals` — 0 K full-cell relaxations under pressure (:func:`relax_under_pressure`,
  :func:`relax_ladder`, resumable per pressure) of the shipped PBE Pnma Sb₂Se₃ cell (:func:`pnma_sb2se3`) and of
  disordered bcc Sb₂Se₃ (:func:`bcc_sb2se3_cell`).

The command line is ``hpglass simulate`` (:mod:`hpglass.cli.simulate`): a new run, ``--resume DIR``, or
``--crystal pnma|bcc``.
"""

from .calculators import calculator_factory, make_calculator, potential_info, potential_warning
from .checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from .crystals import LadderResult, RelaxResult, bcc_sb2se3_cell, pnma_sb2se3, relax_ladder, relax_under_pressure
from .protocol import ProtocolConfig, ProtocolResult, StagePlan, density_g_cm3, plan_stages, run_protocol

__all__ = ["Checkpoint", "LadderResult", "ProtocolConfig", "ProtocolResult", "RelaxResult", "StagePlan",
           "bcc_sb2se3_cell", "calculator_factory", "density_g_cm3", "make_calculator", "plan_stages",
           "pnma_sb2se3", "potential_info", "potential_warning", "read_checkpoint", "relax_ladder",
           "relax_under_pressure", "run_protocol", "write_checkpoint"]
