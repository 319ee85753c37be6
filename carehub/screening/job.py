"""One screening run end to end: evaluate the population, write worklists, write back to FHIR.

Used by ``carehub screening run`` and the demo. The write-back is optional
(``store`` may be ``None``); the ids of the Tasks it wrote are kept in the
warehouse table ``screening_tasks`` so the next run can cancel Tasks it no
longer produces.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from carehub.screening.population import RunReport, run_population, write_csv
from carehub.screening.programmes.base import DEFAULT_PROFILE, Profile
from carehub.screening.recommendation import Recommendation
from carehub.screening.writeback import WriteReport, resources_for, write_back
from carehub.storage.base import ResourceStore

TASKS = "screening_tasks"
FLUSH_RESOURCES = 5_000


@dataclass(slots=True)
class JobReport:
    """The population report, the CSV files written and the write-back counts."""

    run: RunReport
    files: list[Path]
    written: WriteReport | None


def _previous_tasks(conn: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        return [r[0] for r in conn.execute(f"SELECT id FROM {TASKS}").fetchall()]
    except duckdb.CatalogException:
        return []


def run_job(
    conn: duckdb.DuckDBPyConnection,
    as_of: datetime.date,
    out: Path,
    *,
    store: ResourceStore | None = None,
    programme_ids: Sequence[str] | None = None,
    profile: Profile = DEFAULT_PROFILE,
    progress: Callable[[int], None] | None = None,
    parquet: tuple[Path, Path] | None = None,
    workers: int = 1,
) -> JobReport:
    """Run the screening programmes on the warehouse ``conn`` and publish the results.

    Without a ``store`` and with ``workers`` > 1 and the Parquet copies of
    ``patients`` and ``screening_facts`` (``parquet``), the evaluation runs in
    parallel processes.

    Raises:
        NotFound: an unknown programme id.
        Incorrect: the warehouse has not been built.
    """
    pending: list[dict[str, Any]] = []
    task_ids: list[str] = []
    written = WriteReport() if store is not None else None

    def flush() -> None:
        if store is None or not pending:
            return
        part = write_back(store, pending)
        assert written is not None
        written.created += part.created
        written.updated += part.updated
        written.unchanged += part.unchanged
        pending.clear()

    def collect(recs: Sequence[Recommendation]) -> None:
        if store is None:
            return
        made = resources_for(recs, as_of)
        task_ids.extend(r["id"] for r in made if r["resourceType"] == "Task")
        pending.extend(made)
        if len(pending) >= FLUSH_RESOURCES:
            flush()

    previous = _previous_tasks(conn) if store is not None else []
    report = run_population(
        conn, as_of, programme_ids, profile, progress=progress,
        on_patient=collect if store is not None else None, parquet=parquet, workers=workers,
    )
    flush()
    if store is not None and written is not None:
        partial = programme_ids is not None
        stale = [] if partial else previous
        cancelled = write_back(store, [], stale)
        written.cancelled = cancelled.cancelled
        if not partial:
            conn.execute(f"CREATE OR REPLACE TABLE {TASKS} (id VARCHAR)")
            if task_ids:
                conn.executemany(f"INSERT INTO {TASKS} VALUES (?)", [(t,) for t in task_ids])
    files = write_csv(conn, out)
    return JobReport(report, files, written)
