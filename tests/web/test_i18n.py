"""The translation catalogues cover every text of the web application, in both languages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from carehub.screening.evaluate import PROGRAMMES
from carehub.screening.recommendation import STATUSES
from carehub.web.i18n import LANGUAGES, Translator, catalogue
from carehub.web.lab_trends import CHARTS
from carehub.web.nav import NAVIGATION
from carehub.web.task_actions import ACTIONS
from carehub.web.worklist_source import SORTS

WEB = Path(__file__).resolve().parents[2] / "carehub" / "web"
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
CODE = sorted(WEB.rglob("*.py"))
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_-]+)+)["']""")
CODE_KEY = re.compile(r"^(?:nav|error|signin|chart|patient|summary|worklist|search)\.[a-z0-9_.]+$")
DYNAMIC = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+\.)["']\s*~""")
#: every value a data-driven key prefix takes
DATA_KEYS: dict[str, list[str]] = {
    "status.": list(STATUSES),
    "programme.": list(PROGRAMMES),
    "action.": list(ACTIONS),
    "sort.": list(SORTS),
    "gender.": ["male", "female", "other", "unknown"],
    "indicator.": ["info", "warning", "critical"],
    "clinical.": ["active", "recurrence", "relapse", "inactive", "remission", "resolved"],
    "search.by.": ["name", "identifier", "birthdate"],
    "task.": ["draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
              "in-progress", "on-hold", "failed", "completed", "entered-in-error"],
}
TEXT_ATTRIBUTES = re.compile(r"""\b(aria-label|title|placeholder|alt)=(["'])(.*?)\2""", re.S)
#: what may remain in a template outside Jinja blocks and markup: punctuation and symbols
NOT_WORDS = re.compile(r"^[\s·:;,.()/|—–\-&#*=]*$")
#: words that are never translated: the product's name and the languages' own names
UNTRANSLATED = ("CareHub", "Tiếng Việt", "English")


def test_both_catalogues_hold_the_same_keys() -> None:
    vi, en = catalogue("vi"), catalogue("en")
    assert set(vi) == set(en), sorted(set(vi) ^ set(en))
    for lang in LANGUAGES:
        empty = [k for k, v in catalogue(lang).items() if not v.strip()]
        assert not empty, (lang, empty)


def test_placeholders_agree_between_languages() -> None:
    field = re.compile(r"\{(\w+)\}")
    vi, en = catalogue("vi"), catalogue("en")
    for key in vi:
        assert set(field.findall(vi[key])) == set(field.findall(en[key])), key


def test_vietnamese_is_really_vietnamese() -> None:
    """The default catalogue is not a copy of the English one."""
    vi, en = catalogue("vi"), catalogue("en")
    differing = sum(vi[k] != en[k] for k in vi)
    assert differing > 0.8 * len(vi)


def code_strings(source: str) -> set[str]:
    """The string constants of a module, docstrings left out (their examples are not keys).

    >>> sorted(code_strings("'doc nav.x'\\nKEY = 'error.csrf'"))
    ['error.csrf']
    """
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings.add(id(body[0].value))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docstrings}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATES:
        keys |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    for path in CODE:
        keys |= {s for s in code_strings(path.read_text(encoding="utf-8")) if CODE_KEY.match(s)}
    keys |= {item.key for item in NAVIGATION}
    keys |= {c.title_key for c in CHARTS} | {name for c in CHARTS for _, name in c.lines}
    return {k for k in keys if not k.endswith((".html", ".py", ".json"))}


def test_every_key_used_exists_in_both_languages() -> None:
    keys = used_keys()
    assert len(keys) > 50
    for lang in LANGUAGES:
        missing = sorted(k for k in keys if not Translator(lang).has(k))
        assert not missing, (lang, missing)


def test_every_data_driven_key_exists() -> None:
    prefixes: set[str] = set()
    for path in TEMPLATES:
        prefixes |= set(DYNAMIC.findall(path.read_text(encoding="utf-8")))
    unknown = prefixes - set(DATA_KEYS)
    assert not unknown, f"declare the values of {sorted(unknown)} in DATA_KEYS"
    for prefix, values in DATA_KEYS.items():
        for lang in LANGUAGES:
            missing = [v for v in values if not Translator(lang).has(prefix + v)]
            assert not missing, (lang, prefix, missing)


def visible_text(template: str) -> str:
    """What a template shows outside Jinja code, tags, scripts and styles.

    >>> visible_text('<p>{{ t("a.b") }} · <b>{% if x %}Hello{% endif %}</b></p>')
    ' · Hello'
    """
    text = re.sub(r"\{#.*?#\}", "", template, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S | re.I)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"<[^>]*>", "", text, flags=re.S)
    for word in UNTRANSLATED:
        text = text.replace(word, "")
    return re.sub(r"&[a-z]+;|&#\d+;", "", text)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(WEB)))
def test_templates_hold_no_literal_text(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    left = visible_text(source)
    assert NOT_WORDS.match(left), f"untranslated text in {path.name}: {left.split()[:10]}"
    for attribute, _, value in TEXT_ATTRIBUTES.findall(source):
        assert "{{" in value, f"untranslated {attribute}={value!r} in {path.name}"


def test_the_literal_text_check_catches_a_word() -> None:
    assert not NOT_WORDS.match(visible_text("<p>{{ t('a.b') }} Patients</p>"))
