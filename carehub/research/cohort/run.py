"""Run a cohort in the warehouse engine: tables, attrition, the patients found.

https://ohdsi.github.io/TheBookOfOhdsi/Cohorts.html

:func:`run_cohort` builds the :class:`~carehub.research.cohort.compile.CohortPlan`
tables in the engine (the warehouse's DuckDB file, or a Spark session whose
views hold the warehouse tables) and reads back only the attrition counts;
patients never pass through Python except through
:meth:`CohortResult.patient_ids`, which reads the result table's keys.

Failure modes: :class:`~carehub.errors.Incorrect` when a table the cohort
reads is missing from the warehouse (build it first) or a query fails.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from carehub.errors import Incorrect
from carehub.research.cohort.compile import CohortPlan, plan_cohort
from carehub.research.cohort.model import CohortDefinition
from carehub.warehouse.engines.base import Engine
from carehub.warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class AttritionStep:
    """One row of the attrition table: how many patients a criterion removed."""

    criterion: str
    before: int
    removed: int
    after: int


@dataclass(frozen=True, slots=True)
class CohortResult:
    """A cohort built in an engine.

    Attributes:
        definition: what was run.
        table: the engine relation with ``patient_id`` and ``index_date`` (DATE).
        attrition: the index event first, then one step per criterion in order.
        engine: the engine holding :attr:`table`.
        seconds: how long the run took.
    """

    definition: CohortDefinition
    table: str
    attrition: tuple[AttritionStep, ...]
    engine: Engine
    seconds: float

    @property
    def size(self) -> int:
        """Patients in the cohort."""
        return self.attrition[-1].after

    def patient_ids(self) -> list[str]:
        """The warehouse keys (``Patient/<id>``) of the cohort's patients, sorted."""
        rows = fetch(self.engine, f"SELECT patient_id FROM {self.table} ORDER BY patient_id")
        return [str(r[0]) for r in rows]


def fetch(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    """Run a query written in ``engine``'s dialect and return its rows.

    Raises:
        Incorrect: the query fails.
    """
    connection = getattr(engine, "connection", None)
    try:
        if connection is not None:
            return [tuple(r) for r in connection.execute(sql).fetchall()]
        session = engine.session  # type: ignore[attr-defined]
        return [tuple(r) for r in session.sql(sql).collect()]
    except Exception as exc:  # DuckDB, py4j and Spark errors share no base class
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Incorrect(f"cohort query failed on {engine.name}: {first}") from exc


def table_names(engine: Engine) -> set[str]:
    """The relations the engine knows (tables and views)."""
    connection = getattr(engine, "connection", None)
    if connection is not None:
        rows = connection.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return {str(r[0]) for r in rows}
    session = engine.session  # type: ignore[attr-defined]
    return {t.name for t in session.catalog.listTables()}


def attrition_steps(
    labels: Sequence[str], index_label: str, counts: Sequence[int]
) -> tuple[AttritionStep, ...]:
    """The attrition table from the index count followed by the count left after each criterion.

    >>> [(s.criterion, s.before, s.removed, s.after)
    ...  for s in attrition_steps(["adult"], "index", [10, 7])]
    [('index', 10, 0, 10), ('adult', 10, 3, 7)]
    """
    steps = [AttritionStep(index_label, counts[0], 0, counts[0])]
    before = counts[0]
    for label, after in zip(labels, counts[1:], strict=True):
        steps.append(AttritionStep(label, before, before - after, after))
        before = after
    return tuple(steps)


def run_cohort(
    definition: CohortDefinition, warehouse: Warehouse | Engine, *, prefix: str = "cohort_"
) -> CohortResult:
    """Build the cohort's tables in the warehouse engine and count its attrition.

    Args:
        definition: the cohort.
        warehouse: a warehouse (its DuckDB file is used) or an engine whose
            relations hold the warehouse tables (e.g. Spark).
        prefix: the prefix of the tables made (``<prefix><name>``).

    Raises:
        Incorrect: a table the cohort reads is missing, or a query failed.
    """
    start = time.perf_counter()
    engine = warehouse.engine if isinstance(warehouse, Warehouse) else warehouse
    plan: CohortPlan = plan_cohort(definition, prefix)
    known = table_names(engine)
    missing = [t for t in plan.tables if t not in known]
    if missing:
        raise Incorrect(
            f"the warehouse has no {', '.join(missing)}: run `carehub warehouse build` first"
        )
    for table, query in plan.steps:
        engine.create_table(table, engine.transpile(query))
    row = fetch(engine, engine.transpile(plan.attrition_query))[0]
    counts = [int(v or 0) for v in row]
    index_label = f"index: {definition.index.occurrence} {definition.index.criterion.name}"
    steps = attrition_steps(plan.labels, index_label, counts)
    return CohortResult(definition, plan.result_table, steps, engine, time.perf_counter() - start)
