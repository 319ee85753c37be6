"""``write_extract`` on the synthetic population: no identifier survives, dates keep their
intervals, pseudonyms are keyed, k-anonymity holds (checked independently), opt-outs are gone."""

from __future__ import annotations

import base64
import csv
import datetime
import hashlib
import hmac
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from carehub.errors import Conflict, Incorrect
from carehub.research.consent import opt_out_patient_ids
from carehub.research.deid import load_policy
from carehub.research.extract import ExtractReport, write_extract
from carehub.warehouse.store import Warehouse
from tests.research.conftest import ResearchPopulation

KEY_A = b"project-a-key"
KEY_B = b"project-b-key"


def expected_research_id(key: bytes, patient_key: str) -> str:
    """The research id, recomputed here from the documented construction."""
    mac = hmac.new(key, b"research-id\x00" + patient_key.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode().lower()[:16]


@pytest.fixture(scope="module")
def warehouse(research_population: ResearchPopulation) -> Iterator[Warehouse]:
    handle = research_population.warehouse()
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def extracts(
    warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, ExtractReport]:
    root = tmp_path_factory.mktemp("extracts")
    default = load_policy("default")
    return {
        "a": write_extract(warehouse, cohort_table=None, policy=default, project_key=KEY_A,
                           out_dir=root / "a", progress=False),
        "b": write_extract(warehouse, cohort_table=None, policy=default, project_key=KEY_B,
                           out_dir=root / "b", views=["patients", "encounters"], progress=False),
        "year": write_extract(warehouse, cohort_table=None, policy=load_policy("year-dates"),
                              project_key=KEY_A, out_dir=root / "year",
                              views=["encounters"], progress=False),
    }


def table(path: Path) -> list[dict[str, Any]]:
    """Every row of a Parquet file, every value decoded (read with DuckDB's own reader)."""
    with duckdb.connect() as conn:
        cursor = conn.execute("SELECT * FROM read_parquet(?)", [str(path)])
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def every_text(report: ExtractReport) -> Iterator[tuple[Path, str]]:
    """Each file's content as text: raw bytes of text files, every value of Parquet files."""
    for path in report.files:
        if path.suffix == ".parquet":
            rows = table(path)
            values = [str(v) for row in rows for v in row.values()]
            yield path, "\n".join([*(rows[0] if rows else {}), *values])
        else:
            yield path, path.read_bytes().decode("utf-8")


def test_no_planted_identifier_in_any_byte(
    research_population: ResearchPopulation, extracts: dict[str, ExtractReport],
    warehouse: Warehouse,
) -> None:
    planted = research_population.planted
    kinds = set(planted.by_kind)
    assert {"name", "identifier:NI", "identifier:SN", "identifier:MR", "telecom:phone",
            "telecom:email", "address", "address_line", "free_text", "patient_id"} <= kinds
    # the planted free text did reach the warehouse, so the scan below can fail
    notes = {r[0] for r in warehouse.connection.execute(
        "SELECT value_text FROM lab_results WHERE value_text LIKE 'Ghi chú tự do%'").fetchall()}
    assert notes and notes <= planted.by_kind["free_text"]
    needles = planted.all()
    # control: the same scan finds identifiers in the warehouse's own (identified) rows
    raw = "\n".join(" ".join(str(v) for v in row) for row in warehouse.connection.execute(
        "SELECT * FROM patients").fetchall())
    assert {"name", "identifier:MR", "patient_id"} <= {
        kind for kind, values in planted.by_kind.items() if any(v in raw for v in values)}
    scanned = 0
    for report in extracts.values():
        for path, text in every_text(report):
            scanned += 1
            found = sorted(n for n in needles if n in text)
            assert not found, f"{path.name} holds identifiers: {found[:5]}"
    assert scanned >= 30


def test_every_view_file_is_written_with_its_documents(extracts: dict[str, ExtractReport]) -> None:
    report = extracts["a"]
    names = {p.name for p in report.files}
    assert {"README.md", "data_dictionary.json", "data_dictionary.csv",
            "deidentification_report.json"} <= names
    for view, output in report.views.items():
        assert output.parquet.is_file() and output.csv.is_file(), view
        with output.csv.open(encoding="utf-8") as handle:
            assert sum(1 for _ in csv.DictReader(handle)) == output.rows
        assert len(table(output.parquet)) == output.rows
    assert report.views["lab_results"].rows > 0
    assert "value_text" in report.views["lab_results"].dropped


def _source_dates(warehouse: Warehouse) -> dict[str, list[str]]:
    rows = warehouse.connection.execute(
        "SELECT patient_id, period_start FROM research_encounters WHERE period_start IS NOT NULL"
    ).fetchall()
    out: dict[str, list[str]] = defaultdict(list)
    for pid, start in rows:
        out[pid].append(start)
    return out


def test_date_intervals_are_preserved_exactly(
    warehouse: Warehouse, extracts: dict[str, ExtractReport]
) -> None:
    report = extracts["a"]
    released: dict[str, list[str]] = defaultdict(list)
    for row in table(report.views["encounters"].parquet):
        released[row["research_id"]].append(row["period_start"])
    source = _source_dates(warehouse)
    checked = 0
    for pid, starts in source.items():
        rid = expected_research_id(KEY_A, pid)
        if rid not in released:
            continue  # suppressed for k-anonymity
        before = sorted(datetime.datetime.fromisoformat(s) for s in starts)
        after = sorted(datetime.datetime.fromisoformat(s) for s in released[rid])
        assert len(before) == len(after)
        offsets = {a - b for a, b in zip(after, before, strict=True)}
        assert len(offsets) == 1, f"intervals changed for {rid}"
        offset = offsets.pop()
        assert offset != datetime.timedelta(0) and abs(offset.days) <= 365
        assert offset.seconds == 0 and offset.microseconds == 0
        checked += 1
    assert checked > 100


def test_year_policy_releases_years_only(extracts: dict[str, ExtractReport]) -> None:
    rows = table(extracts["year"].views["encounters"].parquet)
    assert rows and all(re.fullmatch(r"\d{4}", r["period_start"]) for r in rows)


def test_pseudonyms_are_stable_for_a_key_and_differ_across_keys(
    research_population: ResearchPopulation, warehouse: Warehouse,
    extracts: dict[str, ExtractReport],
) -> None:
    a = {r["research_id"] for r in table(extracts["a"].views["patients"].parquet)}
    b = {r["research_id"] for r in table(extracts["b"].views["patients"].parquet)}
    patients = [r[0] for r in warehouse.connection.execute(
        "SELECT patient_id FROM research_patients").fetchall()]
    assert a and a <= {expected_research_id(KEY_A, p) for p in patients}
    assert b and b <= {expected_research_id(KEY_B, p) for p in patients}
    assert not a & b
    encounters_a = {r["encounter_id"] for r in table(extracts["a"].views["encounters"].parquet)}
    encounters_b = {r["encounter_id"] for r in table(extracts["b"].views["encounters"].parquet)}
    assert not encounters_a & encounters_b
    # another extract with key A (other policy, so other suppressions) gives the same ids
    year_ids = {r["research_id"] for r in table(extracts["year"].views["encounters"].parquet)}
    enc_ids = {r["research_id"] for r in table(extracts["a"].views["encounters"].parquet)}
    assert year_ids <= {expected_research_id(KEY_A, p) for p in patients}
    assert len(year_ids & enc_ids) > len(enc_ids) // 2


def test_k_anonymity_holds_by_an_independent_count(extracts: dict[str, ExtractReport]) -> None:
    for name, report in extracts.items():
        k = report.policy.k
        qis = report.policy.quasi_identifiers
        rows = table(report.views["patients"].parquet)
        classes = Counter(tuple(row[q] for q in qis) for row in rows)
        assert classes and min(classes.values()) >= k, name
        assert len(rows) == report.population.released == len(set(r["research_id"] for r in rows))
        patient_ids = {r["research_id"] for r in rows}
        for view, output in report.views.items():
            ids = {r["research_id"] for r in table(output.parquet)}
            assert ids <= patient_ids, f"{name}/{view} releases suppressed patients"
        assert report.k_anonymity.smallest_class == min(classes.values())


def test_rare_codes_are_held_by_enough_patients(extracts: dict[str, ExtractReport]) -> None:
    report = extracts["a"]
    holders: dict[str, set[str]] = defaultdict(set)
    for row in table(report.views["conditions"].parquet):
        if row["code"] is not None:
            holders[row["code"]].add(row["research_id"])
        else:
            assert row["display"] is None
    assert holders
    assert min(len(h) for h in holders.values()) >= report.policy.rare_min_patients
    outcome = next(r for r in report.rare_codes if r.rule.view == "conditions")
    assert outcome.generalised + outcome.suppressed > 0


def test_aggregates_suppress_small_cells(extracts: dict[str, ExtractReport]) -> None:
    report = extracts["a"]
    assert report.aggregates
    seen_suppressed = False
    for path in report.aggregates:
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["suppressed"] == "true":
                    seen_suppressed = True
                    assert row["patients"] == ""
                else:
                    assert int(row["patients"]) >= report.policy.min_cell
    assert seen_suppressed or all(p.stat().st_size for p in report.aggregates)


def test_opted_out_patients_are_absent(
    research_population: ResearchPopulation, warehouse: Warehouse,
    extracts: dict[str, ExtractReport],
) -> None:
    assert opt_out_patient_ids(warehouse) == set(research_population.opted_out)
    report = extracts["a"]
    assert report.population.opted_out == len(research_population.opted_out)
    excluded = {expected_research_id(KEY_A, p) for p in research_population.opted_out}
    for _, text in every_text(report):
        assert not [rid for rid in excluded if rid in text]
    kept = {r[0] for r in warehouse.connection.execute(
        "SELECT patient_id FROM research_patients").fetchall()}
    assert not kept & research_population.opted_out
    assert research_population.opted_back_in <= kept
    assert research_population.inactive_deny <= kept


def test_extra_opt_outs_from_the_store_are_honoured(
    research_population: ResearchPopulation, warehouse: Warehouse, tmp_path: Path
) -> None:
    extra = sorted(research_population.opted_back_in)[:1]
    bare = extra[0].removeprefix("Patient/")
    report = write_extract(warehouse, cohort_table=None, policy=load_policy("default"),
                           project_key=KEY_A, out_dir=tmp_path / "x", views=["patients"],
                           opt_outs=[bare], progress=False)
    assert report.population.opted_out == len(research_population.opted_out) + 1
    ids = {r["research_id"] for r in table(report.views["patients"].parquet)}
    assert expected_research_id(KEY_A, extra[0]) not in ids
    # the research views follow the latest call
    write_extract(warehouse, cohort_table=None, policy=load_policy("default"), project_key=KEY_A,
                  out_dir=tmp_path / "y", views=["patients"], progress=False)
    assert extra[0] in {r[0] for r in warehouse.connection.execute(
        "SELECT patient_id FROM research_patients").fetchall()}


def test_a_cohort_table_selects_the_patients(warehouse: Warehouse, tmp_path: Path) -> None:
    conn = warehouse.connection
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE test_cohort AS SELECT patient_id, "
        "MIN(CAST(SUBSTRING(period_start, 1, 10) AS DATE)) AS index_date FROM encounters "
        "WHERE class = 'AMB' GROUP BY patient_id"
    )
    size = conn.execute("SELECT count(*) FROM test_cohort").fetchone()
    report = write_extract(warehouse, cohort_table="test_cohort", policy=load_policy("default"),
                           project_key=KEY_A, out_dir=tmp_path / "c",
                           views=["patients", "conditions"], progress=False)
    assert size is not None and report.population.selected == size[0]
    assert report.population.released + report.population.suppressed == (
        size[0] - report.population.opted_out)
    assert set(report.views) == {"patients", "conditions"}


