"""Helpers of the teleconsultation and messaging screen tests (authorization off: the
``X-CareHub-Actor`` header names the caller; on: real accounts).

Every test makes its own Practitioner (a fresh id), so tests sharing the
session's generated hospital never see each other's slots.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4

from fastapi import FastAPI
from fastapi.testclient import TestClient

from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records
from carehub.web.session import CSRF_COOKIE
from carehub.web.telemed_pages import LOCAL


def records(app: FastAPI) -> Records:
    found: Records = app.state.telemed.records
    return found


def as_actor(reference: str) -> dict[str, str]:
    """Headers naming the caller (authorization off)."""
    return {"X-CareHub-Actor": reference}


def new_practitioner(app: FastAPI, family: str = "Phạm") -> str:
    """A new Practitioner (stored), as a reference."""
    pid = f"t1-dr-{uuid4().hex[:10]}"
    records(app).put({"resourceType": "Practitioner", "id": pid,
                      "name": [{"family": family, "given": [f"Minh {pid[-4:]}"]}]})
    return f"Practitioner/{pid}"


def some_patients(app: FastAPI, n: int, skip: int = 20) -> list[str]:
    """``n`` patients of the generated hospital (past the first few other tests use)."""
    found = records(app).search("Patient", [("_count", str(skip + n))])
    return [f"Patient/{p['id']}" for p in found[skip:skip + n]]


def tomorrow_at(hour: int) -> datetime:
    """Tomorrow at ``hour`` o'clock, hospital time."""
    day = datetime.now(LOCAL).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), LOCAL)


def publish(app: FastAPI, doctor: str, start: datetime, count: int,
            minutes: int = 20) -> list[dict[str, Any]]:
    """``count`` free slots of ``doctor`` from ``start``."""
    _, slots = sch.publish(records(app), Actor(doctor), doctor, start,
                           start + timedelta(minutes=minutes * count), minutes)
    return slots


def csrf(client: TestClient, headers: dict[str, str]) -> str:
    """The CSRF token of ``client`` (a page is opened first when it has none)."""
    token = client.cookies.get(CSRF_COOKIE)
    if not token:
        client.get("/app/consultations", headers=headers)
        token = client.cookies.get(CSRF_COOKIE)
    assert token
    return str(token)
