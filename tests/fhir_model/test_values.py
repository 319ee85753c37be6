"""Normalized text, date ranges, number ranges and reference splitting."""

from __future__ import annotations

import pytest

from carehub.errors import Incorrect
from carehub.fhir_model.values import (
    MAX_INSTANT,
    MIN_INSTANT,
    date_range,
    normalize_text,
    number_range,
    period_range,
    reference_type,
    split_reference,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nguyễn  Văn ĐỨC", "nguyen van duc"),
        ("Nguyễn Thị Hồng", "nguyen thi hong"),
        ("Trần Đình Đạt", "tran dinh dat"),
        ("  Lê\tThị\n\u00a0Ánh  ", "le thi anh"),
        ("Ｆｕｌｌ Width", "full width"),
        ("Straße", "strasse"),
        ("Ωμέγα", "ωμεγα"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2024", "2024-01-01T00:00:00.000000", "2024-12-31T23:59:59.999999"),
        ("2024-02", "2024-02-01T00:00:00.000000", "2024-02-29T23:59:59.999999"),
        ("2023-02", "2023-02-01T00:00:00.000000", "2023-02-28T23:59:59.999999"),
        ("1900-02", "1900-02-01T00:00:00.000000", "1900-02-28T23:59:59.999999"),
        ("2000-02", "2000-02-01T00:00:00.000000", "2000-02-29T23:59:59.999999"),
        ("2024-02-29", "2024-02-29T00:00:00.000000", "2024-02-29T23:59:59.999999"),
        ("2024-12-31T23:59:59Z", "2024-12-31T23:59:59.000000", "2024-12-31T23:59:59.999999"),
        ("2024-06-01T10:00:00", "2024-06-01T10:00:00.000000", "2024-06-01T10:00:00.999999"),
        ("2024-06-01T10:00:00+00:00", "2024-06-01T10:00:00.000000", "2024-06-01T10:00:00.999999"),
        ("2024-06-01T10:00:00-00:00", "2024-06-01T10:00:00.000000", "2024-06-01T10:00:00.999999"),
        ("2024-06-01T10:00Z", "2024-06-01T10:00:00.000000", "2024-06-01T10:00:59.999999"),
        ("2024-06-01T10:00:00.5Z", "2024-06-01T10:00:00.500000", "2024-06-01T10:00:00.599999"),
        ("2024-06-01T10:00:00.123Z", "2024-06-01T10:00:00.123000", "2024-06-01T10:00:00.123999"),
        (
            "2024-06-01T10:00:00.1234567Z",
            "2024-06-01T10:00:00.123456",
            "2024-06-01T10:00:00.123456",
        ),
        # offsets crossing midnight, month, year and leap day
        ("2024-03-01T00:30:00+07:00", "2024-02-29T17:30:00.000000", "2024-02-29T17:30:00.999999"),
        ("2023-12-31T23:30:00-05:00", "2024-01-01T04:30:00.000000", "2024-01-01T04:30:00.999999"),
        ("2024-01-01T00:00:00+14:00", "2023-12-31T10:00:00.000000", "2023-12-31T10:00:00.999999"),
        ("2024-02-28T23:30:00-00:45", "2024-02-29T00:15:00.000000", "2024-02-29T00:15:00.999999"),
        ("2024-06-01T10:00-03:30", "2024-06-01T13:30:00.000000", "2024-06-01T13:30:59.999999"),
        (
            "2024-06-01T10:00:00.25+05:30",
            "2024-06-01T04:30:00.250000",
            "2024-06-01T04:30:00.259999",
        ),
        # leap second, edges of the calendar
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999", "2016-12-31T23:59:59.999999"),
        ("0001", MIN_INSTANT, "0001-12-31T23:59:59.999999"),
        ("9999-12", "9999-12-01T00:00:00.000000", MAX_INSTANT),
        ("0001-01-01T05:00:00+06:00", MIN_INSTANT, MIN_INSTANT),
        ("9999-12-31T20:00:00-05:00", MAX_INSTANT, MAX_INSTANT),
        ("0001-01-01T10:00:00+06:00", "0001-01-01T04:00:00.000000", "0001-01-01T04:00:00.999999"),
    ],
)
def test_date_range(text: str, low: str, high: str) -> None:
    assert date_range(text) == (low, high)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "24",
        "2024-1",
        "2024-13",
        "2024-00",
        "2023-02-29",
        "2024-04-31",
        "2024-06-01T24:00:00Z",
        "2024-06-01T10:60:00Z",
        "2024-06-01T10:00:61Z",
        "2024-06-01T10",
        "2024-06-01 10:00:00",
        "2024-06-01T10:00:00+15:00",
        "2024-06-01T10:00:00+14:30",
        "2024-06-01T10:00:00+0700",
        "0000",
        "２０２４",
        "2024-06-01Z",
        "2024-06-01T10:00:00.Z",
        "tomorrow",
    ],
)
def test_date_range_rejects(text: str) -> None:
    with pytest.raises(Incorrect, match="not a valid FHIR date"):
        date_range(text)


