"""``carehub warehouse build``: FHIR resources → flattened views → marts → DuckDB + Parquet.

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/ (views) and https://hl7.org/fhir/uv/bulkdata/ (input)

:func:`plan_build` compiles the views (a pure step: no I/O); :func:`build`
runs :data:`STEPS` in order over a :class:`BuildRun`:

1. :func:`stage_resources`: load each needed resource type from the
   :class:`~carehub.warehouse.sources.FhirSource` into the engine (NDJSON
   files are read in place, other sources are written to NDJSON first);
2. :func:`flatten_views`: one table per view;
3. :func:`build_marts`: reference tables, then the marts;
4. :func:`publish`: the tables land in the warehouse's DuckDB file and in
   Parquet (an engine other than the file's own DuckDB writes Parquet, which
   the file then imports);
5. :func:`record`: bookkeeping and the watermark for ``refresh``.

Callers may pass their own ``steps=``. ``progress`` is told what happens.
"""

from __future__ import annotations

import datetime
import functools
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from carehub.warehouse.compiler import DEFAULT_REPEAT_DEPTH, compile_view
from carehub.warehouse.engines.base import Engine
from carehub.warehouse.ir import CompiledView
from carehub.warehouse.marts import MARTS, REFERENCE_TABLES, Mart, select_marts
from carehub.warehouse.sources import FhirSource
from carehub.warehouse.store import TableInfo, Warehouse, definition_hash, now_instant
from carehub.warehouse.viewdef.model import ViewDefinition
from carehub.warehouse.views import standard_views

KEY_COLUMN = "_resource_id"
"""The column every built view table gets: the id of the resource a row comes from."""

Progress = Callable[[str, str, int], None]
"""Told ``(stage, table or resource type, rows)`` as the build goes (rows -1: not counted)."""


def _quiet(stage: str, name: str, rows: int) -> None:
    """A progress callback that ignores everything."""


@runtime_checkable
class FileBacked(Protocol):
    """A source whose resources already lie in NDJSON files (read in place)."""

    def files(self, resource_type: str) -> list[Path]:
        """The NDJSON files holding resources of ``resource_type``."""
        ...

    def exclusive(self, resource_type: str) -> bool:
        """Whether those files hold only resources of ``resource_type``."""
        ...


@dataclass(frozen=True, slots=True)
class PlannedView:
    """A view to build: its definition, its compiled form and the definition's hash."""

    view: ViewDefinition
    compiled: CompiledView
    hash: str

    @property
    def name(self) -> str:
        """The table name."""
        return self.compiled.name


@dataclass(frozen=True, slots=True)
class BuildPlan:
    """The views and marts a build makes."""

    views: tuple[PlannedView, ...]
    marts: tuple[Mart, ...]

    @property
    def resource_types(self) -> list[str]:
        """The resource types the views read, sorted."""
        return sorted({v.view.resource for v in self.views})


def plan_build(
    views: Sequence[ViewDefinition] | None = None,
    marts: Sequence[str] | None = None,
    *,
    repeat_depth: int = DEFAULT_REPEAT_DEPTH,
) -> BuildPlan:
    """Compile ``views`` (the standard views by default) and pick the marts they allow.

    Raises:
        Incorrect: a view does not compile, or an unknown mart name.
    """
    chosen = list(views) if views is not None else standard_views()
    planned = tuple(
        PlannedView(
            view,
            compile_view(view, repeat_depth=repeat_depth, key_column=KEY_COLUMN),
            definition_hash(dict(view.raw)),
        )
        for view in chosen
    )
    built = [p.name for p in planned]
    return BuildPlan(planned, tuple(select_marts(marts, built)))


@dataclass(frozen=True, slots=True)
class TableReport:
    """What one table of a build holds."""

    name: str
    kind: str
    rows: int
    seconds: float


@dataclass(slots=True)
class BuildRun:
    """The state the build steps share."""

    plan: BuildPlan
    source: FhirSource
    engine: Engine
    warehouse: Warehouse
    as_of: datetime.date
    progress: Progress
    workdir: Path
    watermark: str = ""
    staged: dict[str, str] = field(default_factory=dict)
    resources: dict[str, int | None] = field(default_factory=dict)
    tables: list[TableReport] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BuildReport:
    """The outcome of a build: every table, the resources read and the time taken."""

    tables: tuple[TableReport, ...]
    resources: dict[str, int | None]
    watermark: str
    seconds: float
    engine: str

    @property
    def rows(self) -> int:
        """Rows written over all view tables."""
        return sum(t.rows for t in self.tables if t.kind == "view")


def stage_name(resource_type: str) -> str:
    """The engine relation a resource type is staged in.

    >>> stage_name("MedicationRequest")
    'stage_medicationrequest'
    """
    return f"stage_{resource_type.lower()}"


