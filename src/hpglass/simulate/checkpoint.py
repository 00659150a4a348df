"""Checkpoints of the melt–quench–compress protocol: one atomic JSON file is the commit point.

``out_dir/checkpoint.json`` holds everything needed to continue bit-for-bit: the stage name and the step within
it, the completed stages, the number of frames sampled so far in the current stage, the state of the numpy random
generator (``bit_generator.state``), the protocol configuration, and the exact atomic state (numbers, positions
in Å, momenta in ASE units, cell in Å, pbc; floats survive JSON exactly because Python writes ``repr``).
``out_dir/checkpoint.traj`` (ASE trajectory, same atoms with momenta and cell) is written right after it for
inspection with ASE tools; the JSON file is authoritative. Frames sampled in an unfinished stage are kept in
``out_dir/.<stage>.partial.extxyz``, written before the JSON; on resume only the first ``n_frames`` of them
(as recorded in the JSON) are used, so a kill between the two writes loses nothing and duplicates nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.atomic import atomic_path, atomic_write_text

__all__ = ["CHECKPOINT_JSON", "CHECKPOINT_TRAJ", "Checkpoint", "atoms_from_state", "atoms_to_state",
           "compare_configs", "read_checkpoint", "write_checkpoint"]

CHECKPOINT_JSON = "checkpoint.json"
CHECKPOINT_TRAJ = "checkpoint.traj"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """Where a protocol run stands. ``step`` counts MD steps done within ``stage`` (0 = stage not started)."""

    stage: str
    step: int
    completed: list[str]
    n_frames: int
    rng_state: dict[str, Any]
    config: dict[str, Any]
    state: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def atoms_to_state(atoms) -> dict[str, Any]:
    """Exact, JSON-serialisable state of ``atoms`` (numbers, positions, momenta, cell, pbc)."""
    return {
        "numbers": [int(z) for z in atoms.get_atomic_numbers()],
        "positions": atoms.get_positions().tolist(),
        "momenta": atoms.get_momenta().tolist(),
        "cell": np.asarray(atoms.get_cell()).tolist(),
        "pbc": [bool(p) for p in atoms.get_pbc()],
    }


def atoms_from_state(state: dict[str, Any]):
    """ase.Atoms from :func:`atoms_to_state` output (no calculator attached)."""
    from ase import Atoms

    atoms = Atoms(numbers=state["numbers"], positions=state["positions"], cell=state["cell"], pbc=state["pbc"])
    atoms.set_momenta(np.asarray(state["momenta"], dtype=float))
    return atoms


def write_checkpoint(out_dir: str | Path, ckpt: Checkpoint, atoms=None) -> Path:
    """Write ``checkpoint.json`` atomically, then ``checkpoint.traj`` (if ``atoms`` given); returns the JSON path."""
    out_dir = Path(out_dir)
    doc = {"format": FORMAT_VERSION, "stage": ckpt.stage, "step": ckpt.step, "completed": list(ckpt.completed),
           "n_frames": ckpt.n_frames, "rng_state": ckpt.rng_state, "config": ckpt.config, "extra": ckpt.extra,
           "state": ckpt.state}
    path = atomic_write_text(out_dir / CHECKPOINT_JSON, json.dumps(doc, indent=1) + "\n")
    if atoms is not None:
        from ase.io import write

        snap = atoms.copy()
        snap.calc = None
        with atomic_path(out_dir / CHECKPOINT_TRAJ) as tmp:
            write(tmp, snap, format="traj")
    return path


def read_checkpoint(out_dir: str | Path) -> Checkpoint | None:
    """The checkpoint in ``out_dir``, or None when there is none."""
    path = Path(out_dir) / CHECKPOINT_JSON
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise InputError(f"checkpoint is not valid JSON ({err})", source=path) from None
    if doc.get("format") != FORMAT_VERSION:
        raise InputError(f"checkpoint format {doc.get('format')!r} is not {FORMAT_VERSION}", source=path)
    return Checkpoint(stage=doc["stage"], step=int(doc["step"]), completed=list(doc["completed"]),
                      n_frames=int(doc["n_frames"]), rng_state=doc["rng_state"], config=doc["config"],
                      state=doc["state"], extra=doc.get("extra", {}))


def compare_configs(on_disk: dict[str, Any], given: dict[str, Any]) -> str | None:
    """Name of the first field (sorted) where two JSON-normalised configs differ, or None when equal."""
    a = json.loads(json.dumps(on_disk))
    b = json.loads(json.dumps(given))
    for key in sorted(set(a) | set(b)):
        if a.get(key, "<absent>") != b.get(key, "<absent>"):
            return key
    return None
