"""CareHub's authorization server: the grant decisions behind the OAuth endpoints.

http://hl7.org/fhir/smart-app-launch/app-launch.html,
http://hl7.org/fhir/smart-app-launch/backend-services.html,
https://www.rfc-editor.org/rfc/rfc6749 and https://www.rfc-editor.org/rfc/rfc7636

This module holds no HTTP: :mod:`carehub.security.web.oauth` parses requests
and renders RFC 6749 answers; here the scopes are decided. A token never
holds more than the intersection of what the app asked for, what the client
is registered for and what the user's role allows
(:func:`carehub.security.scopes.narrow`).

Failure modes: :class:`OAuthError` carrying the RFC 6749 error code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carehub.errors import Forbidden
from carehub.security.accounts import Accounts, Client, User
from carehub.security.assertions import verify_assertion
from carehub.security.context import Grant
from carehub.security.db import SecurityDb
from carehub.security.external import ExternalIssuer
from carehub.security.keys import SigningKey
from carehub.security.roles import BREAK_GLASS_SCOPES, role
from carehub.security.scopes import ScopeSet, narrow
from carehub.security.tokens import Issued, Tokens


class OAuthError(Forbidden):
    """An OAuth error: ``error`` is the RFC 6749 code, ``status`` the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Token lifetimes and the optional external issuer."""

    token_lifetime_s: int = 3600
    refresh_lifetime_s: int = 30 * 24 * 3600
    break_glass_s: int = 1800
    external: ExternalIssuer | None = None


class AuthServer:
    """Users, clients and tokens, with the rules for issuing tokens."""

    def __init__(self, data_dir: Path, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.db = SecurityDb(data_dir / "security.sqlite")
        self.accounts = Accounts(self.db)
        self.tokens = Tokens(self.db, self.config.token_lifetime_s,
                             self.config.refresh_lifetime_s)
        self.key = SigningKey(data_dir / "security-signing-key.pem")

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # -- bearer tokens ---------------------------------------------------------------
    def bearer(self, token: str) -> Grant | None:
        """The grant of a bearer token: CareHub's own, or the external issuer's JWT."""
        if not token or len(token) > 8192:
            return None
        if token.count(".") == 2 and self.config.external is not None:
            return self.config.external.verify(token)
        return self.tokens.lookup(token)

    # -- decisions -------------------------------------------------------------------
    def client(self, client_id: str) -> Client:
        """An active client.

        Raises:
            OAuthError: ``invalid_client`` (401).
        """
        found = self.accounts.client(client_id)
        if found is None or not found.active:
            raise OAuthError("invalid_client", "unknown or disabled client", 401)
        return found

    def user_grant(self, client: Client, user: User, asked: str, patient: str | None) -> Grant:
        """What a signed-in user gets for an app's request.

        Raises:
            OAuthError: ``invalid_scope`` when nothing asked for may be granted.
        """
        r = role(user.role)
        granted = narrow(narrow(ScopeSet.parse(asked), client.scopes), r.scopes)
        if not granted.clinical and not granted.other:
            raise OAuthError("invalid_scope", "none of the requested scopes may be granted")
        if user.fhir_user and user.fhir_user.startswith("Patient/"):
            patient = user.fhir_user.removeprefix("Patient/")
        if any(c.context == "patient" for c in granted.clinical) and patient is None:
            raise OAuthError("invalid_request", "patient scopes need a patient in context")
        return Grant(user.username, client.client_id, granted, patient, user.fhir_user, r.name,
                     user.department if r.department else None)

    def issue(self, grant: Grant, refresh: bool, family: str | None = None) -> Issued:
        """Tokens for ``grant``; a refresh token only with ``offline_access``/``online_access``."""
        wants = grant.scopes.has("offline_access") or grant.scopes.has("online_access")
        return self.tokens.issue(grant, refresh=refresh and wants, family=family)

    def refresh(self, token: str, client: Client, asked: str | None) -> Issued:
        """Rotate a refresh token; ``asked`` may only narrow the scopes.

        Raises:
            OAuthError: ``invalid_grant``.
        """
        used = self.tokens.use_refresh(token, client.client_id)
        if used is None:
            raise OAuthError("invalid_grant", "the refresh token is not valid")
        grant, family = used
        if grant.role is not None:
            user = self.accounts.user(grant.subject)
            if user is None or not user.active:
                self.tokens.revoke_family(family)
                raise OAuthError("invalid_grant", "the user is no longer active")
        scopes = narrow(ScopeSet.parse(asked), grant.scopes) if asked else grant.scopes
        new = Grant(grant.subject, grant.client_id, scopes, grant.patient, grant.fhir_user,
                    grant.role, grant.department, None, "")
        return self.issue(new, refresh=True, family=family)

    def backend(self, client_id: str, assertion: str, asked: str,
                audiences: tuple[str, ...]) -> Issued:
        """SMART Backend Services: client_credentials with a signed assertion.

        Raises:
            OAuthError: ``invalid_client`` (bad assertion) or ``invalid_scope``.
        """
        client = self.client(client_id)
        if client.kind != "backend" or client.jwks is None:
            raise OAuthError("unauthorized_client", "the client is not a backend service", 400)
        try:
            verify_assertion(assertion, client.client_id, client.jwks, audiences,
                             self.tokens.first_use_of_assertion)
        except Forbidden as exc:
            raise OAuthError("invalid_client", exc.message, 401) from None
        granted = narrow(ScopeSet.parse(asked), client.scopes)
        granted = ScopeSet(tuple(c for c in granted.clinical if c.context == "system"),
                           granted.other)
        if not granted.clinical and not granted.other:
            raise OAuthError("invalid_scope", "none of the requested scopes may be granted")
        grant = Grant(client.client_id, client.client_id, granted)
        return self.tokens.issue(grant, refresh=False)

    def break_glass(self, grant: Grant, reason: str) -> Issued:
        """An emergency read grant for a staff member whose role allows it.

        Raises:
            OAuthError: ``access_denied`` (role without break-glass, no reason).
        """
        reason = " ".join(reason.split())
        if grant.role is None or not role(grant.role).break_glass:
            raise OAuthError("access_denied", "this role may not use emergency access", 403)
        if len(reason) < 10:
            raise OAuthError("invalid_request", "state the reason for emergency access")
        scopes = ScopeSet.parse(BREAK_GLASS_SCOPES)
        bg = Grant(grant.subject, grant.client_id, scopes, None, grant.fhir_user, grant.role,
                   None, reason[:500])
        return self.tokens.issue(bg, refresh=False, lifetime_s=self.config.break_glass_s)
