"""Write screening results back to the FHIR hub as Task, RiskAssessment and DetectedIssue.

https://hl7.org/fhir/R4/task.html · https://hl7.org/fhir/R4/riskassessment.html ·
https://hl7.org/fhir/R4/detectedissue.html

* every actionable recommendation becomes a **Task** (``intent`` plan, the
  rule as ``code``, the explanation as ``description``, the due date as
  ``restriction.period.end``, the data used as ``input``);
* every recommendation with computed values (risk, category, score) becomes
  a **RiskAssessment**;
* every ``positive`` or ``referral`` finding becomes a **DetectedIssue**.

Ids are derived from the patient and the rule (``scr-…``), so re-running
updates the same resources instead of adding new ones, and nothing is
written when the content did not change. A Task a user has already worked on
(status other than ``requested``) keeps its status and ``businessStatus``. A
Task of an earlier run that the new run no longer produces is ``cancelled``.
Every resource is validated before it is written.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from carehub.fhir_model.validation import validate
from carehub.screening.recommendation import Recommendation
from carehub.storage.base import ResourceStore

RULE_SYSTEM = "https://carehub.vn/fhir/CodeSystem/screening-rule"
STATUS_SYSTEM = "https://carehub.vn/fhir/CodeSystem/screening-status"
TAG_SYSTEM = "https://carehub.vn/fhir/CodeSystem/carehub-tag"
TAG = {"system": TAG_SYSTEM, "code": "screening", "display": "Written by CareHub screening"}
USER_KEPT = ("status", "businessStatus", "note", "owner", "executionPeriod")
"""Task elements a user may have changed, kept when a re-run updates the Task."""


def resource_id(kind: str, patient_id: str, key: str) -> str:
    """The stable id of the ``kind`` resource for one patient and rule (FHIR id syntax).

    >>> resource_id("task", "Patient/p1", "kidney.acr_missing_12m")
    'scr-task-0fca575281410f53e38e30b2'
    """
    digest = hashlib.sha256(f"{patient_id}|{key}".encode()).hexdigest()[:24]
    return f"scr-{kind}-{digest}"


def _rule(rec: Recommendation) -> dict[str, Any]:
    return {"coding": [{"system": RULE_SYSTEM, "code": rec.key, "display": rec.title[:200]}],
            "text": rec.title}


def _evidence(rec: Recommendation) -> list[dict[str, Any]]:
    refs = sorted({d.source for d in rec.data_used if d.source})
    return [{"reference": r} for r in refs]


def _head(resource_type: str, kind: str, rec: Recommendation) -> dict[str, Any]:
    """Type, stable id, tag and rule identifier shared by every written resource."""
    return {
        "resourceType": resource_type,
        "id": resource_id(kind, rec.patient_id, rec.key),
        "meta": {"tag": [TAG]},
        "identifier": [{"system": RULE_SYSTEM, "value": f"{rec.patient_id}|{rec.key}"}],
    }


def task(rec: Recommendation, as_of: datetime.date) -> dict[str, Any]:
    """The Task of an actionable recommendation."""
    body: dict[str, Any] = {
        **_head("Task", "task", rec),
        "status": "requested",
        "businessStatus": {
            "coding": [{"system": STATUS_SYSTEM, "code": rec.status}], "text": rec.status,
        },
        "intent": "plan",
        "priority": "urgent" if rec.status == "referral" else "routine",
        "code": _rule(rec),
        "description": rec.detail,
        "for": {"reference": rec.patient_id},
        "authoredOn": as_of.isoformat(),
        "reasonCode": {"text": rec.guideline},
    }
    if rec.due_date is not None:
        body["restriction"] = {"period": {"end": rec.due_date.isoformat()}}
    evidence = _evidence(rec)
    if evidence:
        body["input"] = [
            {"type": {"text": "data used"}, "valueReference": ref} for ref in evidence
        ]
    return body


def risk_assessment(rec: Recommendation, as_of: datetime.date) -> dict[str, Any]:
    """The RiskAssessment of a recommendation with computed values."""
    values = dict(rec.values)
    prediction: dict[str, Any] = {"outcome": {"text": rec.title}}
    for name in ("ten_year_risk_pct", "kfre_5y_pct"):
        if isinstance(values.get(name), (int, float)):
            prediction["probabilityDecimal"] = round(float(values[name]) / 100.0, 4)
            break
    label = values.get("risk_group") or values.get("risk") or values.get("lung_rads")
    if label is not None:
        prediction["qualitativeRisk"] = {"text": str(label)}
    body: dict[str, Any] = {
        **_head("RiskAssessment", "risk", rec),
        "status": "final",
        "method": {"text": rec.guideline},
        "code": _rule(rec),
        "subject": {"reference": rec.patient_id},
        "occurrenceDateTime": as_of.isoformat(),
        "prediction": [prediction],
        "note": [{"text": rec.detail + " Values: " + orjson.dumps(values, default=str).decode()}],
    }
    basis = _evidence(rec)
    if basis:
        body["basis"] = basis
    return body


def detected_issue(rec: Recommendation, as_of: datetime.date) -> dict[str, Any]:
    """The DetectedIssue of a positive or referral finding."""
    body: dict[str, Any] = {
        **_head("DetectedIssue", "issue", rec),
        "status": "final",
        "code": _rule(rec),
        "severity": "high" if rec.status == "referral" else "moderate",
        "patient": {"reference": rec.patient_id},
        "identifiedDateTime": as_of.isoformat(),
        "detail": rec.detail,
        "reference": RULE_SYSTEM,
    }
    evidence = _evidence(rec)
    if evidence:
        body["evidence"] = [{"detail": evidence}]
    return body


def resources_for(recs: Iterable[Recommendation], as_of: datetime.date) -> list[dict[str, Any]]:
    """Every FHIR resource the recommendations of one run produce."""
    out: list[dict[str, Any]] = []
    for rec in recs:
        if rec.actionable:
            out.append(task(rec, as_of))
        if rec.values and rec.status != "not_eligible":
            out.append(risk_assessment(rec, as_of))
        if rec.status in ("positive", "referral"):
            out.append(detected_issue(rec, as_of))
    return out


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "meta"} | {
        "meta": {"tag": body.get("meta", {}).get("tag")}
    }


@dataclass(slots=True)
class WriteReport:
    """Counts of one write-back."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0


