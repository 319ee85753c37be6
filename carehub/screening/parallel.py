"""Screening in several processes, each over one hash partition of the patients.

https://docs.python.org/3/library/concurrent.futures.html#processpoolexecutor

Each worker opens its own in-memory DuckDB over the warehouse's Parquet copies
of ``patients`` and ``screening_facts`` (the warehouse file itself stays with
the parent), streams the snapshots of its partition
(``hash(patient) % workers``), evaluates them and writes its result rows to a
Parquet file; the parent loads the files into the results table. Used when
no per-patient hook (write-back) is needed.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas

from carehub.screening.evaluate import evaluate_patient
from carehub.screening.programmes.base import Profile
from carehub.screening.warehouse_facts import stream_snapshots
from carehub.warehouse.parquet_log import live_sql


@dataclass(frozen=True, slots=True)
class Partition:
    """One worker's share: where the Parquet tables are, which partition, where to write."""

    patients: Path
    facts: Path
    index: int
    count: int
    as_of: datetime.date
    programmes: tuple[str, ...]
    profile: Profile
    out: Path


@dataclass(frozen=True, slots=True)
class PartitionResult:
    """What one worker did."""

    patients: int
    recommendations: int
    counts: Counter[tuple[str, str]]
    out: Path


def evaluate_partition(part: Partition) -> PartitionResult:
    """Evaluate one partition and write its rows to ``part.out`` (Parquet)."""
    from carehub.screening.population import COLUMNS, row

    conn = duckdb.connect()
    try:
        for name, folder in (("patients", part.patients), ("screening_facts", part.facts)):
            conn.execute(f"CREATE VIEW {name} AS {live_sql(folder)}")
        rows = []
        counts: Counter[tuple[str, str]] = Counter()
        patients = 0
        for snapshot in stream_snapshots(conn, part.as_of, partition=(part.index, part.count)):
            recs = evaluate_patient(snapshot, part.programmes, part.profile)
            age, sex = snapshot.age, snapshot.sex
            for rec in recs:
                rows.append(row(rec, age, sex, part.as_of))
                counts[(rec.programme, rec.status)] += 1
            patients += 1
        frame = pandas.DataFrame.from_records(rows, columns=[n for n, _ in COLUMNS])
        conn.register("_part", frame)
        types = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in COLUMNS)
        target = part.out.as_posix()
        conn.execute(f"COPY (SELECT {types} FROM _part) TO '{target}' (FORMAT PARQUET)")
        return PartitionResult(patients, len(rows), counts, part.out)
    finally:
        conn.close()


def evaluate_parallel(
    patients: Path,
    facts: Path,
    as_of: datetime.date,
    programmes: Sequence[str],
    profile: Profile,
    workdir: Path,
    workers: int,
) -> list[PartitionResult]:
    """Run :func:`evaluate_partition` for every partition in a process pool."""
    parts = [
        Partition(patients, facts, i, workers, as_of, tuple(programmes), profile,
                  workdir / f"part-{i}.parquet")
        for i in range(workers)
    ]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(evaluate_partition, parts))
