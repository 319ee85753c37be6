"""``carehub screening``: run the screening programmes over the warehouse.

* ``run``: evaluate every living patient with the chosen programmes (all by
  default), write the worklists into the warehouse (``screening_results``,
  ``screening_worklist``) and as CSV under ``<data dir>/screening/``, and write
  Task / RiskAssessment / DetectedIssue resources back to the FHIR store
  (``CAREHUB_SCREENING_WRITEBACK``).
* ``programmes``: list the programmes.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carehub.screening.evaluate import PROGRAMMES
from carehub.screening.job import run_job
from carehub.screening.programmes.base import Profile
from carehub.settings import load_settings
from carehub.warehouse.config import WarehouseConfig
from carehub.warehouse.marts import check_as_of
from carehub.warehouse.store import Warehouse

app = typer.Typer(
    name="screening",
    no_args_is_help=True,
    add_completion=False,
    help="Screening programmes: population worklists, care gaps, write-back to FHIR.",
)


@app.command("run")
def run_command(
    programme: Annotated[
        list[str] | None,
        typer.Option("--programme", "-p", help="Run only these programmes (repeatable)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD (default: today).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the CSV worklists.")
    ] = None,
    writeback: Annotated[
        bool | None,
        typer.Option("--writeback/--no-writeback", help="Write FHIR resources back (default: "
                     "CAREHUB_SCREENING_WRITEBACK)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64,
                          help="Processes for the evaluation (used with --no-writeback).")
    ] = 1,
) -> None:
    """Evaluate the population and write worklists, care gaps and FHIR resources."""
    settings = load_settings()
    day = check_as_of(as_of) if as_of else datetime.date.today()
    folder = out or settings.data_dir / "screening"
    warehouse = WarehouseConfig.from_settings(settings).warehouse()
    console = Console(stderr=True)
    store = None
    if writeback if writeback is not None else settings["CAREHUB_SCREENING_WRITEBACK"]:
        from carehub.app.wiring import open_store

        store = open_store(settings)
    try:
        with Progress(
            TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, transient=True,
        ) as bar:
            task = bar.add_task("patients", total=None)
            result = run_job(
                warehouse.connection, day, folder, store=store, programme_ids=programme,
                profile=Profile.from_settings(settings),
                progress=lambda n: bar.update(task, completed=n),
                parquet=_parquet(warehouse), workers=workers,
            )
    finally:
        if store is not None:
            store.close()
        warehouse.close()
    table = Table(title=f"Screening as of {day}: {result.run.patients:,} patients")
    statuses = sorted({s for _, s in result.run.counts})
    table.add_column("programme")
    for status in statuses:
        table.add_column(status, justify="right")
    for pid in PROGRAMMES:
        if any(p == pid for p, _ in result.run.counts):
            table.add_row(pid, *(f"{result.run.counts[(pid, s)]:,}" for s in statuses))
    console.print(table)
    console.print(
        f"{result.run.patients:,} patients in {result.run.seconds:.1f} s "
        f"({result.run.patients_per_second:,.0f}/s); worklists in {folder}"
    )
    if result.written is not None:
        w = result.written
        console.print(
            f"FHIR write-back: {w.created:,} created, {w.updated:,} updated, "
            f"{w.unchanged:,} unchanged, {w.cancelled:,} cancelled"
        )


def _parquet(warehouse: Warehouse) -> tuple[Path, Path] | None:
    patients, facts = warehouse.table_folder("patients"), warehouse.table_folder("screening_facts")
    if patients is None or facts is None or not patients.is_dir() or not facts.is_dir():
        return None
    return patients, facts


@app.command("programmes")
def programmes_command() -> None:
    """List the screening programmes and the guidelines they follow."""
    table = Table()
    for name in ("id", "title", "guidelines"):
        table.add_column(name)
    for p in PROGRAMMES.values():
        table.add_row(p.id, p.title, p.guidelines)
    Console().print(table)
