"""``carehub research``: cohorts, de-identified extracts, the OMOP export, access requests.

* ``cohort run DEF.json``: run a cohort definition in the warehouse, print its
  attrition table and store it as ``Group/cohort-<name>`` (``--no-group`` to
  skip); ``cohort sql DEF.json``: print the SQL per engine.
* ``extract --cohort DEF.json --out DIR --request ID [--policy P]``: run the
  cohort and write its de-identified extract; only an approved access request
  can run one, and the attempt, its end and its failure are audited. The
  project key derives from ``CAREHUB_RESEARCH_SECRET`` (or the environment
  variable named by ``--project-key-env``) and the request's project; the
  policy defaults to ``CAREHUB_RESEARCH_POLICY``.
* ``omop --out DIR``: the OMOP CDM v5.4 core tables from the store (or
  ``--ndjson`` files), with a ``--concept-map`` CSV when there is one.
* ``request submit|list|show|approve|reject|revoke``: access requests
  (the acting person is ``--as``, default the system user).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from carehub.errors import Incorrect
from carehub.settings import Settings, load_settings

app = typer.Typer(
    name="research",
    no_args_is_help=True,
    add_completion=False,
    help="Research data: cohorts, de-identified extracts, OMOP export, access requests.",
)
cohort_app = typer.Typer(no_args_is_help=True, help="Cohort definitions run in the warehouse.")
request_app = typer.Typer(no_args_is_help=True, help="Research access requests.")
app.add_typer(cohort_app, name="cohort")
app.add_typer(request_app, name="request")

AsOption = Annotated[
    str | None, typer.Option("--as", help="Who acts (default: the system user name).")
]
SECRET_SETTING = "CAREHUB_RESEARCH_SECRET"
POLICY_SETTING = "CAREHUB_RESEARCH_POLICY"


def _actor(name: str | None) -> str:
    return name or getpass.getuser()


def _service(settings: Settings) -> Any:
    from carehub.app.research_wiring import research_requests_path
    from carehub.audit.log import AuditLog
    from carehub.research.access.service import AccessService, RequestStore

    return AccessService(
        RequestStore(research_requests_path(settings)),
        AuditLog(settings.data_dir / "audit.sqlite"),
    )


def _close(service: Any) -> None:
    service.store.close()
    service.auditor.close()


@contextmanager
def _warehouse(settings: Settings) -> Iterator[Any]:
    from carehub.warehouse.config import WarehouseConfig

    config = WarehouseConfig.from_settings(settings)
    if not config.path.is_file():
        raise Incorrect(f"no warehouse at {config.path}: run `carehub warehouse build` first")
    warehouse = config.warehouse()
    try:
        yield warehouse
    finally:
        warehouse.close()


def _attrition(console: Console, result: Any) -> None:
    table = Table("criterion", "before", "removed", "after",
                  title=f"cohort {result.definition.name} ({result.seconds:.2f} s)")
    for step in result.attrition:
        table.add_row(step.criterion, f"{step.before:,}", f"{step.removed:,}", f"{step.after:,}")
    console.print(table)


@cohort_app.command("run")
def cohort_run(
    definition: Annotated[Path, typer.Argument(help="Cohort definition (JSON).")],
    group: Annotated[bool, typer.Option(help="Store the cohort as a FHIR Group.")] = True,
    name: Annotated[str | None, typer.Option(help="The Group's name (default: title).")] = None,
) -> None:
    """Run a cohort in the warehouse; print its attrition; store it as a Group."""
    from carehub.research.cohort import load_cohort, run_cohort, store_group, to_group

    settings = load_settings()
    parsed = load_cohort(definition)
    console = Console()
    with _warehouse(settings) as warehouse:
        result = run_cohort(parsed, warehouse)
        _attrition(console, result)
        if group:
            from carehub.app.wiring import open_store

            body = to_group(result, name)
            store = open_store(settings)
            try:
                where = store_group(store, body)
            finally:
                store.close()
            console.print(f"stored {where} ({body['quantity']:,} members)")


@cohort_app.command("sql")
def cohort_sql(
    definition: Annotated[Path, typer.Argument(help="Cohort definition (JSON).")],
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
) -> None:
    """Print the SQL a cohort runs, in one engine's dialect."""
    from carehub.research.cohort import load_cohort, plan_cohort
    from carehub.research.cohort.compile import sql_texts
    from carehub.warehouse.engines.base import default_registry

    default_registry().get(engine)  # unknown names fail with a suggestion
    for table, text in sql_texts(plan_cohort(load_cohort(definition)), engine):
        typer.echo(f"-- {table}\n{text};\n")


