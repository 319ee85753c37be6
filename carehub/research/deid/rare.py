"""Rare codes: codes held by too few patients are generalised, then suppressed.

https://www.who.int/standards/classifications/classification-of-diseases (ICD-10 categories)

A code that fewer than ``rare_codes.min_patients`` released patients carry
could single a patient out. A ``truncate`` rule replaces it by its first
``length`` characters (an ICD-10 code's 3-character category, ``E11.9`` →
``E11``) when the rare codes of that category together reach the threshold
(so every released category is held by enough patients), and suppresses it
(NULL) otherwise; a
``suppress`` rule suppresses it outright. The mapping is one table per rule,
computed in the engine over the patients the extract releases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from carehub.research.deid.policy import RareCodeRule
from carehub.warehouse.engines.duckdb import quote


@dataclass(frozen=True, slots=True)
class RareCodeOutcome:
    """What one rule changed: distinct codes generalised and suppressed, rows affected."""

    rule: RareCodeRule
    table: str
    codes: int
    generalised: int
    suppressed: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary (no code values)."""
        return {
            "view": self.rule.view,
            "column": self.rule.column,
            "method": self.rule.method,
            "length": self.rule.length if self.rule.method == "truncate" else None,
            "cleared_columns": list(self.rule.clear),
            "distinct_codes": self.codes,
            "codes_generalised": self.generalised,
            "codes_suppressed": self.suppressed,
        }


def mapping_sql(rule: RareCodeRule, source: str, subjects: str, minimum: int) -> str:
    """SQL of the table ``(original, released)`` for one rule.

    ``source`` is the view read, ``subjects`` the table of patients with a
    ``suppressed`` flag (only released patients count).

    >>> import duckdb
    >>> conn = duckdb.connect()
    >>> _ = conn.execute("CREATE TABLE s AS SELECT 'Patient/' || i AS patient_id, "
    ...                  "false AS suppressed FROM range(8) r(i)")
    >>> _ = conn.execute("CREATE TABLE v AS SELECT 'Patient/' || i AS patient_id, CASE "
    ...                  "WHEN i < 5 THEN 'E11.9' WHEN i < 7 THEN 'E11.2' ELSE 'Q87.1' END "
    ...                  "AS code FROM range(8) r(i)")
    >>> rule = RareCodeRule("v", "code", "truncate", 3, ())
    >>> sorted(conn.execute(mapping_sql(rule, "v", "s", 5)).fetchall())
    [('E11.2', None), ('E11.9', 'E11.9'), ('Q87.1', None)]
    >>> sorted(conn.execute(mapping_sql(rule, "v", "s", 2)).fetchall())
    [('E11.2', 'E11.2'), ('E11.9', 'E11.9'), ('Q87.1', None)]
    """
    column = quote(rule.column)
    src = (
        f"SELECT DISTINCT v.patient_id, v.{column} AS code FROM {quote(source)} AS v "
        f"JOIN {quote(subjects)} AS s ON s.patient_id = v.patient_id "
        f"WHERE NOT s.suppressed AND v.{column} IS NOT NULL"
    )
    if rule.method == "suppress":
        return (
            f"SELECT code AS original, CASE WHEN n >= {minimum} THEN code END AS released "
            f"FROM (SELECT code, count(*) AS n FROM ({src}) AS s GROUP BY code) AS counts"
        )
    length = rule.length
    counts = f"SELECT code, count(*) AS n FROM ({src}) AS s GROUP BY code"
    rare = (
        f"SELECT LEFT(s.code, {length}) AS category, count(DISTINCT s.patient_id) AS n "
        f"FROM ({src}) AS s JOIN ({counts}) AS f ON f.code = s.code WHERE f.n < {minimum} "
        "GROUP BY 1"
    )
    return (
        f"SELECT f.code AS original, CASE WHEN f.n >= {minimum} THEN f.code "
        f"WHEN c.n >= {minimum} THEN c.category END AS released FROM ({counts}) AS f "
        f"LEFT JOIN ({rare}) AS c ON c.category = LEFT(f.code, {length})"
    )


def build_mapping(
    conn: duckdb.DuckDBPyConnection,
    rule: RareCodeRule,
    source: str,
    subjects: str,
    minimum: int,
    table: str,
) -> RareCodeOutcome:
    """Create mapping table ``table`` for ``rule`` and summarise it."""
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {quote(table)} AS "
        f"{mapping_sql(rule, source, subjects, minimum)}"
    )
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE released IS NOT NULL AND released <> original), "
        f"count(*) FILTER (WHERE released IS NULL) FROM {quote(table)}"
    ).fetchone()
    codes, generalised, suppressed = (int(v) for v in row) if row else (0, 0, 0)
    return RareCodeOutcome(rule, table, codes, generalised, suppressed)
