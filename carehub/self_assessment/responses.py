"""Reading a QuestionnaireResponse against its Questionnaire: every answer checked.

https://hl7.org/fhir/R4/questionnaireresponse.html ·
https://hl7.org/fhir/R4/questionnaire.html#enableWhen

:func:`read_answers` returns the answers by linkId (a list for repeating
items), after checking each against its item: known linkId, answer type,
allowed codes, the ``minValue``/``maxValue`` extensions, a single answer
unless the item repeats, and every required item that is enabled
(``enableWhen`` with ``=``, ``!=`` and ``exists``) answered. All problems are
reported at once in one :class:`~carehub.errors.Invalid`, one issue per item,
naming its linkId in the message and in the expression.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from carehub.errors import Incorrect, Invalid, IssueList

MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
Answer = int | float | bool | str
Answers = dict[str, Answer | list[Answer]]


def where(link_id: str) -> str:
    """The FHIRPath of a response item.

    >>> where("q1")
    "QuestionnaireResponse.item.where(linkId='q1')"
    """
    return f"QuestionnaireResponse.item.where(linkId='{link_id}')"


def _walk(items: Any) -> Iterator[Mapping[str, Any]]:
    for item in items or ():
        if isinstance(item, Mapping):
            yield item
            yield from _walk(item.get("item"))
            for answer in item.get("answer") or ():
                if isinstance(answer, Mapping):
                    yield from _walk(answer.get("item"))


def _bound(item: Mapping[str, Any], url: str) -> float | None:
    for ext in item.get("extension") or ():
        if ext.get("url") == url:
            value = ext.get("valueInteger", ext.get("valueDecimal"))
            return float(value) if value is not None else None
    return None


def _value(item: Mapping[str, Any], answer: Mapping[str, Any], issues: IssueList) -> Answer | None:
    link, kind = item["linkId"], item["type"]
    if kind == "boolean":
        value: Any = answer.get("valueBoolean")
        ok = isinstance(value, bool)
    elif kind == "integer":
        value = answer.get("valueInteger")
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "decimal":
        value = answer.get("valueDecimal", answer.get("valueInteger"))
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:  # choice
        coding = answer.get("valueCoding")
        value = coding.get("code") if isinstance(coding, Mapping) else None
        allowed = [o["valueCoding"]["code"] for o in item.get("answerOption") or ()]
        ok = value in allowed
        if not ok:
            issues.add("value", f"item '{link}': answer must be a valueCoding with one of the "
                       f"codes {', '.join(allowed)}, not {value if value else answer!r}",
                       where(link))
            return None
    if not ok:
        expected = {"boolean": "valueBoolean", "integer": "valueInteger",
                    "decimal": "valueDecimal"}[kind]
        issues.add("value", f"item '{link}': answer must be a {expected}", where(link))
        return None
    low, high = _bound(item, MIN_VALUE), _bound(item, MAX_VALUE)
    if kind in ("integer", "decimal") and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        issues.add("value", f"item '{link}': {value} is outside {low:g}-{high:g}"
                   if low is not None and high is not None
                   else f"item '{link}': {value} is out of range", where(link))
        return None
    return value  # type: ignore[no-any-return]


def _enabled(item: Mapping[str, Any], answers: Answers) -> bool:
    conditions = item.get("enableWhen") or ()
    if not conditions:
        return True
    results = []
    for cond in conditions:
        given = answers.get(cond["question"])
        values = given if isinstance(given, list) else ([] if given is None else [given])
        op = cond["operator"]
        if op == "exists":
            results.append(bool(values) == cond.get("answerBoolean", True))
            continue
        target: Any = cond.get("answerCoding", {}).get("code") if "answerCoding" in cond else next(
            (v for k, v in cond.items() if k.startswith("answer")), None)
        hit = target in values
        results.append(hit if op == "=" else (bool(values) and not hit) if op == "!=" else False)
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


def read_answers(questionnaire: Mapping[str, Any], response: Any) -> Answers:
    """The checked answers of ``response`` to ``questionnaire``, by linkId.

    Raises:
        Incorrect: ``response`` is not a QuestionnaireResponse, or answers
            another Questionnaire.
        Invalid: an answer is of the wrong type, not an allowed code, out of
            range, repeated where the item does not repeat, or for an unknown
            item; or a required, enabled item is unanswered (one issue per item).
    """
    if not isinstance(response, Mapping) or response.get("resourceType") != (
        "QuestionnaireResponse"
    ):
        raise Incorrect("expected a QuestionnaireResponse resource")
    ref = response.get("questionnaire")
    qid = questionnaire["id"]
    if ref is not None and ref not in (questionnaire.get("url"), f"Questionnaire/{qid}") and not (
        isinstance(ref, str) and ref.endswith(f"/Questionnaire/{qid}")
    ):
        raise Incorrect(f"the response answers {ref!r}, not Questionnaire/{qid}",
                        expression="QuestionnaireResponse.questionnaire")
    items = {i["linkId"]: i for i in _walk(questionnaire.get("item"))}
    issues = IssueList()
    raw: Answers = {}
    for given in _walk(response.get("item")):
        link = str(given.get("linkId"))
        if link not in items:
            issues.add("value", f"unknown item linkId '{link}' for Questionnaire/{qid}",
                       where(link))
            continue
        item = items[link]
        found = [a for a in given.get("answer") or () if isinstance(a, Mapping)]
        if len(found) > 1 and not item.get("repeats"):
            issues.add("value", f"item '{link}' takes one answer, got {len(found)}", where(link))
            continue
        values = [v for a in found if (v := _value(item, a, issues)) is not None]
        if len(values) == len(found) and values:
            raw[link] = values if item.get("repeats") else values[0]
    answers: Answers = {}
    for link, item in items.items():
        if not _enabled(item, raw):
            continue
        if link in raw:
            answers[link] = raw[link]
        elif item.get("required") and not any(i.expression == (where(link),)
                                              for i in issues.items):
            issues.add("required", f"item '{link}' is required but has no answer", where(link))
    if issues.has_errors:
        first = issues.items[0].diagnostics
        more = f" (and {len(issues.items) - 1} more)" if len(issues.items) > 1 else ""
        raise Invalid(f"{first}{more}", issues=issues.items)
    return answers
