"""Secure messaging screens: the patient's conversation with the care team, and the clinician's.

https://hl7.org/fhir/R4/communication.html

* ``GET /app/messages``: the signed-in patient's conversation
  (:mod:`carehub.telemed.messaging`), oldest first; opening it marks the care
  team's messages read (those new until now are flagged) and shows, for the
  patient's own messages, whether the care team has read them;
* ``POST /app/messages``: send text and/or one file (PDF, PNG, JPEG up to
  5 MiB), multipart and CSRF-checked, then back to the page (303);
* ``GET /app/patients/{pid}/messages``: the same conversation for a
  clinician (their ``fhirUser`` Practitioner), linked from the patient
  summary; the patient's unread messages are flagged, each with a "mark read"
  button; ``POST`` sends as the clinician;
* ``POST /app/patients/{pid}/messages/{message_id}/read``: mark one read;
* ``GET /app/messages/{message_id}/attachments/{index}``: download an
  attachment (its conversation's patient or a clinician), as a file.

A clinician's page first reads the Patient through the web application's
guarded store, so a patient the user may not see is a 404 page as on the
summary. A refused message (empty, a file of another type, too large) re-renders
the page (400) with a translated message; nothing is stored.

Failure modes: the wrong audience (a patient on a clinician's page, a staff
account that names no Practitioner) gets a 403 page; a bad CSRF field a 403
page; an unknown message or attachment a 404 page; the services not mounted a
503 page.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.errors import Forbidden, Incorrect, NotFound
from carehub.fhir_api.hub import Hub
from carehub.telemed import messaging
from carehub.telemed.actor import Actor, require_patient_or_staff
from carehub.telemed.records import parse_instant
from carehub.telemed.web_common import Telemed, touched
from carehub.web.app import Web
from carehub.web.i18n import Translator
from carehub.web.patient_search import display_name
from carehub.web.telemed_pages import (
    checked_form,
    local_day,
    local_time,
    person_name,
    telemed_of,
    web_actor,
)

TEXT_MAX = 4000
"""Longest message text accepted from the form."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def when(instant_text: str, t: Translator) -> str:
    """A stored instant as local day and time.

    >>> when("2026-03-01T20:05:00Z", Translator("vi"))
    'T2 02/03/2026 03:05'
    """
    moment = parse_instant(instant_text)
    return f"{local_day(moment, t)} {local_time(moment)}"


def safe_filename(title: str) -> str:
    """An ASCII file name for ``Content-Disposition`` (other characters become ``_``).

    >>> safe_filename("kết quả.pdf"), safe_filename("../../x")
    ('k_t_qu_.pdf', '.._.._x')
    """
    return _UNSAFE.sub("_", title).strip("_") or "attachment"


