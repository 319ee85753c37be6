"""Access requests kept in SQLite (``<data dir>/research/requests.sqlite``), every step audited.

https://hl7.org/fhir/R4/auditevent.html

:class:`RequestStore` persists requests (one JSON body per id, updated in
one transaction each); :class:`AccessService` runs the steps of
:mod:`.model` and records one AuditEvent per step through an
:class:`Auditor` (purpose of use ``HRESCH``, the request as the entity),
whether the step succeeded or was refused. The HTTP layer and the CLI both
go through the service.

Failure modes: :class:`~carehub.errors.NotFound` for an unknown request id;
:class:`~carehub.errors.Fault` when the file cannot be written; the step
errors of :mod:`.model` (nothing is stored when a step fails).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import orjson

from carehub.errors import CareHubError, Conflict, Fault, NotFound
from carehub.research.access import model
from carehub.research.access.model import AccessRequest

V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
RESEARCH_STEP = "urn:carehub:research:access"


class Auditor(Protocol):
    """Where audit events go (the audit trail's :meth:`~carehub.audit.log.AuditLog.append`)."""

    def append(self, events: Any) -> None:
        """Append AuditEvents (dicts)."""
        ...


def research_event(step: str, request_id: str | None, actor: str, *, outcome: str = "0",
                   detail: str = "", at: str | None = None) -> dict[str, Any]:
    """The AuditEvent of one access-request step.

    >>> e = research_event("approve", "rq-1", "steward.binh", at="2026-01-01T00:00:00Z")
    >>> e["subtype"][0]["code"], e["entity"][0]["what"]["identifier"]["value"], e["outcome"]
    ('approve', 'rq-1', '0')
    """
    action = {"submit": "C", "approve": "U", "reject": "U", "revoke": "U", "extract": "E",
              "read": "R"}.get(step, "E")
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110106",
                 "display": "Export"} if step == "extract" else
                {"system": RESEARCH_STEP, "code": "access-request",
                 "display": "Research access request"},
        "subtype": [{"system": RESEARCH_STEP, "code": step}],
        "action": action,
        "recorded": at or model.now(),
        "outcome": outcome,
        "purposeOfEvent": [{"coding": [{"system": V3_ACT_REASON, "code": "HRESCH"}]}],
        "agent": [{"who": {"identifier": {"value": actor or "anonymous"}}, "requestor": True,
                   "purposeOfUse": [{"coding": [{"system": V3_ACT_REASON, "code": "HRESCH"}]}]}],
        "source": {"observer": {"display": "CareHub research"}},
        "entity": [{"what": {"identifier": {"system": RESEARCH_STEP,
                                            "value": request_id or "(new)"}},
                    "type": {"code": "2"}, "description": "research access request"}],
    }
    if detail:
        event["outcomeDesc"] = detail[:1000]
    return event


