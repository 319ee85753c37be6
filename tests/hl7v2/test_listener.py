"""The MLLP listener over a real loopback socket (asyncio), and the retrying sender.

The last test runs ``carehub hl7 listen`` in a child process, kills it
(``SIGKILL``) while senders stream messages, starts it again, and checks that
every message is stored exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from carehub.hl7v2.ack import parse_ack
from carehub.hl7v2.listener import Listener
from carehub.hl7v2.mllp import Decoder, frame
from carehub.hl7v2.sender import MllpSender, SendError
from tests.hl7v2.conftest import Env, message, messages

REPO = Path(__file__).resolve().parents[2]


def generated(patients: int, prefix: str = "G") -> list[list[bytes]]:
    """Per patient: an A01 then an ORU with two results (UTF-8 Vietnamese names)."""
    out = []
    for k in range(patients):
        msh = ("MSH|^~\\&|HIS|BVBM|CAREHUB|BVBM|20240301080000+0700||{}|{}|P|2.5.1"
               "|||||VNM|UNICODE UTF-8\r")
        pid = f"PID|1||{prefix}{k:06d}^^^BV^MR||Phạm^Tú^Thị||19900101|F\r"
        pv1 = f"PV1|1|I|NOI^1^{k % 9}||||||||||||||||V{prefix}{k:06d}\r"
        a01 = msh.format("ADT^A01^ADT_A01", f"{prefix}A{k}") + "EVN|A01\r" + pid + pv1
        oru = (msh.format("ORU^R01^ORU_R01", f"{prefix}R{k}") + pid + pv1
               + f"OBR|1|P{prefix}{k}^HIS|F{prefix}{k}^LIS|2345-7^Glucose^LN\r"
               + f"OBX|1|NM|2345-7^Glucose^LN||{5 + k % 7}.1|mmol/L^^UCUM||N|||F\r"
               + f"OBX|2|NM|2160-0^Creatinine^LN||{60 + k % 30}|umol/L^^UCUM||N|||F\r")
        out.append([a01.encode(), oru.encode()])
    return out


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_messages_over_loopback(env: Env) -> None:
    names = ["adt_a01.hl7", "oru_r01.hl7", "malformed/missing_pid3.hl7", "oru_r01.hl7"]

    async def main() -> list[str]:
        async with Listener(env.ingestor, "127.0.0.1", 0, parse_workers=0) as listener:
            async with MllpSender("127.0.0.1", listener.port, timeout=10) as sender:
                acks = [await sender.send(message(n)) for n in names]
            assert listener.stats.accepted == 2 and listener.stats.duplicates == 1
            assert listener.stats.rejected == 1
        return [f"{a.code} {a.control_id}" for a in acks]

    assert _run(main()) == ["AA ADT0001", "AA LAB0001", "AE BAD0006", "AA LAB0001"]
    assert env.counts() == {"Patient": 1, "Encounter": 1, "DiagnosticReport": 1,
                            "Observation": 7}


def test_pipelined_frames_are_acked_in_order(sqlite_env: Env) -> None:
    batch = [*messages("batch.hl7"), message("adt_a01.hl7"), message("adt_a08.hl7")]

    async def main() -> list[tuple[str, str]]:
        async with Listener(sqlite_env.ingestor, "127.0.0.1", 0, parse_workers=0) as listener:
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            # every frame written at once, split at odd places
            data = b"".join(frame(m) for m in batch)
            for i in range(0, len(data), 97):
                writer.write(data[i : i + 97])
            await writer.drain()
            decoder, acks = Decoder(), []
            while len(acks) < len(batch):
                acks += decoder.feed(await reader.read(4096))
            writer.close()
            await writer.wait_closed()
        return [(parse_ack(a).code, parse_ack(a).control_id) for a in acks]

    assert _run(main()) == [("AA", "BAT0001"), ("AA", "BAT0002"), ("AE", "BAT0003"),
                            ("AA", "ADT0001"), ("AA", "ADT0007")]


def test_many_connections_at_once(env: Env) -> None:
    streams = generated(40)

    async def main() -> dict[str, int]:
        codes: dict[str, int] = {}
        async with Listener(env.ingestor, "127.0.0.1", 0, parse_workers=0,
                            max_batch=16) as listener:

            async def one(msgs: list[bytes]) -> None:
                async with MllpSender("127.0.0.1", listener.port, timeout=20) as sender:
                    for m in msgs:
                        ack = await sender.send(m)
                        codes[ack.code] = codes.get(ack.code, 0) + 1

            await asyncio.gather(*(one([m for s in streams[i::8] for m in s]) for i in range(8)))
            assert listener.stats.batches < listener.stats.messages  # messages were grouped
        return codes

    assert _run(main()) == {"AA": 80}
    assert env.counts() == {"Patient": 40, "Encounter": 40, "DiagnosticReport": 40,
                            "Observation": 80}


def test_parse_worker_processes(sqlite_env: Env) -> None:
    async def main() -> list[str]:
        names = ["rde_o11.hl7", "malformed/unknown_sex.hl7", "rds_o13.hl7"]
        async with Listener(sqlite_env.ingestor, "127.0.0.1", 0, parse_workers=1) as listener:
            sender = MllpSender("127.0.0.1", listener.port, timeout=30)
            try:
                return [(await sender.send(message(n))).code for n in names]
            finally:
                await sender.close()

    assert _run(main()) == ["AA", "AE", "AA"]
    assert sqlite_env.counts() == {"Patient": 1, "MedicationRequest": 1,
                                   "MedicationDispense": 1}


def _admit_update_discharge(k: int) -> list[bytes]:
    """A01, A08 (a new phone number), A03 of patient ``k``: order-sensitive."""
    msh = ("MSH|^~\\&|HIS|BVBM|CAREHUB|BVBM|2024030{}080000+0700||{}|O{}-{}|P|2.5.1"
           "|||||VNM|UNICODE UTF-8\r")
    pv1 = f"PV1|1|I|NOI^1^1||||||||||||||||VO{k:06d}"
    steps = [("ADT^A01^ADT_A01", "A01", "0900000000", ""),
             ("ADT^A08^ADT_A01", "A08", f"09{k:08d}", ""),
             ("ADT^A03^ADT_A03", "A03", f"09{k:08d}", "|||||||||||||||||01||||||||20240301080000")]
    out = []
    for day, (kind, event, phone, end) in enumerate(steps, 1):
        pid = f"PID|1||O{k:06d}^^^BV^MR||Lê^Văn||19800101|M|||||{phone}^PRN^CP\r"
        text = (msh.format(day, kind, event, k) + f"EVN|{event}\r" + pid + pv1
                + (end.replace("20240301", f"2024030{day}") if end else "") + "\r")
        out.append(text.encode())
    return out


def test_parse_workers_keep_each_connections_order(sqlite_env: Env) -> None:
    """Messages parsed in a worker process, in small jobs, from several connections at
    once, are stored in each connection's order."""
    connections, per = 6, 4

    async def main() -> list[str]:
        codes: list[str] = []
        async with Listener(sqlite_env.ingestor, "127.0.0.1", 0, parse_workers=1,
                            parse_chunk=2) as listener:

            async def one(c: int) -> None:
                async with MllpSender("127.0.0.1", listener.port, timeout=30) as sender:
                    for k in range(c * per, (c + 1) * per):
                        for m in _admit_update_discharge(k):
                            codes.append((await sender.send(m)).code)

            await asyncio.gather(*(one(c) for c in range(connections)))
        return codes

    assert _run(main()) == ["AA"] * connections * per * 3
    patients = sqlite_env.all("Patient")
    assert len(patients) == connections * per
    for p in patients:  # the update came after the admission
        k = int(p["identifier"][0]["value"][1:])
        assert p["telecom"][0]["value"] == f"09{k:08d}"
    encounters = sqlite_env.all("Encounter")
    assert {e["status"] for e in encounters} == {"finished"}  # the discharge came last