def write_back(
    store: ResourceStore,
    resources: Sequence[dict[str, Any]],
    previous_task_ids: Iterable[str] = (),
    batch: int = 500,
) -> WriteReport:
    """Write ``resources`` idempotently and cancel earlier Tasks no longer produced.

    Raises:
        Invalid: a generated resource is not valid FHIR R4 (a bug; nothing of
            that batch is written).
    """
    report = WriteReport()
    for start in range(0, len(resources), batch):
        chunk = resources[start : start + batch]
        for body in chunk:
            validate(body)
        with store.session(write=True) as session:
            for body in chunk:
                locked = session.lock(body["resourceType"], body["id"])
                current = (
                    session.read(body["resourceType"], body["id"]) if locked is not None else None
                )
                if current is not None and not current.deleted and current.body is not None:
                    old = orjson.loads(current.body)
                    if body["resourceType"] == "Task" and old.get("status") != "requested":
                        for name in USER_KEPT:
                            if name in old:
                                body[name] = old[name]
                    if _comparable(old) == _comparable(body):
                        report.unchanged += 1
                        continue
                    report.updated += 1
                else:
                    report.created += 1
                session.put(dict(body))
    produced = {b["id"] for b in resources if b["resourceType"] == "Task"}
    stale = sorted(set(previous_task_ids) - produced)
    for start in range(0, len(stale), batch):
        with store.session(write=True) as session:
            for tid in stale[start : start + batch]:
                current = session.read("Task", tid) if session.lock("Task", tid) else None
                if current is None or current.deleted or current.body is None:
                    continue
                old = orjson.loads(current.body)
                if old.get("status") in ("cancelled", "completed"):
                    continue
                old["status"] = "cancelled"
                old.pop("meta", None)
                old["meta"] = {"tag": [TAG]}
                session.put(old)
                report.cancelled += 1
    return report
