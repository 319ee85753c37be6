"""The store fixture of the FHIR behaviour suite (SQLite and PostgreSQL), reused here."""

from tests.fhir_api.conftest import store as store
