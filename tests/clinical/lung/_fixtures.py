"""Load a clinical golden-fixture file (``tests/fixtures/clinical/<module>.json``) as params."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "clinical"


def cases(module: str) -> list[Any]:
    """The ``cases`` of ``<module>.json``, as pytest params with their ``id``."""
    data = orjson.loads((FIXTURES / f"{module}.json").read_bytes())
    return [pytest.param(case, id=case["id"]) for case in data["cases"]]