def test_oversized_frame_closes_the_connection(sqlite_env: Env) -> None:
    async def main() -> bytes:
        async with Listener(sqlite_env.ingestor, "127.0.0.1", 0, parse_workers=0,
                            max_message=1000) as listener:
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            writer.write(b"\x0bMSH|" + b"x" * 5000)
            await writer.drain()
            data = await reader.read()
            writer.close()
            return data

    assert _run(main()) == b""


def test_sender_retries_until_the_listener_is_back(sqlite_env: Env) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> str:
        async def later() -> Listener:
            await asyncio.sleep(0.5)
            listener = Listener(sqlite_env.ingestor, "127.0.0.1", port, parse_workers=0)
            await listener.start()
            return listener

        starting = asyncio.create_task(later())
        async with MllpSender("127.0.0.1", port, timeout=5, retry_for=20, backoff=0.05) as sender:
            ack = await sender.send(message("adt_a28.hl7"))
            assert sender.stats.retries >= 1
        listener = await starting
        await listener.close()
        return ack.code

    assert _run(main()) == "AA"


def test_sender_gives_up(sqlite_env: Env) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        async with MllpSender("127.0.0.1", port, timeout=1, retry_for=0.5) as sender:
            await sender.send(message("adt_a28.hl7"))

    with pytest.raises(SendError, match="no ACK"):
        _run(main())


