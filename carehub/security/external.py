"""Access tokens from an external OpenID Connect provider, checked by issuer and JWKS.

https://openid.net/specs/openid-connect-discovery-1_0.html,
https://www.rfc-editor.org/rfc/rfc9068 (JWT access tokens) and
http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html

When ``CAREHUB_AUTH_ISSUER`` is set, bearer tokens that are JWTs from that
issuer are accepted: the signature must verify with a key of the configured
JWKS (``CAREHUB_AUTH_JWKS``: a file path or an ``https://`` URL, fetched once
and again when an unknown ``kid`` appears), ``aud`` must be the configured
audience, ``exp`` in the future. Scopes come from ``scope`` (space-separated)
or ``scp`` (a list), the launch patient from ``patient``, the user from
``fhirUser``, the role from ``carehub_role``.

Failure modes: :meth:`ExternalIssuer.verify` answers None for any token it
cannot accept; :class:`~carehub.errors.Fault` when the JWKS cannot be loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jwt

from carehub.errors import Fault
from carehub.security.context import Grant
from carehub.security.scopes import ScopeSet

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "PS384")


def load_jwks(source: str, transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """A JWKS from a file path or an http(s) URL.

    Raises:
        Fault: unreadable file, failed download or not a key set.
    """
    try:
        if source.startswith(("https://", "http://")):
            with httpx.Client(transport=transport, timeout=10) as client:
                response = client.get(source)
                response.raise_for_status()
                data = response.json()
        else:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError, httpx.HTTPError) as exc:
        raise Fault(f"cannot load the JWKS {source}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise Fault(f"{source} is not a JSON Web Key Set")
    return data


class ExternalIssuer:
    """Verifies JWT access tokens of one external issuer."""

    def __init__(self, issuer: str, jwks_source: str, audience: str,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.issuer = issuer
        self.source = jwks_source
        self.audience = audience
        self.transport = transport
        self._keys = jwt.PyJWKSet.from_dict(load_jwks(jwks_source, transport))

    def _key(self, kid: str | None) -> Any:
        for refresh in (False, True):
            if refresh:
                if not self.source.startswith(("https://", "http://")):
                    return None
                self._keys = jwt.PyJWKSet.from_dict(load_jwks(self.source, self.transport))
            for key in self._keys.keys:
                if kid is None or key.key_id == kid:
                    return key
        return None

    def verify(self, token: str) -> Grant | None:
        """The grant of a valid token of this issuer, or None."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                return None
            key = self._key(header.get("kid"))
            if key is None:
                return None
            claims = jwt.decode(token, key.key, algorithms=[str(header["alg"])],
                                audience=self.audience, issuer=self.issuer,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except (jwt.PyJWTError, Fault):
            return None
        scope = claims.get("scope")
        if scope is None and isinstance(claims.get("scp"), list):
            scope = " ".join(str(s) for s in claims["scp"])
        client = claims.get("client_id") or claims.get("azp") or "external"
        return Grant(
            subject=str(claims["sub"]),
            client_id=str(client),
            scopes=ScopeSet.parse(str(scope or "")),
            patient=_opt(claims.get("patient")),
            fhir_user=_opt(claims.get("fhirUser")),
            role=_opt(claims.get("carehub_role")),
            token_id=str(claims.get("jti") or "")[:32],
        )


def _opt(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
