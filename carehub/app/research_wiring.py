"""Wiring of the research access API: its request store and audit trail, opened on first use.

https://hl7.org/fhir/R4/auditevent.html

Requests live in ``<data dir>/research/requests.sqlite``. Audit events go to
the application's audit trail (the one the security layer writes) when
authorization is on, else to ``<data dir>/audit.sqlite`` opened here.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI

from carehub.audit.log import AuditLog
from carehub.research.access.service import AccessService, RequestStore
from carehub.research.api import research_router
from carehub.settings import Settings


class _AppAuditor:
    """Appends to the app's audit trail, or to one opened on first use."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._own: AuditLog | None = None

    def append(self, events: Any) -> None:
        writer = getattr(self.app.state, "audit", None)
        if writer is not None:
            writer.trail.append(events)
            return
        if self._own is None:
            self._own = AuditLog(self.settings.data_dir / "audit.sqlite")
        self._own.append(events)


def research_requests_path(settings: Settings) -> Any:
    """The access requests file of ``settings``' data folder."""
    return settings.data_dir / "research" / "requests.sqlite"


def add_research(app: FastAPI, settings: Settings) -> None:
    """Mount ``/research`` (access requests) on ``app``."""
    lock = threading.Lock()
    holder: list[AccessService] = []

    def service() -> AccessService:
        with lock:
            if not holder:
                store = RequestStore(research_requests_path(settings))
                holder.append(AccessService(store, _AppAuditor(app, settings)))
            return holder[0]

    app.include_router(research_router(service))
