"""One treatment episode (đợt điều trị, MA_LK) gathered from FHIR R4 resources.

https://hl7.org/fhir/R4/encounter.html — QĐ 130/QĐ-BYT keys every table of an
episode by ``MA_LK``; CareHub uses the Encounter id (at most 64 characters, within
the 100 allowed).

What belongs to the episode of Encounter *E* of Patient *P*:

* Conditions of *E* (``Condition.encounter`` or ``Encounter.diagnosis``);
* MedicationDispenses whose ``context`` is *E*; Observations of *E*;
* SupplyDeliveries to *P* (``SupplyDelivery.patient``) during *E*'s period,
  since R4 SupplyDelivery cannot name an encounter;
* *P*'s Coverage whose identifier is the BHYT card (MA_DKBD, validity);
* Appointments naming *E* in ``supportingInformation`` (re-visit, XML14);
* Practitioners referenced by the above (their CCHN is MA_BAC_SI).

Reading goes through the :class:`FhirReader` protocol; :class:`MemoryReader`
serves resources held in memory (tests, NDJSON folders).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from carehub.errors import Incorrect, NotFound
from carehub.synth import systems

Resource = dict[str, Any]

SICK_LEAVE_SYSTEM = "https://carehub.vn/fhir/CodeSystem/vn-insurance"
"""CareHub codes for insurance papers recorded as Observations."""
SICK_LEAVE_CODE = "sick-leave"
"""Observation code of a sick-leave certificate (XML11): ``valuePeriod`` is the leave."""
COVERAGE_CLASS = "https://carehub.vn/fhir/CodeSystem/vn-coverage-class"
"""``Coverage.class.type`` system; code ``dkbd`` holds the registered primary-care facility."""


class FhirReader(Protocol):
    """Where episodes are read from."""

    def read(self, resource_type: str, id: str) -> Resource | None:
        """The current resource, or None."""
        ...

    def for_patient(self, resource_type: str, patient_id: str) -> list[Resource]:
        """Every resource of ``resource_type`` about Patient ``patient_id``."""
        ...

    def encounters_between(self, start: str, end: str) -> list[Resource]:
        """Finished Encounters ending on days ``start`` .. ``end`` (``YYYY-MM-DD``)."""
        ...


class MemoryReader:
    """A :class:`FhirReader` over resources held in memory.

    >>> r = MemoryReader([{"resourceType": "Patient", "id": "p1"}])
    >>> r.read("Patient", "p1")["id"], r.read("Patient", "p2")
    ('p1', None)
    """

    def __init__(self, resources: Iterable[Resource]) -> None:
        self._by_key: dict[tuple[str, str], Resource] = {}
        self._by_type: dict[str, list[Resource]] = {}
        for res in resources:
            self._by_key[(res["resourceType"], res["id"])] = res
            self._by_type.setdefault(res["resourceType"], []).append(res)

    def read(self, resource_type: str, id: str) -> Resource | None:
        return self._by_key.get((resource_type, id))

    def for_patient(self, resource_type: str, patient_id: str) -> list[Resource]:
        want = f"Patient/{patient_id}"
        return [r for r in self._by_type.get(resource_type, []) if subject_ref(r) == want]

    def encounters_between(self, start: str, end: str) -> list[Resource]:
        out = []
        for enc in self._by_type.get("Encounter", []):
            ended = (enc.get("period") or {}).get("end", "")
            if enc.get("status") == "finished" and start <= ended[:10] <= end:
                out.append(enc)
        return out


def subject_ref(resource: Resource) -> str:
    """The patient of a resource (``subject``, ``patient``, ``beneficiary``, participant).

    >>> subject_ref({"patient": {"reference": "Patient/p1"}})
    'Patient/p1'
    """
    for key in ("subject", "patient", "beneficiary"):
        ref = (resource.get(key) or {}).get("reference")
        if ref:
            return str(ref)
    for part in resource.get("participant") or []:  # Appointment
        ref = (part.get("actor") or {}).get("reference") or ""
        if ref.startswith("Patient/"):
            return str(ref)
    return ""


def ref_id(reference: dict[str, Any] | None, resource_type: str) -> str | None:
    """The id in a ``Type/id`` reference of the given type, else None.

    >>> ref_id({"reference": "Encounter/e1"}, "Encounter"), ref_id(None, "Encounter")
    ('e1', None)
    """
    text = (reference or {}).get("reference") or ""
    prefix = f"{resource_type}/"
    return text[len(prefix):] if text.startswith(prefix) else None


def identifier(resource: Resource | None, system: str) -> str:
    """The value of ``resource``'s first identifier of ``system`` ("" when none)."""
    for ident in (resource or {}).get("identifier") or []:
        if ident.get("system") == system and ident.get("value"):
            return str(ident["value"])
    return ""


