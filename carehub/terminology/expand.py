"""``ValueSet/$expand``: the codes of a value set, filtered and paged.

https://hl7.org/fhir/R4/valueset-operation-expand.html

``url`` names the value set; ``filter`` keeps the codes whose code or
displays (any language, diacritics and case ignored) contain every word of
the filter; ``offset``/``count`` page the result (``total`` counts all
matches). Without ``count`` at most :data:`MAX_EXPANSION` codes may match,
else the call fails as ``too-costly``. ``displayLanguage`` picks the display.
The answer is the ValueSet with its ``expansion``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from carehub.errors import Incorrect
from carehub.terminology.codesystem import Concept, fold
from carehub.terminology.parameters import OperationInput
from carehub.terminology.registry import Terminology

Resource = dict[str, Any]
MAX_EXPANSION = 1000


def matches_filter(concept: Concept, words: list[str]) -> bool:
    """Whether every (folded) filter word is in the concept's code or a display.

    >>> matches_filter(Concept("I10", "Essential hypertension", {"vi": "Tăng huyết áp"}),
    ...                ["huyet", "tang"])
    True
    """
    haystack = fold(" ".join([concept.code, concept.display, *concept.designations.values()]))
    return all(w in haystack for w in words)


def expand(term: Terminology, given: OperationInput, now: dt.datetime | None = None) -> Resource:
    """The expanded ValueSet.

    Raises:
        Incorrect: ``url`` missing, a bad ``count``/``offset``, or too many codes without
            ``count``. NotFound: unknown value set.
    """
    vs = term.value_set(given.required("url", "ValueSet/$expand"))
    text = given.text("filter")
    words = fold(text).split() if text else []
    count, offset = given.integer("count"), given.integer("offset") or 0
    language = given.text("displayLanguage")
    found = [c for c in vs.members() if matches_filter(c, words)]
    if count is None and len(found) > MAX_EXPANSION:
        raise Incorrect(
            f"{vs.url} has {len(found)} matching codes; narrow it with filter or page it "
            f"with count (at most {MAX_EXPANSION} without count)", issue_code="too-costly")
    page = found[offset: offset + (len(found) if count is None else count)]
    params: list[Resource] = []
    if text:
        params.append({"name": "filter", "valueString": text})
    if count is not None:
        params.append({"name": "count", "valueInteger": count})
    params.append({"name": "offset", "valueInteger": offset})
    expansion: Resource = {
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "timestamp": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "total": len(found),
        "offset": offset,
        "parameter": params,
    }
    if page:
        expansion["contains"] = [
            {"system": vs.system.url, "code": c.code, "display": c.display_in(language)}
            for c in page
        ]
    return {
        "resourceType": "ValueSet",
        "url": vs.url,
        "name": vs.system.name or "ValueSet",
        "title": vs.system.title,
        "status": "active",
        "expansion": expansion,
    }
