"""``carehub ops forecast``: demand forecasts with backtests, accuracy report and charts.

Series come from the warehouse (``CAREHUB_WAREHOUSE_PATH``; build it with
``carehub warehouse build``), from ``--csv FILE`` or, for a demonstration,
from ``--synthetic N`` departments. Into ``--out`` go ``forecasts.csv``,
``forecasts.json``, ``accuracy.csv``, ``accuracy.md`` and one chart per
series under ``charts/``; the accuracy table (chosen model beside
SeasonalNaive) is printed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from carehub.errors import Incorrect
from carehub.ops.forecast.charts import FORMATS, chart_file_name, forecast_chart
from carehub.ops.forecast.csv_series import read_series_csv
from carehub.ops.forecast.pipeline import ForecastRequest, run_forecast
from carehub.ops.forecast.reconcile import add_totals, hierarchy
from carehub.ops.forecast.report import accuracy_table, to_markdown, write_outputs
from carehub.ops.forecast.series import select_series
from carehub.ops.forecast.synthetic import synthetic_demand
from carehub.ops.forecast.warehouse_series import built_as_of, warehouse_series
from carehub.settings import load_settings
from carehub.warehouse.config import WarehouseConfig

DEFAULT_SERIES = ("visits", "visits/*", "emergency", "admissions", "census")


def load_demand(csv: Path | None, synthetic: int, as_of: dt.date | None) -> pd.DataFrame:
    """The series frame from the CSV, the synthetic generator or the configured warehouse.

    Raises:
        Incorrect: the warehouse file is missing or holds no encounters.
    """
    if csv is not None:
        return read_series_csv(csv)
    if synthetic:
        df = synthetic_demand(departments=synthetic)
        return add_totals(df, hierarchy(sorted(df["unique_id"].unique())))
    config = WarehouseConfig.from_settings(load_settings())
    if not config.path.is_file():
        raise Incorrect(f"no warehouse at {config.path}: run `carehub warehouse build` first")
    warehouse = config.warehouse()
    try:
        return warehouse_series(warehouse.engine, as_of or built_as_of(warehouse))
    finally:
        warehouse.close()


def forecast(
    series: Annotated[
        list[str] | None,
        typer.Option("--series", help="Series to forecast (repeatable; `visits/*`: all children)."),
    ] = None,
    horizon: Annotated[int, typer.Option(help="Periods (days, months) to forecast.")] = 7,
    csv: Annotated[Path | None, typer.Option("--csv", help="Read series from this CSV.")] = None,
    synthetic: Annotated[
        int, typer.Option(help="Forecast N synthetic departments instead (demo).")
    ] = 0,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("forecast-out"),
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Candidate models (default: all).")
    ] = None,
    windows: Annotated[int, typer.Option(help="Backtest origins per horizon.")] = 3,
    backtest_horizon: Annotated[
        list[int] | None,
        typer.Option("--backtest-horizon", help="Backtest horizons (default 7 and 28 days)."),
    ] = None,
    reconcile: Annotated[bool, typer.Option(help="Reconcile department → total.")] = True,
    chart_format: Annotated[str, typer.Option(help="svg or png.")] = "svg",
    capacity: Annotated[
        float | None,
        typer.Option(min=1, help="Beds: draw this capacity on the census charts."),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="Last day YYYY-MM-DD (warehouse).")] = None,
    jobs: Annotated[
        int | None, typer.Option(help="Processes for statistical models (CAREHUB_FORECAST_JOBS).")
    ] = None,
) -> None:
    """Backtest the models per series, forecast with 80/95 % intervals, write report and charts."""
    if chart_format not in FORMATS:
        raise Incorrect(f"--chart-format must be svg or png, not '{chart_format}'")
    day = dt.date.fromisoformat(as_of) if as_of else None
    request = ForecastRequest(
        horizon=horizon,
        backtest_horizons=tuple(backtest_horizon) if backtest_horizon else None,
        windows=windows,
        models=model,
        reconcile=reconcile,
        n_jobs=jobs if jobs is not None else load_settings()["CAREHUB_FORECAST_JOBS"],
    )
    console = Console(stderr=True)
    frame = load_demand(csv, synthetic, day)
    wanted = series or ([] if csv is not None or synthetic else list(DEFAULT_SERIES))
    frame = select_series(frame, wanted)
    with console.status("forecasting") as status:
        result = run_forecast(frame, request, progress=lambda s: status.update(s))
        files = write_outputs(result, out)
        charts = out / "charts"
        charts.mkdir(exist_ok=True)
        for uid in result.chosen:
            status.update(f"chart {uid}")
            target = charts / chart_file_name(uid, chart_format)
            cap = capacity if uid == "census" or uid.startswith("census/") else None
            target.write_bytes(forecast_chart(result, uid, chart_format, cap))
    typer.echo(to_markdown(accuracy_table(result)), nl=False)
    console.print(
        f"wrote {', '.join(f.name for f in files)} and {len(result.chosen)} charts to {out}"
    )
