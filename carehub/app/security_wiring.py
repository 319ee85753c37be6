"""Install CareHub's security on the application (composition of :mod:`carehub.security`).

http://hl7.org/fhir/smart-app-launch/ and https://hl7.org/fhir/R4/security.html

:func:`install_security` is called by :func:`carehub.app.wiring.build_app`
after every router is mounted. With ``CAREHUB_AUTH`` on it:

* wraps the hub's store in the :class:`~carehub.security.guard.GuardedStore`
  and sets the hub's policy to :class:`~carehub.security.policy.ScopePolicy`;
* mounts discovery, the OAuth endpoints, the sign-in page (before the FHIR
  routes, whose ``/fhir/{rtype}/{rid}`` would take ``/fhir/.well-known/...``)
  and the audit search;
* adds the security middleware (authentication, route scopes, limits,
  headers, audit) and, when origins are configured, strict CORS outside it.

With ``CAREHUB_AUTH=off`` only the security headers and limits stay, and only
on a loopback host.

Failure modes: :class:`~carehub.errors.Incorrect` for ``off`` on a
non-loopback host or an external issuer without a JWKS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from carehub.audit.log import AuditLog
from carehub.audit.web import audit_router
from carehub.audit.writer import AuditWriter
from carehub.errors import Incorrect
from carehub.fhir_api.hub import Hub
from carehub.security.external import ExternalIssuer
from carehub.security.guard import GuardedStore
from carehub.security.policy import ScopePolicy
from carehub.security.ratelimit import RateLimiter
from carehub.security.server import AuthServer, ServerConfig
from carehub.security.web.discovery import discovery_router
from carehub.security.web.middleware import SecurityMiddleware
from carehub.security.web.oauth import oauth_router
from carehub.security.web.signin import signin_router
from carehub.settings import Settings

CORS_HEADERS = ["Authorization", "Content-Type", "Prefer", "If-Match", "If-None-Match",
                "If-None-Exist", "Accept"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_auth_setting(settings: Settings) -> bool:
    """Whether authorization is on.

    Raises:
        Incorrect: it is off on a host reachable from other machines.
    """
    if settings["CAREHUB_AUTH"]:
        return True
    if not is_loopback(settings["CAREHUB_HOST"]):
        raise Incorrect(
            f"CAREHUB_AUTH=off (--insecure-dev) is only allowed on a loopback host, not "
            f"'{settings['CAREHUB_HOST']}'"
        )
    return False


def auth_server(settings: Settings) -> AuthServer:
    """The authorization server over ``<data dir>/security.sqlite``."""
    external = None
    issuer = settings["CAREHUB_AUTH_ISSUER"]
    if issuer:
        if not settings["CAREHUB_AUTH_JWKS"]:
            raise Incorrect("CAREHUB_AUTH_ISSUER needs CAREHUB_AUTH_JWKS (file or URL)")
        audience = settings["CAREHUB_AUTH_AUDIENCE"] or settings["CAREHUB_BASE_URL"]
        if not audience:
            raise Incorrect("an external issuer needs CAREHUB_AUTH_AUDIENCE or CAREHUB_BASE_URL")
        external = ExternalIssuer(issuer, settings["CAREHUB_AUTH_JWKS"], audience)
    config = ServerConfig(
        token_lifetime_s=settings["CAREHUB_TOKEN_LIFETIME"],
        refresh_lifetime_s=settings["CAREHUB_REFRESH_LIFETIME"],
        break_glass_s=settings["CAREHUB_BREAK_GLASS_MINUTES"] * 60,
        external=external,
    )
    return AuthServer(settings.data_dir, config)


def _front(app: FastAPI, count: int) -> None:
    """Move the last ``count`` routes to the front of the route list (they match first)."""
    routes = app.router.routes
    moved = routes[-count:]
    del routes[-count:]
    routes[0:0] = moved


def install_security(app: FastAPI, settings: Settings, hub: Hub) -> None:
    """Install authorization, audit and hardening on ``app`` (see the module docstring)."""
    if not check_auth_setting(settings):
        app.state.auth = None
        return
    server = auth_server(settings)
    writer = AuditWriter(AuditLog(settings.data_dir / "audit.sqlite"))
    hub.access = ScopePolicy()
    hub.store = GuardedStore(hub.store, hub.access, hub.parser)
    base = settings["CAREHUB_BASE_URL"] or None
    before = len(app.router.routes)
    app.include_router(discovery_router(base, settings["CAREHUB_AUTH_ISSUER"] or None))
    app.include_router(oauth_router(server, base))
    app.include_router(signin_router(server, base))
    _front(app, len(app.router.routes) - before)
    app.include_router(audit_router(writer))
    app.add_middleware(
        SecurityMiddleware,
        fastapi_app=app, server=server, writer=writer,
        max_body=settings["CAREHUB_MAX_REQUEST_BYTES"],
        limiter=RateLimiter(settings["CAREHUB_RATE_LIMIT"]),
    )
    origins = [o.strip() for o in settings["CAREHUB_CORS_ORIGINS"].split(",") if o.strip()]
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins, allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_HEADERS, expose_headers=["Location", "ETag", "Content-Location"],
            allow_credentials=False,
        )
    app.state.auth = server
    app.state.audit = writer
    _close_on_shutdown(app, server, writer)


def _close_on_shutdown(app: FastAPI, server: AuthServer, writer: AuditWriter) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            try:
                yield state
            finally:
                writer.close()
                server.close()

    app.router.lifespan_context = lifespan
