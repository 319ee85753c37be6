"""The mapping data files are complete and map to codes R4 accepts."""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Any

import pytest

from carehub.fhir_model.validation import validate
from carehub.hl7v2.ingest import MAPPERS
from carehub.hl7v2.map_adt import _PID_KINDS, _PV1_KINDS
from carehub.hl7v2.mapping import load_tables

TABLES = load_tables()
REF = {"reference": "Patient/p"}


def test_events_name_known_mappers_and_policies() -> None:
    for key, event in TABLES.events.items():
        assert event["mapper"] in MAPPERS, key
        assert event["patient"] in ("upsert", "find-or-create"), key
        encounter = event["encounter"]
        assert encounter["policy"] in ("upsert", "optional", "existing", "reference", "none"), key
        if encounter.get("class"):
            assert TABLES.code("0004-class", encounter["class"]) is not None, key
    expected = {"ADT^A01", "ADT^A02", "ADT^A03", "ADT^A04", "ADT^A08", "ADT^A11", "ADT^A13",
                "ADT^A28", "ADT^A31", "ADT^A40", "ORU^R01", "ORM^O01", "OML^O21", "RDE^O11",
                "RDS^O13"}
    assert set(TABLES.events) == expected


def test_field_maps_use_known_kinds_and_tables() -> None:
    for spec in TABLES.pid_fields:
        assert spec["kind"] in _PID_KINDS
        if "table" in spec:
            assert spec["table"] in TABLES.codes
    for spec in TABLES.pv1_fields:
        assert spec["kind"] in _PV1_KINDS
        if "table" in spec:
            assert spec["table"] in TABLES.codes


def test_codes_are_unique_per_table() -> None:
    text = resources.files("carehub.hl7v2.mapping").joinpath("codes.csv").read_text("utf-8")
    keys = [(r["table"], r["v2_code"].upper()) for r in csv.DictReader(io.StringIO(text))]
    assert len(keys) == len(set(keys))


def _resources(table: str, code: str) -> list[dict[str, Any]]:
    """Minimal resources using ``code`` where ``table``'s codes go."""
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    if table == "0001-gender":
        return [{"resourceType": "Patient", "gender": code}]
    if table == "0085-observation-status":
        return [{**obs, "status": code}]
    if table == "0123-report-status":
        return [{"resourceType": "DiagnosticReport", "status": code, "code": {"text": "x"}}]
    if table.endswith("-servicerequest"):
        return [{"resourceType": "ServiceRequest", "status": code, "intent": "order",
                 "subject": REF}]
    if table == "0027-priority":
        return [{"resourceType": "ServiceRequest", "status": "active", "intent": "order",
                 "priority": code, "subject": REF}]
    if table.endswith("-medicationrequest"):
        return [{"resourceType": "MedicationRequest", "status": code, "intent": "order",
                 "medicationCodeableConcept": {"text": "x"}, "subject": REF}]
    if table == "0119-medicationdispense":
        return [{"resourceType": "MedicationDispense", "status": code,
                 "medicationCodeableConcept": {"text": "x"}}]
    if table == "0190-address-use":
        return [{"resourceType": "Patient", "address": [{"use": code, "text": "x"}]}]
    if table == "0201-telecom-use" or table == "0202-telecom-use":
        return [{"resourceType": "Patient", "telecom": [{"system": "phone", "value": "1",
                                                         "use": code}]}]
    if table == "0202-telecom-system":
        return [{"resourceType": "Patient", "telecom": [{"system": code, "value": "1"}]}]
    if table == "0200-name-use":
        return [{"resourceType": "Patient", "name": [{"use": code, "text": "x"}]}]
    return []


@pytest.mark.parametrize("table", sorted(TABLES.codes))
def test_table_codes_are_valid_fhir(table: str) -> None:
    for v2_code, coded in TABLES.codes[table].items():
        assert coded.code, (table, v2_code)
        assert coded.system.startswith(("http://", "https://")), (table, v2_code)
        for resource in _resources(table, coded.code):
            validate(resource)


def test_timing_rows_are_valid_fhir() -> None:
    for code, row in TABLES.timing.items():
        repeat: dict[str, Any] = {}
        if row.frequency is not None:
            repeat.update(frequency=row.frequency, period=row.period, periodUnit=row.period_unit)
        if row.when:
            repeat["when"] = [row.when]
        if row.count is not None:
            repeat["count"] = row.count
        dosage: dict[str, Any] = {"text": row.text, "timing": {"code": {"text": code}}}
        if repeat:
            dosage["timing"]["repeat"] = repeat
        validate({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                  "medicationCodeableConcept": {"text": "x"}, "subject": REF,
                  "dosageInstruction": [dosage]})


def test_identifier_systems_match_the_synthetic_population() -> None:
    from carehub.synth import systems

    patient = TABLES.identifiers["patient"]
    assert patient["authorities"]["CCCD"]["system"] == systems.CCCD
    assert patient["authorities"]["BHYT"]["system"] == systems.BHYT
    assert patient["authorities"]["BV"]["system"] == systems.MRN
    assert TABLES.identifiers["practitioner"]["authorities"]["CCHN"] == systems.CCHN
    assert TABLES.system_of("LN") == systems.LOINC
    assert TABLES.system_of("ATC") == systems.ATC
