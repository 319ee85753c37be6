"""The rows a write session has produced but not yet sent to the database.

A session's writes (version rows, ``resources`` rows, search-index rows and
the index rows to drop) are kept here and sent with one ``executemany`` per
table and statement kind when the session flushes: before any query that
could see them and at commit. A 100-entry transaction therefore costs a
handful of statements instead of several per resource.

Row ids (``versions.seq``, ``resources.rid``) are assigned here, before the
rows are sent:

* SQLite: write sessions hold the database's write lock (``BEGIN
  IMMEDIATE``), so the next ids are the current maxima plus one, counted up
  from a single query per session — the ids SQLite itself would choose;
* PostgreSQL: ids are drawn from the columns' sequences in blocks (1, 2, 4, …
  up to :data:`MAX_BLOCK` per round trip), so concurrent sessions never share
  one; an unused remainder leaves a gap, as a rolled-back insert does.

Failure modes: a unique-key violation (two sessions creating the same
resource) surfaces when the rows are flushed, inside the session, and rolls
the whole session back like any other error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from carehub.storage.sql.dialect import Dialect
from carehub.storage.sql.schema import ROW_TABLES, insert_sql

if TYPE_CHECKING:
    from carehub.fhir_model.index_rows import IndexRows
    from carehub.storage.sql.session import Db

MAX_BLOCK = 256
"""Most ids drawn from a PostgreSQL sequence in one round trip."""
DROP_CHUNK = 500
"""Row ids per ``DELETE … WHERE rid IN (…)`` statement."""

_MAXIMA = (
    "SELECT (SELECT COALESCE(MAX(seq), 0) FROM versions), "
    "(SELECT COALESCE(MAX(rid), 0) FROM resources)"
)
_SEQUENCES = (
    "SELECT nextval(pg_get_serial_sequence('versions', 'seq')), "
    "nextval(pg_get_serial_sequence('resources', 'rid')) FROM generate_series(1, ?)"
)


class IdSource:
    """Hands out ``versions.seq`` and ``resources.rid`` values for one session.

    >>> class FakeDb:
    ...     def fetchone(self, sql, params=()):
    ...         return (41, 7)
    >>> from carehub.storage.sql.dialect import SqliteDialect
    >>> ids = IdSource(FakeDb(), SqliteDialect())
    >>> ids.next_seq(), ids.next_seq(), ids.next_rid()
    (42, 43, 8)
    """

    def __init__(self, db: Any, dialect: Dialect) -> None:
        self.db = db
        self.d = dialect
        self._seq: list[int] = []
        self._rid: list[int] = []
        self._last: tuple[int, int] | None = None
        self._block = 1

    def next_seq(self) -> int:
        """The ``seq`` of the next version row."""
        if self._last is not None:
            seq = self._last[0] + 1
            self._last = (seq, self._last[1])
            return seq
        if not self._seq:
            self._fill()
            if self._last is not None:
                return self.next_seq()
        return self._seq.pop()

    def next_rid(self) -> int:
        """The ``rid`` of the next new resource."""
        if self._last is not None:
            rid = self._last[1] + 1
            self._last = (self._last[0], rid)
            return rid
        if not self._rid:
            self._fill()
            if self._last is not None:
                return self.next_rid()
        return self._rid.pop()

    def _fill(self) -> None:
        if not self.d.sequence_ids:
            row = self.db.fetchone(_MAXIMA)
            assert row is not None
            self._last = (int(row[0]), int(row[1]))
            return
        rows = self.db.fetchall(self.d.sql(_SEQUENCES), (self._block,))
        self._block = min(self._block * 2, MAX_BLOCK)
        # popped from the end: keep the lowest ids last so they are used first
        self._seq = sorted((int(r[0]) for r in rows), reverse=True)
        self._rid = sorted((int(r[1]) for r in rows), reverse=True)


class WriteBuffer:
    """Pending rows of one session (see the module docstring)."""

    def __init__(self, db: Db, dialect: Dialect) -> None:
        self.db = db
        self.d = dialect
        self.ids = IdSource(db, dialect)
        self.versions: list[tuple[object, ...]] = []
        #: rid → row of a resource created in this session and not yet flushed
        self.new: dict[int, tuple[object, ...]] = {}
        #: rid → (version, lu, deleted, hseq, rid) of a stored resource changed
        self.changed: dict[int, tuple[object, ...]] = {}
        #: rids whose stored index rows are stale
        self.drop: set[int] = set()
        self.index: dict[str, list[tuple[object, ...]]] = {}
        self._queued: set[int] = set()

    def __bool__(self) -> bool:
        return bool(self.versions or self.new or self.changed or self.drop or self.index)

    def version(
        self, rtype: str, id: str, version: int, lu: str, deleted: bool, method: str,
        body: bytes | None,
    ) -> int:
        """Queue a version row; return its ``seq``."""
        seq = self.ids.next_seq()
        value = None if body is None else self.d.body_value(body)
        self.versions.append((seq, rtype, id, version, lu, deleted, method, value))
        return seq

    def resource(
        self, rid: int | None, rtype: str, id: str, version: int, lu: str, deleted: bool,
        hseq: int,
    ) -> int:
        """Queue the ``resources`` row of a write; ``rid`` None creates one. Returns the rid."""
        if rid is None:
            rid = self.ids.next_rid()
            self.new[rid] = (rid, rtype, id, version, lu, deleted, hseq)
        elif rid in self.new:
            self.new[rid] = (rid, rtype, id, version, lu, deleted, hseq)
        else:
            self.changed[rid] = (version, lu, deleted, hseq, rid)
        return rid

    def reindex(self, rid: int, rtype: str, rows: IndexRows | None) -> None:
        """Replace the index rows of ``rid`` with ``rows`` (None: no rows, a deletion)."""
        if rid in self._queued:
            for table, items in self.index.items():
                self.index[table] = [r for r in items if r[0] != rid]
            self._queued.discard(rid)
        if rid not in self.new:
            self.drop.add(rid)
        if rows is None:
            return
        for attr, table in ROW_TABLES.items():
            items = getattr(rows, attr)
            if items:
                self.index.setdefault(table, []).extend((rid, rtype, *item) for item in items)
                self._queued.add(rid)

    def flush(self) -> None:
        """Send every pending row (versions, resources, dropped and new index rows)."""
        if not self:
            return
        d, db = self.d, self.db
        if self.versions:
            db.executemany(
                d.sql(
                    "INSERT INTO versions (seq, type, id, version, lu, deleted, method, body) "
                    f"VALUES (?, ?, ?, ?, ?, ?, ?, {d.body_in})"
                ),
                self.versions,
            )
        if self.new:
            db.executemany(
                d.sql(
                    "INSERT INTO resources (rid, type, id, version, lu, deleted, hseq) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                list(self.new.values()),
            )
        if self.changed:
            db.executemany(
                d.sql("UPDATE resources SET version = ?, lu = ?, deleted = ?, hseq = ? "
                      "WHERE rid = ?"),
                list(self.changed.values()),
            )
        if self.drop:
            self._drop(sorted(self.drop))
        for table, rows in self.index.items():
            if rows:
                db.executemany(d.sql(insert_sql(table)), rows)
        self.versions = []
        self.new = {}
        self.changed = {}
        self.drop = set()
        self.index = {}
        self._queued = set()

    def _drop(self, rids: Sequence[int]) -> None:
        for start in range(0, len(rids), DROP_CHUNK):
            chunk = rids[start : start + DROP_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for table in ROW_TABLES.values():
                self.db.execute(self.d.sql(f"DELETE FROM {table} WHERE rid IN ({marks})"), chunk)
