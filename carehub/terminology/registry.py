"""The terminology registry: the code systems and value sets CareHub serves.

https://hl7.org/fhir/R4/terminology-service.html

One :class:`Terminology` object is built at start-up (from the
``CAREHUB_ICD10_VI_TITLES`` setting) and handed to the API; the data files are
read on first use, once. Value sets are the implicit ones: every code
system's declared all-codes value set, ``<system>?fhir_vs`` (all codes) and,
for hierarchical systems, ``<system>?fhir_vs=isa/<code>`` (the code and its
descendants).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from carehub.errors import NotFound, did_you_mean
from carehub.terminology.codesystem import CodeSystem, Concept
from carehub.terminology.loaders import load_all, read_vi_titles


@dataclass(frozen=True, slots=True)
class ValueSetDef:
    """A value set: all codes of ``system``, or ``root`` and its descendants."""

    url: str
    system: CodeSystem
    root: str | None = None

    def members(self) -> Iterator[Concept]:
        """The concepts of the value set, in code-system order."""
        if self.root is None:
            yield from self.system
            return
        below: dict[str, list[str]] = defaultdict(list)
        for c in self.system:
            below[c.parent].append(c.code)
        stack = [self.root]
        wanted: set[str] = set()
        while stack:
            code = stack.pop()
            if code not in wanted:
                wanted.add(code)
                stack.extend(below.get(code, []))
        yield from (c for c in self.system if c.code in wanted)

    def contains(self, code: str) -> Concept | None:
        """The member concept of ``code``, or None."""
        concept = self.system.get(code)
        if concept is None or self.root is None:
            return concept
        node: Concept | None = concept
        while node is not None:
            if node.code == self.root:
                return concept
            node = self.system.get(node.parent) if node.parent else None
        return None


class Terminology:
    """Code systems and value sets, loaded lazily (thread-safe) from CareHub's data files.

    Args:
        vi_titles: the hospital's CSV of Vietnamese ICD-10 titles, or None.
        loader: replaces :func:`~carehub.terminology.loaders.load_all` (tests).

    Raises:
        Incorrect: ``vi_titles`` is given but is not a file.
    """

    def __init__(
        self,
        vi_titles: Path | None = None,
        loader: Callable[[dict[str, str] | None], list[CodeSystem]] = load_all,
    ) -> None:
        self._titles = read_vi_titles(vi_titles) if vi_titles is not None else None
        self._loader = loader
        self._systems: dict[str, CodeSystem] | None = None
        self._lock = threading.Lock()

    @property
    def has_vietnamese_icd10(self) -> bool:
        """Whether Vietnamese ICD-10 titles were supplied."""
        return bool(self._titles)

    def systems(self) -> dict[str, CodeSystem]:
        """Every code system by canonical URL (loaded on first call)."""
        if self._systems is None:
            with self._lock:
                if self._systems is None:
                    self._systems = {cs.url: cs for cs in self._loader(self._titles)}
        return self._systems

    def code_system(self, url: str) -> CodeSystem:
        """The code system ``url`` (a ``|version`` suffix is ignored).

        Raises:
            NotFound: CareHub has no such code system (with a suggestion).
        """
        base = url.split("|", 1)[0]
        systems = self.systems()
        if base not in systems:
            raise NotFound(
                f"unknown code system '{base}'." + did_you_mean(base, systems),
                expression="system",
            )
        return systems[base]

    def value_set(self, url: str) -> ValueSetDef:
        """The value set ``url``: a declared all-codes value set or an implicit one.

        Raises:
            NotFound: no such value set, or an ``isa/`` root that is not a code.
        """
        base = url.split("|", 1)[0]
        system_url, sep, query = base.partition("?")
        systems = self.systems()
        if sep and query.startswith("fhir_vs") and system_url in systems:
            cs = systems[system_url]
            if query == "fhir_vs":
                return ValueSetDef(base, cs)
            if query.startswith("fhir_vs=isa/"):
                root = query.removeprefix("fhir_vs=isa/")
                if cs.get(root) is None:
                    raise NotFound(f"'{root}' is not a code of {system_url}", expression="url")
                return ValueSetDef(base, cs, root)
        declared = {cs.value_set: cs for cs in systems.values() if cs.value_set}
        if base in declared:
            return ValueSetDef(base, declared[base])
        known = [*declared, *(f"{u}?fhir_vs" for u in systems)]
        raise NotFound(f"unknown value set '{base}'." + did_you_mean(base, known),
                       expression="url")
