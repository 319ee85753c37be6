"""Reminders through the Notifier, recorded as Communications; the HTTP gateway."""

from __future__ import annotations

import json

import httpx
import pytest

from carehub.errors import Busy, Unsupported
from carehub.telemed import scheduling as sch
from carehub.telemed.actor import Actor
from carehub.telemed.notify import ChannelNotifier, HttpGateway, Message
from carehub.telemed.records import Records
from carehub.telemed.reminders import send_reminders
from tests.telemed.conftest import NOW, FakeNotifier, later


def book_both(records: Records) -> None:
    _, slots = sch.publish(records, Actor("Practitioner/dr1"), "Practitioner/dr1",
                           later(5), later(6), 30)
    sch.book(records, Actor("Patient/p1"), slots[0]["id"], "Patient/p1", clock=lambda: NOW)
    sch.book(records, Actor("Patient/p2"), slots[1]["id"], "Patient/p2", clock=lambda: NOW)


def test_reminders_go_once_in_each_patients_language(records: Records,
                                                     notifier: FakeNotifier) -> None:
    book_both(records)
    assert send_reminders(records, notifier, NOW, within_hours=2) == []
    comms = send_reminders(records, notifier, NOW, within_hours=24)
    assert sorted(m.channel for m in notifier.sent) == ["email", "sms"]
    sms = next(m for m in notifier.sent if m.channel == "sms")
    assert sms.to == "0901234567" and "Nhắc lịch" in sms.text and "13:00" in sms.text
    email = next(m for m in notifier.sent if m.channel == "email")
    assert email.to == "ann@example.org" and "reminder" in email.text
    assert {c["status"] for c in comms} == {"completed"}
    assert send_reminders(records, notifier, NOW, within_hours=24) == []
    assert len(notifier.sent) == 2


def test_a_gateway_failure_is_recorded_and_retried(records: Records,
                                                   notifier: FakeNotifier) -> None:
    book_both(records)
    notifier.failing.add("0901234567")
    comms = send_reminders(records, notifier, NOW, within_hours=24)
    failed = [c for c in comms if c["status"] == "not-done"]
    assert len(failed) == 1 and failed[0]["statusReason"]["text"] == "gateway down"
    notifier.failing.clear()
    again = send_reminders(records, notifier, NOW, within_hours=24)
    assert [c["subject"]["reference"] for c in again] == ["Patient/p1"]


def test_http_gateway_posts_json_and_reports_failure() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if json.loads(request.content)["to"] == "bad":
            return httpx.Response(502)
        return httpx.Response(200, json={"id": "sms-1"})

    gateway = HttpGateway("https://sms.test/send", "k", httpx.MockTransport(handler))
    assert gateway.send(Message("sms", "0901", "hi")) == "sms-1"
    assert seen[0].headers["authorization"] == "Bearer k"
    with pytest.raises(Busy):
        gateway.send(Message("sms", "bad", "hi"))
    with pytest.raises(Unsupported):
        ChannelNotifier({"sms": gateway}).send(Message("chat", "u1", "hi"))
