"""`hpglass demo`: the bundled study's simulation stream is analysed frame by frame (structure of the glass
at each pressure and of the crystal references)."""

import json
from pathlib import Path

import numpy as np
import pytest
from ase.io import read

from hpglass.simulate.protocol import density_g_cm3


@pytest.fixture(scope="module")
def simulation(demo_run):
    run, out = demo_run
    assert run.exit_code == 0, run.output
    summary = json.loads(Path(json.loads(run.stdout)["study"]["summary"]).read_text())
    return summary["simulation"]


def test_every_pressure_analysed_with_the_frames_density(simulation):
    """The density the study reports is the mean over the frames it read (same cells; the two mass tables —
    hpglass.composition vs ase.data — differ by < 1e-6 relative)."""
    assert simulation, "the bundled study has a simulation stream"
    for run in simulation:
        for point in run["points"] + run["references"]:
            frames = read(point["file"], index=":")
            assert point["n_frames"] == len(frames)
            assert point["density_g_cm3"] == pytest.approx(np.mean([density_g_cm3(f) for f in frames]), rel=1e-6)
            assert 0 < point["coordination_mean"] < 14
            assert 0 <= point["angle_fraction_near_60"] <= 1
