"""The narrative catalogue: both languages for every message, and language negotiation."""

from __future__ import annotations

import pytest

from carehub.errors import Incorrect
from carehub.ips.catalogue import MESSAGES, choose_language, text


def test_every_message_has_both_languages() -> None:
    for key, (vi, en) in MESSAGES.items():
        assert vi.strip() and en.strip(), key


@pytest.mark.parametrize(("explicit", "accept", "expected"), [
    (None, None, "vi"),
    ("en", "vi", "en"),
    ("EN-us", None, "en"),
    (None, "en-US,en;q=0.9", "en"),
    (None, "fr;q=1, vi;q=0.2, en;q=0.1", "vi"),
    (None, "en;q=0, vi", "vi"),
    (None, "de, fr", "vi"),
])
def test_choose_language(explicit: str | None, accept: str | None, expected: str) -> None:
    assert choose_language(explicit, accept) == expected


def test_unsupported_explicit_language_is_incorrect() -> None:
    with pytest.raises(Incorrect, match="not supported"):
        choose_language("fr", "en")


def test_text_falls_back_to_vietnamese() -> None:
    assert text("section.sectionProblems", "xx") == text("section.sectionProblems", "vi")
