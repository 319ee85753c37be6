"""Rolling-origin backtests: forecast from several past origins and score each model.

https://otexts.com/fpp3/tscv.html (time-series cross-validation) and operations spec §3.3

:func:`backtest` runs :func:`carehub.ops.forecast.fit.cross_validate` with
origins ``h`` periods apart (step = h, spec §3.3), then :func:`score` gives,
per series, model and origin, the MASE (scaled by the seasonal naive error
of that origin's own training data), the MAPE and the coverage of the 80 %
and 95 % intervals; :func:`summarise` averages over the origins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carehub.ops.forecast.fit import cross_validate
from carehub.ops.forecast.metrics import coverage, mape, mase
from carehub.ops.forecast.models import ModelSpec, Profile

METRICS = ("mase", "mape", "coverage_80", "coverage_95")
"""The score columns, in report order."""


@dataclass(frozen=True, slots=True)
class Backtest:
    """The outcome of one backtest.

    Attributes:
        horizon: periods forecast from each origin.
        windows: number of origins.
        forecasts: the long cross-validation frame (with ``y`` and ``cutoff``).
        scores: one row per series, model and origin: :data:`METRICS`.
        summary: one row per series and model, the scores averaged over origins.
        seconds: wall-clock time of the fits.
    """

    horizon: int
    windows: int
    forecasts: pd.DataFrame
    scores: pd.DataFrame
    summary: pd.DataFrame
    seconds: float


def score(cv: pd.DataFrame, history: pd.DataFrame, season: int) -> pd.DataFrame:
    """Per series, model and cutoff: MASE, MAPE and interval coverage.

    Args:
        cv: long cross-validation frame (``unique_id``, ``ds``, ``cutoff``,
            ``model``, ``y``, ``mean`` and the interval bounds).
        history: the long frame the backtest ran on (for the MASE scales).
        season: seasonal period of the MASE scale.
    """
    rows = []
    by_series = {uid: g.sort_values("ds") for uid, g in history.groupby("unique_id")}
    scales: dict[tuple[str, pd.Timestamp], np.ndarray] = {}
    for (uid, model, cutoff), g in cv.groupby(["unique_id", "model", "cutoff"], sort=True):
        key = (uid, cutoff)
        if key not in scales:
            series = by_series[uid]
            scales[key] = series.loc[series["ds"] <= cutoff, "y"].to_numpy()
        rows.append(
            {
                "unique_id": uid,
                "model": model,
                "cutoff": cutoff,
                "mase": mase(g["y"], g["mean"], scales[key], season),
                "mape": mape(g["y"], g["mean"]),
                "coverage_80": coverage(g["y"], g["lo-80"], g["hi-80"]),
                "coverage_95": coverage(g["y"], g["lo-95"], g["hi-95"]),
            }
        )
    return pd.DataFrame(rows, columns=["unique_id", "model", "cutoff", *METRICS])


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores averaged over origins, one row per series and model.

    >>> s = pd.DataFrame({"unique_id": "a", "model": "m", "cutoff": [1, 2], "mase": [1.0, 0.5],
    ...                   "mape": [10.0, 20.0], "coverage_80": [100.0, 50.0],
    ...                   "coverage_95": [100.0, 100.0]})
    >>> summarise(s)[list(METRICS)].values.tolist()
    [[0.75, 15.0, 75.0, 100.0]]
    """
    return scores.groupby(["unique_id", "model"], as_index=False)[list(METRICS)].mean()


def backtest(
    df: pd.DataFrame,
    specs: Sequence[ModelSpec],
    profile: Profile,
    horizon: int,
    windows: int,
    *,
    n_jobs: int = 1,
) -> Backtest:
    """Backtest ``specs`` on ``df`` from ``windows`` origins ``horizon`` periods apart.

    Raises:
        Incorrect: too little history for the windows (see
            :func:`~carehub.ops.forecast.fit.cross_validate`).
    """
    import time

    start = time.perf_counter()
    cv = cross_validate(df, specs, profile, horizon, windows, n_jobs=n_jobs)
    seconds = time.perf_counter() - start
    scores = score(cv, df, profile.season)
    return Backtest(horizon, windows, cv, scores, summarise(scores), seconds)
