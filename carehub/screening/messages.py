"""Structured, translatable explanations of screening recommendations.

A :class:`Message` is a key and its parameters (``{"key":
"screen.kidney.staging.title", "params": {"egfr": 52.3, "g": "G3a"}}``).
Every recommendation carries one for its title and one for its detail
(:attr:`~carehub.screening.recommendation.Recommendation.title_message`);
the English strings ``title`` and ``detail`` are rendered from
:data:`ENGLISH`, and front ends render the key from their own catalogues
(the web application's ``i18n/screening.<lang>.json``), Vietnamese first.

Templates use :meth:`str.format` fields (``{egfr:.0f}``). A parameter may
itself be a :class:`Message` (a term such as a risk group, rendered in the
same language) or a tuple of messages (joined with ``"; "``); dates render
as ``YYYY-MM-DD``.

Failure modes: :func:`msg` raises :class:`~carehub.errors.Fault` for a key
missing from :data:`ENGLISH` (a programming error, caught by the tests); a
catalogue text whose fields do not match the parameters renders with the
English text instead (:func:`render`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carehub.errors import Fault

Lookup = Callable[[str], str | None]
"""Finds the template of a key in one language (``None``: unknown)."""


@dataclass(frozen=True, slots=True)
class Message:
    """A translatable text: a catalogue key and its parameters (sorted by name)."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form; nested messages become objects, dates ISO strings.

        >>> msg("screen.term.risk.high").to_json()
        {'key': 'screen.term.risk.high', 'params': {}}
        """
        return {"key": self.key, "params": {k: _json(v) for k, v in self.params}}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Message:
        """The message of :meth:`to_json`'s output.

        >>> m = msg("screen.kidney.staging.title", egfr=52.0, g="G3a")
        >>> Message.from_json(m.to_json()) == m
        True
        """
        params = obj.get("params") or {}
        return cls(str(obj["key"]), tuple(sorted((str(k), _unjson(v)) for k, v in params.items())))

    @property
    def text(self) -> str:
        """The English text.

        >>> msg("screen.kidney.staging.title", egfr=52.3, g="G3a").text
        'eGFR 52 (G3a); albuminuria unknown'
        """
        return render(self, ENGLISH.get)


def _json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _unjson(value: Any) -> Any:
    if isinstance(value, dict) and "key" in value:
        return Message.from_json(value)
    if isinstance(value, list):
        return tuple(_unjson(v) for v in value)
    return value


def msg(key: str, **params: Any) -> Message:
    """The message ``key`` with ``params``.

    Raises:
        Fault: ``key`` is not in :data:`ENGLISH`.

    >>> msg("screen.kidney.nonsense")
    Traceback (most recent call last):
    carehub.errors.Fault: no screening message 'screen.kidney.nonsense'
    """
    if key not in ENGLISH:
        raise Fault(f"no screening message {key!r}")
    return Message(key, tuple(sorted(params.items())))


def slug(text: str) -> str:
    """A key part for a free text (lower case, runs of other characters as ``_``).

    >>> slug("CT at 6-12 months, then CT at 18-24 months")
    'ct_at_6_12_months_then_ct_at_18_24_months'
    """
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def term(family: str, value: str) -> Message:
    """The message of an enumerated value (``screen.term.<family>.<value>``).

    >>> term("risk", "very_high").text
    'very high'
    """
    return msg(f"screen.term.{family}.{slug(value)}")


def render(message: Message, lookup: Lookup) -> str:
    """The text of ``message`` with templates from ``lookup`` (English where it has none,
    or where its template does not fit the parameters).

    >>> render(msg("screen.term.risk.low"), {"screen.term.risk.low": "thấp"}.get)
    'thấp'
    >>> render(msg("screen.term.risk.low"), {}.get)
    'low'
    """
    params: dict[str, Any] = {}
    for name, value in message.params:
        if isinstance(value, Message):
            params[name] = render(value, lookup)
        elif isinstance(value, tuple):
            params[name] = "; ".join(render(v, lookup) if isinstance(v, Message) else str(v)
                                     for v in value)
        elif isinstance(value, datetime.date):
            params[name] = value.isoformat()
        else:
            params[name] = value
    for template in (lookup(message.key), ENGLISH.get(message.key)):
        if template is None:
            continue
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError, TypeError):
            continue
    return message.key


def need(text: str) -> str:
    """The key of a ``needs`` entry (what data is missing).

    >>> need("urine ACR"), ENGLISH[need("urine ACR")]
    ('screen.need.urine_acr', 'urine ACR')
    """
    return f"screen.need.{slug(text)}"


NEEDS = (
    "urine ACR", "serum creatinine", "post-bronchodilator FEV1 and FVC",
    "systolic blood pressure", "total cholesterol", "HDL cholesterol", "smoking status",
    "WHO 2019 chart table", "NT-proBNP", "pack-years", "years since quitting",
)
"""Every ``needs`` entry the built-in programmes give (English, as stored)."""

_CAVEAT = ("Natriuretic peptides run higher with atrial fibrillation, older age and CKD, "
           "and lower with obesity.")

ENGLISH: dict[str, str] = {
    "screen.not_eligible": "Not eligible",
    # terms: enumerated values shown inside texts
    "screen.term.risk.low": "low",
    "screen.term.risk.moderate": "moderate",
    "screen.term.risk.high": "high",
    "screen.term.risk.very_high": "very high",
    "screen.term.smoking.current": "current",
    "screen.term.smoking.former": "former",
    "screen.term.smoking.never": "never",
    "screen.term.sex.male": "male",
    "screen.term.sex.female": "female",
    "screen.term.nodule.solid": "solid",
    "screen.term.nodule.part_solid": "part-solid",
    "screen.term.nodule.ground_glass": "ground-glass",
    "screen.term.times.1_if_ckd": "1 (if CKD)",
    "screen.term.times.1": "1",
    "screen.term.times.2": "2",
    "screen.term.times.3": "3",
    "screen.term.times.4": "4 or more",
    # respiratory
    "screen.respiratory.not_eligible":
        "No COPD/asthma diagnosis, no COPD-PS, and not an ever-smoker aged 40 or over.",
    "screen.respiratory.copd_ps_positive.title": "COPD-PS {score}: spirometry needed",
    "screen.respiratory.copd_ps_positive.detail":
        "COPD Population Screener score {score} (5 or more suggests COPD) on {date}; "
        "no spirometry since. Arrange post-bronchodilator spirometry.",
    "screen.respiratory.case_finding.title": "COPD case-finding due",
    "screen.respiratory.case_finding.detail":
        "Ever-smoker aged 40 or over with no COPD-PS or spirometry in 2 years: "
        "offer the COPD Population Screener.",
    "screen.respiratory.spirometry.title": "COPD without spirometry",
    "screen.respiratory.spirometry.detail":
        "Insufficient data: need post-bronchodilator spirometry to confirm and grade COPD.",
    "screen.respiratory.copd_review.title": "COPD spirometry review",
    "screen.respiratory.copd_review.detail":
        "Diagnosed COPD: spirometry and symptom review yearly; last spirometry {date}.",
    "screen.respiratory.obstruction_undiagnosed.title":
        "Airflow obstruction without a COPD diagnosis",
    "screen.respiratory.obstruction_undiagnosed.detail":
        "Post-bronchodilator FEV1/FVC {ratio:.2f} (< 0.70) on {date}: assess and record COPD.",
    "screen.respiratory.obstruction_undiagnosed.detail_graded":
        "Post-bronchodilator FEV1/FVC {ratio:.2f} (< 0.70) on {date}, GOLD {grade}: "
        "assess and record COPD.",
    "screen.respiratory.bronchodilator_response.title": "Positive bronchodilator response",
    "screen.respiratory.bronchodilator_response.detail":
        "FEV1 rose {change}% of predicted after bronchodilator (> 10%, ERS/ATS 2022): "
        "assess for asthma.",
    # kidney
    "screen.kidney.adults_only": "Adults only (age 18 or over).",
    "screen.kidney.no_risk": "No diabetes, hypertension or CKD recorded.",
    "screen.kidney.acr_missing_12m.title": "No urine ACR in 12 months",
    "screen.kidney.acr_missing_12m.detail":
        "People with diabetes or hypertension need a urine albumin-to-creatinine ratio "
        "at least once a year (KDIGO 2024 PP 2.1.1). Last ACR: {date}.",
    "screen.kidney.acr_missing_12m.detail_never":
        "People with diabetes or hypertension need a urine albumin-to-creatinine ratio "
        "at least once a year (KDIGO 2024 PP 2.1.1). No ACR on record.",
    "screen.kidney.egfr_missing_12m.title": "No creatinine/eGFR in 12 months",
    "screen.kidney.egfr_missing_12m.detail":
        "People with diabetes or hypertension need an eGFR at least once a year "
        "(KDIGO 2024 PP 2.1.1).",
    "screen.kidney.classification.title": "Kidney function unknown",
    "screen.kidney.classification.detail":
        "Insufficient data: need a serum creatinine (or eGFR) to classify kidney function.",
    "screen.kidney.staging.title": "eGFR {egfr:.0f} ({g}); albuminuria unknown",
    "screen.kidney.staging.detail":
        "Insufficient data: need a urine ACR to stage CKD (KDIGO G and A categories).",
    "screen.kidney.confirm_ckd.title": "Abnormal kidney test ({stage}): repeat to confirm",
    "screen.kidney.confirm_ckd.detail":
        "eGFR {egfr:.0f} mL/min/1.73m² and ACR {acr:.0f} mg/g: repeat eGFR and ACR at least "
        "3 months later to confirm CKD (KDIGO 2024).",
    "screen.kidney.confirm_ckd.detail_no_acr":
        "eGFR {egfr:.0f} mL/min/1.73m² and ACR unknown: repeat eGFR and ACR at least "
        "3 months later to confirm CKD (KDIGO 2024).",
    "screen.kidney.undiagnosed_ckd.title": "CKD {stage} not on the problem list",
    "screen.kidney.undiagnosed_ckd.detail":
        "Kidney tests abnormal for over 3 months ({stage}, risk {risk}); record CKD and "
        "start CKD care (KDIGO 2024).",
    "screen.kidney.undiagnosed_ckd.detail_no_acr":
        "Kidney tests abnormal for over 3 months ({stage}, no urine ACR yet); record CKD, "
        "measure urine ACR and start CKD care (KDIGO 2024).",
    "screen.kidney.monitoring.title": "Kidney monitoring {times} per year",
    "screen.kidney.monitoring.detail":
        "{stage}: eGFR and ACR {times} time(s) a year (KDIGO heat map); next due {due}.",
    "screen.kidney.monitoring.detail_undated":
        "{stage}: eGFR and ACR {times} time(s) a year (KDIGO heat map).",
    "screen.kidney.nephrology_referral.title": "Refer to nephrology",
    "screen.kidney.nephrology_referral.detail":
        "Refer to nephrology: {reasons} (KDIGO 2024 ch. 5, PP 2.2.1).",
    "screen.kidney.reason.egfr": "eGFR {egfr:.0f} ({g})",
    "screen.kidney.reason.acr": "ACR {acr:.0f} mg/g (A3)",
    "screen.kidney.reason.kfre": "5-year kidney-failure risk {pct:.1f}% (KFRE)",
    # heart failure
    "screen.heart_failure.not_eligible":
        "No heart failure, and not 40 or over with diabetes, hypertension or CKD.",
    "screen.heart_failure.hf_review.title": "Heart-failure review (NT-proBNP)",
    "screen.heart_failure.hf_review.detail":
        "Diagnosed heart failure: NT-proBNP and review yearly; last NT-proBNP {value:.0f} pg/mL "
        "on {date}.",
    "screen.heart_failure.hf_review.detail_never":
        "Diagnosed heart failure: NT-proBNP and review yearly; no NT-proBNP on record.",
    "screen.heart_failure.ntprobnp_due.title": "NT-proBNP screening due",
    "screen.heart_failure.ntprobnp_due.detail":
        "At risk of heart failure (diabetes, hypertension or CKD, age 40+): "
        "measure NT-proBNP yearly (ADA/ACC 2022 consensus).",
    "screen.heart_failure.ntprobnp_raised.title": "NT-proBNP {value:.0f} pg/mL: echocardiography",
    "screen.heart_failure.ntprobnp_raised.detail":
        "NT-proBNP {value:.0f} pg/mL on {date} is not below 125 pg/mL (ESC 2021 non-acute "
        "rule-out): arrange echocardiography. " + _CAVEAT,
    "screen.heart_failure.ntprobnp_normal.title": "Heart failure unlikely",
    "screen.heart_failure.ntprobnp_normal.detail":
        "NT-proBNP {value:.0f} pg/mL on {date} (< 125): heart failure unlikely; repeat yearly. "
        + _CAVEAT,
    # cardiovascular
    "screen.cardiovascular.ages": "Risk charts cover ages 40-74.",
    "screen.cardiovascular.established_cvd":
        "Established cardiovascular disease: secondary prevention.",
    "screen.cardiovascular.sex_needed": "Sex needed for the risk equations.",
    "screen.cardiovascular.score_not_applicable": "{reason}",
    "screen.cardiovascular.risk_data.title": "Cardiovascular risk: data missing",
    "screen.cardiovascular.risk_data.detail":
        "Insufficient data: need {missing} (within 12 months) to estimate "
        "10-year cardiovascular risk.",
    "screen.cardiovascular.who_chart.title": "Cardiovascular risk: WHO chart not configured",
    "screen.cardiovascular.who_chart.detail":
        "With diabetes or at 70-74 the WHO 2019 chart applies, and no chart table is "
        "configured (CAREHUB_WHO_CVD_CHART).",
    "screen.cardiovascular.ten_year_risk.title": "10-year CVD risk {pct:g}% ({group})",
    "screen.cardiovascular.ten_year_risk.detail":
        "{guideline}: 10-year risk {pct:g}% ({group}) from SBP {sbp:.0f} mmHg, total "
        "cholesterol {chol:.1f} and HDL {hdl:.1f} mmol/L, {profile}.",
    "screen.cardiovascular.ten_year_risk.detail_treat":
        "{guideline}: 10-year risk {pct:g}% ({group}) from SBP {sbp:.0f} mmHg, total "
        "cholesterol {chol:.1f} and HDL {hdl:.1f} mmol/L, {profile}. Treat blood pressure "
        "and lipids; stop smoking.",
    "screen.cardiovascular.profile.smoker": "current smoker",
    "screen.cardiovascular.profile.smoker_diabetes": "current smoker, diabetes",
    "screen.cardiovascular.profile.non_smoker": "non-smoker",
    "screen.cardiovascular.profile.non_smoker_diabetes": "non-smoker, diabetes",
    # liver
    "screen.liver.not_eligible": "No chronic hepatitis B or C recorded (adults).",
    "screen.liver.afp_raised.title": "AFP {afp:g} ng/mL: contrast imaging",
    "screen.liver.afp_raised.detail":
        "AFP {afp:g} ng/mL on {date} (> {threshold:g}) in chronic viral hepatitis: arrange "
        "multiphase CT or MRI (MOH 3129/QĐ-BYT).",
    "screen.liver.eligibility.title": "HCC surveillance not indicated",
    "screen.liver.eligibility.detail":
        "{reason}: below the AASLD 2018 surveillance thresholds; reassess with age or if "
        "cirrhosis develops.",
    "screen.liver.surveillance.title": "Liver ultrasound + AFP every 6 months",
    "screen.liver.surveillance.detail":
        "{reason}: HCC surveillance with ultrasound and AFP every 6 months; last ultrasound "
        "{date}.",
    "screen.liver.surveillance.detail_never":
        "{reason}: HCC surveillance with ultrasound and AFP every 6 months; no ultrasound on "
        "record.",
    "screen.liver.reason.hbv_cirrhosis": "HBV with cirrhosis",
    "screen.liver.reason.hbv": "HBV, {sex} aged {age}",
    "screen.liver.reason.hcv_cirrhosis": "HCV with cirrhosis (APASL 2017)",
    "screen.liver.reason.chronic_hepatitis": "Chronic hepatitis",
    # lung cancer
    "screen.lung_cancer.under_35": "Under 35: neither screening nor Fleischner applies.",
    "screen.lung_cancer.known_cancer": "Known lung cancer: follow the oncology pathway.",
    "screen.lung_cancer.not_eligible":
        "Not eligible for screening: age {age}, {status} smoker, {pack_years:.0f} pack-years "
        "(USPSTF 2021).",
    "screen.lung_cancer.smoking_history.title": "Smoking history missing",
    "screen.lung_cancer.smoking_history.detail":
        "Insufficient data: need smoking status and pack-years to decide "
        "lung-cancer screening eligibility (USPSTF 2021).",
    "screen.lung_cancer.quit_date.title": "Quit date missing",
    "screen.lung_cancer.quit_date.detail":
        "Insufficient data: need years since quitting (former smoker).",
    "screen.lung_cancer.ldct_due.title": "Low-dose CT screening due",
    "screen.lung_cancer.ldct_due.detail":
        "Eligible for lung-cancer screening (USPSTF 2021) and never screened: "
        "offer annual low-dose CT.",
    "screen.lung_cancer.lung_rads_4b.title": "Lung-RADS {category}: diagnostic work-up",
    "screen.lung_cancer.lung_rads_4b.detail":
        "Low-dose CT of {date}: Lung-RADS {category}. {management}: refer to the "
        "lung-nodule clinic.",
    "screen.lung_cancer.lung_rads_4b.detail_nodule":
        "Low-dose CT of {date}: Lung-RADS {category} ({type} nodule {size} mm). {management}: "
        "refer to the lung-nodule clinic.",
    "screen.lung_cancer.ldct_follow_up.title": "Lung-RADS {category}: {management}",
    "screen.lung_cancer.ldct_follow_up.detail":
        "Low-dose CT of {date}: Lung-RADS {category}; {management} (next {due}).",
    "screen.lung_cancer.fleischner_workup.title": "Incidental nodule: work-up",
    "screen.lung_cancer.fleischner_workup.detail": "{advice}",
    "screen.lung_cancer.fleischner_follow_up.title":
        "Incidental lung nodule {size} mm: follow-up CT",
    "screen.lung_cancer.fleischner_follow_up.detail":
        "Chest CT of {date}: {type} nodule {size} mm. Fleischner 2017: {advice}.",
    # cancer
    "screen.cancer.under_25": "Cancer screening starts at 25 at the earliest.",
    "screen.cancer.none_at_age": "No cancer screening recommended at age {age}.",
    "screen.cancer.cervical_hpv_positive.title": "HPV positive: triage",
    "screen.cancer.cervical_hpv_positive.detail":
        "HPV-DNA positive on {date}: triage (VIA/cytology/colposcopy) per WHO 2021.",
    "screen.cancer.cervical.title": "Cervical screening (HPV-DNA)",
    "screen.cancer.cervical.detail":
        "Women 30+: HPV-DNA every {years} years; {last}",
    "screen.cancer.cervical.detail_hiv":
        "Women living with HIV 25+: HPV-DNA every {years} years; {last}",
    "screen.cancer.cervical.last": "last test {date}.",
    "screen.cancer.cervical.never": "no test on record.",
    "screen.cancer.breast.title": "Mammography every 2 years",
    "screen.cancer.breast.detail": "Women 40-74: biennial mammography (USPSTF 2024); {last}",
    "screen.cancer.breast.last": "last mammogram {date}.",
    "screen.cancer.breast.never": "no mammogram on record.",
    "screen.cancer.colorectal.title": "Colorectal screening",
    "screen.cancer.colorectal.detail":
        "Adults 45-75 (grade {grade}): yearly FIT or colonoscopy every 10 years; {last}",
    "screen.cancer.colorectal.last": "last test on record.",
    "screen.cancer.colorectal.never": "no FIT or colonoscopy on record.",
    "screen.cancer.gastric.title": "Opportunistic gastric endoscopy",
    "screen.cancer.gastric.detail":
        "Age 40+ in a high-incidence country: offer upper endoscopy every 2 years "
        "and H. pylori test-and-treat (opportunistic; no national programme).",
}
"""Every message key and its English template."""


def _clinical_terms() -> dict[str, str]:
    """Terms whose English text comes from the clinical calculators' tables:
    Lung-RADS management by category and Fleischner advice by text."""
    from carehub.clinical.lung.fleischner import ADVICE_TEXTS
    from carehub.clinical.lung.lung_rads import MANAGEMENT

    out = {f"screen.term.lung_rads.{slug(cat)}": text for cat, text in MANAGEMENT.items()}
    out.update({f"screen.term.fleischner.{slug(text)}": text for text in ADVICE_TEXTS})
    return out


ENGLISH.update(_clinical_terms())
ENGLISH.update({need(text): text for text in NEEDS})
