"""Kidney disease in people with diabetes or hypertension (KDIGO 2024).

KDIGO 2024 CKD guideline, Kidney Int 2024;105(4S):S117-S314
(https://kdigo.org/guidelines/ckd-evaluation-and-management/).

* **Eligible:** adults with diabetes or hypertension (ICD-10 E10-E14, I10-I15),
  or with a CKD diagnosis (N18).
* **Data:** the latest serum creatinine (eGFR by CKD-EPI 2021, race-free; a
  reported eGFR when no creatinine) and urine ACR. Each missing for 12 months
  is a care gap (KDIGO PP 2.1.1: ACR and eGFR at least once a year).
* **Evaluation:** KDIGO G and A categories, heat-map risk, monitoring
  frequency; CKD when eGFR < 60 or ACR >= 30 mg/g, *confirmed* when an
  abnormal value at least 3 months earlier agrees, otherwise repeat in 3
  months. Not-yet-diagnosed confirmed CKD is ``positive``.
* **Referral:** G4-G5, A3, or a 5-year KFRE at or above the KDIGO 2024
  threshold (eGFR < 60 with an ACR).
"""

from __future__ import annotations

import datetime

from carehub.clinical import units
from carehub.screening import codes
from carehub.screening.messages import Message, msg, term
from carehub.screening.programmes.base import Findings, Profile, Programme, calc, label, next_due
from carehub.screening.recommendation import DataPoint, Recommendation, timing_status, used
from carehub.screening.snapshot import Fact, PatientSnapshot, add_months

GUIDELINE = "KDIGO 2024 CKD"
TIMES_TO_MONTHS = {"1 if CKD": 12, "1": 12, "2": 6, "3": 4, "4+": 3}


def egfr_of(s: PatientSnapshot, creatinine: Fact | None) -> tuple[float | None, str]:
    """The eGFR of a creatinine fact by CKD-EPI 2021 (``None`` if not computable) and the rule."""
    age = s.age
    if creatinine is None or creatinine.value is None or age is None or age < 18:
        return None, ""
    if s.sex not in ("male", "female"):
        return None, ""
    scr = units.creatinine_mg_dl(creatinine.value, creatinine.unit or "umol/L")
    result = calc("ckd_epi_2021_creatinine", scr_mg_dl=scr, age=age, sex=s.sex)
    if not result.applicable:
        return None, ""
    return float(result["egfr"]), label(result)


def _creatinine(s: PatientSnapshot) -> Fact | None:
    found = [f for f in (s.latest(codes.CREATININE), s.latest(codes.CREATININE_MASS)) if f]
    return max(found, key=lambda f: f.date or datetime.date.min) if found else None


def _egfr_series(s: PatientSnapshot) -> list[tuple[Fact, float]]:
    out: list[tuple[Fact, float]] = []
    for code in (codes.CREATININE, codes.CREATININE_MASS):
        for fact in s.series(code):
            value, _ = egfr_of(s, fact)
            if value is not None:
                out.append((fact, value))
    if not out:
        out = [(f, f.value) for f in s.series(codes.EGFR) if f.value is not None]
    return sorted(out, key=lambda p: p[0].date or datetime.date.min)


def _acr_mg_g(fact: Fact) -> float:
    assert fact.value is not None
    return units.acr_mg_g(fact.value, fact.unit or "mg/g")


def _confirmed(latest: Fact, earlier: list[Fact], abnormal: list[Fact]) -> Fact | None:
    """An abnormal fact at least 90 days before ``latest`` (chronicity > 3 months)."""
    for fact in abnormal:
        if fact.date and latest.date and (latest.date - fact.date).days >= 90:
            return fact
    return None


