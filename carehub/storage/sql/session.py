"""A unit of work on a SQL FHIR store: reads, versioned writes and index upkeep.

https://hl7.org/fhir/R4/http.html#versioning

Writes append a row to ``versions`` and move the ``resources`` row to it; the
search index of the resource is replaced. The rows of a session's writes are
buffered and flushed before any query that could see them and at commit, so a
100-entry transaction writes each table with one ``executemany``; reads and
locks of what the session wrote are answered from the session itself.
"""

from __future__ import annotations

import dataclasses
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
from carehub.storage.sql.search_exec import SearchExecutor
from carehub.storage.sql.write_buffer import WriteBuffer


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
    """The SQL implementation of :class:`~carehub.storage.base.StoreSession`.

    Writes are buffered (:class:`~carehub.storage.sql.write_buffer.WriteBuffer`)
    and flushed before queries that could see them and at commit; reads of
    resources this session wrote are answered from what it wrote.
    """

    def __init__(
        self, db: Db, dialect: Dialect, compartment: Mapping[str, tuple[str, ...]]
    ) -> None:
        super().__init__(db, dialect, compartment)
        self._buffer = WriteBuffer(db, dialect)
        self._current_sql = dialect.sql(_CURRENT.format(body=dialect.body_out))
        self._lock_sql = dialect.sql(
            "SELECT rid, version, lu, deleted, hseq FROM resources WHERE type = ? AND id = ?"
            + dialect.for_update
        )
        self._find_sql = dialect.sql(
            "SELECT rid, version, deleted FROM resources WHERE type = ? AND id = ?"
        )
        #: (type, id) -> (rid, version, deleted) or None, for rows looked up or written here
        self._rows: dict[tuple[str, str], tuple[int, int, bool] | None] = {}
        #: (type, id) -> lock answer, for rows locked up front (:meth:`prefetch`)
        self._locked: dict[tuple[str, str], StoredResource | None] = {}
        #: (type, id) -> the version this session last wrote
        self._latest: dict[tuple[str, str], StoredResource] = {}

    # -- reads -------------------------------------------------------------------------
    def read(self, resource_type: str, id: str) -> StoredResource | None:
        """The current version, or None if never stored."""
        written = self._latest.get((resource_type, id))
        if written is not None:
            return written
        return self._current(resource_type, id)

    def lock(self, resource_type: str, id: str) -> StoredResource | None:
        """The current version's metadata (``body`` is None), holding a write lock on it.

        The row is remembered so that a following :meth:`put` of the same
        resource needs no second lookup.
        """
        key = (resource_type, id)
        written = self._latest.get(key)
        if written is not None:
            return dataclasses.replace(written, body=None)
        if key in self._locked:
            return self._locked[key]
        row = self.db.fetchone(self._lock_sql, key)
        return self._remember_lock(key, row)

    def prefetch(self, keys: Sequence[tuple[str, str]]) -> None:
        """Lock and remember the rows of ``keys`` (type, id) in one query per type.

        Later :meth:`lock` and :meth:`put` calls on them need no query of their own.
        """
        by_type: dict[str, list[str]] = {}
        for rtype, rid in keys:
            key = (rtype, rid)
            if key not in self._latest and key not in self._locked:
                by_type.setdefault(rtype, []).append(rid)
        for rtype in sorted(by_type):  # a fixed order: concurrent sessions lock alike
            ids = sorted(set(by_type[rtype]))
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" for _ in chunk)
                rows = self.db.fetchall(
                    self.d.sql(
                        "SELECT id, rid, version, lu, deleted, hseq FROM resources "
                        f"WHERE type = ? AND id IN ({marks})" + self.d.for_update
                    ),
                    (rtype, *chunk),
                )
                found = {row[0]: row[1:] for row in rows}
                for one in chunk:
                    self._remember_lock((rtype, one), found.get(one))

    def _remember_lock(
        self, key: tuple[str, str], row: Sequence[Any] | None
    ) -> StoredResource | None:
        if row is None:
            self._rows[key] = None
            self._locked[key] = None
            return None
        rid, version, lu, deleted, hseq = row
        self._rows[key] = (rid, version, bool(deleted))
        got = StoredResource(
            key[0], key[1], version, to_fhir_instant(lu), bool(deleted), None, seq=hseq
        )
        self._locked[key] = got
        return got

    def _current(self, resource_type: str, id: str) -> StoredResource | None:
        row = self.db.fetchone(self._current_sql, (resource_type, id))
        if row is None:
            return None
        rid, version, lu, deleted, hseq, body = row
        self._rows.setdefault((resource_type, id), (rid, version, bool(deleted)))
        return StoredResource(
            resource_type, id, version, to_fhir_instant(lu), bool(deleted), body, seq=hseq
        )

    def lock_key(self, key: str) -> None:
        """SQLite write sessions are already serialized; PostgreSQL overrides this."""

    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None:
        """One version of a resource."""
        self.flush()
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
    def _row(self, key: tuple[str, str]) -> tuple[int, int, bool] | None:
        if key in self._rows:
            return self._rows[key]
        row = self.db.fetchone(self._find_sql, key)
        found = (int(row[0]), int(row[1]), bool(row[2])) if row else None
        self._rows[key] = found
        return found

    def put(self, resource: dict[str, Any], *, method: str = "PUT") -> StoredResource:
        """Store the next version of ``resource`` (see the protocol)."""
        rtype = resource.get("resourceType")
        rid_text = resource.get("id")
        if not isinstance(rtype, str) or not isinstance(rid_text, str):
            raise Incorrect("a stored resource needs resourceType and id")
        key = (rtype, rid_text)
        # a POST carries a fresh server-assigned id: nothing to look up (a clash
        # with a stored resource fails the session on the unique key)
        current = None if method == "POST" and key not in self._rows else self._row(key)
        version = current[1] + 1 if current else 1
        lu = next_instant()
        meta = dict(resource.get("meta") or {})
        meta["versionId"] = str(version)
        meta["lastUpdated"] = to_fhir_instant(lu)
        resource["meta"] = meta
        body = orjson.dumps(resource)
        buf = self._buffer
        seq = buf.version(rtype, rid_text, version, lu, False, method, body)
        rid = buf.resource(current[0] if current else None, rtype, rid_text, version, lu,
                           False, seq)
        buf.reindex(rid, rtype, extract(resource))
        self._rows[key] = (rid, version, False)
        stored = StoredResource(
            rtype, rid_text, version, to_fhir_instant(lu), False, body, method, seq
        )
        self._latest[key] = stored
        return stored

    def delete(self, resource_type: str, id: str) -> StoredResource | None:
        """Mark deleted; None when absent or already deleted."""
        key = (resource_type, id)
        current = self._row(key)
        if current is None or current[2]:
            return None
        rid, version = current[0], current[1] + 1
        lu = next_instant()
        buf = self._buffer
        seq = buf.version(resource_type, id, version, lu, True, "DELETE", None)
        buf.resource(rid, resource_type, id, version, lu, True, seq)
        buf.reindex(rid, resource_type, None)
        self._rows[key] = (rid, version, True)
        stored = StoredResource(
            resource_type, id, version, to_fhir_instant(lu), True, None, "DELETE", seq
        )
        self._latest[key] = stored
        return stored

    def flush(self) -> None:
        """Send buffered rows (before queries that could see them, and at commit)."""
        self._buffer.flush()

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
        rest = []
        for i in ids:
            written = self._latest.get((resource_type, i))
            if written is not None:
                out[i] = written
            else:
                rest.append(i)
        ids = rest
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = self.db.fetchall(
                self.d.sql(
                    f"SELECT r.id, r.version, r.lu, r.deleted, r.hseq, v.{self.d.body_out}, r.rid "
                    f"FROM resources r JOIN versions v ON v.seq = r.hseq "
                    f"WHERE r.type = ? AND r.id IN ({marks})"
                ),
                (resource_type, *chunk),
            )
            for i, version, lu, deleted, hseq, body, rid in rows:
                self._rows.setdefault((resource_type, i), (rid, version, bool(deleted)))
                out[i] = StoredResource(
                    resource_type, i, version, to_fhir_instant(lu), bool(deleted), body, seq=hseq
                )
            for i in chunk:  # known absent: a later put needs no lookup
                if i not in out:
                    self._rows.setdefault((resource_type, i), None)
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
        self.flush()
        rows = self.db.fetchall(
            self.d.sql(
                f"SELECT type, COUNT(*) FROM resources WHERE deleted = {self.d.false} GROUP BY type"
            )
        )
        return {t: int(n) for t, n in rows}
