"""Monthly consumption from the warehouse's dispensing data.

Reads the ``medications_dispensed`` view (SQL-on-FHIR ViewDefinition over
MedicationDispense, https://hl7.org/fhir/R4/medicationdispense.html): the
quantity handed over, summed by medication code and calendar month of
``when_handed_over``. Cancelled or not-yet-completed dispenses are left out
(``status`` other than ``completed``; a missing status counts as completed).

The result feeds :func:`carehub.ops.supply.advice.reorder_list` as
``consumption`` (dispensing is what the pharmacy store issued to patients).
"""

from __future__ import annotations

import datetime
from typing import Any, Protocol

from carehub.errors import NotFound

VIEW = "medications_dispensed"

_SQL = (
    "SELECT medication_code, substr(CAST(when_handed_over AS VARCHAR), 1, 7) AS month, "
    "sum(quantity) FROM {view} "
    "WHERE medication_code IS NOT NULL AND when_handed_over IS NOT NULL "
    "AND quantity IS NOT NULL AND coalesce(status, 'completed') = 'completed' "
    "GROUP BY 1, 2 ORDER BY 1, 2"
)


class Connection(Protocol):
    """The part of a DuckDB (DB-API) connection used here."""

    def execute(self, query: str, parameters: Any = ...) -> Any:
        """Run ``query``; the result has ``fetchall()``."""
        ...


def dispensed_by_month(
    conn: Connection, store: str = "main", view: str = VIEW
) -> dict[tuple[str, str], dict[datetime.date, float]]:
    """Units dispensed per (medication code, ``store``) and month.

    Raises:
        NotFound: the view is not in the warehouse (build it with
            ``carehub warehouse build``).

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE medications_dispensed AS SELECT * FROM (VALUES "
    ...     "('amox', '2024-01-03T10:00:00+07:00', 20.0, 'completed'), "
    ...     "('amox', '2024-01-20', 10.0, NULL), ('amox', '2024-02-01', 5.0, 'cancelled')) "
    ...     "t(medication_code, when_handed_over, quantity, status)")
    >>> dispensed_by_month(con)
    {('amox', 'main'): {datetime.date(2024, 1, 1): 30.0}}
    """
    try:
        rows = conn.execute(_SQL.format(view=view)).fetchall()
    except Exception as exc:
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            raise NotFound(
                f"warehouse table {view!r} not found: run 'carehub warehouse build' first"
            ) from exc
        raise
    out: dict[tuple[str, str], dict[datetime.date, float]] = {}
    for code, month, total in rows:
        day = datetime.date.fromisoformat(f"{month}-01")
        out.setdefault((str(code), store), {})[day] = float(total)
    return out