# -- kill -9 and restart, zero loss ---------------------------------------------------------
def _start_listener(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CAREHUB_DATA_DIR": str(data_dir), "CAREHUB_STORAGE": "sqlite",
           "CAREHUB_SQLITE_PATH": "", "CAREHUB_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from carehub.cli.main import app; app()", "hl7", "listen",
         "--port", str(port), "--max-batch", "8", "--parse-workers", "1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert b"listener on" in line, line
    proc.reader = threading.Thread(target=proc.stdout.read, daemon=True)  # type: ignore[attr-defined]
    proc.reader.start()  # type: ignore[attr-defined]
    return proc


def test_listener_killed_mid_stream_loses_nothing(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = tmp_path / "data"
    patients = 60
    streams = generated(patients, prefix="K")
    procs = [_start_listener(data_dir, port)]
    acked = 0
    killed = threading.Event()
    orphans: list[int] = []

    def restart() -> None:
        time.sleep(0.5)
        procs.append(_start_listener(data_dir, port))

    async def main() -> dict[str, int]:
        nonlocal acked
        codes: dict[str, int] = {}
        retries = 0

        async def one(msgs: list[bytes]) -> None:
            nonlocal acked, retries
            async with MllpSender("127.0.0.1", port, timeout=10, retry_for=60,
                                  backoff=0.05, max_backoff=0.2) as sender:
                for m in msgs:
                    ack = await sender.send(m)
                    codes[ack.code] = codes.get(ack.code, 0) + 1
                    acked += 1
                    if acked == 40 and not killed.is_set():
                        killed.set()
                        orphans.extend(_is_child_of(procs[0].pid))
                        procs[0].send_signal(signal.SIGKILL)
                        procs[0].wait()
                        threading.Thread(target=restart, daemon=True).start()
                retries += sender.stats.retries

        await asyncio.gather(*(one([m for s in streams[i::4] for m in s]) for i in range(4)))
        assert retries >= 1  # un-ACKed messages were sent again
        return codes

    try:
        codes = asyncio.run(asyncio.wait_for(main(), 120))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            proc.reader.join(10)  # type: ignore[attr-defined]
            assert proc.stdout is not None
            proc.stdout.close()
    assert killed.is_set() and len(procs) == 2
    # the killed listener's parse worker (and multiprocessing's helper) went away with it
    assert orphans
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in orphans) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in orphans if Path(f"/proc/{p}").exists()], "workers outlived the listener"
    assert codes == {"AA": 2 * patients}
    with sqlite3.connect(data_dir / "hl7v2" / "hl7v2.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM ledger").fetchone()[0] == 2 * patients
        assert db.execute("SELECT count(*) FROM dead_letter").fetchone()[0] == 0
    with sqlite3.connect(data_dir / "fhir.sqlite3") as db:
        current = dict(db.execute(
            "SELECT type, count(*) FROM resources WHERE deleted = 0 GROUP BY type").fetchall())
        versions = dict(db.execute("SELECT type, count(*) FROM versions GROUP BY type").fetchall())
    expected = {"Patient": patients, "Encounter": patients, "DiagnosticReport": patients,
                "Observation": 2 * patients}
    assert current == expected
    assert versions == expected  # nothing stored twice: one version of each resource


def _is_child_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                out.append(int(entry.name))
    return out
