"""Forecast patient census → nurses required per day, shift and skill.

Nurse-to-patient ratios are parameters (e.g. 1:4 on day shifts, 1:7 at night,
in the range of the California AB 394 ratios and of the ratios studied by
Aiken et al., JAMA 2002;288(16):1987-1993). The result is the INRC-II
requirement pair (Ceschia et al., arXiv:1501.04177): ``optimal`` nurses for
the forecast census, and a hard ``minimum`` that is a share of it (never
below a skill's floor), ready for :class:`.roster_model.Demand`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carehub.errors import Incorrect
from carehub.ops.allocate.roster_model import Demand


@dataclass(frozen=True, slots=True)
class SkillMix:
    """Share of a shift's nurses that need ``skill``, and the least number always present."""

    skill: str
    share: float
    floor: int = 0


def coverage_from_census(
    census: Sequence[float],
    patients_per_nurse: Mapping[str, float],
    mix: Sequence[SkillMix],
    minimum_share: float = 0.8,
) -> list[Demand]:
    """Required nurses for each day of ``census`` (forecast patients on the ward that day).

    For each shift ``s``: ``total = ceil(census / patients_per_nurse[s])``;
    for each skill: ``optimal = max(floor, ceil(total * share))`` and
    ``minimum = max(floor, ceil(optimal * minimum_share))``.

    Args:
        census: forecast census, one value per day of the roster.
        patients_per_nurse: the ratio per shift name, e.g. ``{"Early": 4, "Night": 7}``.
        mix: skill shares of each shift (they need not sum to 1).
        minimum_share: the hard minimum as a share of the optimal staffing.

    Raises:
        Incorrect: a negative census, a ratio ≤ 0, or a share outside [0, 1].

    >>> d = coverage_from_census([20.0], {"Day": 4, "Night": 8}, [SkillMix("Nurse", 1.0, 1)])
    >>> [(x.shift, x.minimum, x.optimal) for x in d]
    [('Day', 4, 5), ('Night', 3, 3)]
    """
    if not 0 <= minimum_share <= 1:
        raise Incorrect(f"minimum_share must be in [0, 1], not {minimum_share}")
    for shift, ratio in patients_per_nurse.items():
        if ratio <= 0:
            raise Incorrect(f"patients per nurse of shift {shift!r} must be > 0, not {ratio}")
    for m in mix:
        if not 0 <= m.share <= 1:
            raise Incorrect(f"share of skill {m.skill!r} must be in [0, 1], not {m.share}")
    out: list[Demand] = []
    for day, patients in enumerate(census):
        if patients < 0 or math.isnan(patients):
            raise Incorrect(f"census of day {day} must be ≥ 0, not {patients}")
        for shift, ratio in patients_per_nurse.items():
            total = math.ceil(round(patients / ratio, 9))
            for m in mix:
                opt = max(m.floor, math.ceil(round(total * m.share, 9)))
                lo = max(m.floor, math.ceil(round(opt * minimum_share, 9)))
                if opt:
                    out.append(Demand(day, shift, m.skill, min(lo, opt), opt))
    return out


def census_by_day(
    rows: Sequence[tuple[str, str, float]], ward: str, dates: Sequence[str]
) -> list[float]:
    """Pick one ward's forecast census for ``dates`` from ``(ward, date, census)`` rows.

    Missing dates count as 0 patients; several rows for a date are summed.

    >>> census_by_day([("nhi", "2025-01-06", 12.4), ("san", "2025-01-06", 3.0)], "nhi",
    ...               ["2025-01-06", "2025-01-07"])
    [12.4, 0.0]
    """
    index = {d: i for i, d in enumerate(dates)}
    out = [0.0] * len(dates)
    for w, date, value in rows:
        if w == ward and date in index:
            out[index[date]] += float(value)
    return out
