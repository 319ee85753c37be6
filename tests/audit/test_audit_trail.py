"""The audit trail: events per request, hash chain tamper detection, append-only, search API."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from carehub.audit.event import AuditInput
from carehub.audit.log import AuditLog
from carehub.audit.writer import AuditWriter
from carehub.cli.main import app as cli
from tests.security.conftest import make_app, token


def event(i: int, patient: str = "p1") -> AuditInput:
    return AuditInput(f"2025-01-0{1 + i % 9}T00:00:00Z", "GET", f"/fhir/Patient/{patient}",
                      "/fhir/{rtype}/{rid}", "", 200, subject=f"user{i % 2}",
                      patients={patient}, resources=[("Patient", patient)])


@pytest.fixture
def trail(tmp_path: Path) -> Iterator[AuditLog]:
    log = AuditLog(tmp_path / "audit.sqlite")
    writer = AuditWriter(log)
    for i in range(6):
        writer.submit(event(i, "p1" if i % 3 else "p2"))
    writer.flush()
    yield log
    writer.close()


def raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    return conn


def test_intact_trail_verifies(trail: AuditLog) -> None:
    result = trail.verify()
    assert result.ok and result.entries == 6


def test_the_table_is_append_only(trail: AuditLog) -> None:
    conn = raw(trail.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE entries SET agent = 'x' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM entries WHERE seq = 2")
    conn.close()


@pytest.mark.parametrize("attack", ["alter", "delete-middle", "delete-tail", "reorder"])
def test_tampering_is_detected(trail: AuditLog, attack: str) -> None:
    conn = raw(trail.path)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("DROP TRIGGER entries_no_delete")
    if attack == "alter":
        conn.execute("UPDATE entries SET body = replace(body, 'user0', 'mallory') WHERE seq = 3")
    elif attack == "delete-middle":
        conn.execute("DELETE FROM entries WHERE seq = 3")
    elif attack == "delete-tail":
        conn.execute("DELETE FROM entries WHERE seq >= 5")
    else:
        conn.execute("UPDATE entries SET seq = 100 WHERE seq = 2")
    conn.close()
    result = trail.verify()
    assert not result.ok, attack
    runner = CliRunner()
    out = runner.invoke(cli, ["audit", "verify"],
                        env={"CAREHUB_DATA_DIR": str(trail.path.parent)})
    assert out.exit_code == 1 and "TAMPERED" in out.stderr


def test_cli_reports_an_intact_trail(trail: AuditLog) -> None:
    out = CliRunner().invoke(cli, ["audit", "verify"],
                             env={"CAREHUB_DATA_DIR": str(trail.path.parent)})
    assert out.exit_code == 0 and "intact (6 entries)" in out.stdout


def test_search_by_patient_agent_and_date(trail: AuditLog) -> None:
    assert len(trail.search(patient="p2")) == 2
    assert len(trail.search(patient="p")) == 0  # whole ids only
    assert len(trail.search(agent="user1")) == 3
    assert len(trail.search(since="2025-01-05", until="2025-01-06")) == 2


def test_requests_are_audited_and_searchable_by_the_privacy_officer(tmp_path: Path) -> None:
    app, store = make_app(tmp_path)
    with TestClient(app) as client:
        p1 = token(app, "patient/*.rs", patient="p1", subject="benh.nhan", client_id="phr")
        client.get("/fhir/Observation", headers=p1)
        client.get("/fhir/Observation/o2", headers=p1)  # denied: not in the compartment
        client.get("/fhir/Patient")  # 401
        clinician = token(app, "user/*.rs", subject="bac.si", role="clinician")
        assert client.get("/audit/AuditEvent", headers=clinician).status_code == 403
        officer = token(app, "carehub.audit", subject="bao.mat")
        bundle = client.get("/audit/AuditEvent?patient=p1&agent=benh.nhan",
                            headers=officer).json()
        events = [e["resource"] for e in bundle["entry"]]
        assert len(events) == 2
        listed = events[-1]
        assert listed["agent"][0]["altId"] == "phr"
        refs = {e["what"]["reference"] for e in listed["entity"] if "what" in e}
        assert {"Patient/p1", "Observation/o1"} <= refs and "Patient/p2" not in refs
        assert events[0]["outcome"] == "4"
        anonymous = client.get("/audit/AuditEvent?agent=anonymous", headers=officer).json()
        assert anonymous["entry"][0]["resource"]["outcome"] == "4"
    assert AuditLog(tmp_path / "data" / "audit.sqlite").verify().ok
    store.close()
