"""``carehub research omop``: FHIR → OMOP CDM v5.4 core tables, as DuckDB, Parquet and CSV.

https://ohdsi.github.io/CommonDataModel/cdm54.html and
https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/

The export is a warehouse build with other data: the OMOP source
ViewDefinitions (``views/*.json``, compiled by the warehouse's own compiler)
flatten the resources, the concept map and vocabulary table are loaded as
reference tables, and the CDM queries (:mod:`.cdm`) run as marts, on DuckDB
or Spark. The tables land in ``<out>/omop.duckdb``; each CDM table is also
written as ``<out>/<table>.parquet`` and ``<out>/<table>.csv``.

The concept map is a CSV file with the header
``source_vocabulary,source_code,concept_id`` (e.g. ``ICD10,E11.9,201826``),
typically derived from the OHDSI vocabularies (a licensed download, so
CareHub ships none): without it every ``*_concept_id`` is 0.

Failure modes: :class:`~carehub.errors.Incorrect` for a malformed concept
map (with its line) or a query that fails on the engine.
"""

from __future__ import annotations

import csv
import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson

from carehub.errors import Incorrect
from carehub.research.omop.cdm import CDM_NAMES, CDM_TABLES, HELPERS, VOCABULARIES
from carehub.warehouse.build import (
    KEY_COLUMN,
    BuildPlan,
    BuildRun,
    PlannedView,
    Progress,
    Step,
    TableReport,
    build,
    build_marts,
    flatten_views,
    publish,
    record,
    stage_resources,
)
from carehub.warehouse.compiler import compile_view
from carehub.warehouse.engines.base import Engine
from carehub.warehouse.engines.duckdb import quote
from carehub.warehouse.sources import FhirSource
from carehub.warehouse.store import Warehouse, definition_hash
from carehub.warehouse.viewdef.model import ViewDefinition, parse_view

CONCEPT_MAP_HEADER = ("source_vocabulary", "source_code", "concept_id")
"""The columns of a concept map file."""


@functools.cache
def omop_views() -> tuple[ViewDefinition, ...]:
    """The OMOP source ViewDefinitions shipped in ``views/``, in name order.

    >>> [v.name for v in omop_views()][:2]
    ['omop_src_condition', 'omop_src_drug_dispense']
    """
    folder = resources.files(__package__) / "views"
    files = sorted((i for i in folder.iterdir() if i.name.endswith(".json")), key=lambda i: i.name)
    return tuple(parse_view(orjson.loads(item.read_bytes())) for item in files)


def plan_omop(*, repeat_depth: int = 10) -> BuildPlan:
    """The build plan of the export: source views, then id maps and CDM tables.

    >>> [m.name for m in plan_omop().marts][:3]
    ['omop_person_ids', 'omop_visit_ids', 'person']
    """
    planned = tuple(
        PlannedView(
            view,
            compile_view(view, repeat_depth=repeat_depth, key_column=KEY_COLUMN),
            definition_hash(dict(view.raw)),
        )
        for view in omop_views()
    )
    return BuildPlan(planned, (*HELPERS, *CDM_TABLES))


def read_concept_map(path: Path) -> list[tuple[str, str, int]]:
    """The rows of a concept map CSV (header ``source_vocabulary,source_code,concept_id``).

    A source code may appear twice only with the same concept id.

    Raises:
        Incorrect: the file is missing, its header is wrong, a concept id is
            not an integer, or a code is mapped to two concepts (with the line).
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise Incorrect(f"cannot read concept map {path}: {exc.strerror}") from None
    seen: dict[tuple[str, str], int] = {}
    with handle:
        reader = csv.reader(handle)
        header = tuple(h.strip() for h in next(reader, []))
        if header[:3] != CONCEPT_MAP_HEADER:
            raise Incorrect(
                f"{path}: the header must be {','.join(CONCEPT_MAP_HEADER)}, not {','.join(header)}"
            )
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < 3:
                raise Incorrect(f"{path}:{line}: expected 3 columns, got {len(row)}")
            vocabulary, code, text = (cell.strip() for cell in row[:3])
            try:
                concept = int(text)
            except ValueError:
                raise Incorrect(f"{path}:{line}: concept_id '{text}' is not an integer") from None
            key = (vocabulary, code)
            if seen.get(key, concept) != concept:
                raise Incorrect(
                    f"{path}:{line}: {vocabulary} {code} is mapped to both {seen[key]} and "
                    f"{concept}"
                )
            seen[key] = concept
    return [(v, c, i) for (v, c), i in seen.items()]


def reference_step(concepts: Sequence[tuple[str, str, int]]) -> Step:
    """A build step that loads the concept map and vocabulary table into the engine."""

    def load_references(run: BuildRun) -> None:
        run.engine.load_rows(
            "omop_concept_map",
            (("source_vocabulary", "VARCHAR"), ("source_code", "VARCHAR"),
             ("concept_id", "BIGINT")),
            list(concepts),
        )
        run.engine.load_rows(
            "omop_vocabulary", (("system", "VARCHAR"), ("vocabulary_id", "VARCHAR")), VOCABULARIES
        )
        run.tables.append(TableReport("omop_concept_map", "reference", len(concepts), 0.0))
        run.tables.append(TableReport("omop_vocabulary", "reference", len(VOCABULARIES), 0.0))

    return load_references


@dataclass(frozen=True, slots=True)
class OmopReport:
    """What an export wrote: rows per CDM table, the files, the time taken."""

    rows: dict[str, int]
    database: Path
    files: tuple[Path, ...]
    concepts: int
    seconds: float
    engine: str


def export_omop(
    source: FhirSource,
    out_dir: Path,
    *,
    engine: Engine | None = None,
    concept_map: Path | None = None,
    progress: Progress | None = None,
) -> OmopReport:
    """Build the OMOP CDM tables from ``source`` into ``out_dir``.

    Args:
        source: the FHIR resources (the store, or Bulk NDJSON files).
        out_dir: where ``omop.duckdb`` and the Parquet and CSV files go (created).
        engine: the engine that runs the views and queries (default: DuckDB
            in the output file).
        concept_map: the concept map CSV, if any.
        progress: told ``(stage, table, rows)`` as the build goes.

    Raises:
        Incorrect: a malformed concept map, or a failed query.
    """
    start = time.perf_counter()
    concepts = read_concept_map(concept_map) if concept_map is not None else []
    out_dir.mkdir(parents=True, exist_ok=True)
    database = out_dir / "omop.duckdb"
    database.unlink(missing_ok=True)
    warehouse = Warehouse(database, None)
    try:
        runner = engine if engine is not None else warehouse.engine
        steps = (stage_resources, flatten_views, reference_step(concepts), build_marts, publish,
                 record)
        build(plan_omop(), source, runner, warehouse, progress=progress, steps=steps)
        files: list[Path] = []
        rows: dict[str, int] = {}
        conn = warehouse.connection
        for name in CDM_NAMES:
            rows[name] = warehouse.engine.count(name)
            for suffix, options in (("parquet", "FORMAT PARQUET"), ("csv", "FORMAT CSV, HEADER")):
                target = out_dir / f"{name}.{suffix}"
                path = str(target).replace("'", "''")
                conn.execute(
                    f"COPY (SELECT * FROM {quote(name)} ORDER BY 1) TO '{path}' ({options})"
                )
                files.append(target)
            if progress is not None:
                progress("write", name, rows[name])
    finally:
        warehouse.close()
    used = engine.name if engine is not None else "duckdb"
    return OmopReport(rows, database, tuple(files), len(concepts), time.perf_counter() - start,
                      used)
