"""Benchmark of nurse rostering (INRC-II n030w4) and bed assignment (CP-SAT).

Roster: solves a 30-nurse 4-week INRC-II instance in the static mode (all
weeks at once) within ``--time-limit`` seconds, then prints the solver's
objective, the independent validator's verdict (H1–H4) and objective
(S1–S7, competition weights; Ceschia et al., arXiv:1501.04177) and the best
known value from ``shared/ops/inrc2/best_known.csv``.

Beds: a ward-sized synthetic instance (:func:`carehub.ops.allocate.bed_sample.
sample_bed_problem`: two wards, 50 beds, 14 days); prints the solve time and cost.

Usage::

    .venv/bin/python bench/ops_roster.py [--time-limit 60] [--workers 2]
        [--history 1] [--weeks 6-2-9-1] [--dataset DIR]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from carehub.ops.allocate.bed_sample import sample_bed_problem
from carehub.ops.allocate.bed_solver import solve_beds
from carehub.ops.allocate.inrc2_format import parse_week_list
from carehub.ops.allocate.inrc2_report import run_inrc2

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_dataset() -> Path:
    """``$CAREHUB_SHARED/ops/inrc2/n030w4`` (shared folder beside the repo by default)."""
    shared = os.environ.get("CAREHUB_SHARED")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared"
    return base / "ops" / "inrc2" / "n030w4"


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks and print their figures; 0 on success, 1 if the roster is invalid."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=default_dataset())
    ap.add_argument("--history", type=int, default=1)
    ap.add_argument("--weeks", default="6-2-9-1")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bed-time-limit", type=float, default=10.0)
    args = ap.parse_args(argv)
    status = 0
    if args.dataset.is_dir():
        print(
            f"== roster: INRC-II {args.dataset.name}, H0-{args.history}, weeks {args.weeks}, "
            f"time limit {args.time_limit:g} s, {args.workers} workers"
        )
        run = run_inrc2(
            args.dataset,
            args.history,
            parse_week_list(args.weeks),
            args.time_limit,
            args.workers,
            args.seed,
        )
        for line in run.report_lines():
            print(line)
        if run.solution.objective != run.evaluation.total:
            print(
                f"WARNING: solver objective {run.solution.objective} != validator "
                f"{run.evaluation.total}"
            )
        status = 0 if run.evaluation.valid else 1
    else:
        print(f"== roster: skipped, no INRC-II data at {args.dataset}")
    problem = sample_bed_problem(0, rooms_per_ward=6, days=14, admissions_per_day=6)
    beds = sum(len(r.beds) for r in problem.rooms)
    print(
        f"== beds: {len(problem.rooms)} rooms, {beds} beds, {len(problem.admissions)} stays, "
        f"14 days, time limit {args.bed_time_limit:g} s"
    )
    t0 = time.perf_counter()
    plan = solve_beds(problem, args.bed_time_limit, args.workers)
    elapsed = time.perf_counter() - t0
    placed = sum(1 for b in plan.beds.values() if b)
    print(
        f"beds: {plan.status}, objective {plan.objective} {plan.breakdown}, "
        f"{placed}/{len(plan.beds)} placed, {elapsed:.2f} s"
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
