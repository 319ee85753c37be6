"""The video room: its page, its script and style, and its signalling WebSocket.

https://www.w3.org/TR/webrtc/, https://www.rfc-editor.org/rfc/rfc6455 (WebSocket)

* ``GET /telemed/room/{appointment_id}``: the room page (public: it holds no data;
  the join token travels in the URL fragment, which browsers never send);
* ``GET /telemed/static/{name}``: its script and style;
* ``WS  /telemed/ws/{appointment_id}``: signalling. The first message must be
  ``{"type": "hello", "token": ...}`` with a join token for this room
  (:mod:`carehub.telemed.join`); the participant must still be in the
  Appointment. Otherwise the server sends ``error`` {code: ``forbidden``} and
  closes with code 4403; a full room closes with 4409. Then
  :mod:`carehub.telemed.rooms` handles the messages.

The page sets its own Content-Security-Policy: scripts and styles from this
site only, connections to this site only (the WebSocket), no frames.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from carehub.errors import Busy, CareHubError, Forbidden, NotFound
from carehub.telemed import scheduling as sch
from carehub.telemed.conference import case_view
from carehub.telemed.rooms import Room
from carehub.telemed.texts import texts
from carehub.telemed.web_common import Telemed

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC = {"room.js": "text/javascript", "room.css": "text/css"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; media-src 'self' blob: mediastream:; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'none'")
HELLO_TIMEOUT_S = 10.0
FORBIDDEN_CLOSE = 4403
FULL_CLOSE = 4409


def script_json(data: Any) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element.

    >>> str(script_json({"a": "</script>"}))
    '{"a": "\\\\u003c/script>"}'
    """
    return Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c"))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
                              autoescape=True)


def room_router(tm: Telemed) -> APIRouter:
    """The routes of the module docstring over ``tm``."""
    router = APIRouter(tags=["telemedicine"])
    env = _environment()

    @router.get("/telemed/room/{appointment_id}", response_class=HTMLResponse)
    async def room_page(appointment_id: str, request: Request) -> Response:
        lang = request.query_params.get("lang", "vi")
        t = texts(lang)
        html = env.get_template("telemed/room.html").render(
            lang="en" if lang == "en" else "vi", room=appointment_id, t=t,
            texts_json=script_json(t))
        return HTMLResponse(html, headers={"Content-Security-Policy": CSP,
                                           "Referrer-Policy": "no-referrer",
                                           "Cache-Control": "no-store"})

    @router.get("/telemed/static/{name}")
    async def static(name: str) -> Response:
        if name not in STATIC:
            raise NotFound(f"no static file '{name}'")
        return FileResponse(WEB_DIR / "static" / "telemed" / name, media_type=STATIC[name])

    @router.websocket("/telemed/ws/{appointment_id}")
    async def signalling(websocket: WebSocket, appointment_id: str) -> None:
        await websocket.accept()
        try:
            room, participant, name = await _admit(tm, websocket, appointment_id)
        except CareHubError as exc:
            await _refuse(websocket, "forbidden", exc.message, FORBIDDEN_CLOSE)
            return
        except WebSocketDisconnect:
            return
        now = int(tm.clock().timestamp())
        try:
            peer = await tm.rooms.join(room, participant, name, websocket.send_json,
                                       tm.config.ice.servers(participant, now))
        except Busy as exc:
            await _refuse(websocket, "room-full", exc.message, FULL_CLOSE)
            return
        try:
            while True:
                text = await websocket.receive_text()
                try:
                    message = json.loads(text)
                except ValueError:
                    message = None
                await tm.rooms.handle(appointment_id, peer.id, message)
        except WebSocketDisconnect:
            pass
        finally:
            await tm.rooms.leave(appointment_id, peer.id)

    return router


async def _refuse(websocket: WebSocket, code: str, message: str, close_code: int) -> None:
    try:
        await websocket.send_json({"type": "error", "code": code, "message": message})
        await websocket.close(close_code)
    except (WebSocketDisconnect, RuntimeError):
        return


async def _admit(tm: Telemed, websocket: WebSocket, room_id: str) -> tuple[Room, str, str]:
    """Check the hello message's token and the appointment; the room to join.

    Raises:
        Forbidden: no hello in time, a bad token, or no longer a participant.
    """
    try:
        hello = json.loads(await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S))
    except (TimeoutError, ValueError):
        raise Forbidden("the first message must be a hello with a join token") from None
    token = hello.get("token") if isinstance(hello, dict) else None
    claims = tm.tokens.verify(str(token or ""), room_id, int(tm.clock().timestamp()))
    appointment = await run_in_threadpool(tm.records.get, "Appointment", room_id)
    if claims.participant not in sch.participants(appointment) \
            or appointment.get("status") not in sch.ACTIVE:
        raise Forbidden("no longer a participant of an open appointment")
    kind = sch.kind_of(appointment)
    loader = None
    if kind == sch.CONFERENCE:
        async def loader(state: dict[str, Any]) -> dict[str, Any]:
            return await run_in_threadpool(case_view, tm.records, appointment, state)
    room = Room(room_id, kind, sch.recording_allowed(appointment), loader,
                sch.patient_of(appointment))
    return room, claims.participant, claims.name
