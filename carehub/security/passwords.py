"""Password hashing with Argon2id (RFC 9106), through argon2-cffi.

https://www.rfc-editor.org/rfc/rfc9106 and https://argon2-cffi.readthedocs.io/

Only hashes are stored. :func:`verify_password` never raises for a wrong or
malformed hash; it answers False. :func:`generate_password` makes the demo
accounts' passwords (printed once, stored hashed).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (PHC string, salted).

    >>> hash_password("s3cret").startswith("$argon2id$")
    True
    """
    return _HASHER.hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Whether ``password`` matches ``hashed``.

    >>> verify_password(hash_password("a"), "a"), verify_password("junk", "a")
    (True, False)
    """
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


#: verified against when the user does not exist, so timing does not reveal user names
DUMMY_HASH = _HASHER.hash(secrets.token_hex(8))


def generate_password(length: int = 16) -> str:
    """A random password without look-alike characters.

    >>> len(generate_password(12))
    12
    """
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
