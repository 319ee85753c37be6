"""Heart failure: ESC 2021 rule-out (strictly below), H2FPEF points (strict >) and model."""

from __future__ import annotations

import pytest

from carehub.clinical.cardio.heart_failure import (
    esc2021_natriuretic_rule_out,
    h2fpef_continuous_probability,
    h2fpef_points,
)
from carehub.clinical.inputs import InvalidInput


@pytest.mark.parametrize(
    ("setting", "peptide", "threshold"),
    [
        ("non_acute", "nt_probnp_pg_ml", 125), ("non_acute", "bnp_pg_ml", 35),
        ("acute", "nt_probnp_pg_ml", 300), ("acute", "bnp_pg_ml", 100),
        ("acute", "mr_proanp_pmol_l", 120),
    ],
)
def test_rule_out_is_strictly_below_the_threshold(
    setting: str, peptide: str, threshold: float
) -> None:
    below = esc2021_natriuretic_rule_out(setting=setting, **{peptide: threshold - 0.1})
    at = esc2021_natriuretic_rule_out(setting=setting, **{peptide: threshold})
    assert below["hf_unlikely"] is True and below["next"] == "consider_other_diagnoses"
    assert at["hf_unlikely"] is False and at["next"] == "echocardiography"
    assert at["thresholds"] == {peptide: threshold}


def test_caveat_is_shown() -> None:
    result = esc2021_natriuretic_rule_out(setting="non_acute", nt_probnp_pg_ml=100)
    assert "atrial fibrillation" in result["caveat"] and "obesity" in result["caveat"]
    assert result.guideline.version == "2021"


def test_setting_spellings() -> None:
    for setting in ("non-acute", "Non_Acute", "chronic"):
        assert esc2021_natriuretic_rule_out(setting=setting, bnp_pg_ml=20)["hf_unlikely"] is True


def test_every_peptide_must_be_below() -> None:
    result = esc2021_natriuretic_rule_out(setting="non_acute", nt_probnp_pg_ml=100, bnp_pg_ml=40)
    assert result["hf_unlikely"] is False


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"setting": "non_acute"}, "nt_probnp_pg_ml"),
        ({"setting": "non_acute", "mr_proanp_pmol_l": 50}, "mr_proanp_pmol_l"),
        ({"setting": "non_acute", "bnp_pg_ml": -3}, "bnp_pg_ml"),
        ({"setting": "subacute", "bnp_pg_ml": 3}, "setting"),
        ({"setting": None, "bnp_pg_ml": 3}, "setting"),
    ],
)
def test_rule_out_bad_inputs(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        esc2021_natriuretic_rule_out(**kwargs)  # type: ignore[arg-type]
    assert err.value.name == name


ALL_AT_THRESHOLD = {
    "bmi": 30, "n_antihypertensives": 1, "af": False, "pasp_mmHg": 35, "age": 60, "e_e_prime": 9,
}


def test_h2fpef_thresholds_are_strict() -> None:
    result = h2fpef_points(**ALL_AT_THRESHOLD)  # type: ignore[arg-type]
    assert result["score"] == 0 and result["probability"] == "low"


@pytest.mark.parametrize(
    ("item", "value", "points"),
    [
        ("bmi", 30.1, 2), ("n_antihypertensives", 2, 1), ("af", True, 3),
        ("pasp_mmHg", 35.1, 1), ("age", 61, 1), ("e_e_prime", 9.1, 1),
    ],
)
def test_each_h2fpef_item(item: str, value: object, points: int) -> None:
    assert h2fpef_points(**{**ALL_AT_THRESHOLD, item: value})["score"] == points  # type: ignore[arg-type]


def test_h2fpef_maximum_and_bands() -> None:
    full = h2fpef_points(bmi=32, n_antihypertensives=2, af=True, pasp_mmHg=40, age=65,
                         e_e_prime=10)
    assert full["score"] == 9 and full["probability"] == "high"
    assert full["points"]["hypertensive"] == 1
    mid = h2fpef_points(**{**ALL_AT_THRESHOLD, "bmi": 31})  # type: ignore[arg-type]
    assert mid["probability"] == "intermediate"


@pytest.mark.parametrize(
    ("override", "name"),
    [
        ({"n_antihypertensives": 1.5}, "n_antihypertensives"),
        ({"n_antihypertensives": -1}, "n_antihypertensives"),
        ({"af": "paroxysmal"}, "af"),
        ({"bmi": None}, "bmi"),
        ({"e_e_prime": 100}, "e_e_prime"),
        ({"pasp_mmHg": -5}, "pasp_mmHg"),
    ],
)
def test_h2fpef_bad_inputs(override: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as err:
        h2fpef_points(**{**ALL_AT_THRESHOLD, **override})  # type: ignore[arg-type]
    assert err.value.name == name


def test_continuous_model() -> None:
    result = h2fpef_continuous_probability(age=65, bmi=32, e_e_prime=10, pasp_mmHg=40, af=1)  # type: ignore[arg-type]
    assert result["probability_pct"] == pytest.approx(92.8, abs=0.1)
    no_af = h2fpef_continuous_probability(age=65, bmi=32, e_e_prime=10, pasp_mmHg=40, af=False)
    assert no_af["probability_pct"] < result["probability_pct"]
    with pytest.raises(InvalidInput) as err:
        h2fpef_continuous_probability(age=65, bmi=32, e_e_prime=10, pasp_mmHg=40, af=2)  # type: ignore[arg-type]
    assert err.value.name == "af"