def test_date_range_order_is_chronological() -> None:
    texts = ["2024-06-01T10:00:00+07:00", "2024-06-01T04:00:00Z", "2024-06-01T00:00:00-05:00"]
    lows = [date_range(t)[0] for t in texts]
    assert lows == sorted(lows)


def test_period_range() -> None:
    assert period_range("2024-01", "2024-02") == (
        "2024-01-01T00:00:00.000000",
        "2024-02-29T23:59:59.999999",
    )
    assert period_range(None, None) == (MIN_INSTANT, MAX_INSTANT)
    assert period_range("2024", None)[1] == MAX_INSTANT
    assert period_range(None, "2024")[0] == MIN_INSTANT
    with pytest.raises(Incorrect):
        period_range("2024-02-30", None)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("100", 99.5, 100.5),
        ("100.00", 99.995, 100.005),
        ("0.5", 0.45, 0.55),
        ("-2", -2.5, -1.5),
        ("+7", 6.5, 7.5),
        ("0", -0.5, 0.5),
        ("1.00e2", 99.5, 100.5),
        ("1e2", 50.0, 150.0),
        ("1.5E-3", 0.00145, 0.00155),
        ("12345678901234567890", 12345678901234567889.5, 12345678901234567890.5),
    ],
)
def test_number_range(text: str, low: float, high: float) -> None:
    assert number_range(text) == (low, high)


@pytest.mark.parametrize(
    "text", ["", "abc", "1,5", "1_000", " 1", "NaN", "inf", "-Infinity", "0x10"]
)
def test_number_range_rejects(text: str) -> None:
    with pytest.raises(Incorrect, match="number"):
        number_range(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patient/123", ("Patient", "123", None)),
        ("Patient/a.b-C/_history/7", ("Patient", "a.b-C", None)),
        ("http://x.org/fhir/Patient/1", (None, None, "http://x.org/fhir/Patient/1")),
        ("urn:uuid:7c1a", (None, None, "urn:uuid:7c1a")),
        ("#contained", (None, None, "#contained")),
        ("Patient?identifier=a|b", (None, None, "Patient?identifier=a|b")),
        ("Patient/", (None, None, "Patient/")),
        ("patient/1", (None, None, "patient/1")),
        ("", (None, None, None)),
    ],
)
def test_split_reference(text: str, expected: tuple[str | None, ...]) -> None:
    assert split_reference(text) == expected


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ({"reference": "Patient/1"}, "Patient"),
        ({"reference": "https://h/fhir/Group/1/_history/2"}, "Group"),
        ({"reference": "Practitioner?identifier=http://n|1"}, "Practitioner"),
        ({"reference": "urn:uuid:1"}, None),
        ({"reference": "#p1"}, None),
        ({"type": "Patient", "reference": "urn:uuid:1"}, "Patient"),
        ({"type": "http://hl7.org/fhir/StructureDefinition/Location"}, "Location"),
        ({"display": "x"}, None),
        ("Patient/1", None),
    ],
)
def test_reference_type(reference: object, expected: str | None) -> None:
    assert reference_type(reference) == expected
