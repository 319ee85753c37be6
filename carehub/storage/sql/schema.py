"""The FHIR store schema, written once for every SQL dialect.

* ``resources``: one row per resource (current version, deletion flag, pointer
  ``hseq`` to the body in ``versions``); ``rid`` is the surrogate key used by the
  index tables and as the default, stable search order.
* ``versions``: every version ever written (bodies live here only); ``seq``
  orders all writes for system history.
* ``idx_*``: search-index rows of current versions, one table per
  SearchParameter type (:class:`~carehub.fhir_model.index_rows.IndexRows`).
"""

from __future__ import annotations

from carehub.storage.sql.dialect import Dialect

#: index table → its value columns (name, kind) after (rid, type, param)
INDEX_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "idx_string": (("norm", "sorttext"), ("exact", "text")),
    "idx_token": (("system", "sorttext"), ("code", "sorttext"), ("text", "sorttext")),
    "idx_date": (("low", "sorttext"), ("high", "sorttext")),
    "idx_reference": (("target_type", "sorttext"), ("target_id", "sorttext"), ("url", "text")),
    "idx_quantity": (("value", "real"), ("system", "text"), ("code", "text"), ("unit", "text")),
    "idx_number": (("value", "real"),),
    "idx_uri": (("uri", "sorttext"),),
}

#: IndexRows attribute → index table
ROW_TABLES: dict[str, str] = {
    "strings": "idx_string",
    "tokens": "idx_token",
    "dates": "idx_date",
    "references": "idx_reference",
    "quantities": "idx_quantity",
    "numbers": "idx_number",
    "uris": "idx_uri",
}

#: search parameter type → index table
TYPE_TABLES: dict[str, str] = {
    "string": "idx_string",
    "token": "idx_token",
    "date": "idx_date",
    "reference": "idx_reference",
    "quantity": "idx_quantity",
    "number": "idx_number",
    "uri": "idx_uri",
}

_SECONDARY: dict[str, tuple[str, ...]] = {
    "idx_string": ("type, param, norm",),
    "idx_token": ("type, param, code, system",),
    "idx_date": ("type, param, low, high",),
    "idx_reference": ("type, param, target_type, target_id", "target_type, target_id"),
    "idx_quantity": ("type, param, value",),
    "idx_number": ("type, param, value",),
    "idx_uri": ("type, param, uri",),
}


def ddl(d: Dialect) -> list[str]:
    """The CREATE statements of the schema in ``d``'s dialect (idempotent).

    >>> from carehub.storage.sql.dialect import SqliteDialect
    >>> any("CREATE TABLE IF NOT EXISTS resources" in s for s in ddl(SqliteDialect()))
    True
    """
    kinds = {"text": d.t_text, "sorttext": d.t_sorttext, "real": d.t_real}
    stmts = [
        f"""CREATE TABLE IF NOT EXISTS resources (
            rid {d.t_key},
            type {d.t_sorttext} NOT NULL,
            id {d.t_sorttext} NOT NULL,
            version {d.t_bigint} NOT NULL,
            lu {d.t_sorttext} NOT NULL,
            deleted {d.t_bool} NOT NULL,
            hseq {d.t_bigint} NOT NULL,
            UNIQUE (type, id))""",
        "CREATE INDEX IF NOT EXISTS resources_type_rid ON resources (type, rid)",
        f"""CREATE TABLE IF NOT EXISTS versions (
            seq {d.t_key},
            type {d.t_sorttext} NOT NULL,
            id {d.t_sorttext} NOT NULL,
            version {d.t_bigint} NOT NULL,
            lu {d.t_sorttext} NOT NULL,
            deleted {d.t_bool} NOT NULL,
            method {d.t_text} NOT NULL,
            body {d.t_body},
            UNIQUE (type, id, version))""",
        "CREATE INDEX IF NOT EXISTS versions_type_seq ON versions (type, seq)",
        "CREATE INDEX IF NOT EXISTS versions_lu ON versions (lu)",
    ]
    for table, cols in INDEX_TABLES.items():
        col_sql = ", ".join(f"{name} {kinds[kind]}" for name, kind in cols)
        stmts.append(
            f"CREATE TABLE IF NOT EXISTS {table} (rid {d.t_bigint} NOT NULL, "
            f"type {d.t_sorttext} NOT NULL, param {d.t_sorttext} NOT NULL, {col_sql})"
        )
        stmts.append(f"CREATE INDEX IF NOT EXISTS {table}_rid ON {table} (rid)")
        for i, cols_ix in enumerate(_SECONDARY[table]):
            stmts.append(f"CREATE INDEX IF NOT EXISTS {table}_s{i} ON {table} ({cols_ix})")
    return stmts


def insert_sql(table: str) -> str:
    """The parameterised INSERT of one index row into ``table``.

    >>> insert_sql("idx_number")
    'INSERT INTO idx_number (rid, type, param, value) VALUES (?, ?, ?, ?)'
    """
    cols = ["rid", "type", "param"] + [c for c, _ in INDEX_TABLES[table]]
    marks = ", ".join("?" for _ in cols)
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"
