"""CP-SAT rostering: JSON problems, INRC-II instances checked by the validator, infeasibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from carehub.errors import Incorrect
from carehub.ops.allocate.infeasibility import Infeasible
from carehub.ops.allocate.inrc2_evaluate import evaluate
from carehub.ops.allocate.inrc2_format import load_instance
from carehub.ops.allocate.inrc2_report import run_inrc2
from carehub.ops.allocate.roster_json import problem_from_json
from carehub.ops.allocate.roster_model import from_inrc2
from carehub.ops.allocate.roster_solver import solve_roster


def _problem(fixtures: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((fixtures / "roster_problem.json").read_text())
    return data


def test_tiny_inrc2_matches_validator(fixtures: Path) -> None:
    instance = load_instance(fixtures / "t003w1", 0, [0])
    sol = solve_roster(from_inrc2(instance), time_limit=5, workers=2)
    ev = evaluate(instance, sol.assignments)
    assert ev.valid, ev.hard
    assert sol.status == "OPTIMAL"
    assert sol.objective == ev.total == sum(sol.breakdown.values())
    assert ev.total <= 340  # no worse than the hand-made roster


def test_json_problem_respects_hard_rules(fixtures: Path) -> None:
    problem = problem_from_json(_problem(fixtures), "roster_problem.json")
    sol = solve_roster(problem, time_limit=5, workers=2)
    assert sol.objective == sum(sol.breakdown.values())
    by_day: dict[tuple[str, int], str] = {}
    for nurse, day, shift, skill in sol.assignments:
        assert (nurse, day) not in by_day  # one shift a day
        by_day[nurse, day] = shift
        assert skill in next(n.skills for n in problem.nurses if n.id == nurse)
    assert ("pr-nhi-017", 2) not in by_day and ("pr-nhi-017", 3) not in by_day  # leave
    assert by_day.get(("pr-nhi-016", 0)) in (None, "Night")  # rest after the history's Night
    rest_banned = problem.all_forbidden()
    assert ("Late", "Early") in rest_banned and ("Night", "Early") in rest_banned
    for (nurse, day), shift in by_day.items():
        nxt = by_day.get((nurse, day + 1))
        assert nxt is None or (shift, nxt) not in rest_banned
    for dm in problem.demand:
        got = sum(1 for a in sol.assignments if (a[1], a[2], a[3]) == (dm.day, dm.shift, dm.skill))
        assert got >= dm.minimum


def test_infeasible_names_conflicting_groups(fixtures: Path) -> None:
    data = _problem(fixtures)
    data["demand"].append({"day": 2, "shift": "Late", "skill": "HeadNurse", "min": 1})
    data["leave"].append({"nurse": "pr-nhi-018", "day": 2})
    with pytest.raises(Infeasible) as info:
        solve_roster(problem_from_json(data), time_limit=5, workers=2, explain_time=5)
    groups = info.value.explanation
    assert "approved leave: pr-nhi-018 off on day 2 (Wed)" in groups
    assert "minimum coverage: 1 HeadNurse on Late, day 2 (Wed)" in groups
    assert "minimum coverage: 1 HeadNurse on Early, day 2 (Wed)" in groups
    assert len(groups) == 3
    assert isinstance(info.value, Incorrect)
    assert [i.code for i in info.value.issues] == ["business-rule"] * (1 + len(groups))


def test_bad_json_names_field(fixtures: Path) -> None:
    data = _problem(fixtures)
    data["nurses"][2]["contract"] = "FullTme"
    wanted = r"nurses\[2\]\.contract is unknown.*Did you mean 'FullTime'"
    with pytest.raises(Incorrect, match=wanted):
        problem_from_json(data, "p.json")


@pytest.mark.slow
def test_n030w4_four_weeks_valid(inrc2_dir: Path) -> None:
    run = run_inrc2(inrc2_dir / "n030w4", 1, [6, 2, 9, 1], time_limit=12, workers=2)
    assert run.evaluation.valid, run.evaluation.hard[:5]
    assert run.solution.objective == run.evaluation.total
    assert run.best_known == 1670
    assert run.evaluation.total >= run.best_known  # a regression metric, not an exact value
