"""Planted prevalences are plausible for Vietnamese adults (ground truth, 3,000 patients)."""

from __future__ import annotations

import pytest

from tests.synth.conftest import Population

ADULT_PREVALENCE = {
    "hypertension": (0.20, 0.30),  # about 25 %
    "diabetes": (0.045, 0.10),  # about 7 %
    "ckd": (0.07, 0.13),  # about 10 %
    "copd": (0.02, 0.06),  # about 4 %
    "asthma": (0.025, 0.06),  # about 4 %
    "heart_failure": (0.005, 0.025),  # 1-2 %
    "hbv": (0.06, 0.105),  # about 8 %
    "hcv": (0.003, 0.02),  # about 1 %
}


def _adults(population: Population) -> list[dict[str, str]]:
    return [r for r in population.truth if int(r["age"]) >= 18]


@pytest.mark.parametrize("condition", sorted(ADULT_PREVALENCE))
def test_adult_prevalence(population: Population, condition: str) -> None:
    adults = _adults(population)
    low, high = ADULT_PREVALENCE[condition]
    share = sum(r[condition] == "1" for r in adults) / len(adults)
    assert low <= share <= high, share


def test_smoking_by_sex(population: Population) -> None:
    adults = _adults(population)
    men = [r for r in adults if r["sex"] == "male"]
    women = [r for r in adults if r["sex"] == "female"]
    men_share = sum(r["smoking_status"] == "current" for r in men) / len(men)
    women_share = sum(r["smoking_status"] == "current" for r in women) / len(women)
    assert 0.38 <= men_share <= 0.50
    assert women_share <= 0.04


def test_copd_concentrates_in_older_male_smokers(population: Population) -> None:
    adults = _adults(population)
    old_smokers = [
        r
        for r in adults
        if r["sex"] == "male" and int(r["age"]) >= 60 and r["smoking_status"] != "never"
    ]
    never_women = [r for r in adults if r["sex"] == "female" and r["smoking_status"] == "never"]
    rate_smokers = sum(r["copd"] == "1" for r in old_smokers) / len(old_smokers)
    rate_women = sum(r["copd"] == "1" for r in never_women) / len(never_women)
    assert rate_smokers > 3 * rate_women


def test_heart_failure_is_a_disease_of_older_people(population: Population) -> None:
    adults = _adults(population)
    cases = [r for r in adults if r["heart_failure"] == "1"]
    assert cases
    assert sum(int(r["age"]) >= 50 for r in cases) / len(cases) > 0.85


def test_undiagnosed_disease_is_planted(population: Population) -> None:
    adults = _adults(population)
    for condition in ("diabetes", "hypertension", "ckd", "copd", "hbv"):
        cases = [r for r in adults if r[condition] == "1"]
        diagnosed = sum(r[f"{condition}_diagnosed"] == "1" for r in cases)
        assert 0 < diagnosed < len(cases), condition