def _project_key(settings: Settings, project: str, env_name: str | None) -> bytes:
    from carehub.research.deid import project_key

    if env_name:
        secret = os.environ.get(env_name, "")
        where = env_name
    else:
        secret = str(settings.values.get(SECRET_SETTING, "") or "")
        where = SECRET_SETTING
    if not secret:
        raise Incorrect(f"no research secret: set {where}")
    return project_key(secret, project)


@app.command("extract")
def extract(
    cohort: Annotated[Path, typer.Option(help="Cohort definition (JSON).")],
    out: Annotated[Path, typer.Option(help="New (or empty) output folder.")],
    request: Annotated[str, typer.Option(help="The approved access request it runs under.")],
    policy: Annotated[
        str | None,
        typer.Option(help=f"De-identification policy: file or shipped name "
                     f"(default {POLICY_SETTING})."),
    ] = None,
    project_key_env: Annotated[
        str | None,
        typer.Option(help=f"Environment variable holding the secret (default {SECRET_SETTING})."),
    ] = None,
    view: Annotated[list[str] | None, typer.Option(help="Only these views (repeatable).")] = None,
    progress: Annotated[bool, typer.Option(help="Show progress on stderr.")] = True,
    as_: AsOption = None,
) -> None:
    """Write a cohort's de-identified extract under an approved access request."""
    from carehub.research.cohort import load_cohort, run_cohort
    from carehub.research.consent import CONSENTS_VIEW, has_table, opt_out_patient_ids
    from carehub.research.deid import load_policy
    from carehub.research.extract import write_extract

    settings = load_settings()
    actor = _actor(as_)
    definition = load_cohort(cohort)
    named = policy or str(settings.values.get(POLICY_SETTING) or "default")
    chosen = load_policy(Path(named) if Path(named).is_file() else named)
    service = _service(settings)
    try:
        approved = service.authorize_extract(
            request, actor, f"cohort {definition.name}, policy {chosen.name} -> {out}"
        )
        try:
            if approved.cohort and approved.cohort != definition.name:
                raise Incorrect(f"request {approved.id} covers cohort '{approved.cohort}', "
                                f"not '{definition.name}'")
            key = _project_key(settings, approved.project, project_key_env)
            with _warehouse(settings) as warehouse:
                opt_outs: set[str] = set()
                if not has_table(warehouse, CONSENTS_VIEW):
                    from carehub.app.wiring import open_store

                    store = open_store(settings)
                    try:
                        opt_outs = opt_out_patient_ids(store=store)
                    finally:
                        store.close()
                result = run_cohort(definition, warehouse)
                report = write_extract(warehouse, cohort_table=result.table, policy=chosen,
                                       project_key=key, out_dir=out, views=view or None,
                                       opt_outs=opt_outs, progress=progress)
        except Exception as exc:
            service.record_extract(approved, actor, f"failed: {exc}", failed=True)
            raise
        pop = report.population
        summary = (f"{report.rows:,} rows in {len(report.views)} views for {pop.released:,} "
                   f"patients ({pop.opted_out:,} opted out, {pop.suppressed:,} suppressed) "
                   f"-> {out}")
        service.record_extract(approved, actor, summary)
    finally:
        _close(service)
    console = Console()
    _attrition(console, result)
    console.print(f"wrote {summary} in {report.seconds:.1f} s "
                  f"({report.rows_per_second:,.0f} rows/s); k = {report.k_anonymity.k}")


