"""The warehouse's intermediate representation: one SQL syntax tree for every engine.

https://sqlglot.com/sqlglot/expressions.html

A compiled ViewDefinition is a :class:`CompiledView`: its output columns and
one `sqlglot <https://github.com/tobymao/sqlglot>`_ ``SELECT`` tree built
from sqlglot's engine-neutral nodes (lambdas, list functions, structs, CASE)
plus the few node types below, whose SQL differs between engines. An engine
(:mod:`carehub.warehouse.engines.base`) replaces those nodes by its own SQL
through a table and lets sqlglot write the text in its dialect, so there is
no SQL text per view or per engine.

Collections are SQL lists of *item texts*: a primitive item is its value as
text (``'true'``, ``'1.5'``, ``'abc'``), a complex item its JSON text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sqlglot import exp


class JsonGet(exp.Expression, exp.Func):
    """Read a member path from a JSON text.

    ``this`` is the JSON text, ``expressions`` one string literal per step:
    ``"name"`` for a single member, ``"name[]"`` for a member holding an
    array, ``"name[2]"`` for one element of an array member. With any array
    step the result is a list of item texts (arrays flattened, missing
    members skipped), otherwise one item text or NULL.
    """

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": True}

    @property
    def steps(self) -> list[tuple[str, bool]]:
        """The steps as ``(member, is_array)`` pairs."""
        out = []
        for lit in self.expressions:
            text = lit.name
            out.append((text[:-2], True) if text.endswith("[]") else (text, False))
        return out

    @property
    def is_list(self) -> bool:
        """Whether the result is a list (some step reads an array)."""
        return any(array for _, array in self.steps)


class LambdaIndex(exp.Expression, exp.Func):
    """The 0-based position of the current item in a two-argument list lambda.

    ``this`` is the lambda's second parameter; engines whose lambdas count
    from 1 subtract one.
    """

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class Fail(exp.Expression, exp.Func):
    """Abort the query with an error message (``this``, a string literal)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True}


def parenthesize(tree: exp.Expression) -> exp.Expression:
    """Put parentheses around every operator that is the operand of another (in place).

    Trees built node by node carry no parentheses, and SQL text needs them
    wherever precedence would regroup the operands.

    >>> inner = exp.Sub(this=exp.column("a"), expression=exp.column("b"))
    >>> parenthesize(exp.Div(this=inner, expression=exp.column("c"))).sql()
    '(a - b) / c'
    """
    operators = (exp.Binary, exp.Unary)
    for node in list(tree.walk()):
        if not isinstance(node, operators) or isinstance(node, exp.Dot | exp.Paren):
            continue
        for key in ("this", "expression"):
            child = node.args.get(key)
            if isinstance(child, operators) and not isinstance(child, exp.Dot | exp.Paren):
                node.set(key, exp.Paren(this=child))
    return tree


def json_get(text: exp.Expression, steps: Sequence[tuple[str, bool]]) -> JsonGet:
    """A :class:`JsonGet` reading ``steps`` from ``text``; extends ``text`` if it is one.

    >>> json_get(json_get(exp.column("r"), [("name", True)]), [("family", False)]).steps
    [('name', True), ('family', False)]
    """
    if isinstance(text, JsonGet):
        return JsonGet(this=text.this, expressions=[*text.expressions, *_step_literals(steps)])
    return JsonGet(this=text, expressions=_step_literals(steps))


def json_index(node: exp.Expression, index: int) -> JsonGet | None:
    """``node``'s item ``index`` read straight from the JSON, if ``node`` allows it.

    That holds for a JsonGet whose only array step is its last one: item
    ``i`` of the list is then element ``i`` of that array. Otherwise (missing
    members earlier in the path shift positions) ``None``.

    >>> json_index(json_get(exp.column("r"), [("type", True)]), 0).steps
    [('type[0]', False)]
    """
    if not isinstance(node, JsonGet):
        return None
    steps = node.steps
    if [i for i, (_, array) in enumerate(steps) if array] != [len(steps) - 1]:
        return None
    element = (f"{steps[-1][0]}[{index}]", False)
    return JsonGet(this=node.this, expressions=_step_literals([*steps[:-1], element]))


def _step_literals(steps: Sequence[tuple[str, bool]]) -> list[exp.Expression]:
    return [exp.Literal.string(name + ("[]" if array else "")) for name, array in steps]


def var(name: str) -> exp.Identifier:
    """A reference to a lambda parameter."""
    return exp.to_identifier(name)


def lit(value: str | int | float | bool | None) -> exp.Expression:
    """A SQL literal for a Python value.

    >>> lit("it's").sql(), lit(True).sql(), lit(1.5).sql()
    ("'it''s'", 'TRUE', '1.5')
    """
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(repr(value) if isinstance(value, float) else value)
    return exp.Literal.string(value)


