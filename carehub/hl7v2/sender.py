"""A small MLLP client that retries until each message is acknowledged.

:class:`MllpSender` sends one message at a time on one connection and waits
for its ACK (original mode). When the connection breaks, cannot be opened, or
no ACK comes within ``timeout``, it reconnects (backing off from
``backoff`` to ``max_backoff`` seconds) and sends the *same* message again:
the listener recognises a message it already stored by its control id and
answers ``AA`` without storing it twice, so nothing is lost and nothing is
doubled. It gives up after ``retry_for`` seconds without an ACK
(:class:`SendError`). An ``AR`` with error 206 (the store was busy) is
retried the same way; any other ACK is the answer.

Used by ``carehub hl7 send``, the tests and ``bench/hl7.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass

from carehub.errors import Busy
from carehub.hl7v2.ack import Ack, Header, parse_ack
from carehub.hl7v2.errors import RECORD_LOCKED, MessageError
from carehub.hl7v2.mllp import Decoder, frame


class SendError(Busy):
    """No ACK for a message within the retry time."""


@dataclass(slots=True)
class SenderStats:
    """What one sender did."""

    sent: int = 0
    acked: int = 0
    retries: int = 0
    """Attempts that failed and were tried again (connection refused or lost, no ACK)."""
    reconnects: int = 0


class MllpSender:
    """One MLLP connection that sends messages and waits for their ACKs, with retry.

    Args:
        host, port: the listener.
        timeout: seconds to wait for an ACK (and for connecting) before retrying.
        retry_for: seconds after which a message still not acknowledged fails.
        backoff, max_backoff: first and longest pause between attempts.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 30.0,
        retry_for: float = 120.0,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.retry_for = retry_for
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.stats = SenderStats()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._decoder = Decoder()
        self._acks: list[bytes] = []

    async def __aenter__(self) -> MllpSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection (the next send opens a new one)."""
        writer, self._writer, self._reader = self._writer, None, None
        self._decoder = Decoder()
        self._acks.clear()
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self.timeout
        )
        self.stats.reconnects += 1

    async def _next_frame(self) -> bytes:
        while not self._acks:
            assert self._reader is not None
            data = await self._reader.read(1 << 16)
            if not data:
                raise ConnectionResetError("the listener closed the connection")
            self._acks.extend(self._decoder.feed(data))
        return self._acks.pop(0)

    async def send(self, message: bytes | str) -> Ack:
        """Send one message until it is acknowledged; its ACK.

        Raises:
            SendError: still no ACK after ``retry_for`` seconds.
        """
        data = message.encode("utf-8") if isinstance(message, str) else message
        data = data.strip(b"\x0b\x1c\r\n")
        control_id = Header.guess(data).control_id
        deadline = time.monotonic() + self.retry_for
        pause = self.backoff
        while True:
            try:
                if self._writer is None:
                    await self._connect()
                assert self._writer is not None
                self._writer.write(frame(data))
                await self._writer.drain()
                self.stats.sent += 1
                async with asyncio.timeout(self.timeout):
                    ack = await self._read_ack(control_id)
                if ack.code == "AR" and any(e.code == RECORD_LOCKED for e in ack.errors):
                    raise ConnectionAbortedError("the listener was busy (AR 206)")
                self.stats.acked += 1
                return ack
            except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError) as exc:
                await self.close()
                if time.monotonic() + pause > deadline:
                    raise SendError(
                        f"no ACK for message {control_id!r} from {self.host}:{self.port} "
                        f"after {self.retry_for:g}s: {exc or type(exc).__name__}"
                    ) from exc
                self.stats.retries += 1
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_backoff)

    async def _read_ack(self, control_id: str) -> Ack:
        while True:
            raw = await self._next_frame()
            try:
                ack = parse_ack(raw)
            except MessageError:
                continue  # not an ACK: ignore it
            if not control_id or ack.control_id == control_id:
                return ack

    async def send_all(self, messages: Iterable[bytes | str]) -> list[Ack]:
        """Send messages one after the other; their ACKs."""
        return [await self.send(m) for m in messages]


def send_messages(
    host: str, port: int, messages: Iterable[bytes | str], **options: float
) -> list[Ack]:
    """Send messages over one connection (blocking); their ACKs."""

    async def run() -> list[Ack]:
        async with MllpSender(host, port, **options) as sender:
            return await sender.send_all(messages)

    return asyncio.run(run())
