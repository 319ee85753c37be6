"""Laboratory and vital-sign values are consistent with each other and with the ground truth."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from statistics import mean
from typing import Any

import pytest

from tests.synth.conftest import Population


def ckd_epi_2021(scr_mg_dl: float, age: int, female: bool) -> float:
    """CKD-EPI 2021 creatinine equation, written out from the clinical rules (section 1.1)."""
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = scr_mg_dl / kappa
    value: float = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.2 * 0.9938 ** min(age, 100)
    return round(value * (1.012 if female else 1.0), 2)


@pytest.mark.parametrize(
    ("scr", "age", "female", "expected"),
    [
        (1.4, 60, False, 57.54),
        (1.2, 55, False, 71.42),
        (0.6, 40, True, 116.30),
        (0.7, 50, True, 105.30),
    ],
)
def test_reference_equation_matches_published_values(
    scr: float, age: int, female: bool, expected: float
) -> None:
    assert abs(ckd_epi_2021(scr, age, female) - expected) <= 0.01


def _value(obs: dict[str, Any]) -> float:
    return float(obs["valueQuantity"]["value"])


def _by_encounter(population: Population, code: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (o["encounter"]["reference"], o["effectiveDateTime"]): o
        for o in population.observations(code)
    }


def test_egfr_is_recomputed_from_creatinine_age_and_sex(population: Population) -> None:
    creatinine = _by_encounter(population, "14682-9")
    egfrs = population.observations("98979-8")
    assert len(egfrs) > 1000
    for egfr in egfrs:
        scr = creatinine[(egfr["encounter"]["reference"], egfr["effectiveDateTime"])]
        assert scr["valueQuantity"]["code"] == "umol/L"
        patient = population.patients[egfr["subject"]["reference"].split("/")[1]]
        birth = dt.date.fromisoformat(patient["birthDate"])
        day = dt.date.fromisoformat(egfr["effectiveDateTime"][:10])
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        expected = ckd_epi_2021(_value(scr) / 88.4, age, patient["gender"] == "female")
        assert abs(_value(egfr) - expected) <= 0.011, (egfr["id"], _value(egfr), expected)


def _category(egfr: float) -> str:
    for limit, name in ((90, "G1"), (60, "G2"), (45, "G3a"), (30, "G3b"), (15, "G4")):
        if egfr >= limit:
            return name
    return "G5"


def test_egfr_and_acr_span_every_kdigo_category(population: Population) -> None:
    categories = {_category(_value(o)) for o in population.observations("98979-8")}
    assert categories == {"G1", "G2", "G3a", "G3b", "G4", "G5"}
    acr = [_value(o) for o in population.observations("9318-7")]
    assert (
        any(v < 30 for v in acr) and any(30 <= v < 300 for v in acr) and any(v >= 300 for v in acr)
    )


def _latest(observations: list[dict[str, Any]]) -> dict[str, float]:
    latest: dict[str, tuple[str, float]] = {}
    for o in observations:
        pid = o["subject"]["reference"].split("/")[1]
        if pid not in latest or o["effectiveDateTime"] > latest[pid][0]:
            latest[pid] = (o["effectiveDateTime"], _value(o))
    return {pid: v for pid, (_, v) in latest.items()}


def test_measured_kidney_function_agrees_with_the_planted_stage(population: Population) -> None:
    latest = _latest(population.observations("98979-8"))
    agree = total = 0
    for pid, egfr in latest.items():
        truth = population.truth_by_id[pid]
        if truth["gfr_category"]:
            total += 1
            agree += (egfr < 60) == (float(truth["egfr"]) < 60)
    assert agree / total > 0.93


def test_hba1c_follows_diabetes(population: Population) -> None:
    latest = _latest(population.observations("4548-4"))
    diabetic = [v for pid, v in latest.items() if population.truth_by_id[pid]["diabetes"] == "1"]
    others = [v for pid, v in latest.items() if population.truth_by_id[pid]["diabetes"] == "0"]
    assert mean(diabetic) > 7.0 > 6.0 > mean(others)
    assert sum(v >= 6.5 for v in diabetic) / len(diabetic) > 0.85
    assert sum(v >= 6.5 for v in others) / len(others) < 0.05
    undiagnosed = [
        v
        for pid, v in latest.items()
        if population.truth_by_id[pid]["diabetes"] == "1"
        and population.truth_by_id[pid]["diabetes_diagnosed"] == "0"
    ]
    assert any(v >= 6.5 for v in undiagnosed)


def test_glucose_tracks_hba1c(population: Population) -> None:
    glucose = _by_encounter(population, "14771-0")
    pairs = [
        (_value(o), _value(glucose[(o["encounter"]["reference"], o["effectiveDateTime"])]))
        for o in population.observations("4548-4")
    ]
    high = [g for a, g in pairs if a >= 8]
    low = [g for a, g in pairs if a < 5.7]
    assert mean(high) > 9 > 6 > mean(low)


def test_ntprobnp_platelets_follow_heart_failure_and_cirrhosis(population: Population) -> None:
    bnp = _latest(population.observations("33762-6"))
    hf = [v for pid, v in bnp.items() if population.truth_by_id[pid]["heart_failure"] == "1"]
    no_hf = [v for pid, v in bnp.items() if population.truth_by_id[pid]["heart_failure"] == "0"]
    assert hf and min(hf) >= 125
    assert any(v < 125 for v in no_hf) and any(v >= 125 for v in no_hf)
    platelets = _latest(population.observations("777-3"))
    cirrhosis = [
        v for pid, v in platelets.items() if population.truth_by_id[pid]["cirrhosis"] == "1"
    ]
    healthy = [v for pid, v in platelets.items() if population.truth_by_id[pid]["cirrhosis"] == "0"]
    assert mean(cirrhosis) < 150 < mean(healthy)


def test_bmi_is_weight_over_height_squared(population: Population) -> None:
    height = _by_encounter(population, "8302-2")
    weight = _by_encounter(population, "29463-7")
    bmis = population.observations("39156-5")
    assert len(bmis) > 500
    for bmi in bmis:
        key = (bmi["encounter"]["reference"], bmi["effectiveDateTime"])
        expected = _value(weight[key]) / (_value(height[key]) / 100) ** 2
        assert abs(_value(bmi) - expected) <= 0.051


def test_blood_pressure_panel_has_both_components(population: Population) -> None:
    panels = population.observations("85354-9")
    assert panels
    by_patient: dict[str, list[float]] = defaultdict(list)
    for panel in panels:
        codes = [c["code"]["coding"][0]["code"] for c in panel["component"]]
        assert codes == ["8480-6", "8462-4"]
        systolic, diastolic = (c["valueQuantity"]["value"] for c in panel["component"])
        assert systolic > diastolic
        by_patient[panel["subject"]["reference"].split("/")[1]].append(systolic)
    hypertensive = [
        mean(v) for p, v in by_patient.items() if population.truth_by_id[p]["hypertension"] == "1"
    ]
    normal = [
        mean(v) for p, v in by_patient.items() if population.truth_by_id[p]["hypertension"] == "0"
    ]
    assert mean(hypertensive) > mean(normal) + 15


def test_spirometry_ratio_is_fev1_over_fvc(population: Population) -> None:
    fev1 = _by_encounter(population, "20155-8")
    fvc = _by_encounter(population, "19874-7")
    ratios = [
        o
        for o in population.observations("19926-5")
        if o["code"]["coding"][1]["code"] == "fev1-fvc-post-bronchodilator"
    ]
    assert ratios
    for ratio in ratios:
        key = (ratio["encounter"]["reference"], ratio["effectiveDateTime"])
        expected = 100 * _value(fev1[key]) / _value(fvc[key])
        assert abs(_value(ratio) - expected) <= 0.051
    values = [_value(r) for r in ratios]
    assert any(v < 70 for v in values) and any(v >= 70 for v in values)
