"""``/ops/allocate``: nurse rosters and bed plans over HTTP (OR-Tools CP-SAT).

Routes:

* ``POST /ops/allocate/roster?time_limit=``: body a roster problem in CareHub's
  JSON form (:mod:`carehub.ops.allocate.roster_json`); 200 with the roster,
  the objective and its breakdown per soft constraint. When the hard
  constraints conflict the solver raises
  :class:`~carehub.ops.allocate.infeasibility.Infeasible` (an ``Invalid``, so
  422), whose issues name the conflicting constraint groups in words.
* ``POST /ops/allocate/beds?time_limit=``: body ``{"layout", "admissions",
  "weights"}`` (:func:`carehub.ops.allocate.beds.bed_problem_from_json`); 200
  with one row per admission (bed, room, ward, overflow, transfer).

Solves run in a worker thread; ``time_limit`` (seconds) is capped by the
factory's ``max_time_limit``. Errors are :class:`~carehub.errors.CareHubError`
and become responses in the application's error handlers.

OR-Tools docs: https://developers.google.com/optimization/scheduling/employee_scheduling
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from carehub.errors import Incorrect
from carehub.ops.allocate.bed_solver import solve_beds
from carehub.ops.allocate.beds import assignment_to_json, bed_problem_from_json
from carehub.ops.allocate.roster_json import problem_from_json, solution_to_json
from carehub.ops.allocate.roster_solver import solve_roster

TimeLimit = Annotated[float | None, Query(gt=0)]


async def _json(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise Incorrect(f"request body is not JSON: {exc}") from exc


def allocate_router(
    time_limit: float = 30.0, max_time_limit: float = 120.0, workers: int = 2
) -> APIRouter:
    """Routes under ``/ops/allocate``.

    Args:
        time_limit: default solve time in seconds.
        max_time_limit: the largest ``time_limit`` a client may ask for.
        workers: CP-SAT search workers per solve.
    """
    router = APIRouter(prefix="/ops/allocate", tags=["ops"])

    def _limit(asked: float | None) -> float:
        return min(max_time_limit, asked if asked is not None else time_limit)

    @router.post("/roster")
    async def post_roster(request: Request, time_limit: TimeLimit = None) -> dict[str, Any]:
        """Solve a roster problem; 422 with the conflicting constraint groups if infeasible."""
        problem = problem_from_json(await _json(request), "request body")
        limit = _limit(time_limit)
        solution = await run_in_threadpool(solve_roster, problem, limit, workers)
        return {"problem": problem.name, **solution_to_json(solution)}

    @router.post("/beds")
    async def post_beds(request: Request, time_limit: TimeLimit = None) -> dict[str, Any]:
        """Assign admissions to beds."""
        problem = bed_problem_from_json(await _json(request), "request body")
        plan = await run_in_threadpool(solve_beds, problem, _limit(time_limit), workers)
        return assignment_to_json(plan, problem)

    return router
