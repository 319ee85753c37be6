"""The operations dashboard's settings: parsed once, bad values stop start-up with one line."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI

from carehub.app.wiring import add_web, build_hub
from carehub.errors import Incorrect
from carehub.settings import load_settings
from carehub.web.app import Web, WebConfig
from carehub.web.dashboard_config import DashboardConfig
from carehub.web.i18n import Translator
from carehub.web.screens.operations import forecast_view
from carehub.web.screens.operations_forecast import DashboardForecast


def test_the_defaults_are_the_former_constants() -> None:
    config = DashboardConfig.from_settings(load_settings({}))
    assert config.ratios == {"early": 4.0, "late": 5.0, "night": 7.0}
    assert config.roster_days == 7 and config.nurse_floor == 1
    assert config.plan.horizon == 14 and config.plan.models == ("SeasonalNaive", "AutoETS")
    assert config == DashboardConfig()


def test_settings_reach_the_plan_and_the_roster() -> None:
    config = DashboardConfig.from_settings(load_settings({
        "CAREHUB_OPS_NURSE_RATIOS": "day=3, night=6",
        "CAREHUB_OPS_NURSE_FLOOR": "2",
        "CAREHUB_OPS_ROSTER_DAYS": "3",
        "CAREHUB_OPS_FORECAST_HORIZON": "5",
        "CAREHUB_OPS_FORECAST_DEPARTMENTS": "1",
        "CAREHUB_OPS_FORECAST_WARDS": "2",
        "CAREHUB_OPS_FORECAST_MODELS": "AutoETS",
        "CAREHUB_OPS_FORECAST_HISTORY_DAYS": "10",
    }))
    assert list(config.ratios) == ["day", "night"] and config.ratios["day"] == 3.0
    assert config.skills[0].floor == 2
    plan = config.plan
    assert (plan.horizon, plan.departments, plan.wards, plan.models, plan.history_days) == (
        5, 1, 2, ("AutoETS",), 10)
    assert plan.backtest_horizon <= plan.horizon


@pytest.mark.parametrize(("name", "value", "says"), [
    ("CAREHUB_OPS_NURSE_RATIOS", "early=4,late", "'late' is not shift=patients"),
    ("CAREHUB_OPS_NURSE_RATIOS", "early=4,early=5", "given twice"),
    ("CAREHUB_OPS_NURSE_RATIOS", "early=four", "'four' for shift 'early' is not a number"),
    ("CAREHUB_OPS_NURSE_RATIOS", "night=0", "must be above 0"),
    ("CAREHUB_OPS_NURSE_RATIOS", " , ", "no shift given"),
    ("CAREHUB_OPS_ROSTER_DAYS", "0", "CAREHUB_OPS_ROSTER_DAYS must be at least 1"),
    ("CAREHUB_OPS_ROSTER_DAYS", "30", "cannot exceed CAREHUB_OPS_FORECAST_HORIZON (14)"),
    ("CAREHUB_OPS_FORECAST_MODELS", "AutoETS,Prophet", "unknown model 'Prophet'"),
    ("CAREHUB_OPS_FORECAST_WARDS", "-1", "CAREHUB_OPS_FORECAST_WARDS must be at least 0"),
    ("CAREHUB_OPS_FORECAST_HORIZON", "two", "CAREHUB_OPS_FORECAST_HORIZON='two' is not valid"),
])
def test_a_bad_value_is_one_clear_line(name: str, value: str, says: str) -> None:
    with pytest.raises(Incorrect) as caught:
        DashboardConfig.from_settings(load_settings({name: value}))
    message = str(caught.value)
    assert says in message and name in message and "\n" not in message


def test_a_bad_value_stops_the_web_application_at_start_up(tmp_path: Path) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path),
                              "CAREHUB_OPS_NURSE_RATIOS": "early=4,late=-5"})
    hub = build_hub(settings)
    try:
        with pytest.raises(Incorrect, match="CAREHUB_OPS_NURSE_RATIOS"):
            add_web(FastAPI(), settings, hub)
    finally:
        hub.store.close()


class _Result:
    """The part of a forecast result :func:`forecast_view` reads, for one ward."""

    def __init__(self, days: int) -> None:
        start = pd.Timestamp("2026-07-01")
        ds = [start + pd.Timedelta(days=i) for i in range(days)]
        census = [12.0 + i for i in range(days)]
        self.chosen = {"census/icu": "SeasonalNaive"}
        self.history = pd.DataFrame({"unique_id": ["census/icu"] * 3, "ds": ds[:3],
                                     "y": [10.0, 11.0, 12.0]})
        self.backtests: list[Any] = []
        self.forecasts = pd.DataFrame({
            "unique_id": ["census/icu"] * days, "ds": ds, "role": ["chosen"] * days,
            "mean": census, **{f"{b}-{lv}": census for b in ("lo", "hi") for lv in ("80", "95")},
        })


def test_the_roster_follows_the_configured_shifts_and_days(tmp_path: Path) -> None:
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp_path)})
    hub = build_hub(settings)
    try:
        config = DashboardConfig(ratios={"day": 3.0, "night": 6.0}, roster_days=4)
        no_worklists: Any = type("NoWorklists", (), {"departments": lambda self: []})()
        web = Web(hub, None, WebConfig(dashboard=config), no_worklists)  # type: ignore[arg-type]
        run = DashboardForecast([], ["census/icu"], _Result(10), datetime.date(2026, 6, 30), 0.1)
        view = forecast_view(web, run, Translator("en"), config)
    finally:
        hub.store.close()
    roster = view["roster"][0]
    assert len(roster["dates"]) == 4
    assert [r["shift"] for r in roster["rows"]] == ["day", "night"]
    assert [r["label"] for r in roster["rows"]] == ["day", "Night"]  # untranslated name kept
    # 12 patients at 1:3 → 4 nurses; at 1:6 → 2
    assert [c["optimal"] for c in roster["rows"][0]["cells"]][:1] == [4]
    assert [c["optimal"] for c in roster["rows"][1]["cells"]][:1] == [2]
