"""``carehub synth``: write a synthetic Vietnamese hospital population as FHIR NDJSON.

Options are parsed here rather than by the option parser, so every bad value
(not a number, out of range, a malformed date) is a
:class:`~carehub.errors.Incorrect` and the command line prints it as one
line. A progress bar (rich) is drawn on stderr when it is a terminal; the
summary goes to stdout.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from carehub.errors import Incorrect
from carehub.synth import SynthConfig, SynthSummary, generate
from carehub.synth.config import DEFAULT_BLOCK_SIZE, DEFAULT_END_DATE, DEFAULT_SEED, DEFAULT_YEARS


def parse_int(option: str, text: str) -> int:
    """The integer value of ``option``.

    Raises:
        Incorrect: ``text`` is not a decimal integer.

    >>> parse_int("--seed", "42")
    42
    >>> parse_int("--seed", "4x")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: --seed must be an integer, not '4x'
    """
    try:
        return int(text.strip().replace("_", ""), 10)
    except ValueError:
        raise Incorrect(f"{option} must be an integer, not {text!r}") from None


def parse_date(option: str, text: str) -> dt.date:
    """The ``YYYY-MM-DD`` date value of ``option``.

    Raises:
        Incorrect: ``text`` is not a valid calendar date in that form.

    >>> parse_date("--end-date", "2025-12-31")
    datetime.date(2025, 12, 31)
    >>> parse_date("--end-date", "2025-02-30")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: --end-date must be a date YYYY-MM-DD, not '2025-02-30'
    """
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise Incorrect(f"{option} must be a date YYYY-MM-DD, not {text!r}") from None


def summary_table(summary: SynthSummary) -> Table:
    """Resources written per type."""
    table = Table(title=f"{summary.patients:,} patients → {summary.out_dir}")
    table.add_column("Resource type")
    table.add_column("Count", justify="right")
    for resource_type, count in summary.counts.items():
        table.add_row(resource_type, f"{count:,}")
    table.add_row("all", f"{summary.resources:,}")
    return table


def synth(
    patients: Annotated[
        str | None,
        typer.Option(metavar="N", help="Number of patients (required).", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Output folder (required).", show_default=False),
    ] = None,
    years: Annotated[
        str, typer.Option(metavar="Y", help="Years of hospital activity up to the end date.")
    ] = str(DEFAULT_YEARS),
    seed: Annotated[
        str, typer.Option(metavar="S", help="Random seed; the same seed gives the same files.")
    ] = str(DEFAULT_SEED),
    end_date: Annotated[
        str, typer.Option(metavar="YYYY-MM-DD", help="Last day of activity; ages are on it.")
    ] = DEFAULT_END_DATE.isoformat(),
    workers: Annotated[
        str,
        typer.Option(metavar="W", help="Worker processes; 0 picks by population size and CPUs."),
    ] = "0",
    block_size: Annotated[
        str, typer.Option(metavar="B", help="Patients generated and written together.")
    ] = str(DEFAULT_BLOCK_SIZE),
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on stderr.")
    ] = True,
) -> None:
    """Write a synthetic Vietnamese hospital population as FHIR R4 Bulk Data NDJSON.

    One <Type>.ndjson file per resource type, ground_truth.csv (what was
    planted in each patient) and manifest.json, all under --out.
    """
    if patients is None:
        raise Incorrect("--patients N is required")
    if out is None:
        raise Incorrect("--out DIR is required")
    config = SynthConfig(
        patients=parse_int("--patients", patients),
        years=parse_int("--years", years),
        seed=parse_int("--seed", seed),
        end_date=parse_date("--end-date", end_date),
        block_size=parse_int("--block-size", block_size),
        workers=parse_int("--workers", workers),
    )
    err = Console(stderr=True)
    if progress and err.is_terminal:
        columns = (
            TextColumn("[bold]synth"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("patients"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("synth", total=config.patients)
            summary = generate(config, out, lambda n: bar.advance(task, n))
    else:
        summary = generate(config, out)
    Console().print(summary_table(summary))
    rate = summary.resources / summary.seconds if summary.seconds else 0.0
    typer.echo(
        f"carehub: wrote {summary.resources:,} resources in {summary.seconds:.1f} s"
        f" ({rate:,.0f}/s, {summary.workers} worker(s))"
    )
