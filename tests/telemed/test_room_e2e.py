"""End to end: headless Chromium contexts with fake camera and microphone join a video
room on a real server on loopback, and each receives every other's media.

Two contexts for a consultation, three for a case conference (whose case view
follows the presenter); an outsider gets no token and a forged one is refused.
Media flow is read from ``RTCPeerConnection.getStats()`` (inbound-rtp
``bytesReceived`` > 0 from every other peer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from carehub.app.wiring import build_app
from carehub.settings import load_settings
from carehub.storage.sqlite import SqliteStore
from carehub.telemed.records import instant
from tests.telemed.conftest import WORLD

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
CASE: list[dict[str, Any]] = [
    {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
     "code": {"coding": [{"system": "http://snomed.info/sct", "code": "254637007",
                          "display": "Non-small cell lung cancer"}]}},
    {"resourceType": "Observation", "id": "l1", "status": "final",
     "category": [{"coding": [{"code": "laboratory"}]}], "subject": {"reference": "Patient/p1"},
     "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0",
                          "display": "Creatinine"}]},
     "effectiveDateTime": "2026-01-05", "valueQuantity": {"value": 88, "unit": "umol/L"}},
    {"resourceType": "Observation", "id": "l2", "status": "final",
     "category": [{"coding": [{"code": "laboratory"}]}], "subject": {"reference": "Patient/p1"},
     "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0",
                          "display": "Creatinine"}]},
     "effectiveDateTime": "2026-02-05", "valueQuantity": {"value": 97, "unit": "umol/L"}},
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("room")
    store = SqliteStore(tmp / "fhir.sqlite3")
    with store.session(write=True) as s:
        for r in [*WORLD, *CASE]:
            s.put(dict(r))
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp / "data"), "CAREHUB_AUTH": "off",
                              "CAREHUB_VALIDATE": "false"})
    config = uvicorn.Config(build_app(settings, store), host="127.0.0.1", port=0,
                            log_level="warning", ws="websockets-sansio", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def as_(who: str) -> dict[str, str]:
    return {"X-CareHub-Actor": who}


def join_url(base: str, appointment_id: str, who: str) -> str:
    r = httpx.post(f"{base}/telemed/Appointment/{appointment_id}/$join", headers=as_(who))
    assert r.status_code == 200, r.text
    return base + str(r.json()["url"])


def open_room(browser: Any, url: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(url)
    return page


def wait_for_media(pages: list[Any], timeout_s: float = 45) -> list[dict[str, int]]:
    """Poll every page's inbound bytes until each receives from all the others."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = [p.evaluate("window.carehubRoom.bytesReceived()") for p in pages]
        if all(len(g) == len(pages) - 1 and all(v > 0 for v in g.values()) for g in got):
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"media did not flow: {got}")
        time.sleep(0.5)


def test_consultation_two_peers_exchange_media_and_outsider_is_refused(
        server: str, browser: Any) -> None:
    start = datetime.now(UTC) + timedelta(minutes=10)
    slots = httpx.post(f"{server}/telemed/Schedule/$publish", headers=as_("Practitioner/dr1"),
                       json={"practitioner": "Practitioner/dr1", "start": instant(start),
                             "end": instant(start + timedelta(minutes=20)), "minutes": 20})
    slot = slots.json()["slots"]["entry"][0]["resource"]["id"]
    appt = httpx.post(f"{server}/telemed/Appointment", headers=as_("Patient/p1"),
                      json={"slot": slot}).json()["id"]
    outsider = httpx.post(f"{server}/telemed/Appointment/{appt}/$join",
                          headers=as_("Patient/p2"))
    assert outsider.status_code == 403
    pages = [open_room(browser, join_url(server, appt, w))
             for w in ("Patient/p1", "Practitioner/dr1")]
    received = wait_for_media(pages)
    assert all(sum(r.values()) > 0 for r in received)
    forged = open_room(browser, f"{server}/telemed/room/{appt}#forged.token.value")
    forged.wait_for_function(
        "() => window.carehubRoom && window.carehubRoom.closed === 4403")
    assert forged.evaluate("window.carehubRoom.joined") is False
    for p in [*pages, forged]:
        p.context.close()


def test_case_conference_three_peers_and_the_view_follows_the_presenter(
        server: str, browser: Any) -> None:
    now = datetime.now(UTC)
    conf = httpx.post(f"{server}/telemed/conference", headers=as_("Practitioner/dr1"), json={
        "clinicians": ["Practitioner/dr2", "Practitioner/dr3"], "patient": "Patient/p1",
        "start": instant(now), "end": instant(now + timedelta(hours=1)),
        "title": "Hội chẩn ung thư phổi"})
    assert conf.status_code == 201, conf.text
    cid = conf.json()["id"]
    pages = [open_room(browser, join_url(server, cid, f"Practitioner/dr{i}")) for i in (1, 2, 3)]
    wait_for_media(pages)
    presenter, *followers = pages
    presenter.evaluate("window.carehubRoom.present()")
    presenter.wait_for_function(
        "() => window.carehubRoom.presenter === window.carehubRoom.id")
    presenter.evaluate("window.carehubRoom.show('labs', '2160-0')")
    for page in pages:
        page.wait_for_function(
        "() => document.getElementById('case-body').dataset.chart === '2160-0'")
        assert "Creatinine" in page.inner_text("#case-body")
        assert "97" in page.inner_text("#case-body")
    followers[0].evaluate("window.carehubRoom.show('summary')")
    followers[0].wait_for_function(
        "() => window.carehubRoom.error === 'not-presenter'")
    presenter.evaluate("window.carehubRoom.show('summary')")
    for page in pages:
        page.wait_for_function(
        "() => document.getElementById('case-body').dataset.tab === 'summary'")
        assert "Non-small cell lung cancer" in page.inner_text("#case-body")
    for p in pages:
        p.context.close()
