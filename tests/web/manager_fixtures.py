"""Helpers of the manager and patient screen tests: a stocked ledger, patient accounts, sign-in.

* :func:`stock_ledger` stores a generated ledger (a few drugs over 14 months,
  :mod:`carehub.ops.supply.synthetic`) through the operations API, once per
  data folder;
* :func:`patient_accounts` picks two patients of the generated hospital, gives
  each a patient account on the application with authorization on, and books
  one Appointment for each (written with the unguarded store);
* :func:`signed_in` signs a user in over HTTP and returns the client.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.app.wiring import build_hub
from carehub.ops.supply.synthetic import demand_panel, replay_ledger
from tests.web.conftest import WebData

HTML = {"Accept": "text/html,application/xhtml+xml"}
PATIENT_PASSWORD = "Benh-nhan-mat-khau-1"
_STOCKED: set[str] = set()


def stock_ledger(client: TestClient, as_of: datetime.date, items: int = 6) -> int:
    """Store a generated ledger ending before ``as_of`` (once per app); the entries stored."""
    key = str(id(client.app))
    if key in _STOCKED:
        return 0
    start = (as_of.replace(day=1) - datetime.timedelta(days=420)).replace(day=1)
    entries = replay_ledger(demand_panel(items, 14, seed=3), start, store="kho-chinh",
                            missed_delivery=0.3, seed=3)
    body = [{"item": e.item, "store": e.store, "date": e.date.isoformat(), "kind": e.kind,
             "quantity": e.quantity} for e in entries if e.date <= as_of]
    r = client.post("/ops/supply/ledger", content=orjson.dumps(body),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    _STOCKED.add(key)
    return int(r.json()["stored"])


@dataclass(frozen=True)
class PatientAccount:
    """A patient's sign-in and what only they may see."""

    username: str
    patient_id: str
    family: str
    appointment: str


def _family(patient: dict[str, Any]) -> str:
    return str((patient.get("name") or [{}])[0].get("family", ""))


def patient_accounts(web_data: WebData, app: FastAPI) -> tuple[PatientAccount, PatientAccount]:
    """Two patients with accounts on ``app`` (authorization on) and one Appointment each."""
    hub = build_hub(web_data.settings())
    out = []
    try:
        with hub.store.session(write=True) as session:
            page = session.search(hub.parser.parse("Patient", [("_count", "40")]))
            patients = [orjson.loads(m.body) for m in page.matches if m.body]
            first = patients[0]
            second = next(p for p in patients[1:] if _family(p) != _family(first))
            for n, patient in enumerate((first, second)):
                pid = str(patient["id"])
                what = f"Tái khám {n + 1} {pid[-6:]}"
                session.put({"resourceType": "Appointment", "id": f"w2-appt-{pid}"[:64],
                             "status": "booked", "description": what,
                             "start": f"2026-07-0{n + 2}T08:30:00+07:00",
                             "end": f"2026-07-0{n + 2}T09:00:00+07:00",
                             "participant": [{"actor": {"reference": f"Patient/{pid}"},
                                              "status": "accepted"}]})
                out.append(PatientAccount(f"benh.nhan{n + 1}", pid, _family(patient), what))
    finally:
        hub.store.close()
    accounts = app.state.auth.accounts
    for account in out:
        if accounts.user(account.username) is None:
            accounts.add_user(account.username, PATIENT_PASSWORD, "patient",
                              fhir_user=f"Patient/{account.patient_id}",
                              display=account.username)
    return out[0], out[1]


def signed_in(base_url: str, username: str, password: str) -> httpx.Client:
    """An HTTP client signed in as ``username`` on the server at ``base_url``."""
    c = httpx.Client(base_url=base_url, headers=HTML, follow_redirects=False, timeout=30)
    c.get("/app/signin")
    r = c.post("/app/signin", data={"username": username, "password": password,
                                    "next": "/app/", "csrf": c.cookies.get("carehub_csrf")})
    assert r.status_code == 303, (username, r.status_code, r.text[:300])
    return c
