"""Assemble a patient's International Patient Summary: a FHIR ``document`` Bundle.

https://hl7.org/fhir/uv/ips/STU2/OperationDefinition-summary.html and
https://hl7.org/fhir/R4/documents.html

:func:`build_summary` is pure: given the patient, the resources of its
compartment (and those they refer to), the narrative language and the time,
it returns the Bundle. Its first entry is the Composition (IPS profile, with
the sections of :data:`carehub.ips.sections.SECTIONS`), then the Patient, the
section entries and the practitioners, organizations, medications... they
refer to. Every entry has a ``urn:uuid`` ``fullUrl`` (stable per stored
resource) and references between entries use those. References to anything
left out of the document (encounters, earlier dispenses) are reduced to their
``display``, or dropped when they have none. A laboratory result without a
performer gets a ``data-absent-reason`` performer, as the IPS profile needs one.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from carehub import __version__
from carehub.ips.catalogue import text
from carehub.ips.narrative import div, paragraph, patient_header, table
from carehub.ips.sections import LOINC, SECTIONS, SectionRule

Resource = dict[str, Any]

IPS = "http://hl7.org/fhir/uv/ips/StructureDefinition/"
LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
#: Types pulled into the document when an entry refers to them.
SUPPORTING = frozenset({
    "Practitioner", "PractitionerRole", "Organization", "Medication", "Device", "Specimen",
    "Location", "Substance",
})
_NAMESPACE = uuid.UUID("6f1c1b2e-3a53-5d5e-9c1e-ca7e4b0b1a11")


def full_url(resource_type: str, rid: str) -> str:
    """The stable ``urn:uuid`` fullUrl of a stored resource in CareHub's documents.

    >>> full_url("Patient", "p1") == full_url("Patient", "p1") != full_url("Patient", "p2")
    True
    """
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{resource_type}/{rid}')}"


def reference_key(reference: str) -> str:
    """``Type/id`` of a literal reference (absolute URL and ``_history`` dropped).

    >>> reference_key("http://x/fhir/Patient/p1/_history/2")
    'Patient/p1'
    """
    parts = reference.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:])


class _Linker:
    """Rewrites references to fullUrls, pulling in supporting resources."""

    def __init__(self, index: dict[str, Resource], included: dict[str, str]) -> None:
        self.index = index
        self.included = included  # Type/id -> fullUrl
        self.pending: list[Resource] = []

    def link(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.link(i) for i in node) if v is not None]
        if not isinstance(node, dict):
            return node
        ref = node.get("reference")
        if isinstance(ref, str) and not ref.startswith("#"):
            key = reference_key(ref)
            if key not in self.included and key.split("/")[0] in SUPPORTING and key in self.index:
                self.included[key] = full_url(*key.split("/"))
                self.pending.append(self.index[key])
            if key in self.included:
                return {**node, "reference": self.included[key]}
            return {"display": node["display"]} if node.get("display") else None
        out = {}
        for k, v in node.items():
            linked = self.link(v)
            if linked is not None and linked != []:
                out[k] = linked
        return out


def _author(language: str) -> Resource:
    return {
        "resourceType": "Device",
        "id": "carehub-ips",
        "deviceName": [{"name": text("document.author", language), "type": "user-friendly-name"}],
        "version": [{"value": __version__}],
    }


def _needs_performer(resource: Resource) -> bool:
    cats = {c.get("code") for cat in resource.get("category", []) for c in cat.get("coding", [])}
    return resource.get("resourceType") == "Observation" and bool(
        cats & {"laboratory", "imaging"}) and not resource.get("performer")


def _section(rule: SectionRule, entries: list[Resource], urls: list[str], lang: str) -> Resource:
    section: Resource = {
        "title": text(f"section.{rule.slice}", lang),
        "code": {"coding": [{"system": LOINC, "code": rule.code, "display": rule.display}]},
    }
    if entries:
        rows = [rule.row(r, lang) for r in entries]
        section["text"] = div(table([text(c, lang) for c in rule.columns], rows), lang)
        section["entry"] = [{"reference": u} for u in urls]
    else:
        section["text"] = div(paragraph(text(f"empty.{rule.slice}", lang)), lang)
        section["emptyReason"] = {
            "coding": [{"system": LIST_EMPTY_REASON, "code": "unavailable",
                        "display": "Unavailable"}],
            "text": text("empty.reason", lang),
        }
    return section


def build_summary(
    patient: Resource,
    resources: Iterable[Resource],
    *,
    language: str = "vi",
    now: dt.datetime | None = None,
) -> Resource:
    """The IPS document Bundle of ``patient`` (see the module docstring).

    Args:
        patient: the Patient resource (with its ``id``).
        resources: the other resources of its compartment and those they refer to.
        language: narrative language, ``vi`` or ``en``.
        now: the document time (default: the current UTC time).
    """
    moment = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    date = moment
    by_type: dict[str, list[Resource]] = defaultdict(list)
    index: dict[str, Resource] = {}
    for r in resources:
        if r.get("resourceType") and r.get("id"):
            by_type[r["resourceType"]].append(r)
            index[f"{r['resourceType']}/{r['id']}"] = r
    pkey = f"Patient/{patient['id']}"
    included: dict[str, str] = {pkey: full_url("Patient", patient["id"])}
    chosen: list[tuple[SectionRule, list[Resource]]] = []
    for rule in SECTIONS:
        entries = rule.select(by_type, date)
        if entries or rule.required:
            chosen.append((rule, entries))
            for r in entries:
                included.setdefault(f"{r['resourceType']}/{r['id']}",
                                    full_url(r["resourceType"], r["id"]))
    author = _author(language)
    included["Device/carehub-ips"] = full_url("Device", author["id"])
    linker = _Linker(index, included)
    ordered = [patient] + [r for _, entries in chosen for r in entries]
    seen: set[str] = set()
    out: list[Resource] = []
    queue = list(ordered)
    while queue:
        r = queue.pop(0)
        key = f"{r['resourceType']}/{r['id']}"
        if key in seen:
            continue
        seen.add(key)
        linked: Resource = linker.link(copy.deepcopy(r))
        if _needs_performer(linked):
            linked["performer"] = [{"extension": [{"url": DATA_ABSENT_REASON,
                                                   "valueCode": "unknown"}]}]
        out.append({"fullUrl": included[key], "resource": linked})
        queue.extend(linker.pending)
        linker.pending.clear()
    composition: Resource = {
        "resourceType": "Composition",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [IPS + "Composition-uv-ips"]},
        "language": language,
        "text": div(patient_header(patient, date, language), language),
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "60591-5",
                             "display": "Patient summary Document"}]},
        "subject": {"reference": included[pkey]},
        "date": moment,
        "author": [{"reference": included["Device/carehub-ips"]}],
        "title": text("document.title", language),
        "confidentiality": "N",
        "event": [{"code": [{"coding": [{"system":
                   "http://terminology.hl7.org/CodeSystem/v3-ActClass", "code": "PCPR"}]}],
                   "period": {"end": moment}}],
        "section": [
            _section(rule, entries, [included[f"{r['resourceType']}/{r['id']}"] for r in entries],
                     language)
            for rule, entries in chosen
        ],
    }
    custodian = patient.get("managingOrganization", {}).get("reference")
    if custodian and reference_key(custodian) in included:
        composition["custodian"] = {"reference": included[reference_key(custodian)]}
    doc_id = uuid.uuid4()
    return {
        "resourceType": "Bundle",
        "id": str(doc_id),
        "meta": {"profile": [IPS + "Bundle-uv-ips"]},
        "language": language,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{doc_id}"},
        "type": "document",
        "timestamp": moment,
        "entry": [
            {"fullUrl": f"urn:uuid:{composition['id']}", "resource": composition},
            *out,
            {"fullUrl": included["Device/carehub-ips"], "resource": author},
        ],
    }
