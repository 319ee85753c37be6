"""The resources of one patient as they are built, before serialisation.

A :class:`Record` collects the resources of one patient by type, hands out
their ids (``<patient id>-<tag><n>``, unique in the run) and remembers each
admission's ward and period for bed allocation (:mod:`carehub.synth.beds`).
Builders append plain dicts; nothing is validated or copied on the way.
"""

from __future__ import annotations

from typing import Any

from carehub.synth.calendar import HospitalCalendar

RESOURCE_TYPES = (
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "QuestionnaireResponse",
    "ImagingStudy",
    "MedicationDispense",
    "SupplyDelivery",
)
"""Per-patient resource types, in the order their files are listed."""
FACILITY_TYPES = ("Organization", "Location", "Practitioner", "PractitionerRole", "Questionnaire")
"""Resource types describing the hospital itself."""
ALL_TYPES = FACILITY_TYPES + RESOURCE_TYPES

_TAGS = {
    "Encounter": "e",
    "Condition": "c",
    "Observation": "o",
    "QuestionnaireResponse": "q",
    "ImagingStudy": "i",
    "MedicationDispense": "d",
    "SupplyDelivery": "s",
}

Admission = tuple[str, int, int]
"""``(ward, start minute, end minute or -1 when still admitted)``; minutes since day 0."""


class Record:
    """The growing set of resources of patient ``patient_id``.

    >>> rec = Record("p0000001", None)  # type: ignore[arg-type]
    >>> rec.new_id("Observation"), rec.new_id("Observation"), rec.new_id("Encounter")
    ('p0000001-o1', 'p0000001-o2', 'p0000001-e1')
    """

    __slots__ = ("_counts", "admissions", "cal", "patient_id", "resources", "subject")

    def __init__(self, patient_id: str, cal: HospitalCalendar) -> None:
        self.patient_id = patient_id
        self.cal = cal
        self.subject = {"reference": f"Patient/{patient_id}"}
        self.resources: dict[str, list[dict[str, Any]]] = {t: [] for t in RESOURCE_TYPES}
        self.admissions: list[Admission] = []
        self._counts = dict.fromkeys(_TAGS, 0)

    def new_id(self, resource_type: str) -> str:
        """The next id for a resource of ``resource_type`` of this patient."""
        n = self._counts[resource_type] + 1
        self._counts[resource_type] = n
        return f"{self.patient_id}-{_TAGS[resource_type]}{n}"

    def add(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Append ``resource`` (which has its ``resourceType``) and return it."""
        self.resources[resource["resourceType"]].append(resource)
        return resource
