"""Respiratory, lung-cancer, heart-failure, cardiovascular, liver and cancer programmes."""

from __future__ import annotations

from carehub.screening import codes
from carehub.screening.programmes.base import Profile
from carehub.screening.snapshot import Fact
from tests.screening.programmes.helpers import day, fact, run, snapshot

CURRENT = fact("social", codes.SMOKING_STATUS, 3, value_code="449868002")
NEVER = fact("social", codes.SMOKING_STATUS, 3, value_code="266919005")


def pack_years(n: float) -> Fact:
    return fact("social", codes.PACK_YEARS, 3, n)


def copd_ps(months: float, *answers: str, age: int) -> list[Fact]:
    out = [
        Fact("answer", f"q{i + 1}", day(months), value_code=a, ref="QuestionnaireResponse/r",
             group="QuestionnaireResponse/r", text="https://carehub.vn/fhir/Questionnaire/copd-ps")
        for i, a in enumerate(answers)
    ]
    out.append(Fact("answer", "q5", day(months), float(age), ref="QuestionnaireResponse/r",
                    group="QuestionnaireResponse/r"))
    return out


def spirometry(months: float, fev1: float, fvc: float, pct: float, pre: float) -> list[Fact]:
    return [
        fact("lab", codes.FEV1_POST, months, fev1, unit="L"),
        fact("lab", codes.FVC_POST, months, fvc, unit="L"),
        fact("lab", codes.FEV1_PCT_PRED_POST, months, pct, unit="%"),
        fact("lab", codes.FEV1_PRE, months, pre, unit="L"),
    ]


def test_positive_copd_ps_without_spirometry_asks_for_spirometry() -> None:
    s = snapshot("male", 60, CURRENT, *copd_ps(2, "some", "few_days_month", "agree", "yes",
                                               age=60))
    rec = run("respiratory", s)["copd_ps_positive"]
    assert rec.status == "positive" and dict(rec.values)["copd_ps"] >= 5


def test_obstruction_without_copd_diagnosis_is_positive_with_gold_grade() -> None:
    s = snapshot("male", 65, CURRENT, *spirometry(1, 1.6, 2.8, 55.0, 1.55))
    rec = run("respiratory", s)["obstruction_undiagnosed"]
    assert rec.status == "positive" and dict(rec.values)["gold_grade"] == 2


def test_never_smoker_without_respiratory_data_is_not_eligible() -> None:
    assert run("respiratory", snapshot("female", 50, NEVER))["eligibility"].status == (
        "not_eligible"
    )


def test_eligible_smoker_without_ldct_is_due() -> None:
    rec = run("lung_cancer", snapshot("male", 60, CURRENT, pack_years(30)))["ldct_due"]
    assert rec.status == "due"


def test_light_smoker_is_not_eligible_for_screening() -> None:
    out = run("lung_cancer", snapshot("male", 60, CURRENT, pack_years(10)))
    assert out["eligibility"].status == "not_eligible"


def test_missing_smoking_history_is_insufficient_data() -> None:
    rec = run("lung_cancer", snapshot("male", 60))["smoking_history"]
    assert rec.status == "insufficient_data" and "pack-years" in rec.needs


def test_ldct_with_an_8mm_solid_nodule_is_lung_rads_4a() -> None:
    study = Fact("study", codes.LDCT_SCREENING, day(1), ref="ImagingStudy/s1")
    nodule = [
        Fact("nodule", codes.NODULE_MEAN_DIAMETER, day(1), 8.0, "mm", ref="ImagingStudy/s1",
             group="Observation/n1", ident="n-1"),
        Fact("nodule", codes.NODULE_TYPE, day(1), value_code="solid", ref="ImagingStudy/s1",
             group="Observation/n1", ident="n-1"),
    ]
    out = run("lung_cancer", snapshot("male", 60, CURRENT, pack_years(30), study, *nodule))
    rec = out["ldct_follow_up"]
    assert dict(rec.values)["lung_rads"] == "4A" and rec.recall_months == 3
    assert rec.status == "positive"


def test_raised_nt_probnp_in_diabetes_asks_for_echocardiography() -> None:
    s = snapshot("female", 58, fact("condition", "E11.9", 24),
                 fact("lab", codes.NT_PROBNP, 2, 300.0, unit="pg/mL"))
    assert run("heart_failure", s)["ntprobnp_raised"].status == "positive"


def test_nt_probnp_below_125_is_heart_failure_unlikely() -> None:
    s = snapshot("female", 58, fact("condition", "I10", 24),
                 fact("lab", codes.NT_PROBNP, 2, 124.0, unit="pg/mL"))
    out = run("heart_failure", s)
    assert out["ntprobnp_normal"].status == "up_to_date" and "ntprobnp_raised" not in out


def test_score2_asia_pacific_risk_in_the_configured_region() -> None:
    s = snapshot("male", 50, CURRENT,
                 fact("vital", codes.SYSTOLIC_BP, 1, 140.0, unit="mm[Hg]"),
                 fact("lab", codes.TOTAL_CHOLESTEROL, 1, 5.5, unit="mmol/L"),
                 fact("lab", codes.HDL_CHOLESTEROL, 1, 1.3, unit="mmol/L"))
    high = run("cardiovascular", s, Profile(score2_region="High"))["ten_year_risk"]
    low = run("cardiovascular", s, Profile(score2_region="Low"))["ten_year_risk"]
    assert abs(dict(high.values)["ten_year_risk_pct"] - 16.1) <= 0.05
    assert abs(dict(low.values)["ten_year_risk_pct"] - 10.3) <= 0.05
    assert high.status == "positive"


def test_missing_hdl_is_insufficient_data() -> None:
    s = snapshot("male", 50, CURRENT, fact("vital", codes.SYSTOLIC_BP, 1, 140.0),
                 fact("lab", codes.TOTAL_CHOLESTEROL, 1, 5.5))
    rec = run("cardiovascular", s)["risk_data"]
    assert rec.status == "insufficient_data" and rec.needs == ("HDL cholesterol",)


def test_hbv_man_over_40_is_due_ultrasound_and_raised_afp_is_referred() -> None:
    hbv = fact("condition", "B18.1", 36)
    out = run("liver", snapshot("male", 45, hbv))
    assert out["surveillance"].status == "due" and out["surveillance"].recall_months == 6
    afp = fact("lab", codes.AFP, 1, 50.0, unit="ng/mL")
    assert run("liver", snapshot("male", 45, hbv, afp))["afp_raised"].status == "referral"


def test_hbv_man_of_35_without_cirrhosis_is_below_the_threshold() -> None:
    out = run("liver", snapshot("male", 35, fact("condition", "B18.1", 36)))
    assert out["eligibility"].status == "not_eligible" and "surveillance" not in out


def test_cancer_screening_by_sex_and_age() -> None:
    woman = run("cancer", snapshot("female", 45))
    assert woman["cervical"].status == "due" and woman["breast"].status == "due"
    man = run("cancer", snapshot("male", 45))
    assert "cervical" not in man and "breast" not in man and man["colorectal"].status == "due"
    recent = fact("study", codes.MAMMOGRAPHY, 6)
    assert run("cancer", snapshot("female", 45, recent))["breast"].status == "up_to_date"
