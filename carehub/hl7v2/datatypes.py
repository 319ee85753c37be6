"""HL7 v2 data types → FHIR data types.

https://build.fhir.org/ig/HL7/v2-to-fhir/datatype_maps.html

=========  ==================================  ====================================
v2 type    becomes                             function
=========  ==================================  ====================================
TS / DTM   ``dateTime``, ``date``, ``instant`` :func:`datetime_of`, :func:`date_of`,
                                               :func:`instant_of`
NM         ``decimal``                         :func:`number_of`
CWE / CE   ``CodeableConcept``                 :func:`concept_of`
CX         ``Identifier`` (patient)            :func:`patient_identifier`
EI         ``Identifier`` (orders)             :func:`order_identifier`
XPN        ``HumanName``                       :func:`name_of`
XAD        ``Address``                         :func:`address_of`
XTN        ``ContactPoint``                    :func:`telecom_of`
XCN        ``Reference`` (by identifier)       :func:`practitioner_ref`
PL         ``Reference`` to a Location         :func:`location_ref`
=========  ==================================  ====================================

Values that do not have their type's format are errors 102 at their place;
identifiers whose assigning authority is not in ``mapping/identifiers.json``
are errors 103. Practitioners and locations are referred to logically
(``Reference.identifier``), since an ADT feed does not carry their resources.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from carehub.hl7v2.errors import DATA_TYPE, TABLE_VALUE, Loc, MessageError
from carehub.hl7v2.mapping import Tables
from carehub.hl7v2.parse import Rep

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
BCP47 = "urn:ietf:bcp:47"

_TS = re.compile(
    r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?"
    r"([+-]\d{4})?$"
)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


# -- dates and numbers -----------------------------------------------------------------
def _ts_parts(value: str, loc: Loc | None) -> tuple[str | None, ...]:
    m = _TS.match(value.strip())
    if m is None:
        raise MessageError(
            DATA_TYPE, f"'{value}' is not a v2 date/time (YYYY[MM[DD[HHMM[SS]]]][+ZZZZ])", loc
        )
    y, mo, d, h, mi, s, frac, off = m.groups()
    try:
        datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0), int(s or 0))
        if off and (int(off[1:3]) > 14 or int(off[3:]) > 59):
            raise ValueError(off)
    except ValueError:
        raise MessageError(DATA_TYPE, f"'{value}' is not a valid date/time", loc) from None
    return y, mo, d, h, mi, s, frac, off


def datetime_of(value: str, loc: Loc | None, timezone: str) -> str:
    """A v2 TS/DTM as a FHIR ``dateTime`` (``timezone`` when it has a time but no offset).

    Raises:
        MessageError: 102, not a date/time.

    >>> datetime_of("20240131", None, "+07:00")
    '2024-01-31'
    >>> datetime_of("202401311420", None, "+07:00")
    '2024-01-31T14:20:00+07:00'
    >>> datetime_of("20240131142005.25-0500", None, "+07:00")
    '2024-01-31T14:20:05.25-05:00'
    """
    y, mo, d, h, mi, s, frac, off = _ts_parts(value, loc)
    if mo is None:
        return str(y)
    if d is None:
        return f"{y}-{mo}"
    if h is None:
        return f"{y}-{mo}-{d}"
    offset = f"{off[:3]}:{off[3:]}" if off else timezone
    text = f"{y}-{mo}-{d}T{h}:{mi or '00'}:{s or '00'}"
    if frac:
        text += f".{frac}"
    return text + offset


def date_of(value: str, loc: Loc | None) -> str:
    """The date part of a v2 TS/DT as a FHIR ``date`` (``birthDate``).

    >>> date_of("198002291030", None), date_of("1980", None)
    ('1980-02-29', '1980')
    """
    y, mo, d, *_ = _ts_parts(value, loc)
    return "-".join(p for p in (y, mo, d) if p)


def instant_of(value: str, loc: Loc | None, timezone: str) -> str | None:
    """A v2 TS as a FHIR ``instant``, or None when it has no time of day.

    >>> instant_of("202401311420", None, "+07:00")
    '2024-01-31T14:20:00+07:00'
    >>> instant_of("20240131", None, "+07:00") is None
    True
    """
    text = datetime_of(value, loc, timezone)
    return text if "T" in text else None


def number_of(value: str, loc: Loc | None) -> int | float:
    """A v2 NM as a JSON number.

    Raises:
        MessageError: 102, not a number.

    >>> number_of("5.40", None), number_of("+12", None)
    (5.4, 12)
    """
    text = value.strip()
    if not _NUMBER.match(text):
        raise MessageError(DATA_TYPE, f"'{value}' is not a number (NM)", loc)
    if "." in text:
        return float(text)
    return int(text)


# -- codes -----------------------------------------------------------------------------
def concept_of(rep: Rep | None, tables: Tables, default_system: str | None = None) -> Any:
    """A CWE/CE as a ``CodeableConcept`` (primary and alternate codings, original text).

    ``default_system`` is used for codes sent without a coding system.
    Returns None for an empty value.
    """
    if rep is None:
        return None
    codings: list[dict[str, str]] = []
    for code_i, display_i, system_i in ((1, 2, 3), (4, 5, 6)):
        code = rep.c(code_i)
        if not code:
            continue
        coding: dict[str, str] = {}
        system = tables.system_of(rep.c(system_i)) or default_system
        if system:
            coding["system"] = system
        coding["code"] = code
        display = rep.c(display_i)
        if display:
            coding["display"] = display
        codings.append(coding)
    text = rep.c(9) or rep.c(2) or rep.c(5)
    if not codings and not text:
        return None
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = codings
    if text:
        out["text"] = text
    return out


def table_code(tables: Tables, table: str, code: str, loc: Loc | None, what: str) -> Any:
    """The FHIR code of ``code`` in ``table``.

    Raises:
        MessageError: 103, the code is not in the table.
    """
    found = tables.code(table, code)
    if found is None:
        known = ", ".join(sorted(tables.codes[table]))
        raise MessageError(
            TABLE_VALUE, f"{what} '{code}' is not a known code (table {table}: {known})", loc
        )
    return found


# -- identifiers -----------------------------------------------------------------------
def _system_from_universal(rep: Rep, comp: int) -> str | None:
    universal, kind = rep.c(comp, 2), rep.c(comp, 3).upper()
    if not universal:
        return None
    if kind == "ISO":
        return f"urn:oid:{universal}"
    if kind in ("URI", "URL") or "://" in universal:
        return universal
    return None


def patient_identifier(rep: Rep, tables: Tables) -> dict[str, Any]:
    """A CX of ``PID-3`` (or ``MRG-1``) as a Patient ``Identifier``.

    The system comes from the assigning authority ``CX-4`` (its namespace, or an
    OID/URI), else from the identifier type ``CX-5``.

    Raises:
        MessageError: 101 no value; 103 the authority/type names no known system.
    """
    value = rep.c(1)
    if not value:
        raise MessageError("101", "the identifier has no ID number (CX-1)", rep.at(1))
    conf = tables.identifiers["patient"]
    authority = rep.c(4).upper()
    id_type = rep.c(5).upper()
    system: str | None = None
    known = conf["authorities"].get(authority) if authority else None
    if known is not None:
        system = known["system"]
        id_type = id_type or known.get("type", "")
    else:
        system = _system_from_universal(rep, 4)
        if system is None and not authority and id_type:
            system = conf["types"].get(id_type)
    if system is None:
        raise MessageError(
            TABLE_VALUE,
            f"identifier '{value}': assigning authority '{rep.c(4)}' / type '{rep.c(5)}' names "
            "no identifier system (mapping/identifiers.json)",
            rep.at(4),
        )
    out: dict[str, Any] = {}
    details = conf["type_details"].get(id_type, {})
    if details.get("use"):
        out["use"] = details["use"]
    if id_type:
        coding = {"system": V2_0203, "code": id_type}
        if details.get("display"):
            coding["display"] = details["display"]
        out["type"] = {"coding": [coding]}
        if details.get("text"):
            out["type"]["text"] = details["text"]
    out["system"] = system
    out["value"] = value
    return out


def order_identifier(rep: Rep, tables: Tables, kind: str) -> dict[str, Any]:
    """An EI order number (``ORC-2``/``OBR-2`` placer, ``ORC-3``/``OBR-3`` filler).

    ``kind`` is ``placer_order`` or ``filler_order``; the system is the one of
    ``identifiers.json`` for the namespace ``EI-2``, else the OID/URI of ``EI-3``,
    else the kind's system with the namespace appended.
    """
    conf = tables.identifiers[kind]
    namespace = rep.c(2)
    system = conf["authorities"].get(namespace.upper()) if namespace else None
    if system is None:
        universal, utype = rep.c(3), rep.c(4).upper()
        if universal and utype == "ISO":
            system = f"urn:oid:{universal}"
        elif universal and (utype in ("URI", "URL") or "://" in universal):
            system = universal
        else:
            system = conf["system"] + (f"/{_slug(namespace)}" if namespace else "")
    code = "PLAC" if kind == "placer_order" else "FILL"
    found = tables.code("0203-identifier-type", code)
    out: dict[str, Any] = {}
    if found is not None:
        out["type"] = {"coding": [found.coding()]}
    out["system"] = system
    out["value"] = rep.c(1)
    return out


def visit_identifier(rep: Rep, tables: Tables) -> dict[str, Any]:
    """``PV1-19`` visit number (CX) as an Encounter ``Identifier``."""
    conf = tables.identifiers["visit"]
    authority = rep.c(4).upper()
    system = conf["authorities"].get(authority) or conf["system"]
    out: dict[str, Any] = {}
    found = tables.code("0203-identifier-type", "VN")
    if found is not None:
        out["type"] = {"coding": [found.coding()]}
    out["system"] = system
    out["value"] = rep.c(1)
    return out


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in text.strip().lower())


# -- names, addresses, telecoms ---------------------------------------------------------
def _ordered(tables: Tables, family: str, middle: list[str], given: str) -> tuple[list[str], str]:
    """``(given list, text)`` in the configured name order."""
    if tables.defaults.get("name_order") == "given-middle-family":
        givens = [g for g in (given, *middle) if g]
        return givens, " ".join([*givens, family]).strip()
    givens = [g for g in (*middle, given) if g]
    return givens, " ".join(p for p in (family, *givens) if p)


def name_of(rep: Rep, tables: Tables) -> dict[str, Any] | None:
    """An XPN as a ``HumanName``.

    In the Vietnamese order (``name_order`` ``family-middle-given``, the
    default) ``Nguyễn^An^Văn`` is ``family`` Nguyễn, ``given`` [Văn, An] and
    ``text`` "Nguyễn Văn An", as the synthetic population writes names.
    """
    family = rep.c(1)
    given = rep.c(2)
    middle = rep.c(3).split()
    givens, text = _ordered(tables, family, middle, given)
    if not family and not givens:
        return None
    out: dict[str, Any] = {}
    use = tables.code("0200-name-use", rep.c(7)) if rep.c(7) else None
    if use is not None:
        out["use"] = use.code
    out["text"] = text
    if family:
        out["family"] = family
    if givens:
        out["given"] = givens
    if rep.c(5):
        out["prefix"] = [rep.c(5)]
    if rep.c(4):
        out["suffix"] = [rep.c(4)]
    return out


def address_of(rep: Rep, tables: Tables) -> dict[str, Any] | None:
    """An XAD as an ``Address`` (``XAD-9`` county/parish is the district, quận/huyện)."""
    lines = [x for x in (rep.c(1), rep.c(2)) if x]
    city, state, postal, country, district = rep.c(3), rep.c(4), rep.c(5), rep.c(6), rep.c(9)
    if not (lines or city or state or postal or country or district):
        return None
    out: dict[str, Any] = {}
    use = tables.code("0190-address-use", rep.c(7)) if rep.c(7) else None
    if use is not None:
        out["use"] = use.code
    parts: list[str] = []
    for part in (*lines, district, city, state):
        if part and (not parts or parts[-1] != part):
            parts.append(part)
    if parts:
        out["text"] = ", ".join(parts)
    if lines:
        out["line"] = lines
    if city:
        out["city"] = city
    if district:
        out["district"] = district
    if state:
        out["state"] = state
    if postal:
        out["postalCode"] = postal
    if country:
        out["country"] = country
    return out


def telecom_of(rep: Rep, tables: Tables, default_use: str) -> dict[str, Any] | None:
    """An XTN as a ``ContactPoint`` (``XTN-12`` or ``XTN-1`` or ``XTN-5..8``; ``XTN-4`` e-mail)."""
    equipment = rep.c(3).upper()
    system_code = tables.code("0202-telecom-system", equipment) if equipment else None
    system = system_code.code if system_code else None
    if system == "email" or (not system and rep.c(4) and not rep.c(1)):
        value = rep.c(4)
        system = "email"
    else:
        local = "".join(x for x in (rep.c(5), rep.c(6), rep.c(7)) if x)
        value = rep.c(12) or rep.c(1) or local
        if rep.c(8) and value:
            value += f" ext. {rep.c(8)}"
        system = system or "phone"
    if not value:
        return None
    use = default_use
    use_code = tables.code("0201-telecom-use", rep.c(2)) if rep.c(2) else None
    if use_code is not None:
        use = use_code.code
    mobile = tables.code("0202-telecom-use", equipment) if equipment else None
    if mobile is not None:
        use = mobile.code
    return {"system": system, "value": value, "use": use}


# -- logical references ----------------------------------------------------------------
def practitioner_ref(rep: Rep | None, tables: Tables) -> dict[str, Any] | None:
    """An XCN as a logical ``Reference`` (identifier by ``XCN-9`` authority, display name)."""
    if rep is None:
        return None
    conf = tables.identifiers["practitioner"]
    given, family, middle = rep.c(3), rep.c(2), rep.c(4).split()
    _, display = _ordered(tables, family, middle, given)
    if rep.c(6):
        display = f"{rep.c(6)} {display}".strip()
    out: dict[str, Any] = {}
    if rep.c(1):
        system = conf["authorities"].get(rep.c(9).upper()) or conf["system"]
        out["type"] = "Practitioner"
        out["identifier"] = {"system": system, "value": rep.c(1)}
    if display:
        out["display"] = display
    return out or None


def location_ref(rep: Rep | None, tables: Tables) -> dict[str, Any] | None:
    """A PL (point of care^room^bed) as a logical ``Reference`` to a Location."""
    if rep is None:
        return None
    parts = [rep.c(1), rep.c(2), rep.c(3)]
    while parts and not parts[-1]:
        parts.pop()
    description = rep.c(9)
    if not parts and not description:
        return None
    out: dict[str, Any] = {"type": "Location"}
    if parts:
        out["identifier"] = {
            "system": tables.identifiers["location"]["system"],
            "value": "/".join(parts),
        }
    out["display"] = description or " ".join(p for p in parts if p)
    return out
