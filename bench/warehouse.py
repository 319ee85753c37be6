"""Benchmark of the warehouse: build time per engine, rows/s, ratio to a floor, refresh cost.

For each population size, ``carehub synth`` data (Bulk Data NDJSON, cached
under ``--workdir``) is built into a warehouse:

* **build**: every standard view and mart, DuckDB file + Parquet, on DuckDB
  and on Spark ``local[2]``; wall seconds and view rows per second;
* **floor**: DuckDB's own ``read_json`` over the same NDJSON with a
  hand-written query (explicit column schema) for ``patients``,
  ``encounters`` and ``conditions``, measured in the same run against
  CareHub building only those three views (no marts, no Parquet) with the
  same DuckDB, each three times (alternating) with the fastest run kept, as
  the machine may be shared; the ratio is CareHub / floor (target: at most 2);
* **refresh**: 1 % of the resources of every type re-exported with a newer
  ``meta.lastUpdated`` (a Bulk Data ``_since`` delta), applied with
  ``refresh``; its time as a share of the full DuckDB build (target: under
  10 %). Four successive deltas (a different 1 % each): two with the Parquet
  folders brought up to date by change generations (the default), one with
  them rewritten whole (what a compaction costs), one with the DuckDB tables
  alone. After each, every Parquet folder read merged must have its table's
  row count (``*_parquet_consistent``).

Usage::

    .venv/bin/python bench/warehouse.py [--patients 10000 100000] [--engines duckdb spark]
        [--workdir bench/out/warehouse] [--json bench/out/warehouse/results.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import orjson

from carehub.warehouse.build import build, plan_build
from carehub.warehouse.parquet_log import live_sql
from carehub.warehouse.refresh import refresh
from carehub.warehouse.sources import NdjsonSource
from carehub.warehouse.store import Warehouse
from carehub.warehouse.views import load_view

REPEATS = 3
"""The floor comparison runs this many times, alternating; the fastest of each counts."""

REF = "'^([A-Za-z]+)/([A-Za-z0-9.-]{1,64})(/_history/[A-Za-z0-9.-]{1,64})?$'"


def key(ref: str, kind: str) -> str:
    """Hand-written getReferenceKey(kind) over a reference column."""
    return (
        f"CASE WHEN regexp_extract({ref}, {REF}, 1) = '{kind}' "
        f"THEN '{kind}/' || regexp_extract({ref}, {REF}, 2) END"
    )


CODING = "STRUCT(system VARCHAR, code VARCHAR, display VARCHAR)"
CONCEPT = f"STRUCT(coding {CODING}[], text VARCHAR)"
REFERENCE = "STRUCT(reference VARCHAR, display VARCHAR)"

FLOOR = {
    "patients": (
        "Patient",
        {
            "id": "VARCHAR",
            "identifier": "STRUCT(type STRUCT(coding STRUCT(code VARCHAR)[]), value VARCHAR)[]",
            "name": "STRUCT(family VARCHAR, given VARCHAR[])[]",
            "gender": "VARCHAR",
            "birthDate": "VARCHAR",
            "deceasedBoolean": "BOOLEAN",
            "deceasedDateTime": "VARCHAR",
            "maritalStatus": CONCEPT,
            "communication": f"STRUCT(language {CONCEPT}, preferred BOOLEAN)[]",
            "address": "STRUCT(city VARCHAR, district VARCHAR, state VARCHAR, "
            "postalCode VARCHAR, country VARCHAR)[]",
            "managingOrganization": REFERENCE,
        },
        """SELECT 'Patient/' || id AS patient_id,
  list_filter(identifier,
    lambda i: list_contains(list_transform(i.type.coding, lambda c: c.code), 'MR'))[1].value AS mrn,
  name[1].family AS family_name,
  CASE WHEN len(name[1].given) > 0 THEN array_to_string(name[1].given, ' ') END AS given_names,
  gender, birthDate AS birth_date,
  coalesce(deceasedBoolean, deceasedDateTime IS NOT NULL) AS deceased,
  deceasedDateTime AS deceased_at,
  maritalStatus.coding[1].code AS marital_status,
  list_filter(communication, lambda c: c.preferred)[1].language.coding[1].code AS language,
  NULL::VARCHAR AS race, NULL::VARCHAR AS ethnicity,
  address[1].city AS city, address[1].district AS district, address[1].state AS state,
  address[1].postalCode AS postal_code, address[1].country AS country,
  {org} AS managing_organization_id, id AS _resource_id""",
    ),
    "encounters": (
        "Encounter",
        {
            "id": "VARCHAR",
            "status": "VARCHAR",
            "class": CODING,
            "type": f"{CONCEPT}[]",
            "serviceType": CONCEPT,
            "subject": REFERENCE,
            "serviceProvider": REFERENCE,
            "location": f"STRUCT(location {REFERENCE})[]",
            "period": 'STRUCT(start VARCHAR, "end" VARCHAR)',
            "hospitalization": f"STRUCT(admitSource {CONCEPT}, dischargeDisposition {CONCEPT})",
            "reasonCode": f"{CONCEPT}[]",
            "diagnosis": f"STRUCT(condition {REFERENCE}, rank BIGINT)[]",
        },
        """SELECT 'Encounter/' || id AS encounter_id, {subject} AS patient_id, status,
  class.code AS class, type[1].coding[1].code AS type_code,
  type[1].coding[1].display AS type_display,
  serviceType.coding[1].code AS department_code,
  coalesce(serviceType.text, serviceType.coding[1].display) AS department,
  serviceProvider.display AS service_provider, location[1].location.display AS location,
  {location} AS location_id, period.start AS period_start, period."end" AS period_end,
  (epoch(TRY_CAST(period."end" AS TIMESTAMPTZ)) - epoch(TRY_CAST(period.start AS TIMESTAMPTZ)))
    / 3600.0 AS length_of_stay_hours,
  (epoch(TRY_CAST(period."end" AS TIMESTAMPTZ)) - epoch(TRY_CAST(period.start AS TIMESTAMPTZ)))
    / 86400.0 AS length_of_stay_days,
  hospitalization.admitSource.coding[1].code AS admit_source,
  hospitalization.dischargeDisposition.coding[1].code AS discharge_disposition,
  reasonCode[1].coding[1].code AS reason_code, reasonCode[1].coding[1].display AS reason_display,
  {diagnosis} AS primary_condition_id, id AS _resource_id""",
    ),
    "conditions": (
        "Condition",
        {
            "id": "VARCHAR",
            "subject": REFERENCE,
            "encounter": REFERENCE,
            "category": f"{CONCEPT}[]",
            "clinicalStatus": CONCEPT,
            "verificationStatus": CONCEPT,
            "code": CONCEPT,
            "onsetDateTime": "VARCHAR",
            "abatementDateTime": "VARCHAR",
            "recordedDate": "VARCHAR",
        },
        """SELECT 'Condition/' || id AS condition_id, {subject} AS patient_id,
  {encounter} AS encounter_id,
  flatten(list_transform(category, lambda c: list_transform(c.coding, lambda x: x.code)))[1]
    AS category,
  clinicalStatus.coding[1].code AS clinical_status,
  verificationStatus.coding[1].code AS verification_status,
  code.coding[1].system AS code_system, code.coding[1].code AS code,
  coalesce(code.text, code.coding[1].display) AS display, onsetDateTime AS onset,
  abatementDateTime AS abatement, recordedDate AS recorded_date, id AS _resource_id""",
    ),
}


def floor_sql(name: str, data: Path) -> str:
    """The hand-written DuckDB query of one view over ``read_json``."""
    resource_type, columns, select = FLOOR[name]
    text = select.format(
        org=key("managingOrganization.reference", "Organization"),
        subject=key("subject.reference", "Patient"),
        encounter=key("encounter.reference", "Encounter"),
        location=key("location[1].location.reference", "Location"),
        diagnosis=key(
            "list_filter(diagnosis, lambda d: d.rank = 1)[1].condition.reference", "Condition"
        ),
    )
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    files = [str(p) for p in sorted(data.glob(f"{resource_type}*.ndjson"))]
    return f"{text}\nFROM read_json({files!r}, format = 'newline_delimited', columns = {spec})"


def synth(patients: int, workdir: Path) -> Path:
    """The synthetic population's NDJSON folder (generated once, then reused)."""
    folder = workdir / f"synth-{patients}"
    if not (folder / "manifest.json").is_file():
        from carehub.synth import SynthConfig, generate

        shutil.rmtree(folder, ignore_errors=True)
        generate(SynthConfig(patients=patients, seed=1), folder)
    return folder