@dataclass(slots=True)
class Episode:
    """Everything the tables of one MA_LK are made from."""

    patient: Resource
    encounter: Resource
    coverage: Resource | None = None
    conditions: list[Resource] = field(default_factory=list)
    dispenses: list[Resource] = field(default_factory=list)
    supplies: list[Resource] = field(default_factory=list)
    observations: list[Resource] = field(default_factory=list)
    appointments: list[Resource] = field(default_factory=list)
    practitioners: dict[str, Resource] = field(default_factory=dict)

    @property
    def ma_lk(self) -> str:
        """The episode key: the Encounter id."""
        return str(self.encounter["id"])

    @property
    def inpatient(self) -> bool:
        """Whether the encounter is an admission (class ``IMP``)."""
        return (self.encounter.get("class") or {}).get("code") == "IMP"

    def practitioner_code(self, reference: dict[str, Any] | None) -> str:
        """MA_BAC_SI of a Practitioner reference: the CCHN, else the id ("" when none)."""
        pid = ref_id(reference, "Practitioner")
        if pid is None:
            return ""
        return identifier(self.practitioners.get(pid), systems.CCHN) or pid

    def attender(self) -> dict[str, Any] | None:
        """The encounter's first participant's individual reference."""
        for part in self.encounter.get("participant") or []:
            if part.get("individual"):
                return dict(part["individual"])
        return None


def _in_period(moment: str, period: dict[str, Any]) -> bool:
    start, end = period.get("start", ""), period.get("end") or "9999"
    return bool(moment) and start[:16] <= moment[:16] <= end[:16]


def collect_episode(reader: FhirReader, encounter_id: str) -> Episode:
    """Gather the episode of Encounter ``encounter_id``.

    Raises:
        NotFound: no such Encounter, or its Patient is missing.
        Incorrect: the Encounter has no patient or no start.
    """
    enc = reader.read("Encounter", encounter_id)
    if enc is None:
        raise NotFound(f"no Encounter/{encounter_id} to export")
    patient_id = ref_id(enc.get("subject"), "Patient")
    if patient_id is None:
        raise Incorrect(f"Encounter/{encounter_id} has no Patient subject")
    if not (enc.get("period") or {}).get("start"):
        raise Incorrect(f"Encounter/{encounter_id} has no period.start")
    patient = reader.read("Patient", patient_id)
    if patient is None:
        raise NotFound(f"Encounter/{encounter_id}: Patient/{patient_id} is missing")
    ep = Episode(patient=patient, encounter=enc)
    ref = f"Encounter/{encounter_id}"
    diagnosed = {ref_id(d.get("condition"), "Condition") for d in enc.get("diagnosis") or []}
    for cond in reader.for_patient("Condition", patient_id):
        if cond["id"] in diagnosed or (cond.get("encounter") or {}).get("reference") == ref:
            ep.conditions.append(cond)
    rank = {ref_id(d.get("condition"), "Condition"): d.get("rank", 99)
            for d in enc.get("diagnosis") or []}
    ep.conditions.sort(key=lambda c: (rank.get(c["id"], 99), c["id"]))
    ep.dispenses = [d for d in reader.for_patient("MedicationDispense", patient_id)
                    if (d.get("context") or {}).get("reference") == ref]
    ep.observations = [o for o in reader.for_patient("Observation", patient_id)
                       if (o.get("encounter") or {}).get("reference") == ref]
    period = enc.get("period") or {}
    ep.supplies = [s for s in reader.for_patient("SupplyDelivery", patient_id)
                   if _in_period(s.get("occurrenceDateTime", ""), period)]
    ep.appointments = [
        a for a in reader.for_patient("Appointment", patient_id)
        if any(i.get("reference") == ref for i in a.get("supportingInformation") or [])
    ]
    bhyt = identifier(patient, systems.BHYT)
    for cov in reader.for_patient("Coverage", patient_id):
        if bhyt and identifier(cov, systems.BHYT) == bhyt:
            ep.coverage = cov
    _load_practitioners(reader, ep)
    return ep


def _references(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _load_practitioners(reader: FhirReader, ep: Episode) -> None:
    sources: Sequence[Any] = [ep.encounter, ep.dispenses, ep.observations, ep.appointments]
    for ref in _references(sources):
        pid = ref_id(ref, "Practitioner")
        if pid and pid not in ep.practitioners:
            found = reader.read("Practitioner", pid)
            if found is not None:
                ep.practitioners[pid] = found


def episodes_between(reader: FhirReader, start: str, end: str) -> list[Episode]:
    """The episodes of every finished Encounter ending on days ``start`` .. ``end``.

    Raises:
        Incorrect: ``start`` after ``end``.
    """
    if start > end:
        raise Incorrect(f"the date range {start} .. {end} is empty")
    encounters = sorted(reader.encounters_between(start, end), key=lambda e: e["id"])
    return [collect_episode(reader, e["id"]) for e in encounters]
