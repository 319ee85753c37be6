"""Keyed pseudonyms and per-patient date offsets (HMAC-SHA256), one key per research project.

https://www.rfc-editor.org/rfc/rfc2104 (HMAC) and https://www.rfc-editor.org/rfc/rfc4648 (base32)

Every value here is a keyed hash of the patient's warehouse key, so it is
stable for one project key (the same patient gets the same research id and
the same date offset in every extract of the project) and unrelated across
keys (two projects cannot join their extracts). :func:`project_key` derives a
project's key from the configured secret (``CAREHUB_RESEARCH_SECRET``), so one
secret serves every project while their keys stay independent.

Research ids use lower-case base32 (``a``-``z``, ``2``-``7``): they cannot
contain a ``0``, so no research id can spell a phone, citizen or insurance
number. Record ids (:func:`record_digest_sql`) are a keyed SHA-256 computed in
the warehouse engine, written with the letters ``a``-``p`` only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

RESEARCH_ID_LENGTH = 16
"""Characters of a research id (80 bits)."""

RECORD_ID_LENGTH = 20
"""Characters of a record digest (80 bits)."""


def _mac(key: bytes, purpose: str, value: str) -> bytes:
    if not key:
        raise ValueError("a research project key must not be empty")
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def project_key(secret: bytes | str, project: str) -> bytes:
    """The key of research project ``project``, derived from the configured secret.

    >>> project_key("s3cret", "p1") == project_key(b"s3cret", "p1") != project_key("s3cret", "p2")
    True
    """
    raw = secret.encode() if isinstance(secret, str) else secret
    return _mac(raw, "carehub-research-project", project)


def research_id(key: bytes, patient: str) -> str:
    """The research id of patient key ``patient`` under project ``key``.

    >>> research_id(b"k1", "Patient/p1") == research_id(b"k1", "Patient/p1")
    True
    >>> research_id(b"k1", "Patient/p1") != research_id(b"k2", "Patient/p1")
    True
    >>> len(research_id(b"k1", "Patient/p1")), "0" in research_id(b"k1", "Patient/p1")
    (16, False)
    """
    digest = _mac(key, "research-id", patient)
    return base64.b32encode(digest).decode().lower()[:RESEARCH_ID_LENGTH]


def shift_days(key: bytes, patient: str, max_days: int) -> int:
    """The patient's date offset in days: never 0, at most ``max_days`` either way.

    >>> offset = shift_days(b"k1", "Patient/p1", 365)
    >>> 1 <= abs(offset) <= 365, offset == shift_days(b"k1", "Patient/p1", 365)
    (True, True)
    """
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    number = int.from_bytes(_mac(key, "date-shift", patient)[:8], "big") % (2 * max_days)
    return number - max_days if number < max_days else number - max_days + 1


def record_salt(key: bytes) -> str:
    """The secret (hex) the warehouse engine hashes record keys with, derived from ``key``.

    >>> len(record_salt(b"k1")), record_salt(b"k1") != record_salt(b"k2")
    (64, True)
    """
    return _mac(key, "record-id", "").hex()


def record_digest_sql(column: str, salt: str) -> str:
    """SQL (DuckDB dialect) turning a record key into its keyed digest.

    >>> print(record_digest_sql('"encounter_id"', "ab"))
    TRANSLATE(SUBSTRING(SHA256('ab' || "encounter_id"), 1, 20), '0123456789', 'ghijklmnop')
    """
    if not all(c in "0123456789abcdef" for c in salt):
        raise ValueError("the salt must be hexadecimal")
    digest = f"SHA256('{salt}' || {column})"
    return (
        f"TRANSLATE(SUBSTRING({digest}, 1, {RECORD_ID_LENGTH}), '0123456789', 'ghijklmnop')"
    )


def key_fingerprint(key: bytes) -> str:
    """A short public fingerprint of a project key (tells which key made an extract).

    >>> key_fingerprint(b"k1") == key_fingerprint(b"k1") != key_fingerprint(b"k2")
    True
    """
    return _mac(key, "fingerprint", "").hex()[:12]
