"""GOLD obstruction, grade and ABE group: strict boundaries (pitfall 9), scope, inputs."""

from __future__ import annotations

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.gold import gold_abe_group, gold_grade, gold_obstruction


@pytest.mark.parametrize(
    ("ratio", "obstruction"), [(0.69, True), (0.6999, True), (0.70, False), (0.7001, False)]
)
def test_fixed_ratio_is_strict(ratio: float, obstruction: bool) -> None:
    assert gold_obstruction(ratio)["obstruction"] is obstruction


def test_lln_reported_beside_fixed_ratio() -> None:
    r = gold_obstruction(0.72, fev1_fvc_z=-1.7)
    assert r["obstruction"] is False and r["below_lln"] is True
    assert gold_obstruction(0.65, fev1_fvc_z=-1.645)["below_lln"] is False


def test_percentage_instead_of_ratio_names_input() -> None:
    with pytest.raises(InvalidInput) as exc:
        gold_obstruction(69)
    assert exc.value.name == "post_bd_fev1_fvc"


@pytest.mark.parametrize(
    ("pct", "grade"),
    [(120, 1), (80, 1), (79.99, 2), (50, 2), (49.99, 3), (30, 3), (29.99, 4), (5, 4)],
)
def test_grade_boundaries(pct: float, grade: int) -> None:
    assert gold_grade(pct)["grade"] == grade


def test_grade_not_applicable_without_obstruction() -> None:
    r = gold_grade(60, post_bd_fev1_fvc=0.70)
    assert not r.applicable and r.values == {} and "0.70" in r.reason
    assert gold_grade(60, post_bd_fev1_fvc=0.69)["grade"] == 2


@pytest.mark.parametrize("bad", [None, -1, 250, "80"])
def test_grade_bad_input(bad: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        gold_grade(bad)  # type: ignore[arg-type]
    assert exc.value.name == "post_bd_fev1_pct_pred"


@pytest.mark.parametrize(
    ("moderate", "hospitalised", "cat", "mmrc", "group"),
    [
        (0, 0, 9, None, "A"),
        (0, 0, 10, None, "B"),
        (0, 0, None, 1, "A"),
        (0, 0, None, 2, "B"),
        (1, 0, 9, 2, "B"),  # disagreement: either high value gives B
        (1, 0, 12, 0, "B"),
        (2, 0, 0, 0, "E"),
        (0, 1, None, None, "E"),
    ],
)
def test_abe(
    moderate: int, hospitalised: int, cat: float | None, mmrc: int | None, group: str
) -> None:
    assert gold_abe_group(moderate, hospitalised, cat=cat, mmrc=mmrc)["group"] == group


def test_abe_not_applicable_without_symptom_score() -> None:
    r = gold_abe_group(1, 0)
    assert not r.applicable and "CAT" in r.reason


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"moderate_exacerbations_12m": 1.5}, "moderate_exacerbations_12m"),
        ({"hospitalised_exacerbations_12m": -1}, "hospitalised_exacerbations_12m"),
        ({"cat": 41}, "cat"),
        ({"mmrc": 5}, "mmrc"),
        ({"moderate_exacerbations_12m": None}, "moderate_exacerbations_12m"),
    ],
)
def test_abe_bad_inputs(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {
        "moderate_exacerbations_12m": 0, "hospitalised_exacerbations_12m": 0, "cat": 5
    }
    args.update(kwargs)
    with pytest.raises(InvalidInput) as exc:
        gold_abe_group(**args)  # type: ignore[arg-type]
    assert exc.value.name == name
