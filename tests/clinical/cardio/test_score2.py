"""SCORE2 and SCORE2-Asia-Pacific: published examples, scope (40-69, no diabetes), inputs."""

from __future__ import annotations

import pytest

from carehub.clinical.cardio.score2 import score2, score2_asia_pacific
from carehub.clinical.inputs import InvalidInput

EXAMPLE = {
    "age": 50, "current_smoker": True, "sbp": 140, "total_chol_mmol_l": 5.5, "hdl_mmol_l": 1.3,
    "diabetes": False,
}


@pytest.mark.parametrize(
    ("region", "men", "women"),
    [
        ("Low", 10.3, 5.7), ("Moderate", 12.3, 8.8), ("High", 16.1, 15.2),
        ("Very high", 21.6, 21.8),
    ],
)
def test_asia_pacific_abstract_figure(region: str, men: float, women: float) -> None:
    for sex, expected in (("male", men), ("female", women)):
        result = score2_asia_pacific(risk_region=region, sex=sex, **EXAMPLE)  # type: ignore[arg-type]
        assert result["ten_year_risk_pct"] == expected
        assert result.guideline.name == "SCORE2-Asia-Pacific"


@pytest.mark.parametrize("spelling", ["very high", "Very_High", "VERY-HIGH"])
def test_region_spellings(spelling: str) -> None:
    result = score2_asia_pacific(risk_region=spelling, sex="male", **EXAMPLE)  # type: ignore[arg-type]
    assert result["ten_year_risk_pct"] == 21.6


def test_european_low_region_matches_the_confirmed_scales() -> None:
    # low-risk scales confirmed in the specification (men -0.5699, 0.7476; women -0.7380, 0.7019)
    men = score2(risk_region="Low", sex="male", **EXAMPLE)  # type: ignore[arg-type]
    women = score2(risk_region="Low", sex="female", **EXAMPLE)  # type: ignore[arg-type]
    assert (men["ten_year_risk_pct"], women["ten_year_risk_pct"]) == (5.9, 4.2)
    assert men.guideline.name == "SCORE2"


def test_european_risk_rises_with_region() -> None:
    risks = [
        score2(risk_region=r, sex="male", **EXAMPLE)["ten_year_risk_pct"]  # type: ignore[arg-type]
        for r in ("Low", "Moderate", "High", "Very high")
    ]
    assert risks == sorted(risks)


@pytest.mark.parametrize(
    ("age", "applicable"), [(39.9, False), (40, True), (69.9, True), (70, False)]
)
def test_ages_40_to_69(age: float, applicable: bool) -> None:
    inputs = {**EXAMPLE, "age": age}
    for function in (score2, score2_asia_pacific):
        result = function(risk_region="High", sex="female", **inputs)  # type: ignore[arg-type]
        assert result.applicable is applicable
        if not applicable:
            assert result.values == {} and "40-69" in result.reason


def test_diabetes_is_not_applicable() -> None:
    inputs = {**EXAMPLE, "diabetes": True}
    result = score2_asia_pacific(risk_region="High", sex="male", **inputs)  # type: ignore[arg-type]
    assert not result.applicable and "diabetes" in result.reason


def test_cholesterol_in_mg_dl() -> None:
    mmol = score2_asia_pacific(risk_region="High", sex="male", **EXAMPLE)  # type: ignore[arg-type]
    mg_dl = score2_asia_pacific(
        risk_region="High", sex="male", chol_unit="mg/dL",
        **{**EXAMPLE, "total_chol_mmol_l": 5.5 * 38.67, "hdl_mmol_l": 1.3 * 38.67},  # type: ignore[arg-type]
    )
    assert mg_dl["ten_year_risk_pct"] == mmol["ten_year_risk_pct"]


def test_risk_groups() -> None:
    result = score2_asia_pacific(risk_region="Low", sex="female", **EXAMPLE)  # type: ignore[arg-type]
    assert result["risk_group"] == "moderate"  # 5.7 %
    assert result["esc2021_category"] == "high"  # 50-69 y: 5 to < 10 %


@pytest.mark.parametrize(
    ("override", "name"),
    [
        ({"risk_region": "Medium"}, "risk_region"),
        ({"risk_region": None}, "risk_region"),
        ({"sbp": None}, "sbp"),
        ({"sbp": 20}, "sbp"),
        ({"hdl_mmol_l": 0}, "hdl_mmol_l"),
        ({"total_chol_mmol_l": 55}, "total_chol_mmol_l"),
        ({"current_smoker": "sometimes"}, "current_smoker"),
        ({"sex": "other"}, "sex"),
        ({"chol_unit": "mg/g"}, "chol_unit"),
    ],
)
def test_bad_inputs_name_the_input(override: dict[str, object], name: str) -> None:
    inputs: dict[str, object] = {"risk_region": "High", "sex": "male", **EXAMPLE, **override}
    with pytest.raises(InvalidInput) as err:
        score2_asia_pacific(**inputs)  # type: ignore[arg-type]
    assert err.value.name == name
