"""The ``$import`` job: load each input's NDJSON, report bad lines in an error file.

https://github.com/smart-on-fhir/bulk-import/blob/master/import.md and
https://hl7.org/fhir/uv/bulkdata/STU2/export.html#response---complete-status (manifest shape)

Inputs are loaded in type order (:func:`~carehub.bulk.ndjson.load_rank`) with
:class:`~carehub.bulk.loader.NdjsonLoader`. The completion manifest lists one
``output`` entry per input (``type``, ``inputUrl``, ``count`` of resources now
stored from it, and ``loaded``/``unchanged``/``failed``), the ``error`` file
(OperationOutcomes, one issue per bad line or unreadable input) and, under
``extension``, the totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carehub.bulk.jobs import JobContext, JobResult, now_instant
from carehub.bulk.loader import LoadStats, NdjsonLoader
from carehub.bulk.ndjson import load_rank
from carehub.bulk.outcomes import OutcomeFile, line_issue
from carehub.bulk.sources import ImportInput, ImportSettings, is_input_failure, open_lines
from carehub.errors import CareHubError
from carehub.fhir_api.hub import Hub

ERROR_FILE = "errors.ndjson"


def run_import(
    hub: Hub, inputs: Sequence[ImportInput], settings: ImportSettings, ctx: JobContext
) -> JobResult:
    """Load ``inputs`` (a :data:`~carehub.bulk.jobs.Runner` once bound).

    Raises:
        JobStopped: cancelled or stopping. Busy: the store is unreachable.
    """
    transaction_time = now_instant()
    ordered = sorted(inputs, key=lambda i: load_rank(i.declared))
    totals = LoadStats()
    outputs: list[dict[str, Any]] = []
    with OutcomeFile(ctx.folder / ERROR_FILE) as errors:
        loader = NdjsonLoader(hub, errors.add, settings.batch_size)
        for index, item in enumerate(ordered):
            ctx.check()
            label = f"input {index + 1} of {len(ordered)} ({item.name})"

            def advance(stats: LoadStats, _size: int, label: str = label) -> None:
                nonlocal totals
                totals += stats
                ctx.progress(f"{label}: {totals.processed} lines read, {totals.failed} failed")

            advance(LoadStats(), 0)
            try:
                with open_lines(item, settings) as lines:
                    stats = loader.load(
                        item.name,
                        lines,
                        expected_type=item.declared,
                        on_batch=advance,
                        check=ctx.check,
                    )
            except CareHubError as exc:
                if not is_input_failure(exc):
                    raise
                errors.add(line_issue(item.name, None, exc))
                stats = LoadStats()
            entry: dict[str, Any] = {
                "type": item.declared or "Resource",
                "inputUrl": item.url,
                "count": stats.loaded + stats.unchanged,
                **stats.as_dict(),
            }
            outputs.append(entry)
    error_entries: list[dict[str, Any]] = []
    if errors.count:
        error_entries.append(
            {"type": "OperationOutcome", "file": ERROR_FILE, "count": errors.outcomes}
        )
    ctx.progress(f"completed: {totals.processed} lines read, {totals.failed} failed")
    extension = {**totals.as_dict(), "issues": errors.count}
    return JobResult(transaction_time, outputs, error_entries, extension)
