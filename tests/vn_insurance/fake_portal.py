"""A fake appraisal portal implementing the request/response shapes of guide 1245/BHXH-CNTT.

Served through ``httpx.MockTransport`` (no socket). It checks what the real
portal documents: form-encoded bodies, the MD5 upper-case password, the token
headers, ``loaiHoSo`` per service, and base64 content that decodes to the
right kind of XML file; it records every accepted file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs

import httpx


class FakePortal:
    """The portal's state: one account, issued tokens, received files."""

    def __init__(self, username: str = "01001_BV", password: str = "secret") -> None:
        self.username = username
        self.password_hash = hashlib.md5(password.encode()).hexdigest().upper()
        self.tokens: set[str] = set()
        self.received: list[tuple[str, bytes]] = []
        self.fail_with: int | None = None

    def transport(self) -> httpx.MockTransport:
        """The transport to hand to the client."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, text="down")
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return httpx.Response(415)
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if request.url.path == "/api/token/take":
            if form.get("username") != self.username or form.get("password") != self.password_hash:
                return httpx.Response(200, json={"maKetQua": "401", "APIKey": None})
            token = f"tok{len(self.tokens) + 1}"
            self.tokens.add(token)
            return httpx.Response(200, json={"maKetQua": "200", "APIKey": {
                "access_token": token, "id_token": f"id-{token}", "token_type": "bearer",
                "username": self.username, "expires_in": "2026-07-01T12:00:00Z"}})
        kinds = {"/api/qd130/checkInKcbQd4750": ("0", "CHI_TIEU_TRANG_THAI_KCB"),
                 "/api/qd130/guiHoSoXmlQD4750": ("130", "GIAMDINHHS")}
        if request.url.path not in kinds:
            return httpx.Response(404)
        kind, root = kinds[request.url.path]
        if (request.headers.get("accessToken") not in self.tokens
                or request.headers.get("passwordHash") != self.password_hash):
            return httpx.Response(200, json={"maKetQua": "401", "thongDiep": "Unauthorized"})
        missing = [k for k in ("username", "loaiHoSo", "maTinh", "maCSKCB", "fileHSBase64")
                   if not form.get(k)]
        if missing or form["loaiHoSo"] != kind:
            return httpx.Response(200, json={"maKetQua": "400", "thongDiep": f"bad {missing}"})
        try:
            content = base64.b64decode(form["fileHSBase64"], validate=True)
            tag = ET.fromstring(content).tag
        except (binascii.Error, ET.ParseError):
            return httpx.Response(200, json={"maKetQua": "400", "thongDiep": "not base64 XML"})
        if tag != root:
            return httpx.Response(200, json={"maKetQua": "400", "thongDiep": f"<{tag}>"})
        self.received.append((kind, content))
        return httpx.Response(200, json={"maKetQua": "200", "maGiaoDich": f"GD{len(self.received)}",
                                         "thoiGianTiepNhan": "20260701120000",
                                         "thongDiep": "Thành công"})
