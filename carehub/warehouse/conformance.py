"""The official SQL-on-FHIR v2 test suite, run on a warehouse engine.

https://github.com/FHIR/sql-on-fhir-v2/tree/master/tests and
https://github.com/FHIR/sql-on-fhir-v2/blob/master/test_report/test-report.schema.json

Each suite file holds FHIR ``resources`` and ``tests``; a test has a ``view``
and either ``expect`` (rows, compared without regard to order, as the
reference runner does), ``expectCount`` or ``expectError``; ``expectColumns``
also checks the column order. :func:`run_suite` runs every test on one engine
and :func:`report` writes the suite's report format:
``{"basic.json": {"tests": [{"name": ..., "result": {"passed": true}}]}}``.

Tests CareHub does not pass are listed in :data:`EXCLUSIONS` with the reason;
an excluded test is reported as failed with that reason, so it still counts
as a gap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from carehub.errors import CareHubError, Incorrect
from carehub.warehouse.compiler import compile_view
from carehub.warehouse.engines.base import Engine, QueryResult

SUITE_PATH = Path("conformance") / "sql-on-fhir-v2" / "tests"
"""Where the suite lies inside the shared reference-data folder."""

EXCLUSIONS: Mapping[str, Mapping[str, str]] = {"duckdb": {}, "spark": {}}
"""Per engine, ``file::title`` of each test CareHub is known to fail, with the reason."""


@dataclass(frozen=True, slots=True)
class Case:
    """One test of the suite."""

    file: str
    title: str
    view: Any
    expect: list[dict[str, Any]] | None = None
    expect_error: bool = False
    expect_columns: list[str] | None = None
    expect_count: int | None = None

    @property
    def key(self) -> str:
        """``file::title``, the name used in :data:`EXCLUSIONS`."""
        return f"{self.file}::{self.title}"


@dataclass(frozen=True, slots=True)
class SuiteFile:
    """One suite file: its resources and its tests."""

    name: str
    resources: list[dict[str, Any]]
    cases: list[Case] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one test; ``excluded`` holds the exclusion reason, if any."""

    case: Case
    passed: bool
    message: str = ""
    excluded: str | None = None


def load_suite(folder: Path) -> list[SuiteFile]:
    """Read every ``*.json`` suite file in ``folder``, in name order.

    Raises:
        Incorrect: the folder has no suite files or a file is not valid JSON.
    """
    files = sorted(folder.glob("*.json"))
    if not files:
        raise Incorrect(f"no SQL-on-FHIR test files in {folder}")
    suite = []
    for path in files:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise Incorrect(f"{path.name} is not valid JSON: {exc}") from exc
        cases = [
            Case(
                file=path.name,
                title=test["title"],
                view=test.get("view"),
                expect=test.get("expect"),
                expect_error=bool(test.get("expectError")),
                expect_columns=test.get("expectColumns"),
                expect_count=test.get("expectCount"),
            )
            for test in raw.get("tests", [])
        ]
        suite.append(SuiteFile(path.name, list(raw.get("resources", [])), cases))
    return suite


def normalize(value: Any) -> Any:
    """A value in a form that compares like JSON values do (``5.0`` equals ``5``).

    >>> normalize([5.0, Decimal("1.50"), "x"])
    [5, 1.5, 'x']
    """
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    return value


def canonical(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Rows as sorted JSON texts, for comparison regardless of row order.

    >>> canonical([{"b": 2.0, "a": None}, {"a": "x", "b": 1}])
    ['{"a": "x", "b": 1}', '{"a": null, "b": 2}']
    """
    texts = [json.dumps({k: normalize(v) for k, v in row.items()}, sort_keys=True) for row in rows]
    return sorted(texts)


def check(case: Case, result: QueryResult) -> tuple[bool, str]:
    """Whether ``result`` meets ``case``'s expectations, and why not."""
    if case.expect_error:
        return False, f"expected an error, got {len(result.rows)} rows"
    if case.expect_columns is not None and list(result.columns) != case.expect_columns:
        return False, f"columns {list(result.columns)}, expected {case.expect_columns}"
    if case.expect_count is not None and len(result.rows) != case.expect_count:
        return False, f"{len(result.rows)} rows, expected {case.expect_count}"
    if case.expect is not None:
        got, wanted = canonical(result.records()), canonical(case.expect)
        if got != wanted:
            return False, f"rows {got} differ from expected {wanted}"
    return True, ""


class SuiteRunner:
    """Runs suite tests on one engine, loading each file's resources once.

    Args:
        engine: the engine to run on.
        exclusions: ``file::title`` → reason, for tests not to run.
    """

    def __init__(self, engine: Engine, exclusions: Mapping[str, str] | None = None) -> None:
        self.engine = engine
        self.exclusions = dict(exclusions or {})
        self._loaded: dict[str, str] = {}

    def table(self, suite_file: SuiteFile) -> str:
        """The engine relation holding the file's resources (loaded on first use)."""
        name = self._loaded.get(suite_file.name)
        if name is None:
            name = "sof_" + "".join(c if c.isalnum() else "_" for c in suite_file.name[:-5])
            self.engine.load(name, suite_file.resources)
            self._loaded[suite_file.name] = name
        return name

    def run(self, suite_file: SuiteFile, case: Case) -> CaseResult:
        """Run one test; errors count as passes only for ``expectError`` tests."""
        reason = self.exclusions.get(case.key)
        if reason is not None:
            return CaseResult(case, False, f"excluded: {reason}", excluded=reason)
        try:
            view = compile_view(case.view)
            result = self.engine.run(view, self.table(suite_file))
        except CareHubError as exc:
            if case.expect_error:
                return CaseResult(case, True, f"raised as expected: {exc.message}")
            return CaseResult(case, False, f"error: {exc.message}")
        passed, message = check(case, result)
        return CaseResult(case, passed, message)

    def run_all(self, suite: Sequence[SuiteFile]) -> Iterator[CaseResult]:
        """Run every test of ``suite``, in order."""
        for suite_file in suite:
            for case in suite_file.cases:
                yield self.run(suite_file, case)


def report(results: Sequence[CaseResult]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The results in the suite's test-report format (one entry per file)."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for res in results:
        entry: dict[str, Any] = {"name": res.case.title, "result": {"passed": res.passed}}
        if not res.passed and res.message:
            entry["result"]["reason"] = res.message
        out.setdefault(res.case.file, {"tests": []})["tests"].append(entry)
    return out
