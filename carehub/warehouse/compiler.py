"""Compile a ViewDefinition to the warehouse IR (one SQL tree for every engine).

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/processing_model.html

Each selection structure becomes a list of row structs per resource:
``forEach`` maps its collection to rows (``%rowIndex`` is the item's
position), ``forEachOrNull`` falls back to rows computed over an empty focus,
``repeat`` walks its paths depth-first, sibling selects are cross-joined
(nested list lambdas) and ``unionAll`` concatenates. Rows that cannot repeat
(plain columns) are kept as scalars, so a view without iteration becomes a
plain projection and the query only explodes what iterates. Struct fields are
named ``c0``, ``c1``... after the output column positions.

:func:`compile_view` parses, validates and compiles; every error names the
JSON path of the element at fault (``select[0].column[1].path: ...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from carehub.errors import Incorrect
from carehub.fhir_model.definitions import definitions
from carehub.warehouse import ir
from carehub.warehouse.fhirpath.compile import Compiler, FhirPathError, Scope
from carehub.warehouse.fhirpath.parser import parse
from carehub.warehouse.fhirpath.types import ANY, NOTHING, TypeSystem, sql_type
from carehub.warehouse.fhirpath.values import Value, as_boolean, as_list, as_scalar, scalar
from carehub.warehouse.viewdef.model import Column, Select, ViewDefinition, parse_view
from carehub.warehouse.viewdef.validate import output_columns, validate

KEY_DESCRIPTION = "Id of the resource the row comes from (used by incremental refresh)."
"""Description of the key column :func:`compile_view` adds on request."""

DEFAULT_REPEAT_DEPTH = 10
"""How deep ``repeat`` follows its paths; deeper data fails the query instead of being cut."""


@dataclass(slots=True)
class Rows:
    """The rows of a selection structure for one focus, before they are multiplied out.

    ``fields`` hold the columns that have exactly one value per focus;
    ``lists`` are lists of row structs (each with its field names) to be
    cross-joined with each other and with ``fields``.
    """

    fields: dict[str, exp.Expression] = field(default_factory=dict)
    lists: list[tuple[exp.Expression, list[str]]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Every field name the rows carry."""
        return list(self.fields) + [n for _, names in self.lists for n in names]


def _order(name: str) -> int:
    return int(name[1:])


