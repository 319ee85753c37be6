"""Cohort definitions: an index event, then inclusion and exclusion criteria, as JSON.

https://ohdsi.github.io/TheBookOfOhdsi/Cohorts.html (the index-event model)

A definition names the *index event* (the first, or last, matching clinical
event of each patient: its date is the patient's index date) and ordered
*criteria*, each kept (``inclusion``) or refused (``exclusion``). Criteria
look at conditions (ICD-10 prefixes), laboratory results (LOINC codes with a
value threshold), medications (ATC prefixes or RxNorm codes), procedures,
encounters (class codes), age at the index date and sex; clinical criteria
count matching events in a window of days relative to the index date::

    {"name": "t2dm", "index": {"type": "condition", "codes": ["E11"]},
     "inclusion": [{"type": "age", "min": 18},
                   {"type": "lab", "codes": ["4548-4"], "value": {"min": 6.5},
                    "window": {"start": -365, "end": 0}}],
     "exclusion": [{"type": "condition", "codes": ["O24"]}]}

:func:`load_cohort` parses and checks a definition; every error names the
JSON path of the element at fault (``inclusion[1].window.start: ...``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from carehub.errors import Incorrect, did_you_mean

EVENT_TYPES = ("condition", "lab", "medication", "procedure", "encounter")
"""Criterion types that count clinical events (and may be the index event)."""

PATIENT_TYPES = ("age", "sex")
"""Criterion types about the patient at the index date."""

DEFAULT_MATCH = {
    "condition": "prefix",
    "lab": "exact",
    "medication": "prefix",
    "procedure": "exact",
    "encounter": "exact",
}
"""How codes are compared by default: ICD-10 and ATC are hierarchical (prefixes)."""

SEXES = ("male", "female", "other", "unknown")

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True, slots=True)
class Window:
    """Days relative to the index date, both ends included (``None``: open)."""

    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True)
class ValueRange:
    """A lab value threshold (canonical unit of the LOINC code), ends included."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion (or the index event).

    Attributes:
        type: one of :data:`EVENT_TYPES` or :data:`PATIENT_TYPES`.
        name: its label in the attrition table.
        codes: codes to match (event types).
        match: ``prefix`` or ``exact`` code comparison.
        window: where events must lie relative to the index date.
        value: the lab value range.
        min_count: how many matching events are needed.
        age_min, age_max: age at the index date in whole years, ends included.
        sexes: administrative genders kept.
        path: the JSON path of the criterion in its definition.
    """

    type: str
    name: str
    codes: tuple[str, ...] = ()
    match: str = "exact"
    window: Window = field(default_factory=Window)
    value: ValueRange | None = None
    min_count: int = 1
    age_min: int | None = None
    age_max: int | None = None
    sexes: tuple[str, ...] = ()
    path: str = ""


@dataclass(frozen=True, slots=True)
class IndexEvent:
    """The event that puts a patient in the cohort and sets the index date."""

    criterion: Criterion
    occurrence: str = "first"
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class CohortDefinition:
    """A parsed, checked cohort definition (``raw`` is the JSON it came from)."""

    name: str
    title: str
    index: IndexEvent
    inclusion: tuple[Criterion, ...]
    exclusion: tuple[Criterion, ...]
    raw: Mapping[str, Any]

    @property
    def criteria(self) -> list[tuple[Criterion, bool]]:
        """Every criterion in the order applied, with ``True`` for inclusion."""
        return [(c, True) for c in self.inclusion] + [(c, False) for c in self.exclusion]


def _fail(path: str, message: str) -> Incorrect:
    return Incorrect(f"{path}: {message}", expression=path)


def _keys(obj: Mapping[str, Any], allowed: Sequence[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise _fail(where, "unknown element." + did_you_mean(key, allowed))


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, f"expected a whole number, got {value!r}")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"expected a number, got {value!r}")
    return float(value)


def _date(value: Any, path: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(path, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _codes(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(path, "expected a non-empty list of codes")
    out = []
    for i, code in enumerate(value):
        if not isinstance(code, str) or not code.strip() or "'" in code:
            raise _fail(f"{path}[{i}]", f"expected a code, got {code!r}")
        out.append(code.strip())
    return tuple(out)


CRITERION_KEYS = ("type", "name", "codes", "match", "window", "value", "min_count", "min", "max",
                  "sexes")


def parse_criterion(obj: Any, path: str, *, index: bool = False) -> Criterion:
    """Parse one criterion found at JSON path ``path``.

    >>> parse_criterion({"type": "age", "min": 18}, "inclusion[0]").name
    'age 18..'
    >>> parse_criterion({"type": "lab", "codes": ["4548-4"], "value": {"min": "x"}}, "c")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: c.value.min: expected a number, got 'x'
    """
    if not isinstance(obj, Mapping):
        raise _fail(path, "expected an object")
    extra = ("occurrence", "period") if index else ()
    _keys(obj, (*CRITERION_KEYS, *extra), path)
    kind = str(obj.get("type"))
    allowed = EVENT_TYPES if index else (*EVENT_TYPES, *PATIENT_TYPES)
    if kind not in allowed:
        got = obj.get("type")
        raise _fail(f"{path}.type", f"expected one of {', '.join(allowed)}, got {got!r}."
                    + did_you_mean(kind, allowed))
    name = obj.get("name")
    if name is not None and not isinstance(name, str):
        raise _fail(f"{path}.name", "expected a string")
    if kind in PATIENT_TYPES:
        return _patient_criterion(obj, kind, name, path)
    codes = _codes(obj.get("codes"), f"{path}.codes")
    match = obj.get("match", DEFAULT_MATCH[kind])
    if match not in ("prefix", "exact"):
        raise _fail(f"{path}.match", f"expected prefix or exact, got {match!r}")
    window = Window()
    if "window" in obj:
        if index:
            raise _fail(f"{path}.window", "the index event has no window (use period)")
        raw = obj["window"]
        if not isinstance(raw, Mapping):
            raise _fail(f"{path}.window", "expected an object with start and/or end")
        _keys(raw, ("start", "end"), f"{path}.window")
        start = _int(raw["start"], f"{path}.window.start") if "start" in raw else None
        end = _int(raw["end"], f"{path}.window.end") if "end" in raw else None
        if start is not None and end is not None and start > end:
            raise _fail(f"{path}.window", f"start ({start}) is after end ({end})")
        window = Window(start, end)
    value = None
    if "value" in obj:
        if kind != "lab":
            raise _fail(f"{path}.value", "only lab criteria have a value")
        raw = obj["value"]
        if not isinstance(raw, Mapping) or not raw:
            raise _fail(f"{path}.value", "expected an object with min and/or max")
        _keys(raw, ("min", "max"), f"{path}.value")
        low = _number(raw["min"], f"{path}.value.min") if "min" in raw else None
        high = _number(raw["max"], f"{path}.value.max") if "max" in raw else None
        if low is not None and high is not None and low > high:
            raise _fail(f"{path}.value", f"min ({low:g}) is above max ({high:g})")
        value = ValueRange(low, high)
    count = _int(obj.get("min_count", 1), f"{path}.min_count")
    if count < 1:
        raise _fail(f"{path}.min_count", "must be at least 1")
    for key in ("min", "max", "sexes"):
        if key in obj:
            raise _fail(f"{path}.{key}", f"a {kind} criterion has no {key}")
    label = name or f"{kind} {' '.join(codes)}"
    return Criterion(kind, label, codes, match, window, value, count, path=path)


def _patient_criterion(obj: Mapping[str, Any], kind: str, name: str | None, path: str) -> Criterion:
    for key in ("codes", "match", "window", "value", "min_count"):
        if key in obj:
            raise _fail(f"{path}.{key}", f"a {kind} criterion has no {key}")
    if kind == "age":
        if "sexes" in obj:
            raise _fail(f"{path}.sexes", "an age criterion has no sexes")
        low = _int(obj["min"], f"{path}.min") if "min" in obj else None
        high = _int(obj["max"], f"{path}.max") if "max" in obj else None
        if low is None and high is None:
            raise _fail(path, "an age criterion needs min and/or max")
        if low is not None and high is not None and low > high:
            raise _fail(path, f"min ({low}) is above max ({high})")
        label = name or f"age {'' if low is None else low}..{'' if high is None else high}"
        return Criterion(kind, label, age_min=low, age_max=high, path=path)
    for key in ("min", "max"):
        if key in obj:
            raise _fail(f"{path}.{key}", "a sex criterion has no min or max")
    raw = obj.get("sexes")
    if not isinstance(raw, list) or not raw:
        raise _fail(f"{path}.sexes", f"expected a non-empty list of {', '.join(SEXES)}")
    for i, sex in enumerate(raw):
        if sex not in SEXES:
            raise _fail(f"{path}.sexes[{i}]", f"expected one of {', '.join(SEXES)}, got {sex!r}")
    return Criterion(kind, name or f"sex {' '.join(raw)}", sexes=tuple(raw), path=path)


def _index(obj: Any) -> IndexEvent:
    criterion = parse_criterion(obj, "index", index=True)
    assert isinstance(obj, Mapping)
    occurrence = obj.get("occurrence", "first")
    if occurrence not in ("first", "last"):
        raise _fail("index.occurrence", f"expected first or last, got {occurrence!r}")
    start = end = None
    if "period" in obj:
        period = obj["period"]
        if not isinstance(period, Mapping):
            raise _fail("index.period", "expected an object with start and/or end")
        _keys(period, ("start", "end"), "index.period")
        start = _date(period["start"], "index.period.start") if "start" in period else None
        end = _date(period["end"], "index.period.end") if "end" in period else None
        if start and end and start > end:
            raise _fail("index.period", f"start {start} is after end {end}")
    return IndexEvent(criterion, occurrence, start, end)


def parse_cohort(raw: Mapping[str, Any]) -> CohortDefinition:
    """Check a cohort definition's JSON and build the :class:`CohortDefinition`.

    Raises:
        Incorrect: the definition is malformed; the message starts with the
            JSON path of the element at fault.

    >>> d = parse_cohort({"name": "adults", "index": {"type": "encounter", "codes": ["IMP"]},
    ...                   "inclusion": [{"type": "age", "min": 18}]})
    >>> d.name, [c.name for c, _ in d.criteria]
    ('adults', ['age 18..'])
    >>> parse_cohort({"name": "x", "index": {"type": "condition", "codes": ["E11"]},
    ...               "exclusion": [{"type": "labs"}]})
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: exclusion[0].type: expected one of condition, lab, medication, \
procedure, encounter, age, sex, got 'labs'. Did you mean 'lab'?
    """
    if not isinstance(raw, Mapping):
        raise Incorrect("a cohort definition must be a JSON object")
    _keys(raw, ("name", "title", "description", "index", "inclusion", "exclusion"), "")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail("name", "expected a name of lower-case letters, digits and _ (at most 40), "
                    f"starting with a letter; got {name!r}")
    title = raw.get("title", name)
    if not isinstance(title, str):
        raise _fail("title", "expected a string")
    if "index" not in raw:
        raise _fail("index", "a cohort needs an index event")
    index = _index(raw["index"])
    parts: dict[str, tuple[Criterion, ...]] = {}
    for part in ("inclusion", "exclusion"):
        items = raw.get(part, [])
        if not isinstance(items, list):
            raise _fail(part, "expected a list of criteria")
        parts[part] = tuple(parse_criterion(c, f"{part}[{i}]") for i, c in enumerate(items))
    return CohortDefinition(name, title, index, parts["inclusion"], parts["exclusion"], raw)


def load_cohort(source: Path | Mapping[str, Any]) -> CohortDefinition:
    """Read a cohort definition from a JSON file (or take its parsed JSON).

    Raises:
        Incorrect: the file is missing or not JSON, or the definition is malformed
            (the message names the JSON path at fault).
    """
    if isinstance(source, Mapping):
        return parse_cohort(source)
    path = Path(source)
    try:
        raw = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise Incorrect(f"cannot read cohort definition {path}: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise Incorrect(f"{path} is not JSON: {exc}") from None
    return parse_cohort(raw)
