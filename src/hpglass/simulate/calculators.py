"""The machine-learned potentials hpglass can drive, as ASE calculators that load offline.

``sevenn`` (default)
    SevenNet-0 (``7net-0``, 11 Jul 2024): an equivariant message-passing potential trained on MPtrj (PBE/PBE+U).
    Park et al., J. Chem. Theory Comput. 20, 4857 (2024). The weights ship inside the ``sevenn`` wheel
    (``sevenn/pretrained_potentials/SevenNet_0__11Jul2024``), so nothing is downloaded.
``chgnet``
    CHGNet 0.3.0 (Deng et al., Nat. Mach. Intell. 5, 1031 (2023)); weights ship in the ``chgnet`` wheel. About
    twice as fast on CPU, but its pressure levels off under strong compression (above ~50 GPa for Sb₂Se₃): use it
    for the low-pressure part of a ladder or for tests, not for a 60 GPa ladder. :func:`potential_warning` says so.

Threads: on a few cores numpy's BLAS pool and torch's intra-op pool compete (measured 3–9× slower). The factory
sets torch's thread count explicitly (``threads``, default 1: independent runs side by side give more throughput
than one multithreaded run); set ``OMP_NUM_THREADS=1`` / ``OPENBLAS_NUM_THREADS=1`` in the environment before
Python starts (the CLI does so for its own process when they are unset and numpy is not yet loaded).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import sys
from collections.abc import Callable
from typing import Any

from ..errors import InputError, MissingDependencyError

__all__ = ["POTENTIALS", "calculator_factory", "make_calculator", "potential_info", "potential_warning"]

#: potential name → (python package, model, reference)
POTENTIALS: dict[str, dict[str, str]] = {
    "sevenn": {"package": "sevenn", "model": "7net-0",
               "reference": "Y. Park, J. Kim, S. Hwang, S. Han, J. Chem. Theory Comput. 20, 4857 (2024)"},
    "chgnet": {"package": "chgnet", "model": "0.3.0",
               "reference": "B. Deng et al., Nat. Mach. Intell. 5, 1031 (2023)"},
}

def _missing(package: str, name: str) -> MissingDependencyError:
    # torch must come first as the CPU build, else pip pulls the CUDA packages
    return MissingDependencyError(package, "simulate",
                                  f"the {name} potential (after the CPU build of torch: pip install torch==2.13.0)")


def _check_name(name: str) -> dict[str, str]:
    if name not in POTENTIALS:
        raise InputError(f"unknown potential {name!r}; choose one of {', '.join(POTENTIALS)}", field="potential")
    return POTENTIALS[name]


def _check_device(device: str) -> str:
    if device not in ("cpu", "cuda"):
        raise InputError(f"device must be 'cpu' or 'cuda', got {device!r}", field="device")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise InputError("device 'cuda' asked for, but torch sees no CUDA GPU here (torch "
                             f"{torch.__version__}); use --device cpu", field="device")
    return device


def potential_warning(name: str) -> str | None:
    """A caveat the user should see when picking ``name`` (None if there is none)."""
    if name == "chgnet":
        return ("CHGNet's pressure levels off above about 50 GPa for Sb2Se3 (its cells stop densifying): "
                "trust it for the low-pressure part of a ladder only; SevenNet (--potential sevenn) is the default")
    return None


def potential_info(name: str, device: str = "cpu", threads: int = 1) -> dict[str, Any]:
    """JSON-ready description of the potential (recorded in every stage file of a run)."""
    spec = _check_name(name)
    try:
        version = importlib.metadata.version(spec["package"])
    except importlib.metadata.PackageNotFoundError:
        version = None
    try:
        torch_version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch_version = None
    return {"potential": name, "model": spec["model"], "package": spec["package"], "package_version": version,
            "torch_version": torch_version, "device": device, "torch_threads": int(threads),
            "reference": spec["reference"], "warning": potential_warning(name)}


def make_calculator(name: str = "sevenn", device: str = "cpu", threads: int = 1):
    """An ASE calculator for potential ``name`` on ``device`` with ``threads`` torch threads (weights offline).

    What the packages print while they import and load (CHGNet's "CHGNet v0.3.0 initialized with …" banner) goes
    to stderr: stdout carries only hpglass's own output, so ``--json`` stays pure JSON.
    """
    _check_name(name)
    if int(threads) < 1:
        raise InputError(f"threads must be ≥ 1, got {threads}", field="threads")
    with contextlib.redirect_stdout(sys.stderr):
        return _load(name, device, int(threads))


def _load(name: str, device: str, threads: int):
    try:
        import torch
    except ImportError:
        raise _missing("torch", name) from None
    device = _check_device(device)
    torch.set_num_threads(threads)
    if name == "sevenn":
        try:
            from sevenn.calculator import SevenNetCalculator
        except ImportError:
            raise _missing("sevenn", name) from None
        return SevenNetCalculator(model="7net-0", device=device)
    try:
        from chgnet.model import CHGNet
        from chgnet.model.dynamics import CHGNetCalculator
    except ImportError:
        raise _missing("chgnet", name) from None
    return CHGNetCalculator(model=CHGNet.load(verbose=False), use_device=device)


def calculator_factory(name: str = "sevenn", device: str = "cpu", threads: int = 1) -> Callable[[], Any]:
    """A zero-argument factory for :func:`hpglass.simulate.run_protocol` (checked now, loaded when called)."""
    _check_name(name)
    return functools.partial(make_calculator, name, device, threads)
