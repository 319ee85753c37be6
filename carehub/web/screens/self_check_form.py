"""The public self-assessment as an HTML form: Questionnaire items → fields → QuestionnaireResponse.

https://hl7.org/fhir/R4/questionnaire.html and
https://hl7.org/fhir/R4/questionnaireresponse.html

:func:`form_fields` turns a packaged Questionnaire
(:mod:`carehub.self_assessment.questionnaires`) into :class:`Field` values
the template draws in one language: a radio group for a choice or a yes/no
question, check boxes for a repeating choice, a number box for an integer or
a decimal (with the ``minValue``/``maxValue`` bounds). Items with
``enableWhen`` carry their condition so that ``self_check.js`` can hide
them; without JavaScript they are shown and the server ignores answers to
disabled items. :func:`response_from_form` builds the QuestionnaireResponse
that :func:`carehub.self_assessment.responses.read_answers` checks, and
:func:`field_errors` maps its issues back to fields.

Failure modes: a number that does not parse becomes an :data:`INVALID` error on its
field (reported with the other answers' errors); nothing else raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Issue
from carehub.self_assessment.questionnaires import text_in
from carehub.self_assessment.responses import MAX_VALUE, MIN_VALUE

Form = Mapping[str, Sequence[str]]
REQUIRED = "selfcheck.error.required"
INVALID = "selfcheck.error.value"
"""Submitted form values by field name (every value of a repeated name)."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer of a choice (or yes/no) field."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Field:
    """One question as the template draws it.

    ``kind`` is ``radio``, ``checkbox`` or ``number``; for a yes/no question
    (``yes_no``) the options' labels are catalogue keys.
    """

    name: str
    kind: str
    label: str
    required: bool
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "1"
    unit: str = ""
    enable_when: tuple[tuple[str, str, str], ...] = ()
    yes_no: bool = False
    values: tuple[str, ...] = field(default=())


def _bound(item: Mapping[str, Any], url: str) -> float | None:
    for ext in item.get("extension") or ():
        if ext.get("url") == url:
            value = ext.get("valueInteger", ext.get("valueDecimal"))
            return float(value) if value is not None else None
    return None


def _unit(item: Mapping[str, Any]) -> str:
    for ext in item.get("extension") or ():
        if str(ext.get("url", "")).endswith("questionnaire-unit"):
            coding = ext.get("valueCoding") or {}
            return str(coding.get("display") or coding.get("code") or "")
    return ""


