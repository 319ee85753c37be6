"""Assign admissions to beds with OR-Tools CP-SAT.

OR-Tools docs: https://developers.google.com/optimization/cp/cp_solver and the
scheduling guide (optional intervals, ``add_no_overlap``, ``add_cumulative``):
https://developers.google.com/optimization/scheduling/job_shop. Problem after
patient-admission scheduling (Demeester et al., *Artif Intell Med* 2010).

Each admission gets one bed for its whole stay inside the horizon, or none.

Hard: a bed holds one patient at a time (no-overlap of optional stay intervals
per bed); an isolation patient only goes to an isolation room and has it to
herself (cumulative per room, demand = room size); a single-sex room holds
one sex on any day.

Soft: patients without a bed (``unplaced``; forecast ones cheaper), stays on
another specialty's ward (``overflow``) and patients moved from their current
bed (``transfers``).
"""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.sat.python import cp_model

from carehub.errors import Busy, Fault, Incorrect
from carehub.ops.allocate.beds import BedAssignment, BedProblem


def solve_beds(problem: BedProblem, time_limit: float = 10.0, workers: int = 2) -> BedAssignment:
    """Place every admission it can, at least cost.

    Args:
        problem: rooms, admissions and weights (see :mod:`.beds`).
        time_limit: wall-clock limit in seconds.
        workers: CP-SAT search workers.

    Returns:
        the bed of each admission (``None`` when unplaced) and the cost per term.

    Raises:
        Incorrect: repeated admission ids, or a current bed that is not in the layout.
        Busy: no plan within ``time_limit`` (cannot happen unless the limit is tiny:
            leaving everyone unplaced is always allowed).
    """
    clock = time.monotonic()
    m = cp_model.CpModel()
    w = problem.weights
    bed_room = {b: r for r in problem.rooms for b in r.beds}
    ids = [a.id for a in problem.admissions]
    if len(set(ids)) != len(ids):
        raise Incorrect("admission ids must be unique")
    horizon = max((a.admit_day + a.los for a in problem.admissions), default=1)
    x: dict[tuple[str, str], cp_model.IntVar] = {}
    per_bed: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
    per_room: dict[str, list[tuple[cp_model.IntervalVar, int]]] = defaultdict(list)
    sex_day: dict[tuple[str, int], cp_model.IntVar] = {}
    terms: dict[str, list[tuple[int, cp_model.LinearExprT]]] = defaultdict(list)
    for a in problem.admissions:
        if a.current_bed is not None and a.current_bed not in bed_room:
            raise Incorrect(f"admission {a.id}: current bed {a.current_bed!r} is not in the layout")
        start, end = max(0, a.admit_day), a.admit_day + a.los
        if end <= 0:
            continue
        lits = []
        for room in problem.rooms:
            if a.isolation and not room.isolation:
                continue
            in_room = []
            for b in room.beds:
                lit = x[a.id, b] = m.new_bool_var(f"x_{a.id}_{b}")
                stay = m.new_optional_fixed_size_interval_var(start, end - start, lit, "")
                per_bed[b].append(stay)
                in_room.append(lit)
            if not in_room:
                continue
            y = m.new_bool_var("")
            m.add(sum(in_room) == y)
            lits.append(y)
            demand = len(room.beds) if a.isolation else 1
            per_room[room.id].append(
                (m.new_optional_fixed_size_interval_var(start, end - start, y, ""), demand)
            )
            if room.single_sex:
                for day in range(start, end):
                    key = (room.id, day)
                    if key not in sex_day:
                        sex_day[key] = m.new_bool_var(f"female_{room.id}_{day}")
                    female = sex_day[key]
                    m.add(female == (1 if a.sex == "female" else 0)).only_enforce_if(y)
            if room.ward != a.specialty:
                terms["overflow"].append((w.overflow, y))
        unplaced = m.new_bool_var("")
        m.add(sum(lits) + unplaced == 1)
        cost = w.unplaced_forecast if a.kind == "forecast" else w.unplaced
        terms["unplaced"].append((cost, unplaced))
        if a.current_bed is not None:
            kept = x.get((a.id, a.current_bed))
            moved = m.new_constant(1) if kept is None else kept.Not()
            terms["transfers"].append((w.transfer, moved))
    for intervals in per_bed.values():
        m.add_no_overlap(intervals)
    for room in problem.rooms:
        items = per_room.get(room.id, [])
        if items:
            m.add_cumulative([i for i, _ in items], [d for _, d in items], len(room.beds))
    m.minimize(sum(c * v for group in terms.values() for c, v in group))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = max(1, workers)
    status = solver.solve(m)
    if status == cp_model.MODEL_INVALID:
        raise Fault(f"CP-SAT rejected the bed model: {m.validate()}")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise Busy(f"no bed plan found within {time_limit:g} s (horizon {horizon} days)")
    beds: dict[str, str | None] = dict.fromkeys(ids)
    for (aid, b), lit in x.items():
        if solver.boolean_value(lit):
            beds[aid] = b
    breakdown = {
        g: int(sum(c * solver.value(v) for c, v in terms.get(g, ())))
        for g in ("unplaced", "overflow", "transfers")
    }
    return BedAssignment(
        status=solver.status_name(status),
        objective=round(solver.objective_value),
        breakdown=breakdown,
        beds=beds,
        wall_time=round(time.monotonic() - clock, 3),
    )
