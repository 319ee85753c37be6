"""Compile a cohort definition to SQL over the warehouse's views (one tree for every engine).

https://sqlglot.com/sqlglot/transpile.html

The queries are written once, in Spark SQL (like the warehouse's marts),
parsed by sqlglot and written in each engine's dialect by
:meth:`~carehub.warehouse.engines.base.Engine.transpile`, so the same plan
runs on DuckDB and on Spark. A :class:`CohortPlan` has three tables:

1. ``cohort_<name>_index``: per patient, the date of the first (or last)
   index event (inside the index period, if any);
2. ``cohort_<name>_criteria``: per indexed patient, one boolean ``k<i>`` per
   criterion, true when the patient *passes* it (has enough matching events
   in the window, or, for an exclusion, has not), computed by joining each
   criterion's matching-event counts;
3. ``cohort_<name>``: ``patient_id`` and ``index_date`` of the patients who
   pass every criterion.

Attrition (:data:`CohortPlan.attrition`) is one aggregate over the criteria
table: the patients left after each criterion, in order.

Events are read from the warehouse views: ``conditions`` (onset, else
recorded date), ``labs`` (the mart in canonical units, so thresholds are in
the canonical unit of the LOINC code), ``medications_requested`` and
``medications_dispensed`` (authored, handed over or prepared), ``procedures``
(performed) and ``encounters`` (period start; codes are the encounter class).
Records marked entered-in-error, cancelled, refuted or not done never count.
Event dates are the local calendar dates written in the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from carehub.research.cohort.model import CohortDefinition, Criterion

DIALECT = "spark"
"""The dialect the cohort queries are written in."""

_DAY = "CAST(SUBSTRING({col}, 1, 10) AS DATE)"

EVENT_SQL = {
    "condition": (
        f"SELECT patient_id, {_DAY.format(col='COALESCE(onset, recorded_date)')} AS event_date, "
        "code, CAST(NULL AS DOUBLE) AS value FROM conditions "
        "WHERE COALESCE(verification_status, '') NOT IN ('entered-in-error', 'refuted')"
    ),
    "lab": (
        f"SELECT patient_id, {_DAY.format(col='effective')} AS event_date, "
        "loinc_code AS code, value FROM labs "
        "WHERE COALESCE(status, '') NOT IN ('entered-in-error', 'cancelled')"
    ),
    "medication": (
        f"SELECT patient_id, {_DAY.format(col='authored_on')} AS event_date, "
        "medication_code AS code, CAST(NULL AS DOUBLE) AS value FROM medications_requested "
        "WHERE COALESCE(status, '') NOT IN ('entered-in-error', 'cancelled') "
        "UNION ALL "
        f"SELECT patient_id, {_DAY.format(col='COALESCE(when_handed_over, when_prepared)')} "
        "AS event_date, medication_code AS code, CAST(NULL AS DOUBLE) AS value "
        "FROM medications_dispensed "
        "WHERE COALESCE(status, '') NOT IN ('entered-in-error', 'cancelled', 'declined')"
    ),
    "procedure": (
        f"SELECT patient_id, {_DAY.format(col='performed_start')} AS event_date, code, "
        "CAST(NULL AS DOUBLE) AS value FROM procedures "
        "WHERE COALESCE(status, '') NOT IN ('entered-in-error', 'not-done')"
    ),
    "encounter": (
        f"SELECT patient_id, {_DAY.format(col='period_start')} AS event_date, "
        "class AS code, CAST(NULL AS DOUBLE) AS value FROM encounters "
        "WHERE COALESCE(status, '') NOT IN ('entered-in-error', 'cancelled')"
    ),
}
"""One ``(patient_id, event_date, code, value)`` query per event type, over warehouse views."""

EVENT_TABLES = {
    "condition": ("conditions",),
    "lab": ("labs",),
    "medication": ("medications_requested", "medications_dispensed"),
    "procedure": ("procedures",),
    "encounter": ("encounters",),
}
"""The warehouse tables each event type reads."""

_AGE = (
    "YEAR(i.index_date) - YEAR(p.birth) - CASE WHEN MONTH(i.index_date) < MONTH(p.birth) "
    "OR (MONTH(i.index_date) = MONTH(p.birth) AND DAY(i.index_date) < DAY(p.birth)) "
    "THEN 1 ELSE 0 END"
)


def literal(text: str) -> str:
    """A SQL string literal.

    >>> literal("O'Brien")
    "'O''Brien'"
    """
    return "'" + text.replace("'", "''") + "'"


def code_test(criterion: Criterion, column: str = "e.code") -> str:
    """The SQL test of an event's code against the criterion's codes.

    >>> code_test(Criterion("condition", "c", ("E11", "E10"), "prefix"))
    "(e.code LIKE 'E11%' OR e.code LIKE 'E10%')"
    >>> code_test(Criterion("lab", "l", ("4548-4",), "exact"))
    "e.code IN ('4548-4')"
    """
    if criterion.match == "prefix":
        escaped = [c.replace("%", "").replace("_", "") for c in criterion.codes]
        return "(" + " OR ".join(f"{column} LIKE {literal(c + '%')}" for c in escaped) + ")"
    return f"{column} IN ({', '.join(literal(c) for c in criterion.codes)})"


def event_test(criterion: Criterion) -> str:
    """Code and value tests of one event criterion over alias ``e``.

    >>> from carehub.research.cohort.model import ValueRange
    >>> event_test(Criterion("lab", "l", ("2345-7",), value=ValueRange(min=7.0)))
    "e.code IN ('2345-7') AND e.value >= 7.0"
    """
    tests = [code_test(criterion)]
    if criterion.value is not None:
        if criterion.value.min is not None:
            tests.append(f"e.value >= {criterion.value.min!r}")
        if criterion.value.max is not None:
            tests.append(f"e.value <= {criterion.value.max!r}")
    return " AND ".join(tests)


def window_test(criterion: Criterion) -> str:
    """The window test (days from ``i.index_date`` to ``e.event_date``); ``TRUE`` if open.

    >>> from carehub.research.cohort.model import Window
    >>> window_test(Criterion("condition", "c", ("I10",), window=Window(-30, 0)))
    'DATEDIFF(e.event_date, i.index_date) BETWEEN -30 AND 0'
    """
    start, end = criterion.window.start, criterion.window.end
    days = "DATEDIFF(e.event_date, i.index_date)"
    if start is not None and end is not None:
        return f"{days} BETWEEN {start} AND {end}"
    if start is not None:
        return f"{days} >= {start}"
    if end is not None:
        return f"{days} <= {end}"
    return "TRUE"


@dataclass(frozen=True, slots=True)
class CohortPlan:
    """The tables of one cohort and their queries (sqlglot trees, engine-neutral)."""

    name: str
    index_table: str
    criteria_table: str
    result_table: str
    index_query: exp.Expression
    criteria_query: exp.Expression
    result_query: exp.Expression
    attrition_query: exp.Expression
    labels: tuple[str, ...]
    tables: tuple[str, ...]

    @property
    def steps(self) -> list[tuple[str, exp.Expression]]:
        """``(table, query)`` in the order they are built."""
        return [
            (self.index_table, self.index_query),
            (self.criteria_table, self.criteria_query),
            (self.result_table, self.result_query),
        ]


def _parse(text: str) -> exp.Expression:
    tree = sqlglot.parse_one(text, read=DIALECT)
    assert isinstance(tree, exp.Expression)
    return tree


def index_sql(definition: CohortDefinition) -> str:
    """The query of the index table: one row per patient with an index event."""
    event = definition.index
    tests = [event_test(event.criterion), "e.event_date IS NOT NULL", "e.patient_id IS NOT NULL"]
    if event.period_start is not None:
        tests.append(f"e.event_date >= DATE {literal(event.period_start.isoformat())}")
    if event.period_end is not None:
        tests.append(f"e.event_date <= DATE {literal(event.period_end.isoformat())}")
    pick = "MIN" if event.occurrence == "first" else "MAX"
    return (
        f"SELECT e.patient_id AS patient_id, {pick}(e.event_date) AS index_date "
        f"FROM ({EVENT_SQL[event.criterion.type]}) AS e WHERE {' AND '.join(tests)} "
        "GROUP BY e.patient_id"
    )


def _flag(criterion: Criterion, position: int) -> tuple[str, str | None]:
    """(SQL of "the patient has it", the join it needs or None)."""
    if criterion.type == "age":
        age = f"({_AGE})"
        tests = []
        if criterion.age_min is not None:
            tests.append(f"{age} >= {criterion.age_min}")
        if criterion.age_max is not None:
            tests.append(f"{age} <= {criterion.age_max}")
        return f"COALESCE({' AND '.join(tests)}, FALSE)", None
    if criterion.type == "sex":
        sexes = ", ".join(literal(s) for s in criterion.sexes)
        return f"COALESCE(p.gender IN ({sexes}), FALSE)", None
    alias = f"m{position}"
    join = (
        f"LEFT JOIN (SELECT i.patient_id, COUNT(*) AS n FROM {{index}} AS i "
        f"JOIN ({EVENT_SQL[criterion.type]}) AS e ON e.patient_id = i.patient_id "
        f"WHERE {event_test(criterion)} AND {window_test(criterion)} "
        f"GROUP BY i.patient_id) AS {alias} ON {alias}.patient_id = i.patient_id"
    )
    return f"COALESCE({alias}.n, 0) >= {criterion.min_count}", join


def plan_cohort(definition: CohortDefinition, prefix: str = "cohort_") -> CohortPlan:
    """Compile ``definition`` to the queries of its tables (pure: no I/O).

    >>> from carehub.research.cohort.model import parse_cohort
    >>> plan = plan_cohort(parse_cohort({"name": "htn",
    ...     "index": {"type": "condition", "codes": ["I10"]},
    ...     "exclusion": [{"type": "sex", "sexes": ["male"]}]}))
    >>> plan.result_table, plan.labels
    ('cohort_htn', ('sex male',))
    >>> print(plan.result_query.sql(dialect="duckdb"))
    SELECT patient_id, index_date FROM cohort_htn_criteria WHERE k0
    """
    base = f"{prefix}{definition.name}"
    index_table, criteria_table = f"{base}_index", f"{base}_criteria"
    columns = ["i.patient_id AS patient_id", "i.index_date AS index_date"]
    joins: list[str] = []
    needs_patient = False
    for position, (criterion, include) in enumerate(definition.criteria):
        has, join = _flag(criterion, position)
        if join is None:
            needs_patient = True
        else:
            joins.append(join.replace("{index}", index_table))
        columns.append(f"{has if include else f'NOT ({has})'} AS k{position}")
    if needs_patient:
        joins.insert(
            0,
            "LEFT JOIN (SELECT patient_id, gender, "
            f"{_DAY.format(col='birth_date')} AS birth FROM patients) AS p "
            "ON p.patient_id = i.patient_id",
        )
    criteria_sql = f"SELECT {', '.join(columns)} FROM {index_table} AS i {' '.join(joins)}"
    count = len(definition.criteria)
    passes = " AND ".join(f"k{n}" for n in range(count)) or "TRUE"
    result_sql = f"SELECT patient_id, index_date FROM {criteria_table} WHERE {passes}"
    sums = ["COUNT(*) AS n"]
    for n in range(count):
        upto = " AND ".join(f"k{m}" for m in range(n + 1))
        sums.append(f"SUM(CASE WHEN {upto} THEN 1 ELSE 0 END) AS after{n}")
    attrition_sql = f"SELECT {', '.join(sums)} FROM {criteria_table}"
    return CohortPlan(
        name=definition.name,
        index_table=index_table,
        criteria_table=criteria_table,
        result_table=base,
        index_query=_parse(index_sql(definition)),
        criteria_query=_parse(criteria_sql),
        result_query=_parse(result_sql),
        attrition_query=_parse(attrition_sql),
        labels=tuple(c.name for c, _ in definition.criteria),
        tables=required_tables(definition),
    )


def required_tables(definition: CohortDefinition) -> tuple[str, ...]:
    """The warehouse tables the cohort reads, sorted.

    >>> from carehub.research.cohort.model import parse_cohort
    >>> required_tables(parse_cohort({"name": "a", "index": {"type": "lab", "codes": ["1-8"]},
    ...     "inclusion": [{"type": "age", "min": 1}]}))
    ('labs', 'patients')
    """
    kinds: list[Criterion] = [definition.index.criterion, *(c for c, _ in definition.criteria)]
    out: set[str] = set()
    for c in kinds:
        out.update(EVENT_TABLES.get(c.type, ("patients",)))
    return tuple(sorted(out))


def sql_texts(plan: CohortPlan, dialect: str) -> Sequence[tuple[str, str]]:
    """Every ``(table, SQL)`` of ``plan`` in ``dialect`` (``attrition`` for the counts)."""
    steps = [(t, q.sql(dialect=dialect)) for t, q in plan.steps]
    return [*steps, ("attrition", plan.attrition_query.sql(dialect=dialect))]
