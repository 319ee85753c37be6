"""The dead-letter store: messages that were NAKed, kept with the reason.

A malformed or unmappable message is answered ``AE``/``AR`` and nothing of it
is stored in the FHIR store; its bytes, exactly as received, go here with
the error (HL7 code, location, text) so someone can fix the sender or the
mapping tables and send it again. The same bytes NAKed again add an attempt
to the existing entry instead of a new one. When a message with the same
sender and control id is later accepted (fixed and resent), its entries are
marked resolved.

Table ``dead_letter`` of ``<CAREHUB_DATA_DIR>/hl7v2/hl7v2.sqlite3`` (beside the
ledger), so dead letters survive a restart. ``carehub hl7 dead-letters`` lists
them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from carehub.hl7v2.ack import Header
from carehub.hl7v2.errors import MessageError
from carehub.hl7v2.ledger import connect


def now_utc() -> str:
    """The current instant, ISO 8601 UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One NAKed message."""

    id: int
    received: str
    last_seen: str
    attempts: int
    source: str
    sender: str
    control_id: str
    message_type: str
    ack_code: str
    error_code: str
    location: str
    reason: str
    resolved: bool
    message: bytes

    def as_dict(self, *, with_message: bool = True) -> dict[str, object]:
        """JSON form (the message as UTF-8 text, undecodable bytes replaced)."""
        out: dict[str, object] = {
            "id": self.id,
            "received": self.received,
            "lastSeen": self.last_seen,
            "attempts": self.attempts,
            "source": self.source,
            "sender": self.sender,
            "controlId": self.control_id,
            "messageType": self.message_type,
            "ack": self.ack_code,
            "errorCode": self.error_code,
            "location": self.location,
            "reason": self.reason,
            "resolved": self.resolved,
        }
        if with_message:
            out["message"] = self.message.decode("utf-8", "replace")
        return out


_COLUMNS = (
    "id, received, last_seen, attempts, source, sender, control_id, message_type, ack_code,"
    " error_code, location, reason, resolved, message"
)


class DeadLetters:
    """NAKed messages in SQLite.

    Args:
        path: the SQLite file (``<data dir>/hl7v2/hl7v2.sqlite3``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = connect(self.path)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS dead_letter ("
            " id INTEGER PRIMARY KEY, received TEXT NOT NULL, last_seen TEXT NOT NULL,"
            " attempts INTEGER NOT NULL, source TEXT NOT NULL, sender TEXT NOT NULL,"
            " control_id TEXT NOT NULL, message_type TEXT NOT NULL, ack_code TEXT NOT NULL,"
            " error_code TEXT NOT NULL, location TEXT NOT NULL, reason TEXT NOT NULL,"
            " resolved INTEGER NOT NULL DEFAULT 0, digest TEXT NOT NULL UNIQUE,"
            " message BLOB NOT NULL)"
        )
        self._conn.execute(
            "CREATE INDEX IF NOT EXISTS dead_letter_key ON dead_letter (sender, control_id)"
        )

    def add(self, raw: bytes, header: Header, error: MessageError, source: str = "") -> int:
        """Keep a NAKed message; return its entry id (the same bytes: the same entry)."""
        digest = hashlib.sha256(raw).hexdigest()
        sender = f"{header.sending_application}|{header.sending_facility}"
        stamp = now_utc()
        location = str(error.loc) if error.loc else ""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT INTO dead_letter (received, last_seen, attempts, source, sender,"
                    " control_id, message_type, ack_code, error_code, location, reason,"
                    " resolved, digest, message) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"
                    " ON CONFLICT (digest) DO UPDATE SET last_seen = excluded.last_seen,"
                    " attempts = attempts + 1, source = excluded.source,"
                    " ack_code = excluded.ack_code, error_code = excluded.error_code,"
                    " location = excluded.location, reason = excluded.reason, resolved = 0",
                    (stamp, stamp, source, sender, header.control_id, header.message_type,
                     error.ack, error.code, location, error.message, digest, raw),
                )
                row = self._conn.execute(
                    "SELECT id FROM dead_letter WHERE digest = ?", (digest,)
                ).fetchone()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return int(row[0])

    def resolve(self, keys: Sequence[tuple[str, str]]) -> int:
        """Mark the entries of these (sender, control id) resolved; return how many."""
        if not keys:
            return 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cur = self._conn.executemany(
                    "UPDATE dead_letter SET resolved = 1 WHERE sender = ? AND control_id = ?"
                    " AND resolved = 0",
                    list(keys),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return int(cur.rowcount or 0)

    def list(self, *, limit: int = 100, include_resolved: bool = False) -> list[DeadLetter]:
        """The latest entries first."""
        where = "" if include_resolved else "WHERE resolved = 0"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM dead_letter {where} ORDER BY last_seen DESC, id DESC"
                " LIMIT ?",
                (limit,),
            ).fetchall()
        return [_row(r) for r in rows]

    def get(self, entry_id: int) -> DeadLetter | None:
        """One entry, or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM dead_letter WHERE id = ?", (entry_id,)
            ).fetchone()
        return _row(row) if row else None

    def count(self, *, include_resolved: bool = False) -> int:
        """Number of entries."""
        where = "" if include_resolved else " WHERE resolved = 0"
        with self._lock:
            row = self._conn.execute(f"SELECT count(*) FROM dead_letter{where}").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def _row(row: tuple[Any, ...]) -> DeadLetter:
    message = row[13]
    return DeadLetter(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        int(row[3]),
        str(row[4]),
        str(row[5]),
        str(row[6]),
        str(row[7]),
        str(row[8]),
        str(row[9]),
        str(row[10]),
        str(row[11]),
        bool(row[12]),
        bytes(message) if isinstance(message, (bytes, bytearray, memoryview)) else b"",
    )


def as_json(letters: Sequence[DeadLetter]) -> bytes:
    """Entries as a JSON array."""
    return orjson.dumps([d.as_dict() for d in letters], option=orjson.OPT_INDENT_2)
