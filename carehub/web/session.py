"""Web sessions: sign-in through CareHub's authorization server, cookies and CSRF tokens.

https://www.rfc-editor.org/rfc/rfc6749 (the web application is a registered
client of the authorization server) and
https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html

Signing in checks the password with :class:`~carehub.security.accounts.Accounts`,
asks :meth:`~carehub.security.server.AuthServer.user_grant` for
:data:`STAFF_SCOPES` (staff) or :data:`PATIENT_SCOPES` (patients, bound to
their own record) (narrowed, as for any app, to the client's and the
user's role's scopes) and issues an access token for the client
:data:`WEB_CLIENT`. The token lives only in the ``carehub_session`` cookie
(HttpOnly, SameSite=Lax, path ``/app``, Secure over https); the security
middleware accepts it for ``/app`` routes exactly like a bearer token, so
every page runs with the user's grant and every data access passes the
storage guard. Signing out revokes the token.

POST forms carry a CSRF token that must equal the ``carehub_csrf`` cookie
(double-submit; the cookie is HttpOnly and SameSite=Strict).

Failure modes: :func:`sign_in` returns ``None`` for a wrong user name or
password and raises :class:`~carehub.security.server.OAuthError` when the
user's role may hold none of the web scopes.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request

from carehub.errors import Conflict
from carehub.security.accounts import Accounts
from carehub.security.context import current_grant
from carehub.security.server import AuthServer
from carehub.security.web.middleware import SESSION_COOKIE as SESSION_COOKIE
from carehub.security.web.middleware import WEB_SIGNIN

CSRF_COOKIE = "carehub_csrf"
CSRF_FIELD = "csrf"
WEB_CLIENT = "carehub-web"
STAFF_SCOPES = "openid fhirUser online_access user/*.cruds carehub.cds carehub.ops"
PATIENT_SCOPES = "openid fhirUser online_access patient/*.rs"
WEB_SCOPES = f"{STAFF_SCOPES} patient/*.rs"
"""What the web client may hold; staff ask for :data:`STAFF_SCOPES`, patients for
:data:`PATIENT_SCOPES`, and each user gets the part their role allows."""


def ensure_web_client(accounts: Accounts) -> None:
    """Register the web application's client (:data:`WEB_CLIENT`) when it is missing.

    A confidential client whose secret is thrown away: its tokens are only
    issued in-process by :func:`sign_in`, never through the token endpoint.
    """
    if accounts.client(WEB_CLIENT) is not None:
        return
    with contextlib.suppress(Conflict):  # registered meanwhile by a concurrent sign-in
        accounts.add_client(WEB_CLIENT, "CareHub web application", "confidential",
                            redirect_uris=(WEB_SIGNIN,), scopes=WEB_SCOPES)


def sign_in(server: AuthServer, username: str, password: str) -> str | None:
    """The access token of a web session for ``username``; None for wrong credentials.

    Raises:
        OAuthError: the user's role allows none of :data:`WEB_SCOPES`.
    """
    user = server.accounts.authenticate(username, password)
    if user is None:
        return None
    ensure_web_client(server.accounts)
    client = server.client(WEB_CLIENT)
    is_patient = user.role == "patient" or (user.fhir_user or "").startswith("Patient/")
    grant = server.user_grant(client, user, PATIENT_SCOPES if is_patient else STAFF_SCOPES, None)
    return server.issue(grant, refresh=False).access_token


def new_csrf_token() -> str:
    """A fresh random CSRF token (URL-safe text).

    >>> len(new_csrf_token()) >= 32
    True
    """
    return secrets.token_urlsafe(32)


def csrf_matches(cookie: str | None, submitted: str | None) -> bool:
    """Whether a submitted form's token equals the cookie's (constant time).

    >>> csrf_matches("abc", "abc"), csrf_matches("abc", "abd"), csrf_matches(None, None)
    (True, False, False)
    """
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


async def checked_form(request: Request) -> FormData | None:
    """The submitted form, or None when its CSRF field does not match the cookie."""
    form = await request.form()
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), str(form.get(CSRF_FIELD, ""))):
        return None
    return form


@dataclass(frozen=True, slots=True)
class WebUser:
    """The signed-in user as pages show them (``None`` role: authorization is off)."""

    username: str
    display: str
    role: str | None
    patient: str | None = None


def current_user(server: AuthServer | None) -> WebUser | None:
    """The user of the current request (from the grant the middleware set), if any."""
    grant = current_grant.get()
    if grant is None:
        return None
    display = grant.subject
    if server is not None:
        account = server.accounts.user(grant.subject)
        if account is not None and account.display:
            display = account.display
    return WebUser(grant.subject, display, grant.role, grant.patient)
