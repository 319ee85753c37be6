"""Page rendering: Jinja2 templates (package data, autoescaped) with the per-request context.

https://jinja.palletsprojects.com/en/3.1/api/#autoescaping and
https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP

Every page extends ``base.html`` (header with the language switch, the
navigation of the user's role, a skip link and one ``main`` landmark) and gets
a :class:`PageContext` as ``page`` plus ``t`` (the translator). Responses
carry their own Content-Security-Policy (scripts and styles only from this
site, no inline script) and the security headers, with or without the
security middleware (authorization off), and set the language and CSRF
cookies when needed.

Failure modes: an unknown template raises ``jinja2.TemplateNotFound`` (a bug).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from carehub.web.i18n import LANG_COOKIE, LANGUAGES, Translator, pick_language
from carehub.web.nav import NavItem, nav_for
from carehub.web.session import CSRF_COOKIE, WebUser, current_user, new_csrf_token

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
"""Pages run only this site's scripts; plotly needs inline styles and data: images."""
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(slots=True)
class PageContext:
    """What every template knows about the request (``page`` in templates)."""

    lang: str
    csrf: str
    user: WebUser | None
    auth_on: bool
    nav: list[NavItem]
    path: str
    switch_url: str
    new_csrf: bool = False
    set_lang: bool = False
    other_lang: str = field(default="en")


def switch_url(path: str, query: list[tuple[str, str]], lang: str) -> str:
    """The current page in ``lang`` (other parameters kept).

    >>> switch_url("/app/patients", [("q", "Nguyễn"), ("lang", "vi")], "en")
    '/app/patients?q=Nguy%E1%BB%85n&lang=en'
    """
    kept = [(k, v) for k, v in query if k != "lang"] + [("lang", lang)]
    return f"{path}?{urlencode(kept)}"


def render_markdown(text: str) -> Markup:
    """Markdown (CDS card details) as HTML; raw HTML in the text is escaped, not kept.

    >>> str(render_markdown("**Due** <b>x</b>"))
    '<p><strong>Due</strong> &lt;b&gt;x&lt;/b&gt;</p>\\n'
    """
    return Markup(_MARKDOWN.render(text))


class Pages:
    """The template environment and the response builder of the web application."""

    def __init__(self, default_lang: str) -> None:
        self.default_lang = default_lang
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("carehub.web", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["markdown"] = render_markdown

    def context(self, request: Request) -> PageContext:
        """The page context of ``request`` (language, CSRF token, user, menu)."""
        asked = request.query_params.get("lang")
        lang = pick_language(asked, request.cookies.get(LANG_COOKIE), self.default_lang)
        csrf = request.cookies.get(CSRF_COOKIE) or ""
        server = getattr(request.app.state, "auth", None)
        user = current_user(server)
        auth_on = server is not None
        other = next(code for code in LANGUAGES if code != lang)
        return PageContext(
            lang=lang, csrf=csrf or new_csrf_token(), user=user, auth_on=auth_on,
            nav=nav_for(user.role if user else None, auth_on), path=request.url.path,
            switch_url=switch_url(request.url.path, list(request.query_params.multi_items()),
                                  other),
            new_csrf=not csrf, set_lang=asked in LANGUAGES, other_lang=other,
        )

    def render(self, request: Request, template: str, status: int = 200,
               page: PageContext | None = None, **values: Any) -> HTMLResponse:
        """Render ``template`` with ``values``; the response carries cookies and headers."""
        ctx = page or self.context(request)
        t = Translator(ctx.lang)
        body = self.env.get_template(template).render(page=ctx, t=t, **values)
        response = HTMLResponse(body, status_code=status)
        self.finish(request, response, ctx)
        return response

    def error(self, request: Request, status: int, key: str) -> HTMLResponse:
        """An error page with the message of translation ``key``."""
        return self.render(request, "error.html", status=status, message_key=key)

    def finish(self, request: Request, response: Response, ctx: PageContext) -> None:
        """Add the security headers and the language/CSRF cookies to ``response``."""
        for name, value in HEADERS.items():
            response.headers[name] = value
        secure = request.url.scheme == "https"
        if ctx.new_csrf:
            response.set_cookie(CSRF_COOKIE, ctx.csrf, httponly=True, samesite="strict",
                                secure=secure, path="/")
        if ctx.set_lang:
            response.set_cookie(LANG_COOKIE, ctx.lang, max_age=365 * 24 * 3600,
                                samesite="lax", secure=secure, path="/")
