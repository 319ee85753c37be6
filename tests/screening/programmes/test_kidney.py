"""The kidney programme: eligibility, care gaps, staging, confirmation, referral."""

from __future__ import annotations

from carehub.screening import codes
from tests.screening.programmes.helpers import fact, run, snapshot

DM = fact("condition", "E11.9", 60)
HTN = fact("condition", "I10", 60)


def creatinine(months: float, umol: float) -> object:
    return fact("lab", codes.CREATININE, months, umol, unit="umol/L")


def acr(months: float, mg_g: float) -> object:
    return fact("lab", codes.URINE_ACR, months, mg_g, unit="mg/g")


def test_not_eligible_without_diabetes_or_hypertension() -> None:
    out = run("kidney", snapshot("male", 60, creatinine(1, 80)))
    assert out["eligibility"].status == "not_eligible"


def test_missing_acr_is_a_care_gap_naming_the_test() -> None:
    out = run("kidney", snapshot("female", 55, DM, creatinine(2, 70)))
    gap = out["acr_missing_12m"]
    assert gap.status == "care_gap" and gap.needs == ("urine ACR",)
    assert "egfr_missing_12m" not in out
    assert out["staging"].status == "insufficient_data"


def test_no_kidney_test_at_all_is_insufficient_data() -> None:
    out = run("kidney", snapshot("male", 62, HTN))
    assert out["classification"].status == "insufficient_data"
    assert {"acr_missing_12m", "egfr_missing_12m"} <= set(out)


def test_single_abnormal_result_asks_for_confirmation_in_three_months() -> None:
    out = run("kidney", snapshot("male", 60, DM, creatinine(1, 130), acr(1, 45)))
    rec = out["confirm_ckd"]
    assert rec.status == "positive"
    assert (rec.due_date - rec.data_used[-2].date).days in range(89, 93)  # type: ignore[operator]
    assert dict(rec.values)["gfr_category"] == "G3a"


def test_confirmed_undiagnosed_ckd_is_positive_with_the_data_used() -> None:
    out = run("kidney", snapshot("male", 60, DM, creatinine(8, 165), creatinine(1, 160),
                                 acr(1, 45)))
    rec = out["undiagnosed_ckd"]
    assert rec.status == "positive"
    sources = {d.source for d in rec.data_used}
    assert any("14682-9-8" in (s or "") for s in sources)
    assert dict(rec.values)["albuminuria_category"] == "A2"


def test_confirmed_undiagnosed_ckd_without_acr_asks_for_one() -> None:
    out = run("kidney", snapshot("female", 66, HTN, creatinine(8, 150), creatinine(1, 155)))
    rec = out["undiagnosed_ckd"]
    assert rec.status == "positive"
    assert rec.detail_message is not None
    assert rec.detail_message.key == "screen.kidney.undiagnosed_ckd.detail_no_acr"
    assert "no urine ACR" in rec.detail and "None" not in rec.detail


def test_diagnosed_ckd_is_not_flagged_as_undiagnosed() -> None:
    ckd = fact("condition", "N18.3", 12)
    out = run("kidney", snapshot("male", 60, DM, ckd, creatinine(8, 135), creatinine(1, 130),
                                 acr(1, 45)))
    assert "undiagnosed_ckd" not in out
    assert out["monitoring"].recall_months == 6


def test_low_egfr_is_a_nephrology_referral() -> None:
    out = run("kidney", snapshot("female", 70, HTN, creatinine(1, 300), acr(1, 20)))
    rec = out["nephrology_referral"]
    assert rec.status == "referral" and ("G4" in rec.detail or "G5" in rec.detail)


def test_normal_results_are_up_to_date_with_a_yearly_recall() -> None:
    out = run("kidney", snapshot("female", 50, DM, creatinine(2, 60), acr(2, 10)))
    rec = out["monitoring"]
    assert rec.status == "up_to_date" and rec.recall_months == 12
    assert not any(r.status == "positive" for r in out.values())
