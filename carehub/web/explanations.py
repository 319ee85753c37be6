"""Screening explanations in the reader's language: messages rendered from the catalogues.

The screening programmes give every recommendation's title and detail as a
:class:`~carehub.screening.messages.Message` (key and parameters; the
worklist table stores them as JSON). This module renders them with the
catalogue of the request's language (``i18n/screening.<lang>.json``), nested
terms included. A recommendation without a message (a programme that only
gives English text, a run from before messages were stored) shows its
English text.

Failure modes: none raised; malformed JSON or an unknown key falls back to
the English text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from carehub.screening.messages import Message, need, render
from carehub.web.i18n import Translator, catalogue


def explain(message: Message | None, t: Translator, fallback: str) -> str:
    """The text of ``message`` in ``t``'s language, or ``fallback`` without a message.

    >>> from carehub.screening.messages import msg, term
    >>> m = msg("screen.kidney.undiagnosed_ckd.detail", stage="G3aA2", risk=term("risk", "high"))
    >>> explain(m, Translator("vi"), "x") != explain(m, Translator("en"), "x")
    True
    >>> explain(None, Translator("vi"), "English text")
    'English text'
    """
    if message is None:
        return fallback
    return render(message, catalogue(t.lang).get)


def stored_message(text: str | None, part: str) -> Message | None:
    """The ``part`` (``title`` or ``detail``) message of a stored ``messages`` JSON value.

    >>> stored_message('{"title": {"key": "screen.not_eligible", "params": {}}}', "title")
    Message(key='screen.not_eligible', params=())
    >>> stored_message(None, "title"), stored_message("not json", "title")
    (None, None)
    """
    if not text:
        return None
    try:
        obj: Any = orjson.loads(text)
        found = obj.get(part) if isinstance(obj, dict) else None
        return Message.from_json(found) if isinstance(found, dict) else None
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None


def needs_text(needs: Iterable[str], t: Translator) -> str:
    """What data is missing, each entry translated when the catalogue knows it.

    >>> needs_text(["urine ACR", "a new thing"], Translator("en"))
    'urine ACR, a new thing'
    """
    return ", ".join(t.maybe(need(item), item) for item in needs)


def explainer(t: Translator) -> Callable[[Message | None, str], str]:
    """:func:`explain` bound to ``t`` (for templates: ``explain(rec.title_message, rec.title)``)."""
    return lambda message, fallback: explain(message, t, fallback)
