"""Screening worklists for the web application: filter, sort and page the warehouse's list.

The list comes from the warehouse table ``screening_worklist`` written by
the last screening run (:mod:`carehub.screening.population`), joined with
each patient's department (that of their most recent encounter), so
filtering, sorting and counting thousands of rows is one
columnar query. What each row's FHIR Task says now (its workflow status) and
the patient's name are read per page through the hub, where the storage
guard applies the user's scopes (:mod:`carehub.web.screens.worklists`).

A department-scoped user (:attr:`WorklistQuery.restrict_department`, the
Organization id ``org-<code>``) only gets patients seen by that department,
the rule the storage guard applies to FHIR reads.

The warehouse is attached read-only to an in-memory database (which holds
the department of each patient), lazily, and again when its file changes (a
new screening run).

Failure modes: without a warehouse or a screening run :meth:`WorklistSource.available`
is False and queries return nothing; an unknown sort column raises
:class:`~carehub.errors.Incorrect`.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from carehub.errors import Incorrect, did_you_mean

WORKLIST = "wh.screening_worklist"
SORTS: dict[str, str] = {
    "due": "w.due_date",
    "age": "w.age",
    "status": "w.status",
    "rule": "w.rule",
    "patient": "w.patient_id",
    "department": "d.department",
}
"""Sort key → column."""
STATUSES = ("due", "overdue", "positive", "referral", "care_gap", "insufficient_data")
"""Screening statuses that put a patient on a worklist."""


@dataclass(frozen=True, slots=True)
class WorklistQuery:
    """Filters, order and page of one worklist request."""

    programme: str
    statuses: tuple[str, ...] = ()
    department: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    sort: str = "due"
    descending: bool = False
    page: int = 1
    page_size: int = 50
    restrict_department: str | None = None


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One worklist entry (one patient, one rule)."""

    patient_id: str
    programme: str
    rule: str
    status: str
    title: str
    detail: str
    guideline: str
    due_date: datetime.date | None
    age: int | None
    sex: str | None
    department_code: str | None
    department: str | None
    messages: str | None = None
    """Title and detail as translatable messages (JSON; ``None`` from older runs)."""


