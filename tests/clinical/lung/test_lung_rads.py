"""Lung-RADS v2022: category boundaries, modifiers, scope guard, inputs."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.lung_rads import MANAGEMENT, lung_rads_v2022
from tests.clinical.lung._fixtures import cases


@pytest.mark.parametrize("case", cases("lung_rads"))
def test_fixture(case: dict[str, Any]) -> None:
    r = lung_rads_v2022(**case["inputs"])
    if "applicable" in case:
        assert r.applicable is case["applicable"] and "Fleischner" in r.reason
        return
    assert r["category"] == case["category"]
    assert r["management"] == MANAGEMENT[case["category"]]


def test_rounding_and_s_modifier() -> None:
    r = lung_rads_v2022("baseline", "solid", 7.25, significant_other_findings=True)
    assert r["mean_diameter_mm"] == 7.3 and r["s_modifier"] is True and r["category"] == "3"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"exam": "annual"}, "exam"),
        ({"type": "cyst"}, "type"),
        ({"mean_diameter_mm": None}, "mean_diameter_mm"),
        ({"mean_diameter_mm": 500}, "mean_diameter_mm"),
        ({"new": True}, "new"),
        ({"growing": True}, "growing"),
        ({"type": "part_solid", "mean_diameter_mm": 9}, "solid_component_mm"),
        ({"type": "part_solid", "solid_component_mm": 10}, "solid_component_mm"),
        ({"exam": "follow_up", "prior_category": "5"}, "prior_category"),
    ],
)
def test_bad_inputs_name_the_input(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {"exam": "baseline", "type": "solid", "mean_diameter_mm": 7}
    args.update(kwargs)
    with pytest.raises(InvalidInput) as exc:
        lung_rads_v2022(**args)  # type: ignore[arg-type]
    assert exc.value.name == name
