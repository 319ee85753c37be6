"""The completion manifest of a bulk job, and the pieces of its status responses.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html#response---complete-status

A completed job's status is a JSON manifest::

    {"transactionTime": "...", "request": "<kick-off URL>", "requiresAccessToken": false,
     "output": [{"type": "Patient", "url": "<file URL>", "count": 13}],
     "error": [{"type": "OperationOutcome", "url": "<file URL>", "count": 1}]}

File URLs are made when the manifest is asked for, from the base URL of that
request, so a job's manifest stays right if the server moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carehub.bulk.jobs import JobRecord
from carehub.errors import Issue


def manifest(record: JobRecord, file_url: Callable[[str], str]) -> dict[str, Any]:
    """The manifest of a completed job; ``file_url`` turns a file name into its URL.

    >>> rec = JobRecord("j", "export", "http://x/fhir/$export", "completed", "t0",
    ...                 transaction_time="t1",
    ...                 outputs=[{"type": "Patient", "file": "Patient.ndjson", "count": 2}])
    >>> manifest(rec, lambda name: "http://x/files/" + name)["output"]
    [{'type': 'Patient', 'url': 'http://x/files/Patient.ndjson', 'count': 2}]
    """
    out: dict[str, Any] = {
        "transactionTime": record.transaction_time,
        "request": record.request,
        "requiresAccessToken": False,
        "output": [_entry(e, file_url) for e in record.outputs],
        "error": [_entry(e, file_url) for e in record.errors],
    }
    if record.extension:
        out["extension"] = dict(record.extension)
    return out


def _entry(entry: dict[str, Any], file_url: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": entry["type"]}
    if entry.get("file"):
        out["url"] = file_url(str(entry["file"]))
    out.update((k, v) for k, v in entry.items() if k not in ("type", "file"))
    return out


def issues_of(record: JobRecord) -> list[Issue]:
    """The issues of a failed job, as :class:`~carehub.errors.Issue` objects.

    >>> rec = JobRecord("j", "export", "u", "failed", "t0",
    ...                 issues=[{"severity": "fatal", "code": "exception", "diagnostics": "boom"}])
    >>> issues_of(rec)[0].diagnostics
    'boom'
    """
    issues = [
        Issue(
            str(i.get("severity", "error")),
            str(i.get("code", "exception")),
            str(i.get("diagnostics", "")),
            tuple(i.get("expression") or ()),
        )
        for i in record.issues
    ]
    return issues or [Issue("error", "exception", f"bulk job {record.id} failed")]
