"""The control-id ledger: which messages were accepted, kept in SQLite.

HL7 v2.5.1 2.10.3 (MSH-10 message control id) and 2.9.2.3 (duplicates)

A sender that gets no ACK sends the message again with the same control id
(``MSH-10``); the ledger is how such a resend is recognised and answered
``AA`` without being stored twice. Control ids are unique per sending system,
so an entry's key is the sender (``MSH-3`` and ``MSH-4`` as written) and the
control id. Each entry also keeps a digest of the message (``MSH-7`` blanked, so
a resend restamped by its sender is the same message), its type, when it
was accepted and what was written.

The ledger lives in ``<CAREHUB_DATA_DIR>/hl7v2/hl7v2.sqlite3`` (with the dead
letters), so a restarted listener still knows every message it accepted. An
entry is written right after the message's store transaction commits; a
crash between the two leaves a message stored but not in the ledger, and its
resend is mapped again and writes nothing, every write being
content-compared (see :mod:`carehub.hl7v2.apply`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

STATE_FILE = "hl7v2.sqlite3"
"""The SQLite file of the ledger and the dead letters, in the HL7 state folder."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the HL7 state file (created with its folder), WAL journal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


@dataclass(frozen=True, slots=True)
class Entry:
    """One accepted message."""

    sender: str
    control_id: str
    digest: str
    message_type: str
    received: str
    resources: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """(sender, control id)."""
        return (self.sender, self.control_id)


class Ledger:
    """Accepted messages by (sender, control id), in SQLite.

    Args:
        path: the SQLite file (``<data dir>/hl7v2/hl7v2.sqlite3``).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn = connect(self.path)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS ledger ("
            " sender TEXT NOT NULL, control_id TEXT NOT NULL, digest TEXT NOT NULL,"
            " message_type TEXT NOT NULL, received TEXT NOT NULL, resources TEXT NOT NULL,"
            " PRIMARY KEY (sender, control_id)) WITHOUT ROWID"
        )

    def lookup(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Entry]:
        """The entries of those keys that are in the ledger."""
        out: dict[tuple[str, str], Entry] = {}
        wanted = list(dict.fromkeys(keys))
        with self._lock:
            for start in range(0, len(wanted), 200):
                chunk = wanted[start : start + 200]
                where = " OR ".join("(sender = ? AND control_id = ?)" for _ in chunk)
                params = [v for key in chunk for v in key]
                rows = self._conn.execute(
                    "SELECT sender, control_id, digest, message_type, received, resources "
                    f"FROM ledger WHERE {where}",
                    params,
                ).fetchall()
                for row in rows:
                    entry = Entry(row[0], row[1], row[2], row[3], row[4],
                                  tuple(orjson.loads(row[5])))
                    out[entry.key] = entry
        return out

    def get(self, sender: str, control_id: str) -> Entry | None:
        """One entry, or None."""
        return self.lookup([(sender, control_id)]).get((sender, control_id))

    def record(self, entries: Sequence[Entry]) -> None:
        """Add accepted messages (in one transaction; a key already there is kept)."""
        if not entries:
            return
        rows = [
            (e.sender, e.control_id, e.digest, e.message_type, e.received,
             orjson.dumps(list(e.resources)).decode())
            for e in entries
        ]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "INSERT OR IGNORE INTO ledger (sender, control_id, digest, message_type,"
                    " received, resources) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def count(self) -> int:
        """Number of accepted messages."""
        with self._lock:
            row = self._conn.execute("SELECT count(*) FROM ledger").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
