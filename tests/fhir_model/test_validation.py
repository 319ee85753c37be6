"""Structural validation: data-driven cases, every sample resource, and the error shape."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.errors import Invalid, IssueList
from carehub.fhir_model.definitions import definitions
from carehub.fhir_model.validation import Compiler, find_issues, validate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "fhir_model" / "validation.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))


def _expected(case: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((issue["code"], issue["expression"]) for issue in case["issues"])


@pytest.mark.parametrize("case", CASES, ids=[case["title"] for case in CASES])
def test_fixture_case(case: dict[str, Any]) -> None:
    expected = _expected(case)
    if not expected:
        validate(case["resource"])
        return
    with pytest.raises(Invalid) as caught:
        validate(case["resource"])
    got = sorted((issue.code, issue.expression[0]) for issue in caught.value.issues)
    assert got == expected
    assert all(issue.severity == "error" and issue.diagnostics for issue in caught.value.issues)


def test_fixture_covers_every_issue_code() -> None:
    invalid = [case for case in CASES if case["issues"]]
    assert len(invalid) >= 25
    codes = {issue["code"] for case in invalid for issue in case["issues"]}
    assert codes == {"structure", "required", "value", "code-invalid", "invalid"}


def test_invalid_names_the_type_and_counts_the_errors() -> None:
    with pytest.raises(Invalid) as caught:
        validate({"resourceType": "Patient", "gender": "f", "active": "yes"})
    assert str(caught.value) == "Patient: 2 validation errors"
    assert caught.value.issues[0].to_fhir()["expression"] == ["Patient.gender"]
    with pytest.raises(Invalid, match=r"^Resource: 1 validation error$"):
        validate(None)


def test_unknown_names_get_a_suggestion() -> None:
    (issue,) = find_issues({"resourceType": "Patient", "birthdate": "2000"})
    assert "Did you mean 'birthDate'?" in issue.diagnostics
    (issue,) = find_issues({"resourceType": "Observatoin"})
    assert "Did you mean 'Observation'?" in issue.diagnostics


def test_every_resource_type_compiles() -> None:
    compiler = Compiler(definitions())
    for resource_type in definitions().resource_types():
        spec = compiler.resource_spec(resource_type)
        assert "resourceType" in spec.fields and "id" in spec.fields


def test_concurrent_first_use_sees_complete_specs() -> None:
    compiler = Compiler(definitions())
    resource = {"resourceType": "Questionnaire", "status": "draft", "item": [
        {"linkId": "1", "type": "group", "item": [{"linkId": "2", "type": "string"}]}
    ]}  # fmt: skip
    failures: list[object] = []

    def run() -> None:
        issues = IssueList()
        compiler.check_resource(resource, None, issues)
        failures.extend(issues.items)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_every_sample_resource_is_valid(shared_dir: Path) -> None:
    folder = shared_dir / "fhir-samples" / "bulk-10-patients"
    if not folder.is_dir():
        pytest.skip(f"bulk sample data not found at {folder}")
    count = 0
    problems: list[str] = []
    for file in sorted(folder.glob("*.ndjson")):
        if file.name == "log.ndjson":
            continue
        for line in file.read_bytes().splitlines():
            resource = orjson.loads(line)
            count += 1
            problems.extend(
                f"{resource.get('resourceType')}/{resource.get('id')}: {issue.code} "
                f"{issue.expression} {issue.diagnostics}"
                for issue in find_issues(resource)
            )
    assert count == 7160
    assert problems == []
