"""Patient search: one box for a name, a citizen id, an insurance number or a birth date.

https://hl7.org/fhir/R4/patient.html#search

:func:`classify` decides what the text is; :func:`search_patients` runs the
matching FHIR search through the hub's store (so the storage guard applies
the user's scopes). Names match accent- and case-insensitively on word
prefixes ("nguyen van" finds "Nguyễn Văn An"), because the search index folds
diacritics (:func:`carehub.fhir_model.values.normalize_text`); identifiers
(CCCD, BHYT card number, record number) match exactly in any system.

Failure modes: blank text gives no results; a text that looks like a date but
is not a real one is searched as a name.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

import orjson

from carehub.fhir_api.hub import Hub

CCCD = "https://carehub.vn/id/cccd"
BHYT = "https://carehub.vn/id/bhyt"
MRN = "https://carehub.vn/id/mrn"
LIMIT = 25
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_IDENT = re.compile(r"^[A-Za-z]{0,3}\d{6,}$")


def classify(text: str) -> tuple[str, str]:
    """(FHIR search parameter, value) for what a clinician typed.

    >>> classify("Nguyen Van"), classify("079123456789"), classify("HS4010002012351")
    (('name', 'Nguyen Van'), ('identifier', '079123456789'), ('identifier', 'HS4010002012351'))
    >>> classify("05/03/1961"), classify("1961-03-05"), classify("31/02/1961")
    (('birthdate', '1961-03-05'), ('birthdate', '1961-03-05'), ('name', '31/02/1961'))
    """
    text = " ".join(text.split())
    for pattern, order in ((_YMD, (1, 2, 3)), (_DMY, (3, 2, 1))):
        m = pattern.match(text)
        if m:
            y, mo, d = (int(m.group(i)) for i in order)
            try:
                return "birthdate", datetime.date(y, mo, d).isoformat()
            except ValueError:
                return "name", text
    if _IDENT.match(text.replace(" ", "")):
        return "identifier", text.replace(" ", "")
    return "name", text


def query_items(kind: str, value: str) -> list[tuple[str, str]]:
    """FHIR search parameters for :func:`classify`'s answer (one ``name`` per word).

    >>> query_items("name", "nguyen van")
    [('name', 'nguyen'), ('name', 'van'), ('_count', '25')]
    """
    items = [("name", word) for word in value.split()] if kind == "name" else [(kind, value)]
    return [*items, ("_count", str(LIMIT))]


@dataclass(frozen=True, slots=True)
class PatientHit:
    """One search result, ready to show."""

    id: str
    name: str
    gender: str | None
    birth_date: str | None
    cccd: str | None
    bhyt: str | None
    mrn: str | None


def display_name(patient: dict[str, Any]) -> str:
    """The patient's official name as written (text, else family and given names).

    >>> display_name({"name": [{"family": "Nguyễn", "given": ["Thị", "Lan"]}]})
    'Nguyễn Thị Lan'
    """
    names = patient.get("name") or []
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    if chosen.get("text"):
        return str(chosen["text"])
    return " ".join([chosen.get("family", ""), *chosen.get("given", [])]).strip() or "?"


def identifier(patient: dict[str, Any], system: str) -> str | None:
    """The value of the patient's identifier in ``system``.

    >>> identifier({"identifier": [{"system": CCCD, "value": "0791"}]}, CCCD)
    '0791'
    """
    for ident in patient.get("identifier") or []:
        if ident.get("system") == system:
            return str(ident.get("value"))
    return None


def hit(patient: dict[str, Any]) -> PatientHit:
    """The result row of a Patient resource."""
    return PatientHit(str(patient.get("id")), display_name(patient), patient.get("gender"),
                      patient.get("birthDate"), identifier(patient, CCCD),
                      identifier(patient, BHYT), identifier(patient, MRN))


def search_patients(hub: Hub, text: str) -> tuple[str, list[PatientHit]]:
    """(what was searched, matching patients) for ``text``; blank text finds nothing.

    Raises:
        Forbidden: the user may not search patients.
    """
    if not text.strip():
        return "name", []
    kind, value = classify(text)
    query = hub.parser.parse("Patient", query_items(kind, value))
    with hub.store.session() as session:
        page = session.search(query)
    hits = [hit(orjson.loads(m.body)) for m in page.matches if m.body is not None]
    return kind, hits
