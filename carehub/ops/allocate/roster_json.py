"""CareHub's own JSON form of a roster problem, and of its solution.

The fields mirror :mod:`.roster_model` (INRC-II vocabulary, Ceschia et al.,
arXiv:1501.04177)::

    {"name": "ward-nhi", "days": 14, "first_weekday": 0, "min_rest_hours": 11,
     "skills": ["Nurse"],
     "shifts": [{"name": "Early", "min_consecutive": 1, "max_consecutive": 5,
                 "start": 6, "end": 14}],
     "forbidden_successions": [["Late", "Early"]],
     "contracts": [{"name": "FullTime", "min_total": 8, "max_total": 10, ...}],
     "nurses": [{"id": "pr-nhi-013", "contract": "FullTime", "skills": ["Nurse"],
                 "history": {"last_shift": "Night", "consecutive_shift": 2, ...}}],
     "demand": [{"day": 0, "shift": "Early", "skill": "Nurse", "min": 2, "opt": 3}],
     "requests": [{"nurse": "pr-nhi-013", "day": 3, "shift": null, "weight": 1}],
     "leave": [{"nurse": "pr-nhi-013", "day": 5}],
     "weights": {"optimal_coverage": 30}}

Every error is an :class:`~carehub.errors.Incorrect` naming the source and the
field path (e.g. ``nurses[2].contract``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carehub.errors import Incorrect, did_you_mean
from carehub.ops.allocate.roster_model import (
    NO_LIMIT,
    Border,
    Contract,
    Demand,
    Nurse,
    Request,
    RosterProblem,
    RosterSolution,
    Shift,
    Weights,
)


class _Field:
    """Typed access to one JSON object, with errors naming ``source`` and the path."""

    def __init__(self, data: Any, source: str, path: str) -> None:
        if not isinstance(data, Mapping):
            raise Incorrect(f"{source}: {path or 'document'} must be an object", expression=path)
        self.data, self.source, self.path = data, source, path

    def fail(self, key: str, what: str) -> Incorrect:
        where = f"{self.path}.{key}" if self.path else key
        return Incorrect(f"{self.source}: {where} {what}", expression=where)

    def get_int(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer, not {value!r}")
        return value

    def get_num(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise self.fail(key, f"must be a number, not {value!r}")
        return None if value is None else float(value)

    def get_str(self, key: str, choices: Any = None, optional: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(key, "is required" if value is None else "must be a string")
        if choices is not None and value not in choices:
            raise self.fail(key, f"is unknown: {value!r}.{did_you_mean(value, choices)}")
        return value

    def get_list(self, key: str, required: bool = False) -> list[Any]:
        value = self.data.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return value

    def get_item(self, key: str, i: int, value: Any) -> _Field:
        return _Field(value, self.source, f"{self.path + '.' if self.path else ''}{key}[{i}]")


def problem_from_json(data: Any, source: str = "roster problem") -> RosterProblem:
    """Read a :class:`RosterProblem` from parsed JSON.

    Raises:
        Incorrect: a field is missing, of the wrong type or refers to an unknown name.

    >>> p = problem_from_json({"days": 7, "skills": ["N"], "shifts": [{"name": "E"}],
    ...     "contracts": [{"name": "F"}], "nurses": [{"id": "a", "contract": "F",
    ...     "skills": ["N"]}], "demand": [{"day": 0, "shift": "E", "skill": "N", "min": 1}]})
    >>> p.demand[0].optimal, p.contracts["F"].max_total == NO_LIMIT
    (1, True)
    """
    top = _Field(data, source, "")
    days = top.get_int("days")
    skills = [str(s) for s in top.get_list("skills", required=True)]
    shifts = []
    for i, raw in enumerate(top.get_list("shifts", required=True)):
        f = top.get_item("shifts", i, raw)
        shifts.append(
            Shift(
                str(f.get_str("name")),
                f.get_int("min_consecutive", 1),
                f.get_int("max_consecutive", NO_LIMIT),
                f.get_num("start"),
                f.get_num("end"),
            )
        )
    names = [s.name for s in shifts]
    forbidden = set()
    for i, pair in enumerate(top.get_list("forbidden_successions")):
        if not (isinstance(pair, list) and len(pair) == 2 and set(pair) <= set(names)):
            raise top.fail(f"forbidden_successions[{i}]", "must be a pair of shift names")
        forbidden.add((pair[0], pair[1]))
    contracts = {}
    for i, raw in enumerate(top.get_list("contracts", required=True)):
        f = top.get_item("contracts", i, raw)
        name = str(f.get_str("name"))
        contracts[name] = Contract(
            name,
            f.get_int("min_total", 0),
            f.get_int("max_total", NO_LIMIT),
            f.get_int("min_work", 1),
            f.get_int("max_work", NO_LIMIT),
            f.get_int("min_off", 1),
            f.get_int("max_off", NO_LIMIT),
            f.get_int("max_weekends", NO_LIMIT),
            bool(raw.get("complete_weekends", False)),
        )
    nurses = []
    for i, raw in enumerate(top.get_list("nurses", required=True)):
        f = top.get_item("nurses", i, raw)
        sk = tuple(f.get_list("skills", required=True))
        for s in sk:
            if s not in skills:
                raise f.fail("skills", f"has unknown skill {s!r}.{did_you_mean(str(s), skills)}")
        h = _Field(raw.get("history", {}), source, f"{f.path}.history")
        border = Border(
            h.get_str("last_shift", names, optional=True),
            h.get_int("consecutive_shift", 0),
            h.get_int("consecutive_work", 0),
            h.get_int("consecutive_off", 0),
            h.get_int("assignments", 0),
            h.get_int("weekends", 0),
        )
        nurses.append(
            Nurse(str(f.get_str("id")), str(f.get_str("contract", contracts)), sk, border)
        )
    ids = [n.id for n in nurses]
    demand = []
    for i, raw in enumerate(top.get_list("demand")):
        f = top.get_item("demand", i, raw)
        lo = f.get_int("min", 0)
        demand.append(
            Demand(
                _day(f, days),
                str(f.get_str("shift", names)),
                str(f.get_str("skill", skills)),
                lo,
                max(lo, f.get_int("opt", lo)),
            )
        )
    requests = []
    for i, raw in enumerate(top.get_list("requests")):
        f = top.get_item("requests", i, raw)
        requests.append(
            Request(
                str(f.get_str("nurse", ids)),
                _day(f, days),
                f.get_str("shift", names, optional=True),
                f.get_int("weight", 1),
            )
        )
    leave = set()
    for i, raw in enumerate(top.get_list("leave")):
        f = top.get_item("leave", i, raw)
        leave.add((str(f.get_str("nurse", ids)), _day(f, days)))
    wf = _Field(data.get("weights", {}), source, "weights")
    defaults = Weights()
    for key in wf.data:
        if key not in Weights.__dataclass_fields__:
            raise wf.fail(key, f"is not a weight.{did_you_mean(key, Weights.__dataclass_fields__)}")
    weights = Weights(
        **{k: wf.get_int(k, getattr(defaults, k)) for k in Weights.__dataclass_fields__}
    )
    return RosterProblem(
        name=str(data.get("name", "roster")),
        days=days,
        skills=tuple(skills),
        shifts=tuple(shifts),
        contracts=contracts,
        nurses=tuple(nurses),
        demand=tuple(demand),
        forbidden=frozenset(forbidden),
        requests=tuple(requests),
        leave=frozenset(leave),
        weights=weights,
        first_weekday=top.get_int("first_weekday", 0) % 7,
        min_rest_hours=top.get_num("min_rest_hours"),
    )


def _day(f: _Field, days: int) -> int:
    day = f.get_int("day")
    if not 0 <= day < days:
        raise f.fail("day", f"must be in 0..{days - 1}, not {day}")
    return day


def solution_to_json(solution: RosterSolution) -> dict[str, Any]:
    """The solution as a JSON-ready object (``assignments`` as objects)."""
    return {
        "status": solution.status,
        "objective": solution.objective,
        "bound": solution.bound,
        "breakdown": dict(solution.breakdown),
        "wall_time": solution.wall_time,
        "assignments": [
            {"nurse": n, "day": d, "shift": s, "skill": k} for n, d, s, k in solution.assignments
        ],
    }
