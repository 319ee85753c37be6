"""``write_extract``: a cohort's de-identified Parquet + CSV files, dictionary, report and README.

https://duckdb.org/docs/sql/statements/copy (Parquet and CSV output)

Everything runs as SQL in the warehouse's DuckDB file; Python only computes
the keyed pseudonyms and date offsets of the selected patients (one row each)
and writes the documentation. The steps, in order:

1. research views (:mod:`carehub.research.consent`): opted-out patients are
   gone before anything else is read;
2. the selected patients: the cohort table (``patient_id``, ``index_date``)
   or every patient, with their research id and date offset;
3. their quasi-identifiers and the k-anonymity search
   (:mod:`carehub.research.deid.kanon`); patients of too-small classes are
   suppressed from every file;
4. rare-code mappings (:mod:`carehub.research.deid.rare`);
5. one de-identified table per view (:mod:`.columns`), written as
   ``<view>.parquet`` and ``<view>.csv``; small-cell-suppressed aggregates;
6. ``data_dictionary.json/csv``, ``deidentification_report.json`` and ``README.md``.

The files are written to a staging folder beside ``out_dir`` and moved into
place at the end, so a failed extract leaves nothing half-written, and an
existing non-empty ``out_dir`` is refused rather than overwritten.
"""

from __future__ import annotations

import csv
import datetime
import os
import shutil
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import carehub
from carehub.errors import Conflict, Incorrect, did_you_mean
from carehub.research.consent import (
    OPT_OUT_TABLE,
    RESEARCH_PREFIX,
    create_research_views,
    has_table,
)
from carehub.research.deid import kanon
from carehub.research.deid.aggregate import counts_sql
from carehub.research.deid.policy import DeidPolicy
from carehub.research.deid.pseudonym import key_fingerprint, record_salt, research_id, shift_days
from carehub.research.deid.rare import RareCodeOutcome, build_mapping
from carehub.research.extract.columns import QI_DESCRIPTIONS, plan_view
from carehub.research.extract.report import (
    ExtractReport,
    Population,
    ViewOutput,
    data_dictionary,
    readme,
)
from carehub.warehouse.engines.duckdb import quote
from carehub.warehouse.store import Warehouse
from carehub.warehouse.views import load_view, view_names

ENCOUNTERS = "encounters"
"""The view the first encounter (admission year, reference date for ages) comes from."""

Step = Callable[[str], None]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _count(conn: Any, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _choose_views(
    warehouse: Warehouse, policy: DeidPolicy, views: Sequence[str] | None
) -> list[str]:
    if views is None:
        chosen = [v for v in policy.views if has_table(warehouse, v)]
    else:
        chosen = list(dict.fromkeys(views))
        for view in chosen:
            if view not in policy.views:
                raise Incorrect(
                    f"policy '{policy.name}' has no rules for view '{view}'."
                    + did_you_mean(view, policy.views)
                )
            if not has_table(warehouse, view):
                raise Incorrect(f"the warehouse has no view '{view}' (build it first)")
    if not has_table(warehouse, policy.patient_view):
        raise Incorrect(f"the warehouse has no '{policy.patient_view}' view (build it first)")
    if policy.patient_view not in chosen:
        chosen.insert(0, policy.patient_view)
    return chosen


@contextmanager
def _staging(out_dir: Path) -> Iterator[Path]:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise Conflict(f"{out_dir} already exists and is not an empty folder; choose a new one")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out_dir.exists():
        out_dir.rmdir()
    staging.rename(out_dir)


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Step]:
    if not enabled:
        yield lambda _: None
        return
    bar = Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task("research extract", total=total)
        yield lambda what: bar.update(task, advance=1, description=what)


def _population_sql(cohort_table: str | None, patients: str) -> str:
    if cohort_table is None:
        return f"SELECT patient_id, CAST(NULL AS DATE) AS index_date FROM {quote(patients)}"
    return (
        f"SELECT c.patient_id, MIN(CAST(c.index_date AS DATE)) AS index_date "
        f"FROM {quote(cohort_table)} AS c WHERE c.patient_id IN "
        f"(SELECT patient_id FROM {quote(patients)}) GROUP BY c.patient_id"
    )


