"""Normalized forms of FHIR values shared by index extraction and query parsing.

https://hl7.org/fhir/R4/search.html#ptypes

The search index (:mod:`carehub.fhir_model.index_rows`) and the query parser
must agree exactly on how strings, dates and numbers are normalized, so both
use the functions here:

* :func:`normalize_text` folds case, diacritics and whitespace (``Đ`` → ``d``).
* :func:`date_range` and :func:`period_range` turn FHIR ``date``, ``dateTime``
  and ``instant`` values into closed ranges of fixed-width UTC instants
  ``YYYY-MM-DDTHH:MM:SS.ffffff`` whose text order is chronological.
* :func:`number_range` gives the implicit precision range of a decimal.
* :func:`split_reference` and :func:`reference_type` read ``Reference.reference``.

All functions are pure; bad input raises :class:`~carehub.errors.Incorrect`.
The string-keyed ones are memoized (bounded LRU caches), because the same
timestamps, codes and references recur across the resources of a patient.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from carehub.errors import Incorrect

#: Entries kept by each memo of the pure functions below (timestamps, codes
#: and references repeat a lot across the resources of one patient).
_CACHE_SIZE = 16384

#: The earliest instant the index can hold (an open period start).
MIN_INSTANT = "0001-01-01T00:00:00.000000"
#: The latest instant the index can hold (an open period end).
MAX_INSTANT = "9999-12-31T23:59:59.999999"

_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_DASH_D = str.maketrans({"đ": "d", "Đ": "d"})

_SECONDS_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)
_TWO_TEXT = tuple(f"{i:02d}" for i in range(100))
_TWO_DIGITS = {text: i for i, text in enumerate(_TWO_TEXT)}
_MAX_ORDINAL = date.max.toordinal()
_DATE_RE = re.compile(
    r"(?P<year>[0-9]{4})"
    r"(?:-(?P<month>[0-9]{2})"
    r"(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<frac>[0-9]+))?)?"
    r"(?P<tz>Z|[+-][0-9]{2}:[0-9]{2})?"
    r")?)?)?"
)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def normalize_text(s: str) -> str:
    """Fold ``s`` for accent- and case-insensitive matching.

    Applies NFKD, drops combining marks, maps ``đ``/``Đ`` to ``d`` (they have
    no decomposition), case-folds, collapses runs of whitespace to one space
    and strips both ends.

    Args:
        s: any text.

    Returns:
        The folded text; ``""`` for blank input.

    >>> normalize_text("Nguyễn  Văn ĐỨC")
    'nguyen van duc'
    >>> normalize_text("  Straße\\tMüller ")
    'strasse muller'
    """
    if s.isascii():
        return " ".join(s.lower().split())
    decomposed = unicodedata.normalize("NFKD", s.translate(_DASH_D))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.casefold().split())


def _bad_date(text: str, why: str) -> Incorrect:
    return Incorrect(f"'{text}' is not a valid FHIR date, dateTime or instant: {why}")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def date_range(text: str) -> tuple[str, str]:
    """The closed UTC range covered by a FHIR date, dateTime or instant.

    Accepts ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` and ``YYYY-MM-DDThh:mm[:ss[.f…]]``
    with an optional ``Z`` or ``±hh:mm`` offset. A value without an offset is
    taken as UTC. A value covers its whole precision: a month covers every
    microsecond of that month (leap years included), a time to the second
    covers that second, ``.5`` covers a tenth of a second. Fractions beyond
    microseconds are truncated. A leap second (``:60``) is read as the last
    microsecond of the minute. Results that an offset would push before year
    1 or after year 9999 are clamped to :data:`MIN_INSTANT` / :data:`MAX_INSTANT`.

    Args:
        text: the value as written in a resource or a search URL.

    Returns:
        ``(low, high)``, both ``YYYY-MM-DDTHH:MM:SS.ffffff`` in UTC, ``low <= high``.

    Raises:
        Incorrect: ``text`` is not a well-formed date with valid field values.

    >>> date_range("2024-02")
    ('2024-02-01T00:00:00.000000', '2024-02-29T23:59:59.999999')
    >>> date_range("2024-03-01T00:30:00+07:00")
    ('2024-02-29T17:30:00.000000', '2024-02-29T17:30:00.999999')
    >>> date_range("2023-06-30T23:59:59.5Z")
    ('2023-06-30T23:59:59.500000', '2023-06-30T23:59:59.599999')
    """
    if len(text) >= 19 and _SECONDS_RE.fullmatch(text):
        fast = _seconds_range(text)
        if fast is not None:
            return fast
    m = _DATE_RE.fullmatch(text)
    if m is None:
        raise _bad_date(text, "expected YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|±hh:mm]]]]")
    ys, ms, ds, hs, mins, secs, frac, tz = m.groups()
    year = int(ys)
    if year == 0:
        raise _bad_date(text, "year 0000 does not exist")
    if ms is None:
        return f"{ys}-01-01T00:00:00.000000", f"{ys}-12-31T23:59:59.999999"
    month = int(ms)
    if not 1 <= month <= 12:
        raise _bad_date(text, f"month {ms} is out of range")
    last_day = _DAYS_IN_MONTH[month]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last_day = 29
    if ds is None:
        return f"{ys}-{ms}-01T00:00:00.000000", f"{ys}-{ms}-{last_day:02d}T23:59:59.999999"
    if not 1 <= int(ds) <= last_day:
        raise _bad_date(text, f"day {ds} is out of range for {ys}-{ms}")
    if hs is None:
        return f"{text}T00:00:00.000000", f"{text}T23:59:59.999999"
    if int(hs) > 23 or int(mins) > 59:
        raise _bad_date(text, "time of day is out of range")
    if secs is None:
        low_tail, high_tail = "00.000000", "59.999999"
    elif secs == "60":
        low_tail = high_tail = "59.999999"
    elif secs > "60":
        raise _bad_date(text, "second is out of range")
    elif frac is None:
        low_tail, high_tail = f"{secs}.000000", f"{secs}.999999"
    else:
        digits = frac[:6]
        low_tail, high_tail = f"{secs}.{digits:0<6}", f"{secs}.{digits:9<6}"
    if tz is None or tz == "Z" or tz[1:] == "00:00":
        head = text[:16]
        return f"{head}:{low_tail}", f"{head}:{high_tail}"
    return _shifted(text, tz, low_tail, high_tail)


def _seconds_range(text: str) -> tuple[str, str] | None:
    """Fast path for times given to the second or finer; ``None`` defers to the full parser.

    ``text`` already matches :data:`_SECONDS_RE`; only string slicing and table
    look-ups are used here, as this runs for every date of every indexed resource.
    """
    num = _TWO_DIGITS
    year = int(text[:4])
    month, day, hour, minute = num[text[5:7]], num[text[8:10]], num[text[11:13]], num[text[14:16]]
    if not (1 <= month <= 12 and 1 <= day <= 28 and hour <= 23 and minute <= 59 and year):
        if not (1 <= month <= 12 and hour <= 23 and minute <= 59 and year):
            return None
        last = _DAYS_IN_MONTH[month]
        if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            last = 29
        if not 1 <= day <= last:
            return None
    dot = text.find(".", 19)
    if dot < 0:
        rest = text[19:]
        low_frac, high_frac = "000000", "999999"
    else:
        tz_at = len(text) - (1 if text[-1] == "Z" else 6 if text[-6] in "+-" else 0)
        digits = text[dot + 1 : tz_at][:6]
        rest = text[tz_at:]
        low_frac, high_frac = digits.ljust(6, "0"), digits.ljust(6, "9")
    seconds = text[16:19]
    if not rest or rest == "Z" or rest[1:] == "00:00":
        head = text[:16]
    else:
        off_h, off_m = num[rest[1:3]], num[rest[4:6]]
        if off_h > 14 or off_m > 59 or (off_h == 14 and off_m):
            return None
        offset = off_h * 60 + off_m
        total = hour * 60 + minute + (offset if rest[0] == "-" else -offset)
        if 0 <= total < 1440:
            head = text[:11] + _TWO_TEXT[total // 60] + ":" + _TWO_TEXT[total % 60]
        else:
            shift, total = divmod(total, 1440)
            ordinal = date(year, month, day).toordinal() + shift
            if ordinal < 1:
                return MIN_INSTANT, MIN_INSTANT
            if ordinal > _MAX_ORDINAL:
                return MAX_INSTANT, MAX_INSTANT
            day_text = date.fromordinal(ordinal).isoformat()
            head = day_text + "T" + _TWO_TEXT[total // 60] + ":" + _TWO_TEXT[total % 60]
    return head + seconds + "." + low_frac, head + seconds + "." + high_frac


def _shifted(text: str, tz: str, low_tail: str, high_tail: str) -> tuple[str, str]:
    """Move ``text[:16]`` (``YYYY-MM-DDThh:mm``) by the offset ``tz`` to UTC."""
    off_h, off_m = int(tz[1:3]), int(tz[4:6])
    if off_h > 14 or off_m > 59 or (off_h == 14 and off_m):
        raise _bad_date(text, f"offset {tz} is out of range")
    offset = off_h * 60 + off_m
    if tz[0] == "-":
        offset = -offset
    minutes = int(text[11:13]) * 60 + int(text[14:16]) - offset
    day_shift, minutes = divmod(minutes, 1440)
    day = f"{text[:10]}"
    if day_shift:
        ordinal = date(int(text[:4]), int(text[5:7]), int(text[8:10])).toordinal() + day_shift
        if ordinal < 1:
            return MIN_INSTANT, MIN_INSTANT
        try:
            day = date.fromordinal(ordinal).isoformat()
        except (OverflowError, ValueError):
            return MAX_INSTANT, MAX_INSTANT
    head = f"{day}T{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{head}:{low_tail}", f"{head}:{high_tail}"


def period_range(start: str | None, end: str | None) -> tuple[str, str]:
    """The closed UTC range of a FHIR Period; a missing end is open.

    Args:
        start: ``Period.start`` or ``None``.
        end: ``Period.end`` or ``None``.

    Returns:
        ``(low, high)``: the low end of ``start`` (or :data:`MIN_INSTANT`) and the
        high end of ``end`` (or :data:`MAX_INSTANT`). An inverted period is
        returned as given, not reordered.

    Raises:
        Incorrect: ``start`` or ``end`` is not a valid date (see :func:`date_range`).

    >>> period_range("2024-01-05", None)
    ('2024-01-05T00:00:00.000000', '9999-12-31T23:59:59.999999')
    >>> period_range(None, "2024")
    ('0001-01-01T00:00:00.000000', '2024-12-31T23:59:59.999999')
    """
    low = date_range(start)[0] if start else MIN_INSTANT
    high = date_range(end)[1] if end else MAX_INSTANT
    return low, high


def number_range(text: str) -> tuple[float, float]:
    """The implicit precision range ``[low, high)`` of a decimal search value.

    Per the FHIR search rules the precision is given by the significant digits
    written: half a unit of the last digit either side. ``100`` → [99.5, 100.5),
    ``100.00`` → [99.995, 100.005), ``1.00e2`` → [99.5, 100.5) and ``1e2`` →
    [50, 150) (one significant digit; the spec's example table says [95, 105),
    which contradicts its own significant-digit rule). Arithmetic is done in
    :class:`~decimal.Decimal` so the bounds are the nearest floats to the exact
    values.

    Args:
        text: a decimal, optionally signed, optionally with an exponent.

    Returns:
        ``(low, high)`` as floats.

    Raises:
        Incorrect: ``text`` is not a finite decimal number.

    >>> number_range("100")
    (99.5, 100.5)
    >>> number_range("100.00")
    (99.995, 100.005)
    >>> number_range("-0.5")
    (-0.55, -0.45)
    >>> number_range("1.5e-3")
    (0.00145, 0.00155)
    """
    stripped = text.strip()
    if stripped != text or not stripped or "_" in stripped:
        raise Incorrect(f"'{text}' is not a number")
    try:
        value = Decimal(stripped)
    except InvalidOperation:
        raise Incorrect(f"'{text}' is not a number") from None
    if not value.is_finite():
        raise Incorrect(f"'{text}' is not a finite number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    half = Decimal((0, (5,), exponent - 1))
    return float(value - half), float(value + half)


_RELATIVE_REF = re.compile(
    r"(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?"
)
_ABSOLUTE_REF_TAIL = re.compile(
    r".*/(?P<type>[A-Z][A-Za-z]{1,63})/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?"
)
_CONDITIONAL_REF = re.compile(r"(?P<type>[A-Z][A-Za-z]{1,63})\?.*", re.DOTALL)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def split_reference(text: str) -> tuple[str | None, str | None, str | None]:
    """Split a ``Reference.reference`` into ``(type, id, url)`` for the index.

    A relative literal reference ``Type/id`` (optionally ``/_history/vid``,
    which is dropped) gives ``(type, id, None)``. Anything else (absolute
    URLs, ``urn:uuid:``/``urn:oid:``, ``#contained`` and conditional
    references such as ``Patient?identifier=…``) is kept whole as
    ``(None, None, text)``; an empty string gives ``(None, None, None)``.

    >>> split_reference("Patient/123/_history/2")
    ('Patient', '123', None)
    >>> split_reference("urn:uuid:4f6a")
    (None, None, 'urn:uuid:4f6a')
    """
    if not text:
        return None, None, None
    m = _RELATIVE_REF.fullmatch(text)
    if m is not None:
        return m["type"], m["id"], None
    return None, None, text


def reference_type(reference: object) -> str | None:
    """The resource type a FHIR ``Reference`` points to, as far as it says.

    This is the meaning CareHub gives ``resolve() is T`` in search parameter
    expressions: the type of a relative reference (``Patient/1``), which is
    what resolving it would give; else ``Reference.type`` when present; else
    the type named by an absolute (``https://h/fhir/Patient/1``) or
    conditional (``Patient?identifier=…``) reference. ``urn:`` and
    ``#contained`` references and non-Reference values give ``None``. (The
    index relies on the first rule: a typed alias such as
    ``Observation.patient`` is answered from ``subject`` rows whose target type
    is ``Patient``, see :mod:`carehub.fhir_model.index_alias`.)

    >>> reference_type({"reference": "https://h.example/fhir/Patient/1/_history/3"})
    'Patient'
    >>> reference_type({"reference": "Practitioner?identifier=x|1"})
    'Practitioner'
    >>> reference_type({"type": "Group", "identifier": {"value": "g1"}})
    'Group'
    >>> reference_type({"type": "Group", "reference": "Patient/1"})
    'Patient'
    """
    if not isinstance(reference, dict):
        return None
    text = reference.get("reference")
    if isinstance(text, str) and text:
        relative = split_reference(text)[0]
        if relative is not None:
            return relative
    declared = reference.get("type")
    if isinstance(declared, str) and declared:
        return declared.rsplit("/", 1)[-1]
    if not isinstance(text, str) or not text:
        return None
    return _named_type(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _named_type(text: str) -> str | None:
    for pattern in (_RELATIVE_REF, _ABSOLUTE_REF_TAIL, _CONDITIONAL_REF):
        m = pattern.fullmatch(text)
        if m is not None:
            return m["type"]
    return None


def clear_caches() -> None:
    """Empty the memo caches of this module (benchmarks use it to measure cold runs).

    >>> clear_caches()
    """
    for cached in (normalize_text, date_range, split_reference, _named_type):
        cached.cache_clear()
