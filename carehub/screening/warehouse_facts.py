"""Patient snapshots streamed from the warehouse's ``screening_facts`` mart.

The query joins the ``patients`` view (living patients only) to the
``screening_facts`` mart, ordered by patient, and is written once in Spark SQL
and transpiled by sqlglot to the engine's dialect (DuckDB here). Rows are
fetched in batches and grouped into one
:class:`~carehub.screening.snapshot.PatientSnapshot` per patient, so memory
stays bounded whatever the population size.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import sqlglot

from carehub.errors import Incorrect
from carehub.screening.snapshot import Fact, PatientSnapshot

SNAPSHOT_SQL = """
SELECT p.patient_id, p.gender, p.birth_date, f.kind, f.code, f.fact_date, f.value, f.unit,
       f.value_code, f.ref, f.grp, f.text, f.ident, f.flag
FROM patients AS p
LEFT JOIN screening_facts AS f ON f.patient_id = p.patient_id
WHERE NOT COALESCE(p.deceased, FALSE) AND p.deceased_at IS NULL {where}
ORDER BY p.patient_id
"""
PARTITION = "AND ABS(HASH(p.patient_id)) % {count} = {index}"
BATCH_ROWS = 50_000


def snapshot_query(
    patient_ids: Sequence[str] | None = None,
    dialect: str = "duckdb",
    partition: tuple[int, int] | None = None,
) -> str:
    """The snapshot query in ``dialect``.

    ``patient_ids`` limits it to some ``Patient/id`` keys; ``partition``
    ``(index, count)`` to the patients whose key hashes to ``index`` modulo ``count``.

    >>> "ORDER BY" in snapshot_query(), "% 2 = 1" in snapshot_query(partition=(1, 2))
    (True, True)
    """
    where = ""
    if patient_ids is not None:
        quoted = ", ".join("'" + pid.replace("'", "''") + "'" for pid in patient_ids) or "''"
        where = f"AND p.patient_id IN ({quoted})"
    if partition is not None:
        where += " " + PARTITION.format(index=partition[0], count=partition[1])
    return sqlglot.transpile(SNAPSHOT_SQL.format(where=where), read="spark", write=dialect)[0]


def _birth(text: Any) -> datetime.date | None:
    if isinstance(text, datetime.date):
        return text
    if isinstance(text, str) and len(text) >= 10:
        try:
            return datetime.date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None


def stream_snapshots(
    conn: duckdb.DuckDBPyConnection,
    as_of: datetime.date,
    patient_ids: Sequence[str] | None = None,
    partition: tuple[int, int] | None = None,
) -> Iterator[PatientSnapshot]:
    """One snapshot per living patient of the warehouse, in patient-key order.

    Raises:
        Incorrect: the warehouse has no ``screening_facts`` table (build it first).
    """
    try:
        cursor = conn.execute(snapshot_query(patient_ids, partition=partition))
    except duckdb.CatalogException as exc:
        raise Incorrect(
            "the warehouse has no screening_facts table: run `carehub warehouse build` first"
        ) from exc
    make = Fact._make
    current: str | None = None
    head: tuple[Any, ...] = ()
    facts: list[Fact] = []
    while True:
        rows = cursor.fetchmany(BATCH_ROWS)
        if not rows:
            break
        for row in rows:
            pid = row[0]
            if pid != current:
                if current is not None:
                    yield PatientSnapshot(current, head[1], _birth(head[2]), as_of, facts)
                current, head, facts = pid, row, []
            if row[3] is not None:
                facts.append(make(row[3:]))
    if current is not None:
        yield PatientSnapshot(current, head[1], _birth(head[2]), as_of, facts)
