"""Encounter and Condition resources.

https://hl7.org/fhir/R4/encounter.html and https://hl7.org/fhir/R4/condition.html

Encounters are ``finished`` except admissions still running on the end date
(``in-progress``, no ``period.end``). Class is v3 ActCode ``AMB``, ``EMER``
or ``IMP``; ``serviceType`` and ``serviceProvider`` name the department. An
admission lists its ward and its bed in ``location``, each with the period
of the stay, which is enough to count the patients of every ward (or bed)
on any day. Until beds are allocated (:mod:`carehub.synth.beds`), the bed
reference carries the placeholder :data:`BED_PLACEHOLDER` in place of the
bed number.

Chronic conditions are ``problem-list-item`` Conditions, active since their
diagnosis; acute problems are ``encounter-diagnosis`` Conditions, resolved
when the episode ends.
"""

from __future__ import annotations

from typing import Any

from carehub.synth import systems
from carehub.synth.activity import Visit
from carehub.synth.calendar import HospitalCalendar
from carehub.synth.facility import DEPARTMENTS
from carehub.synth.record import Record

BED_PLACEHOLDER = "?????"
"""Stands for the 5-digit bed number in ``Location/bed-<ward>-?????`` until allocation."""


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        out["text"] = text
    return out


CLASSES = {
    "AMB": {"system": systems.V3_ACT_CODE, "code": "AMB", "display": "ambulatory"},
    "EMER": {"system": systems.V3_ACT_CODE, "code": "EMER", "display": "emergency"},
    "IMP": {"system": systems.V3_ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
}
VISIT_TYPES = {
    kind: [_concept(systems.VISIT_TYPE, kind, display, display)]
    for kind, display in (
        ("followup", "Tái khám bệnh mạn tính"),
        ("acute", "Khám bệnh"),
        ("checkup", "Khám sức khỏe định kỳ"),
        ("spirometry", "Đo chức năng hô hấp"),
        ("ldct", "Sàng lọc ung thư phổi bằng CT liều thấp"),
        ("cervical", "Sàng lọc ung thư cổ tử cung"),
        ("breast", "Sàng lọc ung thư vú"),
        ("emergency", "Cấp cứu"),
        ("admission", "Điều trị nội trú"),
    )
}
_ATTENDER = [_concept(systems.PARTICIPATION_TYPE, "ATND", "attender")]
_ADMIT_SOURCE = {
    "emd": _concept(systems.ADMIT_SOURCE, "emd", "From accident/emergency department"),
    "outp": _concept(systems.ADMIT_SOURCE, "outp", "From outpatient department"),
}
_DISPOSITION = {
    "home": _concept(systems.DISCHARGE_DISPOSITION, "home", "Home"),
    "aadvice": _concept(systems.DISCHARGE_DISPOSITION, "aadvice", "Left against advice"),
    "other-hcf": _concept(systems.DISCHARGE_DISPOSITION, "other-hcf", "Other healthcare facility"),
    "exp": _concept(systems.DISCHARGE_DISPOSITION, "exp", "Expired"),
}
_ACTIVE = _concept(systems.CONDITION_CLINICAL, "active", "Active")
_RESOLVED = _concept(systems.CONDITION_CLINICAL, "resolved", "Resolved")
_CONFIRMED = _concept(systems.CONDITION_VER_STATUS, "confirmed", "Confirmed")
_PROBLEM = [_concept(systems.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")]
_DIAGNOSIS = [_concept(systems.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")]
_DISCHARGE_DIAGNOSIS = _concept(systems.DIAGNOSIS_ROLE, "DD", "Discharge diagnosis")


def encounter(
    rec: Record,
    cal: HospitalCalendar,
    visit: Visit,
    doctor: dict[str, str],
    condition: dict[str, str] | None,
) -> dict[str, Any]:
    """Add the Encounter of ``visit``; return it."""
    dept = DEPARTMENTS[visit.department]
    period = {"start": cal.stamp(visit.day, visit.minute)}
    if not visit.in_progress:
        period["end"] = cal.stamp(visit.day, visit.minute + visit.minutes)
    status = "in-progress" if visit.in_progress else "finished"
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": rec.new_id("Encounter"),
        "status": status,
        "class": CLASSES[visit.cls],
        "type": VISIT_TYPES[visit.kind],
        "serviceType": dept.service_type,
        "subject": rec.subject,
        "participant": [{"type": _ATTENDER, "individual": doctor}],
        "period": period,
    }
    if visit.reason:
        resource["reasonCode"] = [visit.reason.code]
    if condition:
        diagnosis: dict[str, Any] = {"condition": condition, "rank": 1}
        if visit.cls == "IMP":
            diagnosis["use"] = _DISCHARGE_DIAGNOSIS
        resource["diagnosis"] = [diagnosis]
    place_status = "active" if visit.in_progress else "completed"
    if visit.cls == "IMP":
        hospitalization: dict[str, Any] = {"admitSource": _ADMIT_SOURCE[visit.admit_source]}
        if not visit.in_progress:
            hospitalization["dischargeDisposition"] = _DISPOSITION[visit.disposition]
        resource["hospitalization"] = hospitalization
        bed = {"reference": f"Location/bed-{dept.code}-{BED_PLACEHOLDER}"}
        resource["location"] = [
            {"location": dept.ward_ref, "status": place_status, "period": period},
            {"location": bed, "status": place_status, "period": period},
        ]
    else:
        resource["location"] = [
            {"location": dept.loc_ref, "status": place_status, "period": period}
        ]
    resource["serviceProvider"] = dept.org_ref
    return rec.add(resource)


def chronic_condition(
    rec: Record, code: dict[str, Any], onset: str, encounter_ref: dict[str, str] | None
) -> dict[str, str]:
    """Add an active problem-list Condition diagnosed on ``onset``; return its reference."""
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": rec.new_id("Condition"),
        "clinicalStatus": _ACTIVE,
        "verificationStatus": _CONFIRMED,
        "category": _PROBLEM,
        "code": code,
        "subject": rec.subject,
    }
    if encounter_ref:
        resource["encounter"] = encounter_ref
    resource["onsetDateTime"] = onset
    resource["recordedDate"] = onset
    rec.add(resource)
    return {"reference": f"Condition/{resource['id']}"}


def episode_condition(
    rec: Record,
    condition_id: str,
    code: dict[str, Any],
    encounter_ref: dict[str, str],
    onset: str,
    end: str | None,
) -> None:
    """Add encounter-diagnosis Condition ``condition_id``, resolved at ``end`` (or active)."""
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": condition_id,
        "clinicalStatus": _RESOLVED if end else _ACTIVE,
        "verificationStatus": _CONFIRMED,
        "category": _DIAGNOSIS,
        "code": code,
        "subject": rec.subject,
        "encounter": encounter_ref,
        "onsetDateTime": onset,
    }
    if end:
        resource["abatementDateTime"] = end
    resource["recordedDate"] = onset
    rec.add(resource)