def write_ndjson(path: Path, bodies: Iterable[bytes | str]) -> int:
    """Write JSON texts one per line; returns how many."""
    count = 0
    with path.open("wb") as handle:
        for body in bodies:
            data = body.encode() if isinstance(body, str) else body
            handle.write(data.rstrip(b"\n"))
            handle.write(b"\n")
            count += 1
    return count


def stage_resources(run: BuildRun) -> None:
    """Load every resource type the views need into the engine."""
    for resource_type in run.plan.resource_types:
        name = stage_name(resource_type)
        only: str | None = resource_type
        if isinstance(run.source, FileBacked):
            files = [str(f) for f in run.source.files(resource_type)]
            only = resource_type if run.source.exclusive(resource_type) else None
        else:
            path = run.workdir / f"{resource_type}.ndjson"
            write_ndjson(path, run.source.resources(resource_type))
            files = [str(path)]
        count = run.engine.load_ndjson(name, files, only)
        run.staged[resource_type] = name
        run.resources[resource_type] = count
        run.progress("stage", resource_type, -1 if count is None else count)


def flatten_views(run: BuildRun) -> None:
    """Build one table per view from the staged resources."""
    for planned in run.plan.views:
        start = time.perf_counter()
        sql = run.engine.sql(planned.compiled, run.staged[planned.view.resource])
        rows = run.engine.create_table(planned.name, sql)
        run.tables.append(TableReport(planned.name, "view", rows, time.perf_counter() - start))
        run.progress("view", planned.name, rows)


def build_marts(run: BuildRun) -> None:
    """Load the reference tables the marts need, then build the marts."""
    needed = {r for mart in run.plan.marts for r in mart.references}
    for name in sorted(needed):
        table = REFERENCE_TABLES[name]()
        run.engine.load_rows(table.name, table.columns, table.rows)
        run.tables.append(TableReport(table.name, "reference", len(table.rows), 0.0))
    for mart in run.plan.marts:
        start = time.perf_counter()
        sql = run.engine.transpile_once(
            ("mart", mart.sql, run.as_of), functools.partial(mart.query, run.as_of)
        )
        rows = run.engine.create_table(mart.name, sql)
        run.tables.append(TableReport(mart.name, "mart", rows, time.perf_counter() - start))
        run.progress("mart", mart.name, rows)


def publish(run: BuildRun) -> None:
    """Put every table in the warehouse file and its Parquet folder."""
    own = run.engine is run.warehouse.engine
    for table in run.tables:
        folder = run.warehouse.table_folder(table.name)
        if own:
            if folder is not None:
                run.warehouse.export_parquet(table.name)
        else:
            target = folder if folder is not None else run.workdir / "parquet" / table.name
            run.engine.write_parquet(table.name, str(target))
            run.warehouse.import_parquet(table.name, target)
        run.progress("publish", table.name, table.rows)


def record(run: BuildRun) -> None:
    """Store the bookkeeping of every table and the watermark."""
    hashes = {v.name: (v.hash, v.view.resource) for v in run.plan.views}
    mart_hashes = {m.name: definition_hash(m.sql) for m in MARTS}
    for table in run.tables:
        digest, resource = hashes.get(table.name, (mart_hashes.get(table.name, ""), None))
        run.warehouse.record(
            TableInfo(table.name, table.kind, resource, table.rows, run.watermark, digest)
        )
    run.warehouse.set_state("watermark", run.watermark)
    run.warehouse.set_state("as_of", run.as_of.isoformat())
    run.warehouse.set_state("engine", run.engine.name)


Step = Callable[[BuildRun], None]
"""One build step."""

STEPS: tuple[Step, ...] = (stage_resources, flatten_views, build_marts, publish, record)
"""The steps of a build, in order."""


def build(
    plan: BuildPlan,
    source: FhirSource,
    engine: Engine,
    warehouse: Warehouse,
    *,
    as_of: datetime.date | None = None,
    progress: Progress | None = None,
    steps: Sequence[Step] = STEPS,
) -> BuildReport:
    """Build the warehouse from ``source`` with ``engine``.

    The watermark is taken before anything is read, so a later refresh
    re-reads whatever changed while the build ran.

    Raises:
        Incorrect: a view or mart failed on the engine.
    """
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="carehub-build-") as tmp:
        run = BuildRun(
            plan=plan,
            source=source,
            engine=engine,
            warehouse=warehouse,
            as_of=as_of or datetime.date.today(),
            progress=progress or _quiet,
            workdir=Path(tmp),
            watermark=now_instant(),
        )
        try:
            for step in steps:
                step(run)
        finally:
            for name in run.staged.values():
                engine.drop(name)
    return BuildReport(
        tuple(run.tables),
        dict(run.resources),
        run.watermark,
        time.perf_counter() - start,
        engine.name,
    )
