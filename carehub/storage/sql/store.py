"""The shared part of the SQL stores: sessions around a driver connection."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from carehub.storage.sql.dialect import Dialect
from carehub.storage.sql.index_params import with_alias_bases
from carehub.storage.sql.schema import ddl
from carehub.storage.sql.session import Db, SqlSession


class SqlStoreBase:
    """Opens :class:`SqlSession` objects on connections supplied by a subclass.

    Subclasses implement :meth:`_begin` (a context manager yielding a
    :class:`Db` inside one database transaction that commits on success and
    rolls back on error) and set ``dialect``.
    """

    name = "sql"
    dialect: Dialect

    def __init__(self, compartment: Mapping[str, tuple[str, ...]] | None = None) -> None:
        if compartment is None:
            from carehub.fhir_model.compartments import patient_compartment

            compartment = patient_compartment()
        # the index answers an alias from its bases' rows: read those too
        self.compartment = with_alias_bases(compartment)

    def _begin(self, write: bool) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[SqlSession]:
        """One unit of work; commits on success, rolls back on any error."""
        with self._begin(write) as db:
            sess = self._make_session(db)
            yield sess
            sess.flush()

    def _make_session(self, db: Db) -> SqlSession:
        return SqlSession(db, self.dialect, self.compartment)

    def create_schema(self) -> None:
        """Create the tables and indexes if they do not exist."""
        with self._begin(True) as db:
            for stmt in ddl(self.dialect):
                db.execute(stmt)
