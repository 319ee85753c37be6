"""``carehub warehouse docs``: the data dictionary of the warehouse, generated.

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/StructureDefinition-ViewDefinition.html

Every table gets a section: what it is, where its rows come from (resource
type and ``where`` filters, or the views a mart combines) and one line per
column with its SQL type, FHIR type, description and the FHIRPath (or SQL)
that fills it. The content comes from the ViewDefinitions and marts
themselves, so the dictionary cannot drift from what ``build`` makes.
:func:`dictionary` collects it; :func:`to_markdown` and :func:`to_html`
render it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from carehub.warehouse.build import KEY_COLUMN, BuildPlan
from carehub.warehouse.compiler import KEY_DESCRIPTION
from carehub.warehouse.marts import REFERENCE_TABLES
from carehub.warehouse.viewdef.model import Column, Select


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    """One column in the dictionary."""

    name: str
    sql_type: str
    fhir_type: str
    description: str
    source: str


@dataclass(frozen=True, slots=True)
class TableDoc:
    """One table in the dictionary."""

    name: str
    kind: str
    title: str
    description: str
    origin: str
    columns: tuple[ColumnDoc, ...]


def _paths(select: Select) -> dict[str, str]:
    """Column name → the FHIRPath that fills it, prefixed by the iteration it sits in."""
    out: dict[str, str] = {}

    def walk(node: Select, prefix: str) -> None:
        here = prefix
        if node.for_each:
            here = f"{prefix}forEach {node.for_each} → "
        elif node.for_each_or_null:
            here = f"{prefix}forEachOrNull {node.for_each_or_null} → "
        elif node.repeat:
            here = f"{prefix}repeat {', '.join(node.repeat)} → "
        for column in node.column:
            out.setdefault(column.name, here + column.path)
        for child in (*node.select, *node.union_all):
            walk(child, here)

    walk(select, "")
    return out


def _all_columns(select: Select) -> list[Column]:
    """Every column of ``select`` and below, union branches included (a branch may
    carry the description the first branch lacks)."""
    out = list(select.column)
    for child in (*select.select, *select.union_all):
        out.extend(_all_columns(child))
    return out


def dictionary(plan: BuildPlan) -> list[TableDoc]:
    """The dictionary of every table ``plan`` builds: views, marts and reference tables."""
    docs: list[TableDoc] = []
    for planned in plan.views:
        view = planned.view
        paths = _paths(view.root)
        described: dict[str, str] = {}
        for column in _all_columns(view.root):
            if column.description and column.name not in described:
                described[column.name] = column.description
        columns = []
        for out in planned.compiled.columns:
            if out.name == KEY_COLUMN:
                columns.append(
                    ColumnDoc(out.name, out.sql_type, out.fhir_type, KEY_DESCRIPTION, "id")
                )
                continue
            text = described.get(out.name, "")
            columns.append(ColumnDoc(out.name, out.sql_type, out.fhir_type, text, paths[out.name]))
        where = " and ".join(w.path for w in view.where)
        origin = f"one {view.resource} resource" + (f" where {where}" if where else "")
        docs.append(
            TableDoc(
                planned.name,
                "view",
                view.title or planned.name,
                view.description or "",
                origin,
                tuple(columns),
            )
        )
    for mart in plan.marts:
        mart_columns = tuple(
            ColumnDoc(c.name, c.sql_type, "", c.description, "") for c in mart.columns
        )
        origin = "computed from " + ", ".join([*mart.depends_on, *mart.references])
        docs.append(TableDoc(mart.name, "mart", mart.title, mart.description, origin, mart_columns))
        for reference in mart.references:
            if any(d.name == reference for d in docs):
                continue
            table = REFERENCE_TABLES[reference]()
            ref_columns = tuple(ColumnDoc(n, t, "", "", "") for n, t in table.columns)
            docs.append(
                TableDoc(
                    table.name,
                    "reference",
                    table.name,
                    "Reference data shipped with CareHub.",
                    f"{len(table.rows)} rows",
                    ref_columns,
                )
            )
    return docs


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(docs: Sequence[TableDoc]) -> str:
    """The dictionary as Markdown.

    >>> print(to_markdown([TableDoc("t", "view", "T", "A table.", "one Patient resource",
    ...     (ColumnDoc("id", "VARCHAR", "id", "Key.", "getResourceKey()"),))]))
    ... # doctest: +NORMALIZE_WHITESPACE
    # CareHub warehouse data dictionary
    <BLANKLINE>
    ## t: T
    <BLANKLINE>
    A table.
    <BLANKLINE>
    *view; each row comes from one Patient resource.*
    <BLANKLINE>
    | Column | SQL type | FHIR type | Description | Source |
    |---|---|---|---|---|
    | `id` | VARCHAR | id | Key. | `getResourceKey()` |
    <BLANKLINE>
    """
    out = ["# CareHub warehouse data dictionary", ""]
    for doc in docs:
        out += [f"## {doc.name}: {doc.title}", ""]
        if doc.description:
            out += [doc.description, ""]
        lead = "each row comes from " if doc.kind == "view" else ""
        out += [f"*{doc.kind}; {lead}{doc.origin}.*", ""]
        out += ["| Column | SQL type | FHIR type | Description | Source |", "|---|---|---|---|---|"]
        for c in doc.columns:
            source = f"`{_cell(c.source)}`" if c.source else ""
            out.append(
                f"| `{c.name}` | {c.sql_type} | {c.fhir_type} | {_cell(c.description)} | {source} |"
            )
        out.append("")
    return "\n".join(out)


def to_html(docs: Sequence[TableDoc]) -> str:
    """The dictionary as a standalone HTML page."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>CareHub warehouse data dictionary</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}"
        "code{font-size:90%}</style></head><body>",
        "<h1>CareHub warehouse data dictionary</h1>",
        "<ul>"
        + "".join(f'<li><a href="#{e(d.name)}">{e(d.name)}</a></li>' for d in docs)
        + "</ul>",
    ]
    for doc in docs:
        parts.append(f'<h2 id="{e(doc.name)}">{e(doc.name)}: {e(doc.title)}</h2>')
        if doc.description:
            parts.append(f"<p>{e(doc.description)}</p>")
        lead = "each row comes from " if doc.kind == "view" else ""
        parts.append(f"<p><em>{e(doc.kind)}; {e(lead + doc.origin)}.</em></p>")
        parts.append(
            "<table><tr><th>Column</th><th>SQL type</th><th>FHIR type</th>"
            "<th>Description</th><th>Source</th></tr>"
        )
        for c in doc.columns:
            parts.append(
                f"<tr><td><code>{e(c.name)}</code></td><td>{e(c.sql_type)}</td>"
                f"<td>{e(c.fhir_type)}</td><td>{e(c.description)}</td>"
                f"<td><code>{e(c.source)}</code></td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
