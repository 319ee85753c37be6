"""Hand-made snapshots for programme tests."""

from __future__ import annotations

import datetime
from typing import Any

from carehub.screening.evaluate import evaluate_patient
from carehub.screening.programmes.base import Profile
from carehub.screening.recommendation import Recommendation
from carehub.screening.snapshot import Fact, PatientSnapshot

AS_OF = datetime.date(2026, 6, 30)


def day(months_ago: float) -> datetime.date:
    """A date ``months_ago`` months before :data:`AS_OF`."""
    return AS_OF - datetime.timedelta(days=round(months_ago * 30.44))


def fact(kind: str, code: str, months_ago: float, value: float | None = None, **kw: Any) -> Fact:
    """A fact dated ``months_ago`` months before :data:`AS_OF`."""
    kw.setdefault("ref", f"Observation/{kind}-{code}-{months_ago}")
    return Fact(kind, code, day(months_ago), value, **kw)


def snapshot(sex: str, age: int, *facts: Fact) -> PatientSnapshot:
    """A snapshot of a patient of ``sex`` aged ``age`` on :data:`AS_OF`."""
    birth = datetime.date(AS_OF.year - age, 1, 1)
    return PatientSnapshot("Patient/t", sex, birth, AS_OF, facts)


def run(
    programme: str, s: PatientSnapshot, profile: Profile | None = None
) -> dict[str, Recommendation]:
    """The programme's recommendations by rule."""
    recs = evaluate_patient(s, [programme], profile or Profile())
    return {r.rule: r for r in recs}
