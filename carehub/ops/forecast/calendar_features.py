"""Calendar features of Vietnamese hospital days: public holidays and Tết Nguyên Đán.

https://holidays.readthedocs.io/ (``holidays.country_holidays("VN")``)

The maintained ``holidays`` package computes the lunar dates of Tết and the
substitute days off, so nothing here hard-codes a date. For each day the
features are:

* ``holiday``: 1 on a public holiday (Tết included), else 0;
* ``tet``: 1 on a day of the Tết holiday block;
* ``before_tet``: 1 on the :data:`BEFORE_TET_DAYS` days just before the block;
* ``after_tet``: 1 on the :data:`AFTER_TET_DAYS` days just after it.

Weekday and month are left to the model library's own date features.
:func:`calendar_frame` makes one row per day; :func:`add_calendar` joins the
features to a long ``unique_id``/``ds``/``y`` frame, for training and for the
future rows the LightGBM model needs.
"""

from __future__ import annotations

import datetime as dt

import holidays
import pandas as pd

from carehub.errors import Incorrect

FEATURES = ("holiday", "tet", "before_tet", "after_tet")
"""The feature columns, in order."""
BEFORE_TET_DAYS = 5
AFTER_TET_DAYS = 7
TET_NAME = "Lunar New Year"


def vietnam_holidays(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """Vietnamese public holidays (English names) from ``first`` to ``last`` inclusive.

    >>> days = vietnam_holidays(dt.date(2025, 1, 1), dt.date(2025, 2, 28))
    >>> days[dt.date(2025, 1, 29)]
    'Lunar New Year'
    """
    table = holidays.country_holidays(
        "VN", years=range(first.year, last.year + 1), language="en_US"
    )
    return {day: str(name) for day, name in table.items() if first <= day <= last}


def calendar_frame(first: dt.date, last: dt.date) -> pd.DataFrame:
    """One row per day from ``first`` to ``last``: ``ds`` and the :data:`FEATURES` (0/1).

    Raises:
        Incorrect: ``last`` is before ``first``.

    >>> frame = calendar_frame(dt.date(2025, 1, 20), dt.date(2025, 2, 10))
    >>> int(frame["tet"].sum()), int(frame["before_tet"].sum()), int(frame["after_tet"].sum())
    (6, 5, 7)
    >>> frame.loc[frame["ds"] == "2025-01-29", list(FEATURES)].values.tolist()
    [[1, 1, 0, 0]]
    """
    if last < first:
        raise Incorrect(f"calendar end {last} is before its start {first}")
    margin = dt.timedelta(days=max(BEFORE_TET_DAYS, AFTER_TET_DAYS) + 40)
    names = vietnam_holidays(first - margin, last + margin)
    days = pd.date_range(first - margin, last + margin, freq="D")
    holiday = [int(d.date() in names) for d in days]
    tet = [int(TET_NAME in names.get(d.date(), "")) for d in days]
    before = [0] * len(days)
    after = [0] * len(days)
    for i, flag in enumerate(tet):
        if flag and (i == 0 or not tet[i - 1]):
            for j in range(max(0, i - BEFORE_TET_DAYS), i):
                before[j] = 1
        if flag and (i + 1 == len(tet) or not tet[i + 1]):
            for j in range(i + 1, min(len(days), i + 1 + AFTER_TET_DAYS)):
                after[j] = 1
    frame = pd.DataFrame(
        {"ds": days, "holiday": holiday, "tet": tet, "before_tet": before, "after_tet": after}
    )
    inside = (frame["ds"] >= pd.Timestamp(first)) & (frame["ds"] <= pd.Timestamp(last))
    return frame.loc[inside].reset_index(drop=True)


def add_calendar(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (columns ``unique_id``, ``ds``...) with the :data:`FEATURES` joined by day.

    Raises:
        Incorrect: ``df`` has no ``ds`` column or it is empty.

    >>> df = pd.DataFrame({"unique_id": "x", "ds": pd.to_datetime(["2025-01-29"]), "y": [1.0]})
    >>> add_calendar(df)[["y", "holiday", "tet"]].values.tolist()
    [[1.0, 1.0, 1.0]]
    """
    if "ds" not in df.columns or df.empty:
        raise Incorrect("calendar features need a non-empty frame with a 'ds' column")
    first, last = df["ds"].min().date(), df["ds"].max().date()
    frame = calendar_frame(first, last)
    return df.merge(frame, on="ds", how="left").fillna({f: 0 for f in FEATURES})
