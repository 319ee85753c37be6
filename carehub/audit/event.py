"""Building FHIR AuditEvent resources from what a request did.

https://hl7.org/fhir/R4/auditevent.html and
http://hl7.org/fhir/R4/valueset-audit-event-type.html

:func:`audit_event` is pure: the HTTP layer fills an :class:`AuditInput`, the
background writer turns it into an AuditEvent (finding the patients of the
touched resources there, off the request path). Break-glass access is marked
with purpose of use ``BTG`` and a security label.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from carehub.security.compartment import referenced_patients

_ACTIONS = {"GET": "R", "HEAD": "R", "POST": "C", "PUT": "U", "PATCH": "U", "DELETE": "D"}
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
MAX_ENTITIES = 50


@dataclass(slots=True)
class AuditInput:
    """One request, as the HTTP layer saw it."""

    recorded: str
    method: str
    path: str
    route: str
    query: str
    status: int
    ip: str | None = None
    subject: str | None = None
    client_id: str | None = None
    role: str | None = None
    token_id: str | None = None
    patient_context: str | None = None
    break_glass: str | None = None
    resources: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[bytes | str] = field(default_factory=list)
    patients: set[str] = field(default_factory=set)
    denied: bool = False


def action_of(method: str, route: str) -> str:
    """AuditEvent.action: C, R, U, D, or E (execute: searches by POST, operations).

    >>> action_of("GET", "/fhir/{rtype}"), action_of("POST", "/fhir/{rtype}/_search")
    ('R', 'E')
    >>> action_of("POST", "/fhir/ViewDefinition/$run"), action_of("DELETE", "/fhir/{rtype}/{rid}")
    ('E', 'D')
    """
    if "$" in route or route.endswith("_search") or route in ("/fhir", "/fhir/"):
        return "E"
    return _ACTIONS.get(method, "E")


def outcome_of(status: int) -> str:
    """AuditEvent.outcome: 0 success, 4 minor failure (4xx), 8 serious failure (5xx).

    >>> outcome_of(200), outcome_of(403), outcome_of(500)
    ('0', '4', '8')
    """
    return "0" if status < 400 else "4" if status < 500 else "8"


def patients_of(item: AuditInput) -> list[str]:
    """Every patient the request touched, sorted.

    >>> patients_of(AuditInput("t", "GET", "/", "/", "", 200, patients={"b"},
    ...             bodies=[b'{"subject":{"reference":"Patient/a"}}']))
    ['a', 'b']
    """
    found = set(item.patients)
    if item.patient_context:
        found.add(item.patient_context)
    for body in item.bodies:
        found |= referenced_patients(body)
    return sorted(found)


def audit_event(item: AuditInput) -> dict[str, Any]:
    """The AuditEvent of one request.

    >>> e = audit_event(AuditInput("2025-01-01T00:00:00Z", "GET", "/fhir/Patient/p1",
    ...                 "/fhir/{rtype}/{rid}", "", 200, subject="bac.si",
    ...                 resources=[("Patient", "p1")], patients={"p1"}))
    >>> e["action"], e["outcome"], e["entity"][0]["what"]["reference"]
    ('R', '0', 'Patient/p1')
    """
    purpose = "BTG" if item.break_glass else "TREAT"
    agent: dict[str, Any] = {
        "who": {"identifier": {"value": item.subject or "anonymous"}},
        "requestor": True,
        "purposeOfUse": [{"coding": [{"system": V3_ACT_REASON, "code": purpose}]}],
    }
    if item.client_id:
        agent["altId"] = item.client_id
    if item.role:
        agent["role"] = [{"text": item.role}]
    if item.token_id:
        agent["policy"] = [f"urn:carehub:token:{item.token_id}"]
    if item.ip:
        agent["network"] = {"address": item.ip, "type": "2"}
    patients = patients_of(item)
    entities: list[dict[str, Any]] = [
        {"what": {"reference": f"Patient/{p}"}, "type": {"code": "1"}, "role": {"code": "1"}}
        for p in patients[:MAX_ENTITIES]
    ]
    seen = {f"Patient/{p}" for p in patients}
    for rtype, rid in item.resources:
        ref = f"{rtype}/{rid}"
        if ref not in seen and len(entities) < 2 * MAX_ENTITIES:
            seen.add(ref)
            entities.append({"what": {"reference": ref}, "type": {"code": "2"}})
    request_entity: dict[str, Any] = {"type": {"code": "2"}, "description": item.route,
                                      "name": f"{item.method} {item.path}"}
    if item.query:
        request_entity["query"] = base64.b64encode(item.query.encode()).decode()
    entities.append(request_entity)
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                 "code": "rest", "display": "RESTful Operation"},
        "action": action_of(item.method, item.route),
        "recorded": item.recorded,
        "outcome": outcome_of(item.status),
        "purposeOfEvent": [{"coding": [{"system": V3_ACT_REASON, "code": purpose}]}],
        "agent": [agent],
        "source": {"observer": {"display": "CareHub"}},
        "entity": entities,
    }
    if item.denied or item.status in (401, 403):
        event["outcomeDesc"] = "access denied"
    if item.break_glass:
        event["meta"] = {"security": [{"system": V3_ACT_REASON, "code": "BTG"}]}
        event["outcomeDesc"] = f"break-glass: {item.break_glass}"
    return event
