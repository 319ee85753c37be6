"""CCCD, BHYT card numbers and the 2025 province CodeSystem."""

from __future__ import annotations

import pytest

from carehub.errors import Incorrect
from carehub.synth import systems
from carehub.synth.reference import provinces
from carehub.vn_insurance.episode import identifier
from carehub.vn_insurance.identifiers import parse_bhyt, parse_cccd
from carehub.vn_insurance.provinces import code_system, current_code, legacy_codes
from tests.vn_insurance.episodes import population


def test_every_synthetic_identifier_is_valid() -> None:
    patients = [r for r in population() if r["resourceType"] == "Patient"]
    for patient in patients:
        cccd = parse_cccd(identifier(patient, systems.CCCD))
        assert cccd.female == (patient["gender"] == "female")
        assert str(cccd.birth_year) == patient["birthDate"][:4]
        number = identifier(patient, systems.BHYT)
        if number:  # a few synthetic patients are uninsured
            assert 1 <= parse_bhyt(number).level <= 5
    assert sum(bool(identifier(p, systems.BHYT)) for p in patients) > 0.8 * len(patients)


@pytest.mark.parametrize("bad", ["00108700452", "00108700452X", "001687004521", "099087004521"])
def test_bad_cccd(bad: str) -> None:
    with pytest.raises(Incorrect):
        parse_cccd(bad)


@pytest.mark.parametrize("bad", ["DN401012345678", "D14010123456789", "DN0010123456789",
                                 "DN4990123456789"])
def test_bad_bhyt(bad: str) -> None:
    with pytest.raises(Incorrect):
        parse_bhyt(bad)


def test_34_provinces_take_over_the_63() -> None:
    assert len(code_system()["concept"]) == 34
    assert legacy_codes() == {p.code for p in provinces()}
    assert current_code("74") == "79"  # Bình Dương → Hồ Chí Minh
    assert current_code("27") == "24"  # Bắc Ninh merged into the unit coded 24
    assert {current_code(c) for c in legacy_codes()} == {
        c["code"] for c in code_system()["concept"]}
