"""Compile FHIRPath syntax trees to the warehouse IR, with static types.

https://hl7.org/fhirpath/N1/#path-selection and
https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/StructureDefinition-ViewDefinition.html#supported-fhirpath-functionality

:class:`Compiler` walks a :mod:`~carehub.warehouse.fhirpath.ast` tree in a
:class:`Scope` (the focus ``$this``, the resource, ``%rowIndex``, the view's
constants) and returns a :class:`~carehub.warehouse.fhirpath.values.Value`.
Member access is checked against the R4 definitions; operators live in
:mod:`~carehub.warehouse.fhirpath.operators`, functions in
:mod:`~carehub.warehouse.fhirpath.functions`.

Raises :class:`FhirPathError` (an :class:`~carehub.errors.Incorrect`) for an
unknown element, function, type or constant, with the offset in the source.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlglot import exp

from carehub.errors import Incorrect, did_you_mean
from carehub.warehouse import ir
from carehub.warehouse.fhirpath import ast
from carehub.warehouse.fhirpath.types import ANY, NOTHING, TypeSystem
from carehub.warehouse.fhirpath.values import (
    EMPTY,
    Value,
    as_list,
    as_scalar,
    listed,
    retype,
    scalar,
    scalar_of_text,
)
from carehub.warehouse.viewdef.model import Constant


class FhirPathError(Incorrect):
    """A FHIRPath expression cannot be compiled; ``pos`` is the offset of the culprit."""

    def __init__(self, message: str, pos: int = 0) -> None:
        super().__init__(f"{message} (at offset {pos})")
        self.pos = pos


@dataclass(frozen=True, slots=True)
class Scope:
    """What a FHIRPath expression is evaluated against.

    Attributes:
        this: the focus (``$this``, and the start of relative paths).
        resource: the resource being viewed (``%resource``, ``getResourceKey()``).
        row_index: ``%rowIndex``, the 0-based position in the enclosing iteration.
        index: ``$index`` inside ``where``/``select``/``exists`` criteria.
    """

    this: Value
    resource: Value
    row_index: exp.Expression
    index: exp.Expression | None = None

    def focus(self, this: Value, index: exp.Expression | None = None) -> Scope:
        """The same scope with another focus."""
        return replace(self, this=this, index=index)


CONTEXT_VARIABLES = ("resource", "rootResource", "context")
"""Environment variables that name the resource being viewed."""


def capitalized(type_name: str) -> str:
    """The JSON key suffix of a choice type (``dateTime`` → ``DateTime``).

    >>> capitalized("dateTime"), capitalized("Quantity")
    ('DateTime', 'Quantity')
    """
    return type_name[:1].upper() + type_name[1:]


class Compiler:
    """Compiles the FHIRPath expressions of one ViewDefinition.

    Args:
        types: the FHIR type system.
        constants: the view's constants by name.
    """

    def __init__(self, types: TypeSystem, constants: Mapping[str, Constant] | None = None) -> None:
        self.types = types
        self.constants = dict(constants or {})
        self._names = itertools.count(1)

    def fresh(self) -> str:
        """A lambda parameter name not used before in this view."""
        return f"x{next(self._names)}"

    # ----------------------------------------------------------------- dispatch

    def compile(self, node: ast.Node, scope: Scope) -> Value:
        """Compile ``node`` in ``scope``.

        Raises:
            FhirPathError: unknown element, function, type or constant.
        """
        from carehub.warehouse.fhirpath import functions, operators

        try:
            if isinstance(node, ast.Literal):
                return literal(node)
            if isinstance(node, ast.Member):
                return self.member_node(node, scope)
            if isinstance(node, ast.Call):
                target = scope.this if node.target is None else self.compile(node.target, scope)
                return functions.call(self, node, target, scope)
            if isinstance(node, ast.Indexer):
                return self.indexer(node, scope)
            if isinstance(node, ast.Variable):
                return self.variable(node, scope)
            if isinstance(node, ast.Binary):
                return operators.binary(self, node, scope)
            if isinstance(node, ast.Unary):
                return operators.unary(self, node, scope)
            return functions.type_operator(self, node, scope)
        except FhirPathError:
            raise
        except Incorrect as exc:
            raise FhirPathError(exc.message, node.pos) from None

    def member_node(self, node: ast.Member, scope: Scope) -> Value:
        if node.target is None:
            root = scope.resource
            if node.name == root.type and scope.this is root:
                return root
            return self.member(scope.this, node.name)
        return self.member(self.compile(node.target, scope), node.name)

    def indexer(self, node: ast.Indexer, scope: Scope) -> Value:
        target = self.resolve(self.compile(node.target, scope))
        index = self.compile(node.index, scope)
        if index.type not in ("integer", "unsignedInt", "positiveInt", "integer64"):
            raise FhirPathError("an index must be an integer", node.index.pos)
        literal_index = None
        if isinstance(node.index, ast.Literal) and node.index.kind == "integer":
            literal_index = int(node.index.text)
        if literal_index is not None:
            direct = ir.json_index(target.sql, literal_index) if target.is_list else None
            if direct is not None:
                return scalar(scalar_of_text(direct, target.type), target.type)
            if not target.is_list and literal_index == 0:
                return target
        if not target.is_list:
            target = listed(as_list(target), target.type, many=False)
        picked = ir.item(target.sql, as_scalar(index, "index"))
        return scalar(scalar_of_text(picked, target.type), target.type)

    def variable(self, node: ast.Variable, scope: Scope) -> Value:
        if not node.external:
            if node.name == "this":
                return scope.this
            if node.name == "index" and scope.index is not None:
                return scalar(scope.index, "integer")
            raise FhirPathError(f"${node.name} is not available here", node.pos)
        if node.name == "rowIndex":
            return scalar(scope.row_index, "integer")
        if node.name in CONTEXT_VARIABLES:
            return scope.resource
        constant = self.constants.get(node.name)
        if constant is None:
            known = [*self.constants, "rowIndex", *CONTEXT_VARIABLES]
            raise FhirPathError(
                f"undefined constant %{node.name}." + did_you_mean(node.name, known), node.pos
            )
        return constant_value(constant)

    # ----------------------------------------------------------------- navigation

    def member(self, value: Value, name: str) -> Value:
        """Navigate to child element ``name`` of every item of ``value``.

        Raises:
            Incorrect: the element does not exist on the value's type.
        """
        value = self.resolve(value)
        if value.is_empty_literal:
            return EMPTY
        if value.type == NOTHING:
            return Value(exp.Null(), NOTHING)
        element = self.types.child(value.type, name)
        if element.choices:
            return Value(
                value.sql,
                element.type,
                many=value.many,
                is_list=value.is_list,
                choices=element.choices,
                stem=name,
                parent=value,
            )
        return self.read(value, name, element.type, element.array)

    def read(self, value: Value, key: str, fhir_type: str, array: bool) -> Value:
        """Read JSON member ``key`` (of type ``fhir_type``) from every item of ``value``."""
        many = value.many or array
        if not value.is_list:
            got = ir.json_get(value.sql, [(key, array)])
            if array:
                return listed(got, fhir_type, many=True)
            return scalar(scalar_of_text(got, fhir_type), fhir_type)
        if isinstance(value.sql, ir.JsonGet):
            return listed(ir.json_get(value.sql, [(key, array)]), fhir_type, many)
        name = self.fresh()
        if array:
            body = ir.json_get(ir.var(name), [(key, True)])
            return listed(ir.flatten(ir.transform(value.sql, name, body)), fhir_type, many)
        values = ir.transform(value.sql, name, ir.json_get(ir.var(name), [(key, False)]))
        other = self.fresh()
        present = exp.Not(this=exp.Is(this=ir.var(other), expression=exp.Null()))
        return listed(ir.keep(values, other, present), fhir_type, many)

    def resolve(self, value: Value) -> Value:
        """Turn an unresolved choice element into the list of whichever value is present."""
        if not value.choices or value.parent is None:
            return value
        parts = [
            as_list(self.read(value.parent, value.stem + capitalized(t), t, False))
            for t in value.choices
        ]
        return listed(ir.concat(parts), ANY, many=value.parent.many)

    def of_type(self, value: Value, type_name: str) -> Value:
        """The items of ``value`` that are of type ``type_name``.

        Raises:
            Incorrect: ``type_name`` is not a FHIR type.
        """
        wanted = self.types.check_type_name(type_name)
        if value.choices and value.parent is not None:
            for candidate in value.choices:
                if self.types.is_a(candidate, wanted):
                    key = value.stem + capitalized(candidate)
                    return retype(self.read(value.parent, key, candidate, False), wanted)
            return Value(exp.Null(), wanted)
        verdict = self.types.is_a(value.type, wanted)
        if verdict is True:
            return retype(value, wanted)
        if verdict is False:
            return Value(exp.Null(), wanted)
        if not self.types.is_resource(wanted):
            return retype(value, wanted)
        items = as_list(value)
        name = self.fresh()
        kind = ir.json_get(ir.var(name), [("resourceType", False)])
        kept = ir.keep(items, name, exp.EQ(this=kind, expression=ir.lit(wanted)))
        return listed(kept, wanted, value.many)

    def item_scope(self, value: Value, scope: Scope) -> tuple[str, str, Scope]:
        """A lambda parameter (and its index parameter) with a scope focused on one item."""
        name, index = self.fresh(), self.fresh()
        item = scalar(scalar_of_text(ir.var(name), value.type), value.type)
        return name, index, scope.focus(item, ir.LambdaIndex(this=ir.var(index)))


def literal(node: ast.Literal) -> Value:
    """The value of a literal.

    >>> literal(ast.Literal("integer", "42")).sql.sql()
    'CAST(42 AS BIGINT)'
    """
    if node.kind == "empty":
        return EMPTY
    if node.kind == "boolean":
        return scalar(ir.lit(node.text == "true"), "boolean")
    if node.kind == "integer":
        return scalar(ir.cast(exp.Literal.number(node.text), "BIGINT"), "integer")
    if node.kind == "decimal":
        return scalar(ir.cast(exp.Literal.number(node.text), "DOUBLE"), "decimal")
    return scalar(ir.lit(node.text), node.kind)


def constant_value(constant: Constant) -> Value:
    """The value of a view constant, typed after its ``value[x]`` key."""
    value = constant.value
    if constant.type in ("integer", "integer64", "positiveInt", "unsignedInt"):
        return scalar(ir.cast(ir.lit(value), "BIGINT"), constant.type)
    if constant.type == "decimal":
        return scalar(ir.cast(ir.lit(value), "DOUBLE"), "decimal")
    return scalar(ir.lit(value), constant.type)
