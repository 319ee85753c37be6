"""Case conferences: the shared case view and the signed conclusion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carehub.errors import Conflict, Forbidden, Incorrect
from carehub.telemed import conference as conf
from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records
from carehub.telemed.signing import KeySigner
from tests.telemed.conftest import NOW, later

DR1 = Actor("Practitioner/dr1")
LAB: dict[str, Any] = {
    "resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/p1"},
    "category": [{"coding": [{"code": "laboratory"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0", "display": "Creatinine"}]},
}


@pytest.fixture
def signer(tmp_path: Path) -> KeySigner:
    return KeySigner(tmp_path / "key.pem")


@pytest.fixture
def conference(records: Records) -> dict[str, Any]:
    for i, (day, value) in enumerate([("2026-01-05", 88), ("2026-02-05", 97)]):
        records.put({**LAB, "id": f"l{i}", "effectiveDateTime": day,
                     "valueQuantity": {"value": value, "unit": "umol/L"}})
    records.put({"resourceType": "DiagnosticReport", "id": "ct", "status": "final",
                 "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-02-01",
                 "code": {"coding": [{"display": "CT ngực"}]},
                 "conclusion": "Khối 2,1 cm thùy trên phổi phải"})
    return sch.create_conference(records, DR1, ["Practitioner/dr2", "Practitioner/dr3"],
                                 "Patient/p1", later(1), later(2), "Hội chẩn u phổi")


def test_case_view_tabs(records: Records, conference: dict[str, Any]) -> None:
    labs = conf.case_view(records, conference, {"patient": "Patient/p1", "tab": "labs"})
    assert labs["chart"] == "2160-0"
    assert labs["trends"][0]["points"] == [["2026-01-05", 88.0], ["2026-02-05", 97.0]]
    imaging = conf.case_view(records, conference, {"patient": "Patient/p1", "tab": "imaging"})
    assert imaging["findings"][0]["conclusion"].startswith("Khối 2,1 cm")
    with pytest.raises(Forbidden):
        conf.case_view(records, conference, {"patient": "Patient/p2", "tab": "labs"})
    with pytest.raises(Incorrect):
        conf.case_view(records, conference, {"patient": "Patient/p1", "tab": "billing"})


def test_conclusion_is_signed_and_lists_participants(records: Records, signer: KeySigner,
                                                     conference: dict[str, Any]) -> None:
    out = conf.conclude(records, signer, DR1, conference["id"], "Phẫu thuật cắt thùy.\nTheo dõi.",
                        NOW)
    comp, doc, prov = out["Composition"], out["DocumentReference"], out["Provenance"]
    parties = [a["party"]["reference"] for a in comp["attester"]]
    assert parties == ["Practitioner/dr1", "Practitioner/dr2", "Practitioner/dr3"]
    assert "<p>Phẫu thuật cắt thùy.</p><p>Theo dõi.</p>" in comp["section"][0]["text"]["div"]
    assert doc["content"][0]["attachment"]["url"] == f"Composition/{comp['id']}"
    assert prov["signature"][0]["sigFormat"] == "application/jose"
    assert conf.verify_conclusion(records, signer, prov["id"])
    tampered = records.get("Composition", comp["id"])
    tampered["section"][0]["text"]["div"] = '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'
    records.put(tampered)
    assert not conf.verify_conclusion(records, signer, prov["id"])
    with pytest.raises(Conflict):
        conf.conclude(records, signer, DR1, conference["id"], "again", NOW)


def test_only_participants_conclude_and_nothing_is_stored_on_refusal(
        records: Records, signer: KeySigner, conference: dict[str, Any]) -> None:
    for actor, text in [(Actor("Practitioner/drX"), "x"), (Actor("Patient/p1"), "x"),
                        (DR1, "  ")]:
        with pytest.raises((Forbidden, Incorrect)):
            conf.conclude(records, signer, actor, conference["id"], text, NOW)
    assert records.search("Composition", []) == []
    assert records.search("Provenance", []) == []
