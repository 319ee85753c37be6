"""Series from a CSV file, long or wide.

https://nixtlaverse.nixtla.io/statsforecast/docs/getting-started/getting_started_short.html

Two layouts are read:

* **long**: columns ``unique_id``, ``ds``, ``y`` (others ignored);
* **wide**: a first column of dates (``date``, ``ds``, ``day``, ``month``...)
  and one numeric column per series. A single value column is named after
  the file (``pbs_a10_antidiabetic_monthly.csv`` → series
  ``pbs_a10_antidiabetic_monthly``); several are named after their column.

Dates may be days (``2025-01-31``) or months (``2025-01``, read as the first
of the month).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from carehub.errors import Incorrect, NotFound
from carehub.ops.forecast.series import check_frame

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def read_series_csv(path: str | Path) -> pd.DataFrame:
    """Read ``path`` into a checked long frame.

    Raises:
        NotFound: the file does not exist.
        Incorrect: it is not a CSV of one of the two layouts, or a value is
            not a number (the message names the file).
    """
    file = Path(path)
    if not file.is_file():
        raise NotFound(f"CSV file {file} does not exist")
    try:
        raw = pd.read_csv(file, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise Incorrect(f"{file.name}: not a readable CSV ({str(exc).splitlines()[0]})") from exc
    try:
        return check_frame(to_long(raw, file.stem))
    except Incorrect as exc:
        raise Incorrect(f"{file.name}: {exc}") from exc


def to_long(raw: pd.DataFrame, stem: str) -> pd.DataFrame:
    """A long frame from a CSV table of either layout (strings in, strings out).

    Raises:
        Incorrect: too few columns for either layout.

    >>> raw = pd.DataFrame({"month": ["2025-01", "2025-02"], "cost": ["1.5", "2"]})
    >>> to_long(raw, "drug").values.tolist()
    [['drug', '2025-01-01', '1.5'], ['drug', '2025-02-01', '2']]
    """
    if {"unique_id", "ds", "y"} <= set(raw.columns):
        out = raw[["unique_id", "ds", "y"]].copy()
    else:
        if raw.shape[1] < 2:
            raise Incorrect(
                "expected columns unique_id,ds,y or a date column followed by value columns"
            )
        date_col, values = raw.columns[0], list(raw.columns[1:])
        out = raw.melt(id_vars=[date_col], value_vars=values, var_name="unique_id", value_name="y")
        out = out.rename(columns={date_col: "ds"})
        if len(values) == 1:
            out["unique_id"] = stem
        out = out[["unique_id", "ds", "y"]]
    out["ds"] = out["ds"].map(lambda d: f"{d}-01" if isinstance(d, str) and _MONTH.match(d) else d)
    return out.reset_index(drop=True)
