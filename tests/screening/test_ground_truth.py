"""The population run against the generator's ground truth.

Planted cases are found (every adult with diagnosed diabetes, hypertension or
CKD is in the kidney programme; every HBV patient the AASLD 2018 rule covers
is under surveillance; every undiagnosed COPD with obstructive spirometry on
record is flagged; truly low kidney function is staged as such) and nobody
is flagged by a rule whose criteria they do not meet (sex and age limits,
smoking history, infection status, diagnosis status).
"""

from __future__ import annotations

import collections
from pathlib import Path

import orjson
import pytest

from carehub.screening.job import run_job
from tests.screening.conftest import World

Results = dict[str, dict[str, tuple[str, dict[str, object]]]]


@pytest.fixture(scope="module")
def results(screening_world: World, tmp_path_factory: pytest.TempPathFactory) -> Results:
    w = screening_world
    out = tmp_path_factory.mktemp("screening-out")
    report = run_job(w.warehouse.connection, w.as_of, out).run
    assert report.patients > 1000
    rows = w.warehouse.connection.execute(
        "SELECT patient_id, programme || '.' || rule, status, result_values "
        "FROM screening_results"
    ).fetchall()
    table: Results = collections.defaultdict(dict)
    for pid, key, status, values in rows:
        table[pid][key] = (status, orjson.loads(values))
    assert (out / "care-gaps.csv").exists() and (out / "worklist-kidney.csv").exists()
    return table


def flagged(results: Results, key: str) -> list[str]:
    return [pid for pid, recs in results.items() if key in recs]


def test_kidney_programme_holds_exactly_the_diagnosed_at_risk_adults(
    screening_world: World, results: Results
) -> None:
    truth = screening_world.truth
    for pid, recs in results.items():
        row = truth[pid]
        at_risk = "1" in (row["diabetes_diagnosed"], row["hypertension_diagnosed"],
                          row["ckd_diagnosed"])
        eligible = recs["kidney.eligibility"][0] != "not_eligible" if (
            "kidney.eligibility" in recs) else True
        assert eligible == (at_risk and int(row["age"]) >= 18), pid


def test_truly_low_kidney_function_is_staged_low(
    screening_world: World, results: Results
) -> None:
    truth = screening_world.truth
    checked = 0
    for pid, recs in results.items():
        row = truth[pid]
        if row["ckd"] != "1" or not row["egfr"] or float(row["egfr"]) >= 40:
            continue
        staged = [v.get("gfr_category") for _, v in recs.values() if "gfr_category" in v]
        if "kidney.eligibility" in recs or not staged:
            continue  # not in the programme, or never tested
        checked += 1
        assert set(staged) <= {"G3b", "G4", "G5"} and staged, (pid, row["egfr"], staged)
    assert checked >= 5


def test_undiagnosed_ckd_is_never_flagged_on_a_diagnosed_patient(
    screening_world: World, results: Results
) -> None:
    hits = flagged(results, "kidney.undiagnosed_ckd")
    assert hits
    for pid in hits:
        assert screening_world.truth[pid]["ckd_diagnosed"] == "0"
        values = results[pid]["kidney.undiagnosed_ckd"][1]
        assert float(values["egfr"]) < 60 or float(values.get("acr_mg_g", 0)) >= 30


def test_hbv_patients_the_aasld_rule_covers_are_under_surveillance(
    screening_world: World, results: Results
) -> None:
    truth = screening_world.truth
    covered = 0
    for pid, recs in results.items():
        row = truth[pid]
        age = int(row["age"])
        rule = row["cirrhosis"] == "1" or (row["sex"] == "male" and age > 40) or (
            row["sex"] == "female" and age > 50)
        if row["hbv_diagnosed"] == "1" and rule:
            covered += 1
            assert "liver.surveillance" in recs, pid
    assert covered >= 5
    for pid in flagged(results, "liver.surveillance"):
        assert "1" in (truth[pid]["hbv"], truth[pid]["hcv"]), pid


def test_lung_screening_only_for_heavy_smokers_aged_50_to_80(
    screening_world: World, results: Results
) -> None:
    keys = ("lung_cancer.ldct_due", "lung_cancer.ldct_follow_up", "lung_cancer.lung_rads_4b")
    hits = [pid for key in keys for pid in flagged(results, key)]
    assert len(hits) >= 10
    for pid in hits:
        row = screening_world.truth[pid]
        assert row["smoking_status"] != "never" and float(row["pack_years"]) >= 20, pid
        assert 50 <= int(row["age"]) <= 81, pid


def test_sex_specific_screening_only_for_women(
    screening_world: World, results: Results
) -> None:
    for key, low, high in (("cancer.cervical", 25, 200), ("cancer.breast", 40, 74)):
        hits = flagged(results, key)
        assert hits
        for pid in hits:
            row = screening_world.truth[pid]
            assert row["sex"] == "female" and low <= int(row["age"]) <= high, (key, pid)


def test_obstruction_flags_are_undiagnosed_copd(
    screening_world: World, results: Results
) -> None:
    for pid in flagged(results, "respiratory.obstruction_undiagnosed"):
        row = screening_world.truth[pid]
        assert row["copd"] == "1" and row["copd_diagnosed"] == "0", pid


def test_undiagnosed_copd_with_obstructive_spirometry_is_found(
    screening_world: World, results: Results
) -> None:
    truth = screening_world.truth
    found = 0
    for pid, recs in results.items():
        row = truth[pid]
        if row["copd"] != "1" or row["copd_diagnosed"] != "0" or not row["fev1_fvc_post"]:
            continue
        spirometry = [v for _, v in recs.values() if "fev1_fvc_post" in v]
        if spirometry and float(row["fev1_fvc_post"]) < 0.68:
            found += 1
            assert "respiratory.obstruction_undiagnosed" in recs, pid
    assert found >= 1


def test_raised_natriuretic_peptide_only_without_heart_failure_diagnosis(
    screening_world: World, results: Results
) -> None:
    hits = flagged(results, "heart_failure.ntprobnp_raised")
    assert hits
    for pid in hits:
        assert screening_world.truth[pid]["heart_failure_diagnosed"] == "0"


def test_rerun_replaces_the_tables(screening_world: World, tmp_path: Path,
                                   results: Results) -> None:
    conn = screening_world.warehouse.connection
    before = conn.execute("SELECT COUNT(*) FROM screening_results").fetchone()
    run_job(conn, screening_world.as_of, tmp_path)
    after = conn.execute("SELECT COUNT(*) FROM screening_results").fetchone()
    assert before == after


def test_parallel_run_gives_the_same_rows(screening_world: World, tmp_path: Path,
                                          results: Results) -> None:
    w = screening_world
    conn = w.warehouse.connection
    query = "SELECT * FROM screening_results ORDER BY ALL"
    run_job(conn, w.as_of, tmp_path / "one")
    sequential = conn.execute(query).fetchall()
    parquet = (w.folder / "parquet" / "patients", w.folder / "parquet" / "screening_facts")
    report = run_job(conn, w.as_of, tmp_path / "two", parquet=parquet, workers=2).run
    assert report.patients == len({r[0] for r in sequential})
    assert conn.execute(query).fetchall() == sequential
