"""``.well-known/smart-configuration``: what CareHub's authorization server offers.

http://hl7.org/fhir/smart-app-launch/conformance.html#using-well-known

Served at ``/.well-known/smart-configuration`` and at the FHIR base
(``/fhir/.well-known/smart-configuration``), where SMART clients look.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

CAPABILITIES = (
    "launch-ehr", "launch-standalone", "client-public", "client-confidential-symmetric",
    "client-confidential-asymmetric", "context-ehr-patient", "context-standalone-patient",
    "sso-openid-connect", "permission-offline", "permission-online", "permission-patient",
    "permission-user", "permission-v1", "permission-v2", "authorize-post",
)
SCOPES = ("openid", "fhirUser", "launch", "launch/patient", "offline_access", "online_access",
          "patient/*.rs", "user/*.cruds", "system/*.rs")


def smart_configuration(root: str, issuer: str) -> dict[str, Any]:
    """The discovery document for a server whose origin is ``root``.

    >>> smart_configuration("https://h", "https://h/fhir")["token_endpoint"]
    'https://h/auth/token'
    """
    return {
        "issuer": issuer,
        "jwks_uri": f"{root}/auth/jwks",
        "authorization_endpoint": f"{root}/auth/authorize",
        "token_endpoint": f"{root}/auth/token",
        "introspection_endpoint": f"{root}/auth/introspect",
        "revocation_endpoint": f"{root}/auth/revoke",
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": list(CAPABILITIES),
    }


def discovery_router(base_url: str | None, external_issuer: str | None = None) -> APIRouter:
    """The two discovery routes."""
    r = APIRouter(tags=["authorization"])

    def document(request: Request) -> Response:
        root = (base_url.rstrip("/").removesuffix("/fhir") if base_url
                else str(request.base_url).rstrip("/"))
        body = smart_configuration(root, external_issuer or f"{root}/fhir")
        return JSONResponse(body)

    r.add_api_route("/.well-known/smart-configuration", document, methods=["GET"])
    r.add_api_route("/fhir/.well-known/smart-configuration", document, methods=["GET"])
    return r
