"""The SQL that de-identifies one warehouse view, column by column (pure: no I/O).

https://duckdb.org/docs/sql/functions/date (date arithmetic)

:func:`plan_view` turns a view's columns and the policy's rules for them
into one ``SELECT`` over the view's research view (opt-outs already left
out), joined to the extract's subjects table (``patient_id``,
``research_id``, ``shift_days``, ``suppressed``). Columns the policy does not
list are dropped. The SQL is DuckDB's dialect and uses only functions
sqlglot writes for Spark too (``SHA256`` → ``SHA2``, ``STRFTIME`` →
``DATE_FORMAT``).

Dates: ``shift`` adds the patient's offset to the date part of a date or
dateTime and keeps the rest of the text (time and zone) as it is, so every
interval between two of a patient's values is kept exactly; a partial date
(``2024`` or ``2024-06``) cannot be shifted exactly and is withheld. ``year``
keeps the first four characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carehub.research.deid.policy import COLUMN_RULES, DeidPolicy
from carehub.research.deid.pseudonym import record_digest_sql
from carehub.warehouse.engines.duckdb import quote

QI_DESCRIPTIONS = {
    "age_band": "Age band at the index date (cohort) or first encounter; ages at or above the "
    "top code form one band.",
    "sex": "Administrative gender.",
    "province": "Province of residence, or its region when generalised.",
    "admission_year": "Year (or span of years) of the index date or first encounter, as released.",
}
"""Descriptions of the quasi-identifier columns added to the patient view."""


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """One released column: its name, the rule that made it and the source column."""

    name: str
    rule: str
    source: str | None


@dataclass(frozen=True, slots=True)
class ViewPlan:
    """The SQL for one view's extract, what it releases and what it drops."""

    view: str
    sql: str
    columns: tuple[ColumnPlan, ...]
    dropped: dict[str, str]


def date_sql(value: str, mode: str, shift: str = "s.shift_days") -> str:
    """SQL of a date/dateTime text ``value`` shifted by ``shift`` days, or cut to its year.

    >>> import duckdb
    >>> sql = date_sql("v", "shift", "d")
    >>> duckdb.sql(f"SELECT {sql} FROM (VALUES ('2024-02-28T23:30:00+07:00', 2), "
    ...            "('2024-06', 2), (NULL, 2)) t(v, d)").fetchall()
    [('2024-03-01T23:30:00+07:00',), (None,), (None,)]
    >>> duckdb.sql(f"SELECT {date_sql('v', 'year')} FROM (VALUES ('2024-06')) t(v)").fetchall()
    [('2024',)]
    """
    text = f"CAST({value} AS VARCHAR)"
    if mode == "year":
        return f"SUBSTRING({text}, 1, 4)"
    shifted = f"STRFTIME(CAST(SUBSTRING({text}, 1, 10) AS DATE) + {shift}, '%Y-%m-%d')"
    return f"CASE WHEN LENGTH({text}) >= 10 THEN {shifted} || SUBSTRING({text}, 11) END"


def plan_view(
    policy: DeidPolicy,
    view: str,
    columns: Sequence[str],
    *,
    source: str,
    subjects: str,
    salt: str,
    rare_tables: Mapping[str, str] | None = None,
    qi_table: str | None = None,
) -> ViewPlan:
    """The de-identifying ``SELECT`` of ``view`` (whose columns are ``columns``).

    Args:
        policy: the policy; ``policy.views[view]`` holds the column rules.
        view: the warehouse view's name.
        columns: its columns, in order.
        source: the relation read (the research view).
        subjects: the subjects table (``patient_id``, ``research_id``, ``shift_days``,
            ``suppressed``).
        salt: the record-id salt (:func:`~carehub.research.deid.pseudonym.record_salt`).
        rare_tables: column → mapping table ``(original, released)`` of its rare-code rule.
        qi_table: for the patient view, the released quasi-identifiers table.

    >>> from carehub.research.deid.policy import load_policy
    >>> plan = plan_view(load_policy("default"), "conditions", ["condition_id", "patient_id",
    ...                  "code", "onset", "_resource_id"], source="v", subjects="s", salt="ab")
    >>> [c.name for c in plan.columns], plan.dropped
    (['condition_id', 'research_id', 'code', 'onset'], {'_resource_id': 'not in policy'})
    """
    rules = policy.views[view]
    rare = dict(rare_tables or {})
    select: list[str] = []
    joins: list[str] = []
    released: list[ColumnPlan] = []
    dropped: dict[str, str] = {}
    for column in columns:
        rule = rules.get(column)
        v = f"v.{quote(column)}"
        if rule is None:
            dropped[column] = "not in policy"
        elif rule in ("drop", "free_text"):
            dropped[column] = rule
        elif rule == "research_id":
            select.append("s.research_id AS research_id")
            released.append(ColumnPlan("research_id", rule, column))
            if qi_table is not None:
                for qi in policy.quasi_identifiers:
                    select.append(f"q.{quote(qi)} AS {quote(qi)}")
                    released.append(ColumnPlan(qi, "quasi_identifier", None))
        elif rule == "record_id":
            select.append(f"{record_digest_sql(v, salt)} AS {quote(column)}")
            released.append(ColumnPlan(column, rule, column))
        elif rule == "date":
            select.append(f"{date_sql(v, policy.dates)} AS {quote(column)}")
            released.append(ColumnPlan(column, rule, column))
        elif column in rare:
            alias = f"r{len(joins)}"
            joins.append(f"LEFT JOIN {quote(rare[column])} AS {alias} ON {alias}.original = {v}")
            select.append(f"{alias}.released AS {quote(column)}")
            released.append(ColumnPlan(column, "rare_code", column))
        else:
            select.append(f"{v} AS {quote(column)}")
            released.append(ColumnPlan(column, rule, column))
    if not any(c.rule == "research_id" for c in released):
        raise ValueError(f"view '{view}' has no patient_id column to pseudonymise")
    select = _clear_changed(policy, view, select, released, rare)
    qi_join = (
        f" JOIN {quote(qi_table)} AS q ON q.patient_id = v.patient_id" if qi_table else ""
    )
    sql = (
        f"SELECT {', '.join(select)} FROM {quote(source)} AS v "
        f"JOIN {quote(subjects)} AS s ON s.patient_id = v.patient_id{qi_join} "
        + " ".join(joins)
        + " WHERE NOT s.suppressed"
    )
    return ViewPlan(view, sql, tuple(released), dropped)


def _clear_changed(
    policy: DeidPolicy,
    view: str,
    select: list[str],
    released: list[ColumnPlan],
    rare: Mapping[str, str],
) -> list[str]:
    """Blank each rule's ``clear`` columns (a display) on rows whose code was changed."""
    names = [c.name for c in released]
    out = list(select)
    for rule in policy.rare_codes:
        if rule.view != view or rule.column not in rare:
            continue
        code = f"v.{quote(rule.column)}"
        changed = f"{out[names.index(rule.column)].rsplit(' AS ', 1)[0]} IS DISTINCT FROM {code}"
        for column in rule.clear:
            if column in names:
                position = names.index(column)
                out[position] = (
                    f"CASE WHEN {changed} THEN NULL ELSE v.{quote(column)} END AS {quote(column)}"
                )
    return out


def describe_rule(rule: str) -> str:
    """What a column rule means, for the data dictionary.

    >>> describe_rule("free_text")
    'removed (free text may hold identifiers)'
    """
    extra = {
        "quasi_identifier": "generalised quasi-identifier checked for k-anonymity",
        "rare_code": "released; codes held by too few patients generalised or suppressed",
    }
    return extra.get(rule) or COLUMN_RULES[rule]
