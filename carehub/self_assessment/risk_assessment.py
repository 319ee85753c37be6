"""The FHIR resources of a scored self-assessment: a RiskAssessment and the ``$score`` output.

https://hl7.org/fhir/R4/riskassessment.html · https://hl7.org/fhir/R4/parameters.html

The RiskAssessment names the instrument (``method``), the response it is based
on (``basis``), the qualitative risk (risk-probability codes), and carries the
advice in Vietnamese with the English translation extension (``note``,
``mitigation``). ``$score`` answers a Parameters resource holding the
RiskAssessment, the computed values, the advice per language and the next step
(a code, its text and the booking link).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from carehub.self_assessment.questionnaires import bilingual
from carehub.self_assessment.scoring import Assessment

RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
METHOD_SYSTEM = "urn:carehub:self-assessment"
NEXT_STEP_SYSTEM = "urn:carehub:self-assessment:next-step"


def risk_assessment(
    assessment: Assessment, response: Mapping[str, Any], now: datetime.datetime
) -> dict[str, Any]:
    """The RiskAssessment of ``assessment`` for the person who answered ``response``.

    >>> from carehub.self_assessment.scoring import score_copd_ps
    >>> a = score_copd_ps({"q1": "none", "q2": "never", "q3": "disagree", "q4": "no", "q5": 40})
    >>> ra = risk_assessment(a, {"subject": {"reference": "Patient/p1"}},
    ...                      datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    >>> ra["prediction"][0]["qualitativeRisk"]["coding"][0]["code"], ra["subject"]["reference"]
    ('low', 'Patient/p1')
    """
    out: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "method": {"coding": [{"system": METHOD_SYSTEM, "code": assessment.instrument,
                               "display": assessment.guideline}]},
        "occurrenceDateTime": now.isoformat(),
        "prediction": [{
            "outcome": bilingual(assessment.outcome.vi, assessment.outcome.en),
            "qualitativeRisk": {"coding": [{"system": RISK_PROBABILITY,
                                            "code": assessment.risk}]},
        }],
        "mitigation": assessment.next_step.text.vi,
        "_mitigation": bilingual("", assessment.next_step.text.en)["_text"],
        "note": [bilingual(assessment.advice.vi, assessment.advice.en)],
    }
    if isinstance(response.get("subject"), Mapping):
        out["subject"] = dict(response["subject"])
    if response.get("id"):
        out["basis"] = [{"reference": f"QuestionnaireResponse/{response['id']}"}]
    return out


def _value_part(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"name": name, "valueBoolean": value}
    if isinstance(value, int):
        return {"name": name, "valueInteger": value}
    if isinstance(value, float):
        return {"name": name, "valueDecimal": value}
    return {"name": name, "valueString": str(value)}


def score_parameters(
    assessment: Assessment, risk: Mapping[str, Any], booking_url: str
) -> dict[str, Any]:
    """The ``$score`` output: RiskAssessment, values, advice (vi, en) and next step."""
    step = assessment.next_step
    step_parts: list[dict[str, Any]] = [
        {"name": "code", "valueCoding": {"system": NEXT_STEP_SYSTEM, "code": step.code}},
        {"name": "text", "valueString": step.text.vi, "_valueString": bilingual(
            "", step.text.en)["_text"]},
    ]
    if step.code.startswith("book-"):
        step_parts.append({"name": "url", "valueUrl": booking_url})
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "riskAssessment", "resource": dict(risk)},
            {"name": "risk", "valueCode": assessment.risk},
            {"name": "urgent", "valueBoolean": assessment.urgent},
            *[_value_part(k, v) for k, v in assessment.values.items()],
            {"name": "advice", "part": [
                {"name": "vi", "valueString": assessment.advice.vi},
                {"name": "en", "valueString": assessment.advice.en},
            ]},
            {"name": "nextStep", "part": step_parts},
        ],
    }
