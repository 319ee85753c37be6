"""Research access requests: what a researcher asks for and how a data steward decides.

https://hl7.org/fhir/R4/auditevent.html (every step is audited) and
https://www.hhs.gov/hipaa/for-professionals/special-topics/research/index.html

A request states the project, its purpose, the protocol and the ethics
committee's approval number; it starts ``submitted`` and a data steward
moves it to ``approved`` or ``rejected`` (a rejection needs a reason). A
steward cannot decide their own request. Only ``approved`` requests can run
extracts, and an approved request can later be ``revoked``. Every change is a
new :class:`AccessRequest` value (pure functions, no I/O); :mod:`.store`
persists them and :mod:`.audit` records each step.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from carehub.errors import Conflict, Forbidden, Incorrect

STATUSES = ("submitted", "approved", "rejected", "revoked")
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
FIELDS = ("project", "title", "purpose", "protocol", "ethics_approval", "cohort")
MAX_TEXT = 20_000


def now() -> str:
    """The current UTC time as a FHIR instant (seconds)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One request for research data.

    Attributes:
        id: its id (``rq-`` and 12 hex digits).
        project: the research project (also names its pseudonym key).
        title, purpose, protocol: what the data is for and how it will be used.
        ethics_approval: the ethics committee's approval number.
        cohort: the cohort definition's name the request covers, if any.
        requester: who submitted it; ``submitted_at`` when.
        status: one of :data:`STATUSES`.
        decided_by, decided_at, decision_note: the steward's decision.
    """

    id: str
    project: str
    title: str
    purpose: str
    protocol: str
    ethics_approval: str
    cohort: str | None
    requester: str
    submitted_at: str
    status: str = "submitted"
    decided_by: str | None = None
    decided_at: str | None = None
    decision_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The request as JSON (the API's and the store's form)."""
        return {
            "id": self.id, "project": self.project, "title": self.title,
            "purpose": self.purpose, "protocol": self.protocol,
            "ethics_approval": self.ethics_approval, "cohort": self.cohort,
            "requester": self.requester, "submitted_at": self.submitted_at,
            "status": self.status, "decided_by": self.decided_by,
            "decided_at": self.decided_at, "decision_note": self.decision_note,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AccessRequest:
        """The request stored as ``data`` (see :meth:`to_json`)."""
        return cls(**{k: data.get(k) for k in cls.__slots__})  # type: ignore[arg-type]


def _text(data: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Incorrect(f"{name}: required", expression=name)
        return None
    if not isinstance(value, str):
        raise Incorrect(f"{name}: expected text", expression=name)
    if len(value) > MAX_TEXT:
        raise Incorrect(f"{name}: longer than {MAX_TEXT} characters", expression=name)
    return value.strip()


def submit(data: Mapping[str, Any], requester: str, *, id: str | None = None,
           at: str | None = None) -> AccessRequest:
    """A new request from ``requester`` with the fields of ``data``.

    Raises:
        Incorrect: a required field (project, purpose, protocol,
            ethics_approval) is missing, or an unknown field is given.

    >>> r = submit({"project": "dm-2026", "purpose": "T2DM outcomes", "protocol": "v1.2",
    ...             "ethics_approval": "IRB-2026-014"}, "dr.an", id="rq-1", at="t")
    >>> r.status, r.title
    ('submitted', 'dm-2026')
    >>> submit({"project": "dm"}, "dr.an")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: purpose: required
    """
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise Incorrect(f"{unknown[0]}: unknown field (expected {', '.join(FIELDS)})",
                        expression=unknown[0])
    project = _text(data, "project")
    assert project is not None
    if not _PROJECT.match(project):
        raise Incorrect("project: expected 2 to 64 lower-case letters, digits, - or _",
                        expression="project")
    purpose, protocol, ethics = (_text(data, n) for n in ("purpose", "protocol",
                                                          "ethics_approval"))
    assert purpose is not None and protocol is not None and ethics is not None
    return AccessRequest(
        id=id or f"rq-{secrets.token_hex(6)}",
        project=project,
        title=_text(data, "title", required=False) or project,
        purpose=purpose,
        protocol=protocol,
        ethics_approval=ethics,
        cohort=_text(data, "cohort", required=False),
        requester=requester,
        submitted_at=at or now(),
    )


def decide(request: AccessRequest, steward: str, approve: bool, note: str | None = None,
           *, at: str | None = None) -> AccessRequest:
    """The request after a steward's decision.

    Raises:
        Conflict: the request was already decided.
        Forbidden: the steward is the requester.
        Incorrect: a rejection without a reason.

    >>> r = submit({"project": "dm", "purpose": "p", "protocol": "v1",
    ...             "ethics_approval": "IRB-1"}, "dr.an", id="rq-1", at="t")
    >>> decide(r, "steward.binh", True, at="t2").status
    'approved'
    >>> decide(r, "dr.an", True)
    Traceback (most recent call last):
    ...
    carehub.errors.Forbidden: a data steward cannot decide their own request
    """
    if request.status != "submitted":
        raise Conflict(f"request {request.id} is already {request.status}")
    if steward == request.requester:
        raise Forbidden("a data steward cannot decide their own request")
    if not approve and not (note and note.strip()):
        raise Incorrect("note: a rejection needs a reason", expression="note")
    return replace(request, status="approved" if approve else "rejected", decided_by=steward,
                   decided_at=at or now(), decision_note=(note or "").strip() or None)


def revoke(request: AccessRequest, steward: str, note: str, *, at: str | None = None
           ) -> AccessRequest:
    """The request after its approval is withdrawn (no more extracts).

    Raises:
        Conflict: the request is not approved. Incorrect: no reason given.
    """
    if request.status != "approved":
        raise Conflict(f"request {request.id} is {request.status}, not approved")
    if not note.strip():
        raise Incorrect("note: a revocation needs a reason", expression="note")
    return replace(request, status="revoked", decided_by=steward, decided_at=at or now(),
                   decision_note=note.strip())


def check_can_extract(request: AccessRequest) -> None:
    """Refuse extracts for a request that is not approved.

    Raises:
        Forbidden: the request is submitted, rejected or revoked.

    >>> r = submit({"project": "dm", "purpose": "p", "protocol": "v1",
    ...             "ethics_approval": "IRB-1"}, "dr.an", id="rq-1", at="t")
    >>> check_can_extract(r)
    Traceback (most recent call last):
    ...
    carehub.errors.Forbidden: request rq-1 is submitted: only approved requests can run extracts
    """
    if request.status != "approved":
        raise Forbidden(
            f"request {request.id} is {request.status}: only approved requests can run extracts"
        )
