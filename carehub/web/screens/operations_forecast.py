"""The operations dashboard's forecasts: computed on demand, in the background, cached per build.

https://otexts.com/fpp3/prediction-intervals.html and https://plotly.com/javascript/reference/

:class:`ForecastJobs` runs one forecast of the dashboard's series (the
configured :class:`ForecastPlan`) per warehouse build, in one background
thread, so a page never waits for it: :meth:`ForecastJobs.state` answers at once with ``running``
(and the current step), ``ready`` (with the :class:`DashboardForecast`) or
``failed``. The cache key is the warehouse file's identity (path, size,
modification time): rebuilding or refreshing the warehouse makes the next
request compute afresh. The warehouse is read through a read-only attachment,
as the worklists are.

The series (:mod:`carehub.ops.forecast.warehouse_series`): the hospital's
daily visits and those of the busiest departments, and the midnight census of
the fullest wards. :func:`forecast_figure` draws one series as a plotly
figure: recent actuals, the last backtest's forecast against what happened
(its 80 % and 95 % intervals shaded) and the future forecast with its
intervals, and a ward's bed capacity when known.

Failure modes: a missing warehouse, or one without encounters, makes the job
``failed`` with the reason (:class:`~carehub.errors.Incorrect`); nothing raises
into the page.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from carehub.errors import Incorrect

Translate = Callable[..., str]


@dataclass(frozen=True, slots=True)
class ForecastPlan:
    """What the dashboard forecasts (small on purpose: it must answer in seconds).

    Args:
        horizon: days ahead.
        departments: busiest departments whose visits are forecast.
        wards: fullest wards whose census is forecast.
        models: candidate models (the baseline is always among them).
        backtest_horizon: the one backtest horizon (days).
        windows: backtest windows.
        history_days: days of actuals shown before the forecasts.
    """

    horizon: int = 14
    departments: int = 3
    wards: int = 3
    models: tuple[str, ...] = ("SeasonalNaive", "AutoETS")
    backtest_horizon: int = 7
    windows: int = 2
    history_days: int = 56


PLAN = ForecastPlan()
"""The default forecast plan (the configured one comes from
:class:`~carehub.web.dashboard_config.DashboardConfig`)."""


@dataclass(frozen=True, slots=True)
class DashboardForecast:
    """A finished run: the series forecast, the pipeline's result and the build's day."""

    demand: list[str]
    census: list[str]
    result: Any  # carehub.ops.forecast.pipeline.ForecastResult
    as_of: datetime.date | None
    seconds: float


@dataclass(slots=True)
class JobState:
    """One job: ``running`` (with ``step``), ``ready`` (``value``) or ``failed`` (``error``)."""

    state: str
    step: str = "load"
    value: DashboardForecast | None = None
    error: str = ""


def pick_series(names: list[str], volumes: dict[str, float], plan: ForecastPlan) -> tuple[
        list[str], list[str]]:
    """(demand series, census series) of the dashboard among ``names``.

    >>> names = ["visits", "visits/a", "visits/b", "census", "census/w1", "census/w2"]
    >>> vol = {"visits/a": 5.0, "visits/b": 9.0, "census/w1": 1.0, "census/w2": 3.0}
    >>> pick_series(names, vol, ForecastPlan(departments=1, wards=1))
    (['visits', 'visits/b'], ['census/w2'])
    """
    def top(prefix: str, n: int) -> list[str]:
        found = [s for s in names if s.startswith(prefix)]
        return sorted(found, key=lambda s: (-volumes.get(s, 0.0), s))[:n]

    demand = (["visits"] if "visits" in names else []) + top("visits/", plan.departments)
    return demand, top("census/", plan.wards)


def warehouse_key(path: Path | None) -> tuple[str, int, int] | None:
    """The identity of a warehouse build (path, size, mtime), None when there is no file.

    >>> warehouse_key(None) is None
    True
    """
    if path is None or not path.is_file():
        return None
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


def compute(path: Path, plan: ForecastPlan, tell: Callable[[str], None]) -> DashboardForecast:
    """Read the series of the warehouse at ``path`` and forecast the dashboard's.

    Raises:
        Incorrect: no usable warehouse (no encounters).
    """
    import time

    import duckdb

    from carehub.ops.forecast.pipeline import ForecastRequest, run_forecast
    from carehub.ops.forecast.series import select_series
    from carehub.ops.forecast.warehouse_series import warehouse_series
    from carehub.warehouse.engines.duckdb import DuckDBEngine

    started = time.perf_counter()
    conn = duckdb.connect(":memory:")
    try:
        conn.execute("ATTACH ? AS wh (READ_ONLY)", [str(path)])
        conn.execute("USE wh")
        try:
            row = conn.execute("SELECT value FROM _carehub_state WHERE key = 'as_of'").fetchone()
        except duckdb.Error:
            row = None
        as_of = datetime.date.fromisoformat(str(row[0])) if row and row[0] else None
        frame = warehouse_series(DuckDBEngine(connection=conn), as_of)
    finally:
        conn.close()
    volumes = {str(k): float(v) for k, v in frame.groupby("unique_id")["y"].mean().items()}
    demand, census = pick_series(sorted(volumes), volumes, plan)
    if not demand and not census:
        raise Incorrect("the warehouse has no visit or census series")
    request = ForecastRequest(horizon=plan.horizon, backtest_horizons=(plan.backtest_horizon,),
                              windows=plan.windows, models=list(plan.models), reconcile=False)
    result = run_forecast(select_series(frame, demand + census), request, progress=tell)
    return DashboardForecast(demand, census, result, as_of, time.perf_counter() - started)


class ForecastJobs:
    """Background forecast runs of the dashboard, one per warehouse build (see module doc)."""

    def __init__(self, path: Path | None, plan: ForecastPlan = PLAN,
                 run: Callable[[Path, ForecastPlan, Callable[[str], None]],
                               DashboardForecast] = compute) -> None:
        self.path = path
        self.plan = plan
        self._run = run
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, int, int], JobState] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ops-forecast")

    def state(self, start: bool = True) -> JobState:
        """The current build's job (started now unless ``start`` is false or it exists)."""
        key = warehouse_key(self.path)
        if key is None:
            return JobState("failed", error="no warehouse: run `carehub warehouse build`")
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                if not start:
                    return JobState("idle")
                job = JobState("running")
                self._jobs = {key: job}  # older builds are dropped
                future = self._pool.submit(self._run, Path(key[0]), self.plan,
                                           lambda step: setattr(job, "step", step))
                future.add_done_callback(lambda f: self._finish(job, f))
            return job

    @staticmethod
    def _finish(job: JobState, future: Future[DashboardForecast]) -> None:
        exc = future.exception()
        if exc is None:
            job.value, job.state = future.result(), "ready"
        else:
            job.error, job.state = str(exc) or type(exc).__name__, "failed"


