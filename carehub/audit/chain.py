"""The hash chain that makes the audit trail tamper-evident.

https://hl7.org/fhir/R4/security.html#audit and
https://www.rfc-editor.org/rfc/rfc6962 (the idea: each entry commits to all before it)

Entry *n* stores ``hash_n = SHA-256(hash_{n-1} || "\\n" || canonical JSON of entry n)``
with ``hash_0`` = :data:`GENESIS`. Changing any entry changes its hash and
breaks every later link; deleting one breaks the link after it; cutting the
tail is caught by the head anchor the log keeps beside the database.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> bytes:
    """The canonical bytes of an entry (sorted keys, no spaces).

    >>> canonical({"b": 1, "a": [2]})
    b'{"a":[2],"b":1}'
    """
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def link(previous: str, body: bytes) -> str:
    """The hash of an entry whose canonical bytes are ``body``, after ``previous``.

    >>> link(GENESIS, b"{}")[:16]
    '5649d09ed68c1715'
    """
    return hashlib.sha256(previous.encode() + b"\n" + body).hexdigest()
