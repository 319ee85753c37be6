"""JSON API of demand forecasts: series list, forecasts with accuracy, charts.

https://fastapi.tiangolo.com/tutorial/bigger-applications/ (``APIRouter``)

:func:`forecast_router` builds the routes over a *series loader* (a function
returning the long ``unique_id``/``ds``/``y`` frame, e.g. the warehouse's
series), so the router itself opens no file:

* ``GET /ops/forecast/series``: the series names;
* ``GET /ops/forecast?series=...&horizon=7``: the chosen model's and the
  baseline's forecasts with 80/95 % intervals, and the accuracy table
  (chosen model beside SeasonalNaive, per backtest horizon);
* ``GET /ops/forecast/chart?series=...&format=svg``: the chart of one series.

Errors are :class:`~carehub.errors.CareHubError` categories (unknown series:
404 with a suggestion; bad parameters: 400), rendered by the app's handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import Response

from carehub.ops.forecast.charts import FORMATS, forecast_chart
from carehub.ops.forecast.models import ModelCatalogue
from carehub.ops.forecast.pipeline import ForecastRequest, ForecastResult, run_forecast
from carehub.ops.forecast.report import accuracy_table, to_records
from carehub.ops.forecast.series import select_series

MEDIA = {"svg": "image/svg+xml", "png": "image/png"}
SeriesQuery = Annotated[list[str], Query(description="Series names; `parent/*` for children.")]


def forecast_router(
    load_series: Callable[[], pd.DataFrame],
    *,
    catalogue: ModelCatalogue | None = None,
    n_jobs: int = 1,
    prefix: str = "/ops/forecast",
) -> APIRouter:
    """The forecast routes over ``load_series`` (called once per request)."""
    router = APIRouter(prefix=prefix, tags=["forecast"])

    def run(
        series: list[str], horizon: int, windows: int, models: list[str] | None
    ) -> ForecastResult:
        frame = select_series(load_series(), series)
        request = ForecastRequest(horizon=horizon, windows=windows, models=models, n_jobs=n_jobs)
        return run_forecast(frame, request, catalogue)

    @router.get("/series")
    def list_series() -> dict[str, Any]:
        """Names of the series that can be forecast."""
        return {"series": sorted(load_series()["unique_id"].unique())}

    @router.get("")
    def get_forecast(
        series: SeriesQuery,
        horizon: int = 7,
        windows: int = 3,
        model: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, Any]:
        """Forecasts with intervals, and the accuracy table."""
        result = run(series, horizon, windows, model)
        return {
            "frequency": result.profile.freq,
            "season": result.profile.season,
            "chosen": result.chosen,
            "forecasts": to_records(result.forecasts),
            "accuracy": to_records(accuracy_table(result)),
        }

    @router.get("/chart")
    def get_chart(
        series: str,
        horizon: int = 7,
        windows: int = 3,
        format: Annotated[str, Query(pattern="^(svg|png)$")] = "svg",
        capacity: Annotated[float | None, Query(gt=0)] = None,
    ) -> Response:
        """The chart of one series (forecast with intervals vs actuals; census vs capacity)."""
        result = run([series], horizon, windows, None)
        body = forecast_chart(result, series, format if format in FORMATS else "svg", capacity)
        return Response(body, media_type=MEDIA[format])

    return router
