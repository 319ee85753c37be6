"""Charts of a forecast with its intervals against the actual values (SVG or PNG).

https://matplotlib.org/stable/users/explain/figure/backends.html (the Agg backend,
no display needed)

:func:`forecast_chart` draws, for one series: the recent history, the chosen
model's forecast from the last backtest origin against what happened (its
80 % and 95 % bands shaded), and the forecast of the future with its bands,
the SeasonalNaive baseline dashed. The figure is returned as bytes, for files
and for the web UI.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from carehub.errors import Incorrect, NotFound, did_you_mean
from carehub.ops.forecast.pipeline import ForecastResult

FORMATS = ("svg", "png")
HISTORY_SEASONS = 8
"""Seasons of history shown before the forecasts."""


def chart_file_name(series: str, fmt: str = "svg") -> str:
    """A safe file name for a series' chart.

    >>> chart_file_name("visits/noi-tim-mach")
    'visits__noi-tim-mach.svg'
    """
    return re.sub(r"[^A-Za-z0-9_.-]", "_", series.replace("/", "__")) + f".{fmt}"


def _band(ax: Any, frame: pd.DataFrame, color: str, label: str) -> None:
    ax.fill_between(frame["ds"], frame["lo-95"], frame["hi-95"], color=color, alpha=0.15,
                    label=f"{label} 95 %")  # fmt: skip
    ax.fill_between(frame["ds"], frame["lo-80"], frame["hi-80"], color=color, alpha=0.3,
                    label=f"{label} 80 %")  # fmt: skip
    ax.plot(frame["ds"], frame["mean"], color=color, linewidth=1.6, label=label)


def forecast_chart(
    result: ForecastResult, series: str, fmt: str = "svg", capacity: float | None = None
) -> bytes:
    """The chart of ``series`` as SVG or PNG bytes.

    With ``capacity`` (e.g. the beds of a ward, for a census series) a red
    line marks it and the forecast days whose upper 95 % bound exceeds it
    are shaded.

    Raises:
        NotFound: ``series`` was not forecast.
        Incorrect: an unknown format, or a capacity that is not positive.
    """
    if capacity is not None and capacity <= 0:
        raise Incorrect(f"capacity must be positive, not {capacity}")
    if fmt not in FORMATS:
        raise Incorrect(f"chart format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    if series not in result.chosen:
        raise NotFound(f"no forecast for series '{series}'." + did_you_mean(series, result.chosen))
    model = result.chosen[series]
    history = result.history[result.history["unique_id"] == series]
    future = result.forecasts[result.forecasts["unique_id"] == series]
    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    try:
        shown = history.tail(HISTORY_SEASONS * result.profile.season + _backtest_span(result))
        ax.plot(shown["ds"], shown["y"], color="black", linewidth=1.0, label="actual")
        if result.backtests:
            cv = result.backtests[0].forecasts
            cv = cv[(cv["unique_id"] == series) & (cv["model"] == model)]
            last = cv[cv["cutoff"] == cv["cutoff"].max()]
            if not last.empty:
                _band(ax, last, "tab:orange", f"backtest {model}")
        _band(ax, future[future["role"] == "chosen"], "tab:blue", f"forecast {model}")
        base = future[future["role"] == "baseline"]
        ax.plot(base["ds"], base["mean"], color="grey", linestyle="--", label="SeasonalNaive")
        if capacity is not None:
            _capacity(ax, future[future["role"] == "chosen"], capacity)
        ax.set_title(series if capacity is None else f"{series} vs capacity {capacity:g}")
        ax.legend(loc="upper left", fontsize=7, ncol=2)
        fig.autofmt_xdate()
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _capacity(ax: Any, chosen: pd.DataFrame, capacity: float) -> None:
    ax.axhline(capacity, color="tab:red", linewidth=1.2, label="capacity")
    over = chosen[chosen["hi-95"] > capacity]
    for day in over["ds"]:
        ax.axvspan(day - pd.Timedelta(hours=12), day + pd.Timedelta(hours=12),
                   color="tab:red", alpha=0.12, linewidth=0)


def _backtest_span(result: ForecastResult) -> int:
    return result.backtests[0].horizon if result.backtests else 0
