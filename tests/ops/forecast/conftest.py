"""Fixtures of the forecast tests.

* ``demand``: two years of three synthetic departments plus emergency and
  their total ``visits`` (:mod:`carehub.ops.forecast.synthetic`).
* ``demand_result``: one full run on ``demand`` (backtests at 7 and 28 days,
  two origins each, MSTL/AutoETS/LightGBM besides the baseline), shared by
  the accuracy, report and chart tests.
"""

from __future__ import annotations

import pandas as pd
import pytest

from carehub.ops.forecast.pipeline import ForecastRequest, ForecastResult, run_forecast
from carehub.ops.forecast.reconcile import add_totals, hierarchy
from carehub.ops.forecast.synthetic import synthetic_demand

MODELS = ("MSTL", "AutoETS", "LightGBM")


@pytest.fixture(scope="session")
def demand() -> pd.DataFrame:
    df = synthetic_demand(departments=3, days=730, seed=3)
    return add_totals(df, hierarchy(sorted(df["unique_id"].unique())))


@pytest.fixture(scope="session")
def demand_result(demand: pd.DataFrame) -> ForecastResult:
    request = ForecastRequest(horizon=7, windows=2, models=MODELS)
    return run_forecast(demand, request)
