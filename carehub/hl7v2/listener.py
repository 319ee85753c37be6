"""The MLLP listener: asyncio TCP server, one ACK per message, in order per connection.

``carehub hl7 listen --port 2575`` runs it. Each connection (one sending
system) is read by its own task; the messages of a connection are
acknowledged in the order they arrived, each ACK sent only once the message
is committed to the store (or NAKed).

Behind the connections is a two-stage pipeline fed by one queue:

1. **parse**: :func:`~carehub.hl7v2.ingest.prepare` (decode, parse, check,
   map, validate the mapped resources; pure Python, no store) in jobs of up
   to ``parse_chunk`` messages, in ``parse_workers`` separate processes fed
   over pipes by the event loop itself (:mod:`carehub.hl7v2.parse_worker`)
   (parsing and mapping hold the GIL: that is how a second core helps), or
   in a thread with ``parse_workers=0``;
2. **store**: one thread runs :meth:`~carehub.hl7v2.ingest.Ingestor.commit`
   on every parsed message waiting (up to ``max_batch``), from one
   connection or many, sharing store sessions between them without giving
   up per-message atomicity. Given a ``store_factory``, the store stage runs
   in a process of its own instead (:mod:`carehub.hl7v2.store_process`),
   which groups the waiting jobs itself; the parse workers' answers are
   passed to it unopened.

While one group is stored the next is parsed. Spawned parse workers exit by
themselves when the listener dies (so a program using ``parse_workers`` must
be importable without side effects, as ``multiprocessing``'s spawn requires).

A killed listener loses nothing that it acknowledged (the ACK follows the
commit); a sender that got no ACK sends the message again, and the ledger
(:mod:`carehub.hl7v2.ledger`) answers it ``AA`` without storing it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from carehub.hl7v2.ingest import Ingestor, Prepared, Result
from carehub.hl7v2.mllp import DEFAULT_MAX_MESSAGE, Decoder, FrameTooLarge, frame
from carehub.hl7v2.parse_worker import ParseWorkers, prepare_batch
from carehub.hl7v2.store_process import StoreProcess

log = logging.getLogger("carehub.hl7v2")

READ_SIZE = 1 << 16

Waiting = list[tuple[list[tuple[bytes, str]], "asyncio.Future[list[Result]]"]]


@dataclass(slots=True)
class Stats:
    """Counts since the listener started."""

    connections: int = 0
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0


class Listener:
    """An MLLP server over an :class:`~carehub.hl7v2.ingest.Ingestor`.

    Args:
        ingestor: stores the messages (in a thread of this process); ``None``
            with ``store_factory``.
        host: address to listen on.
        port: TCP port (0: any free port; :attr:`port` tells which).
        max_batch: most messages handed to the store worker at once.
        max_message: largest message accepted (bytes); a connection sending a
            bigger frame is closed.
        parse_workers: processes that parse and map messages (0: a thread of
            the listener does).
        parse_chunk: most messages per parse job (the store stage takes all
            the parsed ones waiting, up to ``max_batch``).
        store_factory: builds the ingestor in a store process of its own
            (picklable: a module-level function or a ``functools.partial``).
    """

    def __init__(
        self,
        ingestor: Ingestor | None,
        host: str = "127.0.0.1",
        port: int = 2575,
        *,
        max_batch: int = 64,
        max_message: int = DEFAULT_MAX_MESSAGE,
        parse_workers: int = 0,
        parse_chunk: int = 8,
        store_factory: Callable[[], Ingestor] | None = None,
    ) -> None:
        if (ingestor is None) == (store_factory is None):
            raise ValueError("give the listener an ingestor or a store factory (one, not both)")
        self.ingestor = ingestor
        self.store_factory = store_factory
        self.host = host
        self.port = port
        self.max_batch = max(1, max_batch)
        self.max_message = max_message
        self.stats = Stats()
        self._server: asyncio.Server | None = None
        self.parse_workers = max(0, parse_workers)
        self.parse_chunk = max(1, min(parse_chunk, self.max_batch))
        self._queue: asyncio.Queue[tuple[list[tuple[bytes, str]], asyncio.Future[list[Result]]]]
        self._stored: asyncio.Queue[tuple[list[Prepared], Waiting]]
        self._tasks: list[asyncio.Task[None]] = []
        self._store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7-store")
        self._workers: ParseWorkers | None = None
        self._parse_thread: ThreadPoolExecutor | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._store_process: StoreProcess | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Open the socket and start the store worker."""
        if self.store_factory is not None:
            jobs = self.max_batch // self.parse_chunk + 2
            self._store_process = StoreProcess(
                self.store_factory, max_batch=self.max_batch, max_jobs=jobs
            )
            await self._store_process.start()
        if self.parse_workers:
            self._workers = ParseWorkers(self.parse_workers)
            await self._workers.start()
        else:
            self._parse_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7-parse")
        self._queue = asyncio.Queue()
        self._stored = asyncio.Queue(maxsize=max(4, 2 * self.max_batch // self.parse_chunk))
        self._tasks = [asyncio.create_task(self._parse_stage(), name="hl7-parse")]
        if self._store_process is None:
            self._tasks.append(asyncio.create_task(self._store_stage(), name="hl7-store"))
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=READ_SIZE
        )
        sockets = self._server.sockets or ()
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("HL7 MLLP listener on %s:%d", self.host, self.port)

    @property
    def store_pid(self) -> int | None:
        """The id of the store process, when the store stage runs in one."""
        return self._store_process.pid if self._store_process is not None else None

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop accepting, drop the connections, finish the queued work, stop the worker."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(BaseException):
                await task
        for worker in [*self._tasks, *self._deliveries]:
            worker.cancel()
            with contextlib.suppress(BaseException):
                await worker
        self._store_thread.shutdown(wait=True)
        if self._store_process is not None:
            await self._store_process.close()
        if self._workers is not None:
            await self._workers.close()
        if self._parse_thread is not None:
            self._parse_thread.shutdown(wait=True, cancel_futures=True)

    async def __aenter__(self) -> Listener:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- connections -------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self.stats.connections += 1
        peer = writer.get_extra_info("peername")
        source = f"mllp://{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "mllp"
        decoder = Decoder(self.max_message)
        try:
            while True:
                data = await reader.read(READ_SIZE)
                if not data:
                    break
                messages = decoder.feed(data)
                if not messages:
                    continue
                results = await self.submit([(m, source) for m in messages])
                writer.write(b"".join(frame(r.ack_bytes()) for r in results))
                await writer.drain()
        except FrameTooLarge as exc:
            log.warning("closing %s: %s", source, exc)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception:  # storing failed unexpectedly: no ACK, the sender will resend
            log.exception("dropping the connection of %s", source)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def submit(self, items: list[tuple[bytes, str]]) -> list[Result]:
        """Queue messages for the store worker; their results, in order."""
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        await self._queue.put((items, future))
        return await future

    # -- the pipeline: parse, then store ------------------------------------------------
    async def _parse_stage(self) -> None:
        while True:
            batch: Waiting = [await self._queue.get()]
            size = len(batch[0][0])
            # small parse jobs: the store stage starts on the first while the next is parsed
            while size < self.parse_chunk and not self._queue.empty():
                item = self._queue.get_nowait()
                batch.append(item)
                size += len(item[0])
            flat = [m for items, _ in batch for m in items]
            store = self._store_process
            try:
                if store is not None:
                    answer = await store.send(await self._parse_pickled(flat))
                else:
                    prepared = await self._parse(flat)
            except Exception as exc:  # a worker died: fail these, carry on
                log.exception("parsing %d messages failed", len(flat))
                _fail(batch, exc)
                continue
            if store is None:
                await self._stored.put((prepared, batch))
            else:  # its results reach the connections when the store process answers
                task = asyncio.create_task(self._deliver(answer, batch))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

    async def _parse(self, flat: list[tuple[bytes, str]]) -> list[Prepared]:
        """Parse and map ``flat`` in a worker process (or the parse thread)."""
        if self._workers is not None:
            return await self._workers.run(flat)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._parse_thread, prepare_batch, flat)

    async def _parse_pickled(self, flat: list[tuple[bytes, str]]) -> bytes:
        """:meth:`_parse`, pickled (a worker's answer is passed on unopened)."""
        if self._workers is not None:
            return await self._workers.run_raw(flat)
        return pickle.dumps(await self._parse(flat), protocol=pickle.HIGHEST_PROTOCOL)

    async def _deliver(
        self, answer: asyncio.Future[tuple[list[Result], bool]], batch: Waiting
    ) -> None:
        try:
            results, first = await answer
        except Exception as exc:
            log.error("storing %d messages failed: %s", sum(len(i) for i, _ in batch), exc)
            _fail(batch, exc)
            return
        self._count(results, group=first)
        _distribute(results, batch)

    async def _store_stage(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            prepared, batch = await self._stored.get()
            # parsed groups that queued up while the last one was being stored go together
            while len(prepared) < self.max_batch and not self._stored.empty():
                more, waiting = self._stored.get_nowait()
                prepared, batch = prepared + more, batch + waiting
            assert self.ingestor is not None
            try:
                results = await loop.run_in_executor(
                    self._store_thread, self.ingestor.commit, prepared
                )
            except Exception as exc:
                log.exception("storing %d messages failed", len(prepared))
                _fail(batch, exc)
                continue
            self._count(results)
            _distribute(results, batch)

    def _count(self, results: list[Result], *, group: bool = True) -> None:
        s = self.stats
        s.batches += group
        s.messages += len(results)
        for r in results:
            if r.duplicate:
                s.duplicates += 1
            elif r.code == "AA":
                s.accepted += 1
            else:
                s.rejected += 1


def _distribute(results: list[Result], batch: Waiting) -> None:
    """Give each waiting submission its part of ``results`` (in order)."""
    start = 0
    for items, future in batch:
        if not future.done():
            future.set_result(results[start : start + len(items)])
        start += len(items)


def _fail(batch: Waiting, exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
