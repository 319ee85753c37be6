"""Benchmark of bulk NDJSON import and ``$export`` on SQLite and PostgreSQL.

In one run, on the same input lines:

1. **raw floor** — orjson-parse every line and insert the bare JSON into one
   SQLite table ``(type, id, body)`` in one transaction (no validation, no
   versions, no search index): the least any import could cost here.
   **+ index rows** — the same plus inserting each resource's search-index
   rows (extracted before the clock starts) into tables of CareHub's column
   layout that carry no index (``bench/index_floor.py``): its ratio to the
   floor is the ceiling of ``import / floor`` for any importer that writes
   index tables at write time.
2. **import** into a fresh SQLite file and a fresh PostgreSQL schema through
   :class:`carehub.bulk.local_files.LocalImport`, i.e. exactly what
   ``carehub import`` does: validation (``CAREHUB_VALIDATE``), versioned
   writes, search-index rows, ``--batch-size`` lines per transaction.
   ``import / floor`` is printed (target ≥ 0.5).
3. **export** — a system-level ``$export`` of everything just imported, with
   :func:`carehub.bulk.export.run_export` writing the NDJSON files (target
   ≥ 100,000 resources/s from SQLite).

Each step runs in its own process, so its **peak RSS** (``ru_maxrss``) is its
own; the RSS when the step starts (interpreter, libraries, open store) is shown
next to it, and so is the peak of the *anonymous* RSS (sampled every 10 ms):
the SQLite store maps its file into memory (``PRAGMA mmap_size``), and those
file pages count in RSS without being memory the process holds. The export is
run twice in its process; the first pass (reading cold) is the headline figure.

Input: ``--input DIR`` (its ``*.ndjson`` files, e.g. from ``carehub synth``), or
by default the shared ``fhir-samples/bulk-10-patients`` sample repeated to
``--resources`` lines. Copy ``c`` renames every UUID ``X`` to ``cC-X``
wherever it occurs (ids, references, identifiers), so each copy is new data
with consistent references.

Usage::

    python bench/bulk.py [--resources 100000] [--input DIR] [--batch-size 1000]
        [--backends sqlite,postgres] [--out bench/out/bulk.json] [--workdir DIR]

PostgreSQL: ``$CAREHUB_BENCH_POSTGRES_DSN`` (a fresh schema is created in it and
dropped afterwards), else a throw-away cluster from
:func:`tests.support.postgres_cluster.start_cluster` (``fsync`` off).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SKIP = {"log.ndjson"}
IMPORT_TARGET = 0.5
EXPORT_TARGET = 100_000


# -- input -------------------------------------------------------------------------------
def default_samples() -> Path:
    """``$CAREHUB_SHARED/fhir-samples/bulk-10-patients`` (shared folder beside the repo)."""
    shared = os.environ.get("CAREHUB_SHARED")
    base = Path(shared) if shared else REPO.parent / "shared"
    return base / "fhir-samples" / "bulk-10-patients"


def ndjson_files(folder: Path) -> list[Path]:
    """The resource files of a folder."""
    return sorted(p for p in folder.glob("*.ndjson") if p.name not in SKIP)


def renamed(line: bytes, copy: int) -> bytes:
    """``line`` with every UUID ``X`` written ``cC-X`` (copy 0 unchanged).

    >>> renamed(b'{"id":"0b9875ba-9310-313d-93d4-bf552585d527"}', 3)
    b'{"id":"c3-0b9875ba-9310-313d-93d4-bf552585d527"}'
    """
    if copy == 0:
        return line
    prefix = f"c{copy}-".encode()
    return UUID.sub(lambda m: prefix + m.group(0), line)


def build_input(samples: Path, target: int, out: Path) -> int:
    """Write ``target`` lines (copies of ``samples``) as ``<Type>.ndjson`` files in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    lines = {
        p.name: [x for x in p.read_bytes().splitlines() if x.strip()] for p in ndjson_files(samples)
    }
    per_copy = sum(len(v) for v in lines.values())
    written = 0
    handles = {name: (out / name).open("wb") for name in lines}
    try:
        copy = 0
        while written < target:
            for name, items in lines.items():
                for line in items:
                    if written >= target:
                        break
                    handles[name].write(renamed(line, copy) + b"\n")
                    written += 1
            copy += 1
    finally:
        for handle in handles.values():
            handle.close()
    print(f"input: {written:,} lines ({per_copy:,} per copy of {samples.name})", flush=True)
    return written


