"""Every vector of the clinical specification's test file, run against its calculator.

Vectors are read at collection time from ``specs/clinical-vectors.json`` in the
shared data, so a new vector needs no code. A vector with ``tolerance`` is
compared as ``|actual - expected| <= tolerance``; without, exactly. Every
vector must pass; a rule with no calculator fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.clinical.catalog import evaluate

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS_PATH = Path("specs") / "clinical-vectors.json"
WHO_CHART_PATH = Path("reference") / "who-cvd-2019" / "WHO_2019_Scores.csv"


def _shared() -> Path:
    configured = os.environ.get("CAREHUB_SHARED")
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


def _vectors() -> list[dict[str, Any]]:
    path = _shared() / VECTORS_PATH
    return list(orjson.loads(path.read_bytes())) if path.is_file() else []


VECTORS = [pytest.param(v, id=v["id"]) for v in _vectors()] or [
    pytest.param(None, id="vectors-missing")
]


@pytest.fixture(autouse=True)
def _who_chart(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Configure the WHO 2019 chart table from the shared reference data."""
    monkeypatch.setenv("CAREHUB_WHO_CVD_CHART", str(shared_dir / WHO_CHART_PATH))
    yield


def _matches(actual: Any, expected: Any, tolerance: float | None) -> bool:
    numeric = isinstance(expected, (int, float)) and not isinstance(expected, bool)
    if tolerance is not None and numeric:
        return isinstance(actual, (int, float)) and abs(actual - expected) <= tolerance
    return bool(actual == expected)


@pytest.mark.parametrize("vector", VECTORS)
def test_vector(shared_dir: Path, vector: dict[str, Any] | None) -> None:
    assert vector is not None, f"no vectors at {shared_dir / VECTORS_PATH}"
    result = evaluate(vector["rule"], vector["inputs"])
    tolerance = vector.get("tolerance")
    for name, expected in vector["expected"].items():
        if name == "applicable":
            assert result.applicable is expected, result.reason
            continue
        assert name in result.values, f"{vector['id']}: no output {name!r} in {result.values}"
        actual = result.values[name]
        assert _matches(actual, expected, tolerance), (
            f"{vector['id']}: {name} = {actual!r}, expected {expected!r}"
            + (f" ± {tolerance}" if tolerance is not None else "")
        )


def test_every_rule_of_the_vectors_has_a_calculator(shared_dir: Path) -> None:
    from carehub.clinical.catalog import calculators

    rules = {v["rule"] for v in _vectors()}
    assert rules, "no vectors found"
    assert sorted(rules - set(calculators())) == []
