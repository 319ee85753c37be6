"""``carehub ops roster``: build a nurse roster with OR-Tools CP-SAT.

Input is either an INRC-II dataset folder (``--inrc2 …/n030w4 --history 1
--weeks 6-2-9-1``; all weeks are solved at once, and the roster is scored by
the independent INRC-II validator and compared with ``best_known.csv`` when
the folder's parent has one), or CareHub's own JSON problem (``--problem
file.json``, :mod:`carehub.ops.allocate.roster_json`).

Writes ``roster.csv`` (nurse, day, weekday, shift, skill), ``roster.json``
(solution, objective breakdown, validator result) and ``report.txt`` into
``--out``. An infeasible problem fails with the conflicting constraint groups
named (exit status 2).

Sources: INRC-II rules, arXiv:1501.04177; OR-Tools employee scheduling,
https://developers.google.com/optimization/scheduling/employee_scheduling
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from carehub.errors import Incorrect
from carehub.ops.allocate.inrc2_format import parse_week_list
from carehub.ops.allocate.inrc2_report import run_inrc2
from carehub.ops.allocate.roster_cpsat import WEEKDAYS
from carehub.ops.allocate.roster_json import problem_from_json, solution_to_json
from carehub.ops.allocate.roster_model import RosterSolution
from carehub.ops.allocate.roster_solver import solve_roster


def write_roster(
    out: Path,
    solution: RosterSolution,
    first_weekday: int,
    extra: dict[str, Any],
    report: list[str],
) -> None:
    """Write ``roster.csv``, ``roster.json`` and ``report.txt`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nurse", "day", "weekday", "shift", "skill"])
        for nurse, day, shift, skill in solution.assignments:
            writer.writerow([nurse, day, WEEKDAYS[(first_weekday + day) % 7], shift, skill])
    body = {**solution_to_json(solution), **extra}
    (out / "roster.json").write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    (out / "report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")


def roster(
    inrc2: Annotated[
        Path | None, typer.Option(help="INRC-II dataset folder (Sc-, H0-, WD- files).")
    ] = None,
    history: Annotated[int, typer.Option(help="INRC-II initial history index (H0-<id>-<n>).")] = 0,
    weeks: Annotated[
        str, typer.Option(help="INRC-II week files in order, e.g. 6-2-9-1; default 0-1-2-…")
    ] = "",
    problem: Annotated[Path | None, typer.Option(help="CareHub JSON roster problem.")] = None,
    time_limit: Annotated[float, typer.Option(help="Solver time limit in seconds.")] = 60.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("roster-out"),
) -> None:
    """Solve a nurse roster (INRC-II instance or CareHub JSON) and write roster and report."""
    if (inrc2 is None) == (problem is None):
        raise Incorrect("give exactly one of --inrc2 FOLDER or --problem FILE")
    if time_limit <= 0 or workers < 1:
        raise Incorrect("--time-limit must be > 0 and --workers ≥ 1")
    if inrc2 is not None:
        if not inrc2.is_dir():
            raise Incorrect(f"--inrc2 {inrc2}: not a folder")
        week_list = parse_week_list(weeks) if weeks else _default_weeks(inrc2)
        run = run_inrc2(inrc2, history, week_list, time_limit, workers, seed)
        report = run.report_lines()
        extra = {
            "instance": run.instance.name,
            "mode": "static (all weeks at once)",
            "validator": {
                "valid": run.evaluation.valid,
                "objective": run.evaluation.total,
                "soft": run.evaluation.soft,
                "hard": run.evaluation.hard,
            },
            "best_known": run.best_known,
        }
        write_roster(out, run.solution, 0, extra, report)
    else:
        assert problem is not None
        try:
            data = json.loads(problem.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Incorrect(f"{problem}: cannot read JSON: {exc}") from None
        spec = problem_from_json(data, str(problem))
        solution = solve_roster(spec, time_limit, workers, seed)
        report = [
            f"problem: {spec.name}",
            f"status: {solution.status}",
            f"objective: {solution.objective} (bound {solution.bound})",
            f"time: {solution.wall_time:.1f} s",
            "breakdown:",
        ]
        report += [f"  {k}: {v}" for k, v in solution.breakdown.items()]
        write_roster(out, solution, spec.first_weekday, {"problem": spec.name}, report)
    typer.echo("\n".join(report))
    typer.echo(f"wrote {out}/roster.csv, roster.json, report.txt")


def _default_weeks(folder: Path) -> list[int]:
    name = folder.name
    count = int(name[name.index("w") + 1 :]) if "w" in name and name[-1].isdigit() else 4
    return list(range(count))
