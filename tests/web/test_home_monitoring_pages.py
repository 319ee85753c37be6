"""The home-monitoring pages over a small store (authorization off): the patient's form and
trends, messages for bad readings in both languages with nothing stored, the care team's
worklist and actions, and the catalogue keys the screens build from data."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.telemed.monitoring.measures import measures, symptoms
from carehub.telemed.monitoring.thresholds import programmes
from carehub.web.i18n import LANGUAGES, Translator
from carehub.web.session import CSRF_COOKIE
from tests.telemed.conftest import world_app

ERRORS = re.compile(r'role="alert".*?<ul>(.*?)</ul>', re.S)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with world_app(tmp_path_factory.mktemp("monitoring-web")) as built:
        yield built


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        c.get("/app/monitoring?patient=p2")
        yield c


def observations(app: FastAPI) -> int:
    with app.state.telemed.records.store.session() as s:
        count: int = s.count_by_type().get("Observation", 0)
    return count


def post(client: TestClient, lang: str = "en", **form: str) -> object:
    return client.post(f"/app/monitoring?patient=p2&lang={lang}", follow_redirects=False,
                       data={"csrf": client.cookies.get(CSRF_COOKIE) or "", "patient": "p2",
                             **form})


def test_every_label_built_from_data_exists_in_both_languages() -> None:
    keys = {f"monitoring.measure.{m}" for m in measures()}
    keys |= {f"monitoring.element.{e.name}" for m in measures().values() for e in m.elements}
    keys |= {f"monitoring.symptom.{s}" for s in symptoms()}
    keys |= {f"monitoring.programme.{p}" for p in programmes()}
    keys |= {f"monitoring.alerts.status.{s}" for s in ("requested", "in-progress", "completed")}
    for lang in LANGUAGES:
        assert not sorted(k for k in keys if not Translator(lang).has(k)), lang


@pytest.mark.parametrize(("form", "lang", "message"), [
    ({"measure": "spo2", "value": "140", "unit": "%"}, "en",
     "SpO2 (oxygen saturation): 140 % is not possible (expected 50 to 100 %)."),
    ({"measure": "glucose", "value": "nhiều", "unit": "mmol/L"}, "vi",
     "Đường huyết: phải là một con số."),
    ({"measure": "bp", "systolic": "90", "diastolic": "120", "unit": "mmHg"}, "vi",
     "Huyết áp tâm thu phải cao hơn huyết áp tâm trương."),
    ({"measure": "weight", "value": "70", "unit": "mmHg"}, "en", "Weight: wrong unit."),
    ({"measure": "symptoms"}, "en", "Please choose at least one symptom."),
])
def test_a_bad_reading_gets_a_clear_message_and_is_not_stored(
        client: TestClient, app: FastAPI, form: dict[str, str], lang: str, message: str) -> None:
    before = observations(app)
    r = post(client, lang, **form)
    assert r.status_code == 422  # type: ignore[attr-defined]
    found = ERRORS.search(r.text)  # type: ignore[attr-defined]
    assert found is not None and message in found.group(1)
    assert observations(app) == before


def test_the_patient_records_a_reading_and_the_care_team_works_the_alert(
        client: TestClient, app: FastAPI) -> None:
    before = observations(app)
    r = post(client, measure="bp", systolic="188", diastolic="104", unit="mmHg")
    assert r.status_code == 303  # type: ignore[attr-defined]
    page = client.get(r.headers["location"] + "&lang=en")  # type: ignore[attr-defined]
    assert "Reading saved." in page.text and "your care team has been alerted" in page.text
    assert 'data-chart-id="monitoring-chart-bp"' in page.text
    assert "188 mmHg / 104 mmHg" in page.text and observations(app) == before + 1
    assert post(client, "en", csrf="forged", measure="spo2", value="97",
                unit="%").status_code == 403  # type: ignore[attr-defined]
    assert observations(app) == before + 1

    work = client.get("/app/monitoring/alerts?lang=vi")
    row = re.search(r'<tr id="alert-([^"]+)">(.*?)</tr>', work.text, re.S)
    assert row is not None and "Smith" in row.group(2)
    assert "Huyết áp" in row.group(2) and "Mới" in row.group(2)
    task_id = row.group(1)
    csrf = client.cookies.get(CSRF_COOKIE) or ""
    done = client.post(f"/app/monitoring/alerts/{task_id}", follow_redirects=False,
                       data={"csrf": csrf, "action": "launch", "back": "/app/monitoring/alerts"})
    assert done.status_code == 400
    done = client.post(f"/app/monitoring/alerts/{task_id}", follow_redirects=False,
                       data={"csrf": csrf, "action": "resolve", "note": "gọi điện, đã chỉnh thuốc",
                             "back": "https://evil.example/"})
    assert done.status_code == 303 and done.headers["location"].startswith("/app/")
    assert 'id="monitoring-no-alerts"' in client.get("/app/monitoring/alerts").text
    clinician = client.get("/app/monitoring/patients/p2?lang=en")
    assert clinician.status_code == 200 and "Resolved" in clinician.text
    assert 'data-chart-id="monitoring-chart-bp"' in clinician.text
    assert client.get("/app/monitoring/patients/nobody").status_code == 404
    assert client.get("/app/monitoring?patient=nobody").status_code == 404
