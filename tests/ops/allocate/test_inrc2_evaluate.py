"""The INRC-II readers and the independent validator (hand-scored golden roster)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from carehub.errors import Incorrect
from carehub.ops.allocate.inrc2_evaluate import evaluate
from carehub.ops.allocate.inrc2_format import load_instance, parse_scenario

Row = tuple[str, int, str, str]


def _roster(path: Path) -> list[Row]:
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    return [(r["nurse"], int(r["day"]), r["shift"], r["skill"]) for r in csv.DictReader(lines)]


def test_golden_roster_costs(fixtures: Path) -> None:
    instance = load_instance(fixtures / "t003w1", 0, [0])
    expected = json.loads((fixtures / "inrc2_evaluate.json").read_text())
    ev = evaluate(instance, _roster(fixtures / "inrc2_evaluate.csv"))
    assert ev.valid is expected["valid"], ev.hard
    assert ev.soft == expected["soft"]
    assert ev.total == expected["total"]


def test_hard_violations_are_named(fixtures: Path) -> None:
    instance = load_instance(fixtures / "t003w1", 0, [0])
    rows = _roster(fixtures / "inrc2_evaluate.csv")
    rows = [r for r in rows if r[:2] != ("A", 5)]  # Sat Early Nurse now uncovered
    rows += [("C", 1, "Early", "Caretaker"), ("B", 6, "Late", "Caretaker")]
    rows += [("B", 0, "Late", "Nurse")]
    text = "\n".join(evaluate(instance, rows).hard)
    assert "H1 single assignment: B on day 0" in text
    assert "H2 under-staffing: week 1 Sat Early Nurse has 0 of 1" in text
    assert "H3 forbidden succession: C Late, then Early on day 1" in text
    assert "H4 missing skill: B on day 6" in text


def test_bad_file_names_line(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / "t003w1" / "Sc-t003w1.txt").read_text().replace("(2,4)", "(2;4)")
    bad = tmp_path / "Sc-bad.txt"
    bad.write_text(text)
    with pytest.raises(Incorrect, match=r"Sc-bad.txt, line 18: consecutive working days"):
        parse_scenario(bad)
    with pytest.raises(Incorrect, match="no such file"):
        load_instance(fixtures / "t003w1", 7, [0])


def test_reads_benchmark_files(inrc2_dir: Path) -> None:
    instance = load_instance(inrc2_dir / "n030w4", 1, [6, 2, 9, 1])
    assert len(instance.scenario.nurses) == 30 and instance.days == 28
    assert instance.history["HN_0"].last_shift == "Night"
    assert instance.weeks[0].requirements[(0, "Early", "Caretaker")] == (2, 3)
    assert ("NU_10", None, 2) in instance.weeks[0].requests
