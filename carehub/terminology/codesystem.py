"""CareHub's in-memory code systems: concepts with displays, designations and parents.

https://hl7.org/fhir/R4/codesystem.html

A :class:`CodeSystem` is read-only once built. Designations hold displays in
other languages (``vi``); ``parent`` is the code one level up the hierarchy
(ICD-10 chapter → block → category → subcategory), empty at the top.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Concept:
    """One code: its display (English unless the system is Vietnamese), other languages'
    displays (``designations``: language → text), parent code and kind."""

    code: str
    display: str
    designations: dict[str, str] = field(default_factory=dict)
    parent: str = ""
    kind: str = ""

    def display_in(self, language: str | None) -> str:
        """The display in ``language`` when there is one, else the default display.

        >>> Concept("I10", "Hypertension", {"vi": "Tăng huyết áp"}).display_in("vi-VN")
        'Tăng huyết áp'
        """
        if language:
            primary = language.split("-")[0].lower()
            if primary in self.designations:
                return self.designations[primary]
        return self.display


def fold(text: str) -> str:
    """Lower case without diacritics (``đ`` → ``d``), for filtering.

    >>> fold("Tăng HUYẾT áp Đái")
    'tang huyet ap dai'
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(slots=True)
class CodeSystem:
    """A code system CareHub knows, with where its content came from.

    Args:
        url: the canonical URL (``http://hl7.org/fhir/sid/icd-10``).
        name: computer name; ``title`` is the human one.
        version: the edition, when known.
        source: provenance, in words.
        value_set: the URL of the value set of all its codes, when it declares one.
        case_sensitive: whether codes match case-sensitively.
    """

    url: str
    name: str
    title: str
    version: str | None
    source: str
    concepts: dict[str, Concept] = field(default_factory=dict)
    value_set: str | None = None
    case_sensitive: bool = True

    def add(self, concepts: Iterable[Concept]) -> CodeSystem:
        """Add ``concepts`` (a later one replaces an earlier one of the same code)."""
        for c in concepts:
            self.concepts[c.code] = c
        return self

    def get(self, code: str) -> Concept | None:
        """The concept of ``code``, or None.

        >>> cs = CodeSystem("u", "n", "t", None, "s", case_sensitive=False).add([Concept("mg", "")])
        >>> cs.get("MG").code
        'mg'
        """
        found = self.concepts.get(code)
        if found is None and not self.case_sensitive:
            low = code.lower()
            found = next((c for k, c in self.concepts.items() if k.lower() == low), None)
        return found

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts.values())

    def __len__(self) -> int:
        return len(self.concepts)
