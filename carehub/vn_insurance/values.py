"""Value formats of the health-insurance XML: times, dates, amounts (QĐ 130/QĐ-BYT).

https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-130-QD-BYT-2023-chuan-dinh-dang-du-lieu-dau-ra-quan-ly-kham-chua-benh-552476.aspx

* Times are ``yyyymmddHHMM`` (12 characters, 24-hour clock) and dates
  ``yyyymmdd``, both in Viet Nam time (UTC+07:00, no daylight saving).
* Amounts and quantities are decimals with a ``.`` separator; amounts are
  rounded half-up to 2 places, unit prices and quantities to 3.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from carehub.errors import Incorrect

VN_TZ = dt.timezone(dt.timedelta(hours=7))
"""Viet Nam time (Indochina Time), the zone of every XML time."""

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def _parse_fhir(value: str) -> dt.datetime:
    text = value.strip()
    try:
        if len(text) == 4:
            return dt.datetime(int(text), 1, 1, tzinfo=VN_TZ)
        if len(text) == 7:
            return dt.datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=VN_TZ)
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), VN_TZ)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Incorrect(f"not a FHIR date or dateTime: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ)


def xml_datetime(value: str) -> str:
    """A FHIR date or dateTime as ``yyyymmddHHMM`` in Viet Nam time.

    A bare date gets ``0000`` for the time, as the decision asks for births.

    Raises:
        Incorrect: ``value`` is not a FHIR date or dateTime.

    >>> xml_datetime("2025-11-10T08:32:00Z"), xml_datetime("2013-06-01")
    ('202511101532', '201306010000')
    """
    return _parse_fhir(value).strftime("%Y%m%d%H%M")


def xml_date(value: str) -> str:
    """A FHIR date or dateTime as ``yyyymmdd`` in Viet Nam time.

    >>> xml_date("2025-11-10T23:30:00+07:00")
    '20251110'
    """
    return _parse_fhir(value).strftime("%Y%m%d")


def parse_xml_time(value: str) -> dt.datetime:
    """A ``yyyymmdd`` or ``yyyymmddHHMM`` value as an aware datetime (Viet Nam time).

    Raises:
        Incorrect: not 8 or 12 digits, or not a real date and time.

    >>> parse_xml_time("202511101532").isoformat()
    '2025-11-10T15:32:00+07:00'
    >>> parse_xml_time("20250230")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: not a valid yyyymmdd[HHMM] value: '20250230'
    """
    text = value.strip()
    pattern = {8: "%Y%m%d", 12: "%Y%m%d%H%M"}.get(len(text))
    if pattern is None or not text.isdigit():
        raise Incorrect(f"not a valid yyyymmdd[HHMM] value: {value!r}")
    try:
        return dt.datetime.strptime(text, pattern).replace(tzinfo=VN_TZ)
    except ValueError:
        raise Incorrect(f"not a valid yyyymmdd[HHMM] value: {value!r}") from None


def fhir_datetime(value: str) -> str:
    """A ``yyyymmddHHMM`` value as a FHIR dateTime (``yyyymmdd`` as a FHIR date).

    >>> fhir_datetime("202511101532"), fhir_datetime("20251110")
    ('2025-11-10T15:32:00+07:00', '2025-11-10')
    """
    moment = parse_xml_time(value)
    if len(value.strip()) == 8:
        return moment.date().isoformat()
    return moment.isoformat()


def decimal(value: str) -> Decimal:
    """Parse a number of the XML (``.`` decimal separator, no grouping).

    Raises:
        Incorrect: not a plain decimal number.

    >>> decimal("1234.50")
    Decimal('1234.50')
    >>> decimal("1,5")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: not a number: '1,5'
    """
    text = value.strip()
    if not text or any(c not in "0123456789.-" for c in text):
        raise Incorrect(f"not a number: {value!r}")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise Incorrect(f"not a number: {value!r}") from None


def round_money(value: Decimal) -> Decimal:
    """``value`` rounded half-up to 2 places.

    >>> round_money(Decimal("10.005")), round_money(Decimal("3"))
    (Decimal('10.01'), Decimal('3.00'))
    """
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number_text(value: Decimal | int) -> str:
    """A number as the XML writes it: no exponent, no trailing zeros after the point.

    >>> number_text(Decimal("14000.00")), number_text(Decimal("12.50")), number_text(3)
    ('14000', '12.5', '3')
    """
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
