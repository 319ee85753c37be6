"""Acceptance targets on synthetic data (operations spec §3.3) and coherent forecasts."""

from __future__ import annotations

import pandas as pd
import pytest

from carehub.ops.forecast.fit import bound_columns
from carehub.ops.forecast.models import BASELINE
from carehub.ops.forecast.pipeline import ForecastResult
from carehub.ops.forecast.report import accuracy_table, side_by_side


@pytest.mark.parametrize("horizon", [7, 28])
def test_chosen_models_beat_seasonal_naive_on_mase(
    demand_result: ForecastResult, horizon: int
) -> None:
    wide = side_by_side(accuracy_table(demand_result))
    rows = wide[wide["horizon"] == horizon]
    assert len(rows) == 5
    assert (rows["mase"] <= rows["mase_baseline"]).all()
    assert rows["mase"].mean() < rows["mase_baseline"].mean()
    assert (rows["model"] != BASELINE).sum() >= 4


def test_total_visits_seven_day_mape_within_twelve_percent(demand_result: ForecastResult) -> None:
    wide = side_by_side(accuracy_table(demand_result))
    total = wide[(wide["unique_id"] == "visits") & (wide["horizon"] == 7)].iloc[0]
    assert total["mape"] <= 12.0


def test_forecasts_have_intervals_and_reconciled_totals(demand_result: ForecastResult) -> None:
    fc = demand_result.forecasts
    chosen = fc[fc["role"] == "chosen"]
    assert set(chosen["unique_id"]) == set(demand_result.chosen)
    assert len(chosen) == 5 * 7 and chosen["reconciled"].all()
    for low, high in zip(bound_columns()[::2], bound_columns()[1::2], strict=True):
        assert (chosen[low] <= chosen["mean"] + 1e-9).all()
        assert (chosen["mean"] <= chosen[high] + 1e-9).all()
    assert (chosen["lo-95"] <= chosen["lo-80"] + 1e-9).all()
    pivot = chosen.pivot(index="ds", columns="unique_id", values="mean")
    children = [c for c in pivot.columns if c.startswith("visits/")]
    pd.testing.assert_series_equal(
        pivot["visits"], pivot[children].sum(axis=1), check_names=False, rtol=1e-6
    )
    baseline = fc[fc["role"] == "baseline"]
    assert set(baseline["model"]) == {BASELINE} and len(baseline) == 5 * 7


def test_coverage_is_reported_for_both_levels(demand_result: ForecastResult) -> None:
    table = accuracy_table(demand_result)
    assert table[["coverage_80", "coverage_95"]].notna().all().all()
    assert table["coverage_95"].mean() >= table["coverage_80"].mean()
