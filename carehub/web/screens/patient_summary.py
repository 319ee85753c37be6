"""The patient summary screen (``GET /app/patients/{pid}``).

https://hl7.org/fhir/R4/patient.html

Demographics and identifiers, problems, medications, allergies, recent
encounters, lab trend charts (:mod:`carehub.web.lab_trends`), the current
screening status and risk scores with their explanation (which data, which
rule) and the worklist Task of each, and the CDS cards of the built-in
``patient-view`` service (:mod:`carehub.web.patient_record`). The response
carries ``Server-Timing`` (time spent building the page).

Failure modes: an unknown patient, or one the user may not see, is a 404
page; a user who may not read patients gets a 403 page.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from carehub.cds_hooks.models import Card
from carehub.errors import Forbidden
from carehub.screening.recommendation import Recommendation
from carehub.screening.writeback import RULE_SYSTEM
from carehub.web.app import Web
from carehub.web.explanations import explainer, needs_text
from carehub.web.i18n import Translator
from carehub.web.lab_trends import figures
from carehub.web.patient_record import (
    PatientRecord,
    cds_cards,
    concept_text,
    first_code,
    load_record,
    newest_first,
    screening_of,
)
from carehub.web.patient_search import BHYT, CCCD, MRN, display_name

ID_LABELS = {CCCD: "patient.cccd", BHYT: "patient.bhyt", MRN: "patient.mrn"}
SHOWN_STATUSES = ("referral", "positive", "overdue", "care_gap", "due", "insufficient_data",
                  "up_to_date")


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the summary template shows."""

    record: PatientRecord
    as_of: datetime.date
    recommendations: list[Recommendation]
    tasks: dict[str, dict[str, Any]]
    cards: list[tuple[Card, Recommendation | None]]


def age_on(birth: str | None, day: datetime.date) -> int | None:
    """Age in whole years on ``day``.

    >>> age_on("1960-07-01", datetime.date(2025, 6, 30)), age_on(None, datetime.date.today())
    (64, None)
    """
    if not birth or len(birth) < 10:
        return None
    born = datetime.date.fromisoformat(birth[:10])
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def tasks_by_rule(tasks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Screening Tasks by ``programme.rule`` (the rule identifier the write-back sets).

    >>> task = {"id": "t1", "code": {"coding": [{"system": RULE_SYSTEM, "code": "kidney.x"}]}}
    >>> {k: v["id"] for k, v in tasks_by_rule([task]).items()}
    {'kidney.x': 't1'}
    """
    out: dict[str, dict[str, Any]] = {}
    for task in tasks:
        for coding in (task.get("code") or {}).get("coding") or []:
            if coding.get("system") == RULE_SYSTEM and coding.get("code"):
                out[str(coding["code"])] = task
    return out


def build_summary(web: Web, pid: str) -> Summary | None:
    """The summary of ``pid``, or None when unknown or hidden.

    Raises:
        Forbidden: the user may not read patients.
    """
    record = load_record(web.hub, pid)
    if record is None:
        return None
    as_of = web.as_of()
    recs = screening_of(record, as_of)
    order = {s: i for i, s in enumerate(SHOWN_STATUSES)}
    recs = sorted((r for r in recs if r.status != "not_eligible"),
                  key=lambda r: (order.get(r.status, 99), r.programme, r.rule))
    return Summary(record, as_of, recs, tasks_by_rule(record.of("Task")),
                   cds_cards(record, as_of))


def view(summary: Summary, t: Translator) -> dict[str, Any]:
    """Template values of a summary (lists already sorted and trimmed)."""
    record = summary.record
    patient = record.patient
    conditions = newest_first(record.of("Condition"), "recordedDate", "onsetDateTime")
    return {
        "patient": patient,
        "name": display_name(patient),
        "age": age_on(patient.get("birthDate"), summary.as_of),
        "identifiers": [(ID_LABELS.get(i.get("system", ""), "patient.identifier"),
                         i.get("value", "")) for i in patient.get("identifier") or []],
        "address": next((a.get("text") for a in patient.get("address") or [] if a.get("text")),
                        ""),
        "phone": next((c.get("value") for c in patient.get("telecom") or []
                       if c.get("system") == "phone"), ""),
        "conditions": [{"text": concept_text(c.get("code")), "code": first_code(c.get("code")),
                        "status": first_code(c.get("clinicalStatus")),
                        "onset": str(c.get("onsetDateTime") or c.get("recordedDate") or "")[:10]}
                       for c in conditions],
        "requests": [{"text": concept_text(m.get("medicationCodeableConcept")),
                      "status": m.get("status", ""),
                      "date": str(m.get("authoredOn", ""))[:10],
                      "dosage": "; ".join(d.get("text", "") for d in m.get("dosageInstruction")
                                          or [] if d.get("text"))}
                     for m in newest_first(record.of("MedicationRequest"), "authoredOn")],
        "dispenses": [{"text": concept_text(m.get("medicationCodeableConcept")),
                       "date": str(m.get("whenHandedOver") or m.get("whenPrepared") or "")[:10],
                       "days": (m.get("daysSupply") or {}).get("value")}
                      for m in newest_first(record.of("MedicationDispense"), "whenHandedOver",
                                            "whenPrepared")[:15]],
        "allergies": [{"text": concept_text(a.get("code")),
                       "criticality": a.get("criticality", ""),
                       "reaction": "; ".join(concept_text(m) for r in a.get("reaction") or []
                                             for m in r.get("manifestation") or [])}
                      for a in record.of("AllergyIntolerance")],
        "encounters": [{"date": str((e.get("period") or {}).get("start", ""))[:10],
                        "class": (e.get("class") or {}).get("code", ""),
                        "department": concept_text(e.get("serviceType")),
                        "reason": "; ".join(concept_text(r) for r in e.get("reasonCode") or [])}
                       for e in newest_first(record.of("Encounter"), "period.start")],
        "charts": [{"id": f"chart-{c.id}", "title": t(c.title_key), "figure": fig}
                   for c, fig in figures(record.of("Observation"), t)],
        "recommendations": summary.recommendations,
        "scored": [r for r in summary.recommendations if r.values],
        "explain": explainer(t),
        "needs": lambda needs: needs_text(needs, t),
        "tasks": summary.tasks,
        "cards": summary.cards,
        "as_of": summary.as_of.isoformat(),
    }


def router(web: Web) -> APIRouter:
    """The summary route bound to ``web``."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/patients/{pid}")
    async def summary_page(request: Request, pid: str) -> Response:
        started = time.perf_counter()
        try:
            summary = await run_in_threadpool(build_summary, web, pid)
        except Forbidden:
            return web.pages.error(request, 403, "error.forbidden")
        if summary is None:
            return web.pages.error(request, 404, "error.no_patient")
        page = web.pages.context(request)
        response = web.pages.render(request, "patient_summary.html", page=page,
                                    **view(summary, Translator(page.lang)))
        spent = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={spent:.1f}"
        return response

    return r
