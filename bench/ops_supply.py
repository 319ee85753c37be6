"""Benchmark of the supply reorder advice: 1,000 items, SBC shares, intermittent accuracy.

1. **Fit + forecast time**: a synthetic 36-month ledger of ``--items`` drug and
   supply items (:mod:`carehub.ops.supply.synthetic`: smooth, erratic,
   intermittent and lumpy demand, with missed deliveries causing stock-outs)
   goes through the whole pipeline (:func:`carehub.ops.supply.advice.reorder_list`:
   stock cards, stock-out-adjusted demand, SBC classes, statsforecast models
   per class, bootstrap safety stock, min/max, packs). Target: < 60 s on 2 cores.
2. **SBC shares**: the share of items per class (Syntetos, Boylan & Croston 2005).
3. **Accuracy on held-out months**: for the items classed intermittent or lumpy,
   the last ``--holdout`` months are held out; CrostonClassic, CrostonSBA, TSB
   and IMAPA are compared with Naive and SeasonalNaive(12) on the mean of
   MAE ÷ in-sample mean demand (scaled MAE), the mean RMSSE (M5's scale:
   in-sample one-step naive errors) and the absolute bias of the total demand
   over the hold-out ÷ in-sample mean. The real PBS monthly series
   (``shared/ops-data``) check AutoETS against the same baselines (MASE, season 12).

Usage::

    python bench/ops_supply.py [--items 1000] [--months 36] [--holdout 6] [--n-jobs 1]
        [--out bench/out/ops_supply.json]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from carehub.ops.supply.advice import Options, reorder_list  # noqa: E402
from carehub.ops.supply.classify import classify  # noqa: E402
from carehub.ops.supply.intermittent import fit_forecast  # noqa: E402
from carehub.ops.supply.ledger import Item  # noqa: E402
from carehub.ops.supply.synthetic import demand_panel, replay_ledger  # noqa: E402

INTERMITTENT_METHODS = ("CrostonClassic", "CrostonSBA", "TSB", "IMAPA", "Naive", "SeasonalNaive")


def _pipeline(n_items: int, months: int, n_jobs: int) -> dict[str, Any]:
    panel = demand_panel(n_items, months, seed=42)
    start = datetime.date(2021, 1, 1)
    entries = replay_ledger(panel, start, seed=42)
    as_of = datetime.date(2021 + months // 12, 1, 1) - datetime.timedelta(days=1)
    rng = np.random.default_rng(1)
    items = {
        k: Item(k, ven=str(rng.choice(["V", "E", "N"])), pack_size=int(rng.choice([1, 10, 100])),
                lead_time_months=float(rng.choice([0.5, 1, 2, 3])),
                review_months=1.0, lead_time_sd_months=float(rng.choice([0, 0.25])))
        for k in panel
    }
    t0 = time.perf_counter()
    lines = reorder_list(entries, items, as_of, options=Options(n_jobs=n_jobs))
    elapsed = time.perf_counter() - t0
    classes = Counter(ln.demand_class for ln in lines)
    models = Counter(ln.model for ln in lines)
    status = Counter(ln.status for ln in lines)
    return {
        "items": len(lines),
        "ledger_entries": len(entries),
        "seconds": round(elapsed, 2),
        "sbc_share": {c: round(n / len(lines), 3) for c, n in sorted(classes.items())},
        "models": dict(models),
        "status": dict(status),
    }


def _scores(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> tuple[float, ...]:
    mean = float(np.mean(train)) or 1.0
    naive_mse = float(np.mean(np.diff(train) ** 2)) or 1.0
    mae = float(np.mean(np.abs(actual - forecast)))
    rmsse = float(np.sqrt(np.mean((actual - forecast) ** 2) / naive_mse))
    bias = abs(float(np.sum(forecast) - np.sum(actual))) / mean
    return mae / mean, rmsse, bias


def _intermittent_accuracy(n_items: int, months: int, holdout: int, n_jobs: int
                           ) -> dict[str, Any]:
    panel = demand_panel(n_items, months + holdout, seed=42)
    train = {k: y[:-holdout] for k, y in panel.items()}
    keys = [k for k, y in train.items() if classify(y).name in ("intermittent", "lumpy")]
    subset = {k: train[k] for k in keys}
    table: dict[str, Any] = {}
    for method in INTERMITTENT_METHODS:
        fc = fit_forecast(subset, method, holdout, n_jobs)
        scores = np.array([
            _scores(np.asarray(panel[k][-holdout:]), np.asarray(fc[k].mean), np.asarray(train[k]))
            for k in keys
        ])
        table[method] = {
            "scaled_mae": round(float(scores[:, 0].mean()), 3),
            "rmsse": round(float(scores[:, 1].mean()), 3),
            "total_bias": round(float(scores[:, 2].mean()), 3),
        }
    return {"items": len(keys), "holdout_months": holdout, "methods": table}


def _pbs_accuracy(shared: Path, holdout: int = 12) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted((shared / "ops-data").glob("pbs_*.csv")):
        with path.open(encoding="utf-8") as fh:
            y = np.array([float(r["cost_musd"]) for r in csv.DictReader(fh)])
        train, test = y[:-holdout], y[-holdout:]
        scale = float(np.mean(np.abs(train[12:] - train[:-12])))
        row = {}
        for method in ("AutoETS", "SeasonalNaive", "Naive"):
            fc = np.asarray(fit_forecast({"s": list(train)}, method, holdout)["s"].mean)
            row[method] = round(float(np.mean(np.abs(test - fc))) / scale, 3)
        out[path.stem] = {"class": classify(list(y)).name, "mase": row}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures and write them as JSON."""
    parser = argparse.ArgumentParser(description="Benchmark the supply reorder advice.")
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--holdout", type=int, default=6)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ops_supply.json")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {"cpus": os.cpu_count()}
    result["pipeline"] = _pipeline(args.items, args.months, args.n_jobs)
    p = result["pipeline"]
    print(f"fit+forecast+reorder of {p['items']} items ({args.months} months, "
          f"{p['ledger_entries']} ledger entries): {p['seconds']} s (target < 60 s)")
    print("SBC shares: " + ", ".join(f"{c} {s:.1%}" for c, s in p["sbc_share"].items()))
    print(f"models: {p['models']}; status: {p['status']}")

    acc = _intermittent_accuracy(args.items, args.months, args.holdout, args.n_jobs)
    result["intermittent_accuracy"] = acc
    print(f"\nintermittent/lumpy items: {acc['items']}, last {args.holdout} months held out")
    print(f"{'method':<16}{'scaled MAE':>12}{'RMSSE':>8}{'|bias|':>8}")
    for method, row in acc["methods"].items():
        print(f"{method:<16}{row['scaled_mae']:>12}{row['rmsse']:>8}{row['total_bias']:>8}")

    shared = Path(os.environ.get("CAREHUB_SHARED", ROOT.parent / "shared"))
    if (shared / "ops-data").is_dir():
        result["pbs"] = _pbs_accuracy(shared)
        print("\nPBS monthly series, last 12 months held out (MASE, season 12):")
        for name, row in result["pbs"].items():
            print(f"  {name} [{row['class']}]: {row['mase']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
