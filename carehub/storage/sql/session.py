"""A unit of work on a SQL FHIR store: reads, versioned writes and index upkeep.

https://hl7.org/fhir/R4/http.html#versioning

Writes append a row to ``versions`` and move the ``resources`` row to it; the
search index of the resource is replaced. Index rows of a session are buffered
and flushed before any query of the session and at commit, so a 100-entry
transaction writes each index table with one ``executemany``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import orjson

from carehub.errors import Incorrect
from carehub.fhir_model.search_index import extract
from carehub.search.model import SearchQuery
from carehub.storage.base import (
    EverythingQuery,
    HistoryPage,
    HistoryQuery,
    SearchPage,
    StoredResource,
)
from carehub.storage.sql.clock import next_instant, to_fhir_instant
from carehub.storage.sql.cursor import decode_cursor, encode_cursor
from carehub.storage.sql.dialect import Dialect
from carehub.storage.sql.schema import ROW_TABLES, insert_sql
from carehub.storage.sql.search_exec import SearchExecutor


class Db(Protocol):
    """The few database calls the SQL core needs (implemented per driver)."""

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return all rows."""
        ...

    def fetchone(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        """Run a query and return the first row."""
        ...

    def execute(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run a statement."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run a statement once per row."""
        ...


_CURRENT = (
    "SELECT r.rid, r.version, r.lu, r.deleted, r.hseq, v.{body} FROM resources r "
    "JOIN versions v ON v.seq = r.hseq WHERE r.type = ? AND r.id = ?"
)


class SqlSession(SearchExecutor):
    """The SQL implementation of :class:`~carehub.storage.base.StoreSession`."""

    def __init__(
        self, db: Db, dialect: Dialect, compartment: Mapping[str, tuple[str, ...]]
    ) -> None:
        super().__init__(db, dialect, compartment)
        self._pending: dict[str, list[tuple[object, ...]]] = {}
        self._current_sql = dialect.sql(_CURRENT.format(body=dialect.body_out))
        self._lock_sql = dialect.sql(
            "SELECT rid, version, lu, deleted, hseq FROM resources WHERE type = ? AND id = ?"
            + dialect.for_update
        )
        self._find_sql = dialect.sql("SELECT rid, version FROM resources WHERE type = ? AND id = ?")
        #: (type, id) -> (rid, version) or None, for rows locked or written in this session
        self._known: dict[tuple[str, str], tuple[int, int] | None] = {}

    # -- reads -------------------------------------------------------------------------
    def read(self, resource_type: str, id: str) -> StoredResource | None:
        """The current version, or None if never stored."""
        return self._current(resource_type, id, lock=False)

    def lock(self, resource_type: str, id: str) -> StoredResource | None:
        """The current version's metadata (``body`` is None), holding a write lock on it.

        The row is remembered so that a following :meth:`put` of the same
        resource needs no second lookup.
        """
        row = self.db.fetchone(self._lock_sql, (resource_type, id))
        if row is None:
            self._known[(resource_type, id)] = None
            return None
        rid, version, lu, deleted, hseq = row
        self._known[(resource_type, id)] = (rid, version)
        return StoredResource(
            resource_type, id, version, to_fhir_instant(lu), bool(deleted), None, seq=hseq
        )

    def _current(self, resource_type: str, id: str, *, lock: bool) -> StoredResource | None:
        row = self.db.fetchone(self._current_sql, (resource_type, id))
        if row is None:
            return None
        _, version, lu, deleted, hseq, body = row
        return StoredResource(
            resource_type, id, version, to_fhir_instant(lu), bool(deleted), body, seq=hseq
        )

    def lock_key(self, key: str) -> None:
        """SQLite write sessions are already serialized; PostgreSQL overrides this."""

    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None:
        """One version of a resource."""
        row = self.db.fetchone(
            self.d.sql(
                f"SELECT seq, lu, deleted, method, {self.d.body_out} FROM versions "
                "WHERE type = ? AND id = ? AND version = ?"
            ),
            (resource_type, id, version),
        )
        if row is None:
            return None
        seq, lu, deleted, method, body = row
        return StoredResource(
            resource_type, id, version, to_fhir_instant(lu), bool(deleted), body, method, seq
        )

    # -- writes ------------------------------------------------------------------------
    def put(self, resource: dict[str, Any], *, method: str = "PUT") -> StoredResource:
        """Store the next version of ``resource`` (see the protocol)."""
        rtype = resource.get("resourceType")
        rid_text = resource.get("id")
        if not isinstance(rtype, str) or not isinstance(rid_text, str):
            raise Incorrect("a stored resource needs resourceType and id")
        key = (rtype, rid_text)
        if key in self._known:
            current = self._known[key]
        else:
            row = self.db.fetchone(self._find_sql, key)
            current = (row[0], row[1]) if row else None
        version = current[1] + 1 if current else 1
        lu = next_instant()
        meta = dict(resource.get("meta") or {})
        meta["versionId"] = str(version)
        meta["lastUpdated"] = to_fhir_instant(lu)
        resource["meta"] = meta
        body = orjson.dumps(resource)
        seq = self._insert_version(rtype, rid_text, version, lu, False, method, body)
        if current:
            rid = current[0]
            self.db.execute(
                self.d.sql(
                    f"UPDATE resources SET version = ?, lu = ?, deleted = {self.d.false}, "
                    "hseq = ? WHERE rid = ?"
                ),
                (version, lu, seq, rid),
            )
            self._drop_index(rid)
        else:
            row = self.db.fetchone(
                self.d.sql(
                    "INSERT INTO resources (type, id, version, lu, deleted, hseq) "
                    f"VALUES (?, ?, ?, ?, {self.d.false}, ?) RETURNING rid"
                ),
                (rtype, rid_text, version, lu, seq),
            )
            assert row is not None
            rid = row[0]
        self._known[key] = (rid, version)
        self._queue_index(rid, rtype, resource)
        return StoredResource(
            rtype, rid_text, version, to_fhir_instant(lu), False, body, method, seq
        )

    def delete(self, resource_type: str, id: str) -> StoredResource | None:
        """Mark deleted; None when absent or already deleted."""
        current = self.db.fetchone(
            self.d.sql("SELECT rid, version, deleted FROM resources WHERE type = ? AND id = ?"),
            (resource_type, id),
        )
        if current is None or current[2]:
            return None
        rid, version = current[0], current[1] + 1
        self._known[(resource_type, id)] = (rid, version)
        lu = next_instant()
        seq = self._insert_version(resource_type, id, version, lu, True, "DELETE", None)
        self.db.execute(
            self.d.sql(
                f"UPDATE resources SET version = ?, lu = ?, deleted = {self.d.true}, hseq = ? "
                "WHERE rid = ?"
            ),
            (version, lu, seq, rid),
        )
        self._drop_index(rid)
        return StoredResource(
            resource_type, id, version, to_fhir_instant(lu), True, None, "DELETE", seq
        )

    def _insert_version(
        self,
        rtype: str,
        id: str,
        version: int,
        lu: str,
        deleted: bool,
        method: str,
        body: bytes | None,
    ) -> int:
        flag = self.d.true if deleted else self.d.false
        row = self.db.fetchone(
            self.d.sql(
                "INSERT INTO versions (type, id, version, lu, deleted, method, body) "
                f"VALUES (?, ?, ?, ?, {flag}, ?, {self.d.body_in}) RETURNING seq"
            ),
            (rtype, id, version, lu, method, None if body is None else self.d.body_value(body)),
        )
        assert row is not None
        return int(row[0])

    def _drop_index(self, rid: int) -> None:
        self.flush()
        for table in ROW_TABLES.values():
            self.db.execute(self.d.sql(f"DELETE FROM {table} WHERE rid = ?"), (rid,))

    def _queue_index(self, rid: int, rtype: str, resource: dict[str, Any]) -> None:
        rows = extract(resource)
        for attr, table in ROW_TABLES.items():
            items = getattr(rows, attr)
            if items:
                bucket = self._pending.setdefault(table, [])
                bucket.extend((rid, rtype, *item) for item in items)

    def flush(self) -> None:
        """Write buffered index rows (before queries, and at commit)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        for table, rows in pending.items():
            self.db.executemany(self.d.sql(insert_sql(table)), rows)

    # -- queries -----------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchPage:
        """Run a search."""
        self.flush()
        return self.run_search(query)

    def search_ids(self, query: SearchQuery, limit: int) -> list[tuple[str, str]]:
        """(type, id) of up to ``limit`` matches."""
        self.flush()
        return self.match_ids(query, limit)

    def everything(self, query: EverythingQuery) -> SearchPage:
        """The patient compartment (see the protocol)."""
        self.flush()
        return self.run_everything(query)

    def history(self, query: HistoryQuery) -> HistoryPage:
        """Versions newest first, ``count`` per page, keyset-paged on ``seq``."""
        self.flush()
        where: list[str] = []
        params: list[object] = []
        if query.resource_type is not None:
            where.append("type = ?")
            params.append(query.resource_type)
        if query.id is not None:
            where.append("id = ?")
            params.append(query.id)
        if query.since is not None:
            where.append("lu >= ?")
            params.append(query.since)
        if query.cursor is not None:
            _, key = decode_cursor(query.cursor)
            where.append("seq < ?")
            params.append(int(key[0]))
        sql = (
            f"SELECT seq, type, id, version, lu, deleted, method, {self.d.body_out} "
            "FROM versions"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY seq DESC LIMIT ?"
        )
        rows = self.db.fetchall(self.d.sql(sql), (*params, query.count + 1))
        more = len(rows) > query.count
        rows = rows[: query.count]
        versions = [
            StoredResource(t, i, v, to_fhir_instant(lu), bool(dl), b, m, s)
            for s, t, i, v, lu, dl, m, b in rows
        ]
        nxt = encode_cursor("a", [rows[-1][0]]) if more and rows else None
        return HistoryPage(versions, nxt)

    def read_many(self, resource_type: str, ids: Sequence[str]) -> dict[str, StoredResource]:
        """Current versions by id (absent ids left out)."""
        out: dict[str, StoredResource] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.fetchall(
                self.d.sql(
                    f"SELECT r.id, r.version, r.lu, r.deleted, r.hseq, v.{self.d.body_out} "
                    f"FROM resources r JOIN versions v ON v.seq = r.hseq "
                    f"WHERE r.type = ? AND r.id IN ({marks})"
                ),
                (resource_type, *chunk),
            )
            for i, version, lu, deleted, hseq, body in rows:
                out[i] = StoredResource(
                    resource_type, i, version, to_fhir_instant(lu), bool(deleted), body, seq=hseq
                )
        return out

    def scan(
        self,
        resource_type: str,
        *,
        since: str | None = None,
        after: int = 0,
        limit: int = 1000,
        patients: Sequence[str] | None = None,
    ) -> list[tuple[int, bytes | str]]:
        """Current bodies in rid order (see the protocol)."""
        self.flush()
        where = [f"r.deleted = {self.d.false}", "r.type = ?", "r.rid > ?"]
        params: list[object] = [resource_type, after]
        if since is not None:
            where.append("r.lu >= ?")
            params.append(since)
        if patients is not None:
            marks = ", ".join("?" for _ in patients) or "NULL"
            if resource_type == "Patient":
                where.append(f"r.id IN ({marks})")
                params.extend(patients)
            else:
                codes = self.compartment.get(resource_type, ())
                if not codes:
                    return []
                cmarks = ", ".join("?" for _ in codes)
                where.append(
                    "r.rid IN (SELECT ref.rid FROM idx_reference ref WHERE ref.type = ? "
                    f"AND ref.param IN ({cmarks}) AND ref.target_type = 'Patient' "
                    f"AND ref.target_id IN ({marks}))"
                )
                params.extend([resource_type, *codes, *patients])
        rows = self.db.fetchall(
            self.d.sql(
                f"SELECT r.rid, v.{self.d.body_out} FROM resources r JOIN versions v "
                f"ON v.seq = r.hseq WHERE {' AND '.join(where)} ORDER BY r.rid LIMIT ?"
            ),
            (*params, limit),
        )
        return [(int(rid), body) for rid, body in rows]

    def count_by_type(self) -> dict[str, int]:
        """Current resources per type."""
        rows = self.db.fetchall(
            self.d.sql(
                f"SELECT type, COUNT(*) FROM resources WHERE deleted = {self.d.false} GROUP BY type"
            )
        )
        return {t: int(n) for t, n in rows}
