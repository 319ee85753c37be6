"""ADT^A40: patients linked, references moved, nothing else touched."""

from __future__ import annotations

from tests.hl7v2.conftest import Env, message, with_control_id

MRN = "https://carehub.vn/id/mrn"


def _patient(env: Env, mrn: str) -> dict:  # type: ignore[type-arg]
    found = [p for p in env.all("Patient")
             if any(i["system"] == MRN and i["value"] == mrn and i.get("use") != "old"
                    for i in p["identifier"])]
    assert len(found) == 1, found
    return found[0]


def test_a40_links_patients_and_moves_references(env: Env) -> None:
    env.accept("adt_a01.hl7", "adt_a01_prior.hl7", "oru_r01_prior.hl7")
    survivor = _patient(env, "BN00000101")
    prior = _patient(env, "BN00000102")
    prior_ref, survivor_ref = f"Patient/{prior['id']}", f"Patient/{survivor['id']}"
    moved = [e for e in env.all("Encounter") if e["subject"]["reference"] == prior_ref]
    moved += [o for o in env.all("Observation") if o["subject"]["reference"] == prior_ref]
    moved += [r for r in env.all("DiagnosticReport") if r["subject"]["reference"] == prior_ref]
    assert len(moved) == 3

    env.accept("adt_a40.hl7")

    prior = env.get(prior_ref)
    assert prior["active"] is False
    assert prior["link"] == [{"other": {"reference": survivor_ref}, "type": "replaced-by"}]
    survivor = env.get(survivor_ref)
    assert survivor["link"] == [{"other": {"reference": prior_ref}, "type": "replaces"}]
    old = [i for i in survivor["identifier"] if i.get("use") == "old"]
    assert [(i["system"], i["value"]) for i in old] == [(MRN, "BN00000102")]
    # every reference to the prior patient now points at the survivor
    for rtype in ("Encounter", "Observation", "DiagnosticReport"):
        for resource in env.all(rtype):
            assert resource["subject"]["reference"] == survivor_ref, resource["id"]
    assert len(env.all("Encounter")) == 2
    assert len(env.all("Patient")) == 2  # the prior patient is kept, inactive


def test_a40_again_changes_nothing(env: Env) -> None:
    env.accept("adt_a01.hl7", "adt_a01_prior.hl7", "oru_r01_prior.hl7", "adt_a40.hl7")
    versions = env.history_size()
    again = env.ingest(with_control_id(message("adt_a40.hl7"), "MRG0001-AGAIN"))
    assert again.code == "AA", again.error
    assert again.written == ()
    assert env.history_size() == versions


def test_later_messages_with_the_old_identifier_reach_the_survivor(env: Env) -> None:
    env.accept("adt_a01.hl7", "adt_a01_prior.hl7", "adt_a40.hl7")
    survivor = _patient(env, "BN00000101")
    # a lab still using the prior MRN: found through the replaced-by link
    late = message("oru_r01_prior.hl7").replace(b"LAB0101", b"LAB0199")
    result = env.ingest(late)
    assert result.code == "AA", result.error
    (report,) = env.all("DiagnosticReport")
    assert report["subject"]["reference"] == f"Patient/{survivor['id']}"
    assert len(env.all("Patient")) == 2


def test_a40_with_an_unknown_prior_patient_is_an_error(env: Env) -> None:
    env.accept("adt_a01.hl7")
    versions = env.history_size()
    result = env.ingest("malformed/a40_unknown_prior.hl7")
    assert result.code == "AE"
    assert result.error is not None
    assert (result.error.code, str(result.error.loc)) == ("204", "MRG-1")
    assert "\rERR||MRG^1^1|204^Unknown key identifier^HL70357|E|" in result.ack
    assert env.history_size() == versions
