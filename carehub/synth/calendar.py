"""The hospital's calendar: which days are busy, and how to draw a visit time.

Vietnamese public holidays, including the lunar Tết Nguyên Đán block, come
from the maintained ``holidays`` package (``holidays.Vietnam``), which
computes the lunar dates and the government's substitute days off
(``holidays.country_holidays("VN")``).

Each *activity kind* has a weight per day; :meth:`HospitalCalendar.pick`
draws a day in a range with probability proportional to its weight, so every
generated visit carries the same weekly, seasonal and holiday pattern:

* ``outpatient``: Monday busiest, Saturday half a day, Sunday almost closed;
  holidays nearly closed; quieter in the days just before and after Tết.
* ``respiratory``: outpatient days times the winter-spring respiratory season.
* ``emergency``: every day alike, a little busier at weekends and holidays.
* ``emergency_respiratory``: emergency days times the respiratory season.
* ``elective``: planned admissions, working days only.

Times are local (Asia/Ho_Chi_Minh, ``+07:00``, no daylight saving). Day
numbers count from the first day of activity (day 0).
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from itertools import accumulate

import holidays

OUTPATIENT_BY_WEEKDAY = (1.35, 1.10, 1.05, 1.00, 0.95, 0.45, 0.03)
"""Monday to Sunday."""
EMERGENCY_BY_WEEKDAY = (1.05, 1.00, 1.00, 1.00, 1.00, 1.05, 1.10)
ELECTIVE_BY_WEEKDAY = (1.30, 1.20, 1.10, 1.00, 0.90, 0.15, 0.02)
RESPIRATORY_BY_MONTH = (1.30, 1.35, 1.30, 1.10, 0.90, 0.80, 0.80, 0.85, 0.95, 1.05, 1.15, 1.25)
"""January to December: the respiratory season of northern Viet Nam."""
OUTPATIENT_ON_HOLIDAY = 0.03
ELECTIVE_ON_HOLIDAY = 0.02
EMERGENCY_ON_HOLIDAY = 1.25
BEFORE_TET_DAYS, BEFORE_TET_FACTOR = 5, 0.75
AFTER_TET_DAYS, AFTER_TET_FACTOR = 7, 0.85
TAIL_DAYS = 400
"""Days after the end kept in the tables, for stays and courses running past it."""

_EMERGENCY_BY_HOUR = (
    2, 1.5, 1, 1, 1, 1.5, 3, 5, 6, 6, 6, 5, 4, 4, 4, 4.5, 5, 6, 6.5, 6.5, 6, 5, 4, 3,
)  # fmt: skip
_EMERGENCY_HOURS = list(accumulate(_EMERGENCY_BY_HOUR))
KINDS = ("outpatient", "respiratory", "emergency", "emergency_respiratory", "elective")


def vietnam_holidays(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """Public holidays (English names) between ``first`` and ``last`` inclusive.

    >>> names = vietnam_holidays(dt.date(2025, 1, 25), dt.date(2025, 2, 5))
    >>> names[dt.date(2025, 1, 29)]
    'Lunar New Year'
    """
    years = range(first.year, last.year + 1)
    table = holidays.country_holidays("VN", years=years, language="en_US")
    return {day: str(name) for day, name in table.items() if first <= day <= last}


class HospitalCalendar:
    """Day tables of one run, from ``start`` to ``end`` (plus a tail after it).

    Args:
        start: first day of activity (day 0).
        end: last day of activity.

    >>> cal = HospitalCalendar(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    >>> cal.iso(0), cal.weekday[0], cal.last_day
    ('2025-01-01', 2, 364)
    >>> cal.stamp(1, 8 * 60 + 5)
    '2025-01-02T08:05:00+07:00'
    >>> any(cal.tet[d] for d in range(cal.day_of(dt.date(2025, 1, 28)), 40))
    True
    """

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.start = start
        self.end = end
        self.last_day = (end - start).days
        count = self.last_day + 1 + TAIL_DAYS
        dates = [start + dt.timedelta(days=i) for i in range(count)]
        self.dates = dates
        self._iso = [d.isoformat() for d in dates]
        self.weekday = [d.weekday() for d in dates]
        self.month = [d.month for d in dates]
        self.ymd = [(d.year, d.month, d.day) for d in dates]
        names = vietnam_holidays(start, dates[-1])
        self.holiday_names = names
        self.holiday = [d in names for d in dates]
        self.tet = [("Lunar New Year" in names.get(d, "")) for d in dates]
        near_tet = self._near_tet()
        self._cum = {kind: list(accumulate(self._weights(kind, near_tet))) for kind in KINDS}

    def _near_tet(self) -> list[float]:
        factor = [1.0] * len(self.dates)
        for i, is_tet in enumerate(self.tet):
            if is_tet and not self.tet[i - 1 if i else 0]:
                for j in range(max(0, i - BEFORE_TET_DAYS), i):
                    factor[j] = min(factor[j], BEFORE_TET_FACTOR)
            if is_tet and (i + 1 >= len(self.tet) or not self.tet[i + 1]):
                for j in range(i + 1, min(len(factor), i + 1 + AFTER_TET_DAYS)):
                    factor[j] = min(factor[j], AFTER_TET_FACTOR)
        return factor

    def _weights(self, kind: str, near_tet: list[float]) -> list[float]:
        out: list[float] = []
        for i in range(len(self.dates)):
            wd, month, holiday = self.weekday[i], self.month[i], self.holiday[i]
            season = RESPIRATORY_BY_MONTH[month - 1]
            if kind in ("outpatient", "respiratory"):
                w = OUTPATIENT_BY_WEEKDAY[wd] * near_tet[i]
                w *= OUTPATIENT_ON_HOLIDAY if holiday else 1.0
                w *= season if kind == "respiratory" else 1.0
            elif kind == "elective":
                w = ELECTIVE_BY_WEEKDAY[wd] * (ELECTIVE_ON_HOLIDAY if holiday else 1.0)
            else:
                w = EMERGENCY_BY_WEEKDAY[wd] * (EMERGENCY_ON_HOLIDAY if holiday else 1.0)
                w *= season if kind == "emergency_respiratory" else 1.0
            out.append(w)
        return out

    def pick(self, kind: str, rng: random.Random, first: int, last: int) -> int:
        """Draw a day in ``[first, last]`` (clamped to the activity window).

        Raises:
            KeyError: ``kind`` is not one of :data:`KINDS`.
        """
        cum = self._cum[kind]
        first = max(first, 0)
        last = min(last, self.last_day)
        if last <= first:
            return min(max(first, 0), self.last_day)
        low = cum[first - 1] if first else 0.0
        return min(bisect_right(cum, low + rng.random() * (cum[last] - low)), last)

    def day_of(self, day: dt.date) -> int:
        """The day number of a date (negative before the start)."""
        return (day - self.start).days

    def iso(self, day: int) -> str:
        """``YYYY-MM-DD`` of a day number (any day, also outside the tables)."""
        if 0 <= day < len(self._iso):
            return self._iso[day]
        return (self.start + dt.timedelta(days=day)).isoformat()

    def stamp(self, day: int, minute: int) -> str:
        """A local ``dateTime`` for ``minute`` minutes after midnight of ``day``."""
        day += minute // 1440
        minute %= 1440
        return f"{self.iso(day)}T{minute // 60:02d}:{minute % 60:02d}:00+07:00"

    def outpatient_minute(self, rng: random.Random, day: int) -> int:
        """Arrival minute at an outpatient clinic: mostly mornings; Saturday mornings only."""
        if self.weekday[day] >= 5 or rng.random() < 0.68:
            return 420 + int(rng.triangular(0, 270, 40))
        return 810 + rng.randrange(180)

    def emergency_minute(self, rng: random.Random) -> int:
        """Arrival minute at the emergency department (evening peak, quiet nights)."""
        hour = bisect_right(_EMERGENCY_HOURS, rng.random() * _EMERGENCY_HOURS[-1])
        return min(hour, 23) * 60 + rng.randrange(60)
