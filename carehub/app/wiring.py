"""Build CareHub's objects from settings (the composition root)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from carehub.bulk.jobs import JobManager
from carehub.bulk.service import BulkService
from carehub.bulk.sources import ImportSettings
from carehub.errors import Incorrect
from carehub.fhir_api.app import create_app
from carehub.fhir_api.hub import Hub
from carehub.fhir_model.definitions import definitions
from carehub.search.parse import SearchParser
from carehub.settings import Settings
from carehub.storage.base import ResourceStore
from carehub.terminology import Terminology


def open_store(settings: Settings) -> ResourceStore:
    """The store chosen by ``CAREHUB_STORAGE``.

    Raises:
        Incorrect: unknown back-end, or PostgreSQL without a DSN.
    """
    kind = settings["CAREHUB_STORAGE"]
    if kind == "sqlite":
        from carehub.storage.sqlite import SqliteStore

        return SqliteStore(
            settings.sqlite_path,
            wal_pages=settings["CAREHUB_SQLITE_WAL_PAGES"],
            background_checkpoints=settings["CAREHUB_SQLITE_BACKGROUND_CHECKPOINTS"],
        )
    if kind == "postgres":
        dsn = settings["CAREHUB_POSTGRES_DSN"]
        if not dsn:
            raise Incorrect("CAREHUB_STORAGE=postgres needs CAREHUB_POSTGRES_DSN")
        from carehub.storage.postgres import PostgresStore

        return PostgresStore(dsn)
    raise Incorrect(f"CAREHUB_STORAGE must be sqlite or postgres, not '{kind}'")


def build_hub(settings: Settings, store: ResourceStore | None = None) -> Hub:
    """The FHIR hub over ``store`` (opened from settings when not given)."""
    from carehub.fhir_model.validation import validate

    defs = definitions()
    parser = SearchParser(defs, settings["CAREHUB_PAGE_SIZE"], settings["CAREHUB_MAX_PAGE_SIZE"])
    return Hub(
        store=store if store is not None else open_store(settings),
        defs=defs,
        parser=parser,
        validate=validate if settings["CAREHUB_VALIDATE"] else (lambda r: None),
        base_url=settings["CAREHUB_BASE_URL"] or None,
    )


def build_bulk(
    settings: Settings, http_transport: httpx.BaseTransport | None = None
) -> BulkService:
    """The bulk data service: its job registry over ``<data dir>/bulk`` and import rules.

    Unfinished jobs left by a server that stopped are marked failed here.
    """
    imports = ImportSettings(
        import_dir=settings.import_dir,
        allow_http=settings["CAREHUB_IMPORT_HTTP"],
        batch_size=settings["CAREHUB_IMPORT_BATCH_SIZE"],
        transport=http_transport,
    )
    return BulkService(JobManager(settings.bulk_dir, settings["CAREHUB_BULK_WORKERS"]), imports)


def build_app(
    settings: Settings,
    store: ResourceStore | None = None,
    *,
    http_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """The web application for ``settings``.

    ``http_transport`` replaces the network for ``$import`` downloads (tests).
    """
    hub = build_hub(settings, store)
    app = create_app(
        hub,
        bulk=build_bulk(settings, http_transport),
        default_count=settings["CAREHUB_PAGE_SIZE"],
        max_count=settings["CAREHUB_MAX_PAGE_SIZE"],
        terminology=build_terminology(settings),
    )
    add_service_routers(app, settings)
    from carehub.app.research_wiring import add_research

    add_research(app, settings)
    add_web(app, settings, hub)
    from carehub.app.telemed_wiring import add_telemed

    add_telemed(app, settings, hub)  # before security: it keeps the unguarded store
    from carehub.app.security_wiring import install_security

    install_security(app, settings, hub)  # last: its middleware covers every route
    return app


def build_terminology(settings: Settings) -> Terminology:
    """The terminology service, with the Vietnamese ICD-10 titles of
    ``CAREHUB_ICD10_VI_TITLES`` when set.

    Raises:
        Incorrect: the setting names a file that does not exist.
    """
    titles = settings["CAREHUB_ICD10_VI_TITLES"]
    return Terminology(Path(titles) if titles else None)


def add_service_routers(app: FastAPI, settings: Settings) -> None:
    """Mount the non-FHIR services: CDS Hooks, self-assessment and the operations API."""
    from carehub.cds_hooks.feedback import JsonlFeedbackStore
    from carehub.cds_hooks.fhir_fetch import FetchSettings
    from carehub.cds_hooks.router import cds_hooks_router
    from carehub.ops.supply.config import SupplyConfig
    from carehub.ops.supply.ledger_sqlite import SqliteLedger
    from carehub.ops_api.allocate import allocate_router
    from carehub.ops_api.forecast import forecast_router
    from carehub.ops_api.supply import supply_router
    from carehub.self_assessment.router import self_assessment_router

    app.include_router(
        cds_hooks_router(
            None,
            feedback_store=JsonlFeedbackStore(settings.data_dir / "cds-hooks" / "feedback.jsonl"),
            fetch=FetchSettings(
                enabled=settings["CAREHUB_CDS_FHIR_FETCH"],
                timeout=settings["CAREHUB_CDS_FHIR_TIMEOUT"],
            ),
        )
    )
    app.include_router(self_assessment_router(settings["CAREHUB_SELF_ASSESSMENT_BOOKING_URL"]))
    supply = SupplyConfig.from_settings(settings)
    app.include_router(supply_router(SqliteLedger(supply.inventory_path), supply.options()))
    app.include_router(allocate_router())
    app.include_router(
        forecast_router(
            lambda: warehouse_demand(settings), n_jobs=settings["CAREHUB_FORECAST_JOBS"]
        )
    )


def add_web(app: FastAPI, settings: Settings, hub: Hub) -> None:
    """Mount the web application (``/app``, with ``/`` redirecting to it)."""
    from carehub.web.app import WebConfig, web_routers
    from carehub.web.dashboard_config import DashboardConfig

    config = WebConfig(
        default_lang=settings["CAREHUB_WEB_LANGUAGE"],
        page_size=settings["CAREHUB_WEB_PAGE_SIZE"],
        warehouse_path=settings.warehouse_path,
        dashboard=DashboardConfig.from_settings(settings),
    )
    for router in web_routers(hub, config):
        app.include_router(router)


def warehouse_demand(settings: Settings) -> Any:
    """The demand series (a pandas frame) of the configured warehouse.

    Raises:
        Incorrect: the warehouse has not been built.
    """
    from carehub.ops.forecast.warehouse_series import built_as_of, warehouse_series
    from carehub.warehouse.config import WarehouseConfig

    config = WarehouseConfig.from_settings(settings)
    if not config.path.is_file():
        raise Incorrect(f"no warehouse at {config.path}: run `carehub warehouse build` first")
    warehouse = config.warehouse()
    try:
        return warehouse_series(warehouse.engine, built_as_of(warehouse))
    finally:
        warehouse.close()
