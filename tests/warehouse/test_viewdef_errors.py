"""Invalid ViewDefinitions fail with a clear message naming the JSON path at fault."""

from __future__ import annotations

from typing import Any

import pytest

from carehub.errors import Incorrect
from carehub.warehouse.compiler import compile_view


def view(*columns: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resource": "Patient", "select": [{"column": list(columns)}], **extra}


CASES = [
    pytest.param(
        view({"name": "a", "path": "name.frist()"}),
        "select[0].column[0].path",
        "unknown function 'frist()'. Did you mean 'first'?",
        id="unknown-function",
    ),
    pytest.param(
        view({"name": "a", "path": "name.famly"}),
        "select[0].column[0].path",
        "'famly' is not an element of HumanName. Did you mean 'family'?",
        id="unknown-element",
    ),
    pytest.param(
        view({"name": "a", "path": "name.("}),
        "select[0].column[0].path",
        "expected a name after '.'",
        id="syntax",
    ),
    pytest.param(
        view({"name": "a", "path": "id"}, {"name": "a", "path": "gender"}),
        "select[0].column[1]",
        "column 'a' is already defined at select[0].column[0]",
        id="column-clash",
    ),
    pytest.param(
        view({"name": "family", "path": "name.family", "collection": False}),
        "select[0].column[0].path",
        "may return several values; set collection: true",
        id="collection-without-collection-true",
    ),
    pytest.param(
        {
            "resource": "Patient",
            "select": [
                {
                    "unionAll": [
                        {"column": [{"name": "a", "path": "id"}]},
                        {"column": [{"name": "b", "path": "id"}]},
                    ]
                }
            ],
        },
        "select[0].unionAll[1]",
        "unionAll branch has columns ['b']",
        id="union-mismatch",
    ),
    pytest.param(
        view({"name": "a", "path": "id"}, where=[{"path": "name.family"}]),
        "where[0].path",
        "a where path must return a boolean",
        id="where-not-boolean",
    ),
    pytest.param(
        view({"name": "a", "path": "name.where(use = %kind).family"}),
        "select[0].column[0].path",
        "undefined constant %kind",
        id="undefined-constant",
    ),
    pytest.param(
        view({"name": "a", "path": "id"}) | {"resource": "Patinet"},
        "resource",
        "'Patinet' is not an R4 resource type. Did you mean 'Patient'?",
        id="unknown-resource",
    ),
    pytest.param(
        view({"name": "1a", "path": "id"}),
        "select[0].column[0].name",
        "is not a database-friendly column name",
        id="bad-column-name",
    ),
    pytest.param(
        view({"name": "a", "path": "value.ofType(Quantiy)"}) | {"resource": "Observation"},
        "select[0].column[0].path",
        "unknown type 'Quantiy'",
        id="unknown-type",
    ),
]


@pytest.mark.parametrize(("raw", "json_path", "message"), CASES)
def test_invalid_view_names_the_json_path(
    raw: dict[str, Any], json_path: str, message: str
) -> None:
    with pytest.raises(Incorrect) as info:
        compile_view(raw)
    text = str(info.value)
    assert text.startswith(f"{json_path}: ") or f"{json_path}: " in text, text
    assert message in text
    assert any(json_path in expr for issue in info.value.issues for expr in issue.expression)


def test_every_shape_problem_is_reported() -> None:
    with pytest.raises(Incorrect) as info:
        compile_view({"select": [{"forEach": 2, "column": [{"path": "id"}]}]})
    paths = {e for issue in info.value.issues for e in issue.expression}
    assert {"resource", "select[0].forEach", "select[0].column[0].name"} <= paths


def test_repeat_beyond_the_depth_limit_fails_the_query() -> None:
    from carehub.warehouse.engines.duckdb import DuckDBEngine

    deep: dict[str, Any] = {"linkId": "leaf"}
    for level in range(4):
        deep = {"linkId": str(level), "item": [deep]}
    raw = {
        "resource": "QuestionnaireResponse",
        "select": [{"repeat": ["item"], "column": [{"name": "link", "path": "linkId"}]}],
    }
    engine = DuckDBEngine()
    engine.load(
        "qr",
        [
            {
                "resourceType": "QuestionnaireResponse",
                "id": "q",
                "status": "completed",
                "item": [deep],
            }
        ],
    )
    assert len(engine.run(compile_view(raw, repeat_depth=5), "qr").rows) == 5
    with pytest.raises(Incorrect, match="nests deeper than 2 levels"):
        engine.run(compile_view(raw, repeat_depth=2), "qr")
