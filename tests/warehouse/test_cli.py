"""``carehub warehouse``: conformance report, build, refresh, docs, sql and views commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carehub.cli.main import app
from carehub.warehouse.views import view_names

EXTRA = Path(__file__).resolve().parents[1] / "fixtures" / "warehouse" / "extra.ndjson"
runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAREHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREHUB_WAREHOUSE_ENGINE", "duckdb")
    return tmp_path


def test_conformance_prints_the_suite_report(env: Path, suite_dir: Path) -> None:
    result = runner.invoke(
        app, ["warehouse", "conformance", "--engine", "duckdb", "--suite", str(suite_dir)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report) == len(list(suite_dir.glob("*.json")))
    tests = [t for entry in report.values() for t in entry["tests"]]
    assert tests and all(t["result"]["passed"] for t in tests)
    assert {"name", "result"} == set(tests[0])
    assert "duckdb: 134/134 passed, 0 excluded" in result.stderr


def test_build_refresh_and_parquet(env: Path) -> None:
    result = runner.invoke(
        app, ["warehouse", "build", "--ndjson", str(EXTRA), "--as-of", "2024-01-04"]
    )
    assert result.exit_code == 0, result.output
    assert "built with duckdb" in result.stderr
    assert (env / "warehouse" / "warehouse.duckdb").is_file()
    assert list((env / "warehouse" / "parquet" / "daily_census").glob("*.parquet"))
    again = runner.invoke(app, ["warehouse", "refresh", "--ndjson", str(EXTRA)])
    assert again.exit_code == 0, again.output
    assert "refreshed" in again.stderr


def test_refresh_before_build_is_an_error(env: Path) -> None:
    result = runner.invoke(app, ["warehouse", "refresh", "--ndjson", str(EXTRA)])
    assert result.exit_code == 2
    assert "has not been built yet" in result.stderr


@pytest.mark.parametrize(
    ("fmt", "marker"), [("markdown", "## patients: Patients"), ("html", '<h2 id="patients">')]
)
def test_docs(env: Path, fmt: str, marker: str) -> None:
    out = env / f"dictionary.{fmt}"
    result = runner.invoke(app, ["warehouse", "docs", "--format", fmt, "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert marker in text
    for name in [*view_names(), "labs", "daily_census", "ref_lab_units"]:
        assert name in text
    assert "length_of_stay_hours" in text and "period.durationIn(" in text


def test_sql_and_views(env: Path) -> None:
    duck = runner.invoke(app, ["warehouse", "sql", "patients"])
    assert duck.exit_code == 0, duck.output
    assert "JSON_EXTRACT_STRING" in duck.stdout
    spark = runner.invoke(app, ["warehouse", "sql", "patients", "--engine", "spark"])
    assert spark.exit_code == 0, spark.output
    assert "GET_JSON_OBJECT" in spark.stdout
    listed = runner.invoke(app, ["warehouse", "views"])
    assert listed.exit_code == 0
    assert "daily_census" in listed.stdout and "questionnaire_answers" in listed.stdout


def test_unknown_engine_suggests_a_name(env: Path) -> None:
    result = runner.invoke(
        app, ["warehouse", "build", "--ndjson", str(EXTRA), "--engine", "duckbd"]
    )
    assert result.exit_code == 2
    assert "Did you mean 'duckdb'?" in result.stderr
