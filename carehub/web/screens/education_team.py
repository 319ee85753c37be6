"""The care team assigns education to a patient and sees what was read.

https://hl7.org/fhir/R4/communicationrequest.html and https://hl7.org/fhir/R4/communication.html

* ``GET /app/patients/{pid}/education``: a form (library item, grouped by
  programme, and an optional reason) and the patient's assignments, newest
  first: item, when and by whom (a clinician or a rule), reason, and read
  (with the date) or not yet; linked from the patient summary;
* ``POST /app/patients/{pid}/education``: assign (CSRF-checked) through
  :func:`carehub.telemed.education.assign`, then back to the page (303).

The caller is care team (:func:`~carehub.web.screens.home_monitoring_team.staff_actor`);
data goes through the telemedicine records, so a department-scoped clinician
only reaches the department's patients (:mod:`carehub.telemed.access`).

Failure modes: a patient or non-clinical session gets a 403 page; an unknown
patient (or one outside the user's department) a 404 page; an unknown item a
400 page; nothing is written on any of them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from carehub.errors import Forbidden, NotFound
from carehub.telemed import education
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records
from carehub.telemed.web_common import touched
from carehub.web.app import Web
from carehub.web.i18n import Translator
from carehub.web.patient_search import display_name
from carehub.web.screens.home_monitoring_team import staff_actor
from carehub.web.session import checked_form


def records_of(request: Request) -> Records | None:
    """The telemedicine records of the application, if telemedicine is mounted."""
    tm = getattr(request.app.state, "telemed", None)
    if tm is None:
        return None
    records: Records = tm.records
    return records


def read_dates(records: Records, patient: str) -> dict[str, str]:
    """When each of the patient's assignments was read: request id → date (YYYY-MM-DD)."""
    out: dict[str, str] = {}
    for comm in records.search("Communication", [("subject", patient),
                                                 ("category", "education")]):
        for ref in comm.get("basedOn") or ():
            rid = str(ref.get("reference", "")).removeprefix("CommunicationRequest/")
            out.setdefault(rid, str(comm.get("received", ""))[:10])
    return out


def title_of(request: dict[str, Any], lang: str) -> str:
    """The assigned item's title in ``lang`` (the stored title when the item is gone)."""
    try:
        return education.item(education.item_of(request), lang).title
    except NotFound:
        return str(request["payload"][0]["contentAttachment"].get("title", ""))


def assignment_rows(records: Records, actor: Actor, patient: str,
                    t: Translator) -> list[dict[str, Any]]:
    """The patient's assignments as table rows, newest first."""
    found = education.assigned(records, actor, patient)
    touched(*found)
    read = read_dates(records, patient)
    names: dict[str, str] = {}
    rows = []
    for r in sorted(found, key=lambda r: str(r.get("authoredOn", "")), reverse=True):
        reason = "; ".join(str(c.get("text", "")) for c in r.get("reasonCode") or ())
        rows.append({"id": r["id"], "item": education.item_of(r), "title": title_of(r, t.lang),
                     "on": str(r.get("authoredOn", ""))[:10],
                     "by": _by(records, r.get("requester") or {}, reason, names, t),
                     "reason": reason,
                     "read": r.get("status") == "completed",
                     "read_on": read.get(r["id"], "")})
    return rows


def _by(records: Records, requester: dict[str, Any], reason: str, names: dict[str, str],
        t: Translator) -> str:
    """Who assigned: the practitioner's name, the user, a rule, or the care team."""
    ref = str(requester.get("reference", ""))
    if ref.startswith("Practitioner/"):
        if ref not in names:
            try:
                names[ref] = display_name(records.get("Practitioner",
                                                      ref.removeprefix("Practitioner/")))
            except NotFound:
                names[ref] = ref
        return names[ref]
    if ref or requester.get("display"):
        return ref or str(requester["display"])
    return t("eduteam.by_rule") if reason.startswith("rule: ") else t("eduteam.by_team")


def choices(t: Translator) -> list[dict[str, Any]]:
    """The library in the page's language, grouped by programme (for the form)."""
    groups = []
    for programme in education.PROGRAMMES:
        found = sorted((i for (_, lg), i in education.library().items()
                        if lg == t.lang and i.programme == programme), key=lambda i: i.title)
        if found:
            groups.append({"label": t(f"eduteam.programme.{programme}"),
                           "items": [{"id": i.id, "title": i.title} for i in found]})
    return groups


def router(web: Web) -> APIRouter:
    """The care team's education routes, bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/patients/{pid}/education")
    async def page(request: Request, pid: str) -> Response:
        records, actor = records_of(request), staff_actor()
        if records is None:
            return web.pages.error(request, 503, "eduteam.unavailable")
        if actor is None:
            return web.pages.error(request, 403, "eduteam.staff_only")
        ctx = web.pages.context(request)
        t = Translator(ctx.lang)

        def load() -> tuple[str, list[dict[str, Any]]]:
            person = records.get("Patient", pid)
            return display_name(person), assignment_rows(records, actor, f"Patient/{pid}", t)

        try:
            name, rows = await run_in_threadpool(load)
        except NotFound:
            return web.pages.error(request, 404, "error.no_patient")
        except Forbidden:
            return web.pages.error(request, 403, "eduteam.staff_only")
        return web.pages.render(request, "education_team.html", page=ctx, pid=pid, name=name,
                                rows=rows, groups=choices(t),
                                saved=request.query_params.get("assigned", ""))

    @r.post("/app/patients/{pid}/education")
    async def assign(request: Request, pid: str) -> Response:
        form = await checked_form(request)
        if form is None:
            return web.pages.error(request, 403, "error.csrf")
        records, actor = records_of(request), staff_actor()
        if records is None:
            return web.pages.error(request, 503, "eduteam.unavailable")
        if actor is None:
            return web.pages.error(request, 403, "eduteam.staff_only")
        item_id = str(form.get("item", ""))
        if (item_id, "vi") not in education.library():
            return web.pages.error(request, 400, "eduteam.unknown_item")
        tm = request.app.state.telemed

        def run() -> dict[str, Any]:
            records.get("Patient", pid)
            return education.assign(records, actor, f"Patient/{pid}", item_id, tm.clock(),
                                    str(form.get("reason", "")).strip()[:500])

        try:
            created = await run_in_threadpool(run)
        except NotFound:
            return web.pages.error(request, 404, "error.no_patient")
        except Forbidden:
            return web.pages.error(request, 403, "eduteam.staff_only")
        touched(created)
        return RedirectResponse(f"/app/patients/{pid}/education?{urlencode({'assigned': item_id})}",
                                status_code=303)

    return r
