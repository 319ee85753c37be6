"""Run the screening programmes over the whole warehouse and write the worklists.

Snapshots stream from the warehouse (:mod:`carehub.screening.warehouse_facts`);
each is evaluated by every chosen programme; recommendations are written in
batches to two warehouse tables and to CSV files:

* ``screening_results``: every recommendation (including not-eligible and
  up-to-date ones, so coverage can be reported);
* ``screening_worklist``: the actionable ones (due, overdue, care gap,
  positive, referral, insufficient data), one CSV per programme under
  ``<out>/worklist-<programme>.csv``, care gaps also in ``care-gaps.csv``.

Besides the English ``title`` and ``detail``, the ``messages`` column holds
both as translatable messages (JSON ``{"title": {"key": ..., "params": ...},
"detail": ...}``, see :mod:`carehub.screening.messages`).

The run replaces the previous run's tables (a re-run is idempotent).
"""

from __future__ import annotations

import csv
import datetime
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pandas

from carehub.screening.evaluate import evaluate_patient, programmes
from carehub.screening.parallel import evaluate_parallel
from carehub.screening.programmes.base import DEFAULT_PROFILE, Profile
from carehub.screening.recommendation import ACTIONABLE, Recommendation
from carehub.screening.warehouse_facts import stream_snapshots

RESULTS = "screening_results"
WORKLIST = "screening_worklist"
COLUMNS = (
    ("patient_id", "VARCHAR"),
    ("programme", "VARCHAR"),
    ("rule", "VARCHAR"),
    ("status", "VARCHAR"),
    ("title", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("guideline", "VARCHAR"),
    ("due_date", "DATE"),
    ("recall_months", "INTEGER"),
    ("age", "INTEGER"),
    ("sex", "VARCHAR"),
    ("data_used", "VARCHAR"),
    ("needs", "VARCHAR"),
    ("result_values", "VARCHAR"),
    ("as_of", "DATE"),
    ("messages", "VARCHAR"),
)
BATCH = 20_000


@dataclass(slots=True)
class RunReport:
    """What a population run did: patients, recommendations by programme and status, time."""

    patients: int = 0
    recommendations: int = 0
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def patients_per_second(self) -> float:
        """Throughput of the run."""
        return self.patients / self.seconds if self.seconds else 0.0


def row(rec: Recommendation, age: int | None, sex: str | None, as_of: datetime.date) -> tuple[
    Any, ...
]:
    """The table row of one recommendation."""
    return (
        rec.patient_id,
        rec.programme,
        rec.rule,
        rec.status,
        rec.title,
        rec.detail,
        rec.guideline,
        rec.due_date,
        rec.recall_months,
        age,
        sex,
        orjson.dumps([d.to_json() for d in rec.data_used]).decode(),
        orjson.dumps(list(rec.needs)).decode(),
        orjson.dumps(dict(rec.values), default=str).decode(),
        as_of,
        orjson.dumps(rec.messages_json(), default=str).decode(),
    )


def _create(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    cols = ", ".join(f"{n} {t}" for n, t in COLUMNS)
    conn.execute(f"CREATE OR REPLACE TABLE {name} ({cols})")


def _flush(conn: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> None:
    """Append ``rows`` to the results table in one statement (through a DataFrame)."""
    if not rows:
        return
    frame = pandas.DataFrame.from_records(rows, columns=[name for name, _ in COLUMNS])
    conn.register("_screening_batch", frame)
    try:
        conn.execute(f"INSERT INTO {RESULTS} SELECT * FROM _screening_batch")
    finally:
        conn.unregister("_screening_batch")
    rows.clear()


def run_population(
    conn: duckdb.DuckDBPyConnection,
    as_of: datetime.date,
    programme_ids: Sequence[str] | None = None,
    profile: Profile = DEFAULT_PROFILE,
    *,
    progress: Callable[[int], None] | None = None,
    on_patient: Callable[[Sequence[Recommendation]], None] | None = None,
    parquet: tuple[Path, Path] | None = None,
    workers: int = 1,
) -> RunReport:
    """Evaluate every living patient in the warehouse and (re)write the result tables.

    ``progress`` is called with the number of patients done (every 1,000);
    ``on_patient`` receives each patient's recommendations (write-back hook).
    With ``workers`` > 1, the Parquet copies of ``patients`` and
    ``screening_facts`` (``parquet``) and no ``on_patient`` hook, partitions
    are evaluated in parallel processes (:mod:`carehub.screening.parallel`).

    Raises:
        NotFound: an unknown programme id.
        Incorrect: the warehouse lacks the screening facts.
    """
    chosen = [p.id for p in programmes(programme_ids)]
    report = RunReport()
    start = time.perf_counter()
    _create(conn, RESULTS)
    if workers > 1 and parquet is not None and on_patient is None:
        with tempfile.TemporaryDirectory(prefix="carehub-screening-") as tmp:
            for part in evaluate_parallel(*parquet, as_of, chosen, profile, Path(tmp), workers):
                conn.execute(f"INSERT INTO {RESULTS} SELECT * FROM read_parquet(?)",
                             [part.out.as_posix()])
                report.patients += part.patients
                report.recommendations += part.recommendations
                report.counts.update(part.counts)
        _worklist(conn)
        report.seconds = time.perf_counter() - start
        return report
    pending: list[tuple[Any, ...]] = []
    reader = conn.cursor()
    for snapshot in stream_snapshots(reader, as_of):
        recs = evaluate_patient(snapshot, chosen, profile)
        age, sex = snapshot.age, snapshot.sex
        for rec in recs:
            pending.append(row(rec, age, sex, as_of))
            report.counts[(rec.programme, rec.status)] += 1
        report.recommendations += len(recs)
        report.patients += 1
        if on_patient is not None:
            on_patient(recs)
        if len(pending) >= BATCH:
            _flush(conn, pending)
        if progress is not None and report.patients % 1000 == 0:
            progress(report.patients)
    _flush(conn, pending)
    _worklist(conn)
    report.seconds = time.perf_counter() - start
    return report


def _worklist(conn: duckdb.DuckDBPyConnection) -> None:
    statuses = ", ".join(f"'{s}'" for s in sorted(ACTIONABLE))
    conn.execute(
        f"CREATE OR REPLACE TABLE {WORKLIST} AS SELECT * FROM {RESULTS} "
        f"WHERE status IN ({statuses}) ORDER BY programme, due_date NULLS FIRST, patient_id"
    )


def write_csv(conn: duckdb.DuckDBPyConnection, out: Path) -> list[Path]:
    """Write one worklist CSV per programme and ``care-gaps.csv`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    names = [c for c, _ in COLUMNS]
    written: list[Path] = []
    programme_rows = conn.execute(f"SELECT DISTINCT programme FROM {WORKLIST}").fetchall()
    queries = [
        (out / f"worklist-{p}.csv", f"SELECT * FROM {WORKLIST} WHERE programme = ?", [p])
        for (p,) in sorted(programme_rows)
    ]
    queries.append(
        (out / "care-gaps.csv", f"SELECT * FROM {WORKLIST} WHERE status = 'care_gap'", [])
    )
    for path, sql, params in queries:
        rows = conn.execute(sql, params).fetchall()
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(names)
            writer.writerows(rows)
        written.append(path)
    return written
