"""CKD-EPI eGFR equations: units, kappa boundary, age scope and cap, input errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.kidney.egfr import (
    ckd_epi_2012_cystatin,
    ckd_epi_2021_creatinine,
    ckd_epi_2021_creatinine_cystatin,
    creatinine_input,
)
from carehub.clinical.result import Result


def test_published_value_and_guideline() -> None:
    result = ckd_epi_2021_creatinine(scr_mg_dl=1.4, age=60, sex="male")
    assert result["egfr"] == 57.54
    assert result["egfr_rounded_int"] == 58
    assert result.guideline.version == "2021"
    assert "10.1056/NEJMoa2102953" in result.guideline.citation


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scr_umol_l": 123.76},
        {"scr": 123.76, "scr_unit": "µmol/L"},
        {"scr": 123.76, "scr_unit": "umol/L"},
        {"scr": 1.4, "scr_unit": "mg/dL"},
        {"scr_umol_l": 123.76, "conversion": "mg/dL = umol/L / 88.4"},
    ],
)
def test_every_way_of_giving_creatinine_agrees(kwargs: dict[str, object]) -> None:
    # 1.4 mg/dL x 88.4 = 123.76 umol/L
    assert ckd_epi_2021_creatinine(age=60, sex="male", **kwargs)["egfr"] == 57.54  # type: ignore[arg-type]


def test_umol_conversion_uses_88_4() -> None:
    assert creatinine_input(scr_umol_l=88.4) == 1.0
    assert ckd_epi_2021_creatinine(scr_umol_l=120, age=60, sex="male")["egfr"] == pytest.approx(
        59.71, abs=0.02
    )


def test_conversion_with_another_factor_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        ckd_epi_2021_creatinine(scr_umol_l=120, age=60, sex="male", conversion="umol/L / 88.42")
    assert err.value.name == "conversion"


@pytest.mark.parametrize(("sex", "kappa"), [("female", 0.7), ("male", 0.9)])
def test_creatinine_at_kappa_leaves_only_age_and_sex(sex: str, kappa: float) -> None:
    expected = 142 * 0.9938**50 * (1.012 if sex == "female" else 1)
    result = ckd_epi_2021_creatinine(scr_mg_dl=kappa, age=50, sex=sex)
    assert result["egfr"] == round(expected, 2)


def test_curve_is_continuous_at_kappa() -> None:
    below = ckd_epi_2021_creatinine(scr_mg_dl=0.8999999, age=50, sex="male")["egfr"]
    above = ckd_epi_2021_creatinine(scr_mg_dl=0.9000001, age=50, sex="male")["egfr"]
    assert below == pytest.approx(above, abs=0.01)


def _cr(age: float) -> Result:
    return ckd_epi_2021_creatinine(scr_mg_dl=0.6, age=age, sex="female")


def _cr_cys(age: float) -> Result:
    return ckd_epi_2021_creatinine_cystatin(scr_mg_dl=0.6, scys_mg_l=0.8, age=age, sex="female")


def _cys(age: float) -> Result:
    return ckd_epi_2012_cystatin(scys_mg_l=0.8, age=age, sex="female")


@pytest.mark.parametrize("rule", [_cr, _cr_cys, _cys])
def test_under_18_is_not_applicable_and_18_is(rule: Callable[[float], Result]) -> None:
    young = rule(17.9)
    assert not young.applicable and young.values == {}
    assert "18" in young.reason
    assert rule(18).applicable


def test_age_is_capped_at_100() -> None:
    at_100 = ckd_epi_2021_creatinine(scr_mg_dl=1.0, age=100, sex="female")["egfr"]
    assert ckd_epi_2021_creatinine(scr_mg_dl=1.0, age=104, sex="female")["egfr"] == at_100


def test_cystatin_equations() -> None:
    assert ckd_epi_2021_creatinine_cystatin(
        scr_mg_dl=1.4, scys_mg_l=0.8, age=60, sex="male"
    )["egfr"] == 83.97
    assert ckd_epi_2021_creatinine_cystatin(
        scr_umol_l=0.8 * 88.4, scys_mg_l=1.2, age=50, sex="female"
    )["egfr"] == 72.54
    assert ckd_epi_2012_cystatin(scys_mg_l=1.0, age=50, sex="male")["egfr"] == 80.93


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"age": 60, "sex": "male"}, "scr_mg_dl"),
        ({"scr_mg_dl": 1.0, "scr_umol_l": 88.4, "age": 60, "sex": "male"}, "scr_umol_l"),
        ({"scr_mg_dl": -1, "age": 60, "sex": "male"}, "scr_mg_dl"),
        ({"scr_mg_dl": 1.0, "age": None, "sex": "male"}, "age"),
        ({"scr_mg_dl": 1.0, "age": 150, "sex": "male"}, "age"),
        ({"scr_mg_dl": 1.0, "age": 60, "sex": "x"}, "sex"),
        ({"scr": 1.0, "scr_unit": "mg/g", "age": 60, "sex": "male"}, "scr_unit"),
        ({"scr": 1.0, "scr_unit": "furlongs", "age": 60, "sex": "male"}, "scr_unit"),
        ({"scr_mg_dl": "1.0", "age": 60, "sex": "male"}, "scr_mg_dl"),
    ],
)
def test_bad_creatinine_inputs_name_the_input(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ckd_epi_2021_creatinine(**kwargs)  # type: ignore[arg-type]
    assert err.value.name == name


def test_bad_cystatin_names_the_input() -> None:
    with pytest.raises(InvalidInput) as err:
        ckd_epi_2012_cystatin(scys_mg_l=0, age=50, sex="male")
    assert err.value.name == "scys_mg_l"
