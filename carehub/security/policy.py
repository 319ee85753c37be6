"""The access-policy interface between the FHIR layer and the security layer.

http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html

The FHIR layer (and the storage guard, :mod:`carehub.security.guard`) asks an
:class:`AccessPolicy` before touching data. :class:`PermitAll` is used when
authorization is off; :class:`ScopePolicy` enforces the SMART scopes of the
request's :class:`~carehub.security.context.Grant`:

* ``user/`` and ``system/`` scopes grant a type without compartment restriction
  (a department-scoped clinician's user scopes are limited to the department's
  patients by the guard);
* ``patient/`` scopes grant a type only inside the launch patient's
  compartment, and shared reference types (:data:`~carehub.security.compartment.SHARED_TYPES`)
  read-only;
* anything else is :class:`~carehub.errors.Forbidden`. No grant in context
  (code running outside a request) is refused too: the policy fails closed.

:class:`DepartmentPolicy` keeps only the department limit: the telemedicine
services (:mod:`carehub.app.telemed_wiring`) check their own rules on the
caller and get a store guarded by it, so a department-scoped clinician reaches
no other department's patients through them either.

Actions are SMART v2 permission letters: ``c`` create, ``r`` read (read, vread,
instance history, ``$everything``, bulk export), ``u`` update/patch, ``d``
delete, ``s`` search (search, type and system history, conditional matching).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from carehub.errors import Forbidden
from carehub.security.compartment import SHARED_TYPES, compartment_params
from carehub.security.context import Grant, current_grant, current_record

_NAMES = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
UNRESTRICTED = ("user", "system")


@dataclass(frozen=True, slots=True)
class Restriction:
    """How an allowed access is limited: to one patient's compartment, or to a department."""

    patient: str | None = None
    department: str | None = None

    @property
    def none(self) -> bool:
        """Whether the access is unrestricted."""
        return self.patient is None and self.department is None


OPEN = Restriction()


class AccessPolicy(Protocol):
    """Decides what the current caller may do with FHIR data."""

    def require(self, action: str, resource_type: str | None) -> Restriction:
        """Allow ``action`` on ``resource_type`` (None: every type) or raise Forbidden."""
        ...

    def permits(self, action: str, resource_type: str | None) -> Restriction | None:
        """Like :meth:`require`, returning None instead of raising."""
        ...

    def export_types(self, requested: Sequence[str]) -> tuple[str, ...]:
        """The types a bulk export may write (``()`` means every type).

        Raises:
            Forbidden: a requested type is not readable, or nothing is.
        """
        ...


class PermitAll:
    """The policy when authorization is off: everything is allowed, unrestricted."""

    def require(self, action: str, resource_type: str | None) -> Restriction:
        """Always :data:`OPEN`.

        >>> PermitAll().require("d", "Patient").none
        True
        """
        return OPEN

    def permits(self, action: str, resource_type: str | None) -> Restriction | None:
        """Always :data:`OPEN`."""
        return OPEN

    def export_types(self, requested: Sequence[str]) -> tuple[str, ...]:
        """``requested`` unchanged."""
        return tuple(requested)


def deny(action: str, resource_type: str | None, why: str = "") -> Forbidden:
    """The Forbidden error for a refused access (no patient data in the message).

    >>> deny("r", "Observation").message
    "the access token's scopes do not allow read on Observation"
    """
    record = current_record.get()
    if record is not None:
        record.denied = True
    what = resource_type or "every resource type"
    return Forbidden(
        why or f"the access token's scopes do not allow {_NAMES.get(action, action)} on {what}"
    )


def department_in_force(grant: Grant | None) -> str | None:
    """The department (Organization id) ``grant``'s user access is limited to, if any.

    A break-glass grant is not limited; neither is code running outside a request.

    >>> from carehub.security.scopes import ScopeSet
    >>> g = Grant("u", "app", ScopeSet.parse("user/*.rs"), department="dept-a")
    >>> department_in_force(g), department_in_force(None)
    ('dept-a', None)
    """
    if grant is None or grant.break_glass is not None:
        return None
    return grant.department


class DepartmentPolicy:
    """Only the department limit of the grant in context: for services that apply their own
    rules on the caller (telemedicine) but must keep a department-scoped user to the
    department's patients.

    Everything is allowed; a department-scoped user's access is restricted to the
    department (the storage guard then hides other patients' data and refuses writes
    to it). Outside a request (no grant) nothing is restricted: those services run
    trusted back-end work there.
    """

    def permits(self, action: str, resource_type: str | None) -> Restriction | None:
        """:data:`OPEN`, or the department restriction of the current grant.

        >>> DepartmentPolicy().permits("r", "Patient").none
        True
        """
        department = department_in_force(current_grant.get())
        return OPEN if department is None else Restriction(None, department)

    def require(self, action: str, resource_type: str | None) -> Restriction:
        """Like :meth:`permits` (never raises)."""
        return self.permits(action, resource_type) or OPEN

    def export_types(self, requested: Sequence[str]) -> tuple[str, ...]:
        """``requested`` unchanged."""
        return tuple(requested)


class ScopePolicy:
    """Enforces the SMART scopes of the grant in context."""

    def grant(self) -> Grant:
        """The grant of the current request.

        Raises:
            Forbidden: there is none (code running outside an authorized request).
        """
        grant = current_grant.get()
        if grant is None:
            raise deny("r", None, "no authorized caller in this context")
        return grant

    def permits(self, action: str, resource_type: str | None) -> Restriction | None:
        """How ``action`` on ``resource_type`` is allowed, or None when it is not."""
        grant = current_grant.get()
        if grant is None:
            return None
        scopes = grant.scopes
        if scopes.allows(action, resource_type, UNRESTRICTED):
            department = department_in_force(grant)
            system_only = not scopes.allows(action, resource_type, ("user",))
            return Restriction(None, None if system_only else department)
        if grant.patient is None or resource_type is None:
            return None
        if not scopes.allows(action, resource_type, ("patient",)):
            return None
        if resource_type in SHARED_TYPES:
            return OPEN if action in "rs" else None
        if resource_type != "Patient" and not compartment_params(resource_type):
            return None
        return Restriction(grant.patient, None)

    def require(self, action: str, resource_type: str | None) -> Restriction:
        """How ``action`` on ``resource_type`` is allowed.

        Raises:
            Forbidden: the grant does not allow it (or there is no grant).
        """
        self.grant()
        got = self.permits(action, resource_type)
        if got is None:
            raise deny(action, resource_type)
        return got

    def export_types(self, requested: Sequence[str]) -> tuple[str, ...]:
        """The readable subset of ``requested`` (all readable types when empty).

        Raises:
            Forbidden: a requested type is not readable, or no type is.
        """
        grant = self.grant()
        for rtype in requested:
            self.require("r", rtype)
        if requested:
            return tuple(requested)
        if self.permits("r", None) is not None:
            return ()
        contexts = ("user", "system", "patient") if grant.patient else UNRESTRICTED
        named = sorted(t for t in grant.scopes.types_for("r", contexts) if t != "*")
        readable = tuple(t for t in named if self.permits("r", t) is not None)
        if not readable:
            raise deny("r", None)
        return readable
