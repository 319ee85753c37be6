"""Sign-in, sign-out and the home redirect of the web application.

https://www.rfc-editor.org/rfc/rfc6749 (CareHub's own authorization server)

``GET /app/signin`` shows the form, ``POST /app/signin`` checks the CSRF
token and the password (:func:`carehub.web.session.sign_in`) and sets the
session cookie, then goes to ``next`` (a local ``/app/`` path only).
``POST /app/signout`` revokes the token and clears the cookie. ``GET /app/``
sends each user to the first screen of their role. With authorization off
the sign-in page only redirects home.

Failure modes: wrong credentials or a role without web scopes re-show the
form (401/403) with a message; a bad CSRF token is a 403 page.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.security.server import OAuthError
from carehub.web.app import Web
from carehub.web.session import (
    SESSION_COOKIE,
    checked_form,
    sign_in,
)


def safe_next(target: str | None) -> str:
    """A redirect target inside the web application (anything else: home).

    >>> safe_next("/app/patients?q=a"), safe_next("https://evil.example/"), safe_next("//x")
    ('/app/patients?q=a', '/app/', '/app/')
    """
    if target and target.startswith("/app/") and not target.startswith("//"):
        return target
    return "/app/"


def router(web: Web) -> APIRouter:
    """The sign-in routes bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/")
    async def home(request: Request) -> Response:
        page = web.pages.context(request)
        if not page.nav:
            return web.pages.error(request, 403, "error.no_screen")
        return RedirectResponse(page.nav[0].path, status_code=303)

    @r.get("/app/signin")
    async def signin_page(request: Request) -> Response:
        server = getattr(request.app.state, "auth", None)
        target = safe_next(request.query_params.get("next"))
        token = request.cookies.get(SESSION_COOKIE)
        if server is None or (token and server.bearer(token) is not None):
            return RedirectResponse(target, status_code=303)
        return web.pages.render(request, "signin.html", next=target, error_key=None,
                                username="")

    @r.post("/app/signin")
    async def signin_submit(request: Request) -> Response:
        server = getattr(request.app.state, "auth", None)
        if server is None:
            return RedirectResponse("/app/", status_code=303)
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        target = safe_next(str(form.get("next", "")))
        username = str(form.get("username", ""))
        try:
            token = sign_in(server, username, str(form.get("password", "")))
        except OAuthError:
            return web.pages.render(request, "signin.html", status=403, next=target,
                                    error_key="signin.no_access", username=username)
        if token is None:
            return web.pages.render(request, "signin.html", status=401, next=target,
                                    error_key="signin.wrong", username=username)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/app")
        return response

    @r.post("/app/signout")
    async def signout(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        server = getattr(request.app.state, "auth", None)
        token = request.cookies.get(SESSION_COOKIE)
        if server is not None and token:
            server.tokens.revoke(token)
        response = RedirectResponse("/app/signin" if server else "/app/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/app")
        return response

    return r
