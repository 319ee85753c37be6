"""The bulk job registry: state on disk, restarts, cancelling, stopping, failures.

These tests drive :class:`~carehub.bulk.jobs.JobManager` with small runners
and no store; the store-backed behaviour is in the export and import suites.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from carehub.bulk.jobs import (
    COMPLETED,
    FAILED,
    QUEUED,
    RUNNING,
    Job,
    JobContext,
    JobManager,
    JobRecord,
    JobResult,
)
from carehub.errors import Incorrect, NotFound


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "bulk"


@pytest.fixture
def manager(root: Path) -> Iterator[JobManager]:
    jobs = JobManager(root, workers=2)
    yield jobs
    jobs.close()


def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def writes_file(ctx: JobContext) -> JobResult:
    (ctx.folder / "Patient.ndjson").write_bytes(b'{"resourceType":"Patient","id":"a"}\n')
    return JobResult(
        "2024-01-01T00:00:00.000000Z", [{"type": "Patient", "file": "Patient.ndjson", "count": 1}]
    )


class Gate:
    """A runner that waits until released, checking for cancellation meanwhile."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.stopped = threading.Event()

    def __call__(self, ctx: JobContext) -> JobResult:
        ctx.progress("at the gate")
        self.started.set()
        try:
            while not self.release.wait(0.01):
                ctx.check()
        except BaseException:
            self.stopped.set()
            raise
        return writes_file(ctx)


def start(manager: JobManager, runner: Callable[[JobContext], JobResult]) -> Job:
    job = manager.create("export", "http://x/fhir/$export")
    manager.start(job, runner)
    return job


def test_completed_job_is_kept_on_disk(manager: JobManager, root: Path) -> None:
    job = start(manager, writes_file)
    until(lambda: manager.record(job.id).status == COMPLETED)
    record = manager.record(job.id)
    assert record.transaction_time == "2024-01-01T00:00:00.000000Z"
    assert manager.file(job.id, "Patient.ndjson").read_bytes().startswith(b'{"resourceType"')
    saved = JobRecord.from_json((root / job.id / "job.json").read_bytes())
    assert saved == record
    later = JobManager(root)
    assert later.record(job.id) == record
    assert later.recover() == []


def test_progress_and_status_while_running(manager: JobManager) -> None:
    gate = Gate()
    job = start(manager, gate)
    assert gate.started.wait(30)
    record = manager.record(job.id)
    assert (record.status, record.progress) == (RUNNING, "at the gate")
    with pytest.raises(NotFound):
        manager.file(job.id, "Patient.ndjson")  # not before it is complete
    gate.release.set()
    until(lambda: manager.record(job.id).status == COMPLETED)


def test_queued_jobs_wait_for_a_worker(root: Path) -> None:
    jobs = JobManager(root, workers=1)
    try:
        first, second = Gate(), Gate()
        a, b = start(jobs, first), start(jobs, second)
        assert first.started.wait(30)
        assert jobs.record(b.id).status == QUEUED
        first.release.set()
        second.release.set()
        until(lambda: jobs.record(b.id).status == COMPLETED)
        assert jobs.record(a.id).status == COMPLETED
    finally:
        jobs.close()


def test_cancel_running_job(manager: JobManager, root: Path) -> None:
    gate = Gate()
    job = start(manager, gate)
    assert gate.started.wait(30)
    manager.cancel(job.id)
    assert not (root / job.id).exists()
    with pytest.raises(NotFound):
        manager.record(job.id)
    assert gate.stopped.wait(30)
    time.sleep(0.05)
    assert not (root / job.id).exists()
    with pytest.raises(NotFound):
        manager.cancel(job.id)


def test_cancel_by_another_process_is_noticed(manager: JobManager, root: Path) -> None:
    gate = Gate()
    job = start(manager, gate)
    assert gate.started.wait(30)
    shutil.rmtree(root / job.id)  # what a DELETE served by another process does
    assert gate.stopped.wait(30)
    with pytest.raises(NotFound):
        manager.record(job.id)


def test_failures_are_recorded_without_internals(manager: JobManager) -> None:
    def broken(ctx: JobContext) -> JobResult:
        raise RuntimeError("password=hunter2")

    def refused(ctx: JobContext) -> JobResult:
        raise Incorrect("the Group has no members", expression="Group.member")

    job = start(manager, broken)
    until(lambda: manager.record(job.id).status == FAILED)
    assert manager.record(job.id).issues == [
        {"severity": "fatal", "code": "exception", "diagnostics": "internal error: RuntimeError"}
    ]
    job = start(manager, refused)
    until(lambda: manager.record(job.id).status == FAILED)
    [issue] = manager.record(job.id).issues
    assert issue["diagnostics"] == "the Group has no members"
    assert issue["expression"] == ["Group.member"]


def test_close_stops_running_and_queued_jobs(root: Path) -> None:
    jobs = JobManager(root, workers=1)
    gate = Gate()
    running = start(jobs, gate)
    queued = start(jobs, writes_file)
    assert gate.started.wait(30)
    jobs.close()
    assert gate.stopped.is_set()
    for job in (running, queued):
        record = JobRecord.from_json((root / job.id / "job.json").read_bytes())
        assert record.status == FAILED
        assert "stopped before this job finished" in record.issues[0]["diagnostics"]


def test_restart_fails_only_jobs_nobody_runs(manager: JobManager, root: Path) -> None:
    gate = Gate()
    live = start(manager, gate)
    assert gate.started.wait(30)
    # a copy of the running job's folder, as if its server had died (no lock held)
    dead_id = "cd" * 16
    shutil.copytree(root / live.id, root / dead_id)
    data = orjson.loads((root / dead_id / "job.json").read_bytes())
    (root / dead_id / "job.json").write_bytes(orjson.dumps({**data, "id": dead_id}))
    restarted = JobManager(root)
    assert restarted.record(live.id).status == RUNNING  # its lock is held here
    record = restarted.record(dead_id)
    assert record.status == FAILED and record.issues[0]["code"] == "incomplete"
    gate.release.set()
    until(lambda: manager.record(live.id).status == COMPLETED)


@pytest.mark.parametrize("name", ["job.json", "job.lock", "../job.json", "", "Patient.ndjson/"])
def test_only_listed_files_are_served(manager: JobManager, name: str) -> None:
    job = start(manager, writes_file)
    until(lambda: manager.record(job.id).status == COMPLETED)
    with pytest.raises(NotFound):
        manager.file(job.id, name)


def test_discard_removes_an_unstarted_job(manager: JobManager, root: Path) -> None:
    job = manager.create("import", "http://x/fhir/$import")
    assert (root / job.id / "job.json").is_file()
    manager.discard(job)
    assert not (root / job.id).exists()
    with pytest.raises(NotFound):
        manager.record(job.id)
