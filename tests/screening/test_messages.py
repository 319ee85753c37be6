"""Every explanation a rule can give is a message whose key both web catalogues translate."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest

from carehub.clinical.kidney.kdigo import (
    ALBUMINURIA_CATEGORIES,
    GFR_CATEGORIES,
    kdigo_monitoring_frequency_per_year,
    risk,
)
from carehub.clinical.lung.fleischner import ADVICE_TEXTS, fleischner2017
from carehub.clinical.lung.lung_rads import MANAGEMENT
from carehub.screening.evaluate import evaluate_patient
from carehub.screening.messages import ENGLISH, NEEDS, Message, msg, need, render, term
from carehub.screening.programmes import lung_cancer
from carehub.screening.programmes.cardiovascular import risk_group
from carehub.screening.warehouse_facts import stream_snapshots
from carehub.web.i18n import LANGUAGES, catalogue
from tests.screening.conftest import World

PROGRAMMES = Path(__file__).resolve().parents[2] / "carehub" / "screening" / "programmes"
FIELD = re.compile(r"\{(\w+)")


def _calls(name: str) -> list[ast.Call]:
    """Every call of ``name(...)`` in the programme modules."""
    out = []
    for path in sorted(PROGRAMMES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                    node.func.id == name):
                out.append(node)
    return out


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def test_every_message_key_is_in_both_catalogues_with_the_same_fields() -> None:
    for lang in LANGUAGES:
        texts = catalogue(lang)
        missing = sorted(k for k in ENGLISH if k not in texts)
        assert not missing, (lang, missing)
        for key, english in ENGLISH.items():
            assert set(FIELD.findall(texts[key])) == set(FIELD.findall(english)), (lang, key)
    vi, en = catalogue("vi"), catalogue("en")
    assert sum(vi[k] != en[k] for k in ENGLISH) > 0.9 * len(ENGLISH)


def test_every_key_the_programmes_name_is_declared() -> None:
    """The keys written in the programmes' code are literals (directly, in a conditional
    expression or a table), all in the English table, hence in the catalogues."""
    named: set[str] = set()
    for call in _calls("msg"):
        first = call.args[0]
        literal = (ast.Constant, ast.IfExp, ast.Subscript, ast.Name, ast.Call)
        assert isinstance(first, literal), ast.unparse(first)  # no keys built from pieces
        # a subscript reads a table of keys in the module
        source = _table(first) if isinstance(first, ast.Subscript) else first
        named |= {s for s in _strings(source) if s.startswith("screen.")}
    assert len(named) > 80
    undeclared = sorted(k for k in named if k not in ENGLISH)
    assert not undeclared, undeclared


def _table(node: ast.Subscript) -> ast.AST:
    """The dict literal a ``TABLE[...]`` subscript reads (module-level assignment)."""
    assert isinstance(node.value, ast.Name), ast.unparse(node)
    for path in sorted(PROGRAMMES.glob("*.py")):
        for stmt in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == node.value.id for t in stmt.targets):
                return stmt.value
    raise AssertionError(f"no table {node.value.id}")


def test_every_term_value_the_rules_can_give_is_declared() -> None:
    """Term values come from the clinical tables and the programmes' own enumerations."""
    families = {s for call in _calls("term") for s in _strings(call.args[0])}
    assert families == {"risk", "times", "sex", "smoking", "nodule", "lung_rads", "fleischner"}
    values: dict[str, set[str]] = {
        "risk": {risk_group(p) for p in (1.0, 7.0, 15.0, 30.0)}
        | {risk(g, a) for g in GFR_CATEGORIES for a in ALBUMINURIA_CATEGORIES},
        "times": {kdigo_monitoring_frequency_per_year(gfr_category=g, albuminuria_category=a)[
            "times_per_year"] for g in GFR_CATEGORIES for a in ALBUMINURIA_CATEGORIES}
        | {"1", "1 if CKD"},
        "sex": {"male", "female"},
        "smoking": {"current", "former", "never"},
        "nodule": set(lung_cancer.TYPES) | {"solid"},
        "lung_rads": set(MANAGEMENT),
        "fleischner": set(ADVICE_TEXTS),
    }
    for family, found in values.items():
        for value in found:
            assert isinstance(term(family, str(value)), Message), (family, value)


def test_the_fleischner_texts_cover_every_answer_of_the_rule() -> None:
    given: set[str] = set()
    for kind, many, size, level in itertools.product(
            ("solid", "ground_glass", "part_solid"), ("single", "multiple"),
            (3, 5, 6, 7, 8, 9, 12, 20), ("low", "high")):
        for solid in (None, 3.0, 7.0) if kind == "part_solid" else (None,):
            if solid is not None and solid > size / 2:
                continue  # the solid part of a part-solid nodule is the smaller part
            result = fleischner2017(kind, many, size, level, solid_component_mm=solid)
            if result.applicable:
                given.add(str(result["recommendation"]))
    assert given <= set(ADVICE_TEXTS) and len(given) >= 10
    keys = [k for k in ENGLISH if k.startswith("screen.term.fleischner.")]
    assert len(keys) == len(ADVICE_TEXTS)  # no two texts share a key


def test_every_needs_entry_has_a_key() -> None:
    """Literal ``needs=`` entries are declared (computed ones: the population test)."""
    given: set[str] = set()
    for path in sorted(PROGRAMMES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "needs":
                given |= set(_strings(node.value))
    assert len(given) >= 6 and given <= set(NEEDS), given - set(NEEDS)
    assert all(need(text) in ENGLISH for text in NEEDS)


def test_an_unknown_key_is_refused_and_a_broken_translation_falls_back() -> None:
    with pytest.raises(Exception, match="no screening message"):
        msg("screen.kidney.no_such_rule")
    m = msg("screen.kidney.staging.title", egfr=41.6, g="G3b")
    assert render(m, {"screen.kidney.staging.title": "eGFR {nope}"}.get) == m.text
    assert m.text == "eGFR 42 (G3b); albuminuria unknown"
    assert Message.from_json(m.to_json()) == m


def test_the_population_s_explanations_are_messages_in_both_languages(
        screening_world: World) -> None:
    """Every recommendation of the synthetic population carries messages; English renders
    to the stored text, Vietnamese to a different text from the Vietnamese catalogue."""
    vi, en = catalogue("vi"), catalogue("en")
    keys: set[str] = set()
    seen = 0
    conn = screening_world.warehouse.connection.cursor()
    for snapshot in itertools.islice(stream_snapshots(conn, screening_world.as_of), 600):
        for rec in evaluate_patient(snapshot):
            seen += 1
            assert rec.title_message is not None and rec.detail_message is not None, rec.key
            assert set(rec.needs) <= set(NEEDS), rec.needs
            for message, english in ((rec.title_message, rec.title),
                                     (rec.detail_message, rec.detail)):
                keys.add(message.key)
                assert render(message, en.get) == english
                translated = render(message, vi.get)
                assert translated and "screen." not in translated
                stored = Message.from_json(message.to_json())  # as the worklist table keeps it
                assert render(stored, vi.get) == translated
    assert seen > 1000 and len(keys) > 40
