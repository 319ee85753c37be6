"""Bed assignment: capacity, sex-separated rooms, isolation, overflow, transfers; CLI and files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from carehub.cli.main import ERROR_EXIT_CODE, app
from carehub.errors import Incorrect
from carehub.ops.allocate.bed_sample import sample_bed_problem
from carehub.ops.allocate.bed_solver import solve_beds
from carehub.ops.allocate.beds import (
    BedAdmission,
    BedProblem,
    admissions_from_text,
    layout_from_json,
)


def _problem(fixtures: Path) -> BedProblem:
    rooms = layout_from_json(json.loads((fixtures / "beds_layout.json").read_text()))
    text = (fixtures / "beds_admissions.csv").read_text()
    return BedProblem(rooms, admissions_from_text(text, "beds_admissions.csv"))


def test_small_plan_obeys_rules(fixtures: Path) -> None:
    problem = _problem(fixtures)
    plan = solve_beds(problem, time_limit=5)
    assert plan.status == "OPTIMAL"
    beds = plan.beds
    assert beds["cur-1"] == "bed-noi-tim-mach-00001"  # no transfer needed
    assert beds["adm-2"] == "bed-noi-tim-mach-00003"  # the isolation room
    # adm-1 (male) cannot share tm-r1 with cur-1 (female): overflow to the mixed ward
    assert beds["adm-1"] is not None and beds["adm-1"].startswith("bed-ho-hap")
    assert plan.breakdown == {"unplaced": 0, "overflow": 50, "transfers": 0}


def test_overfull_ward_leaves_forecast_patients_out() -> None:
    rooms = layout_from_json({"wards": [{"code": "nhi", "rooms": [{"id": "r", "beds": 1}]}]})
    stays = (BedAdmission("b", "nhi", "male", 0, 3), BedAdmission("f", "nhi", "male", 1, 1,
                                                                    kind="forecast"))
    plan = solve_beds(BedProblem(rooms, stays), time_limit=5)
    assert plan.beds == {"b": "bed-nhi-00001", "f": None}
    assert plan.breakdown["unplaced"] == 200


def test_ward_sized_sample_is_consistent() -> None:
    problem = sample_bed_problem(1, rooms_per_ward=3, days=7, admissions_per_day=3)
    plan = solve_beds(problem, time_limit=5)
    stays = {a.id: a for a in problem.admissions}
    room_of = {b: r for r in problem.rooms for b in r.beds}
    placed = [(stays[i], b) for i, b in plan.beds.items() if b]
    for i, (a, bed) in enumerate(placed):
        if a.isolation:
            assert room_of[bed].isolation
        for other, bed2 in placed[i + 1 :]:
            first = max(0, a.admit_day, other.admit_day)
            overlap = first < min(a.admit_day + a.los, other.admit_day + other.los)
            if overlap and bed == bed2:
                raise AssertionError(f"{a.id} and {other.id} share {bed}")
            if overlap and room_of[bed] is room_of[bed2] and room_of[bed].single_sex:
                assert a.sex == other.sex


def test_bad_admission_row_names_line() -> None:
    text = "id,specialty,sex,admit_day,los\na,nhi,F,0,2\nb,nhi,X,0,2\n"
    with pytest.raises(Incorrect, match=r"adm.csv, line 3: sex must be female or male"):
        admissions_from_text(text, "adm.csv")


def test_cli_writes_plan(tmp_path: Path, fixtures: Path) -> None:
    runner = CliRunner()
    args = ["ops", "beds", "--admissions", str(fixtures / "beds_admissions.csv"),
            "--layout", str(fixtures / "beds_layout.json"), "--out", str(tmp_path),
            "--time-limit", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "5/5 placed" in result.output
    rows = (tmp_path / "beds.csv").read_text().splitlines()
    assert rows[0] == "admission,kind,specialty,bed,room,ward,overflow,transfer" and len(rows) == 6
    bad = runner.invoke(app, ["ops", "beds", "--admissions", str(tmp_path / "none.csv"),
                              "--layout", str(fixtures / "beds_layout.json")])
    assert bad.exit_code == ERROR_EXIT_CODE