def _birth_sql(column: str) -> str:
    text = f"CAST({column} AS VARCHAR)"
    return (
        f"TRY_CAST(CASE LENGTH({text}) WHEN 4 THEN {text} || '-07-01' "
        f"WHEN 7 THEN {text} || '-15' ELSE SUBSTRING({text}, 1, 10) END AS DATE)"
    )


def _qi_sql(policy: DeidPolicy, patients: str, encounters: str | None, as_of: str) -> str:
    first = (
        f"(SELECT patient_id, MIN(TRY_CAST(SUBSTRING(CAST(period_start AS VARCHAR), 1, 10) "
        f"AS DATE)) AS first_day FROM {quote(encounters)} GROUP BY patient_id)"
        if encounters
        else "(SELECT CAST(NULL AS VARCHAR) AS patient_id, CAST(NULL AS DATE) AS first_day "
        "WHERE FALSE)"
    )
    admitted = "COALESCE(pop.index_date, e.first_day)"
    ref = f"COALESCE({admitted}, DATE {_literal(as_of)})"
    birth = _birth_sql("p.birth_date")
    age = (
        f"(EXTRACT(YEAR FROM {ref}) - EXTRACT(YEAR FROM {birth}) - CASE WHEN "
        f"STRFTIME({ref}, '%m-%d') < STRFTIME({birth}, '%m-%d') THEN 1 ELSE 0 END)"
    )
    year_of = f"{admitted} + k.shift_days" if policy.dates == "shift" else admitted
    return (
        f"SELECT pop.patient_id, CAST({age} AS INTEGER) AS age, p.gender AS sex, "
        f"p.state AS province, CAST(EXTRACT(YEAR FROM {year_of}) AS INTEGER) AS admission_year "
        f"FROM _rx_population AS pop JOIN _rx_keys AS k ON k.patient_id = pop.patient_id "
        f"JOIN {quote(patients)} AS p ON p.patient_id = pop.patient_id "
        f"LEFT JOIN {first} AS e ON e.patient_id = pop.patient_id"
    )


def _keys(conn: Any, policy: DeidPolicy, project_key: bytes) -> None:
    ids = [str(r[0]) for r in conn.execute("SELECT patient_id FROM _rx_population").fetchall()]
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _rx_keys AS SELECT UNNEST(CAST(? AS VARCHAR[])) AS "
        "patient_id, UNNEST(CAST(? AS VARCHAR[])) AS research_id, "
        "UNNEST(CAST(? AS INTEGER[])) AS shift_days",
        [
            ids,
            [research_id(project_key, i) for i in ids],
            [shift_days(project_key, i, policy.max_shift_days) for i in ids],
        ],
    )


def _descriptions(view: str) -> dict[str, str]:
    if view not in view_names():
        return {}
    out: dict[str, str] = {}
    for select in load_view(view).raw.get("select", []):
        for column in select.get("column", []):
            out[str(column.get("name"))] = str(column.get("description", ""))
    return out


def _copy(conn: Any, table: str, path: Path, fmt: str) -> None:
    target = _literal(str(path))
    options = "FORMAT PARQUET, COMPRESSION ZSTD" if fmt == "parquet" else "FORMAT CSV, HEADER"
    conn.execute(f"COPY {quote(table)} TO {target} ({options})")