def make_delta(data: Path, delta: Path, every: int = 100, offset: int = 0) -> int:
    """Re-export every ``every``-th resource of each type with a newer lastUpdated."""
    delta.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 60))
    count = 0
    for file in sorted(data.glob("*.ndjson")):
        with file.open("rb") as src, (delta / file.name).open("wb") as out:
            for i, line in enumerate(src):
                if (i + offset) % every or not line.strip():
                    continue
                resource = orjson.loads(line)
                meta = resource.setdefault("meta", {})
                meta["lastUpdated"] = stamp
                meta["versionId"] = str(int(meta.get("versionId", "1")) + 1)
                out.write(orjson.dumps(resource) + b"\n")
                count += 1
    return count


def parquet_consistent(warehouse: Warehouse) -> bool:
    """Whether every table's Parquet folder, read merged, has the table's row count."""
    conn = warehouse.connection
    for name in warehouse.tables():
        folder = warehouse.table_folder(name)
        if folder is None:
            continue
        merged = conn.execute(f"SELECT count(*) FROM ({live_sql(folder)})").fetchone()
        table = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        if merged != table:
            return False
    return True


def measure_refresh(
    plan: Any, data: Path, root: Path, warehouse: Warehouse, build_s: float
) -> dict[str, Any]:
    """Four successive 1 % refreshes, each as a share of the full build.

    1 and 2: Parquet change generations appended (the default); 3: the
    Parquet folders rewritten whole (``compact_share`` 0, as compaction
    does); 4: the DuckDB tables alone (no Parquet folder).
    """
    out: dict[str, Any] = {}
    runs = [
        ("refresh", None),
        ("refresh2", None),
        ("refresh_rewrite", 0.0),
        ("refresh_tables_only", -1.0),
    ]
    for i, (label, share) in enumerate(runs):
        delta = root / f"delta-{i}"
        changed = make_delta(data, delta, offset=25 * i)
        if share is not None and share < 0:
            warehouse.parquet_dir = None
        elif share is not None:
            warehouse.compact_share = share
        result = refresh(plan, NdjsonSource([delta]), warehouse)
        out[f"{label}_resources"] = changed
        out[f"{label}_s"] = result.seconds
        out[f"{label}_share"] = result.seconds / build_s
        out[f"{label}_parquet"] = dict(sorted(Counter(result.parquet.values()).items()))
        if warehouse.parquet_dir is not None:
            out[f"{label}_parquet_consistent"] = parquet_consistent(warehouse)
    # refresh leaves checkpoints to DuckDB's log-size threshold: what one costs now
    wal = Path(str(warehouse.path) + ".wal")
    out["wal_mb_before_checkpoint"] = wal.stat().st_size / 2**20 if wal.exists() else 0.0
    started = time.perf_counter()
    warehouse.connection.execute("CHECKPOINT")
    out["checkpoint_after_refreshes_s"] = time.perf_counter() - started
    return out