# -- one step per process ----------------------------------------------------------------
def rss_mb() -> float:
    """The current resident set size in MiB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """The peak resident set size of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def anon_mb() -> float:
    """The anonymous (heap, not file-mapped) resident memory in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return 0.0


class AnonPeak:
    """Samples :func:`anon_mb` every 10 ms on a thread and keeps the largest value.

    The peak RSS counts the SQLite file pages that the store maps into memory
    (``PRAGMA mmap_size``); the anonymous part is what the process itself holds.
    """

    def __init__(self) -> None:
        self.peak = anon_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, anon_mb())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, anon_mb())


def step_floor(args: argparse.Namespace) -> dict[str, Any]:
    """The raw floor (``bench/index_floor.py``), one ``executemany`` per input file."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from index_floor import raw_floor

    start_rss = rss_mb()
    groups = (path.open("rb") for path in ndjson_files(Path(args.input)))
    figures: dict[str, Any] = dict(raw_floor(groups, Path(args.db)))
    figures["rss_start_mb"] = start_rss
    return figures


def step_index_floor(args: argparse.Namespace) -> dict[str, Any]:
    """The raw floor plus CareHub's index rows in bare tables (``bench/index_floor.py``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from index_floor import index_floor

    lines = (ln for p in ndjson_files(Path(args.input)) for ln in p.open("rb") if ln.strip())
    start_rss = rss_mb()
    figures = index_floor(lines, None, Path(args.db), int(args.batch_size))
    figures["rss_start_mb"] = start_rss
    return figures


def open_store(args: argparse.Namespace) -> Any:
    if args.backend == "sqlite":
        from carehub.storage.sqlite import SqliteStore

        return SqliteStore(args.db)
    from carehub.storage.postgres import PostgresStore

    return PostgresStore(args.dsn)


def step_import(args: argparse.Namespace) -> dict[str, Any]:
    from carehub.app.wiring import build_hub
    from carehub.bulk.local_files import LocalImport, collect_files
    from carehub.errors import Issue
    from carehub.settings import load_settings

    store = open_store(args)
    hub = build_hub(load_settings({}), store)
    files = collect_files(ndjson_files(Path(args.input)), hub.defs.is_resource_type)
    issues: list[Issue] = []
    # compile the validator and index extractors of every type first (a one-off cost)
    from carehub.fhir_model.search_index import extract
    from carehub.fhir_model.validation import find_issues

    for rtype in {f.declared for f in files if f.declared}:
        find_issues({"resourceType": rtype})
        extract({"resourceType": rtype, "id": "warm"})
    start_rss = rss_mb()
    summary = LocalImport(hub, issues.append, args.batch_size).run(files)
    store.close()
    stats = summary.stats
    return {
        "resources": stats.processed,
        "seconds": summary.seconds,
        "loaded": stats.loaded,
        "failed": stats.failed,
        "rss_start_mb": start_rss,
        "first_issues": [i.diagnostics for i in issues[:3]],
    }


def step_export(args: argparse.Namespace) -> dict[str, Any]:
    from carehub.app.wiring import build_hub
    from carehub.bulk.export import ExportPlan, ExportRequest, run_export
    from carehub.bulk.jobs import JobContext, JobManager
    from carehub.settings import load_settings

    store = open_store(args)
    hub = build_hub(load_settings({}), store)
    jobs = JobManager(Path(args.workdir) / f"bulk-{args.backend}")
    start_rss = rss_mb()
    runs = []
    for _ in range(2):  # the first pass reads cold, the second finds the pages mapped
        job = jobs.create("export", "bench")
        started = time.perf_counter()
        result = run_export(hub, ExportPlan(ExportRequest("system")), JobContext(jobs, job))
        seconds = time.perf_counter() - started
        size = sum((job.folder / o["file"]).stat().st_size for o in result.outputs)
        count = sum(o["count"] for o in result.outputs)
        jobs.discard(job)
        runs.append((count, seconds, size))
    store.close()
    (count, seconds, size), (_, warm_seconds, _) = runs
    return {
        "resources": count,
        "seconds": seconds,
        "bytes": size,
        "rss_start_mb": start_rss,
        "warm_seconds": warm_seconds,
        "warm_per_s": count / warm_seconds if warm_seconds else 0.0,
    }


STEPS = {
    "floor": step_floor,
    "index_floor": step_index_floor,
    "import": step_import,
    "export": step_export,
}


def run_step(step: str, **options: str) -> dict[str, Any]:
    """Run one step in a fresh interpreter and return its figures."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step]
    for key, value in options.items():
        cmd += [f"--{key.replace('_', '-')}", value]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench step {step} failed")
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["per_s"] = figures["resources"] / figures["seconds"] if figures["seconds"] else 0.0
    return figures


# -- PostgreSQL --------------------------------------------------------------------------
def postgres_dsns(stack: ExitStack) -> Iterator[str]:
    """Fresh schemas (as DSNs), dropped at the end."""
    import psycopg

    dsn = os.environ.get("CAREHUB_BENCH_POSTGRES_DSN", "").strip()
    if not dsn:
        from tests.support.postgres_cluster import start_cluster

        dsn, stop = start_cluster()
        stack.callback(stop)
    while True:
        schema = "bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")

        def drop(schema: str = schema) -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")

        stack.callback(drop)
        sep = "&" if "?" in dsn else "?"
        yield f"{dsn}{sep}options=-csearch_path%3D{schema}"


