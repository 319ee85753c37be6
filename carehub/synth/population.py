"""Who the patients are: age and sex from the pyramid of Viet Nam, name, identifiers.

:func:`make_person` draws one person from their own random stream: age and
sex from ``data/population.csv`` (ages on the end date, uniform within each
5-year band, the last band running to 99), province of residence and of
birth registration, name, citizen number (all citizens have one since the
2023 Law on Identification), BHYT card (about 93 % coverage) and mobile
phone. :func:`patient_resource` renders the FHIR Patient.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass
from typing import Any

from carehub.synth import systems
from carehub.synth.geography import home_address, pick_birth_province, pick_residence
from carehub.synth.identifiers import (
    bhyt,
    bhyt_group,
    cccd,
    cccd_serial,
    mobile_number,
    social_insurance_number,
)
from carehub.synth.names import VietName, pick_name
from carehub.synth.reference import Province, age_bands
from carehub.synth.sampling import Weighted

INSURED_SHARE = 0.93
PHONE_SHARE = 0.95


@dataclass(frozen=True, slots=True)
class Person:
    """One patient's demographics.

    Attributes:
        index: 0-based position in the run.
        id: the Patient resource id.
        female: sex (FHIR ``gender`` is ``female`` or ``male``).
        birth_date: date of birth.
        age: completed years on the end date.
        age_exact: fractional years on the end date.
        residence: province of residence.
        birth_province: province of birth registration (the CCCD code).
        name: the person's name.
        cccd: 12-digit citizen identity number.
        bhyt: 15-character insurance card number, or ``None`` if uninsured.
        phone: mobile number, or ``None``.
        address: the FHIR home ``Address``.
    """

    index: int
    id: str
    female: bool
    birth_date: dt.date
    age: int
    age_exact: float
    residence: Province
    birth_province: Province
    name: VietName
    cccd: str
    bhyt: str | None
    phone: str | None
    address: dict[str, Any]

    @property
    def gender(self) -> str:
        """The FHIR administrative gender."""
        return "female" if self.female else "male"


@functools.cache
def _pyramid() -> Weighted[tuple[int, int, bool]]:
    pairs: list[tuple[tuple[int, int, bool], float]] = []
    for band in age_bands():
        pairs.append(((band.age_from, band.age_to, False), band.male))
        pairs.append(((band.age_from, band.age_to, True), band.female))
    return Weighted(pairs)


def patient_id(index: int) -> str:
    """The Patient id of patient ``index``.

    >>> patient_id(41)
    'p0000042'
    """
    return f"p{index + 1:07d}"


def make_person(rng: random.Random, index: int, seed: int, end: dt.date) -> Person:
    """Draw patient ``index`` of a run seeded ``seed`` whose activity ends on ``end``."""
    low, high, female = _pyramid().pick(rng)
    days_old = rng.randrange(low * 365 + low // 4, (high + 1) * 365 + (high + 1) // 4)
    birth = end - dt.timedelta(days=days_old)
    age = end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day))
    residence = pick_residence(rng)
    born_in = pick_birth_province(rng, residence)
    sex = "female" if female else "male"
    name = pick_name(rng, sex, birth.year, residence.region)
    card = None
    if rng.random() < INSURED_SHARE:
        group = bhyt_group(rng, age)
        card = bhyt(group, residence.code, social_insurance_number(index, seed))
    phone = mobile_number(rng) if rng.random() < PHONE_SHARE else None
    return Person(
        index=index,
        id=patient_id(index),
        female=female,
        birth_date=birth,
        age=age,
        age_exact=days_old / 365.25,
        residence=residence,
        birth_province=born_in,
        name=name,
        cccd=cccd(born_in.code, birth.year, female, cccd_serial(index, seed)),
        bhyt=card,
        phone=phone,
        address=home_address(rng, residence),
    )


_MR_TYPE = {
    "coding": [{"system": systems.V2_0203, "code": "MR", "display": "Medical record number"}]
}
_NI_TYPE = {
    "coding": [
        {
            "system": systems.V2_0203,
            "code": "NI",
            "display": "National unique individual identifier",
        }
    ],
    "text": "Căn cước công dân",
}
_SN_TYPE = {
    "coding": [{"system": systems.V2_0203, "code": "SN", "display": "Subscriber Number"}],
    "text": "Thẻ bảo hiểm y tế",
}


def patient_resource(person: Person, deceased: str | None = None) -> dict[str, Any]:
    """The FHIR R4 Patient of ``person``; ``deceased`` is the dateTime of death, if any."""
    identifiers: list[dict[str, Any]] = [
        {
            "use": "usual",
            "type": _MR_TYPE,
            "system": systems.MRN,
            "value": f"BN{person.index + 1:08d}",
        },
        {"use": "official", "type": _NI_TYPE, "system": systems.CCCD, "value": person.cccd},
    ]
    if person.bhyt:
        identifiers.append(
            {"use": "official", "type": _SN_TYPE, "system": systems.BHYT, "value": person.bhyt}
        )
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": person.id,
        "identifier": identifiers,
        "active": True,
        "name": [person.name.to_fhir()],
    }
    if person.phone:
        resource["telecom"] = [{"system": "phone", "value": person.phone, "use": "mobile"}]
    resource["gender"] = person.gender
    resource["birthDate"] = person.birth_date.isoformat()
    if deceased:
        resource["deceasedDateTime"] = deceased
    resource["address"] = [person.address]
    resource["communication"] = [_VIETNAMESE]
    return resource


_VIETNAMESE = {
    "language": {
        "coding": [{"system": systems.BCP47, "code": "vi", "display": "Vietnamese"}],
        "text": "Tiếng Việt",
    },
    "preferred": True,
}
