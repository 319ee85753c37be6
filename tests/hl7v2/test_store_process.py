"""The listener's store stage in a process of its own: storing, grouping, failure and restart."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from carehub.app.wiring import build_hub
from carehub.errors import CareHubError
from carehub.hl7v2.dead_letter import DeadLetters
from carehub.hl7v2.ingest import Ingestor
from carehub.hl7v2.ledger import STATE_FILE, Ledger
from carehub.hl7v2.listener import Listener
from carehub.hl7v2.sender import MllpSender
from carehub.settings import load_settings
from tests.hl7v2.test_listener import generated


def store_ingestor(data_dir: str) -> Ingestor:
    """The ingestor a store process builds (spawned: importable, picklable with its argument)."""
    settings = load_settings({"CAREHUB_DATA_DIR": data_dir})
    state = Path(data_dir) / "hl7v2" / STATE_FILE
    return Ingestor(build_hub(settings), Ledger(state), DeadLetters(state))


def broken_ingestor() -> Ingestor:
    raise CareHubError("no store here: the disk is read-only")


def counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "fhir.sqlite3") as db:
        rows = db.execute("SELECT type, count(*) FROM versions GROUP BY type").fetchall()
    return dict(rows)


async def send_all(port: int, streams: list[list[bytes]]) -> list[str]:
    codes: list[str] = []

    async def one(msgs: list[bytes]) -> None:
        async with MllpSender("127.0.0.1", port, timeout=30, retry_for=60, backoff=0.05) as s:
            for m in msgs:
                codes.append((await s.send(m)).code)

    await asyncio.gather(*(one(m) for m in streams))
    return codes


def test_a_store_process_stores_what_many_connections_send(tmp_path: Path) -> None:
    data = tmp_path / "data"
    patients = 24

    async def main() -> tuple[list[str], int]:
        factory = functools.partial(store_ingestor, str(data))
        async with Listener(None, "127.0.0.1", 0, parse_workers=1, parse_chunk=2,
                            store_factory=factory) as listener:
            streams = generated(patients, prefix="S")
            per_connection = [[m for s in streams[i::6] for m in s] for i in range(6)]
            codes = await send_all(listener.port, per_connection)
            return codes, listener.stats.batches

    codes, groups = asyncio.run(asyncio.wait_for(main(), 120))
    assert codes == ["AA"] * 2 * patients
    assert 1 <= groups <= 2 * patients
    assert counts(data) == {"Patient": patients, "Encounter": patients,
                            "DiagnosticReport": patients, "Observation": 2 * patients}


def test_a_killed_store_process_is_replaced_and_nothing_is_lost(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, second = generated(2, prefix="X")

    async def main() -> list[str]:
        factory = functools.partial(store_ingestor, str(data))
        async with Listener(None, "127.0.0.1", 0, parse_workers=0,
                            store_factory=factory) as listener:
            codes = await send_all(listener.port, [first])
            store = listener._store_process
            assert store is not None and store._child is not None
            os.kill(store._child.process.pid or 0, signal.SIGKILL)
            store._child.process.join(timeout=10)
            # the process is gone: the next job starts a new one, which stores it once
            codes += await send_all(listener.port, [second])
            return codes

    assert asyncio.run(asyncio.wait_for(main(), 120)) == ["AA"] * 4
    assert counts(data) == {"Patient": 2, "Encounter": 2, "DiagnosticReport": 2,
                            "Observation": 4}


def test_a_store_process_that_cannot_open_the_store_stops_the_listener(tmp_path: Path) -> None:
    async def main() -> None:
        listener = Listener(None, "127.0.0.1", 0, store_factory=broken_ingestor)
        try:
            await listener.start()
        finally:
            await listener.close()

    with pytest.raises(CareHubError, match="the disk is read-only"):
        asyncio.run(asyncio.wait_for(main(), 60))


def test_a_listener_needs_an_ingestor_or_a_store_factory() -> None:
    with pytest.raises(ValueError, match="not both"):
        Listener(None, "127.0.0.1", 0)
