"""Screening explanations are shown in the page's language, from the catalogues."""

from __future__ import annotations

import duckdb
from fastapi.testclient import TestClient
from markupsafe import escape

from carehub.web.explanations import explain, stored_message
from carehub.web.i18n import Translator
from tests.web.conftest import WebData


def _rows(web_data: WebData, sql: str) -> list[tuple[str, ...]]:
    with duckdb.connect(str(web_data.settings().warehouse_path), read_only=True) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def _texts(stored: str, part: str) -> tuple[str, str]:
    message = stored_message(stored, part)
    assert message is not None, stored
    return (str(escape(explain(message, Translator("vi"), ""))),
            str(escape(explain(message, Translator("en"), ""))))


def test_the_patient_summary_explains_screening_in_vietnamese_or_english(
        client: TestClient, web_data: WebData) -> None:
    # a detail with parameters (stored as compact JSON: ``"params":{"...``)
    rows = _rows(web_data, "SELECT patient_id, messages, detail FROM screening_worklist "
                 "WHERE programme = 'kidney' AND messages LIKE '%\"detail\":{%\"params\":{\"%' "
                 "ORDER BY patient_id, rule LIMIT 1")
    assert rows, "no kidney finding with parameters"
    pid, stored, english_detail = rows[0]
    vi_detail, en_detail = _texts(stored, "detail")
    vi_title, en_title = _texts(stored, "title")
    assert vi_detail != en_detail and vi_title != en_title
    assert en_detail == str(escape(english_detail))  # English from the catalogue = stored text
    pid = pid.removeprefix("Patient/")
    vi = _screening_section(client.get(f"/app/patients/{pid}?lang=vi").text)
    en = _screening_section(client.get(f"/app/patients/{pid}?lang=en").text)
    assert vi_detail in vi and vi_title in vi
    assert en_detail not in vi and en_title not in vi
    assert en_detail in en and en_title in en
    assert vi_detail not in en
    # the decision-support cards of the same page speak the page's language too
    vi_cards = _section(client.get(f"/app/patients/{pid}?lang=vi").text, "cds-title")
    en_cards = _section(client.get(f"/app/patients/{pid}?lang=en").text, "cds-title")
    assert vi_title in vi_cards and en_title not in vi_cards
    assert en_title in en_cards and vi_title not in en_cards


def _screening_section(html: str) -> str:
    """The screening status section of a summary page."""
    return _section(html, "screening-title")


def _section(html: str, title_id: str) -> str:
    start = html.index(f'aria-labelledby="{title_id}"')
    return html[start:html.index("</section>", start)]


def test_worklist_titles_follow_the_language(client: TestClient, web_data: WebData) -> None:
    rows = _rows(web_data, "SELECT messages FROM screening_worklist WHERE programme = 'cancer' "
                 "AND status = 'due' ORDER BY due_date NULLS LAST, patient_id, rule LIMIT 1")
    vi_title, en_title = _texts(rows[0][0], "title")
    assert vi_title != en_title
    vi = client.get("/app/worklists/cancer?status=due&sort=due&lang=vi").text
    en = client.get("/app/worklists/cancer?status=due&sort=due&lang=en").text
    assert vi_title in vi and en_title not in vi
    assert en_title in en


def test_missing_data_is_named_in_the_page_s_language() -> None:
    from carehub.web.explanations import needs_text

    assert needs_text(["urine ACR", "serum creatinine"], Translator("vi")) == (
        "ACR niệu, creatinin huyết thanh")
    assert needs_text(["urine ACR"], Translator("en")) == "urine ACR"


def test_score_names_follow_the_language(client: TestClient, web_data: WebData) -> None:
    rows = _rows(web_data, "SELECT patient_id FROM screening_results WHERE programme = 'kidney' "
                 "AND result_values LIKE '%gfr_category%' ORDER BY patient_id LIMIT 1")
    assert rows, "no kidney result with a GFR category"
    pid = rows[0][0].removeprefix("Patient/")
    vi = client.get(f"/app/patients/{pid}?lang=vi").text
    en = client.get(f"/app/patients/{pid}?lang=en").text
    assert "Giai đoạn GFR =" in vi and "gfr_category" not in vi
    assert "GFR category =" in en and "gfr_category" not in en
