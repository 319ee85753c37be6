"""Translation catalogues of the web application: Vietnamese by default, English switchable.

https://www.w3.org/International/questions/qa-when-lang-neg

Every user-visible text of :mod:`carehub.web` comes from the catalogues
``carehub/web/i18n/<lang>.json`` (flat ``{"key": "text"}`` objects with
``{name}`` placeholders), merged with the area catalogues
``carehub/web/i18n/<area>.<lang>.json`` (a key may live in one file only).
The language of a request is ``?lang=`` when given, else the
``carehub_lang`` cookie, else the configured default
(:func:`pick_language`). Keys follow ``<screen>.<thing>``; a test checks
that both catalogues hold the same keys and every key used in a template or
in code exists.

Failure modes: a key missing from a catalogue renders as the key itself (a
test keeps that from shipping); an unknown language falls back to the default;
:class:`~carehub.errors.Fault` when two catalogue files hold the same key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from carehub.errors import Fault

LANGUAGES: tuple[str, ...] = ("vi", "en")
"""Supported languages, the default first."""
LANG_COOKIE = "carehub_lang"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of ``lang`` (one of :data:`LANGUAGES`).

    >>> catalogue("vi")["nav.search"] != catalogue("en")["nav.search"]
    True
    """
    folder = resources.files("carehub.web").joinpath("i18n")
    data: dict[str, str] = json.loads(folder.joinpath(f"{lang}.json").read_text("utf-8"))
    # areas added by other screens keep their own files: ``<area>.<lang>.json``
    for part in sorted(folder.iterdir(), key=lambda p: p.name):
        if part.name.endswith(f".{lang}.json"):
            extra: dict[str, str] = json.loads(part.read_text("utf-8"))
            clash = sorted(data.keys() & extra.keys())
            if clash:
                raise Fault(f"i18n/{part.name} repeats keys {clash[:5]}")
            data.update(extra)
    return data


def pick_language(query: str | None, cookie: str | None, default: str) -> str:
    """The language of a request: ``?lang=``, else the cookie, else ``default``.

    >>> pick_language("en", "vi", "vi"), pick_language(None, "en", "vi")
    ('en', 'en')
    >>> pick_language("fr", None, "vi"), pick_language(None, None, "en")
    ('vi', 'en')
    """
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return str(candidate)
    return default if default in LANGUAGES else LANGUAGES[0]


@dataclass(frozen=True, slots=True)
class Translator:
    """Looks keys up in one language's catalogue; call it as ``t("key", name=value)``.

    >>> Translator("en")("search.results", count=3)
    '3 patients found'
    >>> Translator("en")("no.such.key")
    'no.such.key'
    """

    lang: str

    def __call__(self, key: str, **params: Any) -> str:
        text = catalogue(self.lang).get(key)
        if text is None:
            return key
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        """Whether the catalogue holds ``key`` (for optional, data-driven labels).

        >>> Translator("vi").has("status.due"), Translator("vi").has("status.nonsense")
        (True, False)
        """
        return key in catalogue(self.lang)

    def maybe(self, key: str, fallback: str) -> str:
        """The text of ``key``, or ``fallback`` (data values without a label).

        >>> Translator("en").maybe("status.overdue", "x"), Translator("en").maybe("zz", "x")
        ('Overdue', 'x')
        """
        return self(key) if self.has(key) else fallback
