"""Users (hospital staff, patients) and OAuth clients (apps, backend services).

http://hl7.org/fhir/smart-app-launch/app-launch.html#register-app-with-ehr and
http://hl7.org/fhir/smart-app-launch/backend-services.html#registering-a-smart-backend-service-communicating-public-keys

Client kinds: ``public`` (browser or mobile app: PKCE, no secret),
``confidential`` (server-side app: client secret, ``client_secret_basic`` or
``client_secret_post``) and ``backend`` (SMART Backend Services: a JWKS of
public keys, ``private_key_jwt``, ``client_credentials`` only).

Failure modes: :class:`~carehub.errors.Conflict` for a duplicate name,
:class:`~carehub.errors.Incorrect` for a bad role, kind or key set.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from carehub.errors import Conflict, Incorrect
from carehub.security.db import SecurityDb, digest
from carehub.security.passwords import DUMMY_HASH, hash_password, verify_password
from carehub.security.roles import role
from carehub.security.scopes import ScopeSet

CLIENT_KINDS = ("public", "confidential", "backend")


@dataclass(frozen=True, slots=True)
class User:
    """A user who signs in with a password."""

    username: str
    role: str
    fhir_user: str | None = None
    department: str | None = None
    display: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Client:
    """A registered OAuth client."""

    client_id: str
    name: str
    kind: str
    redirect_uris: tuple[str, ...]
    scopes: ScopeSet
    jwks: dict[str, Any] | None = None
    secret_hash: str | None = None
    active: bool = True


class Accounts:
    """Users and clients in the security database."""

    def __init__(self, db: SecurityDb) -> None:
        self.db = db

    # -- users -----------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        password: str,
        role_name: str,
        *,
        fhir_user: str | None = None,
        department: str | None = None,
        display: str | None = None,
    ) -> User:
        """Create a user (password stored as an Argon2id hash).

        Raises:
            Incorrect: unknown role, empty name or password. Conflict: the name is taken.
        """
        role(role_name)
        if not username.strip() or not password:
            raise Incorrect("a user needs a name and a password")
        if self.user(username) is not None:
            raise Conflict(f"user '{username}' exists already")
        self.db.run(
            "INSERT INTO users VALUES (?,?,?,?,?,?,1,?)",
            (username, hash_password(password), role_name, fhir_user, department, display,
             int(time.time())),
        )
        return User(username, role_name, fhir_user, department, display)

    def user(self, username: str) -> User | None:
        """The user called ``username``, or None."""
        row = self.db.one(
            "SELECT username, role, fhir_user, department, display, active FROM users "
            "WHERE username = ?",
            (username,),
        )
        return None if row is None else _user(row)

    def users(self) -> list[User]:
        """Every user, by name."""
        rows = self.db.all(
            "SELECT username, role, fhir_user, department, display, active FROM users "
            "ORDER BY username"
        )
        return [_user(r) for r in rows]

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this password, or None (same work whether or not it exists)."""
        row = self.db.one("SELECT password FROM users WHERE username = ? AND active = 1",
                          (username,))
        ok = verify_password(row[0] if row else DUMMY_HASH, password)
        return self.user(username) if ok and row else None

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password."""
        self.db.run("UPDATE users SET password = ? WHERE username = ?",
                    (hash_password(password), username))

    # -- clients ---------------------------------------------------------------------
    def add_client(
        self,
        client_id: str,
        name: str,
        kind: str,
        *,
        redirect_uris: tuple[str, ...] = (),
        scopes: str = "",
        jwks: dict[str, Any] | None = None,
    ) -> tuple[Client, str | None]:
        """Register a client; returns it and, for confidential clients, the new secret.

        Raises:
            Incorrect: bad kind, a backend client without keys, an app without redirect URIs.
            Conflict: the id is taken.
        """
        if kind not in CLIENT_KINDS:
            raise Incorrect(f"client kind must be one of {', '.join(CLIENT_KINDS)}, not '{kind}'")
        if kind == "backend" and not (jwks and isinstance(jwks.get("keys"), list)):
            raise Incorrect("a backend services client needs a JWKS with its public keys")
        if kind != "backend" and not redirect_uris:
            raise Incorrect("an app client needs at least one redirect URI")
        if self.client(client_id) is not None:
            raise Conflict(f"client '{client_id}' exists already")
        secret = secrets.token_urlsafe(32) if kind == "confidential" else None
        self.db.run(
            "INSERT INTO clients VALUES (?,?,?,?,?,?,?,1,?)",
            (client_id, name, kind, digest(secret) if secret else None,
             json.dumps(list(redirect_uris)), scopes, json.dumps(jwks) if jwks else None,
             int(time.time())),
        )
        found = self.client(client_id)
        assert found is not None
        return found, secret

    def client(self, client_id: str) -> Client | None:
        """The client ``client_id``, or None."""
        row = self.db.one(
            "SELECT client_id, name, kind, redirect_uris, scopes, jwks, secret, active "
            "FROM clients WHERE client_id = ?",
            (client_id,),
        )
        return None if row is None else _client(row)

    def clients(self) -> list[Client]:
        """Every client, by id."""
        rows = self.db.all(
            "SELECT client_id, name, kind, redirect_uris, scopes, jwks, secret, active "
            "FROM clients ORDER BY client_id"
        )
        return [_client(r) for r in rows]

    def check_secret(self, client: Client, secret: str) -> bool:
        """Whether ``secret`` is the confidential client's secret (constant time)."""
        if client.secret_hash is None:
            return False
        return secrets.compare_digest(client.secret_hash, digest(secret))


def _user(row: tuple[Any, ...]) -> User:
    name, role_name, fhir_user, department, display, active = row
    return User(name, role_name, fhir_user, department, display, bool(active))


def _client(row: tuple[Any, ...]) -> Client:
    cid, name, kind, uris, scopes, jwks, secret, active = row
    return Client(cid, name, kind, tuple(json.loads(uris)), ScopeSet.parse(scopes),
                  json.loads(jwks) if jwks else None, secret, bool(active))
