"""k-anonymity over declared quasi-identifiers: generalise first, then suppress the fewest patients.

https://doi.org/10.1142/S0218488502001648 (Sweeney, k-anonymity) and
https://doi.org/10.1145/1217299.1217302 (full-domain generalisation lattices)

The input is a table of one row per patient with the raw quasi-identifiers
(``age`` in whole years, ``sex``, ``province``, ``admission_year``). Each
quasi-identifier has generalisation levels (policy ``k_anonymity.generalisation``:
age bands of 5, 10, 20 years; province, then region; single years, then
5-year spans). :func:`search` tries every combination of levels in the
engine (one ``GROUP BY`` each) and keeps the least generalised one whose
suppression (the patients in equivalence classes smaller than *k*) is within
``max_suppression``; when none is, the combination that suppresses fewest.
For a given generalisation, removing exactly the patients of the small
classes is the smallest suppression that reaches *k*.

Ages at or above the policy's top code are always one band (``90+``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from carehub.research.deid.policy import DeidPolicy
from carehub.warehouse.engines.duckdb import quote


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def age_band_sql(column: str, width: int, top_code: int) -> str:
    """SQL labelling an age in ``width``-year bands, with one top band from ``top_code``.

    >>> import duckdb
    >>> sql = age_band_sql("a", 5, 90)
    >>> duckdb.sql(f"SELECT {sql} FROM (VALUES (0), (44), (89), (90), (104)) t(a)").fetchall()
    [('0-4',), ('40-44',), ('85-89',), ('90+',), ('90+',)]
    """
    low = f"CAST(FLOOR({column} / {width}) * {width} AS INTEGER)"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL WHEN {column} >= {top_code} THEN '{top_code}+' "
        f"ELSE CAST({low} AS VARCHAR) || '-' || "
        f"CAST(LEAST({low} + {width - 1}, {top_code - 1}) AS VARCHAR) END"
    )


def year_span_sql(column: str, span: int) -> str:
    """SQL labelling a year, or a ``span``-year period.

    >>> import duckdb
    >>> duckdb.sql(f"SELECT {year_span_sql('y', 5)}, {year_span_sql('y', 1)} "
    ...            "FROM (VALUES (2023)) t(y)").fetchall()
    [('2020-2024', '2023')]
    """
    if span == 1:
        return f"CAST({column} AS VARCHAR)"
    low = f"CAST(FLOOR({column} / {span}) * {span} AS INTEGER)"
    return f"CAST({low} AS VARCHAR) || '-' || CAST({low} + {span - 1} AS VARCHAR)"


def region_sql(column: str, regions: Mapping[str, str]) -> str:
    """SQL naming a province's region (``other`` when the policy does not list it).

    >>> region_sql("p", {"Hà Nội": "Bắc"})
    "CASE WHEN p IS NULL THEN NULL WHEN p IN ('Hà Nội') THEN 'Bắc' ELSE 'other' END"
    """
    by_region: dict[str, list[str]] = {}
    for province, region in regions.items():
        by_region.setdefault(region, []).append(province)
    whens = " ".join(
        f"WHEN {column} IN ({', '.join(_literal(p) for p in provinces)}) THEN {_literal(region)}"
        for region, provinces in by_region.items()
    )
    return f"CASE WHEN {column} IS NULL THEN NULL {whens} ELSE 'other' END"


def qi_sql(policy: DeidPolicy, qi: str, level: Any) -> str:
    """SQL of quasi-identifier ``qi`` at generalisation ``level`` over the raw QI table."""
    if qi == "age_band":
        return age_band_sql("age", int(level), policy.top_code)
    if qi == "admission_year":
        return year_span_sql("admission_year", int(level))
    if qi == "province" and level == "region":
        return region_sql("province", policy.regions)
    return qi


@dataclass(frozen=True, slots=True)
class Candidate:
    """One combination of generalisation levels and the patients it would suppress."""

    levels: dict[str, Any]
    height: int
    suppressed: int


@dataclass(frozen=True, slots=True)
class KAnonymity:
    """The outcome of the search and the released equivalence classes (the risk report).

    Attributes:
        k: the threshold. quasi_identifiers: the columns checked.
        levels: the chosen generalisation level of each quasi-identifier.
        patients: patients before suppression. suppressed: patients removed.
        classes: equivalence classes released. smallest_class: the size of the smallest.
        class_sizes: how many classes have each size (``"21+"`` groups the large ones).
        candidates: every combination tried, in the order of the lattice.
    """

    k: int
    quasi_identifiers: tuple[str, ...]
    levels: dict[str, Any]
    patients: int
    suppressed: int
    classes: int
    smallest_class: int
    class_sizes: dict[str, int]
    candidates: tuple[Candidate, ...]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "k": self.k,
            "quasi_identifiers": list(self.quasi_identifiers),
            "generalisation_levels": self.levels,
            "patients_before_suppression": self.patients,
            "patients_suppressed": self.suppressed,
            "equivalence_classes": self.classes,
            "smallest_class": self.smallest_class,
            "class_size_distribution": self.class_sizes,
            "candidates": [
                {"levels": c.levels, "height": c.height, "suppressed": c.suppressed}
                for c in self.candidates
            ],
        }


def _group(policy: DeidPolicy, levels: Mapping[str, Any]) -> str:
    return ", ".join(qi_sql(policy, qi, levels[qi]) for qi in policy.quasi_identifiers)


def lattice(policy: DeidPolicy) -> list[tuple[dict[str, Any], int]]:
    """Every combination of levels with its height (sum of level positions), lowest first.

    >>> from carehub.research.deid.policy import load_policy
    >>> combos = lattice(load_policy("default"))
    >>> len(combos), combos[0]
    (12, ({'age_band': 5, 'sex': 'sex', 'province': 'province', 'admission_year': 1}, 0))
    """
    qis = policy.quasi_identifiers
    ranges = [range(len(policy.levels(qi))) for qi in qis]
    combos = []
    for positions in itertools.product(*ranges):
        levels = {qi: policy.levels(qi)[p] for qi, p in zip(qis, positions, strict=True)}
        combos.append((levels, sum(positions)))
    return sorted(combos, key=lambda c: c[1])


def search(
    conn: duckdb.DuckDBPyConnection, policy: DeidPolicy, table: str, released: str
) -> KAnonymity:
    """Choose the generalisation for QI table ``table`` and write ``released``.

    ``released`` gets one row per patient: ``patient_id``, each
    quasi-identifier as released, and ``suppressed`` (in a class under *k*).
    """
    k = policy.k
    src = quote(table)
    total_row = conn.execute(f"SELECT count(*) FROM {src}").fetchone()
    total = int(total_row[0]) if total_row else 0
    candidates: list[Candidate] = []
    for levels, height in lattice(policy):
        row = conn.execute(
            f"SELECT COALESCE(SUM(n), 0) FROM (SELECT count(*) AS n FROM {src} "
            f"GROUP BY {_group(policy, levels)}) AS classes WHERE n < {k}"
        ).fetchone()
        candidates.append(Candidate(levels, height, int(row[0]) if row else 0))
    allowed = policy.max_suppression * total
    within = [c for c in candidates if c.suppressed <= allowed]
    if within:
        lowest = min(c.height for c in within)
        chosen = min((c for c in within if c.height == lowest), key=lambda c: c.suppressed)
    else:
        chosen = min(candidates, key=lambda c: (c.suppressed, c.height))
    columns = ", ".join(
        f"{qi_sql(policy, qi, chosen.levels[qi])} AS {quote(qi)}"
        for qi in policy.quasi_identifiers
    )
    partition = ", ".join(quote(qi) for qi in policy.quasi_identifiers)
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {quote(released)} AS "
        f"SELECT *, count(*) OVER (PARTITION BY {partition}) < {k} AS suppressed FROM "
        f"(SELECT patient_id, {columns} FROM {src}) AS generalised"
    )
    sizes = conn.execute(
        f"SELECT n, count(*) FROM (SELECT count(*) AS n FROM {quote(released)} "
        f"WHERE NOT suppressed GROUP BY {partition}) AS classes GROUP BY n ORDER BY n"
    ).fetchall()
    return KAnonymity(
        k=k,
        quasi_identifiers=policy.quasi_identifiers,
        levels=chosen.levels,
        patients=total,
        suppressed=chosen.suppressed,
        classes=sum(int(c) for _, c in sizes),
        smallest_class=min((int(n) for n, _ in sizes), default=0),
        class_sizes=size_distribution([(int(n), int(c)) for n, c in sizes]),
        candidates=tuple(candidates),
    )


def size_distribution(sizes: Sequence[tuple[int, int]], cap: int = 20) -> dict[str, int]:
    """Classes per size, sizes above ``cap`` grouped.

    >>> size_distribution([(5, 2), (7, 1), (30, 1), (40, 2)])
    {'5': 2, '7': 1, '21+': 3}
    """
    out: dict[str, int] = {}
    for size, count in sizes:
        key = str(size) if size <= cap else f"{cap + 1}+"
        out[key] = out.get(key, 0) + count
    return out
