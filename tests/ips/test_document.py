"""IPS documents built from synthetic patients conform to the IPS table and to R4."""

from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from carehub.fhir_model.validation import validate
from carehub.ips import build_summary, check_document
from carehub.ips.medications import statement_from_dispense
from carehub.terminology import Terminology
from tests.ips.conftest import IpsWorld

NOW = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
XHTML = "{http://www.w3.org/1999/xhtml}"


def _summary(world: IpsWorld, pid: str, language: str = "vi") -> dict[str, Any]:
    return build_summary(world.patients[pid], world.by_patient.get(f"Patient/{pid}", [])
                         + world.shared, language=language, now=NOW)


def _sections(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["code"]["coding"][0]["code"]: s for s in bundle["entry"][0]["resource"]["section"]}


def test_every_patient_summary_conforms(ips_world: IpsWorld) -> None:
    for pid in ips_world.patients:
        bundle = _summary(ips_world, pid)
        assert check_document(bundle) == [], pid
        for entry in bundle["entry"]:
            validate(entry["resource"])  # raises Invalid on any R4 problem


def test_sections_follow_the_patients_data(ips_world: IpsWorld) -> None:
    with_meds = with_labs = 0
    for pid in ips_world.patients:
        mine = ips_world.by_patient.get(f"Patient/{pid}", [])
        sections = _sections(_summary(ips_world, pid))
        assert {"11450-4", "48765-2", "10160-0"} <= set(sections)
        dispensed = any(r["resourceType"] == "MedicationDispense" for r in mine)
        assert ("entry" in sections["10160-0"]) == dispensed, pid
        labs = any(r["resourceType"] == "Observation" and any(
            c["code"] == "laboratory" for cat in r.get("category", []) for c in cat["coding"])
            for r in mine)
        assert ("30954-2" in sections) == labs, pid
        with_meds += dispensed
        with_labs += labs
        active = {r["code"]["coding"][0]["code"] for r in mine if r["resourceType"] == "Condition"
                  and r["clinicalStatus"]["coding"][0]["code"] == "active"}
        listed = len(sections["11450-4"].get("entry", []))
        assert listed == len(active), pid
    assert with_meds and with_labs  # the population exercises both


def test_empty_required_sections_say_no_information() -> None:
    patient = {"resourceType": "Patient", "id": "bare", "name": [{"text": "Trần Văn A"}],
               "birthDate": "1970-01-01", "gender": "male"}
    bundle = build_summary(patient, [], language="en", now=NOW)
    assert check_document(bundle) == []
    sections = _sections(bundle)
    assert set(sections) == {"11450-4", "48765-2", "10160-0"}
    term = Terminology()
    empty_reason = term.code_system("http://terminology.hl7.org/CodeSystem/list-empty-reason")
    for s in sections.values():
        assert "entry" not in s
        coding = s["emptyReason"]["coding"][0]
        assert empty_reason.get(coding["code"]) is not None
        assert coding["code"] == "unavailable"
        assert "no information" in s["text"]["div"].lower()


def test_checker_catches_broken_documents(ips_world: IpsWorld) -> None:
    pid = next(iter(ips_world.patients))
    bundle = _summary(ips_world, pid)
    broken = copy.deepcopy(bundle)
    del broken["entry"][0]["resource"]["section"][1]["emptyReason"]
    assert any("ips-comp-1" in p for p in check_document(broken))
    broken = copy.deepcopy(bundle)
    broken["entry"][0]["resource"]["section"].pop(0)
    assert any("sectionProblems appears 0" in p for p in check_document(broken))
    broken = copy.deepcopy(bundle)
    broken["entry"].append(broken["entry"].pop(0))
    assert any("bdl-11" in p for p in check_document(broken))
    broken = copy.deepcopy(bundle)
    broken["type"] = "collection"
    assert any("Bundle.type" in p for p in check_document(broken))


def test_lab_result_without_performer_gets_data_absent_reason(ips_world: IpsWorld) -> None:
    for pid in ips_world.patients:
        for e in _summary(ips_world, pid)["entry"]:
            r = e["resource"]
            if r["resourceType"] == "Observation" and r.get("category", [{}])[0].get(
                    "coding", [{}])[0].get("code") == "laboratory":
                assert r["performer"], r["id"]
                return
    pytest.fail("no laboratory result in the population")


def test_references_resolve_inside_the_document(ips_world: IpsWorld) -> None:
    pid = max(ips_world.patients, key=lambda p: len(ips_world.by_patient.get(f"Patient/{p}", [])))
    bundle = _summary(ips_world, pid)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                refs.append(node["reference"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk([e["resource"] for e in bundle["entry"]])
    assert refs and set(refs) <= urls
    assert all(u.startswith("urn:uuid:") for u in urls)


@pytest.mark.parametrize(("language", "title"), [
    ("vi", "Danh sách vấn đề sức khỏe"), ("en", "Problem List")])
def test_narrative_is_xhtml_in_the_language(ips_world: IpsWorld, language: str,
                                           title: str) -> None:
    pid = next(iter(ips_world.patients))
    bundle = _summary(ips_world, pid, language)
    composition = bundle["entry"][0]["resource"]
    assert composition["language"] == language == bundle["language"]
    divs = [composition["text"]["div"]] + [s["text"]["div"] for s in composition["section"]]
    for div in divs:
        root = ET.fromstring(div)
        assert root.tag == f"{XHTML}div"
        assert root.get("lang") == language
        assert not root.findall(f".//{XHTML}script")
    assert composition["section"][0]["title"] == title
    assert ET.fromstring(composition["text"]["div"]).find(f"{XHTML}h1") is not None


def test_dispense_becomes_active_or_completed_statement() -> None:
    dispense = {"id": "d", "status": "completed", "subject": {"reference": "Patient/p"},
                "medicationCodeableConcept": {"text": "Metformin"},
                "whenHandedOver": "2026-06-20T08:00:00+07:00", "daysSupply": {"value": 30}}
    assert statement_from_dispense(dispense, "2026-07-01")["status"] == "active"
    assert statement_from_dispense(dispense, "2026-08-01")["status"] == "completed"
    assert statement_from_dispense({**dispense, "status": "cancelled"}, "2026-07-01") is None
