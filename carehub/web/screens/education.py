"""Health education pages: one plain-language page per screening programme, in each language.

https://www.w3.org/WAI/WCAG21/Understanding/reading-level.html

* ``GET /app/education``: the programmes that have a page;
* ``GET /app/education/{programme}``: the page in the request's language,
  with the self-care guides of the patient education library
  (:mod:`carehub.telemed.education`) that belong to it (:data:`GUIDES`);
* ``GET /app/education/{programme}/{item_id}``: one of those guides.

Pages are Markdown files shipped with the package,
``carehub/web/content/education/<programme>.<lang>.md`` (``lang`` one of
:data:`carehub.web.i18n.LANGUAGES`); the first ``# `` line is the title.
They are public (no sign-in) and rendered with raw HTML escaped. A new
programme page is two new files, nothing else.

Failure modes: an unknown programme, or one without a page in the language,
is a 404 page; so is a guide that does not belong to the programme.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from carehub.screening.evaluate import PROGRAMMES
from carehub.telemed.education import Item, library
from carehub.web.app import Web
from carehub.web.i18n import LANGUAGES
from carehub.web.templating import render_markdown

GUIDES: Mapping[str, tuple[str, ...]] = {
    "kidney": ("kidney",), "respiratory": ("copd", "asthma"), "lung_cancer": ("lung-screening",),
    "heart_failure": ("heart-failure",), "cardiovascular": ("hypertension", "diabetes"),
}
"""Screening programme → the education library's programmes whose guides it shows."""


@dataclass(frozen=True, slots=True)
class EducationPage:
    """One programme's page in one language."""

    programme: str
    lang: str
    title: str
    body: str


def split_title(text: str) -> tuple[str, str]:
    """(title, rest) of a Markdown page whose first line is ``# Title``.

    >>> split_title("# Kidneys\\n\\nSome text.")
    ('Kidneys', 'Some text.')
    >>> split_title("No heading")
    ('', 'No heading')
    """
    first, _, rest = text.partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest.strip()
    return "", text.strip()


@cache
def pages() -> dict[tuple[str, str], EducationPage]:
    """Every shipped page by (programme, language), read once.

    >>> ("kidney", "vi") in pages() and ("kidney", "en") in pages()
    True
    """
    folder = resources.files("carehub.web").joinpath("content").joinpath("education")
    out: dict[tuple[str, str], EducationPage] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        stem, dot, ext = entry.name.rpartition(".")
        programme, _, lang = stem.rpartition(".")
        if ext != "md" or not dot or lang not in LANGUAGES:
            continue
        title, body = split_title(entry.read_text("utf-8"))
        out[(programme, lang)] = EducationPage(programme, lang, title or programme, body)
    return out


def programmes_with_pages(lang: str) -> list[EducationPage]:
    """The pages in ``lang``, in the screening programmes' order (others after, by name).

    >>> [p.programme for p in programmes_with_pages("en")][:2]
    ['kidney', 'respiratory']
    """
    order = {pid: i for i, pid in enumerate(PROGRAMMES)}
    found = [p for (_, lg), p in pages().items() if lg == lang]
    return sorted(found, key=lambda p: (order.get(p.programme, len(order)), p.programme))


def guides(programme: str, lang: str) -> list[Item]:
    """The library's guides for a screening programme, in ``lang``.

    >>> [g.id for g in guides("respiratory", "en")]
    ['copd-inhaler', 'asthma-action-plan']
    """
    wanted = GUIDES.get(programme, ())
    found = [g for (_, lg), g in library().items() if lg == lang and g.programme in wanted]
    return sorted(found, key=lambda g: (wanted.index(g.programme), g.id))


def router(web: Web) -> APIRouter:
    """The education routes bound to ``web`` (public)."""
    r = APIRouter(include_in_schema=False)

    @r.get("/app/education")
    async def index(request: Request) -> Response:
        page = web.pages.context(request)
        return web.pages.render(request, "education.html", page=page,
                                items=programmes_with_pages(page.lang))

    @r.get("/app/education/{programme}")
    async def one(request: Request, programme: str) -> Response:
        page = web.pages.context(request)
        found = pages().get((programme, page.lang))
        if found is None:
            return web.pages.error(request, 404, "education.unknown")
        return web.pages.render(request, "education_page.html", page=page, item=found,
                                body=render_markdown(found.body),
                                guides=guides(programme, page.lang))

    @r.get("/app/education/{programme}/{item_id}")
    async def guide(request: Request, programme: str, item_id: str) -> Response:
        page = web.pages.context(request)
        parent = pages().get((programme, page.lang))
        found = next((g for g in guides(programme, page.lang) if g.id == item_id), None)
        if parent is None or found is None:
            return web.pages.error(request, 404, "education.unknown")
        return web.pages.render(request, "education_guide.html", page=page, parent=parent,
                                guide=found, body=render_markdown(found.body))

    return r
