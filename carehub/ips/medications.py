"""MedicationStatements for the IPS medication summary, derived from MedicationDispenses.

https://hl7.org/fhir/uv/ips/STU2/StructureDefinition-MedicationStatement-uv-ips.html

The IPS medication section lists MedicationStatements or MedicationRequests;
a hospital pharmacy records MedicationDispenses. Each dispensed medication
(by its first coding) becomes one statement built from its newest completed
dispense: the medication, the subject, ``effectivePeriod`` from the hand-over
to the end of the days supplied, the dosage text, and ``status`` ``active``
while that supply lasts at the document date, else ``completed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

Resource = dict[str, Any]


def supply_end(handed_over: str, days: float | None) -> str | None:
    """The last day a dispense's supply covers (``YYYY-MM-DD``), or None without days.

    >>> supply_end("2024-05-14T08:57:00+07:00", 14)
    '2024-05-27'
    >>> supply_end("2024-05-14", None) is None
    True
    """
    if not days or days < 1:
        return None
    start = dt.date.fromisoformat(handed_over[:10])
    return (start + dt.timedelta(days=int(days) - 1)).isoformat()


def statement_from_dispense(dispense: Resource, date: str) -> Resource | None:
    """One MedicationStatement summarising ``dispense`` as of ``date`` (None if unusable).

    >>> s = statement_from_dispense({"id": "d1", "status": "completed",
    ...     "medicationCodeableConcept": {"text": "Amlodipin"},
    ...     "subject": {"reference": "Patient/p"}, "whenHandedOver": "2024-01-01",
    ...     "daysSupply": {"value": 30}}, "2024-01-10")
    >>> s["status"], s["effectivePeriod"]
    ('active', {'start': '2024-01-01', 'end': '2024-01-30'})
    """
    handed = dispense.get("whenHandedOver") or dispense.get("whenPrepared")
    med = dispense.get("medicationCodeableConcept")
    subject = dispense.get("subject")
    if not handed or not isinstance(med, dict) or dispense.get("status") != "completed":
        return None
    if not isinstance(subject, dict):
        return None
    end = supply_end(str(handed), (dispense.get("daysSupply") or {}).get("value"))
    period = {"start": str(handed)[:10]} if end is None else {"start": str(handed)[:10],
                                                               "end": end}
    statement: Resource = {
        "resourceType": "MedicationStatement",
        "id": f"ips-{dispense['id']}",
        "status": "active" if end is not None and end >= date[:10] else "completed",
        "medicationCodeableConcept": med,
        "subject": subject,
        "effectivePeriod": period,
        "dateAsserted": date,
    }
    texts = [d["text"] for d in dispense.get("dosageInstruction", []) if d.get("text")]
    if texts:
        statement["dosage"] = [{"text": t} for t in texts]
    return statement


def medication_statements(dispenses: Iterable[Resource], date: str) -> list[Resource]:
    """One statement per dispensed medication, from its newest completed dispense."""
    newest: dict[str, Resource] = {}
    for d in dispenses:
        codings = (d.get("medicationCodeableConcept") or {}).get("coding") or [{}]
        key = f"{codings[0].get('system')}|{codings[0].get('code')}"
        if key not in newest or str(d.get("whenHandedOver", "")) > str(
            newest[key].get("whenHandedOver", "")
        ):
            newest[key] = d
    out = [statement_from_dispense(d, date) for d in newest.values()]
    return [s for s in out if s is not None]
