"""``Patient/{id}/$summary``: the patient's International Patient Summary document.

https://hl7.org/fhir/uv/ips/STU2/OperationDefinition-summary.html

``GET|POST /fhir/Patient/{id}/$summary`` reads the patient's compartment (and
the resources it refers to) in one store session and answers the IPS document
Bundle of :func:`carehub.ips.build_summary`. The narrative is Vietnamese
unless ``?_language=en`` (or ``Accept-Language``) asks for English. The
``profile`` parameter may only name the IPS Composition profile; the
type-level ``Patient/$summary?identifier=`` is not offered. This router is
included before the main FHIR router, whose ``/fhir/{rtype}/{rid}`` routes
would otherwise take these paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from carehub.errors import Incorrect, Unsupported
from carehub.fhir_api.http import check_json_body, json_response
from carehub.fhir_api.hub import Hub, load_body, parse_resource
from carehub.fhir_api.interactions.read import read
from carehub.ips import build_summary, choose_language
from carehub.storage.base import EverythingQuery, StoreSession

IPS_PROFILE = "http://hl7.org/fhir/uv/ips/StructureDefinition/Composition-uv-ips"
PAGE = 1000


def compartment(session: StoreSession, patient_id: str) -> list[dict[str, Any]]:
    """Every resource of ``$everything`` for the patient, all pages."""
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = session.everything(EverythingQuery(patient_id, count=PAGE, cursor=cursor))
        for stored in [*page.matches, *page.included]:
            if stored.body is not None:
                out.append(orjson.loads(stored.body))
        cursor = page.next_cursor
        if not cursor:
            return out


def summary(
    hub: Hub, session: StoreSession, patient_id: str, items: Sequence[tuple[str, str]],
    accept_language: str | None,
) -> dict[str, Any]:
    """The IPS Bundle of ``patient_id``.

    Raises:
        NotFound/Gone: no such patient. Incorrect: an unknown parameter or language.
        Unsupported: a ``profile`` other than the IPS Composition profile.
    """
    language: str | None = None
    for key, value in items:
        if key == "_language":
            language = value
        elif key == "profile":
            if value.split("|", 1)[0] != IPS_PROFILE:
                raise Unsupported(f"CareHub writes only the IPS profile {IPS_PROFILE}",
                                  expression="profile")
        elif key not in ("_format", "_pretty"):
            raise Incorrect(f"$summary does not understand parameter '{key}'", expression=key)
    lang = choose_language(language, accept_language)
    patient = load_body(read(hub, session, "Patient", patient_id))
    others = [r for r in compartment(session, patient_id)
              if not (r.get("resourceType") == "Patient" and r.get("id") == patient_id)]
    return build_summary(patient, others, language=lang)


def build_summary_router(hub: Hub) -> APIRouter:
    """The ``$summary`` routes, bound to ``hub``."""
    r = APIRouter(prefix="/fhir")

    async def answer(request: Request, rid: str, items: list[tuple[str, str]]) -> Response:
        accept = request.headers.get("accept-language")

        def work() -> dict[str, Any]:
            with hub.store.session() as session:
                return summary(hub, session, rid, items, accept)

        bundle = await run_in_threadpool(work)
        return json_response(bundle, headers={"Content-Language": bundle["language"]})

    @r.get("/Patient/{rid}/$summary")
    async def summary_get(request: Request, rid: str) -> Response:
        return await answer(request, rid, list(request.query_params.multi_items()))

    @r.post("/Patient/{rid}/$summary")
    async def summary_post(request: Request, rid: str) -> Response:
        items = list(request.query_params.multi_items())
        raw = await request.body()
        if raw:
            check_json_body(request)
            body = parse_resource(raw, "Parameters")
            for i, part in enumerate(body.get("parameter") or []):
                values = [v for k, v in part.items() if k.startswith("value")]
                if not isinstance(part.get("name"), str) or len(values) != 1:
                    raise Incorrect("each parameter needs a name and one value[x]",
                                    expression=f"Parameters.parameter[{i}]")
                items.append((part["name"], str(values[0])))
        return await answer(request, rid, items)

    return r
