"""Issue 14, fuzzed edges: each input gives one line on stderr and exit status 2, never a traceback, a hang or a
memory blow-up (and never a leaked numpy/scipy warning before the line)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from hpglass.cli.main import app
from hpglass.errors import InputError

try:
    runner = CliRunner(mix_stderr=False)
except TypeError:  # click ≥ 8.2 keeps stderr apart by default
    runner = CliRunner()


def _fails_cleanly(args: list[str], *words: str) -> str:
    res = runner.invoke(app, [str(a) for a in args])
    err = res.stderr
    assert res.exit_code == 2, (res.exit_code, res.stdout, err, res.exception)
    assert "Traceback" not in err and "Traceback" not in res.stdout
    assert "Warning" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("hpglass: error:"), err
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


# -- 1. transport tc on 1e308 values ------------------------------------------------------------------------------
def _rt(path, r_hot=10.0, big_at=None, big_t_at=None):
    t = np.linspace(2, 20, 200)
    r = np.where(t > 8, r_hot, 0.0)
    rows = []
    for k, (tt, rr) in enumerate(zip(t, r, strict=True)):
        rows.append(f"{1e308 if k == big_t_at else tt},{1e308 if k == big_at else rr}")
    path.write_text("T_K,R_ohm\n" + "\n".join(rows) + "\n")
    return path


def test_tc_1e308_resistance(tmp_path):
    f = _rt(tmp_path / "r.csv", big_at=50)
    _fails_cleanly(["transport", "tc", f], f"{f}:52", "R_ohm")


def test_tc_1e308_normal_state(tmp_path):
    f = _rt(tmp_path / "r.csv", r_hot=1e308)
    _fails_cleanly(["transport", "tc", f], str(f), "resistance")


def test_tc_1e308_temperature(tmp_path):
    f = _rt(tmp_path / "r.csv", big_t_at=5)
    _fails_cleanly(["transport", "tc", f], f"{f}:7", "T_K")


def test_find_tc_api_rejects_1e308():
    from hpglass.transport.tc import find_tc

    t = np.linspace(2, 20, 50)
    r = np.where(t > 8, 1e308, 0.0)
    with pytest.raises(InputError, match="plausible"):
        find_tc((t, r))


# -- 2. EOS errors of 4.9e-324 ------------------------------------------------------------------------------------
def _eos(path, sv="4.9e-324", big_v=False, big_p=False):
    p = np.array([0, 2, 4, 6, 8, 10, 12.0])
    v = 100 * (1 + 4 * p / 50) ** -0.25
    rows = []
    for k, (pp, vv) in enumerate(zip(p, v, strict=True)):
        rows.append(f"{1e308 if big_p and k == 6 else pp},{1e308 if big_v and k == 2 else vv:.5f},0.05,"
                    f"{sv if k == 3 else '0.1'}")
    path.write_text("P_GPa,V_A3_atom,sigma_P_GPa,sigma_V_A3_atom\n" + "\n".join(rows) + "\n")
    return path


def test_eos_fit_denormal_volume_error(tmp_path):
    f = _eos(tmp_path / "pv.csv")
    _fails_cleanly(["eos", "fit", f], f"{f}:5", "sigma_V_A3_atom", "implausibly small")


def test_eos_crossover_denormal_volume_error(tmp_path):
    f = _eos(tmp_path / "pv.csv")
    _fails_cleanly(["eos", "crossover", f, "--b-ref", "au"], f"{f}:5", "implausibly small")


def test_fit_eos_api_tiny_sigma():
    from hpglass.eos.fit import fit_eos

    p = np.array([0, 2, 4, 6, 8, 10.0])
    v = 100 * (1 + 4 * p / 50) ** -0.25
    sv = np.full(6, 0.1)
    sv[2] = 4.9e-324
    with pytest.raises(InputError, match="implausibly small"):
        fit_eos(p, v, np.full(6, 0.05), sv)


def test_eos_fit_1e308_volume_and_pressure(tmp_path):
    _fails_cleanly(["eos", "fit", _eos(tmp_path / "v.csv", sv="0.1", big_v=True)], "volume")
    _fails_cleanly(["eos", "fit", _eos(tmp_path / "p.csv", sv="0.1", big_p=True)], "pressure")


# -- 3. pressure gold out of range ---------------------------------------------------------------------------------
def test_gold_d_1e308():
    _fails_cleanly(["pressure", "gold", "--d111", "1e308"], "d111")


def test_gold_d_too_large():
    _fails_cleanly(["pressure", "gold", "--d111", "3.0"], "V/V0")


def test_gold_temperature_1e9():
    _fails_cleanly(["pressure", "gold", "--d111", "2.3", "--temperature", "1e9"], "temperature", "3000 K")


def test_gold_temperature_in_range_still_works():
    res = runner.invoke(app, ["pressure", "gold", "--d111", "2.3", "--temperature", "1500", "--json"])
    assert res.exit_code == 0, res.stderr


# -- 4. series: one 2,000,000-character line -----------------------------------------------------------------------
def test_series_long_line(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("P_GPa,value\n1,2\n3," + "9" * 2_000_000 + "\n4,5\n5,6\n")
    _fails_cleanly(["series", "breakpoints", f, "--y", "value"], f"{f}:3", "characters")


def test_series_1e308_value(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("P_GPa,value\n" + "".join(f"{p},{1e308 if p == 3 else p * 0.5}\n" for p in range(12)))
    _fails_cleanly(["series", "breakpoints", f, "--y", "value"], f"{f}:5", "value")


# -- 5. ELFCAR headers ---------------------------------------------------------------------------------------------
_ELF_HEAD = "ELF test\n1.0\n3.0 0 0\n0 3.0 0\n0 0 3.0\nSb\n1\nDirect\n0 0 0\n\n"
_ELF_VALS = "\n".join(" ".join("0.5" for _ in range(5)) for _ in range(13)) + "\n"  # 65 values


@pytest.mark.parametrize("grid", ["nan 4 4", "100000 100000 100000", "8 8 8", "-1 5 13"])
def test_elfcar_bad_grid(tmp_path, grid):
    f = tmp_path / "bad.ELFCAR"
    f.write_text(_ELF_HEAD + f" {grid}\n" + _ELF_VALS)
    _fails_cleanly(["elf", "--elfcar", f, "--out", tmp_path / "out"], f"{f}:11")


def test_read_elfcar_huge_grid_is_estimated_not_allocated(tmp_path):
    from hpglass.io.volumetric import read_elfcar

    f = tmp_path / "huge.ELFCAR"
    f.write_text(_ELF_HEAD + " 10000000 10000000 10000000\n" + _ELF_VALS)  # 1e21: would wrap int64 in np.prod
    with pytest.raises(InputError, match="promises"):
        read_elfcar(f)


# -- 6. structure: absurd cells, NaN positions ---------------------------------------------------------------------
def _frame(path, n, cell, nan=False, seed=0):
    from ase import Atoms
    from ase.io import write

    pos = np.random.default_rng(seed).random((n, 3)) * min(cell, 10.0)
    if nan:
        pos[0, 0] = np.nan
    write(path, Atoms("Sb2Se3" * (n // 5), positions=pos, cell=[cell] * 3, pbc=True), format="extxyz")
    return path


def test_structure_huge_cell(tmp_path):
    f = _frame(tmp_path / "big.extxyz", 5, 1e6)
    _fails_cleanly(["structure", f, "--out", tmp_path / "o"], str(f), "volume per atom")


def test_structure_dense_cell(tmp_path):
    f = _frame(tmp_path / "dense.extxyz", 80, 1.0)
    _fails_cleanly(["structure", f, "--out", tmp_path / "o"], str(f), "volume per atom")


def test_structure_nan_position(tmp_path):
    f = _frame(tmp_path / "nan.extxyz", 40, 10.5, nan=True)
    _fails_cleanly(["structure", f, "--out", tmp_path / "o"], str(f), "position")


def test_memory_guards_api():
    from ase import Atoms

    from hpglass.structure.neighbors import NeighbourList
    from hpglass.structure.pair import pair_distribution

    rng = np.random.default_rng(1)
    atoms = Atoms("Sb2Se3" * 8, positions=rng.random((40, 3)) * 10.5, cell=[10.5] * 3, pbc=True)
    with pytest.raises(InputError, match="GiB"):
        NeighbourList.build(atoms, 2000.0)
    with pytest.raises(InputError, match="GiB"):
        pair_distribution(atoms, r_max=5.0, dr=1e-9)


# -- 7. transport sigma: bounded rows, vectorised labels ------------------------------------------------------------
def test_sigma_row_bound(tmp_path):
    from hpglass.transport.conductivity import MAX_POINTS_PER_BRANCH

    n = MAX_POINTS_PER_BRANCH + 1
    p = np.linspace(0, 40, n)
    f = tmp_path / "rp.csv"
    f.write_text("P_GPa,R_ohm\n" + "".join(f"{a:.6f},{10 ** (3 - 0.1 * a):.6g}\n" for a in p))
    _fails_cleanly(["transport", "sigma", f], str(f), "points")


def test_sigma_direction_labels_vectorised():
    from hpglass.transport.conductivity import _directions

    lab = np.array(["up", "Compression ", "d", "down"] * 3, dtype=object)
    out = _directions(lab, lab.size, np.arange(lab.size, dtype=float))
    assert list(out[:4]) == ["compression", "compression", "decompression", "decompression"]
    with pytest.raises(InputError, match="index 5"):
        _directions(np.array(["up"] * 5 + ["sideways"], dtype=object), 6, np.arange(6.0))


def test_sigma_1e308_pressure(tmp_path):
    f = tmp_path / "rp.csv"
    f.write_text("P_GPa,R_ohm\n" + "".join(f"{1e308 if i == 11 else i},{10 ** (-0.1 * i)}\n" for i in range(12)))
    _fails_cleanly(["transport", "sigma", f], f"{f}:13", "P_GPa")
