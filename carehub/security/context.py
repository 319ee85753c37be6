"""Who is calling, and what the current request touched: the per-request security context.

http://hl7.org/fhir/smart-app-launch/app-launch.html#launch-context-arrives-with-your-access_token

The HTTP layer authenticates a request into a :class:`Grant` and opens an
:class:`AccessRecord`; both live in context variables for the duration of the
request, so the storage guard (:mod:`carehub.security.guard`) and the audit
writer see them without any web framework import. Worker threads started with
``contextvars.copy_context().run`` inherit them (bulk export jobs do).

Failure modes: outside a request there is no grant; the guard then refuses
everything (fails closed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from carehub.security.scopes import ScopeSet


@dataclass(frozen=True, slots=True)
class Grant:
    """What an access token grants.

    Args:
        subject: the user name, or the client id for backend services.
        client_id: the OAuth client the token was issued to.
        scopes: the granted scopes.
        patient: the launch patient id (patient-context tokens).
        fhir_user: ``Practitioner/x``, ``Patient/y``... of the signed-in user.
        role: the staff role (``clinician``, ``nurse``...), if any.
        department: the Organization id a department-scoped clinician works in.
        break_glass: the stated reason when this is an emergency (break-glass) grant.
        token_id: a stable, non-secret id of the token (for audit and revocation).
    """

    subject: str
    client_id: str
    scopes: ScopeSet
    patient: str | None = None
    fhir_user: str | None = None
    role: str | None = None
    department: str | None = None
    break_glass: str | None = None
    token_id: str = ""


@dataclass(slots=True)
class AccessRecord:
    """What one request did with patient data, filled in while it runs.

    ``resources`` are ``(type, id)`` pairs read or written, ``bodies`` the raw
    JSON of those (for finding their patients off the request path),
    ``patients`` patient ids known directly, ``denied`` whether an access was
    refused.
    """

    resources: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[bytes | str] = field(default_factory=list)
    patients: set[str] = field(default_factory=set)
    denied: bool = False
    limit: int = 200

    def touch(self, resource_type: str, id: str, body: bytes | str | None) -> None:
        """Record one resource (at most ``limit`` per request are kept in detail).

        >>> r = AccessRecord(); r.touch("Patient", "p1", None); r.patients
        {'p1'}
        """
        if resource_type == "Patient":
            self.patients.add(id)
        if len(self.resources) < self.limit:
            self.resources.append((resource_type, id))
            if body is not None:
                self.bodies.append(body)


current_grant: ContextVar[Grant | None] = ContextVar("carehub_grant", default=None)
current_record: ContextVar[AccessRecord | None] = ContextVar("carehub_access", default=None)


@contextmanager
def acting_as(grant: Grant | None, record: AccessRecord | None = None) -> Iterator[AccessRecord]:
    """Run a block with ``grant`` in force (tests, CLI tools, the HTTP middleware).

    >>> with acting_as(None) as rec:
    ...     current_record.get() is rec
    True
    """
    rec = record if record is not None else AccessRecord()
    t1 = current_grant.set(grant)
    t2 = current_record.set(rec)
    try:
        yield rec
    finally:
        current_grant.reset(t1)
        current_record.reset(t2)
