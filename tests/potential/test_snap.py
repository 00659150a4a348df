"""SNAP descriptors, fit and potential files — checked against LAMMPS's own pair_style snap (known coefficients)."""

import json
from pathlib import Path

import numpy as np
import pytest
from _labels import label_with, sheared_frames
from _lammps_available import needs_lammps

from hpglass.errors import InputError
from hpglass.potential.lammps_potential import load_potential
from hpglass.potential.snap import (
    SnapFit,
    SnapSpec,
    design_matrix,
    errors,
    fit_snap,
    label_arrays,
    write_snap_potential,
)

pytestmark = needs_lammps
FRAMES = Path(__file__).resolve().parents[2] / "data/glass80-sevennet"


def _configs(n=5):
    return sheared_frames(n)


def _known(spec, design, seed=3):
    coef = np.random.default_rng(seed).normal(size=design.A.shape[1]) * 0.05
    for t in range(len(spec.elements)):
        coef[t * (1 + spec.n_per_type)] = -3.0 + 0.5 * t
    return SnapFit(spec, coef, {}, 0.0, {"energy_meV_atom": 0.0, "force_eV_A": 0.0, "pressure_GPa": 0.0})


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    spec = SnapSpec(twojmax=4, dispersion="zero")
    configs = _configs()
    design = design_matrix(configs, spec)
    fit = _known(spec, design)
    pot_dir = write_snap_potential(tmp_path_factory.mktemp("pot"), fit)
    labelled = label_with(configs, load_potential(pot_dir).calculator())
    return spec, configs, design, fit, pot_dir, labelled


def test_design_rows_reproduce_lammps_pair_snap(known):
    """A · β + reference = what pair_style hybrid/overlay zbl snap dispersion/d3 gives, row by row.

    Tolerance 1e-6 relative: LAMMPS evaluates both in double precision; the virial passes through the text of
    the thermo pressure (bar) once."""
    spec, configs, design, fit, _, labelled = known
    y = label_arrays(labelled, design)
    pred = fit.predict(design)
    assert np.allclose(pred, y, rtol=1e-6, atol=1e-6 * np.abs(y).max())
    assert set(np.unique(design.kind)) == {0, 1, 2}


def test_fit_recovers_a_known_potential(known):
    """Labels made by a SNAP are fitted back to zero error (the model is in the fit's span)."""
    spec, configs, design, fit, _, labelled = known
    y = label_arrays(labelled, design)
    refit = fit_snap(design, y, alpha=1e-12)
    e = refit.rmse
    assert e["energy_meV_atom"] < 1e-3 and e["force_eV_A"] < 1e-5 and e["pressure_GPa"] < 1e-4
    # and a noisy fit is not perfect: the test can fail
    noisy = y + np.random.default_rng(0).normal(0, 0.05, y.shape)
    assert fit_snap(design, noisy).rmse["force_eV_A"] > 0.01


def test_config_weight_counts_as_copies(known):
    """A configuration of weight k is fitted as k copies of itself, and a large weight pulls the fit onto it."""
    from hpglass.potential.snap import Design

    _, _, design, _, _, labelled = known
    y = label_arrays(labelled, design) + np.random.default_rng(1).normal(0, 0.05, design.A.shape[0])
    n = len(design.n_atoms)
    w = np.ones(n)
    w[0] = 3.0
    weighted = fit_snap(design, y, alpha=0.0, config_weights=w)
    order = [0, 0, 0, *range(1, n)]
    copies = design.take(list(range(n)))
    blocks = [np.flatnonzero(design.config == c) for c in order]
    rows = np.concatenate(blocks)
    cfg = np.concatenate([np.full(len(b), k) for k, b in enumerate(blocks)])
    copies = Design(design.A[rows], design.ref[rows], design.kind[rows], cfg, design.n_atoms[order],
                    design.volume[order], tuple(design.rotations[c] for c in order), design.spec)
    repeated = fit_snap(copies, y[rows], alpha=0.0)
    np.testing.assert_allclose(weighted.coefficients, repeated.coefficients, rtol=1e-6,
                               atol=1e-9 * np.abs(repeated.coefficients).max())
    w[0] = 1e6
    pulled = fit_snap(design, y, alpha=0.0, config_weights=w)
    m = design.config == 0
    plain = fit_snap(design, y, alpha=0.0)
    e0 = m & (design.kind == 0)
    assert abs(pulled.predict(design)[e0] - y[e0])[0] < 0.01 * abs(plain.predict(design)[e0] - y[e0])[0]
    from hpglass.potential.snap import _row_weights

    rw = _row_weights(design, 1 / 0.005, 1 / 0.1, 1 / 0.5)[m]  # fit_snap's default row weights

    def loss(f):
        return np.sum((rw * (f.predict(design)[m] - y[m])) ** 2)

    assert loss(pulled) < 0.9 * loss(plain)
    with pytest.raises(InputError):
        fit_snap(design, y, config_weights=np.r_[0.0, np.ones(n - 1)])


