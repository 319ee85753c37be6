"""Solve an INRC-II instance, score it with the independent validator, compare with best known.

Rules and weights: Ceschia, Dang, De Causmaecker, Haspeslagh, Schaerf,
arXiv:1501.04177 (2015). Mode: *static* — all weeks of the instance are
solved at once (not the competition's week-by-week setting), which is the
setting of the reference value in ``best_known.csv``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from carehub.ops.allocate.inrc2_evaluate import Evaluation, evaluate
from carehub.ops.allocate.inrc2_format import Instance, load_instance
from carehub.ops.allocate.roster_model import RosterSolution, from_inrc2
from carehub.ops.allocate.roster_solver import solve_roster


@dataclass(slots=True)
class Inrc2Run:
    """A solved instance: the solver's result, the validator's verdict, the reference value."""

    instance: Instance
    solution: RosterSolution
    evaluation: Evaluation
    best_known: int | None

    def report_lines(self) -> list[str]:
        """A plain-text report, one fact per line."""
        ev, sol = self.evaluation, self.solution
        gap = ""
        if self.best_known:
            gap = f" ({100 * (ev.total - self.best_known) / self.best_known:+.1f} %)"
        lines = [
            f"instance: {self.instance.name} (static mode: all {len(self.instance.weeks)} weeks "
            "solved at once)",
            f"solver: CP-SAT {sol.status}, objective {sol.objective}, bound {sol.bound}, "
            f"{sol.wall_time:.1f} s",
            f"validator: {'valid' if ev.valid else 'INVALID'} (H1-H4), objective {ev.total}",
            f"best known: {self.best_known if self.best_known is not None else 'n/a'}{gap}",
            "soft costs (validator):",
        ]
        lines += [f"  {k}: {v}" for k, v in ev.soft.items()]
        lines += [f"  hard violation: {h}" for h in ev.hard[:20]]
        return lines


def best_known(table: Path, instance: str, history: int, weeks: Sequence[int]) -> int | None:
    """The best-known objective for the instance in ``best_known.csv``, if listed."""
    if not table.is_file():
        return None
    wanted = "-".join(str(w) for w in weeks)
    with table.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if (
                row.get("instance") == instance
                and row.get("history_file") == f"H0-{instance}-{history}.txt"
                and row.get("week_sequence") == wanted
            ):
                return int(row["best_known_objective"])
    return None


def run_inrc2(
    folder: Path,
    history: int,
    weeks: Sequence[int],
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
) -> Inrc2Run:
    """Load, solve (static mode) and validate one INRC-II instance.

    Raises:
        Incorrect: missing or malformed instance files.
        Infeasible: the hard constraints conflict (not the case for the published instances).
        Busy: no roster within ``time_limit``.
    """
    instance = load_instance(folder, history, weeks)
    solution = solve_roster(from_inrc2(instance), time_limit, workers, seed)
    evaluation = evaluate(instance, solution.assignments)
    reference = best_known(folder.parent / "best_known.csv", folder.name, history, weeks)
    return Inrc2Run(instance, solution, evaluation, reference)
