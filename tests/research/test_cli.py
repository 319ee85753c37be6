"""``carehub research``: cohort, request, extract (only under an approved request) and omop."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from carehub.audit.log import AuditLog
from carehub.cli.main import app
from carehub.storage.sqlite import SqliteStore
from tests.research.cohort.conftest import fixture_data

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with the cohort fixture built into its warehouse; the definition file."""
    monkeypatch.setenv("CAREHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CAREHUB_WAREHOUSE_ENGINE", "duckdb")
    monkeypatch.setenv("CAREHUB_RESEARCH_SECRET", "test-secret")
    ndjson = tmp_path / "ndjson"
    ndjson.mkdir()
    by_type: dict[str, list[bytes]] = defaultdict(list)
    for resource in fixture_data()["resources"]:
        by_type[resource["resourceType"]].append(orjson.dumps(resource))
    for rtype, lines in by_type.items():
        (ndjson / f"{rtype}.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    built = runner.invoke(app, ["warehouse", "build", "--ndjson", str(ndjson),
                                "--as-of", "2026-01-01"])
    assert built.exit_code == 0, built.output
    (tmp_path / "cohort.json").write_bytes(orjson.dumps(fixture_data()["definition"]))
    return tmp_path


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["research", *args])


def audit_steps(data: Path) -> list[tuple[str, str, str]]:
    trail = AuditLog(data / "audit.sqlite")
    try:
        assert trail.verify().ok
        events = list(reversed(trail.search(count=100)))
    finally:
        trail.close()
    return [(e["subtype"][0]["code"], e["agent"][0]["who"]["identifier"]["value"], e["outcome"])
            for e in events]


def test_extract_runs_only_under_an_approved_request(env: Path) -> None:
    submitted = invoke("request", "submit", "--project", "dm-2026", "--purpose", "T2DM outcomes",
                       "--protocol", "v1.0", "--ethics-approval", "IRB-2026-014",
                       "--cohort", "t2dm_adults", "--as", "dr.an")
    assert submitted.exit_code == 0, submitted.output
    rid = submitted.stdout.strip()
    out = env / "extract"
    args = ["extract", "--cohort", str(env / "cohort.json"), "--policy", "default",
            "--out", str(out), "--request", rid, "--no-progress", "--as", "dr.an"]
    refused = invoke(*args)
    assert refused.exit_code == 2
    assert "only approved requests can run extracts" in refused.stderr
    assert not out.exists()
    own = invoke("request", "approve", rid, "--as", "dr.an")
    assert own.exit_code == 2 and "cannot decide their own request" in own.stderr
    approved = invoke("request", "approve", rid, "--as", "steward.binh", "--note", "ok")
    assert approved.exit_code == 0 and approved.stdout.strip() == f"{rid}: approved"
    done = invoke(*args)
    assert done.exit_code == 0, done.output
    assert "insulin in the year before" in done.stdout  # the attrition table
    assert (out / "README.md").is_file() and (out / "deidentification_report.json").is_file()
    shown = orjson.loads(invoke("request", "show", rid).stdout)
    assert shown["status"] == "approved" and shown["decided_by"] == "steward.binh"
    assert audit_steps(env / "data") == [
        ("submit", "dr.an", "0"),
        ("extract", "dr.an", "4"),  # refused: not approved
        ("approve", "dr.an", "4"),  # refused: own request
        ("approve", "steward.binh", "0"),
        ("extract", "dr.an", "0"),  # authorised
        ("extract", "dr.an", "0"),  # finished, with its counts
    ]
    revoked = invoke("request", "revoke", rid, "--as", "steward.binh", "--note", "ended")
    assert revoked.exit_code == 0
    again = invoke(*[a if a != str(out) else str(env / "again") for a in args])
    assert again.exit_code == 2 and "is revoked" in again.stderr


def test_a_request_for_another_cohort_cannot_extract_this_one(env: Path) -> None:
    rid = invoke("request", "submit", "--project", "dm", "--purpose", "p", "--protocol", "v1",
                 "--ethics-approval", "IRB-1", "--cohort", "other", "--as", "a").stdout.strip()
    assert invoke("request", "approve", rid, "--as", "b").exit_code == 0
    result = invoke("extract", "--cohort", str(env / "cohort.json"), "--policy", "default",
                    "--out", str(env / "x"), "--request", rid, "--no-progress", "--as", "a")
    assert result.exit_code == 2 and "covers cohort 'other'" in result.stderr
    assert audit_steps(env / "data")[-1] == ("extract", "a", "8")  # the failure is audited


def test_submit_needs_every_field_and_loses_nothing(env: Path) -> None:
    result = invoke("request", "submit", "--project", "dm", "--purpose", " ", "--protocol", "v1",
                    "--ethics-approval", "IRB-1")
    assert result.exit_code == 2 and "purpose: required" in result.stderr
    assert orjson.loads(invoke("request", "list").stdout) == []
    unknown = invoke("request", "show", "rq-nope")
    assert unknown.exit_code == 2 and "no research access request 'rq-nope'" in unknown.stderr


def test_cohort_run_stores_the_group(env: Path) -> None:
    result = invoke("cohort", "run", str(env / "cohort.json"))
    assert result.exit_code == 0, result.output
    assert "stored Group/cohort-t2dm-adults/_history/1 (3 members)" in result.stdout
    store = SqliteStore(env / "data" / "fhir.sqlite3")
    try:
        with store.session() as session:
            stored = session.read("Group", "cohort-t2dm-adults")
        assert stored is not None and stored.body is not None
        members = [m["entity"]["reference"] for m in orjson.loads(stored.body)["member"]]
    finally:
        store.close()
    assert members == ["Patient/p1", "Patient/p4", "Patient/p8"]


def test_cohort_sql_and_bad_definitions(env: Path, tmp_path: Path) -> None:
    spark = invoke("cohort", "sql", str(env / "cohort.json"), "--engine", "spark")
    assert spark.exit_code == 0 and "DATEDIFF(" in spark.stdout
    wrong = invoke("cohort", "sql", str(env / "cohort.json"), "--engine", "duckbd")
    assert wrong.exit_code == 2 and "Did you mean 'duckdb'" in wrong.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "index": {"type": "condition", "codes": []}}')
    result = invoke("cohort", "run", str(bad))
    assert result.exit_code == 2 and "index.codes: expected a non-empty list" in result.stderr


def test_omop_from_ndjson(env: Path) -> None:
    out = env / "omop"
    result = invoke("omop", "--out", str(out), "--ndjson", str(env / "ndjson"))
    assert result.exit_code == 0, result.output
    assert "person" in result.stdout and (out / "person.parquet").is_file()
