"""FHIRPath operators: boolean logic, equality, comparison, arithmetic, union, membership.

https://hl7.org/fhirpath/N1/#operations

Operands that must be single values are read with singleton evaluation
(:func:`~carehub.warehouse.fhirpath.values.as_scalar`), so an operand that
turns out to hold several items fails the query rather than giving a wrong
answer. Empty operands give an empty result, which SQL's NULL propagation
provides; ``and``/``or``/``implies`` follow FHIRPath's three-valued logic,
which is SQL's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from carehub.errors import Incorrect
from carehub.warehouse import ir
from carehub.warehouse.fhirpath import ast
from carehub.warehouse.fhirpath.types import ANY, NUMERIC
from carehub.warehouse.fhirpath.values import (
    Value,
    as_boolean,
    as_list,
    as_scalar,
    listed,
    scalar,
    scalar_of_text,
    text_of_scalar,
)

if TYPE_CHECKING:
    from carehub.warehouse.fhirpath.compile import Compiler, Scope

_COMPARISONS: dict[str, Callable[..., exp.Expression]] = {
    "<": exp.LT,
    ">": exp.GT,
    "<=": exp.LTE,
    ">=": exp.GTE,
}
_ARITHMETIC: dict[str, Callable[..., exp.Expression]] = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}


def binary(compiler: Compiler, node: ast.Binary, scope: Scope) -> Value:
    """Compile a binary operator."""
    left = compiler.resolve(compiler.compile(node.left, scope))
    right = compiler.resolve(compiler.compile(node.right, scope))
    op = node.op
    context = f"operand of '{op}'"
    if op in ("and", "or", "xor", "implies"):
        a, b = as_boolean(left, context), as_boolean(right, context)
        if op == "and":
            return scalar(exp.And(this=a, expression=b), "boolean")
        if op == "or":
            return scalar(exp.Or(this=a, expression=b), "boolean")
        if op == "xor":
            return scalar(exp.NEQ(this=a, expression=b), "boolean")
        return scalar(exp.Or(this=exp.Not(this=exp.Paren(this=a)), expression=b), "boolean")
    if op in ("=", "!="):
        same = equality(left, right, context)
        return scalar(same if op == "=" else exp.Not(this=exp.Paren(this=same)), "boolean")
    if op in ("~", "!~"):
        same = equivalence(left, right, context)
        return scalar(same if op == "~" else exp.Not(this=exp.Paren(this=same)), "boolean")
    if op in _COMPARISONS:
        a, b = comparable(left, right, context)
        return scalar(_COMPARISONS[op](this=a, expression=b), "boolean")
    if op == "|":
        union = exp.ArrayDistinct(this=ir.concat([as_list(left), as_list(right)]))
        kind = left.type if left.type == right.type else ANY
        return listed(union, kind)
    if op in ("in", "contains"):
        needle, haystack = (left, right) if op == "in" else (right, left)
        return scalar(membership(needle, haystack, context), "boolean")
    if op == "&":
        parts = [
            exp.Coalesce(this=_text(v, context), expressions=[ir.lit("")]) for v in (left, right)
        ]
        return scalar(exp.DPipe(this=parts[0], expression=parts[1], safe=True), "string")
    return arithmetic(op, left, right, context)


def unary(compiler: Compiler, node: ast.Unary, scope: Scope) -> Value:
    """Compile unary ``+``/``-``."""
    operand = compiler.compile(node.operand, scope)
    if operand.type not in NUMERIC:
        raise Incorrect(f"unary '{node.op}' needs a number, not {operand.type}")
    value = as_scalar(operand, f"operand of unary '{node.op}'")
    return scalar(value if node.op == "+" else exp.Neg(this=value), operand.type)


def _text(value: Value, context: str) -> exp.Expression:
    return text_of_scalar(as_scalar(value, context), value.type)


def comparable(left: Value, right: Value, context: str) -> tuple[exp.Expression, exp.Expression]:
    """Both operands as scalars of comparable SQL types (text read as a number or boolean)."""
    a, b = as_scalar(left, context), as_scalar(right, context)
    if (left.type in NUMERIC) != (right.type in NUMERIC):
        if left.type in NUMERIC:
            b = ir.cast(_text(right, context), "DOUBLE", safe=True)
        else:
            a = ir.cast(_text(left, context), "DOUBLE", safe=True)
    elif (left.type == "boolean") != (right.type == "boolean"):
        if left.type == "boolean":
            b = ir.cast(_text(right, context), "BOOLEAN", safe=True)
        else:
            a = ir.cast(_text(left, context), "BOOLEAN", safe=True)
    return a, b


def equality(left: Value, right: Value, context: str) -> exp.Expression:
    """FHIRPath ``=``: empty if either side is empty, else item-by-item equality."""
    if left.is_empty_literal or right.is_empty_literal:
        return exp.Null()
    if not (left.many or right.many):
        a, b = comparable(left, right, context)
        return exp.EQ(this=a, expression=b)
    if left.many and right.many:
        a, b = as_list(left), as_list(right)
        either_empty = exp.Or(
            this=exp.EQ(this=ir.size(a), expression=ir.lit(0)),
            expression=exp.EQ(this=ir.size(b), expression=ir.lit(0)),
        )
        return ir.case([(either_empty, exp.Null())], exp.EQ(this=a, expression=b))
    many, single = (left, right) if left.many else (right, left)
    items = as_list(many)
    first = scalar(scalar_of_text(ir.item(items, 0), many.type), many.type)
    a, b = comparable(first, single, context)
    empty = exp.Or(
        this=exp.EQ(this=ir.size(items), expression=ir.lit(0)),
        expression=exp.Is(this=as_scalar(single, context), expression=exp.Null()),
    )
    several = exp.NEQ(this=ir.size(items), expression=ir.lit(1))
    return ir.case([(empty, exp.Null()), (several, ir.lit(False))], exp.EQ(this=a, expression=b))


def equivalence(left: Value, right: Value, context: str) -> exp.Expression:
    """FHIRPath ``~``: like ``=`` but case-insensitive for strings and true for two empties."""
    a, b = comparable(left, right, context)
    if left.type not in NUMERIC and left.type != "boolean":
        a, b = exp.Lower(this=a), exp.Lower(this=b)
    a_empty = exp.Is(this=a, expression=exp.Null())
    b_empty = exp.Is(this=b, expression=exp.Null())
    return ir.case(
        [
            (exp.And(this=a_empty, expression=b_empty), ir.lit(True)),
            (exp.Or(this=a_empty, expression=b_empty), ir.lit(False)),
        ],
        exp.EQ(this=a, expression=b),
    )


def membership(needle: Value, haystack: Value, context: str) -> exp.Expression:
    """``needle in haystack``: empty for an empty needle, false for an empty haystack."""
    item = _text(needle, context)
    found = exp.ArrayContains(this=as_list(haystack), expression=item)
    return ir.case([(exp.Is(this=item, expression=exp.Null()), exp.Null())], found)


def arithmetic(op: str, left: Value, right: Value, context: str) -> Value:
    """``+ - * / div mod`` on numbers; ``+`` also concatenates strings."""
    if op == "+" and left.type not in NUMERIC and right.type not in NUMERIC:
        joined = exp.DPipe(this=_text(left, context), expression=_text(right, context))
        return scalar(joined, "string")
    for side in (left, right):
        if side.type not in NUMERIC and side.type != ANY:
            raise Incorrect(f"'{op}' needs numbers, not {side.type}")
    a, b = as_scalar(left, context), as_scalar(right, context)
    integers = left.type in NUMERIC - {"decimal"} and right.type in NUMERIC - {"decimal"}
    if op in _ARITHMETIC:
        return scalar(_ARITHMETIC[op](this=a, expression=b), "integer" if integers else "decimal")
    divisor = exp.Nullif(this=b, expression=ir.lit(0))
    if op == "/":
        quotient = exp.Div(this=ir.cast(a, "DOUBLE"), expression=ir.cast(divisor, "DOUBLE"))
        return scalar(quotient, "decimal")
    if op == "div":
        whole = exp.Floor(this=exp.Div(this=ir.cast(a, "DOUBLE"), expression=divisor))
        return scalar(ir.cast(whole, "BIGINT"), "integer")
    if op == "mod":
        return scalar(exp.Mod(this=a, expression=divisor), "integer" if integers else "decimal")
    raise Incorrect(f"unknown operator '{op}'")
