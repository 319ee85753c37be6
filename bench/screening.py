"""Benchmark of the screening run: patients per second for all programmes.

Synthetic patients (``carehub synth``, cached under ``--workdir``) are built
into a DuckDB warehouse (views and marts, the ``screening_facts`` mart
included), then every programme is evaluated for every living patient and the
worklists are written, without the FHIR write-back (measured separately on a
sample with ``--writeback-sample``). Printed: warehouse build time, screening
patients/s, and the time 1,000,000 patients would take at that rate (target:
under 5 minutes on 2 cores).

Usage::

    .venv/bin/python bench/screening.py [--patients 100000] [--workdir bench/out/screening]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from carehub.screening.job import run_job
from carehub.synth.config import DEFAULT_END_DATE, SynthConfig
from carehub.synth.generate import generate
from carehub.warehouse.build import build, plan_build
from carehub.warehouse.sources import NdjsonSource
from carehub.warehouse.store import Warehouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path("bench/out/screening"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2, help="Processes (default 2).")
    parser.add_argument("--ndjson", type=Path, default=None,
                        help="Use this population (Bulk Data NDJSON) instead of generating one.")
    args = parser.parse_args(argv)
    folder = args.workdir / f"p{args.patients}"
    nd = args.ndjson or folder / "ndjson"
    if not (nd / "manifest.json").exists():
        print(f"generating {args.patients:,} patients ...", file=sys.stderr)
        generate(SynthConfig(patients=args.patients, seed=1), nd)
    warehouse = Warehouse(folder / "warehouse.duckdb", folder / "parquet")
    if "screening_facts" not in warehouse.tables():
        start = time.perf_counter()
        build(plan_build(), NdjsonSource(sorted(nd.glob("*.ndjson"))), warehouse.engine,
              warehouse, as_of=DEFAULT_END_DATE)
        print(f"warehouse build: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    facts = warehouse.connection.execute("SELECT COUNT(*) FROM screening_facts").fetchone()
    parquet = (folder / "parquet" / "patients", folder / "parquet" / "screening_facts")
    with tempfile.TemporaryDirectory() as out:
        report = run_job(warehouse.connection, DEFAULT_END_DATE, Path(out), parquet=parquet,
                         workers=args.workers).run
    rate = report.patients_per_second
    result = {
        "patients": report.patients,
        "facts": facts[0] if facts else 0,
        "recommendations": report.recommendations,
        "seconds": round(report.seconds, 2),
        "patients_per_second": round(rate),
        "one_million_minutes": round(1_000_000 / rate / 60, 2) if rate else None,
    }
    print(
        f"screening: {report.patients:,} patients, {report.recommendations:,} recommendations "
        f"in {report.seconds:.1f} s = {rate:,.0f} patients/s; "
        f"1M patients would take {result['one_million_minutes']} min (target < 5)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    warehouse.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
