"""The portal client against the fake portal (guide 1245 shapes, no socket)."""

from __future__ import annotations

import asyncio

import pytest

from carehub.errors import Busy, Forbidden, Incorrect
from carehub.vn_insurance.envelope import build_envelope
from carehub.vn_insurance.portal_client import HttpPortal
from tests.vn_insurance.fake_portal import FakePortal

ENVELOPE = build_envelope("01001", "20260701", [{"XML5": [{"MA_LK": "E1", "STT": "1"}]}])


def client(fake: FakePortal, password: str = "secret") -> HttpPortal:
    return HttpPortal("https://portal.test", "01001_BV", password, "01001", "01",
                      transport=fake.transport())


def test_token_then_submit_and_check_in() -> None:
    fake = FakePortal()
    portal = client(fake)

    async def run() -> tuple[str, str]:
        token = await portal.take_token()
        a = await portal.check_in(token, b"<CHI_TIEU_TRANG_THAI_KCB/>")
        b = await portal.submit(token, ENVELOPE)
        return a.transaction_id, b.transaction_id

    assert asyncio.run(run()) == ("GD1", "GD2")
    assert [k for k, _ in fake.received] == ["0", "130"]
    assert fake.received[1][1] == ENVELOPE


def test_wrong_password_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        asyncio.run(client(FakePortal(), password="nope").take_token())


def test_rejected_file_is_incorrect() -> None:
    portal = client(FakePortal())

    async def run() -> None:
        token = await portal.take_token()
        await portal.submit(token, b"<TONG_HOP/>")  # not an envelope

    with pytest.raises(Incorrect, match="maKetQua 400"):
        asyncio.run(run())


def test_failing_portal_is_busy() -> None:
    fake = FakePortal()
    fake.fail_with = 503
    with pytest.raises(Busy):
        asyncio.run(client(fake).take_token())


def test_no_url_configured() -> None:
    with pytest.raises(Incorrect, match="CAREHUB_VN_PORTAL_URL"):
        HttpPortal("", "u", "p", "01001", "01")
