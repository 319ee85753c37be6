"""Everything the patient summary shows, read through the hub in one store session.

https://hl7.org/fhir/R4/patient.html and https://hl7.org/fhir/R4/search.html

:func:`load_record` reads the Patient and searches, by the indexed
``patient`` reference, each resource type the summary needs (one query per
type, bounded by :data:`LIMITS`; no scans), so its cost depends on the
patient's own record and not on the size of the store. The storage guard
sees every access (scopes, department, audit).

:func:`screening_of` evaluates the screening programmes on the record
(:func:`carehub.screening.evaluate.evaluate_patient` over
:func:`carehub.screening.fhir_snapshot.snapshot_from_resources`), and
:func:`cds_cards` calls the built-in ``patient-view`` CDS service in-process
with the record as its prefetch.

Failure modes: an unknown or unreadable patient gives ``None`` (the page
answers 404); :class:`~carehub.errors.Forbidden` when the user may not read
patients at all.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from carehub.cds_hooks.discovery import ServiceCall
from carehub.cds_hooks.models import Card, parse_request
from carehub.cds_hooks.services import patient_view
from carehub.errors import Forbidden
from carehub.fhir_api.hub import Hub
from carehub.screening.evaluate import evaluate_patient
from carehub.screening.fhir_snapshot import snapshot_from_resources
from carehub.screening.recommendation import Recommendation

Resource = dict[str, Any]
LIMITS: Mapping[str, tuple[str, int, str | None]] = {
    "Condition": ("patient", 200, None),
    "Observation": ("patient", 1000, None),
    "MedicationRequest": ("patient", 200, None),
    "MedicationDispense": ("patient", 200, None),
    "AllergyIntolerance": ("patient", 100, None),
    "Encounter": ("patient", 10, "-date"),
    "Procedure": ("patient", 200, None),
    "ImagingStudy": ("patient", 100, None),
    "QuestionnaireResponse": ("patient", 100, None),
    "Task": ("patient", 200, None),
}
"""Type → (reference parameter, most resources read, sort)."""


@dataclass(slots=True)
class PatientRecord:
    """The Patient and its resources by type."""

    patient: Resource
    by_type: dict[str, list[Resource]] = field(default_factory=dict)

    def of(self, resource_type: str) -> list[Resource]:
        """The resources of one type (empty when none or not readable)."""
        return self.by_type.get(resource_type, [])

    def resources(self) -> list[Resource]:
        """The Patient followed by every resource read."""
        return [self.patient, *(r for rs in self.by_type.values() for r in rs)]


def load_record(hub: Hub, patient_id: str) -> PatientRecord | None:
    """The record of ``patient_id``, or None when it is unknown or hidden from the user.

    Types the user may not search are left out, not fatal (a pharmacist sees
    no Procedures, say).

    Raises:
        Forbidden: the user may not read Patients.
    """
    with hub.store.session() as session:
        stored = session.read("Patient", patient_id)
        if stored is None or stored.deleted or stored.body is None:
            return None
        record = PatientRecord(orjson.loads(stored.body))
        for rtype, (param, limit, sort) in LIMITS.items():
            items = [(param, f"Patient/{patient_id}"), ("_count", str(limit))]
            if sort:
                items.append(("_sort", sort))
            try:
                page = session.search(hub.parser.parse(rtype, items))
            except Forbidden:
                continue
            record.by_type[rtype] = [orjson.loads(m.body) for m in page.matches
                                     if m.body is not None]
    return record


def screening_of(record: PatientRecord, as_of: datetime.date) -> list[Recommendation]:
    """Every programme's recommendation for the patient as of ``as_of``."""
    snapshot = snapshot_from_resources(record.resources(), as_of)
    return evaluate_patient(snapshot)


def cds_cards(
    record: PatientRecord, as_of: datetime.date
) -> list[tuple[Card, Recommendation | None]]:
    """The cards of the ``patient-view`` screening service for this record, each with
    the recommendation it shows (None for the missing-data card)."""
    pid = str(record.patient.get("id"))
    prefetch: dict[str, Any] = {"patient": record.patient}
    for key, rtype in (("conditions", "Condition"), ("observations", "Observation"),
                       ("medications", "MedicationRequest"), ("procedures", "Procedure"),
                       ("imaging", "ImagingStudy"), ("responses", "QuestionnaireResponse")):
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset",
                         "entry": [{"resource": r} for r in record.of(rtype)]}
    request = parse_request({
        "hook": "patient-view", "hookInstance": f"carehub-web-{pid}",
        "context": {"userId": "Practitioner/carehub-web", "patientId": pid},
        "prefetch": prefetch,
    }, "patient-view")
    return patient_view.reviewed(ServiceCall(request, prefetch, as_of))


def concept_text(concept: Mapping[str, Any] | None) -> str:
    """The text of a CodeableConcept (text, else the first coding's display or code).

    >>> concept_text({"coding": [{"code": "E11", "display": "Type 2 diabetes"}]})
    'Type 2 diabetes'
    >>> concept_text(None)
    ''
    """
    if not concept:
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if coding.get("display") or coding.get("code"):
            return str(coding.get("display") or coding.get("code"))
    return ""


def first_code(concept: Mapping[str, Any] | None) -> str:
    """The first coding's code.

    >>> first_code({"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"}]})
    'E11'
    """
    for coding in (concept or {}).get("coding") or []:
        if coding.get("code"):
            return str(coding["code"])
    return ""


def newest_first(resources: Sequence[Resource], *paths: str) -> list[Resource]:
    """``resources`` sorted by the first date found at ``paths`` (dotted), newest first.

    >>> [r["id"] for r in newest_first([{"id": "a", "d": "2024"}, {"id": "b", "d": "2025"}], "d")]
    ['b', 'a']
    """
    def when(r: Resource) -> str:
        for path in paths:
            value: Any = r
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str):
                return value
        return ""

    return sorted(resources, key=when, reverse=True)
