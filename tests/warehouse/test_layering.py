"""The warehouse reads through the FhirSource protocol only (architecture lesson 3).

``carehub.warehouse`` imports neither the web stack, the FHIR API, the
composition root, the CLI nor any storage module: concrete stores are
adapted in ``carehub.app``.
"""

from __future__ import annotations

from tests.test_import_contract import all_imports, within

FORBIDDEN = (
    "fastapi",
    "starlette",
    "uvicorn",
    "carehub.fhir_api",
    "carehub.app",
    "carehub.cli",
    "carehub.storage",
    "carehub.bulk",
)


def test_warehouse_depends_on_protocols_only() -> None:
    bad = [
        str(i)
        for i in all_imports()
        if within(i.importer, "carehub.warehouse") and any(within(i.target, f) for f in FORBIDDEN)
    ]
    assert not bad, "carehub.warehouse imports upper layers or stores:\n" + "\n".join(bad)
