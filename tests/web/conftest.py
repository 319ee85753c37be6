"""Fixtures of the web application tests: a generated hospital, real servers and a browser.

* ``web_data``: 300 synthetic patients (2 years) loaded into a SQLite store,
  with the warehouse built and screening run (Tasks written back), once per
  session, in a temporary folder (:func:`carehub.app.demo.prepare_demo` and
  :func:`~carehub.app.demo.prepare_analytics`, as ``carehub demo`` does).
* ``client``: an in-process ``TestClient`` over it, authorization off;
  ``auth_app``: the application with authorization on and :data:`ACCOUNTS`.
* ``server``: a real ``uvicorn`` on a free loopback port (authorization off);
  ``auth_server``: another with authorization on and the demo accounts
  (:data:`ACCOUNTS` holds their passwords).
* ``browser``: Debian's headless chromium (``/usr/bin/chromium``) through
  Playwright; ``page_vi`` / ``page_en``: a fresh page in each language.
* :func:`axe_check` runs axe-core in the page and fails on serious or
  critical violations; :func:`shot` saves ``test-artifacts/screenshots/<name>.png``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.app.demo import prepare_analytics, prepare_demo
from carehub.app.wiring import build_app, build_hub
from carehub.settings import Settings, load_settings
from carehub.synth import SynthConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE = REPO_ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PATIENTS = 300
ACCOUNTS = {"bac.si": ("clinician", "Bac-si-mat-khau-1"),
            "quan.ly": ("manager", "Quan-ly-mat-khau-1"),
            "nghien.cuu": ("researcher", "Nghien-cuu-mat-khau-1"),
            "bs.noi-tiet": ("clinician", "Bs-noi-tiet-mat-khau-1"),
            "duoc.si": ("pharmacist", "Duoc-si-mat-khau-1")}
DEPARTMENTS = {"bs.noi-tiet": "org-noi-tiet"}
"""Users limited to one department (its Organization id)."""


@dataclass(frozen=True)
class WebData:
    """The generated data folder and the settings that read it."""

    folder: Path

    def settings(self, **env: str) -> Settings:
        """Settings over the folder (authorization off unless ``env`` says otherwise)."""
        return load_settings({"CAREHUB_DATA_DIR": str(self.folder), "CAREHUB_AUTH": "off",
                              "CAREHUB_VALIDATE": "true", **env})


@pytest.fixture(scope="session")
def web_data(tmp_path_factory: pytest.TempPathFactory) -> WebData:
    folder = tmp_path_factory.mktemp("web-data")
    data = WebData(folder)
    settings = data.settings()
    hub = build_hub(settings)
    try:
        config = SynthConfig(patients=PATIENTS, years=2, seed=7)
        prepare_demo(hub, folder, config)
        prepare_analytics(hub.store, settings, config.end_date)
    finally:
        hub.store.close()
    return data


@pytest.fixture(scope="session")
def web_app(web_data: WebData) -> FastAPI:
    return build_app(web_data.settings())


@pytest.fixture(scope="session")
def client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app, raise_server_exceptions=True) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class RunningServer:
    """A uvicorn server in a thread: its base URL and app."""

    url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(app: FastAPI) -> RunningServer:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test web server did not start")
        time.sleep(0.05)
    return RunningServer(f"http://127.0.0.1:{port}", app, server, thread)


@pytest.fixture(scope="session")
def server(web_app: FastAPI) -> Iterator[RunningServer]:
    running = start_server(web_app)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def auth_app(web_data: WebData) -> FastAPI:
    """The application with authorization on and the :data:`ACCOUNTS` created."""
    app = build_app(web_data.settings(CAREHUB_AUTH="on"))
    accounts = app.state.auth.accounts
    for username, (role, password) in ACCOUNTS.items():
        if accounts.user(username) is None:
            accounts.add_user(username, password, role, display=username,
                              department=DEPARTMENTS.get(username))
    return app


@pytest.fixture(scope="session")
def auth_server(auth_app: FastAPI) -> Iterator[RunningServer]:
    running = start_server(auth_app)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (CI does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser: Any, base_url: str, lang: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url, locale="vi-VN" if lang == "vi" else "en-US",
                                  viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "carehub_lang", "value": lang, "url": base_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    yield page
    context.close()


@pytest.fixture
def page_vi(browser: Any, server: RunningServer) -> Iterator[Any]:
    yield from _page(browser, server.url, "vi")


@pytest.fixture
def page_en(browser: Any, server: RunningServer) -> Iterator[Any]:
    yield from _page(browser, server.url, "en")


def axe_check(page: Any) -> None:
    """Fail on serious or critical axe-core violations in the current page."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `bash scripts/test`, which installs it "
                    "from the npm registry")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"accessibility violations on {page.url}: {bad}"


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
