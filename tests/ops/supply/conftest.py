"""Fixtures of the supply tests: the golden ledger files in ``tests/fixtures/ops/supply``."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ops" / "supply"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The folder of the supply fixture files."""
    return FIXTURES
