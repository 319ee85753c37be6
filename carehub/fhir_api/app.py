"""The FastAPI application of the FHIR hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from carehub import __version__
from carehub.bulk.service import BulkService
from carehub.fhir_api.errors import install_error_handlers
from carehub.fhir_api.hub import Hub
from carehub.fhir_api.operations.bulk_routes import build_bulk_router
from carehub.fhir_api.operations.summary import build_summary_router
from carehub.fhir_api.operations.terminology import build_terminology_router
from carehub.fhir_api.operations.viewdefinition_run import build_run_router
from carehub.fhir_api.routes import build_router
from carehub.terminology import Terminology


def create_app(
    hub: Hub,
    *,
    bulk: BulkService,
    default_count: int = 20,
    max_count: int = 1000,
    terminology: Terminology | None = None,
) -> FastAPI:
    """A FastAPI app serving the FHIR API of ``hub`` at ``/fhir``.

    ``terminology`` serves ``$lookup``/``$validate-code``/``$expand`` (default:
    CareHub's code systems without Vietnamese ICD-10 titles).

    ``bulk`` runs the bulk data jobs; it is closed (its jobs stopped) when the
    application shuts down.
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            bulk.close()

    app = FastAPI(
        title="CareHub FHIR R4 hub",
        version=__version__,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    # before the main router: its /fhir/{rtype}/{rid} would take /fhir/Patient/$export
    app.include_router(build_bulk_router(hub, bulk))
    # before the main router: its /fhir/{rtype}/{rid} would take /fhir/ViewDefinition/$run
    app.include_router(build_run_router(hub))
    # before the main router: Patient/{id}/$summary, CodeSystem/$lookup, ValueSet/$expand...
    app.include_router(build_summary_router(hub))
    app.include_router(build_terminology_router(terminology or Terminology()))
    app.include_router(build_router(hub, default_count, max_count))
    app.state.hub = hub
    app.state.bulk = bulk
    return app
