"""NDJSON import: bad lines reported by file and line, good lines loaded, idempotent re-runs.

https://hl7.org/fhir/uv/bulkdata/STU2/ (NDJSON) and https://hl7.org/fhir/R4/http.html#update
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from carehub.app.wiring import build_hub
from carehub.bulk.loader import LoadStats, NdjsonLoader
from carehub.bulk.local_files import ImportSummary, LocalImport, collect_files
from carehub.errors import Issue
from carehub.fhir_api.hub import Hub
from carehub.settings import load_settings
from carehub.storage.base import HistoryQuery, ResourceStore
from tests.bulk.conftest import FIXTURES, Backend, Resource, by_key, read_ndjson

SET = FIXTURES / "roundtrip"
BAD = FIXTURES / "bad"


@pytest.fixture
def hub(backend: Backend, store: ResourceStore) -> Hub:
    """The hub over the test store, with the API's validation."""
    return build_hub(load_settings(backend.env), store)


def run(hub: Hub, *paths: Path, batch_size: int = 1000) -> tuple[ImportSummary, list[Issue]]:
    issues: list[Issue] = []
    files = collect_files(list(paths), hub.defs.is_resource_type)
    summary = LocalImport(hub, issues.append, batch_size).run(files)
    return summary, issues


def stored(hub: Hub, rtype: str, rid: str) -> Resource | None:
    with hub.store.session() as s:
        current = s.read(rtype, rid)
    return None if current is None or current.body is None else json.loads(current.body)


def versions(hub: Hub, rtype: str, rid: str) -> int:
    with hub.store.session() as s:
        return len(s.history(HistoryQuery(rtype, rid, count=100)).versions)


def test_bad_lines_reported_good_lines_loaded(hub: Hub) -> None:
    summary, issues = run(hub, BAD / "Patient.ndjson")
    assert summary.stats == LoadStats(loaded=3, unchanged=0, failed=7)
    got = {i.diagnostics.split(":")[0]: i for i in issues}
    assert sorted(got, key=lambda k: int(k.rsplit(" ", 1)[1])) == [
        f"Patient.ndjson line {n}" for n in (2, 3, 4, 7, 8, 9, 10)
    ]
    assert "not valid JSON" in got["Patient.ndjson line 2"].diagnostics
    invalid = got["Patient.ndjson line 3"]
    assert invalid.diagnostics.startswith("Patient.ndjson line 3: Patient: 2 validation errors: ")
    assert "Patient.gender: 'robot' is not in the required value set" in invalid.diagnostics
    assert invalid.expression == ("Patient.gender", "Patient.name")
    assert invalid.code == "code-invalid"
    wrong = got["Patient.ndjson line 4"]
    assert wrong.diagnostics == (
        "Patient.ndjson line 4: resourceType 'Observation' in a file of Patient resources"
    )
    assert wrong.expression == ("resourceType",)
    assert got["Patient.ndjson line 7"].expression == ("Patient.id",)
    assert "not a JSON object" in got["Patient.ndjson line 8"].diagnostics
    assert "'bad id!' is not a valid FHIR id" in got["Patient.ndjson line 10"].diagnostics
    assert all(i.severity == "error" for i in issues)
    for rid in ("ok-1", "ok-2", "ok-3"):
        assert stored(hub, "Patient", rid) is not None
    assert stored(hub, "Observation", "o1") is None
    assert stored(hub, "Patient", "robot") is None


