"""The nurse-rostering problem CareHub solves, and its result.

The vocabulary and default weights follow the INRC-II rules (Ceschia, Dang,
De Causmaecker, Haspeslagh, Schaerf, arXiv:1501.04177, 2015), generalised to
any number of days, optional approved leave (hard) and a minimum rest between
shifts that forbids successions. :func:`from_inrc2` turns a parsed INRC-II
instance into a :class:`RosterProblem`.

Hard: one shift a day, minimum coverage per (day, shift, skill), forbidden
successions (also after the history's last shift), skills, approved leave.
Soft (weights in :class:`Weights`): optimal coverage, consecutive runs of a
shift, of working days and of days off, shift-off requests, complete
weekends, total assignments and working weekends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from carehub.ops.allocate.inrc2_format import Instance

NO_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Shift:
    """A shift type; ``start``/``end`` in hours from midnight (``end`` may exceed 24)."""

    name: str
    min_consecutive: int = 1
    max_consecutive: int = NO_LIMIT
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """Contract limits; totals and weekends count over the horizon plus the history."""

    name: str
    min_total: int = 0
    max_total: int = NO_LIMIT
    min_work: int = 1
    max_work: int = NO_LIMIT
    min_off: int = 1
    max_off: int = NO_LIMIT
    max_weekends: int = NO_LIMIT
    complete_weekends: bool = False


@dataclass(frozen=True, slots=True)
class Border:
    """What happened before day 0 (the INRC-II history line)."""

    last_shift: str | None = None
    consecutive_shift: int = 0
    consecutive_work: int = 0
    consecutive_off: int = 0
    assignments: int = 0
    weekends: int = 0


@dataclass(frozen=True, slots=True)
class Nurse:
    """A nurse, her contract name, skills and border state."""

    id: str
    contract: str
    skills: tuple[str, ...]
    history: Border = Border()


@dataclass(frozen=True, slots=True)
class Demand:
    """Nurses wanted with ``skill`` on ``shift`` of ``day``: ``minimum`` is hard."""

    day: int
    shift: str
    skill: str
    minimum: int
    optimal: int


@dataclass(frozen=True, slots=True)
class Request:
    """A wish not to work ``shift`` (``None``: any shift) on ``day``; costs ``weight`` units."""

    nurse: str
    day: int
    shift: str | None = None
    weight: int = 1


@dataclass(frozen=True, slots=True)
class Weights:
    """Cost per unit of each soft constraint; defaults are the INRC-II weights."""

    optimal_coverage: int = 30
    consecutive_shift: int = 15
    consecutive_work: int = 30
    consecutive_off: int = 30
    preferences: int = 10
    complete_weekend: int = 30
    total_assignments: int = 20
    working_weekends: int = 30


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """Everything the solver needs; day ``d`` is weekday ``(first_weekday + d) % 7`` (0 = Mon)."""

    name: str
    days: int
    skills: tuple[str, ...]
    shifts: tuple[Shift, ...]
    contracts: dict[str, Contract]
    nurses: tuple[Nurse, ...]
    demand: tuple[Demand, ...]
    forbidden: frozenset[tuple[str, str]] = frozenset()
    requests: tuple[Request, ...] = ()
    leave: frozenset[tuple[str, int]] = frozenset()
    weights: Weights = Weights()
    first_weekday: int = 0
    min_rest_hours: float | None = None

    def weekends(self) -> list[tuple[int, ...]]:
        """Day indices of each weekend (Saturday and Sunday) touching the horizon.

        >>> RosterProblem("x", 10, (), (), {}, (), (), first_weekday=6).weekends()
        [(0,), (6, 7)]
        """
        out: list[tuple[int, ...]] = []
        for day in range(self.days):
            weekday = (self.first_weekday + day) % 7
            if weekday == 5:
                out.append(tuple(d for d in (day, day + 1) if d < self.days))
            elif weekday == 6 and day == 0:
                out.append((0,))
        return out

    def all_forbidden(self) -> frozenset[tuple[str, str]]:
        """Forbidden successions, plus those with less than ``min_rest_hours`` of rest.

        >>> p = RosterProblem("x", 1, (), (Shift("L", start=14, end=22), Shift("E", start=6,
        ...     end=14)), {}, (), (), min_rest_hours=11)
        >>> sorted(p.all_forbidden())
        [('L', 'E')]
        """
        out = set(self.forbidden)
        if self.min_rest_hours is not None:
            for a in self.shifts:
                for b in self.shifts:
                    if a.end is None or b.start is None:
                        continue
                    if 24 + b.start - a.end < self.min_rest_hours:
                        out.add((a.name, b.name))
        return frozenset(out)


@dataclass(slots=True)
class RosterSolution:
    """A roster and how good it is.

    Attributes:
        status: ``OPTIMAL`` or ``FEASIBLE`` (CP-SAT status name).
        objective: the solver's weighted cost.
        bound: the best lower bound CP-SAT proved.
        breakdown: weighted cost per soft constraint (:class:`Weights` field names).
        assignments: ``(nurse, day, shift, skill)`` of every worked shift.
        wall_time: seconds spent in the solver.
    """

    status: str
    objective: int
    bound: int
    breakdown: dict[str, int]
    assignments: list[tuple[str, int, str, str]] = field(default_factory=list)
    wall_time: float = 0.0


def from_inrc2(instance: Instance) -> RosterProblem:
    """The INRC-II instance as a :class:`RosterProblem` over all its weeks (static setting)."""
    sc = instance.scenario
    contracts = {
        c.name: Contract(
            c.name, c.min_total, c.max_total, c.min_work, c.max_work, c.min_off, c.max_off,
            c.max_weekends, c.complete_weekends,
        )
        for c in sc.contracts.values()
    }
    nurses = []
    for n in sc.nurses:
        h = instance.history[n.id]
        border = Border(
            h.last_shift, h.consecutive_shift, h.consecutive_work, h.consecutive_off,
            h.assignments, h.weekends,
        )
        nurses.append(Nurse(n.id, n.contract, n.skills, border))
    demand = []
    requests = []
    for w, week in enumerate(instance.weeks):
        for (d, shift, skill), (lo, opt) in sorted(week.requirements.items()):
            if lo or opt:
                demand.append(Demand(7 * w + d, shift, skill, lo, opt))
        requests += [Request(n, 7 * w + d, s) for n, s, d in week.requests]
    return RosterProblem(
        name=instance.name,
        days=instance.days,
        skills=sc.skills,
        shifts=tuple(Shift(s.name, s.min_consecutive, s.max_consecutive) for s in sc.shifts),
        contracts=contracts,
        nurses=tuple(nurses),
        demand=tuple(demand),
        forbidden=frozenset((a, b) for a, nxt in sc.forbidden.items() for b in nxt),
        requests=tuple(requests),
    )
