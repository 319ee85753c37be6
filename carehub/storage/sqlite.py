"""The SQLite FHIR store: one embedded file, WAL journal, zero set-up.

Readers never block the writer (WAL); writers are serialized with
``BEGIN IMMEDIATE``, which is what makes If-Match checks and conditional
creates race-free. Each thread has its own connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from carehub.errors import Busy, Conflict, Incorrect
from carehub.storage.sql.dialect import SqliteDialect
from carehub.storage.sql.store import SqlStoreBase
from carehub.storage.sqlite_checkpoint import Checkpointer


class SqliteDb:
    """:class:`~carehub.storage.sql.session.Db` over a sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a query, return all rows."""
        return self.conn.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        """Run a query, return the first row."""
        row: tuple[Any, ...] | None = self.conn.execute(sql, params).fetchone()
        return row

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run a statement."""
        self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run a statement per row."""
        self.conn.executemany(sql, rows)


class SqliteStore(SqlStoreBase):
    """FHIR store in one SQLite file.

    Args:
        path: the database file (created with its folder if missing).
        compartment: the patient compartment (type → reference params); R4's by default.
        wal_pages: write-ahead log pages between automatic checkpoints
            (``PRAGMA wal_autocheckpoint``).
        background_checkpoints: checkpoint from a thread of the store's own
            (:mod:`carehub.storage.sqlite_checkpoint`); writers then checkpoint
            only as a backstop, at four times ``wal_pages``.
    """

    name = "sqlite"
    dialect = SqliteDialect()

    def __init__(
        self,
        path: str | Path,
        compartment: Mapping[str, tuple[str, ...]] | None = None,
        *,
        wal_pages: int = 10_000,
        background_checkpoints: bool = False,
    ) -> None:
        super().__init__(compartment)
        if wal_pages < 1:
            raise Incorrect(f"SQLite write-ahead log pages must be at least 1, not {wal_pages}")
        self.wal_pages = wal_pages
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        # writers checkpoint themselves only as a backstop when a thread does it
        self._autocheckpoint = wal_pages * 4 if background_checkpoints else wal_pages
        self.create_schema()
        self.checkpointer = Checkpointer(self.path) if background_checkpoints else None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA busy_timeout=30000",
                "PRAGMA cache_size=-131072",
                "PRAGMA temp_store=MEMORY",
                "PRAGMA mmap_size=1073741824",
                f"PRAGMA wal_autocheckpoint={self._autocheckpoint}",
            ):
                conn.execute(pragma)
            self._local.conn = conn
            with self._guard:
                self._all.append(conn)
        return conn

    @contextmanager
    def _begin(self, write: bool) -> Iterator[SqliteDb]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as exc:
            raise Busy(f"the database is busy: {exc}") from exc
        try:
            yield SqliteDb(conn)
        except BaseException as exc:
            conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.IntegrityError):
                raise Conflict(f"the write clashes with a stored resource: {exc}") from exc
            raise
        conn.execute("COMMIT")

    def optimize(self) -> None:
        """Gather planner statistics (``ANALYZE``): the search plans rely on them."""
        self._conn().execute("ANALYZE")

    def close(self) -> None:
        """Close every connection this store opened (and stop its checkpoint thread)."""
        if self.checkpointer is not None:
            self.checkpointer.close()
            self.checkpointer = None
        with self._guard:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