def attachments_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message's attachments, in order (their index is the download route's).

    >>> attachments_of({"payload": [{"contentString": "x"}, {"contentAttachment": {"size": 1}}]})
    [{'size': 1}]
    """
    return [p["contentAttachment"] for p in message.get("payload", [])
            if "contentAttachment" in p]


def message_rows(tm: Telemed, messages: list[dict[str, Any]], viewer: Actor, patient: str,
                 fresh: set[str], t: Translator) -> list[dict[str, Any]]:
    """What the template shows of each message, for ``viewer`` (patient or clinician)."""
    names: dict[str, str] = {}
    out = []
    for m in messages:
        sender = str((m.get("sender") or {}).get("reference", ""))
        from_patient = sender == patient
        ours = from_patient == viewer.is_patient
        received = str(m.get("received", ""))
        out.append({
            "id": m["id"], "ours": ours,
            "who": t("messages.you") if sender == viewer.reference
            else t("messages.care_team_member", name=person_name(tm.records, sender, names))
            if not from_patient else person_name(tm.records, sender, names),
            "when": when(str(m["sent"]), t) if m.get("sent") else "",
            "text": "\n".join(str(p["contentString"]) for p in m.get("payload", [])
                              if "contentString" in p),
            "files": [{"index": i, "title": str(a.get("title", "")),
                       "kb": max(1, round(int(a.get("size", 0)) / 1024))}
                      for i, a in enumerate(attachments_of(m))],
            "read": when(received, t) if received else "",
            "unread": not ours and not received, "new": m["id"] in fresh,
        })
    return out


def patient_conversation(tm: Telemed, actor: Actor, t: Translator) -> list[dict[str, Any]]:
    """The patient's conversation; the care team's unread messages are marked read."""
    found = messaging.conversation(tm.records, actor, actor.reference)
    fresh: set[str] = set()
    for i, m in enumerate(found):
        if (m.get("sender") or {}).get("reference") != actor.reference and "received" not in m:
            found[i] = messaging.mark_read(tm.records, actor, str(m["id"]), tm.clock())
            fresh.add(str(m["id"]))
    touched(*found)
    return message_rows(tm, found, actor, actor.reference, fresh, t)


def visible_patient(hub: Hub, pid: str) -> dict[str, Any] | None:
    """The Patient as the signed-in user may see it (the guarded store), else None."""
    with hub.store.session() as s:
        stored = s.read("Patient", pid)
    if stored is None or stored.body is None:
        return None
    found: dict[str, Any] = orjson.loads(stored.body)
    return found


async def attachment_from(form: Any) -> list[dict[str, str]] | str:
    """The form's file as a messaging attachment (none when no file); an error key if refused."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return []
    raw = await upload.read(messaging.MAX_ATTACHMENT_BYTES + 1)
    ctype = (upload.content_type or "").split(";")[0].strip().lower()
    if ctype not in messaging.TYPES:
        return "type"
    if not raw or len(raw) > messaging.MAX_ATTACHMENT_BYTES:
        return "size"
    return [{"contentType": ctype, "data": base64.b64encode(raw).decode(),
             "title": upload.filename[:120]}]


