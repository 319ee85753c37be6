"""Detached JSON Web Signatures with the server's RSA signing key.

https://www.rfc-editor.org/rfc/rfc7515#appendix-F (detached content)

:class:`KeySigner` implements :class:`carehub.telemed.conference.Signer` with
:class:`carehub.security.keys.SigningKey` (the key of ``/auth/jwks``). The key
file is opened (or created) on first use, not at start-up.
"""

from __future__ import annotations

from pathlib import Path

import jwt
from jwt.api_jws import PyJWS

from carehub.security.keys import SigningKey

ALGORITHM = "RS256"


class KeySigner:
    """Signs with the RSA key stored at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: SigningKey | None = None

    @property
    def key(self) -> SigningKey:
        """The signing key (loaded on first use)."""
        if self._key is None:
            self._key = SigningKey(self.path)
        return self._key

    def sign(self, payload: bytes) -> str:
        """A compact JWS over ``payload`` with the payload part left empty."""
        return PyJWS().encode(payload, self.key.private, algorithm=ALGORITHM,
                              headers={"kid": self.key.kid}, is_payload_detached=True)

    def verify(self, jws: str, payload: bytes) -> bool:
        """Whether ``jws`` is this key's signature over ``payload``."""
        try:
            PyJWS().decode_complete(jws, self.key.private.public_key(), algorithms=[ALGORITHM],
                                    detached_payload=payload)
        except jwt.PyJWTError:
            return False
        return True
