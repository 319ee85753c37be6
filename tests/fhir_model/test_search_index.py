"""Search-index extraction: data-driven cases, error shape, selection and the sample files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.errors import Incorrect, Invalid
from carehub.fhir_model.index_rows import IndexRows
from carehub.fhir_model.search_index import (
    NOT_INDEXED,
    extract,
    fallback_params,
    indexed_params,
)
from tests.support.index_rows import add_typed_rows, answering

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fhir_model" / "search_index.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
KINDS = ("strings", "tokens", "dates", "references", "quantities", "numbers", "uris")
#: the resource types the platform uses most; all their expressions must compile natively
CORE_TYPES = (
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Encounter",
    "EpisodeOfCare",
    "Condition",
    "Observation",
    "DiagnosticReport",
    "Procedure",
    "MedicationRequest",
    "MedicationDispense",
    "MedicationAdministration",
    "Medication",
    "AllergyIntolerance",
    "Immunization",
    "CarePlan",
    "CareTeam",
    "Goal",
    "ServiceRequest",
    "Appointment",
    "Slot",
    "Schedule",
    "Communication",
    "Questionnaire",
    "QuestionnaireResponse",
    "Task",
    "RiskAssessment",
    "DetectedIssue",
    "Flag",
    "ImagingStudy",
    "DocumentReference",
    "Coverage",
    "Claim",
    "Device",
    "Consent",
    "AuditEvent",
    "Provenance",
    "Group",
    "ValueSet",
    "CodeSystem",
)


def _rows(rows: IndexRows, kind: str) -> set[tuple[Any, ...]]:
    return set(getattr(rows, kind))


@pytest.mark.parametrize("case", CASES, ids=[case["title"] for case in CASES])
def test_fixture_case(case: dict[str, Any]) -> None:
    # what a search on each parameter reads: its rows, or its bases' for an alias
    rows = answering(extract(case["resource"]), case["resource"]["resourceType"])
    for kind, expected in case.get("rows", {}).items():
        missing = {tuple(row) for row in expected} - _rows(rows, kind)
        assert not missing, f"{kind}: missing {sorted(missing, key=str)}"
    for kind, unexpected in case.get("absent", {}).items():
        present = {tuple(row) for row in unexpected} & _rows(rows, kind)
        assert not present, f"{kind}: unexpected {sorted(present, key=str)}"
    for code in case.get("absent_params", ()):
        assert code not in rows.params(), f"'{code}' has rows"
    for kind, count in case.get("counts", {}).items():
        assert len(getattr(rows, kind)) == count


def test_fixture_covers_every_kind() -> None:
    covered = {kind for case in CASES for kind in case.get("rows", {})}
    assert covered == set(KINDS)


def test_rows_are_deduplicated_and_well_typed() -> None:
    for case in CASES:
        rows = extract(case["resource"])
        for kind in KINDS:
            values = getattr(rows, kind)
            assert len(values) == len(set(values)), (case["title"], kind)
        assert all(isinstance(row[1], float) for row in rows.quantities + rows.numbers)
        for _, low, high in rows.dates:
            assert len(low) == len(high) == 26 and low <= high


def test_unknown_or_missing_resource_type() -> None:
    with pytest.raises(Incorrect, match="Did you mean 'Patient'"):
        extract({"resourceType": "Patinet"})
    with pytest.raises(Incorrect, match="no resourceType"):
        extract({"id": "x"})


def test_bad_date_names_the_parameter() -> None:
    with pytest.raises(Invalid) as caught:
        extract({"resourceType": "Patient", "birthDate": "1990-02-30"})
    assert "'birthdate'" in caught.value.message
    assert caught.value.issues[0].expression == ("Patient.birthDate",)


def test_values_of_the_wrong_shape_are_skipped() -> None:
    rows = extract(
        {
            "resourceType": "Patient",
            "name": ["Nguyen", {"family": 7, "given": [None, "An"]}],
            "gender": 1,
            "generalPractitioner": [{"display": "Dr X"}, "Practitioner/1"],
        }
    )
    assert rows.strings == [("given", "an", "An"), ("name", "an", "An")]  # phonetic: name's
    assert rows.tokens == [("deceased", None, "false", None)]
    assert rows.references == []


def test_skipped_parameters() -> None:
    codes = {param.code for param in indexed_params("Observation")}
    assert not codes & NOT_INDEXED
    assert "code-value-quantity" not in codes  # composite
    assert {"code", "value-quantity", "_tag", "_profile"} <= codes
    rows = extract(
        {"resourceType": "Observation", "id": "x", "meta": {"lastUpdated": "2024-01-01"}}
    )
    assert rows.params() == set()


def test_every_core_type_compiles_natively() -> None:
    assert fallback_params(CORE_TYPES) == []


def test_every_r4_type_has_a_table() -> None:
    # builds every table; also lists any expression evaluated by fhirpathpy
    assert isinstance(fallback_params(), list)


def test_selection_by_top_level_keys_gives_the_same_rows() -> None:
    resource = CASES[2]["resource"]
    first = extract(resource)
    reordered = dict(reversed(list(resource.items())))
    again = extract(reordered)
    for kind in KINDS:
        assert sorted(getattr(first, kind), key=str) == sorted(getattr(again, kind), key=str)


def _generic_rows(resource: dict[str, Any]) -> IndexRows:
    """Rows through the plain typed results, without the specialised emitters."""
    rows = IndexRows()
    for param in indexed_params(resource["resourceType"]):
        add_typed_rows(rows, param.code, param.type, param.path, resource)
    return rows


def _sample_lines(shared_dir: Path) -> list[bytes]:
    folder = shared_dir / "fhir-samples" / "bulk-10-patients"
    lines: list[bytes] = []
    for path in sorted(folder.glob("*.ndjson")):
        if path.name != "log.ndjson":
            lines += path.read_bytes().splitlines()
    return lines


def test_fast_emitters_agree_with_the_generic_path(shared_dir: Path) -> None:
    resources = [orjson.loads(line) for line in _sample_lines(shared_dir)]
    resources += [case["resource"] for case in CASES]
    for resource in resources:
        rtype = resource["resourceType"]
        fast, generic = (
            answering(extract(resource), rtype),
            answering(_generic_rows(resource), rtype),
        )
        for kind in KINDS:
            assert set(getattr(fast, kind)) == set(getattr(generic, kind)), (resource["id"], kind)


def test_sample_files(shared_dir: Path) -> None:
    seen: dict[str, int] = {}
    for line in _sample_lines(shared_dir):
        resource = orjson.loads(line)
        rows = answering(extract(resource), resource["resourceType"])
        seen[resource["resourceType"]] = seen.get(resource["resourceType"], 0) + 1
        if resource["resourceType"] in ("Encounter", "Condition", "Procedure"):
            assert any(r[0] == "subject" for r in rows.references)
            assert any(r[0] == "patient" and r[1] == "Patient" for r in rows.references)
        if resource["resourceType"] == "Patient":
            assert {"name", "family", "given"} <= {r[0] for r in rows.strings}
            assert any(r[0] == "birthdate" for r in rows.dates)
    assert seen["Encounter"] == 1215 and len(seen) == 13
