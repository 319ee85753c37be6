"""The model catalogue: statsforecast local models and an mlforecast LightGBM global model.

https://nixtlaverse.nixtla.io/statsforecast/ and https://nixtlaverse.nixtla.io/mlforecast/

Each :class:`ModelSpec` builds a fresh model for one *frequency profile*
(:class:`Profile`: the pandas frequency, the seasonal period and how much
history there is). The built-in models (operations spec §1 and §2.3):

* ``SeasonalNaive``: same weekday last week (same month last year for
  monthly series); the mandatory baseline of every report;
* ``AutoETS``, ``AutoARIMA`` (``approximation=True``), ``AutoTheta``;
* ``MSTL``: weekly and, with more than two years of daily history, yearly
  seasonality, an ETS trend;
* ``LightGBM``: one global model over all series (lags of whole seasons,
  rolling means, weekday/month and the Vietnamese holiday and Tết features of
  :mod:`carehub.ops.forecast.calendar_features`), intervals by conformal
  prediction. Only offered for panels of :data:`MIN_GLOBAL_SERIES` or more
  series (spec §2.3 item 6).

:class:`ModelCatalogue` is an explicit registry built at start-up
(:func:`default_catalogue`); callers register their own models in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from carehub.errors import NotFound, did_you_mean

BASELINE = "SeasonalNaive"
"""The baseline model every report shows."""
MIN_GLOBAL_SERIES = 3
"""Fewest series for which the global LightGBM model is a candidate."""
YEAR_DAYS = 365


@dataclass(frozen=True, slots=True)
class Profile:
    """What a model needs to know of the series it is built for.

    Args:
        freq: pandas frequency (``D`` daily, ``MS`` monthly).
        season: the main seasonal period (7 daily, 12 monthly).
        history: the fewest observations any series has.
        series: how many series are forecast together.
    """

    freq: str
    season: int
    history: int
    series: int = 1

    @property
    def daily(self) -> bool:
        """Whether the series are daily."""
        return self.freq == "D"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One catalogue entry.

    Args:
        name: the model's name in every output.
        kind: ``stats`` (a statsforecast model) or ``ml`` (an mlforecast regressor).
        build: makes the model for a profile.
        help: one line for ``--help`` and reports.
        applies: whether the model is a candidate for a profile.
    """

    name: str
    kind: Literal["stats", "ml"]
    build: Callable[[Profile], Any]
    help: str
    applies: Callable[[Profile], bool] = field(default=lambda profile: True)


def _seasonal_naive(p: Profile) -> Any:
    from statsforecast.models import SeasonalNaive

    return SeasonalNaive(season_length=p.season, alias="SeasonalNaive")


def _ets(p: Profile) -> Any:
    from statsforecast.models import AutoETS

    return AutoETS(season_length=p.season, alias="AutoETS")


def _arima(p: Profile) -> Any:
    from statsforecast.models import AutoARIMA

    return AutoARIMA(season_length=p.season, approximation=True, alias="AutoARIMA")


def _theta(p: Profile) -> Any:
    from statsforecast.models import AutoTheta

    return AutoTheta(season_length=p.season, alias="AutoTheta")


def mstl_seasons(p: Profile) -> list[int]:
    """MSTL's seasonal periods: add the year to daily series with over two years of history.

    >>> mstl_seasons(Profile("D", 7, 800)), mstl_seasons(Profile("D", 7, 400))
    ([7, 365], [7])
    """
    if p.daily and p.history > 2 * YEAR_DAYS:
        return [p.season, YEAR_DAYS]
    return [p.season]


def _mstl(p: Profile) -> Any:
    from statsforecast.models import MSTL, AutoETS

    return MSTL(season_length=mstl_seasons(p), trend_forecaster=AutoETS(model="ZZN"), alias="MSTL")


def _lightgbm(p: Profile) -> Any:
    import lightgbm

    return lightgbm.LGBMRegressor(
        n_estimators=300, learning_rate=0.05, num_leaves=31, min_child_samples=10,
        subsample=0.9, subsample_freq=1, colsample_bytree=0.9, n_jobs=1, verbosity=-1,
        random_state=0,
    )  # fmt: skip


def _global_applies(p: Profile) -> bool:
    return p.series >= MIN_GLOBAL_SERIES and p.history >= 4 * p.season


BUILT_IN: tuple[ModelSpec, ...] = (
    ModelSpec(BASELINE, "stats", _seasonal_naive, "Same period one season ago (baseline)."),
    ModelSpec("AutoETS", "stats", _ets, "Exponential smoothing, state space, AICc-selected."),
    ModelSpec("AutoARIMA", "stats", _arima, "Seasonal ARIMA, stepwise search with approximation."),
    ModelSpec("MSTL", "stats", _mstl, "Multiple seasonal-trend decomposition (Loess), ETS trend."),
    ModelSpec("AutoTheta", "stats", _theta, "Theta family, best of four variants."),
    ModelSpec(
        "LightGBM",
        "ml",
        _lightgbm,
        "Global gradient boosting on lags and calendar features.",
        _global_applies,
    ),
)
"""The built-in models, baseline first."""


class ModelCatalogue:
    """The models a forecast may use, by name, in registration order."""

    def __init__(self, specs: tuple[ModelSpec, ...] = ()) -> None:
        self._specs: dict[str, ModelSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: ModelSpec) -> None:
        """Add (or replace) a model."""
        self._specs[spec.name] = spec

    def names(self) -> list[str]:
        """Model names in registration order."""
        return list(self._specs)

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._specs.values())

    def get(self, name: str) -> ModelSpec:
        """The model called ``name``.

        Raises:
            NotFound: no such model (with a "did you mean" suggestion).

        >>> default_catalogue().get("AutoETS").kind
        'stats'
        >>> default_catalogue().get("AutoETs")
        Traceback (most recent call last):
        ...
        carehub.errors.NotFound: unknown model 'AutoETs'. Did you mean 'AutoETS'?
        """
        spec = self._specs.get(name)
        if spec is None:
            suffix = did_you_mean(name, self._specs)
            raise NotFound(
                f"unknown model '{name}'.{suffix}" if suffix else f"unknown model '{name}'"
            )
        return spec

    def candidates(self, profile: Profile, names: list[str] | None = None) -> list[ModelSpec]:
        """The models that apply to ``profile`` (only ``names`` when given), baseline first.

        The baseline is always included.

        Raises:
            NotFound: an unknown name.

        >>> [m.name for m in default_catalogue().candidates(Profile("MS", 12, 200))]
        ['SeasonalNaive', 'AutoETS', 'AutoARIMA', 'MSTL', 'AutoTheta']
        """
        wanted = [self.get(n) for n in names] if names else list(self)
        chosen = [self.get(BASELINE)] + [m for m in wanted if m.name != BASELINE]
        return [m for m in chosen if m.name == BASELINE or m.applies(profile)]


def default_catalogue() -> ModelCatalogue:
    """A catalogue holding the :data:`BUILT_IN` models."""
    return ModelCatalogue(BUILT_IN)
