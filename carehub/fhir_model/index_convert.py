"""How a value of each FHIR type becomes search-index rows, per parameter type.

https://hl7.org/fhir/R4/search.html#ptypes (which data types each search
parameter type applies to, and how).

:data:`CONVERTERS` maps ``parameter type → FHIR type code → converter``; a
converter appends the rows of one value to an
:class:`~carehub.fhir_model.index_rows.IndexRows`. A type missing from the
table is not indexed for that parameter type (for example ``SampledData`` for
``quantity``, or an ``Age`` reached by a ``date`` parameter). Converters
tolerate values of the wrong JSON shape by skipping them; malformed dates
raise :class:`~carehub.errors.Incorrect` (via :func:`~carehub.fhir_model.values.date_range`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeGuard

from carehub.fhir_model.index_rows import IndexRows
from carehub.fhir_model.values import date_range, normalize_text, period_range, split_reference

#: appends the rows of one value: ``(rows, parameter code, value)``
Converter = Callable[[IndexRows, str, Any], None]

_HUMAN_NAME_ONE = ("family", "text")
_HUMAN_NAME_MANY = ("given", "prefix", "suffix")
_ADDRESS_ONE = ("city", "district", "state", "postalCode", "country", "text")
_ISO_4217 = "urn:iso:std:iso:4217"


def _norm(value: Any) -> str | None:
    """Normalized text of a string value, or ``None`` when absent or blank."""
    if isinstance(value, str) and value:
        return normalize_text(value) or None
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_number(value: Any) -> TypeGuard[int | float | Decimal]:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


# ----------------------------------------------------------------------- string


def _string_part(rows: IndexRows, code: str, value: Any) -> None:
    if isinstance(value, str):
        norm = normalize_text(value)
        if norm:
            rows.strings.append((code, norm, value))


def _string_parts(
    rows: IndexRows, code: str, value: Any, one: tuple[str, ...], many: tuple[str, ...]
) -> None:
    if type(value) is not dict:
        return
    for key in one:
        part = value.get(key)
        if part is not None:
            _string_part(rows, code, part)
    for key in many:
        parts = value.get(key)
        if type(parts) is list:
            for part in parts:
                _string_part(rows, code, part)


def _human_name(rows: IndexRows, code: str, value: Any) -> None:
    _string_parts(rows, code, value, _HUMAN_NAME_ONE, _HUMAN_NAME_MANY)


def _address(rows: IndexRows, code: str, value: Any) -> None:
    _string_parts(rows, code, value, _ADDRESS_ONE, ("line",))


# ----------------------------------------------------------------------- token


def _coding(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is not dict:
        return
    system = value.get("system")
    value_code = value.get("code")
    display = value.get("display")
    if type(system) is not str or not system:
        system = None
    if type(value_code) is not str or not value_code:
        value_code = None
    text = (normalize_text(display) or None) if type(display) is str else None
    if system or value_code or text:
        rows.tokens.append((code, system, value_code, text))


def _codeable_concept(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is not dict:
        return
    codings = value.get("coding")
    if type(codings) is list:
        for coding in codings:
            _coding(rows, code, coding)
    text = value.get("text")
    if type(text) is str:
        norm = normalize_text(text)
        if norm:
            rows.tokens.append((code, None, None, norm))


def _identifier(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is not dict:
        return
    system = _str_or_none(value.get("system"))
    ident = _str_or_none(value.get("value"))
    kind = value.get("type")
    text = _norm(kind.get("text")) if type(kind) is dict else None
    if system or ident:
        rows.tokens.append((code, system, ident, text))


def _contact_point(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is dict:
        point = _str_or_none(value.get("value"))
        if point:
            rows.tokens.append((code, None, point, None))


def _token_primitive(rows: IndexRows, code: str, value: Any) -> None:
    if isinstance(value, str) and value:
        rows.tokens.append((code, None, value, None))


def _token_boolean(rows: IndexRows, code: str, value: Any) -> None:
    if isinstance(value, bool):
        rows.tokens.append((code, None, "true" if value else "false", None))


# ----------------------------------------------------------------------- date


def _date(rows: IndexRows, code: str, value: Any) -> None:
    if isinstance(value, str):
        low, high = date_range(value)
        rows.dates.append((code, low, high))


def _period(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is not dict:
        return
    start, end = _str_or_none(value.get("start")), _str_or_none(value.get("end"))
    if start or end:
        low, high = period_range(start, end)
        rows.dates.append((code, low, high))


def _timing(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is not dict:
        return
    events = value.get("event")
    if type(events) is list:
        for event in events:
            _date(rows, code, event)
    repeat = value.get("repeat")
    if type(repeat) is dict:
        _period(rows, code, repeat.get("boundsPeriod"))


# ----------------------------------------------------------------------- reference


def _reference(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is dict:
        text = value.get("reference")
        if type(text) is str and text:
            rows.references.append((code, *split_reference(text)))


def _reference_url(rows: IndexRows, code: str, value: Any) -> None:
    if isinstance(value, str) and value:
        rows.references.append((code, None, None, value))


# ----------------------------------------------------------------------- quantity, number


def _quantity(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is not dict:
        return
    number = value.get("value")
    if _is_number(number):
        rows.quantities.append(
            (
                code,
                float(number),
                _str_or_none(value.get("system")),
                _str_or_none(value.get("code")),
                _str_or_none(value.get("unit")),
            )
        )


def _money(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is not dict:
        return
    number = value.get("value")
    if _is_number(number):
        currency = _str_or_none(value.get("currency"))
        rows.quantities.append(
            (code, float(number), _ISO_4217 if currency else None, currency, None)
        )


def _quantity_range(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is dict:
        _quantity(rows, code, value.get("low"))
        _quantity(rows, code, value.get("high"))


def _number(rows: IndexRows, code: str, value: Any) -> None:
    if _is_number(value):
        rows.numbers.append((code, float(value)))


def _number_range(rows: IndexRows, code: str, value: Any) -> None:
    if type(value) is dict:
        for end in (value.get("low"), value.get("high")):
            if type(end) is dict:
                _number(rows, code, end.get("value"))


# ----------------------------------------------------------------------- uri


def _uri(rows: IndexRows, code: str, value: Any) -> None:
    if isinstance(value, str) and value:
        rows.uris.append((code, value))


_QUANTITY_TYPES = ("Quantity", "Age", "Count", "Distance", "Duration", "SimpleQuantity")
_STRINGISH = ("string", "markdown")
_CODEISH = ("code", "string", "id", "uri", "url", "canonical", "oid", "uuid", "markdown")
_URIISH = ("uri", "url", "canonical", "oid", "uuid")

#: parameter type → FHIR type code → converter
CONVERTERS: Mapping[str, Mapping[str, Converter]] = {
    "string": {
        **{t: _string_part for t in _STRINGISH},
        "HumanName": _human_name,
        "Address": _address,
    },
    "token": {
        "Coding": _coding,
        "CodeableConcept": _codeable_concept,
        "Identifier": _identifier,
        "ContactPoint": _contact_point,
        "boolean": _token_boolean,
        **{t: _token_primitive for t in _CODEISH},
    },
    "date": {
        "date": _date,
        "dateTime": _date,
        "instant": _date,
        "Period": _period,
        "Timing": _timing,
    },
    "reference": {
        "Reference": _reference,
        **{t: _reference_url for t in _URIISH},
    },
    "quantity": {
        **{t: _quantity for t in _QUANTITY_TYPES},
        "MoneyQuantity": _quantity,
        "Money": _money,
        "Range": _quantity_range,
    },
    "number": {
        "integer": _number,
        "decimal": _number,
        "positiveInt": _number,
        "unsignedInt": _number,
        "Range": _number_range,
    },
    "uri": {t: _uri for t in _URIISH},
}
