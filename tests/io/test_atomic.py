"""Atomic writers: content, no leftovers, an existing file survives a failed write."""

from __future__ import annotations

import os

import numpy as np
import pytest

from hpglass.errors import InputError
from hpglass.io import atomic_path, atomic_write_bytes, atomic_write_text, read_pattern, write_table
from hpglass.io import atomic as atomic_module


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if ".tmp" in p.name)


def test_write_text_creates_and_replaces(tmp_path):
    path = tmp_path / "out.txt"
    assert atomic_write_text(path, "first\n") == path
    atomic_write_text(str(path), "second ✓\n")
    assert path.read_text(encoding="utf-8") == "second ✓\n"
    assert _leftovers(tmp_path) == []


def test_write_bytes(tmp_path):
    path = tmp_path / "blob.bin"
    atomic_write_bytes(path, b"\0\1\2")
    assert path.read_bytes() == b"\0\1\2"


def test_new_file_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "perm.txt", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_failed_rename_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "keep.txt"
    path.write_text("original")

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write_text(path, "new")
    assert path.read_text() == "original"
    assert _leftovers(tmp_path) == []


def test_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        atomic_write_text(tmp_path / "no" / "such" / "file.txt", "x")
    with pytest.raises(InputError, match="is a directory"):
        atomic_write_text(tmp_path, "x")


def test_atomic_path_keeps_the_suffix_and_renames(tmp_path):
    path = tmp_path / "figure.png"
    with atomic_path(path) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp != path
        tmp.write_bytes(b"png")
        assert not path.exists()
    assert path.read_bytes() == b"png"
    assert _leftovers(tmp_path) == []


def test_atomic_path_error_leaves_the_destination(tmp_path):
    path = tmp_path / "figure.png"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("plot failed")
    assert path.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_atomic_path_with_nothing_written(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        with atomic_path(tmp_path / "empty.png"):
            pass
    assert not (tmp_path / "empty.png").exists()


def test_atomic_path_with_matplotlib(tmp_path):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    with atomic_path(tmp_path / "fig.svg") as tmp:
        fig.savefig(tmp)  # format chosen from the kept suffix
    plt.close(fig)
    assert (tmp_path / "fig.svg").read_text().lstrip().startswith("<?xml")


def test_write_table_round_trip(tmp_path):
    q = np.linspace(0.5, 12.0, 50)
    s = 1 + np.sin(q) / q
    path = write_table(tmp_path / "sq.txt", {"q_A-1": q, "S(q)": s}, header_lines=["hpglass 0.1.0", "λ = 0.31 Å"])
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:3] == ["# hpglass 0.1.0", "# λ = 0.31 Å", "# q_A-1  S(q)"]
    data = np.loadtxt(path)
    np.testing.assert_allclose(data[:, 0], q, rtol=1e-9)
    np.testing.assert_allclose(data[:, 1], s, rtol=1e-9)
    p = read_pattern(path)  # the column name states the unit
    assert p.unit == "q_A" and len(p) == 50


def test_write_table_multiline_header(tmp_path):
    path = write_table(tmp_path / "t.txt", {"r_A": [1.0, 2.0]}, header_lines=["a\nb"])
    assert path.read_text().splitlines()[:3] == ["# a", "# b", "# r_A"]


@pytest.mark.parametrize(("columns", "words"), [
    ({}, "at least one column"),
    ({"q": [1, 2], "S": [1]}, "differ in length"),
    ({"q A": [1, 2]}, "without spaces"),
    ({"q": [[1, 2]]}, "one-dimensional"),
])
def test_write_table_bad_columns(tmp_path, columns, words):
    with pytest.raises(InputError, match=words):
        write_table(tmp_path / "t.txt", columns)
    assert not (tmp_path / "t.txt").exists()