class RequestStore:
    """Access requests in one SQLite file (created with its folder)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY, "
                "requester TEXT NOT NULL, status TEXT NOT NULL, body BLOB NOT NULL)"
            )
        except (OSError, sqlite3.Error) as exc:
            raise Fault(f"cannot open the access requests file {self.path}: {exc}") from None
        self.lock = threading.Lock()

    def get(self, request_id: str) -> AccessRequest:
        """The request ``request_id``.

        Raises:
            NotFound: no such request.
        """
        with self.lock:
            row = self.conn.execute(
                "SELECT body FROM requests WHERE id = ?", (request_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no research access request '{request_id}'")
        return AccessRequest.from_json(orjson.loads(row[0]))

    def list(self, requester: str | None = None) -> list[AccessRequest]:
        """Every request (or ``requester``'s), oldest first."""
        sql, params = "SELECT body FROM requests", []
        if requester is not None:
            sql, params = sql + " WHERE requester = ?", [requester]
        with self.lock:
            rows = self.conn.execute(sql + " ORDER BY rowid", params).fetchall()
        return [AccessRequest.from_json(orjson.loads(r[0])) for r in rows]

    def save(self, request: AccessRequest, *, expected_status: str | None = None) -> None:
        """Insert or update ``request``; with ``expected_status`` only if it is still that.

        Raises:
            Conflict: the stored status changed meanwhile. Fault: the write failed.
        """
        body = orjson.dumps(request.to_json())
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                if expected_status is not None:
                    row = self.conn.execute(
                        "SELECT status FROM requests WHERE id = ?", (request.id,)
                    ).fetchone()
                    if row is None or row[0] != expected_status:
                        self.conn.execute("ROLLBACK")
                        raise Conflict(f"request {request.id} changed meanwhile; reload it")
                self.conn.execute(
                    "INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?)",
                    (request.id, request.requester, request.status, body),
                )
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self.conn.execute("ROLLBACK")
                raise Fault(f"cannot write the access requests file: {exc}") from None

    def close(self) -> None:
        """Close the file."""
        with self.lock:
            self.conn.close()


class AccessService:
    """The steps of an access request, stored and audited.

    Args:
        store: where requests are kept.
        auditor: where the AuditEvents go.
    """

    def __init__(self, store: RequestStore, auditor: Auditor) -> None:
        self.store = store
        self.auditor = auditor

    def _audited(self, step: str, request_id: str | None, actor: str,
                 run: Callable[[], AccessRequest], detail: Callable[[AccessRequest], str]
                 ) -> AccessRequest:
        try:
            result = run()
        except CareHubError as exc:
            outcome = "8" if isinstance(exc, Fault) else "4"
            self.auditor.append([research_event(step, request_id, actor, outcome=outcome,
                                                detail=f"refused: {exc.message}")])
            raise
        self.auditor.append([research_event(step, result.id, actor, detail=detail(result))])
        return result

    def submit(self, data: Mapping[str, Any], requester: str) -> AccessRequest:
        """Store a new request (see :func:`~.model.submit`)."""

        def run() -> AccessRequest:
            request = model.submit(data, requester)
            self.store.save(request)
            return request

        return self._audited("submit", None, requester, run,
                             lambda r: f"project {r.project}, ethics {r.ethics_approval}")

    def get(self, request_id: str) -> AccessRequest:
        """The request ``request_id`` (NotFound if none)."""
        return self.store.get(request_id)

    def decide(self, request_id: str, steward: str, approve: bool, note: str | None = None
               ) -> AccessRequest:
        """Approve or reject a submitted request (see :func:`~.model.decide`)."""

        def run() -> AccessRequest:
            decided = model.decide(self.store.get(request_id), steward, approve, note)
            self.store.save(decided, expected_status="submitted")
            return decided

        return self._audited("approve" if approve else "reject", request_id, steward, run,
                             lambda r: r.decision_note or r.status)

    def revoke(self, request_id: str, steward: str, note: str) -> AccessRequest:
        """Withdraw an approval (see :func:`~.model.revoke`)."""

        def run() -> AccessRequest:
            revoked = model.revoke(self.store.get(request_id), steward, note)
            self.store.save(revoked, expected_status="approved")
            return revoked

        return self._audited("revoke", request_id, steward, run, lambda r: note)

    def authorize_extract(self, request_id: str, actor: str, what: str) -> AccessRequest:
        """The approved request an extract runs under; audits the attempt either way.

        Raises:
            NotFound: no such request. Forbidden: it is not approved.
        """

        def run() -> AccessRequest:
            request = self.store.get(request_id)
            model.check_can_extract(request)
            return request

        return self._audited("extract", request_id, actor, run, lambda r: f"started: {what}")

    def record_extract(self, request: AccessRequest, actor: str, summary: str,
                       *, failed: bool = False) -> None:
        """Audit the end of an extract (its files and counts, or its failure)."""
        self.auditor.append([research_event("extract", request.id, actor,
                                            outcome="8" if failed else "0", detail=summary)])
