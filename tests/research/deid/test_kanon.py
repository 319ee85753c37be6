"""k-anonymity search on hand-made quasi-identifier tables, checked by counting in Python."""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

from carehub.research.deid.kanon import search
from carehub.research.deid.policy import load_policy


def qi_table(rows: list[tuple[str, int, str, str, int]]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE qi (patient_id VARCHAR, age INTEGER, sex VARCHAR, "
                 "province VARCHAR, admission_year INTEGER)")
    conn.executemany("INSERT INTO qi VALUES (?, ?, ?, ?, ?)", rows)
    return conn


def released_classes(conn: duckdb.DuckDBPyConnection) -> Counter[tuple[object, ...]]:
    rows = conn.execute("SELECT age_band, sex, province, admission_year FROM released "
                        "WHERE NOT suppressed").fetchall()
    return Counter(rows)


def test_no_generalisation_when_already_k_anonymous() -> None:
    rows = [(f"p{i}", 41 + i % 3, "female", "Hà Nội", 2024) for i in range(10)]
    conn = qi_table(rows)
    result = search(conn, load_policy("default"), "qi", "released")
    assert result.suppressed == 0
    assert result.levels == {"age_band": 5, "sex": "sex", "province": "province",
                             "admission_year": 1}
    assert released_classes(conn) == {("40-44", "female", "Hà Nội", "2024"): 10}


def test_generalises_before_suppressing_and_suppresses_the_fewest() -> None:
    # 5 in Hải Phòng and 5 in Hà Nội are each k-anonymous; 2 in Bắc Ninh are not, but all
    # three provinces are in one region: generalising the province keeps all 12.
    rows = [(f"a{i}", 30, "male", "Hà Nội", 2024) for i in range(5)]
    rows += [(f"b{i}", 31, "male", "Hải Phòng", 2024) for i in range(5)]
    rows += [(f"c{i}", 32, "male", "Bắc Ninh", 2024) for i in range(2)]
    conn = qi_table(rows)
    policy = load_policy({"extends": "default", "k_anonymity": {"k": 5, "max_suppression": 0.0}})
    result = search(conn, policy, "qi", "released")
    assert result.suppressed == 0 and result.levels["province"] == "region"
    assert min(released_classes(conn).values()) >= 5
    # allowing 20 % suppression keeps the provinces and drops exactly the 2 patients
    lenient = load_policy({"extends": "default", "k_anonymity": {"max_suppression": 0.2}})
    conn2 = qi_table(rows)
    result2 = search(conn2, lenient, "qi", "released")
    assert (result2.suppressed, result2.levels["province"]) == (2, "province")
    suppressed = {r[0] for r in conn2.execute(
        "SELECT patient_id FROM released WHERE suppressed").fetchall()}
    assert suppressed == {"c0", "c1"}


@pytest.mark.parametrize("age", [90, 97, 104])
def test_ages_of_90_and_over_are_top_coded(age: int) -> None:
    rows = [(f"p{i}", age + i % 2, "female", "Hà Nội", 2024) for i in range(6)]
    conn = qi_table(rows)
    search(conn, load_policy("default"), "qi", "released")
    assert {r[0] for r in conn.execute("SELECT age_band FROM released").fetchall()} == {"90+"}


def test_unreachable_k_suppresses_what_it_must_and_reports_it() -> None:
    rows = [(f"p{i}", 20 * i, "female" if i % 2 else "male", "Hà Nội", 2020 + i) for i in range(4)]
    conn = qi_table(rows)
    result = search(conn, load_policy("default"), "qi", "released")
    assert result.suppressed == 4 and result.classes == 0
    assert len(result.candidates) == 12
    assert all(c.suppressed == 4 for c in result.candidates)
    # no generalisation helps, so none is applied
    assert result.levels == {"age_band": 5, "sex": "sex", "province": "province",
                             "admission_year": 1}