def write_extract(
    warehouse: Warehouse,
    *,
    cohort_table: str | None,
    policy: DeidPolicy,
    project_key: bytes,
    out_dir: Path,
    views: Sequence[str] | None = None,
    opt_outs: Collection[str] = (),
    progress: bool = True,
) -> ExtractReport:
    """Write a de-identified extract of ``cohort_table``'s patients (all patients if ``None``).

    Args:
        warehouse: the built warehouse (its DuckDB file; the cohort table lives in
            the same connection).
        cohort_table: relation with ``patient_id`` and ``index_date``, or ``None``.
        policy: the de-identification policy (:func:`~carehub.research.deid.load_policy`).
        project_key: the research project's key (:func:`~carehub.research.deid.project_key`).
        out_dir: a new (or empty) folder for the extract.
        views: the views to extract (default: every view the policy has rules for
            that the warehouse holds); the patient view is always included.
        opt_outs: further opted-out patients (ids or ``Patient/<id>`` keys), e.g.
            from the FHIR store; the warehouse's ``consents`` view is always honoured.
        progress: draw a progress bar on stderr.

    Returns:
        The report (also written as ``deidentification_report.json``).

    Raises:
        Incorrect: empty key, unknown view, a view or the cohort table is missing.
        Conflict: ``out_dir`` exists and is not empty.
    """
    if not project_key:
        raise Incorrect("the research project key is empty (set CAREHUB_RESEARCH_SECRET)")
    if cohort_table is not None and not _relation_exists(warehouse, cohort_table):
        raise Incorrect(f"the cohort table '{cohort_table}' is not in the warehouse session")
    start = time.perf_counter()
    out_dir = Path(out_dir)
    chosen = _choose_views(warehouse, policy, views)
    conn = warehouse.connection
    encounters = ENCOUNTERS if has_table(warehouse, ENCOUNTERS) else None
    create_research_views(
        warehouse, list(dict.fromkeys([*chosen, *([encounters] if encounters else [])])),
        opt_outs,
    )
    source = {v: RESEARCH_PREFIX + v for v in chosen}
    temps: list[str] = ["_rx_population", "_rx_keys", "_rx_qi", "_rx_qi_released", "_rx_subjects"]
    with _staging(out_dir) as stage, _progress(progress, len(chosen) + 4) as step:
        try:
            selected, opted_out = _select(conn, cohort_table, policy.patient_view)
            conn.execute(
                "CREATE OR REPLACE TEMP TABLE _rx_population AS "
                + _population_sql(cohort_table, source[policy.patient_view])
            )
            _keys(conn, policy, project_key)
            step("pseudonyms")
            as_of = warehouse.state("as_of") or datetime.date.today().isoformat()
            conn.execute(
                "CREATE OR REPLACE TEMP TABLE _rx_qi AS " + _qi_sql(
                    policy, source[policy.patient_view],
                    RESEARCH_PREFIX + encounters if encounters else None, as_of,
                )
            )
            result = kanon.search(conn, policy, "_rx_qi", "_rx_qi_released")
            conn.execute(
                "CREATE OR REPLACE TEMP TABLE _rx_subjects AS SELECT k.patient_id, "
                "k.research_id, k.shift_days, q.suppressed FROM _rx_keys AS k "
                "JOIN _rx_qi_released AS q ON q.patient_id = k.patient_id"
            )
            step("k-anonymity")
            top_coded = _count(
                conn, f"SELECT count(*) FROM _rx_qi AS q JOIN _rx_subjects AS s ON "
                f"s.patient_id = q.patient_id WHERE NOT s.suppressed AND q.age >= {policy.top_code}"
            )
            rare: list[RareCodeOutcome] = []
            rare_tables: dict[str, dict[str, str]] = {}
            for i, rule in enumerate(policy.rare_codes):
                if rule.view in source:
                    name = f"_rx_rare_{i}"
                    temps.append(name)
                    rare.append(build_mapping(
                        conn, rule, source[rule.view], "_rx_subjects",
                        policy.rare_min_patients, name,
                    ))
                    rare_tables.setdefault(rule.view, {})[rule.column] = name
            step("rare codes")
            outputs: dict[str, ViewOutput] = {}
            salt = record_salt(project_key)
            for view in chosen:
                outputs[view] = _write_view(
                    conn, policy, view, source[view], salt, rare_tables.get(view, {}),
                    stage, temps,
                )
                step(f"{view} ({outputs[view].rows:,} rows)")
            aggregates = _aggregates(conn, policy, f"_rx_out_{policy.patient_view}", stage)
            step("aggregates")
            report = ExtractReport(
                out_dir=out_dir,
                policy=policy,
                provenance=_provenance(warehouse, cohort_table, project_key, as_of),
                population=Population(
                    selected=selected,
                    opted_out=opted_out,
                    suppressed=result.suppressed,
                    released=result.patients - result.suppressed,
                    top_coded=top_coded,
                ),
                k_anonymity=result,
                rare_codes=tuple(rare),
                views={
                    v: _moved(o, stage, out_dir) for v, o in outputs.items()
                },
                aggregates=tuple(out_dir / "aggregates" / a.name for a in aggregates),
                seconds=time.perf_counter() - start,
            )
            _documents(report, stage)
        finally:
            for name in temps:
                conn.execute(f"DROP TABLE IF EXISTS {quote(name)}")
    return report