def cast(value: exp.Expression, sql_type: str, *, safe: bool = False) -> exp.Expression:
    """``CAST(value AS sql_type)``; ``safe`` gives NULL instead of an error on bad input."""
    to = exp.DataType.build(sql_type)
    if safe:
        return exp.TryCast(this=value, to=to, safe=True)
    return exp.Cast(this=value, to=to)


def null(sql_type: str) -> exp.Expression:
    """A NULL of a given type, so lists and unions agree on their element types."""
    return cast(exp.Null(), sql_type)


def empty_list(element_type: str = "VARCHAR") -> exp.Expression:
    """An empty list of ``element_type``."""
    return cast(exp.Array(expressions=[]), f"ARRAY<{element_type}>")


def list_of(*items: exp.Expression) -> exp.Expression:
    """A list literal."""
    return exp.Array(expressions=list(items))


def transform(
    items: exp.Expression, name: str, body: exp.Expression, index: str | None = None
) -> exp.Expression:
    """``items`` with ``body`` applied to each item ``name`` (and its position ``index``)."""
    params = [var(name)] + ([var(index)] if index else [])
    return exp.Transform(this=items, expression=exp.Lambda(this=body, expressions=params))


def keep(items: exp.Expression, name: str, condition: exp.Expression) -> exp.Expression:
    """The items ``name`` of ``items`` for which ``condition`` is true."""
    return exp.ArrayFilter(
        this=items, expression=exp.Lambda(this=condition, expressions=[var(name)])
    )


def flatten(lists: exp.Expression) -> exp.Expression:
    """Concatenate a list of lists."""
    return exp.Flatten(this=lists)


def concat(lists: Sequence[exp.Expression]) -> exp.Expression:
    """Concatenate several lists."""
    if len(lists) == 1:
        return lists[0]
    return exp.ArrayConcat(this=lists[0], expressions=list(lists[1:]))


def size(items: exp.Expression) -> exp.Expression:
    """Number of items in a list."""
    return exp.ArraySize(this=items)


def item(items: exp.Expression, index0: exp.Expression | int) -> exp.Expression:
    """The item at 0-based ``index0``, NULL when out of range.

    >>> item(exp.column("l"), 0).sql("duckdb"), item(exp.column("l"), 0).sql("spark")
    ('l[1]', 'TRY_ELEMENT_AT(l, 1)')
    """
    one_based: exp.Expression
    if isinstance(index0, int):
        one_based = exp.Literal.number(index0 + 1)
    else:
        plus_one = exp.Add(this=exp.Paren(this=index0), expression=exp.Literal.number(1))
        one_based = cast(plus_one, "INT")
    return exp.Bracket(this=items, expressions=[one_based], offset=1, safe=True)


def case(
    whens: Sequence[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None = None
) -> exp.Expression:
    """``CASE WHEN c1 THEN v1 ... ELSE default END``."""
    node = exp.Case()
    for condition, value in whens:
        node = node.when(condition, value)
    return node.else_(default) if default is not None else node


def struct(fields: Sequence[tuple[str, exp.Expression]]) -> exp.Expression:
    """A struct value with the given field names."""
    return exp.Struct(
        expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=v) for n, v in fields]
    )


def field(value: exp.Expression, name: str) -> exp.Expression:
    """Field ``name`` of a struct value."""
    return exp.Dot(this=value, expression=exp.to_identifier(name))


def struct_type(fields: Sequence[tuple[str, str]]) -> str:
    """The SQL type of a struct with ``(name, sql_type)`` fields.

    >>> struct_type([("c0", "VARCHAR"), ("c1", "ARRAY<BIGINT>")])
    'STRUCT<c0 VARCHAR, c1 ARRAY<BIGINT>>'
    """
    return "STRUCT<" + ", ".join(f"{n} {t}" for n, t in fields) + ">"


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """One column of a view's output.

    ``sql_type`` is the warehouse type (``VARCHAR``, ``BIGINT``, ``ARRAY<VARCHAR>``...),
    ``fhir_type`` the FHIR type it holds and ``collection`` whether it is a list.
    """

    name: str
    sql_type: str
    fhir_type: str
    collection: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CompiledView:
    """A ViewDefinition compiled to the intermediate representation.

    ``query`` selects the output columns, in order, from a relation named
    :data:`SOURCE` with columns ``resource_type``, ``id`` and ``resource``
    (the JSON text). ``resource`` is the view's resource type.
    """

    name: str
    resource: str
    columns: tuple[OutputColumn, ...]
    query: exp.Select


SOURCE = "fhir_resources"
"""The relation a compiled query reads; engines substitute their own table or view."""
