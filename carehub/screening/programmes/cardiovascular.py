"""Cardiovascular risk: SCORE2-Asia-Pacific (40-69, no diabetes), WHO 2019 charts otherwise.

SCORE2-Asia-Pacific (Hageman SHJ et al., Eur Heart J 2025;46:702-715,
doi:10.1093/eurheartj/ehae609); WHO 2019 CVD risk charts (Lancet Glob Health
2019;7:e1332-45), South-East Asia, laboratory-based.

* **Eligible:** adults 40-74 without established cardiovascular disease.
* **Data:** the latest systolic blood pressure, total and HDL cholesterol
  (12 months), smoking status; each missing is ``insufficient_data``.
* **Evaluation:** SCORE2-AP in the configured risk region (40-69, no
  diabetes); with diabetes or 70-74, the WHO 2019 chart when the hospital has
  configured its table. Risk groups: < 5 % low, 5-< 10 % moderate, 10-< 20 %
  high, >= 20 % very high; high and very high are ``positive``
  (treat risk factors). Recalculate yearly when high, every 5 years when low.
"""

from __future__ import annotations

from carehub.screening import codes
from carehub.screening.messages import msg, need, term
from carehub.screening.programmes.base import Findings, Profile, Programme, calc, next_due
from carehub.screening.recommendation import Recommendation, timing_status, used
from carehub.screening.snapshot import PatientSnapshot

GUIDELINE = "SCORE2-Asia-Pacific 2025"
WHO = "WHO 2019 CVD risk charts"
PROFILES = {
    (True, False): "screen.cardiovascular.profile.smoker",
    (True, True): "screen.cardiovascular.profile.smoker_diabetes",
    (False, False): "screen.cardiovascular.profile.non_smoker",
    (False, True): "screen.cardiovascular.profile.non_smoker_diabetes",
}
"""Message key of the risk factors named in the explanation: (current smoker, diabetes)."""


def risk_group(pct: float) -> str:
    """The risk group of a 10-year risk percentage.

    >>> risk_group(4.9), risk_group(5.0), risk_group(19.9), risk_group(20.0)
    ('low', 'moderate', 'high', 'very_high')
    """
    if pct < 5:
        return "low"
    if pct < 10:
        return "moderate"
    return "high" if pct < 20 else "very_high"


def _band(value: float, edges: tuple[float, ...], labels: tuple[str, ...]) -> str:
    for edge, text in zip(edges, labels, strict=False):
        if value < edge:
            return text
    return labels[-1]


def who_bands(age: int, sbp: float, chol: float) -> dict[str, str]:
    """The WHO chart bands of age, systolic pressure and total cholesterol (half-open bins).

    >>> who_bands(62, 140, 5.0)
    {'age_band': '60-64', 'sbp_band_mmHg': '140-159', 'total_chol_band_mmol_l': '5-5.9'}
    """
    low = max(40, min(70, age - age % 5))
    return {
        "age_band": f"{low}-{low + 4}",
        "sbp_band_mmHg": _band(
            sbp, (120, 140, 160, 180), ("<120", "120-139", "140-159", "160-179", ">=180")
        ),
        "total_chol_band_mmol_l": _band(
            chol, (4, 5, 6, 7), ("<4", "4-4.9", "5-5.9", "6-6.9", ">=7")
        ),
    }


def evaluate(s: PatientSnapshot, profile: Profile) -> list[Recommendation]:
    """The cardiovascular-risk programme's recommendations for one patient."""
    f = Findings("cardiovascular", s)
    age = s.age
    if age is None or not 40 <= age <= 74:
        return f.not_eligible(msg("screen.cardiovascular.ages"), GUIDELINE)
    cvd = s.diagnosis(codes.CARDIOVASCULAR_DISEASE)
    if cvd is not None:
        return f.not_eligible(msg("screen.cardiovascular.established_cvd"), GUIDELINE)
    if s.sex not in ("male", "female"):
        return f.not_eligible(msg("screen.cardiovascular.sex_needed"), GUIDELINE)
    sbp = s.latest(codes.SYSTOLIC_BP, "vital")
    chol = s.latest(codes.TOTAL_CHOLESTEROL)
    hdl = s.latest(codes.HDL_CHOLESTEROL)
    smoking = s.smoking()
    diabetes = s.diagnosis(codes.DIABETES)
    missing = tuple(
        name for name, fact in (
            ("systolic blood pressure", sbp), ("total cholesterol", chol), ("HDL cholesterol", hdl),
        ) if fact is None or fact.value is None or not s.within(fact, 12)
    ) + (() if smoking else ("smoking status",))
    if missing:
        f.add(
            "risk_data",
            "insufficient_data",
            msg("screen.cardiovascular.risk_data.title"),
            msg("screen.cardiovascular.risk_data.detail",
                missing=tuple(msg(need(name)) for name in missing)),
            GUIDELINE,
            due=s.as_of,
            data=used(sbp, chol, hdl, diabetes),
            needs=missing,
        )
        return f.out
    assert sbp and chol and hdl and smoking and sbp.value and chol.value and hdl.value
    smoker = smoking.status == "current"
    data = used(sbp, chol, hdl, diabetes, smoking.facts)
    if diabetes is None and age <= 69:
        result = calc(
            "score2_asia_pacific", risk_region=profile.score2_region, age=age, sex=s.sex,
            current_smoker=smoker, sbp=sbp.value, total_chol_mmol_l=chol.value,
            hdl_mmol_l=hdl.value, diabetes=False,
        )
        guideline = f"{GUIDELINE} ({profile.score2_region} risk region)"
    elif profile.who_chart_configured:
        result = calc(
            "who2019_cvd_chart_lab", region="Southeast Asia (GBD)", sex=s.sex,
            diabetes=diabetes is not None, smoker=smoker, **who_bands(age, sbp.value, chol.value),
        )
        guideline = WHO
    else:
        f.add(
            "who_chart",
            "insufficient_data",
            msg("screen.cardiovascular.who_chart.title"),
            msg("screen.cardiovascular.who_chart.detail"),
            WHO,
            data=data,
            needs=("WHO 2019 chart table",),
        )
        return f.out
    if not result.applicable:
        return f.not_eligible(
            msg("screen.cardiovascular.score_not_applicable", reason=result.reason), guideline
        )
    pct = float(result["ten_year_risk_pct"])
    group = risk_group(pct)
    last = max(x.date for x in (sbp, chol, hdl) if x.date is not None)
    months = 12 if group in ("high", "very_high") else 60 if group == "low" else 24
    due = next_due(last, months)
    status = "positive" if group in ("high", "very_high") else timing_status(s.as_of, due)
    f.add(
        "ten_year_risk",
        status,
        msg("screen.cardiovascular.ten_year_risk.title", pct=pct, group=term("risk", group)),
        msg("screen.cardiovascular.ten_year_risk.detail_treat" if status == "positive" else
            "screen.cardiovascular.ten_year_risk.detail", guideline=guideline, pct=pct,
            group=term("risk", group), sbp=sbp.value, chol=chol.value, hdl=hdl.value,
            profile=msg(PROFILES[(smoker, diabetes is not None)])),
        guideline,
        due=due,
        recall_months=months,
        data=data,
        values={"ten_year_risk_pct": pct, "risk_group": group},
    )
    return f.out


PROGRAMME = Programme(
    id="cardiovascular",
    title="Cardiovascular risk",
    guidelines="SCORE2-Asia-Pacific 2025; WHO 2019 charts",
    evaluate=evaluate,
)
