"""``carehub users add|list`` and ``carehub clients add|list``: the authorization server's accounts.

http://hl7.org/fhir/smart-app-launch/app-launch.html#register-app-with-ehr

Users and clients live in ``<CAREHUB_DATA_DIR>/security.sqlite``. A user's
password is read from a prompt (or ``--password``) and stored as an Argon2id
hash; a confidential client's secret is printed once and stored hashed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from carehub.errors import Incorrect
from carehub.security.accounts import Accounts
from carehub.settings import load_settings

users_app = typer.Typer(help="Users who sign in to CareHub (staff, patients).",
                        no_args_is_help=True)
clients_app = typer.Typer(help="OAuth clients: SMART apps and backend services.",
                          no_args_is_help=True)


def _accounts() -> Accounts:
    from carehub.security.db import SecurityDb

    settings = load_settings()
    return Accounts(SecurityDb(settings.data_dir / "security.sqlite"))


@users_app.command("add")
def add_user(
    username: str,
    role: Annotated[str, typer.Option(help="clinician, nurse, pharmacist, manager, researcher, "
                                      "data_steward, data_engineer, privacy_officer, admin "
                                      "or patient.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)],
    fhir_user: Annotated[str | None, typer.Option(help="Practitioner/x or Patient/y.")] = None,
    department: Annotated[str | None, typer.Option(help="Organization id of the department.")]
    = None,
    display: Annotated[str | None, typer.Option(help="Full name.")] = None,
) -> None:
    """Create a user."""
    user = _accounts().add_user(username, password, role, fhir_user=fhir_user,
                                department=department, display=display)
    typer.echo(f"carehub: user {user.username} ({user.role}) created")


@users_app.command("list")
def list_users() -> None:
    """List users (never passwords)."""
    for u in _accounts().users():
        flags = "" if u.active else " (disabled)"
        typer.echo(f"{u.username}\t{u.role}\t{u.fhir_user or '-'}\t{u.department or '-'}{flags}")


@clients_app.command("add")
def add_client(
    client_id: str,
    kind: Annotated[str, typer.Option(help="public, confidential or backend.")],
    name: Annotated[str | None, typer.Option(help="Name shown on the sign-in page.")] = None,
    redirect_uri: Annotated[list[str] | None, typer.Option(help="Allowed redirect URI "
                                                          "(repeatable).")] = None,
    scopes: Annotated[str, typer.Option(help="Scopes the client may be granted.")]
    = "openid fhirUser launch launch/patient offline_access patient/*.rs user/*.rs",
    jwks: Annotated[Path | None, typer.Option(help="JWKS file of a backend client's public "
                                              "keys.")] = None,
) -> None:
    """Register a client; a confidential client's secret is printed once."""
    keys = None
    if jwks is not None:
        try:
            keys = json.loads(jwks.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise Incorrect(f"cannot read the JWKS {jwks}: {exc}") from None
    client, secret = _accounts().add_client(
        client_id, name or client_id, kind, redirect_uris=tuple(redirect_uri or ()),
        scopes=scopes, jwks=keys)
    typer.echo(f"carehub: client {client.client_id} ({client.kind}) registered")
    if secret:
        typer.echo(f"client secret (shown once): {secret}")


@clients_app.command("list")
def list_clients() -> None:
    """List clients."""
    for c in _accounts().clients():
        typer.echo(f"{c.client_id}\t{c.kind}\t{' '.join(c.redirect_uris) or '-'}\t{c.scopes}")
