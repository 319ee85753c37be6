"""The typed patient snapshot that every screening programme reads.

A snapshot is a patient's sex and birth date, the date it is evaluated at
(``as_of``) and a sorted tuple of :class:`Fact` rows: one per diagnosis,
laboratory result, vital sign, social-history item, medication, imaging
study, lung-nodule component and questionnaire answer. Facts are in the
canonical unit of their code (the warehouse ``labs`` mart conversions), so
the two builders (from FHIR resources, :mod:`carehub.screening.fhir_snapshot`,
and from warehouse views, :mod:`carehub.screening.warehouse_facts`) give equal
snapshots for the same data. Facts dated after ``as_of`` are ignored.

Programmes only ask questions (:meth:`PatientSnapshot.latest`,
:meth:`PatientSnapshot.diagnosis`, :meth:`PatientSnapshot.smoking`...); each
answer is a :class:`Fact` they can cite as the data they used.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from carehub.screening import codes

KINDS = ("condition", "lab", "vital", "social", "medication", "study", "nodule", "answer")
"""The kinds of fact a snapshot holds."""


class Fact(NamedTuple):
    """One dated datum of a patient (a named tuple: cheap to build from a database row).

    Args:
        kind: one of :data:`KINDS`.
        code: its code (ICD-10, LOINC, SNOMED, nodule component or question linkId).
        date: when it was observed, diagnosed or done (``None`` if unknown).
        value: numeric value in the canonical unit.
        unit: that unit.
        value_code: coded value (SNOMED result, answer code, nodule type...).
        ref: the key of the source resource (``Observation/123``...).
        group: what groups facts (the nodule finding, the questionnaire response).
        text: a display text (diagnosis title, body site of a nodule).
        ident: an identifier that follows a finding across studies.
        flag: a yes/no value.
    """

    kind: str
    code: str
    date: datetime.date | None
    value: float | None = None
    unit: str | None = None
    value_code: str | None = None
    ref: str | None = None
    group: str | None = None
    text: str | None = None
    ident: str | None = None
    flag: bool | None = None


@dataclass(frozen=True, slots=True)
class Smoking:
    """The latest smoking history: status, pack-years, years since quitting, and the facts used."""

    status: str
    pack_years: float | None
    years_since_quit: float | None
    date: datetime.date | None
    facts: tuple[Fact, ...]


@dataclass(frozen=True, slots=True)
class Nodule:
    """One lung nodule on one CT study, assembled from its component facts."""

    study: str
    finding: str
    date: datetime.date | None
    identifier: str | None
    lobe: str | None
    mean_diameter_mm: float | None
    long_axis_mm: float | None
    short_axis_mm: float | None
    solid_component_mm: float | None
    type: str | None
    spiculated: bool
    perifissural: bool
    calcified: bool

    @property
    def upper_lobe(self) -> bool:
        """Whether the nodule sits in an upper lobe (by its body-site text)."""
        return bool(self.lobe) and "upper lobe" in (self.lobe or "").lower()


def parse_date(text: str | None) -> datetime.date | None:
    """The calendar date of a full FHIR date/dateTime/instant (its first ten characters).

    Partial dates (year, year-month) give ``None``, as the warehouse does.

    >>> parse_date("2024-03-05T10:00:00+07:00"), parse_date("2024"), parse_date(None)
    (datetime.date(2024, 3, 5), None, None)
    """
    if not text or len(text) < 10:
        return None
    text = text[:10]
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _sort_key(fact: Fact) -> tuple[str, str, datetime.date, str, str, str]:
    return (
        fact.kind,
        fact.code,
        fact.date or datetime.date.min,
        fact.group or "",
        fact.ref or "",
        fact.value_code or "",
    )


class PatientSnapshot:
    """A patient's facts up to ``as_of``, indexed for the questions programmes ask.

    Args:
        patient_id: the Patient's id.
        sex: ``male``, ``female`` or another FHIR gender (or ``None``).
        birth_date: date of birth (``None`` when unknown).
        as_of: the evaluation date; later facts are dropped.
        facts: the facts, in any order.
    """

    __slots__ = ("_by_code", "_by_kind", "as_of", "birth_date", "facts", "patient_id", "sex")

    def __init__(
        self,
        patient_id: str,
        sex: str | None,
        birth_date: datetime.date | None,
        as_of: datetime.date,
        facts: Iterable[Fact],
    ) -> None:
        self.patient_id = patient_id
        self.sex = sex
        self.birth_date = birth_date
        self.as_of = as_of
        kept = [f for f in facts if f.date is None or f.date <= as_of]
        kept.sort(key=_sort_key)
        self.facts: tuple[Fact, ...] = tuple(kept)
        by_code: dict[tuple[str, str], list[Fact]] = defaultdict(list)
        by_kind: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.facts:
            by_code[(fact.kind, fact.code)].append(fact)
            by_kind[fact.kind].append(fact)
        self._by_code = dict(by_code)
        self._by_kind = dict(by_kind)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatientSnapshot):
            return NotImplemented
        return (
            self.patient_id,
            self.sex,
            self.birth_date,
            self.as_of,
            self.facts,
        ) == (other.patient_id, other.sex, other.birth_date, other.as_of, other.facts)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PatientSnapshot({self.patient_id!r}, {len(self.facts)} facts, as of {self.as_of})"

    # -- demographics ------------------------------------------------------------------
    @property
    def age(self) -> int | None:
        """Age in whole years on ``as_of`` (``None`` without a birth date)."""
        if self.birth_date is None:
            return None
        b, d = self.birth_date, self.as_of
        return d.year - b.year - ((d.month, d.day) < (b.month, b.day))

    @property
    def female(self) -> bool:
        """Whether the recorded sex is female."""
        return self.sex == "female"

    # -- questions ---------------------------------------------------------------------
    def of_kind(self, kind: str) -> tuple[Fact, ...]:
        """Every fact of ``kind``, sorted by code then date."""
        return tuple(self._by_kind.get(kind, ()))

    def series(self, code: str, kind: str = "lab") -> tuple[Fact, ...]:
        """Every fact with ``code`` (and ``kind``), oldest first."""
        return tuple(self._by_code.get((kind, code), ()))

    def latest(self, code: str, kind: str = "lab") -> Fact | None:
        """The most recent fact with ``code`` that has a value, or ``None``."""
        for fact in reversed(self._by_code.get((kind, code), ())):
            if fact.value is not None or fact.value_code is not None:
                return fact
        return None

    def within(self, fact: Fact | None, months: int) -> bool:
        """Whether ``fact`` is dated within ``months`` before ``as_of``."""
        if fact is None or fact.date is None:
            return False
        return fact.date >= add_months(self.as_of, -months)

    def diagnosis(self, prefixes: Sequence[str]) -> Fact | None:
        """The earliest diagnosis whose ICD-10 code starts with one of ``prefixes``."""
        found = [
            f for f in self._by_kind.get("condition", ()) if f.code.startswith(tuple(prefixes))
        ]
        if not found:
            return None
        return min(found, key=lambda f: f.date or datetime.date.min)

    def last_study(self, *study_codes: str) -> Fact | None:
        """The most recent imaging study with one of ``study_codes``."""
        found = [f for c in study_codes for f in self._by_code.get(("study", c), ())]
        return max(found, key=lambda f: f.date or datetime.date.min) if found else None

    def positive(self, code: str) -> Fact | None:
        """The latest qualitative result of ``code`` if it was positive."""
        fact = self.latest(code)
        return fact if fact is not None and fact.value_code in codes.POSITIVE else None

    def smoking(self) -> Smoking | None:
        """The latest smoking status with the pack-years and quit time recorded with it."""
        status = self.latest(codes.SMOKING_STATUS, "social")
        if status is None or status.value_code is None:
            return None
        if status.value_code in codes.SMOKING_CURRENT:
            label = "current"
        elif status.value_code in codes.SMOKING_FORMER:
            label = "former"
        elif status.value_code in codes.SMOKING_NEVER:
            label = "never"
        else:
            return None
        used = [status]
        pack = self.latest(codes.PACK_YEARS, "social")
        quit_ = self.latest(codes.YEARS_SINCE_QUIT, "social") if label == "former" else None
        pack_years = pack.value if pack is not None and label != "never" else None
        if pack is not None and label != "never":
            used.append(pack)
        years = None
        if quit_ is not None and quit_.value is not None:
            used.append(quit_)
            years = quit_.value
            if quit_.date is not None:  # the time since quitting grows after it was recorded
                years += (self.as_of - quit_.date).days / 365.25
        if pack_years is None and label == "never":
            pack_years = 0.0
        return Smoking(label, pack_years, years, status.date, tuple(used))

    def answers(self, link_ids: Sequence[str]) -> dict[str, Fact]:
        """The answers of the latest response that answered the first of ``link_ids``."""
        first = self._by_code.get(("answer", link_ids[0]), ())
        if not first:
            return {}
        latest = max(first, key=lambda f: (f.date or datetime.date.min, f.group or ""))
        out: dict[str, Fact] = {}
        for link in link_ids:
            for fact in self._by_code.get(("answer", link), ()):
                if fact.group == latest.group:
                    out[link] = fact
        return out

    def nodules(self, study: str) -> list[Nodule]:
        """The lung nodules reported on imaging study ``study`` (a ``ImagingStudy/id`` key)."""
        parts: dict[str, list[Fact]] = defaultdict(list)
        for fact in self._by_kind.get("nodule", ()):
            if fact.ref == study:
                parts[fact.group or ""].append(fact)
        out = []
        for finding, facts in sorted(parts.items()):
            got = {f.code: f for f in facts}

            def num(code: str, got: dict[str, Fact] = got) -> float | None:
                fact = got.get(code)
                return fact.value if fact is not None else None

            def yes(code: str, got: dict[str, Fact] = got) -> bool:
                fact = got.get(code)
                return bool(fact is not None and fact.flag)

            kind = got.get(codes.NODULE_TYPE)
            head = facts[0]
            out.append(
                Nodule(
                    study=study,
                    finding=finding,
                    date=head.date,
                    identifier=head.ident,
                    lobe=head.text,
                    mean_diameter_mm=num(codes.NODULE_MEAN_DIAMETER),
                    long_axis_mm=num(codes.NODULE_LONG_AXIS),
                    short_axis_mm=num(codes.NODULE_SHORT_AXIS),
                    solid_component_mm=num(codes.NODULE_SOLID_COMPONENT),
                    type=kind.value_code if kind is not None else None,
                    spiculated=yes(codes.NODULE_SPICULATED),
                    perifissural=yes(codes.NODULE_PERIFISSURAL),
                    calcified=yes(codes.NODULE_CALCIFIED),
                )
            )
        return out


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months`` calendar months (clamped to the month's last day).

    >>> add_months(datetime.date(2024, 1, 31), 1), add_months(datetime.date(2024, 3, 15), -12)
    (datetime.date(2024, 2, 29), datetime.date(2023, 3, 15))
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
