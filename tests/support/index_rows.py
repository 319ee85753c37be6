"""The index rows a search on each parameter reads, aliases included (test helper).

The Python mirror of :func:`carehub.storage.sql.index_params.param_sql`: a
same or union alias reads its bases' rows, a typed alias its base's rows to
its target type and its own residual rows.
"""

from __future__ import annotations

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
