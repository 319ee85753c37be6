"""The CP-SAT model of a :class:`~.roster_model.RosterProblem`.

Sources: OR-Tools employee scheduling guide
(https://developers.google.com/optimization/scheduling/employee_scheduling) and
``examples/python/shift_scheduling_sat.py``; rules and weights of INRC-II
(Ceschia, Dang, De Causmaecker, Haspeslagh, Schaerf, arXiv:1501.04177).

Variables: ``work[n, d, s]`` (nurse ``n`` works shift ``s`` on day ``d``),
``cover[n, d, s, k]`` (… as skill ``k``, only for skills she has, so H4 holds
by construction) and ``on[n, d]`` (she works that day). The objective is the
sum of the weighted soft terms, kept per group so the result can report the
cost of each constraint.

With ``explain=True`` every hard constraint group (a coverage minimum, a
forbidden succession, a nurse's history border, a day of leave) is guarded by
its own enforcement literal, recorded in :attr:`RosterModel.guards` with a
sentence; :mod:`.infeasibility` solves under those literals as assumptions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from carehub.ops.allocate.roster_model import RosterProblem
from carehub.ops.allocate.roster_runs import run_penalties

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Term = tuple[int, cp_model.LinearExprT]


@dataclass(slots=True)
class RosterModel:
    """The model with the handles needed to read a solution back."""

    model: cp_model.CpModel
    work: dict[tuple[str, int, str], cp_model.IntVar]
    cover: dict[tuple[str, int, str, str], cp_model.IntVar]
    on: dict[tuple[str, int], cp_model.IntVar]
    terms: dict[str, list[Term]] = field(default_factory=lambda: defaultdict(list))
    guards: dict[int, str] = field(default_factory=dict)
    """Index of each enforcement literal → the hard constraint group in words."""


def day_label(problem: RosterProblem, day: int) -> str:
    """``day 3 (Thu)`` for day index 3 of a horizon starting on Monday.

    >>> from carehub.ops.allocate.roster_model import RosterProblem
    >>> day_label(RosterProblem("x", 7, (), (), {}, (), ()), 3)
    'day 3 (Thu)'
    """
    return f"day {day} ({WEEKDAYS[(problem.first_weekday + day) % 7]})"


def build(problem: RosterProblem, explain: bool = False) -> RosterModel:
    """Build the CP-SAT model (objective included unless ``explain``)."""
    m = cp_model.CpModel()
    shifts = [s.name for s in problem.shifts]
    work: dict[tuple[str, int, str], cp_model.IntVar] = {}
    cover: dict[tuple[str, int, str, str], cp_model.IntVar] = {}
    on: dict[tuple[str, int], cp_model.IntVar] = {}
    for n in problem.nurses:
        for d in range(problem.days):
            for s in shifts:
                w = work[n.id, d, s] = m.new_bool_var(f"w_{n.id}_{d}_{s}")
                if len(n.skills) == 1:
                    cover[n.id, d, s, n.skills[0]] = w
                else:
                    ks = [m.new_bool_var(f"x_{n.id}_{d}_{s}_{k}") for k in n.skills]
                    m.add(sum(ks) == w)
                    for k, v in zip(n.skills, ks, strict=True):
                        cover[n.id, d, s, k] = v
            o = on[n.id, d] = m.new_bool_var(f"on_{n.id}_{d}")
            m.add(sum(work[n.id, d, s] for s in shifts) == o)  # H1
    rm = RosterModel(m, work, cover, on)
    _hard(problem, rm, explain)
    if not explain:
        _soft(problem, rm)
        m.minimize(sum(c * v for group in rm.terms.values() for c, v in group))
    return rm


def _guard(rm: RosterModel, explain: bool, text: str) -> list[cp_model.IntVar]:
    if not explain:
        return []
    lit = rm.model.new_bool_var(text)
    rm.guards[lit.Index()] = text
    return [lit]


def _hard(p: RosterProblem, rm: RosterModel, explain: bool) -> None:
    m = rm.model
    by_skill: dict[str, list[str]] = defaultdict(list)
    for n in p.nurses:
        for k in n.skills:
            by_skill[k].append(n.id)
    for dm in p.demand:
        if dm.minimum <= 0:
            continue
        g = _guard(rm, explain, f"minimum coverage: {dm.minimum} {dm.skill} on {dm.shift}, "
                   f"{day_label(p, dm.day)}")
        staff = [rm.cover[n, dm.day, dm.shift, dm.skill] for n in by_skill[dm.skill]]
        m.add(sum(staff) >= dm.minimum).only_enforce_if(g)
    forbidden = sorted(p.all_forbidden())
    for a, b in forbidden:
        g = _guard(rm, explain, f"forbidden succession: {a} followed by {b} the next day")
        for n in p.nurses:
            for d in range(p.days - 1):
                m.add_bool_or(
                    [rm.work[n.id, d, a].Not(), rm.work[n.id, d + 1, b].Not()]
                ).only_enforce_if(g)
    for n in p.nurses:
        last = n.history.last_shift
        banned = [b for a, b in forbidden if a == last]
        if banned and p.days:
            g = _guard(rm, explain, f"history: {n.id} worked {last} the day before day 0, "
                       f"so no {'/'.join(banned)} on day 0")
            for b in banned:
                m.add(rm.work[n.id, 0, b] == 0).only_enforce_if(g)
    for nurse, day in sorted(p.leave):
        if (nurse, day) in rm.on:
            g = _guard(rm, explain, f"approved leave: {nurse} off on {day_label(p, day)}")
            m.add(rm.on[nurse, day] == 0).only_enforce_if(g)


def _soft(p: RosterProblem, rm: RosterModel) -> None:
    m, w, terms = rm.model, p.weights, rm.terms
    by_skill: dict[str, list[str]] = defaultdict(list)
    for n in p.nurses:
        for k in n.skills:
            by_skill[k].append(n.id)
    for dm in p.demand:
        if dm.optimal > dm.minimum:
            short = m.new_int_var(0, dm.optimal, "")
            staff = [rm.cover[n, dm.day, dm.shift, dm.skill] for n in by_skill[dm.skill]]
            m.add(short >= dm.optimal - sum(staff))
            terms["optimal_coverage"].append((w.optimal_coverage, short))
    for r in p.requests:
        if not 0 <= r.day < p.days or (r.nurse, r.day) not in rm.on:
            continue
        lit = rm.on[r.nurse, r.day] if r.shift is None else rm.work[r.nurse, r.day, r.shift]
        terms["preferences"].append((w.preferences * r.weight, lit))
    weekends = p.weekends()
    for n in p.nurses:
        c, h = p.contracts[n.contract], n.history
        days_on = [rm.on[n.id, d] for d in range(p.days)]
        for s in p.shifts:
            seq = [rm.work[n.id, d, s.name] for d in range(p.days)]
            prefix = h.consecutive_shift if h.last_shift == s.name else 0
            for units, pen in run_penalties(m, seq, prefix, s.min_consecutive, s.max_consecutive):
                terms["consecutive_shift"].append((w.consecutive_shift * units, pen))
        for units, pen in run_penalties(m, days_on, h.consecutive_work, c.min_work, c.max_work):
            terms["consecutive_work"].append((w.consecutive_work * units, pen))
        days_off = [v.Not() for v in days_on]
        for units, pen in run_penalties(m, days_off, h.consecutive_off, c.min_off, c.max_off):
            terms["consecutive_off"].append((w.consecutive_off * units, pen))
        total = h.assignments + sum(days_on)
        under = m.new_int_var(0, max(0, c.min_total), "")
        over = m.new_int_var(0, p.days + h.assignments, "")
        m.add(under >= c.min_total - total)
        m.add(over >= total - c.max_total)
        terms["total_assignments"] += [(w.total_assignments, under), (w.total_assignments, over)]
        worked: list[cp_model.IntVar] = []
        for we in weekends:
            lits = [rm.on[n.id, d] for d in we]
            any_on = m.new_bool_var("")
            m.add_max_equality(any_on, lits)
            worked.append(any_on)
            if c.complete_weekends and len(lits) == 2:
                half = m.new_bool_var("")
                m.add(half >= lits[0] - lits[1])
                m.add(half >= lits[1] - lits[0])
                terms["complete_weekend"].append((w.complete_weekend, half))
        if weekends and h.weekends + len(weekends) > c.max_weekends:
            extra = m.new_int_var(0, len(weekends), "")
            m.add(extra >= h.weekends + sum(worked) - c.max_weekends)
            terms["working_weekends"].append((w.working_weekends, extra))
