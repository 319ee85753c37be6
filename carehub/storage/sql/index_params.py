"""Which index rows answer a search parameter, as SQL.

A parameter that is an alias of others (:mod:`carehub.fhir_model.index_alias`)
is answered from its bases' rows, and from rows under its own code (a typed
alias's residual rows, and rows a store written before aliases were
recognised keeps). Every query of the index tables by parameter goes through
:func:`param_sql`; the patient compartment through :func:`with_alias_bases`.
"""

from __future__ import annotations

from collections.abc import Mapping

from carehub.errors import Incorrect
from carehub.fhir_model.index_alias import Alias
from carehub.fhir_model.search_index import aliases


def alias_of(resource_type: str | None, code: str) -> Alias | None:
    """The alias ``code`` is for ``resource_type``, or None (also for an unknown type).

    >>> alias_of("Observation", "combo-code").bases
    ('code', 'component-code')
    >>> alias_of("Observation", "code") is None, alias_of(None, "patient") is None
    (True, True)
    """
    if not resource_type:
        return None
    try:
        return aliases(resource_type).get(code)
    except Incorrect:
        return None


def param_sql(row: str, resource_type: str | None, code: str) -> tuple[str, list[object]]:
    """The predicate selecting index row ``row``'s of parameter ``code``, and its parameters.

    >>> param_sql("x", "Observation", "status")
    ('x.param = ?', ['status'])
    >>> param_sql("x", "Observation", "combo-code")
    ('x.param IN (?, ?, ?)', ['combo-code', 'code', 'component-code'])
    >>> param_sql("ref", "Observation", "patient")[0]
    'ref.param IN (?, ?) AND (ref.param = ? OR ref.target_type = ?)'
    """
    alias = alias_of(resource_type, code)
    if alias is None:
        return f"{row}.param = ?", [code]
    codes: list[object] = [code, *alias.bases]
    sql = f"{row}.param IN ({', '.join('?' for _ in codes)})"
    if alias.target_type is None:
        return sql, codes
    return (
        f"{sql} AND ({row}.param = ? OR {row}.target_type = ?)",
        [*codes, code, alias.target_type],
    )


def with_alias_bases(
    compartment: Mapping[str, tuple[str, ...]], target_type: str = "Patient"
) -> dict[str, tuple[str, ...]]:
    """``compartment`` (type → reference parameters) with the bases of its aliases added.

    Compartment queries only read rows pointing at ``target_type``, so a
    typed alias's base is added when the alias is to that type (the base's
    other rows never match), and a same or union alias's bases always.

    >>> with_alias_bases({"Observation": ("subject", "performer"),
    ...                   "Encounter": ("patient",)})["Encounter"]
    ('patient', 'subject')
    """
    out: dict[str, tuple[str, ...]] = {}
    for rtype, codes in compartment.items():
        wanted = list(codes)
        for code in codes:
            alias = alias_of(rtype, code)
            if alias is not None and alias.target_type in (None, target_type):
                wanted.extend(b for b in alias.bases if b not in wanted)
        out[rtype] = tuple(wanted)
    return out
