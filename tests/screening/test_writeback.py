"""FHIR write-back: valid resources, idempotent re-runs, user edits kept, stale Tasks cancelled."""

from __future__ import annotations

import datetime
from pathlib import Path

import orjson

from carehub.screening.job import run_job
from carehub.screening.recommendation import Recommendation
from carehub.screening.writeback import resources_for, write_back
from carehub.storage.sqlite import SqliteStore
from tests.screening.conftest import World

AS_OF = datetime.date(2026, 6, 30)


def rec(rule: str, status: str) -> Recommendation:
    return Recommendation("Patient/p1", "kidney", rule, status, "Title", "Detail.", "KDIGO 2024",
                          due_date=AS_OF, values=(("egfr", 42.0),))


def test_resources_per_status() -> None:
    made = resources_for([rec("a", "referral"), rec("b", "up_to_date")], AS_OF)
    kinds = sorted(r["resourceType"] for r in made)
    assert kinds == ["DetectedIssue", "RiskAssessment", "RiskAssessment", "Task"]


def test_rerun_is_idempotent_and_keeps_user_status(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "fhir.sqlite3")
    first = write_back(store, resources_for([rec("a", "due"), rec("b", "care_gap")], AS_OF))
    assert first.created == 4 and first.updated == 0
    again = write_back(store, resources_for([rec("a", "due"), rec("b", "care_gap")], AS_OF))
    assert again.created == 0 and again.updated == 0 and again.unchanged == 4
    task_id = next(r["id"] for r in resources_for([rec("a", "due")], AS_OF)
                   if r["resourceType"] == "Task")
    with store.session(write=True) as s:
        current = s.read("Task", task_id)
        assert current is not None and current.body is not None
        body = orjson.loads(current.body)
        body["status"] = "in-progress"
        body["businessStatus"] = {"text": "booked"}
        s.put(body)
    changed = rec("a", "overdue")
    later = write_back(store, resources_for([changed], AS_OF), previous_task_ids=[
        r["id"] for r in resources_for([rec("a", "due"), rec("b", "care_gap")], AS_OF)
        if r["resourceType"] == "Task"])
    assert later.cancelled == 1
    with store.session() as s:
        kept = s.read("Task", task_id)
        assert kept is not None and kept.body is not None
        assert orjson.loads(kept.body)["businessStatus"] == {"text": "booked"}
        assert orjson.loads(kept.body)["status"] == "in-progress"
    store.close()


def _counts(store: SqliteStore) -> dict[str, int]:
    with store.session() as s:
        return s.count_by_type()


def test_population_write_back_does_not_duplicate(screening_world: World, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "fhir.sqlite3")
    conn = screening_world.warehouse.connection
    first = run_job(conn, AS_OF, tmp_path / "a", store=store, programme_ids=None)
    assert first.written is not None and first.written.created > 500
    counts = _counts(store)
    second = run_job(conn, AS_OF, tmp_path / "b", store=store)
    assert second.written is not None
    assert second.written.created == 0 and second.written.updated == 0
    assert _counts(store) == counts
    store.close()