@app.command("omop")
def omop(
    out: Annotated[Path, typer.Option(help="Output folder.")],
    ndjson: Annotated[
        list[Path] | None, typer.Option(help="Read Bulk NDJSON files or folders, not the store.")
    ] = None,
    concept_map: Annotated[
        Path | None, typer.Option(help="CSV source_vocabulary,source_code,concept_id.")
    ] = None,
    engine: Annotated[str | None, typer.Option(help="duckdb or spark (default: DuckDB).")] = None,
) -> None:
    """Export the OMOP CDM v5.4 core tables (DuckDB, Parquet and CSV)."""
    from carehub.research.omop import export_omop
    from carehub.warehouse.config import WarehouseConfig, make_engine
    from carehub.warehouse.sources import NdjsonSource

    settings = load_settings()
    runner = None
    if engine and engine != "duckdb":
        runner = make_engine(WarehouseConfig.from_settings(settings), None, name=engine)
    console = Console(stderr=True)

    def told(stage: str, name: str, rows: int) -> None:
        if stage in ("view", "mart", "write"):
            console.print(f"{stage}: {name}" + (f" ({rows:,})" if rows >= 0 else ""))

    if ndjson:
        report = export_omop(NdjsonSource(ndjson), out, engine=runner,
                             concept_map=concept_map, progress=told)
    else:
        from carehub.app.warehouse_source import StoreSource
        from carehub.app.wiring import open_store

        store = open_store(settings)
        try:
            report = export_omop(StoreSource(store), out, engine=runner,
                                 concept_map=concept_map, progress=told)
        finally:
            store.close()
    table = Table("table", "rows", title=f"OMOP CDM v5.4 in {out}")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    Console().print(table)
    Console().print(f"{report.concepts:,} mapped codes; {report.seconds:.1f} s on {report.engine}")


@request_app.command("submit")
def request_submit(
    project: Annotated[str, typer.Option(help="Project name (names its pseudonym key).")],
    purpose: Annotated[str, typer.Option(help="What the data is for.")],
    protocol: Annotated[str, typer.Option(help="Protocol reference or text.")],
    ethics_approval: Annotated[str, typer.Option(help="Ethics committee approval number.")],
    title: Annotated[str | None, typer.Option(help="Title (default: the project).")] = None,
    cohort: Annotated[str | None, typer.Option(help="Cohort name the request covers.")] = None,
    as_: AsOption = None,
) -> None:
    """Submit an access request; prints its id."""
    data = {"project": project, "purpose": purpose, "protocol": protocol,
            "ethics_approval": ethics_approval, "title": title, "cohort": cohort}
    service = _service(load_settings())
    try:
        made = service.submit({k: v for k, v in data.items() if v is not None}, _actor(as_))
    finally:
        _close(service)
    typer.echo(made.id)


def _print(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


@request_app.command("list")
def request_list() -> None:
    """List every access request (JSON)."""
    service = _service(load_settings())
    try:
        _print([r.to_json() for r in service.store.list()])
    finally:
        _close(service)


@request_app.command("show")
def request_show(rid: Annotated[str, typer.Argument(help="Request id.")]) -> None:
    """Show one access request (JSON)."""
    service = _service(load_settings())
    try:
        _print(service.get(rid).to_json())
    finally:
        _close(service)


def _decide(rid: str, step: str, note: str | None, actor: str | None) -> None:
    service = _service(load_settings())
    try:
        if step == "revoke":
            done = service.revoke(rid, _actor(actor), note or "")
        else:
            done = service.decide(rid, _actor(actor), step == "approve", note)
    finally:
        _close(service)
    typer.echo(f"{done.id}: {done.status}")


NoteOption = Annotated[str | None, typer.Option(help="The reason (required to reject/revoke).")]


@request_app.command("approve")
def request_approve(rid: Annotated[str, typer.Argument(help="Request id.")],
                    note: NoteOption = None, as_: AsOption = None) -> None:
    """Approve a submitted request (as a data steward)."""
    _decide(rid, "approve", note, as_)


@request_app.command("reject")
def request_reject(rid: Annotated[str, typer.Argument(help="Request id.")],
                   note: NoteOption = None, as_: AsOption = None) -> None:
    """Reject a submitted request, with a reason."""
    _decide(rid, "reject", note, as_)


@request_app.command("revoke")
def request_revoke(rid: Annotated[str, typer.Argument(help="Request id.")],
                   note: NoteOption = None, as_: AsOption = None) -> None:
    """Withdraw an approval, with a reason."""
    _decide(rid, "revoke", note, as_)
