"""Fixtures of the allocation tests: the fixture folder and the INRC-II data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ops" / "allocate"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``tests/fixtures/ops/allocate``."""
    return FIXTURES


@pytest.fixture(scope="session")
def inrc2_dir(shared_dir: Path) -> Path:
    """``shared/ops/inrc2``; skips when the benchmark data are absent."""
    path = shared_dir / "ops" / "inrc2"
    if not (path / "n030w4").is_dir():
        pytest.skip(f"INRC-II data not found at {path}")
    return path
