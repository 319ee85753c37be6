"""Demographics: names, age/sex structure, residence."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections import Counter

from carehub.synth.reference import name_parts
from tests.synth.conftest import Population

FAMILY_SHARES = {"Nguyễn": 38.4, "Trần": 11.0, "Lê": 9.5, "Phạm": 7.0}
"""Published shares (percent) of the most common family names."""


def test_family_name_frequencies(population: Population) -> None:
    names = Counter(p["name"][0]["family"] for p in population.patients.values())
    total = sum(names.values())
    for family, percent in FAMILY_SHARES.items():
        share = 100 * names[family] / total
        assert abs(share - percent) < max(2.5, percent * 0.12), (family, share)
    hoang = 100 * (names["Hoàng"] + names["Huỳnh"]) / total
    vu = 100 * (names["Vũ"] + names["Võ"]) / total
    assert 3.3 < hoang < 7.0
    assert 2.3 < vu < 5.6
    assert names["Hoàng"] > names["Huỳnh"]
    assert len(names) > 25


def test_middle_and_given_names_follow_sex(population: Population) -> None:
    male_only = {p.name for p in name_parts() if p.sex == "male" and p.part == "given"} - {
        p.name for p in name_parts() if p.sex == "female" and p.part == "given"
    }
    thi = van = 0
    for patient in population.patients.values():
        name = patient["name"][0]
        given = name["given"]
        assert name["text"] == " ".join([name["family"], *given])
        assert name["use"] == "official"
        if patient["gender"] == "male":
            assert "Thị" not in given
            van += given[0] == "Văn"
        else:
            assert "Văn" not in given
            assert given[-1] not in male_only
            thi += given[0] == "Thị"
    assert thi > 300
    assert van > 150


def test_text_is_nfc(population: Population) -> None:
    for resource_type in (
        "Patient",
        "Practitioner",
        "Location",
        "Organization",
        "MedicationDispense",
    ):
        for resource in population.resources(resource_type):
            text = json.dumps(resource, ensure_ascii=False)
            assert unicodedata.is_normalized("NFC", text), resource["id"]
    text = (population.path / "ground_truth.csv").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_age_sex_pyramid(population: Population) -> None:
    end = dt.date(2026, 6, 30)
    ages = []
    for patient in population.patients.values():
        birth = dt.date.fromisoformat(patient["birthDate"])
        ages.append(end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day)))
    n = len(ages)
    assert 0.19 < sum(a < 15 for a in ages) / n < 0.29  # about 24 % in 2019
    assert 0.06 < sum(a >= 65 for a in ages) / n < 0.12  # about 8-9 %
    assert max(ages) <= 99
    women = sum(p["gender"] == "female" for p in population.patients.values())
    assert 0.46 < women / n < 0.54


def test_residence_is_mostly_hanoi(population: Population) -> None:
    states = Counter(p["address"][0]["state"] for p in population.patients.values())
    share = states["Hà Nội"] / len(population.patients)
    assert 0.55 < share < 0.66
    assert len(states) > 30
    hanoi = [p for p in population.patients.values() if p["address"][0]["state"] == "Hà Nội"]
    assert all(p["address"][0].get("district") for p in hanoi)


def test_hospital_staff_and_departments(small_population: Population) -> None:
    practitioners = small_population.resources("Practitioner")
    certificates = [p["identifier"][0]["value"] for p in practitioners]
    assert len(set(certificates)) == len(certificates)
    families = Counter(p["name"][0]["family"] for p in practitioners)
    assert families.most_common(1)[0][0] == "Nguyễn"
    assert {p["name"][0]["prefix"][0] for p in practitioners} == {"BS.", "ĐD.", "DS."}
    roles = small_population.resources("PractitionerRole")
    assert {r["practitioner"]["reference"] for r in roles} == {
        f"Practitioner/{p['id']}" for p in practitioners
    }
    organizations = small_population.resources("Organization")
    departments = [o for o in organizations if o.get("partOf")]
    names = {o["name"] for o in departments}
    assert {"Khoa Nội tim mạch", "Khoa Nội tiết", "Khoa Hô hấp", "Khoa Ung bướu"} <= names
    beds = [
        loc
        for loc in small_population.resources("Location")
        if loc["physicalType"]["coding"][0]["code"] == "bd"
    ]
    assert beds and all(b["partOf"]["reference"].startswith("Location/ward-") for b in beds)
