"""Compiled FHIRPath values: SQL for a collection, with its static type and shape.

https://hl7.org/fhirpath/N1/#collections

Every FHIRPath expression yields a collection. The compiler keeps one of two
SQL shapes for it:

* a *list* of item texts (:mod:`carehub.warehouse.ir`), for anything that may
  hold several items;
* a *scalar*, NULL when empty, for what holds at most one item: a primitive
  is its typed SQL value (BOOLEAN, BIGINT, DOUBLE, VARCHAR), a complex value
  its JSON text.

:func:`as_list`, :func:`as_scalar` and :func:`as_boolean` convert between
them; a choice element read without ``ofType`` stays unresolved
(:attr:`Value.choices`) until the compiler knows which type is wanted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlglot import exp

from carehub.warehouse import ir
from carehub.warehouse.fhirpath.types import ANY, is_primitive, sql_type


@dataclass(frozen=True, slots=True)
class Value:
    """A compiled FHIRPath collection.

    Attributes:
        sql: the SQL expression (a list, or a scalar; see ``is_list``).
        type: the FHIR type of the items (:data:`~carehub.warehouse.fhirpath.types.ANY`
            when unknown).
        many: whether the collection may hold more than one item.
        is_list: the SQL shape.
        choices: for an unresolved choice element, the candidate types; ``sql``
            is then the parent's value and ``stem`` the JSON key stem.
        stem: the choice element's key stem (``value`` for ``value[x]``).
        parent: the value the choice element was read from.
    """

    sql: exp.Expression
    type: str
    many: bool = False
    is_list: bool = False
    choices: tuple[str, ...] = ()
    stem: str = ""
    parent: Value | None = field(default=None, compare=False)

    @property
    def is_empty_literal(self) -> bool:
        """Whether the value is the literal empty collection ``{}``."""
        return isinstance(self.sql, exp.Null) and not self.is_list


EMPTY = Value(exp.Null(), ANY)
"""The empty collection ``{}``."""


def scalar_of_text(text: exp.Expression, fhir_type: str) -> exp.Expression:
    """Turn an item text into the scalar SQL value of ``fhir_type``."""
    target = sql_type(fhir_type) if is_primitive(fhir_type) else "VARCHAR"
    if target == "VARCHAR":
        return text
    return ir.cast(text, target, safe=True)


def text_of_scalar(value: exp.Expression, fhir_type: str) -> exp.Expression:
    """Turn a scalar SQL value back into its item text."""
    if is_primitive(fhir_type) and sql_type(fhir_type) != "VARCHAR":
        return ir.cast(value, "VARCHAR")
    return value


def as_list(value: Value) -> exp.Expression:
    """The value as a list of item texts."""
    if value.is_list:
        return value.sql
    if value.is_empty_literal:
        return ir.empty_list()
    return ir.case(
        [(exp.Is(this=value.sql, expression=exp.Null()), ir.empty_list())],
        ir.list_of(text_of_scalar(value.sql, value.type)),
    )


def as_scalar(value: Value, context: str = "", *, check: bool = True) -> exp.Expression:
    """The value's single item as a scalar (NULL when empty).

    With ``check``, a value that may hold several items fails at run time
    when it does, naming ``context`` in the message, as FHIRPath's singleton
    evaluation requires.
    """
    if not value.is_list:
        return value.sql
    first = scalar_of_text(ir.item(value.sql, 0), value.type)
    if not (check and value.many):
        return first
    message = f"{context or 'expression'} returned more than one value"
    return ir.case(
        [(exp.GT(this=ir.size(value.sql), expression=ir.lit(1)), ir.Fail(this=ir.lit(message)))],
        first,
    )


def as_boolean(value: Value, context: str = "") -> exp.Expression:
    """The value in a boolean context: a boolean's value, else whether it has an item.

    https://hl7.org/fhirpath/N1/#singleton-evaluation-of-collections
    """
    if value.is_empty_literal:
        return exp.Null()
    if value.type == "boolean":
        return as_scalar(value, context)
    if value.is_list:
        return exp.GT(this=ir.size(value.sql), expression=ir.lit(0))
    return exp.Not(this=exp.Is(this=value.sql, expression=exp.Null()))


def exists(value: Value) -> exp.Expression:
    """Whether the collection has at least one item (never NULL)."""
    if value.is_empty_literal:
        return ir.lit(False)
    if value.is_list:
        return exp.GT(this=ir.size(value.sql), expression=ir.lit(0))
    return exp.Not(this=exp.Is(this=value.sql, expression=exp.Null()))


def scalar(sql: exp.Expression, fhir_type: str) -> Value:
    """A single-item value."""
    return Value(sql, fhir_type)


def listed(sql: exp.Expression, fhir_type: str, many: bool = True) -> Value:
    """A list-shaped value."""
    return Value(sql, fhir_type, many=many, is_list=True)


def retype(value: Value, fhir_type: str) -> Value:
    """The same collection with another static type."""
    return replace(value, type=fhir_type)
