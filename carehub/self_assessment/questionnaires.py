"""The packaged self-assessment Questionnaires and their two languages.

https://hl7.org/fhir/R4/questionnaire.html ·
http://hl7.org/fhir/StructureDefinition/translation

The JSON files in ``questionnaires/`` are read once. Texts are Vietnamese with
an English translation extension (see ``questionnaires/README.md``);
:func:`text_in` picks one language.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

import orjson

from carehub.errors import NotFound, did_you_mean

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
LANGUAGES = ("vi", "en")


@functools.cache
def questionnaires() -> Mapping[str, Mapping[str, Any]]:
    """Every packaged Questionnaire by id."""
    folder = resources.files("carehub.self_assessment").joinpath("questionnaires")
    out: dict[str, Mapping[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            doc = orjson.loads(entry.read_bytes())
            out[doc["id"]] = doc
    return out


def questionnaire(qid: str) -> Mapping[str, Any]:
    """The Questionnaire ``qid``; :class:`~carehub.errors.NotFound` with a suggestion.

    >>> questionnaire("copd-ps")["language"]
    'vi'
    >>> questionnaire("copd")
    Traceback (most recent call last):
    carehub.errors.NotFound: no self-assessment Questionnaire 'copd' Did you mean 'copd-ps'?
    """
    table = questionnaires()
    if qid not in table:
        raise NotFound(f"no self-assessment Questionnaire {qid!r}{did_you_mean(qid, table)}")
    return table[qid]


def translation(element: Mapping[str, Any] | None, lang: str) -> str | None:
    """The ``lang`` translation in a primitive's extension element (``_text``...), if any.

    >>> translation({"extension": [{"url": TRANSLATION, "extension": [
    ...     {"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": "Hi"}]}]}, "en")
    'Hi'
    """
    for ext in (element or {}).get("extension") or ():
        if ext.get("url") != TRANSLATION:
            continue
        parts = {p.get("url"): p for p in ext.get("extension") or ()}
        if parts.get("lang", {}).get("valueCode") == lang:
            content = parts.get("content", {}).get("valueString")
            return str(content) if content is not None else None
    return None


def text_in(owner: Mapping[str, Any], name: str, lang: str) -> str:
    """``owner[name]`` in ``lang`` (Vietnamese is the element itself; others are translations).

    >>> item = {"text": "Bạn bao nhiêu tuổi?", "_text": {"extension": [{"url": TRANSLATION,
    ...     "extension": [{"url": "lang", "valueCode": "en"},
    ...                   {"url": "content", "valueString": "How old are you?"}]}]}}
    >>> text_in(item, "text", "en"), text_in(item, "text", "vi")
    ('How old are you?', 'Bạn bao nhiêu tuổi?')
    """
    base = str(owner.get(name, ""))
    if lang == "vi":
        return base
    return translation(owner.get(f"_{name}"), lang) or base


def bilingual(vi: str, en: str) -> dict[str, Any]:
    """A ``{"text": vi, "_text": <en translation>}`` pair to merge into an element.

    >>> bilingual("Có", "Yes")["_text"]["extension"][0]["extension"][1]["valueString"]
    'Yes'
    """
    return {
        "text": vi,
        "_text": {"extension": [{"url": TRANSLATION, "extension": [
            {"url": "lang", "valueCode": "en"}, {"url": "content", "valueString": en}]}]},
    }
