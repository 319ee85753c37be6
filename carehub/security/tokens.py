"""Access and refresh tokens, authorization codes, launch contexts and assertion ids.

https://www.rfc-editor.org/rfc/rfc6749 (tokens, codes), https://www.rfc-editor.org/rfc/rfc7636
(PKCE), https://www.rfc-editor.org/rfc/rfc7662 (introspection),
https://www.rfc-editor.org/rfc/rfc7009 (revocation),
http://hl7.org/fhir/smart-app-launch/app-launch.html#step-7-app-uses-a-refresh-token-to-obtain-a-new-access-token

CareHub's own tokens are opaque random strings; the database keeps their
SHA-256 and the :class:`~carehub.security.context.Grant` they carry. Refresh
tokens rotate: each use revokes the old one, and presenting a revoked refresh
token revokes its whole family (a stolen token replayed). An authorization
code is single-use; a second redemption revokes what the first one issued.

Failure modes: lookups answer None for unknown, expired or revoked tokens;
nothing here raises for bad client input.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carehub.security.context import Grant
from carehub.security.db import SecurityDb, digest
from carehub.security.scopes import ScopeSet

CODE_LIFETIME_S = 60
LAUNCH_LIFETIME_S = 300
_CACHE_S = 30.0


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2).

    >>> pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    """
    raw = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def valid_verifier(verifier: str) -> bool:
    """Whether ``verifier`` has RFC 7636's form (43-128 unreserved characters).

    >>> valid_verifier("a" * 43), valid_verifier("short")
    (True, False)
    """
    ok = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return 43 <= len(verifier) <= 128 and all(c in ok for c in verifier)


@dataclass(frozen=True, slots=True)
class Issued:
    """Tokens handed to a client."""

    access_token: str
    expires_in: int
    refresh_token: str | None
    grant: Grant


@dataclass(frozen=True, slots=True)
class CodeGrant:
    """A redeemed authorization code."""

    client_id: str
    username: str
    scopes: str
    patient: str | None
    nonce: str | None
    family: str


