"""The demo's structure part: `hpglass structure` on the bundled SYNTHETIC frames (thermal bcc Sb2Se3 and a random
packing of Sb2Se3 composition), written next to the other demo outputs."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from ..demo_data import DEMO_FRAMES, demo_folder


def run_structure(out: Path) -> dict:
    from .structure import structure

    folder = demo_folder() / "frames"
    results = {}
    for key in ("bcc", "random"):
        spec = DEMO_FRAMES[key]
        target = out / "structure" / key
        with contextlib.redirect_stdout(io.StringIO()):
            structure(traj=[folder / spec["file"]], frames="::", cutoff=None, rings="primitive", max_ring=8,
                      qmin=0.0, qmax=12.0, dq=0.01, r_max=None, dr=0.01, window="lorch", lorch=False,
                      altbc_rmax=4.0, format=None, species=None, workers=1, scheduler=None, out=target,
                      json_out=True)
        d = json.loads((target / "result.json").read_text())
        results[key] = {
            "file": str(folder / spec["file"]),
            "density_g_cm3": d.get("density_g_cm3"),
            "coordination_mean": (d.get("coordination") or {}).get("mean"),
            "angle_fraction_near_60": d.get("angle_fraction_near_60"),
            "altbc_mean_ratio": (d.get("altbc") or {}).get("mean_ratio"),
            "q4": d.get("q4"), "q6": d.get("q6"), "bcc_fraction": d.get("bcc_fraction"),
            "rings_per_atom": (d.get("rings") or {}).get("per_atom"),
            "result_json": str(target / "result.json"),
        }
    return {"label": DEMO_FRAMES["label"], "truth": {"bcc": "bcc lattice (PTM bcc fraction → 1)",
                                                     "random": "no crystalline order (bcc fraction → 0)"},
            "measured": results}
