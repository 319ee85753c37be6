"""Independent INRC-II validator: hard constraints H1–H4 and the soft cost S1–S7.

Source: Ceschia, Dang, De Causmaecker, Haspeslagh, Schaerf, "Second
International Nurse Rostering Competition (INRC-II) — Problem Description and
Rules", arXiv:1501.04177 (2015), sections 2–3; competition weights.

This module shares nothing with the CP-SAT model (:mod:`.roster_solver`): it
reads the parsed INRC-II files and a plain list of assignments and walks each
nurse's days, so the solver's own objective can be checked against it.

The whole horizon is scored at once (the *static* setting: all weeks known).
Border rules, as in the competition validator:

* runs (consecutive same shift, working days, days off) that started before
  day 0 include the history counters; excess days already penalised in the
  history are not counted again;
* the last run of the horizon is checked against its maximum only;
* S6 and S7 include the history's totals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from carehub.ops.allocate.inrc2_format import DAY_NAMES, Instance

WEIGHTS: dict[str, int] = {
    "S1_optimal_coverage": 30,
    "S2_consecutive_shift": 15,
    "S2_consecutive_work": 30,
    "S3_consecutive_off": 30,
    "S4_preferences": 10,
    "S5_complete_weekend": 30,
    "S6_total_assignments": 20,
    "S7_working_weekends": 30,
}
"""Competition weight per unit of violation."""

Assignment = tuple[str, int, str, str]
"""``(nurse id, day index from 0, shift, skill)``."""


@dataclass(slots=True)
class Evaluation:
    """Outcome of :func:`evaluate`.

    Attributes:
        hard: one message per violated hard constraint (empty when valid).
        soft: weighted cost per soft constraint (keys of :data:`WEIGHTS`).
    """

    hard: list[str] = field(default_factory=list)
    soft: dict[str, int] = field(default_factory=lambda: dict.fromkeys(WEIGHTS, 0))

    @property
    def valid(self) -> bool:
        """Whether H1–H4 all hold."""
        return not self.hard

    @property
    def total(self) -> int:
        """The INRC-II objective: sum of the weighted soft costs."""
        return sum(self.soft.values())


def run_cost(values: Sequence[bool], prefix: int, lo: int, hi: int) -> int:
    """Units of violation of the runs of ``True`` in ``values``.

    ``prefix`` is the length of the run in progress before day 0. A run
    shorter than ``lo`` costs ``lo - length`` unless it reaches the end; a run
    longer than ``hi`` costs ``length - hi`` less what the prefix alone
    already exceeded.

    >>> run_cost([True, False, True, True, True, True], 0, 2, 3)  # short run, long run at end
    2
    >>> run_cost([False, True], 1, 3, 5)  # history run of 1 stops at day 0
    2
    >>> run_cost([True, True], 6, 1, 5)  # history already 1 over: only new days count
    2
    """
    cost = 0
    run = prefix
    started_in_history = prefix > 0
    for value in values:
        if value:
            run += 1
            continue
        if run:
            cost += max(0, lo - run) + max(0, run - hi)
            if started_in_history:
                cost -= max(0, prefix - hi)
        run = 0
        started_in_history = False
    if run:
        cost += max(0, run - hi)
        if started_in_history:
            cost -= max(0, prefix - hi)
    return cost


def _distance(value: int, lo: int, hi: int) -> int:
    return max(0, lo - value) + max(0, value - hi)


def evaluate(instance: Instance, assignments: Iterable[Assignment]) -> Evaluation:
    """Check H1–H4 and score S1–S7 of a roster over the whole horizon.

    Args:
        instance: the parsed scenario, history and weeks.
        assignments: every worked shift; days not listed are days off.

    Returns:
        the hard violations (in words) and the weighted soft costs.
    """
    sc = instance.scenario
    days = instance.days
    ev = Evaluation()
    nurses = {n.id: n for n in sc.nurses}
    shifts = {s.name: s for s in sc.shifts}
    seq: dict[str, list[str | None]] = {n.id: [None] * days for n in sc.nurses}
    count: Counter[tuple[int, str, str]] = Counter()
    for nurse, day, shift, skill in assignments:
        where = f"{nurse} on day {day}"
        if nurse not in nurses or shift not in shifts or not 0 <= day < days:
            ev.hard.append(f"unknown nurse, shift or day: {where} {shift}")
            continue
        if seq[nurse][day] is not None:
            ev.hard.append(f"H1 single assignment: {where} has more than one shift")
        seq[nurse][day] = shift
        if skill not in nurses[nurse].skills:
            ev.hard.append(f"H4 missing skill: {where} works {shift} as {skill}")
        count[(day, shift, skill)] += 1
    for w, week in enumerate(instance.weeks):
        for (d, shift, skill), (lo, opt) in week.requirements.items():
            have = count[(7 * w + d, shift, skill)]
            if have < lo:
                ev.hard.append(
                    f"H2 under-staffing: week {w + 1} {DAY_NAMES[d]} {shift} {skill} "
                    f"has {have} of {lo}"
                )
            ev.soft["S1_optimal_coverage"] += WEIGHTS["S1_optimal_coverage"] * max(0, opt - have)
        for nurse, req_shift, d in week.requests:
            worked = seq[nurse][7 * w + d]
            if worked is not None and req_shift in (None, worked):
                ev.soft["S4_preferences"] += WEIGHTS["S4_preferences"]
    for nurse_id, row in seq.items():
        _score_nurse(instance, nurse_id, row, ev)
    return ev


def _score_nurse(instance: Instance, nurse_id: str, row: list[str | None], ev: Evaluation) -> None:
    sc = instance.scenario
    hist = instance.history[nurse_id]
    contract = sc.contracts[next(n.contract for n in sc.nurses if n.id == nurse_id)]
    before = hist.last_shift
    for day, shift in enumerate(row):
        if before is not None and shift is not None and shift in sc.forbidden[before]:
            ev.hard.append(f"H3 forbidden succession: {nurse_id} {before}, then {shift} "
                           f"on day {day}")
        before = shift
    for st in sc.shifts:
        prefix = hist.consecutive_shift if hist.last_shift == st.name else 0
        same = [s == st.name for s in row]
        units = run_cost(same, prefix, st.min_consecutive, st.max_consecutive)
        ev.soft["S2_consecutive_shift"] += WEIGHTS["S2_consecutive_shift"] * units
    work = [s is not None for s in row]
    units = run_cost(work, hist.consecutive_work, contract.min_work, contract.max_work)
    ev.soft["S2_consecutive_work"] += WEIGHTS["S2_consecutive_work"] * units
    off = [not v for v in work]
    units = run_cost(off, hist.consecutive_off, contract.min_off, contract.max_off)
    ev.soft["S3_consecutive_off"] += WEIGHTS["S3_consecutive_off"] * units
    weekends = hist.weekends
    for w in range(len(instance.weeks)):
        sat, sun = work[7 * w + 5], work[7 * w + 6]
        weekends += sat or sun
        if contract.complete_weekends and sat != sun:
            ev.soft["S5_complete_weekend"] += WEIGHTS["S5_complete_weekend"]
    total = hist.assignments + sum(work)
    ev.soft["S6_total_assignments"] += WEIGHTS["S6_total_assignments"] * _distance(
        total, contract.min_total, contract.max_total
    )
    ev.soft["S7_working_weekends"] += WEIGHTS["S7_working_weekends"] * max(
        0, weekends - contract.max_weekends
    )
