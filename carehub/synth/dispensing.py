"""MedicationDispense and SupplyDelivery: what the pharmacy hands out.

https://hl7.org/fhir/R4/medicationdispense.html and
https://hl7.org/fhir/R4/supplydelivery.html

* Every medicine item given to a patient is one MedicationDispense
  (``status`` completed), dispensed by a pharmacist of the Khoa Dược, with
  the quantity in dispensing units, the days of supply and the encounter as
  ``context``; inpatient items name the ward as ``destination``.
* **Consumable supplies are SupplyDelivery resources** (``type`` device): one
  per item and encounter, from the pharmacy (``supplier``) to the department
  or ward where it was used (``destination``), with the ``patient`` it was
  used for. Summing them by destination and day gives each department's
  consumption; summing them by item gives stock movements.
"""

from __future__ import annotations

import math
from typing import Any

from carehub.synth import systems
from carehub.synth.facility import DEPARTMENTS, PHARMACY
from carehub.synth.formulary import medicines, supplies
from carehub.synth.record import Record

_PHARMACY = DEPARTMENTS[PHARMACY]
_PHARMACY_LOCATION = _PHARMACY.loc_ref
_PHARMACY_ORG = _PHARMACY.org_ref
_DEVICE = {"coding": [{"system": systems.SUPPLY_ITEM_TYPE, "code": "device", "display": "Device"}]}


def pharmacist_ref(number: int) -> dict[str, Any]:
    """``MedicationDispense.performer`` for pharmacist ``number`` (0-based).

    >>> pharmacist_ref(2)
    {'actor': {'reference': 'Practitioner/pr-duoc-003'}}
    """
    return {"actor": {"reference": f"Practitioner/pr-{PHARMACY}-{number + 1:03d}"}}


def dispense(
    rec: Record,
    encounter: dict[str, str],
    when: str,
    medicine: str,
    days: int,
    performer: dict[str, Any],
    destination: dict[str, str] | None = None,
) -> None:
    """Add a completed MedicationDispense of ``days`` of ``medicine``.

    Raises:
        KeyError: ``medicine`` is not in the formulary.
    """
    med = medicines()[medicine]
    count = max(1, math.ceil(med.per_day * days - 1e-9))
    resource: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "id": rec.new_id("MedicationDispense"),
        "status": "completed",
        "medicationCodeableConcept": med.concept,
        "subject": rec.subject,
        "context": encounter,
        "performer": [performer],
        "location": _PHARMACY_LOCATION,
        "quantity": {"value": count, "unit": med.unit, "system": systems.UCUM, "code": med.unit},
        "daysSupply": {"value": days, "unit": "d", "system": systems.UCUM, "code": "d"},
        "whenHandedOver": when,
        "dosageInstruction": med.dosage,
    }
    if destination:
        resource["destination"] = destination
    rec.add(resource)


def deliver(rec: Record, when: str, item: str, count: int, destination: dict[str, str]) -> None:
    """Add a completed SupplyDelivery of ``count`` units of consumable ``item``.

    Raises:
        KeyError: ``item`` is not in the supply list.
    """
    supply = supplies()[item]
    rec.add(
        {
            "resourceType": "SupplyDelivery",
            "id": rec.new_id("SupplyDelivery"),
            "status": "completed",
            "patient": rec.subject,
            "type": _DEVICE,
            "suppliedItem": {
                "quantity": {
                    "value": count,
                    "unit": supply.unit,
                    "system": systems.UCUM,
                    "code": supply.unit,
                },
                "itemCodeableConcept": supply.concept,
            },
            "occurrenceDateTime": when,
            "supplier": _PHARMACY_ORG,
            "destination": destination,
        }
    )
