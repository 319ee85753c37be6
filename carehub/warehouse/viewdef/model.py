"""The ViewDefinition logical model of SQL-on-FHIR v2, read from its JSON form.

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/StructureDefinition-ViewDefinition.html

:func:`parse_view` checks the *shape* of a ViewDefinition (required elements,
element types, one ``value[x]`` per constant, at most one of
``forEach``/``forEachOrNull``/``repeat`` per select) and returns immutable
objects that remember where in the JSON they came from (``json_path``, e.g.
``select[0].column[1]``), so every later error can name the element at fault.
Semantic rules (column names, unions, FHIRPath) live in
:mod:`carehub.warehouse.viewdef.validate`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Incorrect, IssueList

COLUMN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
"""Column and constant names must be database-friendly (SQL-on-FHIR ``sql-name`` rule)."""

CONSTANT_TYPES: Mapping[str, str] = {
    "valueBase64Binary": "base64Binary",
    "valueBoolean": "boolean",
    "valueCanonical": "canonical",
    "valueCode": "code",
    "valueDate": "date",
    "valueDateTime": "dateTime",
    "valueDecimal": "decimal",
    "valueId": "id",
    "valueInstant": "instant",
    "valueInteger": "integer",
    "valueInteger64": "integer64",
    "valueOid": "oid",
    "valueString": "string",
    "valuePositiveInt": "positiveInt",
    "valueTime": "time",
    "valueUnsignedInt": "unsignedInt",
    "valueUri": "uri",
    "valueUrl": "url",
    "valueUuid": "uuid",
}
"""The ``constant.value[x]`` keys a ViewDefinition may use, and the FHIR type of each."""


@dataclass(frozen=True, slots=True)
class Constant:
    """A named value usable as ``%name`` in every path of the view."""

    name: str
    type: str
    value: str | bool | int | float
    json_path: str


@dataclass(frozen=True, slots=True)
class Tag:
    """A column tag, e.g. ``ansi/type`` = ``DATE``."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Column:
    """One output column: ``path`` evaluated against the select's focus."""

    name: str
    path: str
    json_path: str
    type: str | None = None
    collection: bool | None = None
    description: str | None = None
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True, slots=True)
class Select:
    """A selection structure: columns, nested selects and a union, over an optional iteration.

    At most one of ``for_each``, ``for_each_or_null`` and ``repeat`` is set.
    """

    json_path: str
    column: tuple[Column, ...] = ()
    select: tuple[Select, ...] = ()
    union_all: tuple[Select, ...] = ()
    for_each: str | None = None
    for_each_or_null: str | None = None
    repeat: tuple[str, ...] = ()

    @property
    def iterates(self) -> bool:
        """Whether the select produces a row per item of a collection."""
        return bool(self.for_each or self.for_each_or_null or self.repeat)


