"""COPD and asthma case-finding: COPD-PS, spirometry, GOLD 2025, bronchodilator response.

GOLD 2025 report (https://goldcopd.org/2025-gold-report/); COPD-PS (Martinez
FJ et al., COPD 2008;5:85-95); ERS/ATS 2022 interpretation (Stanojevic S et
al., Eur Respir J 2022;60:2101499).

* **Eligible:** adults 35 and over with a COPD-PS on record, ever-smokers 40
  and over, and anyone with COPD or asthma diagnosed.
* **Case-finding:** a COPD-PS of 5 or more calls for spirometry; an
  ever-smoker 40 and over with neither a COPD-PS nor spirometry in 2 years
  is due one.
* **Spirometry:** post-bronchodilator FEV1/FVC < 0.70 is obstruction; the
  GOLD grade follows FEV1 % predicted; obstruction without a COPD diagnosis
  is ``positive``. A positive ERS/ATS 2022 bronchodilator response without
  an asthma diagnosis is ``positive`` (assess for asthma).
* **Diagnosed COPD:** spirometry review yearly.
"""

from __future__ import annotations

import datetime

from carehub.screening import codes
from carehub.screening.messages import msg
from carehub.screening.programmes.base import Findings, Profile, Programme, calc, next_due
from carehub.screening.recommendation import Recommendation, timing_status, used
from carehub.screening.snapshot import Fact, PatientSnapshot

GUIDELINE = "GOLD 2025"
COPD_PS_FIELDS = {
    "q1": "q1_breathless_4wk",
    "q2": "q2_cough_up_phlegm",
    "q3": "q3_do_less_because_breathing",
    "q4": "q4_smoked_100_cigs",
}


def _same_day(s: PatientSnapshot, code: str, day: datetime.date | None) -> Fact | None:
    for fact in reversed(s.series(code)):
        if fact.date == day and fact.value is not None:
            return fact
    return None


def copd_ps_score(s: PatientSnapshot) -> tuple[int, bool, tuple[Fact, ...], datetime.date] | None:
    """The latest COPD-PS (score, positive, answers, date), or ``None`` if none is complete."""
    answers = s.answers(codes.COPD_PS_LINK_IDS)
    if any(link not in answers for link in codes.COPD_PS_LINK_IDS):
        return None
    inputs: dict[str, object] = {
        field: answers[link].value_code for link, field in COPD_PS_FIELDS.items()
    }
    age = answers["q5"].value
    if age is None:
        return None
    inputs["age"] = int(age)
    result = calc("copd_ps", **inputs)
    day = answers["q1"].date or s.as_of
    return int(result["score"]), bool(result["positive_cutoff5"]), tuple(answers.values()), day


def evaluate(s: PatientSnapshot, profile: Profile) -> list[Recommendation]:
    """The COPD/asthma programme's recommendations for one patient."""
    f = Findings("respiratory", s)
    age = s.age
    copd = s.diagnosis(codes.COPD)
    asthma = s.diagnosis(codes.ASTHMA)
    smoking = s.smoking()
    ever_smoker = smoking is not None and smoking.status in ("current", "former")
    screener = copd_ps_score(s) if age is not None and age >= 35 else None
    if copd is None and asthma is None and screener is None and not (
        ever_smoker and age is not None and age >= 40
    ):
        return f.not_eligible(msg("screen.respiratory.not_eligible"), GUIDELINE)
    fev1 = s.latest(codes.FEV1_POST)
    spiro_day = fev1.date if fev1 is not None else None
    fvc = _same_day(s, codes.FVC_POST, spiro_day)
    if screener is not None:
        score, positive, answers, day = screener
        values = {"copd_ps": score}
        if positive and (spiro_day is None or spiro_day < day):
            f.add(
                "copd_ps_positive",
                "positive",
                msg("screen.respiratory.copd_ps_positive.title", score=score),
                msg("screen.respiratory.copd_ps_positive.detail", score=score, date=day),
                "COPD-PS (Martinez 2008)",
                due=day,
                data=used(answers),
                values=values,
            )
    elif copd is None and asthma is None and ever_smoker and (
        spiro_day is None or not s.within(fev1, 24)
    ):
        f.add(
            "case_finding",
            "due",
            msg("screen.respiratory.case_finding.title"),
            msg("screen.respiratory.case_finding.detail"),
            GUIDELINE,
            due=s.as_of,
            data=used(smoking.facts if smoking else ()),
        )
    if fev1 is not None and fvc is not None and fev1.value and fvc.value:
        _spirometry(f, s, fev1, fvc, copd, asthma)
    elif copd is not None:
        f.add(
            "spirometry",
            "insufficient_data",
            msg("screen.respiratory.spirometry.title"),
            msg("screen.respiratory.spirometry.detail"),
            GUIDELINE,
            due=s.as_of,
            data=used(copd),
            needs=("post-bronchodilator FEV1 and FVC",),
        )
    if copd is not None and spiro_day is not None:
        due = next_due(spiro_day, 12)
        f.add(
            "copd_review",
            timing_status(s.as_of, due),
            msg("screen.respiratory.copd_review.title"),
            msg("screen.respiratory.copd_review.detail", date=spiro_day),
            GUIDELINE,
            due=due,
            recall_months=12,
            data=used(copd, fev1),
        )
    return f.out


def _spirometry(
    f: Findings,
    s: PatientSnapshot,
    fev1: Fact,
    fvc: Fact,
    copd: Fact | None,
    asthma: Fact | None,
) -> None:
    assert fev1.value is not None and fvc.value is not None
    ratio = fev1.value / fvc.value
    obstruction = calc("gold_obstruction", post_bd_fev1_fvc=round(ratio, 3))["obstruction"]
    pct = _same_day(s, codes.FEV1_PCT_PRED_POST, fev1.date)
    data = used(fev1, fvc, pct)
    values: dict[str, object] = {"fev1_fvc_post": round(ratio, 3)}
    grade = None
    if obstruction and pct is not None and pct.value is not None:
        grade = calc("gold_grade", post_bd_fev1_pct_pred=pct.value)["grade"]
        values["gold_grade"] = grade
    if obstruction and copd is None:
        f.add(
            "obstruction_undiagnosed",
            "positive",
            msg("screen.respiratory.obstruction_undiagnosed.title"),
            msg("screen.respiratory.obstruction_undiagnosed.detail_graded", ratio=ratio,
                date=fev1.date, grade=grade) if grade else
            msg("screen.respiratory.obstruction_undiagnosed.detail", ratio=ratio, date=fev1.date),
            GUIDELINE,
            due=fev1.date,
            data=data,
            values=values,
        )
    pre = _same_day(s, codes.FEV1_PRE, fev1.date)
    if pre is not None and pre.value and pct is not None and pct.value:
        predicted = fev1.value / (pct.value / 100.0)
        bdr = calc(
            "bdr_ers_ats_2022", pre_fev1=pre.value, post_fev1=fev1.value, pred_fev1=predicted
        )
        values["bdr_change_pct_pred"] = bdr["change_pct_pred"]
        if bdr["positive"] and asthma is None:
            f.add(
                "bronchodilator_response",
                "positive",
                msg("screen.respiratory.bronchodilator_response.title"),
                msg("screen.respiratory.bronchodilator_response.detail",
                    change=bdr["change_pct_pred"]),
                "ERS/ATS 2022",
                due=fev1.date,
                data=used(pre, fev1, pct),
                values=values,
            )


PROGRAMME = Programme(
    id="respiratory",
    title="COPD and asthma",
    guidelines="GOLD 2025; COPD-PS; ERS/ATS 2022",
    evaluate=evaluate,
)
