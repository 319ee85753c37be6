"""Benchmark of HL7 v2 ingest over MLLP on loopback, and zero loss across a listener kill.

Two runs on the same messages, each into a fresh data folder (SQLite store):

1. **throughput** — ``carehub hl7 listen`` runs in its own process; this
   process sends every message with :class:`carehub.hl7v2.sender.MllpSender`
   over ``--connections`` connections (original mode: one message in flight per
   connection) and prints messages/s from the first send to the last ACK
   (target ≥ 1,000 ADT/ORU messages/s with both processes on ``--cpus`` cores).
2. **kill/restart** — the same, but the listener is killed (``SIGKILL``) when
   ``--kill-at`` of the messages are acknowledged and started again
   ``--down`` seconds later on the same port and data folder; the senders
   retry every un-acknowledged message. Then every message must be in the
   control-id ledger and every resource in the store exactly once: the counts
   of resources *and of resource versions* must equal those of run 1 (a
   message stored twice would add versions).

The messages: per patient, in order on one connection, ADT^A01 (admit),
ORU^R01, ADT^A02 (transfer), ORU^R01, ADT^A08 (update), ORU^R01, ADT^A03
(discharge), ORU^R01; half ADT, half ORU, each ORU a report with two results
(glucose, creatinine). Names and addresses are Vietnamese (UTF-8).

Usage::

    python bench/hl7.py [--patients 1500] [--connections 32] [--cpus 2]
        [--parse-workers 1] [--max-batch 64] [--kill-at 0.4] [--down 1.0]
        [--repeat 3] [--compare-thread] [--store-thread] [--out bench/out/hl7.json]
        [--workdir DIR]

The throughput run is repeated (``--repeat``) and the median reported: the
machine's speed varies between runs. The listener stores in a process of its
own (its default); ``--store-thread`` measures the older layout, the store
stage in a thread of the listener's process, and ``--compare-thread``
alternates every run with one of that layout and prints the ratio of the
medians. CPU is reported per process: the listener (event loop), the store
process, the parse workers and this sender.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
# This file is called hl7.py: keep its folder off the path, or it would shadow the
# python-hl7 package (``import hl7``) that CareHub's tests compare its parser with.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))

from carehub.hl7v2.sender import MllpSender  # noqa: E402

TARGET = 1000.0
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Đức", "Thu", "Quốc")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hương", "Khánh", "Lan", "Tuấn")
WARDS = ("NOI", "NGOAI", "TIMMACH", "HOISUC")
MESSAGES_PER_PATIENT = 8


# -- messages ----------------------------------------------------------------------------
def patient_messages(k: int) -> list[bytes]:
    """The eight messages of patient ``k``, in the order they must be sent."""
    mrn, cccd, visit = f"BN{k:08d}", f"0792{k:08d}", f"VV{k:08d}"
    name = f"{FAMILY[k % 10]}^{GIVEN[k // 10 % 10]}^{MIDDLE[k // 100 % 8]}"
    sex = "MF"[k % 2]

    def msh(kind: str, control: str, when: str) -> str:
        return (f"MSH|^~\\&|HIS|BVBM|CAREHUB|BVBM|{when}||{kind}|{control}|P|2.5.1"
                f"|||||VNM|UNICODE UTF-8\r")

    def pid(phone: str) -> str:
        return (f"PID|1||{mrn}^^^BV^MR~{cccd}^^^CCCD^NI||{name}||1975{k % 12 + 1:02d}15|{sex}"
                f"|||Số {k % 300 + 1} Phố Huế^^Hà Nội^Hà Nội^^VN^H^^Hai Bà Trưng"
                f"||{phone}^PRN^CP\r")

    def pv1(ward: str, extra: str = "") -> str:
        return (f"PV1|1|I|{ward}^{k % 40 + 1}^{k % 4 + 1}||||BS{k % 50:03d}^Trần^Bình"
                f"|||noi-tim-mach||||7|||||{visit}{extra}\r")

    def oru(j: int) -> str:
        when = f"2024010{j + 1}0900"
        return (msh("ORU^R01^ORU_R01", f"R{k}-{j}", when)
                + f"PID|1||{mrn}^^^BV^MR||{name}||1975{k % 12 + 1:02d}15|{sex}\r"
                + f"PV1|1|I|||||||||||||||||{visit}\r"
                + f"ORC|RE|PL{k}-{j}^HIS|FL{k}-{j}^LIS\r"
                + f"OBR|1|PL{k}-{j}^HIS|FL{k}-{j}^LIS|24323-8^Bảng chuyển hoá^LN|||{when}"
                + f"|||||||||||||||{when}|||F\r"
                + f"OBX|1|NM|2345-7^Glucose^LN||{5 + (k + j) % 30 / 10:.1f}|mmol/L^mmol/L^UCUM"
                + "|3.9-6.4|N|||F\r"
                + f"OBX|2|NM|2160-0^Creatinine^LN||{70 + (k + j) % 40}|umol/L^umol/L^UCUM"
                + "|62-106|N|||F\r")

    phone = f"09{k % 100_000_000:08d}"
    ward = WARDS[k % 4]
    end = "|||||||||||||||||01||||||||202401040800|202401080800"
    messages = [
        msh("ADT^A01^ADT_A01", f"A01-{k}", "202401040800") + "EVN|A01|202401040800\r"
        + pid(phone) + pv1(ward),
        oru(0),
        msh("ADT^A02^ADT_A02", f"A02-{k}", "202401050800") + "EVN|A02|202401050800\r"
        + pid(phone) + pv1("HOISUC").replace("||||BS", f"|||{ward}^1^1|BS", 1),
        oru(1),
        msh("ADT^A08^ADT_A01", f"A08-{k}", "202401060800") + "EVN|A08|202401060800\r"
        + pid(f"08{k % 100_000_000:08d}") + pv1("HOISUC"),
        oru(2),
        msh("ADT^A03^ADT_A03", f"A03-{k}", "202401080800") + "EVN|A03|202401080800\r"
        + pid(f"08{k % 100_000_000:08d}") + pv1("HOISUC", end),
        oru(3),
    ]
    return [m.encode("utf-8") for m in messages]


def streams(patients: int, connections: int) -> list[list[bytes]]:
    """One list of messages per connection; each patient's messages in order on one of them."""
    out: list[list[bytes]] = [[] for _ in range(connections)]
    per = [[k for k in range(patients) if k % connections == c] for c in range(connections)]
    for c, ks in enumerate(per):
        msgs = [patient_messages(k) for k in ks]
        for step in range(MESSAGES_PER_PATIENT):
            out[c].extend(m[step] for m in msgs)
    return out