# -- the run -----------------------------------------------------------------------------
def show(label: str, figures: dict[str, Any]) -> None:
    print(
        f"{label:<18}{figures['resources']:>10,}{figures['seconds']:>10.2f}"
        f"{figures['per_s']:>14,.0f}{figures['rss_start_mb']:>11.0f}"
        f"{figures['rss_peak_mb']:>10.0f}{figures['anon_peak_mb']:>11.0f}",
        flush=True,
    )
    if "warm_per_s" in figures:
        print(
            f"{'  (second pass)':<18}{'':>10}{figures['warm_seconds']:>10.2f}"
            f"{figures['warm_per_s']:>14,.0f}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or one step of it, with ``--step``)."""
    parser = argparse.ArgumentParser(description="Benchmark bulk import and export.")
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--input", help="a folder of NDJSON files to use as they are")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "bulk.json")
    parser.add_argument("--workdir", help="scratch folder (default: a temporary one)")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step:
        sampler = AnonPeak()
        figures = STEPS[args.step](args)
        figures["anon_peak_mb"] = sampler.stop()
        figures["rss_peak_mb"] = peak_mb()
        print(json.dumps(figures))
        return 0

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    with ExitStack() as stack:
        work = (
            Path(args.workdir)
            if args.workdir
            else Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="carehub-bench-bulk-"))
            )
        )
        work.mkdir(parents=True, exist_ok=True)
        if args.input:
            folder = Path(args.input)
            count = sum(1 for p in ndjson_files(folder) for line in p.open("rb") if line.strip())
            print(f"input: {count:,} lines in {folder}", flush=True)
        else:
            folder = work / "input"
            shutil.rmtree(folder, ignore_errors=True)
            count = build_input(default_samples(), args.resources, folder)
        common = {"input": str(folder), "batch_size": str(args.batch_size), "workdir": str(work)}
        report: dict[str, Any] = {
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
            "input": {
                "lines": count,
                "folder": args.input or "shared samples repeated",
                "batch_size": args.batch_size,
            },
        }
        print(
            f"{'step':<18}{'resources':>10}{'seconds':>10}{'resources/s':>14}"
            f"{'RSS start':>11}{'RSS peak':>10}{'anon peak':>11}  (MiB)"
        )
        floor_db = work / "floor.sqlite3"
        floor_db.unlink(missing_ok=True)
        report["floor"] = run_step("floor", db=str(floor_db), **common)
        show("raw floor", report["floor"])
        report["index_floor"] = run_step("index_floor", db=str(floor_db), **common)
        report["index_floor"]["ceiling"] = report["index_floor"]["per_s"] / report["floor"]["per_s"]
        show("+ index rows", report["index_floor"])
        dsns = postgres_dsns(stack) if "postgres" in backends else None
        for backend in backends:
            target: dict[str, str] = {"backend": backend}
            if backend == "sqlite":
                db = work / "fhir.sqlite3"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                target["db"] = str(db)
            else:
                assert dsns is not None
                target["dsn"] = next(dsns)
            imported = run_step("import", **target, **common)
            exported = run_step("export", **target, **common)
            imported["ratio_to_floor"] = imported["per_s"] / report["floor"]["per_s"]
            report[backend] = {"import": imported, "export": exported}
            show(f"import {backend}", imported)
            show(f"export {backend}", exported)
        print()
        ceiling = report["index_floor"]["ceiling"]
        print(
            f"raw floor + index rows: {report['index_floor']['index_rows_per_resource']:.1f} "
            f"search-index rows per resource into tables without any index, nothing else: "
            f"{ceiling:.3f} of the raw floor, the ceiling of import / floor with write-time "
            f"index tables (target {IMPORT_TARGET}: "
            f"{'reachable' if ceiling >= IMPORT_TARGET else 'out of reach'})"
        )
        for backend in backends:
            ratio = report[backend]["import"]["ratio_to_floor"]
            mark = "ok" if ratio >= IMPORT_TARGET else "below target"
            print(
                f"import {backend}: {ratio:.3f} of the raw floor (target ≥ {IMPORT_TARGET}: "
                f"{mark}); failed lines: {report[backend]['import']['failed']}"
            )
        if "sqlite" in backends:
            exported = report["sqlite"]["export"]
            rate, warm = exported["per_s"], exported["warm_per_s"]
            mark = "ok" if rate >= EXPORT_TARGET else "below target"
            print(
                f"export sqlite: {rate:,.0f} resources/s first pass, {warm:,.0f} second "
                f"(target ≥ {EXPORT_TARGET:,}: {mark} on the first pass)"
            )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
