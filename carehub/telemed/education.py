"""The patient education library and its assignment to patients, with reading tracked.

https://hl7.org/fhir/R4/communicationrequest.html, https://hl7.org/fhir/R4/communication.html

Items are Markdown files with YAML front matter (``id``, ``programme``,
``lang``, ``title``, ``minutes``) under ``carehub/telemed/content/<programme>/
<id>.<lang>.md``, one file per language (Vietnamese and English). Assigning
an item stores a CommunicationRequest (category ``education``, the item in
``payload.contentAttachment.url``); the patient opening it stores a
Communication ``based-on`` the request and completes the request.

Rules assign items from screening results: :data:`RULES` is a tuple of pure
functions from a screening programme's recommendation (programme id, status)
to the education programme whose items fit; callers may pass their own.

Failure modes: :class:`~carehub.errors.NotFound` for an unknown item (with a
suggestion); :class:`~carehub.errors.Fault` for a content file without its
front matter; :class:`~carehub.errors.Forbidden` for a patient reading
another's assignment or assigning anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml  # type: ignore[import-untyped]
from markdown_it import MarkdownIt

from carehub.errors import Fault, Forbidden, NotFound, did_you_mean
from carehub.telemed.access import require_access
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records, instant, new_id
from carehub.telemed.scheduling import TELEMED_SYSTEM

PROGRAMMES = ("copd", "asthma", "kidney", "heart-failure", "lung-screening", "hypertension",
              "diabetes")
CATEGORY = {"coding": [{"system": TELEMED_SYSTEM, "code": "education"}]}
URL_PREFIX = "/telemed/education/"


@dataclass(frozen=True, slots=True)
class Item:
    """One education item in one language."""

    id: str
    programme: str
    lang: str
    title: str
    minutes: int
    body: str

    def html(self) -> str:
        """The body as HTML (raw HTML in the Markdown is escaped, not passed through).

        >>> Item("x", "copd", "en", "T", 1, "# Hi <b>").html()
        '<h1>Hi &lt;b&gt;</h1>\\n'
        """
        return str(MarkdownIt("commonmark", {"html": False}).render(self.body))


def parse_item(text: str, where: str) -> Item:
    """An :class:`Item` from a content file's text.

    Raises:
        Fault: no front matter, a missing key, or an unknown programme.

    >>> parse_item("---\\nid: a\\nprogramme: copd\\nlang: vi\\ntitle: T\\n---\\nBody", "a").title
    'T'
    """
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        raise Fault(f"{where}: no front matter")
    head, _, body = text[4:].partition("\n---")
    meta = yaml.safe_load(head) or {}
    missing = [k for k in ("id", "programme", "lang", "title") if k not in meta]
    if missing or meta.get("programme") not in PROGRAMMES:
        raise Fault(f"{where}: front matter lacks {missing} or has an unknown programme")
    return Item(str(meta["id"]), str(meta["programme"]), str(meta["lang"]), str(meta["title"]),
                int(meta.get("minutes", 3)), body.lstrip("-\n"))


@cache
def library() -> dict[tuple[str, str], Item]:
    """Every packaged item by ``(id, lang)``."""
    out: dict[tuple[str, str], Item] = {}
    root = resources.files("carehub.telemed").joinpath("content")
    for programme in sorted(p.name for p in root.iterdir() if p.is_dir()):
        for entry in sorted(root.joinpath(programme).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".md"):
                item = parse_item(entry.read_text("utf-8"), f"{programme}/{entry.name}")
                out[(item.id, item.lang)] = item
    return out


def item(item_id: str, lang: str) -> Item:
    """One item in ``lang`` (Vietnamese when that language is missing).

    Raises:
        NotFound: no such item.
    """
    lib = library()
    found = lib.get((item_id, lang)) or lib.get((item_id, "vi"))
    if found is None:
        raise NotFound(f"no education item '{item_id}'."
                       + did_you_mean(item_id, {i for i, _ in lib}))
    return found


Rule = Callable[[str, str], str | None]


def screening_rule(programme: str, status: str) -> str | None:
    """Screening programme → education programme, for findings that call for action.

    >>> screening_rule("lung_cancer", "due"), screening_rule("kidney", "not_eligible")
    ('lung-screening', None)
    """
    table = {"lung_cancer": "lung-screening", "kidney": "kidney", "respiratory": "copd",
             "heart_failure": "heart-failure", "cardiovascular": "hypertension"}
    if status in ("not_eligible", "up_to_date"):
        return None
    return table.get(programme)


RULES: tuple[Rule, ...] = (screening_rule,)


def assign(records: Records, actor: Actor, patient: str, item_id: str, now: datetime,
           reason: str = "") -> dict[str, Any]:
    """Assign an item to ``patient`` (a CommunicationRequest); the care team only.

    Raises:
        Forbidden: a patient assigning. NotFound: unknown item.
    """
    actor.require_staff()
    require_access(records, actor, patient)
    found = item(item_id, "vi")
    request: dict[str, Any] = {
        "resourceType": "CommunicationRequest", "id": new_id(), "status": "active",
        "category": [CATEGORY], "subject": {"reference": patient}, "authoredOn": instant(now),
        "payload": [{"contentAttachment": {"url": URL_PREFIX + found.id, "title": found.title,
                                           "contentType": "text/markdown"}}],
    }
    if not actor.system:
        request["requester"] = {"reference": actor.reference}
    elif actor.reference.startswith("user:"):  # a signed-in user acting for the care team
        request["requester"] = {"display": actor.reference.removeprefix("user:")}
    if reason:
        request["reasonCode"] = [{"text": reason}]
    return records.put(request)


def assigned(records: Records, actor: Actor, patient: str) -> list[dict[str, Any]]:
    """The patient's education assignments (active and completed, i.e. read)."""
    require_access(records, actor, patient)
    return records.search("CommunicationRequest", [("subject", patient),
                                                   ("category", "education")])


