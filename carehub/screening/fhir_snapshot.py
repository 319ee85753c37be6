"""A patient snapshot from FHIR resources (for CDS Hooks and single-patient views).

Mirrors, resource by resource, the warehouse views and the
``screening_facts`` mart (:mod:`carehub.warehouse.marts`): the same facts,
the same canonical units (the ``ref_lab_units`` table), the same keys
(``Type/id``) and the same reduction (the three most recent laboratory,
vital-sign and social-history values per code), so a snapshot built here
equals the one built from the warehouse for the same data (tested).
Resources of other patients are ignored.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from carehub.errors import Incorrect
from carehub.screening.snapshot import Fact, PatientSnapshot, parse_date
from carehub.warehouse.marts import lab_units

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LUNG_NODULE = "786838002"
KEEP_LATEST = 3
"""Laboratory, vital-sign and social-history values kept per code (most recent first)."""
_REFERENCE = re.compile(r"^([A-Za-z]+)/([A-Za-z0-9.-]{1,64})(/_history/[A-Za-z0-9.-]{1,64})?$")

Resource = Mapping[str, Any]


@functools.cache
def _conversions() -> dict[tuple[str, str], tuple[str, float, float]]:
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in lab_units().rows}


def reference_key(reference: Any, wanted: str | None = None) -> str | None:
    """The ``Type/id`` key of a Reference (as ``getReferenceKey``), or ``None``.

    >>> reference_key({"reference": "Patient/p1"}, "Patient"), reference_key({"reference": "x"})
    ('Patient/p1', None)
    """
    if not isinstance(reference, Mapping):
        return None
    match = _REFERENCE.match(str(reference.get("reference", "")))
    if match is None or (wanted is not None and match.group(1) != wanted):
        return None
    return f"{match.group(1)}/{match.group(2)}"


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def _coding(concept: Any) -> Mapping[str, Any]:
    first = _first(concept.get("coding")) if isinstance(concept, Mapping) else None
    return first if isinstance(first, Mapping) else {}


def _loinc(concept: Any) -> str | None:
    if not isinstance(concept, Mapping):
        return None
    for coding in concept.get("coding") or ():
        if isinstance(coding, Mapping) and coding.get("system") == LOINC and "code" in coding:
            return str(coding["code"])
    return None


def _display(concept: Any) -> str | None:
    if not isinstance(concept, Mapping):
        return None
    text = concept.get("text")
    return str(text) if text is not None else _coding(concept).get("display")


def _quantity(element: Mapping[str, Any]) -> tuple[float | None, str | None]:
    q = element.get("valueQuantity")
    if not isinstance(q, Mapping):
        return None, None
    value = q.get("value")
    unit = q.get("code") if q.get("code") is not None else q.get("unit")
    return (float(value) if value is not None else None), unit


def _effective(r: Resource) -> datetime.date | None:
    if r.get("effectiveDateTime") is not None:
        return parse_date(r["effectiveDateTime"])
    period = r.get("effectivePeriod")
    return parse_date(period.get("start")) if isinstance(period, Mapping) else None


def _in_category(r: Resource, code: str) -> bool:
    return any(
        isinstance(c, Mapping) and c.get("system") == CATEGORY and c.get("code") == code
        for cat in r.get("category") or ()
        if isinstance(cat, Mapping)
        for c in cat.get("coding") or ()
    )


def _condition(r: Resource, key: str) -> Iterator[Fact]:
    coding = _coding(r.get("code"))
    clinical = _coding(r.get("clinicalStatus")).get("code") or "active"
    verification = _coding(r.get("verificationStatus")).get("code") or "confirmed"
    if coding.get("system") != ICD10 or coding.get("code") is None:
        return
    if clinical not in ("active", "recurrence", "relapse"):
        return
    if verification in ("refuted", "entered-in-error"):
        return
    onset = r.get("onsetDateTime") or r.get("recordedDate")
    yield Fact("condition", str(coding["code"]), parse_date(onset), ref=key,
               text=_display(r.get("code")))


def _lab(r: Resource, key: str) -> Iterator[Fact]:
    code = _loinc(r.get("code"))
    if code is None or (r.get("status") or "final") in ("entered-in-error", "cancelled",
                                                          "registered"):
        return
    value, unit = _quantity(r)
    conversion = _conversions().get((code, unit or ""))
    if conversion is not None:
        unit = conversion[0]
        if value is not None:
            value = value * conversion[1] + conversion[2]
    value_code = _coding(r.get("valueCodeableConcept")).get("code")
    yield Fact("lab", code, _effective(r), value, unit, value_code, key)


def _vital(r: Resource, key: str) -> Iterator[Fact]:
    day = _effective(r)
    for element in (r, *[c for c in r.get("component") or () if isinstance(c, Mapping)]):
        if not isinstance(element.get("valueQuantity"), Mapping):
            continue
        code = _loinc(element.get("code"))
        if code is None:
            continue
        value, unit = _quantity(element)
        yield Fact("vital", code, day, value, unit, None, key)


def _social(r: Resource, key: str) -> Iterator[Fact]:
    code = _coding(r.get("code")).get("code")
    if code is None or (r.get("status") or "final") in ("entered-in-error", "cancelled"):
        return
    value, unit = _quantity(r)
    value_code = _coding(r.get("valueCodeableConcept")).get("code")
    yield Fact("social", str(code), _effective(r), value, unit, value_code, key)


def _nodule(r: Resource, key: str) -> Iterator[Fact]:
    studies = [reference_key(x, "ImagingStudy") for x in r.get("derivedFrom") or ()]
    studies = [s for s in studies if s]
    if not studies or _coding(r.get("code")).get("code") != LUNG_NODULE:
        return
    day = parse_date(r.get("effectiveDateTime"))
    site = _coding(_first(r.get("bodySite")) if isinstance(r.get("bodySite"), list)
                   else r.get("bodySite")).get("display")
    identifier = _first(r.get("identifier"))
    ident = identifier.get("value") if isinstance(identifier, Mapping) else None
    for comp in r.get("component") or ():
        if not isinstance(comp, Mapping):
            continue
        code = _coding(comp.get("code")).get("code")
        if code is None:
            continue
        value, unit = _quantity(comp)
        flag = comp.get("valueBoolean")
        yield Fact("nodule", str(code), day, value, unit,
                   _coding(comp.get("valueCodeableConcept")).get("code"), studies[0], key,
                   site, ident, flag if isinstance(flag, bool) else None)


def _observation(r: Resource, key: str) -> Iterator[Fact]:
    if _in_category(r, "laboratory"):
        yield from _lab(r, key)
    if _in_category(r, "vital-signs"):
        yield from _vital(r, key)
    if _in_category(r, "social-history"):
        yield from _social(r, key)
    yield from _nodule(r, key)


def _medication(r: Resource, key: str) -> Iterator[Fact]:
    concept = r.get("medicationCodeableConcept")
    code = _coding(concept).get("code")
    if code is not None:
        yield Fact("medication", str(code), parse_date(r.get("authoredOn")), None, None,
                   r.get("status"), key, text=_display(concept))


def _study(r: Resource, key: str) -> Iterator[Fact]:
    code = _coding(_first(r.get("procedureCode"))).get("code")
    if code is None or (r.get("status") or "available") == "entered-in-error":
        return
    modality = _first(r.get("modality"))
    yield Fact("study", str(code), parse_date(r.get("started")), None, None,
               modality.get("code") if isinstance(modality, Mapping) else None, key)


def _items(items: Any) -> Iterator[Mapping[str, Any]]:
    for item in items or ():
        if not isinstance(item, Mapping):
            continue
        yield item
        yield from _items(item.get("item"))
        for answer in item.get("answer") or ():
            if isinstance(answer, Mapping):
                yield from _items(answer.get("item"))


def _response(r: Resource, key: str) -> Iterator[Fact]:
    if (r.get("status") or "completed") not in ("completed", "amended"):
        return
    day = parse_date(r.get("authored"))
    for item in _items(r.get("item")):
        link = item.get("linkId")
        if link is None:
            continue
        for answer in item.get("answer") or ():
            if not isinstance(answer, Mapping):
                continue
            number = answer.get("valueInteger", answer.get("valueDecimal"))
            coding = answer.get("valueCoding")
            code = coding.get("code") if isinstance(coding, Mapping) else None
            flag = answer.get("valueBoolean")
            yield Fact("answer", str(link), day,
                       float(number) if number is not None else None, None,
                       code if code is not None else answer.get("valueString"), key, key,
                       r.get("questionnaire"), None, flag if isinstance(flag, bool) else None)


_EXTRACTORS = {
    "Condition": _condition,
    "Observation": _observation,
    "MedicationRequest": _medication,
    "ImagingStudy": _study,
    "QuestionnaireResponse": _response,
}


def keep_latest(facts: Iterable[Fact]) -> list[Fact]:
    """Drop all but the :data:`KEEP_LATEST` most recent lab/vital/social facts per code."""
    groups: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    out: list[Fact] = []
    for fact in facts:
        if fact.kind in ("lab", "vital", "social"):
            groups[(fact.kind, fact.code)].append(fact)
        else:
            out.append(fact)
    for group in groups.values():
        dated = sorted((f for f in group if f.date), key=lambda f: (f.date, f.ref or ""),
                       reverse=True)
        undated = sorted((f for f in group if not f.date), key=lambda f: f.ref or "",
                         reverse=True)
        out.extend((dated + undated)[:KEEP_LATEST])
    return out


def snapshot_from_resources(
    resources: Iterable[Resource], as_of: datetime.date
) -> PatientSnapshot:
    """The snapshot of the one Patient among ``resources`` and what refers to it.

    Raises:
        Incorrect: there is no Patient, or more than one.
    """
    items = list(resources)
    patients = [r for r in items if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise Incorrect(f"need exactly one Patient among the resources, found {len(patients)}")
    patient = patients[0]
    pkey = f"Patient/{patient.get('id')}"
    facts: list[Fact] = []
    for r in items:
        extract = _EXTRACTORS.get(str(r.get("resourceType")))
        if extract is None or reference_key(r.get("subject"), "Patient") != pkey:
            continue
        facts.extend(extract(r, f"{r['resourceType']}/{r.get('id')}"))
    return PatientSnapshot(
        pkey, patient.get("gender"), parse_date(patient.get("birthDate")), as_of,
        keep_latest(facts),
    )
