"""Fit the catalogue's models and forecast, once or over rolling origins.

https://nixtlaverse.nixtla.io/statsforecast/docs/tutorials/crossvalidation.html and
https://nixtlaverse.nixtla.io/mlforecast/docs/how-to-guides/prediction_intervals.html

Statistical models run through one ``StatsForecast`` object (a failing model
falls back to the seasonal naive); the LightGBM model through one
``MLForecast`` object with the calendar features as exogenous columns and
conformal prediction intervals. Both answers are put in one *long* frame,
one row per series, day, cutoff and model:

``unique_id, ds, cutoff, model, mean, lo-80, hi-80, lo-95, hi-95`` (plus
``y`` for cross-validation). Point forecasts and bounds of count-like series
are not clipped here; :func:`forecast` and :func:`cross_validate` clip them
at zero when every history value is non-negative.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd

from carehub.errors import Incorrect
from carehub.ops.forecast.calendar_features import FEATURES, add_calendar
from carehub.ops.forecast.models import BASELINE, ModelSpec, Profile

LEVELS: tuple[int, ...] = (80, 95)
"""Prediction-interval levels, in percent."""
CONFORMAL_WINDOWS = 4
"""Calibration windows of the LightGBM model's conformal intervals."""


def bound_columns(levels: Sequence[int] = LEVELS) -> list[str]:
    """The interval columns of a long frame.

    >>> bound_columns((80,))
    ['lo-80', 'hi-80']
    """
    return [f"{side}-{level}" for level in levels for side in ("lo", "hi")]


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the libraries' deprecation and convergence chatter (not errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _to_long(wide: pd.DataFrame, names: Sequence[str], levels: Sequence[int]) -> pd.DataFrame:
    keys = [c for c in ("unique_id", "ds", "cutoff", "y") if c in wide.columns]
    parts = []
    for name in names:
        cols = {name: "mean"} | {f"{name}-{b}": b for b in bound_columns(levels)}
        part = wide[keys + [c for c in cols if c in wide.columns]].rename(columns=cols)
        part.insert(len(keys), "model", name)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for column in bound_columns(levels):
        if column not in out.columns:
            out[column] = float("nan")
    return out


def _stats(specs: Sequence[ModelSpec], profile: Profile, n_jobs: int) -> object:
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    return StatsForecast(
        models=[s.build(profile) for s in specs],
        freq=profile.freq,
        n_jobs=n_jobs,
        fallback_model=SeasonalNaive(season_length=profile.season, alias=BASELINE),
    )


def _ml(spec: ModelSpec, profile: Profile) -> object:
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean
    from mlforecast.target_transforms import LocalStandardScaler

    m = profile.season
    date_features = ["dayofweek", "month"] if profile.daily else ["month"]
    return MLForecast(
        models={spec.name: spec.build(profile)},
        freq=profile.freq,
        lags=[1, m, 2 * m, 3 * m, 4 * m],
        lag_transforms={1: [RollingMean(window_size=m)], m: [RollingMean(window_size=4)]},
        date_features=date_features,
        target_transforms=[LocalStandardScaler()],
        num_threads=1,
    )


def _exogenous(df: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    return add_calendar(df) if profile.daily else df


def _clip(long: pd.DataFrame, history: pd.DataFrame, levels: Sequence[int]) -> pd.DataFrame:
    if (history["y"] >= 0).all():
        for column in ["mean", *bound_columns(levels)]:
            long[column] = long[column].clip(lower=0)
    return long


def _split(specs: Sequence[ModelSpec]) -> tuple[list[ModelSpec], list[ModelSpec]]:
    stats = [s for s in specs if s.kind == "stats"]
    ml = [s for s in specs if s.kind == "ml"]
    if not specs:
        raise Incorrect("no model to fit")
    return stats, ml


def forecast(
    df: pd.DataFrame,
    specs: Sequence[ModelSpec],
    profile: Profile,
    h: int,
    *,
    levels: Sequence[int] = LEVELS,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Fit every model on all of ``df`` and forecast ``h`` periods with intervals.

    Args:
        df: long frame ``unique_id``, ``ds``, ``y`` (regular, no gaps).
        specs: the models.
        profile: frequency, season and history of ``df``.
        h: the horizon, in periods.
        levels: interval levels in percent.
        n_jobs: processes for the statistical models.

    Returns:
        The long forecast frame (no ``y`` nor ``cutoff``).

    Raises:
        Incorrect: no model given.
    """
    stats, ml = _split(specs)
    parts = []
    with _quiet():
        if stats:
            sf = _stats(stats, profile, n_jobs)
            wide = sf.forecast(df=df, h=h, level=list(levels))  # type: ignore[attr-defined]
            parts.append(_to_long(wide, [s.name for s in stats], levels))
        for spec in ml:
            from mlforecast.utils import PredictionIntervals

            mlf = _ml(spec, profile)
            data = _exogenous(df, profile)
            intervals = PredictionIntervals(n_windows=CONFORMAL_WINDOWS, h=h)
            mlf.fit(data, static_features=[], prediction_intervals=intervals)  # type: ignore[attr-defined]
            future = mlf.make_future_dataframe(h)  # type: ignore[attr-defined]
            x_df = _exogenous(future, profile) if profile.daily else None
            wide = mlf.predict(h, X_df=x_df, level=list(levels))  # type: ignore[attr-defined]
            parts.append(_to_long(wide, [spec.name], levels))
    return _clip(pd.concat(parts, ignore_index=True), df, levels)


def cross_validate(
    df: pd.DataFrame,
    specs: Sequence[ModelSpec],
    profile: Profile,
    h: int,
    windows: int,
    *,
    levels: Sequence[int] = LEVELS,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Rolling-origin forecasts from ``windows`` origins ``h`` periods apart.

    Each origin's models are fitted only on the data up to its cutoff.

    Returns:
        The long frame with ``cutoff`` and the actual ``y``.

    Raises:
        Incorrect: no model given, or too little history for the windows.
    """
    stats, ml = _split(specs)
    need = h * windows + 2 * profile.season
    if profile.history < need:
        raise Incorrect(
            f"{windows} backtest windows of {h} need at least {need} observations per series, "
            f"the shortest has {profile.history}"
        )
    parts = []
    with _quiet():
        if stats:
            sf = _stats(stats, profile, n_jobs)
            wide = sf.cross_validation(  # type: ignore[attr-defined]
                df=df, h=h, step_size=h, n_windows=windows, level=list(levels)
            )
            parts.append(_to_long(wide, [s.name for s in stats], levels))
        for spec in ml:
            from mlforecast.utils import PredictionIntervals

            mlf = _ml(spec, profile)
            wide = mlf.cross_validation(  # type: ignore[attr-defined]
                _exogenous(df, profile),
                n_windows=windows,
                h=h,
                step_size=h,
                static_features=[],
                prediction_intervals=PredictionIntervals(n_windows=CONFORMAL_WINDOWS, h=h),
                level=list(levels),
            )
            wide = wide.drop(columns=[c for c in FEATURES if c in wide.columns])
            parts.append(_to_long(wide, [spec.name], levels))
    return _clip(pd.concat(parts, ignore_index=True), df, levels)