def _conditions(item: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    out = []
    for cond in item.get("enableWhen") or ():
        coding = cond.get("answerCoding") or {}
        out.append((str(cond["question"]), str(cond["operator"]), str(coding.get("code", ""))))
    return tuple(out)


def walk(items: Iterable[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    """The items of a Questionnaire, nested ones after their parent.

    >>> [i["linkId"] for i in walk([{"linkId": "a", "item": [{"linkId": "b"}]}])]
    ['a', 'b']
    """
    out: list[Mapping[str, Any]] = []
    for item in items or ():
        out.append(item)
        out += walk(item.get("item"))
    return out


def form_fields(questionnaire: Mapping[str, Any], lang: str,
                form: Form | None = None) -> list[Field]:
    """The fields of ``questionnaire`` in ``lang``, with ``form``'s values kept (re-display).

    >>> q = {"item": [{"linkId": "age", "type": "integer", "text": "Tuổi", "required": True},
    ...               {"linkId": "smoker", "type": "boolean", "text": "Hút thuốc?"}]}
    >>> [(f.name, f.kind, f.yes_no) for f in form_fields(q, "vi", {"age": ["50"]})]
    [('age', 'number', False), ('smoker', 'radio', True)]
    >>> form_fields(q, "vi", {"age": ["50"]})[0].values
    ('50',)
    """
    out: list[Field] = []
    for item in walk(questionnaire.get("item")):
        kind = str(item.get("type"))
        if kind == "group" or kind == "display":
            continue
        name = str(item["linkId"])
        common: dict[str, Any] = {
            "name": name, "label": text_in(item, "text", lang),
            "required": bool(item.get("required")), "enable_when": _conditions(item),
            "values": tuple((form or {}).get(name, ())),
        }
        if kind == "choice":
            options = tuple(
                Option(str(o["valueCoding"]["code"]), text_in(o["valueCoding"], "display", lang))
                for o in item.get("answerOption") or () if "valueCoding" in o)
            out.append(Field(kind="checkbox" if item.get("repeats") else "radio",
                             options=options, **common))
        elif kind == "boolean":
            out.append(Field(kind="radio", options=(Option("true", "selfcheck.yes"),
                                                     Option("false", "selfcheck.no")),
                             yes_no=True, **common))
        elif kind in ("integer", "decimal"):
            out.append(Field(kind="number", minimum=_bound(item, MIN_VALUE),
                             maximum=_bound(item, MAX_VALUE),
                             step="1" if kind == "integer" else "any", unit=_unit(item),
                             **common))
    return out


def _answer(item: Mapping[str, Any], raw: str) -> dict[str, Any] | None:
    kind = item.get("type")
    text = raw.strip().replace(",", ".") if kind == "decimal" else raw.strip()
    if kind == "boolean":
        return {"valueBoolean": text == "true"} if text in ("true", "false") else None
    if kind == "integer":
        return {"valueInteger": int(text)} if text.lstrip("-").isdigit() else None
    if kind == "decimal":
        try:
            return {"valueDecimal": float(text)}
        except ValueError:
            return None
    for option in item.get("answerOption") or ():
        coding = option.get("valueCoding") or {}
        if coding.get("code") == text:
            return {"valueCoding": {"system": coding.get("system"), "code": text}}
    return {"valueCoding": {"code": text}}  # unknown code: read_answers names it


def applies(item: Mapping[str, Any], form: Form) -> bool:
    """Whether ``item``'s ``enableWhen`` conditions hold for the submitted ``form``.

    >>> item = {"enableWhen": [{"question": "s", "operator": "!=",
    ...                         "answerCoding": {"code": "never"}}], "enableBehavior": "all"}
    >>> applies(item, {"s": ["never"]}), applies(item, {"s": ["current"]}), applies(item, {})
    (False, True, False)
    """
    results = []
    for question, operator, code in _conditions(item):
        given = [v for v in form.get(question, ()) if v.strip()]
        if operator == "exists":
            results.append(bool(given))
        elif operator == "=":
            results.append(code in given)
        elif operator == "!=":
            results.append(bool(given) and code not in given)
        else:
            results.append(True)
    if not results:
        return True
    return all(results) if item.get("enableBehavior", "all") == "all" else any(results)


def response_from_form(questionnaire: Mapping[str, Any],
                       form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """(QuestionnaireResponse, errors by field) of the submitted ``form``.

    Blank fields are left out (a required one is then reported by
    ``read_answers``); a value that is not a number for a number field that
    applies (:func:`applies`) is an error here (:data:`INVALID`).

    >>> q = {"url": "urn:q", "item": [{"linkId": "age", "type": "integer"},
    ...      {"linkId": "smoker", "type": "boolean"}]}
    >>> qr, bad = response_from_form(q, {"age": ["abc"], "smoker": ["true"]})
    >>> qr["item"], bad
    ([{'linkId': 'smoker', 'answer': [{'valueBoolean': True}]}], {'age': 'selfcheck.error.value'})
    """
    items: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for item in walk(questionnaire.get("item")):
        name = str(item["linkId"])
        raws = [v for v in form.get(name, ()) if v.strip()]
        if not raws:
            continue
        answers = [_answer(item, raw) for raw in raws]
        if any(a is None for a in answers):
            if applies(item, form):
                errors[name] = INVALID
            continue
        items.append({"linkId": name, "answer": answers})
    response = {"resourceType": "QuestionnaireResponse", "status": "completed",
                "questionnaire": questionnaire.get("url"), "item": items}
    return response, errors


def field_errors(issues: Iterable[Issue]) -> dict[str, str]:
    """The message key (:data:`REQUIRED` or :data:`INVALID`) by field, from the issues.

    >>> from carehub.errors import Issue
    >>> field_errors([Issue("error", "required", "x",
    ...               ("QuestionnaireResponse.item.where(linkId='q5')",))])
    {'q5': 'selfcheck.error.required'}
    """
    out: dict[str, str] = {}
    prefix = "QuestionnaireResponse.item.where(linkId='"
    for issue in issues:
        for expression in issue.expression or ():
            if expression.startswith(prefix):
                out.setdefault(expression[len(prefix):].rstrip("')"),
                               REQUIRED if issue.code == "required" else INVALID)
    return out