class ViewCompiler:
    """Compiles one validated ViewDefinition.

    Args:
        view: the view, already validated.
        types: the FHIR type system.
        repeat_depth: the depth limit of ``repeat``.
        key_column: when set, an extra last column of that name holds each row's resource id.
    """

    def __init__(
        self,
        view: ViewDefinition,
        types: TypeSystem,
        repeat_depth: int = DEFAULT_REPEAT_DEPTH,
        key_column: str | None = None,
    ) -> None:
        self.view = view
        self.key_column = key_column
        self.paths = Compiler(types, {c.name: c for c in view.constants})
        self.repeat_depth = repeat_depth
        columns = output_columns(view.root)
        self.slot = {c.name: f"c{i}" for i, c in enumerate(columns)}
        self.order = [c.name for c in columns]
        self.out: dict[str, ir.OutputColumn] = {}

    # ----------------------------------------------------------------- paths

    def path(self, text: str, scope: Scope, json_path: str) -> Value:
        """Parse and compile one FHIRPath expression of the view."""
        try:
            return self.paths.resolve(self.paths.compile(parse(text), scope))
        except Incorrect as exc:
            raise Incorrect(f"{json_path}: {exc.message}", expression=json_path) from None

    def column(self, column: Column, scope: Scope) -> exp.Expression:
        """The SQL value of one column, cast to its output type."""
        where = f"{column.json_path}.path"
        value = self.path(column.path, scope, where)
        declared = column.type
        if declared is not None and not self.paths.types.known(declared):
            raise Incorrect(f"{column.json_path}.type: unknown FHIR type '{declared}'")
        fhir_type = declared or (value.type if value.type not in (ANY, NOTHING) else "string")
        if column.collection is False and value.many:
            raise Incorrect(
                f"{where}: '{column.path}' may return several values; "
                "set collection: true or pick one value (e.g. with first())",
                expression=where,
            )
        element_type = sql_type(fhir_type)
        known = self.out.get(column.name)
        if column.collection:
            target = known.sql_type if known else f"ARRAY<{element_type}>"
            inner = target[len("ARRAY<") : -1]
            items = as_list(value)
            if inner != "VARCHAR":
                name = self.paths.fresh()
                items = ir.transform(items, name, ir.cast(ir.var(name), inner, safe=True))
            sql: exp.Expression = items
        else:
            target = known.sql_type if known else element_type
            sql = as_scalar(value, f"column '{column.name}'")
            value_type = sql_type(value.type) if value.type not in (ANY, NOTHING) else "VARCHAR"
            if value_type != target or value.is_empty_literal:
                sql = ir.cast(sql, target, safe=value_type == "VARCHAR")
        if known is None:
            self.out[column.name] = ir.OutputColumn(
                column.name, target, fhir_type, bool(column.collection), column.description
            )
        return sql

    # ----------------------------------------------------------------- rows

    def rows(self, select: Select, scope: Scope) -> Rows:
        """The rows of ``select`` for the focus of ``scope``."""
        if not select.iterates:
            return self.body(select, scope)
        if select.repeat:
            items = self.repeat(select, scope)
            nullable = False
        else:
            text = select.for_each or select.for_each_or_null or ""
            key = "forEach" if select.for_each else "forEachOrNull"
            items = self.path(text, scope, f"{select.json_path}.{key}")
            nullable = select.for_each_or_null is not None
        listed = as_list(items)
        name, index = self.paths.fresh(), self.paths.fresh()
        item = scalar(ir.var(name), items.type)
        position = ir.LambdaIndex(this=ir.var(index))
        inner = self.body(select, Scope(item, scope.resource, position))
        names = inner.names
        if inner.lists:
            produced = ir.flatten(ir.transform(listed, name, self.materialize(inner), index))
        else:
            produced = ir.transform(listed, name, self.struct(inner, []), index)
        if nullable:
            produced = ir.case(
                [
                    (
                        exp.EQ(this=ir.size(listed), expression=ir.lit(0)),
                        self.empty_focus(select, scope, items.type),
                    )
                ],
                produced,
            )
        return Rows(lists=[(produced, names)])

    def empty_focus(self, select: Select, scope: Scope, item_type: str) -> exp.Expression:
        """``forEachOrNull`` rows when there is nothing to iterate: the body over an empty focus.

        When even that produces no row, one row of NULLs is produced instead.
        """
        nothing = Value(ir.null("VARCHAR"), item_type)
        inner = self.body(select, Scope(nothing, scope.resource, ir.lit(0)))
        rows = self.materialize(inner)
        if not inner.lists:
            return rows
        nulls = ir.list_of(
            ir.struct([(n, ir.null(self.sql_type_of(n))) for n in self.sorted(inner.names)])
        )
        return ir.case([(exp.EQ(this=ir.size(rows), expression=ir.lit(0)), nulls)], rows)

    def sql_type_of(self, slot: str) -> str:
        return self.out[self.order[_order(slot)]].sql_type

    def sorted(self, names: list[str]) -> list[str]:
        return sorted(names, key=_order)

    def body(self, select: Select, scope: Scope) -> Rows:
        """Columns, nested selects and the union of ``select`` over one focus."""
        rows = Rows()
        for column in select.column:
            rows.fields[self.slot[column.name]] = self.column(column, scope)
        for child in select.select:
            part = self.rows(child, scope)
            rows.fields.update(part.fields)
            rows.lists.extend(part.lists)
        if select.union_all:
            branches = [self.rows(branch, scope) for branch in select.union_all]
            lists = [self.materialize(b) for b in branches]
            rows.lists.append((ir.concat(lists), self.sorted(branches[0].names)))
        return rows

    def struct(self, rows: Rows, params: list[str]) -> exp.Expression:
        """One row struct: the scalar fields and the fields of each list's current item."""
        bound: dict[str, exp.Expression] = dict(rows.fields)
        for (_, part_names), param in zip(rows.lists, params, strict=True):
            for n in part_names:
                bound[n] = ir.field(ir.var(param), n)
        return ir.struct([(n, bound[n]) for n in self.sorted(rows.names)])

    def materialize(self, rows: Rows) -> exp.Expression:
        """All rows as one list of structs (the cross product of the parts)."""
        if not rows.fields and len(rows.lists) == 1:
            return rows.lists[0][0]
        params = [self.paths.fresh() for _ in rows.lists]
        result = self.struct(rows, params)
        if not rows.lists:
            return ir.list_of(result)
        pairs = list(zip(rows.lists, params, strict=True))
        for depth, ((items, _), param) in enumerate(reversed(pairs)):
            result = ir.transform(items, param, result)
            if depth > 0:
                result = ir.flatten(result)
        return result

    def repeat(self, select: Select, scope: Scope) -> Value:
        """The items ``repeat`` reaches from the focus, depth first, as one list."""
        where = f"{select.json_path}.repeat"

        def children(focus: Value) -> tuple[exp.Expression, str | None]:
            # Each path is applied to every node reached; one that does not fit a
            # node's type (``answer.item`` on the resource itself) finds nothing there.
            lists, kinds = [], []
            for i, text in enumerate(select.repeat):
                try:
                    got = self.path(text, scope.focus(focus), f"{where}[{i}]")
                except Incorrect:
                    continue
                lists.append(as_list(got))
                kinds.append(got.type)
            if not lists:
                return ir.empty_list(), None
            return ir.concat(lists), kinds[0]

        def expand(focus: Value, depth: int) -> tuple[exp.Expression, str]:
            found, kind = children(focus)
            if kind is None:
                return found, NOTHING
            if depth == 0:
                too_deep = exp.GT(this=ir.size(found), expression=ir.lit(0))
                message = f"{where}: data nests deeper than {self.repeat_depth} levels"
                return ir.case([(too_deep, ir.Fail(this=ir.lit(message)))], ir.empty_list()), kind
            name = self.paths.fresh()
            below, _ = expand(scalar(ir.var(name), kind), depth - 1)
            each = ir.concat([ir.list_of(ir.var(name)), below])
            return ir.flatten(ir.transform(found, name, each)), kind

        walked, kind = expand(scope.this, self.repeat_depth)
        return Value(walked, kind, many=True, is_list=True)

    # ----------------------------------------------------------------- view

    def compile(self) -> ir.CompiledView:
        """The compiled view."""
        view = self.view
        source = exp.column("resource", table="r")
        root = scalar(source, view.resource)
        scope = Scope(root, root, ir.lit(0))
        conditions: list[exp.Expression] = [
            exp.EQ(this=exp.column("resource_type", table="r"), expression=ir.lit(view.resource))
        ]
        for where in view.where:
            value = self.path(where.path, scope, where.json_path)
            if value.type not in ("boolean", ANY):
                raise Incorrect(
                    f"{where.json_path}: a where path must return a boolean, "
                    f"but '{where.path}' returns {value.type}",
                    expression=where.json_path,
                )
            test = as_boolean(value, where.json_path)
            conditions.append(exp.Coalesce(this=test, expressions=[ir.lit(False)]))
        rows = self.rows(view.root, scope)
        columns = tuple(self.out[name] for name in self.order)
        if self.key_column:
            if self.key_column in self.out:
                raise Incorrect(f"the view already has a column named '{self.key_column}'")
            key = ir.OutputColumn(self.key_column, "VARCHAR", "id", False, KEY_DESCRIPTION)
            columns = (*columns, key)
        return ir.CompiledView(
            name=view.name or view.resource.lower(),
            resource=view.resource,
            columns=columns,
            query=self.query(rows, conditions),
        )

    def query(self, rows: Rows, conditions: list[exp.Expression]) -> exp.Select:
        """``SELECT`` the output columns; explode only the parts that repeat.

        With a key column, each row also carries the ``id`` of its resource.
        """
        table = exp.Table(
            this=exp.to_identifier(ir.SOURCE), alias=exp.TableAlias(this=exp.to_identifier("r"))
        )
        where = exp.and_(*conditions)
        fields = dict(rows.fields)
        slots = [self.slot[n] for n in self.order]
        names = list(self.order)
        if self.key_column:
            fields["key_"] = exp.column("id", table="r")
            slots.append("key_")
            names.append(self.key_column)
        if not rows.lists:
            outputs = [
                exp.alias_(fields[s], n, quoted=True) for s, n in zip(slots, names, strict=True)
            ]
            return exp.select(*outputs).from_(table).where(where)
        inner_items: list[exp.Expr] = [exp.alias_(v, s) for s, v in fields.items()]
        exploded = exp.Explode(this=self.materialize(Rows(lists=rows.lists)))
        inner_items.append(exp.alias_(exploded, "row_"))
        inner = exp.select(*inner_items).from_(table).where(where)
        outer = []
        for slot, name in zip(slots, names, strict=True):
            ref = (
                exp.column(slot, table="u")
                if slot in fields
                else ir.field(exp.column("row_", table="u"), slot)
            )
            outer.append(exp.alias_(ref, name, quoted=True))
        return exp.select(*outer).from_(exp.alias_(exp.Subquery(this=inner), "u"))


def compile_view(
    view: ViewDefinition | Mapping[str, Any],
    *,
    repeat_depth: int = DEFAULT_REPEAT_DEPTH,
    key_column: str | None = None,
) -> ir.CompiledView:
    """Parse (when given JSON), validate and compile a ViewDefinition.

    Args:
        view: the ViewDefinition, parsed or as JSON.
        repeat_depth: how deep ``repeat`` may go before the query fails.
        key_column: add a last column of this name with each row's resource id.

    Raises:
        Incorrect: the view is malformed or a path cannot be compiled; the
            message starts with the JSON path of the element at fault.

    >>> compiled = compile_view({"resource": "Patient", "select": [{"column": [
    ...     {"name": "id", "path": "id"}, {"name": "family", "path": "name.family.first()"}]}]})
    >>> [(c.name, c.sql_type) for c in compiled.columns]
    [('id', 'VARCHAR'), ('family', 'VARCHAR')]
    """
    parsed = view if isinstance(view, ViewDefinition) else parse_view(view)
    validate(parsed)
    try:
        types = TypeSystem(definitions())
        return ViewCompiler(parsed, types, repeat_depth, key_column).compile()
    except FhirPathError as exc:
        raise Incorrect(exc.message) from None
