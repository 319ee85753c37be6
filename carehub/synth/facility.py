"""The hospital: Organization, departments, Locations down to beds, staff.

https://hl7.org/fhir/R4/organization.html, location.html, practitioner.html,
practitionerrole.html

A fictional public general hospital in Hà Nội ("Bệnh viện Đa khoa CareHub").
Each department (khoa) is an Organization (type ``dept``, ``partOf`` the
hospital) and a Location (physical type ``wi``); departments that admit
patients also have a ward Location (``wa``) whose beds (``bd``) are numbered
``bed-<department>-00001`` upward. Bed numbers are assigned after all
admissions are known (:mod:`carehub.synth.beds`), so the number of beds of a
ward is the larger of its planned size and the peak number of patients it
held at once.

Staff (doctors, nurses, pharmacists) have Vietnamese names drawn from the
run's facility random stream, and one PractitionerRole each.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from carehub.synth import systems
from carehub.synth.names import pick_name
from carehub.synth.sampling import facility_rng, permute

HOSPITAL_ID = "org-hospital"
HOSPITAL_NAME = "Bệnh viện Đa khoa CareHub"
SITE_ID = "loc-hospital"
PHARMACY = "duoc"
BEDS_PER_1000_PATIENTS = 1.2
"""Planned beds per 1,000 patients of the population (before the occupancy check)."""
MIN_WARD_BEDS = 4


@dataclass(frozen=True, slots=True)
class Department:
    """A department (khoa).

    Attributes:
        code: ASCII slug, also the code in :data:`carehub.synth.systems.DEPARTMENT`.
        name: Vietnamese name.
        doctors: number of doctors (pharmacists for the pharmacy).
        nurses: number of nurses.
        bed_share: share of the hospital's beds, 0 for departments without a ward.
    """

    code: str
    name: str
    doctors: int
    nurses: int
    bed_share: float = 0.0

    @property
    def org_ref(self) -> dict[str, str]:
        """Reference to the department's Organization."""
        return {"reference": f"Organization/org-{self.code}", "display": self.name}

    @property
    def loc_ref(self) -> dict[str, str]:
        """Reference to the department's Location."""
        return {"reference": f"Location/loc-{self.code}", "display": self.name}

    @property
    def ward_ref(self) -> dict[str, str]:
        """Reference to the department's ward Location."""
        return {"reference": f"Location/ward-{self.code}", "display": f"Khu nội trú {self.name}"}

    @property
    def service_type(self) -> dict[str, Any]:
        """``Encounter.serviceType``: the department as a concept."""
        coding = {"system": systems.DEPARTMENT, "code": self.code, "display": self.name}
        return {"coding": [coding], "text": self.name}


DEPARTMENTS = {
    d.code: d
    for d in (
        Department("kham-benh", "Khoa Khám bệnh", 12, 16),
        Department("cap-cuu", "Khoa Cấp cứu", 10, 18),
        Department("noi-tim-mach", "Khoa Nội tim mạch", 8, 12, 0.12),
        Department("noi-tiet", "Khoa Nội tiết", 6, 8, 0.05),
        Department("than", "Khoa Thận - Tiết niệu", 6, 8, 0.05),
        Department("ho-hap", "Khoa Hô hấp", 7, 10, 0.11),
        Department("tieu-hoa", "Khoa Tiêu hóa", 7, 10, 0.09),
        Department("ung-buou", "Khoa Ung bướu", 6, 8, 0.06),
        Department("truyen-nhiem", "Khoa Truyền nhiễm", 5, 8, 0.06),
        Department("than-kinh", "Khoa Thần kinh", 6, 9, 0.08),
        Department("ngoai-tong-hop", "Khoa Ngoại tổng hợp", 8, 10, 0.09),
        Department("chan-thuong", "Khoa Chấn thương chỉnh hình", 7, 10, 0.09),
        Department("san", "Khoa Phụ sản", 7, 12, 0.08),
        Department("nhi", "Khoa Nhi", 7, 12, 0.08),
        Department("hoi-suc", "Khoa Hồi sức tích cực", 6, 14, 0.04),
        Department("tai-mui-hong", "Khoa Tai Mũi Họng", 4, 5),
        Department("mat", "Khoa Mắt", 4, 5),
        Department("da-lieu", "Khoa Da liễu", 3, 4),
        Department("co-xuong-khop", "Khoa Cơ xương khớp", 4, 5),
        Department("chan-doan-hinh-anh", "Khoa Chẩn đoán hình ảnh", 6, 6),
        Department(PHARMACY, "Khoa Dược", 6, 0),
    )
}
WARDS = tuple(code for code, d in DEPARTMENTS.items() if d.bed_share > 0)
"""Departments with an inpatient ward, in a fixed order (their index is the ward number)."""


def planned_beds(patients: int) -> dict[str, int]:
    """Planned beds per ward for a population of ``patients``.

    >>> planned_beds(100)["noi-tim-mach"], planned_beds(1_000_000)["noi-tim-mach"]
    (4, 144)
    """
    total = patients * BEDS_PER_1000_PATIENTS / 1000
    return {
        code: max(MIN_WARD_BEDS, math.ceil(total * DEPARTMENTS[code].bed_share)) for code in WARDS
    }


