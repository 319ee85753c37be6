"""Every screening programme of the clinical rules has positives and negatives in the data.

Programme criteria are written out here from the clinical rules and applied
to the ground truth or to the FHIR data, never taken from the generator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from carehub.synth import systems
from tests.synth.conftest import Population

COPD_PS_POINTS = {
    "q1": {"none": 0, "little": 0, "some": 1, "most": 2, "all": 2},
    "q2": {"never": 0, "only_colds": 0, "few_days_month": 1, "most_days_week": 1, "every_day": 2},
    "q3": {"strongly_disagree": 0, "disagree": 0, "unsure": 0, "agree": 1, "strongly_agree": 2},
    "q4": {"no": 0, "dont_know": 0, "yes": 2},
}


def _age(r: dict[str, str]) -> int:
    return int(r["age"])


def _alive_adults(population: Population) -> list[dict[str, str]]:
    return [r for r in population.truth if _age(r) >= 18 and not r["deceased_date"]]


def lung_uspstf(r: dict[str, str]) -> bool:
    if r["smoking_status"] == "never":
        return False
    quit_years = float(r["years_since_quit"] or 0)
    return 50 <= _age(r) <= 80 and float(r["pack_years"]) >= 20 and quit_years <= 15


def hcc_aasld(r: dict[str, str]) -> bool:
    if r["hbv"] != "1":
        return False
    age = _age(r)
    return (
        r["cirrhosis"] == "1"
        or (r["sex"] == "male" and age > 40)
        or (r["sex"] == "female" and age > 50)
    )


PROGRAMMES: dict[str, Callable[[dict[str, str]], bool]] = {
    "uspstf2021_lung": lung_uspstf,
    "aasld2018_hcc": hcc_aasld,
    "cervical_21_65": lambda r: r["sex"] == "female" and 21 <= _age(r) <= 65,
    "uspstf2024_breast": lambda r: r["sex"] == "female" and 40 <= _age(r) <= 74,
    "uspstf2021_colorectal": lambda r: 45 <= _age(r) <= 75,
    "kdigo_at_risk": lambda r: r["diabetes"] == "1" or r["hypertension"] == "1",
    "ckd_present": lambda r: r["ckd"] == "1",
    "diabetes_undiagnosed": lambda r: r["diabetes"] == "1" and r["diabetes_diagnosed"] == "0",
    "copd_undiagnosed": lambda r: r["copd"] == "1" and r["copd_diagnosed"] == "0",
    "who_cvd_40_74": lambda r: 40 <= _age(r) <= 74,
}


@pytest.mark.parametrize("programme", sorted(PROGRAMMES))
def test_programme_has_positives_and_negatives(population: Population, programme: str) -> None:
    rule = PROGRAMMES[programme]
    adults = _alive_adults(population)
    positives = sum(rule(r) for r in adults)
    assert 10 <= positives <= len(adults) - 10, positives


def test_hbsag_positive_over_40_with_and_without_cirrhosis(population: Population) -> None:
    carriers = [r for r in population.truth if r["hbv"] == "1" and _age(r) >= 40]
    assert any(r["cirrhosis"] == "1" for r in carriers)
    assert any(r["cirrhosis"] == "0" for r in carriers)
    positive_tests = [
        o
        for o in population.observations("5196-1")
        if o["valueCodeableConcept"]["coding"][0]["code"] == "10828004"
    ]
    negative_tests = [
        o
        for o in population.observations("5196-1")
        if o["valueCodeableConcept"]["coding"][0]["code"] == "260385009"
    ]
    assert positive_tests and negative_tests
    for obs in positive_tests:
        assert population.truth_by_id[obs["subject"]["reference"][8:]]["hbv"] == "1"


def test_liver_surveillance_is_done_for_some_carriers_and_missed_for_others(
    population: Population,
) -> None:
    afp_patients = {o["subject"]["reference"][8:] for o in population.observations("1834-1")}
    diagnosed = [
        r["patient_id"] for r in population.truth if r["hbv_diagnosed"] == "1" and hcc_aasld(r)
    ]
    assert any(p in afp_patients for p in diagnosed)
    assert any(p not in afp_patients for p in diagnosed)


def test_copd_screener_scores_on_both_sides_of_the_cut_off(population: Population) -> None:
    scores = []
    for response in population.resources("QuestionnaireResponse"):
        assert response["questionnaire"] == systems.COPD_PS_QUESTIONNAIRE
        answers = {item["linkId"]: item["answer"][0] for item in response["item"]}
        score = sum(COPD_PS_POINTS[q][answers[q]["valueCoding"]["code"]] for q in COPD_PS_POINTS)
        age = answers["q5"]["valueInteger"]
        score += 0 if age < 50 else 1 if age < 60 else 2
        scores.append(score)
    assert any(s >= 5 for s in scores) and any(s < 5 for s in scores)


def _components(obs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for c in obs["component"]:
        code = c["code"]["coding"][0]["code"]
        out[code] = c.get("valueQuantity", {}).get(
            "value", c.get("valueCodeableConcept", c.get("valueBoolean"))
        )
    return out


def test_nodules_span_fleischner_and_lung_rads_classes(population: Population) -> None:
    nodules = population.observations("786838002")
    assert nodules
    solid = []
    part_solid = []
    ground_glass = []
    for obs in nodules:
        parts = _components(obs)
        kind = parts["nodule-type"]["coding"][0]["code"]
        assert parts["short-axis"] <= parts["mean-diameter"] <= parts["long-axis"]
        assert obs["bodySite"]["coding"][0]["system"] == systems.SNOMED
        assert obs["derivedFrom"][0]["reference"].startswith("ImagingStudy/")
        if kind == "solid":
            solid.append(parts["mean-diameter"])
        elif kind == "part-solid":
            assert parts["solid-component"] < parts["mean-diameter"]
            part_solid.append(parts["solid-component"])
        else:
            ground_glass.append(parts["mean-diameter"])
    assert any(v < 6 for v in solid)
    assert any(6 <= v < 8 for v in solid)
    assert any(8 <= v < 15 for v in solid)
    assert any(v >= 15 for v in solid)
    assert any(v < 6 for v in part_solid) and any(v >= 6 for v in part_solid)
    assert ground_glass


def test_screening_and_incidental_ct_and_follow_up_of_the_same_nodule(
    population: Population,
) -> None:
    procedures: defaultdict[str, int] = defaultdict(int)
    for imaging in population.resources("ImagingStudy"):
        procedures[imaging["procedureCode"][0]["coding"][0]["code"]] += 1
    assert procedures["16334891000119106"] > 20  # low-dose CT
    assert procedures["169069000"] > 0  # diagnostic chest CT
    assert procedures["71651007"] > 0 and procedures["45036003"] > 0
    seen = defaultdict(set)
    for obs in population.observations("786838002"):
        seen[obs["identifier"][0]["value"]].add(obs["effectiveDateTime"])
    assert any(len(times) > 1 for times in seen.values())
    counts = [o["valueInteger"] for o in population.observations("nodule-count")]
    assert 0 in counts and any(c > 1 for c in counts)


def test_ldct_goes_mostly_to_eligible_smokers(population: Population) -> None:
    screened = [r for r in population.truth if int(r["ldct_scans"]) > 0]
    assert screened
    assert all(r["smoking_status"] != "never" for r in screened)
    assert sum(lung_uspstf(r) for r in screened) / len(screened) > 0.5
