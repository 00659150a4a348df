"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared/data next to the repository root (real measured files; see its README.md)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real data files; tests that need it skip when it is absent (it is not shipped)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (it lives beside the repository, not in it)")
    return SHARED_DATA
