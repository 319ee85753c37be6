"""Synthetic daily demand series with the hospital's weekly, seasonal and holiday patterns.

https://otexts.com/fpp3/components.html (trend, seasonal and calendar components)

No public package ships daily outpatient or emergency series (operations
spec §2.1), so the tests and the benchmark draw their own. The day factors
are those of the synthetic population generator
(:mod:`carehub.synth.calendar`: Monday busiest, Saturday half a day, Sunday
almost closed, holidays nearly closed, quieter days around Tết, a
winter-spring respiratory season); each department gets its own level and a
mild trend, and counts are Poisson draws around the product. The result is a
long frame (``unique_id``, ``ds``, ``y``) of bottom series named like the
warehouse's: ``visits/<department>``, one of them ``visits/emergency``
(their sum is the hospital total ``visits``, :mod:`carehub.ops.forecast.reconcile`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carehub.errors import Incorrect
from carehub.ops.forecast.calendar_features import calendar_frame
from carehub.synth.calendar import (
    AFTER_TET_FACTOR,
    BEFORE_TET_FACTOR,
    EMERGENCY_BY_WEEKDAY,
    EMERGENCY_ON_HOLIDAY,
    OUTPATIENT_BY_WEEKDAY,
    OUTPATIENT_ON_HOLIDAY,
    RESPIRATORY_BY_MONTH,
)

DEFAULT_END = dt.date(2026, 6, 30)


def day_factors(ds: pd.Series, kind: str) -> np.ndarray:
    """Relative busyness of each day for ``outpatient``, ``respiratory`` or ``emergency``.

    Raises:
        Incorrect: an unknown kind.

    >>> days = pd.Series(pd.date_range("2025-03-03", periods=7))
    >>> day_factors(days, "outpatient").round(2).tolist()
    [1.35, 1.1, 1.05, 1.0, 0.95, 0.45, 0.03]
    """
    if kind not in ("outpatient", "respiratory", "emergency"):
        raise Incorrect(f"unknown demand kind '{kind}'")
    cal = calendar_frame(ds.min().date(), ds.max().date()).set_index("ds").loc[ds]
    weekday = ds.dt.weekday.to_numpy()
    season = np.asarray(RESPIRATORY_BY_MONTH)[ds.dt.month.to_numpy() - 1]
    holiday = cal["holiday"].to_numpy() == 1
    if kind == "emergency":
        out = np.asarray(EMERGENCY_BY_WEEKDAY)[weekday] * np.where(holiday, EMERGENCY_ON_HOLIDAY, 1)
        return np.asarray(out * season, dtype=float)
    out = np.asarray(OUTPATIENT_BY_WEEKDAY)[weekday] * np.where(holiday, OUTPATIENT_ON_HOLIDAY, 1)
    out = out * np.where(cal["before_tet"].to_numpy() == 1, BEFORE_TET_FACTOR, 1.0)
    out = out * np.where(cal["after_tet"].to_numpy() == 1, AFTER_TET_FACTOR, 1.0)
    if kind == "respiratory":
        out = out * season
    return np.asarray(out, dtype=float)


def synthetic_demand(
    departments: int = 5,
    days: int = 730,
    *,
    level: float = 60.0,
    emergency_level: float = 40.0,
    end: dt.date = DEFAULT_END,
    seed: int = 0,
) -> pd.DataFrame:
    """Daily outpatient visits of ``departments`` departments plus emergency arrivals.

    Args:
        departments: number of outpatient departments (1 to 500).
        days: days of history, ending on ``end`` (at least 60).
        level: mean weekday visits of a typical department (levels vary
            between departments from about a third to three times this).
        emergency_level: mean daily emergency arrivals.
        end: the last day.
        seed: the random seed; the same arguments give the same frame.

    Raises:
        Incorrect: an argument is out of range.

    >>> df = synthetic_demand(departments=2, days=60, seed=1)
    >>> sorted(df["unique_id"].unique())
    ['visits/dept-01', 'visits/dept-02', 'visits/emergency']
    >>> len(df), bool((df["y"] >= 0).all())
    (180, True)
    """
    if not 1 <= departments <= 500:
        raise Incorrect(f"departments must be between 1 and 500, not {departments}")
    if days < 60:
        raise Incorrect(f"days must be at least 60, not {days}")
    rng = np.random.default_rng(seed)
    ds = pd.Series(pd.date_range(end=pd.Timestamp(end), periods=days, freq="D"))
    t = np.arange(days) / 365.0
    frames = []
    outpatient = day_factors(ds, "outpatient")
    respiratory = day_factors(ds, "respiratory")
    for i in range(departments):
        base = level * float(np.exp(rng.uniform(np.log(1 / 3), np.log(3))))
        trend = 1.0 + rng.uniform(-0.05, 0.10) * t
        factors = respiratory if rng.random() < 0.3 else outpatient
        frames.append(_series(f"visits/dept-{i + 1:02d}", ds, base * trend * factors, rng))
    emergency = emergency_level * (1.0 + 0.04 * t) * day_factors(ds, "emergency")
    frames.append(_series("visits/emergency", ds, emergency, rng))
    return pd.concat(frames, ignore_index=True)


def _series(name: str, ds: pd.Series, mean: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": name,
            "ds": ds.to_numpy(),
            "y": rng.poisson(np.maximum(mean, 0)).astype(float),
        }
    )
