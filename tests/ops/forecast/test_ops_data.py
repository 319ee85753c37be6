"""The real monthly PBS drug-expenditure series: the chosen model beats SeasonalNaive(12)."""

from __future__ import annotations

from pathlib import Path

from carehub.ops.forecast.csv_series import read_series_csv
from carehub.ops.forecast.pipeline import ForecastRequest, run_forecast
from carehub.ops.forecast.report import accuracy_table, side_by_side


def test_pbs_antidiabetic_chosen_model_beats_seasonal_naive(shared_dir: Path) -> None:
    df = read_series_csv(shared_dir / "ops-data" / "pbs_a10_antidiabetic_monthly.csv")
    request = ForecastRequest(horizon=12, windows=2, models=["AutoETS", "AutoTheta"])
    result = run_forecast(df, request)
    assert result.profile.freq == "MS" and result.profile.season == 12
    wide = side_by_side(accuracy_table(result))
    assert sorted(wide["horizon"]) == [6, 12]
    assert (wide["mase"] < wide["mase_baseline"]).all(), wide
    assert len(result.forecasts[result.forecasts["role"] == "chosen"]) == 12
