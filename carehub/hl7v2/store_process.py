"""The listener's store stage in a process of its own, fed over a pipe by the event loop.

In one process the store thread and the event loop (every connection, the
parse workers' pipes) take turns holding the interpreter; measured on the
benchmark, the store thread then waited about a quarter of its time. Here
the store runs alone in a spawned process (:class:`StoreProcess`) that builds
its own :class:`~carehub.hl7v2.ingest.Ingestor` from a picklable factory.

A job is the pickled list of :class:`~carehub.hl7v2.ingest.Prepared` a parse
worker answered, passed on unopened; the store process takes every job
waiting (up to ``max_batch`` messages), commits them together
(:meth:`Ingestor.commit`, per-message atomicity unchanged) and answers each
job, in order, with the pickled list of its
:class:`~carehub.hl7v2.ingest.Result`. The event loop writes jobs and reads
answers without blocking; at most ``max_jobs`` are in flight.

If the store process dies, every job in flight fails (:class:`WorkerDied`:
the connections give no ACK and their senders send again, which the ledger
recognises) and the next job starts a new process. The process exits by
itself when the listener's process is gone.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import pickle
import socket
import struct
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from carehub.errors import CareHubError
from carehub.hl7v2.parse_worker import Child, WorkerDied, settle_heap, watch_parent

if TYPE_CHECKING:
    from carehub.hl7v2.ingest import Ingestor, Prepared, Result

log = logging.getLogger("carehub.hl7v2")

_HEADER = struct.Struct("!i")
"""The frame header of :class:`multiprocessing.connection.Connection` (payload length)."""


def _serve(conn: Connection, parent: int, factory: Callable[[], Ingestor], max_batch: int) -> None:
    """The store process: build the ingestor, then commit and answer jobs until the pipe goes."""
    watch_parent(parent)
    try:
        ingestor = factory()
    except Exception as exc:
        conn.send_bytes(pickle.dumps(("error", f"{type(exc).__name__}: {exc}")))
        return
    settle_heap()
    settled = False
    conn.send_bytes(pickle.dumps(("ready", None)))
    try:
        while True:
            jobs: list[list[Prepared]] = [pickle.loads(conn.recv_bytes())]
            size = len(jobs[0])
            while size < max_batch and conn.poll():
                jobs.append(pickle.loads(conn.recv_bytes()))
                size += len(jobs[-1])
            for answer in _commit(ingestor, jobs):
                conn.send_bytes(answer)
            if not settled:  # what the first group loaded (search tables, queries) stays
                settle_heap()
                settled = True
    except (EOFError, OSError):
        pass
    finally:
        ingestor.close()


def _commit(ingestor: Ingestor, jobs: list[list[Prepared]]) -> list[bytes]:
    """Store the messages of ``jobs`` together; one pickled answer per job."""
    try:
        results = ingestor.commit([p for job in jobs for p in job])
    except Exception as exc:
        log.exception("storing %d messages failed", sum(len(job) for job in jobs))
        failed = pickle.dumps(("error", f"storing failed: {type(exc).__name__}: {exc}"))
        return [failed for _ in jobs]
    answers, start = [], 0
    for n, job in enumerate(jobs):
        part = results[start : start + len(job)]
        start += len(job)
        # "group": the first job of a commit (the listener counts store groups)
        status = "group" if n == 0 else "ok"
        answers.append(pickle.dumps((status, part), protocol=pickle.HIGHEST_PROTOCOL))
    return answers


class StoreProcess:
    """The store stage in a spawned process.

    Args:
        factory: builds the :class:`~carehub.hl7v2.ingest.Ingestor` in the
            process (a module-level function or a ``functools.partial`` of one).
        max_batch: most messages committed together.
        max_jobs: most jobs sent and not yet answered.
    """

    def __init__(
        self, factory: Callable[[], Ingestor], *, max_batch: int = 64, max_jobs: int = 8
    ) -> None:
        self.factory = factory
        self.max_batch = max(1, max_batch)
        self._slots = asyncio.Semaphore(max(1, max_jobs))
        self._child: Child | None = None
        self._sock: socket.socket | None = None
        self._pending: collections.deque[asyncio.Future[tuple[list[Result], bool]]] = (
            collections.deque()
        )
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the process and wait until its store is open.

        Raises:
            CareHubError: the process could not open the store (its message).
        """
        child = Child(_serve, self.factory, self.max_batch, name="hl7-store")
        sock = socket.socket(fileno=child.conn.fileno())
        sock.setblocking(False)
        self._child, self._sock = child, sock
        try:
            status, value = pickle.loads(await self._frame())
        except (OSError, asyncio.IncompleteReadError, EOFError) as exc:
            await self._stop()
            raise WorkerDied(f"the store process did not start: {exc}") from exc
        if status != "ready":
            await self._stop()
            raise CareHubError(f"the store process could not open the store: {value}")
        self._reader = asyncio.create_task(self._read(), name="hl7-store-answers")

    async def send(self, payload: bytes) -> asyncio.Future[tuple[list[Result], bool]]:
        """Send one job (a pickled list of prepared messages); the future of its results.

        The results come with whether the job was the first of its store group.

        Waits while ``max_jobs`` jobs are unanswered; starts a new process if
        the last one died. The future fails with :class:`WorkerDied` if the
        process dies before answering, or with the error that stopped the
        group the job was committed in.
        """
        await self._slots.acquire()
        try:
            if self._reader is None or self._reader.done():
                await self._stop()
                await self.start()
            assert self._sock is not None
            future: asyncio.Future[tuple[list[Result], bool]] = (
                asyncio.get_running_loop().create_future()
            )
            self._pending.append(future)
            future.add_done_callback(lambda _: self._slots.release())
        except BaseException:
            self._slots.release()
            raise
        try:
            await asyncio.get_running_loop().sock_sendall(
                self._sock, _HEADER.pack(len(payload)) + payload
            )
        except OSError as exc:
            self._fail_all(WorkerDied(f"the store process is gone: {exc}"))
        return future

    async def _read(self) -> None:
        """Match every answer with the oldest job in flight, until the process goes."""
        try:
            while True:
                status, value = pickle.loads(await self._frame())
                future = self._pending.popleft()
                if future.done():
                    continue
                if status in ("ok", "group"):
                    future.set_result((value, status == "group"))
                else:
                    future.set_exception(WorkerDied(str(value)))
        except (OSError, asyncio.IncompleteReadError, EOFError, IndexError) as exc:
            self._fail_all(WorkerDied(f"the store process is gone: {exc or 'closed'}"))

    async def _frame(self) -> bytes:
        (size,) = _HEADER.unpack(await self._exactly(_HEADER.size))
        if size < 0:  # a frame over 2 GiB: its length follows
            (size,) = struct.unpack("!Q", await self._exactly(8))
        return await self._exactly(size)

    async def _exactly(self, size: int) -> bytes:
        assert self._sock is not None
        loop = asyncio.get_running_loop()
        data = bytearray()
        while len(data) < size:
            chunk = await loop.sock_recv(self._sock, size - len(data))
            if not chunk:
                raise EOFError("end of stream")
            data += chunk
        return bytes(data)

    def _fail_all(self, exc: BaseException) -> None:
        while self._pending:
            future = self._pending.popleft()
            if not future.done():
                future.set_exception(exc)

    async def _stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
            self._reader = None
        self._fail_all(WorkerDied("the store process was stopped"))
        if self._sock is not None:
            self._sock.detach()  # the child's Connection owns the descriptor
            self._sock = None
        if self._child is not None:
            child, self._child = self._child, None
            await asyncio.get_running_loop().run_in_executor(None, child.close)

    @property
    def pid(self) -> int | None:
        """The store process's id (``None`` when none runs)."""
        return self._child.process.pid if self._child is not None else None

    async def close(self) -> None:
        """Stop the process (it finishes the group it is storing first)."""
        await self._stop()
