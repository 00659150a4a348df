"""The public face of hpglass.structure (issue 12): exported names, frame averages on one r grid, short reprs,
``plot(ax=None)`` and ``to_dict(arrays=…)`` of the results."""

from __future__ import annotations

import json
from pathlib import Path

import ase.io
import matplotlib
import numpy as np
import pytest
from ase.build import bulk

import hpglass.structure as structure
from hpglass.errors import InputError
from hpglass.structure import (
    FrameAverage,
    NeighbourList,
    altbc,
    average_pair_distributions,
    bond_angle_distribution,
    bonded,
    common_r_max,
    coordination,
    half_min_height,
    pair_distribution,
    pair_distributions,
    random_packing,
    reciprocal_xray_sq,
    resolve_cutoffs,
    ring_statistics,
    steinhardt,
    xray_structure_factor,
)

matplotlib.use("Agg")

DEMO = Path(__file__).resolve().parents[2] / "data" / "glass80-sevennet"  # the 80-atom SevenNet-0 glass


def _npt_frames(n: int = 4) -> list:
    """An 'NPT run': one random Sb2Se3 packing, its cell scaled differently in every frame (as a barostat does)."""
    base = random_packing("Sb2Se3", 120, 5.0, 2.3, seed=4)
    out = []
    for k, s in enumerate(np.linspace(0.97, 1.03, n)):
        f = base.copy()
        f.set_cell(base.cell * s, scale_atoms=True)
        f.positions += np.random.default_rng(k).normal(0, 0.03, f.positions.shape)
        out.append(f)
    return out


# -- exports ---------------------------------------------------------------------------------------------------
def test_all_exports_compute_functions_and_result_classes():
    names = set(structure.__all__)
    assert len(names) > 30
    for name in ("pair_distribution", "pair_distributions", "average_pair_distributions", "coordination",
                 "resolve_cutoffs", "bond_angle_distribution", "ring_statistics", "altbc", "steinhardt",
                 "structure_types", "xray_structure_factor", "reciprocal_xray_sq", "bonded", "frame_density",
                 "PairDistribution", "PairAverage", "CoordinationResult", "BondCutoffs", "AngleResult", "RingResult",
                 "AltbcResult", "SteinhardtResult", "StructureTypes", "XraySQ", "ReciprocalSQ", "FrameAverage",
                 "NeighbourList"):
        assert name in names, name
    for name in names:
        assert getattr(structure, name) is not None, name
    assert callable(structure.coordination) and callable(structure.altbc)  # the functions, not the submodules
    with pytest.raises(AttributeError):
        structure.no_such_name  # noqa: B018


# -- one r grid for the frames of a run ---------------------------------------------------------------------------
def test_frames_of_an_npt_run_get_one_grid():
    frames = _npt_frames()
    own = [pair_distribution(a, dr=0.01) for a in frames]  # each frame to its own half cell height
    assert len({p.counts.shape[-1] for p in own}) > 1
    with pytest.raises(InputError, match="differ in shape"):
        FrameAverage.of([p.total for p in own])  # what failed before issue 12
    common = pair_distributions(frames, dr=0.01)
    assert common_r_max(frames) == pytest.approx(min(half_min_height(a.cell) for a in frames))
    assert {p.counts.shape[-1] for p in common} == {int(np.floor(common_r_max(frames) / 0.01 + 1e-9))}
    assert all(np.array_equal(p.edges, common[0].edges) for p in common)
    avg = average_pair_distributions(common)
    assert avg.n_frames == 4 and avg.truncated_from is None
    np.testing.assert_allclose(avg.g_total, np.mean([p.total for p in common], axis=0), rtol=1e-12)
    np.testing.assert_allclose(avg.g_total_sem, np.std([p.total for p in common], axis=0, ddof=1) / 2, rtol=1e-9,
                               atol=1e-15)
    np.testing.assert_allclose(avg.partials[("Sb", "Se")], np.mean([p.partial("Sb", "Se") for p in common], axis=0))
    # mixed grids of one bin width: cut to the shortest, the same numbers there
    mixed = average_pair_distributions(own)
    n = min(p.counts.shape[-1] for p in own)
    assert mixed.g_total.size == n and mixed.truncated_from == pytest.approx(max(p.r_max for p in own))
    np.testing.assert_allclose(mixed.g_total, avg.g_total[:n], rtol=1e-12)
    assert set(avg.columns()) >= {"r_A", "g_total", "g_total_sem", "g_Sb-Se", "g_Sb-Se_sem"}
    # the mean-count pair distribution feeds the cutoffs
    assert avg.pair.meta["n_frames"] == 4
    assert resolve_cutoffs(avg.species, {"Sb-Se": 3.2}, avg.pair).cutoffs["Sb-Se"] == 3.2


