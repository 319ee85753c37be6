"""Aggregate outputs with small-cell suppression.

https://www.ons.gov.uk/methodology/methodologytopicsandstatisticalconcepts/disclosurecontrol

A count below the policy's ``aggregates.min_cell`` (but above zero) is
withheld: the cell's count is NULL and ``suppressed`` is true. Only the count
is withheld; the dimension values are already generalised quasi-identifiers.
"""

from __future__ import annotations

from collections.abc import Sequence

from carehub.warehouse.engines.duckdb import quote


def counts_sql(source: str, by: Sequence[str], min_cell: int, unit: str = "research_id") -> str:
    """SQL counting distinct ``unit`` per combination of ``by``, small cells suppressed.

    >>> import duckdb
    >>> conn = duckdb.connect()
    >>> _ = conn.execute("CREATE TABLE t AS SELECT i AS research_id, "
    ...                  "CASE WHEN i < 7 THEN 'a' ELSE 'b' END AS sex FROM range(9) r(i)")
    >>> conn.execute(counts_sql("t", ["sex"], 5)).fetchall()
    [('a', 7, False), ('b', None, True)]
    """
    if not by:
        raise ValueError("an aggregate needs at least one dimension")
    dims = ", ".join(quote(c) for c in by)
    n = f"count(DISTINCT {quote(unit)})"
    return (
        f"SELECT {dims}, CASE WHEN {n} >= {min_cell} THEN {n} END AS patients, "
        f"{n} < {min_cell} AS suppressed FROM {quote(source)} GROUP BY {dims} ORDER BY {dims}"
    )