def doctor_ref(department: str, number: int) -> dict[str, str]:
    """Reference to doctor ``number`` (0-based) of ``department``.

    >>> doctor_ref("nhi", 0)
    {'reference': 'Practitioner/pr-nhi-001'}
    """
    return {"reference": f"Practitioner/pr-{department}-{number + 1:03d}"}


def bed_id(ward: str, number: int) -> str:
    """The Location id of bed ``number`` (1-based) of ``ward``.

    >>> bed_id("nhi", 7)
    'bed-nhi-00007'
    """
    return f"bed-{ward}-{number:05d}"


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


_ADDRESS = {
    "use": "work",
    "type": "physical",
    "text": "Số 1 đường Giải Phóng, Hai Bà Trưng, Hà Nội",
    "line": ["Số 1 đường Giải Phóng"],
    "city": "Hà Nội",
    "district": "Hai Bà Trưng",
    "state": "Hà Nội",
    "country": "VN",
}
_PROV = [_concept(systems.ORGANIZATION_TYPE, "prov", "Healthcare Provider")]
_DEPT = [_concept(systems.ORGANIZATION_TYPE, "dept", "Hospital Department")]
_HOSPITAL_REF = {"reference": f"Organization/{HOSPITAL_ID}", "display": HOSPITAL_NAME}
_SITE_REF = {"reference": f"Location/{SITE_ID}", "display": HOSPITAL_NAME}
_ROLES = {
    "doctor": (_concept(systems.PRACTITIONER_ROLE, "doctor", "Doctor"), "BS."),
    "nurse": (_concept(systems.PRACTITIONER_ROLE, "nurse", "Nurse"), "ĐD."),
    "pharmacist": (_concept(systems.PRACTITIONER_ROLE, "pharmacist", "Pharmacist"), "DS."),
}


def _location(
    id_: str, name: str, kind: tuple[str, str], org: dict[str, str], part_of: dict[str, str] | None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": id_,
        "status": "active",
        "name": name,
        "mode": "instance",
        "physicalType": _concept(systems.LOCATION_PHYSICAL_TYPE, *kind),
        "managingOrganization": org,
    }
    if part_of:
        resource["partOf"] = part_of
    return resource


def facility_resources(seed: int, beds: Mapping[str, int], year: int) -> Iterator[dict[str, Any]]:
    """Every Organization, Location, Practitioner and PractitionerRole of the hospital.

    Args:
        seed: the run's seed (staff names).
        beds: number of beds of each ward in :data:`WARDS`.
        year: the year of the end date (staff ages).
    """
    yield {
        "resourceType": "Organization",
        "id": HOSPITAL_ID,
        "active": True,
        "type": _PROV,
        "name": HOSPITAL_NAME,
        "alias": ["CareHub General Hospital"],
        "address": [_ADDRESS],
    }
    for d in DEPARTMENTS.values():
        yield {
            "resourceType": "Organization",
            "id": f"org-{d.code}",
            "active": True,
            "type": _DEPT,
            "name": d.name,
            "partOf": _HOSPITAL_REF,
        }
    yield _location(SITE_ID, HOSPITAL_NAME, ("si", "Site"), _HOSPITAL_REF, None)
    for d in DEPARTMENTS.values():
        yield _location(f"loc-{d.code}", d.name, ("wi", "Wing"), d.org_ref, _SITE_REF)
        if d.code in beds:
            ward = d.ward_ref
            yield _location(
                ward["reference"][9:], ward["display"], ("wa", "Ward"), d.org_ref, d.loc_ref
            )
            for n in range(1, beds[d.code] + 1):
                yield _location(
                    bed_id(d.code, n), f"Giường {n} - {d.name}", ("bd", "Bed"), d.org_ref, ward
                )
    yield from _staff(facility_rng(seed), seed, year)


def _staff(rng: random.Random, seed: int, year: int) -> Iterator[dict[str, Any]]:
    serial = 0
    for d in DEPARTMENTS.values():
        doctor_role = "pharmacist" if d.code == PHARMACY else "doctor"
        staff = [doctor_role] * d.doctors + ["nurse"] * d.nurses
        for number, role in enumerate(staff, start=1):
            pid = f"pr-{d.code}-{number:03d}"
            serial += 1
            certificate = f"{permute(serial, 1_000_000, seed):06d}/HNO-CCHN"
            female = rng.random() < (0.85 if role == "nurse" else 0.5)
            birth_year = year - rng.randint(24, 60)
            name = pick_name(rng, "female" if female else "male", birth_year, "N")
            code, prefix = _ROLES[role]
            yield {
                "resourceType": "Practitioner",
                "id": pid,
                "identifier": [{"system": systems.CCHN, "value": certificate}],
                "active": True,
                "name": [name.to_fhir(prefix)],
                "gender": "female" if female else "male",
            }
            yield {
                "resourceType": "PractitionerRole",
                "id": f"role-{d.code}-{number:03d}",
                "active": True,
                "practitioner": {"reference": f"Practitioner/{pid}", "display": name.text},
                "organization": d.org_ref,
                "code": [code],
                "specialty": [d.service_type],
                "location": [d.loc_ref],
            }
