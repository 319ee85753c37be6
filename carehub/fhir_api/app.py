"""The FastAPI application of the FHIR hub."""

from __future__ import annotations

from fastapi import FastAPI

from carehub import __version__
from carehub.fhir_api.errors import install_error_handlers
from carehub.fhir_api.hub import Hub
from carehub.fhir_api.routes import build_router


def create_app(hub: Hub, *, default_count: int = 20, max_count: int = 1000) -> FastAPI:
    """A FastAPI app serving the FHIR API of ``hub`` at ``/fhir``."""
    app = FastAPI(
        title="CareHub FHIR R4 hub",
        version=__version__,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    app.include_router(build_router(hub, default_count, max_count))
    app.state.hub = hub
    return app
