"""SMART on FHIR scopes: parsing (v2, with the v1 aliases), matching and narrowing.

http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html

A clinical scope is ``<context>/<type>.<permissions>``: the context is
``patient``, ``user`` or ``system``; the type a resource type or ``*``; the
permissions a subset of ``cruds`` in that order (create, read, update, delete,
search). SMART v1 spellings are accepted as aliases: ``read`` is ``rs``,
``write`` is ``cud`` and ``*`` is ``cruds``. Scopes with query restrictions
(``patient/Observation.rs?category=laboratory``) are *not* granted: CareHub
cannot enforce them, and granting them unrestricted would widen access.
Everything else (``openid``, ``fhirUser``, ``launch/patient``,
``offline_access``, CareHub's own ``carehub.*`` scopes) is kept verbatim as an
"other" scope.

Failure modes: unparseable clinical scopes are dropped by :func:`parse_scopes`
(a token request for them is answered ``invalid_scope`` by the caller).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PERMISSIONS = "cruds"
CONTEXTS = ("patient", "user", "system")
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}
_CLINICAL = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.(\*|read|write|[cruds]+)$")

#: CareHub's non-FHIR scopes
ADMIN = "carehub.admin"
AUDIT = "carehub.audit"
OPS = "carehub.ops"
CDS = "carehub.cds"
RESEARCH = "carehub.research"  # research access requests (researchers)
RESEARCH_STEWARD = "carehub.research.steward"  # deciding them (data stewards)


@dataclass(frozen=True, slots=True, order=True)
class ClinicalScope:
    """One parsed clinical scope; ``permissions`` is canonical (``cruds`` order)."""

    context: str
    resource_type: str
    permissions: str

    def __str__(self) -> str:
        return f"{self.context}/{self.resource_type}.{self.permissions}"

    def allows(self, action: str, resource_type: str | None) -> bool:
        """Whether this scope grants ``action`` (one of ``cruds``) on ``resource_type``.

        ``resource_type`` None (system-level search or history) needs the ``*`` type.

        >>> ClinicalScope("user", "*", "rs").allows("r", "Observation")
        True
        >>> ClinicalScope("user", "Patient", "rs").allows("s", None)
        False
        """
        if action not in self.permissions:
            return False
        return self.resource_type == "*" or self.resource_type == resource_type


def canonical_permissions(text: str) -> str | None:
    """``cruds``-ordered permissions of a v2 or v1 permission string, or None if invalid.

    >>> canonical_permissions("sr"), canonical_permissions("read"), canonical_permissions("write")
    (None, 'rs', 'cud')
    >>> canonical_permissions("rs"), canonical_permissions("*")
    ('rs', 'cruds')
    """
    if text in _V1:
        return _V1[text]
    # v2 requires the cruds order and no repeats
    position = -1
    for ch in text:
        at = PERMISSIONS.find(ch)
        if at <= position:
            return None
        position = at
    return text or None


def parse_clinical(text: str) -> ClinicalScope | None:
    """Parse one clinical scope; None if ``text`` is not one (or is malformed).

    >>> parse_clinical("patient/Observation.rs")
    ClinicalScope(context='patient', resource_type='Observation', permissions='rs')
    >>> parse_clinical("user/Observation.write")
    ClinicalScope(context='user', resource_type='Observation', permissions='cud')
    >>> parse_clinical("patient/*.read").permissions, parse_clinical("openid")
    ('rs', None)
    >>> parse_clinical("patient/Observation.rs?category=laboratory") is None
    True
    """
    m = _CLINICAL.match(text)
    if not m:
        return None
    perms = canonical_permissions(m.group(3))
    if perms is None:
        return None
    return ClinicalScope(m.group(1), m.group(2), perms)


@dataclass(frozen=True, slots=True)
class ScopeSet:
    """The scopes of one grant: clinical scopes parsed, the others kept as strings."""

    clinical: tuple[ClinicalScope, ...] = ()
    other: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | Iterable[str]) -> ScopeSet:
        """Parse a space-separated scope string (or a list of scopes).

        >>> s = ScopeSet.parse("openid patient/Observation.rs bogus/x.y")
        >>> [str(c) for c in s.clinical], sorted(s.other)
        (['patient/Observation.rs'], ['bogus/x.y', 'openid'])
        """
        items = text.split() if isinstance(text, str) else list(text)
        clinical: list[ClinicalScope] = []
        other: set[str] = set()
        for item in items:
            scope = parse_clinical(item)
            if scope is not None:
                if scope not in clinical:
                    clinical.append(scope)
            elif "/" in item and item.split("/", 1)[0] in CONTEXTS:
                continue  # malformed or query-restricted clinical scope: never granted
            else:
                other.add(item)
        return cls(tuple(clinical), frozenset(other))

    def __str__(self) -> str:
        return " ".join([*(str(c) for c in self.clinical), *sorted(self.other)])

    def has(self, scope: str) -> bool:
        """Whether the non-clinical ``scope`` was granted.

        >>> ScopeSet.parse("openid").has("openid")
        True
        """
        return scope in self.other

    def allows(self, action: str, resource_type: str | None, contexts: Iterable[str]) -> bool:
        """Whether a scope of one of ``contexts`` grants ``action`` on ``resource_type``.

        >>> ScopeSet.parse("user/*.rs").allows("s", "Encounter", ("user", "system"))
        True
        >>> ScopeSet.parse("patient/*.rs").allows("s", "Encounter", ("user", "system"))
        False
        """
        wanted = tuple(contexts)
        return any(c.context in wanted and c.allows(action, resource_type) for c in self.clinical)

    @property
    def has_clinical(self) -> bool:
        """Whether any FHIR resource scope was granted."""
        return bool(self.clinical)

    def types_for(self, action: str, contexts: Iterable[str]) -> frozenset[str]:
        """Resource types named with ``action`` in ``contexts`` (``*`` included verbatim).

        >>> s = ScopeSet.parse("system/Patient.rs system/Observation.r")
        >>> sorted(s.types_for("r", ["system"]))
        ['Observation', 'Patient']
        """
        wanted = tuple(contexts)
        return frozenset(
            c.resource_type
            for c in self.clinical
            if c.context in wanted and action in c.permissions
        )


def _meet(asked: ClinicalScope, allowed: ClinicalScope) -> ClinicalScope | None:
    """The part of ``asked`` that ``allowed`` covers (user scopes cover patient ones)."""
    if asked.context != allowed.context and not (
        asked.context == "patient" and allowed.context == "user"
    ):
        return None
    if allowed.resource_type == "*":
        rtype = asked.resource_type
    elif asked.resource_type in ("*", allowed.resource_type):
        rtype = allowed.resource_type
    else:
        return None
    perms = "".join(p for p in PERMISSIONS if p in asked.permissions and p in allowed.permissions)
    return ClinicalScope(asked.context, rtype, perms) if perms else None


def narrow(asked: ScopeSet, allowed: ScopeSet) -> ScopeSet:
    """The scopes of ``asked`` that ``allowed`` permits, cut down to what it permits.

    Non-clinical scopes pass when ``allowed`` lists them, or ``*`` is in ``allowed``.

    >>> str(narrow(ScopeSet.parse("user/*.cruds openid"), ScopeSet.parse("user/Observation.rs")))
    'user/Observation.rs'
    >>> str(narrow(ScopeSet.parse("patient/Observation.rs"), ScopeSet.parse("user/*.rs")))
    'patient/Observation.rs'
    >>> str(narrow(ScopeSet.parse("system/*.rs"), ScopeSet.parse("user/*.cruds")))
    ''
    """
    out: list[ClinicalScope] = []
    for a in asked.clinical:
        for b in allowed.clinical:
            got = _meet(a, b)
            if got is not None and got not in out:
                out.append(got)
    other = frozenset(o for o in asked.other if o in allowed.other or "*" in allowed.other)
    return ScopeSet(tuple(out), other)
