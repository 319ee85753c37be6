"""The education library (content files), assignment by clinicians and rules, reading."""

from __future__ import annotations

import pytest

from carehub.errors import Forbidden, NotFound
from carehub.telemed import education as edu
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records
from tests.telemed.conftest import NOW

DR1, P1, P2 = Actor("Practitioner/dr1"), Actor("Patient/p1"), Actor("Patient/p2")


def test_every_programme_has_items_in_both_languages() -> None:
    lib = edu.library()
    for programme in edu.PROGRAMMES:
        ids = {i.id for i in lib.values() if i.programme == programme}
        assert ids, programme
        for item_id in ids:
            vi, en = lib[(item_id, "vi")], lib[(item_id, "en")]
            assert vi.title != en.title and vi.body and en.body
    assert "<h1>" in edu.item("bp-home", "en").html()
    with pytest.raises(NotFound, match="Did you mean 'bp-home'"):
        edu.item("bp-hom", "vi")


def test_assign_read_and_track(records: Records) -> None:
    request = edu.assign(records, DR1, "Patient/p1", "copd-inhaler", NOW, "COPD GOLD 2")
    assert edu.item_of(request) == "copd-inhaler"
    with pytest.raises(Forbidden):
        edu.assign(records, P1, "Patient/p1", "copd-inhaler", NOW)
    with pytest.raises(Forbidden):
        edu.mark_read(records, P2, request["id"], NOW)
    with pytest.raises(Forbidden):
        edu.assigned(records, P2, "Patient/p1")
    assert edu.mark_read(records, P1, request["id"], NOW)["status"] == "completed"
    reads = records.search("Communication", [("based-on",
                                              f"CommunicationRequest/{request['id']}")])
    assert len(reads) == 1 and reads[0]["received"] == "2026-03-02T01:00:00Z"
    edu.mark_read(records, P1, request["id"], NOW)
    assert len(records.search("Communication", [])) == 1


def test_rules_assign_from_screening_findings_once(records: Records) -> None:
    findings = [("lung_cancer", "due"), ("kidney", "not_eligible"), ("respiratory", "overdue")]
    made = edu.assign_by_rules(records, "Patient/p1", findings, NOW)
    assert sorted(edu.item_of(r) for r in made) == ["copd-inhaler", "lung-ldct"]
    assert edu.assign_by_rules(records, "Patient/p1", findings, NOW) == []
