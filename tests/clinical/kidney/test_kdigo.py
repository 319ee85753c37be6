"""KDIGO classification: half-open boundaries, ACR units, heat map, monitoring, ckd_stage."""

from __future__ import annotations

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.kidney.kdigo import (
    ckd_stage,
    kdigo_albuminuria_category,
    kdigo_gfr_category,
    kdigo_monitoring_frequency_per_year,
    kdigo_risk_heatmap,
)


@pytest.mark.parametrize(
    ("egfr", "category"),
    [
        (120, "G1"), (90, "G1"), (89.99, "G2"), (60, "G2"), (59.99, "G3a"), (45, "G3a"),
        (44.99, "G3b"), (30, "G3b"), (29.99, "G4"), (15, "G4"), (14.99, "G5"), (0, "G5"),
    ],
)
def test_gfr_category_boundaries(egfr: float, category: str) -> None:
    assert kdigo_gfr_category(egfr=egfr)["category"] == category


def test_egfr_exactly_60_is_g2_and_not_ckd_without_albuminuria() -> None:
    stage = ckd_stage(60, 10)
    assert stage["gfr_category"] == "G2"
    assert stage["ckd"] is False
    assert ckd_stage(59.99, 10)["ckd"] is True


@pytest.mark.parametrize(
    ("acr", "unit", "category"),
    [
        (29.99, "mg/g", "A1"), (30, "mg/g", "A2"), (299.9, "mg/g", "A2"), (300, "mg/g", "A3"),
        (2.99, "mg/mmol", "A1"), (3, "mg/mmol", "A2"), (29.9, "mg/mmol", "A2"),
        (30, "mg/mmol", "A3"), (30, "mg/mmol{creat}", "A3"), (300, "mg/g{creat}", "A3"),
    ],
)
def test_albuminuria_boundaries_in_each_unit(acr: float, unit: str, category: str) -> None:
    assert kdigo_albuminuria_category(acr=acr, unit=unit)["category"] == category


def test_mg_mmol_is_classified_on_its_own_thresholds_and_converted_for_display() -> None:
    # 30 mg/mmol x 8.84 = 265.2 mg/g, which would be A2 if converted first
    result = kdigo_albuminuria_category(acr=30, unit="mg/mmol")
    assert result["category"] == "A3"
    assert result["acr_mg_g"] == 265.2


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"acr": None}, "acr"),
        ({"acr": -1}, "acr"),
        ({"acr": 30, "unit": "mg/dL"}, "unit"),
        ({"acr": 30, "unit": "parsecs"}, "unit"),
    ],
)
def test_bad_albuminuria_inputs(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        kdigo_albuminuria_category(**kwargs)  # type: ignore[arg-type]
    assert err.value.name == name


def test_bad_egfr_names_the_input() -> None:
    with pytest.raises(InvalidInput) as err:
        kdigo_gfr_category(egfr=-5)
    assert err.value.name == "egfr"


HEAT = {
    "G1": ("low", "moderate", "high"),
    "G2": ("low", "moderate", "high"),
    "G3a": ("moderate", "high", "very_high"),
    "G3b": ("high", "very_high", "very_high"),
    "G4": ("very_high",) * 3,
    "G5": ("very_high",) * 3,
}
COLOUR = {"low": "green", "moderate": "yellow", "high": "orange", "very_high": "red"}


@pytest.mark.parametrize("g", list(HEAT))
@pytest.mark.parametrize("a", ["A1", "A2", "A3"])
def test_full_heat_map(g: str, a: str) -> None:
    result = kdigo_risk_heatmap(gfr_category=g, albuminuria_category=a)
    expected = HEAT[g][int(a[1]) - 1]
    assert (result["risk"], result["colour"]) == (expected, COLOUR[expected])


def test_categories_are_case_insensitive_and_checked() -> None:
    assert kdigo_risk_heatmap(gfr_category="g3A", albuminuria_category="a2")["risk"] == "high"
    with pytest.raises(InvalidInput) as err:
        kdigo_risk_heatmap(gfr_category="G3", albuminuria_category="A2")
    assert err.value.name == "gfr_category"
    with pytest.raises(InvalidInput) as err:
        kdigo_monitoring_frequency_per_year(gfr_category="G3a", albuminuria_category="A4")
    assert err.value.name == "albuminuria_category"


@pytest.mark.parametrize(
    ("g", "a", "times"),
    [
        ("G1", "A1", "1 if CKD"), ("G2", "A2", "1"), ("G2", "A3", "2"), ("G3a", "A1", "1"),
        ("G3a", "A3", "3"), ("G3b", "A1", "2"), ("G4", "A1", "3"), ("G4", "A3", "4+"),
        ("G5", "A1", "4+"),
    ],
)
def test_monitoring_frequency(g: str, a: str, times: str) -> None:
    result = kdigo_monitoring_frequency_per_year(gfr_category=g, albuminuria_category=a)
    assert result["times_per_year"] == times
    assert "medium" in result.guideline.citation


def test_ckd_stage_combines_definition_categories_and_heat_map() -> None:
    stage = ckd_stage(38, 350)
    assert stage.values == {
        "ckd": True,
        "gfr_category": "G3b",
        "albuminuria_category": "A3",
        "stage": "G3bA3",
        "risk": "very_high",
        "colour": "red",
        "times_per_year": "3",
    }
    normal = ckd_stage(95, 10)
    assert normal["ckd"] is False and normal["times_per_year"] is None and normal["risk"] == "low"
    assert "not CKD" in normal.reason
    marker = ckd_stage(95, 10, other_damage_marker=True)
    assert marker["ckd"] is True and marker["times_per_year"] == "1"
    assert ckd_stage(95, 30)["ckd"] is True


def test_ckd_stage_input_errors() -> None:
    with pytest.raises(InvalidInput) as err:
        ckd_stage(50, None)  # type: ignore[arg-type]
    assert err.value.name == "acr_mg_g"
    with pytest.raises(InvalidInput) as err:
        ckd_stage(50, 10, other_damage_marker="yes")  # type: ignore[arg-type]
    assert err.value.name == "other_damage_marker"
