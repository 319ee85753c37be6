"""Size limits, rate limits, CORS, security headers, logs without patient data, dev mode."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from carehub.errors import Incorrect
from carehub.settings import load_settings
from tests.security.conftest import FHIR, make_app, token


def test_body_limit_413(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CAREHUB_MAX_REQUEST_BYTES="1000")
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {**token(app, "user/*.cruds"), **FHIR}
        big = {"resourceType": "Basic", "code": {"text": "x" * 2000}}
        r = client.post("/fhir/Basic", headers=headers, json=big)
        assert r.status_code == 413 and r.json()["issue"][0]["code"] == "too-long"

        def chunks():  # no Content-Length: the streamed size is counted
            for _ in range(5):
                yield b"x" * 400

        r = client.post("/fhir/Basic", headers=headers, content=chunks())
        assert r.status_code == 413
        reader = token(app, "user/*.rs")
        assert client.get("/fhir/Basic", headers=reader).json().get("total", 0) == 0
    store.close()


def test_rate_limit_per_client_429(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CAREHUB_RATE_LIMIT="60")
    with TestClient(app) as client:
        a = token(app, "user/*.rs", client_id="a")
        codes = [client.get("/fhir/Patient/p1", headers=a).status_code for _ in range(12)]
        assert codes[:10] == [200] * 10 and codes[-1] == 429
        r = client.get("/fhir/Patient/p1", headers=a)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        b = token(app, "user/*.rs", client_id="b")
        assert client.get("/fhir/Patient/p1", headers=b).status_code == 200
    store.close()


def test_strict_cors(tmp_path: Path) -> None:
    app, store = make_app(tmp_path, CAREHUB_CORS_ORIGINS="https://app.benhvien.vn")
    with TestClient(app) as client:
        pre = {"Access-Control-Request-Method": "GET",
               "Access-Control-Request-Headers": "authorization"}
        ok = client.options("/fhir/Patient", headers={"Origin": "https://app.benhvien.vn", **pre})
        assert ok.headers["access-control-allow-origin"] == "https://app.benhvien.vn"
        bad = client.options("/fhir/Patient", headers={"Origin": "https://evil.example", **pre})
        assert "access-control-allow-origin" not in bad.headers
        r = client.get("/fhir/metadata", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    store.close()


def test_security_headers_and_hsts(client: TestClient) -> None:
    r = client.get("/fhir/metadata")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in r.headers
    secure = TestClient(client.app, base_url="https://testserver")
    assert "max-age" in secure.get("/fhir/metadata").headers["strict-transport-security"]
    assert client.get("/fhir/Patient").headers["x-frame-options"] == "DENY"


def test_no_patient_data_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    app = client.app
    headers = {**token(app, "user/*.cruds"), **FHIR}  # type: ignore[arg-type]
    planted = ("Hoàng Thị Mơ", "CCCD-0791234567", "0912345678", "hoang.mo@example.vn")
    patient = {"resourceType": "Patient", "name": [{"text": planted[0]}],
               "identifier": [{"value": planted[1]}],
               "telecom": [{"system": "phone", "value": planted[2]},
                           {"system": "email", "value": planted[3]}]}
    with caplog.at_level(logging.DEBUG):
        r = client.post("/fhir/Patient", headers=headers, json=patient)
        pid = r.json()["id"]
        client.get(f"/fhir/Patient?name={planted[0]}&identifier={planted[1]}", headers=headers)
        client.get(f"/fhir/Patient?telecom={planted[2]}", headers=headers)
        client.put(f"/fhir/Patient/{pid}", headers=headers, json={**patient, "id": "other"})
        client.post("/fhir/Patient", headers=headers, content=f'{{"name": "{planted[0]}"')
        client.post("/fhir/Patient", headers=headers, json={**patient, "birthDate": planted[1]})
        client.get(f"/fhir/Patient?name={planted[0]}")  # 401
        client.get(f"/fhir/Patient/{pid}/$everything", headers=headers)
    out = capsys.readouterr()
    # httpx's own lines are the test client's, not the server's
    server_lines = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}"
                             for r in caplog.records if not r.name.startswith("httpx"))
    text = server_lines + out.out + out.err
    assert "/fhir/{rtype}" in server_lines  # the access log did run
    for value in planted:
        assert value not in text, value
    assert pid not in server_lines


def test_auth_off_only_on_loopback(tmp_path: Path) -> None:
    from carehub.app.security_wiring import check_auth_setting

    on_lan = load_settings({"CAREHUB_AUTH": "off", "CAREHUB_HOST": "0.0.0.0"})
    with pytest.raises(Incorrect, match="loopback"):
        check_auth_setting(on_lan)
    assert check_auth_setting(load_settings({"CAREHUB_AUTH": "off"})) is False
    app, store = make_app(tmp_path, CAREHUB_AUTH="off")
    with TestClient(app) as client:
        assert client.get("/fhir/Patient/p1").status_code == 200
    store.close()


def test_insecure_dev_switch(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from carehub.cli.main import app as cli

    runner = CliRunner()
    r = runner.invoke(cli, ["serve", "--insecure-dev", "--host", "0.0.0.0"],
                      env={"CAREHUB_DATA_DIR": str(tmp_path)})
    assert r.exit_code == 2 and "loopback" in r.stderr
