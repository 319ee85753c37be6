"""Patient identifiers have the official Vietnamese structures and agree with the patient."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from carehub.synth import systems
from carehub.synth.identifiers import bhyt, cccd, century_sex_digit
from carehub.synth.reference import provinces
from tests.synth.conftest import Population

CCCD = re.compile(r"^0(\d{2})([0-5])(\d{2})(\d{6})$")
BHYT = re.compile(r"^(DN|HC|HT|TE|GD|HN|CN|HS|SV|CC|CK)([1-5])(\d{2})(\d{10})$")
PHONE = re.compile(r"^0(3[2-9]|5[2689]|7[06-9]|8[1-689]|9[0-46-9])\d{7}$")
PROVINCE_CODES = {p.code for p in provinces()}
PROVINCE_BY_NAME = {p.name: p.code for p in provinces()}


def _identifier(patient: dict[str, object], system: str) -> str | None:
    for ident in patient.get("identifier", []):  # type: ignore[attr-defined]
        if ident["system"] == system:
            return str(ident["value"])
    return None


def test_cccd_structure_matches_birth_date_and_sex(population: Population) -> None:
    seen = set()
    for patient in population.patients.values():
        number = _identifier(patient, systems.CCCD)
        assert number is not None
        match = CCCD.match(number)
        assert match, number
        province, digit, yy, _ = match.groups()
        birth = dt.date.fromisoformat(str(patient["birthDate"]))
        female = patient["gender"] == "female"
        century = (birth.year // 100 - 19) * 2
        assert int(digit) == century + (1 if female else 0), (number, birth, female)
        assert int(yy) == birth.year % 100
        assert province in PROVINCE_CODES
        seen.add(number)
    assert len(seen) == len(population.patients)


def test_cccd_province_is_mostly_the_home_province(population: Population) -> None:
    same = 0
    for patient in population.patients.values():
        number = _identifier(patient, systems.CCCD)
        assert number
        home = PROVINCE_BY_NAME[patient["address"][0]["state"]]
        same += number[1:3] == home
    assert 0.8 < same / len(population.patients) < 0.92


def test_bhyt_card_structure_and_coverage(population: Population) -> None:
    cards = []
    for patient in population.patients.values():
        number = _identifier(patient, systems.BHYT)
        if number is None:
            continue
        assert len(number) == 15
        match = BHYT.match(number)
        assert match, number
        group, level, province, _ = match.groups()
        assert province == PROVINCE_BY_NAME[patient["address"][0]["state"]]
        birth = dt.date.fromisoformat(str(patient["birthDate"]))
        age = (dt.date(2026, 6, 30) - birth).days // 366
        if group == "TE":
            assert age < 7 and level == "2"
        if group in ("DN", "HC", "GD", "HS", "SV"):
            assert level == "4"
        cards.append(number)
    share = len(cards) / len(population.patients)
    assert 0.9 < share < 0.96
    assert len(set(cards)) == len(cards)
    groups = Counter(c[:2] for c in cards)
    assert {"TE", "HS", "DN", "GD", "HT"} <= groups.keys()


def test_identifier_systems_are_distinct_and_typed(population: Population) -> None:
    patient = next(iter(population.patients.values()))
    systems_used = [i["system"] for i in patient["identifier"]]
    assert len(systems_used) == len(set(systems_used))
    assert {systems.MRN, systems.CCCD} <= set(systems_used)
    assert all(i["type"]["coding"][0]["code"] in ("MR", "NI", "SN") for i in patient["identifier"])


def test_phone_numbers_are_vietnamese_mobiles(population: Population) -> None:
    phones = [
        t["value"]
        for p in population.patients.values()
        for t in p.get("telecom", [])
        if t["system"] == "phone"
    ]
    assert len(phones) > 0.9 * len(population.patients)
    assert all(PHONE.match(p) for p in phones), [p for p in phones if not PHONE.match(p)][:5]


@pytest.mark.parametrize(
    ("year", "female", "digit"),
    [(1900, False, 0), (1999, True, 1), (2000, False, 2), (2099, True, 3)],
)
def test_century_sex_digit(year: int, female: bool, digit: int) -> None:
    assert century_sex_digit(year, female) == digit


def test_century_sex_digit_rejects_other_centuries() -> None:
    with pytest.raises(ValueError):
        century_sex_digit(1899, False)


def test_number_builders() -> None:
    assert cccd("01", 1990, True, 12) == "001190000012"
    assert bhyt("HT", "79", 42) == "HT3790000000042"
