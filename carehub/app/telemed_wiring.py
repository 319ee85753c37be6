"""Mount the telemedicine services (:mod:`carehub.telemed`) on the application.

Called by :func:`carehub.app.wiring.build_app` before security is installed,
so the services do not get the hub's scope-guarded store: they apply their own
rules (a patient acts only for themselves, only participants join a room) on
the caller the access token names, and record what they touch for the audit.
With authorization on, their store is guarded by
:class:`~carehub.security.policy.DepartmentPolicy`, so a department-scoped
clinician reaches only the department's patients through them too
(:mod:`carehub.telemed.access`).
"""

from __future__ import annotations

from fastapi import FastAPI

from carehub.fhir_api.hub import Hub
from carehub.security.guard import GuardedStore
from carehub.security.policy import DepartmentPolicy
from carehub.settings import Settings
from carehub.storage.base import ResourceStore
from carehub.telemed.config import TelemedConfig
from carehub.telemed.monitoring.router import monitoring_router
from carehub.telemed.records import Records
from carehub.telemed.room_web import room_router
from carehub.telemed.router import telemed_router
from carehub.telemed.signing import KeySigner
from carehub.telemed.support_router import support_router
from carehub.telemed.web_common import Telemed


def add_telemed(app: FastAPI, settings: Settings, hub: Hub) -> Telemed:
    """Mount the telemedicine API, room page and signalling; returns the services."""
    config = TelemedConfig.from_settings(settings)
    store: ResourceStore = hub.store
    if settings["CAREHUB_AUTH"]:
        store = GuardedStore(hub.store, DepartmentPolicy(), hub.parser)
    tm = Telemed(Records(store, hub.parser), config, config.notifier(),
                 KeySigner(settings.data_dir / "security-signing-key.pem"))
    app.include_router(telemed_router(tm))
    app.include_router(room_router(tm))
    app.include_router(support_router(tm))
    app.include_router(monitoring_router(tm, settings))
    app.state.telemed = tm
    return tm
