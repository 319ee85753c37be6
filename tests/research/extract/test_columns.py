"""The per-column SQL: exact date shifts, allow-listed columns, SQL Spark can run too."""

from __future__ import annotations

import datetime

import duckdb
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from carehub.research.deid import load_policy
from carehub.research.extract.columns import date_sql, plan_view

instants = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2100, 12, 31)
).map(lambda d: d.replace(microsecond=0))


@settings(max_examples=25, deadline=None)
@given(st.lists(instants, min_size=2, max_size=6), st.integers(-3650, 3650),
       st.sampled_from(["+07:00", "Z", ""]))
def test_shifting_keeps_every_interval(
    values: list[datetime.datetime], shift: int, zone: str
) -> None:
    texts = [v.isoformat() + zone for v in values]
    with duckdb.connect() as conn:
        rows = conn.execute(
            f"SELECT {date_sql('v', 'shift', 'd')} FROM (SELECT UNNEST(?) AS v, ? AS d) AS t",
            [texts, shift],
        ).fetchall()
    shifted = [datetime.datetime.fromisoformat(r[0].replace("Z", "+00:00")) for r in rows]
    original = [datetime.datetime.fromisoformat(t.replace("Z", "+00:00")) for t in texts]
    assert {s - o for s, o in zip(shifted, original, strict=True)} == {
        datetime.timedelta(days=shift)
    }


def test_unlisted_columns_are_dropped_and_identifiers_never_selected() -> None:
    policy = load_policy("default")
    plan = plan_view(
        policy, "patients",
        ["patient_id", "mrn", "family_name", "birth_date", "state", "new_column", "deceased"],
        source="research_patients", subjects="s", salt="00ff", qi_table="q",
    )
    names = [c.name for c in plan.columns]
    assert names == ["research_id", *policy.quasi_identifiers, "deceased"]
    assert plan.dropped["new_column"] == "not in policy"
    for identifier in ("mrn", "family_name", "birth_date", "state"):
        assert f'v."{identifier}"' not in plan.sql


def test_every_policy_view_transpiles_to_spark() -> None:
    policy = load_policy("default")
    for view, rules in policy.views.items():
        plan = plan_view(policy, view, list(rules), source=f"research_{view}", subjects="s",
                         salt="ab", rare_tables={"code": "m"}, qi_table=None)
        spark = sqlglot.transpile(plan.sql, read="duckdb", write="spark")[0]
        assert "SHA2(" in spark or "record_id" not in rules.values()