def test_average_refuses_different_bins_or_species():
    frames = _npt_frames(2)
    with pytest.raises(InputError, match="different bins"):
        average_pair_distributions([pair_distribution(frames[0], 5.0, 0.01), pair_distribution(frames[1], 5.0, 0.02)])
    cu = bulk("Cu", "fcc", a=3.615, cubic=True).repeat(4)
    with pytest.raises(InputError, match="different species"):
        average_pair_distributions([pair_distribution(frames[0], 5.0, 0.01), pair_distribution(cu, 5.0, 0.01)])
    with pytest.raises(InputError, match="no frames"):
        average_pair_distributions([])


def test_bundled_trajectory_frames_average():
    path = DEMO / "P_0GPa.extxyz"
    if not path.is_file():
        pytest.skip("bundled frames not there")
    frames = ase.io.read(path, ":")
    assert len({round(half_min_height(a.cell), 6) for a in frames}) > 1  # NPT: every frame its own cell
    avg = average_pair_distributions(pair_distributions(frames))
    assert avg.n_frames == len(frames) and avg.r_max <= common_r_max(frames) + 1e-12
    assert np.all(np.isfinite(avg.g_total_sem[avg.r > 1.0]))
    k = int(np.argmax(avg.partials[("Sb", "Se")]))
    assert 2.6 < avg.r[k] < 2.85  # the Sb–Se bond peak


# -- reprs, plots, to_dict ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def results():
    atoms = random_packing("Sb2Se3", 150, 5.0, 2.3, seed=3)
    cut = {"Sb-Se": 3.2, "Sb-Sb": 3.1, "Se-Se": 2.9}
    nl = NeighbourList.build(atoms, 4.0)
    b = bonded(atoms, nl, cut)
    pair = pair_distribution(atoms, dr=0.01)
    frames = _npt_frames(3)
    return {
        "nl": nl, "pair": pair, "avg": average_pair_distributions(pair_distributions(frames)),
        "cutoffs": resolve_cutoffs(("Sb", "Se"), {"Sb-Se": 3.2}, pair),
        "coordination": coordination(atoms, cut, nl=nl), "angles": bond_angle_distribution(atoms, b),
        "rings": ring_statistics(atoms, b, max_size=8), "altbc": altbc(atoms, nl),
        "steinhardt": steinhardt(atoms, b), "xray": xray_structure_factor(pair, q_max=10.0),
        "reciprocal": reciprocal_xray_sq(frames[:1], np.linspace(1.0, 5.0, 9)),
        "frame_average": FrameAverage.of([np.zeros(500), np.ones(500)]),
    }


def test_reprs_are_short(results):
    for name, obj in results.items():
        text = repr(obj)
        assert "\n" not in text and len(text) < 300, (name, len(text), text)
        assert "array(" not in text and "..." not in text, (name, text)
    assert "150" in repr(results["coordination"]) and "primitive" in repr(results["rings"])


PLOTTED = ("pair", "avg", "coordination", "angles", "rings", "altbc", "steinhardt", "xray", "reciprocal")


@pytest.mark.parametrize("name", PLOTTED)
def test_plot_returns_axes_with_data(results, name):
    import matplotlib.pyplot as plt

    ax = results[name].plot()
    try:
        assert ax.get_xlabel()
        assert ax.lines or ax.patches or ax.images or ax.collections
        fig, own = plt.subplots()
        assert results[name].plot(ax=own) is own
        plt.close(fig)
    finally:
        plt.close(ax.figure)


def test_plot_options(results):
    import matplotlib.pyplot as plt

    ax = results["xray"].plot(which="fr")
    assert "r" in ax.get_xlabel()
    plt.close(ax.figure)
    with pytest.raises(InputError):
        results["xray"].plot(which="zz")
    with pytest.raises(InputError):
        results["rings"].plot(measure="area")
    ax = results["pair"].plot(partials=False)
    assert len(ax.lines) == 2  # total and the g = 1 line
    plt.close(ax.figure)


@pytest.mark.parametrize("name", ["pair", "avg", "coordination", "angles", "rings", "altbc", "steinhardt", "xray",
                                  "reciprocal"])
def test_to_dict_arrays_switch(results, name):
    obj = results[name]
    full = json.loads(json.dumps(obj.to_dict(arrays=True), allow_nan=True))
    lean = json.loads(json.dumps(obj.to_dict(arrays=False), allow_nan=True))
    assert len(json.dumps(lean)) < len(json.dumps(full))
    assert len(json.dumps(lean)) < 3000, (name, len(json.dumps(lean)))
    assert set(lean) <= set(full)


def test_to_dict_array_content(results):
    d = results["pair"].to_dict(arrays=True)
    assert len(d["r_A"]) == len(d["g_total"]) == len(d["g_partials"]["Sb-Se"]) == d["n_bins"]
    d = results["angles"].to_dict(arrays=False)
    assert "counts" not in d and "counts" not in d["partials"]["Sb"] and d["n_angles"] == results["angles"].n_angles
    assert "map_density_per_A2" not in results["altbc"].to_dict(arrays=False)
    assert len(results["xray"].to_dict(arrays=True)["S_X"]) == results["xray"].q.size
