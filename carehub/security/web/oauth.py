"""The OAuth 2.0 endpoints: token, introspection, revocation, JWKS, launch, break-glass.

https://www.rfc-editor.org/rfc/rfc6749 (token endpoint, §5.2 errors),
https://www.rfc-editor.org/rfc/rfc7636 (PKCE), https://www.rfc-editor.org/rfc/rfc7662
(introspection), https://www.rfc-editor.org/rfc/rfc7009 (revocation),
https://www.rfc-editor.org/rfc/rfc7523 (JWT client assertions) and
http://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-access-token

=================================  ===============================================
``POST /auth/token``               ``authorization_code`` (+ PKCE), ``refresh_token``,
                                   ``client_credentials`` (signed JWT assertion)
``POST /auth/introspect``          RFC 7662; the caller authenticates as a client
``POST /auth/revoke``              RFC 7009; always 200
``GET  /auth/jwks``                CareHub's public signing keys (ID tokens)
``POST /auth/launch``              an EHR session creates a launch context (patient)
``POST /auth/break-glass``         emergency access with a stated reason
=================================  ===============================================

Errors are RFC 6749 JSON (``{"error": ..., "error_description": ...}``), never
OperationOutcomes; token responses carry ``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from carehub.errors import Forbidden
from carehub.security.accounts import Client
from carehub.security.assertions import ASSERTION_TYPE, unverified_issuer
from carehub.security.context import current_grant
from carehub.security.server import AuthServer, OAuthError
from carehub.security.tokens import Issued

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(exc: OAuthError) -> JSONResponse:
    """The RFC 6749 §5.2 response of an error."""
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="CareHub"'
    return JSONResponse({"error": exc.error, "error_description": exc.message},
                        status_code=exc.status, headers=headers)


async def form(request: Request) -> dict[str, str]:
    """The ``application/x-www-form-urlencoded`` body (repeated keys: the first wins).

    Raises:
        OAuthError: another content type.
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "send application/x-www-form-urlencoded parameters")
    out: dict[str, str] = {}
    text = (await request.body()).decode("utf-8", errors="replace")
    for key, value in parse_qsl(text, keep_blank_values=True):
        out.setdefault(key, value)
    return out


def token_endpoint_urls(request: Request, base_url: str | None) -> tuple[str, ...]:
    """Accepted ``aud`` values of client assertions: this token endpoint's URLs."""
    urls = {str(request.url_for("oauth_token"))}
    if base_url:
        urls.add(base_url.rstrip("/").removesuffix("/fhir") + "/auth/token")
    return tuple(sorted(urls))


def client_from(server: AuthServer, request: Request, params: dict[str, str]) -> Client:
    """The client of a token/introspect/revoke call, authenticated as its kind requires.

    Public clients name themselves with ``client_id``; confidential ones prove
    their secret (HTTP Basic or ``client_secret``).

    Raises:
        OAuthError: ``invalid_client``.
    """
    auth = request.headers.get("authorization", "")
    secret: str | None = None
    client_id = params.get("client_id", "")
    if auth.lower().startswith("basic "):
        try:
            raw = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
        user, _, pw = raw.partition(":")
        client_id, secret = unquote(user), unquote(pw)
    elif "client_secret" in params:
        secret = params["client_secret"]
    client = server.client(client_id)
    if client.kind == "confidential":
        if secret is None or not server.accounts.check_secret(client, secret):
            raise OAuthError("invalid_client", "client authentication failed", 401)
    elif client.kind == "backend":
        raise OAuthError("invalid_client", "backend clients authenticate with an assertion", 401)
    return client


def token_body(server: AuthServer, issued: Issued, issuer: str,
               nonce: str | None = None) -> dict[str, Any]:
    """The JSON of a successful token response (SMART launch context included)."""
    g = issued.grant
    body: dict[str, Any] = {"access_token": issued.access_token, "token_type": "Bearer",
                            "expires_in": issued.expires_in, "scope": str(g.scopes)}
    if issued.refresh_token:
        body["refresh_token"] = issued.refresh_token
    if g.patient:
        body["patient"] = g.patient
        body["need_patient_banner"] = True
    if g.scopes.has("openid") and g.role is not None:
        body["id_token"] = server.key.id_token(issuer, g.client_id, g.subject, g.fhir_user, nonce)
    return body


