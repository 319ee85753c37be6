"""The security middleware: every request passes here before any route runs.

http://hl7.org/fhir/smart-app-launch/app-launch.html#access-token,
https://www.rfc-editor.org/rfc/rfc6750 (bearer tokens),
https://hl7.org/fhir/R4/security.html and https://owasp.org/www-project-secure-headers/

In order, for each HTTP request:

1. security headers on every response (CSP with ``frame-ancestors 'none'``,
   ``X-Content-Type-Options``, ``Referrer-Policy``, ``Cache-Control: no-store``
   on authorized answers, HSTS over https);
2. 413 for a body over the size limit (declared or streamed);
3. the route is looked up; public routes (:mod:`~carehub.security.web.route_table`)
   go straight on, rate-limited by remote address;
4. 401 without a valid bearer token; 429 over the client's rate; 403 when the
   token holds none of the scopes the route needs; bulk job status and files
   are only served to the client that started the job;
5. the request runs with its grant and access record in context (the storage
   guard enforces the scopes per resource), and its AuditEvent is queued.

The web application's pages (``/app/...``) may carry the token in the
HttpOnly ``carehub_session`` cookie instead of the header (the cookie is
accepted nowhere else); a browser asking such a page for HTML without a
valid token is redirected to the sign-in page instead of getting a 401.

A pure ASGI middleware (no per-request task or body buffering). Log lines
carry the route template, status and client, never paths, queries or bodies.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import cookie_parser
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carehub.audit.event import AuditInput
from carehub.audit.writer import AuditWriter
from carehub.errors import CareHubError, Forbidden, Issue, NotFound, Unauthorized
from carehub.fhir_api.errors import error_response, outcome_response
from carehub.security.context import AccessRecord, Grant, current_grant, current_record
from carehub.security.ratelimit import RateLimiter
from carehub.security.scopes import ADMIN
from carehub.security.server import AuthServer
from carehub.security.web.route_table import (
    AUTHENTICATED,
    FHIR_DATA,
    STAFF,
    RouteTable,
    is_public,
    requirement,
)

log = logging.getLogger("carehub.access")

CSP = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "style-src 'unsafe-inline'"
)
#: Swagger UI (``/docs``) loads its script and style from a CDN
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https:; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; frame-ancestors 'none'"
)
_BULK_STATUS = ("/fhir/$bulk-status/{job_id}", "/fhir/$bulk-file/{job_id}/{name}")
#: the web application's session cookie (an access token), accepted only under WEB_PREFIX
SESSION_COOKIE = "carehub_session"
WEB_PREFIX = "/app/"
WEB_SIGNIN = "/app/signin"


class _TooLarge(Exception):
    """The streamed body passed the limit."""


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def bearer_token(headers: dict[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header.

    >>> bearer_token({"authorization": "Bearer abc"}), bearer_token({})
    ('abc', None)
    """
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def session_token(headers: dict[str, str], path: str) -> str | None:
    """The web session cookie's token, for web application paths only.

    >>> session_token({"cookie": "a=1; carehub_session=tok"}, "/app/patients")
    'tok'
    >>> session_token({"cookie": "carehub_session=tok"}, "/fhir/Patient") is None
    True
    """
    if not path.startswith(WEB_PREFIX):
        return None
    return cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE) or None


def signin_redirect(scope: Scope, headers: dict[str, str]) -> RedirectResponse | None:
    """A redirect to the sign-in page for a browser asking a web page without a token."""
    path: str = scope["path"]
    if not path.startswith(WEB_PREFIX) or scope["method"] not in ("GET", "HEAD"):
        return None
    if "text/html" not in headers.get("accept", ""):
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    target = path + (f"?{query}" if query else "")
    return RedirectResponse(f"{WEB_SIGNIN}?{urlencode({'next': target})}", status_code=303)


def satisfies(grant: Grant, needs: tuple[str, ...]) -> bool:
    """Whether ``grant`` holds one of the route requirements ``needs``."""
    for need in needs:
        if need == AUTHENTICATED or (need == FHIR_DATA and grant.scopes.has_clinical):
            return True
        if need == STAFF and grant.role is not None and grant.role != "patient":
            return True
        if grant.scopes.has(need):
            return True
    return False