def evaluate(s: PatientSnapshot, profile: Profile) -> list[Recommendation]:
    """The kidney programme's recommendations for one patient."""
    f = Findings("kidney", s)
    diabetes = s.diagnosis(codes.DIABETES)
    hypertension = s.diagnosis(codes.HYPERTENSION)
    ckd_dx = s.diagnosis(codes.CKD)
    age = s.age
    if age is None or age < 18:
        return f.not_eligible(msg("screen.kidney.adults_only"), GUIDELINE)
    if diabetes is None and hypertension is None and ckd_dx is None:
        return f.not_eligible(msg("screen.kidney.no_risk"), GUIDELINE)
    risk_facts = used(diabetes, hypertension, ckd_dx)
    creatinine = _creatinine(s)
    acr = s.latest(codes.URINE_ACR)
    reported = s.latest(codes.EGFR)
    egfr_fact = creatinine or reported
    if not s.within(acr, 12):
        f.add(
            "acr_missing_12m",
            "care_gap",
            msg("screen.kidney.acr_missing_12m.title"),
            msg("screen.kidney.acr_missing_12m.detail", date=acr.date) if acr is not None
            else msg("screen.kidney.acr_missing_12m.detail_never"),
            GUIDELINE,
            due=s.as_of,
            data=risk_facts + used(acr),
            needs=("urine ACR",),
        )
    if not s.within(egfr_fact, 12):
        f.add(
            "egfr_missing_12m",
            "care_gap",
            msg("screen.kidney.egfr_missing_12m.title"),
            msg("screen.kidney.egfr_missing_12m.detail"),
            GUIDELINE,
            due=s.as_of,
            data=risk_facts + used(egfr_fact),
            needs=("serum creatinine",),
        )
    series = _egfr_series(s)
    if not series:
        f.add(
            "classification",
            "insufficient_data",
            msg("screen.kidney.classification.title"),
            msg("screen.kidney.classification.detail"),
            GUIDELINE,
            data=risk_facts,
            needs=("serum creatinine",),
        )
        return f.out
    egfr_source, egfr = series[-1]
    g = calc("kdigo_gfr_category", egfr=egfr)["category"]
    acr_value = _acr_mg_g(acr) if acr is not None and acr.value is not None else None
    a = calc("kdigo_albuminuria_category", acr=acr_value, unit="mg/g")["category"] if (
        acr_value is not None
    ) else None
    abnormal_egfr = [fact for fact, value in series[:-1] if value < 60]
    acr_series = [x for x in s.series(codes.URINE_ACR) if x.value is not None]
    abnormal_acr = [x for x in acr_series[:-1] if _acr_mg_g(x) >= 30]
    low = egfr < 60
    high_acr = acr_value is not None and acr_value >= 30
    data = risk_facts + used(egfr_source, acr)
    values: dict[str, object] = {"egfr": round(egfr, 2), "gfr_category": g}
    if a is not None:
        values["albuminuria_category"] = a
        values["acr_mg_g"] = round(acr_value or 0.0, 1)
    if a is None:
        f.add(
            "staging",
            "insufficient_data",
            msg("screen.kidney.staging.title", egfr=egfr, g=g),
            msg("screen.kidney.staging.detail"),
            GUIDELINE,
            data=data,
            needs=("urine ACR",),
            values=values,
        )
        risk, times = None, "1" if low else "1 if CKD"
    else:
        heat = calc("kdigo_risk_heatmap", gfr_category=g, albuminuria_category=a)
        risk = heat["risk"]
        times = calc("kdigo_monitoring_frequency_per_year", gfr_category=g, albuminuria_category=a)[
            "times_per_year"
        ]
        values.update(risk=risk, colour=heat["colour"], monitoring_per_year=times)
    if low or high_acr:
        confirm = _confirmed(egfr_source, [], abnormal_egfr) if low else None
        if confirm is None and high_acr and acr is not None:
            confirm = _confirmed(acr, [], abnormal_acr)
        stage = f"{g}{a or ''}"
        if confirm is None:
            f.add(
                "confirm_ckd",
                "positive",
                msg("screen.kidney.confirm_ckd.title", stage=stage),
                msg("screen.kidney.confirm_ckd.detail_no_acr", egfr=egfr) if acr_value is None
                else msg("screen.kidney.confirm_ckd.detail", egfr=egfr, acr=acr_value),
                GUIDELINE,
                due=add_months(egfr_source.date or s.as_of, 3),
                data=data,
                values=values,
            )
        elif ckd_dx is None:
            f.add(
                "undiagnosed_ckd",
                "positive",
                msg("screen.kidney.undiagnosed_ckd.title", stage=stage),
                msg("screen.kidney.undiagnosed_ckd.detail_no_acr", stage=stage) if risk is None
                else msg("screen.kidney.undiagnosed_ckd.detail", stage=stage,
                         risk=term("risk", str(risk))),
                GUIDELINE,
                data=data + used(confirm),
                values=values,
            )
    refer = _referral(f, s, egfr, g, a, acr_value, data, values)
    last_test = max(
        (x.date for x in (egfr_source, acr) if x is not None and x.date), default=None
    )
    months = TIMES_TO_MONTHS.get(str(times), 12)
    due = next_due(last_test, months)
    if not refer:
        f.add(
            "monitoring",
            timing_status(s.as_of, due),
            msg("screen.kidney.monitoring.title", times=term("times", str(times))),
            msg("screen.kidney.monitoring.detail", stage=f"{g}{a or ''}",
                times=term("times", str(times)), due=due) if due is not None else
            msg("screen.kidney.monitoring.detail_undated", stage=f"{g}{a or ''}",
                times=term("times", str(times))),
            GUIDELINE,
            due=due,
            recall_months=months,
            data=data,
            values=values,
        )
    return f.out


def _referral(
    f: Findings,
    s: PatientSnapshot,
    egfr: float,
    g: str,
    a: str | None,
    acr_value: float | None,
    data: tuple[DataPoint, ...],
    values: dict[str, object],
) -> bool:
    reasons: list[Message] = []
    if g in ("G4", "G5"):
        reasons.append(msg("screen.kidney.reason.egfr", egfr=egfr, g=g))
    if a == "A3":
        reasons.append(msg("screen.kidney.reason.acr", acr=acr_value))
    age = s.age
    if egfr < 60 and acr_value is not None and age is not None and s.sex in ("male", "female"):
        five = calc(
            "kfre_4var", age=age, sex=s.sex, egfr=egfr, uacr_mg_g=acr_value,
            region="non_north_american", years=5,
        )
        if five.applicable:
            pct = float(five["risk_pct"])
            values["kfre_5y_pct"] = round(pct, 1)
            if calc("kdigo2024_kfre_action", kfre_5y_pct=pct)["nephrology_referral_threshold_met"]:
                reasons.append(msg("screen.kidney.reason.kfre", pct=pct))
    if not reasons:
        return False
    f.add(
        "nephrology_referral",
        "referral",
        msg("screen.kidney.nephrology_referral.title"),
        msg("screen.kidney.nephrology_referral.detail", reasons=tuple(reasons)),
        GUIDELINE,
        due=s.as_of,
        data=data,
        values=values,
    )
    return True


PROGRAMME = Programme(
    id="kidney",
    title="Kidney disease in diabetes and hypertension",
    guidelines="KDIGO 2024; CKD-EPI 2021; KFRE (Tangri 2011/2016)",
    evaluate=evaluate,
)
