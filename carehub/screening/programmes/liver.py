"""Liver-cancer (HCC) surveillance in chronic hepatitis B and C (AASLD 2018, MOH 3129/QĐ-BYT).

AASLD 2018 HBV guidance (Terrault NA et al., Hepatology 2018;67:1560-1599);
APASL 2017 (Omata M et al., Hepatol Int 2017;11:317-370); PAGE-B
(Papatheodoridis G et al., J Hepatol 2016;64:800-806); Viet Nam MOH Decision
3129/QĐ-BYT (2020): ultrasound + AFP every 6 months for high-risk groups.

* **Eligible:** chronic HBV (B18.0/B18.1 or HBsAg positive) or HCV (B18.2 or
  anti-HCV positive).
* **Surveillance:** HBV per AASLD 2018 (cirrhosis; Asian men over 40, women
  over 50; ...), and HCV with cirrhosis (APASL): abdominal ultrasound and AFP
  every 6 months; no ultrasound in 6 months is ``due``/``overdue``.
* **Positive:** AFP above 20 ng/mL is a ``referral`` for contrast imaging.
* PAGE-B is computed when platelets are on record.
"""

from __future__ import annotations

from carehub.screening import codes
from carehub.screening.messages import Message, msg, term
from carehub.screening.programmes.base import Findings, Profile, Programme, calc, next_due
from carehub.screening.recommendation import Recommendation, timing_status, used
from carehub.screening.snapshot import PatientSnapshot

GUIDELINE = "AASLD 2018 HBV; MOH 3129/QĐ-BYT"
AFP_THRESHOLD = 20.0


def evaluate(s: PatientSnapshot, profile: Profile) -> list[Recommendation]:
    """The HCC-surveillance programme's recommendations for one patient."""
    f = Findings("liver", s)
    hbv = s.diagnosis(codes.CHRONIC_HBV) or s.positive(codes.HBSAG)
    hcv = s.diagnosis(codes.CHRONIC_HCV) or s.positive(codes.ANTI_HCV)
    age = s.age
    if (hbv is None and hcv is None) or age is None or age < 18:
        return f.not_eligible(msg("screen.liver.not_eligible"), GUIDELINE)
    cirrhosis = s.diagnosis(codes.CIRRHOSIS)
    values: dict[str, object] = {}
    surveil = False
    reason: Message | None = None
    if hbv is not None and s.sex in ("male", "female"):
        result = calc(
            "aasld2018_hbv_hcc_surveillance", hbsag=True, cirrhosis=cirrhosis is not None,
            sex=s.sex, ancestry="asian", age=age,
        )
        surveil = bool(result["surveillance"])
        reason = msg("screen.liver.reason.hbv_cirrhosis") if cirrhosis else msg(
            "screen.liver.reason.hbv", sex=term("sex", s.sex), age=age)
        platelets = s.latest(codes.PLATELETS)
        if platelets is not None and platelets.value is not None and age >= 16:
            page_b = calc("page_b", age=age, sex=s.sex, platelets_10e9_l=platelets.value)
            values.update(page_b=page_b["score"], page_b_risk=page_b["risk"])
    if not surveil and hcv is not None and cirrhosis is not None:
        surveil, reason = True, msg("screen.liver.reason.hcv_cirrhosis")
    data = used(hbv, hcv, cirrhosis)
    afp = s.latest(codes.AFP)
    if afp is not None and afp.value is not None and afp.value > AFP_THRESHOLD and s.within(afp, 6):
        f.add(
            "afp_raised",
            "referral",
            msg("screen.liver.afp_raised.title", afp=afp.value),
            msg("screen.liver.afp_raised.detail", afp=afp.value, date=afp.date,
                threshold=AFP_THRESHOLD),
            GUIDELINE,
            due=s.as_of,
            data=data + used(afp),
            values=values,
        )
    if not surveil:
        f.add(
            "eligibility",
            "not_eligible",
            msg("screen.liver.eligibility.title"),
            msg("screen.liver.eligibility.detail",
                reason=reason or msg("screen.liver.reason.chronic_hepatitis")),
            GUIDELINE,
            data=data,
            values=values,
        )
        return f.out
    us = s.last_study(codes.ABDOMINAL_ULTRASOUND)
    due = next_due(us.date if us else None, 6)
    f.add(
        "surveillance",
        timing_status(s.as_of, due),
        msg("screen.liver.surveillance.title"),
        msg("screen.liver.surveillance.detail", reason=reason, date=us.date) if us else
        msg("screen.liver.surveillance.detail_never", reason=reason),
        GUIDELINE,
        due=due or s.as_of,
        recall_months=6,
        data=data + used(us, afp),
        values=values,
    )
    return f.out


PROGRAMME = Programme(
    id="liver",
    title="Liver-cancer surveillance (HBV/HCV)",
    guidelines="AASLD 2018; APASL 2017; PAGE-B; MOH 3129/QĐ-BYT",
    evaluate=evaluate,
)
