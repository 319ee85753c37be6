"""Checks of the JSON form of the R4 primitive data types.

https://hl7.org/fhir/R4/datatypes.html#primitive and https://hl7.org/fhir/R4/json.html#primitive

Each check takes a decoded JSON value and returns ``None`` when it is a valid
value of the type, or a one-line message saying why not. The checks follow the
regular expressions of the specification, with cheap string tests in front so
that the common case does not run a regex. JSON types matter: ``boolean`` is a
JSON boolean, the integer types and ``decimal`` are JSON numbers, everything
else is a JSON string, and no string may be empty.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

#: A primitive check: ``None`` when valid, else a message.
PrimitiveCheck = Callable[[Any], str | None]

#: Strings longer than this (1 MiB of characters) are refused (datatypes.html#string).
MAX_STRING_LENGTH = 1024 * 1024

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_MONTH = r"(0[1-9]|1[0-2])"
_DAY = r"(0[1-9]|[1-2][0-9]|3[0-1])"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_DATE_RE = re.compile(rf"{_YEAR}(-{_MONTH}(-{_DAY})?)?")
_DATETIME_RE = re.compile(rf"{_YEAR}(-{_MONTH}(-{_DAY}(T{_TIME}{_ZONE})?)?)?")
_INSTANT_RE = re.compile(rf"{_YEAR}-{_MONTH}-{_DAY}T{_TIME}{_ZONE}")
_TIME_RE = re.compile(_TIME)
#: The ``id`` pattern (datatypes.html#id), for callers that match ids directly.
ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_ID_RE = ID_PATTERN
_CODE_RE = re.compile(r"\S+(\s\S+)*")
_OID_RE = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
_UUID_RE = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")
#: characters below U+0020 other than tab, LF and CR (forbidden in every FHIR string)
_STRING_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _not_string(value: Any, type_name: str) -> str | None:
    if type(value) is not str:
        return f"Expected a JSON string for {type_name}, got {_show(value)}"
    if not value:
        return f"Empty string is not a valid {type_name}"
    return None


def check_boolean(value: Any) -> str | None:
    """``true`` or ``false`` (a JSON boolean, not a string).

    >>> check_boolean(True) is None, check_boolean("true")
    (True, "Expected a JSON boolean, got 'true'")
    """
    if value is True or value is False:
        return None
    return f"Expected a JSON boolean, got {_show(value)}"


def _integer(low: int, type_name: str) -> PrimitiveCheck:
    def check(value: Any) -> str | None:
        if type(value) is not int:
            return f"Expected a JSON integer for {type_name}, got {_show(value)}"
        if value < low or value > _INT32_MAX:
            return f"{value} is out of range for {type_name}"
        return None

    return check


check_integer = _integer(_INT32_MIN, "integer")
check_unsigned_int = _integer(0, "unsignedInt")
check_positive_int = _integer(1, "positiveInt")


def check_decimal(value: Any) -> str | None:
    """A finite JSON number.

    >>> check_decimal(1.5) is None, check_decimal("1.5")
    (True, "Expected a JSON number for decimal, got '1.5'")
    """
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return None
    return f"Expected a JSON number for decimal, got {_show(value)}"


def check_string(value: Any) -> str | None:
    """A non-empty string of at most 1 MiB without control whitespace but tab, CR, LF.

    >>> check_string("Smith") is None, check_string("")
    (True, 'Empty string is not a valid string')
    >>> check_string("a\\x00b") is None
    False
    """
    if type(value) is not str or not value:
        return _not_string(value, "string")
    if len(value) > MAX_STRING_LENGTH:
        return f"String longer than {MAX_STRING_LENGTH} characters"
    if not value.isprintable() and _STRING_BAD.search(value):
        return f"String holds characters not allowed in FHIR strings: {_show(value)}"
    return None


def check_markdown(value: Any) -> str | None:
    """Like ``string``; markdown is never parsed here."""
    return check_string(value)


def check_code(value: Any) -> str | None:
    """Tokens separated by single whitespace, none leading or trailing.

    >>> check_code("final") is None, check_code(" final")
    (True, "Not a valid code: ' final'")
    """
    if type(value) is not str or not value:
        return _not_string(value, "code")
    if value.isalnum() or (_CODE_RE.fullmatch(value) and not _STRING_BAD.search(value)):
        return None
    return f"Not a valid code: {_show(value)}"


def check_id(value: Any) -> str | None:
    """1 to 64 of ``A-Z a-z 0-9 - .``.

    >>> check_id("a1-b.2") is None, check_id("a_b")
    (True, "Not a valid id: 'a_b'")
    """
    if type(value) is not str or not value:
        return _not_string(value, "id")
    if _ID_RE.fullmatch(value):
        return None
    return f"Not a valid id: {_show(value)}"


def check_uri(value: Any) -> str | None:
    """A non-empty string without whitespace (also ``url`` and ``canonical``).

    >>> check_uri("http://loinc.org") is None, check_uri("a b")
    (True, "Not a valid uri: 'a b'")
    """
    if type(value) is not str or not value:
        return _not_string(value, "uri")
    if " " not in value and value.isprintable():
        return None
    return f"Not a valid uri: {_show(value)}"


def check_oid(value: Any) -> str | None:
    """``urn:oid:`` followed by a dotted OID."""
    if type(value) is not str or not value:
        return _not_string(value, "oid")
    return None if _OID_RE.fullmatch(value) else f"Not a valid oid: {_show(value)}"


def check_uuid(value: Any) -> str | None:
    """``urn:uuid:`` followed by a lower-case UUID."""
    if type(value) is not str or not value:
        return _not_string(value, "uuid")
    return None if _UUID_RE.fullmatch(value) else f"Not a valid uuid: {_show(value)}"


def _calendar_day_ok(value: str) -> bool:
    """Whether the ``YYYY-MM-DD`` prefix (if complete) names a real day."""
    if len(value) < 10 or value[8:10] <= "28":
        return True
    year, month = int(value[0:4]), int(value[5:7])
    return int(value[8:10]) <= calendar.monthrange(year, month)[1]


def _temporal(pattern: re.Pattern[str], type_name: str) -> PrimitiveCheck:
    def check(value: Any) -> str | None:
        if type(value) is not str or not value:
            return _not_string(value, type_name)
        if pattern.fullmatch(value) and _calendar_day_ok(value):
            return None
        return f"Not a valid {type_name}: {_show(value)}"

    return check


check_date = _temporal(_DATE_RE, "date")
check_date_time = _temporal(_DATETIME_RE, "dateTime")
check_instant = _temporal(_INSTANT_RE, "instant")


def check_time(value: Any) -> str | None:
    """``hh:mm:ss`` with optional fraction, no zone.

    >>> check_time("08:30:00") is None, check_time("8:30")
    (True, "Not a valid time: '8:30'")
    """
    if type(value) is not str or not value:
        return _not_string(value, "time")
    return None if _TIME_RE.fullmatch(value) else f"Not a valid time: {_show(value)}"


def check_base64_binary(value: Any) -> str | None:
    """Base64 text (whitespace between groups allowed), length a multiple of 4.

    >>> check_base64_binary("SGVsbG8=") is None, check_base64_binary("SGVsbG8")
    (True, 'Not valid base64 (length 7 is not a multiple of 4)')
    """
    if type(value) is not str or not value:
        return _not_string(value, "base64Binary")
    text = value
    if not _BASE64_RE.fullmatch(text):
        text = "".join(value.split())
        if not _BASE64_RE.fullmatch(text):
            return "Not valid base64 (characters outside A-Z a-z 0-9 + / =)"
    if len(text) % 4:
        return f"Not valid base64 (length {len(text)} is not a multiple of 4)"
    return None


def check_xhtml(value: Any) -> str | None:
    """A string holding an XHTML ``<div>`` element (the narrative); not parsed further.

    >>> check_xhtml('<div xmlns="http://www.w3.org/1999/xhtml">x</div>') is None
    True
    """
    if type(value) is not str or not value:
        return _not_string(value, "xhtml")
    if _STRING_BAD.search(value):
        return f"Narrative holds control characters: {_show(value)}"
    if value.lstrip().startswith("<div") and value.rstrip().endswith("</div>"):
        return None
    return f"Narrative must be an XHTML <div> element: {_show(value)}"


#: The check of every R4 primitive type, by type code.
PRIMITIVE_CHECKS: Mapping[str, PrimitiveCheck] = {
    "base64Binary": check_base64_binary,
    "boolean": check_boolean,
    "canonical": check_uri,
    "code": check_code,
    "date": check_date,
    "dateTime": check_date_time,
    "decimal": check_decimal,
    "id": check_id,
    "instant": check_instant,
    "integer": check_integer,
    "markdown": check_markdown,
    "oid": check_oid,
    "positiveInt": check_positive_int,
    "string": check_string,
    "time": check_time,
    "unsignedInt": check_unsigned_int,
    "uri": check_uri,
    "url": check_uri,
    "uuid": check_uuid,
    "xhtml": check_xhtml,
}


def check_primitive(type_name: str, value: Any) -> str | None:
    """Check ``value`` against the primitive type ``type_name``.

    Raises:
        KeyError: ``type_name`` is not an R4 primitive type.

    >>> check_primitive("dateTime", "2024-02-30")
    "Not a valid dateTime: '2024-02-30'"
    >>> check_primitive("positiveInt", 0)
    '0 is out of range for positiveInt'
    >>> check_primitive("instant", "2024-02-29T10:00:00Z") is None
    True
    """
    return PRIMITIVE_CHECKS[type_name](value)