# -- the listener process ----------------------------------------------------------------
def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ListenerProcess:
    """``carehub hl7 listen`` in a child process."""

    def __init__(self, data_dir: Path, port: int, args: argparse.Namespace) -> None:
        self.data_dir = data_dir
        self.port = port
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.output = b""
        self.store_pid: int | None = None
        self.store_thread = bool(args.store_thread)
        self._drain: threading.Thread | None = None

    def start(self) -> float:
        """Start it; return the seconds it took to listen."""
        env = {
            **os.environ,
            "CAREHUB_DATA_DIR": str(self.data_dir),
            "CAREHUB_STORAGE": "sqlite",
            "CAREHUB_SQLITE_PATH": "",
            "CAREHUB_LOG_LEVEL": "warning",
        }
        cmd = [
            sys.executable, "-c", "from carehub.cli.main import app; app()",
            "hl7", "listen", "--port", str(self.port),
            "--max-batch", str(self.args.max_batch),
            "--parse-workers", str(self.args.parse_workers),
            "--store-thread" if self.store_thread else "--store-process",
        ]
        t0 = time.perf_counter()
        log = open(self.data_dir.parent / f"{self.data_dir.name}-listener.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if b"listener on" not in line:
            raise RuntimeError(f"the listener did not start: {line!r}")
        found = re.search(rb"store process (\d+)", line)
        self.store_pid = int(found.group(1)) if found else None
        self.output = b""

        def drain(out: Any) -> None:
            self.output = out.read()

        self._drain = threading.Thread(target=drain, args=(self.proc.stdout,), daemon=True)
        self._drain.start()
        return time.perf_counter() - t0

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
            if self._drain is not None:
                self._drain.join(timeout=5)  # the reader thread takes the last line

    def store_groups(self) -> int | None:
        """Store sessions (groups of messages) the stopped listener reported, if it said."""
        found = re.search(rb"(\d+) store groups", self.output)
        return int(found.group(1)) if found else None

    def cpu_seconds(self) -> tuple[float, float, float]:
        """(listener, its store process, its other child processes) CPU seconds so far."""
        assert self.proc is not None
        tick = os.sysconf("SC_CLK_TCK")
        own = _proc_cpu(self.proc.pid, tick)
        store = _proc_cpu(self.store_pid, tick) if self.store_pid else 0.0
        children = sum(
            _proc_cpu(int(p), tick)
            for p in os.listdir("/proc")
            if p.isdigit() and _ppid(int(p)) == self.proc.pid and int(p) != self.store_pid
        )
        return own, store, children


def _proc_cpu(pid: int, tick: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / tick


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


# -- sending -----------------------------------------------------------------------------
async def send(
    port: int, plan: list[list[bytes]], on_ack: Any = None
) -> tuple[dict[str, int], int, float]:
    """Send every stream on its own connection; (ACK codes, retries, seconds)."""
    codes: dict[str, int] = {}
    retries = 0

    async def one(stream: list[bytes]) -> None:
        nonlocal retries
        async with MllpSender("127.0.0.1", port, timeout=15, retry_for=180, backoff=0.05,
                              max_backoff=0.25) as sender:
            for message in stream:
                ack = await sender.send(message)
                codes[ack.code] = codes.get(ack.code, 0) + 1
                if on_ack is not None:
                    on_ack()
            retries += sender.stats.retries

    t0 = time.perf_counter()
    await asyncio.gather(*(one(s) for s in plan))
    return codes, retries, time.perf_counter() - t0


def store_counts(data_dir: Path) -> dict[str, Any]:
    """Resources, versions, ledger entries and dead letters in a data folder."""
    with sqlite3.connect(data_dir / "fhir.sqlite3") as db:
        resources = dict(db.execute(
            "SELECT type, count(*) FROM resources WHERE deleted = 0 GROUP BY type").fetchall())
        versions = dict(db.execute("SELECT type, count(*) FROM versions GROUP BY type").fetchall())
    with sqlite3.connect(data_dir / "hl7v2" / "hl7v2.sqlite3") as db:
        ledger = db.execute("SELECT count(*) FROM ledger").fetchone()[0]
        dead = db.execute("SELECT count(*) FROM dead_letter").fetchone()[0]
    return {"resources": resources, "versions": versions, "ledger": ledger, "dead_letters": dead}


# -- the machine ---------------------------------------------------------------------------
SPIN = (
    "import time\nt, c = time.perf_counter(), time.process_time()\nx = 0\n"
    "for i in range(15_000_000):\n    x += i\n"
    "print(time.perf_counter() - t, time.process_time() - c)"
)


def effective_cores(n: int) -> dict[str, float]:
    """CPU a busy loop gets alone, and how many cores ``n`` of them get at once.

    A virtual machine may list more cores than it can run at the same time;
    this says how much parallel CPU the benchmark really had.
    """
    def spin(count: int) -> list[tuple[float, float]]:
        procs = [subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE)
                 for _ in range(count)]
        out = []
        for p in procs:
            wall, cpu = map(float, p.communicate()[0].split())
            out.append((wall, cpu))
        return out

    (solo,) = spin(1)
    together = spin(n)
    cores = sum(cpu for _, cpu in together) / max(wall for wall, _ in together)
    return {"loop_s_alone": round(solo[1], 2), "cores_in_parallel": round(cores, 2)}


# -- runs --------------------------------------------------------------------------------
def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median throughput (the lower middle one of an even count).

    >>> median_run([{"messages_per_s": r} for r in (3, 1, 2)])["messages_per_s"]
    2
    """
    ordered = sorted(runs, key=lambda r: r["messages_per_s"])
    return ordered[(len(ordered) - 1) // 2]


def run_throughput(
    args: argparse.Namespace, work: Path, plan: list[list[bytes]], *, store_thread: bool
) -> dict[str, Any]:
    data = work / "run1"
    shutil.rmtree(data, ignore_errors=True)
    listener = ListenerProcess(data, free_port(), args)
    listener.store_thread = store_thread
    startup = listener.start()
    time.sleep(0.5)  # let the parse workers finish starting
    base_listener, base_store, base_workers = listener.cpu_seconds()
    own0 = resource.getrusage(resource.RUSAGE_SELF)
    codes, retries, elapsed = asyncio.run(send(listener.port, plan))
    own1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_listener, cpu_store, cpu_workers = listener.cpu_seconds()
    cpu_listener -= base_listener
    cpu_store -= base_store
    cpu_workers -= base_workers
    listener.stop()
    groups = listener.store_groups()
    total = sum(len(s) for s in plan)
    sender_cpu = (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime)
    return {
        "messages": total,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(total / elapsed, 1),
        "cpu_ms_per_message": round(
            (cpu_listener + cpu_store + cpu_workers + sender_cpu) / total * 1000, 3
        ),
        "acks": codes,
        "retries": retries,
        "messages_per_store_group": round(total / groups, 1) if groups else None,
        "listener_startup_s": round(startup, 2),
        "cpu_s": {  # while the messages were sent (start-up left out)
            "listener": round(cpu_listener, 2),
            "store_process": round(cpu_store, 2),
            "parse_workers": round(cpu_workers, 2),
            "sender": round(sender_cpu, 2),
        },
        "cpu_ms_per_message_by_stage": {
            "listener": round(cpu_listener / total * 1000, 3),
            "store_process": round(cpu_store / total * 1000, 3),
            "parse_workers": round(cpu_workers / total * 1000, 3),
            "sender": round(sender_cpu / total * 1000, 3),
        },
        "store": store_counts(data),
    }


def run_kill_restart(
    args: argparse.Namespace, work: Path, plan: list[list[bytes]]
) -> dict[str, Any]:
    data = work / "run2"
    listener = ListenerProcess(data, free_port(), args)
    listener.start()
    total = sum(len(s) for s in plan)
    threshold = int(total * args.kill_at)
    acked = 0
    events: dict[str, Any] = {}

    def restart() -> None:
        time.sleep(args.down)
        events["restart_s"] = round(listener.start(), 2)

    def on_ack() -> None:
        nonlocal acked
        acked += 1
        if acked == threshold:
            listener.kill()
            events["killed_after_acks"] = acked
            threading.Thread(target=restart, daemon=True).start()

    codes, retries, elapsed = asyncio.run(send(listener.port, plan, on_ack))
    listener.stop()
    return {
        "messages": total,
        "seconds": round(elapsed, 3),
        "acks": codes,
        "retries": retries,
        "down_s": args.down,
        **events,
        "store": store_counts(data),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1500)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cpus", type=int, default=2,
                        help="Cores this benchmark and the listener may use.")
    parser.add_argument("--parse-workers", type=int, default=1)
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--kill-at", type=float, default=0.4)
    parser.add_argument("--down", type=float, default=1.0)
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument("--store-thread", action="store_true",
                        help="Store in a thread of the listener (the layout before the store "
                             "process), for comparison.")
    parser.add_argument("--repeat", type=int, default=3,
                        help="Throughput runs (the median is reported; the machine's speed "
                             "varies between runs).")
    parser.add_argument("--compare-thread", action="store_true",
                        help="Alternate each throughput run with one of the store-thread "
                             "layout and report the ratio of the medians.")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "hl7.json")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    available = sorted(os.sched_getaffinity(0))
    cpus = available[: args.cpus]
    os.sched_setaffinity(0, cpus)  # the listener and its workers inherit it
    work = args.workdir or Path(tempfile.mkdtemp(prefix="carehub-hl7-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for name in ("run1", "run2"):
        shutil.rmtree(work / name, ignore_errors=True)

    plan = streams(args.patients, args.connections)
    machine = effective_cores(len(cpus))
    print(f"machine: {len(cpus)} cores listed; {len(cpus)} busy loops at once got "
          f"{machine['cores_in_parallel']} cores; one loop alone took {machine['loop_s_alone']} s "
          "of CPU")
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "cpu_model": platform.processor() or platform.machine(),
        "cpus": len(cpus),
        "machine": machine,
        "connections": args.connections,
        "parse_workers": args.parse_workers,
        "store": "thread" if args.store_thread else "process",
        "max_batch": args.max_batch,
        "patients": args.patients,
    }
    runs, baseline = [], []
    for _ in range(max(1, args.repeat)):
        runs.append(run_throughput(args, work, plan, store_thread=args.store_thread))
        if args.compare_thread:
            baseline.append(run_throughput(args, work, plan, store_thread=True))
    first = median_run(runs)
    report["throughput"] = first
    report["throughput_runs"] = [r["messages_per_s"] for r in runs]
    rate = first["messages_per_s"]
    print(f"throughput runs (messages/s): {report['throughput_runs']}, median {rate:,.0f}")
    if baseline:
        base = median_run(baseline)
        report["store_thread_runs"] = [r["messages_per_s"] for r in baseline]
        report["ratio_to_store_thread"] = round(rate / base["messages_per_s"], 2)
        print(f"store-thread layout, alternating (messages/s): {report['store_thread_runs']}, "
              f"median {base['messages_per_s']:,.0f}; ratio of medians "
              f"{report['ratio_to_store_thread']}")
    print(f"throughput: {first['messages']} ADT/ORU messages over MLLP in {first['seconds']} s "
          f"= {rate:,.0f} messages/s on {len(cpus)} cores "
          f"({'meets' if rate >= TARGET else 'below'} the {TARGET:,.0f}/s target); "
          f"ACKs {first['acks']}; CPU s {first['cpu_s']}, "
          f"{first['cpu_ms_per_message']} ms of CPU per message "
          f"({first['cpu_ms_per_message_by_stage']}); "
          f"{first['messages_per_store_group']} messages per store group")
    ok = all(r["acks"].get("AA", 0) == r["messages"] for r in runs + baseline)
    if not args.skip_kill:
        second = run_kill_restart(args, work, plan)
        report["kill_restart"] = second
        s1, s2 = first["store"], second["store"]
        lost = second["messages"] - second["store"]["ledger"]
        same = s1["resources"] == s2["resources"] and s1["versions"] == s2["versions"]
        second["lost"] = lost
        second["same_store_as_run1"] = same
        ok = ok and lost == 0 and same and second["acks"].get("AA", 0) == second["messages"]
        print(f"kill/restart: listener killed after {second.get('killed_after_acks')} ACKs, "
              f"back {args.down}s later; {second['retries']} resends; "
              f"{second['messages']} messages, {lost} lost, "
              f"resources/versions {'identical to' if same else 'DIFFERENT from'} run 1 "
              f"({s2['resources']}, versions {s2['versions']})")
    report["ok"] = ok
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"report: {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
