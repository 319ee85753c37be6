"""Fleischner 2017: every table cell, size rounding, scope guards, inputs."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.fleischner import fleischner2017
from tests.clinical.lung._fixtures import cases


@pytest.mark.parametrize("case", cases("fleischner"))
def test_fixture(case: dict[str, Any]) -> None:
    r = fleischner2017(**case["inputs"])
    if "applicable" in case:
        assert r.applicable is case["applicable"]
        assert r.values == {} and r.reason
        return
    assert r["recommendation"] == case["recommendation"]
    if "size_mm" in case:
        assert r["size_mm"] == case["size_mm"]


def test_structured_action() -> None:
    r = fleischner2017("solid", "single", 7, "high")
    assert (r["action"], r["interval_months"]) == ("ct", (6, 12))
    assert fleischner2017("solid", "single", 4, "low")["interval_months"] is None


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"risk": None}, "risk"),
        ({"risk": "medium"}, "risk"),
        ({"type": "cavitary"}, "type"),
        ({"multiplicity": "two"}, "multiplicity"),
        ({"size_mm": None}, "size_mm"),
        ({"size_mm": -1}, "size_mm"),
        ({"size_mm": None, "long_axis_mm": 8}, "short_axis_mm"),
        ({"size_mm": None, "long_axis_mm": 5, "short_axis_mm": 8}, "short_axis_mm"),
        ({"age": 200}, "age"),
    ],
)
def test_bad_inputs_name_the_input(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {
        "type": "solid", "multiplicity": "single", "size_mm": 7, "risk": "low"
    }
    args.update(kwargs)
    with pytest.raises(InvalidInput) as exc:
        fleischner2017(**args)  # type: ignore[arg-type]
    assert exc.value.name == name
