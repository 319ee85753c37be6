"""Mount the telemedicine services (:mod:`carehub.telemed`) on the application.

Called by :func:`carehub.app.wiring.build_app` before security is installed,
so the services keep the hub's unguarded store: they apply their own rules
(a patient acts only for themselves, only participants join a room) on the
caller the access token names, and record what they touch for the audit.
"""

from __future__ import annotations

from fastapi import FastAPI

from carehub.fhir_api.hub import Hub
from carehub.settings import Settings
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
    tm = Telemed(Records(hub.store, hub.parser), config, config.notifier(),
                 KeySigner(settings.data_dir / "security-signing-key.pem"))
    app.include_router(telemed_router(tm))
    app.include_router(room_router(tm))
    app.include_router(support_router(tm))
    app.include_router(monitoring_router(tm, settings))
    app.state.telemed = tm
    return tm
