"""Parsing of one search value by parameter type.

https://hl7.org/fhir/R4/search.html#ptypes

Values arrive as URL text; these functions turn them into the typed values of
:mod:`carehub.search.model`, raising :class:`~carehub.errors.Incorrect` with a
message naming the parameter when a value cannot be understood.
"""

from __future__ import annotations

from collections.abc import Iterator

from carehub.errors import Incorrect
from carehub.fhir_model.values import date_range, normalize_text, number_range
from carehub.search.model import (
    PREFIXES,
    RangeValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
    Value,
)


def split_escaped(text: str, sep: str, keep: str = "") -> list[str]:
    r"""Split on ``sep`` unless it is escaped with a backslash, removing the escapes.

    Escapes of the characters in ``keep`` stay in place (for a later split).

    >>> split_escaped(r"a,b\,c", ",")
    ['a', 'b,c']
    >>> split_escaped("http://loinc.org|1234-5", "|")
    ['http://loinc.org', '1234-5']
    >>> split_escaped(r"s\|x|1,2", ",", keep="|")
    ['s\\|x|1', '2']
    """
    parts: list[str] = []
    buf: list[str] = []
    chars: Iterator[str] = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            if nxt in keep:
                buf.append(ch + nxt)
            elif nxt in (",", "|", "$", "\\"):
                buf.append(nxt)
            else:
                buf.append(ch + nxt)
        elif ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def split_prefix(text: str) -> tuple[str, str]:
    """Split a comparison prefix off a number, date or quantity value.

    >>> split_prefix("ge2020-01")
    ('ge', '2020-01')
    >>> split_prefix("2020")
    ('eq', '2020')
    """
    if len(text) > 2 and text[:2] in PREFIXES and not text[:2].isdigit():
        return text[:2], text[2:]
    return "eq", text


def parse_string(code: str, raw: str) -> StringValue:
    """A string value.

    >>> parse_string("name", "Nguyễn").norm
    'nguyen'
    """
    if not raw:
        raise Incorrect(f"search parameter '{code}' needs a value")
    return StringValue(normalize_text(raw), raw)


def parse_token(code: str, raw: str) -> TokenValue:
    """A token value: ``[system]|[code]`` or ``code``.

    >>> parse_token("code", "http://loinc.org|4548-4")
    TokenValue(system='http://loinc.org', code='4548-4')
    >>> parse_token("gender", "|male")
    TokenValue(system='', code='male')
    """
    parts = split_escaped(raw, "|")
    if len(parts) == 1:
        if not parts[0]:
            raise Incorrect(f"search parameter '{code}' needs a value")
        return TokenValue(None, parts[0])
    if len(parts) == 2:
        system, value = parts
        if not system and not value:
            raise Incorrect(f"search parameter '{code}': '|' alone is not a token")
        return TokenValue(system, value or None)
    raise Incorrect(f"search parameter '{code}': too many '|' in token '{raw}'")


def parse_date(code: str, raw: str) -> RangeValue:
    """A date value with an optional prefix.

    >>> v = parse_date("date", "ge2024-02")
    >>> v.prefix, v.low, v.high
    ('ge', '2024-02-01T00:00:00.000000', '2024-02-29T23:59:59.999999')
    """
    prefix, text = split_prefix(raw)
    try:
        low, high = date_range(text)
    except Incorrect as exc:
        raise Incorrect(f"search parameter '{code}': {exc.message}") from exc
    return RangeValue(prefix, low, high)


def parse_number(code: str, raw: str) -> RangeValue:
    """A number value with an optional prefix; ``[low, high)`` is its implicit precision.

    >>> v = parse_number("probability", "gt0.5")
    >>> v.prefix, v.low, v.high, v.number
    ('gt', 0.45, 0.55, 0.5)
    """
    prefix, text = split_prefix(raw)
    try:
        low, high = number_range(text)
        number = float(text)
    except (Incorrect, ValueError) as exc:
        raise Incorrect(f"search parameter '{code}': '{raw}' is not a number") from exc
    return RangeValue(prefix, low, high, number)


def parse_quantity(code: str, raw: str) -> RangeValue:
    """A quantity ``[prefix]number[|system|code]``; ``number||unit`` matches code or unit.

    >>> v = parse_quantity("value-quantity", "le5.4|http://unitsofmeasure.org|mg")
    >>> v.prefix, v.number, v.system, v.code
    ('le', 5.4, 'http://unitsofmeasure.org', 'mg')
    """
    parts = split_escaped(raw, "|")
    if len(parts) not in (1, 3):
        raise Incorrect(f"search parameter '{code}': quantity must be number or number|system|code")
    base = parse_number(code, parts[0])
    system = code_ = None
    if len(parts) == 3:
        system = parts[1] or None
        code_ = parts[2] or None
    return RangeValue(base.prefix, base.low, base.high, base.number, system, code_)


def parse_reference(code: str, raw: str, type_modifier: str | None) -> ReferenceValue:
    """A reference value: ``Type/id``, ``id`` or an absolute URL.

    >>> parse_reference("subject", "Patient/123", None)
    ReferenceValue(type='Patient', id='123', url=None)
    >>> parse_reference("subject", "123", "Patient")
    ReferenceValue(type='Patient', id='123', url=None)
    """
    if not raw:
        raise Incorrect(f"search parameter '{code}' needs a value")
    if "://" in raw or raw.startswith("urn:"):
        return ReferenceValue(None, None, raw)
    parts = raw.split("/")
    if len(parts) == 1:
        return ReferenceValue(type_modifier, parts[0])
    if len(parts) in (2, 4) and parts[0] and parts[1]:
        if type_modifier and type_modifier != parts[0]:
            raise Incorrect(
                f"search parameter '{code}:{type_modifier}' does not match '{parts[0]}'"
            )
        return ReferenceValue(parts[0], parts[1])
    raise Incorrect(f"search parameter '{code}': '{raw}' is not a reference")


def parse_value(code: str, param_type: str, raw: str, modifier: str | None) -> Value:
    """Parse ``raw`` as a value of ``param_type``.

    Raises:
        Incorrect: the value does not fit the type, or the type cannot be searched.
    """
    if param_type == "string":
        return parse_string(code, raw)
    if param_type == "token":
        if modifier == "text":
            return TokenValue(None, normalize_text(raw))
        return parse_token(code, raw)
    if param_type in ("date", "lastUpdated"):
        return parse_date(code, raw)
    if param_type == "number":
        return parse_number(code, raw)
    if param_type == "quantity":
        return parse_quantity(code, raw)
    if param_type == "reference":
        return parse_reference(code, raw, modifier)
    if param_type == "uri":
        if not raw:
            raise Incorrect(f"search parameter '{code}' needs a value")
        return UriValue(raw)
    if param_type == "id":
        if not raw:
            raise Incorrect(f"search parameter '{code}' needs a value")
        return TokenValue(None, raw)
    raise Incorrect(f"search parameters of type '{param_type}' are not supported ('{code}')")
