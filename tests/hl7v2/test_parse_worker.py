"""Parse worker processes behind the listener: answers, failures and replacement."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from carehub.hl7v2.parse_worker import ParseWorkers, WorkerDied, prepare_batch
from tests.hl7v2.conftest import message


def test_a_worker_answers_like_parsing_in_process() -> None:
    raw = message("adt_a01.hl7")

    async def run() -> None:
        workers = ParseWorkers(1)
        await workers.start()
        try:
            got = await workers.run([(raw, "test"), (b"not HL7", "test")])
        finally:
            await workers.close()
        want = prepare_batch([(raw, "test"), (b"not HL7", "test")])
        assert [p.key for p in got] == [p.key for p in want]
        assert got[0].error is None and got[0].plan is not None
        assert got[1].error is not None  # a bad message is an answer, not a failure

    asyncio.run(run())


def test_a_killed_worker_fails_its_job_and_is_replaced() -> None:
    raw = message("adt_a01.hl7")

    async def run() -> None:
        workers = ParseWorkers(1)
        await workers.start()
        try:
            assert workers._idle is not None
            worker = workers._idle.get_nowait()
            workers._idle.put_nowait(worker)
            os.kill(worker.process.pid or 0, signal.SIGKILL)
            worker.process.join(timeout=10)
            with pytest.raises(WorkerDied, match="gone"):
                await workers.run([(raw, "test")])
            again = await workers.run([(raw, "test")])  # a fresh worker took over
            assert again[0].plan is not None
        finally:
            await workers.close()

    asyncio.run(run())


def test_a_cancelled_job_never_leaves_a_stale_answer() -> None:
    first, second = message("adt_a01.hl7"), message("adt_a03.hl7")

    async def run() -> None:
        workers = ParseWorkers(1)
        await workers.start()
        try:
            job = asyncio.create_task(workers.run([(first, "test")] * 50))
            await asyncio.sleep(0)  # sent, not yet answered
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            got = await workers.run([(second, "test")])
            assert [p.key for p in got] == [p.key for p in prepare_batch([(second, "t")])]
        finally:
            await workers.close()

    asyncio.run(run())