def item_of(request: dict[str, Any]) -> str:
    """The item id an assignment points at."""
    return str(request["payload"][0]["contentAttachment"]["url"]).removeprefix(URL_PREFIX)


def assign_by_rules(records: Records, patient: str, findings: Iterable[tuple[str, str]],
                    now: datetime, rules: tuple[Rule, ...] = RULES) -> list[dict[str, Any]]:
    """Assign the first item of each education programme the ``findings``
    (screening programme, status) call for, unless already assigned."""
    system = Actor("system", system=True)
    have = {item_of(r) for r in assigned(records, system, patient)}
    out = []
    for programme, status in findings:
        for rule in rules:
            target = rule(programme, status)
            if target is None:
                continue
            first = sorted(i.id for i in library().values() if i.programme == target)
            if first and first[0] not in have:
                out.append(assign(records, system, patient, first[0], now,
                                  f"rule: {programme} {status}"))
                have.add(first[0])
    return out


def mark_read(records: Records, actor: Actor, request_id: str, now: datetime) -> dict[str, Any]:
    """The patient opened the item: a Communication is stored and the request completed.

    Raises:
        Forbidden: not the patient of the assignment.
    """
    with records.write() as s:
        request = records.lock_get(s, "CommunicationRequest", request_id)
        patient = request["subject"]["reference"]
        if actor.reference != patient:
            raise Forbidden("only the patient marks their reading")
        if request["status"] == "completed":
            return request
        request["status"] = "completed"
        s.put(request)
        s.put({"resourceType": "Communication", "id": new_id(), "status": "completed",
               "category": [CATEGORY], "basedOn": [{"reference": f"CommunicationRequest/"
                                                                 f"{request_id}"}],
               "subject": {"reference": patient}, "received": instant(now),
               "payload": request["payload"]})
    return request
