"""``carehub import``: load NDJSON files and Bundle files straight into the store.

https://hl7.org/fhir/uv/bulkdata/STU2/ (NDJSON) and https://hl7.org/fhir/R4/http.html#transaction

Usage::

    carehub import DIR|FILE... [--batch-size N] [--errors FILE] [--no-progress]

``*.ndjson`` files are loaded in batches (resources keep their ids; a resource
whose content, ``meta`` aside, is already stored is left alone, so running the
same import again changes nothing); ``*.json`` Bundle files go through the
transaction processor, as ``POST [base]`` would. Validation is the API's
(``CAREHUB_VALIDATE``). The store is the one the settings name
(``CAREHUB_STORAGE``...).

Prints a progress bar on a terminal, each bad line on stderr
(``Patient.ndjson line 17: <reason>``; the first :data:`SHOWN_ISSUES`), and a
one-line summary on stdout. ``--errors FILE`` writes every issue as one
OperationOutcome. Exit status: 0, 1 when some lines failed, 2 when the import
could not run (bad path, store unreachable...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from carehub.bulk.loader import LoadStats
from carehub.bulk.local_files import LocalImport, collect_files
from carehub.errors import Incorrect, Issue
from carehub.fhir_model.definitions import definitions
from carehub.settings import load_settings

SHOWN_ISSUES = 20
FAILED_EXIT_CODE = 1


def import_data(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="NDJSON (*.ndjson) or Bundle (*.json) files, or folders holding them.",
            show_default=False,
        ),
    ],
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="NDJSON lines per transaction. Default: $CAREHUB_IMPORT_BATCH_SIZE, else 1000.",
            show_default=False,
        ),
    ] = None,
    errors: Annotated[
        Path | None,
        typer.Option(help="Write every issue to this file as one OperationOutcome (JSON)."),
    ] = None,
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar (only on a terminal).")
    ] = True,
) -> None:
    """Load NDJSON and Bundle files into the FHIR store (ids kept; re-running is safe)."""
    settings = load_settings()
    files = collect_files(paths, definitions().is_resource_type)
    from carehub.app.wiring import build_hub

    hub = build_hub(settings)
    try:
        issues: list[Issue] = []
        console = Console(stderr=True)
        total_bytes = sum(f.path.stat().st_size for f in files)
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn(
                "loaded {task.fields[loaded]:,} unchanged {task.fields[unchanged]:,} "
                "failed {task.fields[failed]:,}"
            ),
            TimeRemainingColumn(),
            console=console,
            disable=not (progress and console.is_terminal),
            transient=True,
        )
        with bar:
            task = bar.add_task("import", total=total_bytes, loaded=0, unchanged=0, failed=0)

            def advance(name: str, done: int, stats: LoadStats) -> None:
                bar.update(
                    task,
                    completed=done,
                    description=name,
                    loaded=stats.loaded,
                    unchanged=stats.unchanged,
                    failed=stats.failed,
                )

            runner = LocalImport(
                hub,
                issues.append,
                batch_size or settings["CAREHUB_IMPORT_BATCH_SIZE"],
                on_progress=advance,
            )
            summary = runner.run(files)
    finally:
        hub.store.close()
    for issue in issues[:SHOWN_ISSUES]:
        typer.echo(f"carehub: {issue.severity}: {issue.diagnostics}", err=True)
    if len(issues) > SHOWN_ISSUES:
        more = len(issues) - SHOWN_ISSUES
        hint = "" if errors else " (--errors FILE writes them all)"
        typer.echo(f"carehub: ... and {more} more issues{hint}", err=True)
    if errors is not None:
        _write_outcome(errors, issues)
    typer.echo(summary.line())
    if summary.stats.failed:
        raise typer.Exit(code=FAILED_EXIT_CODE)


def _write_outcome(path: Path, issues: list[Issue]) -> None:
    """Write ``issues`` as one OperationOutcome (an informational issue when there are none).

    Raises:
        Incorrect: the file cannot be written.
    """
    from carehub.fhir_api.errors import operation_outcome

    shown = issues or [Issue("information", "informational", "no issues")]
    try:
        path.write_bytes(orjson.dumps(operation_outcome(shown), option=orjson.OPT_INDENT_2))
    except OSError as exc:
        raise Incorrect(f"cannot write {path}: {exc.strerror}") from None
