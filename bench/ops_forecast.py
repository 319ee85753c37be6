"""Benchmark of the patient-demand forecasts: fit+forecast time and accuracy vs SeasonalNaive.

1. **time**: fit + forecast (28 days, 80/95 % intervals) of ``--departments``
   synthetic department series (default 50, 730 days), each model alone and
   all together (``n_jobs`` from ``--n-jobs``).
2. **synthetic accuracy**: the full run (rolling-origin backtests at 7 and
   28 days, ``--windows`` origins, choice per series) on those series plus
   their total ``visits``; the mean MASE, MAPE and 80/95 % coverage of the
   chosen models beside SeasonalNaive, and the total's own row.
3. **warehouse accuracy** (``--patients``, 0 to skip): a synthetic FHIR
   population (``carehub synth``) built into a DuckDB warehouse, then the
   top-level series (``visits``, ``outpatient``, ``emergency``,
   ``admissions``, ``census``).
4. **ops-data accuracy**: the real monthly PBS drug-expenditure series in
   ``<shared>/ops-data`` (season 12, horizons 6 and 12 months), if present.

Usage::

    .venv/bin/python bench/ops_forecast.py [--departments 50] [--windows 3] [--patients 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from carehub.ops.forecast.backtest import METRICS  # noqa: E402
from carehub.ops.forecast.csv_series import read_series_csv  # noqa: E402
from carehub.ops.forecast.fit import forecast  # noqa: E402
from carehub.ops.forecast.models import default_catalogue  # noqa: E402
from carehub.ops.forecast.pipeline import ForecastRequest, run_forecast  # noqa: E402
from carehub.ops.forecast.reconcile import add_totals, hierarchy  # noqa: E402
from carehub.ops.forecast.report import accuracy_table, side_by_side  # noqa: E402
from carehub.ops.forecast.series import infer_profile, select_series  # noqa: E402
from carehub.ops.forecast.synthetic import synthetic_demand  # noqa: E402


def _timing(departments: int, n_jobs: int) -> dict[str, Any]:
    df = synthetic_demand(departments=departments - 1, days=730, seed=42)
    profile = infer_profile(df)
    out: dict[str, Any] = {"series": int(df["unique_id"].nunique()), "days": 730, "h": 28}
    catalogue = default_catalogue()
    specs = catalogue.candidates(profile)
    for spec in specs:
        start = time.perf_counter()
        forecast(df, [spec], profile, 28, n_jobs=n_jobs)
        out[spec.name] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    forecast(df, specs, profile, 28, n_jobs=n_jobs)
    out["all models"] = round(time.perf_counter() - start, 2)
    return out


def _summary(table: pd.DataFrame, total: str | None) -> list[dict[str, Any]]:
    wide = side_by_side(table)
    rows = []
    for h, g in wide.groupby("horizon"):
        row: dict[str, Any] = {"horizon": int(h), "series": len(g)}
        for m in METRICS:
            row[m] = round(float(g[m].mean()), 3)
            row[f"{m}_SN"] = round(float(g[f"{m}_baseline"].mean()), 3)
        row["beats_SN_on_MASE"] = f"{int((g['mase'] < g['mase_baseline']).sum())}/{len(g)}"
        rows.append(row)
        if total is not None and (g["unique_id"] == total).any():
            t = g[g["unique_id"] == total].iloc[0]
            own = {m: round(float(t[m]), 3) for m in METRICS}
            base = {f"{m}_SN": round(float(t[f"{m}_baseline"]), 3) for m in METRICS}
            rows.append({"horizon": int(h), "series": total, "model": t["model"]} | own | base)
    return rows


def _per_series(table: pd.DataFrame) -> list[dict[str, Any]]:
    wide = side_by_side(table)
    cols = ["unique_id", "horizon", "model", *METRICS, *(f"{m}_baseline" for m in METRICS)]
    records: list[dict[str, Any]] = json.loads(wide[cols].round(3).to_json(orient="records"))
    return records


def _synthetic(departments: int, windows: int, n_jobs: int) -> dict[str, Any]:
    df = synthetic_demand(departments=departments - 1, days=730, seed=42)
    df = add_totals(df, hierarchy(sorted(df["unique_id"].unique())))
    start = time.perf_counter()
    result = run_forecast(df, ForecastRequest(horizon=28, windows=windows, n_jobs=n_jobs))
    table = accuracy_table(result)
    return {"seconds": round(time.perf_counter() - start, 1), "steps": result.seconds,
            "summary": _summary(table, "visits")}  # fmt: skip


def _warehouse(patients: int, windows: int, n_jobs: int) -> dict[str, Any]:
    from carehub.ops.forecast.warehouse_series import warehouse_series
    from carehub.synth import SynthConfig, generate
    from carehub.warehouse.build import build, plan_build
    from carehub.warehouse.sources import NdjsonSource
    from carehub.warehouse.store import Warehouse
    from carehub.warehouse.views import load_view

    config = SynthConfig(patients=patients, years=3, seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate(config, Path(tmp) / "ndjson")
        warehouse = Warehouse(Path(tmp) / "w.duckdb")
        plan = plan_build([load_view("encounters")])
        build(plan, NdjsonSource([Path(tmp) / "ndjson"]), warehouse.engine, warehouse,
              as_of=config.end_date)  # fmt: skip
        df = warehouse_series(warehouse.engine, config.end_date)
        warehouse.close()
        prepared = time.perf_counter() - start
    names = ["visits", "outpatient", "emergency", "admissions", "census"]
    df = select_series(df, names)
    means = df.groupby("unique_id")["y"].mean().round(1).to_dict()
    result = run_forecast(df, ForecastRequest(horizon=28, windows=windows, n_jobs=n_jobs))
    table = accuracy_table(result)
    return {"patients": patients, "prepare_seconds": round(prepared, 1), "daily_means": means,
            "rows": _per_series(table)}  # fmt: skip


def _ops_data(shared: Path, windows: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted((shared / "ops-data").glob("*.csv")):
        df = read_series_csv(path)
        result = run_forecast(df, ForecastRequest(horizon=12, windows=windows))
        out[path.stem] = _per_series(accuracy_table(result))
    return out


def _print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {title}")
    if rows:
        print(pd.DataFrame(rows).to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description="Benchmark the patient-demand forecasts.")
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--patients", type=int, default=20000, help="0 skips the warehouse run")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ops_forecast.json")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {"cpus": os.cpu_count(), "date": dt.date.today().isoformat()}
    result["timing"] = _timing(args.departments, args.n_jobs)
    print("## fit + forecast seconds (h=28, 80/95 % intervals)")
    print(json.dumps(result["timing"], indent=1))
    result["synthetic"] = _synthetic(args.departments, args.windows, args.n_jobs)
    _print_rows(
        f"synthetic ({args.departments} series + total, {result['synthetic']['seconds']} s): "
        "chosen vs SeasonalNaive (SN), mean over series",
        result["synthetic"]["summary"],
    )
    if args.patients:
        result["warehouse"] = _warehouse(args.patients, args.windows, args.n_jobs)
        _print_rows(f"warehouse ({args.patients} synthetic patients)", result["warehouse"]["rows"])
        print("daily means:", result["warehouse"]["daily_means"])
    shared = Path(os.environ.get("CAREHUB_SHARED", ROOT.parent / "shared"))
    if (shared / "ops-data").is_dir():
        result["ops_data"] = _ops_data(shared, args.windows)
        for name, rows in result["ops_data"].items():
            _print_rows(f"ops-data {name} (monthly, season 12)", rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
