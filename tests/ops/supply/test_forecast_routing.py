"""SBC classes route to statsforecast models; real PBS series and synthetic intermittent demand."""

from __future__ import annotations

import csv
import datetime
from collections import Counter
from pathlib import Path

import pytest

from carehub.errors import Incorrect
from carehub.ops.supply.advice import reorder_list
from carehub.ops.supply.classify import classify
from carehub.ops.supply.intermittent import fit_forecast, route
from carehub.ops.supply.ledger import Item
from carehub.ops.supply.safety_stock import safety_stock
from carehub.ops.supply.synthetic import demand_panel, replay_ledger


def test_synthetic_panel_covers_every_class() -> None:
    panel = demand_panel(60, 36, seed=7)
    counts = Counter(classify(y).name for y in panel.values())
    assert {"smooth", "intermittent", "lumpy"} <= set(counts)


def test_routing_and_forecasts() -> None:
    panel = demand_panel(12, 30, seed=2)
    panel["empty"] = [0.0] * 30
    classes = {k: classify(y) for k, y in panel.items()}
    got = route(panel, classes, horizon=3)
    assert "empty" not in got
    expected = {"smooth": "AutoETS", "erratic": "AutoETS", "intermittent": "CrostonSBA",
                "lumpy": "TSB"}
    for key, fc in got.items():
        assert fc.model == expected[classes[key].name]
        assert len(fc.mean) == 3 and min(fc.mean) >= 0
        assert len(fc.residuals) >= 20


def test_unknown_model_suggests() -> None:
    with pytest.raises(Incorrect, match="Did you mean 'CrostonSBA'"):
        fit_forecast({"a": [1.0, 0.0, 2.0]}, "CrostonSB", 2)


def test_reorder_list_on_synthetic_ledger() -> None:
    panel = demand_panel(15, 24, seed=5)
    entries = replay_ledger(panel, datetime.date(2022, 1, 1), seed=5)
    items = {k: Item(k, ven="V", pack_size=12, lead_time_months=2) for k in panel}
    lines = reorder_list(entries, items, datetime.date(2023, 12, 31))
    assert len(lines) == 15
    for ln in lines:
        assert ln.order_quantity % 12 == 0
        assert ln.order_quantity >= ln.max_stock - ln.stock_on_hand - 1e-6 or ln.order_quantity == 0
        assert ln.min_stock >= ln.lead_time_demand
        assert ln.model in ("AutoETS", "CrostonSBA", "TSB")


def test_bootstrap_quantile_grows_with_service_level() -> None:
    residuals = [-5.0, -5.0, -5.0, 15.0, -5.0, 5.0, -5.0, 10.0]
    levels = [safety_stock([5.0] * 3, residuals, 2, p).value for p in (0.8, 0.95, 0.99)]
    assert levels == sorted(levels) and levels[0] > 0
    assert safety_stock([5.0], residuals, 2, 0.95, lead_sd_months=1).value > levels[1]


def test_pbs_series_are_smooth_and_forecast(shared_dir: Path) -> None:
    path = shared_dir / "ops-data" / "pbs_h02_corticosteroid_monthly.csv"
    with path.open(encoding="utf-8") as fh:
        y = [float(r["cost_musd"]) * 1000 for r in csv.DictReader(fh)]
    assert classify(y).name == "smooth"
    fc = fit_forecast({"h02": y[:-12]}, "AutoETS", 12)["h02"]
    err = sum(abs(a - f) for a, f in zip(y[-12:], fc.mean, strict=True)) / 12
    naive = sum(abs(a - y[-13]) for a in y[-12:]) / 12
    assert err < naive