@dataclass(frozen=True, slots=True)
class WorklistPage:
    """One page of rows, with the total count of matches."""

    rows: list[WorklistRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1).

        >>> WorklistPage([], 101, 1, 50).pages
        3
        """
        return max(1, -(-self.total // self.page_size))


def where_clause(q: WorklistQuery) -> tuple[str, list[Any]]:
    """The SQL filter of ``q`` and its parameters.

    >>> where_clause(WorklistQuery("kidney", statuses=("due",), age_min=40))
    ('w.programme = ? AND w.status IN (?) AND w.age >= ?', ['kidney', 'due', 40])
    """
    parts: list[str] = ["w.programme = ?"]
    params: list[Any] = [q.programme]
    if q.statuses:
        parts.append(f"w.status IN ({', '.join('?' for _ in q.statuses)})")
        params += list(q.statuses)
    if q.department:
        parts.append("d.department_code = ?")
        params.append(q.department)
    if q.age_min is not None:
        parts.append("w.age >= ?")
        params.append(q.age_min)
    if q.age_max is not None:
        parts.append("w.age <= ?")
        params.append(q.age_max)
    if q.restrict_department:
        parts.append("w.patient_id IN (SELECT patient_id FROM wh.encounters "
                     "WHERE 'org-' || department_code = ?)")
        params.append(q.restrict_department)
    return " AND ".join(parts), params


def order_clause(q: WorklistQuery) -> str:
    """The SQL ordering of ``q`` (ties broken by patient and rule).

    >>> order_clause(WorklistQuery("kidney", sort="age", descending=True))
    'w.age DESC NULLS LAST, w.patient_id, w.rule'
    >>> order_clause(WorklistQuery("kidney", sort="agee"))
    Traceback (most recent call last):
    carehub.errors.Incorrect: unknown worklist sort 'agee' Did you mean 'age'?
    """
    column = SORTS.get(q.sort)
    if column is None:
        raise Incorrect(f"unknown worklist sort {q.sort!r}{did_you_mean(q.sort, SORTS)}")
    way = "DESC" if q.descending else "ASC"
    return f"{column} {way} NULLS LAST, w.patient_id, w.rule"


_SELECT = (
    "SELECT w.patient_id, w.programme, w.rule, w.status, w.title, w.detail, w.guideline, "
    "w.due_date, w.age, w.sex, d.department_code, d.department, {messages} "
    f"FROM {WORKLIST} w LEFT JOIN web_departments d ON d.patient_id = w.patient_id"
)
_DEPARTMENTS = (
    "CREATE TABLE web_departments AS SELECT patient_id, "
    "arg_max(department_code, period_start) AS department_code, "
    "arg_max(department, period_start) AS department FROM wh.encounters GROUP BY patient_id"
)


class WorklistSource:
    """Read-only access to the screening worklist of the warehouse at ``path``."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._stamp: float = -1.0
        self._departments = False
        self._messages = "NULL"
        self._as_of: tuple[float, datetime.date | None] = (-2.0, None)
        self._lock = threading.Lock()

    def _cursor(self, departments: bool = True) -> duckdb.DuckDBPyConnection | None:
        """A cursor on the attached warehouse; ``departments``: with ``web_departments``."""
        if self.path is None or not self.path.is_file():
            return None
        stamp = self.path.stat().st_mtime
        with self._lock:
            if self._conn is None or stamp != self._stamp:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                conn = duckdb.connect(":memory:")
                conn.execute("ATTACH ? AS wh (READ_ONLY)", [str(self.path)])
                tables = {r[0] for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = 'wh'").fetchall()}
                if "screening_worklist" not in tables or "encounters" not in tables:
                    conn.close()
                    return None
                columns = {r[0] for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
                    "'wh' AND table_name = 'screening_worklist'").fetchall()}
                # runs before messages were stored have none: rows show the English text
                self._messages = "w.messages" if "messages" in columns else "NULL"
                self._conn, self._stamp, self._departments = conn, stamp, False
            if departments and not self._departments:
                self._conn.execute(_DEPARTMENTS)
                self._departments = True
            return self._conn.cursor()

    def close(self) -> None:
        """Close the warehouse connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def available(self) -> bool:
        """Whether a screening run's worklist can be read."""
        return self._cursor(departments=False) is not None

    def as_of(self) -> datetime.date | None:
        """The date the last screening run evaluated patients at."""
        cur = self._cursor(departments=False)
        if cur is None:
            return None
        if self._as_of[0] != self._stamp:
            row = cur.execute(f"SELECT max(as_of) FROM {WORKLIST}").fetchone()
            day = row[0] if row and isinstance(row[0], datetime.date) else None
            self._as_of = (self._stamp, day)
        return self._as_of[1]

    def programmes(self) -> list[tuple[str, int]]:
        """(programme, rows) of every programme on the worklist."""
        cur = self._cursor(departments=False)
        if cur is None:
            return []
        return [(str(p), int(n)) for p, n in cur.execute(
            f"SELECT programme, count(*) FROM {WORKLIST} GROUP BY 1 ORDER BY 1").fetchall()]

    def departments(self) -> list[tuple[str, str]]:
        """(code, name) of every department patients were last seen in."""
        cur = self._cursor()
        if cur is None:
            return []
        return [(str(c), str(n)) for c, n in cur.execute(
            "SELECT DISTINCT department_code, department FROM web_departments "
            "WHERE department_code IS NOT NULL ORDER BY 2").fetchall()]

    def page(self, q: WorklistQuery) -> WorklistPage:
        """One page of ``q`` with the total count."""
        cur = self._cursor()
        if cur is None:
            return WorklistPage([], 0, 1, q.page_size)
        where, params = where_clause(q)
        count = cur.execute(
            f"SELECT count(*) FROM {WORKLIST} w LEFT JOIN web_departments d "
            f"ON d.patient_id = w.patient_id WHERE {where}", params).fetchone()
        total = int(count[0]) if count else 0
        page = min(max(1, q.page), max(1, -(-total // q.page_size)))
        select = _SELECT.format(messages=self._messages)
        sql = (f"{select} WHERE {where} ORDER BY {order_clause(q)} LIMIT ? OFFSET ?")
        rows = cur.execute(sql, [*params, q.page_size, (page - 1) * q.page_size]).fetchall()
        return WorklistPage([WorklistRow(*r) for r in rows], total, page, q.page_size)

    def all_rows(self, q: WorklistQuery, chunk: int = 2000) -> Iterator[WorklistRow]:
        """Every row of ``q`` in order (for export), fetched ``chunk`` at a time."""
        first = self.page(replace(q, page=1, page_size=chunk))
        yield from first.rows
        for number in range(2, first.pages + 1):
            yield from self.page(replace(q, page=number, page_size=chunk)).rows
