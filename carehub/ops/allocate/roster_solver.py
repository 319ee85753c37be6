"""Solve a :class:`~.roster_model.RosterProblem` with OR-Tools CP-SAT.

OR-Tools docs: https://developers.google.com/optimization/scheduling/employee_scheduling
and https://developers.google.com/optimization/cp/cp_solver (time limits,
workers). Model: :mod:`.roster_cpsat`. When CP-SAT proves the hard
constraints infeasible, :mod:`.infeasibility` names the conflicting groups.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from carehub.errors import Busy, Fault
from carehub.ops.allocate.infeasibility import infeasible_error
from carehub.ops.allocate.roster_cpsat import build
from carehub.ops.allocate.roster_lns import Incumbent, decision_index, improve
from carehub.ops.allocate.roster_model import RosterProblem, RosterSolution, Weights

FIRST_PHASE = 0.25
"""Share of the time limit given to plain CP-SAT before the neighbourhood search."""

GROUPS = tuple(Weights.__dataclass_fields__)
"""Names of the soft constraint groups, in report order."""


def solve_roster(
    problem: RosterProblem,
    time_limit: float = 30.0,
    workers: int = 2,
    seed: int = 0,
    explain_time: float = 10.0,
    lns: bool = True,
) -> RosterSolution:
    """Find a roster of least weighted cost within ``time_limit`` seconds.

    Args:
        problem: the roster problem (see :mod:`.roster_model`).
        time_limit: wall-clock limit of the optimisation.
        workers: CP-SAT search workers (CI machines have 2 cores).
        seed: CP-SAT random seed.
        explain_time: seconds allowed to explain an infeasible problem.
        lns: spend the time after a first solution (a share :data:`FIRST_PHASE` of
            ``time_limit``) in :func:`.roster_lns.improve` rather than in plain CP-SAT.

    Returns:
        the best roster found, its cost per soft constraint and the proven bound.

    Raises:
        Infeasible: the hard constraints conflict; the error names the groups.
        Busy: no roster was found within ``time_limit`` (neither found nor refuted).
        Fault: CP-SAT rejected the model (a bug).
    """
    clock = time.monotonic()
    rm = build(problem)
    first = time_limit if not lns else max(1.0, time_limit * FIRST_PHASE)
    solver = _solver(first, workers, seed)
    status = solver.solve(rm.model)
    if status == cp_model.INFEASIBLE:
        raise infeasible_error(problem, explain_time)
    if status == cp_model.MODEL_INVALID:
        raise Fault(f"CP-SAT rejected the roster model: {rm.model.validate()}")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise Busy(f"no roster found within {first:g} s; allow more time")
    bound = round(solver.best_objective_bound)
    left = time_limit - (time.monotonic() - clock)
    if status == cp_model.FEASIBLE and lns and left > 1.0:
        values = {idx: int(solver.value(rm.model.get_bool_var_from_proto_index(idx)))
                  for idx, _, _ in decision_index(rm)}
        best = improve(rm, Incumbent(values, round(solver.objective_value)), left - 0.5,
                       workers, seed)
        fixed = rm.model.clone()
        for idx, value in best.values.items():
            domain = fixed.proto.variables[idx].domain
            domain[0] = value
            domain[1] = value
        solver = _solver(10.0, workers, seed)
        status = solver.solve(fixed)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise Fault("the roster found by the neighbourhood search could not be re-read")
        status = cp_model.OPTIMAL if best.objective == bound else cp_model.FEASIBLE
    breakdown = {
        g: int(sum(c * solver.value(v) for c, v in rm.terms.get(g, ()))) for g in GROUPS
    }
    assignments: list[tuple[str, int, str, str]] = [
        (n, d, s, k) for (n, d, s, k), v in rm.cover.items() if solver.boolean_value(v)
    ]
    assignments.sort(key=lambda a: (a[1], a[0]))
    return RosterSolution(
        status=cp_model.CpSolver().status_name(status),
        objective=round(solver.objective_value),
        bound=bound,
        breakdown=breakdown,
        assignments=assignments,
        wall_time=round(time.monotonic() - clock, 3),
    )


def _solver(seconds: float, workers: int, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    return solver
