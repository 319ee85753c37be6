"""Daily demand series from the warehouse: visits, emergency arrivals, admissions, census.

https://sqlglot.com/sqlglot/transpile.html (queries written once, in Spark SQL)

The queries are :class:`~carehub.warehouse.marts.Mart` definitions run
through the engine's own sqlglot transpiler, like every mart, but computed
on demand rather than stored: :data:`DAILY_ENCOUNTERS` reads the
``encounters`` view, :data:`CENSUS` the ``daily_census`` mart. The series:

* ``visits/<department>``: encounters of every class started that day
  (their sum ``visits`` is the hospital's total daily visits);
* ``outpatient/<department>``: ``AMB`` encounters (sum ``outpatient``);
* ``emergency``: ``EMER`` arrivals;
* ``admissions`` and ``discharges``: inpatient stays started and ended;
* ``census/<ward>``: the midnight census, i.e. inpatients present that day
  less those discharged that day (sum ``census``).

Every series is daily from the first encounter day to the build's ``as_of``
day (or the last day with data), days without activity counting zero.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import pandas as pd

from carehub.errors import Incorrect
from carehub.ops.forecast.reconcile import add_totals, hierarchy
from carehub.ops.forecast.series import check_frame
from carehub.warehouse.marts import Mart, MartColumn


class SqlRunner(Protocol):
    """What the series need of a warehouse engine (DuckDB's has both)."""

    def transpile(self, tree: Any) -> str:
        """Write a sqlglot tree in the engine's dialect."""
        ...

    @property
    def connection(self) -> Any:
        """A DB-API connection whose ``execute(...).df()`` returns a DataFrame."""
        ...


DAILY_ENCOUNTERS = Mart(
    name="daily_encounters",
    title="Daily encounters by department and class",
    description="Per day, department and class: encounters started (cancelled ones left out).",
    depends_on=("encounters",),
    columns=(
        MartColumn("day", "DATE", "Local date the encounters started."),
        MartColumn("department_code", "VARCHAR", "Department code."),
        MartColumn("class", "VARCHAR", "AMB, EMER, IMP..."),
        MartColumn("encounters", "BIGINT", "Encounters started."),
    ),
    sql="""
SELECT CAST(SUBSTRING(period_start, 1, 10) AS DATE) AS day,
       COALESCE(department_code, 'unknown') AS department_code, class,
       COUNT(*) AS encounters
FROM encounters
WHERE status <> 'cancelled' AND status <> 'entered-in-error' AND period_start IS NOT NULL
  AND CAST(SUBSTRING(period_start, 1, 10) AS DATE) <= DATE '{as_of}'
GROUP BY CAST(SUBSTRING(period_start, 1, 10) AS DATE), COALESCE(department_code, 'unknown'),
         class
""",
)

CENSUS = Mart(
    name="daily_midnight_census",
    title="Daily admissions, discharges and midnight census by ward",
    description="From daily_census: admissions, discharges and inpatients at midnight.",
    depends_on=("daily_census",),
    columns=(
        MartColumn("day", "DATE", "The day."),
        MartColumn("department_code", "VARCHAR", "Ward (department) code."),
        MartColumn("admissions", "BIGINT", "Stays started."),
        MartColumn("discharges", "BIGINT", "Stays ended."),
        MartColumn("midnight", "BIGINT", "Inpatients present at the end of the day."),
    ),
    sql="""
SELECT census_date AS day, COALESCE(department_code, 'unknown') AS department_code,
       admissions, discharges, inpatients - discharges AS midnight
FROM daily_census
WHERE census_date <= DATE '{as_of}'
""",
)


def _query(runner: SqlRunner, mart: Mart, as_of: dt.date) -> pd.DataFrame:
    frame: pd.DataFrame = runner.connection.execute(runner.transpile(mart.query(as_of))).df()
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def _series(frame: pd.DataFrame, value: str, name: str) -> pd.DataFrame:
    out = frame.groupby("day", as_index=False)[value].sum()
    return pd.DataFrame({"unique_id": name, "ds": out["day"], "y": out[value].astype(float)})


def _by_department(frame: pd.DataFrame, value: str, prefix: str) -> pd.DataFrame:
    out = frame.groupby(["department_code", "day"], as_index=False)[value].sum()
    return pd.DataFrame(
        {
            "unique_id": prefix + "/" + out["department_code"].astype(str),
            "ds": out["day"],
            "y": out[value].astype(float),
        }
    )


def _fill(df: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    days = pd.date_range(first, last, freq="D")
    full = pd.MultiIndex.from_product(
        [sorted(df["unique_id"].unique()), days], names=["unique_id", "ds"]
    )
    out = df.set_index(["unique_id", "ds"])["y"].reindex(full, fill_value=0.0).reset_index()
    return out


def built_as_of(warehouse: Any) -> dt.date | None:
    """The date the warehouse was built or refreshed for (its ``as_of`` state), if recorded.

    Series stop there by default: data past it (an encounter that began after
    midnight of the last day) would end every series with a partial day.
    """
    text = warehouse.state("as_of")
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def warehouse_series(runner: SqlRunner, as_of: dt.date | None = None) -> pd.DataFrame:
    """Every demand series of the module docstring, as one checked long frame.

    Args:
        runner: the warehouse's engine (``Warehouse(...).engine``).
        as_of: the last day (default: the last day with an encounter).

    Raises:
        Incorrect: the warehouse has no ``encounters`` table or no encounter.
    """
    day = as_of or dt.date(9999, 12, 31)
    try:
        encounters = _query(runner, DAILY_ENCOUNTERS, day)
    except Exception as exc:  # the engine's own error type
        raise Incorrect(f"the warehouse has no usable 'encounters' view: {exc}") from exc
    if encounters.empty:
        raise Incorrect("the warehouse holds no encounter")
    try:
        census = _query(runner, CENSUS, day)
    except Exception:  # no daily_census mart: no inpatient series
        census = pd.DataFrame(columns=["day", "department_code", "admissions", "discharges"])
    parts = [
        _by_department(encounters, "encounters", "visits"),
        _by_department(encounters[encounters["class"] == "AMB"], "encounters", "outpatient"),
        _series(encounters[encounters["class"] == "EMER"], "encounters", "emergency"),
    ]
    if not census.empty:
        parts += [
            _series(census, "admissions", "admissions"),
            _series(census, "discharges", "discharges"),
            _by_department(census, "midnight", "census"),
        ]
    df = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    first = encounters["day"].min()
    last = encounters["day"].max()  # never past the data: no made-up empty days
    if as_of is not None:
        last = min(last, pd.Timestamp(as_of))
    df = _fill(df[(df["ds"] >= first) & (df["ds"] <= last)], first, last)
    df = add_totals(df, hierarchy(sorted(df["unique_id"].unique())))
    return check_frame(df)