def _relation_exists(warehouse: Warehouse, name: str) -> bool:
    try:
        warehouse.connection.execute(f"SELECT 1 FROM {quote(name)} LIMIT 0")
    except duckdb.Error:
        return False
    return True


def _select(conn: Any, cohort_table: str | None, patient_view: str) -> tuple[int, int]:
    """Patients selected (cohort or all) and how many of them opted out."""
    base = (
        f"SELECT DISTINCT patient_id FROM {quote(cohort_table)}"
        if cohort_table else f"SELECT patient_id FROM {quote(patient_view)}"
    )
    selected = _count(conn, f"SELECT count(*) FROM ({base}) AS b")
    opted = _count(
        conn, f"SELECT count(*) FROM ({base}) AS b WHERE patient_id IN "
        f"(SELECT patient_id FROM {quote(OPT_OUT_TABLE)})"
    )
    return selected, opted


def _write_view(
    conn: Any, policy: DeidPolicy, view: str, source: str, salt: str,
    rare_tables: dict[str, str], stage: Path, temps: list[str],
) -> ViewOutput:
    columns = [str(r[0]) for r in conn.execute(f"DESCRIBE {quote(source)}").fetchall()]
    is_patient = view == policy.patient_view
    plan = plan_view(
        policy, view, columns, source=source, subjects="_rx_subjects", salt=salt,
        rare_tables=rare_tables, qi_table="_rx_qi_released" if is_patient else None,
    )
    table = f"_rx_out_{view}"
    temps.append(table)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {quote(table)} AS {plan.sql}")
    rows = _count(conn, f"SELECT count(*) FROM {quote(table)}")
    types = {str(r[0]): str(r[1]) for r in conn.execute(f"DESCRIBE {quote(table)}").fetchall()}
    parquet, csv_path = stage / f"{view}.parquet", stage / f"{view}.csv"
    _copy(conn, table, parquet, "parquet")
    _copy(conn, table, csv_path, "csv")
    described = _descriptions(view)
    entries = tuple(
        {
            "name": c.name,
            "type": types.get(c.name, ""),
            "rule": c.rule,
            "description": QI_DESCRIPTIONS.get(c.name, "") if c.rule == "quasi_identifier"
            else "Research id: the project's pseudonym of the patient." if c.name == "research_id"
            else described.get(c.source or "", ""),
        }
        for c in plan.columns
    )
    return ViewOutput(view, rows, parquet, csv_path, entries, plan.dropped)


def _aggregates(conn: Any, policy: DeidPolicy, table: str, stage: Path) -> list[Path]:
    folder = stage / "aggregates"
    folder.mkdir()
    qis = list(policy.quasi_identifiers)
    groups = [[qi] for qi in qis]
    if "age_band" in qis and "sex" in qis:
        groups.append(["age_band", "sex"])
    paths = []
    for by in groups:
        path = folder / f"patients_by_{'_'.join(by)}.csv"
        conn.execute(
            f"COPY ({counts_sql(table, by, policy.min_cell)}) TO {_literal(str(path))} "
            "(FORMAT CSV, HEADER)"
        )
        paths.append(path)
    return paths


def _moved(output: ViewOutput, stage: Path, out_dir: Path) -> ViewOutput:
    return ViewOutput(
        output.view, output.rows, out_dir / output.parquet.relative_to(stage),
        out_dir / output.csv.relative_to(stage), output.columns, output.dropped,
    )


def _provenance(
    warehouse: Warehouse, cohort_table: str | None, project_key: bytes, as_of: str
) -> dict[str, Any]:
    return {
        "created_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "carehub_version": carehub.__version__,
        "warehouse_watermark": warehouse.state("watermark") or "",
        "warehouse_as_of": as_of,
        "cohort": cohort_table or "all patients",
        "project_key_fingerprint": key_fingerprint(project_key),
    }


def _documents(report: ExtractReport, stage: Path) -> None:
    entries = data_dictionary(report.views)
    (stage / "data_dictionary.json").write_bytes(
        orjson.dumps(entries, option=orjson.OPT_INDENT_2)
    )
    with (stage / "data_dictionary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["view", "name", "type", "rule", "description"])
        writer.writeheader()
        writer.writerows(entries)
    (stage / "deidentification_report.json").write_bytes(
        orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2)
    )
    (stage / "README.md").write_text(readme(report), encoding="utf-8")
