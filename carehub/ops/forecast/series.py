"""Demand series as one long frame (``unique_id``, ``ds``, ``y``): checks, selection, frequency.

https://nixtlaverse.nixtla.io/statsforecast/docs/getting-started/getting_started_short.html
(the long format every Nixtla library reads)

Series come from the warehouse (:mod:`carehub.ops.forecast.warehouse_series`)
or from a CSV file (:mod:`carehub.ops.forecast.csv_series`). Names carry the
hierarchy (``visits/<department>`` under ``visits``, see
:mod:`carehub.ops.forecast.reconcile`). This module checks a frame
(:func:`check_frame`), picks series by name (:func:`select_series`, where
``visits/*`` means every child of ``visits``) and infers the frequency and
season (:func:`infer_profile`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from carehub.errors import Incorrect, NotFound, did_you_mean
from carehub.ops.forecast.models import Profile

SEASONS = {"D": 7, "W": 52, "MS": 12, "M": 12, "ME": 12, "QS": 4, "h": 24, "H": 24}
"""Seasonal period by pandas frequency (its first part: ``W-SUN`` → ``W``)."""


def check_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A clean copy of ``df``: sorted, ``ds`` as timestamps, ``y`` as floats.

    Raises:
        Incorrect: a column is missing, a value is not a number, a day repeats
            within a series, or the frame is empty.

    >>> days = ["2025-01-02", "2025-01-01"]
    >>> df = pd.DataFrame({"unique_id": ["a", "a"], "ds": days, "y": [1, 2]})
    >>> check_frame(df)["y"].tolist()
    [2.0, 1.0]
    """
    missing = [c for c in ("unique_id", "ds", "y") if c not in df.columns]
    if missing:
        raise Incorrect(f"series frame lacks column(s) {', '.join(missing)}")
    if df.empty:
        raise Incorrect("no series data")
    out = df[["unique_id", "ds", "y"]].copy()
    out["unique_id"] = out["unique_id"].astype(str)
    try:
        out["ds"] = pd.to_datetime(out["ds"])
    except (ValueError, TypeError) as exc:
        raise Incorrect(f"dates are not readable: {exc}") from exc
    y = pd.to_numeric(out["y"], errors="coerce")
    bad = y.isna() & out["y"].notna()
    if bad.any():
        raise Incorrect(f"value {out['y'][bad].iloc[0]!r} is not a number")
    if y.isna().any():
        row = out[y.isna()].iloc[0]
        raise Incorrect(f"series '{row['unique_id']}' has no value on {row['ds'].date()}")
    out["y"] = y.astype(float)
    dupes = out.duplicated(["unique_id", "ds"])
    if dupes.any():
        row = out[dupes].iloc[0]
        raise Incorrect(f"series '{row['unique_id']}' has two values on {row['ds'].date()}")
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def select_series(df: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The rows of the series named; ``parent/*`` selects every child of ``parent``.

    Raises:
        NotFound: a name matches no series (with a "did you mean" suggestion).

    >>> df = pd.DataFrame({"unique_id": ["visits", "visits/a", "visits/b"], "ds": 1, "y": 1.0})
    >>> sorted(select_series(df, ["visits/*"])["unique_id"])
    ['visits/a', 'visits/b']
    """
    if not names:
        return df
    known = sorted(df["unique_id"].unique())
    wanted: list[str] = []
    for name in names:
        if name.endswith("/*"):
            kids = [k for k in known if k.startswith(name[:-1]) and "/" not in k[len(name) - 1 :]]
            if not kids:
                raise NotFound(f"no series under '{name[:-2]}'" + did_you_mean(name[:-2], known))
            wanted.extend(kids)
        elif name in known:
            wanted.append(name)
        else:
            raise NotFound(f"unknown series '{name}'." + did_you_mean(name, known))
    return df[df["unique_id"].isin(wanted)].reset_index(drop=True)


def infer_profile(df: pd.DataFrame) -> Profile:
    """Frequency, season and shortest history of a checked frame.

    Raises:
        Incorrect: a series is too short, irregular, or of an unsupported frequency.

    >>> days = pd.date_range("2025-01-01", periods=30)
    >>> infer_profile(pd.DataFrame({"unique_id": "a", "ds": days, "y": 1.0}))
    Profile(freq='D', season=7, history=30, series=1)
    """
    lengths = df.groupby("unique_id")["ds"].size()
    uid = str(lengths.idxmin())
    if lengths.min() < 3:
        raise Incorrect(f"series '{uid}' has fewer than 3 values")
    freqs: set[str] = set()
    for name, g in df.groupby("unique_id"):
        freq = pd.infer_freq(pd.DatetimeIndex(g["ds"]))
        if freq is None:
            raise Incorrect(f"series '{name}' is not regular (missing or uneven dates)")
        freqs.add(freq)
    if len(freqs) > 1:
        raise Incorrect(f"series have different frequencies: {', '.join(sorted(freqs))}")
    freq = freqs.pop()
    base = freq.split("-")[0]
    if base not in SEASONS:
        raise Incorrect(f"frequency '{freq}' is not supported ({', '.join(SEASONS)})")
    return Profile(freq, SEASONS[base], int(lengths.min()), int(lengths.size))