@dataclass(frozen=True, slots=True)
class Where:
    """A filter on resources: ``path`` must evaluate to ``true``."""

    path: str
    json_path: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ViewDefinition:
    """A parsed ViewDefinition; ``raw`` is the JSON it was read from."""

    resource: str
    select: tuple[Select, ...]
    name: str | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = None
    where: tuple[Where, ...] = ()
    constants: tuple[Constant, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def root(self) -> Select:
        """The view's top-level selects as one selection structure (no columns of its own)."""
        return Select(json_path="", select=self.select)


class _Reader:
    """Reads JSON elements, recording every shape problem with its JSON path."""

    def __init__(self) -> None:
        self.issues = IssueList()

    def fail(self, path: str, message: str, code: str = "structure") -> None:
        self.issues.add(code, f"{path or 'ViewDefinition'}: {message}", path or "ViewDefinition")

    def text(self, obj: Mapping[str, Any], key: str, path: str, required: bool = False) -> Any:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(_join(path, key), "is required", "required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(_join(path, key), f"must be a non-empty string, not {value!r}")
            return None
        return value

    def items(self, obj: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(_join(path, key), "must be an array")
            return []
        return [(f"{_join(path, key)}[{i}]", item) for i, item in enumerate(value)]

    def obj(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object")
            return None
        return value

    def constant(self, raw: Any, path: str) -> Constant | None:
        obj = self.obj(raw, path)
        if obj is None:
            return None
        name = self.text(obj, "name", path, required=True)
        if name is not None and not COLUMN_NAME.match(name):
            self.fail(_join(path, "name"), f"'{name}' is not a valid constant name")
        keys = [k for k in obj if k.startswith("value")]
        if len(keys) != 1 or keys[0] not in CONSTANT_TYPES:
            found = ", ".join(keys) or "none"
            self.fail(path, f"needs exactly one supported value[x] element (found: {found})")
            return None
        value = obj[keys[0]]
        fhir_type = CONSTANT_TYPES[keys[0]]
        if not _value_fits(fhir_type, value):
            self.fail(_join(path, keys[0]), f"{value!r} is not a valid {fhir_type}")
            return None
        return Constant(name, fhir_type, value, path) if name else None

    def column(self, raw: Any, path: str) -> Column | None:
        obj = self.obj(raw, path)
        if obj is None:
            return None
        name = self.text(obj, "name", path, required=True)
        expr = self.text(obj, "path", path, required=True)
        if name is not None and not COLUMN_NAME.match(name):
            self.fail(_join(path, "name"), f"'{name}' is not a database-friendly column name")
        col_type = self.text(obj, "type", path)
        collection = obj.get("collection")
        if collection is not None and not isinstance(collection, bool):
            self.fail(_join(path, "collection"), "must be true or false")
            collection = None
        tags: list[Tag] = []
        for tag_path, tag in self.items(obj, "tag", path):
            tag_obj = self.obj(tag, tag_path)
            if tag_obj is not None:
                tag_name = self.text(tag_obj, "name", tag_path, required=True)
                tag_value = self.text(tag_obj, "value", tag_path, required=True)
                if tag_name and tag_value:
                    tags.append(Tag(tag_name, tag_value))
        if name is None or expr is None:
            return None
        description = obj.get("description")
        return Column(
            name=name,
            path=expr,
            json_path=path,
            type=col_type,
            collection=collection,
            description=description if isinstance(description, str) else None,
            tags=tuple(tags),
        )

    def select(self, raw: Any, path: str) -> Select | None:
        obj = self.obj(raw, path)
        if obj is None:
            return None
        columns = [self.column(c, p) for p, c in self.items(obj, "column", path)]
        selects = [self.select(s, p) for p, s in self.items(obj, "select", path)]
        unions = [self.select(s, p) for p, s in self.items(obj, "unionAll", path)]
        for_each = self.text(obj, "forEach", path)
        for_each_or_null = self.text(obj, "forEachOrNull", path)
        repeat: list[str] = []
        for item_path, item in self.items(obj, "repeat", path):
            if isinstance(item, str) and item.strip():
                repeat.append(item)
            else:
                self.fail(item_path, f"must be a non-empty string, not {item!r}")
        if "repeat" in obj and not repeat:
            self.fail(_join(path, "repeat"), "needs at least one path")
        modes = [k for k in ("forEach", "forEachOrNull", "repeat") if obj.get(k) is not None]
        if len(modes) > 1:
            self.fail(path, f"may use only one of forEach, forEachOrNull, repeat (has {modes})")
        if not (columns or selects or unions):
            self.fail(path, "needs at least one of column, select, unionAll", "required")
        if None in columns or None in selects or None in unions:
            return None
        return Select(
            json_path=path,
            column=tuple(c for c in columns if c is not None),
            select=tuple(s for s in selects if s is not None),
            union_all=tuple(u for u in unions if u is not None),
            for_each=for_each,
            for_each_or_null=for_each_or_null,
            repeat=tuple(repeat),
        )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _value_fits(fhir_type: str, value: Any) -> bool:
    if fhir_type == "boolean":
        return isinstance(value, bool)
    if fhir_type in ("integer", "integer64", "positiveInt", "unsignedInt"):
        return isinstance(value, int) and not isinstance(value, bool)
    if fhir_type == "decimal":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def parse_view(raw: Any) -> ViewDefinition:
    """Read a ViewDefinition from its JSON form (a parsed JSON object).

    Raises:
        Incorrect: the JSON is not a well-formed ViewDefinition; one issue per
            problem, each with the JSON path of the offending element.

    >>> view = parse_view({"resource": "Patient",
    ...                    "select": [{"column": [{"name": "id", "path": "id"}]}]})
    >>> view.select[0].column[0].json_path
    'select[0].column[0]'
    >>> parse_view({"resource": "Patient",
    ...             "select": [{"forEach": 1, "column": [{"name": "id", "path": "id"}]}]})
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: select[0].forEach: must be a non-empty string, not 1
    """
    reader = _Reader()
    obj = reader.obj(raw, "")
    if obj is None:
        _raise(reader.issues)
    assert obj is not None
    kind = obj.get("resourceType")
    if kind is not None and kind != "ViewDefinition":
        reader.fail("resourceType", f"must be 'ViewDefinition', not {kind!r}")
    resource = reader.text(obj, "resource", "", required=True)
    selects = [reader.select(s, p) for p, s in reader.items(obj, "select", "")]
    if not selects and "select" not in obj:
        reader.fail("select", "is required", "required")
    elif not selects:
        reader.fail("select", "needs at least one select")
    wheres: list[Where] = []
    for path, item in reader.items(obj, "where", ""):
        where_obj = reader.obj(item, path)
        if where_obj is not None:
            expr = reader.text(where_obj, "path", path, required=True)
            if expr is not None:
                description = where_obj.get("description")
                text = description if isinstance(description, str) else None
                wheres.append(Where(expr, f"{path}.path", text))
    constants = [reader.constant(c, p) for p, c in reader.items(obj, "constant", "")]
    if reader.issues.items:
        _raise(reader.issues)
    return ViewDefinition(
        resource=resource,
        select=tuple(s for s in selects if s is not None),
        name=_optional_text(obj, "name"),
        title=_optional_text(obj, "title"),
        description=_optional_text(obj, "description"),
        status=_optional_text(obj, "status"),
        where=tuple(wheres),
        constants=tuple(c for c in constants if c is not None),
        raw=obj,
    )


def _optional_text(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _raise(issues: IssueList) -> None:
    items: Sequence[Any] = issues.items
    first = items[0].diagnostics if items else "invalid ViewDefinition"
    more = f" (and {len(items) - 1} more problems)" if len(items) > 1 else ""
    raise Incorrect(first + more, issues=items)
