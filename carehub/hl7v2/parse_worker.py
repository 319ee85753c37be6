"""Parse worker processes fed over pipes, answered on the listener's event loop.

The listener's process runs the event loop (the connections) and the store
thread, which share one GIL. A :class:`concurrent.futures.ProcessPoolExecutor`
would add two more threads to that process (its queue feeder and its result
manager), each waking the others for every job; here the event loop writes
each job to a worker's pipe itself and reads the answer when the pipe is
readable (``loop.add_reader``), so no other thread is involved.

A job is a pickled list of ``(raw message, source)``; the answer is a
status byte and the pickled list of :class:`~carehub.hl7v2.ingest.Prepared`
(or the text of the error that stopped the job). :meth:`ParseWorkers.run_raw`
hands that pickle on unopened (to the store process,
:mod:`carehub.hl7v2.store_process`). A worker that dies fails the job it held
(:class:`WorkerDied`) and is replaced for the next one; workers exit by
themselves when the listener's process is gone.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

from carehub.errors import CareHubError
from carehub.hl7v2.ingest import Prepared, prepare
from carehub.hl7v2.mapping import load_tables


class WorkerDied(CareHubError):
    """A parse worker exited or failed while it held a job."""


OK, FAILED = b"\x00", b"\x01"
"""The first byte of a worker's answer: the job's result follows, or its error."""


def prepare_batch(items: Sequence[tuple[bytes, str]]) -> list[Prepared]:
    """Parse and map messages (run in a parse worker process or thread)."""
    tables = load_tables()
    return [prepare(raw, source, tables) for raw, source in items]


def watch_parent(parent: int) -> None:
    """Exit this process as soon as process ``parent`` is gone (a daemon thread watches)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="hl7-parent-watch", daemon=True).start()


def settle_heap() -> None:
    """Exempt every object alive now from garbage collection (:func:`gc.freeze`).

    A worker's long-lived objects (R4 definitions, validators, mapping
    tables: over 100,000) would otherwise be traversed by every full
    collection; measured on the store stage, collection time fell from 3.8%
    to 1.0% of its CPU. Call it once the process has loaded what it keeps.
    """
    gc.collect()
    gc.freeze()


def _serve(conn: Connection, parent: int) -> None:
    """The worker's loop: answer every job on ``conn`` until the pipe or the parent goes."""
    watch_parent(parent)
    settled = False
    while True:
        try:
            job = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            answer = OK + pickle.dumps(prepare_batch(pickle.loads(job)),
                                       protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a bug in parsing: report it, keep serving
            answer = FAILED + f"{type(exc).__name__}: {exc}".encode()
        conn.send_bytes(answer)
        if not settled:  # the first job loaded the tables and validators
            settle_heap()
            settled = True


class Child:
    """A spawned process running ``target(conn, parent pid, *args)``, joined to this one by a pipe.

    ``target`` should call :func:`watch_parent`, so that the child goes with
    this process even when it is killed.
    """

    def __init__(self, target: Callable[..., None], *args: object, name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(
            target=target, args=(child, os.getpid(), *args), name=name, daemon=True
        )
        self.process.start()
        child.close()

    def close(self) -> None:
        """Close the pipe and wait for the child (killed if it does not exit in 5 s)."""
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


def _worker() -> Child:
    return Child(_serve, name="hl7-parse")


class ParseWorkers:
    """``count`` worker processes; :meth:`run` sends a job to an idle one.

    Args:
        count: worker processes (at least 1).
    """

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self._idle: asyncio.Queue[Child] | None = None

    async def start(self) -> None:
        """Start the workers (importing CareHub takes a moment) and wait for them."""
        self._idle = asyncio.Queue()
        for _ in range(self.count):
            self._idle.put_nowait(_worker())
        for _ in range(self.count):
            await self.run([])

    async def run(self, items: Sequence[tuple[bytes, str]]) -> list[Prepared]:
        """Parse ``items`` in a worker; the prepared messages, in order.

        Raises:
            WorkerDied: see :meth:`run_raw`.
        """
        prepared: list[Prepared] = pickle.loads(await self.run_raw(items))
        return prepared

    async def run_raw(self, items: Sequence[tuple[bytes, str]]) -> bytes:
        """Parse ``items`` in a worker; the pickled list of prepared messages, in order.

        Raises:
            WorkerDied: the worker exited, or parsing failed in it. A worker
                that did not answer (gone, or the call was cancelled) is
                replaced, so no stale answer is ever read.
        """
        assert self._idle is not None, "start() first"
        worker = await self._idle.get()
        answered = False
        try:
            answer = await self._ask(worker, list(items))
            answered = True
        finally:
            if not answered:
                worker.close()
                worker = _worker()
            self._idle.put_nowait(worker)
        if answer[:1] != OK:
            raise WorkerDied(f"parsing failed in the worker: {answer[1:].decode(errors='replace')}")
        return answer[1:]

    async def _ask(self, worker: Child, items: list[tuple[bytes, str]]) -> bytes:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bytes] = loop.create_future()
        fd = worker.conn.fileno()

        def readable() -> None:
            loop.remove_reader(fd)
            if answer.done():
                return
            try:
                answer.set_result(worker.conn.recv_bytes())
            except (EOFError, OSError) as exc:
                answer.set_exception(WorkerDied(f"the parse worker is gone: {exc}"))

        try:
            worker.conn.send_bytes(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            raise WorkerDied(f"the parse worker is gone: {exc}") from exc
        loop.add_reader(fd, readable)
        try:
            return await answer
        finally:
            loop.remove_reader(fd)

    async def close(self) -> None:
        """Stop every worker."""
        if self._idle is None:
            return
        while not self._idle.empty():
            self._idle.get_nowait().close()
        self._idle = None
