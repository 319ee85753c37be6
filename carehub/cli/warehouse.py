"""``carehub warehouse``: build, refresh and document the clinical data warehouse.

* ``build``: flatten the FHIR store (or Bulk Data NDJSON with ``--ndjson``)
  through the standard ViewDefinitions into the warehouse's DuckDB file and
  Parquet folder, with the configured engine (``CAREHUB_WAREHOUSE_ENGINE``).
* ``refresh``: apply only the changes since the last build or refresh.
* ``docs``: write the data dictionary (Markdown or HTML).
* ``conformance``: run the SQL-on-FHIR v2 test suite and print its report.
* ``sql``: print the SQL a view compiles to; ``views``: list the standard views.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carehub.errors import Incorrect
from carehub.settings import load_settings
from carehub.warehouse.build import BuildPlan, build, plan_build
from carehub.warehouse.compiler import compile_view
from carehub.warehouse.config import WarehouseConfig, make_engine
from carehub.warehouse.conformance import EXCLUSIONS, SuiteRunner, load_suite, report
from carehub.warehouse.docs import dictionary, to_html, to_markdown
from carehub.warehouse.engines.base import default_registry
from carehub.warehouse.marts import check_as_of
from carehub.warehouse.refresh import refresh
from carehub.warehouse.sources import FhirSource, NdjsonSource
from carehub.warehouse.views import load_view

app = typer.Typer(
    name="warehouse",
    no_args_is_help=True,
    add_completion=False,
    help="Clinical data warehouse: SQL-on-FHIR views on DuckDB or Spark.",
)

NdjsonOption = Annotated[
    list[Path] | None,
    typer.Option("--ndjson", help="Read Bulk Data NDJSON files or folders instead of the store."),
]
ViewOption = Annotated[
    list[str] | None, typer.Option("--view", help="Build only these views (repeatable).")
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Build date YYYY-MM-DD (default: today).")
]


def _config() -> WarehouseConfig:
    return WarehouseConfig.from_settings(load_settings())


@contextmanager
def _source(ndjson: list[Path] | None) -> Iterator[FhirSource]:
    if ndjson:
        yield NdjsonSource(ndjson)
        return
    from carehub.app.warehouse_source import StoreSource
    from carehub.app.wiring import open_store

    store = open_store(load_settings())
    try:
        yield StoreSource(store)
    finally:
        store.close()


def _plan(views: list[str] | None, config: WarehouseConfig) -> BuildPlan:
    chosen = [load_view(v) for v in views] if views else None
    return plan_build(chosen, repeat_depth=config.repeat_depth)


class _Progress:
    """Shows build progress: one bar per stage."""

    def __init__(self, progress: Progress, plan: BuildPlan) -> None:
        tables = (
            len(plan.views) + len(plan.marts) + len({r for m in plan.marts for r in m.references})
        )
        self.progress = progress
        self.tasks = {
            "stage": progress.add_task("load resources", total=len(plan.resource_types)),
            "changes": progress.add_task("read changes", total=len(plan.resource_types)),
            "view": progress.add_task("flatten views", total=len(plan.views)),
            "mart": progress.add_task("build marts", total=len(plan.marts)),
            "publish": progress.add_task("publish tables", total=tables),
        }

    def __call__(self, stage: str, name: str, rows: int) -> None:
        task = self.tasks.get(stage)
        if task is not None:
            count = f" ({rows:,})" if rows >= 0 else ""
            self.progress.update(task, advance=1, description=f"{stage}: {name}{count}")


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<48}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("build")
def build_command(
    ndjson: NdjsonOption = None,
    engine: Annotated[
        str | None, typer.Option(help="duckdb or spark (default: CAREHUB_WAREHOUSE_ENGINE).")
    ] = None,
    view: ViewOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Build the warehouse: every standard view and mart, into DuckDB and Parquet."""
    config = _config()
    plan = _plan(view, config)
    warehouse = config.warehouse()
    console = Console(stderr=True)
    try:
        runner = make_engine(config, warehouse, name=engine)
        with _source(ndjson) as source, _progress_bar(console) as bar:
            result = build(
                plan,
                source,
                runner,
                warehouse,
                as_of=check_as_of(as_of) if as_of else None,
                progress=_Progress(bar, plan),
            )
        table = Table("table", "kind", "rows", "seconds", title=f"warehouse {warehouse.path}")
        for t in result.tables:
            table.add_row(t.name, t.kind, f"{t.rows:,}", f"{t.seconds:.2f}")
        console.print(table)
        rate = result.rows / result.seconds if result.seconds else 0.0
        console.print(
            f"built with {result.engine} in {result.seconds:.1f} s "
            f"({result.rows:,} view rows, {rate:,.0f} rows/s); watermark {result.watermark}"
        )
    finally:
        warehouse.close()


