"""SMART App Launch (authorization code + PKCE, EHR launch, refresh), Backend Services,
introspection, revocation and discovery, end to end through the HTTP API."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm

from carehub.security.tokens import pkce_s256
from tests.security.conftest import make_app, server

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REDIRECT = "https://app.example/cb"
AUD = "http://testserver/fhir"


@pytest.fixture
def accounts(app: FastAPI) -> dict[str, Any]:
    acc = server(app).accounts
    acc.add_user("bac.si", "mat-khau-1", "clinician", fhir_user="Practitioner/dr1")
    acc.add_user("benh.nhan", "mat-khau-2", "patient", fhir_user="Patient/p1")
    acc.add_client("app", "Ứng dụng", "public", redirect_uris=(REDIRECT,),
                   scopes="openid fhirUser launch launch/patient offline_access patient/*.rs "
                          "user/*.rs")
    _, secret = acc.add_client("conf", "Server app", "confidential", redirect_uris=(REDIRECT,),
                               scopes="openid fhirUser offline_access user/*.rs")
    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    acc.add_client("backend", "Backend", "backend", scopes="system/*.rs",
                   jwks={"keys": [{**public, "kid": "k1"}]})
    return {"secret": secret, "key": key}


def authorize(client: TestClient, user: str, password: str, scope: str,
              **extra: str) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    params = {"response_type": "code", "client_id": "app", "redirect_uri": REDIRECT,
              "scope": scope, "state": "st-1", "aud": AUD,
              "code_challenge": pkce_s256(verifier), "code_challenge_method": "S256", **extra}
    page = client.get("/auth/authorize", params=params)
    assert page.status_code == 200 and "Mật khẩu / Password" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    r = client.post("/auth/authorize", data={**params, "username": user, "password": password},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return query["code"][0], verifier


def exchange(client: TestClient, code: str, verifier: str) -> Any:
    return client.post("/auth/token", headers=FORM, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "client_id": "app", "code_verifier": verifier})


def test_standalone_launch_with_pkce_refresh_and_id_token(
    client: TestClient, accounts: dict[str, Any], app: FastAPI
) -> None:
    code, verifier = authorize(client, "benh.nhan", "mat-khau-2",
                               "openid fhirUser launch/patient patient/*.rs offline_access")
    assert exchange(client, code, "x" * 43).json()["error"] == "invalid_grant"
    assert exchange(client, code, verifier).json()["error"] == "invalid_grant"  # single use
    code, verifier = authorize(client, "benh.nhan", "mat-khau-2",
                               "openid fhirUser launch/patient patient/*.rs offline_access")
    r = exchange(client, code, verifier)
    body = r.json()
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert body["patient"] == "p1" and body["token_type"] == "Bearer"
    assert "patient/*.rs" in body["scope"]
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["fhirUser"] == "Patient/p1" and claims["aud"] == "app"
    key = jwt.PyJWKSet.from_dict(client.get("/auth/jwks").json()).keys[0]
    jwt.decode(body["id_token"], key.key, algorithms=["RS256"], audience="app")
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/fhir/Patient/p1", headers=bearer).status_code == 200
    assert client.get("/fhir/Patient/p2", headers=bearer).status_code == 404
    # refresh rotates; replaying the old refresh token revokes the family
    r2 = client.post("/auth/token", headers=FORM, data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": "app"})
    new = r2.json()
    assert r2.status_code == 200 and new["refresh_token"] != body["refresh_token"]
    replay = client.post("/auth/token", headers=FORM, data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": "app"})
    assert replay.json()["error"] == "invalid_grant"
    new_bearer = {"Authorization": f"Bearer {new['access_token']}"}
    assert client.get("/fhir/Patient/p1", headers=new_bearer).status_code == 401


def test_scopes_are_capped_by_role_and_client(client: TestClient, accounts: dict[str, Any]) -> None:
    code, verifier = authorize(client, "bac.si", "mat-khau-1",
                               "openid fhirUser user/*.cruds system/*.rs")
    body = exchange(client, code, verifier).json()
    assert body["scope"].split() == ["user/*.rs", "fhirUser", "openid"]


def test_ehr_launch_binds_the_patient(client: TestClient, accounts: dict[str, Any],
                                      app: FastAPI) -> None:
    from carehub.security.context import Grant
    from carehub.security.scopes import ScopeSet

    ehr = server(app).tokens.issue(Grant("bac.si", "ehr", ScopeSet.parse("user/*.rs"),
                                         role="clinician"), refresh=False)
    r = client.post("/auth/launch", headers={**FORM, "Authorization":
                                              f"Bearer {ehr.access_token}"}, data={"patient": "p2"})
    launch = r.json()["launch"]
    code, verifier = authorize(client, "bac.si", "mat-khau-1", "launch patient/*.rs openid",
                               launch=launch)
    body = exchange(client, code, verifier).json()
    assert body["patient"] == "p2"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/fhir/Observation/o1", headers=bearer).status_code == 404


def test_bad_client_or_redirect_is_never_redirected_to(client: TestClient,
                                                       accounts: dict[str, Any]) -> None:
    base = {"response_type": "code", "client_id": "app", "scope": "openid", "aud": AUD,
            "code_challenge": "x" * 43, "code_challenge_method": "S256"}
    r = client.get("/auth/authorize", params={**base, "redirect_uri": "https://evil.example/"},
                   follow_redirects=False)
    assert r.status_code == 400
    r = client.get("/auth/authorize", params={**base, "redirect_uri": REDIRECT,
                                              "code_challenge_method": "plain"},
                   follow_redirects=False)
    assert r.status_code == 303 and "error=invalid_request" in r.headers["location"]
    r = client.post("/auth/authorize", data={**base, "redirect_uri": REDIRECT,
                                             "username": "bac.si", "password": "wrong"})
    assert r.status_code == 401 and "Wrong user name" in r.text


def assertion(key: Any, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": "backend", "sub": "backend", "aud": "http://testserver/auth/token",
            "exp": now + 240, "jti": uuid.uuid4().hex, **claims}
    return jwt.encode(body, key, algorithm="ES384", headers={"kid": "k1"})


def backend_token(client: TestClient, signed: str, scope: str = "system/*.rs") -> Any:
    return client.post("/auth/token", headers=FORM, data={
        "grant_type": "client_credentials", "scope": scope,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed})


def test_backend_services(client: TestClient, accounts: dict[str, Any]) -> None:
    key = accounts["key"]
    signed = assertion(key)
    r = backend_token(client, signed, "system/Observation.rs system/Patient.cruds")
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "system/Observation.rs system/Patient.rs"
    assert "refresh_token" not in r.json()
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/fhir/Observation", headers=bearer).status_code == 200
    assert backend_token(client, signed).json()["error"] == "invalid_client"  # jti replay
    assert backend_token(client, assertion(key, aud="https://other/token")).status_code == 401
    assert backend_token(client, assertion(key, exp=int(time.time()) + 3600)).status_code == 401
    other = ec.generate_private_key(ec.SECP384R1())
    assert backend_token(client, assertion(other)).status_code == 401
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    hs = jwt.encode({"iss": "backend"}, "s" * 40, algorithm="HS256")
    assert backend_token(client, hs).status_code == 401
    assert rsa_key is not None


def test_introspection_and_revocation(client: TestClient, accounts: dict[str, Any],
                                      app: FastAPI) -> None:
    code, verifier = authorize(client, "bac.si", "mat-khau-1", "openid user/*.rs offline_access")
    body = exchange(client, code, verifier).json()
    secret = accounts["secret"]
    r = client.post("/auth/introspect", headers=FORM, data={"token": body["access_token"]})
    assert r.status_code == 401
    auth = ("conf", secret)
    r = client.post("/auth/introspect", headers=FORM, data={"token": body["access_token"]},
                    auth=auth)
    assert r.json()["active"] is True and r.json()["sub"] == "bac.si"
    # a client may only revoke its own tokens
    client.post("/auth/revoke", headers=FORM, data={"token": body["access_token"]}, auth=auth)
    assert client.post("/auth/introspect", headers=FORM, data={"token": body["access_token"]},
                       auth=auth).json()["active"] is True
    r = client.post("/auth/revoke", headers=FORM, data={"token": body["refresh_token"],
                                                        "client_id": "app"})
    assert r.status_code == 200
    for t in (body["access_token"], body["refresh_token"]):
        out = client.post("/auth/introspect", headers=FORM, data={"token": t}, auth=auth).json()
        assert out == {"active": False}


def test_smart_configuration(client: TestClient) -> None:
    for url in ("/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"):
        conf = client.get(url).json()
        assert conf["token_endpoint"] == "http://testserver/auth/token"
        assert conf["code_challenge_methods_supported"] == ["S256"]
        assert "permission-v2" in conf["capabilities"]


def test_external_issuer_tokens(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    from jwt.algorithms import RSAAlgorithm

    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "ext1"}]}))
    app, store = make_app(tmp_path, CAREHUB_AUTH_ISSUER="https://idp.example",
                          CAREHUB_AUTH_JWKS=str(jwks), CAREHUB_AUTH_AUDIENCE="carehub")
    now = int(time.time())

    def ext(**over: Any) -> dict[str, str]:
        claims = {"iss": "https://idp.example", "aud": "carehub", "sub": "u1", "exp": now + 60,
                  "scope": "patient/*.rs", "patient": "p2", **over}
        signed = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "ext1"})
        return {"Authorization": f"Bearer {signed}"}

    with TestClient(app) as client:
        assert client.get("/fhir/Patient/p2", headers=ext()).status_code == 200
        assert client.get("/fhir/Patient/p1", headers=ext()).status_code == 404
        assert client.get("/fhir/Patient/p2", headers=ext(aud="x")).status_code == 401
        assert client.get("/fhir/Patient/p2", headers=ext(iss="https://x")).status_code == 401
        assert client.get("/fhir/Patient/p2", headers=ext(exp=now - 60)).status_code == 401
    store.close()
