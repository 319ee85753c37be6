"""A terminology registry with the test fixture's Vietnamese ICD-10 titles, shared per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from carehub.terminology import Terminology

VI_TITLES = Path(__file__).resolve().parent.parent / "fixtures" / "terminology" / "icd10_vi.csv"


@pytest.fixture(scope="session")
def term() -> Terminology:
    return Terminology(VI_TITLES)
