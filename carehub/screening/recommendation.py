"""What a programme says about one patient: a status, the rule that fired and the data it used.

Statuses, from least to most urgent:

* ``not_eligible``: outside the programme's population (the reason says why);
* ``insufficient_data``: eligible, but a needed datum is missing (``needs``);
* ``up_to_date``: screened, next due on ``due_date``;
* ``due``: to be done now (never done, or the recall interval has passed);
* ``overdue``: due for longer than the grace period (:data:`OVERDUE_AFTER_DAYS`);
* ``care_gap``: a recommended test or follow-up has not happened;
* ``positive``: a result needs follow-up (the detail says which);
* ``referral``: refer to a specialist now.

Every recommendation names its rule (``programme.rule``), the guideline
behind it, and the :class:`~carehub.screening.snapshot.Fact` rows it used.
Its title and detail are also :class:`~carehub.screening.messages.Message`
values (key and parameters), so front ends show them in their language.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from carehub.screening.messages import Message
from carehub.screening.snapshot import Fact

STATUSES = (
    "not_eligible",
    "insufficient_data",
    "up_to_date",
    "due",
    "overdue",
    "care_gap",
    "positive",
    "referral",
)
"""Every status, least urgent first."""

ACTIONABLE = frozenset({"due", "overdue", "care_gap", "positive", "referral", "insufficient_data"})
"""Statuses that go on a worklist as a Task."""

OVERDUE_AFTER_DAYS = 90
"""Days after the due date before ``due`` becomes ``overdue``."""


@dataclass(frozen=True, slots=True)
class DataPoint:
    """One datum a recommendation used, as shown to a clinician."""

    kind: str
    code: str
    value: float | str | None
    unit: str | None
    date: datetime.date | None
    source: str | None

    @classmethod
    def of(cls, fact: Fact) -> DataPoint:
        """The data point of ``fact`` (its numeric value, else its coded value)."""
        value: float | str | None = fact.value if fact.value is not None else fact.value_code
        if value is None and fact.flag is not None:
            value = "true" if fact.flag else "false"
        return cls(fact.kind, fact.code, value, fact.unit, fact.date, fact.ref)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "code": self.code,
            "value": self.value,
            "unit": self.unit,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One programme's finding for one patient.

    Args:
        patient_id: the patient.
        programme: the programme id (``kidney``, ``lung_cancer``...).
        rule: the rule that fired, unique within the programme.
        status: one of :data:`STATUSES`.
        title: one line for a worklist.
        detail: the explanation: which data, which rule, what to do.
        guideline: the guideline (and version) behind the rule.
        due_date: when the next action is due (``None`` if not applicable).
        recall_months: the recall interval, when there is one.
        data_used: the data the rule read.
        needs: what data is missing (for ``insufficient_data`` and care gaps).
        values: computed values (scores, categories) by name.
        title_message: ``title`` as a translatable message (``None``: English only).
        detail_message: ``detail`` as a translatable message.
    """

    patient_id: str
    programme: str
    rule: str
    status: str
    title: str
    detail: str
    guideline: str
    due_date: datetime.date | None = None
    recall_months: int | None = None
    data_used: tuple[DataPoint, ...] = ()
    needs: tuple[str, ...] = ()
    values: tuple[tuple[str, Any], ...] = ()
    title_message: Message | None = None
    detail_message: Message | None = None

    @property
    def key(self) -> str:
        """``programme.rule``: what the write-back makes idempotent per patient."""
        return f"{self.programme}.{self.rule}"

    @property
    def actionable(self) -> bool:
        """Whether it belongs on a worklist."""
        return self.status in ACTIONABLE

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (API, CDS cards, worklist rows)."""
        return {
            "patient_id": self.patient_id,
            "programme": self.programme,
            "rule": self.rule,
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "guideline": self.guideline,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "recall_months": self.recall_months,
            "data_used": [d.to_json() for d in self.data_used],
            "needs": list(self.needs),
            "values": dict(self.values),
            "title_message": self.title_message.to_json() if self.title_message else None,
            "detail_message": self.detail_message.to_json() if self.detail_message else None,
        }

    def messages_json(self) -> dict[str, Any]:
        """The title and detail messages as one JSON object (``{"title": ..., "detail": ...}``).

        >>> from carehub.screening.messages import msg
        >>> r = Recommendation("p", "kidney", "r", "due", "t", "d", "g",
        ...                    title_message=msg("screen.not_eligible"))
        >>> r.messages_json()["title"]["key"], r.messages_json()["detail"]
        ('screen.not_eligible', None)
        """
        return {"title": self.title_message.to_json() if self.title_message else None,
                "detail": self.detail_message.to_json() if self.detail_message else None}


def used(*facts: Fact | Iterable[Fact] | None) -> tuple[DataPoint, ...]:
    """Data points of the given facts, skipping ``None`` and flattening iterables.

    >>> import datetime
    >>> f = Fact("lab", "9318-7", datetime.date(2024, 1, 2), 35.0, "mg/g")
    >>> [d.value for d in used(f, None, [f])]
    [35.0, 35.0]
    """
    out: list[DataPoint] = []
    for item in facts:
        if item is None:
            continue
        if isinstance(item, Fact):
            out.append(DataPoint.of(item))
        else:
            out.extend(DataPoint.of(f) for f in item)
    return tuple(out)


def timing_status(
    as_of: datetime.date, due: datetime.date | None
) -> str:
    """``up_to_date``, ``due`` or ``overdue`` for an action due on ``due`` (never done: due).

    >>> d = datetime.date(2024, 6, 1)
    >>> timing_status(d, None), timing_status(d, datetime.date(2024, 7, 1))
    ('due', 'up_to_date')
    >>> timing_status(d, datetime.date(2024, 5, 1)), timing_status(d, datetime.date(2023, 1, 1))
    ('due', 'overdue')
    """
    if due is None:
        return "due"
    if due > as_of:
        return "up_to_date"
    return "overdue" if (as_of - due).days > OVERDUE_AFTER_DAYS else "due"