def oauth_router(server: AuthServer, base_url: str | None) -> APIRouter:
    """The OAuth endpoints bound to ``server``."""
    r = APIRouter(prefix="/auth", tags=["authorization"])

    def issuer(request: Request) -> str:
        return (base_url or str(request.base_url).rstrip("/") + "/fhir").rstrip("/")

    @r.post("/token", name="oauth_token")
    async def token(request: Request) -> Response:
        try:
            params = await form(request)
            grant_type = params.get("grant_type")
            if grant_type == "client_credentials":
                if params.get("client_assertion_type") != ASSERTION_TYPE:
                    raise OAuthError("invalid_client", "a signed client assertion is required",
                                     401)
                assertion = params.get("client_assertion", "")
                try:
                    client_id = unverified_issuer(assertion)
                except Forbidden as exc:
                    raise OAuthError("invalid_client", exc.message, 401) from None
                issued = server.backend(client_id, assertion, params.get("scope", ""),
                                        token_endpoint_urls(request, base_url))
                return JSONResponse(token_body(server, issued, issuer(request)), headers=NO_STORE)
            client = client_from(server, request, params)
            if grant_type == "authorization_code":
                code = server.tokens.redeem_code(
                    params.get("code", ""), client.client_id, params.get("redirect_uri", ""),
                    params.get("code_verifier", ""))
                if code is None:
                    raise OAuthError("invalid_grant", "the code, redirect_uri or code_verifier "
                                     "is not valid")
                user = server.accounts.user(code.username)
                if user is None or not user.active:
                    raise OAuthError("invalid_grant", "the user is no longer active")
                grant = server.user_grant(client, user, code.scopes, code.patient)
                issued = server.issue(grant, refresh=True, family=code.family)
                body = token_body(server, issued, issuer(request), code.nonce)
                return JSONResponse(body, headers=NO_STORE)
            if grant_type == "refresh_token":
                issued = server.refresh(params.get("refresh_token", ""), client,
                                        params.get("scope"))
                return JSONResponse(token_body(server, issued, issuer(request)), headers=NO_STORE)
            raise OAuthError("unsupported_grant_type",
                             f"grant_type '{grant_type}' is not supported")
        except OAuthError as exc:
            return oauth_error(exc)

    @r.post("/introspect")
    async def introspect(request: Request) -> Response:
        try:
            params = await form(request)
            grant = server.bearer(_bearer(request))
            if grant is None or not grant.scopes.has("carehub.admin"):
                client = client_from(server, request, params)
                if client.kind != "confidential":
                    raise OAuthError("invalid_client", "introspection needs client "
                                     "authentication", 401)
            return JSONResponse(server.tokens.introspect(params.get("token", "")),
                                headers=NO_STORE)
        except OAuthError as exc:
            return oauth_error(exc)

    @r.post("/revoke")
    async def revoke(request: Request) -> Response:
        try:
            params = await form(request)
            client = client_from(server, request, params)
            server.tokens.revoke(params.get("token", ""), client.client_id)
            return Response(status_code=200, headers=NO_STORE)
        except OAuthError as exc:
            return oauth_error(exc)

    @r.get("/jwks")
    async def jwks() -> Response:
        return JSONResponse(server.key.jwks())

    @r.post("/launch")
    async def launch(request: Request) -> Response:
        grant = current_grant.get()
        try:
            params = await form(request)
            if grant is None or grant.role is None:
                raise OAuthError("access_denied", "only a signed-in staff member can launch", 403)
            patient = params.get("patient") or None
            launch_id = server.tokens.new_launch(grant.subject, patient,
                                                 params.get("encounter") or None)
            return JSONResponse({"launch": launch_id}, headers=NO_STORE)
        except OAuthError as exc:
            return oauth_error(exc)

    @r.post("/break-glass")
    async def break_glass(request: Request) -> Response:
        grant = current_grant.get()
        try:
            params = await form(request)
            if grant is None:
                raise OAuthError("access_denied", "sign in first", 403)
            issued = server.break_glass(grant, params.get("reason", ""))
            body = token_body(server, issued, issuer(request))
            body["break_glass"] = True
            return JSONResponse(body, headers=NO_STORE)
        except OAuthError as exc:
            return oauth_error(exc)

    return r


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
