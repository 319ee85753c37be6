"""KDIGO 2024 KFRE actions: referral profiles and their operators, 2-year thresholds."""

from __future__ import annotations

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.kidney.kfre_action import kdigo2024_kfre_action


@pytest.mark.parametrize(
    ("risk", "profile", "met"),
    [
        (2.99, "kdigo2024", False), (3.0, "kdigo2024", True), (4.0, "kdigo2024", True),
        (5.0, "nice_ng203", False), (5.01, "nice_ng203", True), (4.0, "nice_ng203", False),
    ],
)
def test_referral_cut_point_per_profile(risk: float, profile: str, met: bool) -> None:
    result = kdigo2024_kfre_action(kfre_5y_pct=risk, profile=profile)
    assert result["nephrology_referral_threshold_met"] is met


def test_threshold_override_keeps_the_profile_operator() -> None:
    assert not kdigo2024_kfre_action(kfre_5y_pct=4.0, referral_threshold_pct=5)[
        "nephrology_referral_threshold_met"
    ]
    assert kdigo2024_kfre_action(kfre_5y_pct=5.0, referral_threshold_pct=5)[
        "nephrology_referral_threshold_met"
    ]


@pytest.mark.parametrize(
    ("two_year", "multidisciplinary", "krt"),
    [(10.0, False, False), (10.01, True, False), (40.0, True, False), (40.01, True, True)],
)
def test_two_year_thresholds_are_strict(
    two_year: float, multidisciplinary: bool, krt: bool
) -> None:
    result = kdigo2024_kfre_action(kfre_2y_pct=two_year)
    assert result["multidisciplinary_care"] is multidisciplinary
    assert result["krt_planning"] is krt
    assert result["nephrology_referral_threshold_met"] is None


def test_actions_list() -> None:
    result = kdigo2024_kfre_action(kfre_5y_pct=60, kfre_2y_pct=45)
    assert result["actions"] == ["nephrology_referral", "multidisciplinary_care", "krt_planning"]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({}, "kfre_5y_pct"),
        ({"kfre_5y_pct": 101}, "kfre_5y_pct"),
        ({"kfre_2y_pct": -1}, "kfre_2y_pct"),
        ({"kfre_5y_pct": 4, "profile": "who"}, "profile"),
    ],
)
def test_bad_inputs(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        kdigo2024_kfre_action(**kwargs)  # type: ignore[arg-type]
    assert err.value.name == name
