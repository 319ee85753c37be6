"""Round trip: FHIR → XML envelope → FHIR keeps what the tables carry."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from carehub.errors import Invalid
from carehub.fhir_model.validation import validate
from carehub.synth import systems
from carehub.vn_insurance.envelope import read_envelope
from carehub.vn_insurance.episode import MemoryReader, collect_episode, identifier
from carehub.vn_insurance.export import envelope_bytes
from carehub.vn_insurance.export_costs import code_of
from carehub.vn_insurance.import_xml import import_hoso
from tests.vn_insurance.episodes import export_context, population
from tests.vn_insurance.test_export import INPATIENT, exported


def test_round_trip_keeps_patient_encounter_diagnoses_drugs_and_results() -> None:
    original = collect_episode(MemoryReader(population()), INPATIENT)
    envelope = read_envelope(envelope_bytes([exported(INPATIENT)], export_context()))
    assert envelope.facility == "01001"
    resources = import_hoso(envelope.episodes[0], envelope.facility)
    for res in resources:
        validate(res)  # every resource is valid R4
    by_type: dict[str, list[dict[str, Any]]] = {}
    for res in resources:
        by_type.setdefault(res["resourceType"], []).append(res)

    patient = by_type["Patient"][0]
    for system in (systems.CCCD, systems.BHYT):
        assert identifier(patient, system) == identifier(original.patient, system)
    assert patient["birthDate"] == original.patient["birthDate"]
    assert patient["gender"] == original.patient["gender"]
    assert patient["name"][0]["text"] == original.patient["name"][0]["text"]

    enc = by_type["Encounter"][0]
    assert enc["class"]["code"] == "IMP"
    assert enc["period"]["start"] == original.encounter["period"]["start"]
    assert enc["identifier"][0]["value"] == f"01001/{INPATIENT}"
    assert [code_of(c["code"], systems.ICD10) for c in by_type["Condition"]] == [
        code_of(c["code"], systems.ICD10) for c in original.conditions]

    assert [d["quantity"]["value"] for d in by_type["MedicationDispense"]] == [
        d["quantity"]["value"] for d in original.dispenses]
    labs = [o for o in original.observations if "laboratory" in str(o.get("category"))]
    assert [(code_of(o["code"], systems.LOINC), o["valueQuantity"]["value"])
            for o in by_type["Observation"]] == [
        (code_of(o["code"], systems.LOINC), o["valueQuantity"]["value"]) for o in labs]
    assert by_type["Coverage"][0]["period"] == {"start": "2025-01-01", "end": "2026-12-31"}
    assert by_type["ChargeItem"][0]["priceOverride"] == {"value": 249000.0, "currency": "VND"}


def test_invalid_episode_yields_nothing() -> None:
    hoso = copy.deepcopy(exported(INPATIENT).hoso)
    hoso["XML2"][0]["THANH_TIEN_BV"] = "1"
    with pytest.raises(Invalid, match=r"XML2\[1\]\.THANH_TIEN_BV"):
        import_hoso(hoso, "01001")
