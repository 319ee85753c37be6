"""PAGE-B: age, sex and platelet bands, risk boundaries, scope, inputs."""

from __future__ import annotations

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.liver.page_b import page_b


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (16, 0), (29.9, 0), (30, 2), (39, 2), (40, 4),
        (50, 6), (60, 8), (69.9, 8), (70, 10), (99, 10),
    ],
)
def test_age_bands(age: float, points: int) -> None:
    assert page_b(age, "female", 250)["score"] == points


@pytest.mark.parametrize(("platelets", "points"), [(200, 0), (199.9, 6), (100, 6), (99.9, 9)])
def test_platelet_bands(platelets: float, points: int) -> None:
    assert page_b(20, "female", platelets)["score"] == points


@pytest.mark.parametrize(
    ("age", "sex", "platelets", "score", "risk"),
    [
        (45, "female", 180, 10, "intermediate"),  # 4 + 6
        (35, "male", 250, 8, "low"),  # 2 + 6
        (40, "female", 180, 10, "intermediate"),
        (45, "male", 250, 10, "intermediate"),
        (50, "male", 150, 18, "high"),
        (60, "male", 250, 14, "intermediate"),
        (65, "male", 150, 20, "high"),
        (45, "female", 250, 4, "low"),
    ],
)
def test_risk_bands(age: float, sex: str, platelets: float, score: int, risk: str) -> None:
    r = page_b(age, sex, platelets)
    assert (r["score"], r["risk"]) == (score, risk)
    assert r["easl_surveillance"] is (score >= 10)


def test_boundary_9_17() -> None:
    r9 = page_b(20, "female", 50)  # 9
    assert (r9["score"], r9["risk"]) == (9, "low")
    r17 = page_b(60, "female", 50)  # 8 + 9
    assert (r17["score"], r17["risk"]) == (17, "intermediate")


def test_under_16_not_applicable() -> None:
    assert not page_b(15, "male", 100).applicable


@pytest.mark.parametrize(
    ("args", "name"),
    [((None, "male", 100), "age"), ((40, "m", 100), "sex"), ((40, "male", 0), "platelets_10e9_l")],
)
def test_bad_inputs(args: tuple[object, ...], name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        page_b(*args)  # type: ignore[arg-type]
    assert exc.value.name == name
