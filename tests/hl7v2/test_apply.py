"""Plans applied to the store: early validation, late validation, atomic failure."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.fhir_model.validation import validate
from carehub.hl7v2.apply import Applier
from carehub.hl7v2.errors import Loc, MessageError
from carehub.hl7v2.plan import Plan, Write, check_plan, ref
from tests.hl7v2.conftest import Env

PATIENT = {"resourceType": "Patient",
           "identifier": [{"system": "https://carehub.vn/id/mrn", "value": "T1"}]}


def _plan(status: str) -> Plan:
    obs = {"resourceType": "Observation", "status": status, "code": {"text": "x"},
           "subject": ref("patient")}
    encounter = {"resourceType": "Encounter", "subject": ref("patient")}  # status added later
    return Plan("TEST", [
        Write("patient", PATIENT, (("https://carehub.vn/id/mrn", "T1"),), policy="patient"),
        Write("encounter", encounter, fixed_id="e1", policy="encounter",
              options={"status": "in-progress", "default_class": {"code": "AMB"}}),
        Write("obs", obs, fixed_id="o1", policy="replace", loc=Loc("OBX", 2)),
    ])


def test_check_plan_marks_what_is_valid_as_mapped() -> None:
    plan = _plan("final")
    check_plan(plan, validate)
    checked = {op.key: op.checked for op in plan.ops if isinstance(op, Write)}
    assert checked == {"patient": True, "encounter": False, "obs": True}
    bad = _plan("nonsense")
    check_plan(bad, validate)
    assert [op.checked for op in bad.ops if isinstance(op, Write)] == [True, False, False]


def test_an_invalid_resource_fails_the_whole_plan(env: Env) -> None:
    plan = _plan("nonsense")
    check_plan(plan, validate)
    with pytest.raises(MessageError) as info, env.hub.store.session(write=True) as session:
        Applier(env.hub, session).apply(plan)
    assert info.value.code == "207"
    assert str(info.value.loc) == "OBX[2]"
    assert "Observation.status" in info.value.message
    assert env.counts() == {}  # the patient and encounter written before were rolled back


def test_a_custom_validator_sees_every_write(env: Env) -> None:
    seen: list[str] = []

    def counting(resource: dict[str, Any]) -> None:
        seen.append(resource["resourceType"])
        validate(resource)

    env.hub.validate = counting
    plan = _plan("final")
    check_plan(plan, validate)
    with env.hub.store.session(write=True) as session:
        written = Applier(env.hub, session).apply(plan)
    assert [w.split("/")[0] for w in written] == ["Patient", "Encounter", "Observation"]
    assert seen == ["Patient", "Encounter", "Observation"]
    encounter = env.get("Encounter/e1")
    assert encounter["status"] == "in-progress" and encounter["class"] == {"code": "AMB"}
