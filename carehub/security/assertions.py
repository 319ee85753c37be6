"""Signed JWT client assertions of SMART Backend Services (``private_key_jwt``).

http://hl7.org/fhir/smart-app-launch/backend-services.html#request-access-token and
https://www.rfc-editor.org/rfc/rfc7523

A backend client authenticates with a JWT it signed (RS384 or ES384) with a key
from the JWKS it registered: ``iss`` and ``sub`` are its client id, ``aud``
the token endpoint URL, ``exp`` at most five minutes ahead, and ``jti`` never
used before (replays are refused).

Failure modes: :class:`AssertionRejected` with a reason safe to return to
the client as ``invalid_client``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import jwt

from carehub.errors import Forbidden

ALGORITHMS = ("RS384", "ES384")
MAX_LIFETIME_S = 300
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class AssertionRejected(Forbidden):
    """The client assertion is not acceptable."""


def unverified_issuer(assertion: str) -> str:
    """The ``iss`` claim, read without verification (to find the client's keys).

    Raises:
        AssertionRejected: not a JWT, or no ``iss``.
    """
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AssertionRejected("the client assertion is not a JWT") from None
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise AssertionRejected("the client assertion has no iss")
    return iss


def _keys(jwks: dict[str, Any], kid: str | None, alg: str) -> list[Any]:
    try:
        keyset = jwt.PyJWKSet.from_dict(jwks)
    except jwt.PyJWTError:
        raise AssertionRejected("the client's registered key set is unusable") from None
    kty = "RSA" if alg.startswith("RS") else "EC"
    return [k for k in keyset.keys if (kid is None or k.key_id == kid) and k.key_type == kty]


def verify_assertion(
    assertion: str,
    client_id: str,
    jwks: dict[str, Any],
    audiences: Iterable[str],
    first_use: Callable[[str, str, int], bool],
    now: float | None = None,
) -> dict[str, Any]:
    """Verify a client assertion; return its claims.

    Args:
        assertion: the compact JWT.
        client_id: the registered client it must be issued by.
        jwks: the client's public keys.
        audiences: acceptable ``aud`` values (the token endpoint URLs).
        first_use: records ``(client_id, jti, exp)``; False when already seen.
        now: the current time (tests).

    Raises:
        AssertionRejected: bad algorithm, signature, claims, lifetime or a replay.
    """
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise AssertionRejected("the client assertion is not a JWT") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise AssertionRejected(f"client assertions must be signed with {' or '.join(ALGORITHMS)}")
    current = time.time() if now is None else now
    claims: dict[str, Any] | None = None
    for key in _keys(jwks, header.get("kid"), str(alg)):
        try:
            claims = jwt.decode(
                assertion, key.key, algorithms=[str(alg)], audience=list(audiences),
                issuer=client_id, leeway=5,
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise AssertionRejected(f"the client assertion is not valid: {exc}") from None
    if claims is None:
        raise AssertionRejected("the client assertion's signature matches no registered key")
    if claims["sub"] != client_id:
        raise AssertionRejected("the client assertion's sub must be the client id")
    exp = int(claims["exp"])
    if exp > current + MAX_LIFETIME_S + 5:
        raise AssertionRejected("the client assertion expires more than five minutes ahead")
    if not first_use(client_id, str(claims["jti"]), exp):
        raise AssertionRejected("the client assertion's jti was used before")
    return claims
