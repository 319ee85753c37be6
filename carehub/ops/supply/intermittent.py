"""Demand models routed by SBC class, fitted with statsforecast.

Routing (operations spec §2.3 and §4.4; Syntetos, Boylan & Croston 2005):

* smooth, erratic → ``AutoETS`` (Hyndman et al. 2008), seasonal (12) once two
  years of history exist;
* intermittent → ``CrostonSBA`` (Syntetos & Boylan 2005 bias correction);
* lumpy → ``TSB`` (Teunter, Syntetos & Babai 2011), which also tracks obsolescence;
* zero → no model (no forecast; review the item).

``CrostonClassic``, ``IMAPA`` (Petropoulos & Kourentzes 2015), ``Naive`` and
``SeasonalNaive`` are available by name for other routes and for backtests.
Series are monthly; statsforecast runs with ``n_jobs=1`` by default.

Each :class:`Forecast` keeps the in-sample one-step errors, which
:mod:`carehub.ops.supply.safety_stock` resamples into lead-time demand quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from carehub.errors import Incorrect, did_you_mean
from carehub.ops.supply.classify import DemandClass

SEASON = 12
"""Months in a season; AutoETS is seasonal with at least two seasons of history."""

ROUTES: dict[str, str] = {
    "smooth": "AutoETS",
    "erratic": "AutoETS",
    "intermittent": "CrostonSBA",
    "lumpy": "TSB",
}
"""Default model per SBC class; callers may pass their own ``routes=``."""


def _model(name: str, season: int) -> Any:
    from statsforecast import models as m

    factories: dict[str, Callable[[], Any]] = {
        "AutoETS": lambda: m.AutoETS(season_length=season),
        "CrostonClassic": m.CrostonClassic,
        "CrostonSBA": m.CrostonSBA,
        "TSB": lambda: m.TSB(alpha_d=0.1, alpha_p=0.1),
        "IMAPA": m.IMAPA,
        "Naive": m.Naive,
        "SeasonalNaive": lambda: m.SeasonalNaive(season_length=season),
    }
    if name not in factories:
        raise Incorrect(f"unknown demand model {name!r}." + did_you_mean(name, factories))
    return factories[name]()


MODEL_NAMES = ("AutoETS", "CrostonClassic", "CrostonSBA", "TSB", "IMAPA", "Naive", "SeasonalNaive")
MIN_HISTORY = 3
"""Fewer months than this: the forecast is the series mean (too short to fit)."""
MIN_HISTORY_ETS = 10
"""AutoETS needs more points than parameters + 4; shorter series get the mean."""


@dataclass(frozen=True, slots=True)
class Forecast:
    """Monthly mean demand forecast of one series, and the model's in-sample errors."""

    key: str
    model: str
    mean: tuple[float, ...]
    residuals: tuple[float, ...]

    @property
    def level(self) -> float:
        """Mean forecast per month over the horizon.

        >>> Forecast("a", "x", (1.0, 3.0), ()).level
        2.0
        """
        return sum(self.mean) / len(self.mean) if self.mean else 0.0


def season_for(model: str, length: int) -> int:
    """The season length used for a series of ``length`` months.

    >>> season_for("AutoETS", 24), season_for("AutoETS", 23), season_for("TSB", 36)
    (12, 1, 1)
    """
    if model in ("AutoETS", "SeasonalNaive") and length >= 2 * SEASON:
        return SEASON
    return 1


def _mean_forecast(key: str, y: Sequence[float], horizon: int) -> Forecast:
    level = float(np.mean(y)) if len(y) else 0.0
    return Forecast(key, "mean", (level,) * horizon, tuple(float(v) - level for v in y))


def fit_forecast(
    series: Mapping[str, Sequence[float]],
    model: str,
    horizon: int,
    n_jobs: int = 1,
) -> dict[str, Forecast]:
    """Fit ``model`` to every series and forecast ``horizon`` months.

    Series shorter than :data:`MIN_HISTORY` (:data:`MIN_HISTORY_ETS` for
    AutoETS) get their mean, with model name ``mean``. Negative forecasts are
    clipped to 0.

    Raises:
        Incorrect: unknown model name (with a suggestion) or ``horizon`` < 1.
    """
    import pandas as pd
    from statsforecast import StatsForecast

    if horizon < 1:
        raise Incorrect(f"forecast horizon must be at least 1 month, not {horizon}")
    _model(model, 1)
    out: dict[str, Forecast] = {}
    groups: dict[int, list[str]] = {}
    for key, y in series.items():
        if len(y) < (MIN_HISTORY_ETS if model == "AutoETS" else MIN_HISTORY):
            out[key] = _mean_forecast(key, y, horizon)
        else:
            groups.setdefault(season_for(model, len(y)), []).append(key)
    for season, keys in groups.items():
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(keys, [len(series[k]) for k in keys]),
                "ds": np.concatenate([np.arange(1, len(series[k]) + 1) for k in keys]),
                "y": np.concatenate([np.asarray(series[k], dtype=float) for k in keys]),
            }
        )
        sf = StatsForecast(models=[_model(model, season)], freq=1, n_jobs=n_jobs)
        fc = sf.forecast(df=frame, h=horizon, fitted=True)
        fitted = sf.forecast_fitted_values()  # type: ignore[no-untyped-call]
        col = next(c for c in fc.columns if c not in ("unique_id", "ds"))
        means = {k: g[col].to_numpy() for k, g in fc.groupby("unique_id", sort=False)}
        fits = {k: g for k, g in fitted.groupby("unique_id", sort=False)}
        for key in keys:
            err = (fits[key]["y"] - fits[key][col]).to_numpy()
            err = err[np.isfinite(err)]
            path = np.clip(np.nan_to_num(means[key], nan=0.0), 0.0, None)
            out[key] = Forecast(key, model, tuple(float(v) for v in path),
                                tuple(float(v) for v in err))
    return out


def route(
    series: Mapping[str, Sequence[float]],
    classes: Mapping[str, DemandClass],
    horizon: int,
    routes: Mapping[str, str] = ROUTES,
    n_jobs: int = 1,
) -> dict[str, Forecast]:
    """Forecast every series with the model its SBC class routes to.

    Series of class ``zero`` (or a class missing from ``routes``) get no forecast.

    Raises:
        Incorrect: a route names an unknown model.
    """
    by_model: dict[str, dict[str, Sequence[float]]] = {}
    for key, y in series.items():
        name = routes.get(classes[key].name)
        if name is not None:
            by_model.setdefault(name, {})[key] = y
    out: dict[str, Forecast] = {}
    for name, group in by_model.items():
        out.update(fit_forecast(group, name, horizon, n_jobs))
    return out


def horizon_for(lead_months: float, review_months: float) -> int:
    """Whole months to forecast to cover lead time plus review period.

    >>> horizon_for(1.5, 1), horizon_for(0, 0)
    (3, 1)
    """
    return max(1, math.ceil(lead_months + review_months - 1e-9))