@app.command("refresh")
def refresh_command(ndjson: NdjsonOption = None, as_of: AsOfOption = None) -> None:
    """Apply the changes since the last build or refresh (updates, creations, deletions)."""
    config = _config()
    plan = _plan(None, config)
    warehouse = config.warehouse()
    console = Console(stderr=True)
    try:
        with _source(ndjson) as source, _progress_bar(console) as bar:
            result = refresh(
                plan,
                source,
                warehouse,
                as_of=check_as_of(as_of) if as_of else None,
                progress=_Progress(bar, plan),
            )
        changed, deleted = sum(result.changed.values()), sum(result.deleted.values())
        console.print(
            f"refreshed in {result.seconds:.1f} s: {changed:,} changed and {deleted:,} deleted "
            f"resources; views updated: {', '.join(result.updated) or 'none'}; "
            f"rebuilt: {', '.join(result.rebuilt) or 'none'}; "
            f"marts: {', '.join(result.marts) or 'none'}"
        )
    finally:
        warehouse.close()


@app.command("docs")
def docs_command(
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    format: Annotated[str, typer.Option("--format", help="markdown or html.")] = "markdown",
) -> None:
    """Write the data dictionary: every table, its columns, types and descriptions."""
    if format not in ("markdown", "html"):
        raise Incorrect(f"--format must be markdown or html, not '{format}'")
    docs = dictionary(_plan(None, _config()))
    text = to_markdown(docs) if format == "markdown" else to_html(docs)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@app.command("conformance")
def conformance_command(
    engine: Annotated[
        str | None, typer.Option(help="duckdb, spark or all (default: CAREHUB_WAREHOUSE_ENGINE).")
    ] = None,
    suite: Annotated[
        Path | None, typer.Option(help="Test folder (default: CAREHUB_SOF_TEST_SUITE).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
    verbose: Annotated[bool, typer.Option(help="Print every test, not only failures.")] = False,
) -> None:
    """Run the SQL-on-FHIR v2 test suite; print its report (the suite's format)."""
    config = _config()
    folder = suite or Path(load_settings()["CAREHUB_SOF_TEST_SUITE"])
    cases = load_suite(folder)
    names = ["duckdb", "spark"] if engine == "all" else [engine or config.engine]
    reports: dict[str, Any] = {}
    failed = 0
    for name in names:
        runner = make_engine(config, None, name=name)
        try:
            results = list(SuiteRunner(runner, EXCLUSIONS.get(name, {})).run_all(cases))
        finally:
            runner.close()
        for res in results:
            if verbose or not res.passed:
                mark = "pass" if res.passed else "FAIL"
                note = f": {res.message}" if not res.passed else ""
                typer.echo(f"{name} {mark} {res.case.key}{note}", err=True)
        passed = sum(r.passed for r in results)
        excluded = sum(r.excluded is not None for r in results)
        failed += len(results) - passed
        typer.echo(f"{name}: {passed}/{len(results)} passed, {excluded} excluded", err=True)
        reports[name] = report(results)
    out: Any = reports[names[0]] if len(names) == 1 else reports
    text = json.dumps(out, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    if failed:
        raise typer.Exit(code=1)


@app.command("sql")
def sql_command(
    view: Annotated[str, typer.Argument(help="A standard view name or a ViewDefinition file.")],
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
) -> None:
    """Print the SQL a ViewDefinition compiles to on an engine."""
    path = Path(view)
    raw = orjson.loads(path.read_bytes()) if path.suffix == ".json" else dict(load_view(view).raw)
    compiled = compile_view(raw, repeat_depth=_config().repeat_depth)
    typer.echo(default_registry().create(engine).sql(compiled))


@app.command("views")
def views_command() -> None:
    """List the standard views and marts."""
    plan = plan_build()
    for planned in plan.views:
        typer.echo(
            f"{planned.name:<24} view  {planned.view.resource:<22} {planned.view.title or ''}"
        )
    for mart in plan.marts:
        typer.echo(f"{mart.name:<24} mart  {'':<22} {mart.title}")