class Tokens:
    """Token, code and launch bookkeeping in the security database."""

    def __init__(
        self, db: SecurityDb, lifetime_s: int, refresh_lifetime_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.lifetime_s = lifetime_s
        self.refresh_lifetime_s = refresh_lifetime_s
        self.clock = clock
        self._cache: dict[str, tuple[float, Grant | None, int]] = {}

    def _now(self) -> int:
        return int(self.clock())

    # -- tokens ----------------------------------------------------------------------
    def issue(self, grant: Grant, *, refresh: bool, lifetime_s: int | None = None,
              family: str | None = None) -> Issued:
        """Issue an access token (and a refresh token when asked) carrying ``grant``."""
        now = self._now()
        life = lifetime_s or self.lifetime_s
        family = family or secrets.token_hex(8)
        access = secrets.token_urlsafe(32)
        token_id = secrets.token_hex(8)
        grant = Grant(grant.subject, grant.client_id, grant.scopes, grant.patient,
                      grant.fhir_user, grant.role, grant.department, grant.break_glass, token_id)
        self._store(access, "access", grant, now, now + life, family)
        refresh_token = None
        if refresh:
            refresh_token = secrets.token_urlsafe(32)
            self._store(refresh_token, "refresh", grant, now, now + self.refresh_lifetime_s,
                        family)
        return Issued(access, life, refresh_token, grant)

    def _store(self, token: str, kind: str, g: Grant, now: int, expires: int, family: str) -> None:
        self.db.run(
            "INSERT INTO tokens VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0,?)",
            (digest(token), kind, g.token_id, g.client_id, g.subject, str(g.scopes), g.patient,
             g.fhir_user, g.role, g.department, g.break_glass, now, expires, family),
        )

    def _row(self, token: str, kind: str) -> tuple[Any, ...] | None:
        return self.db.one(
            "SELECT token_id, client_id, subject, scopes, patient, fhir_user, role, department, "
            "break_glass, issued, expires, revoked, family FROM tokens WHERE hash = ? AND kind = ?",
            (digest(token), kind),
        )

    @staticmethod
    def _grant(row: tuple[Any, ...]) -> Grant:
        tid, cid, sub, scopes, patient, fhir_user, role, dept, bg = row[:9]
        return Grant(sub, cid, ScopeSet.parse(scopes), patient, fhir_user, role, dept, bg, tid)

    def lookup(self, token: str) -> Grant | None:
        """The grant of an active access token, or None (cached for a few seconds)."""
        now = self.clock()
        key = digest(token)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now and (hit[1] is None or hit[2] > now):
            return hit[1]
        row = self._row(token, "access")
        grant = None
        expires = 0
        if row is not None and not row[11] and row[10] > now:
            grant, expires = self._grant(row), int(row[10])
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[key] = (now + _CACHE_S, grant, expires)
        return grant

    def introspect(self, token: str) -> dict[str, Any]:
        """RFC 7662 response for an access or refresh token (``{"active": false}`` if not)."""
        now = self._now()
        for kind in ("access", "refresh"):
            row = self._row(token, kind)
            if row is None:
                continue
            if row[11] or row[10] <= now:
                break
            g = self._grant(row)
            out: dict[str, Any] = {
                "active": True, "scope": str(g.scopes), "client_id": g.client_id,
                "sub": g.subject, "exp": row[10], "iat": row[9], "token_type": kind,
            }
            for key, value in (("patient", g.patient), ("fhirUser", g.fhir_user),
                               ("role", g.role), ("break_glass_reason", g.break_glass)):
                if value:
                    out[key] = value
            return out
        return {"active": False}

    def revoke(self, token: str, client_id: str | None = None) -> None:
        """Revoke a token (a refresh token takes its whole family along).

        ``client_id``, when given, must be the token's client (RFC 7009 §2.1);
        otherwise nothing happens.
        """
        row = self.db.one("SELECT kind, client_id, family FROM tokens WHERE hash = ?",
                          (digest(token),))
        if row is None or (client_id is not None and row[1] != client_id):
            return
        if row[0] == "refresh":
            self.revoke_family(row[2])
        else:
            self.db.run("UPDATE tokens SET revoked = 1 WHERE hash = ?", (digest(token),))
        self._cache.clear()

    def revoke_family(self, family: str) -> None:
        """Revoke every token descending from one authorization."""
        self.db.run("UPDATE tokens SET revoked = 1 WHERE family = ?", (family,))
        self._cache.clear()

    def use_refresh(self, token: str, client_id: str) -> tuple[Grant, str] | None:
        """Consume a refresh token of ``client_id``: its grant and family, or None.

        A revoked (already used) token revokes the family: it was replayed.
        """
        row = self._row(token, "refresh")
        if row is None or row[1] != client_id:
            return None
        if row[11]:
            self.revoke_family(row[12])
            return None
        if row[10] <= self._now():
            return None
        self.db.run("UPDATE tokens SET revoked = 1 WHERE hash = ?", (digest(token),))
        return self._grant(row), row[12]

    # -- codes -----------------------------------------------------------------------
    def new_code(self, client_id: str, redirect_uri: str, scopes: str, username: str,
                 patient: str | None, challenge: str, nonce: str | None) -> str:
        """A fresh single-use authorization code."""
        code = secrets.token_urlsafe(32)
        self.db.run(
            "INSERT INTO codes VALUES (?,?,?,?,?,?,?,?,?,0)",
            (digest(code), client_id, redirect_uri, scopes, username, patient, challenge, nonce,
             self._now() + CODE_LIFETIME_S),
        )
        return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str,
                    verifier: str) -> CodeGrant | None:
        """Redeem a code with its PKCE verifier; None if anything does not match."""
        key = digest(code)
        row = self.db.one(
            "SELECT client_id, redirect_uri, scopes, username, patient, challenge, nonce, "
            "expires, used FROM codes WHERE hash = ?", (key,))
        if row is None:
            return None
        cid, uri, scopes, username, patient, challenge, nonce, expires, used = row
        if used:
            self.revoke_family(key[:16])
            return None
        if self.db.run("UPDATE codes SET used = 1 WHERE hash = ? AND used = 0", (key,)) != 1:
            return None
        if cid != client_id or uri != redirect_uri or expires <= self._now():
            return None
        if not valid_verifier(verifier) or not secrets.compare_digest(pkce_s256(verifier),
                                                                      challenge):
            return None
        return CodeGrant(cid, username, scopes, patient, nonce, key[:16])

    # -- launches and assertion ids --------------------------------------------------
    def new_launch(self, username: str, patient: str | None, encounter: str | None) -> str:
        """An EHR launch id binding the patient (and encounter) in context."""
        launch = secrets.token_urlsafe(16)
        self.db.run("INSERT INTO launches VALUES (?,?,?,?,?)",
                    (digest(launch), patient, encounter, username,
                     self._now() + LAUNCH_LIFETIME_S))
        return launch

    def launch(self, launch: str, username: str) -> tuple[str | None, str | None] | None:
        """(patient, encounter) of a live launch created for ``username``, or None."""
        row = self.db.one("SELECT patient, encounter, username, expires FROM launches "
                          "WHERE hash = ?", (digest(launch),))
        if row is None or row[2] != username or row[3] <= self._now():
            return None
        return row[0], row[1]

    def first_use_of_assertion(self, client_id: str, jti: str, expires: int) -> bool:
        """Record a client assertion's ``jti``; False when it was seen before (replay)."""
        now = self._now()
        self.db.run("DELETE FROM assertion_ids WHERE expires < ?", (now,))
        try:
            self.db.run("INSERT INTO assertion_ids VALUES (?,?,?)", (client_id, jti, expires))
        except sqlite3.IntegrityError:
            return False
        return True
