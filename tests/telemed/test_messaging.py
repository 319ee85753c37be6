"""Secure messaging: conversation, attachments, read status, refusals."""

from __future__ import annotations

import base64

import pytest

from carehub.errors import Forbidden, Incorrect
from carehub.telemed import messaging as msg
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records
from tests.telemed.conftest import NOW, later

P1, P2, DR1 = Actor("Patient/p1"), Actor("Patient/p2"), Actor("Practitioner/dr1")
RAW = "%PDF-1.4 kết quả".encode()
PDF = base64.b64encode(RAW).decode()


def test_conversation_with_attachment_and_read_status(records: Records) -> None:
    question = msg.send(records, P1, "Patient/p1", "Huyết áp sáng nay 150/95",
                        [{"contentType": "application/pdf", "data": PDF, "title": "kq.pdf"}], NOW)
    assert "recipient" not in question
    assert question["payload"][1]["contentAttachment"]["size"] == len(RAW)
    answer = msg.send(records, DR1, "Patient/p1", "Tăng liều amlodipine 10 mg", [], later(1))
    assert answer["recipient"] == [{"reference": "Patient/p1"}]
    thread = msg.conversation(records, DR1, "Patient/p1")
    assert [m["id"] for m in thread] == [question["id"], answer["id"]]
    assert msg.unread(thread, DR1) == 1 and msg.unread(thread, P1) == 1
    assert "received" not in msg.mark_read(records, P1, question["id"], later(2))
    read = msg.mark_read(records, DR1, question["id"], later(2))
    assert read["received"] == "2026-03-02T03:00:00Z"
    msg.mark_read(records, P1, answer["id"], later(3))
    thread = msg.conversation(records, P1, "Patient/p1")
    assert msg.unread(thread, DR1) == 0 and msg.unread(thread, P1) == 0


def test_refusals_store_nothing(records: Records) -> None:
    with pytest.raises(Forbidden):
        msg.send(records, P2, "Patient/p1", "hi", [], NOW)
    with pytest.raises(Incorrect):
        msg.send(records, P1, "Patient/p1", "  ", [], NOW)
    with pytest.raises(Incorrect):
        msg.send(records, P1, "Patient/p1", "x", [{"contentType": "text/html", "data": PDF}], NOW)
    with pytest.raises(Incorrect):
        msg.send(records, P1, "Patient/p1", "x",
                 [{"contentType": "image/png", "data": "not base64!"}], NOW)
    assert records.search("Communication", []) == []
    first = msg.send(records, P1, "Patient/p1", "ok", [], NOW)
    with pytest.raises(Forbidden):
        msg.conversation(records, P2, "Patient/p1")
    with pytest.raises(Forbidden):
        msg.mark_read(records, P2, first["id"], NOW)


def test_a_long_conversation_shows_its_latest_messages(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(msg, "CONVERSATION_LIMIT", 3)
    sent = [msg.send(records, P1, "Patient/p1", f"tin nhắn {i}", [], later(i))["id"]
            for i in range(5)]
    thread = msg.conversation(records, DR1, "Patient/p1")
    assert [m["id"] for m in thread] == sent[2:]  # the newest three, oldest first
