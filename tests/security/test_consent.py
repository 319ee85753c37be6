"""Research opt-outs from Consent resources, read from a real store."""

from __future__ import annotations

from pathlib import Path

from carehub.security.consent import CONSENT_SCOPE, research_opt_outs
from carehub.storage.sqlite import SqliteStore


def consent(
    cid: str, patient: str, kind: str, when: str, status: str = "active"
) -> dict[str, object]:
    return {"resourceType": "Consent", "id": cid, "status": status, "dateTime": when,
            "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "research"}]},
            "category": [{"text": "research"}], "patient": {"reference": f"Patient/{patient}"},
            "provision": {"type": kind}}


def test_latest_active_research_consent_decides(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "f.sqlite3")
    with store.session(write=True) as s:
        s.put(consent("c1", "a", "deny", "2024-01-01"))
        s.put(consent("c2", "b", "deny", "2024-01-01"))
        s.put(consent("c3", "b", "permit", "2025-01-01"))  # opted back in
        s.put(consent("c4", "c", "deny", "2024-01-01", status="inactive"))
        treatment = consent("c5", "d", "deny", "2024-01-01")
        treatment["scope"] = {"coding": [{"system": CONSENT_SCOPE, "code": "treatment"}]}
        s.put(treatment)
    assert research_opt_outs(store) == {"a"}
    store.close()
