"""Brock (PanCan) full models 2a/2b: published coefficients, BTS threshold, inputs."""

from __future__ import annotations

import math

import pytest

from carehub.clinical.catalog import evaluate
from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.brock import MODEL_2A, MODEL_2B, brock_full_with_spiculation

BASE: dict[str, object] = {
    "age": 62,
    "female": False,
    "family_history_lung_ca": False,
    "emphysema": False,
    "size_mm": 10,
    "nodule_type": "solid",
    "upper_lobe": False,
    "nodule_count": 4,
}


def test_reference_case_is_the_intercept_plus_size() -> None:
    # age 62, count 4, 4 mm solid: every centred term is zero, so logit = intercept
    r = evaluate("brock_full_with_spiculation", {**BASE, "size_mm": 4, "spiculation": False})
    assert r["probability"] == pytest.approx(1 / (1 + math.exp(6.7892)), rel=1e-6)


def test_not_mayo_coefficients() -> None:
    assert MODEL_2B.intercept == -6.7892 and MODEL_2B.age == 0.0287
    assert MODEL_2A.spiculation == 0.0


@pytest.mark.parametrize("kind", ["nonsolid", "ground_glass", "partsolid", "part-solid", "Solid"])
def test_nodule_type_spellings(kind: str) -> None:
    assert evaluate("brock_full_without_spiculation", {**BASE, "nodule_type": kind}).applicable


def test_spiculation_raises_risk_and_bts_step() -> None:
    low = brock_full_with_spiculation(**{**BASE, "spiculation": False})  # type: ignore[arg-type]
    high = brock_full_with_spiculation(**{**BASE, "spiculation": True})  # type: ignore[arg-type]
    assert high["probability"] > low["probability"]
    assert low["bts2015_next_step"] == "CT surveillance"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"nodule_type": "cavity"}, "nodule_type"),
        ({"nodule_count": 0}, "nodule_count"),
        ({"nodule_count": 2.5}, "nodule_count"),
        ({"size_mm": 0}, "size_mm"),
        ({"age": None}, "age"),
        ({"female": "yes"}, "female"),
    ],
)
def test_bad_inputs_name_the_input(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        evaluate("brock_full_without_spiculation", {**BASE, **kwargs})
    assert exc.value.name == name


def test_missing_spiculation_for_2b_names_it() -> None:
    with pytest.raises(InvalidInput) as exc:
        evaluate("brock_full_with_spiculation", BASE)
    assert exc.value.name == "spiculation"
