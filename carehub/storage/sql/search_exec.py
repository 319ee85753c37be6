"""Search, ``_include``/``_revinclude`` and ``$everything`` on the SQL index tables.

https://hl7.org/fhir/R4/search.html#sort

Paging is keyset paging: a cursor holds the sort key of the row at a page
boundary, so pages stay correct while resources are created, changed or
deleted (no row is skipped or repeated because of an OFFSET shift). The default
order is ``rid``, the order in which resources were first stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from carehub.search.model import (
    ChainClause,
    Criterion,
    HasClause,
    Include,
    SearchQuery,
    SortKey,
)
from carehub.storage.base import EverythingQuery, SearchPage, StoredResource
from carehub.storage.sql.clock import to_fhir_instant
from carehub.storage.sql.criteria import MAX_TEXT, CriteriaCompiler
from carehub.storage.sql.cursor import decode_cursor, encode_cursor
from carehub.storage.sql.dialect import Dialect
from carehub.storage.sql.index_params import param_sql
from carehub.storage.sql.schema import TYPE_TABLES

if TYPE_CHECKING:
    from carehub.storage.sql.session import Db

_SORT_COLUMN = {
    "string": ("norm", "norm"),
    "token": ("code", "code"),
    "date": ("low", "high"),
    "reference": ("target_id", "target_id"),
    "quantity": ("value", "value"),
    "number": ("value", "value"),
    "uri": ("uri", "uri"),
}
_NUMERIC = frozenset({"quantity", "number"})
_SELECT = "r.rid, r.type, r.id, r.version, r.lu"


class SearchExecutor:
    """Runs :class:`SearchQuery` objects against the SQL schema."""

    def __init__(self, db: Db, dialect: Dialect, compartment: Mapping[str, tuple[str, ...]]):
        self.db = db
        self.d = dialect
        self.compartment = compartment

    # -- criteria ----------------------------------------------------------------------
    def _where(self, query: SearchQuery, cc: CriteriaCompiler) -> str:
        """The WHERE text.

        The most selective criterion (by :func:`selectivity_rank`) drives the
        plan when it is selective enough; every other criterion is probed per
        candidate row. Without a driver, rows are visited in storage order of
        their type, which with LIMIT stops as soon as a page is full.
        """
        criteria = sorted(query.criteria, key=selectivity_rank)
        drives = bool(criteria) and selectivity_rank(criteria[0]) <= _DRIVER_MAX_RANK
        parts = [f"r.deleted = {self.d.false}"]
        if query.resource_type is not None:
            # with a row-id driving criterion the type index must not be chosen instead
            hint = self.d.no_index if drives else ""
            parts.append(f"{hint}r.type = {cc.p(query.resource_type)}")
        parts.extend(
            cc.criterion("r", crit, driving=drives and i == 0) for i, crit in enumerate(criteria)
        )
        return " AND ".join(parts)

    def count(self, query: SearchQuery) -> int:
        """The number of matches."""
        cc = CriteriaCompiler()
        where = self._where(query, cc)
        row = self.db.fetchone(
            self.d.sql(f"SELECT COUNT(*) FROM resources r WHERE {where}"), cc.params
        )
        return int(row[0]) if row else 0

    def match_ids(self, query: SearchQuery, limit: int) -> list[tuple[str, str]]:
        """(type, id) of up to ``limit`` matches, in storage order."""
        cc = CriteriaCompiler()
        where = self._where(query, cc)
        rows = self.db.fetchall(
            self.d.sql(
                f"SELECT r.type, r.id FROM resources r WHERE {where} ORDER BY r.rid LIMIT ?"
            ),
            (*cc.params, limit),
        )
        return [(t, i) for t, i in rows]

    # -- search ------------------------------------------------------------------------
    def run_search(self, query: SearchQuery) -> SearchPage:
        """One page of results with includes and (when asked or free) the total."""
        if query.summary == "count":
            return SearchPage([], total=self.count(query))
        cc = CriteriaCompiler()
        keys = [self._sort_expr(k, cc, query.resource_type) for k in query.sort]
        where = self._where(query, cc)
        direction, after = ("a", None) if query.cursor is None else decode_cursor(query.cursor)
        backward = direction == "b"
        key_names = [f"k{i}" for i in range(len(keys))] + ["rid"]
        descs = [desc for _, desc in keys] + [False]
        cols = "".join(f", {expr} AS k{i}" for i, (expr, _) in enumerate(keys))
        inner = f"SELECT {_SELECT}{cols} FROM resources r WHERE {where}"
        params = list(cc.params)
        outer_where = ""
        if after is not None:
            cond, cparams = _keyset(key_names, descs, after, backward)
            outer_where = " WHERE " + cond
            params.extend(cparams)
        order = ", ".join(
            f"{n} {'DESC' if d != backward else 'ASC'}"
            for n, d in zip(key_names, descs, strict=True)
        )
        sql = f"SELECT * FROM ({inner}) s{outer_where} ORDER BY {order} LIMIT ?"
        rows = self.db.fetchall(self.d.sql(sql), (*params, query.count + 1))
        more = len(rows) > query.count
        rows = rows[: query.count]
        if backward:
            rows.reverse()
        page_keys = [[*row[5:], row[0]] for row in rows]
        matches = self._with_bodies(rows)
        nxt = prv = None
        if rows:
            if backward:
                nxt = encode_cursor("a", page_keys[-1])
                prv = encode_cursor("b", page_keys[0]) if more else None
            else:
                nxt = encode_cursor("a", page_keys[-1]) if more else None
                prv = encode_cursor("b", page_keys[0]) if after is not None else None
        total: int | None = None
        if query.total in ("accurate", "estimate"):
            total = self.count(query)
        elif query.total is None and after is None and not more:
            total = len(matches)
        included = self._includes(query.includes, matches) if query.includes else []
        return SearchPage(matches, included, nxt, prv, total)

    def _sort_expr(
        self, key: SortKey, cc: CriteriaCompiler, resource_type: str | None
    ) -> tuple[str, bool]:
        if key.param_type == "id":
            return "r.id", key.descending
        if key.param_type == "lastUpdated":
            return "r.lu", key.descending
        numeric = key.param_type in _NUMERIC
        # missing values sort last in either direction
        sentinel: object
        if key.descending:
            sentinel = -1e308 if numeric else ""
        else:
            sentinel = 1e308 if numeric else MAX_TEXT
        table = TYPE_TABLES[key.param_type]
        asc_col, desc_col = _SORT_COLUMN[key.param_type]
        agg = f"MAX(x.{desc_col})" if key.descending else f"MIN(x.{asc_col})"
        expr = (
            f"COALESCE((SELECT {agg} FROM {table} x WHERE x.rid = r.rid "
            f"AND {cc.param('x', resource_type, key.code)}), {cc.p(sentinel)})"
        )
        return expr, key.descending

    def _with_bodies(self, rows: Sequence[tuple[Any, ...]]) -> list[StoredResource]:
        if not rows:
            return []
        rids = [row[0] for row in rows]
        marks = ", ".join("?" for _ in rids)
        bodies = dict(
            self.db.fetchall(
                self.d.sql(
                    f"SELECT r.rid, v.{self.d.body_out} FROM resources r "
                    f"JOIN versions v ON v.seq = r.hseq WHERE r.rid IN ({marks})"
                ),
                rids,
            )
        )
        return [
            StoredResource(t, i, v, to_fhir_instant(lu), False, bodies.get(rid))
            for rid, t, i, v, lu, *_ in rows
        ]

    def _fetch(self, where: str, params: Sequence[object]) -> list[StoredResource]:
        rows = self.db.fetchall(
            self.d.sql(
                f"SELECT {_SELECT}, v.{self.d.body_out} FROM resources r "
                f"JOIN versions v ON v.seq = r.hseq WHERE r.deleted = {self.d.false} AND {where} "
                "ORDER BY r.rid"
            ),
            params,
        )
        return [
            StoredResource(t, i, v, to_fhir_instant(lu), False, body)
            for _, t, i, v, lu, body in rows
        ]

    # -- _include / _revinclude ----------------------------------------------------------
    def _includes(
        self, includes: Sequence[Include], matches: list[StoredResource]
    ) -> list[StoredResource]:
        seen = {(m.resource_type, m.id) for m in matches}
        out: list[StoredResource] = []
        frontier = matches
        for round_no in range(3):
            found: list[StoredResource] = []
            for inc in includes:
                if round_no > 0 and not inc.iterate:
                    continue
                got = self._include_one(inc, frontier)
                for res in got:
                    if (res.resource_type, res.id) not in seen:
                        seen.add((res.resource_type, res.id))
                        found.append(res)
            if not found:
                break
            out.extend(found)
            frontier = found
        return out

    def _include_one(self, inc: Include, frontier: list[StoredResource]) -> list[StoredResource]:
        if inc.reverse:
            return self._revinclude(inc, frontier)
        ids = [f.id for f in frontier if f.resource_type == inc.source_type]
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        params: list[object] = [inc.source_type, *ids]
        extra = ""
        if inc.code != "*":
            sql, values = param_sql("ref", inc.source_type, inc.code)
            extra += f" AND {sql}"
            params.extend(values)
        if inc.target_type:
            extra += " AND ref.target_type = ?"
            params.append(inc.target_type)
        targets = self.db.fetchall(
            self.d.sql(
                "SELECT DISTINCT ref.target_type, ref.target_id FROM idx_reference ref "
                "WHERE ref.rid IN (SELECT s.rid FROM resources s WHERE s.type = ? "
                f"AND s.id IN ({marks})){extra} AND ref.target_type IS NOT NULL"
            ),
            params,
        )
        by_type: dict[str, list[str]] = {}
        for ttype, tid in targets:
            by_type.setdefault(ttype, []).append(tid)
        out: list[StoredResource] = []
        for ttype, tids in sorted(by_type.items()):
            tmarks = ", ".join("?" for _ in tids)
            out.extend(self._fetch(f"r.type = ? AND r.id IN ({tmarks})", [ttype, *tids]))
        return out

    def _revinclude(self, inc: Include, frontier: list[StoredResource]) -> list[StoredResource]:
        by_type: dict[str, list[str]] = {}
        for f in frontier:
            by_type.setdefault(f.resource_type, []).append(f.id)
        out: list[StoredResource] = []
        for ttype, tids in sorted(by_type.items()):
            params: list[object] = [inc.source_type]
            by_param = ""
            if inc.code != "*":
                sql, values = param_sql("ref", inc.source_type, inc.code)
                by_param = f" AND {sql}"
                params.extend(values)
            marks = ", ".join("?" for _ in tids)
            params.extend([ttype, *tids])
            where = (
                f"r.rid IN (SELECT ref.rid FROM idx_reference ref WHERE ref.type = ?{by_param} "
                f"AND ref.target_type = ? AND ref.target_id IN ({marks}))"
            )
            out.extend(self._fetch(where, params))
        return out

    # -- $everything -------------------------------------------------------------------
    def run_everything(self, q: EverythingQuery) -> SearchPage:
        """The patient, its compartment, and resources those refer to; keyset-paged on rid."""
        pairs = [f"{t}|{p}" for t, ps in self.compartment.items() for p in ps]
        marks = ", ".join("?" for _ in pairs)
        members = (
            "SELECT ref.rid FROM idx_reference ref WHERE ref.target_type = 'Patient' "
            f"AND ref.target_id = ? AND (ref.type || '|' || ref.param) IN ({marks}) "
            "UNION SELECT p.rid FROM resources p WHERE p.type = 'Patient' AND p.id = ?"
        )
        referenced = (
            "SELECT t.rid FROM idx_reference ref2 JOIN resources t "
            "ON t.type = ref2.target_type AND t.id = ref2.target_id "
            f"WHERE ref2.rid IN ({members})"
        )
        once = [q.patient_id, *pairs, q.patient_id]
        params: list[object] = [*once, *once]
        where = f"(r.rid IN ({members}) OR r.rid IN ({referenced}))"
        if q.types:
            where += f" AND r.type IN ({', '.join('?' for _ in q.types)})"
            params.extend(q.types)
        if q.since:
            where += " AND r.lu >= ?"
            params.append(q.since)
        if q.cursor:
            _, key = decode_cursor(q.cursor)
            where += " AND r.rid > ?"
            params.append(int(key[0]))
        rows = self.db.fetchall(
            self.d.sql(
                f"SELECT {_SELECT}, v.{self.d.body_out} FROM resources r "
                f"JOIN versions v ON v.seq = r.hseq WHERE r.deleted = {self.d.false} AND {where} "
                "ORDER BY r.rid LIMIT ?"
            ),
            (*params, q.count + 1),
        )
        more = len(rows) > q.count
        rows = rows[: q.count]
        matches = [
            StoredResource(t, i, v, to_fhir_instant(lu), False, body)
            for _, t, i, v, lu, body in rows
        ]
        nxt = encode_cursor("a", [rows[-1][0]]) if more and rows else None
        total = len(matches) if not more and q.cursor is None else None
        return SearchPage(matches, [], nxt, None, total)


_RANK = {
    "id": 0,
    "reference": 1,
    "token": 2,
    "uri": 2,
    "string": 3,
    "quantity": 4,
    "number": 4,
    "date": 5,
    "lastUpdated": 6,
}
_NOT_DRIVING = 9
#: criteria ranked up to this are assumed selective enough to drive a search
_DRIVER_MAX_RANK = 3


def selectivity_rank(crit: Criterion) -> int:
    """A guess of how selective a criterion is (lower first); negations never drive.

    >>> from carehub.search.model import Clause
    >>> selectivity_rank(Clause("Patient", "gender", "token"))
    2
    >>> selectivity_rank(Clause("Patient", "phone", "token", "missing", (), True))
    9
    """
    if isinstance(crit, ChainClause | HasClause):
        return 4
    if crit.modifier in ("missing", "not"):
        return _NOT_DRIVING
    if crit.param_type == "string" and crit.modifier == "contains":
        return 7
    return _RANK.get(crit.param_type, 8)


def _keyset(
    names: list[str], descs: list[bool], key: list[Any], backward: bool
) -> tuple[str, list[object]]:
    """The WHERE condition selecting rows strictly after (or before) ``key``.

    >>> _keyset(["k0", "rid"], [False, False], ["a", 5], False)
    ('((k0 > ?) OR (k0 = ? AND rid > ?))', ['a', 'a', 5])
    """
    if len(key) != len(names):
        from carehub.errors import Incorrect

        raise Incorrect("the paging cursor does not belong to this search (_cursor)")
    ors: list[str] = []
    params: list[object] = []
    for i, name in enumerate(names):
        terms = [f"{names[j]} = ?" for j in range(i)]
        params.extend(key[:i])
        op = ">" if descs[i] == backward else "<"
        terms.append(f"{name} {op} ?")
        params.append(key[i])
        ors.append("(" + " AND ".join(terms) + ")")
    return "(" + " OR ".join(ors) + ")", params
