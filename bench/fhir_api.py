"""Benchmark of the FHIR API on SQLite and PostgreSQL: ingest rate and query latency at scale.

Per back-end, in one run:

1. **ingest** — the bulk-10-patients sample (7,160 resources) with fresh ids,
   PUT in transaction Bundles of 100 entries through the ASGI app in-process
   with :class:`fastapi.testclient.TestClient` (routing, JSON parsing,
   validation, conditional-reference resolution, index extraction, SQL and the
   response Bundle are all included; the Bundles are serialized before the clock
   starts). Conditional-reference targets go first, in Bundles of their own.
   The **raw floor** is measured in the same run: orjson-parse the same NDJSON
   lines and insert the bare JSON into one SQLite table ``(id, type, body)`` in
   one transaction. ``ingest / floor`` is printed (target ≥ 0.40), and so is
   the ceiling of that ratio with write-time index tables: the floor plus the
   same resources' search-index rows in tables without any index
   (``bench/index_floor.py``).
2. **grow** — the store is filled to each size in ``--sizes`` with copies of the
   sample. Copy ``c`` renames every resource id ``X`` (a UUID) to ``cC-X``,
   everywhere it occurs (ids, references, identifier values), so references stay
   valid within a copy; conditional references (``Practitioner?identifier=...``)
   are replaced by the plain reference to the copy's own target. Each copy also
   gets one synthesized **Observation per Encounter** (the sample has none): a
   LOINC vital sign or lab code picked in turn from :data:`LOINC`, a
   ``valueQuantity`` in UCUM, ``effectiveDateTime`` = the encounter's start,
   subject and encounter of that encounter. A copy is 7,160 + 1,215 = 8,375
   resources. Copies are written with the store's session API directly
   (``session.put``, 1,000 resources per session; no HTTP, no validation).
3. **latency** — at each size, after ``ANALYZE`` (planner statistics, as
   autovacuum or a DBA would have them; ``--no-analyze`` skips it), ``--requests``
   requests (after 10 warm-up ones) of each query in :data:`QUERIES` through the
   TestClient, with parameters drawn at random (fixed seed) from all copies;
   p50/p99/mean in milliseconds. A query stops early when it has used
   ``--query-budget`` seconds; the JSON records how many requests were made.

Usage::

    python bench/fhir_api.py [--sizes 100000,1000000] [--backends sqlite,postgres]
        [--sqlite-sizes ...] [--postgres-sizes ...] [--requests 200]
        [--out bench/out/fhir_api.json] [--workdir bench/out/work]
        [--query-budget 120] [--no-analyze]

PostgreSQL: ``$CAREHUB_BENCH_POSTGRES_DSN`` (a fresh schema is created in it and
dropped afterwards), else a throw-away cluster from
:func:`tests.support.postgres_cluster.start_cluster` (``fsync`` off).
The figures are written to ``--out`` as JSON after every step.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
import psycopg
from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index_floor import index_floor, index_rows  # noqa: E402

from carehub.app.wiring import build_app  # noqa: E402
from carehub.settings import load_settings  # noqa: E402
from carehub.storage.base import ResourceStore  # noqa: E402

FHIR = {"Content-Type": "application/fhir+json"}
HOST = "http://testserver"
TARGET_TYPES = ("Organization", "Location", "Practitioner", "PractitionerRole")
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COND_REF = re.compile(rb'"reference":"([A-Za-z]+\?identifier=[^"]+)"')
#: (LOINC code, display, UCUM unit, low, high) of the synthesized Observations
LOINC = (
    ("8480-6", "Systolic blood pressure", "mm[Hg]", 95, 170),
    ("8462-4", "Diastolic blood pressure", "mm[Hg]", 55, 105),
    ("8867-4", "Heart rate", "/min", 50, 120),
    ("29463-7", "Body weight", "kg", 3, 140),
    ("39156-5", "Body mass index", "kg/m2", 14, 42),
    ("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 60, 250),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4, 12),
    ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 120, 300),
)
PER_SESSION = 1000


# -- the sample ------------------------------------------------------------------------
class Sample:
    """The NDJSON lines of the sample and what the generator needs to copy them."""

    def __init__(self, folder: Path) -> None:
        self.lines: list[bytes] = []
        for path in sorted(folder.glob("*.ndjson")):
            if path.name != "log.ndjson":
                self.lines += [ln for ln in path.read_bytes().splitlines() if ln.strip()]
        self.resources = [orjson.loads(ln) for ln in self.lines]
        self.ids = {r["id"].encode() for r in self.resources}
        by_ident = {
            f"{r['resourceType']}?identifier={i['system']}|{i['value']}".encode():
            f"{r['resourceType']}/{r['id']}".encode()
            for r in self.resources for i in r.get("identifier", [])
        }
        # conditional references become plain ones once, before any copy is made
        self.plain = [
            COND_REF.sub(lambda m: b'"reference":"' + by_ident[m.group(1)] + b'"', ln)
            for ln in self.lines
        ]
        self.encounters = [r for r in self.resources if r["resourceType"] == "Encounter"]
        self.patients = [r["id"] for r in self.resources if r["resourceType"] == "Patient"]
        self.keys = [(r["resourceType"], r["id"]) for r in self.resources]
        self.condition_codes = sorted(
            {c["code"] for r in self.resources if r["resourceType"] == "Condition"
             for c in r["code"]["coding"]}
        )
        years = sorted({e["period"]["start"][:4] for e in self.encounters})
        self.years = [int(y) for y in years if int(y) >= 1950]

    @property
    def per_copy(self) -> int:
        return len(self.lines) + len(self.encounters)


def renamed(line: bytes, ids: set[bytes], prefix: bytes) -> bytes:
    """``line`` with every resource id of the sample prefixed by ``prefix``."""
    return UUID.sub(lambda m: prefix + m.group(0) if m.group(0) in ids else m.group(0), line)


def observation(encounter: dict[str, Any], copy_no: int, n: int) -> dict[str, Any]:
    """The synthesized Observation of one encounter of copy ``copy_no``."""
    code, display, unit, low, high = LOINC[n % len(LOINC)]
    value = round(low + (high - low) * ((n * 7919) % 1000) / 1000, 1)
    lab = code in ("2339-0", "4548-4", "2093-3")
    return {
        "resourceType": "Observation",
        "id": f"c{copy_no}-o-{encounter['id']}",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory" if lab else "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}],
                 "text": display},
        "subject": {"reference": encounter["subject"]["reference"].replace(
            "Patient/", f"Patient/c{copy_no}-")},
        "encounter": {"reference": f"Encounter/c{copy_no}-{encounter['id']}"},
        "effectiveDateTime": encounter["period"]["start"],
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                          "code": unit},
    }


def copy_resources(sample: Sample, copy_no: int) -> Iterator[dict[str, Any]]:
    """Every resource of copy ``copy_no`` (references valid within the copy)."""
    prefix = f"c{copy_no}-".encode()
    for line in sample.plain:
        yield orjson.loads(renamed(line, sample.ids, prefix))
    for n, enc in enumerate(sample.encounters):
        yield observation(enc, copy_no, n)


# -- stores ----------------------------------------------------------------------------
def open_sqlite(workdir: Path) -> tuple[ResourceStore, Callable[[], None]]:
    from carehub.storage.sqlite import SqliteStore

    path = workdir / "fhir_api.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = SqliteStore(path)
    return store, store.close


def open_postgres(stack: ExitStack) -> tuple[ResourceStore, Callable[[], None]]:
    from carehub.storage.postgres import PostgresStore

    dsn = os.environ.get("CAREHUB_BENCH_POSTGRES_DSN", "").strip()
    if not dsn:
        from tests.support.postgres_cluster import start_cluster

        dsn, stop = start_cluster()
        stack.callback(stop)
    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in dsn else "?"
    store = PostgresStore(f"{dsn}{sep}options=-csearch_path%3D{schema}")

    def close() -> None:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    return store, close


# -- phases ----------------------------------------------------------------------------
def raw_floor(sample: Sample, workdir: Path) -> dict[str, float]:
    """orjson-parse every line and insert (id, type, body) into one SQLite table."""
    path = workdir / "floor.sqlite3"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (id TEXT PRIMARY KEY, type TEXT NOT NULL, body BLOB)")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    rows = ((r["id"], r["resourceType"], ln) for ln in sample.lines for r in [orjson.loads(ln)])
    conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - t0
    conn.close()
    path.unlink()
    return {"resources": len(sample.lines), "seconds": seconds,
            "per_s": len(sample.lines) / seconds}


def ingest(client: TestClient, sample: Sample) -> dict[str, float]:
    """PUT copy 0 of the sample in transaction Bundles of 100 entries."""
    fresh = [orjson.loads(renamed(ln, sample.ids, b"c0-")) for ln in sample.lines]
    first = [r for r in fresh if r["resourceType"] in TARGET_TYPES]
    rest = [r for r in fresh if r["resourceType"] not in TARGET_TYPES]
    bundles = []
    for part in (first, rest):
        for i in range(0, len(part), 100):
            entries = [
                {"fullUrl": f"{HOST}/fhir/{r['resourceType']}/{r['id']}", "resource": r,
                 "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
                for r in part[i : i + 100]
            ]
            bundles.append(orjson.dumps(
                {"resourceType": "Bundle", "type": "transaction", "entry": entries}))
    t0 = time.perf_counter()
    for body in bundles:
        r = client.post("/fhir", content=body, headers=FHIR)
        if r.status_code != 200:
            raise SystemExit(f"ingest failed: {r.status_code} {r.text[:500]}")
    seconds = time.perf_counter() - t0
    return {"resources": len(fresh), "bundles": len(bundles), "seconds": seconds,
            "per_s": len(fresh) / seconds}


class Progress:
    """rich progress on a terminal, a line every 10 % otherwise."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.t0 = label, total, 0, time.perf_counter()
        self.next_print = total // 10
        self.bar: Any = None
        if sys.stdout.isatty():
            from rich.progress import Progress as RichProgress

            self.bar = RichProgress()
            self.bar.start()
            self.task = self.bar.add_task(label, total=total)

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(self.task, advance=n)
        elif self.done >= self.next_print:
            rate = self.done / (time.perf_counter() - self.t0)
            print(f"  {self.label}: {self.done:,}/{self.total:,} ({rate:,.0f} res/s)", flush=True)
            self.next_print += max(self.total // 10, 1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def grow(store: ResourceStore, sample: Sample, first_copy: int, target: int, have: int) -> int:
    """Write copies from ``first_copy`` on until the store holds ``target``; the next copy."""
    copies = max(0, -(-(target - have) // sample.per_copy))
    progress = Progress(f"grow to {target:,}", copies * sample.per_copy)
    stream = itertools.chain.from_iterable(
        copy_resources(sample, c) for c in range(first_copy, first_copy + copies)
    )
    while chunk := list(itertools.islice(stream, PER_SESSION)):
        with store.session(write=True) as session:
            for res in chunk:
                session.put(res, method="PUT")
        progress.advance(len(chunk))
    progress.close()
    return first_copy + copies


QUERIES: tuple[tuple[str, str], ...] = (
    ("read", "read by id (any type)"),
    ("patient_identifier", "Patient?identifier=system|value"),
    ("observation_patient_code_date", "Observation?patient&code&date=ge"),
    ("condition_code", "Condition?code=sct|X (first page)"),
    ("encounter_date_range", "Encounter?date=ge..&date=lt.. (first page)"),
    ("encounter_include_subject", "Encounter?patient=X&_include=Encounter:subject"),
)


def query_url(name: str, sample: Sample, copies: int, rng: random.Random) -> str:
    c = rng.randrange(1, copies) if copies > 1 else 0
    pid = f"c{c}-{rng.choice(sample.patients)}"
    if name == "read":
        rtype, rid = rng.choice(sample.keys)
        return f"/fhir/{rtype}/c{c}-{rid}"
    if name == "patient_identifier":
        return f"/fhir/Patient?identifier=https://github.com/synthetichealth/synthea|{pid}"
    if name == "observation_patient_code_date":
        code = rng.choice(LOINC)[0]
        year = rng.choice(sample.years)
        return f"/fhir/Observation?patient=Patient/{pid}&code=http://loinc.org|{code}&date=ge{year}"
    if name == "condition_code":
        return f"/fhir/Condition?code=http://snomed.info/sct|{rng.choice(sample.condition_codes)}"
    if name == "encounter_date_range":
        year = rng.choice(sample.years)
        return f"/fhir/Encounter?date=ge{year}-01-01&date=lt{year + 1}-01-01"
    return f"/fhir/Encounter?patient=Patient/{pid}&_include=Encounter:subject"


def analyze(store: ResourceStore) -> float:
    """Refresh the planner statistics of the store's database; the seconds it took."""
    t0 = time.perf_counter()
    pool = getattr(store, "pool", None)
    if pool is not None:
        with pool.connection() as conn, conn.transaction():
            conn.execute("ANALYZE")
    else:
        conn = sqlite3.connect(store.path)  # type: ignore[attr-defined]
        conn.execute("ANALYZE")
        conn.close()
    return time.perf_counter() - t0


def latencies(
    client: TestClient, sample: Sample, copies: int, n: int, budget: float
) -> dict[str, Any]:
    rng = random.Random(20240806)
    out: dict[str, Any] = {}
    for name, _ in QUERIES:
        for _ in range(10):
            client.get(query_url(name, sample, copies, rng))
        times: list[float] = []
        errors = hits = 0
        start = time.perf_counter()
        while len(times) < n and (time.perf_counter() - start < budget or len(times) < 20):
            url = query_url(name, sample, copies, rng)
            t0 = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                errors += 1
            elif name != "read":
                hits += sum(e["search"]["mode"] == "match" for e in r.json().get("entry", []))
        times.sort()
        out[name] = {
            "p50_ms": statistics.median(times),
            "p99_ms": times[min(len(times) - 1, -(-99 * len(times) // 100) - 1)],
            "mean_ms": statistics.fmean(times),
            "requests": len(times), "errors": errors, "mean_matches": hits / len(times),
        }
    return out


# -- driver ----------------------------------------------------------------------------
def run_backend(kind: str, sizes: list[int], sample: Sample, args: argparse.Namespace,
                result: dict[str, Any], save: Callable[[], None]) -> None:
    with ExitStack() as stack:
        if kind == "sqlite":
            store, close = open_sqlite(args.workdir)
        else:
            store, close = open_postgres(stack)
        stack.callback(close)
        settings = load_settings({"CAREHUB_DATA_DIR": str(args.workdir), "CAREHUB_AUTH": "off"})
        app = build_app(settings, store)
        client = stack.enter_context(TestClient(app))
        res: dict[str, Any] = {"sizes": []}
        result["backends"][kind] = res
        res["floor"] = raw_floor(sample, args.workdir)
        lines = list(sample.lines)
        res["index_floor"] = index_floor(lines, index_rows(lines), args.workdir / "ix.sqlite3")
        res["index_floor"]["ceiling"] = res["index_floor"]["per_s"] / res["floor"]["per_s"]
        res["ingest"] = ingest(client, sample)
        res["ingest"]["ratio_to_floor"] = res["ingest"]["per_s"] / res["floor"]["per_s"]
        save()
        print(f"[{kind}] ingest {res['ingest']['per_s']:,.0f} res/s, floor "
              f"{res['floor']['per_s']:,.0f} res/s, ratio {res['ingest']['ratio_to_floor']:.3f}; "
              f"floor + index rows {res['index_floor']['per_s']:,.0f} res/s: ceiling "
              f"{res['index_floor']['ceiling']:.3f} (target 0.40)", flush=True)
        have, next_copy = len(sample.lines), 1
        for size in sizes:
            t0 = time.perf_counter()
            before = have
            next_copy = grow(store, sample, next_copy, size, have)
            have = len(sample.lines) + (next_copy - 1) * sample.per_copy
            grow_s = time.perf_counter() - t0
            with store.session() as session:
                counted = sum(session.count_by_type().values())
            assert counted == have, (counted, have)
            analyze_s = analyze(store) if args.analyze else None
            print(f"[{kind}] {have:,} resources; measuring latency", flush=True)
            entry = {"target": size, "resources": have, "grow_seconds": grow_s,
                     "grow_per_s": (have - before) / grow_s if have > before else None,
                     "analyze_seconds": analyze_s,
                     "latency": latencies(client, sample, next_copy, args.requests,
                                          args.query_budget)}
            res["sizes"].append(entry)
            save()
            print_table(kind, entry)


def print_table(kind: str, entry: dict[str, Any]) -> None:
    rate = entry["grow_per_s"]
    title = (f"{kind} at {entry['resources']:,} resources (grown in {entry['grow_seconds']:,.0f}"
             f" s{f', {rate:,.0f} res/s' if rate else ''})")
    rows = [(label, entry["latency"][name]) for name, label in QUERIES]
    short = [label for label, f in rows if f["requests"] < rows[0][1]["requests"]]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency
        print(title)
        for label, f in rows:
            print(f"  {label:52} p50 {f['p50_ms']:8.2f}  p99 {f['p99_ms']:8.2f}  "
                  f"matches {f['mean_matches']:6.1f}  requests {f['requests']}  "
                  f"errors {f['errors']}")
        return
    table = Table(title=title)
    for col in ("query", "p50 ms", "p99 ms", "mean ms", "matches/req", "requests", "errors"):
        table.add_column(col, justify="left" if col == "query" else "right")
    for label, f in rows:
        table.add_row(label, f"{f['p50_ms']:.2f}", f"{f['p99_ms']:.2f}", f"{f['mean_ms']:.2f}",
                      f"{f['mean_matches']:.1f}", str(f["requests"]), str(f["errors"]))
    Console(width=120).print(table)
    if short:
        print(f"  (stopped early at the query budget: {', '.join(short)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="store sizes, comma-separated")
    parser.add_argument("--sqlite-sizes", help="sizes for SQLite (default --sizes)")
    parser.add_argument("--postgres-sizes", help="sizes for PostgreSQL (default --sizes)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=200, help="requests per query and size")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "fhir_api.json")
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "work")
    parser.add_argument("--samples", type=Path, help="NDJSON folder (default: shared samples)")
    parser.add_argument("--query-budget", type=float, default=120.0,
                        help="seconds one query may take at one size before it stops early")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="measure without refreshing planner statistics first")
    args = parser.parse_args(argv)
    shared = Path(os.environ.get("CAREHUB_SHARED") or REPO.parent / "shared")
    sample = Sample(args.samples or shared / "fhir-samples" / "bulk-10-patients")
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "sqlite": sqlite3.sqlite_version},
        "sample": {"resources": len(sample.lines), "per_copy": sample.per_copy},
        "ingest_via": "fastapi.testclient.TestClient, POST /fhir transaction Bundles of 100 PUT",
        "analyze_before_latency": args.analyze,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "backends": {},
    }

    def save() -> None:
        args.out.write_text(json.dumps(result, indent=2))

    for kind in [b.strip() for b in args.backends.split(",") if b.strip()]:
        sizes_text = getattr(args, f"{kind}_sizes") or args.sizes
        sizes = sorted(int(s) for s in sizes_text.split(",") if s.strip())
        t0 = time.perf_counter()
        run_backend(kind, sizes, sample, args, result, save)
        result["backends"][kind]["total_seconds"] = time.perf_counter() - t0
        save()
    print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
