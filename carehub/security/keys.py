"""CareHub's own signing key (id tokens) and JSON Web Key Sets.

https://www.rfc-editor.org/rfc/rfc7517 (JWK), https://openid.net/specs/openid-connect-core-1_0.html#IDToken,
http://hl7.org/fhir/smart-app-launch/app-launch.html#openid-connect-id-token

The key is an RSA key generated on first start into
``<data dir>/security-signing-key.pem`` (owner-readable only); its public half
is published at ``/auth/jwks``. ID tokens are RS256 as OpenID Connect requires.

Failure modes: :class:`~carehub.errors.Fault` when the key file is unreadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from carehub.errors import Fault

ID_TOKEN_ALG = "RS256"
ID_TOKEN_LIFETIME_S = 3600


class SigningKey:
    """The server's RSA key pair."""

    def __init__(self, path: Path) -> None:
        try:
            if path.exists():
                pem = path.read_bytes()
            else:
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(pem)
            loaded = serialization.load_pem_private_key(pem, password=None)
        except (OSError, ValueError) as exc:
            raise Fault(f"cannot load the signing key {path}: {exc}") from None
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise Fault(f"the signing key {path} is not an RSA key")
        self.private = loaded
        public = json.loads(RSAAlgorithm.to_jwk(loaded.public_key()))
        self.kid = hashlib.sha256(public["n"].encode()).hexdigest()[:16]
        self.jwk: dict[str, Any] = {**public, "kid": self.kid, "use": "sig", "alg": ID_TOKEN_ALG}

    def jwks(self) -> dict[str, Any]:
        """The public key set."""
        return {"keys": [self.jwk]}

    def id_token(self, issuer: str, audience: str, subject: str, fhir_user: str | None,
                 nonce: str | None) -> str:
        """A signed OpenID Connect ID token."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": issuer, "sub": subject, "aud": audience, "iat": now,
                                  "exp": now + ID_TOKEN_LIFETIME_S}
        if fhir_user:
            claims["fhirUser"] = fhir_user
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(claims, self.private, algorithm=ID_TOKEN_ALG,
                          headers={"kid": self.kid})
