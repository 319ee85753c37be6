"""COPD-PS and COPD-SQ: scoring, cut-offs, age scope, input names."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.copd_questionnaires import copd_ps, copd_sq


@pytest.mark.parametrize(
    ("age", "points"), [(35, 0), (49.9, 0), (50, 1), (59, 1), (60, 2), (85, 2)]
)
def test_copd_ps_age_points(age: float, points: int) -> None:
    assert copd_ps("none", "never", "disagree", "no", age)["score"] == points


def test_copd_ps_maximum_and_cutoffs() -> None:
    r = copd_ps("all", "every_day", "strongly_agree", "yes", 70)
    assert r["score"] == 10
    low = copd_ps("little", "only_colds", "unsure", "yes", 65)  # 4
    assert (low["positive"], low["positive_cutoff5"]) == (False, False)
    assert low["positive_cutoff4"] is True
    assert copd_ps("little", "only_colds", "unsure", "yes", 65, cutoff=4)["positive"] is True


def test_copd_ps_under_35_not_applicable() -> None:
    r = copd_ps("all", "every_day", "strongly_agree", "yes", 34)
    assert not r.applicable and r.values == {}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"q1_breathless_4wk": "sometimes"}, "q1_breathless_4wk"),
        ({"q4_smoked_100_cigs": None}, "q4_smoked_100_cigs"),
        ({"age": None}, "age"),
        ({"cutoff": 0}, "cutoff"),
    ],
)
def test_copd_ps_bad_inputs(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {
        "q1_breathless_4wk": "some",
        "q2_cough_up_phlegm": "never",
        "q3_do_less_because_breathing": "agree",
        "q4_smoked_100_cigs": "yes",
        "age": 55,
    }
    args.update(kwargs)
    with pytest.raises(InvalidInput) as exc:
        copd_ps(**args)  # type: ignore[arg-type]
    assert exc.value.name == name


def _sq(**kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "age": 45,
        "pack_years": 0,
        "bmi": 30,
        "cough": False,
        "dyspnoea": "none",
        "biomass_fuel": False,
        "family_history_respiratory": False,
    }
    args.update(kwargs)
    return args


def test_copd_sq_minimum_and_maximum() -> None:
    assert copd_sq(**_sq())["score"] == 0
    top = copd_sq(
        **_sq(age=75, pack_years=40, bmi=17, cough=True, dyspnoea="walking_level",
              biomass_fuel=True, family_history_respiratory=True)
    )
    assert top["score"] == 10 + 5 + 7 + 5 + 3 + 1 + 3


@pytest.mark.parametrize(("age", "points"), [(40, 0), (49.9, 0), (50, 3), (60, 7), (70, 10)])
def test_copd_sq_age(age: float, points: int) -> None:
    assert copd_sq(**_sq(age=age))["points"]["age"] == points


@pytest.mark.parametrize(("bmi", "points"), [(18.4, 7), (18.5, 4), (23.9, 4), (24, 1), (28, 0)])
def test_copd_sq_bmi(bmi: float, points: int) -> None:
    assert copd_sq(**_sq(bmi=bmi))["points"]["bmi"] == points


@pytest.mark.parametrize(
    ("packs", "four", "three"), [(0, 0, 0), (1, 2, 0), (14.9, 2, 0), (15, 4, 1), (30, 5, 2)]
)
def test_copd_sq_pack_year_schemes(packs: float, four: int, three: int) -> None:
    r4 = copd_sq(**_sq(pack_years=packs))
    r3 = copd_sq(**_sq(pack_years=packs, pack_years_scheme="three_band"))
    assert (r4["points"]["pack_years"], r3["points"]["pack_years"]) == (four, three)


def test_copd_sq_threshold_16_and_caveat() -> None:
    # 50-59 (3) + BMI 18.5-23.9 (4) + cough (5) + family history (3) = 15, then + biomass = 16
    r15 = copd_sq(**_sq(age=55, bmi=22, cough=True, family_history_respiratory=True))
    r16 = copd_sq(
        **_sq(age=55, bmi=22, cough=True, family_history_respiratory=True, biomass_fuel=True)
    )
    assert (r15["score"], r15["high_risk"]) == (15, False)
    assert (r16["score"], r16["high_risk"]) == (16, True)
    assert "medium confidence" in r16.reason


def test_copd_sq_scope_and_inputs() -> None:
    assert not copd_sq(**_sq(age=39)).applicable
    with pytest.raises(InvalidInput) as exc:
        copd_sq(**_sq(dyspnoea="always"))
    assert exc.value.name == "dyspnoea"
    with pytest.raises(InvalidInput) as exc:
        copd_sq(**_sq(bmi=None))
    assert exc.value.name == "bmi"
