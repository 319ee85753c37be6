"""Large-neighbourhood search over a roster: free a block of days or of nurses, re-solve.

Method: large neighbourhood search (Shaw 1998) with CP-SAT as the repair
solver, in the spirit of CP-SAT's own LNS workers
(https://developers.google.com/optimization/cp/cp_solver;
``ortools/sat/docs/``). With few cores CP-SAT runs its LNS neighbourhoods
interleaved and slowly; rostering benefits from structured ones, so this
loop alternates three: a window of consecutive days for every nurse, all
days of a few nurses who share a skill (so that shifts can move between them),
and twice as many such nurses over half the horizon; the size adapts to how
often the sub-problem is solved to optimality. Every other decision is fixed to the incumbent
(variable domains narrowed on a clone of the model), the free part is hinted
with the incumbent, and a neighbour is kept when it is no worse.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from carehub.ops.allocate.roster_cpsat import RosterModel


@dataclass(slots=True)
class Incumbent:
    """The best roster so far: value of every decision variable and its cost."""

    values: dict[int, int]
    objective: int


def decision_index(rm: RosterModel) -> list[tuple[int, str, int]]:
    """``(proto index, nurse, day)`` of each work and skill variable (no duplicates)."""
    seen: set[int] = set()
    out: list[tuple[int, str, int]] = []
    for (n, d, _s), v in rm.work.items():
        out.append((v.Index(), n, d))
        seen.add(v.Index())
    for (n, d, _s, _k), v in rm.cover.items():
        if v.Index() not in seen:
            out.append((v.Index(), n, d))
    return out


def improve(
    rm: RosterModel,
    start: Incumbent,
    seconds: float,
    workers: int = 2,
    seed: int = 0,
    step_seconds: float = 1.0,
) -> Incumbent:
    """Run the LNS loop for ``seconds`` from ``start``; return the best roster found."""
    deadline = time.monotonic() + seconds
    rng = random.Random(seed)
    decisions = decision_index(rm)
    nurses = sorted({n for _, n, _ in decisions})
    skills: dict[str, set[str]] = {n: set() for n in nurses}
    for n, _d, _s, k in rm.cover:
        skills[n].add(k)
    days = 1 + max((d for _, _, d in decisions), default=0)
    best = start
    share = 0.2
    while (left := deadline - time.monotonic()) > 0.3:
        chosen: set[str] = set(nurses)
        first, width = 0, days
        pick = rng.random()
        if pick < 0.4:
            width = min(days, max(2, round(share * days)))
            first = rng.randrange(days - width + 1)
        else:
            size = max(2, round(share * len(nurses)))
            if pick > 0.7:  # twice the nurses over half the horizon
                size, width = 2 * size, max(2, days // 2)
                first = rng.randrange(days - width + 1)
            chosen = _related(rng, skills, min(len(nurses), size))
        sub = rm.model.clone()
        for idx, n, d in decisions:
            value = best.values[idx]
            if n in chosen and first <= d < first + width:
                sub.add_hint(sub.get_bool_var_from_proto_index(idx), value)
            else:
                domain = sub.proto.variables[idx].domain
                domain[0] = value
                domain[1] = value
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = min(left, step_seconds)
        solver.parameters.num_workers = max(1, workers)
        solver.parameters.random_seed = rng.randrange(1 << 30)
        status = solver.solve(sub)
        share = min(0.6, share * 1.1) if status == cp_model.OPTIMAL else max(0.05, share * 0.9)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            cost = round(solver.objective_value)
            if cost <= best.objective:
                values = {
                    idx: int(solver.value(sub.get_bool_var_from_proto_index(idx)))
                    for idx, _, _ in decisions
                }
                best = Incumbent(values, cost)
    return best


def _related(rng: random.Random, skills: dict[str, set[str]], size: int) -> set[str]:
    """A random nurse and up to ``size - 1`` others sharing a skill with her (then any)."""
    names = sorted(skills)
    seed = rng.choice(names)
    close = [n for n in names if n != seed and skills[n] & skills[seed]]
    rest = [n for n in names if n != seed and n not in close]
    rng.shuffle(close)
    rng.shuffle(rest)
    return {seed, *(close + rest)[: size - 1]}
