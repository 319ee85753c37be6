"""Research opt-outs in the warehouse, and the research views that honour them.

https://hl7.org/fhir/R4/consent.html and
http://terminology.hl7.org/CodeSystem/consentscope (``research``)

A patient has opted out of research use when their most recent *active*
Consent whose scope is ``research`` denies (``provision.type = deny``); a
later permitting research Consent opts them back in (the rule of
:mod:`carehub.security.consent`). In the warehouse the rule is one SQL query
over the ``consents`` view (:func:`opt_out_sql`), run in the warehouse
engine; a warehouse built before that view existed falls back to the FHIR
store (:func:`carehub.security.consent.research_opt_outs`).

**Research views.** :func:`create_research_views` adds, for each patient
view ``V``, a view ``research_V`` (``SELECT * FROM V`` without the opted-out
patients), over a table ``research_opt_outs`` refreshed on each call. Every
research extract reads through these views, so an opt-out recorded in the
warehouse reaches every extract; researchers given direct SQL access should
be given only the ``research_*`` views.

Patient keys are the warehouse's (``Patient/<id>``), as in the ``patients`` view.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from carehub.errors import Incorrect
from carehub.security.consent import CONSENT_SCOPE, research_opt_outs
from carehub.storage.base import ResourceStore
from carehub.warehouse.engines.duckdb import quote
from carehub.warehouse.store import Warehouse

CONSENTS_VIEW = "consents"
"""The warehouse view of Consent resources (``carehub/warehouse/views/consents.json``)."""

OPT_OUT_TABLE = "research_opt_outs"
"""The table of opted-out patient keys the research views exclude."""

RESEARCH_PREFIX = "research_"
"""Prefix of the research views: ``research_<view>``."""


def opt_out_sql(consents: str = CONSENTS_VIEW) -> str:
    """SQL selecting the keys (``patient_id``) of opted-out patients from view ``consents``.

    Ties on the date are broken by the Consent key, so the answer is stable.

    >>> "provision_type = 'deny'" in opt_out_sql()
    True
    """
    return (
        "SELECT patient_id FROM ("
        "SELECT patient_id, provision_type, ROW_NUMBER() OVER (PARTITION BY patient_id "
        "ORDER BY COALESCE(date_time, last_updated, '') DESC, consent_id DESC) AS rank_ "
        f"FROM {quote(consents)} WHERE status = 'active' AND scope = 'research' "
        f"AND (scope_system IS NULL OR scope_system = '{CONSENT_SCOPE}') "
        "AND patient_id IS NOT NULL"
        ") AS latest WHERE rank_ = 1 AND provision_type = 'deny'"
    )


def has_table(warehouse: Warehouse, name: str) -> bool:
    """Whether the warehouse file has a table or view ``name``."""
    row = warehouse.connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def patient_key(patient_id: str) -> str:
    """The warehouse key of a patient id (already-qualified keys are kept).

    >>> patient_key("p1"), patient_key("Patient/p1")
    ('Patient/p1', 'Patient/p1')
    """
    return patient_id if patient_id.startswith("Patient/") else f"Patient/{patient_id}"


def opt_out_patient_ids(
    warehouse: Warehouse | None = None, *, store: ResourceStore | None = None
) -> set[str]:
    """Keys (``Patient/<id>``) of the patients who opted out of research use.

    Read from the warehouse's ``consents`` view when it has one, else from
    ``store`` (give the unguarded store, or call inside a grant that may read
    Consent).

    Raises:
        Incorrect: neither a warehouse with a ``consents`` view nor a store was given.
    """
    if warehouse is not None and has_table(warehouse, CONSENTS_VIEW):
        rows = warehouse.connection.execute(opt_out_sql()).fetchall()
        return {str(r[0]) for r in rows}
    if store is not None:
        return {patient_key(pid) for pid in research_opt_outs(store)}
    raise Incorrect(
        "cannot tell which patients opted out of research: the warehouse has no "
        f"'{CONSENTS_VIEW}' view (rebuild it with `carehub warehouse build`) and no FHIR "
        "store was given"
    )


def record_opt_outs(
    warehouse: Warehouse, extra: Collection[str] = (), *, table: str = OPT_OUT_TABLE
) -> int:
    """(Re)create table ``table`` with every opted-out patient key; returns how many.

    ``extra`` adds keys from elsewhere (e.g. the FHIR store); bare ids are
    qualified as ``Patient/<id>``. Without a ``consents`` view only ``extra`` counts.
    """
    conn = warehouse.connection
    conn.execute(f"CREATE OR REPLACE TABLE {quote(table)} (patient_id VARCHAR PRIMARY KEY)")
    if has_table(warehouse, CONSENTS_VIEW):
        conn.execute(f"INSERT INTO {quote(table)} {opt_out_sql()}")
    known = {str(r[0]) for r in conn.execute(f"SELECT patient_id FROM {quote(table)}").fetchall()}
    added = sorted({patient_key(p) for p in extra} - known)
    if added:
        conn.executemany(f"INSERT INTO {quote(table)} VALUES (?)", [(p,) for p in added])
    row = conn.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()
    return int(row[0]) if row else 0


def research_view_sql(view: str, table: str = OPT_OUT_TABLE) -> str:
    """The body of research view ``research_<view>``.

    >>> print(research_view_sql("patients"))
    SELECT * FROM "patients" WHERE patient_id NOT IN (SELECT patient_id FROM "research_opt_outs")
    """
    return (
        f"SELECT * FROM {quote(view)} "
        f"WHERE patient_id NOT IN (SELECT patient_id FROM {quote(table)})"
    )


def patient_views(warehouse: Warehouse) -> list[str]:
    """The warehouse tables with a ``patient_id`` column (not the research views), sorted."""
    rows = warehouse.connection.execute(
        "SELECT DISTINCT table_name FROM information_schema.columns "
        "WHERE column_name = 'patient_id' ORDER BY table_name"
    ).fetchall()
    return [
        str(r[0])
        for r in rows
        if not str(r[0]).startswith(RESEARCH_PREFIX) and str(r[0]) != CONSENTS_VIEW
        and not str(r[0]).startswith("_")
    ]


def create_research_views(
    warehouse: Warehouse, views: Sequence[str] | None = None, extra: Collection[str] = ()
) -> list[str]:
    """Refresh the opt-out table and create ``research_<view>`` for ``views``.

    Args:
        warehouse: the warehouse file.
        views: the patient views to cover (default: every table with ``patient_id``).
        extra: further opted-out patient ids (e.g. from the FHIR store).

    Returns:
        The names of the research views.

    Raises:
        Incorrect: a named view is not in the warehouse.
    """
    chosen = list(views) if views is not None else patient_views(warehouse)
    for view in chosen:
        if not has_table(warehouse, view):
            raise Incorrect(f"the warehouse has no view '{view}' to make a research view of")
    record_opt_outs(warehouse, extra)
    names = []
    for view in chosen:
        name = RESEARCH_PREFIX + view
        warehouse.connection.execute(
            f"CREATE OR REPLACE VIEW {quote(name)} AS {research_view_sql(view)}"
        )
        names.append(name)
    return names
