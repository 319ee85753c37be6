"""Opaque paging cursors: the sort key of a boundary row, base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from carehub.errors import Incorrect


def encode_cursor(direction: str, key: list[Any]) -> str:
    """Encode a keyset position; ``direction`` is ``a`` (after) or ``b`` (before).

    >>> decode_cursor(encode_cursor("a", [1, "x"]))
    ('a', [1, 'x'])
    """
    raw = orjson.dumps([direction, key])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> tuple[str, list[Any]]:
    """Decode a cursor made by :func:`encode_cursor`.

    Raises:
        Incorrect: the cursor is not one CareHub made.
    """
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        direction, key = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise Incorrect("the paging cursor is not valid (_cursor)") from None
    if direction not in ("a", "b") or not isinstance(key, list):
        raise Incorrect("the paging cursor is not valid (_cursor)")
    return direction, key
