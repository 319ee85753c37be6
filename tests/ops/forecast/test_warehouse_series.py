"""Series from a warehouse built from a small synthetic population (``carehub synth``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from carehub.errors import Incorrect
from carehub.ops.forecast.warehouse_series import warehouse_series
from carehub.synth import SynthConfig, generate
from carehub.warehouse.build import build, plan_build
from carehub.warehouse.sources import NdjsonSource
from carehub.warehouse.store import Warehouse
from carehub.warehouse.views import load_view

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    tmp = tmp_path_factory.mktemp("forecast-warehouse")
    generate(SynthConfig(patients=300, years=2, seed=5, end_date=END), tmp / "ndjson")
    store = Warehouse(tmp / "w.duckdb")
    build(plan_build([load_view("encounters")]), NdjsonSource([tmp / "ndjson"]), store.engine,
          store, as_of=END)  # fmt: skip
    return store


def test_series_are_daily_complete_and_sum_to_totals(warehouse: Warehouse) -> None:
    df = warehouse_series(warehouse.engine, END)
    names = set(df["unique_id"])
    assert {"visits", "outpatient", "emergency", "admissions", "discharges", "census"} <= names
    assert any(n.startswith("visits/") for n in names)
    sizes = df.groupby("unique_id").size()
    assert sizes.nunique() == 1 and df["ds"].max() == pd.Timestamp(END)
    pivot = df.pivot(index="ds", columns="unique_id", values="y")
    kids = [c for c in pivot.columns if c.startswith("visits/")]
    assert (pivot["visits"] == pivot[kids].sum(axis=1)).all()


def test_counts_match_the_encounters_view(warehouse: Warehouse) -> None:
    df = warehouse_series(warehouse.engine, END)
    conn = warehouse.connection
    row = conn.execute(
        "SELECT count(*) FROM encounters WHERE class = 'EMER' AND status <> 'cancelled'"
        " AND substr(period_start, 1, 10) <= '2026-06-30'"
    ).fetchone()
    assert row is not None
    assert df.loc[df["unique_id"] == "emergency", "y"].sum() == row[0]
    row = conn.execute(
        "SELECT sum(inpatients), sum(discharges) FROM daily_census"
        " WHERE census_date <= DATE '2026-06-30'"
    ).fetchone()
    assert row is not None
    assert df.loc[df["unique_id"] == "census", "y"].sum() == row[0] - row[1]


def test_a_warehouse_without_encounters_fails_in_one_line(tmp_path: Path) -> None:
    empty = Warehouse(tmp_path / "empty.duckdb")
    with pytest.raises(Incorrect, match="no usable 'encounters' view"):
        warehouse_series(empty.engine, END)
    empty.close()
