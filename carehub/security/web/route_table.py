"""Which routes are public and what every other route requires.

http://hl7.org/fhir/smart-app-launch/app-launch.html and
https://hl7.org/fhir/R4/security.html

The public routes are an explicit allow-list (:data:`PUBLIC`); every other
route needs a valid access token, and the scope named by the longest
matching prefix in :data:`REQUIREMENTS`. A route no prefix covers needs
``carehub.admin``: routes added later are closed until someone opens them.
The table is built from the application's own route list on first use, so it
covers routers included after security was installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.routing import compile_path

from carehub.security.scopes import ADMIN, AUDIT, CDS, OPS, RESEARCH, RESEARCH_STEWARD

#: (path template, method or "*") anyone may call
PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("/fhir/metadata", "*"),
    ("/.well-known/smart-configuration", "*"),
    ("/fhir/.well-known/smart-configuration", "*"),
    ("/auth/authorize", "*"),
    ("/auth/token", "*"),
    ("/auth/introspect", "*"),
    ("/auth/revoke", "*"),
    ("/auth/jwks", "*"),
    ("/self-assessment/Questionnaire", "*"),
    ("/self-assessment/Questionnaire/{qid}", "*"),
    ("/fhir/Questionnaire/{qid}/$score", "*"),
    ("/fhir/QuestionnaireResponse/$score", "*"),
    ("/openapi.json", "*"),
    ("/docs", "*"),
    ("/docs/oauth2-redirect", "*"),
    # the web application: redirects to its home, sign-in and sign-out (CSRF-checked)
    ("/", "*"),
    ("/app", "*"),
    ("/app/signin", "*"),
    ("/app/signout", "*"),
    # telemedicine: the video room page and its assets hold no data (the join token
    # in the URL fragment is checked by the signalling WebSocket)
    ("/telemed/room/{appointment_id}", "GET"),
    ("/telemed/static/{name}", "GET"),
    # the public self-assessment (answers are scored, never stored) and health education
    ("/app/self-check", "GET"),
    ("/app/self-check/{qid}", "*"),
    ("/app/education", "GET"),
    ("/app/education/{programme}", "GET"),
    ("/app/education/{programme}/{item_id}", "GET"),
})
#: path prefixes whose routes are public (static files)
PUBLIC_PREFIXES = ("/static/", "/app/static/")

FHIR_DATA = "fhir-data"  # any patient/, user/ or system/ scope; details are enforced per access
AUTHENTICATED = "authenticated"
STAFF = "staff"  # a signed-in user with a staff role

#: path prefix → scopes of which the token needs one (longest prefix wins)
REQUIREMENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/fhir", (FHIR_DATA,)),
    ("/audit/", (AUDIT, ADMIN)),
    ("/ops/", (OPS, ADMIN)),
    ("/cds-services", (CDS, ADMIN)),
    ("/research/", (RESEARCH, RESEARCH_STEWARD, ADMIN)),  # access requests
    ("/research/steward/", (RESEARCH_STEWARD, ADMIN)),  # deciding them
    ("/auth/", (STAFF,)),
    ("/app/", (FHIR_DATA,)),  # web pages: data access is checked per resource by the guard
    ("/app/ops", (OPS, ADMIN)),  # the operations dashboard
    ("/telemed/", (FHIR_DATA,)),  # telemedicine API: its own rules on the token's person
)


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One route: its template, methods and compiled pattern."""

    path: str
    methods: frozenset[str]
    pattern: re.Pattern[str]


def walk_routes(routes: Iterable[Any], prefix: str = "") -> list[RouteInfo]:
    """Every HTTP route in matching order, included routers flattened."""
    out: list[RouteInfo] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out += walk_routes(inner.routes, prefix + getattr(route.include_context, "prefix", ""))
        elif hasattr(route, "path"):
            path = prefix + route.path
            methods = frozenset(getattr(route, "methods", None) or {"*"})
            if not hasattr(route, "methods"):  # a mount (static files)
                path = path.rstrip("/") + "/{path:path}"
            out.append(RouteInfo(path, methods, compile_path(path)[0]))
    return out


def is_public(template: str, method: str) -> bool:
    """Whether a route is on the public allow-list.

    >>> is_public("/fhir/metadata", "GET"), is_public("/fhir/{rtype}", "GET")
    (True, False)
    """
    if (template, "*") in PUBLIC or (template, method) in PUBLIC:
        return True
    return template.startswith(PUBLIC_PREFIXES)


def requirement(template: str | None) -> tuple[str, ...]:
    """The scopes (one of which is needed) for a route template; unknown routes: admin.

    >>> requirement("/fhir/{rtype}"), requirement("/audit/AuditEvent"), requirement("/new/x")
    (('fhir-data',), ('carehub.audit', 'carehub.admin'), ('carehub.admin',))
    """
    best: tuple[str, ...] = (ADMIN,)
    length = -1
    for prefix, needs in REQUIREMENTS:
        if template is not None and template.startswith(prefix) and len(prefix) > length:
            best, length = needs, len(prefix)
    return best


class RouteTable:
    """Matches request paths to route templates (built lazily from the app)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._routes: list[RouteInfo] | None = None
        self._count = -1

    def routes(self) -> list[RouteInfo]:
        """The flattened routes (rebuilt when the app's route list grew)."""
        count = len(self.app.router.routes)
        if self._routes is None or count != self._count:
            self._routes = walk_routes(self.app.router.routes)
            self._count = count
        return self._routes

    def match(self, path: str, method: str) -> tuple[str | None, dict[str, str]]:
        """(template, path parameters) of the route serving ``method path``; None if none."""
        fallback: tuple[str | None, dict[str, str]] = (None, {})
        for info in self.routes():
            m = info.pattern.match(path)
            if m is None:
                continue
            if method in info.methods or "*" in info.methods or (
                method == "HEAD" and "GET" in info.methods
            ):
                return info.path, m.groupdict()
            if fallback[0] is None:
                fallback = (info.path, m.groupdict())
        return fallback
