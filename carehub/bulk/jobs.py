"""Background bulk jobs: a registry, worker threads, and job state kept on disk.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html#bulk-data-status-request (the
asynchronous request pattern, http://hl7.org/fhir/R4/async.html)

A :class:`JobManager` is built once at application start-up over a root folder
(``<CAREHUB_DATA_DIR>/bulk``). Each job gets a folder ``<root>/<job id>/`` with
its output files and ``job.json``, its :class:`JobRecord`. A job is ``queued``,
then ``in-progress``, then ``completed`` or ``failed``; the record is rewritten
at each change (and about once a second with progress), so a job's status
outlives the process that ran it.

While a job is unfinished, the process running it holds an exclusive lock
(``flock``) on the folder's ``job.lock``. A manager that starts up and finds an
unfinished job whose lock nobody holds knows that the server running it
stopped, and marks it failed with an explanatory issue. Cancelling a job
(:meth:`JobManager.cancel`) removes its folder; a running job notices at its
next :meth:`JobContext.check` and stops.

Failure modes: unknown job ids and files raise :class:`~carehub.errors.NotFound`;
a job's own failure is recorded in its record (never raised to the caller of
:meth:`JobManager.start`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from carehub.errors import Busy, CareHubError, Issue, NotFound

log = logging.getLogger("carehub.bulk")

JOB_FILE = "job.json"
LOCK_FILE = "job.lock"
QUEUED, RUNNING, COMPLETED, FAILED = "queued", "in-progress", "completed", "failed"
UNFINISHED = (QUEUED, RUNNING)
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")
STOPPED_ISSUE = Issue(
    "fatal",
    "incomplete",
    "the server stopped before this job finished; start the request again",
)


class JobStopped(Busy):
    """A job stopped early: it was cancelled, or the server is shutting down."""


def now_instant() -> str:
    """The current time as a FHIR instant in UTC (microseconds)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(slots=True)
class JobRecord:
    """What is known about a job; saved as ``job.json``.

    ``outputs`` and ``errors`` are manifest entries (``type``, ``count`` and,
    for files in the job folder, ``file``); ``issues`` are the FHIR issues of a
    failed job.
    """

    id: str
    kind: str
    request: str
    status: str
    created: str
    transaction_time: str | None = None
    progress: str = ""
    finished: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    extension: dict[str, Any] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> bytes:
        """The record as JSON."""
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, data: bytes) -> JobRecord:
        """Read a record written by :meth:`to_json`."""
        raw: dict[str, Any] = orjson.loads(data)
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})

    def files(self) -> set[str]:
        """Names of the job's downloadable files."""
        return {str(e["file"]) for e in (*self.outputs, *self.errors) if e.get("file")}


@dataclass(slots=True)
class JobResult:
    """What a finished job hands back for its manifest."""

    transaction_time: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    extension: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Job:
    """A job of this process: its record, folder, and stop signal."""

    record: JobRecord
    folder: Path
    cancelled: threading.Event = field(default_factory=threading.Event)
    lock: IO[bytes] | None = None
    saved_at: float = 0.0
    #: held while the record is written or the folder removed, so a cancel wins cleanly
    io: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> str:
        """The job id (32 hex digits)."""
        return self.record.id


class JobContext:
    """What a running job sees: its folder, a stop check and a progress line."""

    def __init__(self, manager: JobManager, job: Job) -> None:
        self._manager = manager
        self._job = job
        self.folder = job.folder

    def check(self) -> None:
        """Return if the job may go on.

        Raises:
            JobStopped: the job was cancelled (here or by another process that
                removed its folder) or the server is stopping.
        """
        if self._job.cancelled.is_set():
            raise JobStopped("the job was cancelled")
        if self._manager.stopping.is_set():
            raise JobStopped("the server is stopping")
        if not (self.folder / JOB_FILE).exists():
            self._job.cancelled.set()
            raise JobStopped("the job was cancelled")

    def progress(self, text: str) -> None:
        """Set the job's progress line (shown as ``X-Progress``)."""
        self._manager.set_progress(self._job, text)

    def set_transaction_time(self, instant: str) -> None:
        """Record the instant the job's data was read as of."""
        self._job.record.transaction_time = instant


Runner = Callable[[JobContext], JobResult]