class SecurityMiddleware:
    """See the module docstring.

    Args:
        app: the application.
        server: CareHub's authorization server (token lookup).
        writer: the audit writer (None: no audit trail).
        max_body: largest request body in bytes.
        limiter: per-client rate limiter.
    """

    def __init__(self, app: ASGIApp, *, fastapi_app: Any, server: AuthServer,
                 writer: AuditWriter | None, max_body: int, limiter: RateLimiter) -> None:
        self.app = app
        self.table = RouteTable(fastapi_app)
        self.server = server
        self.writer = writer
        self.max_body = max_body
        self.limiter = limiter
        self.owners: dict[str, tuple[str, str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path: str = scope["path"]
        state: dict[str, Any] = {"status": 500, "started": False, "location": None}
        https = scope.get("scheme") == "https"
        docs = path.startswith("/docs")

        async def secure_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                raw = list(message.get("headers", []))
                names = {k.lower() for k, _ in raw}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
                if https:
                    extra.append((b"strict-transport-security",
                                  b"max-age=63072000; includeSubDomains"))
                raw += [(k, v) for k, v in extra if k not in names]
                for k, v in raw:
                    if k.lower() == b"content-location":
                        state["location"] = v.decode("latin-1")
                message = {**message, "headers": raw}
            await send(message)

        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(secure_send)
            return
        seen = [0]

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > self.max_body:
                    raise _TooLarge
            return message

        method = scope["method"]
        template, params = self.table.match(path, method)
        client_ip = (scope.get("client") or ("", 0))[0] or None
        if template is not None and is_public(template, method):
            wait = self.limiter.take(f"ip:{client_ip}")
            if wait:
                await self._throttled(secure_send, wait)
                return
            await self._run(scope, limited_receive, secure_send, state)
            return

        started = time.perf_counter()
        record = AccessRecord()
        token = bearer_token(headers) or session_token(headers, path)
        grant = self.server.bearer(token) if token else None
        audit = AuditInput(
            recorded=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            method=method, path=path, route=template or "(no route)",
            query=scope.get("query_string", b"").decode("latin-1"), status=0, ip=client_ip,
        )
        if grant is None:
            redirect = signin_redirect(scope, headers)
            if redirect is not None:
                await redirect(scope, receive, secure_send)
                self._finish(audit, record, 303, started)
                return
            response = error_response(Unauthorized(
                "an access token is required" if token is None
                else "the access token is not valid (unknown, expired or revoked)"))
            await response(scope, receive, secure_send)
            self._finish(audit, record, 401, started)
            return
        audit.subject, audit.client_id, audit.role = grant.subject, grant.client_id, grant.role
        audit.token_id, audit.patient_context = grant.token_id, grant.patient
        audit.break_glass = grant.break_glass
        wait = self.limiter.take(f"client:{grant.client_id}")
        if wait:
            await self._throttled(secure_send, wait)
            self._finish(audit, record, 429, started)
            return
        denial = self._deny(grant, template, params)
        if denial is not None:
            response = error_response(denial)
            await response(scope, receive, secure_send)
            self._finish(audit, record, response.status_code, started)
            return
        t1 = current_grant.set(grant)
        t2 = current_record.set(record)
        try:
            await self._run(scope, limited_receive, secure_send, state)
        finally:
            current_grant.reset(t1)
            current_record.reset(t2)
        if state["status"] == 202 and template and ("$export" in template or "$import" in template):
            location = state["location"] or ""
            self.owners[location.rstrip("/").rsplit("/", 1)[-1]] = (grant.client_id, grant.subject)
        self._finish(audit, record, int(state["status"]), started)

    def _deny(self, grant: Grant, template: str | None,
              params: dict[str, str]) -> CareHubError | None:
        needs = requirement(template)
        if not satisfies(grant, needs):
            return Forbidden("the access token's scopes do not allow this route")
        if template in _BULK_STATUS and not grant.scopes.has(ADMIN):
            owner = self.owners.get(params.get("job_id", ""))
            if owner != (grant.client_id, grant.subject):
                return NotFound("no such bulk job for this client")
        return None

    async def _run(self, scope: Scope, receive: Receive, send: Send,
                   state: dict[str, Any]) -> None:
        try:
            await self.app(scope, receive, send)
        except _TooLarge:
            if not state["started"]:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        response = outcome_response(413, [Issue(
            "error", "too-long", f"the request body is larger than {self.max_body} bytes")])
        await response({"type": "http"}, _no_body, send)

    async def _throttled(self, send: Send, wait: int) -> None:
        response = outcome_response(429, [Issue("error", "throttled", "too many requests")],
                                    {"Retry-After": str(wait)})
        await response({"type": "http"}, _no_body, send)

    def _finish(self, audit: AuditInput, record: AccessRecord, status: int,
                started: float) -> None:
        audit.status = status
        audit.resources, audit.bodies = record.resources, record.bodies
        audit.patients, audit.denied = record.patients, record.denied
        if self.writer is not None:
            self.writer.submit(audit)
        log.info("%s %s -> %d (%s, %.1f ms)", audit.method, audit.route, status,
                 audit.client_id or "-", (time.perf_counter() - started) * 1000)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