def router(web: Web) -> APIRouter:
    """The messaging routes, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    async def patient_page(request: Request, status: int = 200, error: str = "",
                           text: str = "") -> Response:
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None:
            return web.pages.error(request, 503, "consult.unavailable")
        if actor is None or not actor.is_patient:
            return web.pages.error(request, 403, "messages.patients_only")
        ctx = web.pages.context(request)
        rows = await run_in_threadpool(patient_conversation, tm, actor, Translator(ctx.lang))
        return web.pages.render(request, "messages.html", status=status, page=ctx, rows=rows,
                                error=f"messages.error.{error}" if error else "", text=text,
                                sent=request.query_params.get("sent") == "1" and not error,
                                action="/app/messages", name="", pid="")

    async def clinician_check(request: Request, pid: str) -> Response | dict[str, Any]:
        """The Patient of a clinician's page, or the error page of the wrong caller."""
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None:
            return web.pages.error(request, 503, "consult.unavailable")
        if actor is None or not actor.reference.startswith("Practitioner/"):
            return web.pages.error(request, 403, "messages.clinicians_only")
        try:
            person = await run_in_threadpool(visible_patient, web.hub, pid)
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        if person is None:
            return web.pages.error(request, 404, "error.no_patient")
        return person

    async def clinician_page(request: Request, pid: str, status: int = 200, error: str = "",
                             text: str = "") -> Response:
        person = await clinician_check(request, pid)
        if isinstance(person, Response):
            return person
        tm, actor = telemed_of(request), web_actor(request)
        assert tm is not None and actor is not None  # checked above
        ctx = web.pages.context(request)
        t = Translator(ctx.lang)

        def load() -> list[dict[str, Any]]:
            found = messaging.conversation(tm.records, actor, f"Patient/{pid}")
            touched(*found)
            return message_rows(tm, found, actor, f"Patient/{pid}", set(), t)

        rows = await run_in_threadpool(load)
        return web.pages.render(request, "messages.html", status=status, page=ctx, rows=rows,
                                error=f"messages.error.{error}" if error else "", text=text,
                                sent=request.query_params.get("sent") == "1" and not error,
                                action=f"/app/patients/{pid}/messages",
                                name=display_name(person), pid=pid)

    async def send(request: Request, patient: str, back: str,
                   again: Callable[..., Awaitable[Response]]) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None or actor is None:
            return await again(request)  # the page says why
        text = str(form.get("text", ""))
        if len(text) > TEXT_MAX:
            await form.close()
            return await again(request, 400, "too_long", text)
        try:
            files = await attachment_from(form)
        finally:
            await form.close()
        if isinstance(files, str):
            return await again(request, 400, files, text)
        if not text.strip() and not files:
            return await again(request, 400, "empty", text)
        try:
            message = await run_in_threadpool(messaging.send, tm.records, actor, patient, text,
                                              files, tm.clock())
        except Incorrect:
            return await again(request, 400, "type", text)
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        touched(message)
        return RedirectResponse(f"{back}?sent=1", status_code=303)

    @r.get("/app/messages")
    async def mine(request: Request) -> Response:
        return await patient_page(request)

    @r.post("/app/messages")
    async def send_mine(request: Request) -> Response:
        actor = web_actor(request)
        if actor is None or not actor.is_patient:
            return await patient_page(request)
        return await send(request, actor.reference, "/app/messages", patient_page)

    @r.get("/app/patients/{pid}/messages")
    async def theirs(request: Request, pid: str) -> Response:
        return await clinician_page(request, pid)

    @r.post("/app/patients/{pid}/messages")
    async def send_theirs(request: Request, pid: str) -> Response:
        check = await clinician_check(request, pid)
        if isinstance(check, Response):
            return check

        async def again(req: Request, status: int = 200, error: str = "",
                        text: str = "") -> Response:
            return await clinician_page(req, pid, status, error, text)

        return await send(request, f"Patient/{pid}", f"/app/patients/{pid}/messages", again)

    @r.post("/app/patients/{pid}/messages/{message_id}/read")
    async def read(request: Request, pid: str, message_id: str) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        check = await clinician_check(request, pid)
        if isinstance(check, Response):
            return check
        tm, actor = telemed_of(request), web_actor(request)
        assert tm is not None and actor is not None  # checked by the page above

        def mark() -> dict[str, Any]:
            message = tm.records.get("Communication", message_id)
            if (message.get("subject") or {}).get("reference") != f"Patient/{pid}":
                raise NotFound(f"no message {message_id} in this conversation")
            return messaging.mark_read(tm.records, actor, message_id, tm.clock())

        try:
            done = await run_in_threadpool(mark)
        except NotFound:
            return web.pages.error(request, 404, "messages.unknown")
        touched(done)
        return RedirectResponse(f"/app/patients/{pid}/messages#msg-{message_id}",
                                status_code=303)

    @r.get("/app/messages/{message_id}/attachments/{index}")
    async def download(request: Request, message_id: str, index: int) -> Response:
        tm, actor = telemed_of(request), web_actor(request)
        if tm is None:
            return web.pages.error(request, 503, "consult.unavailable")
        if actor is None:
            return web.pages.error(request, 403, "consult.no_person")
        try:
            message = await run_in_threadpool(tm.records.get, "Communication", message_id)
            patient = str((message.get("subject") or {}).get("reference", ""))
            require_patient_or_staff(actor, patient)
            if not actor.is_patient and await run_in_threadpool(
                    visible_patient, web.hub, patient.removeprefix("Patient/")) is None:
                raise NotFound("not visible")
            files = attachments_of(message)
            if index < 0:
                raise IndexError(index)
            item = files[index]
        except (NotFound, IndexError):
            return web.pages.error(request, 404, "messages.unknown")
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        touched(message)
        name = safe_filename(str(item.get("title", "")))
        return Response(base64.b64decode(str(item["data"])), media_type=str(item["contentType"]),
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})

    return r

