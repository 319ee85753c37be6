"""Health education pages: one per screening programme, in both languages, public and accessible."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from carehub.screening.evaluate import PROGRAMMES
from carehub.web.i18n import LANGUAGES
from carehub.web.screens.education import pages, programmes_with_pages
from tests.web.conftest import axe_check, shot


def test_every_programme_has_a_page_in_every_language() -> None:
    shipped = pages()
    for programme in PROGRAMMES:
        for lang in LANGUAGES:
            page = shipped.get((programme, lang))
            assert page is not None, (programme, lang)
            assert page.title and len(page.body) > 300, (programme, lang)
        assert shipped[(programme, "vi")].title != shipped[(programme, "en")].title
    assert [p.programme for p in programmes_with_pages("vi")] == list(PROGRAMMES)


def test_pages_link_only_to_existing_screens(client: TestClient) -> None:
    import re

    for page in pages().values():
        for target in re.findall(r"\]\((/app/[^)]+)\)", page.body):
            assert client.get(target).status_code == 200, (page.programme, target)


def test_a_page_follows_the_language_and_unknown_pages_are_404(client: TestClient) -> None:
    vi = client.get("/app/education/kidney?lang=vi")
    en = client.get("/app/education/kidney?lang=en")
    assert vi.status_code == en.status_code == 200
    assert pages()[("kidney", "vi")].title in vi.text
    assert pages()[("kidney", "en")].title in en.text
    assert "<h2>" in en.text  # Markdown rendered
    assert client.get("/app/education/kidneys").status_code == 404


def test_education_pages_in_both_languages(page_vi: Any, page_en: Any) -> None:
    for page, lang in ((page_vi, "vi"), (page_en, "en")):
        page.goto("/app/education")
        assert page.locator("html").get_attribute("lang") == lang
        links = page.locator("main ul.check-list a")
        assert links.count() == len(PROGRAMMES)
        axe_check(page)
        shot(page, f"education-{lang}")
        page.get_by_role("link", name=pages()[("lung_cancer", lang)].title).click()
        page.wait_for_url("**/app/education/lung_cancer")
        assert page.locator("h1").inner_text() == pages()[("lung_cancer", lang)].title
        axe_check(page)
        shot(page, f"education-lung-cancer-{lang}")
        assert not page.errors


def test_programme_pages_offer_the_library_guides(client: TestClient) -> None:
    from carehub.telemed.education import library

    en = client.get("/app/education/respiratory?lang=en").text
    for guide_id in ("copd-inhaler", "asthma-action-plan"):
        assert f'href="/app/education/respiratory/{guide_id}"' in en
        page = client.get(f"/app/education/respiratory/{guide_id}?lang=vi")
        assert page.status_code == 200
        assert library()[(guide_id, "vi")].title in page.text
    assert client.get("/app/education/kidney/copd-inhaler").status_code == 404
    assert client.get("/app/education/liver/kidney-diet").status_code == 404
    assert 'id="guides"' not in client.get("/app/education/liver").text
