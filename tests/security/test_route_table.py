"""401 without a token and 403 with a wrong scope, on every route of the app.

The route table is walked, so routes added later are covered without a new
test; public routes are the explicit allow-list of
:mod:`carehub.security.web.route_table` and must not ask for a token.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.security.web.route_table import is_public, walk_routes
from tests.security.conftest import token


def concrete(path: str) -> str:
    return re.sub(r"\{[^}:]+(?::[^}]+)?\}", "x1", path)


def all_routes(app: FastAPI) -> list[tuple[str, str]]:
    out = []
    for info in walk_routes(app.router.routes):
        for method in sorted(info.methods - {"HEAD", "*"}) or ["GET"]:
            out.append((info.path, method))
    return out


def test_every_route_needs_a_token_and_the_right_scope(app: FastAPI, client: TestClient) -> None:
    wrong = token(app, "openid fhirUser")
    routes = all_routes(app)
    assert len(routes) > 40
    checked = 0
    for path, method in routes:
        url = concrete(path)
        if is_public(path, method):
            r = client.request(method, url)
            assert r.status_code != 401, (method, path)
            continue
        r = client.request(method, url)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["resourceType"] == "OperationOutcome"
        r = client.request(method, url, headers=wrong)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
        checked += 1
    assert checked > 30


def test_a_router_added_later_is_closed_by_default(app: FastAPI, client: TestClient) -> None:
    from fastapi import APIRouter

    later = APIRouter()

    @later.get("/brand-new/thing")
    async def thing() -> dict[str, str]:
        return {"ok": "yes"}

    app.include_router(later)
    assert client.get("/brand-new/thing").status_code == 401
    assert client.get("/brand-new/thing", headers=token(app, "user/*.cruds")).status_code == 403
    admin = token(app, "carehub.admin")
    assert client.get("/brand-new/thing", headers=admin).json() == {"ok": "yes"}


def test_invalid_and_revoked_tokens_are_401(app: FastAPI, client: TestClient) -> None:
    assert client.get("/fhir/Patient", headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = token(app, "user/*.rs")
    assert client.get("/fhir/Patient", headers=headers).status_code == 200
    app.state.auth.tokens.revoke(headers["Authorization"].split()[1])
    assert client.get("/fhir/Patient", headers=headers).status_code == 401