def test_readme_states_the_exact_policy(extracts: dict[str, ExtractReport]) -> None:
    report = extracts["a"]
    text = (report.out_dir / "README.md").read_text(encoding="utf-8")
    policy = report.policy
    assert f"Research extract ({policy.name} {policy.version})" in text
    assert policy.digest in text
    assert "value_text: free_text" in text and "patient_id: research_id" in text
    assert f"suppressed for k-anonymity: {report.population.suppressed}" in text


def test_bad_requests_are_refused_and_lose_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    policy = load_policy("default")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not an empty folder"):
        write_extract(warehouse, cohort_table=None, policy=policy, project_key=KEY_A,
                      out_dir=occupied, progress=False)
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]
    with pytest.raises(Incorrect, match=r"no rules for view 'encounter'\. Did you mean"):
        write_extract(warehouse, cohort_table=None, policy=policy, project_key=KEY_A,
                      out_dir=tmp_path / "n", views=["encounter"], progress=False)
    with pytest.raises(Incorrect, match="cohort table 'missing_cohort'"):
        write_extract(warehouse, cohort_table="missing_cohort", policy=policy,
                      project_key=KEY_A, out_dir=tmp_path / "m", progress=False)
    with pytest.raises(Incorrect, match="key is empty"):
        write_extract(warehouse, cohort_table=None, policy=policy, project_key=b"",
                      out_dir=tmp_path / "e", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]
