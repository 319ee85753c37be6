"""USPSTF 2024 breast screening: inclusive 40-74, insufficient evidence ≥ 75, scope, profile."""

from __future__ import annotations

import pytest

from carehub.clinical.cancer.breast import uspstf2024_breast
from carehub.clinical.inputs import InvalidInput


@pytest.mark.parametrize(
    ("age", "recommendation"),
    [
        (39.9, "not_recommended"),
        (40, "recommended"),
        (74, "recommended"),
        (74.9, "recommended"),
        (75, "insufficient_evidence"),
    ],
)
def test_ages(age: float, recommendation: str) -> None:
    r = uspstf2024_breast(age, "female")
    assert r["recommendation"] == recommendation
    assert r["recommended"] is (recommendation == "recommended")


def test_profile_ages() -> None:
    assert not uspstf2024_breast(45, "female", start_age=50)["recommended"]
    assert uspstf2024_breast(69, "female", start_age=50, stop_age=69)["recommended"]
    with pytest.raises(InvalidInput) as exc:
        uspstf2024_breast(60, "female", start_age=50, stop_age=45)
    assert exc.value.name == "stop_age"


def test_scope() -> None:
    assert not uspstf2024_breast(50, "male").applicable
    assert not uspstf2024_breast(50, "female", high_risk=True).applicable


def test_bad_sex_named() -> None:
    with pytest.raises(InvalidInput) as exc:
        uspstf2024_breast(50, "f")
    assert exc.value.name == "sex"
