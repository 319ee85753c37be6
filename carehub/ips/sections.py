"""What goes into each IPS section, and the rows of its narrative table.

https://hl7.org/fhir/uv/ips/STU2/Structure-of-the-International-Patient-Summary.html

:data:`SECTIONS` is the ordered tuple of section rules. Each rule is pure: it
takes the patient's resources by type (and the document date) and returns the
resources the section lists, newest first, and one narrative row per resource.
The three required sections (problems, allergies, medications) are always
written, with an ``emptyReason`` when nothing is known; the others only when
they have entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from carehub.ips.catalogue import status_text, text
from carehub.ips.medications import medication_statements
from carehub.ips.narrative import concept_text, date_text, value_text

Resource = dict[str, Any]
ByType = Mapping[str, Sequence[Resource]]

#: Most entries one section lists (the newest first).
MAX_ENTRIES = 50

ACTIVE_CONDITION = frozenset({"active", "recurrence", "relapse"})
LOINC = "http://loinc.org"


@dataclass(frozen=True, slots=True)
class SectionRule:
    """One IPS section: its slice, LOINC code, selection and narrative columns."""

    slice: str
    code: str
    display: str
    required: bool
    select: Callable[[ByType, str], list[Resource]]
    columns: tuple[str, ...]
    row: Callable[[Resource, str], list[str]]


def _status(concept: Any) -> str | None:
    for coding in (concept or {}).get("coding", []):
        if coding.get("code"):
            return str(coding["code"])
    return None


def _key(concept: Any) -> str:
    codings = (concept or {}).get("coding", [])
    if codings:
        return f"{codings[0].get('system')}|{codings[0].get('code')}"
    return str((concept or {}).get("text"))


def _when(resource: Resource) -> str:
    for key in ("recordedDate", "effectiveDateTime", "occurrenceDateTime", "performedDateTime",
                "onsetDateTime", "issued", "started", "authoredOn", "dateAsserted", "date"):
        if resource.get(key):
            return str(resource[key])
    for key in ("effectivePeriod", "performedPeriod", "onsetPeriod"):
        if isinstance(resource.get(key), dict):
            return str(resource[key].get("start", ""))
    return ""


def latest_per_code(resources: Iterable[Resource], code_key: str = "code") -> list[Resource]:
    """The newest resource of each code, newest first, at most :data:`MAX_ENTRIES`.

    >>> rs = [{"id": "a", "code": {"text": "x"}, "recordedDate": "2020"},
    ...       {"id": "b", "code": {"text": "x"}, "recordedDate": "2024"}]
    >>> [r["id"] for r in latest_per_code(rs)]
    ['b']
    """
    best: dict[str, Resource] = {}
    for r in resources:
        k = _key(r.get(code_key))
        if k not in best or _when(r) > _when(best[k]):
            best[k] = r
    return sorted(best.values(), key=_when, reverse=True)[:MAX_ENTRIES]


def _live(resources: Iterable[Resource], field: str = "verificationStatus") -> list[Resource]:
    return [r for r in resources if _status(r.get(field)) != "entered-in-error"
            and r.get("status") != "entered-in-error"]


def _categories(resource: Resource) -> set[str]:
    return {c.get("code") for cat in resource.get("category", []) for c in cat.get("coding", [])}


def problems(by_type: ByType, date: str) -> list[Resource]:
    """Conditions still active (active, recurrence, relapse), one per code."""
    live = _live(by_type.get("Condition", ()))
    return latest_per_code(r for r in live if _status(r.get("clinicalStatus")) in ACTIVE_CONDITION)


def past_problems(by_type: ByType, date: str) -> list[Resource]:
    """Conditions no longer active (resolved, inactive, remission), one per code."""
    live = _live(by_type.get("Condition", ()))
    current = {_key(r.get("code")) for r in problems(by_type, date)}
    return [r for r in latest_per_code(
        r for r in live if _status(r.get("clinicalStatus")) not in ACTIVE_CONDITION
        and _status(r.get("clinicalStatus")) is not None
    ) if _key(r.get("code")) not in current]


def allergies(by_type: ByType, date: str) -> list[Resource]:
    """Allergies and intolerances not entered in error."""
    return latest_per_code(_live(by_type.get("AllergyIntolerance", ())))


def medications(by_type: ByType, date: str) -> list[Resource]:
    """MedicationStatements and MedicationRequests, plus statements derived from dispenses."""
    stated = [r for r in (*by_type.get("MedicationStatement", ()),
                          *by_type.get("MedicationRequest", ()))
              if r.get("status") != "entered-in-error"]
    derived = medication_statements(by_type.get("MedicationDispense", ()), date)
    return latest_per_code([*stated, *derived], "medicationCodeableConcept")


def immunizations(by_type: ByType, date: str) -> list[Resource]:
    """Immunizations not entered in error, newest first."""
    live = [r for r in by_type.get("Immunization", ()) if r.get("status") != "entered-in-error"]
    return sorted(live, key=_when, reverse=True)[:MAX_ENTRIES]


def results(by_type: ByType, date: str) -> list[Resource]:
    """Laboratory and imaging Observations (newest per code), DiagnosticReports, ImagingStudies."""
    obs = [o for o in by_type.get("Observation", ())
           if o.get("status") not in ("entered-in-error", "cancelled")
           and _categories(o) & {"laboratory", "imaging"}]
    reports = sorted(_live(by_type.get("DiagnosticReport", ())), key=_when, reverse=True)
    studies = sorted(by_type.get("ImagingStudy", ()), key=lambda r: str(r.get("started", "")),
                     reverse=True)
    return [*latest_per_code(obs), *reports[:MAX_ENTRIES], *studies[:MAX_ENTRIES]]


def procedures(by_type: ByType, date: str) -> list[Resource]:
    """Procedures not entered in error, newest first."""
    live = [r for r in by_type.get("Procedure", ()) if r.get("status") != "entered-in-error"]
    return sorted(live, key=_when, reverse=True)[:MAX_ENTRIES]


def vital_signs(by_type: ByType, date: str) -> list[Resource]:
    """The newest vital-signs Observation of each code."""
    return latest_per_code(o for o in by_type.get("Observation", ())
                           if "vital-signs" in _categories(o)
                           and o.get("status") != "entered-in-error")


def _condition_row(r: Resource, lang: str) -> list[str]:
    return [concept_text(r.get("code")), status_text(_status(r.get("clinicalStatus")), lang),
            date_text(r.get("onsetDateTime") or r.get("onsetPeriod") or r.get("recordedDate"))]


def _past_row(r: Resource, lang: str) -> list[str]:
    return [*_condition_row(r, lang), date_text(r.get("abatementDateTime") or "")]


def _allergy_row(r: Resource, lang: str) -> list[str]:
    crit = r.get("criticality")
    return [concept_text(r.get("code")), text(f"criticality.{crit}", lang) if crit else "",
            status_text(_status(r.get("clinicalStatus")), lang)]


def _medication_row(r: Resource, lang: str) -> list[str]:
    med = r.get("medicationCodeableConcept") or r.get("medicationReference", {})
    dosage = r.get("dosage") or r.get("dosageInstruction") or []
    return [concept_text(med) or str(med.get("display", "")), status_text(r.get("status"), lang),
            date_text(r.get("effectivePeriod") or r.get("effectiveDateTime")
                      or r.get("authoredOn")), "; ".join(d.get("text", "") for d in dosage)]


def _result_row(r: Resource, lang: str) -> list[str]:
    if r["resourceType"] == "ImagingStudy":
        modality = ", ".join(m.get("code", "") for m in r.get("modality", []))
        return [r.get("description") or modality, modality, date_text(r.get("started"))]
    return [concept_text(r.get("code")), value_text(r) or r.get("conclusion", ""),
            date_text(r.get("effectiveDateTime") or r.get("effectivePeriod") or r.get("issued"))]


def _dated_row(field: str) -> Callable[[Resource, str], list[str]]:
    def row(r: Resource, lang: str) -> list[str]:
        return [concept_text(r.get(field)),
                date_text(r.get("occurrenceDateTime") or r.get("performedDateTime")
                          or r.get("performedPeriod")), status_text(r.get("status"), lang)]
    return row


def _vital_row(r: Resource, lang: str) -> list[str]:
    return [concept_text(r.get("code")), value_text(r), date_text(r.get("effectiveDateTime"))]


SECTIONS: tuple[SectionRule, ...] = (
    SectionRule("sectionProblems", "11450-4", "Problem list - Reported", True, problems,
                ("col.problem", "col.status", "col.onset"), _condition_row),
    SectionRule("sectionAllergies", "48765-2", "Allergies and adverse reactions Document", True,
                allergies, ("col.substance", "col.criticality", "col.status"), _allergy_row),
    SectionRule("sectionMedications", "10160-0", "History of Medication use Narrative", True,
                medications, ("col.medication", "col.status", "col.period", "col.dosage"),
                _medication_row),
    SectionRule("sectionImmunizations", "11369-6", "History of Immunization note", False,
                immunizations, ("col.vaccine", "col.date", "col.status"),
                _dated_row("vaccineCode")),
    SectionRule("sectionResults", "30954-2", "Relevant diagnostic tests/laboratory data note",
                False, results, ("col.test", "col.result", "col.date"), _result_row),
    SectionRule("sectionProceduresHx", "47519-4", "History of Procedures Document", False,
                procedures, ("col.procedure", "col.date", "col.status"), _dated_row("code")),
    SectionRule("sectionPastProblems", "11348-0", "History of Past illness Narrative", False,
                past_problems, ("col.problem", "col.status", "col.onset", "col.resolved"),
                _past_row),
    SectionRule("sectionVitalSigns", "8716-3", "Vital signs", False, vital_signs,
                ("col.measure", "col.result", "col.date"), _vital_row),
)
