"""AASLD 2018 HBV HCC surveillance: strict > 40 / > 50 (pitfall 9), criteria, scope, inputs."""

from __future__ import annotations

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.liver.hcc_surveillance import aasld2018_hbv_hcc_surveillance as aasld


@pytest.mark.parametrize(
    ("sex", "ancestry", "age", "due"),
    [
        ("male", "asian", 40, False),
        ("male", "asian", 40.9, False),
        ("male", "asian", 41, True),
        ("male", "black", 41, True),
        ("male", "african", 41, True),
        ("male", "white", 60, False),
        ("female", "asian", 50, False),
        ("female", "asian", 51, True),
        ("female", "black", 60, False),
    ],
)
def test_strict_age_criteria(sex: str, ancestry: str, age: float, due: bool) -> None:
    r = aasld(True, False, sex, ancestry, age)
    assert r["surveillance"] is due
    assert r["modality"] == ("ultrasound +/- AFP every 6 months" if due else None)


def test_inclusive_operator_is_configurable() -> None:
    assert aasld(True, False, "male", "asian", 40, age_operator="inclusive")["surveillance"]
    assert aasld(True, False, "female", "asian", 50, age_operator="inclusive")["surveillance"]


@pytest.mark.parametrize(
    ("kwargs", "criterion"),
    [
        ({"cirrhosis": True}, "cirrhosis"),
        ({"hdv": True}, "hdv_coinfection"),
        ({"family_history_hcc": True}, "family_history_hcc"),
    ],
)
def test_other_criteria(kwargs: dict[str, bool], criterion: str) -> None:
    args: dict[str, object] = {
        "hbsag": True, "cirrhosis": False, "sex": "female", "ancestry": "white", "age": 25
    }
    args.update(kwargs)
    assert aasld(**args)["criteria"] == [criterion]  # type: ignore[arg-type]


def test_children() -> None:
    assert not aasld(True, False, "male", "asian", 12, family_history_hcc=True)["surveillance"]
    r = aasld(True, False, "male", "asian", 12, family_history_hcc=True, advanced_fibrosis=True)
    assert r["surveillance"]
    assert not aasld(True, True, "male", "asian", 12)["surveillance"]


def test_afp_alone_without_ultrasound() -> None:
    r = aasld(True, True, "male", "asian", 60, ultrasound_available=False)
    assert r["modality"] == "AFP every 6 months"


def test_hbsag_negative_not_applicable() -> None:
    r = aasld(False, True, "male", "asian", 60)
    assert not r.applicable and "HBsAg" in r.reason


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"ancestry": "martian"}, "ancestry"),
        ({"age": None}, "age"),
        ({"hbsag": None}, "hbsag"),
        ({"age_operator": ">="}, "age_operator"),
        ({"sex": None}, "sex"),
    ],
)
def test_bad_inputs(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {
        "hbsag": True, "cirrhosis": False, "sex": "male", "ancestry": "asian", "age": 45
    }
    args.update(kwargs)
    with pytest.raises(InvalidInput) as exc:
        aasld(**args)  # type: ignore[arg-type]
    assert exc.value.name == name
