"""Issues of bulk work: one issue per bad line, written as OperationOutcome NDJSON.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html#response---complete-status (``error``)

A bad input line becomes one :class:`~carehub.errors.Issue` whose diagnostics
start with ``"<file> line <n>: "`` and whose expression lists the elements at
fault when they are known. Error files hold OperationOutcome resources, one per
line, each with up to :data:`ISSUES_PER_OUTCOME` issues, so a file with many bad
lines is still written with bounded memory.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import orjson

from carehub.errors import CareHubError, Issue
from carehub.fhir_api.errors import operation_outcome

ISSUES_PER_OUTCOME = 1000


def line_issue(source: str, line: int | None, exc: CareHubError) -> Issue:
    """One issue for a bad line (or a whole file when ``line`` is None).

    Several issues of ``exc`` (e.g. every validation error of one resource) are
    folded into one, keeping each element's path in the text.

    >>> from carehub.errors import Incorrect
    >>> i = line_issue("Patient.ndjson", 17, Incorrect("no id", expression="id"))
    >>> i.diagnostics, i.expression, i.code
    ('Patient.ndjson line 17: no id', ('id',), 'invalid')
    """
    where = source if line is None else f"{source} line {line}"
    issues = exc.issues
    if len(issues) == 1 and issues[0].diagnostics == exc.message:
        detail = exc.message
    else:
        parts = [
            f"{i.expression[0]}: {i.diagnostics}" if i.expression else i.diagnostics for i in issues
        ]
        detail = f"{exc.message}: " + "; ".join(parts)
    expressions = tuple(dict.fromkeys(e for i in issues for e in i.expression))
    code = issues[0].code if issues else exc.default_issue_code
    return Issue("error", code, f"{where}: {detail}", expressions)


class OutcomeFile:
    """An NDJSON file of OperationOutcomes, written as issues arrive.

    The file is created on the first issue; :attr:`count` says how many issues
    were added and :attr:`outcomes` how many OperationOutcome lines were written.
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: Path, per_outcome: int = ISSUES_PER_OUTCOME) -> None:
        self.path = path
        self.count = 0
        self.outcomes = 0
        self._per_outcome = per_outcome
        self._pending: list[Issue] = []
        self._written = False

    def add(self, issue: Issue) -> None:
        """Record one issue."""
        self._pending.append(issue)
        self.count += 1
        if len(self._pending) >= self._per_outcome:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        mode = "ab" if self._written else "wb"
        with self.path.open(mode) as out:
            out.write(orjson.dumps(operation_outcome(self._pending)) + b"\n")
        self._written = True
        self.outcomes += 1
        self._pending = []

    def close(self) -> None:
        """Write what is pending."""
        self._flush()

    def __enter__(self) -> OutcomeFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
