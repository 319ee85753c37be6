"""Semantic rules of a ViewDefinition, one pure function per rule.

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/processing_model.html#validate-columns

Each rule takes a parsed :class:`~carehub.warehouse.viewdef.model.ViewDefinition`
and returns the :class:`~carehub.errors.Issue` objects it finds, each naming
the JSON path of the element at fault. :func:`validate` runs :data:`RULES`
(or the caller's ``rules=``) and raises when any rule complains. FHIRPath
problems (unknown functions and elements, non-boolean ``where``, collections
in single-valued columns) are found when the paths are compiled
(:mod:`carehub.warehouse.compiler`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from carehub.errors import Incorrect, Issue, did_you_mean
from carehub.fhir_model.definitions import definitions
from carehub.warehouse.viewdef.model import Column, Select, ViewDefinition

Rule = Callable[[ViewDefinition], list[Issue]]
"""A validation rule: a view in, the problems found out."""


def _issue(json_path: str, message: str, code: str = "invalid") -> Issue:
    where = json_path or "ViewDefinition"
    return Issue("error", code, f"{where}: {message}", (where,))


def known_resource_type(view: ViewDefinition) -> list[Issue]:
    """``resource`` names an R4 resource type.

    >>> from carehub.warehouse.viewdef.model import parse_view
    >>> columns = [{"name": "a", "path": "id"}]
    >>> v = parse_view({"resource": "Patinet", "select": [{"column": columns}]})
    >>> known_resource_type(v)[0].diagnostics
    "resource: 'Patinet' is not an R4 resource type. Did you mean 'Patient'?"
    """
    defs = definitions()
    if defs.is_resource_type(view.resource):
        return []
    hint = did_you_mean(view.resource, defs.resource_types())
    return [_issue("resource", f"'{view.resource}' is not an R4 resource type.{hint}")]


def unique_constants(view: ViewDefinition) -> list[Issue]:
    """Constant names are unique."""
    seen: set[str] = set()
    issues = []
    for constant in view.constants:
        if constant.name in seen:
            issues.append(
                _issue(constant.json_path, f"constant '{constant.name}' is defined twice")
            )
        seen.add(constant.name)
    return issues


def output_columns(select: Select, issues: list[Issue] | None = None) -> list[Column]:
    """The columns ``select`` produces, in output order (ValidateColumns of the spec).

    Columns of the select come first, then those of nested selects, then those
    of the first ``unionAll`` branch. Duplicate names and union branches with
    different column names are reported into ``issues``.
    """
    found = issues if issues is not None else []
    out: list[Column] = []
    names: dict[str, Column] = {}

    def add(column: Column) -> None:
        if column.name in names:
            first = names[column.name].json_path
            found.append(
                _issue(column.json_path, f"column '{column.name}' is already defined at {first}")
            )
            return
        names[column.name] = column
        out.append(column)

    for column in select.column:
        add(column)
    for child in select.select:
        for column in output_columns(child, found):
            add(column)
    if select.union_all:
        branches = [output_columns(branch, found) for branch in select.union_all]
        first_names = [c.name for c in branches[0]]
        for branch, columns in zip(select.union_all[1:], branches[1:], strict=True):
            got = [c.name for c in columns]
            if got != first_names:
                found.append(
                    _issue(
                        branch.json_path,
                        f"unionAll branch has columns {got}, but the first branch has "
                        f"{first_names} (names and order must match)",
                    )
                )
        for column in branches[0]:
            add(column)
    return out


def columns_are_consistent(view: ViewDefinition) -> list[Issue]:
    """Column names are unique across the view and union branches agree."""
    issues: list[Issue] = []
    output_columns(view.root, issues)
    return issues


RULES: tuple[Rule, ...] = (known_resource_type, unique_constants, columns_are_consistent)
"""The rules :func:`validate` applies, in order."""


def validate(view: ViewDefinition, rules: Sequence[Rule] = RULES) -> ViewDefinition:
    """Apply ``rules`` to ``view``; return it unchanged when every rule passes.

    Raises:
        Incorrect: one issue per problem, each with its JSON path.
    """
    issues = [issue for rule in rules for issue in rule(view)]
    if issues:
        more = f" (and {len(issues) - 1} more problems)" if len(issues) > 1 else ""
        raise Incorrect(issues[0].diagnostics + more, issues=issues)
    return view
