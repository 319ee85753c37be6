"""XHTML narrative of the IPS document: the Composition header and each section's table.

https://hl7.org/fhir/R4/narrative.html and
https://hl7.org/fhir/uv/ips/STU2/Design-conventions-and-principles.html

Every narrative is a ``<div xmlns="http://www.w3.org/1999/xhtml">`` with
``lang``/``xml:lang`` set, built from escaped text only (no scripts, no
attributes other than the language), with ``status: generated``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from carehub.ips.catalogue import text

XHTML_NS = "http://www.w3.org/1999/xhtml"


def div(inner: str, language: str) -> dict[str, str]:
    """A generated ``Narrative`` whose ``div`` wraps ``inner`` (already XHTML).

    >>> div("<p>x</p>", "en")["div"]
    '<div xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en"><p>x</p></div>'
    """
    return {
        "status": "generated",
        "div": f'<div xmlns="{XHTML_NS}" lang="{language}" xml:lang="{language}">{inner}</div>',
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An XHTML table of plain-text cells (escaped here).

    >>> table(["a"], [["<b>"]])
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def paragraph(words: str) -> str:
    """One escaped paragraph.

    >>> paragraph("a & b")
    '<p>a &amp; b</p>'
    """
    return f"<p>{escape(words)}</p>"


def concept_text(concept: Any) -> str:
    """A CodeableConcept in words: its text, else a coding's display, else its code.

    >>> concept_text({"coding": [{"code": "I10", "display": "Hypertension"}]})
    'Hypertension'
    >>> concept_text(None)
    ''
    """
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding", []):
        if coding.get("display"):
            return str(coding["display"])
    codes = [str(c["code"]) for c in concept.get("coding", []) if c.get("code")]
    return ", ".join(codes)


def quantity_text(q: Any) -> str:
    """A Quantity in words.

    >>> quantity_text({"value": 5.4, "unit": "mmol/L"})
    '5.4 mmol/L'
    """
    if not isinstance(q, dict):
        return ""
    value = q.get("value")
    unit = q.get("unit") or q.get("code") or ""
    return f"{q.get('comparator', '')}{'' if value is None else value} {unit}".strip()


def value_text(resource: dict[str, Any]) -> str:
    """The value of an Observation (or its components) in words.

    >>> value_text({"component": [{"code": {"text": "SBP"}, "valueQuantity": {"value": 120}}]})
    'SBP: 120'
    """
    for key, value in resource.items():
        if not key.startswith("value"):
            continue
        if key == "valueQuantity":
            return quantity_text(value)
        if key == "valueCodeableConcept":
            return concept_text(value)
        return str(value)
    parts = [
        f"{concept_text(c.get('code'))}: {value_text(c)}"
        for c in resource.get("component", [])
        if value_text(c)
    ]
    return "; ".join(parts)


def date_text(value: Any) -> str:
    """The date part of a FHIR date/dateTime/Period.

    >>> date_text("2024-05-14T08:47:00+07:00"), date_text({"start": "2024-01-02", "end": "2024-02"})
    ('2024-05-14', '2024-01-02 – 2024-02')
    """
    if isinstance(value, dict):
        start, end = date_text(value.get("start")), date_text(value.get("end"))
        return f"{start} – {end}" if end else start
    return str(value)[:10] if value else ""


def patient_header(patient: dict[str, Any], date: str, language: str) -> str:
    """The Composition narrative: document title, patient and date."""
    names = [
        n.get("text") or " ".join([n.get("family", ""), *n.get("given", [])]).strip()
        for n in patient.get("name", [])
    ]
    gender = patient.get("gender")
    ids = [
        f"{i.get('type', {}).get('text') or i.get('system', '')}: {i.get('value', '')}"
        for i in patient.get("identifier", [])
    ]
    rows = [
        [text("patient.name", language), "; ".join(n for n in names if n)],
        [text("patient.birth_date", language), str(patient.get("birthDate", ""))],
        [text("patient.gender", language), text(f"gender.{gender}", language) if gender else ""],
        [text("patient.identifier", language), "; ".join(ids)],
        [text("document.date", language), date_text(date)],
    ]
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    title = escape(text("document.title", language))
    return f"<h1>{title}</h1><table><tbody>{body}</tbody></table>"
