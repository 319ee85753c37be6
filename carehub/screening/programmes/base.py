"""What every programme is, and the helpers they share.

A programme is a pure function of a
:class:`~carehub.screening.snapshot.PatientSnapshot`: eligibility, then the
data it needs, then evaluation, then recommendations with due dates. Each
module defines one :class:`Programme` value.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carehub.clinical.catalog import evaluate as calculate
from carehub.clinical.result import Result
from carehub.screening.messages import Message, msg
from carehub.screening.recommendation import DataPoint, Recommendation
from carehub.screening.snapshot import PatientSnapshot, add_months
from carehub.settings import Settings


@dataclass(frozen=True, slots=True)
class Profile:
    """Local choices the guidelines leave open (from configuration).

    Args:
        score2_region: the SCORE2-Asia-Pacific risk region of the population.
        who_chart_configured: whether a WHO 2019 chart table is configured.
    """

    score2_region: str = "High"
    who_chart_configured: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Profile:
        """The profile the settings describe (``CAREHUB_SCORE2_AP_REGION``, the WHO chart)."""
        return cls(
            score2_region=settings["CAREHUB_SCORE2_AP_REGION"],
            who_chart_configured=bool(str(settings["CAREHUB_WHO_CVD_CHART"]).strip()),
        )


DEFAULT_PROFILE = Profile()


@dataclass(frozen=True, slots=True)
class Programme:
    """A screening programme: its id, title, the guidelines it follows and its evaluation."""

    id: str
    title: str
    guidelines: str
    evaluate: Callable[[PatientSnapshot, Profile], list[Recommendation]]


class Findings:
    """Collects one programme's recommendations for one patient.

    >>> import datetime
    >>> day = datetime.date(2024, 1, 1)
    >>> s = PatientSnapshot("p1", "female", datetime.date(1970, 1, 1), day, [])
    >>> f = Findings("demo", s)
    >>> f.add("r", "due", "Test due", "No test recorded.", "Guideline 1").status
    'due'
    >>> [r.key for r in f.out]
    ['demo.r']
    >>> f.not_eligible(msg("screen.kidney.adults_only"), "G")[-1].detail
    'Adults only (age 18 or over).'
    """

    def __init__(self, programme: str, snapshot: PatientSnapshot) -> None:
        self.programme = programme
        self.snapshot = snapshot
        self.out: list[Recommendation] = []

    def add(
        self,
        rule: str,
        status: str,
        title: str | Message,
        detail: str | Message,
        guideline: str,
        *,
        due: datetime.date | None = None,
        recall_months: int | None = None,
        data: tuple[DataPoint, ...] = (),
        needs: tuple[str, ...] = (),
        values: Mapping[str, Any] | None = None,
    ) -> Recommendation:
        """Record one recommendation and return it.

        ``title`` and ``detail`` are messages (:mod:`carehub.screening.messages`:
        translatable, the English text stored beside them) or plain English text.
        """
        title_message = title if isinstance(title, Message) else None
        detail_message = detail if isinstance(detail, Message) else None
        rec = Recommendation(
            patient_id=self.snapshot.patient_id,
            programme=self.programme,
            rule=rule,
            status=status,
            title=title.text if isinstance(title, Message) else title,
            detail=detail.text if isinstance(detail, Message) else detail,
            guideline=guideline,
            due_date=due,
            recall_months=recall_months,
            data_used=data,
            needs=needs,
            values=tuple(sorted((values or {}).items())),
            title_message=title_message,
            detail_message=detail_message,
        )
        self.out.append(rec)
        return rec

    def not_eligible(self, reason: str | Message, guideline: str) -> list[Recommendation]:
        """Record that the patient is outside the programme, and return the list."""
        self.add("eligibility", "not_eligible", msg("screen.not_eligible"), reason, guideline)
        return self.out


def next_due(last: datetime.date | None, months: int) -> datetime.date | None:
    """The date ``months`` after ``last`` (``None`` when never done).

    >>> next_due(datetime.date(2023, 5, 10), 12), next_due(None, 6)
    (datetime.date(2024, 5, 10), None)
    """
    return add_months(last, months) if last is not None else None


def calc(rule: str, **inputs: Any) -> Result:
    """Run clinical calculator ``rule`` (see :mod:`carehub.clinical.catalog`)."""
    return calculate(rule, inputs)


def label(result: Result) -> str:
    """The guideline label of a calculator result."""
    return result.guideline.label