class JobManager:
    """The registry of bulk jobs under ``root``, run on a small thread pool.

    Args:
        root: the folder holding one folder per job (created when first needed).
        workers: jobs run at the same time; later ones wait ``queued``.
        save_interval: least seconds between progress saves of one job.
    """

    def __init__(self, root: Path, workers: int = 2, save_interval: float = 1.0) -> None:
        self.root = root
        self.workers = max(1, workers)
        self.save_interval = save_interval
        self.stopping = threading.Event()
        self._jobs: dict[str, Job] = {}
        self._guard = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.recover()

    # -- start-up ----------------------------------------------------------------------
    def recover(self) -> list[str]:
        """Mark failed every unfinished job left by a server that stopped; return their ids."""
        failed: list[str] = []
        if not self.root.is_dir():
            return failed
        for folder in sorted(self.root.iterdir()):
            record = _read_record(folder)
            if record is None or record.status not in UNFINISHED:
                continue
            if record.id in self._jobs or not _lock_is_free(folder / LOCK_FILE):
                continue
            record.status = FAILED
            record.finished = now_instant()
            record.issues = [STOPPED_ISSUE.to_fhir()]
            _write_record(folder, record)
            failed.append(record.id)
        return failed

    # -- creating and running ----------------------------------------------------------
    def create(self, kind: str, request: str) -> Job:
        """A new ``queued`` job with its folder and lock; run it with :meth:`start`."""
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        folder.mkdir(parents=True)
        record = JobRecord(job_id, kind, request, QUEUED, now_instant(), progress="queued")
        job = Job(record, folder)
        job.lock = (folder / LOCK_FILE).open("a+b")
        fcntl.flock(job.lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        _write_record(folder, record)
        with self._guard:
            self._jobs[job_id] = job
        return job

    def start(self, job: Job, runner: Runner) -> None:
        """Run ``runner`` for ``job`` on a worker thread."""
        with self._guard:
            if self.stopping.is_set():
                raise JobStopped("the server is stopping; no new bulk jobs")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="carehub-bulk")
            self._pool.submit(self._run, job, runner)

    def discard(self, job: Job) -> None:
        """Forget a job that was never started, and remove its folder."""
        with self._guard:
            self._jobs.pop(job.id, None)
        job.cancelled.set()
        _release(job)
        with job.io:
            _remove(job.folder)

    def _run(self, job: Job, runner: Runner) -> None:
        ctx = JobContext(self, job)
        try:
            ctx.check()
            self._change(job, status=RUNNING, progress="started")
            result = runner(ctx)
            ctx.check()
        except JobStopped:
            if not job.cancelled.is_set():
                self._fail(job, [STOPPED_ISSUE])
        except CareHubError as exc:
            if not job.cancelled.is_set():
                self._fail(job, exc.issues)
        except Exception as exc:
            if not job.cancelled.is_set():
                log.exception("bulk job %s failed", job.id, exc_info=exc)
                reason = f"internal error: {type(exc).__name__}"
                self._fail(job, [Issue("fatal", "exception", reason)])
        else:
            done = {"status": COMPLETED, "progress": "completed", "finished": now_instant()}
            result_fields = {k: getattr(result, k) for k in JobResult.__dataclass_fields__}
            self._change(job, **done, **result_fields)
        finally:
            _release(job)
            if job.cancelled.is_set():
                with job.io:
                    _remove(job.folder)

    def _fail(self, job: Job, issues: list[Issue]) -> None:
        fhir = [i.to_fhir() for i in issues]
        self._change(job, status=FAILED, progress="failed", finished=now_instant(), issues=fhir)

    def _change(self, job: Job, **values: Any) -> None:
        """Save the changed record, then show it: readers never see unsaved states."""
        changed = replace(job.record, **values)
        self._save(job, changed)
        job.record = changed

    def set_progress(self, job: Job, text: str) -> None:
        """Set the progress line; saved at most every ``save_interval`` seconds."""
        job.record.progress = text
        if time.monotonic() - job.saved_at >= self.save_interval:
            self._save(job)

    def _save(self, job: Job, record: JobRecord | None = None) -> None:
        with job.io:
            if job.cancelled.is_set():
                return
            try:
                _write_record(job.folder, record or job.record)
            except FileNotFoundError:
                job.cancelled.set()  # the folder was removed: cancelled elsewhere
            except OSError as exc:
                # the in-memory state stays right; a restart will report the job failed
                log.error("cannot save the state of bulk job %s: %s", job.id, exc)
            job.saved_at = time.monotonic()

    # -- queries -----------------------------------------------------------------------
    def record(self, job_id: str) -> JobRecord:
        """The record of a job.

        Raises:
            NotFound: no such job (never created, cancelled, or removed).
        """
        with self._guard:
            job = self._jobs.get(job_id)
        if job is not None and not job.cancelled.is_set():
            return job.record
        record = _read_record(self.root / job_id) if _JOB_ID.match(job_id) else None
        if record is None:
            raise NotFound(f"no bulk job '{job_id}' (it may have been cancelled or removed)")
        return record

    def file(self, job_id: str, name: str) -> Path:
        """The path of a finished job's output or error file.

        Raises:
            NotFound: no such job, the job is not completed, or it has no such file.
        """
        record = self.record(job_id)
        if record.status != COMPLETED or not _FILE_NAME.match(name) or name not in record.files():
            raise NotFound(f"bulk job '{job_id}' has no file '{name}'")
        path = self.root / job_id / name
        if not path.is_file():
            raise NotFound(f"the file '{name}' of bulk job '{job_id}' is gone")
        return path

    # -- cancelling and stopping -------------------------------------------------------
    def cancel(self, job_id: str) -> None:
        """Stop a job if it runs, and remove it with its files.

        Raises:
            NotFound: no such job.
        """
        self.record(job_id)
        with self._guard:
            job = self._jobs.pop(job_id, None)
        if job is None:
            _remove(self.root / job_id)
            return
        job.cancelled.set()
        with job.io:
            _remove(job.folder)

    def close(self) -> None:
        """Stop: running jobs end as failed at their next check; queued ones never run."""
        self.stopping.set()
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._guard:
            jobs = list(self._jobs.values())
        for job in jobs:
            if job.record.status == QUEUED and not job.cancelled.is_set():
                self._fail(job, [STOPPED_ISSUE])
            _release(job)


def _read_record(folder: Path) -> JobRecord | None:
    try:
        return JobRecord.from_json((folder / JOB_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError, TypeError):
        return None


def _write_record(folder: Path, record: JobRecord) -> None:
    tmp = folder / f".{JOB_FILE}.{threading.get_ident()}.tmp"
    tmp.write_bytes(record.to_json())
    tmp.replace(folder / JOB_FILE)


def _lock_is_free(path: Path) -> bool:
    """Whether no process holds the lock at ``path`` (a missing file is free)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return True
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True


def _release(job: Job) -> None:
    lock, job.lock = job.lock, None
    if lock is not None:
        with contextlib.suppress(OSError):
            lock.close()


def _remove(folder: Path) -> None:
    """Delete a job folder, its record first so that the job reads as gone at once."""
    with contextlib.suppress(OSError):
        (folder / JOB_FILE).unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
