"""Explaining, in words, why the hard constraints of a roster problem conflict.

Method: every hard constraint group is guarded by an enforcement literal
(:func:`.roster_cpsat.build` with ``explain=True``); CP-SAT solves with those
literals as assumptions and, when infeasible, returns a subset of them that
is already infeasible (``CpSolver.sufficient_assumptions_for_infeasibility``;
OR-Tools docs: https://developers.google.com/optimization/cp/cp_solver and
``ortools/sat/python/cp_model.py``). The subset is then shrunk by deletion
(drop one group, re-solve; keep it out if still infeasible) within a budget,
so the explanation names few groups.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from carehub.errors import Invalid, Issue
from carehub.ops.allocate.roster_cpsat import build
from carehub.ops.allocate.roster_model import RosterProblem


class Infeasible(Invalid):
    """The hard constraints cannot all hold; ``explanation`` names the conflicting groups.

    An :class:`~carehub.errors.Incorrect` (via ``Invalid``, so HTTP 422); the summary
    and then each group are ``business-rule`` issues.

    Args:
        message: one-line summary.
        explanation: one sentence per hard constraint group in the conflict.
    """

    default_issue_code = "business-rule"

    def __init__(self, message: str, explanation: list[str]) -> None:
        issues = [Issue("error", "business-rule", message)]
        issues += [Issue("error", "business-rule", text) for text in explanation]
        super().__init__(message, issues=issues)
        self.explanation = explanation


def _infeasible_under(
    rm_model: cp_model.CpModel, lits: list[int], seconds: float
) -> tuple[bool, list[int]]:
    """Solve under ``lits`` as assumptions; (proved infeasible, sufficient subset)."""
    rm_model.clear_assumptions()
    rm_model.add_assumptions([rm_model.get_bool_var_from_proto_index(i) for i in lits])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, seconds)
    solver.parameters.num_workers = 1
    status = solver.solve(rm_model)
    if status != cp_model.INFEASIBLE:
        return False, []
    return True, list(solver.sufficient_assumptions_for_infeasibility())


def explain(problem: RosterProblem, time_limit: float = 10.0) -> list[str]:
    """Name the hard constraint groups that cannot hold together.

    Args:
        problem: the roster problem.
        time_limit: seconds for the whole explanation (first solve plus shrinking).

    Returns:
        one sentence per group of a conflicting subset; empty when the hard
        constraints were not proved infeasible within ``time_limit``.
    """
    deadline = time.monotonic() + time_limit
    rm = build(problem, explain=True)
    all_lits = list(rm.guards)
    proved, core = _infeasible_under(rm.model, all_lits, time_limit)
    if not proved:
        return []
    core = core or all_lits
    i = 0
    while i < len(core) and len(core) > 1:
        left = deadline - time.monotonic()
        if left <= 0.2:
            break
        trial = core[:i] + core[i + 1 :]
        still, smaller = _infeasible_under(rm.model, trial, min(left, 2.0))
        if still:
            core = [lit for lit in trial if lit in set(smaller)] or trial
        else:
            i += 1
    return [rm.guards[lit] for lit in core if lit in rm.guards]


def infeasible_error(problem: RosterProblem, time_limit: float = 10.0) -> Infeasible:
    """The :class:`Infeasible` error for ``problem``, with its explanation."""
    groups = explain(problem, time_limit)
    if not groups:
        groups = ["the conflict could not be narrowed down within the time limit"]
    text = "; ".join(groups)
    return Infeasible(f"roster {problem.name!r} is infeasible: {text}", groups)
