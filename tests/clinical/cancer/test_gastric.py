"""Gastric screening profiles (spec 5.5): start ages, modalities, Viet Nam caveat."""

from __future__ import annotations

import pytest

from carehub.clinical.cancer.gastric import gastric_screening
from carehub.clinical.inputs import InvalidInput


@pytest.mark.parametrize(
    ("profile", "age", "due"),
    [
        ("korea", 39.9, False),
        ("korea", 40, True),
        ("japan", 49, False),
        ("japan", 50, True),
        ("asia_pacific", 40, True),
        ("viet_nam", 39, False),
        ("viet_nam", 40, True),
    ],
)
def test_start_ages(profile: str, age: float, due: bool) -> None:
    r = gastric_screening(age, profile)
    assert r["recommended"] is due
    assert (r["modality"] is None) is (not due)


def test_profiles() -> None:
    assert gastric_screening(60, "korea")["organised"] is True
    assert gastric_screening(60, "japan")["interval"] == "every 2-3 years"
    vn = gastric_screening(60)
    assert vn["profile"] == "viet_nam" and vn["organised"] is False
    assert vn["h_pylori_test_and_treat"] is True and "medium confidence" in vn.reason


def test_bad_inputs() -> None:
    with pytest.raises(InvalidInput) as exc:
        gastric_screening(50, "china")
    assert exc.value.name == "profile"
    with pytest.raises(InvalidInput) as exc:
        gastric_screening(-1)
    assert exc.value.name == "age"
