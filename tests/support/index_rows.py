"""The index rows a search on each parameter reads, aliases included (test helper).

The Python mirror of :func:`carehub.storage.sql.index_params.param_sql`: a
same or union alias reads its bases' rows, a typed alias its base's rows to
its target type and its own residual rows.
"""

from __future__ import annotations

from typing import Any

from carehub.fhir_model.fhirpath_subset import CompiledPath
from carehub.fhir_model.index_convert import CONVERTERS
from carehub.fhir_model.index_rows import IndexRows
from carehub.fhir_model.search_index import aliases
from carehub.storage.sql.schema import ROW_TABLES

KINDS = tuple(ROW_TABLES)


def answering(rows: IndexRows, resource_type: str) -> IndexRows:
    """``rows`` plus, for each alias of ``resource_type``, its bases' rows under its code."""
    out = IndexRows()
    for kind in KINDS:
        have = list(getattr(rows, kind))
        extra = []
        for alias in aliases(resource_type).values():
            for row in have:
                if row[0] not in alias.bases:
                    continue
                if alias.target_type is not None and row[1] != alias.target_type:
                    continue
                extra.append((alias.code, *row[1:]))
        setattr(out, kind, list(dict.fromkeys(have + extra)))
    return out


def add_typed_rows(
    rows: IndexRows, code: str, param_type: str, path: CompiledPath, resource: dict[str, Any]
) -> None:
    """Add the rows of ``path`` on ``resource`` through its plain typed results.

    No specialised emitter and no alias handling: the reference the
    extractor's rows are compared with.
    """
    for type_code, values in path.typed(resource):
        convert = CONVERTERS[param_type].get(type_code)
        if convert is None:
            continue
        for value in values:
            convert(rows, code, value)
