"""One forecast run: backtest the candidates, choose per series, forecast, reconcile.

https://otexts.com/fpp3/ (forecasting workflow) and operations spec §2.3 and §3.3

:func:`run_forecast` takes a long frame of series and a :class:`ForecastRequest`:

1. check the frame and infer its frequency (:mod:`~carehub.ops.forecast.series`);
2. backtest every candidate model at each backtest horizon, from rolling
   origins one horizon apart (:mod:`~carehub.ops.forecast.backtest`);
3. choose a model per series and backtest horizon (:mod:`~carehub.ops.forecast.select`);
   the forecast uses the choice made at the backtest horizon nearest the
   requested one. The choice and its reported scores come from the same
   backtest windows, so the chosen model's scores are optimistic;
4. refit the chosen models and the baseline on all the data and forecast the
   horizon with 80 % and 95 % intervals (:mod:`~carehub.ops.forecast.fit`);
5. reconcile the chosen forecasts of each parent and its children
   (:mod:`~carehub.ops.forecast.reconcile`).

``progress`` is told each step's name as it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from carehub.errors import Incorrect
from carehub.ops.forecast.backtest import Backtest, backtest
from carehub.ops.forecast.fit import forecast
from carehub.ops.forecast.models import BASELINE, ModelCatalogue, Profile, default_catalogue
from carehub.ops.forecast.reconcile import hierarchy, reconcile
from carehub.ops.forecast.select import choose
from carehub.ops.forecast.series import check_frame, infer_profile

DAILY_HORIZONS = (7, 28)
"""Backtest horizons of daily series (weekly and four-weekly rosters, spec §3.2)."""
OTHER_HORIZONS = (6, 12)
"""Backtest horizons, in periods, of other frequencies (monthly: half a year, a year)."""
MAX_HORIZON = 366


@dataclass(frozen=True, slots=True)
class ForecastRequest:
    """What to forecast.

    Args:
        horizon: periods to forecast (1 to 366).
        backtest_horizons: horizons to backtest (default by frequency).
        windows: rolling origins per backtest horizon (fewer when history is short).
        models: candidate model names (default: every applicable model).
        reconcile: whether to reconcile the hierarchy.
        n_jobs: processes for the statistical models.

    Raises:
        Incorrect: a value is out of range.
    """

    horizon: int = 7
    backtest_horizons: tuple[int, ...] | None = None
    windows: int = 3
    models: Sequence[str] | None = None
    reconcile: bool = True
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= MAX_HORIZON:
            raise Incorrect(f"horizon must be between 1 and {MAX_HORIZON}, not {self.horizon}")
        if not 1 <= self.windows <= 20:
            raise Incorrect(f"backtest windows must be between 1 and 20, not {self.windows}")
        if self.n_jobs < 1:
            raise Incorrect(f"n_jobs must be at least 1, not {self.n_jobs}")


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """A run's outcome.

    Attributes:
        profile: frequency, season and size of the input.
        history: the checked input frame.
        chosen: the model of each series used for the forecast.
        chosen_by_horizon: the chosen model of each series per backtest horizon.
        backtests: one per backtest horizon.
        forecasts: long frame of the chosen model's and the baseline's
            forecasts (``role`` ``chosen`` or ``baseline``; ``reconciled``).
        seconds: wall-clock time per step.
    """

    profile: Profile
    history: pd.DataFrame
    chosen: dict[str, str]
    backtests: list[Backtest]
    forecasts: pd.DataFrame
    chosen_by_horizon: dict[int, dict[str, str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _windows(profile: Profile, horizon: int, wanted: int) -> int:
    room = (profile.history - 2 * profile.season) // horizon
    return max(0, min(wanted, room))


def run_forecast(
    df: pd.DataFrame,
    request: ForecastRequest,
    catalogue: ModelCatalogue | None = None,
    progress: Callable[[str], None] | None = None,
) -> ForecastResult:
    """Backtest, choose, forecast and reconcile (see the module docstring).

    Raises:
        Incorrect: a bad frame (see :func:`~carehub.ops.forecast.series.check_frame`).
        NotFound: an unknown model name.
    """
    tell = progress or (lambda step: None)
    catalogue = catalogue or default_catalogue()
    history = check_frame(df)
    profile = infer_profile(history)
    specs = catalogue.candidates(profile, list(request.models) if request.models else None)
    horizons = request.backtest_horizons or (DAILY_HORIZONS if profile.daily else OTHER_HORIZONS)
    seconds: dict[str, float] = {}
    results: list[Backtest] = []
    for h in horizons:
        windows = _windows(profile, h, request.windows)
        if windows == 0:
            continue
        tell(f"backtest h={h} ({windows} windows, {len(specs)} models)")
        results.append(backtest(history, specs, profile, h, windows, n_jobs=request.n_jobs))
        seconds[f"backtest_h{h}"] = results[-1].seconds
    names = [s.name for s in specs]
    series = sorted(history["unique_id"].unique())
    by_horizon = {b.horizon: choose([b.summary], names) for b in results}
    nearest = min(by_horizon, key=lambda h: (abs(h - request.horizon), h), default=None)
    picks = by_horizon[nearest] if nearest is not None else {}
    chosen = {uid: picks.get(uid, BASELINE) for uid in series}
    tell(f"forecast h={request.horizon}")
    start = time.perf_counter()
    needed = [s for s in specs if s.name == BASELINE or s.name in chosen.values()]
    fc = forecast(history, needed, profile, request.horizon, n_jobs=request.n_jobs)
    seconds["forecast"] = time.perf_counter() - start
    picked = fc[fc["model"] == fc["unique_id"].map(chosen)].assign(role="chosen")
    base = fc[fc["model"] == BASELINE].assign(role="baseline")
    if request.reconcile:
        tell("reconcile")
        picked = reconcile(picked, hierarchy(series))
    else:
        picked = picked.assign(reconciled=False)
    out = pd.concat([picked, base.assign(reconciled=False)], ignore_index=True)
    out = out.sort_values(["unique_id", "role", "ds"], ascending=[True, False, True])
    return ForecastResult(
        profile, history, chosen, results, out.reset_index(drop=True), by_horizon, seconds
    )
