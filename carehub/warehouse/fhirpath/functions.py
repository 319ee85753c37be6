"""The FHIRPath functions the warehouse compiles, as one table.

https://hl7.org/fhirpath/N1/#functions and
https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/StructureDefinition-ViewDefinition.html#required-additional-functions

:data:`FUNCTIONS` maps each name to its arity and compiler. It covers the
SQL-on-FHIR required subset (``where``, ``exists``, ``empty``, ``extension``,
``join``, ``ofType``, ``first``, ``lowBoundary``, ``highBoundary``, ``not``,
``getResourceKey``, ``getReferenceKey``) and common FHIRPath functions views
need (``count``, ``last``, ``select``, ``all``, ``iif``, ``distinct``, string
and conversion functions). ``durationIn`` is a CareHub extension, marked
``standard=False``. Anything else fails with a "did you mean" suggestion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlglot import exp

from carehub.errors import Incorrect, did_you_mean
from carehub.warehouse import ir
from carehub.warehouse.fhirpath import ast, boundaries
from carehub.warehouse.fhirpath.values import (
    Value,
    as_boolean,
    as_list,
    as_scalar,
    exists,
    listed,
    scalar,
    scalar_of_text,
    text_of_scalar,
)

if TYPE_CHECKING:
    from carehub.warehouse.fhirpath.compile import Compiler, Scope

Args = tuple[ast.Node, ...]
Handler = Callable[["Compiler", Value, Args, "Scope"], Value]

REFERENCE = "^([A-Za-z]+)/([A-Za-z0-9.-]{1,64})(/_history/[A-Za-z0-9.-]{1,64})?$"
"""A relative literal reference ``Type/id`` (optionally versioned); other forms have no key."""


@dataclass(frozen=True, slots=True)
class Function:
    """One compilable function: its arity, its compiler and whether FHIRPath defines it."""

    name: str
    min_args: int
    max_args: int
    handler: Handler
    standard: bool = True


def _filtered(compiler: Compiler, target: Value, criteria: ast.Node, scope: Scope) -> Value:
    """``target.where(criteria)``."""
    if not target.is_list:
        keep = as_boolean(compiler.compile(criteria, scope.focus(target)), "where()")
        return scalar(ir.case([(keep, target.sql)]), target.type)
    name, _, inner = compiler.item_scope(target, scope)
    keep = as_boolean(compiler.compile(criteria, inner.focus(inner.this)), "where()")
    condition = exp.Coalesce(this=keep, expressions=[ir.lit(False)])
    return listed(ir.keep(target.sql, name, condition), target.type, target.many)


def _where(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return _filtered(c, target, args[0], scope)


def _exists(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    if args:
        target = _filtered(c, target, args[0], scope)
    return scalar(exists(target), "boolean")


def _empty(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(exp.Not(this=exists(target)), "boolean")


def _count(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    if target.is_list:
        return scalar(ir.size(target.sql), "integer")
    return scalar(ir.case([(exists(target), ir.lit(1))], ir.lit(0)), "integer")


def _first(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    if not target.is_list:
        return target
    direct = ir.json_index(target.sql, 0)
    if direct is not None:
        return scalar(scalar_of_text(direct, target.type), target.type)
    return scalar(scalar_of_text(ir.item(target.sql, 0), target.type), target.type)


def _last(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    if not target.is_list:
        return target
    last = exp.Sub(this=ir.size(target.sql), expression=ir.lit(1))
    return scalar(scalar_of_text(ir.item(target.sql, last), target.type), target.type)


def _not(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(exp.Not(this=exp.Paren(this=as_boolean(target, "not()"))), "boolean")


def _string_arg(c: Compiler, node: ast.Node, scope: Scope, what: str) -> exp.Expression:
    value = c.compile(node, scope)
    return text_of_scalar(as_scalar(value, what), value.type)


def _join(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    separator = _string_arg(c, args[0], scope, "join() separator") if args else ir.lit("")
    return scalar(exp.ArrayToString(this=as_list(target), expression=separator), "string")


def _type_name(node: ast.Node) -> str:
    name = ast.type_specifier(node)
    if name is None:
        raise Incorrect("expected a type name such as Quantity or string")
    return name


def _of_type(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return c.of_type(target, _type_name(args[0]))


def _extension(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    url = _string_arg(c, args[0], scope, "extension() url")
    extensions = c.member(target, "extension")
    name = c.fresh()
    same = exp.EQ(this=ir.json_get(ir.var(name), [("url", False)]), expression=url)
    return listed(ir.keep(as_list(extensions), name, same), "Extension", extensions.many)


def _resource_key(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    if not c.types.is_resource(target.type) or target.is_list:
        raise Incorrect("getResourceKey() must be called on the resource")
    resource_id = ir.json_get(target.sql, [("id", False)])
    return scalar(exp.DPipe(this=ir.lit(f"{target.type}/"), expression=resource_id), "string")


def _reference_key(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    wanted = None
    if args:
        wanted = c.types.check_type_name(_type_name(args[0]))
        if not c.types.is_resource(wanted):
            raise Incorrect(f"getReferenceKey() needs a resource type, not '{wanted}'")
    if target.type not in ("Reference", "Any"):
        raise Incorrect(f"getReferenceKey() needs a Reference, not {target.type}")
    references = c.member(target, "reference")

    def key(text: exp.Expression) -> exp.Expression:
        kind = exp.RegexpExtract(this=text, expression=ir.lit(REFERENCE), group=ir.lit(1))
        rid = exp.RegexpExtract(this=text, expression=ir.lit(REFERENCE), group=ir.lit(2))
        joined = exp.DPipe(this=exp.DPipe(this=kind, expression=ir.lit("/")), expression=rid)
        if wanted is None:
            return exp.Nullif(this=joined, expression=ir.lit("/"))
        return ir.case([(exp.EQ(this=kind, expression=ir.lit(wanted)), joined)])

    if not references.is_list:
        return scalar(key(references.sql), "string")
    name, other = c.fresh(), c.fresh()
    keys = ir.transform(references.sql, name, key(ir.var(name)))
    present = exp.Not(this=exp.Is(this=ir.var(other), expression=exp.Null()))
    return listed(ir.keep(keys, other, present), "string", references.many)


def _select(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    if not target.is_list:
        return c.compile(args[0], scope.focus(target))
    name, _, inner = c.item_scope(target, scope)
    projected = c.resolve(c.compile(args[0], inner.focus(inner.this)))
    lists = ir.transform(as_list(target), name, as_list(projected))
    return listed(ir.flatten(lists), projected.type, True)


def _all(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    name, _, inner = c.item_scope(target, scope)
    ok = as_boolean(c.compile(args[0], inner.focus(inner.this)), "all()")
    failing = ir.keep(
        as_list(target), name, exp.Not(this=exp.Coalesce(this=ok, expressions=[ir.lit(False)]))
    )
    return scalar(exp.EQ(this=ir.size(failing), expression=ir.lit(0)), "boolean")


def _iif(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    condition = as_boolean(c.compile(args[0], scope), "iif() criterion")
    yes = c.resolve(c.compile(args[1], scope))
    no = c.resolve(c.compile(args[2], scope)) if len(args) > 2 else None
    if yes.many or (no is not None and no.many):
        other = as_list(no) if no is not None else ir.empty_list()
        return listed(ir.case([(condition, as_list(yes))], other), yes.type)
    return scalar(ir.case([(condition, yes.sql)], no.sql if no is not None else None), yes.type)


def _distinct(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    if not target.is_list:
        return target
    return listed(exp.ArrayDistinct(this=target.sql), target.type, target.many)


def _text(target: Value, what: str) -> exp.Expression:
    return text_of_scalar(as_scalar(target, what), target.type)


def _to_string(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(_text(target, "toString()"), "string")


def _to_integer(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(ir.cast(_text(target, "toInteger()"), "BIGINT", safe=True), "integer")


def _to_decimal(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(ir.cast(_text(target, "toDecimal()"), "DOUBLE", safe=True), "decimal")


def _starts_with(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    prefix = _string_arg(c, args[0], scope, "startsWith() prefix")
    return scalar(exp.StartsWith(this=_text(target, "startsWith()"), expression=prefix), "boolean")


def _contains(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    part = _string_arg(c, args[0], scope, "contains() substring")
    found = exp.StrPosition(this=_text(target, "contains()"), substr=part)
    return scalar(exp.GT(this=found, expression=ir.lit(0)), "boolean")


def _lower(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(exp.Lower(this=_text(target, "lower()")), "string")


def _upper(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(exp.Upper(this=_text(target, "upper()")), "string")


def _length(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return scalar(exp.Length(this=_text(target, "length()")), "integer")


def _substring(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    start = as_scalar(c.compile(args[0], scope), "substring() start")
    length = as_scalar(c.compile(args[1], scope), "substring() length") if len(args) > 1 else None
    one_based = exp.Add(this=start, expression=ir.lit(1))
    part = exp.Substring(this=_text(target, "substring()"), start=one_based, length=length)
    return scalar(part, "string")


def _low(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return boundaries.boundary(c, target, low=True)


def _high(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    return boundaries.boundary(c, target, low=False)


def _duration_in(c: Compiler, target: Value, args: Args, scope: Scope) -> Value:
    unit = args[0]
    if not (isinstance(unit, ast.Literal) and unit.kind == "string"):
        raise Incorrect("durationIn() needs a unit literal such as 'hours'")
    return boundaries.duration_in(c, target, unit.text)


def _table(*functions: Function) -> Mapping[str, Function]:
    return {f.name: f for f in functions}


FUNCTIONS: Mapping[str, Function] = _table(
    Function("where", 1, 1, _where),
    Function("exists", 0, 1, _exists),
    Function("empty", 0, 0, _empty),
    Function("count", 0, 0, _count),
    Function("first", 0, 0, _first),
    Function("last", 0, 0, _last),
    Function("not", 0, 0, _not),
    Function("join", 0, 1, _join),
    Function("ofType", 1, 1, _of_type),
    Function("extension", 1, 1, _extension),
    Function("getResourceKey", 0, 0, _resource_key),
    Function("getReferenceKey", 0, 1, _reference_key),
    Function("lowBoundary", 0, 0, _low),
    Function("highBoundary", 0, 0, _high),
    Function("select", 1, 1, _select),
    Function("all", 1, 1, _all),
    Function("iif", 2, 3, _iif),
    Function("distinct", 0, 0, _distinct),
    Function("toString", 0, 0, _to_string),
    Function("toInteger", 0, 0, _to_integer),
    Function("toDecimal", 0, 0, _to_decimal),
    Function("startsWith", 1, 1, _starts_with),
    Function("contains", 1, 1, _contains),
    Function("lower", 0, 0, _lower),
    Function("upper", 0, 0, _upper),
    Function("length", 0, 0, _length),
    Function("substring", 1, 2, _substring),
    Function("durationIn", 1, 1, _duration_in, standard=False),
)
"""Every function a view path may call, by name."""


def call(compiler: Compiler, node: ast.Call, target: Value, scope: Scope) -> Value:
    """Compile ``target.name(args)``.

    Raises:
        Incorrect: unknown function (with a suggestion) or wrong number of arguments.
    """
    function = FUNCTIONS.get(node.name)
    if function is None:
        raise Incorrect(f"unknown function '{node.name}()'." + did_you_mean(node.name, FUNCTIONS))
    count = len(node.args)
    if not function.min_args <= count <= function.max_args:
        wanted = (
            str(function.min_args)
            if function.min_args == function.max_args
            else f"{function.min_args} to {function.max_args}"
        )
        raise Incorrect(f"{node.name}() takes {wanted} arguments, not {count}")
    if node.name not in ("ofType", "iif", "getReferenceKey"):
        target = compiler.resolve(target)
    return function.handler(compiler, target, node.args, scope)


def type_operator(compiler: Compiler, node: ast.Node, scope: Scope) -> Value:
    """Compile ``x is T`` (a boolean) and ``x as T`` (the value if it is a T)."""
    assert isinstance(node, ast.TypeOp)
    operand = compiler.compile(node.operand, scope)
    type_name = node.type_name.removeprefix("FHIR.")
    narrowed = compiler.of_type(operand, type_name)
    if node.op == "as":
        return narrowed
    return scalar(exists(narrowed), "boolean")
