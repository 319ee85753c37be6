"""Heart failure: natriuretic-peptide screening of people at risk (ESC 2021, ADA/ACC 2022).

ESC 2021 heart-failure guideline (McDonagh TA et al., Eur Heart J
2021;42:3599-3726); ADA consensus on heart failure in diabetes (Pop-Busui R et
al., Diabetes Care 2022;45:1670-1690): yearly NT-proBNP in diabetes.

* **Eligible:** adults 40 and over with diabetes, hypertension or CKD (stage A
  risk), and anyone with heart failure diagnosed.
* **At risk, no heart failure:** NT-proBNP at or above 125 pg/mL (non-acute
  rule-out) is ``positive`` (echocardiography); none in 12 months is ``due``.
* **Diagnosed:** yearly NT-proBNP review.
"""

from __future__ import annotations

from carehub.screening import codes
from carehub.screening.messages import msg
from carehub.screening.programmes.base import Findings, Profile, Programme, calc, next_due
from carehub.screening.recommendation import Recommendation, timing_status, used
from carehub.screening.snapshot import PatientSnapshot

GUIDELINE = "ESC 2021 heart failure"


def evaluate(s: PatientSnapshot, profile: Profile) -> list[Recommendation]:
    """The heart-failure programme's recommendations for one patient."""
    f = Findings("heart_failure", s)
    hf = s.diagnosis(codes.HEART_FAILURE)
    risks = [
        x for x in (
            s.diagnosis(codes.DIABETES), s.diagnosis(codes.HYPERTENSION), s.diagnosis(codes.CKD)
        ) if x is not None
    ]
    age = s.age
    if hf is None and (not risks or age is None or age < 40):
        return f.not_eligible(msg("screen.heart_failure.not_eligible"), GUIDELINE)
    bnp = s.latest(codes.NT_PROBNP)
    if hf is not None:
        due = next_due(bnp.date if bnp else None, 12)
        f.add(
            "hf_review",
            timing_status(s.as_of, due),
            msg("screen.heart_failure.hf_review.title"),
            msg("screen.heart_failure.hf_review.detail", value=bnp.value, date=bnp.date)
            if bnp and bnp.value is not None
            else msg("screen.heart_failure.hf_review.detail_never"),
            GUIDELINE,
            due=due,
            recall_months=12,
            data=used(hf, bnp),
        )
        return f.out
    data = used(risks)
    if bnp is None or bnp.value is None or not s.within(bnp, 12):
        f.add(
            "ntprobnp_due",
            "due" if bnp is None else timing_status(s.as_of, next_due(bnp.date, 12)),
            msg("screen.heart_failure.ntprobnp_due.title"),
            msg("screen.heart_failure.ntprobnp_due.detail"),
            "ADA 2022 heart failure in diabetes",
            due=next_due(bnp.date, 12) if bnp else s.as_of,
            recall_months=12,
            data=data + used(bnp),
            needs=("NT-proBNP",),
        )
        if bnp is None or bnp.value is None:
            return f.out
    result = calc("esc2021_natriuretic_rule_out", setting="non_acute", nt_probnp_pg_ml=bnp.value)
    if not result["hf_unlikely"]:
        f.add(
            "ntprobnp_raised",
            "positive",
            msg("screen.heart_failure.ntprobnp_raised.title", value=bnp.value),
            msg("screen.heart_failure.ntprobnp_raised.detail", value=bnp.value, date=bnp.date),
            GUIDELINE,
            due=bnp.date,
            data=data + used(bnp),
            values={"nt_probnp": bnp.value},
        )
    elif s.within(bnp, 12):
        due = next_due(bnp.date, 12)
        f.add(
            "ntprobnp_normal",
            timing_status(s.as_of, due),
            msg("screen.heart_failure.ntprobnp_normal.title"),
            msg("screen.heart_failure.ntprobnp_normal.detail", value=bnp.value, date=bnp.date),
            GUIDELINE,
            due=due,
            recall_months=12,
            data=data + used(bnp),
        )
    return f.out


PROGRAMME = Programme(
    id="heart_failure",
    title="Heart failure",
    guidelines="ESC 2021; ADA/ACC 2022 consensus",
    evaluate=evaluate,
)