def test_errors_report_known_offsets(known):
    spec, configs, design, fit, _, labelled = known
    y = label_arrays(labelled, design)
    shifted = y.copy()
    shifted[design.kind == 1] += 0.2
    e = errors(design, y, shifted)
    assert e["force_eV_A"] == pytest.approx(0.2)
    assert e["energy_meV_atom"] == 0.0


def test_potential_directory_records_and_checks_hashes(known, tmp_path):
    *_, pot_dir, _ = known
    meta = json.loads((pot_dir / "potential.json").read_text())
    assert meta["elements"] == ["Sb", "Se"] and set(meta["files"]) == {"SbSe.snapcoeff", "SbSe.snapparam"}
    assert "dispersion/d3 original" in meta["pair_style"]
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in pot_dir.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    with open(copy / "SbSe.snapcoeff", "a") as fh:
        fh.write("0.0\n")
    with pytest.raises(InputError, match="SHA-256"):
        load_potential(copy)
    (copy / "SbSe.snapcoeff").unlink()
    with pytest.raises(InputError, match="missing"):
        load_potential(copy)
    with pytest.raises(InputError, match="not a potential directory"):
        load_potential(tmp_path)


def test_spec_counts_match_lammps():
    # LAMMPS: 2J = 2, 4, 6, 8 → 5, 14, 30, 55 bispectrum components
    assert [SnapSpec(twojmax=j).n_bispectrum for j in (2, 4, 6, 8)] == [5, 14, 30, 55]
    with pytest.raises(InputError):
        SnapSpec(twojmax=5)


def test_potential_in_a_folder_with_blanks(known, tmp_path):
    """LAMMPS splits words at blanks: the coefficient paths are quoted, and the potential still runs."""
    spec, configs, design, fit, pot_dir, labelled = known
    d = tmp_path / "my potentials" / "Sb Se"
    d.mkdir(parents=True)
    for f in pot_dir.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    pot = load_potential(d)
    assert any('"' in c for c in pot.commands())
    a = configs[0].copy()
    a.calc = pot.calculator()
    assert a.get_potential_energy() == pytest.approx(labelled[0].get_potential_energy(), rel=1e-9)


def test_normal_equations_match_lstsq(known, monkeypatch):
    """The large-design path (normal equations) gives the SVD path's fit: predictions equal to 1e-6 of the labels'
    scale (ridge 1e-6 keeps the condition number ≲ 1e8)."""
    from hpglass.potential import snap

    _, _, design, _, _, labelled = known
    y = label_arrays(labelled, design) + np.random.default_rng(2).normal(0, 0.02, design.A.shape[0])
    svd = fit_snap(design, y, alpha=1e-6)
    monkeypatch.setattr(snap, "LARGE_DESIGN", 0)
    normal = fit_snap(design, y, alpha=1e-6)
    assert np.allclose(normal.predict(design), svd.predict(design), atol=1e-6 * np.abs(y).max())