def test_mixed_file_checks_each_line_type(hub: Hub) -> None:
    summary, issues = run(hub, BAD / "mixed.ndjson")
    assert summary.stats == LoadStats(loaded=2, failed=1)
    [issue] = issues
    assert issue.diagnostics.startswith("mixed.ndjson line 2: unknown resource type 'Nonsense'.")
    assert stored(hub, "Practitioner", "mixed-pr") is not None


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_reimport_is_idempotent(hub: Hub, tmp_path: Path, batch_size: int) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SET, folder)
    first, issues = run(hub, folder, batch_size=batch_size)
    total = sum(len(read_ndjson(p)) for p in folder.glob("*.ndjson"))
    assert first.stats == LoadStats(loaded=total) and not issues
    again, issues = run(hub, folder, batch_size=batch_size)
    assert again.stats == LoadStats(unchanged=total) and not issues
    assert versions(hub, "Patient", "p2") == 1
    # change one line's content and another line's meta only
    patients = read_ndjson(folder / "Patient.ndjson")
    patients[1]["gender"] = "unknown"
    patients[2]["meta"] = {"versionId": "7", "tag": [{"code": "copied"}]}
    (folder / "Patient.ndjson").write_text("".join(json.dumps(p) + "\n" for p in patients))
    third, issues = run(hub, folder, batch_size=batch_size)
    assert third.stats == LoadStats(loaded=1, unchanged=total - 1) and not issues
    assert versions(hub, "Patient", "p2") == 2
    assert versions(hub, "Patient", "p3") == 1
    p2 = stored(hub, "Patient", "p2")
    assert p2 is not None and p2["gender"] == "unknown" and p2["meta"]["versionId"] == "2"


def test_deleted_resource_is_stored_again(hub: Hub) -> None:
    run(hub, SET / "Organization.ndjson")
    with hub.store.session(write=True) as s:
        s.delete("Organization", "org-2")
    summary, _ = run(hub, SET / "Organization.ndjson")
    assert summary.stats == LoadStats(loaded=1, unchanged=1)
    assert versions(hub, "Organization", "org-2") == 3


def test_same_id_twice_in_one_file(hub: Hub, tmp_path: Path) -> None:
    a = {"resourceType": "Patient", "id": "twin", "gender": "female"}
    b = {**a, "gender": "male"}
    path = tmp_path / "Patient.ndjson"
    path.write_text("\n".join(json.dumps(x) for x in (a, a, b)) + "\n")
    summary, _ = run(hub, path)
    assert summary.stats == LoadStats(loaded=2, unchanged=1)
    assert versions(hub, "Patient", "twin") == 2
    assert stored(hub, "Patient", "twin") == {**b, "meta": stored(hub, "Patient", "twin")["meta"]}


def test_load_order_puts_referenced_types_first(hub: Hub, tmp_path: Path) -> None:
    files = collect_files([SET, BAD / "mixed.ndjson"], hub.defs.is_resource_type)
    assert [f.path.name for f in files] == [
        "Organization.ndjson",
        "mixed.ndjson",
        "Practitioner.ndjson",
        "Patient.ndjson",
        "Condition.ndjson",
        "Encounter.ndjson",
        "Group.ndjson",
        "Observation.ndjson",
    ]
    assert [f.declared for f in files][:2] == ["Organization", None]


def test_content_kept_exactly(hub: Hub) -> None:
    run(hub, SET)
    want = by_key([r for p in SET.glob("*.ndjson") for r in read_ndjson(p)])
    for (rtype, rid), res in want.items():
        got = stored(hub, rtype, rid)
        assert got is not None and by_key([got]) == {(rtype, rid): res}


def test_nul_character_line_fails_alone(hub: Hub, tmp_path: Path) -> None:
    """U+0000 is not allowed in FHIR strings: that line fails validation, the rest load."""
    path = tmp_path / "Patient.ndjson"
    rows = [
        {"resourceType": "Patient", "id": f"n{i}", "name": [{"family": f"F{i}"}]} for i in range(3)
    ]
    rows[1]["name"][0]["family"] = "nul\u0000here"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    summary, issues = run(hub, path)
    assert summary.stats == LoadStats(loaded=2, failed=1)
    [issue] = issues
    assert issue.diagnostics.startswith("Patient.ndjson line 2:")
    assert stored(hub, "Patient", "n0") is not None and stored(hub, "Patient", "n2") is not None
    assert stored(hub, "Patient", "n1") is None


def test_loader_reads_any_iterable(hub: Hub) -> None:
    issues: list[Issue] = []
    lines = [b'{"resourceType":"Patient","id":"it-1"}', b"", b"  ", b"{"]
    stats = NdjsonLoader(hub, issues.append).load("stream", lines, expected_type="Patient")
    assert stats == LoadStats(loaded=1, failed=1)
    assert issues[0].diagnostics.startswith("stream line 4: not valid JSON")
