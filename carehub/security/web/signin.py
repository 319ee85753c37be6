"""The authorization endpoint and its sign-in page (Vietnamese and English labels).

http://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code and
https://www.rfc-editor.org/rfc/rfc6749#section-4.1 with https://www.rfc-editor.org/rfc/rfc7636

``GET /auth/authorize`` checks the client and redirect URI (an unknown one is
answered on the page, never redirected to), requires PKCE with S256 and
``aud`` naming this FHIR server, and shows the sign-in form; ``POST`` checks
the password and redirects back with a single-use code. ``launch`` (EHR
launch) binds the patient chosen in the EHR; a standalone launch asking
``launch/patient`` takes the patient id typed on the form (staff) or the
user's own record (patients). The page is plain HTML; the web application
restyles it later.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from carehub.security.server import AuthServer, OAuthError
from carehub.security.web.oauth import form

FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "aud",
          "code_challenge", "code_challenge_method", "launch", "nonce")

PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>CareHub — Đăng nhập / Sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
<h1>CareHub</h1>
<p>Ứng dụng <b>{client}</b> yêu cầu truy cập / The app <b>{client}</b> asks for access:</p>
<p><code>{scope}</code></p>
{error}
<form method="post" action="authorize">
{hidden}
<p><label>Tên đăng nhập / User name<br><input name="username" autocomplete="username"
 required></label></p>
<p><label>Mật khẩu / Password<br><input name="password" type="password"
 autocomplete="current-password" required></label></p>
{patient}
<p><button type="submit">Đăng nhập / Sign in</button></p>
</form></body></html>
"""
PATIENT_FIELD = """<p><label>Mã bệnh nhân / Patient id<br><input name="patient"></label></p>"""


def _page(client: str, params: dict[str, str], error: str = "", status: int = 200) -> Response:
    hidden = "\n".join(
        f'<input type="hidden" name="{k}" value="{html.escape(params[k], quote=True)}">'
        for k in FIELDS if k in params
    )
    wants_patient = "launch/patient" in params.get("scope", "").split() and not params.get("launch")
    body = PAGE.format(
        client=html.escape(client), scope=html.escape(params.get("scope", "")),
        error=f'<p role="alert" style="color: #a00">{html.escape(error)}</p>' if error else "",
        hidden=hidden, patient=PATIENT_FIELD if wants_patient else "",
    )
    return HTMLResponse(body, status_code=status)


def signin_router(server: AuthServer, base_url: str | None) -> APIRouter:
    """The authorization endpoint bound to ``server``."""
    r = APIRouter(prefix="/auth", tags=["authorization"])

    def audiences(request: Request) -> set[str]:
        out = {str(request.base_url).rstrip("/") + "/fhir"}
        if base_url:
            out.add(base_url.rstrip("/"))
        return out

    def check(request: Request, params: dict[str, str]) -> tuple[str, Response | None]:
        """The client's name, or an error page/redirect."""
        client = server.accounts.client(params.get("client_id", ""))
        uri = params.get("redirect_uri", "")
        if client is None or not client.active or client.kind == "backend":
            return "", _page("?", params, "Ứng dụng không hợp lệ / Unknown client", 400)
        if uri not in client.redirect_uris:
            return "", _page(client.name, params,
                             "Địa chỉ chuyển hướng không hợp lệ / Invalid redirect_uri", 400)
        problem = None
        if params.get("response_type") != "code":
            problem = ("unsupported_response_type", "response_type must be code")
        elif params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            problem = ("invalid_request", "PKCE with code_challenge_method=S256 is required")
        elif params.get("aud", "").rstrip("/") not in audiences(request):
            problem = ("invalid_request", "aud must be this FHIR server's base URL")
        if problem is not None:
            return client.name, _redirect(uri, {"error": problem[0],
                                                "error_description": problem[1]}, params)
        return client.name, None

    @r.get("/authorize")
    async def authorize_page(request: Request) -> Response:
        params = {k: v for k, v in request.query_params.items() if k in FIELDS}
        name, problem = check(request, params)
        return problem or _page(name, params)

    @r.post("/authorize")
    async def authorize_submit(request: Request) -> Response:
        try:
            data = await form(request)
        except OAuthError as exc:
            return _page("?", {}, exc.message, 400)
        params = {k: v for k, v in data.items() if k in FIELDS}
        name, problem = check(request, params)
        if problem is not None:
            return problem
        user = server.accounts.authenticate(data.get("username", ""), data.get("password", ""))
        if user is None:
            return _page(name, params, "Sai tên đăng nhập hoặc mật khẩu / Wrong user name or "
                         "password", 401)
        patient = data.get("patient") or None
        if params.get("launch"):
            ctx = server.tokens.launch(params["launch"], user.username)
            if ctx is None:
                return _redirect(params["redirect_uri"], {"error": "invalid_request",
                                 "error_description": "unknown or expired launch"}, params)
            patient = ctx[0]
        client = server.client(params["client_id"])
        try:
            grant = server.user_grant(client, user, params.get("scope", ""), patient)
        except OAuthError as exc:
            return _redirect(params["redirect_uri"], {"error": exc.error,
                             "error_description": exc.message}, params)
        code = server.tokens.new_code(client.client_id, params["redirect_uri"],
                                      str(grant.scopes), user.username, grant.patient,
                                      params["code_challenge"], params.get("nonce"))
        return _redirect(params["redirect_uri"], {"code": code}, params)

    return r


def _redirect(uri: str, values: dict[str, str], params: dict[str, str]) -> Response:
    if "state" in params:
        values = {**values, "state": params["state"]}
    sep = "&" if "?" in uri else "?"
    return RedirectResponse(uri + sep + urlencode(values), status_code=303)
