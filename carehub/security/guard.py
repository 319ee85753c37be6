"""The storage guard: every data access of an authorized request passes the access policy.

http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html and
https://hl7.org/fhir/R4/compartmentdefinition-patient.html

:class:`GuardedStore` wraps a :class:`~carehub.storage.base.ResourceStore`;
its sessions check the :class:`~carehub.security.policy.AccessPolicy` before
each call and filter what comes back, so every FHIR route (read, search with
``_include``/``_revinclude``/chains/``_has``, history, ``$everything``, each
transaction entry, conditional interactions, bulk export and ``$run``) is
covered by one choke point instead of checks sprinkled over the interactions.

* reads of resources outside the caller's patient compartment (or department)
  answer "not known" (404); writes to them are Forbidden (403);
* searches get an implicit patient criterion, chained and ``_has`` types need
  the search permission, and included resources the caller may not read are
  left out;
* every resource returned or written is recorded in the request's
  :class:`~carehub.security.context.AccessRecord` for the audit trail.

Failure modes: :class:`~carehub.errors.Forbidden` from the policy; a type
whose compartment cannot be expressed as a search criterion is refused in
patient context.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import Any

from carehub.errors import Forbidden
from carehub.search.model import ChainClause, Criterion, HasClause, SearchQuery
from carehub.search.parse import SearchParser
from carehub.security.compartment import (
    SHARED_TYPES,
    body_in_compartment,
    in_compartment,
    referenced_patients,
    restriction_param,
)
from carehub.security.context import current_record
from carehub.security.policy import AccessPolicy, Restriction, deny
from carehub.storage.base import (
    EverythingQuery,
    HistoryPage,
    HistoryQuery,
    ResourceStore,
    SearchPage,
    StoredResource,
    StoreSession,
)


def _touch(items: Sequence[StoredResource]) -> None:
    record = current_record.get()
    if record is not None:
        for item in items:
            record.touch(item.resource_type, item.id, item.body)


def criteria_types(criteria: Sequence[Criterion]) -> set[str]:
    """Resource types a search reaches through chains and ``_has`` (searched, not returned).

    >>> from carehub.search.model import Clause
    >>> inner = Clause("Patient", "name", "string")
    >>> sorted(criteria_types([ChainClause("Observation", "subject", "Patient", inner)]))
    ['Patient']
    """
    out: set[str] = set()
    for c in criteria:
        if isinstance(c, ChainClause):
            out.add(c.target_type)
            out |= criteria_types([c.inner])
        elif isinstance(c, HasClause):
            out.add(c.source_type)
            out |= criteria_types([c.inner])
    return out


class GuardedSession:
    """A :class:`~carehub.storage.base.StoreSession` that enforces the access policy."""

    def __init__(self, inner: StoreSession, policy: AccessPolicy, parser: SearchParser) -> None:
        self.inner = inner
        self.policy = policy
        self.parser = parser
        self._departments: dict[tuple[str, str], bool] = {}

    # -- visibility ------------------------------------------------------------------
    def _in_department(self, department: str, body: bytes | str | None) -> bool:
        """Whether every patient the resource refers to was seen by ``department``."""
        if body is None:
            return False
        patients = referenced_patients(body)
        if b'"resourceType":"Patient"' in (body.encode() if isinstance(body, str) else body):
            import orjson

            patients.add(str(orjson.loads(body).get("id")))  # the Patient itself
        for pid in patients:
            key = (department, pid)
            if key not in self._departments:
                q = self.parser.parse(
                    "Encounter",
                    [("patient", f"Patient/{pid}"),
                     ("service-provider", f"Organization/{department}")],
                )
                found = bool(self.inner.search_ids(q, 1))
                if not found:
                    q = self.parser.parse(
                        "Patient", [("_id", pid), ("organization", f"Organization/{department}")]
                    )
                    found = bool(self.inner.search_ids(q, 1))
                self._departments[key] = found
            if not self._departments[key]:
                return False
        return True

    def _visible(self, how: Restriction, item: StoredResource) -> bool:
        if how.none:
            return True
        if item.body is None:
            return False
        if (how.patient is not None and item.resource_type not in SHARED_TYPES
                and not body_in_compartment(item.body, how.patient)):
            return False
        return how.department is None or self._in_department(how.department, item.body)

    def _readable(self, item: StoredResource) -> bool:
        how = self.policy.permits("r", item.resource_type)
        return how is not None and self._visible(how, item)

    def _restrict(self, query: SearchQuery, how: Restriction) -> SearchQuery:
        for reached in sorted(criteria_types(query.criteria)):
            self.policy.require("s", reached)
        if how.patient is None or query.resource_type in SHARED_TYPES:
            return query
        rtype = query.resource_type
        if rtype == "Patient":
            items = [("_id", how.patient)]
        else:
            param = restriction_param(rtype or "", self.parser.params(rtype or ""))
            if rtype is None or param is None:
                raise deny("s", rtype)
            items = [(param, f"Patient/{how.patient}")]
        extra = self.parser.parse(rtype, items).criteria
        return replace(query, criteria=(*query.criteria, *extra))

    # -- reads -----------------------------------------------------------------------
    def read(self, resource_type: str, id: str) -> StoredResource | None:
        """The current version if the caller may read it; otherwise as if unknown."""
        how = self.policy.require("r", resource_type)
        got = self.inner.read(resource_type, id)
        if got is None or not self._visible(how, got):
            return None
        _touch([got])
        return got

    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None:
        """One version if the caller may read it."""
        how = self.policy.require("r", resource_type)
        got = self.inner.vread(resource_type, id, version)
        if got is None or not self._visible(how, got):
            return None
        _touch([got])
        return got

    def read_many(self, resource_type: str, ids: Sequence[str]) -> dict[str, StoredResource]:
        """The readable ones of several resources."""
        how = self.policy.require("r", resource_type)
        got = self.inner.read_many(resource_type, ids)
        out = {k: v for k, v in got.items() if self._visible(how, v)}
        _touch(list(out.values()))
        return out

    def search(self, query: SearchQuery) -> SearchPage:
        """A search restricted to what the caller may see."""
        how = self.policy.require("s", query.resource_type)
        page = self.inner.search(self._restrict(query, how))
        matches = [m for m in page.matches if self._visible(how, m)]
        included = [i for i in page.included if self._readable(i)]
        _touch(matches + included)
        # a department filter runs after the query: the store's total would count others
        total = page.total if how.department is None else None
        return SearchPage(matches, included, page.next_cursor, page.prev_cursor, total)

    def search_ids(self, query: SearchQuery, limit: int) -> list[tuple[str, str]]:
        """Conditional matching, restricted like a search."""
        how = self.policy.require("s", query.resource_type)
        found = self.inner.search_ids(self._restrict(query, how), limit)
        if how.department is None:
            return found
        return [(t, i) for t, i in found if (s := self.inner.read(t, i)) and self._visible(how, s)]

    def history(self, query: HistoryQuery) -> HistoryPage:
        """Versions the caller may read (patient context: instance history only)."""
        if query.id is not None and query.resource_type is not None:
            how = self.policy.require("r", query.resource_type)
        else:
            how = self.policy.require("s", query.resource_type)
            if how.patient is not None and query.resource_type not in SHARED_TYPES:
                raise deny("s", query.resource_type, "patient-context tokens may only read the "
                           "history of single resources")
        page = self.inner.history(query)
        if query.resource_type is None:
            kept = [v for v in page.versions if v.body is not None and self._readable(v)]
        else:
            kept = [v for v in page.versions if self._visible(how, v)]
        _touch(kept)
        return HistoryPage(kept, page.next_cursor, None if len(kept) != len(page.versions)
                           else page.total)

    def everything(self, query: EverythingQuery) -> SearchPage:
        """``$everything`` limited to readable types and the caller's compartment."""
        how = self.policy.require("r", "Patient")
        if how.patient is not None and how.patient != query.patient_id:
            return SearchPage([])
        page = self.inner.everything(query)
        matches = [m for m in page.matches if self._readable(m)]
        included = [i for i in page.included if self._readable(i)]
        _touch(matches + included)
        return SearchPage(matches, included, page.next_cursor, page.prev_cursor, None)

    def count_by_type(self) -> dict[str, int]:
        """Counts per type (needs unrestricted search on every type)."""
        how = self.policy.require("s", None)
        if not how.none:
            raise deny("s", None, "counts across all patients need unrestricted access")
        return self.inner.count_by_type()

    def scan(
        self,
        resource_type: str,
        *,
        since: str | None = None,
        after: int = 0,
        limit: int = 1000,
        patients: Sequence[str] | None = None,
    ) -> list[tuple[int, bytes | str]]:
        """Bulk reads (export, ``$run``) of a readable type, cut to the caller's patient."""
        how = self.policy.require("r", resource_type)
        if how.patient is not None and resource_type not in SHARED_TYPES:
            if patients is not None and how.patient not in patients:
                return []
            patients = [how.patient]
        rows = self.inner.scan(
            resource_type, since=since, after=after, limit=limit, patients=patients
        )
        if how.department is not None:
            dept = how.department
            rows = [(p, b) for p, b in rows if self._in_department(dept, b)]
            if not rows:
                return []
        record = current_record.get()
        if record is not None:
            for _, body in rows[: record.limit]:
                record.bodies.append(body)
        return rows

    # -- writes ----------------------------------------------------------------------
    def _check_write(self, how: Restriction, resource: dict[str, Any]) -> None:
        if how.patient is not None and not in_compartment(resource, how.patient):
            raise deny("u", str(resource.get("resourceType")),
                       "the resource is not in the compartment of the token's patient")
        if how.department is not None:
            import orjson

            if not self._in_department(how.department, orjson.dumps(resource)):
                raise deny("u", str(resource.get("resourceType")),
                           "the resource's patient is outside the token's department")

    def lock(self, resource_type: str, id: str) -> StoredResource | None:
        """Lock for a write: the caller must be allowed to change the current version."""
        how = self.policy.permits("u", resource_type) or self.policy.require("d", resource_type)
        got = self.inner.lock(resource_type, id)
        if got is not None and got.body is not None and not self._visible(how, got):
            raise deny("u", resource_type, "the resource is outside what the token may change")
        return got

    def lock_key(self, key: str) -> None:
        """Serialize on ``key`` (no data is read)."""
        self.inner.lock_key(key)

    def prefetch(self, keys: Sequence[tuple[str, str]]) -> None:
        """Lock ahead (no body is returned; :meth:`lock` checks each one when asked)."""
        self.inner.prefetch(keys)

    def put(self, resource: dict[str, Any], *, method: str = "PUT") -> StoredResource:
        """Store ``resource`` if the caller may create/update it, inside its compartment."""
        rtype = str(resource.get("resourceType"))
        current = None
        if method != "POST" and isinstance(resource.get("id"), str):
            current = self.inner.read(rtype, resource["id"])
        creating = current is None or current.deleted
        how = self.policy.require("c" if creating else "u", rtype)
        if current is not None and current.body is not None and not self._visible(how, current):
            raise deny("u", rtype, "the resource is outside what the token may change")
        self._check_write(how, resource)
        stored = self.inner.put(resource, method=method)
        _touch([stored])
        return stored

    def delete(self, resource_type: str, id: str) -> StoredResource | None:
        """Delete if the caller may delete this resource."""
        how = self.policy.require("d", resource_type)
        current = self.inner.read(resource_type, id)
        if current is not None and current.body is not None and not self._visible(how, current):
            raise deny("d", resource_type, "the resource is outside what the token may delete")
        if current is not None:
            _touch([current])
        return self.inner.delete(resource_type, id)


class GuardedStore:
    """A resource store whose sessions enforce ``policy``."""

    def __init__(self, inner: ResourceStore, policy: AccessPolicy, parser: SearchParser) -> None:
        self.inner = inner
        self.policy = policy
        self.parser = parser
        self.name = inner.name

    def session(self, *, write: bool = False) -> AbstractContextManager[StoreSession]:
        """A guarded unit of work."""
        return self._session(write)

    @contextmanager
    def _session(self, write: bool) -> Iterator[StoreSession]:
        with self.inner.session(write=write) as s:
            yield GuardedSession(s, self.policy, self.parser)

    def optimize(self) -> None:
        """Refresh planner statistics."""
        self.inner.optimize()

    def close(self) -> None:
        """Release connections."""
        self.inner.close()


__all__ = ["Forbidden", "GuardedSession", "GuardedStore", "criteria_types"]
