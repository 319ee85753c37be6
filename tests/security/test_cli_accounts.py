"""``carehub users`` / ``carehub clients`` and the demo accounts."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from typer.testing import CliRunner

from carehub.cli.main import app as cli
from carehub.security.accounts import Accounts
from carehub.security.db import SecurityDb
from carehub.security.demo_accounts import DEMO_USERS, ensure_demo_accounts


def test_users_and_clients_commands(tmp_path: Path) -> None:
    env = {"CAREHUB_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    r = runner.invoke(cli, ["users", "add", "bac.si", "--role", "clinician", "--password",
                            "mat-khau-dai", "--department", "dept-a"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["users", "add", "x", "--role", "clinican", "--password", "p"], env=env)
    assert r.exit_code == 2 and "Did you mean" in r.stderr
    listed = runner.invoke(cli, ["users", "list"], env=env).stdout
    assert "bac.si\tclinician" in listed and "mat-khau-dai" not in listed
    raw = (tmp_path / "security.sqlite").read_bytes()
    assert b"mat-khau-dai" not in raw and b"$argon2id$" in raw
    r = runner.invoke(cli, ["clients", "add", "his", "--kind", "confidential",
                            "--redirect-uri", "https://his.example/cb"], env=env)
    assert r.exit_code == 0 and "client secret (shown once):" in r.stdout
    secret = r.stdout.rsplit(": ", 1)[1].strip()
    assert secret.encode() not in (tmp_path / "security.sqlite").read_bytes()
    key = ec.generate_private_key(ec.SECP384R1())
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [json.loads(ECAlgorithm.to_jwk(key.public_key()))]}))
    r = runner.invoke(cli, ["clients", "add", "national", "--kind", "backend", "--jwks",
                            str(jwks), "--scopes", "system/*.rs"], env=env)
    assert r.exit_code == 0, r.output
    assert "national\tbackend" in runner.invoke(cli, ["clients", "list"], env=env).stdout


def test_demo_accounts_are_created_once(tmp_path: Path) -> None:
    accounts = Accounts(SecurityDb(tmp_path / "security.sqlite"))
    first = ensure_demo_accounts(accounts, "http://127.0.0.1:8080")
    assert [a.username for a in first] == [u for u, _, _ in DEMO_USERS]
    assert all(a.password and len(a.password) >= 16 for a in first)
    login = first[0]
    assert accounts.authenticate(login.username, login.password or "") is not None
    again = ensure_demo_accounts(accounts, "http://127.0.0.1:8080")
    assert all(a.password is None for a in again)


def test_demo_clinicians_act_as_their_own_practitioners(tmp_path: Path) -> None:
    from carehub.security.demo_accounts import DEMO_PRACTITIONERS
    from carehub.storage.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "fhir.sqlite3")
    try:
        accounts = Accounts(SecurityDb(tmp_path / "security.sqlite"))
        ensure_demo_accounts(accounts, "http://127.0.0.1:8080", store)
        ensure_demo_accounts(accounts, "http://127.0.0.1:8080", store)
        for username, pid in DEMO_PRACTITIONERS.items():
            user = accounts.user(username)
            assert user is not None and user.fhir_user == f"Practitioner/{pid}"
            with store.session() as session:
                stored = session.read("Practitioner", pid)
            assert stored is not None and stored.version == 1  # stored once, not per run
        manager = accounts.user("quan.ly")
        assert manager is not None and manager.fhir_user is None
    finally:
        store.close()
