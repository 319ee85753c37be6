"""The operations dashboard's settings: nurse ratios, roster length and the forecast plan.

Read once at start-up from ``CAREHUB_OPS_NURSE_*``, ``CAREHUB_OPS_ROSTER_DAYS``
and ``CAREHUB_OPS_FORECAST_*`` (:func:`DashboardConfig.from_settings`, called
by the app wiring) and handed to :mod:`carehub.web.screens.operations` through
:class:`~carehub.web.app.WebConfig`.

Failure modes: a malformed or out-of-range value raises
:class:`~carehub.errors.Incorrect` with one line naming the setting, so
``carehub serve`` stops before it listens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from carehub.errors import Incorrect, NotFound
from carehub.ops.allocate.coverage import SkillMix
from carehub.settings import Settings
from carehub.web.screens.operations_forecast import ForecastPlan

DEFAULT_RATIOS: dict[str, float] = {"early": 4.0, "late": 5.0, "night": 7.0}
"""Patients per nurse on each shift (day shifts 1:4-1:5, nights 1:7)."""


def parse_ratios(text: str, name: str = "CAREHUB_OPS_NURSE_RATIOS") -> dict[str, float]:
    """Shift ratios from ``shift=patients`` pairs separated by commas, in shift order.

    Raises:
        Incorrect: an empty list, a pair without ``=``, a repeated shift, or a
            ratio that is not a positive number.

    >>> parse_ratios("early=4, late=5,night=7.5")
    {'early': 4.0, 'late': 5.0, 'night': 7.5}
    >>> parse_ratios("day=4,night")
    Traceback (most recent call last):
    carehub.errors.Incorrect: CAREHUB_OPS_NURSE_RATIOS: 'night' is not shift=patients \
(e.g. early=4,late=5,night=7)
    """
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        shift, sep, value = (s.strip() for s in part.partition("="))
        if not sep or not shift:
            raise Incorrect(f"{name}: {part!r} is not shift=patients "
                            "(e.g. early=4,late=5,night=7)")
        if shift in out:
            raise Incorrect(f"{name}: shift {shift!r} given twice")
        try:
            ratio = float(value)
        except ValueError:
            raise Incorrect(f"{name}: {value!r} for shift {shift!r} is not a number") from None
        if not ratio > 0 or ratio != ratio or ratio == float("inf"):
            raise Incorrect(f"{name}: patients per nurse of shift {shift!r} must be above 0, "
                            f"not {value}")
        out[shift] = ratio
    if not out:
        raise Incorrect(f"{name}: no shift given (e.g. early=4,late=5,night=7)")
    return out


def parse_models(text: str, name: str = "CAREHUB_OPS_FORECAST_MODELS") -> tuple[str, ...]:
    """Forecast model names separated by commas, each known to the model catalogue.

    Raises:
        Incorrect: an unknown model (with a suggestion) or an empty list.

    >>> parse_models("SeasonalNaive, AutoETS")
    ('SeasonalNaive', 'AutoETS')
    >>> parse_models("AutoETs")
    Traceback (most recent call last):
    carehub.errors.Incorrect: CAREHUB_OPS_FORECAST_MODELS: unknown model 'AutoETs'. \
Did you mean 'AutoETS'?
    """
    from carehub.ops.forecast.models import default_catalogue

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise Incorrect(f"{name}: no model given (e.g. SeasonalNaive,AutoETS)")
    catalogue = default_catalogue()
    for model in names:
        try:
            catalogue.get(model)
        except NotFound as exc:
            raise Incorrect(f"{name}: {exc}") from None
    return names


def _at_least(settings: Settings, name: str, low: int) -> int:
    value = int(settings[name])
    if value < low:
        raise Incorrect(f"{name} must be at least {low}, not {value}")
    return value


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """What the operations dashboard computes.

    Args:
        ratios: patients per nurse by shift, in roster order.
        nurse_floor: nurses always present on every shift.
        roster_days: days of the roster view (at most the forecast horizon).
        plan: the demand and census forecasts.
    """

    ratios: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATIOS))
    nurse_floor: int = 1
    roster_days: int = 7
    plan: ForecastPlan = field(default_factory=ForecastPlan)

    @property
    def skills(self) -> tuple[SkillMix, ...]:
        """The skill mix of every shift: nurses, at least :attr:`nurse_floor`.

        >>> DashboardConfig().skills
        (SkillMix(skill='nurse', share=1.0, floor=1),)
        """
        return (SkillMix("nurse", 1.0, self.nurse_floor),)

    @classmethod
    def from_settings(cls, settings: Settings) -> DashboardConfig:
        """The dashboard configuration the settings describe.

        Raises:
            Incorrect: a malformed ratio or model list, a count below its minimum,
                or a roster longer than the forecast horizon.

        >>> from carehub.settings import load_settings
        >>> c = DashboardConfig.from_settings(load_settings({"CAREHUB_OPS_ROSTER_DAYS": "5"}))
        >>> c.roster_days, c.ratios["night"], c.plan.horizon
        (5, 7.0, 14)
        """
        horizon = _at_least(settings, "CAREHUB_OPS_FORECAST_HORIZON", 1)
        roster = _at_least(settings, "CAREHUB_OPS_ROSTER_DAYS", 1)
        if roster > horizon:
            raise Incorrect(f"CAREHUB_OPS_ROSTER_DAYS ({roster}) cannot exceed "
                            f"CAREHUB_OPS_FORECAST_HORIZON ({horizon})")
        defaults = ForecastPlan()
        plan = ForecastPlan(
            horizon=horizon,
            departments=_at_least(settings, "CAREHUB_OPS_FORECAST_DEPARTMENTS", 0),
            wards=_at_least(settings, "CAREHUB_OPS_FORECAST_WARDS", 0),
            models=parse_models(settings["CAREHUB_OPS_FORECAST_MODELS"]),
            backtest_horizon=min(defaults.backtest_horizon, horizon),
            windows=defaults.windows,
            history_days=_at_least(settings, "CAREHUB_OPS_FORECAST_HISTORY_DAYS", 1),
        )
        return cls(parse_ratios(settings["CAREHUB_OPS_NURSE_RATIOS"]),
                   _at_least(settings, "CAREHUB_OPS_NURSE_FLOOR", 0), roster, plan)
