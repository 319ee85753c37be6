"""Kidney Failure Risk Equation: baselines, units, scope (eGFR < 60), variants, input errors."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.kidney.kfre import kfre_4var, kfre_6var, kfre_8var
from carehub.clinical.result import Result

README_PATIENT = {"age": 57.28, "sex": "female", "egfr": 15, "uacr_mg_g": 1762.00184}


def test_default_baseline_is_non_north_american_two_years() -> None:
    default = kfre_4var(**README_PATIENT)  # type: ignore[arg-type]
    assert default["risk_pct"] == 44.66
    assert default["region"] == "non_north_american" and default["years"] == 2
    north = kfre_4var(region="north_american", **README_PATIENT)  # type: ignore[arg-type]
    assert north["risk_pct"] == pytest.approx(58.70, abs=0.01)


def test_acr_in_mg_mmol_is_multiplied_by_8_84() -> None:
    mg_g = kfre_4var(age=70, sex="female", egfr=20, uacr_mg_g=884, years=5)["risk_pct"]
    mg_mmol = kfre_4var(age=70, sex="female", egfr=20, uacr=100, uacr_unit="mg/mmol", years=5)
    assert mg_mmol["risk_pct"] == mg_g
    assert mg_mmol.inputs["uacr_mg_g"] == pytest.approx(884)


def test_natural_log_of_acr() -> None:
    # doubling ACR multiplies the hazard by 2 ** 0.4510
    one = kfre_4var(age=60, sex="male", egfr=30, uacr_mg_g=300, years=5, region="north_american")
    two = kfre_4var(age=60, sex="male", egfr=30, uacr_mg_g=600, years=5, region="north_american")
    hazard = math.log(1 - two["risk_pct"] / 100) / math.log(1 - one["risk_pct"] / 100)
    assert hazard == pytest.approx(2**0.4510, rel=1e-3)


@pytest.mark.parametrize("function", [kfre_4var, kfre_6var, kfre_8var])
def test_egfr_60_or_more_is_not_applicable(function: Callable[..., Result]) -> None:
    extra: dict[str, object] = {}
    if function is kfre_6var:
        extra = {"diabetes": True, "hypertension": True}
    if function is kfre_8var:
        extra = {"albumin_g_dl": 4, "phosphate_mg_dl": 4, "bicarbonate_meq_l": 25,
                 "calcium_mg_dl": 9.4}
    at_60 = function(age=60, sex="male", egfr=60, uacr_mg_g=300, **extra)
    assert not at_60.applicable and at_60.values == {}
    assert "eGFR < 60" in at_60.reason
    assert function(age=60, sex="male", egfr=59.9, uacr_mg_g=300, **extra).applicable


def test_children_are_not_applicable() -> None:
    assert not kfre_4var(age=12, sex="male", egfr=30, uacr_mg_g=300).applicable


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"age": 60, "sex": "male", "egfr": 30}, "uacr_mg_g"),
        ({"age": 60, "sex": "male", "egfr": 30, "uacr_mg_g": 0}, "uacr_mg_g"),
        ({"age": 60, "sex": "male", "egfr": 30, "uacr_mg_g": 30, "uacr": 3}, "uacr"),
        ({"age": 60, "sex": "male", "egfr": 30, "uacr_mg_g": 30, "years": 10}, "years"),
        ({"age": 60, "sex": "male", "egfr": 30, "uacr_mg_g": 30, "years": True}, "years"),
        ({"age": 60, "sex": "male", "egfr": 30, "uacr_mg_g": 30, "region": "asia"}, "region"),
        ({"age": 60, "sex": "male", "egfr": None, "uacr_mg_g": 30}, "egfr"),
        ({"age": 60, "sex": None, "egfr": 30, "uacr_mg_g": 30}, "sex"),
        ({"age": 60, "sex": "male", "egfr": 30, "uacr": 3, "uacr_unit": "mg/dL"}, "uacr_unit"),
    ],
)
def test_bad_inputs_name_the_input(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        kfre_4var(**kwargs)  # type: ignore[arg-type]
    assert err.value.name == name


def test_six_variable_model_uses_its_own_coefficients() -> None:
    base = {"age": 70, "sex": "female", "egfr": 20, "uacr_mg_g": 1000, "years": 5}
    four = kfre_4var(**base)["risk_pct"]  # type: ignore[arg-type]
    six = kfre_6var(diabetes=False, hypertension=True, **base)  # type: ignore[arg-type]
    assert six.guideline.name.startswith("Kidney Failure Risk Equation, 6")
    assert six["risk_pct"] != four
    with_dm = kfre_6var(diabetes=True, hypertension=True, **base)["risk_pct"]  # type: ignore[arg-type]
    assert with_dm < six["risk_pct"]  # negative diabetes coefficient (-0.1475)
    with pytest.raises(InvalidInput) as err:
        kfre_6var(diabetes="yes", hypertension=True, **base)  # type: ignore[arg-type]
    assert err.value.name == "diabetes"


def test_eight_variable_model_directions_and_errors() -> None:
    base = {"age": 70, "sex": "female", "egfr": 20, "uacr_mg_g": 1000, "years": 2,
            "albumin_g_dl": 3.5, "phosphate_mg_dl": 4.5, "bicarbonate_meq_l": 22,
            "calcium_mg_dl": 9.0}
    risk = kfre_8var(**base)["risk_pct"]  # type: ignore[arg-type]
    higher_phos = kfre_8var(**{**base, "phosphate_mg_dl": 6.0})["risk_pct"]  # type: ignore[arg-type]
    lower_albumin = kfre_8var(**{**base, "albumin_g_dl": 2.5})["risk_pct"]  # type: ignore[arg-type]
    assert higher_phos > risk and lower_albumin > risk
    with pytest.raises(InvalidInput) as err:
        kfre_8var(**{**base, "albumin_g_dl": 35})  # type: ignore[arg-type]  # g/L by mistake
    assert err.value.name == "albumin_g_dl"
