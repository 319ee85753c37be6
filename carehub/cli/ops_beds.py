"""``carehub ops beds``: assign booked, forecast and current admissions to beds (CP-SAT).

``--admissions`` is a CSV or JSON file of stays, ``--layout`` a JSON file of
wards, rooms and beds (formats in :mod:`carehub.ops.allocate.beds`). Writes
``beds.csv`` (one row per admission: bed, room, ward, overflow, transfer) and
``beds.json`` (with the objective breakdown) into ``--out``.

OR-Tools docs: https://developers.google.com/optimization/cp/cp_solver
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

from carehub.errors import Incorrect
from carehub.ops.allocate.bed_solver import solve_beds
from carehub.ops.allocate.beds import (
    BedProblem,
    admissions_from_text,
    assignment_to_json,
    layout_from_json,
)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise Incorrect(f"{path}: cannot read: {exc}") from None


def beds(
    admissions: Annotated[Path, typer.Option(help="Admissions CSV or JSON.")],
    layout: Annotated[Path, typer.Option(help="Ward/room/bed layout JSON.")],
    time_limit: Annotated[float, typer.Option(help="Solver time limit in seconds.")] = 10.0,
    workers: Annotated[int, typer.Option(help="CP-SAT search workers.")] = 2,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("beds-out"),
) -> None:
    """Assign admissions to beds and write the plan."""
    try:
        layout_data = json.loads(_read(layout))
    except ValueError as exc:
        raise Incorrect(f"{layout}: not JSON: {exc}") from None
    rooms = layout_from_json(layout_data, str(layout))
    problem = BedProblem(rooms, admissions_from_text(_read(admissions), admissions.name))
    plan = solve_beds(problem, time_limit, workers)
    body = assignment_to_json(plan, problem)
    out.mkdir(parents=True, exist_ok=True)
    rows = body["assignments"]
    with (out / "beds.csv").open("w", encoding="utf-8", newline="") as handle:
        fields = ["admission", "kind", "specialty", "bed", "room", "ward", "overflow", "transfer"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    (out / "beds.json").write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    placed = sum(1 for r in rows if r["bed"])
    typer.echo(
        f"{plan.status}: {placed}/{len(rows)} placed, objective {plan.objective} "
        f"{plan.breakdown}, {plan.wall_time:.1f} s; wrote {out}/beds.csv, beds.json"
    )
