"""Client of Viet Nam Social Security's appraisal portal web services (guide 1245/BHXH-CNTT).

https://thuvienphapluat.vn/cong-van/Bao-hiem/Cong-van-1245-BHXH-CNTT-2024-kiem-thu-tiep-nhan-du-lieu-dien-tu-dinh-dang-XML-606343.aspx

Three JSON services, each a form-encoded POST:

* ``/api/token/take`` (``username``, ``password`` as upper-case MD5 hex) answers
  ``maKetQua`` and ``APIKey`` (``access_token``, ``id_token``, ``expires_in``...);
* ``/api/qd130/checkInKcbQd4750`` (check-in table, ``loaiHoSo=0``) and
  ``/api/qd130/guiHoSoXmlQD4750`` (GIAMDINHHS envelope, ``loaiHoSo=130``) take
  headers ``accessToken``, ``tokenId``, ``passwordHash`` and the body
  ``username``, ``loaiHoSo``, ``maTinh``, ``maCSKCB``, ``fileHSBase64``; they
  answer ``maKetQua`` (``200`` success), ``maGiaoDich``, ``thoiGianTiepNhan``
  (yyyyMMddHHmmss) and ``thongDiep``.

:class:`Portal` is the protocol callers depend on; :class:`HttpPortal` talks
HTTP through httpx (the endpoint is configuration, ``CAREHUB_VN_PORTAL_URL``).
Failures: a refused login or token is :class:`Forbidden`, a rejected file
:class:`Incorrect`, an unreachable or failing portal :class:`Busy`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from carehub.errors import Busy, Forbidden, Incorrect

TOKEN_PATH = "/api/token/take"
CHECKIN_PATH = "/api/qd130/checkInKcbQd4750"
SUBMIT_PATH = "/api/qd130/guiHoSoXmlQD4750"


@dataclass(frozen=True, slots=True)
class Token:
    """A portal session."""

    access_token: str
    id_token: str
    expires_in: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """The portal's answer to a file: transaction id, time received, message."""

    transaction_id: str
    received_at: str
    message: str


class Portal(Protocol):
    """What CareHub needs from the appraisal portal."""

    async def take_token(self) -> Token:
        """Open a session."""
        ...

    async def check_in(self, token: Token, xml: bytes) -> Receipt:
        """Send a check-in table file."""
        ...

    async def submit(self, token: Token, envelope: bytes) -> Receipt:
        """Send a GIAMDINHHS envelope."""
        ...


def password_hash(password: str) -> str:
    """The upper-case MD5 hex digest the portal expects for a password.

    >>> password_hash("abc")
    '900150983CD24FB0D6963F7D28E17F72'
    """
    return hashlib.md5(password.encode("utf-8")).hexdigest().upper()


class HttpPortal:
    """:class:`Portal` over HTTP.

    Args:
        base_url: the portal's root URL, e.g. ``https://egw.baohiemxahoi.gov.vn``.
        username: the account of the facility.
        password: its password (sent MD5-hashed, as the guide requires).
        facility_code: MA_CSKCB. province_code: the facility's province (maTinh).
        transport: an httpx transport (tests pass a mock).
        timeout: seconds per request.
    """

    def __init__(self, base_url: str, username: str, password: str, facility_code: str,
                 province_code: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 60.0) -> None:
        if not base_url:
            raise Incorrect("no portal URL configured (CAREHUB_VN_PORTAL_URL)")
        self._client_args: dict[str, Any] = {"base_url": base_url.rstrip("/"),
                                             "timeout": timeout, "transport": transport}
        self.username = username
        self._hash = password_hash(password)
        self.facility_code = facility_code
        self.province_code = province_code

    async def _post(self, path: str, data: dict[str, str],
                    headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(**self._client_args) as client:
                response = await client.post(path, data=data, headers=headers or {})
        except httpx.HTTPError as exc:
            raise Busy(f"the insurance portal is unreachable: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise Forbidden(f"the insurance portal refused {path} ({response.status_code})")
        if response.status_code >= 500:
            raise Busy(f"the insurance portal failed on {path} ({response.status_code})")
        try:
            body = response.json()
        except ValueError:
            raise Busy(f"the insurance portal answered {path} with non-JSON") from None
        if not isinstance(body, dict):
            raise Busy(f"the insurance portal answered {path} with an unexpected shape")
        code = str(body.get("maKetQua", ""))
        if code in ("401", "403"):
            raise Forbidden(f"the insurance portal refused {path}: {body.get('thongDiep', code)}")
        if code != "200":
            raise Incorrect(f"the insurance portal rejected {path} (maKetQua {code}): "
                            f"{body.get('thongDiep', '')}")
        return body

    async def take_token(self) -> Token:
        body = await self._post(TOKEN_PATH, {"username": self.username, "password": self._hash})
        key = body.get("APIKey") or {}
        if not key.get("access_token"):
            raise Busy("the insurance portal gave no access_token")
        return Token(str(key["access_token"]), str(key.get("id_token", "")),
                     str(key.get("expires_in", "")))

    async def _send(self, path: str, kind: str, token: Token, content: bytes) -> Receipt:
        headers = {"accessToken": token.access_token, "tokenId": token.id_token,
                   "passwordHash": self._hash}
        data = {"username": self.username, "loaiHoSo": kind, "maTinh": self.province_code,
                "maCSKCB": self.facility_code,
                "fileHSBase64": base64.b64encode(content).decode("ascii")}
        body = await self._post(path, data, headers)
        return Receipt(str(body.get("maGiaoDich", "")), str(body.get("thoiGianTiepNhan", "")),
                       str(body.get("thongDiep", "")))

    async def check_in(self, token: Token, xml: bytes) -> Receipt:
        return await self._send(CHECKIN_PATH, "0", token, xml)

    async def submit(self, token: Token, envelope: bytes) -> Receipt:
        return await self._send(SUBMIT_PATH, "130", token, envelope)
