"""The official SQL-on-FHIR v2 test suite, every test on DuckDB and on Spark.

Test cases are read from the shared data at collection time; a test named in
:data:`carehub.warehouse.conformance.EXCLUSIONS` is reported as an expected
failure with its reason (a known gap), everything else must pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from carehub.warehouse.conformance import (
    EXCLUSIONS,
    SUITE_PATH,
    Case,
    SuiteFile,
    SuiteRunner,
    load_suite,
    report,
)
from carehub.warehouse.engines.base import Engine
from tests.warehouse.conftest import engine_params

REPO_ROOT = Path(__file__).resolve().parents[2]


def _suite() -> list[SuiteFile]:
    configured = os.environ.get("CAREHUB_SHARED")
    shared = Path(configured) if configured else REPO_ROOT.parent / "shared"
    folder = shared / SUITE_PATH
    return load_suite(folder) if folder.is_dir() else []


SUITE = _suite()
CASES = [pytest.param(f, c, id=c.key) for f in SUITE for c in f.cases] or [
    pytest.param(None, None, id="suite-missing")
]
_RUNNERS: dict[int, SuiteRunner] = {}


def _runner(engine: Engine) -> SuiteRunner:
    runner = _RUNNERS.get(id(engine))
    if runner is None:
        runner = SuiteRunner(engine, EXCLUSIONS.get(engine.name, {}))
        _RUNNERS[id(engine)] = runner
    return runner


@pytest.mark.parametrize("engine", engine_params(), indirect=True)
@pytest.mark.parametrize(("suite_file", "case"), CASES)
def test_suite_case(
    suite_dir: Path, engine: Engine, suite_file: SuiteFile | None, case: Case | None
) -> None:
    assert suite_file is not None and case is not None
    result = _runner(engine).run(suite_file, case)
    if result.excluded is not None:
        pytest.xfail(f"excluded on {engine.name}: {result.excluded}")
    assert result.passed, f"{case.key} on {engine.name}: {result.message}"


def test_suite_is_complete(suite_dir: Path) -> None:
    suite = load_suite(suite_dir)
    assert len(suite) >= 22
    assert sum(len(f.cases) for f in suite) >= 134


def test_report_has_the_suite_format(suite_dir: Path, duckdb_engine: Engine) -> None:
    suite = [f for f in load_suite(suite_dir) if f.name == "basic.json"]
    results = list(SuiteRunner(duckdb_engine).run_all(suite))
    out = report(results)
    assert list(out) == ["basic.json"]
    tests = out["basic.json"]["tests"]
    assert tests[0] == {"name": "basic attribute", "result": {"passed": True}}
    assert all(t["result"]["passed"] for t in tests)