def step_key(step: str) -> str:
    """The translation key of a pipeline step (``backtest h=7 ...`` → ``ops.step.backtest``).

    >>> step_key("backtest h=7 (2 windows, 2 models)"), step_key("load")
    ('ops.step.backtest', 'ops.step.load')
    """
    word = step.split(" ", 1)[0]
    return f"ops.step.{word}" if word in ("load", "backtest", "forecast", "reconcile") else \
        "ops.step.load"


@dataclass(frozen=True, slots=True)
class Band:
    """One forecast's rows (``ds``, ``mean``, ``lo-80``...) and how to draw them."""

    frame: pd.DataFrame
    name: str
    color: str
    fill: str = field(default="rgba(29,95,167,0.18)")


def _x(series: pd.Series) -> list[str]:
    return [pd.Timestamp(v).date().isoformat() for v in series]


def _band_traces(band: Band, t: Translate) -> list[dict[str, Any]]:
    f = band.frame
    out: list[dict[str, Any]] = []
    for level, alpha in (("95", 0.5), ("80", 1.0)):
        out.append({"x": _x(f["ds"]), "y": [float(v) for v in f[f"hi-{level}"]],
                    "type": "scatter", "mode": "lines", "line": {"width": 0},
                    "hoverinfo": "skip", "showlegend": False, "legendgroup": band.name})
        out.append({"x": _x(f["ds"]), "y": [float(v) for v in f[f"lo-{level}"]],
                    "type": "scatter", "mode": "lines", "line": {"width": 0}, "fill": "tonexty",
                    "fillcolor": band.fill, "opacity": alpha, "legendgroup": band.name,
                    "showlegend": level == "80",
                    "name": t("ops.interval", level="80/95", name=band.name)})
    out.append({"x": _x(f["ds"]), "y": [round(float(v), 2) for v in f["mean"]],
                "type": "scatter", "mode": "lines", "name": band.name,
                "line": {"color": band.color, "width": 2}})
    return out


def forecast_figure(run: DashboardForecast, series: str, title: str, t: Translate,
                    capacity: int | None = None, history_days: int = PLAN.history_days
                    ) -> dict[str, Any]:
    """The plotly figure of ``series``: actuals, last backtest and future, with intervals."""
    result = run.result
    model = result.chosen.get(series, "")
    history = result.history[result.history["unique_id"] == series].tail(history_days)
    data: list[dict[str, Any]] = []
    if result.backtests:
        cv = result.backtests[-1].forecasts
        cv = cv[(cv["unique_id"] == series) & (cv["model"] == model)]
        last = cv[cv["cutoff"] == cv["cutoff"].max()] if not cv.empty else cv
        if not last.empty:
            data += _band_traces(Band(last, t("ops.backtest"), "#8a4b00",
                                      "rgba(200,120,0,0.22)"), t)
    future = result.forecasts[(result.forecasts["unique_id"] == series)
                              & (result.forecasts["role"] == "chosen")]
    data += _band_traces(Band(future, t("ops.forecast", model=model), "#1d5fa7"), t)
    data.append({"x": _x(history["ds"]), "y": [float(v) for v in history["y"]],
                 "type": "scatter", "mode": "lines+markers", "name": t("ops.actual"),
                 "line": {"color": "#222", "width": 1.2}, "marker": {"size": 3}})
    if capacity is not None:
        days = _x(pd.concat([history["ds"], future["ds"]]))
        if days:
            data.append({"x": [days[0], days[-1]], "y": [capacity, capacity], "type": "scatter",
                         "mode": "lines", "name": t("ops.capacity", beds=capacity),
                         "line": {"color": "#a4000f", "dash": "dash", "width": 2}})
    layout = {"title": {"text": title}, "height": 320, "margin": {"l": 50, "r": 20, "t": 50,
                                                                  "b": 40},
              "legend": {"orientation": "h", "y": -0.2}, "yaxis": {"rangemode": "tozero"},
              "xaxis": {"type": "date"}}
    return {"data": data, "layout": layout}


def forecast_rows(run: DashboardForecast, series: str) -> list[dict[str, Any]]:
    """The future forecast of ``series`` as table rows (date, mean, 80 % and 95 % bounds)."""
    f = run.result.forecasts
    f = f[(f["unique_id"] == series) & (f["role"] == "chosen")]
    return [{"date": pd.Timestamp(r["ds"]).date().isoformat(), "mean": round(float(r["mean"]), 1),
             "lo80": round(float(r["lo-80"]), 1), "hi80": round(float(r["hi-80"]), 1),
             "lo95": round(float(r["lo-95"]), 1), "hi95": round(float(r["hi-95"]), 1)}
            for _, r in f.iterrows()]
