"""Assemble the web application's routers (mounted under ``/app`` by the app wiring).

:func:`web_routers` builds one :class:`Web` (the shared services every screen
uses) and returns the routers of the static assets and of every screen in
:data:`SCREENS`. Each screen module exposes ``router(web) -> APIRouter``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.fhir_api.hub import Hub
from carehub.web.session import SESSION_COOKIE
from carehub.web.static import static_router
from carehub.web.templating import Pages
from carehub.web.worklist_source import WorklistSource

if TYPE_CHECKING:
    from carehub.web.dashboard_config import DashboardConfig


@dataclass(frozen=True, slots=True)
class WebConfig:
    """The web application's settings (``CAREHUB_WEB_*``), read once at start-up."""

    default_lang: str = "vi"
    page_size: int = 50
    warehouse_path: Path | None = None
    dashboard: DashboardConfig | None = None
    """The operations dashboard's settings (``None``: the defaults)."""


@dataclass(slots=True)
class Web:
    """What every screen shares: the hub (its store is guarded when authorization is on),
    the page renderer, the configuration and the screening worklist source."""

    hub: Hub
    pages: Pages
    config: WebConfig
    worklists: WorklistSource

    def as_of(self) -> datetime.date:
        """The evaluation date of screening: the last run's date, else today."""
        return self.worklists.as_of() or datetime.date.today()


def _screens() -> list[Callable[[Web], APIRouter]]:
    from carehub.web.screens import (
        consult_schedule,
        consultations,
        education,
        education_team,
        home_monitoring,
        messages,
        my_education,
        my_health,
        operations,
        patient_search,
        patient_summary,
        self_check,
        signin,
        worklists,
    )

    return [signin.router, patient_search.router, patient_summary.router, worklists.router,
            home_monitoring.router,
            operations.router, my_health.router, self_check.router, education.router,
            education_team.router, my_education.router,
            consultations.router, consult_schedule.router, messages.router]


SCREENS: Callable[[], list[Callable[[Web], APIRouter]]] = _screens
"""The screen modules' ``router`` functions (a function, so importing this module is cheap)."""


def root_router() -> APIRouter:
    """``/`` and ``/app`` redirect to the home page, or to sign-in without a session."""
    r = APIRouter(include_in_schema=False)

    async def home(request: Request) -> Response:
        signed_out = (getattr(request.app.state, "auth", None) is not None
                      and SESSION_COOKIE not in request.cookies)
        return RedirectResponse("/app/signin" if signed_out else "/app/", status_code=303)

    r.add_api_route("/", home, methods=["GET"])
    r.add_api_route("/app", home, methods=["GET"])
    return r


def web_routers(hub: Hub, config: WebConfig) -> list[APIRouter]:
    """Every router of the web application, static assets first."""
    web = Web(hub, Pages(config.default_lang), config, WorklistSource(config.warehouse_path))
    return [root_router(), static_router(), *(make(web) for make in SCREENS())]
