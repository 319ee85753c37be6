"""Benchmark of a research extract: a cohort of a synthetic population, de-identified, on DuckDB.

For the population size asked (100,000 patients by default):

1. ``carehub synth`` data (Bulk Data NDJSON) and the warehouse built from it
   (every standard view and mart, DuckDB), both cached under ``--workdir``;
2. **cohort**: :func:`carehub.research.cohort.run_cohort` of the benchmark
   cohort (adults with an encounter in the last two and a half years of the
   data and a creatinine result within a year of it), wall seconds;
3. **extract**: :func:`carehub.research.extract.write_extract` of that cohort
   with the shipped ``default`` policy (pseudonyms, date shifting,
   generalisation, k-anonymity, Parquet + CSV + documentation), wall seconds,
   rows written and rows per second; cohort + extract is the end-to-end figure.

The figures are printed and written to ``--json`` (default
``bench/out/research.json``).

Usage::

    .venv/bin/python bench/research.py [--patients 100000] [--workdir bench/out/research]
        [--json bench/out/research.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from carehub.research.cohort import load_cohort, run_cohort  # noqa: E402
from carehub.research.deid import load_policy, project_key  # noqa: E402
from carehub.research.extract import write_extract  # noqa: E402
from carehub.warehouse.build import build, plan_build  # noqa: E402
from carehub.warehouse.sources import NdjsonSource  # noqa: E402
from carehub.warehouse.store import Warehouse  # noqa: E402

END_DATE = datetime.date(2026, 6, 30)
"""The synthetic data's last day (``carehub synth``'s default)."""

COHORT: dict[str, Any] = {
    "name": "bench_adults_creatinine",
    "title": "Adults seen since 2024 with a creatinine result within a year",
    "index": {"type": "encounter", "codes": ["AMB", "IMP", "EMER"],
              "period": {"start": "2024-01-01", "end": END_DATE.isoformat()}},
    "inclusion": [
        {"name": "adult at index", "type": "age", "min": 18},
        {"name": "creatinine within a year", "type": "lab", "codes": ["14682-9"],
         "window": {"start": -365, "end": 365}},
    ],
}


def synth(patients: int, workdir: Path) -> Path:
    """The synthetic population's NDJSON folder (generated once, then reused)."""
    folder = workdir / f"synth-{patients}"
    if not (folder / "manifest.json").is_file():
        from carehub.synth import SynthConfig, generate

        shutil.rmtree(folder, ignore_errors=True)
        generate(SynthConfig(patients=patients, seed=1), folder)
    return folder


def warehouse_for(patients: int, workdir: Path) -> tuple[Warehouse, float]:
    """The warehouse of the population (built once, then reused) and its build seconds."""
    folder = workdir / f"warehouse-{patients}"
    done = folder / "built.json"
    if done.is_file():
        return Warehouse(folder / "w.duckdb", None), float(json.loads(done.read_text())["s"])
    shutil.rmtree(folder, ignore_errors=True)
    data = synth(patients, workdir)
    warehouse = Warehouse(folder / "w.duckdb", None)
    start = time.perf_counter()
    build(plan_build(), NdjsonSource([data]), warehouse.engine, warehouse, as_of=END_DATE)
    seconds = time.perf_counter() - start
    done.write_text(json.dumps({"s": seconds}))
    return warehouse, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "research")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "research.json")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    warehouse, build_s = warehouse_for(args.patients, args.workdir)
    try:
        definition = load_cohort(COHORT)
        start = time.perf_counter()
        cohort = run_cohort(definition, warehouse)
        cohort_s = time.perf_counter() - start
        out = args.workdir / f"extract-{args.patients}"
        shutil.rmtree(out, ignore_errors=True)
        key = project_key(b"bench-secret", "bench")
        start = time.perf_counter()
        report = write_extract(warehouse, cohort_table=cohort.table, policy=load_policy("default"),
                               project_key=key, out_dir=out, progress=False)
        extract_s = time.perf_counter() - start
    finally:
        warehouse.close()
    total = cohort_s + extract_s
    population = report.population
    figures = {
        "patients": args.patients,
        "engine": "duckdb",
        "cores": os.cpu_count(),
        "warehouse_build_s": round(build_s, 2),
        "cohort": {"name": definition.name, "patients": cohort.size, "seconds": round(cohort_s, 3),
                   "attrition": [[s.criterion, s.before, s.removed, s.after]
                                 for s in cohort.attrition]},
        "extract": {
            "seconds": round(extract_s, 2),
            "rows": report.rows,
            "rows_per_s": round(report.rows / extract_s) if extract_s else 0,
            "views": {name: view.rows for name, view in report.views.items()},
            "released_patients": population.released,
            "suppressed_patients": population.suppressed,
            "k": report.k_anonymity.k,
        },
        "end_to_end_s": round(total, 2),
        "end_to_end_rows_per_s": round(report.rows / total) if total else 0,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"patients {args.patients:,}; warehouse build {build_s:.1f} s (cached once built)")
    for step in cohort.attrition:
        print(f"  {step.criterion:<40} {step.before:>9,} -{step.removed:>9,} = {step.after:>9,}")
    print(f"cohort  {cohort.size:,} patients in {cohort_s:.2f} s")
    rate = figures["extract"]["rows_per_s"]
    print(f"extract {report.rows:,} rows in {extract_s:.2f} s ({rate:,} rows/s); "
          f"{population.released:,} patients released, "
          f"{population.suppressed:,} suppressed (k = {report.k_anonymity.k})")
    print(f"end to end {total:.2f} s ({figures['end_to_end_rows_per_s']:,} rows/s) -> {args.json}")


if __name__ == "__main__":
    main()
