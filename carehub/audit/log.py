"""The audit trail file: append-only, hash-chained, searchable (``<data dir>/audit.sqlite``).

https://hl7.org/fhir/R4/auditevent.html and https://hl7.org/fhir/R4/security.html#audit

Entries are only ever inserted: triggers refuse UPDATE and DELETE, each entry
carries the chain hash (:mod:`carehub.audit.chain`), and the head (last
sequence number and hash) is also written to ``audit.head`` beside the file,
so :meth:`AuditLog.verify` detects altered, deleted, inserted and truncated
entries. (Someone able to rewrite both files and recompute every hash is out
of reach of any local check; ship the head elsewhere for that.)

Failure modes: :class:`~carehub.errors.Fault` when the file cannot be opened
or written.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from carehub.audit.chain import GENESIS, canonical, link
from carehub.errors import Fault

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY, recorded TEXT NOT NULL, agent TEXT NOT NULL, client TEXT,
  patients TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, body BLOB NOT NULL,
  prev TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_recorded ON entries(recorded);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


@dataclass(slots=True)
class Verification:
    """The result of checking the chain: ``problems`` empty means intact."""

    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems


def _patients_column(event: dict[str, Any]) -> str:
    refs = [e.get("what", {}).get("reference", "") for e in event.get("entity", [])]
    ids = [r.removeprefix("Patient/") for r in refs if r.startswith("Patient/")]
    return " " + " ".join(ids) + " " if ids else ""


class AuditLog:
    """The audit trail of one data folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.head_path = path.with_suffix(".head")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists()
            self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            if fresh:
                path.chmod(0o600)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise Fault(f"cannot open the audit trail {path}: {exc}") from None
        self.lock = threading.Lock()
        row = self.conn.execute(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        self._seq, self._hash = (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def append(self, events: Sequence[dict[str, Any]]) -> None:
        """Append events (one transaction) and move the head anchor.

        Raises:
            Fault: the write failed (nothing of the batch is kept).
        """
        if not events:
            return
        with self.lock:
            seq, prev = self._seq, self._hash
            rows = []
            for event in events:
                seq += 1
                event = {**event, "id": str(seq)}
                body = canonical(event)
                digest = link(prev, body)
                agent = event["agent"][0]["who"]["identifier"]["value"]
                rows.append((seq, event["recorded"], agent, event["agent"][0].get("altId"),
                             _patients_column(event), event["action"], event["outcome"], body,
                             prev, digest))
                prev = digest
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self.conn.execute("ROLLBACK")
                raise Fault(f"cannot write the audit trail: {exc}") from None
            self._seq, self._hash = seq, prev
            self._write_head()

    def _write_head(self) -> None:
        tmp = self.head_path.with_suffix(".head.tmp")
        tmp.write_bytes(orjson.dumps({"seq": self._seq, "hash": self._hash}))
        os.replace(tmp, self.head_path)

    def verify(self) -> Verification:
        """Recompute the chain and compare it with the head anchor."""
        result = Verification()
        prev, expected_seq = GENESIS, 1
        with self.lock:
            cursor = self.conn.execute("SELECT seq, body, prev, hash FROM entries ORDER BY seq")
            for seq, body, stored_prev, stored_hash in cursor:
                result.entries += 1
                if seq != expected_seq:
                    result.problems.append(f"entries {expected_seq}..{seq - 1} are missing")
                if stored_prev != prev:
                    result.problems.append(f"entry {seq} does not follow the entry before it")
                data = body.encode() if isinstance(body, str) else bytes(body)
                digest = link(stored_prev, data)
                if digest != stored_hash:
                    result.problems.append(f"entry {seq} was altered")
                try:
                    if orjson.loads(data).get("id") != str(seq):
                        result.problems.append(f"entry {seq} holds another entry's content")
                except orjson.JSONDecodeError:
                    result.problems.append(f"entry {seq} is not JSON")
                prev, expected_seq = stored_hash, seq + 1
        last_seq = expected_seq - 1
        if self.head_path.exists():
            head = orjson.loads(self.head_path.read_bytes())
            if head.get("seq") != last_seq or head.get("hash") != prev:
                result.problems.append(
                    f"the trail ends at entry {last_seq} but the head anchor records entry "
                    f"{head.get('seq')}: entries were removed or added"
                )
        elif last_seq:
            result.problems.append("the head anchor file is missing")
        return result

    def search(self, *, patient: str | None = None, agent: str | None = None,
               since: str | None = None, until: str | None = None, count: int = 50,
               offset: int = 0) -> list[dict[str, Any]]:
        """Entries newest first, filtered by patient id, agent (user or client) and time."""
        where, params = [], []
        if patient:
            where.append("patients LIKE ? ESCAPE '\\'")
            params.append("% " + patient.replace("\\", "\\\\").replace("%", "\\%")
                          .replace("_", "\\_") + " %")
        if agent:
            where.append("(agent = ? OR client = ?)")
            params += [agent, agent]
        if since:
            where.append("recorded >= ?")
            params.append(since)
        if until:
            if len(until) == 10:  # a day: up to its end
                until += "T23:59:59.999Z"
            where.append("recorded <= ?")
            params.append(until)
        sql = ("SELECT body FROM entries" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY seq DESC LIMIT ? OFFSET ?")
        with self.lock:
            rows = self.conn.execute(sql, (*params, count, offset)).fetchall()
        return [orjson.loads(r[0]) for r in rows]

    def close(self) -> None:
        """Close the file."""
        with self.lock:
            self.conn.close()
