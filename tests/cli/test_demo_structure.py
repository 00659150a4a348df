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


def test_refined_densities_recover_the_simulated_ones(demo_run):
    """Known answer for the whole chain: the patterns computed from the simulated frames carry the frames' mean
    density (manifest); the Eggert/Kaplow refinement recovers it within 3.5 % at every pressure, within 3σ at every
    pressure and within 2σ at 7 of 9 or more (if the 1σ errors were exact, 9 of 9 within 2σ would happen only
    63 % of the time). Measured with the composition-based r_cutoff (2.04 Å): −3.3, −2.9, −0.9, −1.3, −0.3,
    −0.8, −0.6, −0.8, −1.0 % at 0…60 GPa, at −2.3, −2.7, −1.3, −1.4, −0.4, −1.5, −1.1, −0.8, −0.6 σ. The
    patterns of the 80-atom cell carry a −2…−3 % bias at 0–5 GPa that no r_cutoff between 1.6 and 2.3 Å removes
    (the refined density moves by < 1 % there), i.e. it is in the computed S(q), not in the choice of r_cutoff."""
    import csv

    from hpglass.demo_data import demo_folder
    from hpglass.demo_study_data import DEMO_STUDY_DIFFRACTION

    run, _ = demo_run
    summary = json.loads(Path(json.loads(run.stdout)["study"]["summary"]).read_text())
    manifest = demo_folder() / DEMO_STUDY_DIFFRACTION["folder"] / DEMO_STUDY_DIFFRACTION["manifest"]
    with open(manifest, encoding="utf-8") as fh:
        truth = {float(r["pressure_GPa"]): float(r["true_density_g_cm3"])
                 for r in csv.DictReader(line for line in fh if not line.startswith("#"))}
    points = summary["diffraction"][0]["points"]
    assert len(points) == len(truth)
    within_2sigma = 0
    for pt in points:
        true = truth[pt["pressure_GPa"]]
        assert abs(pt["density_g_cm3"] - true) <= 3 * pt["density_err_g_cm3"], pt["pressure_GPa"]
        assert pt["density_g_cm3"] == pytest.approx(true, rel=0.035), pt["pressure_GPa"]
        within_2sigma += abs(pt["density_g_cm3"] - true) <= 2 * pt["density_err_g_cm3"]
    assert within_2sigma >= 7
