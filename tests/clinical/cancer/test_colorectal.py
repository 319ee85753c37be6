"""USPSTF 2021 colorectal screening: age bands and grades, scope, inputs."""

from __future__ import annotations

import pytest

from carehub.clinical.cancer.colorectal import uspstf2021_colorectal
from carehub.clinical.inputs import InvalidInput


@pytest.mark.parametrize(
    ("age", "recommendation", "grade"),
    [
        (44.9, "not_addressed", None),
        (45, "recommended", "B"),
        (49.9, "recommended", "B"),
        (50, "recommended", "A"),
        (75.9, "recommended", "A"),
        (76, "selective", "C"),
        (85, "selective", "C"),
        (86, "not_addressed", None),
    ],
)
def test_bands(age: float, recommendation: str, grade: str | None) -> None:
    r = uspstf2021_colorectal(age)
    assert (r["recommendation"], r["grade"]) == (recommendation, grade)
    assert r["recommended"] is (recommendation == "recommended")


def test_tests_listed() -> None:
    assert uspstf2021_colorectal(60)["tests"]["colonoscopy"] == "every 10 years"
    assert uspstf2021_colorectal(30)["tests"] == {}


def test_scope_and_inputs() -> None:
    assert not uspstf2021_colorectal(60, high_risk=True).applicable
    with pytest.raises(InvalidInput) as exc:
        uspstf2021_colorectal(None)  # type: ignore[arg-type]
    assert exc.value.name == "age"