def run_size(patients: int, engines: list[str], workdir: Path) -> dict[str, Any]:
    """Every measurement for one population size."""
    data = synth(patients, workdir)
    resources = sum(1 for f in data.glob("*.ndjson") for _ in f.open("rb"))
    size_mb = sum(f.stat().st_size for f in data.glob("*.ndjson")) / 2**20
    out: dict[str, Any] = {"patients": patients, "resources": resources, "ndjson_mb": size_mb}
    plan = plan_build()
    with tempfile.TemporaryDirectory(prefix="carehub-wh-bench-", dir=workdir) as tmp:
        root = Path(tmp)
        for engine_name in engines:
            warehouse = Warehouse(root / f"{engine_name}.duckdb", root / f"{engine_name}-parquet")
            if engine_name == "duckdb":
                engine = warehouse.engine
            else:
                from carehub.warehouse.engines.spark import SparkEngine

                engine = SparkEngine(
                    "local[2]", shuffle_partitions=4, conf={"spark.driver.memory": "4g"}
                )
                engine.session  # noqa: B018 - start the JVM outside the timing
            report = build(plan, NdjsonSource([data]), engine, warehouse)
            out[f"{engine_name}_build_s"] = report.seconds
            out[f"{engine_name}_rows"] = report.rows
            out[f"{engine_name}_rows_per_s"] = report.rows / report.seconds
            if engine_name == "duckdb":
                out.update(measure_refresh(plan, data, root, warehouse, report.seconds))
            warehouse.close()
        three = plan_build([load_view(n) for n in FLOOR], marts=[])
        ours_s, floor_s = [], []
        for attempt in range(REPEATS):
            ours = Warehouse(root / f"three-{attempt}.duckdb", None)
            ours_s.append(build(three, NdjsonSource([data]), ours.engine, ours).seconds)
            ours.close()
            conn = duckdb.connect(str(root / f"floor-{attempt}.duckdb"))
            start = time.perf_counter()
            for name in FLOOR:
                conn.execute(f"CREATE TABLE {name} AS {floor_sql(name, data)}")
            floor_s.append(time.perf_counter() - start)
            conn.close()
        out["carehub_3_views_s"] = min(ours_s)
        out["floor_3_views_s"] = min(floor_s)
        out["ratio_to_floor"] = out["carehub_3_views_s"] / out["floor_3_views_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run every size and print one line per size; return the exit status."""
    parser = argparse.ArgumentParser(description="Benchmark the CareHub warehouse.")
    parser.add_argument("--patients", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    parser.add_argument("--workdir", type=Path, default=Path("bench/out/warehouse"))
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for patients in args.patients:
        row = run_size(patients, args.engines, args.workdir)
        results.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
