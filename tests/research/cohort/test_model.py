"""Cohort definitions: what parses, and errors that name the JSON path at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from carehub.errors import Incorrect
from carehub.research.cohort import load_cohort
from tests.research.cohort.conftest import fixture_data

INDEX = {"type": "condition", "codes": ["E11"]}


def test_the_fixture_definition_parses_in_order() -> None:
    definition = load_cohort(fixture_data()["definition"])
    assert definition.name == "t2dm_adults"
    assert [(c.name, inc) for c, inc in definition.criteria] == [
        ("adult at index", True),
        ("HbA1c >= 6.5 %", True),
        ("gestational diabetes", False),
        ("insulin in the year before", False),
    ]
    lab = definition.inclusion[1]
    assert (lab.window.start, lab.window.end, lab.value and lab.value.min) == (-180, 30, 6.5)
    assert definition.exclusion[1].match == "prefix"  # medications default to ATC prefixes
    assert definition.inclusion[1].match == "exact"  # LOINC codes are exact


def test_load_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(orjson.dumps(fixture_data()["definition"]))
    assert load_cohort(path).title.startswith("Adults with type 2")


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"index": INDEX}, "name: expected a name"),
        ({"name": "Bad Name", "index": INDEX}, "name: expected a name"),
        ({"name": "a"}, "index: a cohort needs an index event"),
        ({"name": "a", "index": {"type": "age", "min": 1}}, "index.type: expected one of"),
        ({"name": "a", "index": {"type": "condition"}}, "index.codes: expected a non-empty"),
        ({"name": "a", "index": {**INDEX, "occurrence": "all"}}, "index.occurrence"),
        ({"name": "a", "index": {**INDEX, "period": {"start": "2024-13-01"}}},
         "index.period.start: expected a date"),
        ({"name": "a", "index": {**INDEX, "window": {"start": 1}}}, "index.window: the index"),
        ({"name": "a", "index": INDEX, "inclusion": {}}, "inclusion: expected a list"),
        ({"name": "a", "index": INDEX, "inclusion": [{"type": "lab", "codes": ["1-8"],
          "window": {"start": 5, "end": -5}}]}, "inclusion[0].window: start (5) is after end"),
        ({"name": "a", "index": INDEX, "inclusion": [{"type": "lab", "codes": ["1-8"],
          "value": {"min": 9, "max": 1}}]}, "inclusion[0].value: min (9) is above max"),
        ({"name": "a", "index": INDEX, "exclusion": [INDEX, {"type": "condition",
          "codes": ["E11"], "value": {"min": 1}}]}, "exclusion[1].value: only lab criteria"),
        ({"name": "a", "index": INDEX, "inclusion": [{"type": "age"}]},
         "inclusion[0]: an age criterion needs min and/or max"),
        ({"name": "a", "index": INDEX, "inclusion": [{"type": "sex", "sexes": ["f"]}]},
         "inclusion[0].sexes[0]: expected one of male"),
        ({"name": "a", "index": INDEX, "inclusion": [{"type": "condition", "codes": ["E1"],
          "min_count": 0}]}, "inclusion[0].min_count: must be at least 1"),
        ({"name": "a", "index": INDEX, "inclusion": [{"type": "condition", "codes": ["x'y"]}]},
         "inclusion[0].codes[0]: expected a code"),
        ({"name": "a", "index": INDEX, "inclusion": [{"type": "condition", "codez": ["E1"]}]},
         "inclusion[0].codez: unknown element. Did you mean 'codes'?"),
        ({"name": "a", "index": INDEX, "exclusions": []}, "exclusions: unknown element"),
    ],
)
def test_malformed_definitions_name_the_json_path(definition: Any, message: str) -> None:
    with pytest.raises(Incorrect) as caught:
        load_cohort(definition)
    assert caught.value.message.startswith(message), caught.value.message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(Incorrect, match="cannot read cohort definition"):
        load_cohort(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(Incorrect, match="is not JSON"):
        load_cohort(bad)
