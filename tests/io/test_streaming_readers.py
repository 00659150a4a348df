"""Streaming table readers (issue 14, bounded memory): same results and errors as whole-file reading, memory per row
bounded, and `transport sigma` on a 70 000-row table.

Known answers: a table read in 64-character chunks (every line boundary, CRLF pair and block edge exercised) gives
exactly the arrays, line numbers and errors of the default chunking; a block that needs the line-by-line rules
(quoted cell, comment, empty cell) gives what a plain block gives. Memory: reading a 16 MB R(T) table may grow the
peak RSS by at most 120 bytes per row. The arrays returned and their transient copies (parsed block, scaled
columns, rows kept) measure 45–70 bytes per row; whole-file reading (text, list of lines, lists of floats) measured
270 bytes per row on the same file, so the bound separates the two with a factor ~2 of margin on each side.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.io import _text, read_eos_table, read_qd, read_rt_table


def _rt_text(n: int) -> str:
    t = np.linspace(2.0, 300.0, n)
    return "# R(T)\r\nT_K,R_ohm\r\n" + "".join(f"{a:.6f},{1 + a / 100:.8g}\r\n" for a in t)


def test_small_chunks_give_the_same_table(tmp_path, monkeypatch):
    f = tmp_path / "rt.csv"
    f.write_text(_rt_text(3000) + '"7.5",1.2\n\n# note\n8.0,1.3 # a comment\n9.0,\n', newline="")
    ref = read_rt_table(f, x="T")
    monkeypatch.setattr(_text, "_CHUNK_CHARS", 64)
    got = read_rt_table(f, x="T")
    np.testing.assert_array_equal(got.temperature_K, ref.temperature_K)
    np.testing.assert_array_equal(got.resistance_ohm, ref.resistance_ohm)
    np.testing.assert_array_equal(got.meta["row_lines"], ref.meta["row_lines"])
    assert ref.temperature_K.size == 3002 and ref.meta["dropped_rows"] == 1  # "9.0," has no R
    assert ref.meta["row_lines"][-1] == 3006 and ref.temperature_K[3000] == 7.5


def test_errors_name_the_line_after_streaming(tmp_path, monkeypatch):
    monkeypatch.setattr(_text, "_CHUNK_CHARS", 100)
    f = tmp_path / "rt.csv"
    f.write_text(_rt_text(2000) + "5.0,abc\n")
    with pytest.raises(InputError, match="not a number: 'abc'") as e:
        read_rt_table(f, x="T")
    assert e.value.line == 2003
    f.write_text(_rt_text(50) + "x" * (_text.MAX_LINE_CHARS + 5) + "\n1,2\n")
    with pytest.raises(InputError, match=f"line of {_text.MAX_LINE_CHARS + 5:,} characters") as e:
        read_rt_table(f, x="T")
    assert e.value.line == 53
    g = tmp_path / "pv.csv"
    g.write_text("P_GPa,V_A3_cell\n" + "".join(f"{p},{5000 - p}\n" for p in range(1, 2001)) + "5,190\n")
    with pytest.raises(InputError, match="appears twice") as e:
        read_eos_table(g)
    assert e.value.line == 2002


def test_latin1_and_bom_streamed(tmp_path):
    f = tmp_path / "rt.csv"
    f.write_bytes(b"\xef\xbb\xbfT_K,R_ohm\n1,2\n3,4\n")
    assert read_rt_table(f, x="T").meta["encoding"] == "utf-8"
    f.write_bytes(b"# sample \xb5m\nT_K,R_ohm\n" + b"1,2\n" * 5000 + b"# \xe9\n3,4\n")
    t = read_rt_table(f, x="T")
    assert t.meta["encoding"] == "latin-1" and t.temperature_K.size == 5001


def test_qd_blocks_regular_and_ragged_agree(tmp_path, monkeypatch):
    head = "[Header]\nBYAPP,Electrical Transport Option\n[Data]\nComment,Temperature (K),Field (Oe),Resistance Ch1 (Ohms),X\n"
    rows = "".join(f",{2 + i * 1e-3:.4f},0,{1 + i:.1f},\n" for i in range(3000))
    ragged = ",9.0,0\n"  # fewer cells: padded with NaN
    f = tmp_path / "a.dat"
    f.write_text(head + rows + ragged + rows + ",9.5,0,7")  # the last line lacks its newline: truncated
    ref = read_qd(f)
    monkeypatch.setattr(_text, "_CHUNK_CHARS", 200)
    got = read_qd(f)
    for name in ref.data:
        np.testing.assert_array_equal(got.data[name], ref.data[name])
    np.testing.assert_array_equal(got.row_line, ref.row_line)
    assert got.meta["ragged_rows"] == ref.meta["ragged_rows"] == 2
    assert got.meta["truncated_line"] == ref.meta["truncated_line"] == 6006
    assert np.isnan(ref.data["Resistance Ch1 (Ohms)"][-1]) and ref.n_rows == 6002


_MEASURE = textwrap.dedent("""
    import resource, sys
    from hpglass.io import read_rt_table
    read_rt_table(sys.argv[1], x="T")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = read_rt_table(sys.argv[2], x="T")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(t.temperature_K.size, (after - before) * 1024)
""")


@pytest.mark.slow
def test_memory_per_row_is_bounded(tmp_path):
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_text(_rt_text(20_000))
    n = 700_000  # ≈ 16 MB
    t = np.linspace(2.0, 300.0, n)
    with big.open("w") as fh:
        fh.write("T_K,R_ohm\n")
        for k in range(0, n, 50_000):
            fh.write("".join(f"{a:.6f},{1 + a / 100:.8g}\n" for a in t[k : k + 50_000]))
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(small), str(big)], capture_output=True, text=True,
                         timeout=120, check=True)
    rows, growth = map(int, out.stdout.split())
    assert rows == n
    assert growth / n < 120, f"peak RSS grew {growth / n:.0f} bytes per row"


def test_sigma_on_70000_rows_is_vectorised(tmp_path, monkeypatch):
    """The issue's 70 000-row R(P) table: the breakpoint scans cost O(1) per candidate after one O(n) set-up, so
    the direct O(n) residual path is used only for a bounded number of sets (scalar refinements are moments too)."""
    from hpglass.series import piecewise
    from hpglass.transport.conductivity import conductivity_regimes

    n = 70_000
    p = np.linspace(0.0, 30.0, n)
    logr = 3 - 0.5 * p + 0.3 * np.clip(p - 10, 0, None) + np.random.default_rng(2).normal(0, 0.02, n)
    calls = {"direct_rows": 0}
    direct = piecewise._Problem.rss_direct

    def counting(self, b):
        calls["direct_rows"] += np.atleast_2d(b).shape[0]
        return direct(self, b)

    monkeypatch.setattr(piecewise._Problem, "rss_direct", counting)
    res = conductivity_regimes(p, 10 ** logr, kind="resistivity", n_segments=2)
    assert calls["direct_rows"] == 0
    assert res["all"].breakpoints_GPa[0] == pytest.approx(10.0, abs=0.05)
    assert res["all"].regimes[0].slope_dec_per_GPa == pytest.approx(0.5, abs=0.01)
